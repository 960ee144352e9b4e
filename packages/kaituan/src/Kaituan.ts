/**
 * `createKaituan`: the whole group-buying lifecycle behind plain Promises, over memory, a SQLite
 * file or PostgreSQL.
 *
 * @since 0.1.0
 */
import {
  AfterSales,
  Counter,
  GroupBuy,
  IdGenerator,
  Invoices,
  Invoicing,
  MessageTemplates,
  type Order,
  type Payment,
  type ReadModel,
  ReadModels,
  PaymentDeadlines,
  Publish,
  Round,
  RoundChanges,
  RoundSpec,
  Scheduler,
  Shipment,
  Storage
} from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { type Matcher, Payments, Statement } from "@kaituan/reconcile"
import { Database } from "@kaituan/storage-sql"
import { Cause, Clock, Effect, Exit, Layer, ManagedRuntime, Option, Result } from "effect"
import {
  type ApprovePaymentOptions,
  ApprovePaymentSchema,
  type CancelOrderRequest,
  CancelOrderSchema,
  type Comment,
  CommentSchema,
  decodeOrThrow,
  type EventsQuery,
  EventsQuerySchema,
  IdSchema,
  invalidInput,
  OptionalAtSchema,
  type OrdersQuery,
  OrdersQuerySchema,
  type PaymentDecisionsQuery,
  PaymentDecisionsQuerySchema,
  type PaymentRecord,
  PaymentRecordSchema,
  type RefundRequest,
  RefundSchema,
  type ReturnRequest,
  ReturnSchema,
  type ReviewDecision,
  ReviewDecisionSchema,
  type RoundChange,
  RoundChangeSchema,
  type ReopenRequest,
  ReopenRequestSchema,
  MarkArrivedSchema,
  type RoundFile,
  type ShipRequest,
  ShipRequestSchema,
  type StatementImport,
  StatementImportSchema
} from "./Inputs.js"
import { KaituanError } from "./KaituanError.js"

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Options of {@link createKaituan}. */
export interface KaituanOptions {
  /**
   * Where to keep everything: omitted = in memory (gone when the process ends); a file path = a
   * SQLite database (created readable by its owner only); `postgres://user:pass@host/db` =
   * PostgreSQL. The schema is created or migrated when {@link createKaituan} opens it.
   */
  readonly database?: string | undefined
  /** The current time (tests, replays of old comments); the system clock by default. */
  readonly clock?: (() => Date) | undefined
  /** PostgreSQL only: the connection pool's size. */
  readonly maxConnections?: number | undefined
  /**
   * Background work while the instance is open (default `true`): scheduled jobs run when due (a
   * round with a cutoff closes by itself at the cutoff, its orders then awaiting payment) and the
   * catch-up read models (`buyer-history`) follow the events. It keeps the process alive until
   * {@link Kaituan.close}; `false` turns it off (one-shot scripts: close rounds with
   * {@link Kaituan.closeRound}). An object sets how often each runs.
   */
  readonly background?: boolean | BackgroundOptions | undefined
}

/** How often the background work of {@link KaituanOptions.background} runs. */
export interface BackgroundOptions {
  /** How often due jobs (cutoffs) are looked for, in milliseconds. Default 1000. */
  readonly pollMs?: number | undefined
  /** How often the catch-up read models are brought up to date, in milliseconds. Default 5000. */
  readonly catchUpEveryMs?: number | undefined
}

/** A round's lifecycle status. */
export type RoundStatus = "draft" | "open" | "paused" | "closed" | "settled"

/** A round, as {@link Kaituan.openRound} and {@link Kaituan.listRounds} give it. */
export interface RoundSummary {
  /** The round's id (from its round file). */
  readonly id: string
  /** Its title. */
  readonly title: string
  /** Where it is in its lifecycle. */
  readonly status: RoundStatus
  /** When it was opened (ISO 8601). */
  readonly openedAt?: string | undefined
  /** When it was closed, at the cutoff or by hand. */
  readonly closedAt?: string | undefined
  /** Its cutoff (the round file's, or the latest change's). */
  readonly cutoff?: string | undefined
}

/** What {@link Kaituan.publishRound} did. */
export interface PublishResult {
  readonly roundId: string
  /** `queued`; `duplicate` (the same announcement was queued before: nothing new); `skipped` (see `reason`). */
  readonly status: "queued" | "duplicate" | "skipped"
  readonly reason?: string | undefined
  /** One announcement per conversation the round listens to. */
  readonly messages: ReadonlyArray<{
    readonly messageId: string
    readonly channel: string
    readonly conversation: string
  }>
  /** The example comments it teaches, in the round's own syntax (`紅+1`). */
  readonly examples: ReadonlyArray<string>
  /** The announcement as the built-in zh-TW template writes it. */
  readonly text: string
}

/** One entry of a round's history ({@link Kaituan.roundHistory}): a lifecycle event or an organiser's change. */
export interface RoundHistoryEntry {
  /** Its 1-based position in the round's stream. */
  readonly version: number
  /** When it happened (ISO 8601). */
  readonly at: string
  /** The event: `RoundCreated`, `RoundOpened`, `RoundTitleChanged`, `RoundCutoffChanged`, `PriceChanged`, `Restocked`, `ProductAdded`, `VariantAdded`, `RoundPaused`, `RoundResumed`, `RoundClosed`, `RoundReopened`, `RoundSettled`. */
  readonly event: Round.Event
}

/** One order as the apps see it: lines with unit prices, total, paid, status. */
export type OrderView = ReadModel.OrderView

/** An order flagged at its round's payment deadline that still owes money ({@link Kaituan.overdueOrders}). */
export interface OverdueOrder {
  readonly order: OrderView
  /** The deadline it missed (ISO 8601). */
  readonly deadline: string
  /** When it was flagged (ISO 8601). */
  readonly flaggedAt: string
  /** NT$ still owed. */
  readonly owed: number
}
/** A comment waiting for the organiser, with the parser's reason and suggested lines. */
export type ReviewItem = ReadModel.ReviewItem
/** A comment (or part of one) kept as not ordered, with the reason. */
export type NotOrderedItem = ReadModel.NotOrderedItem
/** Stock left of one SKU. */
export type StockView = ReadModel.StockView
/** What became of one comment: what happened and why. */
export type CommentOutcome = GroupBuy.CommentOutcome
/** The round's numbers and lists: orders, review queue, not-ordered list, stock. */
export type RoundReport = GroupBuy.RoundReport
/** What became of a recorded payment. */
export type PaymentOutcome = GroupBuy.PaymentOutcome
/**
 * The matcher's decision on one statement row, with its evidence and its explanation, and its
 * `decisionId` (settle a `review` or `unmatched` one with {@link Kaituan.approvePayment} or
 * {@link Kaituan.rejectPayment}).
 */
