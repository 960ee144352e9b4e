/**
 * The inputs of the GroupBuy use cases as Schemas (decoded at the boundary: a bad input fails with
 * `GroupBuyError({ reason: "invalid-input" })` naming the field), and the limits on a comment's
 * ids and time. Re-exported by `GroupBuy`: use them as `GroupBuy.CommentInput`, `GroupBuy.ShipInput`…
 *
 * @since 0.2.0
 */
import { Context, Schema } from "effect"
import * as inputs from "../internal/inputs.js"
import { OrderStatus as OrderStatusSchema } from "../ReadModel.js"
import { RoundSpec as RoundSpecSchema } from "../RoundSpec.js"
import * as Shipment from "../Shipment.js"

/** An id a use case takes (a round, order, shipment, transaction…): 1–512 characters, no control characters. */
export const Id = inputs.IdString(inputs.MAX_ID_LENGTH)
/** A review item's id: `<channel>:<comment id>`, maybe with a suffix (`#unsent`). */
export const ItemId = inputs.IdString(inputs.MAX_CHANNEL_LENGTH + inputs.MAX_ID_LENGTH + 32)
export const Iso = inputs.IsoTime
export const Qty = Schema.Int.check(Schema.isGreaterThan(0))

/**
 * A comment from any channel or import. Decoded at the boundary of `submitComments` and
 * `editComment`: ids usable as storage keys (`channel` up to 64 characters, `author.id` up to
 * 256, `commentId`, `threadId` and `replyToken` up to 512; no control characters or lone
 * surrogates), no NUL in `text` or `author.name`, `at` an ISO 8601 date (and not later than
 * {@link MaxFutureSkew} after now, when a host sets it).
 *
 * - `commentId`: the message's id, unique within the channel (or within the round: see
 *   `idScope`). A comment is handled once: the same id again is a `duplicate`, or an
 *   `id-conflict` when another author or text comes under it.
 * - `idScope`: where `commentId` is unique. `channel` (the default): it names one message of the
 *   channel for good, and the message belongs to at most one round, ever (a redelivery while
 *   another round is open is a `duplicate` there). `round`: only among this round's comments, as
 *   the ids an import file numbers itself (JSON Lines `c1`, `c2`…), which another round's file
 *   may use again.
 */
export const CommentInput = inputs.CommentInputSchema
/** A comment from any channel or import (see the {@link CommentInput} Schema). */
export type CommentInput = typeof CommentInput.Type

/** A problem with an input: where (`comments[3].at`, `author.id`) and what rule it breaks (never the value). */
export type InputProblem = inputs.Problem

/**
 * The first problem of a comment input (its path relative to the comment: `at`, `author.id`), or
 * undefined when the {@link CommentInput} Schema takes it: the same rules, checked by hand (a
 * batch of 100,000 comments in a few milliseconds). Hosts that admit comments one by one (a
 * webhook that skips a bad event and keeps the rest of its delivery) call it before
 * `submitComments`, which fails the whole call on the first bad comment.
 */
export const commentProblem: (comment: unknown) => InputProblem | undefined = inputs.commentProblem

/**
 * Why `id` cannot be an id storage keys on, or undefined when it can: 1 to `max` characters, no
 * control characters (NUL, line breaks…), no lone surrogates (a UTF-8 database keeps one as
 * U+FFFD, PostgreSQL refuses NUL: such a key would never match itself again).
 */
export const idProblem: (id: string, max: number) => string | undefined = inputs.idProblem

/** The storage limits of a comment's ids: `channel`, `author.id`, and every other id (`commentId`, `threadId`…). */
export const ID_LIMITS = {
  channel: inputs.MAX_CHANNEL_LENGTH,
  authorId: inputs.MAX_AUTHOR_ID_LENGTH,
  id: inputs.MAX_ID_LENGTH
} as const

/** The input of {@link GroupBuyService.openRound}: the round file (decoded already) and when it opens. */
export const OpenRoundInput = Schema.Struct({ spec: Schema.toType(RoundSpecSchema), at: Schema.optional(Iso) })
/** The input of {@link GroupBuyService.openRound}. */
export type OpenRoundInput = typeof OpenRoundInput.Type

