/**
 * The e-invoice of an order, as its own aggregate: an `invoice:<orderId>` stream, apart from the
 * order's (the Order aggregate is not touched), recording every request, every issued invoice
 * number, every failure (for the organiser) and every void or allowance. The use cases here run
 * the {@link Invoicing} port:
 *
 * - {@link request}: a paid order's invoice is asked for. The request (the buyer's carrier, the
 *   lines) is stored in the stream and an `invoice.issue` job is scheduled in the same commit.
 * - {@link issueJob}: the job's handler (register it with the `Scheduler`). It issues through the
 *   port (idempotent by order: a retry never issues twice) and records the invoice number, or
 *   records the failure and fails, so the scheduler retries it with back-off; after its last
 *   attempt the job is `failed` and the organiser sees it (`Storage.jobs`) with the
 *   `InvoiceFailed` events. An input the rules refuse is not retried.
 * - {@link requestPaid}: the round policy `on-paid`: every paid order of a round without an
 *   invoice gets one requested (idempotent: run it after payments, or from a job).
 * - {@link refund}: money goes back. The invoice is voided (a full refund before its period is
 *   filed) **or** gets an allowance (otherwise), never both, and once per refund id.
 *
 * @since 0.3.0
 */
import { Clock, Effect, Result, Schema } from "effect"
import * as CommandHandler from "./CommandHandler.js"
import * as Decider from "./Decider.js"
import * as jobs from "./internal/invoiceJobs.js"
import {
  type BuyerInvoiceDetails,
  BuyerInvoiceDetails as DetailsSchema,
  carrierAggregate,
  carrierStream
} from "./BuyerCarrier.js"
import * as Invoicing from "./Invoicing.js"
import * as Round from "./Round.js"
import { JobRejected } from "./Scheduler.js"
import type { ClaimedJob, ScheduledJob } from "./Storage.js"
import { roundStream, Storage, type StorageError } from "./Storage.js"

/** The stream of an order's invoice. */
export const invoiceStream = (orderId: string): string => `invoice:${orderId}`

/** The kind of the job that issues a requested invoice. */
export const ISSUE_JOB = jobs.ISSUE_JOB
/** The kind of the job that requests a paid order's invoice (a round with `invoice.issue: "on-paid"`). */
export const REQUEST_JOB = jobs.REQUEST_JOB
/** The kind of the job that voids an invoice or makes an allowance when money goes back. */
export const REFUND_JOB = jobs.REFUND_JOB
/** Every kind of invoice job. */
export const JOB_KINDS: ReadonlyArray<string> = [jobs.ISSUE_JOB, jobs.REQUEST_JOB, jobs.REFUND_JOB]

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/** An invoice was asked for (sequence 0, or the next after a void). */
export const InvoiceRequested = Schema.TaggedStruct("InvoiceRequested", {
  orderId: Schema.String,
  sequence: Schema.Int,
  request: Invoicing.IssueInput,
  at: Schema.String
})
/** The vendor issued it. */
export const InvoiceIssued = Schema.TaggedStruct("InvoiceIssued", {
  orderId: Schema.String,
  sequence: Schema.Int,
  invoice: Invoicing.Invoice,
  at: Schema.String
})
/** An attempt failed (kept for the organiser; the job retries unless the input was refused). */
export const InvoiceFailed = Schema.TaggedStruct("InvoiceFailed", {
  orderId: Schema.String,
  sequence: Schema.Int,
  reason: Invoicing.InvoicingErrorReason,
  code: Schema.optional(Schema.String),
  message: Schema.String,
  at: Schema.String
})
/** The invoice was voided for a refund. */
export const InvoiceVoided = Schema.TaggedStruct("InvoiceVoided", {
  orderId: Schema.String,
  invoiceNo: Schema.String,
  refundId: Schema.String,
  at: Schema.String
})
/** An allowance was made on the invoice for a refund. */
export const InvoiceAllowanceMade = Schema.TaggedStruct("InvoiceAllowanceMade", {
  orderId: Schema.String,
  invoiceNo: Schema.String,
  refundId: Schema.String,
  allowanceNo: Schema.String,
  amount: Schema.Int,
  remaining: Schema.Int,
  at: Schema.String
})
/** Every event of the stream. */
export const InvoiceEvent = Schema.Union([
  InvoiceRequested,
  InvoiceIssued,
  InvoiceFailed,
  InvoiceVoided,
  InvoiceAllowanceMade
])
/** An {@link InvoiceEvent}. */
export type InvoiceEvent = typeof InvoiceEvent.Type

// ---------------------------------------------------------------------------------------------
// The decider
// ---------------------------------------------------------------------------------------------

