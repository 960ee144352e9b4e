/**
 * The messages derived from events (pure): what a comment's author is told (order confirmed,
 * updated, cancelled; lines not ordered; a 後五碼 payment report acknowledged), what a review item's author is told of the organiser's
 * decision, and the organiser's cancellations and refunds. Every message id is derived from what
 * caused it, so a retry queues nothing new. `roundMessages` is re-exported by `GroupBuy`.
 *
 * @since 0.2.0
 */
import { channelOf } from "../Buyer.js"
import type { Catalogue } from "../Catalogue.js"
import type { OutboundMessage, Recipient } from "../Notification.js"
import * as Round from "../Round.js"
import type { Listen } from "../RoundSpec.js"
import type { CommentInput } from "./Inputs.js"

const recipientOf = (c: CommentInput): Recipient => {
  // Plain assignments, not conditional spreads: this runs for every comment.
  const to: { -readonly [K in keyof Recipient]: Recipient[K] } = {
    channel: c.channel as Recipient["channel"],
    userId: c.author.id,
    replyToCommentId: c.commentId
  }
  if (c.threadId !== undefined) to.threadId = c.threadId
  if (c.replyToken !== undefined) to.replyToken = c.replyToken
  return to
}

/** A confirmed order's buyer as a message recipient (no comment to answer any more). */
export const buyerRecipient = (buyerId: string, userId: string): Recipient => ({
  channel: channelOf(buyerId) as Recipient["channel"],
  userId
})

interface LabelledLine {
  readonly sku: string
  readonly qty: number
  readonly unitPrice?: number
  readonly label: string
}

const labelLine = (
  catalogue: Catalogue | undefined,
  l: { readonly sku: string; readonly qty: number; readonly unitPrice?: number }
): LabelledLine => {
  const label = catalogue?.bySku.get(l.sku)?.label ?? l.sku
  // A literal, not `{ ...l, label }`: a spread followed by a new key is slow in V8 (hot path).
  return l.unitPrice === undefined
    ? { sku: l.sku, qty: l.qty, label }
    : { sku: l.sku, qty: l.qty, unitPrice: l.unitPrice, label }
}

/**
 * Shared labelled lines, per catalogue: SKU → quantity → line. Order messages label the same few
 * values over and over (a catalogue's SKUs at small quantities), and each message keeps its lines
 * until it is sent, so a replay kept one object per line per message. One frozen object per
 * (SKU, quantity, price) serves them all; quantities from SHARED_QTY up are labelled afresh.
 */
const sharedLabels = new WeakMap<Catalogue, Map<string, Array<LabelledLine | undefined>>>()
const SHARED_QTY = 100

export const labelLines = (
  catalogue: Catalogue | undefined,
  lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly unitPrice?: number }>
): Array<LabelledLine> => {
  if (catalogue === undefined) return lines.map((l) => labelLine(catalogue, l))
  let bySku = sharedLabels.get(catalogue)
  if (bySku === undefined) {
    bySku = new Map()
    sharedLabels.set(catalogue, bySku)
  }
  const out = new Array<LabelledLine>(lines.length)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (!(Number.isInteger(l.qty) && l.qty >= 0 && l.qty < SHARED_QTY)) {
      out[i] = labelLine(catalogue, l)
      continue
    }
    let byQty = bySku.get(l.sku)
    if (byQty === undefined) {
      byQty = []
      bySku.set(l.sku, byQty)
    }
    let shared = byQty[l.qty]
    if (shared === undefined || shared.unitPrice !== l.unitPrice) {
      shared = Object.freeze(labelLine(catalogue, l))
      byQty[l.qty] = shared
    }
    out[i] = shared
  }
  return out
}

const notOrderedData = (catalogue: Catalogue | undefined, e: Extract<Round.Event, { _tag: "CommentNotOrdered" }>) => {
  const data: Record<string, unknown> = { reason: e.reason, text: e.text }
  if (e.sku) {
    data.sku = e.sku
    data.label = catalogue?.bySku.get(e.sku)?.label ?? e.sku
  }
  if (e.qty) data.qty = e.qty
  return data
}

