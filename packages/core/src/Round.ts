/**
 * The Round aggregate (開團): draft → open (⇄ paused) → closed (at the cutoff) → settled, and a
 * closed round may reopen.
 *
 * The round owns the catalogue, the stock and the order book, so "never oversell" is one
 * aggregate's invariant. Comments reach it already parsed (a {@link ParseResult}); the round
 * decides, from its state, what each one does: order, amend, cancel, review, not ordered
 * (after the cutoff, sold out, over the pre-order cap) or nothing.
 *
 * The stock policies are the round's too (issue 16): the per-buyer limit, the minimums (流團),
 * the waiting list (候補: stock freed by any command goes down it, decided with that command),
 * stock released by a confirmed order cancelled after the close, and pre-order arrival.
 *
 * Pure: `decide(command, state)` returns events or a typed error; `evolve(state, event)` folds.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import { Author } from "./Buyer.js"
import * as Catalogue from "./Catalogue.js"
import * as Decider from "./Decider.js"
import { isoMillis } from "./internal/isoMillis.js"
import * as PMap from "./internal/PersistentMap.js"
import * as Fast from "./internal/roundEvolve.js"
import { Twd } from "./Money.js"
import { ParsedLine, type ParseResult } from "./ParseResult.js"
import { NotOrderedReason, OrderLine } from "./ReadModel.js"
import { IsoTimestamp, RoundSpec } from "./RoundSpec.js"

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

const CommentRef = {
  commentId: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  text: Schema.String,
  at: Schema.String,
  /** Position of the comment among the round's handled comments (1-based). */
  seq: Schema.Int
}

/** The round was created in draft with its spec. */
export const RoundCreated = Schema.TaggedStruct("RoundCreated", { spec: RoundSpec, at: Schema.String })
/** The round opened for orders. */
export const RoundOpened = Schema.TaggedStruct("RoundOpened", { at: Schema.String })
/** Lines were added to a buyer's order (a new order when `newOrder`). */
export const LinesOrdered = Schema.TaggedStruct("LinesOrdered", {
  ...CommentRef,
  orderId: Schema.String,
  newOrder: Schema.Boolean,
  lines: Schema.Array(OrderLine)
})
/** Lines were set to new quantities (amendment, or a repeat "+1" under the replace policy). */
export const LinesSet = Schema.TaggedStruct("LinesSet", {
  ...CommentRef,
  orderId: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, from: Schema.Int, to: Schema.Int, unitPrice: Schema.Int }))
})
/**
 * The whole order left the book (its stock goes back): the buyer withdrew it in a comment, or the
 * organiser cancelled it (`reason`, in the organiser's words; the comment reference is then
 * `<order id>#cancelled` or the review item's `<comment id>#cancelled`, with an empty text).
 */
export const OrderWithdrawn = Schema.TaggedStruct("OrderWithdrawn", {
  ...CommentRef,
  orderId: Schema.String,
  reason: Schema.optional(Schema.String)
})
/** (Part of) a comment did not become an order. */
export const CommentNotOrdered = Schema.TaggedStruct("CommentNotOrdered", {
  ...CommentRef,
  reason: NotOrderedReason,
  sku: Schema.optional(Schema.String),
  qty: Schema.optional(Schema.Int)
})
/** A comment needs the organiser's decision. */
export const CommentForReview = Schema.TaggedStruct("CommentForReview", {
  ...CommentRef,
  reason: Schema.String,
  lines: Schema.Array(ParsedLine)
})
/**
 * The organiser resolved a review item: `approved` (its lines ordered), `amended` (its lines
 * replace the buyer's for those SKUs), `cancelled` (the buyer's order withdrawn) or `dismissed`
 * (nothing). What it changes comes as separate events (LinesOrdered, LinesSet, OrderWithdrawn).
 */
export const ReviewResolved = Schema.TaggedStruct("ReviewResolved", {
  commentId: Schema.String,
  decision: Schema.Literals(["approved", "dismissed", "amended", "cancelled"]),
  at: Schema.String
})
/** A buyer reported a payment in a comment. */
export const PaymentReported = Schema.TaggedStruct("PaymentReported", {
  ...CommentRef,
  amount: Schema.optional(Schema.Int),
  last5: Schema.optional(Schema.String)
})
/** A comment that is not an order (chatter, question, seller's own post). Kept so nothing is lost. */
export const CommentIgnored = Schema.TaggedStruct("CommentIgnored", { ...CommentRef, reason: Schema.String })
/** The round stopped taking orders. */
export const RoundClosed = Schema.TaggedStruct("RoundClosed", {
  at: Schema.String,
  reason: Schema.Literals(["cutoff", "manual"])
})
/**
 * A product did not reach its minimum (`minimum` units, 成團) by the close: it is 流團. Its lines
 * leave the book's orders (their stock goes back; an order left without lines is not confirmed),
 * each buyer is told (not ordered, reason `below-minimum`). `ordered` is how many units the
 * product had; `lines` the book's lines of its SKUs, in order.
 */
export const ProductBelowMinimum = Schema.TaggedStruct("ProductBelowMinimum", {
  productSku: Schema.String,
  minimum: Schema.Int,
  ordered: Schema.Int,
  lines: Schema.Array(
    Schema.Struct({
      orderId: Schema.String,
      buyerId: Schema.String,
      buyer: Author,
      seq: Schema.Int,
      sku: Schema.String,
      qty: Schema.Int,
      unitPrice: Schema.Int
    })
  ),
  at: Schema.String
})
/** The round is settled: every order confirmed, nothing more changes. */
export const RoundSettled = Schema.TaggedStruct("RoundSettled", { at: Schema.String })

// Changes to a round by its organiser (issue 16). None of them touches an order already placed:
// a line keeps the unit price it was ordered at, and the orders confirmed at a close stay as they
// were when the round reopens (they move to `State.sealed`).

/** The organiser renamed the round. */
export const RoundTitleChanged = Schema.TaggedStruct("RoundTitleChanged", { title: Schema.String, at: Schema.String })
/**
 * The round's cutoff moved (`null`: the round has no cutoff any more; it stays open until closed by
 * hand). The cutoff job moves with it, in the same commit.
 */
export const RoundCutoffChanged = Schema.TaggedStruct("RoundCutoffChanged", {
  cutoff: Schema.NullOr(IsoTimestamp),
  at: Schema.String
})
/**
 * A price changed, for lines ordered from now on: `sku` is a product (its price, which its
 * variants without a price of their own follow) or a variant (its own price). Lines already in an
 * order keep their `unitPrice`, and so does a line a buyer adds units to.
 */
export const PriceChanged = Schema.TaggedStruct("PriceChanged", { sku: Schema.String, price: Twd, at: Schema.String })
/**
 * The stock of a sellable SKU changed: `stock` is its new total (sold + left; for a pre-order, its
 * cap), `add` how many units that added to what is left (negative: taken away, never below what is
 * sold). An unlimited SKU given a stock becomes in stock (現貨).
 */
export const Restocked = Schema.TaggedStruct("Restocked", {
  sku: Schema.String,
  add: Schema.Int,
  stock: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  at: Schema.String
})
/** A product joined the catalogue (the parser knows its name and aliases from then on). */
export const ProductAdded = Schema.TaggedStruct("ProductAdded", { product: Catalogue.ProductSpec, at: Schema.String })
/**
 * A variant joined a product that has variants, with the new option values it names (and their
 * aliases) when it needs some: `{ "顏色": { "綠": ["綠色"] } }`.
 */
export const VariantAdded = Schema.TaggedStruct("VariantAdded", {
  productSku: Schema.String,
  variant: Catalogue.VariantSpec,
  optionValues: Schema.optional(Schema.Record(Schema.String, Catalogue.OptionValues)),
  at: Schema.String
})
/** The organiser paused the round: comments are not ordered (reason `paused`) until it resumes. */
export const RoundPaused = Schema.TaggedStruct("RoundPaused", { at: Schema.String })
/** The round takes orders again after a pause. */
export const RoundResumed = Schema.TaggedStruct("RoundResumed", { at: Schema.String })
/**
 * A closed round takes orders again. The orders confirmed at the close are never changed: they
 * leave the order book for good (`State.sealed`), so a buyer's next "+1" starts a new order, and
 * comments sent before the reopening are not orders (as before an opening). A new cutoff comes
 * as a `RoundCutoffChanged` right after.
 */
export const RoundReopened = Schema.TaggedStruct("RoundReopened", { at: Schema.String })

// Stock policies (issue 16): the waiting list (候補), stock released after the close, pre-order
// arrival (預購到貨) and the round's own minimum.

/**
 * A buyer joined the waiting list (候補) of a sold-out SKU (a round with `waitlist: true`): the
 * comment's line that did not fit (`qty` units) waits, after a `CommentNotOrdered` for it. A buyer
 * already waiting for the SKU keeps their place; `qty` is then their new request.
 */
export const WaitlistJoined = Schema.TaggedStruct("WaitlistJoined", {
  ...CommentRef,
  sku: Schema.String,
  qty: Schema.Int.check(Schema.isGreaterThan(0))
})
/**
 * Freed stock went to the first buyer waiting for `sku`: `qty` units, ordered by the
 * `LinesOrdered` right after it (order `orderId`); `remaining` units still wait (0: the buyer
 * leaves the list). Decided by the command that freed the stock (a cancel, an amendment, a
 * restock, an order released after the close).
 */
