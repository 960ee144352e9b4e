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
import { type Author, buyerIdFor } from "./Buyer.js"
import * as BuyerCarrier from "./BuyerCarrier.js"
import * as CommandHandler from "./CommandHandler.js"
import { CommentParser, type CompiledParser } from "./CommentParser.js"
import * as Decider from "./Decider.js"
import * as In from "./groupBuy/Inputs.js"
import * as Release from "./groupBuy/Release.js"
import {
  belowMinimumMessages,
  buyerRecipient,
  orderChangeMessage,
  promotionStart,
  reviewMessages,
  roundMessages,
  waitlistMessages
} from "./groupBuy/Messages.js"
import { orderView, roundViews, stockViews, ViewBatch } from "./groupBuy/Views.js"
import { IdGenerator } from "./IdGenerator.js"
import { MemberPolicy, screen as screenMember } from "./MemberPolicy.js"
import * as inputs from "./internal/inputs.js"
import { isoMillis } from "./internal/isoMillis.js"
import { paidJob as invoicePaidJob, refundJob as invoiceRefundJob } from "./internal/invoiceJobs.js"
import { deadlineOf, PayPageUrl, paymentJobs } from "./internal/paymentJobs.js"
import { refundPayments } from "./internal/refundPayments.js"
import { remindJobs } from "./internal/remindJob.js"
import { traceGroupBuy } from "./internal/tracedGroupBuy.js"
import type { OutboundMessage } from "./Notification.js"
import * as Order from "./Order.js"
import * as Payment from "./Payment.js"
import type { NotOrderedItem, OrderView, ReviewItem, StockView, ViewChange } from "./ReadModel.js"
import * as Round from "./Round.js"
import * as Shipment from "./Shipment.js"
import {
  type Commit,
  orderStream,
  paymentStream,
  roundStream,
  Storage,
  StorageError,
  shipmentStream
} from "./Storage.js"

type CommentInput = In.CommentInput
type OpenRoundInput = In.OpenRoundInput
type SubmitCommentsInput = In.SubmitCommentsInput
type EditCommentInput = In.EditCommentInput
type RemoveCommentInput = In.RemoveCommentInput
type ResolveReviewInput = In.ResolveReviewInput
type CloseRoundInput = In.CloseRoundInput
type PaymentInput = In.PaymentInput
type ShipInput = In.ShipInput
type ConfirmPickupInput = In.ConfirmPickupInput
type UnlockPickupInput = In.UnlockPickupInput
type FindPickupInput = In.FindPickupInput
type OrderChangeInput = In.OrderChangeInput
type OrdersInput = In.OrdersInput

// ---------------------------------------------------------------------------------------------
// Inputs and outputs (the input Schemas live in ./groupBuy/Inputs.ts)
// ---------------------------------------------------------------------------------------------

export {
  CloseRoundInput,
  CommentInput,
  ConfirmPickupInput,
  commentProblem,
  EditCommentInput,
  FindPickupInput,
  ID_LIMITS,
  type InputProblem,
  idProblem,
  LIVE_FUTURE_SKEW_MS,
  MaxFutureSkew,
  OpenRoundInput,
  OrderChangeInput,
  OrdersInput,
  PaymentInput,
  RemoveCommentInput,
  ReportInput,
  ResolveReviewInput,
  ReviewAction,
  ReviewLine,
  ShipInput,
  ShipLine,
  SubmitCommentsInput,
  UnlockPickupInput
} from "./groupBuy/Inputs.js"

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
  readonly status: Round.Phase
  readonly orders: ReadonlyArray<OrderView>
  readonly review: ReadonlyArray<ReviewItem>
  readonly notOrdered: ReadonlyArray<NotOrderedItem>
  readonly stock: ReadonlyArray<StockView>
  /**
   * The waiting lists (候補), by SKU in catalogue order, each first come first: only when someone
   * waits (a round with `waitlist: true`).
   */
  readonly waitlist?: ReadonlyArray<WaitlistView> | undefined
}

/** A buyer waiting for a SKU (see {@link RoundReport.waitlist}). */
export interface WaitlistView {
  readonly sku: string
  readonly position: number
  readonly buyerId: string
  readonly buyer: Author
  readonly qty: number
  readonly since: string
}

/** What became of a recorded payment. */
export interface PaymentOutcome {
  readonly paymentId: string
  readonly status: "matched" | "unmatched" | "duplicate"
}

