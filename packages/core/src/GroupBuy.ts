/**
 * The GroupBuy use cases: open a round (with its cutoff job), take comments (parse → decide →
 * persist → notify, idempotently per comment id), decide the review queue, close at the cutoff,
 * apply payments, cancel and refund, ship, confirm meet-up pickups (with a lockout after too many
 * wrong codes), and report. Every input is a Schema decoded at the boundary.
 *
 * It composes the pure deciders with the ports: Storage, CommentParser, IdGenerator and Effect's
 * Clock. Every use case writes its events, the read-model changes they cause and the messages to
 * send in one Storage commit, so a retry or a crash never loses or doubles anything.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Effect, Layer, Ref, Result, Schema } from "effect"
import * as inputs from "./internal/inputs.js"
import { isoMillis } from "./internal/isoMillis.js"
import { type Author, buyerIdFor, channelOf } from "./Buyer.js"
import type { Catalogue } from "./Catalogue.js"
import { CommentParser, type CompiledParser } from "./CommentParser.js"
import { IdGenerator } from "./IdGenerator.js"
import type { OutboundMessage, Recipient } from "./Notification.js"
import * as Order from "./Order.js"
import * as Payment from "./Payment.js"
import {
  type NotOrderedItem,
  type OrderStatus,
  OrderStatus as OrderStatusSchema,
  type OrderView,
  type ReviewItem,
  type StockView,
  type ViewChange
} from "./ReadModel.js"
import * as Round from "./Round.js"
import { RoundSpec as RoundSpecSchema } from "./RoundSpec.js"
import { traceGroupBuy } from "./internal/tracedGroupBuy.js"
import * as Shipment from "./Shipment.js"
import {
  type Commit,
  type NewEvent,
  orderStream,
  paymentStream,
  roundStream,
  shipmentStream,
  Storage,
  StorageError
} from "./Storage.js"

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/** An id a use case takes (a round, order, shipment, transaction…): 1–512 characters, no control characters. */
const Id = inputs.IdString(inputs.MAX_ID_LENGTH)
/** A review item's id: `<channel>:<comment id>`, maybe with a suffix (`#unsent`). */
const ItemId = inputs.IdString(inputs.MAX_CHANNEL_LENGTH + inputs.MAX_ID_LENGTH + 32)
const Iso = inputs.IsoTime
const Qty = Schema.Int.check(Schema.isGreaterThan(0))

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
const PickupCode = inputs.ShortText(64)

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

/** What became of one comment. */
export interface CommentOutcome {
  readonly commentId: string
  readonly status:
    | "ordered"
    | "partly-ordered"
    | "amended"
    | "cancelled"
    | "review"
    | "not-ordered"
    | "payment-reported"
    | "ignored"
    | "duplicate"
    | "id-conflict"
  readonly orderId?: string | undefined
  readonly reason: string
  readonly events: ReadonlyArray<Round.Event>
}

/** The round's numbers, as `kaituan round replay --json` prints them (CLI.md). */
export interface RoundReport {
  readonly roundId: string
  readonly status: Round.Status
  readonly orders: ReadonlyArray<OrderView>
  readonly review: ReadonlyArray<ReviewItem>
  readonly notOrdered: ReadonlyArray<NotOrderedItem>
  readonly stock: ReadonlyArray<StockView>
}

/** What became of a recorded payment. */
export interface PaymentOutcome {
  readonly paymentId: string
  readonly status: "matched" | "unmatched" | "duplicate"
}

/**
 * A use case refused: the message says why in the organiser's words. `invalid-input`: an input
 * broke its Schema (`field` names it, `comments[3].at`; the message never quotes the value);
 * `locked`: too many wrong pickup codes (see `unlockPickup`); `rejected`: the aggregate refused
 * the command (a closed round, a wrong pickup code, more shipped than ordered…).
 */
export class GroupBuyError extends Data.TaggedError("GroupBuyError")<{
  readonly reason:
    | "unknown-round"
    | "rejected"
    | "unknown-order"
    | "unknown-shipment"
    | "conflict"
    | "invalid-input"
    | "locked"
  readonly message: string
  /** For `invalid-input`: the field at fault, as a path (`comments[3].at`). */
  readonly field?: string | undefined
  readonly cause?: unknown
}> {}

/** A meet-up pickup found by its code (see {@link GroupBuyService.findPickup}). */
export interface PickupView {
  readonly shipmentId: string
  readonly orderId: string
  /** `shipped` while it waits at the meet-up; `picked-up` once confirmed. */
  readonly status: Shipment.Status
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  /** Too many wrong codes: refused until {@link GroupBuyService.unlockPickup}. */
  readonly locked: boolean
  /** Wrong codes tried since the last unlock. */
  readonly failedAttempts: number
  /** The order it belongs to. */
  readonly order?: OrderView | undefined
}

/**
 * The use cases. Every input is decoded at the boundary: a bad one fails with
 * `GroupBuyError({ reason: "invalid-input" })` naming the field, before anything is read.
 */
