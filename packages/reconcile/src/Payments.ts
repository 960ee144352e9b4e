/**
 * The payments application service: bank statements and gateway callbacks applied to a round's
 * orders awaiting payment, through core's `GroupBuy.recordPayment`, so every host (the CLI, the
 * non-Effect SDK, an embedder's server) composes the same rules instead of re-writing them.
 *
 * - {@link PaymentsService.importStatement} reads a statement ({@link Statement.parse}), decides on
 *   every row with the {@link Matcher} (the buyers' reported last five digits and learned accounts
 *   are evidence) and records each `matched` row as a payment. Transaction ids are the
 *   idempotency keys: importing the same statement again changes nothing (the rows are `ignored`,
 *   `already-applied`). Every decision is kept, with its explanation and candidates, as an event
 *   on the round's `decisions:<roundId>` stream under a stable `decisionId`
 *   (`<transactionId>@<roundId>`): {@link PaymentsService.decisions} lists them, and the organiser
 *   settles a `review` or `unmatched` one with {@link PaymentsService.approveDecision} (its money
 *   applied to an order) or {@link PaymentsService.rejectDecision}. A later import decides an open
 *   row again and keeps the new decision only when it differs (new evidence); a rejected row is
 *   not decided again.
 * - {@link PaymentsService.applyGatewayPayment} decides on one gateway notification by the same
 *   rules (the merchant order number naming the order is identity evidence). A `matched` payment
 *   is applied; `review` and `unmatched` ones are recorded with no orders (received, never
 *   dropped); a pending, failed or simulated payment is no money and records nothing. Its
 *   transaction id is `gateway:tradeNo:status`, so a redelivered callback changes nothing.
 *
 * Inputs are decoded with Schema: bad input fails with {@link PaymentsInputError} naming the field.
 *
 * @since 0.2.0
 */
import { GroupBuy, PaymentGateway, Storage } from "@kaituan/core"
import { Clock, Context, Effect, Layer, Result, Schema, SchemaIssue } from "effect"
import * as Gateway from "./Gateway.js"
import * as Matcher from "./Matcher.js"
import * as Statement from "./Statement.js"
import type { Transaction } from "./Transaction.js"
import { tracePayments } from "./internal/tracedPayments.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const Id = Schema.String.check(Schema.isMinLength(1, { message: "expected a non-empty string" }))

/**
 * The input of {@link PaymentsService.importStatement}: the round and the statement, as bytes
 * (`file`: CSV in any common encoding, or `.xlsx`) or as text (`text`: CSV), exactly one of them.
 */
export const StatementImportInput = Schema.Struct({
  roundId: Id,
  file: Schema.optional(Schema.Uint8Array),
  text: Schema.optional(Schema.String),
  /** The layout; `auto` (default) detects it. */
  format: Schema.optional(Schema.Literals(["auto", "cathay", "ctbc", "post", "generic"])),
  /** The text encoding of CSV bytes; `auto` (default) detects UTF-8, UTF-16 and Big5. */
  encoding: Schema.optional(Schema.Literals(["auto", "utf-8", "big5"]))
})
/** The input of {@link PaymentsService.importStatement}. */
export type StatementImportInput = typeof StatementImportInput.Type

/** The input of {@link PaymentsService.applyGatewayPayment}: a verified, decoded gateway notification. */
export const GatewayPaymentInput = Schema.Struct({
  /** The round whose orders the payment is matched against; without one it is recorded unmatched. */
  roundId: Schema.optional(Id),
  payment: PaymentGateway.GatewayPayment
})
/** The input of {@link PaymentsService.applyGatewayPayment}. */
export type GatewayPaymentInput = typeof GatewayPaymentInput.Type

/** Bad input: `field` names what is wrong (`statement.format`, `payment.amount`…); no values are echoed. */
export class PaymentsInputError extends Schema.TaggedError<PaymentsInputError>()("PaymentsInputError", {
  field: Schema.String,
  message: Schema.String
}) {}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (root: string, path: ReadonlyArray<unknown>): string =>
  [root, ...path.map((p) => String(typeof p === "object" && p !== null && "key" in p ? p.key : p))].join(".")