/**
 * A use case refused: the message says why in the organiser's words. `invalid-input`: an input
 * broke its Schema (`field` names it, `comments[3].at`; the message never quotes the value);
 * `locked`: too many wrong pickup codes (see `unlockPickup`); `not-arrived`: `ship` was given
 * lines of a pre-order (預購) not marked arrived yet (the message names the SKUs: ship the other
 * lines, 拆單出貨, and those once `markArrived`); `rejected`: the aggregate refused
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
    | "not-arrived"
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
  /**
   * Packs and ships part or all of a paid order; a meet-up pickup gets a one-time code. In a round
   * with `preorderArrival: true`, lines of a pre-order not marked arrived (`RoundChanges.markArrived`)
   * are refused (`not-arrived`): ship the other lines (拆單出貨) and those once arrived.
   */
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
   * cancelled (one with money received is refunded instead: {@link GroupBuyService.refundOrder})
   * and its stock goes back to the round in the same commit (`Round.ReleaseOrder`). Either way,
   * with a waiting list the freed units go down it (after the close, into new confirmed orders).
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
// Views and messages derived from events (pure; in ./groupBuy/Views.ts and ./groupBuy/Messages.ts)
// ---------------------------------------------------------------------------------------------

export { roundMessages } from "./groupBuy/Messages.js"
export { bookView, orderView, roundViews, stockViews, ViewBatch } from "./groupBuy/Views.js"

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

/** An event as stored: its tag, the event, its own time or else `at`. */
const encode = CommandHandler.encodeEvent

const decodeRound = Schema.decodeUnknownSync(Round.Event)
const decodeOrder = Schema.decodeUnknownSync(Order.Event)
const decodeShipment = Schema.decodeUnknownSync(Shipment.Event)
const decodeCodeIssued = Schema.decodeUnknownSync(Shipment.PickupCodeIssued)

/** The Order and Shipment deciders with their stored events, for the CommandHandler. */
const orders = CommandHandler.aggregate(Order.decider, decodeOrder)
const shipments = CommandHandler.aggregate(Shipment.decider, decodeShipment)
const payments = CommandHandler.aggregate(Payment.decider, Schema.decodeUnknownSync(Payment.Event))
const rounds = CommandHandler.aggregate(Round.decider, decodeRound)

/**
 * A pickup attempt at the counter as a decider over the shipment: a right code picks the parcel
 * up, a wrong one is recorded (and may lock the pickup). Never refused as a decision: whether the
 * attempt is refused is read from `Shipment.attemptPickup` on the state it was decided in.
 */
const pickupAttempts = CommandHandler.aggregate(
  Decider.make<{ readonly code: string; readonly at: string }, Shipment.State, Shipment.Event>({
    initialState: Shipment.initialState,
    evolve: Shipment.evolve,
    decide: (c, state) => Result.succeed(Shipment.attemptPickup(state, c.code, c.at).events)
  }),
  decodeShipment
)

const unknownShipment = (shipmentId: string) =>
  new GroupBuyError({ reason: "unknown-shipment", message: `no shipment "${shipmentId}"` })

/** A decider's refusal. */
type Refusal = Order.OrderError | Shipment.ShipmentError | Payment.PaymentError | Round.RoundError

/** A decider's refusal as `rejected` (storage errors and GroupBuy's own errors pass through). */
const refusedAsRejected = <E>(e: E): Exclude<E, Refusal> | GroupBuyError =>
  e instanceof Order.OrderError ||
  e instanceof Shipment.ShipmentError ||
  e instanceof Payment.PaymentError ||
  e instanceof Round.RoundError
    ? new GroupBuyError({ reason: "rejected", message: e.message, cause: e })
    : (e as Exclude<E, Refusal>)

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

