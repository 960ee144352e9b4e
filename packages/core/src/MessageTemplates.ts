/**
 * The texts kaituan sends buyers, one per {@link MessageKind}, in Traditional Chinese by default
 * (English available), shared by every channel adapter so a buyer reads the same words on LINE,
 * Facebook and Telegram. Organisers override any kind with a function or a string with `{name}`
 * placeholders. Platform limits stay with the adapters: they pass their longest text as
 * `maxLength` to {@link render} (or call {@link clamp}).
 *
 * The `data` of an outbound message may carry (all optional; money is integer TWD):
 * - `buyerName`, `round` (round title), `orderId`
 * - `lines`: `[{ label | name | title | sku, variant?, qty, unitPrice?, subtotal? }]`, `total`
 * - `reason` (`after-cutoff` | `sold-out` | `over-cap` | `paused` | `over-limit` | `below-minimum` |
 *   `dismissed` | `buyer-cancelled` | free text), `comment` or `text` (the
 *   comment, for `not-ordered` / `review-pending`), `product` or `label`
 * - `amount` (else `total`), `paid`, `remaining` (else `total − paid`), `dueAt`, `howToPay` (free
 *   text) or `bank: { name?, code?, account }` and/or `paymentUrl` (both shown when both are
 *   given), `reminder: true` / `overdue: true` (a `payment-due` before / after the deadline),
 *   `last5` (`payment-reported`: the digits the buyer reported); `dueAt` in ISO 8601 is shown in Taipei time
 * - `carrier`, `trackingNumber` or `trackingNo`, `pickupCode`, `place`, `until`
 * - `qty` and `position` (`waitlist-joined`: the units waited for and the buyer's place on the
 *   waiting list); `qty`, `lines`, `total` (`waitlist-promoted`); `lines` (`preorder-arrived`);
 *   reasons `round-below-minimum` (the round's own minimum, 流團) and `waitlist-left`
 * - `storeMapUrl` (`choose-store`: the link that opens the carrier's store map)
 * - `text` (kind `"text"`: sent verbatim)
 * - round notices to a conversation (`round-announcement`, `cutoff-reminder`, `sold-out`; built by
 *   `Publish`): `round`, `items` (`[{ label, price, supply: "in-stock" | "preorder" |
 *   "unlimited", left }]`, `left` the stock or the pre-order cap left, null when unlimited),
 *   `examples` (comments that order in the round's own syntax, `["紅+1", "蛋黃酥+2"]`), `cutoff`
 *   (ISO 8601, shown in Taipei time); `label` and `supply` for `sold-out`
 *
 * These are the fields core's use cases put in `data` (`orderId`, `lines` with `label`, `total`,
 * `reason`, `text`, `amount`, `paid`, `pickupCode`, `trackingNo`); the rest (bank account, pickup
 * place…) usually comes from the adapter's `templateData` option.
 *
 * Placeholders in string templates see the formatted values of {@link vars} (`{lines}`,
 * `{total}` as `NT$1,300`, `{reasonText}`, `{howToPay}`, `{greeting}` …) and then any raw
 * string or number in `data`; an unknown placeholder is left as written so mistakes show.
 *
 * @since 0.1.0
 */
import type { MessageKind } from "./Notification.js"
import { taipeiParts } from "./TaipeiTime.js"

/** The template variables of a message: its raw `data`. */
export type Data = Readonly<Record<string, unknown>>

/** The formatted variables every template can use. */
export interface Vars {
  readonly [key: string]: string
  readonly greeting: string
  readonly buyerName: string
  readonly round: string
  readonly orderId: string
  readonly lines: string
  readonly total: string
  readonly reason: string
  readonly reasonText: string
  readonly comment: string
  readonly product: string
  readonly amount: string
  readonly remaining: string
  readonly dueAt: string
  readonly howToPay: string
  readonly carrier: string
  readonly trackingNumber: string
  readonly pickupCode: string
  readonly place: string
  readonly until: string
  readonly text: string
  /** A round's items, one a line, with price and what is left. */
  readonly items: string
  /** Example order comments, one a line. */
  readonly examples: string
  /** The cutoff in Taipei time: `2024/05/10（五）22:00` (`2024/05/10 (Fri) 22:00` in English). */
  readonly cutoff: string
}