/** Where an order's invoice is. */
export interface State {
  readonly status: "none" | "requested" | "issued" | "voided"
  readonly sequence: number
  readonly request?: Invoicing.IssueInput | undefined
  readonly invoice?: Invoicing.Invoice | undefined
  /** Total of the allowances made. */
  readonly allowed: number
  /** Refund ids handled, with what was done. */
  readonly refunds: Readonly<Record<string, "void" | "allowance">>
  readonly failures: number
}

/** What can be asked of an order's invoice. */
export type Command =
  | { readonly _tag: "Request"; readonly request: Invoicing.IssueInput; readonly at: string }
  | { readonly _tag: "RecordIssued"; readonly invoice: Invoicing.Invoice; readonly at: string }
  | {
      readonly _tag: "RecordFailed"
      readonly error: Invoicing.InvoicingError
      readonly at: string
    }
  | { readonly _tag: "RecordVoided"; readonly refundId: string; readonly at: string }
  | {
      readonly _tag: "RecordAllowance"
      readonly refundId: string
      readonly allowance: Invoicing.Allowance
      readonly amount: number
      readonly at: string
    }

/** Why a command is refused. */
export class InvoiceError extends Schema.TaggedError<InvoiceError>()("InvoiceError", {
  reason: Schema.Literals([
    "not-issued",
    "already-issued",
    "voided",
    "exceeds-remaining",
    "order-not-paid",
    "no-invoice"
  ]),
  message: Schema.String
}) {}

const refuse = (
  reason: InvoiceError["reason"],
  message: string
): Result.Result<ReadonlyArray<InvoiceEvent>, InvoiceError> => Result.fail(new InvoiceError({ reason, message }))

const ok = (events: ReadonlyArray<InvoiceEvent>): Result.Result<ReadonlyArray<InvoiceEvent>, InvoiceError> =>
  Result.succeed(events)

/** The order's invoice as a decider. */
export const decider: Decider.Decider<Command, State, InvoiceEvent, InvoiceError> = Decider.make<
  Command,
  State,
  InvoiceEvent,
  InvoiceError
>({
  initialState: { status: "none", sequence: 0, allowed: 0, refunds: {}, failures: 0 },
  decide: (command, state) => {
    switch (command._tag) {
      case "Request": {
        if (state.status === "requested" || state.status === "issued") return ok([])
        const sequence = state.status === "voided" ? state.sequence + 1 : 0
        return ok([
          InvoiceRequested.make({
            orderId: command.request.orderId,
            sequence,
            request: { ...command.request, sequence },
            at: command.at
          })
        ])
      }
      case "RecordIssued": {
        if (state.status === "issued")
          return state.invoice?.invoiceNo === command.invoice.invoiceNo
            ? ok([])
            : refuse("already-issued", `the order already has invoice ${state.invoice?.invoiceNo}`)
        if (state.status !== "requested") return refuse("not-issued", "no invoice was requested")
        return ok([
          InvoiceIssued.make({
            orderId: command.invoice.orderId,
            sequence: state.sequence,
            invoice: command.invoice,
            at: command.at
          })
        ])
      }
      case "RecordFailed":
        if (state.status !== "requested" || state.request === undefined) return ok([])
        return ok([
          InvoiceFailed.make({
            orderId: state.request.orderId,
            sequence: state.sequence,
            reason: command.error.reason,
            ...(command.error.code === undefined ? {} : { code: command.error.code }),
            message: command.error.message.slice(0, 300),
            at: command.at
          })
        ])
      case "RecordVoided": {
        if (state.refunds[command.refundId] !== undefined) return ok([])
        if (state.status === "voided") return refuse("voided", "the invoice is already voided")
        if (state.status !== "issued" || state.invoice === undefined) return refuse("not-issued", "no invoice to void")
        if (state.allowed > 0) return refuse("exceeds-remaining", "an invoice with allowances cannot be voided")
        return ok([
          InvoiceVoided.make({
            orderId: state.invoice.orderId,
            invoiceNo: state.invoice.invoiceNo,
            refundId: command.refundId,
            at: command.at
          })
        ])
      }
      case "RecordAllowance": {
        if (state.refunds[command.refundId] !== undefined) return ok([])
        if (state.status === "voided") return refuse("voided", "the invoice is voided")
        if (state.status !== "issued" || state.invoice === undefined) return refuse("not-issued", "no invoice")
        if (state.allowed + command.amount > state.invoice.amount)
          return refuse("exceeds-remaining", "the allowances would exceed the invoice")
        return ok([
          InvoiceAllowanceMade.make({
            orderId: state.invoice.orderId,
            invoiceNo: state.invoice.invoiceNo,
            refundId: command.refundId,
            allowanceNo: command.allowance.allowanceNo,
            amount: command.amount,
            remaining: command.allowance.remaining,
            at: command.at
          })
        ])
      }
    }
  },
  evolve: (state, event) => {
    switch (event._tag) {
      case "InvoiceRequested":
        return { ...state, status: "requested", sequence: event.sequence, request: event.request, invoice: undefined }
      case "InvoiceIssued":
        return { ...state, status: "issued", invoice: event.invoice, allowed: 0 }
      case "InvoiceFailed":
        return { ...state, failures: state.failures + 1 }
      case "InvoiceVoided":
        return { ...state, status: "voided", refunds: { ...state.refunds, [event.refundId]: "void" } }
      case "InvoiceAllowanceMade":
        return {
          ...state,
          allowed: state.allowed + event.amount,
          refunds: { ...state.refunds, [event.refundId]: "allowance" }
        }
    }
  }
})