/**
 * The buyers' messages of 流團 events ({@link Round.ProductBelowMinimum}): a `not-ordered` message,
 * reason `below-minimum`, per line cancelled, with the product and quantity. Ids
 * `<round>:below-minimum:<order>:<sku>`: a retried close queues nothing new.
 */
export const belowMinimumMessages = (
  after: Round.State,
  events: ReadonlyArray<Round.Event>
): Array<OutboundMessage> => {
  const out: Array<OutboundMessage> = []
  const round = idPart(after.spec?.id ?? "")
  for (const e of events) {
    if (e._tag !== "ProductBelowMinimum" && e._tag !== "RoundBelowMinimum") continue
    for (const l of e.lines)
      out.push({
        id: [round, "below-minimum", idPart(l.orderId), idPart(l.sku)].join(":"),
        kind: "not-ordered",
        to: buyerRecipient(l.buyerId, l.buyer.id),
        data: {
          // The round's own minimum (`minimumOrders`) or the product's.
          reason: e._tag === "RoundBelowMinimum" ? "round-below-minimum" : "below-minimum",
          orderId: l.orderId,
          sku: l.sku,
          label: after.catalogue?.bySku.get(l.sku)?.label ?? l.sku,
          qty: l.qty
        },
        createdAt: e.at
      })
  }
  return out
}

/** A part of a message id: `:` and `%` escaped, so ids built from different parts never meet. */
export const idPart = (s: string): string =>
  s.includes(":") || s.includes("%") ? s.replaceAll("%", "%25").replaceAll(":", "%3A") : s

/**
 * Messages caused by round events for the comment's author. A message's id names the round, the
 * channel, the comment and the kind (and the SKU of a not-ordered line): a retry of the same
 * comment makes the same ids (the outbox keeps one message per id), and no two comments, rounds or
 * lines share one.
 */
export const roundMessages = (
  after: Round.State,
  c: CommentInput,
  events: ReadonlyArray<Round.Event>,
  /** The book entry of the comment's buyer in `after`, if the caller has looked it up. */
  known?: Round.BookEntry
): Array<OutboundMessage> => {
  // Runs for every comment: nothing is allocated for a comment that sends no message.
  let out: Array<OutboundMessage> | undefined
  let to: Recipient | undefined
  let entry: Round.BookEntry | undefined = known
  let changed: OutboundMessage["kind"] | undefined
  for (const e of events) {
    if (e._tag === "LinesOrdered") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed ??= e.newOrder ? "order-confirmed" : "order-updated"
    } else if (e._tag === "LinesSet") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed ??= entry && entry.lines.length > 0 ? "order-updated" : "order-cancelled"
    } else if (e._tag === "OrderWithdrawn") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed = "order-cancelled"
    } else if (e._tag === "PaymentReported") {
      // A buyer's 後五碼 report: acknowledged (checked later, against the statement).
      to ??= recipientOf(c)
      out ??= []
      const data: Record<string, unknown> = {}
      if (e.last5 !== undefined) data.last5 = e.last5
      if (e.amount !== undefined) data.amount = e.amount
      out.push({
        id: messageId(after, c, "payment-reported", undefined, undefined),
        kind: "payment-reported",
        to,
        data,
        createdAt: e.at
      })
    } else if (e._tag === "WaitlistJoined") {
      // 候補: the line's not-ordered message becomes the buyer's place on the waiting list.
      to ??= recipientOf(c)
      out ??= []
      const joined: OutboundMessage = {
        id: messageId(after, c, "waitlist-joined", e.sku, undefined),
        kind: "waitlist-joined",
        to,
        data: {
          sku: e.sku,
          label: after.catalogue?.bySku.get(e.sku)?.label ?? e.sku,
          qty: e.qty,
          position: Round.placeOf(after, e.sku, e.buyerId) ?? 0,
          text: e.text
        },
        createdAt: e.at
      }
      let i = out.length - 1
      while (i >= 0 && !(out[i]!.kind === "not-ordered" && out[i]!.data.sku === e.sku)) i--
      if (i >= 0) out[i] = joined
      else out.push(joined)
    } else if (e._tag === "WaitlistLeft" && e.reason === "cancelled" && changed === undefined) {
      to ??= recipientOf(c)
      out ??= []
      if (!hasId(out, messageId(after, c, "order-cancelled", "waitlist", undefined)))
        out.push({
          id: messageId(after, c, "order-cancelled", "waitlist", undefined),
          kind: "order-cancelled",
          to,
          data: { reason: "waitlist-left" },
          createdAt: e.at
        })
    } else if (e._tag === "CommentNotOrdered") {
      to ??= recipientOf(c)
      out ??= []
      let id = messageId(after, c, "not-ordered", e.sku ?? "", undefined)
      // Two lines of one comment for one SKU that did not fit: one message each.
      for (let n = 2; hasId(out, id); n++) id = messageId(after, c, "not-ordered", e.sku ?? "", n)
      out.push({
        id,
        kind: "not-ordered",
        to,
        data: notOrderedData(after.catalogue, e),
        createdAt: e.at
      })
    }
  }
  if (changed !== undefined && after.spec?.listens !== undefined && after.spec.listens.length > 0) {
    const soldOut = soldOutMessages(after, events, c.at)
    if (soldOut.length > 0) {
      out ??= []
      for (const m of soldOut) out.push(m)
    }
  }
  if (changed === undefined) return out ?? []
  to ??= recipientOf(c)
  const data = entry
    ? { orderId: entry.orderId, lines: labelLines(after.catalogue, entry.lines), total: Round.total(entry.lines) }
    : {}
  const message: OutboundMessage = {
    id: messageId(after, c, changed, undefined, undefined),
    kind: changed,
    to,
    data,
    createdAt: c.at
  }
  if (out === undefined) return [message]
  out.unshift(message)
  return out
}