export interface GroupBuyService {
  /**
   * Creates and opens a round. Opening a round that exists with the same id is a no-op. A round
   * with a cutoff gets its cutoff job (`cutoff:<roundId>`, kind `round.cutoff`) in the same commit.
   */
  readonly openRound: (input: OpenRoundInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /** Takes comments in order; each is handled once, however often it is submitted. */
  readonly submitComments: (
    input: SubmitCommentsInput
  ) => Effect.Effect<ReadonlyArray<CommentOutcome>, GroupBuyError | StorageError>
  /** An edited comment: per the round's `onEdit` policy, its order goes to review. */
  readonly editComment: (input: EditCommentInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /** An unsent / removed comment. */
  readonly removeComment: (input: RemoveCommentInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /**
   * The organiser decides a review item: order its lines, amend the buyer's order with them,
   * cancel the buyer's order, or dismiss it (see {@link ResolveReviewInput}). The buyer is told
   * the outcome.
   */
  readonly resolveReview: (input: ResolveReviewInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /** Closes the round (if still open) and confirms every order: they now await payment. Idempotent. */
  readonly closeRound: (input: CloseRoundInput) => Effect.Effect<ReadonlyArray<OrderView>, GroupBuyError | StorageError>
  /** Applies a received payment to orders (or records it unmatched). Idempotent per transaction. */
  readonly recordPayment: (input: PaymentInput) => Effect.Effect<PaymentOutcome, GroupBuyError | StorageError>
  /** Packs and ships part or all of a paid order; a meet-up pickup gets a one-time code. */
  readonly ship: (
    input: ShipInput
  ) => Effect.Effect<
    { readonly shipmentId: string; readonly pickupCode?: string | undefined },
    GroupBuyError | StorageError
  >
  /**
   * Confirms a meet-up pickup by its code (typed, or scanned from the buyer's QR code). A wrong
   * code is recorded and refused (`rejected`); the {@link Shipment.MAX_PICKUP_ATTEMPTS}th wrong
   * one in a row locks the pickup: every code, the right one too, is then refused with reason
   * `locked` until {@link GroupBuyService.unlockPickup}.
   */
  readonly confirmPickup: (input: ConfirmPickupInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /** Lifts a pickup lock after too many wrong codes (the wrong tries count from 0 again). Idempotent. */
  readonly unlockPickup: (input: UnlockPickupInput) => Effect.Effect<void, GroupBuyError | StorageError>
  /** The meet-up pickup with this code (the counter does not know the order id), or undefined. */
  readonly findPickup: (input: FindPickupInput) => Effect.Effect<PickupView | undefined, GroupBuyError | StorageError>
  /**
   * Cancels an order and tells the buyer why. While the round is open its lines leave the book
   * and their stock goes back; after the cutoff an order awaiting payment with nothing paid is
   * cancelled (one with money received is refunded instead: {@link GroupBuyService.refundOrder}).
   * Cancelling a cancelled order changes nothing.
   */
  readonly cancelOrder: (input: OrderChangeInput) => Effect.Effect<OrderView, GroupBuyError | StorageError>
  /**
   * Refunds what a paid order received (all of it) and tells the buyer why. Refunding a refunded
   * order changes nothing.
   */
  readonly refundOrder: (input: OrderChangeInput) => Effect.Effect<OrderView, GroupBuyError | StorageError>
  /** The round's orders, review queue, not-ordered list and stock. */
  readonly report: (roundId: string) => Effect.Effect<RoundReport, GroupBuyError | StorageError>
  /** The round's orders with these statuses. */
  readonly orders: (input: OrdersInput) => Effect.Effect<ReadonlyArray<OrderView>, GroupBuyError | StorageError>
}

export class GroupBuy extends Context.Service<GroupBuy, GroupBuyService>()("@kaituan/core/GroupBuy") {}

// ---------------------------------------------------------------------------------------------
// Views and messages derived from events (pure)
// ---------------------------------------------------------------------------------------------

const bookStatus = (e: Round.BookEntry): OrderStatus => (e.withdrawn || e.lines.length === 0 ? "cancelled" : "open")

/** The order view of a book entry before the cutoff. */
export const bookView = (roundId: string, e: Round.BookEntry): OrderView => ({
  roundId,
  orderId: e.orderId,
  buyerId: e.buyerId,
  buyer: e.buyer,
  status: bookStatus(e),
  lines: e.lines,
  total: Round.total(e.lines),
  paid: 0,
  seq: e.seq,
  placedAt: e.placedAt,
  updatedAt: e.updatedAt
})

/** The order view of a confirmed order. */
export const orderView = (s: Order.State, updatedAt: string): OrderView => ({
  roundId: s.roundId,
  orderId: s.orderId,
  buyerId: s.buyerId,
  buyer: s.buyer ?? { id: s.buyerId },
  status: s.status === "none" ? "open" : s.status,
  lines: s.lines,
  total: s.total,
  paid: s.paid - s.refunded,
  seq: s.seq,
  placedAt: s.placedAt,
  updatedAt
})

/** The stock rows of every SKU of a round. */
export const stockViews = (roundId: string, state: Round.State): Array<ViewChange> =>
  Object.keys(state.stock).map((sku) => ({ _tag: "SetStock", stock: stockView(roundId, state, sku) }))

const stockView = (roundId: string, state: Round.State, sku: string): StockView => {
  const s = state.stock[sku] ?? { left: null, sold: 0 }
  return { roundId, sku, left: s.left, sold: s.sold }
}

/**
 * Read-model changes of a run of round events, merged: each order, review item and SKU comes
 * once, in its latest state; not-ordered items and buyer identities come in event order.
 * Applying the merged changes gives the same rows as applying each event's changes in turn, with
 * far fewer rows to write (a batch of 500 comments touches each order and SKU once).
 */
export class ViewBatch {
  private readonly appended: Array<ViewChange> = []
  /** The latest book entry of every order touched, by order id (a withdrawn order keeps its row). */
  private readonly touched = new Map<string, Round.BookEntry>()
  private readonly reviews = new Set<string>()
  private readonly skus = new Set<string>()
  private allSkus = false

  constructor(readonly roundId: string) {}

  /**
   * Adds the events of one command, with the state right after them. `entry`, when given, is the
   * book entry of the buyer the events are about, looked up already (one comment's events are
   * all about its author).
   */
  add(after: Round.State, events: ReadonlyArray<Round.Event>, entry?: Round.BookEntry): this {
    for (const e of events) {
      switch (e._tag) {
        case "LinesOrdered": {
          this.touch(after, e.buyerId, entry)
          for (const l of e.lines) this.skus.add(l.sku)
          if (e.newOrder)
            // The buyers read model: who this is on which channel (idempotent per identity).
            this.appended.push({
              _tag: "AddBuyerIdentity",
              buyerId: e.buyerId,
              name: e.buyer.name ?? e.buyer.id,
              channel: channelOf(e.buyerId),
              userId: e.buyer.id
            })
          break
        }
        case "LinesSet":
          this.touch(after, e.buyerId, entry)
          for (const l of e.lines) this.skus.add(l.sku)
          break
        case "OrderWithdrawn":
          this.touch(after, e.buyerId, entry)
          this.allSkus = true
          break
        case "CommentNotOrdered": {
          const item: { -readonly [K in keyof NotOrderedItem]: NotOrderedItem[K] } = {
            roundId: this.roundId,
            commentId: e.commentId,
            buyerId: e.buyerId,
            buyer: e.buyer,
            text: e.text,
            reason: e.reason,
            seq: e.seq,
            at: e.at
          }
          if (e.sku !== undefined) item.sku = e.sku
          if (e.qty !== undefined) item.qty = e.qty
          this.appended.push({ _tag: "AddNotOrdered", item })
          break
        }
        case "CommentForReview":
        case "ReviewResolved":
          this.reviews.add(e.commentId)
          break
        default:
          break
      }
    }
    return this
  }

  private touch(after: Round.State, buyerId: string, known: Round.BookEntry | undefined) {
    const entry = known ?? Round.lookup(after.book, buyerId)
    if (entry) this.touched.set(entry.orderId, entry)
  }

  /** The merged changes; `final` is the state after the last events added. */
  changes(final: Round.State): Array<ViewChange> {
    const roundId = this.roundId
    const out = this.appended.slice()
    for (const id of this.reviews) {
      const r = Round.lookup(final.review, id)
      // A literal in ReviewItem's key order, not `{ roundId, ...r }` (a spread then keys: slow in V8).
      if (r)
        out.push({
          _tag: "UpsertReview",
          item: {
            roundId,
            commentId: r.commentId,
            buyerId: r.buyerId,
            buyer: r.buyer,
            text: r.text,
            reason: r.reason,
            lines: r.lines,
            seq: r.seq,
            at: r.at,
            resolved: r.resolved
          }
        })
    }
    for (const entry of this.touched.values()) out.push({ _tag: "UpsertOrder", order: bookView(roundId, entry) })
    for (const sku of this.allSkus ? Object.keys(final.stock) : this.skus)
      out.push({ _tag: "SetStock", stock: stockView(roundId, final, sku) })
    return out
  }
}

/** Read-model changes caused by round events, given the state after them. */
export const roundViews = (
  roundId: string,
  after: Round.State,
  events: ReadonlyArray<Round.Event>
): Array<ViewChange> => new ViewBatch(roundId).add(after, events).changes(after)

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
const buyerRecipient = (buyerId: string, userId: string): Recipient => ({
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

const labelLines = (
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

/** A part of a message id: `:` and `%` escaped, so ids built from different parts never meet. */
const idPart = (s: string): string =>
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

const outcomeOf = (commentId: string, events: ReadonlyArray<Round.Event>, parsedReason: string): CommentOutcome => {
  // One pass and no callbacks: this runs for every comment (and dev runners wrap each closure).
  let orderId: string | undefined
  let ordered = false
  let withdrawn = false
  let paid = false
  let set: Extract<Round.Event, { _tag: "LinesSet" }> | undefined
  let notOrdered: Extract<Round.Event, { _tag: "CommentNotOrdered" }> | undefined
  let review: Extract<Round.Event, { _tag: "CommentForReview" }> | undefined
  let ignored: Extract<Round.Event, { _tag: "CommentIgnored" }> | undefined
  for (const e of events) {
    if (orderId === undefined && "orderId" in e) orderId = e.orderId
    switch (e._tag) {
      case "LinesOrdered":
        ordered = true
        break
      case "OrderWithdrawn":
        withdrawn = true
        break
      case "LinesSet":
        set ??= e
        break
      case "CommentNotOrdered":
        notOrdered ??= e
        break
      case "CommentForReview":
        review ??= e
        break
      case "CommentIgnored":
        ignored ??= e
        break
      case "PaymentReported":
        paid = true
        break
      default:
        break
    }
  }
  let status: CommentOutcome["status"]
  let reason = parsedReason
  if (ordered) {
    status = notOrdered ? "partly-ordered" : "ordered"
    if (notOrdered) reason = `partly filled: ${notOrdered.reason}`
  } else if (withdrawn) status = "cancelled"
  else if (set) {
    let down = true
    for (const l of set.lines) if (!(l.to < l.from)) down = false
    status = down ? "cancelled" : notOrdered ? "partly-ordered" : "amended"
  } else {
    orderId = undefined
    if (notOrdered) {
      status = "not-ordered"
      reason = notOrdered.reason
    } else if (review) {
      status = "review"
      reason = review.reason
    } else if (paid) status = "payment-reported"
    else {
      status = "ignored"
      reason = ignored?.reason ?? parsedReason
    }
  }
  return orderId === undefined ? { commentId, status, reason, events } : { commentId, status, orderId, reason, events }
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

interface LoadedRound {
  readonly state: Round.State
  readonly version: number
  readonly parser: CompiledParser | undefined
}

const encode = (e: { readonly _tag: string; readonly at?: string }, at: string): NewEvent => ({
  type: e._tag,
  data: e,
  at: e.at ?? at
})

const decodeRound = Schema.decodeUnknownSync(Round.Event)
const decodeOrder = Schema.decodeUnknownSync(Order.Event)
const decodeShipment = Schema.decodeUnknownSync(Shipment.Event)
const decodeCodeIssued = Schema.decodeUnknownSync(Shipment.PickupCodeIssued)

/** Whether any of these events changes an order in the book. */
const changesOrder = (events: ReadonlyArray<Round.Event>): boolean => {
  for (const e of events)
    if (e._tag === "LinesOrdered" || e._tag === "LinesSet" || e._tag === "OrderWithdrawn") return true
  return false
}

/** A comment's own commit carries no view changes (its batch's merged ones ride on one more commit). */
const NO_VIEWS: ReadonlyArray<ViewChange> = []

// ---------------------------------------------------------------------------------------------
// Comment claims: which round took a message, and what the message was
// ---------------------------------------------------------------------------------------------

/**
 * A comment's idempotency key. A channel's message is claimed once for every round
 * (`message:<channel>:<id>`); an id an import numbered itself only within its round
 * (`comment:<round>:<channel>:<id>`, the key every comment had before messages were claimed for
 * good). `join` builds a flat string; a template builds a rope that V8 flattens again on the first hash.
 */
const commentKey = (roundId: string, c: CommentInput): string =>
  c.idScope === "round"
    ? ["comment", roundId, c.channel, c.commentId].join(":")
    : ["message", c.channel, c.commentId].join(":")

/** Fed to {@link commentFingerprint} between the author and the text: no UTF-16 code unit has this value. */
const SEPARATOR = 0x10000

/**
 * A fingerprint of who wrote a comment and what (its author's id and its text): the same message
 * delivered again has the same one, another comment under the same id almost surely not. A 53-bit
 * hash (cyrb53) in base 36; nothing of the comment can be read back from it.
 */
export const commentFingerprint = (c: Pick<CommentInput, "author" | "text">): string => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  const id = c.author.id
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ SEPARATOR, 2654435761)
  h2 = Math.imul(h2 ^ SEPARATOR, 1597334677)
  const text = c.text
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/**
 * The data kept with a comment's key (`Commit.keyData`): `<fingerprint>:<round id>`. Keys claimed
 * before fingerprints were kept have `:<round id>` (storage-sql's migration 3) or nothing.
 */
const claimData = (fingerprint: string, roundId: string): string => [fingerprint, roundId].join(":")

/**
 * What becomes of a comment whose key was claimed already (`data`: the claim's key data): the
 * same comment again is a duplicate, here or in the round that took it; another author or text
 * under the same id is an `id-conflict`, reported by id only (no name, no text), never taken.
 */
const claimedOutcome = (roundId: string, c: CommentInput, fingerprint: string, data: string): CommentOutcome => {
  const i = data.indexOf(":")
  const claimedPrint = i < 0 ? "" : data.slice(0, i)
  const owner = i < 0 ? "" : data.slice(i + 1)
  const elsewhere = owner !== "" && owner !== roundId
  if (claimedPrint !== "" && claimedPrint !== fingerprint) return idConflict(c, elsewhere ? owner : undefined)
  return {
    commentId: c.commentId,
    status: "duplicate",
    reason: elsewhere ? `already taken by round ${JSON.stringify(owner)}` : "already handled",
    events: []
  }
}

const idConflict = (c: CommentInput, owner: string | undefined): CommentOutcome => ({
  commentId: c.commentId,
  status: "id-conflict",
  reason: `comment id ${JSON.stringify(c.commentId)} (${c.channel}) was already used by a different comment (another author or text)${
    owner === undefined ? "" : ` in round ${JSON.stringify(owner)}`
  }: this one was not taken; every comment needs its own id`,
  events: []
})
// ---------------------------------------------------------------------------------------------
// Decoding the inputs
// ---------------------------------------------------------------------------------------------

/** The `invalid-input` error for these problems (the first names the field; at most three are listed). */
const invalidInput = (problems: ReadonlyArray<inputs.Problem>): GroupBuyError => {
  const first = problems[0] ?? { path: "", message: "invalid input" }
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""
  return new GroupBuyError({
    reason: "invalid-input",
    message: `${problems.slice(0, 3).map(inputs.describe).join("; ")}${more}`,
    field: first.path
  })
}

/** Decodes a use case's input with its Schema, or fails with `invalid-input` (paths under `root`). */
const decoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, root = "") => {
  const run = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], S["Encoded"], never, never>, {
    errors: "all",
    onExcessProperty: "ignore"
  })
  return (input: unknown): Effect.Effect<S["Type"], GroupBuyError> => {
    const result = run(input)
    return Result.isSuccess(result)
      ? Effect.succeed(result.success)
      : Effect.fail(invalidInput(inputs.problemsOf(root, result.failure.issue)))
  }
}

const decodeOpenRound = decoder(OpenRoundInput)
const decodeEditComment = decoder(EditCommentInput)
const decodeRemoveComment = decoder(RemoveCommentInput)
const decodeResolveReview = decoder(ResolveReviewInput)
const decodeCloseRound = decoder(CloseRoundInput)
const decodePayment = decoder(PaymentInput)
const decodeShip = decoder(ShipInput)
const decodeConfirmPickup = decoder(ConfirmPickupInput)
const decodeUnlockPickup = decoder(UnlockPickupInput)
const decodeFindPickup = decoder(FindPickupInput)
const decodeOrderChange = decoder(OrderChangeInput)
const decodeOrders = decoder(OrdersInput)
const decodeRoundId = decoder(ReportInput, "roundId")

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The problem of a comment's time against the latest allowed (`maxAtMs`, Infinity: no limit). */
const futureProblem = (path: string, at: string, maxAtMs: number, skewMs: number): inputs.Problem | undefined =>
  isoMillis(at) > maxAtMs
    ? { path, message: `expected a time at most ${skewText(skewMs)} from now (it is dated in the future)` }
    : undefined

const skewText = (ms: number): string =>
  ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}` : `${Math.round(ms / 1000)} seconds`

/**
 * The input of `submitComments`, checked by hand (the same rules as {@link SubmitCommentsInput}:
 * a property test holds them together): the first problem fails the whole call, nothing is taken.
 * The comments are not copied.
 */
const checkSubmit = (
  input: unknown,
  maxAtMs: number,
  skewMs: number
): Result.Result<SubmitCommentsInput, GroupBuyError> => {
  if (!isRecord(input)) return Result.fail(invalidInput([{ path: "", message: "expected an object" }]))
  const roundId = input.roundId
  const idProblem =
    typeof roundId === "string"
      ? inputs.idProblem(roundId, inputs.MAX_ID_LENGTH)
      : roundId === undefined
        ? "is missing"
        : "expected string"
  if (idProblem !== undefined) return Result.fail(invalidInput([{ path: "roundId", message: idProblem }]))
  const comments = input.comments
  if (!Array.isArray(comments))
    return Result.fail(
      invalidInput([{ path: "comments", message: comments === undefined ? "is missing" : "expected an array" }])
    )
  for (let i = 0; i < comments.length; i++) {
    const c = comments[i]
    const p = inputs.commentProblem(c)
    if (p !== undefined)
      return Result.fail(
        invalidInput([{ path: p.path === "" ? `comments[${i}]` : `comments[${i}].${p.path}`, message: p.message }])
      )
    if (maxAtMs !== Number.POSITIVE_INFINITY) {
      const late = futureProblem(`comments[${i}].at`, (c as CommentInput).at, maxAtMs, skewMs)
      if (late !== undefined) return Result.fail(invalidInput([late]))
    }
  }
  return Result.succeed(input as unknown as SubmitCommentsInput)
}

/** The latest time a comment may be dated now (Infinity without a {@link MaxFutureSkew}). */
const latestCommentTime = Effect.gen(function* () {
  const skew = yield* MaxFutureSkew
  if (skew === undefined) return { maxAtMs: Number.POSITIVE_INFINITY, skewMs: 0 }
  return { maxAtMs: (yield* Clock.currentTimeMillis) + skew, skewMs: skew }
})

// ---------------------------------------------------------------------------------------------
// Messages of the organiser's decisions
// ---------------------------------------------------------------------------------------------

/**
 * Messages telling a review item's author what the organiser decided: the order confirmed,
 * updated or cancelled (with its lines and total), lines that did not fit (sold out…), or
 * `not-ordered` with reason `dismissed`. Ids `review:<round>:<item>:<kind>`: a retry queues nothing new.
 */
const reviewMessages = (
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
const orderChangeMessage = (
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

/** What an Order command changed: the events to append, the order after them and its view. */
interface OrderChange {
  readonly append: Commit["appends"][number]
  readonly after: Order.State
  readonly view: ViewChange
}

/** The kind and id of a round's cutoff job (the same as `Scheduler.cutoffJob`, which runs it). */
const CUTOFF_JOB = "round.cutoff"
const cutoffJobId = (roundId: string): string => `cutoff:${roundId}`

const BATCH = 500
const MAX_RETRIES = 20

export const make = Effect.gen(function* () {
  const storage = yield* Storage
  const parserPort = yield* CommentParser
  const ids = yield* IdGenerator
  const cache = yield* Ref.make(new Map<string, LoadedRound>())

  const nowIso = Clock.currentTimeMillis.pipe(Effect.map((ms) => new Date(ms).toISOString()))

  const compileParser = (state: Round.State): CompiledParser | undefined =>
    state.spec && state.catalogue
      ? parserPort.compile({
          catalogue: state.catalogue,
          settings: {
            mode: state.spec.mode,
            maxQtyPerLine: state.spec.maxQtyPerLine,
            extraMarkers: state.spec.extraMarkers,
            extraFillers: state.spec.extraFillers
          }
        })
      : undefined

  /** The round's state: cached, caught up with the stream. */
  const load = (roundId: string, fresh = false) =>
    Effect.gen(function* () {
      const cached = fresh ? undefined : (yield* Ref.get(cache)).get(roundId)
      const from = cached?.version ?? 0
      const { version, events } = yield* storage.readStream(roundStream(roundId), from)
      if (cached && version === cached.version) return cached
      let state = cached?.state ?? Round.initialState
      for (const e of events) state = Round.evolve(state, decodeRound(e.data))
      const loaded: LoadedRound = {
        state,
        version,
        parser: cached?.parser && cached.state.spec ? cached.parser : compileParser(state)
      }
      yield* Ref.update(cache, (m) => new Map(m).set(roundId, loaded))
      return loaded
    })

  const remember = (roundId: string, loaded: LoadedRound) => Ref.update(cache, (m) => new Map(m).set(roundId, loaded))
  const forget = (roundId: string) =>
    Ref.update(cache, (m) => {
      const n = new Map(m)
      n.delete(roundId)
      return n
    })

  const requireRound = (roundId: string) =>
    Effect.flatMap(load(roundId), (l) =>
      l.state.status === "none"
        ? Effect.fail(new GroupBuyError({ reason: "unknown-round", message: `no round "${roundId}"` }))
        : Effect.succeed(l)
    )

  /** Runs `attempt` again after a concurrency conflict, with the round reloaded. */
  const retrying = <A, E>(roundId: string, attempt: Effect.Effect<A, E | StorageError>) =>
    attempt.pipe(
      Effect.tapError((e) => (e instanceof StorageError && e.reason === "conflict" ? forget(roundId) : Effect.void)),
      Effect.retry({ times: MAX_RETRIES, while: (e) => e instanceof StorageError && e.reason === "conflict" })
    )

  const rejected = (e: { readonly message: string }) =>
    new GroupBuyError({ reason: "rejected", message: e.message, cause: e })

  /**
   * Decides a round command against the loaded state and commits it with views and messages:
   * those of the comment's events (`comment`), or `messages` of the state after the events.
   */
  const commitRound = (
    roundId: string,
    loaded: LoadedRound,
    command: Round.Command,
    extra: {
      readonly key?: string
      readonly comment?: CommentInput
      readonly messages?: (after: Round.State, events: ReadonlyArray<Round.Event>, at: string) => Array<OutboundMessage>
      readonly unschedule?: ReadonlyArray<string>
    } = {}
  ) =>
    Effect.gen(function* () {
      const decided = Round.decide(command, loaded.state)
      if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
      const events = decided.success
      if (events.length === 0) return events
      const after = Round.fold(events, loaded.state)
      const at = yield* nowIso
      const commit: Commit = {
        idempotencyKey: extra.key,
        appends: [
          { stream: roundStream(roundId), expectedVersion: loaded.version, events: events.map((e) => encode(e, at)) }
        ],
        views: roundViews(roundId, after, events),
        outbox: extra.comment
          ? roundMessages(after, extra.comment, events)
          : extra.messages
            ? extra.messages(after, events, at)
            : [],
        ...(extra.unschedule === undefined ? {} : { unschedule: extra.unschedule })
      }
      const [result] = yield* storage.commit([commit])
      if (result?._tag === "Committed")
        yield* remember(roundId, {
          state: after,
          version: loaded.version + events.length,
          parser: loaded.parser ?? compileParser(after)
        })
      return events
    })

  const openRound: GroupBuyService["openRound"] = (input) =>
    Effect.flatMap(decodeOpenRound(input), ({ spec, at }) =>
      retrying(
        spec.id,
        Effect.gen(function* () {
          const when = at ?? (yield* nowIso)
          const loaded = yield* load(spec.id)
          if (loaded.state.status !== "none") return
          const created = Round.decide({ _tag: "Create", spec, at: when }, loaded.state)
          if (Result.isFailure(created)) return yield* Effect.fail(rejected(created.failure))
          const opened = Round.decide({ _tag: "Open", at: when }, Round.fold(created.success, loaded.state))
          if (Result.isFailure(opened)) return yield* Effect.fail(rejected(opened.failure))
          const events = [...created.success, ...opened.success]
          const after = Round.fold(events, loaded.state)
          const views = stockViews(spec.id, after)
          yield* storage.commit([
            {
              idempotencyKey: `round:${spec.id}:open`,
              appends: [
                { stream: roundStream(spec.id), expectedVersion: 0, events: events.map((e) => encode(e, when)) }
              ],
              views,
              outbox: [],
              // The cutoff is a job in storage, claimed once across workers (no timer in a host).
              schedule:
                spec.cutoff === undefined
                  ? []
                  : [
                      {
                        id: cutoffJobId(spec.id),
                        kind: CUTOFF_JOB,
                        dueAt: spec.cutoff,
                        payload: { roundId: spec.id, cutoff: spec.cutoff }
                      }
                    ]
            }
          ])
          yield* forget(spec.id)
        })
      )
    )

  const toIncoming = (c: CommentInput, parser: CompiledParser | undefined): Round.IncomingComment => ({
    commentId: `${c.channel}:${c.commentId}`,
    buyerId: buyerIdFor(c.channel, c.author),
    buyer: c.author,
    text: c.text,
    at: c.at,
    parsed: parser ? parser.parse(c.text) : { intent: "none", lines: [], reason: "no parser", spans: [] }
  })

  /**
   * One batch of at most BATCH comments: decide all against a running state, commit once. Goes on
   * from `from` (the previous batch of the same call) when given, else from the cached round.
   */
  const submitBatch = (
    roundId: string,
    comments: ReadonlyArray<CommentInput>,
    from: LoadedRound | undefined,
    by: Round.Owner
  ) =>
    Effect.gen(function* () {
      const loaded = from ?? (yield* requireRound(roundId))
      const keys = new Array<string>(comments.length)
      const prints = new Array<string>(comments.length)
      for (let i = 0; i < comments.length; i++) {
        keys[i] = commentKey(roundId, comments[i]!)
        prints[i] = commentFingerprint(comments[i]!)
      }
      // The keys claimed already (by this round or, for a channel's message, by any round).
      const claimed = yield* storage.readKeys(keys)
      /** The first comment of the batch with each key. */
      const firstWith = new Map<string, number>()
      /** What became of the comments not handled here (claimed already, or twice in the batch). */
      const skipped = new Array<CommentOutcome | undefined>(comments.length)
      let state = loaded.state
      let version = loaded.version
      const commits: Array<Commit> = []
      const outcomes: Array<CommentOutcome> = []
      const views = new ViewBatch(roundId)
      const at = yield* nowIso
      const stream = roundStream(roundId)
      // Parse the whole batch first, then decide it: the parser's tables stay in the CPU caches
      // for 500 comments in a row instead of being pushed out by the round state after each one
      // (parsing in between cost about twice as much as parsing alone). Undefined: skipped.
      const incomings = new Array<Round.IncomingComment | undefined>(comments.length)
      for (let i = 0; i < comments.length; i++) {
        const key = keys[i]!
        const data = claimed.get(key)
        if (data !== undefined) {
          skipped[i] = claimedOutcome(roundId, comments[i]!, prints[i]!, data)
          continue
        }
        const first = firstWith.get(key)
        if (first !== undefined) {
          skipped[i] =
            prints[first] === prints[i]
              ? { commentId: comments[i]!.commentId, status: "duplicate", reason: "already handled", events: [] }
              : idConflict(comments[i]!, undefined)
          continue
        }
        firstWith.set(key, i)
        incomings[i] = toIncoming(comments[i]!, loaded.parser)
      }
      for (let i = 0; i < comments.length; i++) {
        const c = comments[i]!
        const key = keys[i]!
        const incoming = incomings[i]
        if (incoming === undefined) {
          outcomes.push(skipped[i]!)
          continue
        }
        const decided = Round.decide({ _tag: "HandleComment", comment: incoming, newOrderId: ids.next("o") }, state)
        if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
        const events = decided.success
        const after = Round.foldOwned(events, state, by)
        // The author's order after the comment, looked up once for the views and the messages.
        const entry = changesOrder(events) ? Round.lookup(after.book, incoming.buyerId) : undefined
        views.add(after, events, entry)
        commits.push({
          idempotencyKey: key,
          keyData: claimData(prints[i]!, roundId),
          appends: [{ stream, expectedVersion: version, events: events.map((e) => encode(e, at)) }],
          views: NO_VIEWS,
          outbox: roundMessages(after, c, events, entry)
        })
        outcomes.push(outcomeOf(c.commentId, events, incoming.parsed.reason))
        state = after
        version += events.length
      }
      if (commits.length > 0) {
        // The batch's read-model changes, merged, ride on one more commit of the same transaction.
        // It asserts the round's version after the whole batch: if a comment's commit is skipped
        // as a duplicate (another writer, for this round or another, took its key after
        // `readKeys`), the transaction fails as a conflict and the batch is decided again (the key
        // is then found claimed), instead of writing views with that comment in.
        commits.push({
          appends: [{ stream, expectedVersion: version, events: [] }],
          views: views.changes(state),
          outbox: []
        })
        yield* storage.commit(commits)
      }
      const next: LoadedRound = { state, version, parser: loaded.parser }
      return { outcomes, next }
    })

  const submitComments: GroupBuyService["submitComments"] = (input) =>
    Effect.gen(function* () {
      const { maxAtMs, skewMs } = yield* latestCommentTime
      const checked = checkSubmit(input, maxAtMs, skewMs)
      if (Result.isFailure(checked)) return yield* Effect.fail(checked.failure)
      const { roundId, comments } = checked.success
      const out: Array<CommentOutcome> = []
      // One owner for the whole call: each batch goes on from the last one's state and edits in
      // place the trie nodes this call made (see Round.evolveOwned). Those states never leave the
      // call: a failed batch drops them (the next attempt reloads), and the cache gets the last
      // one only at the end, when nothing will edit it any more.
      const by = Round.owner()
      let current: LoadedRound | undefined
      const attempt = (batch: ReadonlyArray<CommentInput>) =>
        Effect.suspend(() => submitBatch(roundId, batch, current, by)).pipe(
          Effect.tapError(() =>
            Effect.sync(() => {
              current = undefined
            })
          )
        )
      for (let i = 0; i < comments.length; i += BATCH) {
        const { outcomes, next } = yield* retrying(roundId, attempt(comments.slice(i, i + BATCH)))
        for (const o of outcomes) out.push(o)
        current = next
      }
      if (current !== undefined) yield* remember(roundId, current)
      return out
    })

  /**
   * Which order each comment changed, per round, built from the round's events on the first edit
   * or unsend and then extended with only the events since (a LINE group unsends often; reading
   * the whole stream each time was one full read per unsend). Nothing is kept until then.
   */
  const touchedOrders = new Map<string, { version: number; readonly byComment: Map<string, string> }>()

  /** The order a comment changed, if any. */
  const orderTouchedBy = (roundId: string, commentId: string) =>
    Effect.gen(function* () {
      let index = touchedOrders.get(roundId)
      if (index === undefined) {
        index = { version: 0, byComment: new Map() }
        touchedOrders.set(roundId, index)
      }
      const { version, events } = yield* storage.readStream(roundStream(roundId), index.version)
      if (version > index.version) {
        for (const stored of events) {
          const e = stored.data as Round.Event
          if (
            (e._tag === "LinesOrdered" || e._tag === "LinesSet" || e._tag === "OrderWithdrawn") &&
            !index.byComment.has(e.commentId)
          )
            index.byComment.set(e.commentId, e.orderId)
        }
        index.version = version
      }
      return index.byComment.get(commentId)
    })

  const editComment: GroupBuyService["editComment"] = (input) =>
    Effect.gen(function* () {
      const { roundId, comment } = yield* decodeEditComment(input)
      const { maxAtMs, skewMs } = yield* latestCommentTime
      const late = futureProblem("comment.at", comment.at, maxAtMs, skewMs)
      if (late !== undefined) return yield* Effect.fail(invalidInput([late]))
      return yield* retrying(
        roundId,
        Effect.gen(function* () {
          const loaded = yield* requireRound(roundId)
          const incoming = toIncoming(comment, loaded.parser)
          const orderId = yield* orderTouchedBy(roundId, incoming.commentId)
          yield* commitRound(
            roundId,
            loaded,
            { _tag: "EditComment", comment: incoming, orderId },
            { key: `edit:${comment.channel}:${comment.commentId}:${comment.at}:${comment.text}` }
          )
        })
      )
    })

  const removeComment: GroupBuyService["removeComment"] = (input) =>
    Effect.flatMap(decodeRemoveComment(input), ({ roundId, channel, commentId, at }) =>
      retrying(
        roundId,
        Effect.gen(function* () {
          const loaded = yield* requireRound(roundId)
          const orderId = yield* orderTouchedBy(roundId, `${channel}:${commentId}`)
          yield* commitRound(
            roundId,
            loaded,
            { _tag: "RemoveComment", commentId: `${channel}:${commentId}`, at, orderId },
            { key: `unsend:${channel}:${commentId}` }
          )
        })
      )
    )

  const resolveReview: GroupBuyService["resolveReview"] = (input) =>
    Effect.flatMap(decodeResolveReview(input), ({ roundId, commentId, approve = [], action }) =>
      retrying(
        roundId,
        Effect.gen(function* () {
          const loaded = yield* requireRound(roundId)
          const at = yield* nowIso
          const item = Round.lookup(loaded.state.review, commentId)
          const decided = Round.decide(
            { _tag: "ResolveReview", commentId, approve, action, newOrderId: ids.next("o"), at },
            loaded.state
          )
          if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
          const events = decided.success
          const after = Round.fold(events, loaded.state)
          // After the cutoff the buyer's order is confirmed: a cancellation cancels it too, in the same commit.
          let cancelled: OrderChange | undefined
          if (action === "cancel" && loaded.state.status !== "open" && item !== undefined) {
            const entry = Round.lookup(loaded.state.book, item.buyerId)
            if (entry !== undefined)
              cancelled = yield* decideOrder(
                roundId,
                entry.orderId,
                { _tag: "Cancel", reason: "buyer-cancelled", at },
                "cancelled"
              )
          }
          yield* storage.commit([
            {
              appends: [
                {
                  stream: roundStream(roundId),
                  expectedVersion: loaded.version,
                  events: events.map((e) => encode(e, at))
                },
                ...(cancelled === undefined ? [] : [cancelled.append])
              ],
              views: [...roundViews(roundId, after, events), ...(cancelled === undefined ? [] : [cancelled.view])],
              outbox:
                item === undefined ? [] : reviewMessages(roundId, after, item, events, at, cancelled?.after.orderId)
            }
          ])
          yield* remember(roundId, {
            state: after,
            version: loaded.version + events.length,
            parser: loaded.parser ?? compileParser(after)
          })
        })
      )
    )

  /**
   * Decides an Order command on a confirmed order (one the round's close has not confirmed yet,
   * after a crash halfway through the close, is confirmed first): the change, or undefined when
   * the command changes nothing or the order is `done` already (a cancel of a cancelled order).
   */
  const decideOrder = (roundId: string, orderId: string, command: Order.Command, done?: Order.Status) =>
    Effect.gen(function* () {
      let current = yield* loadOrder(orderId)
      if (current.state.status === "none") {
        yield* closeRound({ roundId })
        current = yield* loadOrder(orderId)
      }
      if (current.state.status === done) return undefined
      const decided = Order.decide(command, current.state)
      if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
      if (decided.success.length === 0) return undefined
      const at = command.at
      const after = Order.fold(decided.success, current.state)
      return {
        append: {
          stream: orderStream(orderId),
          expectedVersion: current.version,
          events: decided.success.map((e) => encode(e, at))
        },
        after,
        view: { _tag: "UpsertOrder", order: orderView(after, at) }
      } satisfies OrderChange
    })

  /** Loads an order stream. */
  const loadOrder = (orderId: string) =>
    Effect.map(storage.readStream(orderStream(orderId)), ({ version, events }) => ({
      version,
      state: Order.fold(events.map((e) => decodeOrder(e.data)))
    }))

  const closeRound: GroupBuyService["closeRound"] = (input) =>
    Effect.flatMap(decodeCloseRound(input), ({ roundId, at, reason }) =>
      retrying(
        roundId,
        Effect.gen(function* () {
          let loaded = yield* requireRound(roundId)
          const when = at ?? (yield* nowIso)
          if (loaded.state.status === "open") {
            // Closed now: the cutoff job has nothing left to do (a running one finds the round closed).
            yield* commitRound(
              roundId,
              loaded,
              { _tag: "Close", at: when, reason: reason ?? "manual" },
              { unschedule: [cutoffJobId(roundId)] }
            )
            loaded = yield* load(roundId)
          }
          // Confirm every order of the book that is not confirmed yet (a crash halfway leaves some).
          const commits: Array<Commit> = []
          for (const entry of Round.orders(loaded.state)) {
            const current = yield* loadOrder(entry.orderId)
            if (current.state.status !== "none") continue
            const decided = Order.decide(
              {
                _tag: "Confirm",
                orderId: entry.orderId,
                roundId,
                buyerId: entry.buyerId,
                buyer: entry.buyer,
                lines: entry.lines,
                placedAt: entry.placedAt,
                seq: entry.seq,
                at: when
              },
              current.state
            )
            if (Result.isFailure(decided)) continue
            const after = Order.fold(decided.success, current.state)
            commits.push({
              idempotencyKey: `order:${entry.orderId}:confirmed`,
              appends: [
                {
                  stream: orderStream(entry.orderId),
                  expectedVersion: 0,
                  events: decided.success.map((e) => encode(e, when))
                }
              ],
              views: [{ _tag: "UpsertOrder", order: orderView(after, when) }],
              outbox: [
                {
                  id: `order:${entry.orderId}:payment-due`,
                  kind: "payment-due",
                  to: buyerRecipient(entry.buyerId, entry.buyer.id),
                  data: {
                    orderId: entry.orderId,
                    lines: labelLines(loaded.state.catalogue, entry.lines),
                    total: after.total
                  },
                  createdAt: when
                }
              ]
            })
          }
          for (let i = 0; i < commits.length; i += BATCH) yield* storage.commit(commits.slice(i, i + BATCH))
          return yield* storage.orders({ roundId })
        })
      )
    )

  const recordPayment: GroupBuyService["recordPayment"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodePayment(raw)
      const key = `payment:${input.source}:${input.transactionId}`
      const paymentId = `p_${input.source}_${input.transactionId}`
      const existing = yield* storage.readStream(paymentStream(paymentId))
      if (existing.version > 0) return { paymentId, status: "duplicate" as const }
      const received = Payment.decide(
        {
          _tag: "Receive",
          paymentId,
          source: input.source,
          transactionId: input.transactionId,
          amount: input.amount,
          at: input.at,
          bankCode: input.bankCode,
          last5: input.last5
        },
        Payment.initialState
      )
      if (Result.isFailure(received)) return yield* Effect.fail(rejected(received.failure))
      let paymentEvents: ReadonlyArray<Payment.Event> = received.success
      const appends: Array<Commit["appends"][number]> = []
      const views: Array<ViewChange> = []
      const outbox: Array<OutboundMessage> = []
      if (input.orderIds.length > 0) {
        const matched = Payment.decide(
          { _tag: "Match", orderIds: input.orderIds, evidence: input.evidence, at: input.at },
          Payment.fold(paymentEvents)
        )
        if (Result.isFailure(matched)) return yield* Effect.fail(rejected(matched.failure))
        paymentEvents = [...paymentEvents, ...matched.success]
        // Spread the money over the orders in the order given: each gets what it is due, the last the rest.
        let left = input.amount
        for (const [i, orderId] of input.orderIds.entries()) {
          const current = yield* loadOrder(orderId)
          if (current.state.status === "none")
            return yield* Effect.fail(
              new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${orderId}"` })
            )
          const due = current.state.total - current.state.paid
          const amount = i === input.orderIds.length - 1 ? left : Math.min(left, due)
          left -= amount
          if (amount <= 0) continue
          const applied = Order.decide({ _tag: "ApplyPayment", paymentId, amount, at: input.at }, current.state)
          if (Result.isFailure(applied)) return yield* Effect.fail(rejected(applied.failure))
          const after = Order.fold(applied.success, current.state)
          appends.push({
            stream: orderStream(orderId),
            expectedVersion: current.version,
            events: applied.success.map((e) => encode(e, input.at))
          })
          views.push({ _tag: "UpsertOrder", order: orderView(after, input.at) })
          if (input.last5)
            views.push({
              _tag: "LearnAccount",
              buyerId: after.buyerId,
              account: { last5: input.last5, ...(input.bankCode ? { bankCode: input.bankCode } : {}) }
            })
          outbox.push({
            id: `payment:${paymentId}:${orderId}:received`,
            kind: "payment-received",
            to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
            data: { orderId, amount, paid: after.paid, total: after.total },
            createdAt: input.at
          })
        }
      }
      const results = yield* storage.commit([
        {
          idempotencyKey: key,
          appends: [
            {
              stream: paymentStream(paymentId),
              expectedVersion: 0,
              events: paymentEvents.map((e) => encode(e, input.at))
            },
            ...appends
          ],
          views,
          outbox
        }
      ])
      if (results[0]?._tag === "Duplicate") return { paymentId, status: "duplicate" as const }
      return { paymentId, status: input.orderIds.length > 0 ? ("matched" as const) : ("unmatched" as const) }
    }).pipe(Effect.retry({ times: MAX_RETRIES, while: (e) => e instanceof StorageError && e.reason === "conflict" }))

  /** Retries an effect after a concurrency conflict (it reads its streams again). */
  const onConflict = <A, E>(effect: Effect.Effect<A, E | StorageError>) =>
    effect.pipe(
      Effect.retry({ times: MAX_RETRIES, while: (e) => e instanceof StorageError && e.reason === "conflict" })
    )

  const ship: GroupBuyService["ship"] = (raw) =>
    Effect.flatMap(decodeShip(raw), (input) =>
      onConflict(
        Effect.gen(function* () {
          const at = yield* nowIso
          const current = yield* loadOrder(input.orderId)
          if (current.state.status === "none")
            return yield* Effect.fail(
              new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${input.orderId}"` })
            )
          const shipmentId = ids.next("s")
          const pickupCode = input.method === "pickup" ? Shipment.normalizeCode(ids.code()) : undefined
          const added = Order.decide({ _tag: "AddShipment", shipmentId, lines: input.lines, at }, current.state)
          if (Result.isFailure(added)) return yield* Effect.fail(rejected(added.failure))
          const packed = Shipment.decide(
            {
              _tag: "Pack",
              shipmentId,
              orderId: input.orderId,
              lines: input.lines,
              method: input.method,
              pickupCode,
              at
            },
            Shipment.initialState
          )
          if (Result.isFailure(packed)) return yield* Effect.fail(rejected(packed.failure))
          const shipped = Shipment.decide(
            { _tag: "Ship", carrier: input.carrier, trackingNo: input.trackingNo, at },
            Shipment.fold(packed.success)
          )
          if (Result.isFailure(shipped)) return yield* Effect.fail(rejected(shipped.failure))
          const after = Order.fold(added.success, current.state)
          const issued: Shipment.PickupCodeIssued = {
            _tag: "PickupCodeIssued",
            shipmentId,
            orderId: input.orderId,
            at
          }
          yield* storage.commit([
            {
              appends: [
                {
                  stream: orderStream(input.orderId),
                  expectedVersion: current.version,
                  events: added.success.map((e) => encode(e, at))
                },
                {
                  stream: shipmentStream(shipmentId),
                  expectedVersion: 0,
                  events: [...packed.success, ...shipped.success].map((e) => encode(e, at))
                },
                // The code's index: the counter finds the shipment by the code (a taken code conflicts: a new one is drawn).
                ...(pickupCode === undefined
                  ? []
                  : [{ stream: Shipment.codeStream(pickupCode), expectedVersion: 0, events: [encode(issued, at)] }])
              ],
              views: [{ _tag: "UpsertOrder", order: orderView(after, at) }],
              outbox: [
                {
                  id: `shipment:${shipmentId}:${input.method === "pickup" ? "pickup-ready" : "shipped"}`,
                  kind: input.method === "pickup" ? "pickup-ready" : "shipped",
                  to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
                  data: {
                    orderId: input.orderId,
                    shipmentId,
                    lines: input.lines,
                    ...(pickupCode ? { pickupCode } : {}),
                    ...(input.trackingNo ? { trackingNo: input.trackingNo } : {})
                  },
                  createdAt: at
                }
              ]
            }
          ])
          return pickupCode ? { shipmentId, pickupCode } : { shipmentId }
        })
      )
    )

  /** A shipment's state and version, or `unknown-shipment`. */
  const loadShipment = (shipmentId: string) =>
    Effect.gen(function* () {
      const { version, events } = yield* storage.readStream(shipmentStream(shipmentId))
      if (version === 0)
        return yield* Effect.fail(
          new GroupBuyError({ reason: "unknown-shipment", message: `no shipment "${shipmentId}"` })
        )
      return { version, state: Shipment.fold(events.map((e) => decodeShipment(e.data))) }
    })

  const appendShipment = (shipmentId: string, version: number, events: ReadonlyArray<Shipment.Event>, at: string) =>
    storage.commit([
      {
        appends: [
          { stream: shipmentStream(shipmentId), expectedVersion: version, events: events.map((e) => encode(e, at)) }
        ],
        views: [],
        outbox: []
      }
    ])

  const confirmPickup: GroupBuyService["confirmPickup"] = (raw) =>
    Effect.flatMap(decodeConfirmPickup(raw), ({ shipmentId, code }) =>
      onConflict(
        Effect.gen(function* () {
          const at = yield* nowIso
          const { version, state } = yield* loadShipment(shipmentId)
          const attempt = Shipment.attemptPickup(state, Shipment.normalizeCode(code), at)
          // A wrong code is kept (and may lock the pickup) even though the attempt is refused.
          if (attempt.events.length > 0) yield* appendShipment(shipmentId, version, attempt.events, at)
          if (attempt.refused !== undefined)
            return yield* Effect.fail(
              new GroupBuyError({
                reason: attempt.refused.reason === "locked" ? "locked" : "rejected",
                message: attempt.refused.message,
                cause: attempt.refused
              })
            )
        })
      )
    )

  const unlockPickup: GroupBuyService["unlockPickup"] = (raw) =>
    Effect.flatMap(decodeUnlockPickup(raw), ({ shipmentId, at }) =>
      onConflict(
        Effect.gen(function* () {
          const when = at ?? (yield* nowIso)
          const { version, state } = yield* loadShipment(shipmentId)
          const decided = Shipment.decide({ _tag: "Unlock", at: when }, state)
          if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
          if (decided.success.length > 0) yield* appendShipment(shipmentId, version, decided.success, when)
        })
      )
    )

  const findPickup: GroupBuyService["findPickup"] = (raw) =>
    Effect.gen(function* () {
      const { code } = yield* decodeFindPickup(raw)
      const index = yield* storage.readStream(Shipment.codeStream(Shipment.normalizeCode(code)))
      const issued = index.events[0]
      if (issued === undefined) return undefined
      const { shipmentId, orderId } = decodeCodeIssued(issued.data)
      const { state } = yield* loadShipment(shipmentId)
      const order = yield* storage.order(orderId)
      return {
        shipmentId,
        orderId,
        status: state.status,
        lines: state.lines,
        locked: state.pickupLocked,
        failedAttempts: state.failedPickups,
        ...(order === undefined ? {} : { order })
      } satisfies PickupView
    })

  const cancelOrder: GroupBuyService["cancelOrder"] = (raw) =>
    Effect.gen(function* () {
      const { orderId, reason, at } = yield* decodeOrderChange(raw)
      const view = yield* storage.order(orderId)
      if (view === undefined)
        return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` }))
      if (view.status === "cancelled") return view
      const roundId = view.roundId
      const confirmed = (yield* storage.readStream(orderStream(orderId))).version > 0
      if (!confirmed) {
        // In the round's book: it leaves the book and its stock goes back, while the round is open.
        const cancelledInBook = yield* retrying(
          roundId,
          Effect.gen(function* () {
            const loaded = yield* requireRound(roundId)
            if (loaded.state.status !== "open") return false
            const when = at ?? (yield* nowIso)
            yield* commitRound(
              roundId,
              loaded,
              { _tag: "CancelOrder", orderId, reason, at: when },
              { messages: (_after, _events, t) => [orderChangeMessage("order-cancelled", view, { reason }, t)] }
            )
            return true
          })
        )
        if (cancelledInBook) return (yield* storage.order(orderId)) ?? view
      }
      // A confirmed order (or one the close is about to confirm): the Order aggregate's Cancel.
      return yield* changeOrder(
        roundId,
        orderId,
        { _tag: "Cancel", reason, at: at ?? (yield* nowIso) },
        "cancelled",
        (after, t) => orderChangeMessage("order-cancelled", after, { reason }, t)
      )
    })

  const refundOrder: GroupBuyService["refundOrder"] = (raw) =>
    Effect.gen(function* () {
      const { orderId, reason, at } = yield* decodeOrderChange(raw)
      const view = yield* storage.order(orderId)
      if (view === undefined)
        return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` }))
      if ((yield* storage.readStream(orderStream(orderId))).version === 0)
        return yield* Effect.fail(
          new GroupBuyError({
            reason: "rejected",
            message: `order ${orderId} has received no money (the round is still taking orders): cancel it instead`
          })
        )
      return yield* changeOrder(
        view.roundId,
        orderId,
        { _tag: "Refund", reason, at: at ?? (yield* nowIso) },
        "refunded",
        (after, t) => orderChangeMessage("order-refunded", after, { amount: after.refunded, reason }, t)
      )
    })

  /** Commits an Order command on a confirmed order with its view and the buyer's message; gives the order's view. */
  const changeOrder = (
    roundId: string,
    orderId: string,
    command: Order.Command,
    done: Order.Status,
    message: (after: Order.State & { readonly buyer: Author }, at: string) => OutboundMessage
  ) =>
    onConflict(
      Effect.gen(function* () {
        const change = yield* decideOrder(roundId, orderId, command, done)
        if (change !== undefined) {
          const after = { ...change.after, buyer: change.after.buyer ?? { id: change.after.buyerId } }
          yield* storage.commit([
            { appends: [change.append], views: [change.view], outbox: [message(after, command.at)] }
          ])
        }
        const view = yield* storage.order(orderId)
        if (view === undefined)
          return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` }))
        return view
      })
    )

  const report: GroupBuyService["report"] = (raw) =>
    Effect.gen(function* () {
      const roundId = yield* decodeRoundId(raw)
      const loaded = yield* requireRound(roundId)
      const [orders, review, notOrdered, stock] = yield* Effect.all([
        storage.orders({ roundId }),
        storage.reviewQueue({ roundId }),
        storage.notOrdered({ roundId }),
        storage.stock({ roundId })
      ])
      return {
        roundId,
        status: loaded.state.status,
        orders: orders.filter((o) => o.status !== "cancelled"),
        review,
        notOrdered,
        stock
      }
    })

  return {
    openRound,
    submitComments,
    editComment,
    removeComment,
    resolveReview,
    closeRound,
    recordPayment,
    ship,
    confirmPickup,
    unlockPickup,
    findPickup,
    cancelOrder,
    refundOrder,
    report,
    orders: (raw) => Effect.flatMap(decodeOrders(raw), (q) => storage.orders(q))
  } satisfies GroupBuyService
})

/** The use cases over whatever Storage, CommentParser and IdGenerator the app provides. */
export const layer: Layer.Layer<GroupBuy, never, Storage | CommentParser | IdGenerator> = Layer.effect(
  GroupBuy,
  Effect.map(make, traceGroupBuy)
)