export const WaitlistPromoted = Schema.TaggedStruct("WaitlistPromoted", {
  sku: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  qty: Schema.Int.check(Schema.isGreaterThan(0)),
  remaining: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  orderId: Schema.String,
  at: Schema.String
})
/**
 * A buyer left the waiting list of `sku`: `cancelled` (their comment cancelled), or `over-limit`
 * (they hold the per-buyer limit already: nothing more can be theirs).
 */
export const WaitlistLeft = Schema.TaggedStruct("WaitlistLeft", {
  sku: Schema.String,
  buyerId: Schema.String,
  reason: Schema.Literals(["cancelled", "over-limit"]),
  at: Schema.String
})
/**
 * A confirmed order was cancelled (by the organiser, or at the payment deadline): its `lines`
 * go back to the round's stock (and so to the waiting list). The round's copy of the order leaves
 * its book (or `sealed`).
 */
export const OrderReleased = Schema.TaggedStruct("OrderReleased", {
  orderId: Schema.String,
  buyerId: Schema.String,
  lines: Schema.Array(OrderLine),
  reason: Schema.String,
  at: Schema.String
})
/**
 * The round did not reach its own minimum (`minimumOrders` orders, 成團) by the close: it is 流團
 * as a whole. Every line of the book leaves (stock back, no order confirmed), each buyer is told.
 */
export const RoundBelowMinimum = Schema.TaggedStruct("RoundBelowMinimum", {
  minimum: Schema.Int,
  ordered: Schema.Int,
  lines: ProductBelowMinimum.fields.lines,
  at: Schema.String
})
/** Pre-order SKUs (預購) arrived: their lines may ship from now on. */
export const PreorderArrived = Schema.TaggedStruct("PreorderArrived", {
  skus: Schema.Array(Schema.String),
  at: Schema.String
})

/** Every round event. */
export const Event = Schema.Union([
  RoundCreated,
  RoundOpened,
  LinesOrdered,
  LinesSet,
  OrderWithdrawn,
  CommentNotOrdered,
  CommentForReview,
  ReviewResolved,
  PaymentReported,
  CommentIgnored,
  RoundClosed,
  ProductBelowMinimum,
  RoundSettled,
  RoundTitleChanged,
  RoundCutoffChanged,
  PriceChanged,
  Restocked,
  ProductAdded,
  VariantAdded,
  RoundPaused,
  RoundResumed,
  RoundReopened,
  WaitlistJoined,
  WaitlistPromoted,
  WaitlistLeft,
  OrderReleased,
  RoundBelowMinimum,
  PreorderArrived
])
export type Event = typeof Event.Type

/** The organiser's changes to a round (issue 16), by tag. */
export const changeEventTags = [
  "RoundTitleChanged",
  "RoundCutoffChanged",
  "PriceChanged",
  "Restocked",
  "ProductAdded",
  "VariantAdded",
  "RoundPaused",
  "RoundResumed",
  "RoundReopened"
] as const satisfies ReadonlyArray<Event["_tag"]>

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** A comment as the round sees it: who, what, when, and what the parser made of it. */
export interface IncomingComment {
  readonly commentId: string
  readonly buyerId: string
  readonly buyer: Author
  readonly text: string
  readonly at: string
  readonly parsed: ParseResult
}

/** What the organiser decides a review item was. */
export type ReviewAction = "order" | "amend" | "cancel" | "dismiss"

export type Command =
  | { readonly _tag: "Create"; readonly spec: RoundSpec; readonly at: string }
  | { readonly _tag: "Open"; readonly at: string }
  | {
      readonly _tag: "HandleComment"
      readonly comment: IncomingComment
      /** The id a new order would get (ids are generated outside the pure core). */
      readonly newOrderId: string
    }
  | {
      readonly _tag: "EditComment"
      readonly comment: IncomingComment
      /** The order the original comment changed, if any (the use case finds it in the stream). */
      readonly orderId: string | undefined
    }
  | {
      readonly _tag: "RemoveComment"
      readonly commentId: string
      readonly at: string
      /** The order the comment changed, if any. */
      readonly orderId: string | undefined
    }
  | {
      readonly _tag: "ResolveReview"
      readonly commentId: string
      /** The lines to order (`order`) or to set (`amend`); empty for `cancel` and `dismiss`. */
      readonly approve: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
      /**
       * What the comment was (default: `order` with lines, `dismiss` without). `order` adds the
       * lines; `amend` sets the buyer's quantities of those SKUs to them (0 removes a line);
       * `cancel` withdraws the buyer's order (after the cutoff only the item is resolved: the
       * confirmed order is cancelled by the Order aggregate); `dismiss` orders nothing.
       */
      readonly action?: ReviewAction | undefined
      readonly newOrderId: string
      readonly at: string
    }
  | {
      /** The organiser cancels an order of the book while the round is open: its stock goes back. */
      readonly _tag: "CancelOrder"
      readonly orderId: string
      readonly reason: string
      readonly at: string
    }
  | { readonly _tag: "Close"; readonly at: string; readonly reason: "cutoff" | "manual" }
  | {
      /**
       * After the close, before its orders are confirmed: every product under its `minimum` is
       * 流團 ({@link ProductBelowMinimum}). Decides nothing when no book line is of such a product
       * (so a retry is harmless).
       */
      readonly _tag: "ApplyMinimums"
      readonly at: string
    }
  | { readonly _tag: "Settle"; readonly at: string }
  | {
      /**
       * A confirmed order was cancelled (after the close, or one confirmed before a reopening):
       * its lines (as the round sold them) go back to the stock and down the waiting list
       * ({@link OrderReleased}). Decides nothing for an order the round does not hold any more
       * (a retry is harmless); refused (`not-closed`) for an order still in an open round's book.
       */
      readonly _tag: "ReleaseOrder"
      readonly orderId: string
      readonly reason: string
      readonly at: string
    }
  | {
      /**
       * The organiser marks pre-order SKUs (預購) arrived: sellable SKUs, or products (all their
       * pre-order SKUs). Refused for a SKU that is not a pre-order (`not-preorder`); decides
       * nothing for SKUs that arrived already.
       */
      readonly _tag: "MarkArrived"
      readonly skus: ReadonlyArray<string>
      readonly at: string
    }
  | ChangeCommand

/**
 * The organiser's changes to an open (or paused) round; `Reopen` to a closed one. Each decides no
 * events when it would change nothing (a retry of the same change is harmless), except `Restock`
 * with `add`, which adds every time (the use case guards it with an idempotency key).
 */
export type ChangeCommand =
  | { readonly _tag: "EditTitle"; readonly title: string; readonly at: string }
  | {
      /** A new cutoff, after `at` (`null`: none). A cutoff that has passed is refused (`cutoff-passed`). */
      readonly _tag: "SetCutoff"
      readonly cutoff: string | null
      readonly at: string
    }
  | { readonly _tag: "SetPrice"; readonly sku: string; readonly price: number; readonly at: string }
  | {
      /** `add` units to what is left, or set the total `stock` (sold + left; never below what is sold). */
      readonly _tag: "Restock"
      readonly sku: string
      readonly add?: number | undefined
      readonly stock?: number | undefined
      readonly at: string
    }
  | { readonly _tag: "AddProduct"; readonly product: Catalogue.ProductSpec; readonly at: string }
  | {
      readonly _tag: "AddVariant"
      readonly productSku: string
      readonly variant: Catalogue.VariantSpec
      readonly optionValues?: Readonly<Record<string, Catalogue.OptionValues>> | undefined
      readonly at: string
    }
  | { readonly _tag: "Pause"; readonly at: string }
  | { readonly _tag: "Resume"; readonly at: string }
  | {
      /**
       * Reopens a closed round (never a settled one). `cutoff`: the new cutoff (`null`: none;
       * omitted: keep the current one, which must not have passed). The use case confirms every
       * order of the close first: those orders are never changed by the reopening.
       */
      readonly _tag: "Reopen"
      readonly cutoff?: string | null | undefined
      readonly at: string
    }

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

export type Status = "none" | "draft" | "open" | "closed" | "settled"

/**
 * Where a round is, as organisers see it: its {@link Status}, or `paused` for an open round the
 * organiser paused (its status stays `open`: a paused round closes at its cutoff like an open one).
 */
export type Phase = Status | "paused"

/** The {@link Phase} of a state. */
export const phaseOf = (state: State): Phase => (state.paused && state.status === "open" ? "paused" : state.status)

/** One buyer's order in the book. Lines with qty 0 are dropped. */
export interface BookEntry {
  readonly orderId: string
  readonly buyerId: string
  readonly buyer: Author
  readonly lines: ReadonlyArray<OrderLine>
  readonly seq: number
  readonly placedAt: string
  readonly updatedAt: string
  readonly withdrawn: boolean
}

/** Stock of one SKU: `left` null = unlimited. */
export interface SkuStock {
  readonly left: number | null
  readonly sold: number
}

export interface ReviewEntry {
  readonly commentId: string
  readonly buyerId: string
  readonly buyer: Author
  readonly text: string
  readonly reason: string
  readonly lines: ReadonlyArray<ParsedLine>
  readonly seq: number
  readonly at: string
  readonly resolved: boolean
}