const hasId = (messages: ReadonlyArray<OutboundMessage>, id: string): boolean => {
  for (const m of messages) if (m.id === id) return true
  return false
}

/**
 * A message's id: `<round>:<channel>:<comment>:<kind>`, and for a not-ordered line `:<sku>` (and
 * `:<n>` from the second line of that SKU on), each part escaped. One join, not a template: a
 * template leaves a chain of rope strings that the outbox keeps (~200 B a message).
 */
const messageId = (
  after: Round.State,
  c: CommentInput,
  kind: OutboundMessage["kind"],
  sku: string | undefined,
  n: number | undefined
): string => {
  const round = idPart(after.spec?.id ?? "")
  const channel = idPart(c.channel)
  const comment = idPart(c.commentId)
  if (sku === undefined) return [round, channel, comment, kind].join(":")
  return n === undefined
    ? [round, channel, comment, kind, idPart(sku)].join(":")
    : [round, channel, comment, kind, idPart(sku), n].join(":")
}

/**
 * Messages telling a review item's author what the organiser decided: the order confirmed,
 * updated or cancelled (with its lines and total), lines that did not fit (sold out…), or
 * `not-ordered` with reason `dismissed`. Ids `review:<round>:<item>:<kind>`: a retry queues nothing new.
 */
export const reviewMessages = (
  roundId: string,
  after: Round.State,
  item: Round.ReviewEntry,
  events: ReadonlyArray<Round.Event>,
  at: string,
  /** The confirmed order the decision cancelled (after the cutoff). */
  cancelled?: string
): Array<OutboundMessage> => {
  const to = buyerRecipient(item.buyerId, item.buyer.id)
  const idOf = (kind: OutboundMessage["kind"], sku?: string) =>
    ["review", idPart(roundId), idPart(item.commentId), kind, ...(sku === undefined ? [] : [idPart(sku)])].join(":")
  const out: Array<OutboundMessage> = []
  let changed: OutboundMessage["kind"] | undefined
  let entry: Round.BookEntry | undefined
  for (const e of events) {
    switch (e._tag) {
      case "LinesOrdered":
        entry ??= Round.lookup(after.book, e.buyerId)
        changed ??= e.newOrder ? "order-confirmed" : "order-updated"
        break
      case "LinesSet":
        entry ??= Round.lookup(after.book, e.buyerId)
        changed ??= entry && entry.lines.length > 0 ? "order-updated" : "order-cancelled"
        break
      case "OrderWithdrawn":
        entry ??= Round.lookup(after.book, e.buyerId)
        changed = "order-cancelled"
        break
      case "CommentNotOrdered":
        out.push({
          id: idOf("not-ordered", e.sku ?? ""),
          kind: "not-ordered",
          to,
          data: { ...notOrderedData(after.catalogue, e), text: item.text },
          createdAt: at
        })
        break
      case "ReviewResolved":
        if (e.decision === "dismissed")
          out.push({
            id: idOf("not-ordered"),
            kind: "not-ordered",
            to,
            data: { reason: "dismissed", text: item.text },
            createdAt: at
          })
        break
      default:
        break
    }
  }
  for (const m of soldOutMessages(after, events, at)) out.push(m)
  if (cancelled !== undefined)
    out.unshift({
      id: idOf("order-cancelled"),
      kind: "order-cancelled",
      to,
      data: { orderId: cancelled, reason: "buyer-cancelled" },
      createdAt: at
    })
  else if (changed !== undefined && entry !== undefined)
    out.unshift({
      id: idOf(changed),
      kind: changed,
      to,
      data:
        changed === "order-cancelled"
          ? { orderId: entry.orderId, reason: "buyer-cancelled" }
          : {
              orderId: entry.orderId,
              lines: labelLines(after.catalogue, entry.lines),
              total: Round.total(entry.lines)
            },
      createdAt: at
    })
  return out
}

