/**
 * The payments application service: bank statements and gateway callbacks applied to a round's
 * orders awaiting payment, through core's `GroupBuy.recordPayment`, so every host (the CLI, the
 * non-Effect SDK, an embedder's server) composes the same rules instead of re-writing them.
 *
 * - {@link PaymentsService.importStatement} reads a statement ({@link Statement.parse}), decides on
 *   every row with the {@link Matcher} (the buyers' reported last five digits and learned accounts
 *   are evidence) and records each `matched` row as a payment. Transaction ids are the
 *   idempotency keys: importing the same statement again changes nothing (the rows are `ignored`,
 *   `already-applied`). `review` and `unmatched` rows are returned with their candidates and
 *   explanation but not recorded (the organiser acts on them; the statement is the record).
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
  /** One decision per row: `matched` (applied), `review`, `unmatched` or `ignored`, each explained. */
  readonly decisions: ReadonlyArray<Matcher.Decision>
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

        // Transactions applied before (by an earlier import of this or an overlapping statement).
        const applied = new Set<string>()
        for (const tx of statement.transactions) {
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
          transactions: statement.transactions,
          learned,
          reports,
          applied
        })
        let count = 0
        let amount = 0
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
            // The order changed under us (cancelled, paid meanwhile…): keep the money for review, never lose it.
            Effect.catchIf(
              (e): e is GroupBuy.GroupBuyError => e instanceof GroupBuy.GroupBuyError && e.reason !== "conflict",
              () => record([], `review: could not apply to ${a.orderIds.join(", ")}: ${a.evidence}`)
            )
          )
          if (outcome.status === "matched") {
            count++
            amount += a.amount
          }
        }
        return {
          roundId,
          layout: statement.layout,
          encoding: statement.encoding,
          transactions: statement.transactions,
          decisions: result.decisions,
          applied: count,
          appliedAmount: amount,
          unreadable: statement.unreadable
        } satisfies StatementImportResult
      })

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

    return Payments.of({ importStatement, applyGatewayPayment })
  })

/** The service over the app's GroupBuy and Storage (merchant order numbers are order ids). */
export const layer: Layer.Layer<Payments, never, GroupBuy.GroupBuy | Storage.Storage> = Layer.effect(Payments, make())

/** The service with {@link Options}. */
export const layerWith = (options: Options): Layer.Layer<Payments, never, GroupBuy.GroupBuy | Storage.Storage> =>
  Layer.effect(Payments, make(options))