export interface State {
  readonly status: Status
  readonly spec: RoundSpec | undefined
  readonly catalogue: Catalogue.Catalogue | undefined
  readonly cutoffMs: number | undefined
  /**
   * When the round opened (`RoundOpened.at`, epoch ms, to the whole second: Telegram and Facebook
   * date messages in whole seconds): comments sent before it are not orders.
   */
  readonly openedMs: number | undefined
  readonly stock: Readonly<Record<string, SkuStock>>
  readonly book: PMap.PersistentMap<BookEntry>
  readonly review: PMap.PersistentMap<ReviewEntry>
  readonly orderCount: number
  readonly commentCount: number
  /** Paused by the organiser (the status stays `open`): comments are not ordered, reason `paused`. */
  readonly paused: boolean
  /**
   * The orders confirmed at a close before the round reopened, as they were then, in order.
   * They are never changed here (the Order aggregate owns them) and their stock stays sold.
   */
  readonly sealed: ReadonlyArray<BookEntry>
  /**
   * The waiting lists (候補), by SKU, first come first: only SKUs with someone waiting have a key.
   * While a SKU has a list, its freed units go down the list and nobody else orders it.
   */
  readonly waiting: Readonly<Record<string, ReadonlyArray<WaitEntry>>>
  /** The pre-order SKUs marked arrived (預購到貨): their lines may ship. */
  readonly arrived: ReadonlyArray<string>
}

/** A buyer waiting for a SKU: `qty` units still wanted; `seq` the comment that joined. */
export interface WaitEntry {
  readonly buyerId: string
  readonly buyer: Author
  readonly qty: number
  readonly commentId: string
  readonly seq: number
  readonly at: string
}