/** The message telling a buyer the organiser cancelled or refunded their order, and why. */
export const orderChangeMessage = (
  kind: "order-cancelled" | "order-refunded",
  order: { readonly orderId: string; readonly buyerId: string; readonly buyer: { readonly id: string } },
  data: Record<string, unknown>,
  at: string
): OutboundMessage => ({
  id: `order:${order.orderId}:${kind === "order-cancelled" ? "cancelled" : "refunded"}`,
  kind,
  to: buyerRecipient(order.buyerId, order.buyer.id),
  data: { orderId: order.orderId, ...data },
  createdAt: at
})

/**
 * A conversation of the round (one of its `listens`) as a message recipient: the whole LINE group
 * or room, Telegram chat or Facebook post (or Page), not one buyer (`userId` is empty).
 */
export const conversationRecipient = (listen: Listen): Recipient => ({
  channel: listen.channel as Recipient["channel"],
  userId: "",
  threadId: listen.conversation
})

/** The supply of a SKU as the round notices name it. */
export const supplyOf = (catalogue: Catalogue | undefined, sku: string): "in-stock" | "preorder" | "unlimited" => {
  const supply = catalogue?.bySku.get(sku)?.supply._tag
  return supply === "InStock" ? "in-stock" : supply === "Preorder" ? "preorder" : "unlimited"
}

/**
 * Sold-out notices (kind `sold-out`) to every conversation of the round, for each SKU whose last
 * unit (or last pre-order place) these events took: a `LinesOrdered` line, or a `LinesSet` line
 * that went up, of a SKU with nothing left after them. Derived from the events, so a SKU that is
 * restocked and sells out again is announced again. Id
 * `soldout:<round>:<sku>:<comment>:<channel>:<conversation>`: the comment that took the last unit
 * names the sell-out, so a retry of the same command queues nothing new.
 */
