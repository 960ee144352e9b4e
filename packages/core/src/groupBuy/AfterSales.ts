/**
 * After-sales use cases: refunds (full or partial) and returns, each with its events, its read
 * model (`refunds-due`) and its buyer message. Every change that touches several streams runs
 * through `CommandHandler.handleMany`, so the order, its payments and the shipment change in one
 * commit or not at all.
 *
 * - {@link refund}: the organiser gave money back (bank transfer, cash, or in the gateway's own
 *   back office: NewebPay's and ECPay's published APIs that kaituan implements have no refund
 *   call). All that is left of what the order received is a full refund (`OrderRefunded`: the
 *   order is refunded); less is a partial refund (`OrderPartlyRefunded`: the order keeps its
 *   status). Never more than was received. The order's payments record the money going back
 *   (`PaymentRefunded`, newest payment first). The buyer is told (`order-refunded`,
 *   `order-partly-refunded`).
 * - {@link returnShipment}: a shipment, or some of its lines, came back (`ShipmentReturned` with
 *   its lines): the order's lines are returned (`OrderLinesReturned`) and their value is due
 *   back (the `refunds-due` list), with the reason code kept; the buyer is told (`order-returned`).
 * - A paid order cancelled after the close (`GroupBuy.cancelOrder`, nothing shipped yet) is
 *   cancelled with what it received due back (`OrderCancelled.refundDue`): it joins the list too.
 * - {@link refundsDue}: the orders that owe their buyer money back, per round.
 *
 * Reason codes are a closed set (`Order.RefundReason`): the return-rate KPI counts them.
 *
 * @since 0.5.0
 */
import { Clock, Effect, Result, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import { GroupBuyError } from "../GroupBuy.js"
import * as inputs from "../internal/inputs.js"
import { refundJob as invoiceRefundJob } from "../internal/invoiceJobs.js"
import { refundPayments } from "../internal/refundPayments.js"
import type { OutboundMessage } from "../Notification.js"
import * as Order from "../Order.js"
import * as Payment from "../Payment.js"
import * as ReadModels from "../ReadModels.js"
import type { OrderView } from "../ReadModel.js"
import * as RefundsDue from "../readModels/RefundsDue.js"
import * as Round from "../Round.js"
import * as Shipment from "../Shipment.js"
import { orderStream, roundStream, Storage, type StorageError, shipmentStream } from "../Storage.js"
import { Id, Iso, ShipLine } from "./Inputs.js"
import { buyerRecipient, labelLines } from "./Messages.js"
import { orderView } from "./Views.js"

/** The input of {@link refund}. */
export const RefundInput = Schema.Struct({
  orderId: Id,
  /** NT$ given back; default: all that is left of what the order received (a full refund). */
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** What the money is for (a partial refund of some items), when the organiser says. */
  lines: Schema.optional(Schema.Array(ShipLine)),
  method: Order.RefundMethod,
  reasonCode: Order.RefundReason,
  /** The organiser's words to the buyer (default: the reason code's text). */
  reason: Schema.optional(inputs.ShortText(500)),
  /**
   * The caller's id of this refund: the same id again is one refund (a retried request records
   * it once). Without it each call is a new refund.
   */
  refundId: Schema.optional(Id),
  at: Schema.optional(Iso)
})
/** The input of {@link refund}. */
export type RefundInput = typeof RefundInput.Type

/** The input of {@link returnShipment}. */
export const ReturnInput = Schema.Struct({
  shipmentId: Id,
  /** The lines that came back (default: the whole shipment). */
  lines: Schema.optional(Schema.Array(ShipLine)),
  reasonCode: Order.RefundReason,
  reason: Schema.optional(inputs.ShortText(500)),
  at: Schema.optional(Iso)
})
/** The input of {@link returnShipment}. */
export type ReturnInput = typeof ReturnInput.Type

/** The input of {@link refundsDue}: one round's list (or every round's), in order id order, paged. */
export const RefundsDueInput = Schema.Struct({
  roundId: Schema.optional(Id),
  after: Schema.optional(Id),
  limit: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 500 })))
})
/** The input of {@link refundsDue}. */
export type RefundsDueInput = typeof RefundsDueInput.Type

/** What {@link refund} did. */
export interface RefundOutcome {
  readonly orderId: string
  /** `refunded`: all the money went back; `partly-refunded`: some; `duplicate`: this `refundId` was recorded before. */
  readonly status: "refunded" | "partly-refunded" | "duplicate"
  /** NT$ given back by this call (0 for a duplicate). */
  readonly amount: number
  /** The order now. */
  readonly order: OrderView
}