const decode =
  <S extends Schema.Codec<unknown, unknown, never, never>>(schema: S, root: string) =>
  (input: unknown): Effect.Effect<S["Type"], PaymentsInputError> => {
    const result = Schema.decodeUnknownResult(schema)(input, { errors: "all", onExcessProperty: "ignore" })
    if (Result.isSuccess(result)) return Effect.succeed(result.success)
    const issues = formatter(result.failure.issue).issues
    const first = issues[0]
    const field = first === undefined ? root : pathOf(root, first.path ?? [])
    const parts = issues.slice(0, 5).map((i) => `${pathOf(root, i.path ?? [])}: ${i.message}`)
    return Effect.fail(new PaymentsInputError({ field, message: `invalid input: ${parts.join("; ")}` }))
  }

// ---------------------------------------------------------------------------------------------
// Payment decisions, kept
// ---------------------------------------------------------------------------------------------

/** The stream of a round's payment decisions. */
export const decisionStream = (roundId: string): string => `decisions:${roundId}`

/**
 * A decision's id: its transaction in its round (`<transactionId>@<roundId>`). Stable: importing
 * the statement again decides the same transaction under the same id.
 */
export const decisionIdOf = (roundId: string, transactionId: string): string => `${transactionId}@${roundId}`

/** The round and transaction of a decision id, or undefined when it is not one. */
const parseDecisionId = (
  decisionId: string
): { readonly roundId: string; readonly transactionId: string } | undefined => {
  const at = decisionId.indexOf("@")
  return at <= 0 || at === decisionId.length - 1
    ? undefined
    : { transactionId: decisionId.slice(0, at), roundId: decisionId.slice(at + 1) }
}

/** One candidate of a decision: a buyer's order(s) the money may pay (see `Matcher.Candidate`). */
export const DecisionCandidate = Schema.Struct({
  buyerId: Schema.String,
  buyerName: Schema.optional(Schema.String),
  orderIds: Schema.Array(Schema.String),
  open: Schema.Int,
  fit: Schema.Literals(["exact", "short", "over", "paid"]),
  identified: Schema.Boolean
})
/** One candidate of a decision. */
export type DecisionCandidate = typeof DecisionCandidate.Type

/** The matcher's status of a decision. */
export const DecidedStatus = Schema.Literals(["matched", "review", "unmatched", "ignored"])
/** The matcher's status of a decision. */
export type DecidedStatus = typeof DecidedStatus.Type

/**
 * The matcher decided on a statement row (the event keeps what the organiser needs to settle it:
 * the amount, the explanation, the candidates). A later import decides an open (`review`,
 * `unmatched`) row again and records a new decision only when it differs.
 */
export const PaymentDecided = Schema.TaggedStruct("PaymentDecided", {
  decisionId: Schema.String,
  roundId: Schema.String,
  transactionId: Schema.String,
  row: Schema.optional(Schema.Int),
  /** When the money moved (ISO 8601). */
  at: Schema.String,
  amount: Schema.Int,
  bankCode: Schema.optional(Schema.String),
  last5: Schema.optional(Schema.String),
  status: DecidedStatus,
  reason: Schema.String,
  detail: Schema.optional(Schema.Literals(["partial", "overpaid"])),
  orderIds: Schema.Array(Schema.String),
  buyerId: Schema.optional(Schema.String),
  candidates: Schema.Array(DecisionCandidate),
  candidateCount: Schema.Int,
  explanation: Schema.String,
  decidedAt: Schema.String
})
/** The organiser applied a decision's money to orders (recorded as the transaction's payment). */
export const PaymentDecisionApproved = Schema.TaggedStruct("PaymentDecisionApproved", {
  decisionId: Schema.String,
  orderIds: Schema.Array(Schema.String),
  paymentId: Schema.String,
  at: Schema.String
})
/** The organiser decided the money is not for this round's orders. */
export const PaymentDecisionRejected = Schema.TaggedStruct("PaymentDecisionRejected", {
  decisionId: Schema.String,
  at: Schema.String
})
/** Every event of a decisions stream. */
export const DecisionEvent = Schema.Union([PaymentDecided, PaymentDecisionApproved, PaymentDecisionRejected])
/** Every event of a decisions stream. */
export type DecisionEvent = typeof DecisionEvent.Type

/**
 * Where a decision is: the matcher's `matched` (applied), `review`, `unmatched` or `ignored`, or
 * the organiser's `approved` (the money applied to an order) or `rejected`.
 */
export const DecisionStatus = Schema.Literals(["matched", "review", "unmatched", "ignored", "approved", "rejected"])
/** Where a decision is. */
export type DecisionStatus = typeof DecisionStatus.Type