/** A template: a function of the message data (and its formatted vars), or a `{name}` placeholder string. */
export type Template = string | ((data: Data, vars: Vars) => string)

/** Overrides per kind. */
export type Templates = Partial<Record<MessageKind, Template>>

/** The built-in languages. */
export type Locale = "zh-TW" | "en"

/** Formats integer TWD as `NT$1,300`. */
export const money = (n: number): string => {
  const sign = n < 0 ? "-" : ""
  const digits = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `${sign}NT$${digits}`
}

const str = (v: unknown): string =>
  typeof v === "string" ? v : typeof v === "number" && Number.isFinite(v) ? String(v) : ""

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)

const moneyOf = (v: unknown): string => {
  const n = num(v)
  return n === undefined ? str(v) : money(n)
}

const record = (v: unknown): Readonly<Record<string, unknown>> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined

const formatLines = (v: unknown): string => {
  if (!Array.isArray(v)) return ""
  return v
    .map((raw) => {
      const l = record(raw)
      if (l === undefined) return `・${str(raw)}`
      const name = str(l["label"]) || str(l["name"]) || str(l["title"]) || str(l["sku"])
      const variant = str(l["variant"])
      const qty = num(l["qty"]) ?? num(l["quantity"])
      const sub =
        num(l["subtotal"]) ??
        (qty !== undefined && num(l["unitPrice"]) !== undefined ? qty * num(l["unitPrice"])! : undefined)
      return `・${name}${variant ? `（${variant}）` : ""}${qty !== undefined ? ` ×${qty}` : ""}${sub !== undefined ? `　${money(sub)}` : ""}`
    })
    .join("\n")
}

const reasonTexts: Record<Locale, Record<string, string>> = {
  "zh-TW": {
    "after-cutoff": "已過截單時間",
    "sold-out": "商品已售完",
    "over-cap": "已超過可訂購上限",
    paused: "團購暫停中，暫不接單",
    "over-limit": "已達每人限購數量",
    "below-minimum": "未達成團數量，此商品流團",
    dismissed: "團主確認後未列入訂單",
    "buyer-cancelled": "依您的留言取消",
    unpaid: "未於付款期限內完成付款",
    "round-below-minimum": "未達成團門檻，本團流團",
    "waitlist-left": "已為您取消候補",
    damaged: "商品損壞",
    "wrong-item": "寄錯商品",
    "not-collected": "逾期未取貨",
    "out-of-stock": "商品缺貨",
    quality: "品質問題",
    other: "其他"
  },
  en: {
    "after-cutoff": "the round had closed",
    "sold-out": "it sold out",
    "over-cap": "the order limit was reached",
    paused: "the round is paused for now",
    "over-limit": "it is over the per-buyer limit",
    "below-minimum": "the product did not reach its minimum, so it is not going ahead",
    dismissed: "the organiser did not take it as an order",
    "buyer-cancelled": "as your comment asked",
    unpaid: "it was not paid by the deadline",
    "round-below-minimum": "the round did not reach its minimum, so it is not going ahead",
    "waitlist-left": "you left the waiting list",
    damaged: "the item was damaged",
    "wrong-item": "it was the wrong item",
    "not-collected": "it was not collected",
    "out-of-stock": "it is out of stock",
    quality: "a quality problem",
    other: "other"
  }
}

const howToPayOf = (data: Data, locale: Locale): string => {
  const free = str(data["howToPay"])
  if (free) return free
  // Both ways when the message has both: the bank account for a transfer, the link for a gateway.
  const ways: Array<string> = []
  const bank = record(data["bank"])
  if (bank !== undefined && str(bank["account"])) {
    const name = [str(bank["name"]), str(bank["code"]) ? `(${str(bank["code"])})` : ""].join("")
    ways.push(
      locale === "zh-TW"
        ? `匯款至 ${name ? `${name} ` : ""}帳號 ${str(bank["account"])}，付款後請回覆帳號後五碼`
        : `Transfer to ${name ? `${name} ` : ""}account ${str(bank["account"])} and reply with the last 5 digits of your account`
    )
  }
  const url = str(data["paymentUrl"])
  if (url) ways.push(locale === "zh-TW" ? `線上付款：${url}` : `Pay online: ${url}`)
  return ways.join("\n")
}