const decodeOpenRound = decoder(In.OpenRoundInput)
const decodeEditComment = decoder(In.EditCommentInput)
const decodeRemoveComment = decoder(In.RemoveCommentInput)
const decodeResolveReview = decoder(In.ResolveReviewInput)
const decodeCloseRound = decoder(In.CloseRoundInput)
const decodePayment = decoder(In.PaymentInput)
const decodeShip = decoder(In.ShipInput)
const decodeConfirmPickup = decoder(In.ConfirmPickupInput)
const decodeUnlockPickup = decoder(In.UnlockPickupInput)
const decodeFindPickup = decoder(In.FindPickupInput)
const decodeOrderChange = decoder(In.OrderChangeInput)
const decodeOrders = decoder(In.OrdersInput)
const decodeRoundId = decoder(In.ReportInput, "roundId")

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
  const skew = yield* In.MaxFutureSkew
  if (skew === undefined) return { maxAtMs: Number.POSITIVE_INFINITY, skewMs: 0 }
  return { maxAtMs: (yield* Clock.currentTimeMillis) + skew, skewMs: skew }
})

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
  // Members (optional): a blacklisted member's order comments go to review.
  const memberOption = yield* Effect.serviceOption(MemberPolicy)
  const memberPolicy = memberOption._tag === "Some" ? memberOption.value : undefined

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
        // A catalogue changed by the organiser (a product or variant added) compiles a new parser.
        parser: cached?.parser && cached.state.catalogue === state.catalogue ? cached.parser : compileParser(state)
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
                      },
                      ...remindJobs(spec)
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
    parsed: screenMember(
      memberPolicy,
      buyerIdFor(c.channel, c.author),
      parser ? parser.parse(c.text) : { intent: "none", lines: [], reason: "no parser", spans: [] }
    )
  })

  /**
   * A `carrier` comment (載具): the buyer's invoice details changed (an append to their carrier
   * stream, none when unchanged) and the acknowledgement (or the format, when the code was not
   * valid). `carriers` holds the streams this batch read and wrote.
   */
  const carrierGiven = (
    incoming: Round.IncomingComment,
    carriers: Map<string, { state: BuyerCarrier.BuyerInvoiceDetails | undefined; version: number }>,
    at: string,
    key: string,
    roundId: string,
    spec: Round.State["spec"]
  ) =>
    Effect.gen(function* () {
      const buyerId = incoming.buyerId
      const streamId = BuyerCarrier.carrierStream(buyerId)
      const known =
        carriers.get(buyerId) ?? (yield* CommandHandler.load(storage, BuyerCarrier.carrierAggregate, streamId))
      const parsed = incoming.parsed.carrier
      const details = parsed === undefined ? undefined : BuyerCarrier.detailsFromParsed(parsed, known.state)
      const message: OutboundMessage = {
        id: `carrier:${key}`,
        kind: "invoice-carrier",
        to: buyerRecipient(buyerId, incoming.buyer.id),
        data:
          details === undefined || parsed === undefined
            ? { valid: false, ...(incoming.buyer.name === undefined ? {} : { buyerName: incoming.buyer.name }) }
            : {
                valid: true,
                ...(incoming.buyer.name === undefined ? {} : { buyerName: incoming.buyer.name }),
                ...(parsed.mobileBarcode === undefined ? {} : { mobileBarcode: parsed.mobileBarcode }),
                ...(parsed.loveCode === undefined ? {} : { loveCode: parsed.loveCode }),
                ...(details.taxId === undefined ? {} : { taxId: details.taxId })
              },
        createdAt: at
      }
      if (details === undefined) return { message, append: undefined, jobs: [] }
      const decided = Decider.run(BuyerCarrier.carrierDecider, { buyerId, details, at }, known.state)
      const events = Result.isSuccess(decided) ? decided.success.events : []
      if (events.length === 0) {
        carriers.set(buyerId, known)
        return { message, append: undefined, jobs: [] }
      }
      carriers.set(buyerId, { state: details, version: known.version + events.length })
      // A round that issues on payment: the buyer's paid orders still without an invoice (their
      // request refused for want of a carrier) are asked for again (the job does nothing otherwise).
      const jobs =
        spec?.invoice?.issue === "on-paid"
          ? (yield* storage.orders({
              roundId,
              buyerId,
              status: ["paid", "partly-shipped", "shipped", "completed"]
            })).map((o) => invoicePaidJob(o.orderId, at))
          : []
      return {
        message,
        append: { stream: streamId, expectedVersion: known.version, events: events.map((e) => encode(e, at)) },
        jobs
      }
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
      /** Buyers' carrier streams read in this batch (a second 載具 comment goes on from the first). */
      const carriers = new Map<string, { state: BuyerCarrier.BuyerInvoiceDetails | undefined; version: number }>()
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
        // With a waiting list, the comment's own events may be followed by promotions of other
        // buyers (stock it freed): those are theirs (views, messages), not the author's.
        const cut = state.spec?.waitlist === true ? promotionStart(events) : events.length
        const own = cut === events.length ? events : events.slice(0, cut)
        // The author's order after the comment, looked up once for the views and the messages.
        const entry = changesOrder(own) ? Round.lookup(after.book, incoming.buyerId) : undefined
        views.add(after, own, entry)
        if (own !== events) views.add(after, events.slice(cut))
        // 載具: the buyer's e-invoice carrier, recorded and acknowledged in the comment's commit
        const carrier =
          incoming.parsed.intent === "carrier" && incoming.buyer.unknown !== true
            ? yield* carrierGiven(incoming, carriers, at, key, roundId, state.spec)
            : undefined
        const roundAppend = { stream, expectedVersion: version, events: events.map((e) => encode(e, at)) }
        const messages =
          own === events
            ? roundMessages(after, c, events, entry)
            : [...roundMessages(after, c, own, entry), ...waitlistMessages(after, events.slice(cut))]
        commits.push({
          idempotencyKey: key,
          keyData: claimData(prints[i]!, roundId),
          appends: carrier?.append === undefined ? [roundAppend] : [roundAppend, carrier.append],
          views: NO_VIEWS,
          outbox: carrier === undefined ? messages : [...messages, carrier.message],
          ...(carrier === undefined || carrier.jobs.length === 0 ? {} : { schedule: carrier.jobs })
        })
        outcomes.push(
          own === events
            ? outcomeOf(c.commentId, events, incoming.parsed.reason)
            : { ...outcomeOf(c.commentId, own, incoming.parsed.reason), events }
        )
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
      Effect.gen(function* () {
        const at = yield* nowIso
        const outcome = yield* CommandHandler.handleMany(storage, {
          at,
          onConflict: forget(roundId),
          process: (unit) =>
            Effect.gen(function* () {
              const loaded = yield* requireRound(roundId)
              const item = Round.lookup(loaded.state.review, commentId)
              const decision = yield* unit.decide(
                rounds,
                roundStream(roundId),
                { _tag: "ResolveReview", commentId, approve, action, newOrderId: ids.next("o"), at },
                { loaded }
              )
              const after = decision.state
              unit.view(...roundViews(roundId, after, decision.events))
              // After the cutoff the buyer's order is confirmed: a cancellation cancels it too, in the same commit.
              let cancelled: Order.State | undefined
              let released: LoadedRound | undefined
              if (action === "cancel" && loaded.state.status !== "open" && item !== undefined) {
                const entry = Round.lookup(loaded.state.book, item.buyerId)
                if (entry !== undefined) cancelled = yield* cancelConfirmed(unit, roundId, entry.orderId, at)
                // Its stock back to the round, down the waiting list (in this commit).
                if (cancelled !== undefined)
                  released = yield* releaseInUnit(unit, roundId, cancelled.orderId, "buyer-cancelled", at)
              }
              if (cancelled !== undefined) unit.view({ _tag: "UpsertOrder", order: orderView(cancelled, at) })
              // The item's author is told of their own change; buyers the freed stock promoted, of theirs.
              const cut = promotionStart(decision.events)
              if (item !== undefined)
                unit.send(
                  ...reviewMessages(roundId, after, item, decision.events.slice(0, cut), at, cancelled?.orderId),
                  ...waitlistMessages(after, decision.events.slice(cut))
                )
              return (
                released ?? { state: after, version: decision.version, parser: loaded.parser ?? compileParser(after) }
              )
            })
        }).pipe(Effect.mapError(refusedAsRejected))
        if (outcome._tag !== "Duplicate") yield* remember(roundId, outcome.value)
      })
    )

  /**
   * Cancels a confirmed order in a unit of work (one the round's close has not confirmed yet,
   * after a crash halfway through the close, is confirmed first, in a commit of its own): the
   * order after it, or undefined when it is cancelled already or the command changes nothing.
   */
  const cancelConfirmed = (unit: CommandHandler.Unit, roundId: string, orderId: string, at: string) =>
    Effect.gen(function* () {
      const stream = orderStream(orderId)
      if ((yield* storage.readStream(stream)).version === 0) yield* closeRound({ roundId })
      const current = yield* unit.load(orders, stream)
      if (current.state.status === "cancelled") return undefined
      const decision = yield* unit.decide(orders, stream, { _tag: "Cancel", reason: "buyer-cancelled", at })
      return decision.events.length === 0 ? undefined : decision.state
    })

  /**
   * When a round with a payment deadline (`payWithin`) closed: its last `RoundClosed` event's
   * time; `undefined` for a round not closed yet or without a deadline (its stream is not read).
   */
  const closedAtOf = (roundId: string) =>
    Effect.gen(function* () {
      const loaded = yield* requireRound(roundId)
      if (loaded.state.status !== "closed" || loaded.state.spec?.payWithin === undefined) return undefined
      const { events } = yield* storage.readStream(roundStream(roundId))
      let closedAt: string | undefined
      for (const e of events) if (e.type === "RoundClosed") closedAt = (e.data as { readonly at?: string }).at ?? e.at
      return closedAt
    })

  /** {@link Release.releaseInUnit} on the cached round, giving the round as loaded after it (for the cache). */
  const releaseInUnit = (unit: CommandHandler.Unit, roundId: string, orderId: string, reason: string, at: string) =>
    Effect.gen(function* () {
      const loaded = yield* requireRound(roundId)
      const released = yield* Release.releaseInUnit(unit, roundId, orderId, reason, at, loaded)
      return released === undefined
        ? undefined
        : ({ ...released, parser: loaded.parser ?? compileParser(released.state) } satisfies LoadedRound)
    })

  const closeRound: GroupBuyService["closeRound"] = (input) =>
    Effect.flatMap(decodeCloseRound(input), ({ roundId, at, reason }) =>
      Effect.gen(function* () {
        const when = at ?? (yield* nowIso)
        const payPageUrl = yield* PayPageUrl
        // With a payment deadline: when the round closed (now, or earlier: by a comment after the
        // cutoff, or a close that crashed halfway), for the deadline and its jobs.
        const closedBefore = yield* closedAtOf(roundId)
        // The book's orders in units of work of at most BATCH confirmations each; the first also
        // closes the round (if still open), so the close and its first orders commit together.
        // Every order of the book that is not confirmed yet is confirmed (a crash halfway leaves some).
        let from = 0
        for (;;) {
          const start = from
          const outcome = yield* CommandHandler.handleMany(storage, {
            at: when,
            onConflict: forget(roundId),
            process: (unit) =>
              Effect.gen(function* () {
                const loaded = yield* requireRound(roundId)
                let state = loaded.state
                let closed: LoadedRound | undefined
                if (state.status === "open") {
                  const decision = yield* unit.decide(
                    rounds,
                    roundStream(roundId),
                    { _tag: "Close", at: when, reason: reason ?? "manual" },
                    { loaded }
                  )
                  state = decision.state
                  closed = { state, version: decision.version, parser: loaded.parser ?? compileParser(state) }
                  unit.view(...roundViews(roundId, state, decision.events))
                  // Closed now: the cutoff job has nothing left to do (a running one finds the round closed).
                  unit.unschedule(cutoffJobId(roundId))
                }
                // Closed by this call (not earlier): the deadline counts from now.
                const closedNow = closed !== undefined
                // 流團 before any confirmation: products under their minimum leave the orders
                // (decides nothing once done, so every batch and every retry may ask).
                // Only before the close's first confirmation: an order cancelled after it (its stock
                // released) must not make a product or the round 流團 under confirmed orders.
                const firstEntry = Round.orders(state)[0]
                const confirmedAlready =
                  firstEntry !== undefined &&
                  (yield* unit.load(orders, orderStream(firstEntry.orderId))).state.status !== "none"
                if (state.status === "closed" && !confirmedAlready) {
                  const decision = yield* unit.decide(
                    rounds,
                    roundStream(roundId),
                    { _tag: "ApplyMinimums", at: when },
                    { loaded: closed ?? loaded }
                  )
                  if (decision.events.length > 0) {
                    state = decision.state
                    closed = { state, version: decision.version, parser: loaded.parser ?? compileParser(state) }
                    unit.view(...roundViews(roundId, state, decision.events))
                    for (const m of belowMinimumMessages(state, decision.events)) unit.send(m)
                  }
                }
                const closedAt = closedNow ? when : (closedBefore ?? when)
                const deadline = deadlineOf(closedAt, state.spec?.payWithin)
                // The payment reminder and deadline, in the close's commit (again in the first unit
                // of a later call: scheduling a pending job again changes nothing, a done one stays done).
                if (start === 0 && deadline !== undefined) unit.schedule(...paymentJobs(roundId, closedAt, state.spec))
                const entries = Round.orders(state)
                let confirmed = 0
                let i = start
                for (; i < entries.length && confirmed < BATCH; i++) {
                  if (yield* Release.confirmEntry(unit, roundId, state, entries[i]!, when, deadline, payPageUrl))
                    confirmed++
                }
                return { next: i, done: i >= entries.length, closed }
              })
          }).pipe(Effect.mapError(refusedAsRejected))
          if (outcome._tag === "Duplicate") break
          const { next, done, closed } = outcome.value
          if (closed !== undefined && outcome._tag === "Committed") yield* remember(roundId, closed)
          if (done) break
          from = next
        }
        return yield* storage.orders({ roundId })
      })
    )

  const recordPayment: GroupBuyService["recordPayment"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodePayment(raw)
      const paymentId = `p_${input.source}_${input.transactionId}`
      const stream = paymentStream(paymentId)
      const outcome = yield* CommandHandler.handleMany(storage, {
        at: input.at,
        idempotencyKey: `payment:${input.source}:${input.transactionId}`,
        process: (unit) =>
          Effect.gen(function* () {
            if ((yield* unit.load(payments, stream)).version > 0) return "duplicate" as const
            yield* unit.decide(payments, stream, {
              _tag: "Receive",
              paymentId,
              source: input.source,
              transactionId: input.transactionId,
              amount: input.amount,
              at: input.at,
              bankCode: input.bankCode,
              last5: input.last5
            })
            if (input.orderIds.length === 0) return "unmatched" as const
            yield* unit.decide(payments, stream, {
              _tag: "Match",
              orderIds: input.orderIds,
              evidence: input.evidence,
              at: input.at
            })
            // Spread the money over the orders in the order given: each gets what it is due, the last the rest.
            let left = input.amount
            for (const [i, orderId] of input.orderIds.entries()) {
              const current = yield* unit.load(orders, orderStream(orderId))
              if (current.state.status === "none")
                return yield* Effect.fail(
                  new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${orderId}"` })
                )
              const due = current.state.total - current.state.paid
              const amount = i === input.orderIds.length - 1 ? left : Math.min(left, due)
              left -= amount
              if (amount <= 0) continue
              const { state: after } = yield* unit.decide(orders, orderStream(orderId), {
                _tag: "ApplyPayment",
                paymentId,
                amount,
                at: input.at
              })
              unit.view({ _tag: "UpsertOrder", order: orderView(after, input.at) })
              // paid in full now, in a round that issues e-invoices on payment: request it in this commit
              if (current.state.paid < current.state.total && after.paid >= after.total) {
                const round = yield* unit.load(rounds, roundStream(after.roundId))
                if (round.state.spec?.invoice?.issue === "on-paid") unit.schedule(invoicePaidJob(orderId, input.at))
              }
              if (input.last5)
                unit.view({
                  _tag: "LearnAccount",
                  buyerId: after.buyerId,
                  account: { last5: input.last5, ...(input.bankCode ? { bankCode: input.bankCode } : {}) }
                })
              unit.send({
                id: `payment:${paymentId}:${orderId}:received`,
                kind: "payment-received",
                to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
                data: { orderId, amount, paid: after.paid, total: after.total },
                createdAt: input.at
              })
            }
            return "matched" as const
          })
      }).pipe(Effect.mapError(refusedAsRejected))
      return { paymentId, status: outcome._tag === "Duplicate" ? "duplicate" : outcome.value }
    })

  /**
   * Fails with `not-arrived` when `lines` (of a confirmed order) hold pre-order SKUs the round has
   * not marked arrived. An order not confirmed is left to the Order aggregate to refuse.
   */
  const preordersArrived = (
    unit: CommandHandler.Unit,
    orderId: string,
    lines: ReadonlyArray<{ readonly sku: string }>
  ) =>
    Effect.gen(function* () {
      const { state: order } = yield* unit.load(orders, orderStream(orderId))
      if (order.status === "none") return
      const round = yield* load(order.roundId)
      const waiting = Round.notArrived(round.state, lines)
      if (waiting.length > 0)
        return yield* Effect.fail(
          new GroupBuyError({
            reason: "not-arrived",
            message: `pre-order ${waiting.map((k) => JSON.stringify(k)).join(", ")} has not arrived: ship the other lines now (拆單出貨) and these once marked arrived`
          })
        )
    })

  const ship: GroupBuyService["ship"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodeShip(raw)
      const at = yield* nowIso
      const orderId = input.orderId
      const outcome = yield* CommandHandler.handleMany(storage, {
        at,
        process: (unit) =>
          Effect.gen(function* () {
            // 預購到貨: a pre-order's lines ship once the organiser marked them arrived.
            yield* preordersArrived(unit, orderId, input.lines)
            // Drawn again on a conflict: a taken pickup code conflicts on its index, and a new one is drawn.
            const shipmentId = ids.next("s")
            const pickupCode = input.method === "pickup" ? Shipment.normalizeCode(ids.code()) : undefined
            const { state: after } = yield* unit.decide(
              orders,
              orderStream(orderId),
              { _tag: "AddShipment", shipmentId, lines: input.lines, at },
              {
                missing: () =>
                  new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${orderId}"` })
              }
            )
            const stream = shipmentStream(shipmentId)
            yield* unit.decide(shipments, stream, {
              _tag: "Pack",
              shipmentId,
              orderId,
              lines: input.lines,
              method: input.method,
              pickupCode,
              at
            })
            yield* unit.decide(shipments, stream, {
              _tag: "Ship",
              carrier: input.carrier,
              trackingNo: input.trackingNo,
              at
            })
            // The code's index: the counter finds the shipment by the code.
            if (pickupCode !== undefined) {
              const issued: Shipment.PickupCodeIssued = { _tag: "PickupCodeIssued", shipmentId, orderId, at }
              unit.append({ stream: Shipment.codeStream(pickupCode), expectedVersion: 0, events: [encode(issued, at)] })
            }
            unit.view({ _tag: "UpsertOrder", order: orderView(after, at) })
            unit.send({
              id: `shipment:${shipmentId}:${input.method === "pickup" ? "pickup-ready" : "shipped"}`,
              kind: input.method === "pickup" ? "pickup-ready" : "shipped",
              to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
              data: {
                orderId,
                shipmentId,
                lines: input.lines,
                ...(pickupCode ? { pickupCode } : {}),
                ...(input.trackingNo ? { trackingNo: input.trackingNo } : {})
              },
              createdAt: at
            })
            return pickupCode ? { shipmentId, pickupCode } : { shipmentId }
          })
      }).pipe(Effect.mapError(refusedAsRejected))
      // Without an idempotency key a unit of work is never a duplicate.
      if (outcome._tag === "Duplicate")
        return yield* Effect.fail(new GroupBuyError({ reason: "conflict", message: "the shipment was not recorded" }))
      return outcome.value
    })

  /** A shipment's state and version, or `unknown-shipment`. */
  const loadShipment = (shipmentId: string) =>
    Effect.flatMap(CommandHandler.load(storage, shipments, shipmentStream(shipmentId)), (loaded) =>
      loaded.version === 0 ? Effect.fail(unknownShipment(shipmentId)) : Effect.succeed(loaded)
    )

  const confirmPickup: GroupBuyService["confirmPickup"] = (raw) =>
    Effect.flatMap(decodeConfirmPickup(raw), ({ shipmentId, code: typed }) =>
      Effect.gen(function* () {
        const at = yield* nowIso
        const code = Shipment.normalizeCode(typed)
        // A wrong code is kept (and may lock the pickup) even though the attempt is refused; a
        // right one picks the parcel up and tells the buyer, in the same commit.
        const outcome = yield* CommandHandler.handleMany(storage, {
          at,
          process: (unit) =>
            Effect.gen(function* () {
              const stream = shipmentStream(shipmentId)
              const loaded = yield* unit.load(pickupAttempts, stream)
              if (loaded.version === 0) return yield* Effect.fail(unknownShipment(shipmentId))
              const decision = yield* unit.decide(pickupAttempts, stream, { code, at })
              if (decision.events.some((e) => e._tag === "ShipmentPickedUp")) {
                const order = yield* unit.load(orders, orderStream(loaded.state.orderId))
                unit.send({
                  id: `shipment:${shipmentId}:picked-up`,
                  kind: "picked-up",
                  to: buyerRecipient(order.state.buyerId, order.state.buyer?.id ?? order.state.buyerId),
                  data: { orderId: loaded.state.orderId, shipmentId, lines: loaded.state.lines },
                  createdAt: at
                })
              }
              return loaded.state
            })
        })
        const before = outcome._tag === "Duplicate" ? undefined : outcome.value
        const refused = before === undefined ? undefined : Shipment.attemptPickup(before, code, at).refused
        if (refused !== undefined)
          return yield* Effect.fail(
            new GroupBuyError({
              reason: refused.reason === "locked" ? "locked" : "rejected",
              message: refused.message,
              cause: refused
            })
          )
      })
    )

  const unlockPickup: GroupBuyService["unlockPickup"] = (raw) =>
    Effect.flatMap(decodeUnlockPickup(raw), ({ shipmentId, at }) =>
      Effect.flatMap(at === undefined ? nowIso : Effect.succeed(at), (when) =>
        CommandHandler.handle(storage, shipments, {
          stream: shipmentStream(shipmentId),
          command: { _tag: "Unlock", at: when },
          at: when,
          missing: () => unknownShipment(shipmentId)
        }).pipe(Effect.mapError(refusedAsRejected), Effect.asVoid)
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
              {
                // The buyer told; stock freed goes down the waiting list, each promoted buyer told.
                messages: (after, events, t) => [
                  orderChangeMessage("order-cancelled", view, { reason }, t),
                  ...waitlistMessages(after, events)
                ]
              }
            )
            return true
          })
        )
        if (cancelledInBook) return (yield* storage.order(orderId)) ?? view
      }
      // A confirmed order (or one the close is about to confirm): the Order aggregate's Cancel,
      // and in the same commit its stock back to the round (down the waiting list).
      const when = at ?? (yield* nowIso)
      if ((yield* storage.readStream(orderStream(orderId))).version === 0) yield* closeRound({ roundId })
      const outcome = yield* CommandHandler.handleMany(storage, {
        at: when,
        onConflict: forget(roundId),
        process: (unit) =>
          Effect.gen(function* () {
            const stream = orderStream(orderId)
            const current = yield* unit.load(orders, stream)
            if (current.state.status === "cancelled") return undefined
            const { state: after } = yield* unit.decide(orders, stream, { _tag: "Cancel", reason, at: when })
            unit.view({ _tag: "UpsertOrder", order: orderView(after, when) })
            unit.send(
              orderChangeMessage(
                "order-cancelled",
                { ...after, buyer: after.buyer ?? { id: after.buyerId } },
                { reason },
                when
              )
            )
            return yield* releaseInUnit(unit, roundId, orderId, reason, when)
          })
      }).pipe(Effect.mapError(refusedAsRejected))
      if (outcome._tag === "Committed" && outcome.value !== undefined) yield* remember(roundId, outcome.value)
      const done = yield* storage.order(orderId)
      if (done === undefined)
        return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` }))
      return done
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
      const when = at ?? (yield* nowIso)
      // The order's refund and its payments' money going back, in one commit.
      yield* CommandHandler.handleMany(storage, {
        at: when,
        process: (unit) =>
          Effect.gen(function* () {
            const stream = orderStream(orderId)
            const before = yield* unit.load(orders, stream)
            if (before.state.status === "refunded") return
            const { state: after, events } = yield* unit.decide(orders, stream, { _tag: "Refund", reason, at: when })
            const refunded = events[0]
            yield* refundPayments(unit, {
              orderId,
              paymentIds: before.state.payments,
              amount: refunded?._tag === "OrderRefunded" ? refunded.amount : 0,
              at: when
            })
            unit.view({ _tag: "UpsertOrder", order: orderView(after, when) })
            unit.send(
              orderChangeMessage(
                "order-refunded",
                { ...after, buyer: after.buyer ?? { id: after.buyerId } },
                { amount: after.refunded, reason },
                when
              )
            )
            // Its e-invoice (if any) is voided or gets an allowance, by a job scheduled in the refund's commit.
            if (after.refunded > 0)
              unit.schedule(
                invoiceRefundJob({ orderId, refundId: `order:${orderId}`, amount: after.refunded, reason, at: when })
              )
          })
      }).pipe(Effect.mapError(refusedAsRejected))
      const refundedView = yield* storage.order(orderId)
      if (refundedView === undefined)
        return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` }))
      return refundedView
    })

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
      const waitlist: Array<WaitlistView> = []
      for (const s of loaded.state.catalogue?.skus ?? [])
        for (const [i, w] of (loaded.state.waiting[s.sku] ?? []).entries())
          waitlist.push({ sku: s.sku, position: i + 1, buyerId: w.buyerId, buyer: w.buyer, qty: w.qty, since: w.at })
      return {
        roundId,
        status: Round.phaseOf(loaded.state),
        orders: orders.filter((o) => o.status !== "cancelled"),
        review,
        notOrdered,
        stock,
        ...(waitlist.length > 0 ? { waitlist } : {})
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