export const initialState: State = {
  status: "none",
  spec: undefined,
  catalogue: undefined,
  cutoffMs: undefined,
  openedMs: undefined,
  stock: {},
  book: PMap.empty(),
  review: PMap.empty(),
  orderCount: 0,
  commentCount: 0,
  paused: false,
  sealed: [],
  waiting: {},
  arrived: []
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A command that the round's state does not allow. */
export class RoundError extends Data.TaggedError("RoundError")<{
  readonly reason:
    | "not-created"
    | "already-created"
    | "invalid-catalogue"
    | "not-open"
    | "not-closed"
    | "unknown-review"
    | "unknown-sku"
    | "unknown-order"
    | "no-order"
    | "cutoff-passed"
    | "settled"
    | "unlimited"
    | "below-sold"
    | "invalid-change"
    | "not-preorder"
  readonly message: string
}> {}

// ---------------------------------------------------------------------------------------------
// Transition table
// ---------------------------------------------------------------------------------------------

/** The organiser's changes to the catalogue and settings, allowed while open or paused. */
const editTags = [
  "RoundTitleChanged",
  "RoundCutoffChanged",
  "PriceChanged",
  "Restocked",
  "ProductAdded",
  "VariantAdded"
] as const

/** What frees or takes waiting-list stock in any phase but draft and settled. */
const waitlistTags = ["WaitlistPromoted", "WaitlistLeft", "OrderReleased"] as const

/**
 * Every allowed (phase, event) → phase move ({@link Phase}: the status, or `paused`). A property
 * test checks nothing else happens.
 */
export const transitions: ReadonlyArray<readonly [Phase, Event["_tag"], Phase]> = [
  ["none", "RoundCreated", "draft"],
  ["draft", "RoundOpened", "open"],
  // A round created and not opened yet answers comments as not ordered (`round-closed`), keeps
  // payment reports and ignores chatter; no use case leaves a round there (openRound opens it).
  ["draft", "CommentNotOrdered", "draft"],
  ["draft", "PaymentReported", "draft"],
  ["draft", "CommentIgnored", "draft"],
  ["open", "LinesOrdered", "open"],
  ["open", "LinesSet", "open"],
  ["open", "OrderWithdrawn", "open"],
  ["open", "CommentNotOrdered", "open"],
  ["open", "CommentForReview", "open"],
  ["open", "ReviewResolved", "open"],
  ["open", "PaymentReported", "open"],
  ["open", "CommentIgnored", "open"],
  ...editTags.map((e) => ["open", e, "open"] as const),
  ["open", "RoundPaused", "paused"],
  ["open", "RoundClosed", "closed"],
  // Paused: buyers' comments are not ordered (`paused`); the organiser still decides review items,
  // cancels orders of the book and edits the round; the cutoff closes it as it closes an open one.
  ["paused", "CommentNotOrdered", "paused"],
  ["paused", "CommentForReview", "paused"],
  ["paused", "PaymentReported", "paused"],
  ["paused", "CommentIgnored", "paused"],
  ["paused", "ReviewResolved", "paused"],
  ["paused", "LinesOrdered", "paused"],
  ["paused", "LinesSet", "paused"],
  ["paused", "OrderWithdrawn", "paused"],
  ...editTags.map((e) => ["paused", e, "paused"] as const),
  ["paused", "RoundResumed", "open"],
  ["paused", "RoundClosed", "closed"],
  ["closed", "CommentNotOrdered", "closed"],
  ["closed", "CommentForReview", "closed"],
  ["closed", "ReviewResolved", "closed"],
  ["closed", "PaymentReported", "closed"],
  ["closed", "CommentIgnored", "closed"],
  ["closed", "ProductBelowMinimum", "closed"],
  ["closed", "RoundReopened", "open"],
  // Stock policies (issue 16): the waiting list, orders released after the close (their stock
  // goes down the waiting list, which after the close places new orders), the round's minimum,
  // pre-order arrival.
  ["open", "WaitlistJoined", "open"],
  ["paused", "WaitlistJoined", "paused"],
  ...waitlistTags.flatMap((e) => [
    ["open", e, "open"] as const,
    ["paused", e, "paused"] as const,
    ["closed", e, "closed"] as const
  ]),
  ["closed", "LinesOrdered", "closed"],
  ["closed", "RoundBelowMinimum", "closed"],
  ["draft", "PreorderArrived", "draft"],
  ["open", "PreorderArrived", "open"],
  ["paused", "PreorderArrived", "paused"],
  ["closed", "PreorderArrived", "closed"],
  ["settled", "PreorderArrived", "settled"],
  ["closed", "RoundSettled", "settled"],
  ["settled", "CommentNotOrdered", "settled"],
  ["settled", "ReviewResolved", "settled"],
  ["settled", "PaymentReported", "settled"],
  ["settled", "CommentIgnored", "settled"]
]

// ---------------------------------------------------------------------------------------------
// evolve
// ---------------------------------------------------------------------------------------------

/**
 * The per-event code (state literals in a fixed key order, loops instead of callbacks, stock and
 * trie nodes edited in place by an owned batch) lives in `internal/roundEvolve.ts`, behind the
 * functions below. A property test checks the owned fold against the plain one.
 */

/** Folds one event into the state. Total: an event that does not fit leaves the state as is. */
export const evolve = (state: State, event: Event): State => Fast.evolveOwned(state, event, undefined)

/**
 * {@link evolve} for a caller that alone holds `state` and the states it folds from it (a batch
 * of comments): the book and review maps are edited in place where `by` created their nodes.
 * States made before the batch, without `by`, are never changed; `by` must not outlive the batch.
 */
export const evolveOwned: (state: State, event: Event, by: PMap.Owner | undefined) => State = Fast.evolveOwned

/** Folds many events. */
export const fold = (events: Iterable<Event>, state: State = initialState): State => {
  let s = state
  for (const e of events) s = evolve(s, e)
  return s
}

/** {@link fold} with an owner: see {@link evolveOwned}. */
export const foldOwned: (events: Iterable<Event>, state: State, by: PMap.Owner) => State = Fast.foldOwned

/** Who may edit a state's trie nodes in place: see {@link evolveOwned}. */
export type Owner = PMap.Owner

/** A fresh owner for one batch of {@link foldOwned} calls. */
export const owner = (): Owner => Fast.owner()

// ---------------------------------------------------------------------------------------------
// decide
// ---------------------------------------------------------------------------------------------

const isSeller = (spec: RoundSpec, c: IncomingComment): boolean => {
  // A loop, not `some` with a closure: this runs for every comment.
  for (const s of spec.sellers) if (s === c.buyer.id || s === c.buyer.name || s === c.buyerId) return true
  return false
}

const refOf = (state: State, c: IncomingComment): Ref => ({
  commentId: c.commentId,
  buyerId: c.buyerId,
  buyer: c.buyer,
  text: c.text,
  at: c.at,
  seq: state.commentCount + 1
})

/** The comment an event is about. */
interface Ref {
  readonly commentId: string
  readonly buyerId: string
  readonly buyer: Author
  readonly text: string
  readonly at: string
  readonly seq: number
}

type Ev<T extends Event["_tag"]> = {
  -readonly [K in keyof Extract<Event, { _tag: T }>]: Extract<Event, { _tag: T }>[K]
}

/*
 * The event constructors below run for every comment, and each writes its event as one whole
 * object literal, the comment's reference fields first (the stored JSON keeps that key order).
 * Two cheaper-looking forms cost more: `{ ...ref, _tag, … }` (a spread followed by new keys) is
 * about ten times slower in V8, and a shared literal completed by assignments gives every event a
 * second, out-of-object property store (about 40 bytes each, kept for the life of the store;
 * measured again at the end of stop 10: about 30 ms slower per 100,000 comments in the engine bench).
 */

/** The start of a rarer event, completed by assignments (see above for why the others are not). */
const about = <T extends Event["_tag"]>(r: Ref, _tag: T): Ev<T> =>
  ({
    commentId: r.commentId,
    buyerId: r.buyerId,
    buyer: r.buyer,
    text: r.text,
    at: r.at,
    seq: r.seq,
    _tag
  }) as unknown as Ev<T>

const ignored = (r: Ref, reason: string): Ev<"CommentIgnored"> => ({
  commentId: r.commentId,
  buyerId: r.buyerId,
  buyer: r.buyer,
  text: r.text,
  at: r.at,
  seq: r.seq,
  _tag: "CommentIgnored",
  reason
})

const notOrdered = (
  r: Ref,
  reason: typeof NotOrderedReason.Type,
  sku?: string,
  qty?: number
): Ev<"CommentNotOrdered"> => {
  if (sku !== undefined && qty !== undefined)
    return {
      commentId: r.commentId,
      buyerId: r.buyerId,
      buyer: r.buyer,
      text: r.text,
      at: r.at,
      seq: r.seq,
      _tag: "CommentNotOrdered",
      reason,
      sku,
      qty
    }
  const e = about(r, "CommentNotOrdered")
  e.reason = reason
  if (sku !== undefined) e.sku = sku
  if (qty !== undefined) e.qty = qty
  return e
}

const linesOrdered = (
  r: Ref,
  orderId: string,
  newOrder: boolean,
  lines: ReadonlyArray<OrderLine>
): Ev<"LinesOrdered"> => ({
  commentId: r.commentId,
  buyerId: r.buyerId,
  buyer: r.buyer,
  text: r.text,
  at: r.at,
  seq: r.seq,
  _tag: "LinesOrdered",
  orderId,
  newOrder,
  lines
})

const linesSet = (r: Ref, orderId: string, lines: Ev<"LinesSet">["lines"]): Ev<"LinesSet"> => ({
  commentId: r.commentId,
  buyerId: r.buyerId,
  buyer: r.buyer,
  text: r.text,
  at: r.at,
  seq: r.seq,
  _tag: "LinesSet",
  orderId,
  lines
})

const withdrawn = (r: Ref, orderId: string, reason?: string): Ev<"OrderWithdrawn"> =>
  reason === undefined ? withdrawnBy(r, orderId) : { ...withdrawnBy(r, orderId), reason }

const withdrawnBy = (r: Ref, orderId: string): Ev<"OrderWithdrawn"> => ({
  commentId: r.commentId,
  buyerId: r.buyerId,
  buyer: r.buyer,
  text: r.text,
  at: r.at,
  seq: r.seq,
  _tag: "OrderWithdrawn",
  orderId
})

const forReview = (r: Ref, reason: string, lines: ReadonlyArray<ParsedLine>): Ev<"CommentForReview"> => ({
  commentId: r.commentId,
  buyerId: r.buyerId,
  buyer: r.buyer,
  text: r.text,
  at: r.at,
  seq: r.seq,
  _tag: "CommentForReview",
  reason,
  lines
})

const paymentReported = (r: Ref, p: ParseResult): Ev<"PaymentReported"> => {
  const e = about(r, "PaymentReported")
  if (p.amount !== undefined) e.amount = p.amount
  if (p.last5 !== undefined) e.last5 = p.last5
  return e
}

/** Is this moment at or after the round's cutoff? */
export const isAfterCutoff = (state: State, at: string): boolean => isAfterCutoffMs(state, isoMillis(at))

/** {@link isAfterCutoff} for a moment already read as epoch ms (NaN is never after). */
export const isAfterCutoffMs = (state: State, ms: number): boolean =>
  state.cutoffMs !== undefined && ms >= state.cutoffMs

const entryOf = (state: State, buyerId: string): BookEntry | undefined => {
  // A withdrawn order is over: the buyer's next "+1" starts a new order.
  const e = PMap.get(state.book, buyerId)
  return e && !e.withdrawn ? e : undefined
}

/** How much of `want` units of `sku` the stock allows now, after `taken` units this comment took already. */
const available = (stock: Readonly<Record<string, SkuStock>>, sku: string, want: number, taken: number): number => {
  const s = stock[sku]
  if (!s) return 0
  return s.left === null ? want : Math.max(0, Math.min(want, s.left - taken))
}

const fullReason = (state: State, sku: string): "sold-out" | "over-cap" => {
  const s = state.catalogue?.bySku.get(sku)
  return s?.supply._tag === "Preorder" ? "over-cap" : "sold-out"
}

type Decision = Result.Result<ReadonlyArray<Event>, RoundError>

const ok = (events: ReadonlyArray<Event>): Decision => Result.succeed(events)
const fail = (reason: RoundError["reason"], message: string): Decision =>
  Result.fail(new RoundError({ reason, message }))

const review = (state: State, c: IncomingComment, reason: string): ReadonlyArray<Event> => [
  forReview(refOf(state, c), reason, c.parsed.lines)
]

/**
 * Resolves `sku: null` lines against the buyer's order: the line they have, if there is only one.
 * Returns undefined when it cannot.
 */
const resolveLines = (
  entry: BookEntry | undefined,
  lines: ReadonlyArray<{ readonly sku: string | null; readonly qty: number }>
): ReadonlyArray<{ readonly sku: string; readonly qty: number }> | undefined => {
  // Usually every line names its SKU: the parser's lines serve as they are (no copy per comment).
  let named = true
  for (const l of lines) if (l.sku === null) named = false
  if (named) return lines as ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  const out: Array<{ sku: string; qty: number }> = []
  for (const l of lines) {
    if (l.sku !== null) out.push({ sku: l.sku, qty: l.qty })
    else if (entry && entry.lines.length === 1) out.push({ sku: entry.lines[0]!.sku, qty: l.qty })
    else return undefined
  }
  return out
}

/** The unit price of the line of `sku` in `lines` (`otherwise` when there is none). */
const priceOf = (lines: ReadonlyArray<OrderLine>, sku: string, otherwise: number): number => {
  for (const l of lines) if (l.sku === sku) return l.unitPrice
  return otherwise
}

/** The quantity of `sku` in `lines` (0 when there is no such line). Loops, not callbacks: hot path. */
const qtyOf = (lines: ReadonlyArray<OrderLine>, sku: string): number => {
  for (const l of lines) if (l.sku === sku) return l.qty
  return 0
}

/**
 * The units of `sku` this comment has taken (or given back) so far, so two lines of one comment
 * for one SKU add up: what it filled, plus what its replacements moved.
 */
const takenBy = (
  filled: ReadonlyArray<OrderLine> | undefined,
  setLines: ReadonlyArray<{ readonly sku: string; readonly from: number; readonly to: number }> | undefined,
  sku: string
): number => {
  let t = 0
  if (filled !== undefined) for (const l of filled) if (l.sku === sku) t += l.qty
  if (setLines !== undefined) for (const l of setLines) if (l.sku === sku) t += l.to - l.from
  return t
}

/**
 * Orders `lines` for the comment's buyer, filling from stock and reporting the rest.
 * This runs for every order comment, and most fill one line and nothing else: each list starts as
 * a one-element literal when first needed (an array that grows by `push` gets room for 17), and
 * a list that grew is copied to its length before an event keeps it (see {@link exact}).
 */
const orderLines = (
  state: State,
  c: IncomingComment,
  ref: Ref,
  wanted: ReadonlyArray<{ readonly sku: string; readonly qty: number }>,
  newOrderId: string,
  mode: "add" | "replace"
): Decision => {
  const spec = state.spec!
  const catalogue = state.catalogue!
  const entry = entryOf(state, c.buyerId)
  const waitlist = spec.waitlist === true
  let filled: Array<OrderLine> | undefined
  let setLines: Array<{ sku: string; from: number; to: number; unitPrice: number }> | undefined
  let rejected:
    | Array<{ sku: string; qty: number; reason: "sold-out" | "over-cap" | "over-limit"; wait: boolean }>
    | undefined
  for (const w of wanted) {
    const sellable = catalogue.bySku.get(w.sku)
    if (!sellable) return fail("unknown-sku", `unknown sku "${w.sku}"`)
    const held = entry === undefined ? 0 : qtyOf(entry.lines, w.sku)
    // Under the replace policy a SKU named twice in one comment ("紅+2 紅+2") is set twice: the
    // last quantity wins, from what the first set (one line per SKU in the event, so the stock
    // moves exactly as the line does).
    const prev = setLines === undefined ? undefined : setOf(setLines, w.sku)
    const current = prev === undefined ? held : prev.to
    // A line keeps the price it was first ordered at (a price changed since is for new lines):
    // the event says the price the units are taken at. A scan only for a line the buyer has.
    const unitPrice = held > 0 ? priceOf(entry!.lines, w.sku, sellable.price) : sellable.price
    const extra = mode === "replace" ? w.qty - current : w.qty
    if (extra <= 0) {
      if (mode === "replace" && extra < 0) {
        if (prev !== undefined) prev.to = w.qty
        else if (setLines === undefined) setLines = [{ sku: w.sku, from: held, to: w.qty, unitPrice }]
        else setLines.push({ sku: w.sku, from: held, to: w.qty, unitPrice })
      }
      continue
    }
    const taken = takenBy(filled, setLines, w.sku)
    // 限購: what the buyer holds of the SKU after this comment never exceeds its limit.
    let allowed = extra
    const limit = sellable.limitPerBuyer
    if (limit !== undefined)
      allowed = Math.max(0, Math.min(extra, limit - held - taken - sealedQty(state, c.buyerId, w.sku)))
    // 候補: while buyers wait for the SKU, its units are theirs, first come first (nobody jumps the list).
    const got = waitlist && state.waiting[w.sku] !== undefined ? 0 : available(state.stock, w.sku, allowed, taken)
    if (got < extra && spec.partialFill === "reject") {
      // All or nothing: the whole line is not ordered, for the limit when the limit cut it.
      const full = allowed >= extra
      const r = {
        sku: w.sku,
        qty: extra,
        reason: full ? fullReason(state, w.sku) : ("over-limit" as const),
        wait: full
      }
      if (rejected === undefined) rejected = [r]
      else rejected.push(r)
      continue
    }
    if (got > 0) {
      if (mode === "replace") {
        if (prev !== undefined) prev.to = current + got
        else if (setLines === undefined) setLines = [{ sku: w.sku, from: held, to: current + got, unitPrice }]
        else setLines.push({ sku: w.sku, from: held, to: current + got, unitPrice })
      } else if (filled === undefined) filled = [{ sku: w.sku, qty: got, unitPrice }]
      else {
        let i = 0
        while (i < filled.length && filled[i]!.sku !== w.sku) i++
        if (i < filled.length) filled[i] = { sku: w.sku, qty: filled[i]!.qty + got, unitPrice: filled[i]!.unitPrice }
        else filled.push({ sku: w.sku, qty: got, unitPrice })
      }
    }
    if (got < allowed) {
      const r = { sku: w.sku, qty: allowed - got, reason: fullReason(state, w.sku), wait: true }
      if (rejected === undefined) rejected = [r]
      else rejected.push(r)
    }
    if (allowed < extra) {
      const r = { sku: w.sku, qty: extra - allowed, reason: "over-limit" as const, wait: false }
      if (rejected === undefined) rejected = [r]
      else rejected.push(r)
    }
  }
  // A SKU set back to what the buyer had (a "+3" then a "+1" of a SKU held once) changes nothing.
  if (setLines !== undefined && setLines.length > 1) setLines = setLines.filter((l) => l.to !== l.from)
  if (setLines !== undefined && setLines.length === 1 && setLines[0]!.to === setLines[0]!.from) setLines = undefined
  const orderId = entry?.orderId ?? newOrderId
  let first: Event | undefined
  let more: Array<Event> | undefined
  if (filled !== undefined)
    first = linesOrdered(ref, orderId, entry === undefined, filled.length === 1 ? filled : Fast.exact(filled))
  if (setLines !== undefined && setLines.length > 0) {
    const e =
      entry === undefined
        ? // Nothing to replace: the first "+N" of a buyer under the replace policy is an order.
          linesOrdered(
            ref,
            orderId,
            true,
            setLines.map((l) => ({ sku: l.sku, qty: l.to, unitPrice: l.unitPrice }))
          )
        : linesSet(ref, orderId, setLines.length === 1 ? setLines : Fast.exact(setLines))
    if (first === undefined) first = e
    else more = [first, e]
  }
  if (rejected !== undefined)
    for (const r of rejected) {
      const e = notOrdered(ref, r.reason, r.sku, r.qty)
      if (first === undefined) first = e
      else if (more === undefined) more = [first, e]
      else more.push(e)
      // 候補: a line that did not fit for want of stock waits (not one over the buyer's limit).
      if (waitlist && r.wait && r.qty > 0) {
        const joined: Ev<"WaitlistJoined"> = { ...about(ref, "WaitlistJoined"), sku: r.sku, qty: r.qty }
        if (more === undefined) more = [first, joined]
        else more.push(joined)
      }
    }
  if (first === undefined) return ok([ignored(ref, "no change: the order already has these quantities")])
  return ok(more === undefined ? [first] : more.length === 2 ? more : Fast.exact(more))
}

/** The replacement of `sku` among a comment's replacements so far. */
const setOf = <L extends { readonly sku: string }>(lines: ReadonlyArray<L>, sku: string): L | undefined => {
  for (const l of lines) if (l.sku === sku) return l
  return undefined
}

// ---------------------------------------------------------------------------------------------
// The waiting list (候補)
// ---------------------------------------------------------------------------------------------

/** Whether anyone waits for any SKU (no allocation: this runs for every comment of a waitlist round). */
const hasWaiting = (state: State): boolean => {
  for (const _ in state.waiting) return true
  return false
}

/** The SKUs `buyerId` waits for. */
export const waitingFor = (state: State, buyerId: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const sku in state.waiting) for (const w of state.waiting[sku]!) if (w.buyerId === buyerId) out.push(sku)
  return out
}