/** `dueAt` as written, or in Taipei time when it is an ISO 8601 instant (`2024-05-13T14:00:00.000Z`). */
const dueAtOf = (v: unknown, locale: Locale): string => {
  const s = str(v)
  return /^\d{4}-\d{2}-\d{2}T/.test(s) ? taipeiText(s, locale) || s : s
}

const weekdays: Record<Locale, ReadonlyArray<string>> = {
  "zh-TW": ["日", "一", "二", "三", "四", "五", "六"],
  en: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
}

const pad2 = (n: number): string => String(n).padStart(2, "0")

/** An ISO 8601 instant as a Taipei wall clock with the weekday: `2024/05/10（五）22:00`; "" when not a time. */
export const taipeiText = (iso: unknown, locale: Locale = "zh-TW"): string => {
  const ms = typeof iso === "string" ? Date.parse(iso) : Number.NaN
  if (Number.isNaN(ms)) return ""
  const p = taipeiParts(ms)
  const weekday = weekdays[locale][new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()]
  const date = `${p.year}/${pad2(p.month)}/${pad2(p.day)}`
  const time = `${pad2(p.hour)}:${pad2(p.minute)}`
  return locale === "zh-TW" ? `${date}（${weekday}）${time}` : `${date} (${weekday}) ${time}`
}

const leftText = (item: Readonly<Record<string, unknown>>, locale: Locale): string => {
  const left = num(item["left"])
  const supply = str(item["supply"])
  if (supply === "preorder")
    return left === undefined
      ? locale === "zh-TW"
        ? "預購"
        : "pre-order"
      : left <= 0
        ? locale === "zh-TW"
          ? "預購已額滿"
          : "pre-order full"
        : locale === "zh-TW"
          ? `預購，上限剩 ${left}`
          : `pre-order, ${left} left`
  if (left === undefined) return ""
  if (left <= 0) return locale === "zh-TW" ? "已售完" : "sold out"
  return locale === "zh-TW" ? `現貨剩 ${left}` : `${left} in stock`
}

const formatItems = (v: unknown, locale: Locale): string => {
  if (!Array.isArray(v)) return ""
  return v
    .map((raw) => {
      const item = record(raw)
      if (item === undefined) return `・${str(raw)}`
      const label = str(item["label"]) || str(item["name"]) || str(item["sku"])
      const price = num(item["price"])
      const left = leftText(item, locale)
      return `・${label}${price === undefined ? "" : `　${money(price)}`}${left ? `　${left}` : ""}`
    })
    .join("\n")
}

const formatExamples = (v: unknown): string =>
  Array.isArray(v)
    ? v
        .map(str)
        .filter((e) => e.length > 0)
        .join("\n")
    : ""

/** The formatted variables of a message's data. */
export const vars = (data: Data, locale: Locale = "zh-TW"): Vars => {
  const buyerName = str(data["buyerName"])
  const reason = str(data["reason"])
  const total = num(data["total"])
  const paid = num(data["paid"])
  const remaining =
    data["remaining"] !== undefined
      ? moneyOf(data["remaining"])
      : total !== undefined && paid !== undefined && total - paid > 0
        ? money(total - paid)
        : ""
  return {
    greeting: buyerName ? (locale === "zh-TW" ? `${buyerName} 您好，` : `Hi ${buyerName}, `) : "",
    buyerName,
    round: str(data["round"]),
    orderId: str(data["orderId"]),
    lines: formatLines(data["lines"]),
    total: moneyOf(data["total"]),
    reason,
    reasonText: reasonTexts[locale][reason] ?? reason,
    comment: str(data["comment"]) || str(data["text"]),
    product: str(data["product"]) || str(data["label"]),
    amount: moneyOf(data["amount"] ?? data["total"]),
    remaining,
    dueAt: dueAtOf(data["dueAt"], locale),
    howToPay: howToPayOf(data, locale),
    carrier: str(data["carrier"]),
    trackingNumber: str(data["trackingNumber"]) || str(data["trackingNo"]),
    pickupCode: str(data["pickupCode"]),
    place: str(data["place"]),
    until: str(data["until"]),
    text: str(data["text"]),
    items: formatItems(data["items"], locale),
    examples: formatExamples(data["examples"]),
    cutoff: taipeiText(data["cutoff"], locale)
  }
}