/** A kept payment decision, as {@link PaymentsService.decisions} lists it. */
export interface PaymentDecision {
  readonly decisionId: string
  readonly roundId: string
  readonly transactionId: string
  /** The statement line (CSV) or row (xlsx). */
  readonly row?: number | undefined
  /** When the money moved. */
  readonly at: string
  /** Integer TWD (negative: money out). */
  readonly amount: number
  readonly bankCode?: string | undefined
  readonly last5?: string | undefined
  readonly status: DecisionStatus
  /** What the matcher decided (`status` is the organiser's once settled). */
  readonly decided: DecidedStatus
  /** The matcher's reason (`exact-amount-and-identity`, `ambiguous-buyers`…). */
  readonly reason: string
  readonly detail?: "partial" | "overpaid" | undefined
  /** `matched`: the orders paid; `approved`: the orders the organiser chose; `review`: the candidates' orders. */
  readonly orderIds: ReadonlyArray<string>
  readonly buyerId?: string | undefined
  readonly candidates: ReadonlyArray<DecisionCandidate>
  readonly candidateCount: number
  /** The decision in one sentence. */
  readonly explanation: string
  /** When it was (last) decided. */
  readonly decidedAt: string
  /** When the organiser approved or rejected it. */
  readonly settledAt?: string | undefined
  /** For `matched` and `approved`: the recorded payment. */
  readonly paymentId?: string | undefined
}

/** A payment decision could not be settled: `reason` says why, the message in the organiser's words. */
export class PaymentDecisionError extends Schema.TaggedError<PaymentDecisionError>()("PaymentDecisionError", {
  reason: Schema.Literals(["unknown-decision", "settled", "not-open", "needs-order", "other-round"]),
  message: Schema.String
}) {}

/** The input of {@link PaymentsService.decisions}. */
export const DecisionsQuery = Schema.Struct({ roundId: Id, status: Schema.optional(Schema.Array(DecisionStatus)) })
/** The input of {@link PaymentsService.decisions}. */
export type DecisionsQuery = typeof DecisionsQuery.Type

/**
 * The input of {@link PaymentsService.approveDecision}: `orderId` is the order the money pays
 * (any confirmed order of the round); without it, the decision's only candidate.
 */
export const ApproveDecisionInput = Schema.Struct({ decisionId: Id, orderId: Schema.optional(Id) })
/** The input of {@link PaymentsService.approveDecision}. */
export type ApproveDecisionInput = typeof ApproveDecisionInput.Type

/** The input of {@link PaymentsService.rejectDecision}. */
export const RejectDecisionInput = Schema.Struct({ decisionId: Id })
/** The input of {@link PaymentsService.rejectDecision}. */
export type RejectDecisionInput = typeof RejectDecisionInput.Type

const decodeDecisionEvent = Schema.decodeUnknownSync(DecisionEvent)

const isOpen = (d: PaymentDecision): boolean => d.status === "review" || d.status === "unmatched"

/** The decisions of a stream, by id, in the order they were first decided. */
export const foldDecisions = (events: Iterable<DecisionEvent>): Map<string, PaymentDecision> => {
  const out = new Map<string, PaymentDecision>()
  for (const e of events) {
    switch (e._tag) {
      case "PaymentDecided": {
        const { _tag, ...rest } = e
        out.set(e.decisionId, {
          ...rest,
          status: e.status,
          decided: e.status,
          ...(e.status === "matched" ? { paymentId: paymentIdOf("statement", e.transactionId) } : {})
        })
        break
      }
      case "PaymentDecisionApproved": {
        const d = out.get(e.decisionId)
        if (d !== undefined)
          out.set(e.decisionId, {
            ...d,
            status: "approved",
            orderIds: e.orderIds,
            paymentId: e.paymentId,
            settledAt: e.at
          })
        break
      }
      case "PaymentDecisionRejected": {
        const d = out.get(e.decisionId)
        if (d !== undefined) out.set(e.decisionId, { ...d, status: "rejected", settledAt: e.at })
        break
      }
    }
  }
  return out
}

/** Whether a new decision says something else than a kept one (the explanation's words aside). */
const differs = (kept: PaymentDecision, d: Matcher.Decision): boolean =>
  kept.decided !== d.status ||
  kept.reason !== d.reason ||
  kept.orderIds.join(",") !== d.orderIds.join(",") ||
  kept.candidates.map((c) => c.orderIds.join("+")).join(",") !== d.candidates.map((c) => c.orderIds.join("+")).join(",")