/** The buyer's place (1-based) on the waiting list of `sku`, or undefined. */
export const placeOf = (state: State, sku: string, buyerId: string): number | undefined => {
  const queue = state.waiting[sku]
  if (queue === undefined) return undefined
  for (let i = 0; i < queue.length; i++) if (queue[i]!.buyerId === buyerId) return i + 1
  return undefined
}

/**
 * The id of an order a promotion places for a buyer without one in the book (or after the close,
 * when each promotion is an order of its own): `<round id>-w<n>`, `n` the position of the event
 * among the round's handled comments, so a retry decides the same id.
 */
export const promotedOrderId = (roundId: string, seq: number): string => `${roundId}-w${seq}`

/**
 * `events` (decided on `state`) and then the promotions they allow: stock they freed goes down
 * the waiting lists. Nothing is folded when nobody waits.
 */
const withPromotions = (state: State, events: ReadonlyArray<Event>, at: string): ReadonlyArray<Event> => {
  if (state.spec?.waitlist !== true || !hasWaiting(state) || events.length === 0) return events
  const promoted = promotions(fold(events, state), at)
  return promoted.length === 0 ? events : [...events, ...promoted]
}

/** {@link withPromotions} of a decision. */
const promoting = (state: State, decision: Decision, at: string): Decision =>
  Result.isSuccess(decision) ? ok(withPromotions(state, decision.success, at)) : decision

/**
 * Serves the waiting lists from what is left, first come first: each buyer at the head gets what
 * they wait for (up to their per-buyer limit; under `partialFill: "reject"` all of it or, while it
 * does not fit, nothing: the head keeps waiting and so does everyone behind), as a
 * `WaitlistPromoted` and a `LinesOrdered` (added to the buyer's order in the book while the round
 * is open; a new order of its own after the close). A buyer at their limit leaves the list.
 */
const promotions = (state: State, at: string): Array<Event> => {
  const spec = state.spec!
  const catalogue = state.catalogue!
  const out: Array<Event> = []
  let s = state
  for (const sku of Object.keys(state.waiting)) {
    const sellable = catalogue.bySku.get(sku)
    if (sellable === undefined) continue
    for (;;) {
      const queue = s.waiting[sku]
      const stock = s.stock[sku]
      if (queue === undefined || queue.length === 0 || stock === undefined) break
      if (stock.left !== null && stock.left <= 0) break
      const head = queue[0]!
      const live = entryOf(s, head.buyerId)
      const held = (live === undefined ? 0 : qtyOf(live.lines, sku)) + sealedQty(s, head.buyerId, sku)
      const limit = sellable.limitPerBuyer
      const room = limit === undefined ? head.qty : Math.min(head.qty, limit - held)
      if (room <= 0) {
        const left: Ev<"WaitlistLeft"> = { _tag: "WaitlistLeft", sku, buyerId: head.buyerId, reason: "over-limit", at }
        out.push(left)
        s = evolve(s, left)
        continue
      }
      const got = stock.left === null ? room : Math.min(room, stock.left)
      if (got < room && spec.partialFill === "reject") break
      // While open the units join the buyer's order in the book; after the close that order is
      // confirmed (the Order aggregate's), so the units make an order of their own.
      const target = s.status === "open" && live !== undefined && live.lines.length > 0 ? live : undefined
      const seq = s.commentCount + 1
      const orderId = target?.orderId ?? promotedOrderId(spec.id, seq)
      const unitPrice = target === undefined ? sellable.price : priceOf(target.lines, sku, sellable.price)
      const promoted: Ev<"WaitlistPromoted"> = {
        _tag: "WaitlistPromoted",
        sku,
        buyerId: head.buyerId,
        buyer: head.buyer,
        qty: got,
        remaining: room - got,
        orderId,
        at
      }
      const ref: Ref = {
        commentId: `waitlist:${sku}:${head.seq}:${seq}`,
        buyerId: head.buyerId,
        buyer: head.buyer,
        text: "",
        at,
        seq
      }
      const ordered = linesOrdered(ref, orderId, target === undefined, [{ sku, qty: got, unitPrice }])
      out.push(promoted, ordered)
      s = evolve(evolve(s, promoted), ordered)
    }
  }
  return out
}

/** A buyer leaving the waiting lists of `skus` (their comment cancelled). */
const leaving = (buyerId: string, skus: ReadonlyArray<string>, at: string): Array<Event> =>
  skus.map((sku) => ({ _tag: "WaitlistLeft", sku, buyerId, reason: "cancelled", at }) satisfies Ev<"WaitlistLeft">)

/**
 * What an open round does with a parsed comment. A switch rather than ts-pattern, and a function
 * of its own rather than a closure: it runs once per comment (100,000s per round).
 */
