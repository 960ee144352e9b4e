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
 * - `reason` (`after-cutoff` | `sold-out` | `over-cap` | `paused` | `dismissed` | `buyer-cancelled` | free
 *   text), `comment` or `text` (the
 *   comment, for `not-ordered` / `review-pending`), `product` or `label`
 * - `amount` (else `total`), `paid`, `remaining` (else `total − paid`), `dueAt`, `howToPay` (free
 *   text) or `bank: { name?, code?, account }`, `paymentUrl`
 * - `carrier`, `trackingNumber` or `trackingNo`, `pickupCode`, `place`, `until`
 * - `text` (kind `"text"`: sent verbatim)
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
    dismissed: "團主確認後未列入訂單",
    "buyer-cancelled": "依您的留言取消"
  },
  en: {
    "after-cutoff": "the round had closed",
    "sold-out": "it sold out",
    "over-cap": "the order limit was reached",
    paused: "the round is paused for now",
    dismissed: "the organiser did not take it as an order",
    "buyer-cancelled": "as your comment asked"
  }
}

const howToPayOf = (data: Data, locale: Locale): string => {
  const free = str(data["howToPay"])
  if (free) return free
  const bank = record(data["bank"])
  if (bank !== undefined && str(bank["account"])) {
    const name = [str(bank["name"]), str(bank["code"]) ? `(${str(bank["code"])})` : ""].join("")
    return locale === "zh-TW"
      ? `匯款至 ${name ? `${name} ` : ""}帳號 ${str(bank["account"])}，付款後請回覆帳號後五碼`
      : `Transfer to ${name ? `${name} ` : ""}account ${str(bank["account"])} and reply with the last 5 digits of your account`
  }
  const url = str(data["paymentUrl"])
  if (url) return locale === "zh-TW" ? `線上付款：${url}` : `Pay online: ${url}`
  return ""
}

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
    dueAt: str(data["dueAt"]),
    howToPay: howToPayOf(data, locale),
    carrier: str(data["carrier"]),
    trackingNumber: str(data["trackingNumber"]) || str(data["trackingNo"]),
    pickupCode: str(data["pickupCode"]),
    place: str(data["place"]),
    until: str(data["until"]),
    text: str(data["text"])
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
  "payment-due": (_d, v) =>
    join(
      `${v.greeting}請付款 ${v.amount || ""}`.trimEnd() + " 💰",
      v.howToPay,
      v.dueAt && `請於 ${v.dueAt} 前完成付款`
    ),
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
  text: (_d, v) => v.text
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
  "payment-due": (_d, v) =>
    join(`${v.greeting}please pay ${v.amount}`.trimEnd() + " 💰", v.howToPay, v.dueAt && `Please pay by ${v.dueAt}`),
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
  text: (_d, v) => v.text
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