const decodeEvent = Schema.decodeUnknownSync(InvoiceEvent)
/** The aggregate (decider + stored-event decoder) for `CommandHandler`. */
export const aggregate = CommandHandler.aggregate(decider, (data) => decodeEvent(data))

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** The Taipei `yyyy-MM-dd HH:mm:ss` of an instant (invoice dates are Taipei time). */
const taipei = (iso: string): string => {
  const d = new Date(Date.parse(iso) + 8 * 3_600_000).toISOString()
  return `${d.slice(0, 10)} ${d.slice(11, 19)}`
}

/** The current state of an order's invoice. */
export const stateOf = (orderId: string): Effect.Effect<State, StorageError, Storage> =>
  Effect.flatMap(Storage, (storage) =>
    Effect.map(CommandHandler.load(storage, aggregate, invoiceStream(orderId)), (l) => l.state)
  )

/** Who the invoice is for and where it goes (from the pay page, the chat's 載具 message, or the organiser). */
export interface Recipient {
  readonly buyer: Invoicing.InvoiceBuyer
  readonly carrier: Invoicing.Carrier
}

/**
 * Asks for a paid order's invoice: its lines (names from `productNames`, else the SKU), the
 * order's total (a difference from the lines, such as a shipping fee, is its own line 運費及其他),
 * the recipient. Stores the request and schedules the `invoice.issue` job in one commit; a second
 * request for the same order changes nothing (unless its invoice was voided: the next sequence).
 * Fails with `order-not-paid` for an order that is not paid in full (paid, shipped or completed), `invalid-input` (an
 * `InvoicingError`) when the rules refuse the recipient.
 */
export const request = (input: {
  readonly orderId: string
  readonly recipient: Recipient
  readonly productNames?: Readonly<Record<string, string>> | undefined
  readonly remark?: string | undefined
}): Effect.Effect<State, InvoiceError | Invoicing.InvoicingError | StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const order = yield* storage.order(input.orderId)
    const paidStatuses: ReadonlyArray<string> = ["paid", "partly-shipped", "shipped", "completed"]
    if (order === undefined || !paidStatuses.includes(order.status) || order.paid < order.total)
      return yield* Effect.fail(
        new InvoiceError({ reason: "order-not-paid", message: "the order is not paid in full" })
      )
    const items: Array<Invoicing.InvoiceItem> = order.lines
      .filter((l) => l.qty > 0)
      .map((l) => ({
        name: input.productNames?.[l.sku] ?? l.sku,
        quantity: l.qty,
        unitPrice: l.unitPrice,
        amount: l.qty * l.unitPrice
      }))
    const linesTotal = items.reduce((s, i) => s + i.amount, 0)
    if (order.total > linesTotal)
      items.push({
        name: "運費及其他",
        quantity: 1,
        unitPrice: order.total - linesTotal,
        amount: order.total - linesTotal
      })
    const issue = yield* Effect.fromResult(
      Invoicing.decodeIssue({
        orderId: order.orderId,
        buyer: input.recipient.buyer,
        carrier: input.recipient.carrier,
        items,
        amount: order.total,
        ...(input.remark === undefined ? {} : { remark: input.remark })
      })
    )
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          const decision = yield* unit.decide(aggregate, invoiceStream(order.orderId), {
            _tag: "Request",
            request: issue,
            at
          })
          for (const e of decision.events)
            if (e._tag === "InvoiceRequested")
              unit.schedule({
                id: `${ISSUE_JOB}:${order.orderId}:${e.sequence}`,
                kind: ISSUE_JOB,
                dueAt: at,
                payload: { orderId: order.orderId }
              })
          return decision.state
        })
    })
    // no idempotency key: a Duplicate cannot happen; read the stream for the state then
    return outcome._tag === "Duplicate" ? yield* stateOf(order.orderId) : outcome.value
  })