export type StatementDecision = Matcher.Decision & { readonly decisionId: string }

/**
 * A kept payment decision (from a statement import): the row's amount and time, the matcher's
 * status and explanation, the candidate orders, and where it is now (`approved`, `rejected`).
 */
export type PaymentDecision = Payments.PaymentDecision

/** A meet-up pickup found by its code: the shipment, its lines, whether it is locked, and its order. */
export type PickupView = GroupBuy.PickupView

/** What {@link Kaituan.returnShipment} recorded: the lines back and the TWD now due to the buyer. */
export type ReturnResult = AfterSales.ReturnOutcome

/** An order owing its buyer money back ({@link Kaituan.refundsDue}): how much, why, since when. */
export type RefundDue = ReadModels.RefundsDue.Document

/** A page of {@link Kaituan.orders}. */
export interface OrdersPage {
  /** The orders, in the order of their first comment. */
  readonly orders: ReadonlyArray<OrderView>
  /** Pass it as `cursor` for the next page; absent on the last page. */
  readonly nextCursor?: string | undefined
}

/** A statement row that could not be read (the rest still import). */
export interface UnreadableRow {
  /** Its line (CSV) or row (xlsx) number. */
  readonly line: number
  /** Why, in a word (`bad-date`, `bad-amount`…). */
  readonly reason: string
  /** Why, in a sentence. */
  readonly message: string
}

/** What {@link Kaituan.importStatement} did. */
export interface StatementResult {
  /** One decision per money-in row: `matched` (applied), `review`, `unmatched` or `ignored`, each explained. */
  readonly decisions: ReadonlyArray<StatementDecision>
  /** How many payments this import applied to orders (0 when the statement was imported before). */
  readonly applied: number
  /** The amount it applied, in TWD. */
  readonly appliedAmount: number
  /** Rows that could not be read. */
  readonly unreadable: ReadonlyArray<UnreadableRow>
  /** The layout it was read as. */
  readonly layout: string
}

/** What {@link Kaituan.ship} made: the shipment and, for a meet-up pickup, the buyer's one-time code. */
export interface ShipResult {
  /** The new shipment's id. */
  readonly shipmentId: string
  /** For `pickup`: the code the buyer shows (as a QR code) at the meet-up. */
  readonly pickupCode?: string | undefined
}

/** A domain event's body, tagged by `_tag` (`LinesOrdered`, `PaymentApplied`, `ShipmentShipped`…). */
export type DomainEvent =
  | Round.Event
  | Order.Event
  | Payment.Event
  | Shipment.Event
  | Shipment.PickupCodeIssued
  | Payments.DecisionEvent

/** A stored domain event. */
export interface KaituanEvent {
  /** Its global position: pass the last one seen as `after` to continue from there. */
  readonly position: number
  /** Its stream: `round:<id>`, `order:<id>`, `payment:<id>` or `shipment:<id>`. */
  readonly stream: string
  /** Its 1-based position in its stream. */
  readonly version: number
  /** The event's type (its `_tag`). */
  readonly type: string
  /** When it happened (ISO 8601). */
  readonly at: string
  /** The event itself. */
  readonly data: DomainEvent
}

/**
 * The SDK. Every method returns a Promise and rejects with a `KaituanError`; every input is
 * decoded first. Methods on a closed instance reject with code `Closed`.
 */
