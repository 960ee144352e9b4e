/**
 * Read models: the rows the apps query (orders by status, the review queue, the not-ordered
 * list, buyers, stock left). They are derived from events by the use cases and written in the
 * same commit as the events, so they are never out of step; `Projector` rebuilds them from the
 * events alone.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { Author, LearnedAccount } from "./Buyer.js"

/** Order statuses, as the back office folders show them (待收款 awaiting payment, 待出貨 paid…). */
export const OrderStatus = Schema.Literals([
  "open",
  "awaiting-payment",
  "paid",
  "partly-shipped",
  "shipped",
  "completed",
  "cancelled",
  "refunded"
])
export type OrderStatus = typeof OrderStatus.Type

/** An order line with its unit price. */
export const OrderLine = Schema.Struct({
  sku: Schema.String,
  qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  unitPrice: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})
export type OrderLine = typeof OrderLine.Type

/** One order as the apps see it. */
export const OrderView = Schema.Struct({
  roundId: Schema.String,
  orderId: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  status: OrderStatus,
  lines: Schema.Array(OrderLine),
  total: Schema.Int,
  paid: Schema.Int,
  /** Position of the order's first comment in the round (orders list in this order). */
  seq: Schema.Int,
  placedAt: Schema.String,
  updatedAt: Schema.String
})
export type OrderView = typeof OrderView.Type

/** A comment waiting for the organiser's decision. */
export const ReviewItem = Schema.Struct({
  roundId: Schema.String,
  commentId: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  text: Schema.String,
  reason: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.NullOr(Schema.String), qty: Schema.Int })),
  seq: Schema.Int,
  at: Schema.String,
  resolved: Schema.Boolean
})
export type ReviewItem = typeof ReviewItem.Type

/**
 * Why a comment (or part of it) did not become an order: `after-cutoff` (the round had closed),
 * `sold-out`, `over-cap` (a pre-order's cap), `round-closed` (not opened yet), `paused` (the
 * organiser paused the round: nothing is ordered until it resumes), `over-limit` (beyond the
 * product's per-buyer limit, 限購), `below-minimum` (the product did not reach its minimum at the
 * close, 流團: the buyer's lines of it were cancelled), `waitlisted` (sold out, and the buyer waits
 * on the SKU's waiting list, 候補, at `place`).
 */
export const NotOrderedReason = Schema.Literals([
  "after-cutoff",
  "sold-out",
  "over-cap",
  "round-closed",
  "paused",
  "over-limit",
  "below-minimum",
  "waitlisted"
])
export type NotOrderedReason = typeof NotOrderedReason.Type

/** A comment (or the unfilled part of a line) that did not become an order. */
export const NotOrderedItem = Schema.Struct({
  roundId: Schema.String,
  commentId: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  text: Schema.String,
  reason: NotOrderedReason,
  sku: Schema.optional(Schema.String),
  qty: Schema.optional(Schema.Int),
  /** With reason `waitlisted`: the buyer's place on the SKU's waiting list when they joined (1: next). */
  place: Schema.optional(Schema.Int),
  seq: Schema.Int,
  at: Schema.String
})
export type NotOrderedItem = typeof NotOrderedItem.Type

/** Stock of one SKU in one round: `left` is null when unlimited. */
export const StockView = Schema.Struct({
  roundId: Schema.String,
  sku: Schema.String,
  left: Schema.NullOr(Schema.Int),
  sold: Schema.Int
})
export type StockView = typeof StockView.Type

/** A change to the read models, computed by the use cases from the events of the same commit. */
export const ViewChange = Schema.Union([
  Schema.TaggedStruct("UpsertOrder", { order: OrderView }),
  Schema.TaggedStruct("UpsertReview", { item: ReviewItem }),
  Schema.TaggedStruct("AddNotOrdered", { item: NotOrderedItem }),
  Schema.TaggedStruct("SetStock", { stock: StockView }),
  Schema.TaggedStruct("AddBuyerIdentity", {
    buyerId: Schema.String,
    name: Schema.String,
    channel: Schema.String,
    userId: Schema.String
  }),
  Schema.TaggedStruct("LearnAccount", { buyerId: Schema.String, account: LearnedAccount })
])
export type ViewChange = typeof ViewChange.Type