const join = (...parts: ReadonlyArray<string | false | undefined>): string =>
  parts.filter((p): p is string => typeof p === "string" && p.length > 0).join("\n")

const zhTW: Record<MessageKind, (data: Data, v: Vars) => string> = {
  "order-confirmed": (_d, v) =>
    join(`${v.greeting}已成單 ✅${v.round ? `（${v.round}）` : ""}`, v.lines, v.total && `合計 ${v.total}`),
  "order-updated": (_d, v) =>
    join(`${v.greeting}訂單已更新 ✏️${v.round ? `（${v.round}）` : ""}`, v.lines, v.total && `合計 ${v.total}`),
  "order-cancelled": (_d, v) =>
    join(`${v.greeting}訂單已取消${v.round ? `（${v.round}）` : ""}`, v.reasonText && `原因：${v.reasonText}`),
  "order-refunded": (_d, v) =>
    join(
      `${v.greeting}已退款${v.amount ? ` ${v.amount}` : ""}${v.round ? `（${v.round}）` : ""}`,
      v.reasonText && `原因：${v.reasonText}`
    ),
  "not-ordered": (_d, v) =>
    join(
      `${v.greeting}很抱歉，這則留言未成單${v.reasonText ? `：${v.reasonText}` : ""}${v.product ? `（${v.product}）` : ""}`,
      v.comment && `留言：「${v.comment}」`
    ),
  "review-pending": (_d, v) =>
    join(`${v.greeting}已收到您的留言，團主確認後會再通知您 🙏`, v.comment && `留言：「${v.comment}」`),
  "payment-due": (d, v) =>
    join(
      `${d["overdue"] === true ? "⚠️ 付款期限已過：" : d["reminder"] === true ? "⏰ 付款提醒：" : ""}${v.greeting}請付款 ${v.amount || ""}`.trimEnd() +
        " 💰",
      v.howToPay,
      v.dueAt && (d["overdue"] === true ? `付款期限：${v.dueAt}，請盡快付款或與團主聯繫` : `請於 ${v.dueAt} 前完成付款`)
    ),
  "payment-reported": (d, v) =>
    str(d["last5"])
      ? `${v.greeting}收到您的後五碼 ${str(d["last5"])}${num(d["amount"]) === undefined ? "" : `（${v.amount}）`}，核對後通知您 🙏`
      : `${v.greeting}收到您的付款通知${num(d["amount"]) === undefined ? "" : ` ${v.amount}`}，核對後通知您 🙏`,
  "payment-received": (_d, v) =>
    join(`${v.greeting}已收到您的付款 ${v.amount}，謝謝！`, v.remaining && `尚需補款 ${v.remaining}`),
  shipped: (_d, v) =>
    join(
      `${v.greeting}您的商品已出貨 📦${v.round ? `（${v.round}）` : ""}`,
      v.lines,
      v.carrier && `物流：${v.carrier}`,
      v.trackingNumber && `追蹤碼：${v.trackingNumber}`
    ),
  "pickup-ready": (_d, v) =>
    join(
      `${v.greeting}您的商品已可取貨 🛍️`,
      v.lines,
      v.place && `取貨地點：${v.place}`,
      v.pickupCode && `取貨碼：${v.pickupCode}`,
      v.until && `請於 ${v.until} 前取貨`
    ),
  "round-announcement": (_d, v) =>
    join(
      `📣 開團${v.round ? `：${v.round}` : ""}`,
      v.items,
      v.examples && `下單方式：留言「品名或規格＋數量」，例如：\n${v.examples}`,
      v.cutoff && `⏰ 截單：${v.cutoff}（台北時間）`
    ),
  "cutoff-reminder": (_d, v) =>
    join(
      `⏰ 截單提醒${v.round ? `：${v.round}` : ""}`,
      v.cutoff ? `將於 ${v.cutoff}（台北時間）截單，要買的朋友請把握時間！` : "即將截單，要買的朋友請把握時間！",
      v.items,
      v.examples && `下單範例：\n${v.examples}`
    ),
  "sold-out": (d, v) =>
    `${d["supply"] === "preorder" ? "🈵" : "❌"} ${v.product || "商品"}${d["supply"] === "preorder" ? " 預購已額滿" : " 已售完"}${v.round ? `（${v.round}）` : ""}，謝謝大家支持！`,
  text: (_d, v) => v.text,
  "waitlist-joined": (d, v) =>
    join(
      `${v.greeting}${v.product || "商品"}${num(d["qty"]) === undefined ? "" : ` ×${num(d["qty"])}`} 目前已售完，已為您登記候補 🙋${num(d["position"]) === undefined ? "" : `（第 ${num(d["position"])} 位）`}`,
      "有人取消或補貨時，會依登記順序為您遞補並通知您"
    ),
  "waitlist-promoted": (d, v) =>
    join(
      `${v.greeting}候補成功 🎉 ${v.product || "商品"}${num(d["qty"]) === undefined ? "" : ` ×${num(d["qty"])}`} 已加入您的訂單${v.round ? `（${v.round}）` : ""}`,
      v.lines,
      v.total && `合計 ${v.total}`
    ),
  "preorder-arrived": (_d, v) =>
    join(
      `${v.greeting}您預購的商品已到貨 📦${v.round ? `（${v.round}）` : ""}`,
      v.lines,
      "將盡快為您出貨，謝謝耐心等候！"
    ),
  "choose-store": (d, v) =>
    join(
      `${v.greeting}請選擇取貨門市 🏪${v.carrier ? `（${v.carrier}）` : ""}`,
      v.lines,
      str(d["storeMapUrl"]) && `點此選擇門市：${str(d["storeMapUrl"])}`
    ),
  "arrived-at-store": (_d, v) =>
    join(
      `${v.greeting}您的包裹已送達門市 🏪`,
      v.lines,
      v.place && `取貨門市：${v.place}`,
      v.trackingNumber && `寄件編號：${v.trackingNumber}`,
      v.until && `請於 ${v.until} 前取貨，逾期將退回`
    ),
  "picked-up": (_d, v) => join(`${v.greeting}已完成取貨，謝謝您的支持！🙏`, v.lines),
  "order-partly-refunded": (d, v) =>
    join(
      `${v.greeting}已部分退款 ${v.amount}${v.round ? `（${v.round}）` : ""}`,
      v.lines,
      v.reasonText && `原因：${v.reasonText}`,
      refundMethodText(d["method"], "zh-TW")
    ),
  "order-returned": (d, v) =>
    join(
      `${v.greeting}已收到退回的商品 📦${v.round ? `（${v.round}）` : ""}`,
      v.lines,
      v.reasonText && `原因：${v.reasonText}`,
      num(d["amount"]) !== undefined && num(d["amount"])! > 0 ? `將退款 ${v.amount}，完成後會再通知您` : ""
    ),
  "invoice-carrier": (d, v) =>
    d["valid"] === false
      ? join(
          `${v.greeting}您的發票載具格式不正確 🙏`,
          "手機條碼為「/」加 7 碼英數字（例：載具 /ABC+123），捐贈碼為 3–7 位數字，統編為 8 位數字，請再傳一次"
        )
      : join(
          `${v.greeting}已記錄您的發票資訊 🧾`,
          str(d["mobileBarcode"]) && `手機條碼：${str(d["mobileBarcode"])}`,
          str(d["loveCode"]) && `捐贈碼：${str(d["loveCode"])}`,
          str(d["taxId"]) && `統一編號：${str(d["taxId"])}`,
          "之後的電子發票將依此開立"
        )
}