const Payload = Schema.Struct({ orderId: Schema.String })

/**
 * Issues an order's requested invoice now, through the port (idempotent by order: the vendor
 * answers a retry with the invoice it issued), and records its number; a failure is recorded
 * (the organiser sees it) and fails. Nothing to do (no request, or issued already): the state.
 * The `invoice.issue` job runs this; the counter runs it so the buyer leaves with the number.
 */
export const issue = (
  orderId: string
): Effect.Effect<State, Invoicing.InvoicingError | InvoiceError | StorageError, Storage | Invoicing.Invoicing> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const invoicing = yield* Invoicing.Invoicing
    const stream = invoiceStream(orderId)
    const { state } = yield* CommandHandler.load(storage, aggregate, stream)
    if (state.status !== "requested" || state.request === undefined) return state
    // 手機條碼 and 捐贈碼 checked with the tax authority (through the vendor) before the first
    // attempt: an invoice on a code that does not exist would never reach the buyer. A vendor that
    // cannot answer does not hold the invoice up.
    const exists = state.failures > 0 ? true : yield* checkDetails({ carrier: state.request.carrier })
    const issued = exists
      ? yield* Effect.result(invoicing.issue(state.request))
      : Result.fail(
          new Invoicing.InvoicingError({
            reason: "invalid-input",
            message:
              state.request.carrier._tag === "Donation"
                ? "the love code (捐贈碼) does not exist"
                : "the mobile barcode (手機條碼) does not exist"
          })
        )
    const at = yield* nowIso
    if (issued._tag === "Success") {
      const outcome = yield* CommandHandler.handle(storage, aggregate, {
        stream,
        at,
        command: { _tag: "RecordIssued", invoice: issued.success, at }
      })
      return outcome._tag === "Duplicate" ? yield* stateOf(orderId) : outcome.state
    }
    yield* CommandHandler.handle(storage, aggregate, {
      stream,
      at,
      command: { _tag: "RecordFailed", error: issued.failure, at }
    })
    return yield* Effect.fail(issued.failure)
  })

/**
 * The `invoice.issue` job: {@link issue}; on a failure the scheduler retries, or the job is
 * rejected for good when the rules refused the input. Idempotent: an invoice already recorded
 * ends the job.
 */
export const issueJob = (
  job: ClaimedJob
): Effect.Effect<
  void,
  Invoicing.InvoicingError | InvoiceError | JobRejected | StorageError,
  Storage | Invoicing.Invoicing
> =>
  Effect.gen(function* () {
    const { orderId } = yield* Effect.mapError(
      Schema.decodeUnknownEffect(Payload)(job.payload),
      () => new JobRejected({ message: "invoice.issue: the payload has no orderId" })
    )
    yield* Effect.catchTag(
      issue(orderId),
      "InvoicingError",
      (e): Effect.Effect<never, JobRejected | Invoicing.InvoicingError> =>
        e.reason === "invalid-input" ? Effect.fail(new JobRejected({ message: e.message })) : Effect.fail(e)
    )
  })

/** When a round's invoices are asked for: as soon as an order is paid, or only when someone asks. */
export const Policy = Schema.Literals(["on-paid", "on-demand"])
/** A {@link Policy}. */
export type Policy = typeof Policy.Type

/**
 * The `on-paid` policy for a round: requests the invoice of every paid order that has none yet,
 * with the recipient `recipientOf` gives (an order without one is skipped and counted). Idempotent.
 */
export const requestPaid = (input: {
  readonly roundId: string
  readonly policy: Policy
  readonly recipientOf: (order: { readonly orderId: string; readonly buyerId: string }) => Recipient | undefined
  readonly productNames?: Readonly<Record<string, string>> | undefined
}): Effect.Effect<
  { readonly requested: number; readonly skipped: number; readonly refused: number },
  StorageError,
  Storage
> =>
  Effect.gen(function* () {
    if (input.policy === "on-demand") return { requested: 0, skipped: 0, refused: 0 }
    const storage = yield* Storage
    const paid = yield* storage.orders({
      roundId: input.roundId,
      status: ["paid", "partly-shipped", "shipped", "completed"]
    })
    let requested = 0
    let skipped = 0
    let refused = 0
    for (const order of paid) {
      const { version } = yield* storage.readStream(invoiceStream(order.orderId))
      if (version > 0) continue
      const recipient = input.recipientOf(order)
      if (recipient === undefined) {
        skipped++
        continue
      }
      const result = yield* Effect.result(
        request({ orderId: order.orderId, recipient, productNames: input.productNames })
      )
      if (result._tag === "Success") requested++
      else if (result.failure._tag === "StorageError") return yield* Effect.fail(result.failure)
      else refused++
    }
    return { requested, skipped, refused }
  })