const decideIntent = (s: State, c: IncomingComment, ref: Ref, newOrderId: string): Decision => {
  const spec = s.spec!
  const p = c.parsed
  switch (p.intent) {
    case "none":
    // 載具: the buyer's invoice carrier, recorded beside the round (GroupBuy): never an order
    case "carrier":
      return ok([ignored(ref, p.reason)])
    case "payment":
      return ok([paymentReported(ref, p)])
    case "review":
      return ok(review(s, c, p.reason))
    case "order": {
      const lines = resolveLines(entryOf(s, c.buyerId), p.lines)
      if (!lines || lines.length === 0) return ok(review(s, c, "order without a product"))
      return orderLines(s, c, ref, lines, newOrderId, spec.repeatOrder === "replace" ? "replace" : "add")
    }
    case "amend": {
      const entry = entryOf(s, c.buyerId)
      if (!entry || entry.lines.length === 0)
        return ok(review(s, c, hasSealed(s, c.buyerId) ? SEALED : "amendment but the buyer has no order"))
      const lines = resolveLines(entry, p.lines)
      if (!lines) return ok(review(s, c, "amendment: which line? the buyer has several"))
      return orderLines(s, c, ref, lines, newOrderId, "replace")
    }
    case "cancel": {
      const entry = entryOf(s, c.buyerId)
      // 候補: a buyer who cancels leaves the waiting lists (all of them, or those of the lines named).
      const waits = hasWaiting(s) ? waitingFor(s, c.buyerId) : []
      const named = (skus: ReadonlyArray<string>) =>
        p.lines.length === 0 ? skus : skus.filter((sku) => p.lines.some((l) => l.sku === sku || l.sku === null))
      if (!entry || entry.lines.length === 0) {
        const leave = named(waits)
        if (leave.length > 0) return ok([ignored(ref, WAITLIST_LEFT), ...leaving(c.buyerId, leave, c.at)])
        return ok(review(s, c, hasSealed(s, c.buyerId) ? SEALED : "cancellation but the buyer has no order"))
      }
      if (p.lines.length === 0) return ok([withdrawn(ref, entry.orderId), ...leaving(c.buyerId, waits, c.at)])
      const lines = resolveLines(entry, p.lines)
      if (!lines) return ok(review(s, c, "cancellation: which line? the buyer has several"))
      const set = lines.flatMap((l) => {
        const current = entry.lines.find((x) => x.sku === l.sku)
        return current
          ? [{ sku: l.sku, from: current.qty, to: Math.max(0, current.qty - l.qty), unitPrice: current.unitPrice }]
          : []
      })
      const leave = waits.filter((sku) => lines.some((l) => l.sku === sku))
      if (set.length === 0) {
        if (leave.length > 0) return ok([ignored(ref, WAITLIST_LEFT), ...leaving(c.buyerId, leave, c.at)])
        return ok(review(s, c, "cancellation of a line the buyer does not have"))
      }
      return ok([linesSet(ref, entry.orderId, set), ...leaving(c.buyerId, leave, c.at)])
    }
    default:
      return absurd(p.intent)
  }
}

/**
 * The units of `sku` in the buyer's orders confirmed at an earlier close (a reopened round): they
 * count towards the per-buyer limit. Usually there are none (no scan).
 */
const sealedQty = (state: State, buyerId: string, sku: string): number => {
  if (state.sealed.length === 0) return 0
  let q = 0
  for (const e of state.sealed) if (e.buyerId === buyerId) q += qtyOf(e.lines, sku)
  return q
}

/**
 * Why an amendment or cancellation of a buyer whose only order was confirmed at a close (the
 * round reopened since) goes to review: the confirmed order changes only by the organiser's hand.
 */
export const SEALED = "the buyer's order was confirmed when the round closed: change it by hand"

/** Whether the buyer has an order confirmed at an earlier close (a reopened round). Rare path: a scan. */
const hasSealed = (state: State, buyerId: string): boolean => {
  for (const e of state.sealed) if (e.buyerId === buyerId) return true
  return false
}

/** Why a cancelling comment of a buyer who only waited (候補) changed no order. */
export const WAITLIST_LEFT = "left the waiting list"

/** Why a comment sent before the round opened is not an order (see {@link handleComment}). */
export const SENT_BEFORE_OPEN = "sent before the round opened"
/** Why a comment whose time cannot be read is not an order. */
export const NO_VALID_TIME = "the comment has no valid time"

const handleComment = (state: State, c: IncomingComment, newOrderId: string): Decision => {
  const spec = state.spec!
  const ref = refOf(state, c)
  const events: Array<Event> = []
  let s = state
  // The comment's time, read once for the cutoff and the opening (NaN when it is not a time).
  const atMs = isoMillis(c.at)
  // The cutoff closes the round by itself: the first comment after it records the close.
  if (s.status === "open" && isAfterCutoffMs(s, atMs)) {
    const closed: Event = { _tag: "RoundClosed", at: spec.cutoff!, reason: "cutoff" }
    events.push(closed)
    s = evolve(s, closed)
  }
  const p = c.parsed
  if (isSeller(spec, c)) {
    events.push(ignored(ref, "seller's own comment"))
    return ok(events)
  }
  const wantsChange = p.intent === "order" || p.intent === "amend" || p.intent === "cancel" || p.intent === "review"
  // A comment sent before the round opened (a late redelivery of an old message, an event from
  // years ago) or without a readable time is never an order: the organiser decides. Chatter
  // stays chatter. `!(a >= b)` is also true for NaN.
  if (
    s.status === "open" &&
    s.openedMs !== undefined &&
    !(atMs >= s.openedMs) &&
    (wantsChange || p.intent === "payment")
  ) {
    events.push(forReview(ref, Number.isNaN(atMs) ? NO_VALID_TIME : SENT_BEFORE_OPEN, p.lines))
    return ok(events)
  }
  // Nobody's order may absorb a comment whose author the channel did not name.
  if (c.buyer.unknown === true && s.status === "open" && (wantsChange || p.intent === "payment")) {
    events.push(forReview(ref, "the channel did not say who wrote this", p.lines))
    return ok(events)
  }
  if (s.status !== "open" || s.paused) {
    if (p.intent === "payment") {
      events.push(paymentReported(ref, p))
    } else if (wantsChange) {
      events.push(
        notOrdered(ref, s.status === "draft" ? "round-closed" : s.status === "open" ? "paused" : "after-cutoff")
      )
    } else events.push(ignored(ref, p.reason))
    return ok(events)
  }
  // Stock the comment freed goes down the waiting lists (only looked at while someone waits).
  const decided =
    spec.waitlist === true && hasWaiting(s)
      ? promoting(s, decideIntent(s, c, ref, newOrderId), c.at)
      : decideIntent(s, c, ref, newOrderId)
  // Usually nothing came before (no close at the cutoff): no second array then.
  return events.length === 0 ? decided : Result.map(decided, (evs) => [...events, ...evs])
}

const absurd = (x: never): never => {
  throw new Error(`unexpected ${String(x)}`)
}

/** Decides what a command does in the current state. */
export const decide = (command: Command, state: State): Decision =>
  // The per-comment command first, without ts-pattern's per-call pattern objects (hot path).
  command._tag === "HandleComment"
    ? state.status === "none" || !state.spec
      ? fail("not-created", "no such round")
      : handleComment(state, command.comment, command.newOrderId)
    : decideOther(command, state)

const decideOther = (command: Exclude<Command, { readonly _tag: "HandleComment" }>, state: State): Decision =>
  match(command)
    .with({ _tag: "Create" }, (c) => {
      if (state.status !== "none") return fail("already-created", "the round exists already")
      const compiled = Catalogue.compile(c.spec.products)
      if (Result.isFailure(compiled)) return fail("invalid-catalogue", compiled.failure.message)
      return ok([{ _tag: "RoundCreated", spec: c.spec, at: c.at }])
    })
    .with({ _tag: "Open" }, (c) =>
      state.status === "draft"
        ? ok([{ _tag: "RoundOpened", at: c.at }])
        : fail("not-open", `cannot open a ${state.status} round`)
    )
    .with({ _tag: "EditComment" }, (c) => {
      if (state.status === "none" || !state.spec) return fail("not-created", "no such round")
      if (c.orderId === undefined || state.spec.onEdit === "ignore")
        return ok([ignored(refOf(state, c.comment), "edited comment; its order is unchanged")])
      return ok(review(state, c.comment, `edited after ordering: "${c.comment.text}"`))
    })
    .with({ _tag: "RemoveComment" }, (c) => {
      if (state.status === "none" || !state.spec) return fail("not-created", "no such round")
      if (c.orderId === undefined || state.spec.onEdit === "ignore") return ok([])
      const entry = [...PMap.values(state.book)].find((e) => e.orderId === c.orderId)
      if (!entry) return ok([])
      const comment: IncomingComment = {
        commentId: `${c.commentId}#unsent`,
        buyerId: entry.buyerId,
        buyer: entry.buyer,
        text: "",
        at: c.at,
        parsed: { intent: "review", lines: [], reason: "comment unsent", spans: [] }
      }
      return ok(review(state, comment, "the comment that made this order was unsent"))
    })
    .with({ _tag: "ResolveReview" }, (c) => promoting(state, resolveReview(state, c), c.at))
    .with({ _tag: "CancelOrder" }, (c) => {
      if (state.status === "none" || !state.spec) return fail("not-created", "no such round")
      const entry = bookEntryOf(state, c.orderId)
      if (!entry) return fail("unknown-order", `no order ${c.orderId} in this round`)
      // Withdrawn, or its lines all cancelled by comments: nothing left to cancel.
      if (entry.withdrawn || entry.lines.length === 0) return ok([])
      if (state.status !== "open")
        return fail("not-open", "after the cutoff an order is cancelled as a confirmed order, not in the book")
      const ref: Ref = {
        commentId: `${c.orderId}#cancelled`,
        buyerId: entry.buyerId,
        buyer: entry.buyer,
        text: "",
        at: c.at,
        seq: state.commentCount + 1
      }
      return ok(withPromotions(state, [withdrawn(ref, entry.orderId, c.reason)], c.at))
    })
    .with({ _tag: "Close" }, (c) =>
      state.status === "open"
        ? ok([{ _tag: "RoundClosed", at: c.at, reason: c.reason }])
        : fail("not-open", `cannot close a ${state.status} round`)
    )
    .with({ _tag: "ApplyMinimums" }, (c) => applyMinimums(state, c.at))
    .with({ _tag: "ReleaseOrder" }, (c) => releaseOrder(state, c))
    .with({ _tag: "MarkArrived" }, (c) => markArrived(state, c))
    .with({ _tag: "Settle" }, (c) =>
      state.status === "closed"
        ? ok([{ _tag: "RoundSettled", at: c.at }])
        : fail("not-closed", `cannot settle a ${state.status} round`)
    )
    .with(
      { _tag: "EditTitle" },
      { _tag: "SetCutoff" },
      { _tag: "SetPrice" },
      { _tag: "Restock" },
      { _tag: "AddProduct" },
      { _tag: "AddVariant" },
      { _tag: "Pause" },
      { _tag: "Resume" },
      { _tag: "Reopen" },
      (c) => decideChange(c, state)
    )
    .exhaustive()