export const soldOutMessages = (
  after: Round.State,
  events: ReadonlyArray<Round.Event>,
  at: string
): Array<OutboundMessage> => {
  const listens = after.spec?.listens
  if (listens === undefined || listens.length === 0) return []
  let out: Array<OutboundMessage> | undefined
  let seen: Set<string> | undefined
  const consider = (sku: string, commentId: string) => {
    if (after.stock[sku]?.left !== 0) return
    const key = `${sku}\u0000${commentId}`
    seen ??= new Set()
    if (seen.has(key)) return
    seen.add(key)
    out ??= []
    const data = {
      round: after.spec?.title ?? "",
      sku,
      label: after.catalogue?.bySku.get(sku)?.label ?? sku,
      supply: supplyOf(after.catalogue, sku)
    }
    const round = idPart(after.spec?.id ?? "")
    for (const l of listens)
      out.push({
        id: ["soldout", round, idPart(sku), idPart(commentId), idPart(l.channel), idPart(l.conversation)].join(":"),
        kind: "sold-out",
        to: conversationRecipient(l),
        data,
        createdAt: at
      })
  }
  for (const e of events) {
    if (e._tag === "LinesOrdered") {
      for (const l of e.lines) if (l.qty > 0) consider(l.sku, e.commentId)
    } else if (e._tag === "LinesSet") {
      for (const l of e.lines) if (l.to > l.from) consider(l.sku, e.commentId)
    }
  }
  return out ?? []
}

/**
 * The messages of waiting-list promotions (候補遞補) among `events`: each promoted buyer is told
 * (`waitlist-promoted`: the SKU and units, and their order's lines and total), id
 * `<round>:waitlist-promoted:<promotion>` (the promotion's `LinesOrdered` comment id names it), so
 * a retry queues nothing new.
 */
export const waitlistMessages = (after: Round.State, events: ReadonlyArray<Round.Event>): Array<OutboundMessage> => {
  const out: Array<OutboundMessage> = []
  const round = idPart(after.spec?.id ?? "")
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    if (e._tag !== "WaitlistPromoted") continue
    const ordered = events[i + 1]
    if (ordered === undefined || ordered._tag !== "LinesOrdered") continue
    const entry = Round.lookup(after.book, e.buyerId)
    const lines = entry !== undefined && entry.orderId === e.orderId ? entry.lines : ordered.lines
    out.push({
      id: [round, "waitlist-promoted", idPart(ordered.commentId)].join(":"),
      kind: "waitlist-promoted",
      to: buyerRecipient(e.buyerId, e.buyer.id),
      data: {
        round: after.spec?.title ?? "",
        orderId: e.orderId,
        sku: e.sku,
        label: after.catalogue?.bySku.get(e.sku)?.label ?? e.sku,
        qty: e.qty,
        lines: labelLines(after.catalogue, lines),
        total: Round.total(lines)
      },
      createdAt: e.at
    })
  }
  return out
}

/**
 * Where the promotions of a command's events start (`events.length` when there are none): the
 * command's own events come first, then what the stock it freed did to the waiting lists.
 */
export const promotionStart = (events: ReadonlyArray<Round.Event>): number => {
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    if (e._tag === "WaitlistPromoted" || (e._tag === "WaitlistLeft" && e.reason === "over-limit")) return i
  }
  return events.length
}

/**
 * The buyers told their pre-order (預購) arrived: one `preorder-arrived` message per order with
 * lines of the `skus`, listing those lines; id `<round>:preorder-arrived:<order>:<skus>`.
 */
export const arrivedMessages = (
  roundId: string,
  catalogue: Catalogue | undefined,
  title: string,
  orders: ReadonlyArray<{
    readonly orderId: string
    readonly buyerId: string
    readonly buyer: { readonly id: string }
    readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly unitPrice?: number }>
  }>,
  skus: ReadonlyArray<string>,
  at: string
): Array<OutboundMessage> => {
  const out: Array<OutboundMessage> = []
  const arrived = new Set(skus)
  const skuPart = [...skus].sort().map(idPart).join(",")
  for (const o of orders) {
    const lines = o.lines.filter((l) => arrived.has(l.sku) && l.qty > 0)
    if (lines.length === 0) continue
    out.push({
      id: [idPart(roundId), "preorder-arrived", idPart(o.orderId), skuPart].join(":"),
      kind: "preorder-arrived",
      to: buyerRecipient(o.buyerId, o.buyer.id),
      data: { round: title, orderId: o.orderId, lines: labelLines(catalogue, lines) },
      createdAt: at
    })
  }
  return out
}