/**
 * Money goes back on an order with an invoice: voids it (a full refund before its period is filed,
 * no allowance made) **or** makes an allowance, decided once per `refundId` (a retry of the same
 * refund answers what was done, and calls the vendor no more). Never both, never twice.
 */
export const refund = (input: {
  readonly orderId: string
  readonly refundId: string
  readonly amount: number
  /** Why (the void's reason, at most 20 characters). */
  readonly reason: string
  readonly notify?: Invoicing.AllowanceInput["notify"] | undefined
}): Effect.Effect<
  "void" | "allowance",
  InvoiceError | Invoicing.InvoicingError | StorageError,
  Storage | Invoicing.Invoicing
> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const invoicing = yield* Invoicing.Invoicing
    const stream = invoiceStream(input.orderId)
    const { state } = yield* CommandHandler.load(storage, aggregate, stream)
    const done = state.refunds[input.refundId]
    if (done !== undefined) return done
    const invoice = state.invoice
    if (state.status !== "issued" || invoice === undefined || state.request === undefined)
      return yield* Effect.fail(
        new InvoiceError({
          reason: state.status === "voided" ? "voided" : "no-invoice",
          message: "no invoice to refund"
        })
      )
    const at = yield* nowIso
    const action = Invoicing.refundAction({
      invoiceAmount: invoice.amount,
      refundAmount: input.amount,
      invoiceDate: invoice.invoiceDate,
      now: taipei(at),
      allowances: state.allowed > 0 ? 1 : 0
    })
    if (action === "void") {
      yield* invoicing.void({
        invoiceNo: invoice.invoiceNo,
        invoiceDate: invoice.invoiceDate,
        reason: [...input.reason].slice(0, 20).join("") || "退款"
      })
      yield* CommandHandler.handle(storage, aggregate, {
        stream,
        at,
        command: { _tag: "RecordVoided", refundId: input.refundId, at }
      })
      return action
    }
    const amount = Math.min(input.amount, invoice.amount - state.allowed)
    const allowance = yield* invoicing.allowance({
      invoiceNo: invoice.invoiceNo,
      invoiceDate: invoice.invoiceDate,
      amount,
      items: [{ name: "退款折讓", quantity: 1, unitPrice: amount, amount }],
      notify: input.notify ?? ((state.request.buyer.email ?? "") === "" ? "none" : "email"),
      buyer: state.request.buyer
    })
    yield* CommandHandler.handle(storage, aggregate, {
      stream,
      at,
      command: { _tag: "RecordAllowance", refundId: input.refundId, allowance, amount, at }
    })
    return action
  })

// ---------------------------------------------------------------------------------------------
// The buyer's carrier (載具), as they gave it in chat, on the pay page or at the counter
// ---------------------------------------------------------------------------------------------

export {
  BuyerInvoiceDetails,
  CarrierGiven,
  carrierAggregate,
  carrierDecider,
  carrierStream,
  detailsFromParsed
} from "./BuyerCarrier.js"

/**
 * Records a buyer's invoice details (from the chat's 載具 message, the pay page or the counter),
 * used for their invoices requested from now on. The format is checked here (手機條碼 `/` + 7 of
 * `0-9A-Z.+-`, 捐贈碼 3–7 digits, 統編 8 digits); whether the code exists is the vendor's check
 * ({@link checkDetails}). Idempotent.
 */
export const giveCarrier = (input: {
  readonly buyerId: string
  readonly details: unknown
  readonly at?: string | undefined
}): Effect.Effect<BuyerInvoiceDetails, Invoicing.InvoicingError | StorageError, Storage> =>
  Effect.gen(function* () {
    const details = yield* Effect.mapError(
      Schema.decodeUnknownEffect(DetailsSchema)(input.details),
      () =>
        new Invoicing.InvoicingError({
          reason: "invalid-input",
          message: "the carrier is not valid (手機條碼 is / and 7 of 0-9 A-Z . + -; 捐贈碼 3 to 7 digits)"
        })
    )
    if (details.carrier._tag === "Donation" && details.taxId !== undefined)
      return yield* Effect.fail(
        new Invoicing.InvoicingError({
          reason: "invalid-input",
          message: "a donated invoice cannot carry a company tax id"
        })
      )
    const storage = yield* Storage
    const at = input.at ?? (yield* nowIso)
    yield* CommandHandler.handle(storage, carrierAggregate, {
      stream: carrierStream(input.buyerId),
      at,
      command: { buyerId: input.buyerId, details, at }
    })
    return details
  })