/** The event of a matcher decision. */
const decidedEvent = (roundId: string, d: Matcher.Decision, decidedAt: string): typeof PaymentDecided.Type => ({
  _tag: "PaymentDecided",
  decisionId: decisionIdOf(roundId, d.transactionId),
  roundId,
  transactionId: d.transactionId,
  ...(d.row === undefined ? {} : { row: d.row }),
  at: d.at,
  amount: d.amount,
  ...(d.bankCode === undefined ? {} : { bankCode: d.bankCode }),
  ...(d.last5 === undefined ? {} : { last5: d.last5 }),
  status: d.status,
  reason: d.reason,
  ...(d.detail === undefined ? {} : { detail: d.detail }),
  orderIds: d.orderIds,
  ...(d.buyerId === undefined ? {} : { buyerId: d.buyerId }),
  candidates: d.candidates.map((c) => ({
    buyerId: c.buyerId,
    ...(c.buyerName === undefined ? {} : { buyerName: c.buyerName }),
    orderIds: c.orderIds,
    open: c.open,
    fit: c.fit,
    identified: c.identified
  })),
  candidateCount: d.candidateCount,
  explanation: d.explanation,
  decidedAt
})

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/** What {@link PaymentsService.importStatement} did. */
export interface StatementImportResult {
  readonly roundId: string
  /** The layout it was read as. */
  readonly layout: Statement.Layout
  /** How the file was read (`utf-8`, `big5`, `xlsx`, `text`…). */
  readonly encoding: Statement.Statement["encoding"]
  /** Every readable row, in file order. */
  readonly transactions: ReadonlyArray<Transaction>
  /**
   * One decision per row this import decided: `matched` (applied), `review`, `unmatched` or
   * `ignored`, each explained, with its `decisionId` (kept: see {@link PaymentsService.decisions}).
   * A row the organiser rejected is not decided again (it is not listed).
   */
  readonly decisions: ReadonlyArray<Matcher.Decision & { readonly decisionId: string }>
  /** How many payments this import applied to orders (0 when the statement was imported before). */
  readonly applied: number
  /** The amount it applied, in TWD. */
  readonly appliedAmount: number
  /** Rows that could not be read (the rest still import). */
  readonly unreadable: ReadonlyArray<Statement.UnreadableRow>
}

/** What became of a gateway notification, as {@link PaymentsService.applyGatewayPayment} decided. */
export interface GatewayPaymentResult {
  /**
   * `matched` (applied), `review` / `unmatched` (recorded with no orders), `ignored` (no money:
   * pending, failed, simulated) or `duplicate` (this callback was handled before).
   */
  readonly decision: "matched" | "review" | "unmatched" | "ignored" | "duplicate"
  /** The matcher's reason, `simulated` or `gateway-<status>`; absent for `duplicate`. */
  readonly reason?: string | undefined
  /** The matcher's explanation, when it decided. */
  readonly explanation?: string | undefined
  /** The orders the money was applied to (empty unless `matched`). */
  readonly orderIds: ReadonlyArray<string>
  /** Whether the payment was applied to orders (buyers may be told: run the outbox relay). */
  readonly accepted: boolean
  /** The transaction id (`gateway:tradeNo:status`), the idempotency key. */
  readonly transactionId: string
  /** Safe fields for a log line (no personal data): gateway, status, method, decision, reason. */
  readonly fields: Readonly<Record<string, string | boolean>>
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/** What the service fails with besides bad input. */
export type PaymentsFailure = GroupBuy.GroupBuyError | Storage.StorageError

/** The payments application service. */
export interface PaymentsService {
  /** Applies a bank statement to the round's orders awaiting payment; see the module comment. */
  readonly importStatement: (
    input: StatementImportInput
  ) => Effect.Effect<StatementImportResult, PaymentsInputError | Statement.StatementError | PaymentsFailure>
  /** Applies one gateway notification; see the module comment. */
  readonly applyGatewayPayment: (
    input: GatewayPaymentInput
  ) => Effect.Effect<GatewayPaymentResult, PaymentsInputError | Gateway.GatewayTransactionError | PaymentsFailure>
  /** A round's kept payment decisions (optionally only these statuses), in the order they were first decided. */
  readonly decisions: (
    query: DecisionsQuery
  ) => Effect.Effect<ReadonlyArray<PaymentDecision>, PaymentsInputError | PaymentsFailure>
  /**
   * Applies a `review` or `unmatched` decision's money to an order (`orderId`, or the decision's
   * only candidate): the transaction is recorded as its payment (`GroupBuy.recordPayment`), the
   * buyer is told. Approving an approved decision again changes nothing.
   */
  readonly approveDecision: (
    input: ApproveDecisionInput
  ) => Effect.Effect<PaymentDecision, PaymentsInputError | PaymentDecisionError | PaymentsFailure>
  /** Marks a `review` or `unmatched` decision rejected (not this round's money). Idempotent. */
  readonly rejectDecision: (
    input: RejectDecisionInput
  ) => Effect.Effect<PaymentDecision, PaymentsInputError | PaymentDecisionError | PaymentsFailure>
}

/** The payments application service's tag. */
export class Payments extends Context.Service<Payments, PaymentsService>()("@kaituan/reconcile/Payments") {}

/** Options of {@link make}. */
export interface Options {
  /**
   * Maps a gateway's merchant order number back to one of the round's order ids when the host
   * sent the gateway something else than the order id (default: the number is the order id).
   */
  readonly merchantOrderNo?:
    | ((orderIds: ReadonlyArray<string>) => (merchantOrderNo: string) => string | undefined)
    | undefined
}

/** The payment id GroupBuy gives a recorded transaction (its stream tells whether it was recorded). */
const paymentIdOf = (source: "statement" | "gateway", transactionId: string) => `p_${source}_${transactionId}`

type AnyEvent = { readonly _tag: string } & Record<string, unknown>

const withoutPaidAt = (p: PaymentGateway.GatewayPayment): PaymentGateway.GatewayPayment => {
  const { paidAt: _ignored, ...rest } = p
  return rest
}

const decodeStatementInput = decode(StatementImportInput, "statement")
const decodeGatewayInput = decode(GatewayPaymentInput, "input")
const decodeDecisionsQuery = decode(DecisionsQuery, "query")
const decodeApprove = decode(ApproveDecisionInput, "input")
const decodeReject = decode(RejectDecisionInput, "input")

const MAX_RETRIES = 20
/** Runs an effect again (it reads its streams again) after a concurrency conflict. */
const onConflict = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.retry(effect, {
    times: MAX_RETRIES,
    while: (e) => e instanceof Storage.StorageError && e.reason === "conflict"
  })

/** Builds the service over the context's GroupBuy and Storage. */
export const make = (
  options: Options = {}
): Effect.Effect<PaymentsService, never, GroupBuy.GroupBuy | Storage.Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy

    const importStatement: PaymentsService["importStatement"] = (raw) =>
      Effect.gen(function* () {
        const input = yield* decodeStatementInput(raw)
        if ((input.file === undefined) === (input.text === undefined))
          return yield* new PaymentsInputError({
            field: "statement.file",
            message: "invalid input: statement: give exactly one of file (bytes) and text"
          })
        const roundId = input.roundId
        const round = yield* storage.readStream(Storage.roundStream(roundId))
        if (round.version === 0)
          return yield* new GroupBuy.GroupBuyError({ reason: "unknown-round", message: `round ${roundId} not found` })
        const parseOptions: Statement.Options = {
          ...(input.format === undefined ? {} : { format: input.format }),
          ...(input.encoding === undefined ? {} : { encoding: input.encoding })
        }
        const statement =
          input.text !== undefined
            ? yield* Effect.fromResult(Statement.parseText(input.text, parseOptions))
            : yield* Statement.parse(input.file!, parseOptions)

        // The decisions kept from earlier imports: a rejected row is not decided again.
        const stream = decisionStream(roundId)
        const kept = yield* storage.readStream(stream)
        const keptById = foldDecisions(kept.events.map((e) => decodeDecisionEvent(e.data)))
        const rejected = new Set<string>()
        for (const d of keptById.values()) if (d.status === "rejected") rejected.add(d.transactionId)
        const transactions =
          rejected.size === 0 ? statement.transactions : statement.transactions.filter((tx) => !rejected.has(tx.id))

        // Transactions applied before (by an earlier import of this or an overlapping statement).
        const applied = new Set<string>()
        for (const tx of transactions) {
          if (tx.amount <= 0) continue
          const { version } = yield* storage.readStream(Storage.paymentStream(paymentIdOf("statement", tx.id)))
          if (version > 0) applied.add(tx.id)
        }
        const open = (yield* storage.orders({ roundId, status: ["awaiting-payment"] })).filter((o) => o.total > o.paid)
        const learned: Array<Matcher.LearnedAccount> = []
        for (const buyerId of new Set(open.map((o) => o.buyerId))) {
          const buyer = yield* storage.buyer(buyerId)
          for (const a of buyer?.accounts ?? [])
            learned.push({ buyerId, last5: a.last5, ...(a.bankCode === undefined ? {} : { bankCode: a.bankCode }) })
        }
        const reports = round.events.flatMap((stored) => {
          const e = stored.data as AnyEvent
          if (e._tag !== "PaymentReported") return []
          const r = e as unknown as { buyerId: string; at: string; last5?: string; amount?: number }
          return [
            {
              buyerId: r.buyerId,
              at: r.at,
              ...(r.last5 ? { last5: r.last5 } : {}),
              ...(r.amount ? { amount: r.amount } : {})
            }
          ]
        })
        const result = Matcher.match({
          orders: open.map((o) => ({
            orderId: o.orderId,
            buyer: { id: o.buyerId, ...(o.buyer.name === undefined ? {} : { name: o.buyer.name }) },
            amountDue: o.total - o.paid,
            placedAt: o.placedAt
          })),
          transactions,
          learned,
          reports,
          applied
        })
        let count = 0
        let amount = 0
        /** Matched decisions whose order changed under us: kept for review instead (never lost). */
        const couldNotApply = new Map<string, Matcher.Decision>()
        const byTransaction = new Map(result.decisions.map((d) => [d.transactionId, d]))
        for (const a of result.applications) {
          const record = (orderIds: ReadonlyArray<string>, evidence: string) =>
            g.recordPayment({
              transactionId: a.transactionId,
              source: "statement",
              amount: a.amount,
              at: a.at,
              bankCode: a.bankCode,
              last5: a.last5,
              orderIds,
              evidence
            })
          const outcome = yield* record(a.orderIds, a.evidence).pipe(
            // The order changed under us (cancelled, paid meanwhile…): the decision is kept for
            // review (the organiser approves it to another order), the money is never lost.
            Effect.catchIf(
              (e): e is GroupBuy.GroupBuyError => e instanceof GroupBuy.GroupBuyError && e.reason !== "conflict",
              () =>
                Effect.sync(() => {
                  const d = byTransaction.get(a.transactionId)
                  if (d !== undefined)
                    couldNotApply.set(a.transactionId, {
                      ...d,
                      status: "review",
                      allocations: [],
                      explanation: `could not apply to ${a.orderIds.join(", ")} (the order changed): ${d.explanation}`
                    })
                  return undefined
                })
            )
          )
          if (outcome?.status === "matched") {
            count++
            amount += a.amount
          }
        }
        const decisions = result.decisions.map((d) => {
          const final = couldNotApply.get(d.transactionId) ?? d
          return { ...final, decisionId: decisionIdOf(roundId, d.transactionId) }
        })
        // Keep every new decision, and a changed one of a row still open; a re-import of the same
        // statement records nothing.
        const decidedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
        const events: Array<Storage.NewEvent> = []
        for (const d of decisions) {
          const before = keptById.get(d.decisionId)
          if (before !== undefined && !(isOpen(before) && d.reason !== "already-applied" && differs(before, d)))
            continue
          events.push({ type: "PaymentDecided", data: decidedEvent(roundId, d, decidedAt), at: decidedAt })
        }
        if (events.length > 0)
          yield* storage.commit([
            { appends: [{ stream, expectedVersion: kept.version, events }], views: [], outbox: [] }
          ])
        return {
          roundId,
          layout: statement.layout,
          encoding: statement.encoding,
          transactions: statement.transactions,
          decisions,
          applied: count,
          appliedAmount: amount,
          unreadable: statement.unreadable
        } satisfies StatementImportResult
      }).pipe(onConflict)