/**
 * The input of {@link GroupBuyService.submitComments}. The comments are checked by hand with the
 * same rules as {@link CommentInput} (a batch of 100,000 is checked in milliseconds).
 */
export const SubmitCommentsInput = Schema.Struct({ roundId: Id, comments: Schema.Array(CommentInput) })
/** The input of {@link GroupBuyService.submitComments}. */
export type SubmitCommentsInput = typeof SubmitCommentsInput.Type

/** The input of {@link GroupBuyService.editComment}. */
export const EditCommentInput = Schema.Struct({ roundId: Id, comment: CommentInput })
/** The input of {@link GroupBuyService.editComment}. */
export type EditCommentInput = typeof EditCommentInput.Type

/** The input of {@link GroupBuyService.removeComment}: the unsent comment's channel and id, and when. */
export const RemoveCommentInput = Schema.Struct({
  roundId: Id,
  channel: inputs.IdString(inputs.MAX_CHANNEL_LENGTH),
  commentId: Id,
  at: Iso
})
/** The input of {@link GroupBuyService.removeComment}. */
export type RemoveCommentInput = typeof RemoveCommentInput.Type

/** What the organiser decides a review item was (see {@link ResolveReviewInput}). */
export const ReviewAction = Schema.Literals(["order", "amend", "cancel", "dismiss"])
/** What the organiser decides a review item was. */
export type ReviewAction = typeof ReviewAction.Type

/** A line of a review decision: SKU and quantity (0 only in an amendment: it removes the line). */
export const ReviewLine = Schema.Struct({ sku: Id, qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) })

/**
 * The input of {@link GroupBuyService.resolveReview}: the review item (its `commentId`) and the
 * organiser's decision. `action` (default: `order` when `approve` has lines, else `dismiss`):
 * `order` adds the `approve` lines to the buyer's order; `amend` sets the buyer's quantities of
 * those SKUs to them (the comment changed an earlier order); `cancel` withdraws the buyer's order
 * in the round (before the cutoff from the book, after it the confirmed order is cancelled);
 * `dismiss` orders nothing. `order` and `amend` need the round open and lines; `cancel` and
 * `dismiss` take none.
 */
export const ResolveReviewInput = Schema.Struct({
  roundId: Id,
  commentId: ItemId,
  approve: Schema.optional(Schema.Array(ReviewLine)),
  action: Schema.optional(ReviewAction)
}).check(
  Schema.makeFilter((i) => {
    const lines = i.approve ?? []
    const action = i.action ?? (lines.length > 0 ? "order" : "dismiss")
    if ((action === "cancel" || action === "dismiss") && lines.length > 0)
      return { path: ["approve"], issue: `expected no lines for ${action}` }
    if ((action === "order" || action === "amend") && lines.length === 0)
      return { path: ["approve"], issue: `expected at least one line for ${action}` }
    if (action === "order") {
      const zero = lines.findIndex((l) => l.qty === 0)
      if (zero >= 0) return { path: ["approve", zero, "qty"], issue: "expected a quantity of at least 1" }
    }
    return undefined
  })
)
/** The input of {@link GroupBuyService.resolveReview}. */
export type ResolveReviewInput = typeof ResolveReviewInput.Type

/** The input of {@link GroupBuyService.closeRound}. */
export const CloseRoundInput = Schema.Struct({
  roundId: Id,
  at: Schema.optional(Iso),
  /** Why: `manual` (the organiser, the default) or `cutoff` (the scheduler's cutoff job). */
  reason: Schema.optional(Schema.Literals(["manual", "cutoff"]))
})
/** The input of {@link GroupBuyService.closeRound}. */
export type CloseRoundInput = typeof CloseRoundInput.Type

