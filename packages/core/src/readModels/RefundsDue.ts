/**
 * The `refunds-due` read model (inline): one document per order that owes its buyer money back,
 * for the organiser's "to refund" list (退款待辦). An order comes onto the list when lines come
 * back (`OrderLinesReturned` with an amount) or when it is cancelled with money received
 * (`OrderCancelled` with `refundDue`), and leaves it once the money went back: a full refund
 * (`OrderRefunded`) removes it; a partial one (`OrderPartlyRefunded`) lowers what is due and
 * removes it at 0. Each document keeps why (the reason codes, for the return-rate KPI) and what
 * came back.
 *
 * No personal data: the buyer id is the channel identity (`line:U…`), as in the order's events.
 * Lookup key `k1`: the round (`ReadModels.list(RefundsDue.definition, { key: { k: "k1", value: roundId } })`).
 *
 * @since 0.5.0
 */
import { Schema } from "effect"
import { RefundReason } from "../Order.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One cause of a refund due: a return of lines or a cancellation of a paid order. */
export const Cause = Schema.Struct({
  kind: Schema.Literals(["return", "cancel"]),
  /** NT$ it made due. */
  amount: Schema.Int,
  reasonCode: Schema.optional(RefundReason),
  /** The organiser's words, when given. */
  reason: Schema.optional(Schema.String),
  /** For a return: the shipment and the lines that came back. */
  shipmentId: Schema.optional(Schema.String),
  lines: Schema.optional(Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int }))),
  at: Schema.String
})
export type Cause = typeof Cause.Type

/** An order that owes its buyer money back. */
export const Document = Schema.Struct({
  orderId: Schema.String,
  roundId: Schema.String,
  buyerId: Schema.String,
  /** NT$ still to give back. */
  due: Schema.Int,
  /** NT$ given back by partial refunds since it came onto the list. */
  refunded: Schema.Int,
  causes: Schema.Array(Cause),
  since: Schema.String,
  updatedAt: Schema.String
})
export type Document = typeof Document.Type

/** The model's name. */
export const name = "refunds-due"

const field = (data: unknown, key: string): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const int = (u: unknown): number => (typeof u === "number" && Number.isInteger(u) ? u : 0)
const isReason = Schema.is(RefundReason)
const reasonCodeOf = (data: unknown) => {
  const c = field(data, "reasonCode")
  return isReason(c) ? { reasonCode: c } : {}
}
const linesOf = (data: unknown) => {
  const raw = field(data, "lines")
  if (!Array.isArray(raw)) return {}
  return { lines: raw.map((l) => ({ sku: str(field(l, "sku")) ?? "", qty: int(field(l, "qty")) })) }
}

const eventTypes = ["OrderLinesReturned", "OrderCancelled", "OrderRefunded", "OrderPartlyRefunded"]

const orderOf = (e: StoredEvent): string | undefined => (e.stream.startsWith("order:") ? e.stream.slice(6) : undefined)

/** A new cause: the document (new or not) with `amount` more due. */
const add = (doc: Document | undefined, orderId: string, e: StoredEvent, cause: Cause): Document | undefined => {
  if (cause.amount <= 0) return doc
  const roundId = str(field(e.data, "roundId"))
  const buyerId = str(field(e.data, "buyerId"))
  // Events recorded before they named the round and buyer cannot be listed.
  if (doc === undefined && (roundId === undefined || buyerId === undefined)) return undefined
  return {
    orderId,
    roundId: doc?.roundId ?? roundId ?? "",
    buyerId: doc?.buyerId ?? buyerId ?? "",
    due: (doc?.due ?? 0) + cause.amount,
    refunded: doc?.refunded ?? 0,
    causes: [...(doc?.causes ?? []), cause],
    since: doc?.since ?? e.at,
    updatedAt: e.at
  }
}

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const orderId = orderOf(e)
  if (orderId === undefined) return doc
  const reason = str(field(e.data, "reason"))
  switch (e.type) {
    case "OrderLinesReturned":
      return add(doc, orderId, e, {
        kind: "return",
        amount: int(field(e.data, "amount")),
        ...reasonCodeOf(e.data),
        ...(reason === undefined ? {} : { reason }),
        ...(str(field(e.data, "shipmentId")) === undefined ? {} : { shipmentId: str(field(e.data, "shipmentId"))! }),
        ...linesOf(e.data),
        at: e.at
      })
    case "OrderCancelled":
      return add(doc, orderId, e, {
        kind: "cancel",
        amount: int(field(e.data, "refundDue")),
        ...reasonCodeOf(e.data),
        ...(reason === undefined ? {} : { reason }),
        at: e.at
      })
    case "OrderRefunded":
      return undefined
    case "OrderPartlyRefunded": {
      if (doc === undefined) return undefined
      const amount = int(field(e.data, "amount"))
      const due = doc.due - amount
      return due <= 0 ? undefined : { ...doc, due, refunded: doc.refunded + amount, updatedAt: e.at }
    }
    default:
      return doc
  }
}

/** The definition: built in (`ReadModels.builtIn`); query it with `ReadModels.get`/`list`. */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "inline",
  document: Document,
  eventTypes,
  documentIds: (e) => {
    const id = orderOf(e)
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: doc.roundId })
}