/** The buyer's invoice details, if they gave any. */
export const carrierOf = (buyerId: string): Effect.Effect<BuyerInvoiceDetails | undefined, StorageError, Storage> =>
  Effect.flatMap(Storage, (storage) =>
    Effect.map(CommandHandler.load(storage, carrierAggregate, carrierStream(buyerId)), (l) => l.state)
  )

/**
 * Asks the vendor whether the carrier exists (a mobile barcode or a love code; the others need
 * no check): `true`, `false`, or `true` when the vendor cannot answer (advisory: never gate
 * issuing on it).
 */
export const checkDetails = (details: BuyerInvoiceDetails): Effect.Effect<boolean, never, Invoicing.Invoicing> =>
  Effect.flatMap(Invoicing.Invoicing, (invoicing) =>
    (details.carrier._tag === "Mobile"
      ? invoicing.checkMobileBarcode(details.carrier.barcode)
      : details.carrier._tag === "Donation"
        ? invoicing.checkLoveCode(details.carrier.loveCode)
        : Effect.succeed(true)
    ).pipe(Effect.orElseSucceed(() => true))
  )

// ---------------------------------------------------------------------------------------------
// The wired path: paid → requested → issued; refunded → void or allowance
// ---------------------------------------------------------------------------------------------

const rounds = CommandHandler.aggregate(Round.decider, (data) => decodeRoundEvent(data))
const decodeRoundEvent = Schema.decodeUnknownSync(Round.Event)

/** The recipient of a buyer's invoice from their details and the round's settings, or why there is none. */
export const recipientFor = (
  details: BuyerInvoiceDetails | undefined,
  buyerName: string | undefined,
  noticeEmail: string | undefined
): Recipient | string => {
  if (details === undefined) return "the buyer has given no carrier (載具): issue it on demand with one"
  const email = details.email ?? (details.phone === undefined ? noticeEmail : undefined)
  if (email === undefined && details.phone === undefined)
    return "no e-mail or phone for the invoice notice: set the round's invoice.noticeEmail"
  return {
    carrier: details.carrier,
    buyer: {
      ...(buyerName === undefined ? {} : { name: buyerName }),
      ...(email === undefined ? {} : { email }),
      ...(details.phone === undefined ? {} : { phone: details.phone }),
      ...(details.taxId === undefined ? {} : { taxId: details.taxId })
    }
  }
}

/** The names of a round's SKUs as the catalogue labels them (`毛襪 紅`), for invoice lines. */
export const productNamesOf = (state: Round.State): Record<string, string> => {
  const names: Record<string, string> = {}
  for (const s of state.catalogue?.skus ?? []) names[s.sku] = s.label
  return names
}

/**
 * The job that requests an order's invoice once it is paid in full, in a round with
 * `invoice.issue: "on-paid"` (GroupBuy schedules it in the payment's commit). For the caller that
 * takes payments in its own unit of work.
 */
export const paidJob: (orderId: string, at: string) => ScheduledJob = jobs.paidJob

/**
 * The job that voids an order's invoice or makes an allowance when money goes back: one per
 * refund id (a whole-order refund, or a partial refund or return with its own id: schedule it in
 * the refund's commit), `amount` what went back. It does nothing for an order without an
 * invoice; it waits for an invoice still being issued.
 */
export const refundJob: (input: jobs.RefundJobInput) => ScheduledJob = jobs.refundJob

/**
 * Requests an order's invoice for its buyer: with `details` (given at the counter or by the
 * organiser: recorded as the buyer's from now on) or the details the buyer gave before, the
 * round's product names and notice e-mail. Fails with `InvoicingError` `invalid-input` when the
 * buyer gave no carrier or no contact, `InvoiceError` `order-not-paid`. Idempotent.
 */
export const requestForBuyer = (input: {
  readonly orderId: string
  readonly details?: unknown
}): Effect.Effect<State, InvoiceError | Invoicing.InvoicingError | StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const order = yield* storage.order(input.orderId)
    if (order === undefined)
      return yield* Effect.fail(new InvoiceError({ reason: "order-not-paid", message: "no such order" }))
    const details =
      input.details === undefined
        ? yield* carrierOf(order.buyerId)
        : yield* giveCarrier({ buyerId: order.buyerId, details: input.details })
    const round = yield* CommandHandler.load(storage, rounds, roundStream(order.roundId))
    const recipient = recipientFor(details, order.buyer.name, round.state.spec?.invoice?.noticeEmail)
    if (typeof recipient === "string")
      return yield* Effect.fail(new Invoicing.InvoicingError({ reason: "invalid-input", message: recipient }))
    return yield* request({ orderId: order.orderId, recipient, productNames: productNamesOf(round.state) })
  })