export interface Kaituan {
  /**
   * Opens a round from its round file (idempotent by id: opening an existing round changes
   * nothing and gives it back). `at` (ISO 8601) backdates the opening, e.g. for an import of
   * older comments.
   */
  readonly openRound: (round: RoundFile, options?: { readonly at?: string | undefined }) => Promise<RoundSummary>
  /** Every round with its status, in the order they were created (from the `rounds` read model). */
  readonly listRounds: () => Promise<ReadonlyArray<RoundSummary>>
  /**
   * Edits an open (or paused) round: title, cutoff, prices for new orders, stock, new products or
   * variants, pause and resume ({@link RoundChange}), all at once or not at all; the round's
   * cutoff job moves with its cutoff. Rejects `InvalidInput` (naming the field, a misspelt key
   * too), `NotFound`, or `Rejected` with the round's `reason`: `not-open`, `cutoff-passed`,
   * `below-sold`, `unlimited`, `unknown-sku`, `invalid-catalogue`, `invalid-change`.
   */
  readonly updateRound: (roundId: string, change: RoundChange) => Promise<RoundSummary>
  /**
   * Reopens a closed round. Every order of the close is confirmed first and never changes (a
   * buyer's next "+1" is a new order); `cutoff` sets a new one (`null`: none). Rejects `Rejected`
   * with reason `settled`, `not-closed` or `cutoff-passed` (the round's cutoff has passed: give a
   * new one).
   */
  readonly reopenRound: (roundId: string, request?: ReopenRequest) => Promise<RoundSummary>
  /**
   * 預購到貨: marks pre-order SKUs (or products: all their pre-order SKUs) arrived. Buyers with such
   * lines are told; in a round with `preorderArrival: true` those lines may ship from then on
   * (before, `ship` rejects them with reason `not-arrived`). Rejects `Rejected` with reason
   * `not-preorder` or `unknown-sku`. SKUs marked already change nothing; `requestId`: a retry
   * changes nothing.
   */
  readonly markArrived: (roundId: string, skus: ReadonlyArray<string>, requestId?: string) => Promise<RoundSummary>
  /** The round's history: its lifecycle and the organiser's changes, oldest first (no comments). */
  readonly roundHistory: (roundId: string) => Promise<ReadonlyArray<RoundHistoryEntry>>
  /**
   * The orders flagged at the round's payment deadline (`unpaid: "flag"`, or partly paid under
   * `"cancel"`) that still owe money, in the order they were flagged, with what each owes; an
   * order paid or cancelled since is not listed. Rejects `NotFound` for an unknown round.
   */
  readonly overdueOrders: (roundId: string) => Promise<ReadonlyArray<OverdueOrder>>
  /** Takes one comment: an order, an amendment, a cancellation, review… and why. Handled once per id. */
  readonly submitComment: (roundId: string, comment: Comment) => Promise<CommentOutcome>
  /** Takes comments in order; one outcome per comment. */
  readonly submitComments: (roundId: string, comments: ReadonlyArray<Comment>) => Promise<ReadonlyArray<CommentOutcome>>
  /** An edited comment: per the round's `onEdit` policy, its order goes to review. */
  readonly editComment: (roundId: string, comment: Comment) => Promise<void>
  /** An unsent (deleted) comment: per the round's `onEdit` policy, its order goes to review. */
  readonly unsendComment: (
    roundId: string,
    comment: { readonly channel: string; readonly commentId: string; readonly at?: string | undefined }
  ) => Promise<void>
  /**
   * Publishes the round's announcement (title, items with prices and what is left, how to order
   * with examples, the cutoff in Taipei time) to every conversation the round listens to, through
   * the outbox. Publishing again without a change is `duplicate`: nothing new is sent. Rejects
   * when the round is unknown or not open.
   */
  readonly publishRound: (roundId: string, options?: { readonly at?: string | undefined }) => Promise<PublishResult>
  /** Closes the round now (if still open) and confirms every order: they now await payment. Idempotent. */
  readonly closeRound: (
    roundId: string,
    options?: { readonly at?: string | undefined }
  ) => Promise<ReadonlyArray<OrderView>>
  /** The round's orders, filtered and paginated. */
  readonly orders: (roundId: string, query?: OrdersQuery) => Promise<OrdersPage>
  /** One order (rejects `NotFound` when there is none). */
  readonly order: (orderId: string) => Promise<OrderView>
  /** Comments waiting for the organiser, with the parser's reason and suggested lines. */
  readonly reviewQueue: (
    roundId: string,
    options?: { readonly includeResolved?: boolean | undefined }
  ) => Promise<ReadonlyArray<ReviewItem>>
  /**
   * Decides a review item (its `commentId`): `order` these lines, `amend` the buyer's order with
   * them, `cancel` the buyer's order, or `dismiss` it. The buyer is told the outcome.
   */
  readonly resolveReview: (roundId: string, itemId: string, decision: ReviewDecision) => Promise<void>
  /** Comments kept as not ordered (after the cutoff, sold out, over the cap…), with the reason. */
  readonly notOrdered: (roundId: string) => Promise<ReadonlyArray<NotOrderedItem>>
  /**
   * Applies a bank statement to the round's orders awaiting payment: every money-in row gets a
   * decision with its explanation, and the `matched` ones are recorded as payments. The
   * statement's transaction ids are the idempotency keys: importing the same statement again
   * (or one that overlaps) applies nothing twice. Every decision is kept under its `decisionId`
   * ({@link Kaituan.paymentDecisions}); settle a `review` or `unmatched` one with
   * {@link Kaituan.approvePayment} or {@link Kaituan.rejectPayment}. A later import decides a row
   * still open again (new evidence may match it), never a rejected one.
   */
  readonly importStatement: (roundId: string, statement: StatementImport) => Promise<StatementResult>
  /** The round's kept payment decisions, in the order they were first decided (optionally by status). */
  readonly paymentDecisions: (roundId: string, query?: PaymentDecisionsQuery) => Promise<ReadonlyArray<PaymentDecision>>
  /**
   * Applies a `review` or `unmatched` decision's money to an order: `orderId`, or the decision's
   * only candidate. The buyer is told. Approving it again changes nothing.
   */
  readonly approvePayment: (decisionId: string, options?: ApprovePaymentOptions) => Promise<PaymentDecision>
  /** Marks a `review` or `unmatched` decision rejected (not this round's money). Idempotent. */
  readonly rejectPayment: (decisionId: string) => Promise<PaymentDecision>
  /** Records a payment seen elsewhere (cash at pickup, a transfer in the bank app). */
  readonly recordPayment: (payment: PaymentRecord) => Promise<PaymentOutcome>
  /** Ships all of a paid order, or part of it (拆單出貨); a meet-up `pickup` gets a one-time code. */
  readonly ship: (orderId: string, request: ShipRequest) => Promise<ShipResult>
  /**
   * Confirms a meet-up pickup with the buyer's one-time code (by order id, or by shipment id;
   * case, spaces and dashes do not matter). A wrong code rejects `Rejected` and is counted; the
   * 5th wrong one in a row locks the pickup: every code, the right one too, then rejects `Locked`
   * until {@link Kaituan.unlockPickup}.
   */
  readonly confirmPickup: (orderId: string, code: string) => Promise<void>
  /** Lifts a pickup lock after too many wrong codes. Idempotent. */
  readonly unlockPickup: (shipmentId: string) => Promise<void>
  /** The meet-up pickup with this code, typed or scanned (the counter does not know the order), or undefined. */
  readonly findPickup: (code: string) => Promise<PickupView | undefined>
  /**
   * The counter (門市櫃台): the orders a pickup code (typed or scanned), an order number or a buyer
   * id names (a buyer's in `roundIds`), each with what is due, its pickups and its e-invoice.
   */
  readonly counterLookup: (query: string, roundIds?: ReadonlyArray<string>) => Promise<Counter.LookupResult>
  /**
   * Takes a payment at the counter: `cash`, or a `card` on the shop's terminal recorded as paid with
   * its reference. Once per reference; never more than is due (`Rejected`, reason `over-due` or
   * `not-due`).
   */
  readonly counterPay: (
    orderId: string,
    request: { readonly method: Counter.PayMethod; readonly amount?: number; readonly reference: string }
  ) => Promise<{ readonly status: "matched" | "duplicate" | "unmatched"; readonly counter: Counter.CounterOrder }>
  /** An order's e-invoice: its number once issued, the last failure while it is not. */
  readonly invoice: (orderId: string) => Promise<Invoices.Summary>
  /**
   * Asks for a paid order's e-invoice now, with the buyer's details (載具; recorded as theirs) or
   * those they gave in chat. Issued by a host with an `Invoicing` service (`kaituan serve` with
   * ECPAY_INVOICE_*); this SDK stores the request. Idempotent.
   */
  readonly requestInvoice: (orderId: string, details?: Invoices.BuyerInvoiceDetails) => Promise<Invoices.Summary>
  /**
   * Cancels an order and tells the buyer why: while the round is open its lines leave the book
   * (stock goes back); after the cutoff an order awaiting payment with nothing paid is cancelled
   * (one with money is refunded instead). Cancelling it again changes nothing.
   */
  readonly cancelOrder: (orderId: string, request: CancelOrderRequest) => Promise<OrderView>
  /**
   * Records money given back to an order's buyer and tells them how much and why: `amount` all
   * that is left of what the order received is a full refund (the order is refunded), less a
   * partial one (the order keeps its status); more rejects `Rejected`. Refunding a refunded order
   * changes nothing; a paid order cancelled after the close is refunded this way too.
   */
  readonly refund: (orderId: string, request: RefundRequest) => Promise<OrderView>
  /**
   * Records a shipment (or `lines` of it) that came back: its value, up to what the order
   * received, is due back to the buyer ({@link Kaituan.refundsDue}); the buyer is told. A
   * shipment comes back once.
   */
  readonly returnShipment: (shipmentId: string, request: ReturnRequest) => Promise<ReturnResult>
  /** The orders owing their buyer money back (returns, paid orders cancelled), of one round or all. */
  readonly refundsDue: (roundId?: string) => Promise<ReadonlyArray<RefundDue>>
  /** The round's numbers and lists. */
  readonly report: (roundId: string) => Promise<RoundReport>
  /**
   * The stored domain events after a position, oldest first, as an async iterator. It ends at the
   * last event stored when it gets there; call again with `after` = the last `position` seen to
   * continue.
   */
  readonly events: (query?: EventsQuery) => AsyncIterableIterator<KaituanEvent>
  /**
   * Stops the background work (see {@link KaituanOptions.background}) and closes the database.
   * Later calls reject with code `Closed`; calling it again does nothing.
   */
  readonly close: () => Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

const notFoundReasons = new Set(["unknown-round", "unknown-order", "unknown-shipment"])

/** The KaituanError for whatever a use case failed with. */
const toKaituanError = (cause: Cause.Cause<unknown>): KaituanError => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isNone(failure)) {
    const defect = Cause.squash(cause)
    return new KaituanError(
      "Internal",
      `internal error: ${defect instanceof Error ? defect.message : String(defect)}`,
      {
        cause: defect
      }
    )
  }
  const e = failure.value
  if (e instanceof KaituanError) return e
  if (e instanceof GroupBuy.GroupBuyError) {
    if (e.reason === "invalid-input")
      return new KaituanError("InvalidInput", `invalid input: ${e.message}`, {
        field: e.field,
        reason: e.reason,
        cause: e
      })
    const code = notFoundReasons.has(e.reason)
      ? "NotFound"
      : e.reason === "conflict"
        ? "Conflict"
        : e.reason === "locked"
          ? "Locked"
          : "Rejected"
    return new KaituanError(code, e.message, { reason: e.reason, cause: e })
  }
  if (e instanceof Payments.PaymentDecisionError)
    return new KaituanError(e.reason === "unknown-decision" ? "NotFound" : "Rejected", e.message, {
      reason: e.reason,
      ...(e.reason === "unknown-decision" ? { field: "decisionId" } : {}),
      cause: e
    })
  if (e instanceof Storage.StorageError)
    return new KaituanError(e.reason === "conflict" ? "Conflict" : "Storage", e.message, { reason: e.reason, cause: e })
  if (e instanceof Payments.PaymentsInputError)
    return new KaituanError("InvalidInput", e.message, { field: e.field, cause: e })
  if (e instanceof Counter.CounterError)
    return new KaituanError(e.reason === "invalid-input" ? "InvalidInput" : "Rejected", e.message, {
      reason: e.reason,
      cause: e
    })
  if (e instanceof Invoices.InvoiceError) return new KaituanError("Rejected", e.message, { reason: e.reason, cause: e })
  if (e instanceof Invoicing.InvoicingError)
    return new KaituanError(e.reason === "invalid-input" ? "InvalidInput" : "Rejected", e.message, {
      reason: e.reason,
      cause: e
    })
  if (e instanceof Statement.StatementError)
    return new KaituanError("InvalidInput", `statement.file: ${e.message}`, {
      field: "statement.file",
      reason: e.reason,
      cause: e
    })
  return new KaituanError("Internal", `internal error: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
}

/** A round change refused by the Round decider: `Rejected` with the round's own reason (`cutoff-passed`…). */
const withRoundReason = <E>(e: E): E | KaituanError =>
  e instanceof GroupBuy.GroupBuyError && e.reason === "rejected" && e.cause instanceof Round.RoundError
    ? new KaituanError("Rejected", e.message, { reason: e.cause.reason, cause: e })
    : e

const notFound = (what: string, field: string) =>
  new KaituanError("NotFound", `${what} not found`, { field, reason: `unknown-${field}` })

// ---------------------------------------------------------------------------------------------
// Helpers over storage
// ---------------------------------------------------------------------------------------------

type Services = GroupBuy.GroupBuy | Storage.Storage | Payments.Payments

type AnyEvent = { readonly _tag: string } & Record<string, unknown>

/** The summary of a round from its stream's events, or undefined when it does not exist. */
const summarise = (roundId: string, events: ReadonlyArray<Storage.StoredEvent>): RoundSummary | undefined => {
  let title: string | undefined
  let cutoff: string | undefined
  let status: RoundStatus = "draft"
  let openedAt: string | undefined
  let closedAt: string | undefined
  for (const stored of events) {
    const e = stored.data as AnyEvent
    switch (e._tag) {
      case "RoundCreated": {
        const spec = e.spec as { readonly title?: string; readonly cutoff?: string }
        title = spec.title
        cutoff = spec.cutoff
        break
      }
      case "RoundOpened":
        status = "open"
        openedAt = stored.at
        break
      case "RoundClosed":
        status = "closed"
        closedAt = stored.at
        break
      case "RoundSettled":
        status = "settled"
        break
      case "RoundTitleChanged":
        title = e.title as string
        break
      case "RoundCutoffChanged":
        cutoff = (e.cutoff as string | null) ?? undefined
        break
      case "RoundPaused":
        status = "paused"
        break
      case "RoundResumed":
        status = "open"
        break
      case "RoundReopened":
        status = "open"
        closedAt = undefined
        break
    }
  }
  if (title === undefined) return undefined
  return {
    id: roundId,
    title,
    status,
    ...(openedAt === undefined ? {} : { openedAt }),
    ...(closedAt === undefined ? {} : { closedAt }),
    ...(cutoff === undefined ? {} : { cutoff })
  }
}

const readRound = (roundId: string) =>
  Effect.flatMap(Storage.Storage, (s) => s.readStream(Storage.roundStream(roundId))).pipe(
    Effect.map(({ events }) => ({ events, summary: summarise(roundId, events) }))
  )

const requireRound = (roundId: string) =>
  Effect.flatMap(readRound(roundId), (r) =>
    r.summary === undefined ? Effect.fail(notFound("round", "roundId")) : Effect.succeed(r)
  )

const PAGE = 1000

/** Applies a statement to a round's orders awaiting payment (`@kaituan/reconcile`'s Payments service). */
const applyStatement = (roundId: string, input: StatementImport) =>
  Effect.gen(function* () {
    yield* requireRound(roundId)
    const payments = yield* Payments.Payments
    const result = yield* payments.importStatement({
      roundId,
      ...(typeof input.file === "string" ? { text: input.file } : { file: input.file }),
      ...(input.format === undefined ? {} : { format: input.format }),
      ...(input.encoding === undefined ? {} : { encoding: input.encoding })
    })
    return {
      decisions: result.decisions,
      applied: result.applied,
      appliedAmount: result.appliedAmount,
      unreadable: result.unreadable.map((u) => ({ line: u.line, reason: u.reason, message: u.message })),
      layout: result.layout
    } satisfies StatementResult
  })

/** The pickup shipment of an order whose code matches (else the first open pickup shipment). */
const pickupShipmentOf = (orderOrShipmentId: string, code: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const order = yield* storage.readStream(Storage.orderStream(orderOrShipmentId))
    if (order.version === 0) {
      const shipment = yield* storage.readStream(Storage.shipmentStream(orderOrShipmentId))
      if (shipment.version === 0) return yield* Effect.fail(notFound("order", "orderId"))
      return orderOrShipmentId
    }
    const shipmentIds = order.events.flatMap((stored) => {
      const e = stored.data as AnyEvent
      return e._tag === "ShipmentAdded" ? [String(e.shipmentId)] : []
    })
    let candidate: string | undefined
    for (const shipmentId of shipmentIds) {
      const { events } = yield* storage.readStream(Storage.shipmentStream(shipmentId))
      const packed = events.map((s) => s.data as AnyEvent).find((e) => e._tag === "ShipmentPacked")
      if (packed?.method !== "pickup") continue
      if (
        typeof packed.pickupCode === "string" &&
        Shipment.normalizeCode(packed.pickupCode) === Shipment.normalizeCode(code)
      )
        return shipmentId
      candidate ??= shipmentId
    }
    if (candidate === undefined)
      return yield* Effect.fail(
        new KaituanError("NotFound", "the order has no meet-up pickup shipment", {
          field: "orderId",
          reason: "unknown-shipment"
        })
      )
    return candidate
  })

// ---------------------------------------------------------------------------------------------
// createKaituan
// ---------------------------------------------------------------------------------------------

const clockLayer = (now: () => Date): Layer.Layer<never> => {
  const millis = () => now().getTime()
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: millis,
    currentTimeMillis: Effect.sync(millis),
    currentTimeNanosUnsafe: () => BigInt(millis()) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(millis()) * 1_000_000n),
    monotonicTimeNanosUnsafe: () => process.hrtime.bigint(),
    monotonicTimeNanos: Effect.sync(() => process.hrtime.bigint()),
    sleep: (duration) => Effect.sleep(duration).pipe(Effect.provideService(Clock.Clock, Clock.Clock.defaultValue()))
  }
  return Layer.succeed(Clock.Clock, clock) as Layer.Layer<never>
}

const decodeOptions = (options: unknown): KaituanOptions => {
  if (options === undefined) return {}
  if (typeof options !== "object" || options === null)
    throw new KaituanError("InvalidInput", "invalid input: options: Expected an object", { field: "options" })
  const o = options as Record<string, unknown>
  if (o.database !== undefined && (typeof o.database !== "string" || o.database.trim() === ""))
    throw new KaituanError(
      "InvalidInput",
      "invalid input: options.database: Expected a file path or a postgres:// URL",
      {
        field: "options.database"
      }
    )
  if (o.clock !== undefined && typeof o.clock !== "function")
    throw new KaituanError("InvalidInput", "invalid input: options.clock: Expected a function returning a Date", {
      field: "options.clock"
    })
  if (
    o.maxConnections !== undefined &&
    (typeof o.maxConnections !== "number" || !Number.isInteger(o.maxConnections) || o.maxConnections < 1)
  )
    throw new KaituanError("InvalidInput", "invalid input: options.maxConnections: Expected a positive integer", {
      field: "options.maxConnections"
    })
  if (o.background !== undefined && typeof o.background !== "boolean") {
    if (typeof o.background !== "object" || o.background === null)
      throw new KaituanError("InvalidInput", "invalid input: options.background: Expected a boolean or an object", {
        field: "options.background"
      })
    const b = o.background as Record<string, unknown>
    for (const key of ["pollMs", "catchUpEveryMs"])
      if (b[key] !== undefined && (typeof b[key] !== "number" || !Number.isFinite(b[key]) || b[key] <= 0))
        throw new KaituanError("InvalidInput", `invalid input: options.background.${key}: Expected a positive number`, {
          field: `options.background.${key}`
        })
  }
  return o as KaituanOptions
}

/** The background work of an open instance: the scheduler (built-in jobs) and read-model catch-up. */
const backgroundLayer = (options: BackgroundOptions): Layer.Layer<never, never, Storage.Storage | GroupBuy.GroupBuy> =>
  Layer.mergeAll(
    Scheduler.layer({ handlers: Scheduler.builtIn, pollMs: options.pollMs ?? 1_000 }),
    ReadModels.layerCatchUp({ everyMs: options.catchUpEveryMs ?? 5_000 })
  )

/**
 * Opens kaituan over a database and gives the SDK. The database is opened (and its schema
 * migrated) before the Promise resolves: a database that cannot be opened rejects here with code
 * `Storage`. Call `close()` when done.
 *
 * @example
 * ```ts
 * import { createKaituan } from "kaituan"
 *
 * const k = await createKaituan({ database: "kaituan.db" }) // or "postgres://…"; omitted = in memory
 * const round = await k.openRound({ id: "cups", title: "保溫杯", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] })
 * await k.submitComment(round.id, { channel: "line", commentId: "m1", author: { id: "U1", name: "王小明" }, text: "+2", at: new Date().toISOString() })
 * console.log((await k.report(round.id)).orders)
 * await k.close()
 * ```
 */
export const createKaituan = async (options?: KaituanOptions): Promise<Kaituan> => {
  const { database, clock, maxConnections, background = true } = decodeOptions(options)
  const storage: Layer.Layer<Storage.Storage, Storage.StorageError> =
    database === undefined ? Storage.layerMemory : Database.layerFromUrl(database, { maxConnections })
  const base = Layer.mergeAll(
    storage,
    Parser.layer,
    IdGenerator.layerNanoid,
    clock === undefined ? Layer.empty : clockLayer(clock)
  )
  const app = Payments.layer.pipe(Layer.provideMerge(GroupBuy.layer), Layer.provideMerge(base))
  // Comments come live through the SDK: one dated more than 5 minutes after now is refused.
  const live = Layer.merge(app, Layer.succeed(GroupBuy.MaxFutureSkew, GroupBuy.LIVE_FUTURE_SKEW_MS))
  // Background fibers live in the runtime's scope: `close()` interrupts them before the database closes.
  const runtime = ManagedRuntime.make(
    background === false ? live : backgroundLayer(background === true ? {} : background).pipe(Layer.provideMerge(live))
  )
  // Open the database now: every later call finds it open.
  const opened = await runtime.runPromiseExit(Effect.void)
  if (Exit.isFailure(opened)) {
    await runtime.dispose()
    throw toKaituanError(opened.cause)
  }

  let closed = false
  const ensureOpen = () => {
    if (closed) throw new KaituanError("Closed", "this kaituan instance is closed", { reason: "closed" })
  }
  const run = async <A, E>(effect: Effect.Effect<A, E, Services>): Promise<A> => {
    ensureOpen()
    const exit = await runtime.runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    throw toKaituanError(exit.cause)
  }
  /** Validates synchronously (so bad input rejects before anything runs), then runs. */
  const call =
    <Args extends ReadonlyArray<unknown>, A, E>(f: (...args: Args) => Effect.Effect<A, E, Services>) =>
    async (...args: Args): Promise<A> => {
      ensureOpen()
      return run(f(...args))
    }
  const id = (field: string, value: unknown): string => decodeOrThrow(IdSchema, field, value)
  const at = (field: string, value: unknown): string | undefined => decodeOrThrow(OptionalAtSchema, field, value)
  const opts = <T>(value: T | undefined): T | Record<string, never> => value ?? {}

  const openRound = (round: RoundFile, options?: { readonly at?: string | undefined }) => {
    const spec = RoundSpec.decode(round)
    if (Result.isFailure(spec)) throw invalidInput("round", spec.failure.issue)
    const when = at("options.at", opts(options).at)
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec.success, at: when })
      const { summary } = yield* requireRound(spec.success.id)
      return summary as RoundSummary
    })
  }

  const listRounds = () =>
    Effect.gen(function* () {
      // The `rounds` read model: one document per round, no scan of the event log.
      const out: Array<ReadModels.Rounds.Document> = []
      let after: string | undefined
      for (;;) {
        const page = yield* ReadModels.list(ReadModels.Rounds.definition, { after, limit: PAGE })
        for (const row of page) out.push(row.doc)
        if (page.length < PAGE) break
        after = page[page.length - 1]!.id
      }
      return out
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
        .map(
          (d): RoundSummary => ({
            id: d.roundId,
            title: d.title,
            status: d.status,
            ...(d.openedAt === undefined ? {} : { openedAt: d.openedAt }),
            ...(d.closedAt === undefined ? {} : { closedAt: d.closedAt }),
            ...(d.cutoff === undefined ? {} : { cutoff: d.cutoff })
          })
        )
    })

  const submitComments = (roundId: string, comments: ReadonlyArray<Comment>) => {
    const rid = id("roundId", roundId)
    if (!Array.isArray(comments))
      throw new KaituanError("InvalidInput", "invalid input: comments: Expected an array", { field: "comments" })
    const decoded = comments.map((c, i) => decodeOrThrow(CommentSchema, `comments[${i}]`, c))
    return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.submitComments({ roundId: rid, comments: decoded }))
  }

  const orders = (roundId: string, query?: OrdersQuery) => {
    const rid = id("roundId", roundId)
    const q = decodeOrThrow(OrdersQuerySchema, "query", opts(query))
    const statuses = q.status === undefined ? undefined : typeof q.status === "string" ? [q.status] : q.status
    const afterSeq = q.cursor === undefined ? undefined : Number(q.cursor.slice(1))
    return Effect.gen(function* () {
      const storage = yield* Storage.Storage
      yield* requireRound(rid)
      // One more than the page: whether there is a next page.
      const found = yield* storage.orders({
        roundId: rid,
        status: statuses,
        buyerId: q.buyerId,
        afterSeq,
        limit: q.limit === undefined ? undefined : q.limit + 1
      })
      const page = q.limit === undefined ? found : found.slice(0, q.limit)
      const last = page.at(-1)
      return page.length < found.length && last !== undefined
        ? { orders: page, nextCursor: `c${last.seq}` }
        : { orders: page }
    })
  }

  /** The order (or `NotFound`). */
  const requireOrder = (orderId: string) =>
    Effect.flatMap(Storage.Storage, (s) => s.order(orderId)).pipe(
      Effect.flatMap((o) => (o === undefined ? Effect.fail(notFound("order", "orderId")) : Effect.succeed(o)))
    )

  const methods: Omit<Kaituan, "close" | "events"> = {
    openRound: call(openRound),
    listRounds: call(listRounds),
    submitComment: call((roundId: string, comment: Comment) => {
      const rid = id("roundId", roundId)
      const c = decodeOrThrow(CommentSchema, "comment", comment)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.submitComments({ roundId: rid, comments: [c] })).pipe(
        Effect.map((outcomes) => outcomes[0] as CommentOutcome),
        // Core names the one comment `comments[0]`; this method's argument is `comment`.
        Effect.mapError((e) =>
          e instanceof GroupBuy.GroupBuyError && e.reason === "invalid-input" && e.field?.startsWith("comments[0]")
            ? new GroupBuy.GroupBuyError({
                ...e,
                field: `comment${e.field.slice("comments[0]".length)}`,
                message: `comment${e.message.slice("comments[0]".length)}`
              })
            : e
        )
      )
    }),
    submitComments: call(submitComments),
    editComment: call((roundId: string, comment: Comment) => {
      const rid = id("roundId", roundId)
      const c = decodeOrThrow(CommentSchema, "comment", comment)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.editComment({ roundId: rid, comment: c }))
    }),
    unsendComment: call(
      (
        roundId: string,
        comment: { readonly channel: string; readonly commentId: string; readonly at?: string | undefined }
      ) => {
        const rid = id("roundId", roundId)
        const c = comment as Record<string, unknown> | undefined
        const channel = id("comment.channel", c?.channel)
        const commentId = id("comment.commentId", c?.commentId)
        const when = at("comment.at", c?.at)
        return Effect.gen(function* () {
          const g = yield* GroupBuy.GroupBuy
          const now = when ?? new Date(yield* Clock.currentTimeMillis).toISOString()
          yield* g.removeComment({ roundId: rid, channel, commentId, at: now })
        })
      }
    ),
    publishRound: call((roundId: string, options?: { readonly at?: string | undefined }) => {
      const rid = id("roundId", roundId)
      const when = at("options.at", opts(options).at)
      return Effect.map(
        Publish.publishRound({ roundId: rid, ...(when === undefined ? {} : { at: when }) }),
        (o): PublishResult => ({
          roundId: o.roundId,
          status: o.status,
          ...(o.reason === undefined ? {} : { reason: o.reason }),
          messages: o.messages,
          examples: o.data.examples,
          text: MessageTemplates.render("round-announcement", o.data)
        })
      )
    }),
    closeRound: call((roundId: string, options?: { readonly at?: string | undefined }) => {
      const rid = id("roundId", roundId)
      const when = at("options.at", opts(options).at)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: rid, at: when }))
    }),
    orders: call(orders),
    order: call((orderId: string) => requireOrder(id("orderId", orderId))),
    reviewQueue: call((roundId: string, options?: { readonly includeResolved?: boolean | undefined }) => {
      const rid = id("roundId", roundId)
      const includeResolved = opts(options).includeResolved
      if (includeResolved !== undefined && typeof includeResolved !== "boolean")
        throw new KaituanError("InvalidInput", "invalid input: options.includeResolved: Expected boolean", {
          field: "options.includeResolved"
        })
      return requireRound(rid).pipe(
        Effect.andThen(Storage.Storage),
        Effect.flatMap((s) => s.reviewQueue({ roundId: rid, includeResolved }))
      )
    }),
    resolveReview: call((roundId: string, itemId: string, decision: ReviewDecision) => {
      const rid = id("roundId", roundId)
      const commentId = id("itemId", itemId)
      const d = decodeOrThrow(ReviewDecisionSchema, "decision", decision)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) =>
        g.resolveReview({
          roundId: rid,
          commentId,
          action: d.action,
          approve: d.action === "order" || d.action === "amend" ? d.lines : []
        })
      )
    }),
    updateRound: call((roundId: string, change: RoundChange) => {
      const rid = id("roundId", roundId)
      const c = decodeOrThrow(RoundChangeSchema, "change", change, "error")
      return Effect.gen(function* () {
        yield* requireRound(rid)
        const changes = yield* RoundChanges.make
        yield* changes.updateRound({ roundId: rid, change: c }).pipe(Effect.mapError(withRoundReason))
        return (yield* requireRound(rid)).summary as RoundSummary
      })
    }),
    reopenRound: call((roundId: string, request?: ReopenRequest) => {
      const rid = id("roundId", roundId)
      const r = decodeOrThrow(ReopenRequestSchema, "request", opts(request), "error")
      return Effect.gen(function* () {
        yield* requireRound(rid)
        const changes = yield* RoundChanges.make
        yield* changes.reopenRound({ roundId: rid, ...r }).pipe(Effect.mapError(withRoundReason))
        return (yield* requireRound(rid)).summary as RoundSummary
      })
    }),
    markArrived: call((roundId: string, skus: ReadonlyArray<string>, requestId?: string) => {
      const rid = id("roundId", roundId)
      const r = decodeOrThrow(MarkArrivedSchema, "request", { skus, requestId }, "error")
      return Effect.gen(function* () {
        yield* requireRound(rid)
        const changes = yield* RoundChanges.make
        yield* changes.markArrived({ roundId: rid, ...r }).pipe(Effect.mapError(withRoundReason))
        return (yield* requireRound(rid)).summary as RoundSummary
      })
    }),
    roundHistory: call((roundId: string) => {
      const rid = id("roundId", roundId)
      return Effect.flatMap(RoundChanges.make, (changes) => changes.history(rid))
    }),
    overdueOrders: call((roundId: string) => {
      const rid = id("roundId", roundId)
      return requireRound(rid).pipe(
        Effect.andThen(PaymentDeadlines.flaggedOrders(rid)),
        Effect.map((flagged) =>
          flagged.map((f): OverdueOrder => ({ ...f, owed: Math.max(0, f.order.total - f.order.paid) }))
        )
      )
    }),
    notOrdered: call((roundId: string) => {
      const rid = id("roundId", roundId)
      return requireRound(rid).pipe(
        Effect.andThen(Storage.Storage),
        Effect.flatMap((s) => s.notOrdered({ roundId: rid }))
      )
    }),
    importStatement: call((roundId: string, statement: StatementImport) => {
      const rid = id("roundId", roundId)
      const input = decodeOrThrow(StatementImportSchema, "statement", statement)
      return applyStatement(rid, input)
    }),
    paymentDecisions: call((roundId: string, query?: PaymentDecisionsQuery) => {
      const rid = id("roundId", roundId)
      const q = decodeOrThrow(PaymentDecisionsQuerySchema, "query", opts(query))
      const status = q.status === undefined ? undefined : typeof q.status === "string" ? [q.status] : q.status
      return Effect.flatMap(requireRound(rid), () =>
        Effect.flatMap(Payments.Payments, (p) => p.decisions({ roundId: rid, status }))
      )
    }),
    approvePayment: call((decisionId: string, options?: ApprovePaymentOptions) => {
      const did = id("decisionId", decisionId)
      const o = decodeOrThrow(ApprovePaymentSchema, "options", opts(options))
      return Effect.flatMap(Payments.Payments, (p) =>
        p.approveDecision(o.orderId === undefined ? { decisionId: did } : { decisionId: did, orderId: o.orderId })
      )
    }),
    rejectPayment: call((decisionId: string) => {
      const did = id("decisionId", decisionId)
      return Effect.flatMap(Payments.Payments, (p) => p.rejectDecision({ decisionId: did }))
    }),
    cancelOrder: call((orderId: string, request: CancelOrderRequest) => {
      const oid = id("orderId", orderId)
      const r = decodeOrThrow(CancelOrderSchema, "request", request)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.cancelOrder({ orderId: oid, reason: r.reason }))
    }),
    refund: call((orderId: string, request: RefundRequest) => {
      const oid = id("orderId", orderId)
      const r = decodeOrThrow(RefundSchema, "request", request)
      return Effect.gen(function* () {
        const order = yield* requireOrder(oid)
        if (order.status === "refunded") return order
        const done = yield* AfterSales.refund({
          orderId: oid,
          amount: r.amount,
          reason: r.reason,
          method: r.method ?? "bank-transfer",
          reasonCode: r.reasonCode ?? "other",
          lines: r.lines,
          refundId: r.refundId
        })
        return done.order
      })
    }),
    returnShipment: call((shipmentId: string, request: ReturnRequest) => {
      const sid = id("shipmentId", shipmentId)
      const r = decodeOrThrow(ReturnSchema, "request", request)
      return AfterSales.returnShipment({ shipmentId: sid, ...r })
    }),
    refundsDue: call((roundId?: string) => {
      const rid = roundId === undefined ? undefined : id("roundId", roundId)
      return Effect.gen(function* () {
        const out: Array<RefundDue> = []
        let after: string | undefined
        for (;;) {
          const page = yield* AfterSales.refundsDue({ roundId: rid, after, limit: 500 })
          out.push(...page)
          if (page.length < 500) return out
          after = page[page.length - 1]!.orderId
        }
      })
    }),
    recordPayment: call((payment: PaymentRecord) => {
      const p = decodeOrThrow(PaymentRecordSchema, "payment", payment)
      return Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const storage = yield* Storage.Storage
        if ((yield* storage.order(p.orderId)) === undefined) return yield* Effect.fail(notFound("order", "orderId"))
        const when = p.at ?? new Date(yield* Clock.currentTimeMillis).toISOString()
        return yield* g.recordPayment({
          transactionId: p.transactionId ?? `manual:${crypto.randomUUID()}`,
          source: p.source,
          amount: p.amount,
          at: when,
          bankCode: p.bankCode,
          last5: p.last5,
          orderIds: [p.orderId],
          evidence: p.note === undefined ? "recorded by the organiser" : `recorded by the organiser: ${p.note}`
        })
      })
    }),
    ship: call((orderId: string, request: ShipRequest) => {
      const oid = id("orderId", orderId)
      const r = decodeOrThrow(ShipRequestSchema, "request", request)
      return Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const storage = yield* Storage.Storage
        const order = yield* storage.order(oid)
        if (order === undefined) return yield* Effect.fail(notFound("order", "orderId"))
        const lines = r.lines ?? order.lines.filter((l) => l.qty > 0).map((l) => ({ sku: l.sku, qty: l.qty }))
        const shipped = yield* g.ship({
          orderId: oid,
          lines,
          method: r.method,
          carrier: r.carrier,
          trackingNo: r.tracking
        })
        return shipped.pickupCode === undefined
          ? { shipmentId: shipped.shipmentId }
          : { shipmentId: shipped.shipmentId, pickupCode: shipped.pickupCode }
      })
    }),
    confirmPickup: call((orderId: string, code: string) => {
      const oid = id("orderId", orderId)
      const c = id("code", code)
      return Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const shipmentId = yield* pickupShipmentOf(oid, c)
        yield* g.confirmPickup({ shipmentId, code: c })
      })
    }),
    unlockPickup: call((shipmentId: string) => {
      const sid = id("shipmentId", shipmentId)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.unlockPickup({ shipmentId: sid }))
    }),
    findPickup: call((code: string) => {
      const c = id("code", code)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.findPickup({ code: c }))
    }),
    counterLookup: call((query: string, roundIds?: ReadonlyArray<string>) => {
      const q = id("query", query)
      const rounds = (roundIds ?? []).map((r, i) => id(`roundIds[${i}]`, r))
      return Counter.lookup({ query: q, roundIds: rounds })
    }),
    counterPay: call(
      (
        orderId: string,
        request: { readonly method: Counter.PayMethod; readonly amount?: number; readonly reference: string }
      ) => Counter.pay({ ...request, orderId: id("orderId", orderId) })
    ),
    invoice: call((orderId: string) => Invoices.summary(id("orderId", orderId))),
    requestInvoice: call((orderId: string, details?: Invoices.BuyerInvoiceDetails) =>
      Counter.issueInvoice({ orderId: id("orderId", orderId), ...(details === undefined ? {} : { details }) })
    ),
    report: call((roundId: string) => {
      const rid = id("roundId", roundId)
      return Effect.flatMap(GroupBuy.GroupBuy, (g) => g.report(rid))
    })
  }

  async function* events(query?: EventsQuery): AsyncGenerator<KaituanEvent, void, undefined> {
    ensureOpen()
    const q = decodeOrThrow(EventsQuerySchema, "query", opts(query))
    const size = q.batchSize ?? 500
    let position = q.after ?? 0
    for (;;) {
      const page = await run(Effect.flatMap(Storage.Storage, (s) => s.readAll(position, size)))
      for (const e of page) {
        position = Math.max(position, e.position)
        yield {
          position: e.position,
          stream: e.stream,
          version: e.version,
          type: e.type,
          at: e.at,
          data: e.data as DomainEvent
        }
      }
      if (page.length < size) return
    }
  }

  return {
    ...methods,
    // A closed instance or a bad query rejects the first `next()`, like every other method's Promise.
    events: (query) => events(query),
    close: async () => {
      if (closed) return
      closed = true
      await runtime.dispose()
    }
  }
}
