/**
 * The `insight-orders` read model (catch-up): one document per confirmed order with the facts the
 * insights need (docs/insights.md): its round, buyer, placement time, lines, payments, shipped
 * units with their dates, deliveries with their method, refunds, and whether it was cancelled.
 *
 * It reads the order's own stream (`OrderConfirmed`, `PaymentApplied`, `ShipmentAdded`,
 * `OrderCancelled`, `OrderRefunded`) and `ShipmentPacked` (which names the order) for the
 * delivery method. Lookup keys: `k1` the round, `k2` the Taipei month of placement (`YYYY-MM`),
 * `k3` the buyer — a year's report reads twelve months by key, never the events.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { arr, field, num, str, streamId } from "../internal/eventData.js"
import { taipeiMonth } from "../Insights.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One order's facts. */
export const Document = Schema.Struct({
  orderId: Schema.String,
  roundId: Schema.String,
  buyerId: Schema.String,
  placedAt: Schema.String,
  status: Schema.Literals(["confirmed", "cancelled", "refunded"]),
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int, unitPrice: Schema.Int })),
  payments: Schema.Array(Schema.Struct({ paymentId: Schema.String, amount: Schema.Int })),
  shipped: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int, at: Schema.String })),
  deliveries: Schema.Array(Schema.Struct({ shipmentId: Schema.String, method: Schema.String, at: Schema.String })),
  refunded: Schema.Int
})
/** One order's facts. */
export type Document = typeof Document.Type

/** The model's name. */
export const name = "insight-orders"

const orderTypes = ["OrderConfirmed", "PaymentApplied", "ShipmentAdded", "OrderCancelled", "OrderRefunded"]

const orderOf = (e: StoredEvent): string | undefined =>
  e.type === "ShipmentPacked" ? str(field(e.data, "orderId")) : streamId(e, "order")

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const d = e.data
  if (e.type === "OrderConfirmed") {
    const orderId = orderOf(e) ?? ""
    return {
      orderId,
      roundId: str(field(d, "roundId")) ?? "",
      buyerId: str(field(d, "buyerId")) ?? "",
      placedAt: str(field(d, "placedAt")) ?? e.at,
      status: "confirmed",
      lines: arr(field(d, "lines")).map((l) => ({
        sku: str(field(l, "sku")) ?? "",
        qty: num(field(l, "qty")),
        unitPrice: num(field(l, "unitPrice"))
      })),
      payments: doc?.payments ?? [],
      shipped: doc?.shipped ?? [],
      deliveries: doc?.deliveries ?? [],
      refunded: doc?.refunded ?? 0
    }
  }
  if (doc === undefined) return undefined
  switch (e.type) {
    case "PaymentApplied":
      return {
        ...doc,
        payments: [...doc.payments, { paymentId: str(field(d, "paymentId")) ?? "", amount: num(field(d, "amount")) }]
      }
    case "ShipmentAdded":
      return {
        ...doc,
        shipped: [
          ...doc.shipped,
          ...arr(field(d, "lines")).map((l) => ({
            sku: str(field(l, "sku")) ?? "",
            qty: num(field(l, "qty")),
            at: str(field(d, "at")) ?? e.at
          }))
        ]
      }
    case "ShipmentPacked":
      return {
        ...doc,
        deliveries: [
          ...doc.deliveries,
          {
            shipmentId: str(field(d, "shipmentId")) ?? "",
            method: str(field(d, "method")) ?? "",
            at: str(field(d, "at")) ?? e.at
          }
        ]
      }
    case "OrderCancelled":
      return { ...doc, status: "cancelled" }
    case "OrderRefunded":
      return { ...doc, status: "refunded", refunded: doc.refunded + num(field(d, "amount")) }
    default:
      return doc
  }
}

/** The definition (register it with `InsightFacts.readModels`). */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Document,
  eventTypes: [...orderTypes, "ShipmentPacked"],
  documentIds: (e) => {
    if (e.type !== "ShipmentPacked" && streamId(e, "order") === undefined) return []
    const id = orderOf(e)
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: doc.roundId, k2: taipeiMonth(doc.placedAt), k3: doc.buyerId })
}