    const applyGatewayPayment: PaymentsService["applyGatewayPayment"] = (raw) =>
      Effect.gen(function* () {
        const { roundId, payment } = yield* decodeGatewayInput(raw)
        const transactionId = `${payment.gateway}:${payment.tradeNo}:${payment.status}`
        const base = {
          gateway: payment.gateway,
          paymentStatus: payment.status,
          paymentMethod: payment.method,
          simulated: payment.simulated
        }
        const result = (
          decision: GatewayPaymentResult["decision"],
          rest: { reason?: string; explanation?: string; orderIds?: ReadonlyArray<string>; accepted?: boolean } = {}
        ): GatewayPaymentResult => ({
          decision,
          ...(rest.reason === undefined ? {} : { reason: rest.reason }),
          ...(rest.explanation === undefined ? {} : { explanation: rest.explanation }),
          orderIds: rest.orderIds ?? [],
          accepted: rest.accepted ?? false,
          transactionId,
          fields: { ...base, decision, ...(rest.reason === undefined ? {} : { reason: rest.reason }) }
        })
        if (payment.simulated || payment.status !== "paid")
          return result("ignored", { reason: payment.simulated ? "simulated" : `gateway-${payment.status}` })

        if ((yield* storage.readStream(Storage.paymentStream(paymentIdOf("gateway", transactionId)))).version > 0)
          return result("duplicate")

        const receivedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
        const orders = roundId === undefined ? [] : yield* g.orders({ roundId })
        const orderIdOf = options.merchantOrderNo?.(orders.map((o) => o.orderId))
        const convert = (p: PaymentGateway.GatewayPayment) =>
          Gateway.fromGatewayPayment(p, { receivedAt, ...(orderIdOf === undefined ? {} : { orderIdOf }) })
        // A payment time the reconciler cannot read: use when the callback arrived instead.
        const tx = yield* Effect.fromResult(Result.orElse(convert(payment), () => convert(withoutPaidAt(payment))))
        const open = orders.filter((o) => o.status === "awaiting-payment" && o.total > o.paid)
        const matched = Matcher.match({
          orders: open.map((o) => ({
            orderId: o.orderId,
            buyer: { id: o.buyerId, ...(o.buyer.name !== undefined ? { name: o.buyer.name } : {}) },
            amountDue: o.total - o.paid,
            placedAt: o.placedAt
          })),
          transactions: [tx]
        })
        const decision = matched.decisions[0]
        const application = matched.applications[0]
        const record = (orderIds: ReadonlyArray<string>, evidence: string) =>
          g.recordPayment({
            transactionId,
            source: "gateway",
            amount: payment.amount,
            at: tx.at,
            bankCode: tx.bankCode,
            last5: tx.last5,
            orderIds,
            evidence
          })
        if (decision === undefined || decision.status === "ignored")
          return result("ignored", {
            reason: decision?.reason ?? "none",
            ...(decision === undefined ? {} : { explanation: decision.explanation })
          })
        if (decision.status === "matched" && application !== undefined) {
          const outcome = yield* record(application.orderIds, application.evidence).pipe(
            // The order changed under us (paid meanwhile…): keep the money for review rather than lose it.
            Effect.catchIf(
              (e): e is GroupBuy.GroupBuyError => e._tag === "GroupBuyError" && e.reason !== "conflict",
              () => record([], `review: could not apply to ${application.orderIds.join(", ")}: ${decision.explanation}`)
            )
          )
          return result(outcome.status === "matched" ? "matched" : outcome.status, {
            reason: decision.reason,
            explanation: decision.explanation,
            orderIds: outcome.status === "matched" ? application.orderIds : [],
            accepted: true
          })
        }
        const outcome = yield* record([], `${decision.status}: ${decision.explanation}`)
        return result(outcome.status === "duplicate" ? "duplicate" : decision.status, {
          reason: decision.reason,
          explanation: decision.explanation
        })
      })