/** What {@link returnShipment} did. */
export interface ReturnOutcome {
  readonly shipmentId: string
  readonly orderId: string
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  /** NT$ now due back to the buyer for them. */
  readonly refundDue: number
  readonly order: OrderView
}

const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const shipments = CommandHandler.aggregate(Shipment.decider, Schema.decodeUnknownSync(Shipment.Event))
const rounds = CommandHandler.aggregate(Round.decider, Schema.decodeUnknownSync(Round.Event))

const nowIso = Clock.currentTimeMillis.pipe(Effect.map((ms) => new Date(ms).toISOString()))

const decoder = <A, I>(schema: Schema.Codec<A, I, never, never>) => {
  const run = Schema.decodeUnknownResult(schema, { errors: "all", onExcessProperty: "ignore" })
  return (input: unknown): Effect.Effect<A, GroupBuyError> => {
    const r = run(input)
    if (Result.isSuccess(r)) return Effect.succeed(r.success)
    const problems = inputs.problemsOf("", r.failure.issue)
    return Effect.fail(
      new GroupBuyError({
        reason: "invalid-input",
        message: problems.slice(0, 3).map(inputs.describe).join("; ") || "invalid input",
        field: problems[0]?.path
      })
    )
  }
}
const decodeRefund = decoder(RefundInput)
const decodeReturn = decoder(ReturnInput)
const decodeRefundsDue = decoder(RefundsDueInput)

/** A decider's refusal as `rejected`; the rest passes through. */
const rejected = <E>(
  e: E
): Exclude<E, Order.OrderError | Shipment.ShipmentError | Payment.PaymentError> | GroupBuyError =>
  e instanceof Order.OrderError || e instanceof Shipment.ShipmentError || e instanceof Payment.PaymentError
    ? new GroupBuyError({ reason: "rejected", message: e.message, cause: e })
    : (e as Exclude<E, Order.OrderError | Shipment.ShipmentError | Payment.PaymentError>)

const unknownOrder = (orderId: string) =>
  new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${orderId}"` })

/** The round's catalogue, for the buyer's message (item names, not SKUs); undefined when it cannot be read. */
const catalogueOf = (roundId: string) =>
  Effect.flatMap(Storage, (storage) => CommandHandler.load(storage, rounds, roundStream(roundId))).pipe(
    Effect.map((l) => l.state.catalogue),
    Effect.orElseSucceed(() => undefined)
  )

/**
 * Records money given back to an order's buyer (see the module documentation). Fails with
 * `unknown-order` (no confirmed order), `rejected` (nothing received, more than is left, a line
 * not in the order) or `invalid-input`.
 */
export const refund = (input: unknown): Effect.Effect<RefundOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const c = yield* decodeRefund(input)
    const storage = yield* Storage
    const at = c.at ?? (yield* nowIso)
    const stream = orderStream(c.orderId)
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      idempotencyKey: c.refundId === undefined ? undefined : `refund:${c.orderId}:${c.refundId}`,
      process: (unit) =>
        Effect.gen(function* () {
          const before = yield* unit.load(orders, stream)
          if (before.version === 0) return yield* Effect.fail(unknownOrder(c.orderId))
          const decision = yield* unit.decide(orders, stream, {
            _tag: "Refund",
            amount: c.amount,
            lines: c.lines,
            reasonCode: c.reasonCode,
            reason: c.reason,
            method: c.method,
            at
          })
          const event = decision.events[0]!
          const amount = event._tag === "OrderRefunded" || event._tag === "OrderPartlyRefunded" ? event.amount : 0
          // The payments record the money going back, newest first, each up to what it has left.
          yield* refundPayments(unit, {
            orderId: c.orderId,
            paymentIds: before.state.payments,
            amount,
            method: c.method,
            at
          })
          const after = decision.state
          unit.view({ _tag: "UpsertOrder", order: orderView(after, at) })
          const full = event._tag === "OrderRefunded"
          const catalogue = c.lines === undefined ? undefined : yield* catalogueOf(after.roundId)
          unit.send({
            id: full ? `order:${c.orderId}:refunded` : `order:${c.orderId}:refund:${decision.version}`,
            kind: full ? "order-refunded" : "order-partly-refunded",
            to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
            data: {
              orderId: c.orderId,
              amount,
              reason: c.reason ?? c.reasonCode,
              reasonCode: c.reasonCode,
              method: c.method,
              ...(c.lines === undefined ? {} : { lines: labelLines(catalogue, c.lines) })
            },
            createdAt: at
          } satisfies OutboundMessage)
          // Its e-invoice (if any) is voided or gets an allowance (折讓) for this refund, by a job in
          // this commit: once per refund (the refund id, else the order's version after it).
          if (amount > 0)
            unit.schedule(
              invoiceRefundJob({
                orderId: c.orderId,
                refundId: c.refundId ?? `v${decision.version}`,
                amount,
                reason: c.reason ?? c.reasonCode,
                at
              })
            )
          return { status: full ? ("refunded" as const) : ("partly-refunded" as const), amount }
        })
    }).pipe(Effect.mapError(rejected))
    const order = yield* storage.order(c.orderId)
    if (order === undefined) return yield* Effect.fail(unknownOrder(c.orderId))
    const done: RefundOutcome =
      outcome._tag === "Duplicate"
        ? { orderId: c.orderId, status: "duplicate", amount: 0, order }
        : { orderId: c.orderId, status: outcome.value.status, amount: outcome.value.amount, order }
    return done
  }).pipe(Effect.withSpan("AfterSales.refund", { attributes: {} }, { captureStackTrace: false }))

