/**
 * The `insight-payments` read model (catch-up): one document per payment received — how it came
 * (`statement`, `gateway`, `cash`), the gateway when the event names it, and the amount — so the
 * insights can charge each order's payments their fee rate. Lookup key `k1`: the source.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { field, num, str, streamId } from "../internal/eventData.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One payment. */
export const Document = Schema.Struct({
  paymentId: Schema.String,
  source: Schema.String,
  gateway: Schema.optional(Schema.String),
  amount: Schema.Int
})
/** One payment. */
export type Document = typeof Document.Type

/** The model's name. */
export const name = "insight-payments"

const evolve = (_doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const d = e.data
  const gateway = str(field(d, "gateway"))
  return {
    paymentId: str(field(d, "paymentId")) ?? streamId(e, "payment") ?? "",
    source: str(field(d, "source")) ?? "",
    ...(gateway === undefined ? {} : { gateway }),
    amount: num(field(d, "amount"))
  }
}

/** The definition (register it with `InsightFacts.readModels`). */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Document,
  eventTypes: ["PaymentReceived"],
  documentIds: (e) => {
    const id = streamId(e, "payment")
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: doc.source })
}