    /** A decision with its stream's version, or `unknown-decision`. */
    const loadDecision = (decisionId: string) =>
      Effect.gen(function* () {
        const unknown = new PaymentDecisionError({
          reason: "unknown-decision",
          message: `no payment decision ${decisionId}`
        })
        const parsed = parseDecisionId(decisionId)
        if (parsed === undefined) return yield* unknown
        const { version, events } = yield* storage.readStream(decisionStream(parsed.roundId))
        const decision = foldDecisions(events.map((e) => decodeDecisionEvent(e.data))).get(decisionId)
        if (decision === undefined) return yield* unknown
        return { version, decision }
      })

    const settle = (decision: PaymentDecision, version: number, event: Storage.NewEvent) =>
      Effect.as(
        storage.commit([
          {
            appends: [{ stream: decisionStream(decision.roundId), expectedVersion: version, events: [event] }],
            views: [],
            outbox: []
          }
        ]),
        undefined
      )

    const decisions: PaymentsService["decisions"] = (raw) =>
      Effect.gen(function* () {
        const { roundId, status } = yield* decodeDecisionsQuery(raw)
        const round = yield* storage.readStream(Storage.roundStream(roundId), Number.MAX_SAFE_INTEGER)
        if (round.version === 0)
          return yield* new GroupBuy.GroupBuyError({ reason: "unknown-round", message: `round ${roundId} not found` })
        const { events } = yield* storage.readStream(decisionStream(roundId))
        const all = [...foldDecisions(events.map((e) => decodeDecisionEvent(e.data))).values()]
        return status === undefined ? all : all.filter((d) => status.includes(d.status))
      })