/** 流團 at the close: see the `ApplyMinimums` command. */
const applyMinimums = (state: State, at: string): Decision => {
  if (state.status === "none" || !state.spec || !state.catalogue) return fail("not-created", "no such round")
  if (state.status !== "closed")
    return fail("not-closed", `minimums apply when the round closes (it is ${state.status})`)
  const events: Array<Event> = []
  const book = orders(state)
  for (const product of state.catalogue.products) {
    const minimum = product.spec.minimum
    if (minimum === undefined) continue
    const skus = new Set<string>(product.skus.map((k) => k.sku))
    let ordered = 0
    for (const e of allOrders(state)) for (const l of e.lines) if (skus.has(l.sku)) ordered += l.qty
    if (ordered >= minimum) continue
    const lines: Array<Ev<"ProductBelowMinimum">["lines"][number]> = []
    for (const e of book)
      for (const l of e.lines)
        if (skus.has(l.sku))
          lines.push({
            orderId: e.orderId,
            buyerId: e.buyerId,
            buyer: e.buyer,
            seq: e.seq,
            sku: l.sku,
            qty: l.qty,
            unitPrice: l.unitPrice
          })
    if (lines.length > 0)
      events.push({ _tag: "ProductBelowMinimum", productSku: product.spec.sku, minimum, ordered, lines, at })
  }
  // The round's own minimum (成團): orders with lines left after the products' 流團.
  const minimumOrders = state.spec.minimumOrders
  if (minimumOrders !== undefined) {
    const gone = new Set<string>()
    for (const e of events)
      if (e._tag === "ProductBelowMinimum") for (const l of e.lines) gone.add(`${l.orderId}\u0000${l.sku}`)
    const kept = (e: BookEntry) => e.lines.filter((l) => !gone.has(`${e.orderId}\u0000${l.sku}`))
    let ordered = 0
    for (const e of allOrders(state)) if (kept(e).length > 0) ordered++
    if (ordered < minimumOrders) {
      const lines: Array<Ev<"RoundBelowMinimum">["lines"][number]> = []
      for (const e of book)
        for (const l of kept(e))
          lines.push({
            orderId: e.orderId,
            buyerId: e.buyerId,
            buyer: e.buyer,
            seq: e.seq,
            sku: l.sku,
            qty: l.qty,
            unitPrice: l.unitPrice
          })
      if (lines.length > 0) events.push({ _tag: "RoundBelowMinimum", minimum: minimumOrders, ordered, lines, at })
    }
  }
  return ok(events)
}

/** A confirmed order's stock back: see the `ReleaseOrder` command. */
const releaseOrder = (state: State, c: Extract<Command, { readonly _tag: "ReleaseOrder" }>): Decision => {
  if (state.status === "none" || !state.spec) return fail("not-created", "no such round")
  // A settled round changes no more; a draft one has no orders.
  if (state.status === "settled" || state.status === "draft") return ok([])
  const inBook = bookEntryOf(state, c.orderId)
  let holder = inBook !== undefined && !inBook.withdrawn && inBook.lines.length > 0 ? inBook : undefined
  if (holder !== undefined && state.status === "open")
    return fail("not-closed", `order ${c.orderId} is in the book: cancel it (CancelOrder) instead`)
  if (holder === undefined) for (const e of state.sealed) if (e.orderId === c.orderId) holder = e
  if (holder === undefined) return ok([])
  const released: Ev<"OrderReleased"> = {
    _tag: "OrderReleased",
    orderId: c.orderId,
    buyerId: holder.buyerId,
    lines: holder.lines,
    reason: c.reason,
    at: c.at
  }
  return ok(withPromotions(state, [released], c.at))
}

/** 預購到貨: see the `MarkArrived` command. */
const markArrived = (state: State, c: Extract<Command, { readonly _tag: "MarkArrived" }>): Decision => {
  if (state.status === "none" || !state.catalogue) return fail("not-created", "no such round")
  if (c.skus.length === 0) return fail("invalid-change", "name at least one pre-order sku")
  const catalogue = state.catalogue
  const out: Array<string> = []
  for (const sku of c.skus) {
    const one = catalogue.bySku.get(sku)
    const group = one !== undefined ? [one] : catalogue.skus.filter((k) => k.productSku === sku)
    if (group.length === 0) return fail("unknown-sku", `unknown sku "${sku}"`)
    const preorders = group.filter((k) => k.supply._tag === "Preorder")
    if (preorders.length === 0) return fail("not-preorder", `"${sku}" is not a pre-order (預購): it ships when paid`)
    for (const k of preorders) if (!state.arrived.includes(k.sku) && !out.includes(k.sku)) out.push(k.sku)
  }
  return ok(out.length === 0 ? [] : [{ _tag: "PreorderArrived", skus: out, at: c.at }])
}

/** Whether `sku` is a pre-order (預購) SKU of the round. */
export const isPreorder = (state: State, sku: string): boolean =>
  state.catalogue?.bySku.get(sku)?.supply._tag === "Preorder"

/**
 * The SKUs of `lines` that are pre-orders not marked arrived yet, in a round that holds them until
 * then (`preorderArrival: true`): they cannot ship. Empty in a round without the setting.
 */
export const notArrived = (state: State, lines: ReadonlyArray<{ readonly sku: string }>): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (state.spec?.preorderArrival !== true) return out
  for (const l of lines)
    if (isPreorder(state, l.sku) && !state.arrived.includes(l.sku) && !out.includes(l.sku)) out.push(l.sku)
  return out
}

// ---------------------------------------------------------------------------------------------
// The organiser's changes (issue 16)
// ---------------------------------------------------------------------------------------------