const en: Record<MessageKind, (data: Data, v: Vars) => string> = {
  "order-confirmed": (_d, v) =>
    join(
      `${v.greeting}your order is confirmed ✅${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.total && `Total ${v.total}`
    ),
  "order-updated": (_d, v) =>
    join(
      `${v.greeting}your order was updated ✏️${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.total && `Total ${v.total}`
    ),
  "order-cancelled": (_d, v) =>
    join(
      `${v.greeting}your order was cancelled${v.round ? ` (${v.round})` : ""}`,
      v.reasonText && `Reason: ${v.reasonText}`
    ),
  "order-refunded": (_d, v) =>
    join(
      `${v.greeting}we refunded ${v.amount || "your payment"}${v.round ? ` (${v.round})` : ""}`,
      v.reasonText && `Reason: ${v.reasonText}`
    ),
  "not-ordered": (_d, v) =>
    join(
      `${v.greeting}sorry, this comment did not become an order${v.reasonText ? `: ${v.reasonText}` : ""}${v.product ? ` (${v.product})` : ""}`,
      v.comment && `Comment: "${v.comment}"`
    ),
  "review-pending": (_d, v) =>
    join(
      `${v.greeting}we got your comment; the organiser will confirm it soon 🙏`,
      v.comment && `Comment: "${v.comment}"`
    ),
  "payment-due": (d, v) =>
    join(
      `${d["overdue"] === true ? "⚠️ Payment overdue: " : d["reminder"] === true ? "⏰ Payment reminder: " : ""}${v.greeting}please pay ${v.amount}`.trimEnd() +
        " 💰",
      v.howToPay,
      v.dueAt && (d["overdue"] === true ? `The deadline was ${v.dueAt}` : `Please pay by ${v.dueAt}`)
    ),
  "payment-reported": (d, v) =>
    `${v.greeting}we got ${str(d["last5"]) ? `your last five digits ${str(d["last5"])}` : "your payment note"}${num(d["amount"]) === undefined ? "" : ` (${v.amount})`}; we will let you know once we have checked it 🙏`,
  "payment-received": (_d, v) =>
    join(
      `${v.greeting}we received your payment of ${v.amount}, thank you!`,
      v.remaining && `Still due: ${v.remaining}`
    ),
  shipped: (_d, v) =>
    join(
      `${v.greeting}your order has shipped 📦${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.carrier && `Carrier: ${v.carrier}`,
      v.trackingNumber && `Tracking: ${v.trackingNumber}`
    ),
  "pickup-ready": (_d, v) =>
    join(
      `${v.greeting}your order is ready for pickup 🛍️`,
      v.lines,
      v.place && `Where: ${v.place}`,
      v.pickupCode && `Pickup code: ${v.pickupCode}`,
      v.until && `Please pick up by ${v.until}`
    ),
  "round-announcement": (_d, v) =>
    join(
      `📣 Now open${v.round ? `: ${v.round}` : ""}`,
      v.items,
      v.examples && `To order, comment the item and a quantity, e.g.:\n${v.examples}`,
      v.cutoff && `⏰ Orders close ${v.cutoff} (Taipei time)`
    ),
  "cutoff-reminder": (_d, v) =>
    join(
      `⏰ Closing soon${v.round ? `: ${v.round}` : ""}`,
      v.cutoff ? `Orders close ${v.cutoff} (Taipei time): order now!` : "Orders close soon: order now!",
      v.items,
      v.examples && `For example:\n${v.examples}`
    ),
  "sold-out": (d, v) =>
    `${d["supply"] === "preorder" ? "🈵" : "❌"} ${v.product || "An item"}${d["supply"] === "preorder" ? " is fully pre-ordered" : " is sold out"}${v.round ? ` (${v.round})` : ""}. Thank you!`,
  text: (_d, v) => v.text,
  "waitlist-joined": (d, v) =>
    join(
      `${v.greeting}${v.product || "the item"}${num(d["qty"]) === undefined ? "" : ` ×${num(d["qty"])}`} is sold out: you are on the waiting list 🙋${num(d["position"]) === undefined ? "" : ` (number ${num(d["position"])})`}`,
      "When units come free, they go down the list in order and you will be told"
    ),
  "waitlist-promoted": (d, v) =>
    join(
      `${v.greeting}good news 🎉 ${v.product || "the item"}${num(d["qty"]) === undefined ? "" : ` ×${num(d["qty"])}`} from the waiting list is now in your order${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.total && `Total ${v.total}`
    ),
  "preorder-arrived": (_d, v) =>
    join(
      `${v.greeting}your pre-order has arrived 📦${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      "It ships soon. Thank you for waiting!"
    ),
  "choose-store": (d, v) =>
    join(
      `${v.greeting}please choose the store to pick up at 🏪${v.carrier ? ` (${v.carrier})` : ""}`,
      v.lines,
      str(d["storeMapUrl"]) && `Choose a store: ${str(d["storeMapUrl"])}`
    ),
  "arrived-at-store": (_d, v) =>
    join(
      `${v.greeting}your parcel is at the store 🏪`,
      v.lines,
      v.place && `Store: ${v.place}`,
      v.trackingNumber && `Tracking: ${v.trackingNumber}`,
      v.until && `Please pick it up by ${v.until}, or it goes back`
    ),
  "picked-up": (_d, v) => join(`${v.greeting}you picked up your parcel, thank you! 🙏`, v.lines),
  "order-partly-refunded": (d, v) =>
    join(
      `${v.greeting}we refunded ${v.amount} of your order${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.reasonText && `Reason: ${v.reasonText}`,
      refundMethodText(d["method"], "en")
    ),
  "order-returned": (d, v) =>
    join(
      `${v.greeting}we received the returned items 📦${v.round ? ` (${v.round})` : ""}`,
      v.lines,
      v.reasonText && `Reason: ${v.reasonText}`,
      num(d["amount"]) !== undefined && num(d["amount"])! > 0
        ? `We will refund ${v.amount} and let you know when it is done`
        : ""
    ),
  "invoice-carrier": (d, v) =>
    d["valid"] === false
      ? join(
          `${v.greeting}your invoice carrier is not in a valid format 🙏`,
          "A mobile barcode is / and 7 letters or digits (e.g. 載具 /ABC+123), a love code 3 to 7 digits, a tax id 8 digits: please send it again"
        )
      : join(
          `${v.greeting}we noted your invoice details 🧾`,
          str(d["mobileBarcode"]) && `Mobile barcode: ${str(d["mobileBarcode"])}`,
          str(d["loveCode"]) && `Love code: ${str(d["loveCode"])}`,
          str(d["taxId"]) && `Tax id: ${str(d["taxId"])}`,
          "Your e-invoices will be issued with them"
        )
}

/** How a refund went back, in words (`method` of an after-sales message). */
const refundMethodText = (method: unknown, locale: Locale): string => {
  const zh: Record<string, string> = {
    "bank-transfer": "退款方式：匯款",
    cash: "退款方式：現金",
    gateway: "退款方式：原付款管道"
  }
  const en: Record<string, string> = {
    "bank-transfer": "Refunded by bank transfer",
    cash: "Refunded in cash",
    gateway: "Refunded to your original payment"
  }
  return typeof method === "string" ? ((locale === "zh-TW" ? zh : en)[method] ?? "") : ""
}

/** The built-in templates per locale. */
export const defaults: Readonly<Record<Locale, Readonly<Record<MessageKind, (data: Data, v: Vars) => string>>>> = {
  "zh-TW": zhTW,
  en
}

/** Fills `{name}` placeholders from `vars`, then from raw string/number `data`; unknown names stay as written. */
export const fill = (template: string, data: Data, v: Vars): string =>
  template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    if (Object.hasOwn(v, name)) return v[name] ?? ""
    const raw = data[name]
    return typeof raw === "string" || typeof raw === "number" ? String(raw) : whole
  })

/**
 * Cuts a text to `maxLength` UTF-16 units, ending it with "…" when cut; never splits a surrogate
 * pair (the result may then be one unit shorter).
 */
export const clamp = (text: string, maxLength: number): string => {
  if (text.length <= maxLength) return text
  const cut = text.slice(0, Math.max(0, maxLength - 1))
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" })

/** The longest prefix of `text` of at most `maxLength` UTF-16 units that ends on a grapheme boundary. */
const cutAt = (text: string, maxLength: number): number => {
  let end = 0
  for (const { index, segment } of graphemes.segment(text.slice(0, maxLength + 16))) {
    const next = index + segment.length
    if (next > maxLength) break
    end = next
  }
  // A single grapheme longer than the limit (never in practice): cut between code points.
  if (end === 0) end = /[\uD800-\uDBFF]/.test(text.charAt(maxLength - 1)) ? maxLength - 1 : maxLength
  return Math.max(1, end)
}

/**
 * Splits a text into parts of at most `maxLength` UTF-16 units, at line breaks where it can (a
 * line longer than the limit is cut between characters: never inside a surrogate pair, an emoji
 * sequence or a keycap). With `maxParts`, the last part is cut with {@link clamp}-style "…" when
 * the text needs more. Line breaks at a cut are dropped; no part is empty.
 */
export const split = (text: string, maxLength: number, maxParts = Number.POSITIVE_INFINITY): Array<string> => {
  if (maxLength < 2) return [clamp(text, Math.max(1, maxLength))]
  const parts: Array<string> = []
  let rest = text
  while (rest.length > 0) {
    if (parts.length === maxParts - 1 || rest.length <= maxLength) {
      if (rest.length <= maxLength) parts.push(rest)
      else parts.push(`${rest.slice(0, cutAt(rest, maxLength - 1))}…`)
      break
    }
    const window = rest.slice(0, maxLength + 1)
    const newline = window.lastIndexOf("\n")
    const end = newline > 0 ? newline : cutAt(rest, maxLength)
    const part = rest.slice(0, end).replace(/\n+$/, "")
    if (part.length > 0) parts.push(part)
    rest = rest.slice(end).replace(/^\n+/, "")
  }
  return parts
}

/** Options of {@link renderParts}. */
export interface RenderPartsOptions {
  readonly templates?: Templates | undefined
  readonly locale?: Locale | undefined
  /** The platform's longest text (UTF-16 units). */
  readonly maxLength: number
  /** The most parts the platform takes for one message (LINE: 5 per push); the last is cut beyond it. */
  readonly maxParts?: number | undefined
}

/** The kinds sent to a whole conversation (`Publish`): long ones are split, not cut. */
export const conversationKinds: ReadonlySet<MessageKind> = new Set<MessageKind>([
  "round-announcement",
  "cutoff-reminder",
  "sold-out"
])

/**
 * Renders one message as the texts to send within a platform's limit: a round's notices to a
 * conversation ({@link conversationKinds}) are {@link split} at line breaks instead of cut short,
 * so every item reaches the buyers; a message to one buyer is one text, cut with {@link clamp}.
 */
export const renderParts = (kind: MessageKind, data: Data, options: RenderPartsOptions): Array<string> => {
  const text = render(kind, data, { templates: options.templates, locale: options.locale })
  return conversationKinds.has(kind)
    ? split(text, options.maxLength, options.maxParts)
    : [clamp(text, options.maxLength)]
}

/** Options of {@link render}. */
export interface RenderOptions {
  /** Organiser overrides per kind. */
  readonly templates?: Templates | undefined
  /** Language of the built-in texts (default `zh-TW`). */
  readonly locale?: Locale | undefined
  /** The platform's longest text (UTF-16 units); longer texts are cut with {@link clamp}. */
  readonly maxLength?: number | undefined
}

/** Renders one message: the organiser's template for its kind if any, else the built-in one. */
export const render = (kind: MessageKind, data: Data, options: RenderOptions = {}): string => {
  const locale = options.locale ?? "zh-TW"
  const v = vars(data, locale)
  const custom = options.templates?.[kind]
  const text =
    custom === undefined
      ? defaults[locale][kind](data, v)
      : typeof custom === "string"
        ? fill(custom, data, v)
        : custom(data, v)
  return options.maxLength === undefined ? text : clamp(text, options.maxLength)
}

/**
 * The replenishment reminder's text (a `text` message, `Members.replenishReminder`): when the
 * category runs out (a Taipei date) and the open round with matching products.
 */
export const replenishText = (input: {
  readonly category: string
  readonly runsOutAt: string
  readonly roundTitle: string
  readonly products: ReadonlyArray<string>
}): string => {
  const day = taipeiText(input.runsOutAt).replace(/\s*\d{2}:\d{2}$/, "")
  return `補貨提醒：您家的${input.category}大約在 ${day}前後用完。「${input.roundTitle}」正在開團：${input.products.join("、")}，需要的話留言下單喔！`
}