/**
 * Records a shipment (or some of its lines) that came back: the shipment is returned, the order's
 * lines are returned and their value is due back (see the module documentation). A shipment comes
 * back once. Fails with `unknown-shipment`, `rejected` (not shipped, more than it held, returned
 * already) or `invalid-input`.
 */
export const returnShipment = (input: unknown): Effect.Effect<ReturnOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const c = yield* decodeReturn(input)
    const storage = yield* Storage
    const at = c.at ?? (yield* nowIso)
    const stream = shipmentStream(c.shipmentId)
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          const shipment = yield* unit.load(shipments, stream)
          if (shipment.version === 0)
            return yield* Effect.fail(
              new GroupBuyError({ reason: "unknown-shipment", message: `no shipment "${c.shipmentId}"` })
            )
          const lines = c.lines ?? shipment.state.lines
          yield* unit.decide(shipments, stream, {
            _tag: "Return",
            reason: c.reason ?? c.reasonCode,
            lines: c.lines,
            at
          })
          const orderId = shipment.state.orderId
          const decision = yield* unit.decide(
            orders,
            orderStream(orderId),
            {
              _tag: "ReturnLines",
              shipmentId: c.shipmentId,
              lines,
              reasonCode: c.reasonCode,
              reason: c.reason,
              at
            },
            { missing: () => unknownOrder(orderId) }
          )
          const event = decision.events[0]
          const refundDue = event?._tag === "OrderLinesReturned" ? event.amount : 0
          const after = decision.state
          unit.view({ _tag: "UpsertOrder", order: orderView(after, at) })
          const catalogue = yield* catalogueOf(after.roundId)
          unit.send({
            id: `shipment:${c.shipmentId}:returned`,
            kind: "order-returned",
            to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
            data: {
              orderId,
              shipmentId: c.shipmentId,
              lines: labelLines(catalogue, lines),
              amount: refundDue,
              reason: c.reason ?? c.reasonCode,
              reasonCode: c.reasonCode
            },
            createdAt: at
          } satisfies OutboundMessage)
          return { orderId, lines, refundDue }
        })
    }).pipe(Effect.mapError(rejected))
    if (outcome._tag === "Duplicate")
      return yield* Effect.fail(new GroupBuyError({ reason: "conflict", message: "the return was not recorded" }))
    const { orderId, lines, refundDue } = outcome.value
    const order = yield* storage.order(orderId)
    if (order === undefined) return yield* Effect.fail(unknownOrder(orderId))
    return { shipmentId: c.shipmentId, orderId, lines, refundDue, order }
  }).pipe(Effect.withSpan("AfterSales.returnShipment", { attributes: {} }, { captureStackTrace: false }))

/** The orders that owe their buyer money back (the `refunds-due` read model), in order id order. */
export const refundsDue = (
  input: unknown = {}
): Effect.Effect<ReadonlyArray<RefundsDue.Document>, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const q = yield* decodeRefundsDue(input)
    const rows = yield* ReadModels.list(RefundsDue.definition, {
      ...(q.roundId === undefined ? {} : { key: { k: "k1" as const, value: q.roundId } }),
      after: q.after,
      limit: q.limit ?? 100
    })
    return rows.map((r) => r.doc)
  })