/**
 * The `invoice.request` job: {@link requestForBuyer} with the details the buyer gave (rejected
 * for good, visible to the organiser, when they gave none: issue it on demand). Nothing when the
 * order has an invoice already or is no longer paid.
 */
export const requestJob = (job: ClaimedJob): Effect.Effect<void, JobRejected | StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { orderId } = yield* Effect.mapError(
      Schema.decodeUnknownEffect(Payload)(job.payload),
      () => new JobRejected({ message: "invoice.request: the payload has no orderId" })
    )
    const { version } = yield* storage.readStream(invoiceStream(orderId))
    if (version > 0) return
    const requested = yield* Effect.result(requestForBuyer({ orderId }))
    if (requested._tag === "Success") return
    const failure = requested.failure
    if (failure._tag === "StorageError") return yield* Effect.fail(failure)
    // not paid any more (refunded before the job ran): nothing to issue
    if (failure._tag === "InvoiceError" && failure.reason === "order-not-paid") return
    return yield* Effect.fail(new JobRejected({ message: failure.message }))
  })

/** An order's invoice as the organiser sees it. */
export interface Summary {
  readonly orderId: string
  readonly status: State["status"]
  readonly invoiceNo?: string | undefined
  readonly invoiceDate?: string | undefined
  readonly randomNumber?: string | undefined
  readonly amount?: number | undefined
  /** Total of the allowances made. */
  readonly allowed: number
  readonly carrier?: Invoicing.Carrier | undefined
  readonly failures: number
  /** The last failed attempt (when the invoice is not issued yet). */
  readonly lastFailure?:
    | { readonly reason: string; readonly code?: string | undefined; readonly message: string; readonly at: string }
    | undefined
}

/** An order's invoice: its number once issued, the failures while it is not. */
export const summary = (orderId: string): Effect.Effect<Summary, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { state } = yield* CommandHandler.load(storage, aggregate, invoiceStream(orderId))
    let lastFailure: Summary["lastFailure"]
    if (state.status === "requested" && state.failures > 0) {
      const { events } = yield* storage.readStream(invoiceStream(orderId))
      const failed = events
        .map((e) => decodeEvent(e.data))
        .filter((e) => e._tag === "InvoiceFailed")
        .at(-1)
      if (failed !== undefined)
        lastFailure = {
          reason: failed.reason,
          ...(failed.code === undefined ? {} : { code: failed.code }),
          message: failed.message,
          at: failed.at
        }
    }
    const invoice = state.invoice
    return {
      orderId,
      status: state.status,
      ...(invoice === undefined
        ? {}
        : {
            invoiceNo: invoice.invoiceNo,
            invoiceDate: invoice.invoiceDate,
            randomNumber: invoice.randomNumber,
            amount: invoice.amount
          }),
      allowed: state.allowed,
      ...(state.request === undefined ? {} : { carrier: state.request.carrier }),
      failures: state.failures,
      ...(lastFailure === undefined ? {} : { lastFailure })
    }
  })

const RefundPayload = Schema.Struct({
  orderId: Schema.String,
  refundId: Schema.String,
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  reason: Schema.optional(Schema.String)
})

/** Why the refund job waits: the order's invoice is still being issued. */
export class InvoicePending extends Schema.TaggedError<InvoicePending>()("InvoicePending", {
  message: Schema.String
}) {}

/**
 * The `invoice.refund` job: {@link refund} for one refund id. An order without an invoice (never
 * requested, or voided already by an earlier refund) needs nothing; one still being issued waits
 * (the job retries).
 */
export const refundJobHandler = (
  job: ClaimedJob
): Effect.Effect<
  void,
  InvoicePending | Invoicing.InvoicingError | InvoiceError | JobRejected | StorageError,
  Storage | Invoicing.Invoicing
> =>
  Effect.gen(function* () {
    const input = yield* Effect.mapError(
      Schema.decodeUnknownEffect(RefundPayload)(job.payload),
      () => new JobRejected({ message: "invoice.refund: the payload must be { orderId, refundId, amount }" })
    )
    const state = yield* stateOf(input.orderId)
    if (state.refunds[input.refundId] !== undefined) return
    if (state.status === "none" || state.status === "voided") return
    if (state.status === "requested")
      return yield* Effect.fail(new InvoicePending({ message: "the invoice is still being issued" }))
    const done = yield* Effect.result(
      refund({
        orderId: input.orderId,
        refundId: input.refundId,
        amount: input.amount,
        reason: input.reason ?? "退款"
      })
    )
    if (done._tag === "Success") return
    const failure = done.failure
    if (failure._tag === "InvoiceError")
      return yield* Effect.fail(new JobRejected({ message: `invoice.refund: ${failure.message}` }))
    if (failure._tag === "InvoicingError" && failure.reason === "invalid-input")
      return yield* Effect.fail(new JobRejected({ message: failure.message }))
    return yield* Effect.fail(failure)
  })

