/**
 * The `insight-shipments` read model (catch-up): one document per shipment — its order, method,
 * lines and, when it came back, the return's reason and time. `ShipmentReturned` names only its
 * shipment, so this model joins a return to its order and units. Lookup keys: `k1` the order,
 * `k2` `returned` once it came back (a report reads only the returned ones).
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { arr, field, num, str, streamId } from "../internal/eventData.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One shipment. */
export const Document = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  method: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int })),
  packedAt: Schema.String,
  returned: Schema.optional(Schema.Struct({ reason: Schema.String, at: Schema.String }))
})
/** One shipment. */
export type Document = typeof Document.Type

/** The model's name. */
export const name = "insight-shipments"

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const d = e.data
  if (e.type === "ShipmentPacked")
    return {
      shipmentId: str(field(d, "shipmentId")) ?? streamId(e, "shipment") ?? "",
      orderId: str(field(d, "orderId")) ?? "",
      method: str(field(d, "method")) ?? "",
      lines: arr(field(d, "lines")).map((l) => ({ sku: str(field(l, "sku")) ?? "", qty: num(field(l, "qty")) })),
      packedAt: str(field(d, "at")) ?? e.at
    }
  if (doc === undefined) return undefined
  return e.type === "ShipmentReturned"
    ? { ...doc, returned: { reason: str(field(d, "reason")) ?? "", at: str(field(d, "at")) ?? e.at } }
    : doc
}

/** The definition (register it with `InsightFacts.readModels`). */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Document,
  eventTypes: ["ShipmentPacked", "ShipmentReturned"],
  documentIds: (e) => {
    const id = streamId(e, "shipment")
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: doc.orderId, k2: doc.returned === undefined ? undefined : "returned" })
}