/** What a change command does: events, or why it is refused. Never touches the order book. */
const decideChange = (c: ChangeCommand, state: State): Decision => {
  if (state.status === "none" || !state.spec || !state.catalogue) return fail("not-created", "no such round")
  const spec = state.spec
  if (c._tag === "Reopen") return reopen(c, state)
  if (state.status !== "open") return fail("not-open", `a ${state.status} round cannot be changed: reopen it first`)
  const atMs = isoMillis(c.at)
  // Past the cutoff the round is closing (the cutoff job, or the next comment, records it): a
  // change now would race the close. Reopen it after the close instead.
  if (isAfterCutoffMs(state, atMs))
    return fail("cutoff-passed", "the round's cutoff has passed: it is closing; reopen it once it is closed")
  switch (c._tag) {
    case "EditTitle": {
      const title = c.title.trim()
      if (title.length === 0) return fail("invalid-change", "the title cannot be empty")
      return ok(title === spec.title ? [] : [{ _tag: "RoundTitleChanged", title, at: c.at }])
    }
    case "SetCutoff": {
      if (c.cutoff === (spec.cutoff ?? null)) return ok([])
      if (c.cutoff !== null) {
        const ms = isoMillis(c.cutoff)
        if (Number.isNaN(ms)) return fail("invalid-change", "the cutoff is not a time")
        if (!(ms > atMs)) return fail("cutoff-passed", `the new cutoff ${c.cutoff} has passed: close the round instead`)
        if (spec.cutoff !== undefined && isoMillis(spec.cutoff) === ms) return ok([])
      }
      return ok([{ _tag: "RoundCutoffChanged", cutoff: c.cutoff, at: c.at }])
    }
    case "SetPrice": {
      if (!Number.isInteger(c.price) || c.price < 0) return fail("invalid-change", "a price is an integer TWD ≥ 0")
      const product = spec.products.find((p) => p.sku === c.sku)
      const current = product ? product.price : variantOf(spec, c.sku)?.variant.price
      if (!product && !variantOf(spec, c.sku)) return fail("unknown-sku", `unknown sku "${c.sku}"`)
      return ok(current === c.price ? [] : [{ _tag: "PriceChanged", sku: c.sku, price: c.price, at: c.at }])
    }
    case "Restock": {
      const stock = state.stock[c.sku]
      const sellable = state.catalogue.bySku.get(c.sku)
      if (!stock || !sellable) return fail("unknown-sku", `unknown sku "${c.sku}" (restock a sellable sku: a variant)`)
      if ((c.add === undefined) === (c.stock === undefined))
        return fail("invalid-change", "a restock gives either `add` (units) or `stock` (the new total)")
      if (c.add !== undefined) {
        if (!Number.isInteger(c.add) || c.add <= 0)
          return fail("invalid-change", "`add` is a whole number of units > 0")
        if (stock.left === null)
          return fail("unlimited", `sku "${c.sku}" has no stock limit: give it a \`stock\` instead`)
        return ok(
          withPromotions(
            state,
            [{ _tag: "Restocked", sku: c.sku, add: c.add, stock: stock.sold + stock.left + c.add, at: c.at }],
            c.at
          )
        )
      }
      const total = c.stock!
      if (!Number.isInteger(total) || total < 0) return fail("invalid-change", "`stock` is a whole number ≥ 0")
      if (total < stock.sold)
        return fail(
          "below-sold",
          `sku "${c.sku}" has ${stock.sold} sold: its stock cannot be less (cancel orders first)`
        )
      if (stock.left !== null && stock.sold + stock.left === total) return ok([])
      const add = total - stock.sold - (stock.left ?? 0)
      return ok(withPromotions(state, [{ _tag: "Restocked", sku: c.sku, add, stock: total, at: c.at }], c.at))
    }
    case "AddProduct": {
      const same = spec.products.find((p) => p.sku === c.product.sku)
      if (same !== undefined && sameJson(same, c.product)) return ok([])
      const compiled = Catalogue.compile([...spec.products, c.product])
      if (Result.isFailure(compiled)) return fail("invalid-catalogue", compiled.failure.message)
      return ok([{ _tag: "ProductAdded", product: c.product, at: c.at }])
    }
    case "AddVariant": {
      const product = spec.products.find((p) => p.sku === c.productSku)
      if (!product) return fail("unknown-sku", `unknown product "${c.productSku}"`)
      if (!product.variants || product.variants.length === 0)
        return fail(
          "invalid-catalogue",
          `product "${c.productSku}" has no variants (its own sku is what buyers order): add a product instead`
        )
      const same = product.variants.find((v) => v.sku === c.variant.sku)
      if (same !== undefined && sameJson(same, c.variant) && optionValuesKnown(product, c.optionValues)) return ok([])
      const compiled = Catalogue.compile(
        spec.products.map((p) => (p.sku === product.sku ? Catalogue.withVariant(p, c.variant, c.optionValues) : p))
      )
      if (Result.isFailure(compiled)) return fail("invalid-catalogue", compiled.failure.message)
      const event: Ev<"VariantAdded"> = { _tag: "VariantAdded", productSku: c.productSku, variant: c.variant, at: c.at }
      if (c.optionValues !== undefined) event.optionValues = c.optionValues
      return ok([event])
    }
    case "Pause":
      return ok(state.paused ? [] : [{ _tag: "RoundPaused", at: c.at }])
    case "Resume":
      return ok(state.paused ? [{ _tag: "RoundResumed", at: c.at }] : [])
    default:
      return absurd(c)
  }
}

/** Reopens a closed round: see the `Reopen` command and {@link RoundReopened}. */
const reopen = (c: Extract<ChangeCommand, { readonly _tag: "Reopen" }>, state: State): Decision => {
  if (state.status === "settled") return fail("settled", "a settled round cannot reopen")
  if (state.status !== "closed") return fail("not-closed", `only a closed round reopens (this one is ${state.status})`)
  const atMs = isoMillis(c.at)
  const current = state.spec!.cutoff ?? null
  const cutoff = c.cutoff === undefined ? current : c.cutoff
  if (cutoff !== null) {
    const ms = isoMillis(cutoff)
    if (Number.isNaN(ms)) return fail("invalid-change", "the cutoff is not a time")
    if (!(ms > atMs))
      return fail(
        "cutoff-passed",
        c.cutoff === undefined
          ? `the round's cutoff ${cutoff} has passed: reopen it with a new cutoff (or none)`
          : `the new cutoff ${cutoff} has passed`
      )
  }
  const events: Array<Event> = [{ _tag: "RoundReopened", at: c.at }]
  if (cutoff !== current) events.push({ _tag: "RoundCutoffChanged", cutoff, at: c.at })
  // Units left while buyers wait (a product's 流團 gave its stock back) go to them first.
  return ok(withPromotions(state, events, c.at))
}

/** The variant with this sku and its product. */
const variantOf = (
  spec: RoundSpec,
  sku: string
): { readonly product: Catalogue.ProductSpec; readonly variant: Catalogue.VariantSpec } | undefined => {
  for (const product of spec.products)
    for (const variant of product.variants ?? []) if (variant.sku === sku) return { product, variant }
  return undefined
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

const optionValuesKnown = (
  product: Catalogue.ProductSpec,
  values: Readonly<Record<string, Catalogue.OptionValues>> | undefined
): boolean => {
  if (values === undefined) return true
  for (const [name, vs] of Object.entries(values))
    for (const v of Object.keys(vs)) if (!(v in (product.options?.[name] ?? {}))) return false
  return true
}

/** The book entry of an order id (withdrawn ones too). */
const bookEntryOf = (state: State, orderId: string): BookEntry | undefined => {
  for (const e of PMap.values(state.book)) if (e.orderId === orderId) return e
  return undefined
}

/** The organiser's decision on a review item (see the `ResolveReview` command). */
const resolveReview = (state: State, c: Extract<Command, { readonly _tag: "ResolveReview" }>): Decision => {
  const r = PMap.get(state.review, c.commentId)
  if (!r || r.resolved) return fail("unknown-review", `no open review item ${c.commentId}`)
  const action: ReviewAction = c.action ?? (c.approve.length > 0 ? "order" : "dismiss")
  const resolved = (decision: Ev<"ReviewResolved">["decision"]): Event => ({
    _tag: "ReviewResolved",
    commentId: c.commentId,
    decision,
    at: c.at
  })
  /** The comment the organiser's decision stands for: the item's author, now, no text. */
  const as = (suffix: string): IncomingComment => ({
    commentId: `${c.commentId}#${suffix}`,
    buyerId: r.buyerId,
    buyer: r.buyer,
    text: "",
    at: c.at,
    parsed: { intent: "order", lines: c.approve, reason: `${suffix} by the organiser`, spans: [] }
  })
  switch (action) {
    case "dismiss":
      return ok([resolved("dismissed")])
    case "order": {
      if (c.approve.length === 0) return fail("no-order", "an order needs lines")
      if (state.status !== "open") return fail("not-open", "orders can be added only while the round is open")
      const comment = as("approved")
      return Result.map(orderLines(state, comment, refOf(state, comment), c.approve, c.newOrderId, "add"), (evs) => [
        resolved("approved"),
        ...evs
      ])
    }
    case "amend": {
      if (c.approve.length === 0) return fail("no-order", "an amendment needs lines")
      if (state.status !== "open") return fail("not-open", "orders can be amended only while the round is open")
      const comment = as("amended")
      return Result.map(
        orderLines(state, comment, refOf(state, comment), c.approve, c.newOrderId, "replace"),
        (evs) => [resolved("amended"), ...evs]
      )
    }
    case "cancel": {
      const entry = entryOf(state, r.buyerId)
      if (!entry || entry.lines.length === 0) return fail("no-order", "the buyer has no order in this round to cancel")
      // After the cutoff the order is confirmed: the use case cancels it (Order's Cancel).
      if (state.status !== "open") return ok([resolved("cancelled")])
      const comment = as("cancelled")
      return ok([resolved("cancelled"), withdrawn(refOf(state, comment), entry.orderId, "cancelled in review")])
    }
    default:
      return absurd(action)
  }
}

// ---------------------------------------------------------------------------------------------
// Queries on the state
// ---------------------------------------------------------------------------------------------

/** Looks a key up in one of the state's maps (the book by buyer id, the review items by comment id). */
export const lookup = <V>(map: PMap.PersistentMap<V>, key: string): V | undefined => PMap.get(map, key)

/** The open (unresolved) review items, in comment order. */
export const openReviews = (state: State): ReadonlyArray<ReviewEntry> =>
  [...PMap.values(state.review)].filter((r) => !r.resolved).sort((a, b) => a.seq - b.seq)

/** The orders with lines, in order of their first comment. */
export const orders = (state: State): ReadonlyArray<BookEntry> =>
  [...PMap.values(state.book)].filter((e) => !e.withdrawn && e.lines.length > 0).sort((a, b) => a.seq - b.seq)

/**
 * Every order the round holds: those confirmed at an earlier close of a reopened round
 * ({@link State.sealed}, as they were then), then the book's ({@link orders}).
 */
export const allOrders = (state: State): ReadonlyArray<BookEntry> =>
  state.sealed.length === 0 ? orders(state) : [...state.sealed, ...orders(state)]

/** The total of an order's lines. */
export const total = (lines: ReadonlyArray<OrderLine>): number => {
  // A loop, not `reduce` with a callback: this runs for every order message and view.
  let t = 0
  for (const l of lines) t += l.qty * l.unitPrice
  return t
}

/**
 * The Round aggregate as a value: {@link initialState}, {@link decide} and {@link evolve}, for
 * `Decider` helpers and the `CommandHandler`. The batch fast path of `GroupBuy.submitComments`
 * (`foldOwned`, editing its own trie nodes in place, in `internal/roundEvolve.ts`) folds to the same states.
 */
export const decider: Decider.Decider<Command, State, Event, RoundError> = Decider.make({
  initialState,
  decide,
  evolve
})