/** The job handlers need an `Invoicing` service and none is configured (the job retries, then shows as failed). */
export class NoInvoicing extends Schema.TaggedError<NoInvoicing>()("NoInvoicing", {
  message: Schema.String
}) {}

/**
 * Runs an invoice job handler with the `Invoicing` service when the host provides one; without
 * it the job fails (retried, then failed and visible) rather than vanishing. A refund job on an
 * order without an invoice needs no service and is done.
 */
const withInvoicing =
  <E>(handler: (job: ClaimedJob) => Effect.Effect<void, E, Storage | Invoicing.Invoicing>) =>
  (job: ClaimedJob): Effect.Effect<void, E | NoInvoicing | StorageError, Storage> =>
    Effect.flatMap(
      Effect.serviceOption(Invoicing.Invoicing),
      (service): Effect.Effect<void, E | NoInvoicing | StorageError, Storage> => {
        if (service._tag === "Some") return Effect.provideService(handler(job), Invoicing.Invoicing, service.value)
        return Effect.flatMap(
          job.kind === jobs.REFUND_JOB
            ? Effect.flatMap(
                Effect.orElseSucceed(Schema.decodeUnknownEffect(Payload)(job.payload), () => ({ orderId: "" })),
                (p) => Effect.map(stateOf(p.orderId), (s) => s.status === "none" || s.status === "voided")
              )
            : Effect.succeed(false),
          (nothingToDo) =>
            nothingToDo
              ? Effect.void
              : Effect.fail(
                  new NoInvoicing({
                    message: "no e-invoice service is configured (KAITUAN_INVOICE_ECPAY_MERCHANT_ID)"
                  })
                )
        )
      }
    )

/**
 * The scheduler handlers of this module, by kind: `invoice.issue`, `invoice.request`,
 * `invoice.refund`. They need only `Storage`: the `Invoicing` service is used when the host
 * provides one (in `Scheduler.builtIn`, so every host runs them).
 */
export const handlers = {
  [jobs.ISSUE_JOB]: withInvoicing(issueJob),
  [jobs.REQUEST_JOB]: requestJob,
  [jobs.REFUND_JOB]: withInvoicing(refundJobHandler)
} as const

/** An invoice the organiser should look at: a job that failed for good, or one retrying. */
export interface InvoiceProblem {
  readonly jobId: string
  readonly kind: string
  readonly orderId: string
  readonly status: "failed" | "retrying"
  readonly attempts: number
  readonly lastError?: string | undefined
  /** What the vendor said on the last failed attempt (the invoice's own record). */
  readonly lastFailure?:
    | { readonly reason: string; readonly code?: string | undefined; readonly message: string }
    | undefined
}

/**
 * The invoices that need the organiser: invoice jobs failed for good (a carrier missing, input
 * the rules refused, the vendor down past every retry) and those retrying after a failure.
 */
export const problems = (
  options: { readonly limit?: number | undefined } = {}
): Effect.Effect<ReadonlyArray<InvoiceProblem>, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const out: Array<InvoiceProblem> = []
    for (const kind of JOB_KINDS) {
      const found = yield* storage.jobs({ kind, status: ["failed", "pending"], limit: options.limit ?? 200 })
      for (const job of found) {
        if (job.status === "pending" && job.attempts === 0) continue
        const orderId = (job.payload as { readonly orderId?: unknown } | null)?.orderId
        if (typeof orderId !== "string") continue
        const state = yield* storage.readStream(invoiceStream(orderId))
        const failed = state.events.filter((e) => e.type === "InvoiceFailed").at(-1)?.data as
          | { readonly reason: string; readonly code?: string; readonly message: string }
          | undefined
        out.push({
          jobId: job.id,
          kind: job.kind,
          orderId,
          status: job.status === "failed" ? "failed" : "retrying",
          attempts: job.attempts,
          ...(job.lastError === undefined ? {} : { lastError: job.lastError }),
          ...(failed === undefined
            ? {}
            : {
                lastFailure: {
                  reason: failed.reason,
                  ...(failed.code === undefined ? {} : { code: failed.code }),
                  message: failed.message
                }
              })
        })
      }
    }
    return out
  })