/** A payment decided by the reconciler or a gateway, ready to apply. */
export const PaymentInput = Schema.Struct({
  /** Statement row identity or gateway trade number: applying it twice changes nothing. */
  transactionId: Id,
  source: Schema.Literals(["statement", "gateway", "cash"]),
  /** Integer TWD, more than 0. */
  amount: Qty,
  at: Iso,
  bankCode: Schema.optional(inputs.Text),
  last5: Schema.optional(inputs.Text),
  /** The orders it pays, all of one buyer; empty = received but unmatched (kept for review). */
  orderIds: Schema.Array(Id),
  /** Why these orders, in words. */
  evidence: inputs.Text
})
/** A payment decided by the reconciler or a gateway, ready to apply. */
export type PaymentInput = typeof PaymentInput.Type

/** A line to ship: SKU and quantity. */
export const ShipLine = Schema.Struct({ sku: Id, qty: Qty })

/** The input of {@link GroupBuyService.ship}. */
export const ShipInput = Schema.Struct({
  orderId: Id,
  lines: Schema.Array(ShipLine),
  method: Shipment.Method,
  carrier: Schema.optional(inputs.Text),
  trackingNo: Schema.optional(inputs.Text)
})
/** The input of {@link GroupBuyService.ship}. */
export type ShipInput = typeof ShipInput.Type

/** A pickup code as typed or scanned (spaces, dashes and case do not matter). */
export const PickupCode = inputs.ShortText(64)

/** The input of {@link GroupBuyService.confirmPickup}. */
export const ConfirmPickupInput = Schema.Struct({ shipmentId: Id, code: PickupCode })
/** The input of {@link GroupBuyService.confirmPickup}. */
export type ConfirmPickupInput = typeof ConfirmPickupInput.Type

/** The input of {@link GroupBuyService.unlockPickup}. */
export const UnlockPickupInput = Schema.Struct({ shipmentId: Id, at: Schema.optional(Iso) })
/** The input of {@link GroupBuyService.unlockPickup}. */
export type UnlockPickupInput = typeof UnlockPickupInput.Type

/** The input of {@link GroupBuyService.findPickup}. */
export const FindPickupInput = Schema.Struct({ code: PickupCode })
/** The input of {@link GroupBuyService.findPickup}. */
export type FindPickupInput = typeof FindPickupInput.Type

/** The input of {@link GroupBuyService.cancelOrder} and {@link GroupBuyService.refundOrder}: the reason is told to the buyer. */
export const OrderChangeInput = Schema.Struct({ orderId: Id, reason: inputs.ShortText(500), at: Schema.optional(Iso) })
/** The input of {@link GroupBuyService.cancelOrder} and {@link GroupBuyService.refundOrder}. */
export type OrderChangeInput = typeof OrderChangeInput.Type

/**
 * The input of {@link GroupBuyService.orders}: a round's orders, optionally only these statuses or
 * this buyer; keyset pagination with `afterSeq` (the last order's `seq`) and `limit`.
 */
export const OrdersInput = Schema.Struct({
  roundId: Id,
  status: Schema.optional(Schema.Array(OrderStatusSchema)),
  buyerId: Schema.optional(Id),
  afterSeq: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  limit: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0)))
})
/** The input of {@link GroupBuyService.orders}. */
export type OrdersInput = typeof OrdersInput.Type

/** The input of {@link GroupBuyService.report}: the round id. */
export const ReportInput = Id

/**
 * How far after the clock's now a comment may be dated (ms): a later `at` is refused as
 * `invalid-input` (one comment dated in the future must not close a round by its date).
 * Unset by default, so replays and imports of any time go in (and tests on a clock at 1970); a
 * host taking live comments sets it, e.g. to {@link LIVE_FUTURE_SKEW_MS}:
 * `Effect.provideService(GroupBuy.MaxFutureSkew, GroupBuy.LIVE_FUTURE_SKEW_MS)` (the `kaituan`
 * SDK does).
 */
export const MaxFutureSkew = Context.Reference<number | undefined>("@kaituan/core/GroupBuy/MaxFutureSkew", {
  defaultValue: () => undefined
})

/** Five minutes: how much later than now a live comment may be dated (the platforms' clocks and ours differ a little). */
export const LIVE_FUTURE_SKEW_MS = 5 * 60_000