    const approveDecision: PaymentsService["approveDecision"] = (raw) =>
      Effect.gen(function* () {
        const { decisionId, orderId } = yield* decodeApprove(raw)
        const { version, decision } = yield* loadDecision(decisionId)
        if (decision.status === "approved") {
          if (orderId === undefined || decision.orderIds.includes(orderId)) return decision
          return yield* new PaymentDecisionError({
            reason: "settled",
            message: `decision ${decisionId} was approved for ${decision.orderIds.join(", ")} already`
          })
        }
        if (decision.status === "rejected")
          return yield* new PaymentDecisionError({ reason: "settled", message: `decision ${decisionId} was rejected` })
        if (!isOpen(decision))
          return yield* new PaymentDecisionError({
            reason: "not-open",
            message: `decision ${decisionId} is ${decision.status}: only review and unmatched decisions are approved`
          })
        let orderIds: ReadonlyArray<string>
        if (orderId !== undefined) {
          const order = yield* storage.order(orderId)
          if (order === undefined)
            return yield* new GroupBuy.GroupBuyError({ reason: "unknown-order", message: `no order "${orderId}"` })
          if (order.roundId !== decision.roundId)
            return yield* new PaymentDecisionError({
              reason: "other-round",
              message: `order ${orderId} is not in round ${decision.roundId}`
            })
          orderIds = [orderId]
        } else if (decision.candidates.length === 1) orderIds = decision.candidates[0]!.orderIds
        else
          return yield* new PaymentDecisionError({
            reason: "needs-order",
            message: `decision ${decisionId} has ${decision.candidates.length} candidates: name the order it pays (orderId)`
          })
        if (decision.amount <= 0)
          return yield* new PaymentDecisionError({
            reason: "not-open",
            message: `decision ${decisionId} is no money in`
          })
        const at = new Date(yield* Clock.currentTimeMillis).toISOString()
        const paymentId = paymentIdOf("statement", decision.transactionId)
        const outcome = yield* g.recordPayment({
          transactionId: decision.transactionId,
          source: "statement",
          amount: decision.amount,
          at: decision.at,
          bankCode: decision.bankCode,
          last5: decision.last5,
          orderIds,
          evidence: `approved by the organiser: ${decision.explanation}`
        })
        // Recorded by an earlier attempt that stopped before its approval was kept: the orders it paid.
        let paid = orderIds
        if (outcome.status === "duplicate") {
          const { events } = yield* storage.readStream(Storage.paymentStream(paymentId))
          const matched = events.map((e) => e.data as AnyEvent).find((e) => e._tag === "PaymentMatched")
          if (matched === undefined)
            return yield* new PaymentDecisionError({
              reason: "settled",
              message: `transaction ${decision.transactionId} was recorded as an unmatched payment already`
            })
          paid = matched.orderIds as ReadonlyArray<string>
        }
        yield* settle(decision, version, {
          type: "PaymentDecisionApproved",
          data: { _tag: "PaymentDecisionApproved", decisionId, orderIds: paid, paymentId, at },
          at
        })
        return { ...decision, status: "approved" as const, orderIds: paid, paymentId, settledAt: at }
      }).pipe(onConflict)

    const rejectDecision: PaymentsService["rejectDecision"] = (raw) =>
      Effect.gen(function* () {
        const { decisionId } = yield* decodeReject(raw)
        const { version, decision } = yield* loadDecision(decisionId)
        if (decision.status === "rejected") return decision
        if (!isOpen(decision))
          return yield* new PaymentDecisionError({
            reason: decision.status === "approved" ? "settled" : "not-open",
            message: `decision ${decisionId} is ${decision.status}: only review and unmatched decisions are rejected`
          })
        const at = new Date(yield* Clock.currentTimeMillis).toISOString()
        yield* settle(decision, version, {
          type: "PaymentDecisionRejected",
          data: { _tag: "PaymentDecisionRejected", decisionId, at },
          at
        })
        return { ...decision, status: "rejected" as const, settledAt: at }
      }).pipe(onConflict)

    return tracePayments(
      Payments.of({ importStatement, applyGatewayPayment, decisions, approveDecision, rejectDecision })
    )
  })

/** The service over the app's GroupBuy and Storage (merchant order numbers are order ids). */
export const layer: Layer.Layer<Payments, never, GroupBuy.GroupBuy | Storage.Storage> = Layer.effect(Payments, make())

/** The service with {@link Options}. */
export const layerWith = (options: Options): Layer.Layer<Payments, never, GroupBuy.GroupBuy | Storage.Storage> =>
  Layer.effect(Payments, make(options))
