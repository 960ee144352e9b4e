/**
 * Payment deadlines (round settings `payment`, `payWithin`, `unpaid`).
 *
 * - Every payment-due message says how to pay: the round's bank account (`payment.bank`) for a
 *   transfer, and the pay link `<PayPageUrl>/pay/<orderId>` when the round offers gateways
 *   (`payment.gateways`) and the host set {@link PayPageUrl} (`kaituan serve`: from
 *   `KAITUAN_PUBLIC_URL`); with `payWithin`, the deadline (`dueAt`).
 * - With `payWithin`, the close schedules two jobs in its own commit: `round.payment-reminder`
 *   ({@link remindUnpaid}, one day before the deadline, or half-way through a window of two days
 *   or less) and `round.payment-deadline` ({@link enforceDeadline}, at close + `payWithin`). The
 *   scheduler runs them (`Scheduler.builtIn`).
 * - At the deadline, per `unpaid` (default `flag`): `cancel` cancels each order that has received
 *   nothing (the Order aggregate's `Cancel`, reason `unpaid`; the buyer is told); an order partly
 *   paid is never cancelled (money came in: a refund is the organiser's call) and is flagged
 *   instead. `flag` flags every unpaid order: an `UnpaidFlagged` event on the round's
 *   `paydeadline:<roundId>` stream, read by {@link flaggedOrders} (the back office lists them),
 *   and a `payment-due` message with `overdue: true` to each buyer.
 *
 * Each step is once across retries, restarts and workers: every message's id names the order and
 * the step (`order:<orderId>:payment-reminder`, `order:<orderId>:cancelled`,
 * `order:<orderId>:payment-overdue`), each commit has an idempotency key naming the round and the
 * deadline, and a cancel is decided on the order's current state (a payment recorded before it
 * wins: the order is no longer unpaid).
 *
 * @since 0.4.0
 */
import { Clock, Effect, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import { GroupBuyError } from "../GroupBuy.js"
import { parseIsoDuration } from "../internal/isoDuration.js"
import { howToPay, PayPageUrl } from "../internal/paymentJobs.js"
import type { OutboundMessage } from "../Notification.js"
import * as Order from "../Order.js"
import type { OrderView } from "../ReadModel.js"
import * as Round from "../Round.js"
import { IsoTimestamp } from "../RoundSpec.js"
import { orderStream, roundStream, Storage, type StorageError } from "../Storage.js"
import { buyerRecipient, idPart, orderChangeMessage } from "./Messages.js"
import { releaseInUnit } from "./Release.js"
import { orderView } from "./Views.js"

export {
  deadlineJobId,
  deadlineOf,
  howToPay,
  PAYMENT_DEADLINE,
  PAYMENT_REMINDER,
  PayPageUrl,
  paymentJobs,
  reminderAt,
  reminderJobId
} from "../internal/paymentJobs.js"

/** The payload of both jobs, and the input of {@link remindUnpaid} and {@link enforceDeadline} (`at`: now by default). */
export const DeadlineInput = Schema.Struct({
  roundId: Schema.String.check(Schema.isMinLength(1)),
  deadline: IsoTimestamp,
  at: Schema.optional(IsoTimestamp)
})
export type DeadlineInput = typeof DeadlineInput.Type

/** What {@link remindUnpaid} or {@link enforceDeadline} did. */
export interface DeadlineOutcome {
  readonly roundId: string
  /** `done`: this run acted; `duplicate`: an earlier run did, nothing new; `skipped`: nothing to do (`reason`). */
  readonly status: "done" | "duplicate" | "skipped"
  readonly reason?: string | undefined
  /** The orders reminded. */
  readonly reminded: ReadonlyArray<string>
  /** The orders cancelled by this run. */
  readonly cancelled: ReadonlyArray<string>
  /** The orders flagged for the organiser by this run. */
  readonly flagged: ReadonlyArray<string>
}

/** The stream of a round's flagged unpaid orders. */
export const flagStream = (roundId: string): string => `paydeadline:${roundId}`

/** The event of {@link flagStream}: unpaid orders at a deadline, for the organiser. */
export const UnpaidFlagged = Schema.TaggedStruct("UnpaidFlagged", {
  roundId: Schema.String,
  deadline: Schema.String,
  orderIds: Schema.Array(Schema.String),
  at: Schema.String
})
export type UnpaidFlagged = typeof UnpaidFlagged.Type

const decodeInput = Schema.decodeUnknownEffect(DeadlineInput)
const decodeRoundEvent = Schema.decodeUnknownSync(Round.Event)
const decodeFlagged = Schema.decodeUnknownSync(UnpaidFlagged)
const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

const invalid = (e: Schema.SchemaError) =>
  new GroupBuyError({ reason: "invalid-input", message: `bad input: ${e.message.split("\n")[0]}` })

const loadRound = (roundId: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { events } = yield* storage.readStream(roundStream(roundId), 0)
    let state = Round.initialState
    for (const e of events) state = Round.evolve(state, decodeRoundEvent(e.data))
    if (state.status === "none")
      return yield* Effect.fail(new GroupBuyError({ reason: "unknown-round", message: `no round "${roundId}"` }))
    return state
  })

/**
 * The round's orders that still owe money (confirmed, awaiting payment) and fall under this
 * deadline: those placed by the close it counts from (`deadline − payWithin`). An order a waiting
 * list promoted after the close was placed later and has a deadline of its own (from its
 * promotion, with its own jobs): an earlier deadline never reminds or cancels it.
 */
const unpaidOrders = (roundId: string, deadline: string, payWithin: string | undefined) =>
  Effect.gen(function* () {
    const all = yield* (yield* Storage).orders({ roundId })
    const within = payWithin === undefined ? undefined : parseIsoDuration(payWithin)
    const closedAt = within === undefined ? Number.POSITIVE_INFINITY : Date.parse(deadline) - within
    return all.filter(
      (o) =>
        o.status === "awaiting-payment" &&
        o.total > o.paid &&
        (o.placedAt === undefined || !(Date.parse(o.placedAt) > closedAt))
    )
  })

const outcome = (roundId: string, status: DeadlineOutcome["status"], more: Partial<DeadlineOutcome> = {}) =>
  ({ roundId, status, reminded: [], cancelled: [], flagged: [], ...more }) satisfies DeadlineOutcome

/** A payment-due message for an unpaid order (the remaining amount, how to pay, the deadline). */
const dueMessage = (
  o: OrderView,
  id: string,
  howTo: Record<string, unknown>,
  flag: { readonly reminder?: true; readonly overdue?: true },
  at: string
): OutboundMessage => ({
  id,
  kind: "payment-due",
  to: buyerRecipient(o.buyerId, o.buyer.id),
  data: { orderId: o.orderId, total: o.total, paid: o.paid, amount: o.total - o.paid, ...howTo, ...flag },
  createdAt: at
})

/**
 * Reminds each buyer whose order is still unpaid (awaiting payment) that the deadline is near:
 * one `payment-due` message (`reminder: true`, the amount still due, how to pay, the deadline),
 * id `order:<orderId>:payment-reminder`, all in one commit (key
 * `pay-reminder:<roundId>:<deadline>`). `skipped` once the deadline has passed or nothing is unpaid.
 */
export const remindUnpaid = (
  input: DeadlineInput
): Effect.Effect<DeadlineOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const { roundId, deadline, at } = yield* Effect.mapError(decodeInput(input), invalid)
    const when = at ?? (yield* nowIso)
    const state = yield* loadRound(roundId)
    if (Date.parse(when) >= Date.parse(deadline))
      return outcome(roundId, "skipped", { reason: "the deadline has passed" })
    const unpaid = yield* unpaidOrders(roundId, deadline, state.spec?.payWithin)
    if (unpaid.length === 0) return outcome(roundId, "skipped", { reason: "every order is paid" })
    const payPageUrl = yield* PayPageUrl
    const messages = unpaid.map((o) =>
      dueMessage(
        o,
        `order:${o.orderId}:payment-reminder`,
        howToPay(state.spec, o.orderId, payPageUrl, deadline),
        { reminder: true },
        when
      )
    )
    const storage = yield* Storage
    const [result] = yield* storage.commit([
      {
        idempotencyKey: `pay-reminder:${idPart(roundId)}:${idPart(deadline)}`,
        appends: [],
        views: [],
        outbox: messages
      }
    ])
    return result?._tag === "Duplicate"
      ? outcome(roundId, "duplicate")
      : outcome(roundId, "done", { reminded: unpaid.map((o) => o.orderId) })
  }).pipe(
    Effect.withSpan(
      "PaymentDeadlines.remindUnpaid",
      { attributes: { "kaituan.round.id": input.roundId } },
      { captureStackTrace: false }
    )
  )

/**
 * Applies the round's `unpaid` policy at the deadline (see the module). `skipped` before the
 * deadline. Running it again changes nothing: a cancelled order stays cancelled (no second
 * message), the flag commit's key names the round and the deadline.
 */
export const enforceDeadline = (
  input: DeadlineInput
): Effect.Effect<DeadlineOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const { roundId, deadline, at } = yield* Effect.mapError(decodeInput(input), invalid)
    const when = at ?? (yield* nowIso)
    const state = yield* loadRound(roundId)
    if (Date.parse(when) < Date.parse(deadline)) return outcome(roundId, "skipped", { reason: "not due yet" })
    const storage = yield* Storage
    const policy = state.spec?.unpaid ?? "flag"
    const unpaid = yield* unpaidOrders(roundId, deadline, state.spec?.payWithin)
    const cancelled: Array<string> = []
    const toFlag: Array<OrderView> = []
    for (const o of unpaid) {
      if (policy !== "cancel" || o.paid > 0) {
        toFlag.push(o)
        continue
      }
      // Decided on the order's current state: a payment recorded since the read wins. Its stock
      // goes back to the round in the same commit (and down the waiting list: Release).
      const done = yield* CommandHandler.handleMany(storage, {
        at: when,
        process: (unit) =>
          Effect.gen(function* () {
            const stream = orderStream(o.orderId)
            const current = yield* unit.load(orders, stream)
            const s = current.state
            if (!(s.status === "awaiting-payment" && s.paid === 0)) return s
            const { state: after } = yield* unit.decide(orders, stream, { _tag: "Cancel", reason: "unpaid", at: when })
            unit.view({ _tag: "UpsertOrder", order: orderView(after, when) })
            unit.send(
              orderChangeMessage(
                "order-cancelled",
                { ...after, buyer: after.buyer ?? { id: after.buyerId } },
                { reason: "unpaid", dueAt: deadline },
                when
              )
            )
            yield* releaseInUnit(unit, roundId, o.orderId, "unpaid", when)
            return after
          })
      }).pipe(
        // Refused (paid in the meantime, partly paid): not cancelled; a partly paid one is flagged.
        Effect.catchTag("OrderError", () => Effect.succeed(undefined)),
        Effect.catchTag("RoundError", () => Effect.succeed(undefined))
      )
      if (done?._tag === "Committed") cancelled.push(o.orderId)
      else if (
        done?._tag === "Unchanged" &&
        done.value.status === "awaiting-payment" &&
        done.value.paid < done.value.total
      )
        toFlag.push(o)
    }
    const flagged: Array<string> = []
    let duplicate = false
    if (toFlag.length > 0) {
      const current = yield* storage.readStream(flagStream(roundId))
      const payPageUrl = yield* PayPageUrl
      const event: UnpaidFlagged = {
        _tag: "UnpaidFlagged",
        roundId,
        deadline,
        orderIds: toFlag.map((o) => o.orderId),
        at: when
      }
      const [result] = yield* storage.commit([
        {
          idempotencyKey: `pay-deadline:${idPart(roundId)}:${idPart(deadline)}:flag`,
          appends: [
            {
              stream: flagStream(roundId),
              expectedVersion: current.version,
              events: [{ type: "UnpaidFlagged", data: event, at: when }]
            }
          ],
          views: [],
          outbox: toFlag.map((o) =>
            dueMessage(
              o,
              `order:${o.orderId}:payment-overdue`,
              howToPay(state.spec, o.orderId, payPageUrl, deadline),
              { overdue: true },
              when
            )
          )
        }
      ])
      if (result?._tag === "Duplicate") duplicate = true
      else for (const o of toFlag) flagged.push(o.orderId)
    }
    if (cancelled.length === 0 && flagged.length === 0)
      return duplicate || unpaid.length > 0
        ? outcome(roundId, "duplicate")
        : outcome(roundId, "skipped", { reason: "every order is paid" })
    return outcome(roundId, "done", { cancelled, flagged })
  }).pipe(
    Effect.withSpan(
      "PaymentDeadlines.enforceDeadline",
      { attributes: { "kaituan.round.id": input.roundId } },
      { captureStackTrace: false }
    )
  )

/** A flagged order as the back office lists it: the order now and the deadline it missed. */
export interface FlaggedOrder {
  readonly order: OrderView
  readonly deadline: string
  readonly flaggedAt: string
}

/**
 * The round's orders flagged at a payment deadline that still owe money (an order paid or
 * cancelled since drops off the list), in the order they were flagged.
 */
export const flaggedOrders = (roundId: string): Effect.Effect<Array<FlaggedOrder>, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { events } = yield* storage.readStream(flagStream(roundId))
    if (events.length === 0) return []
    const views = new Map((yield* storage.orders({ roundId })).map((o) => [o.orderId, o]))
    const out: Array<FlaggedOrder> = []
    const seen = new Set<string>()
    for (const e of events) {
      const f = decodeFlagged(e.data)
      for (const id of f.orderIds) {
        const order = views.get(id)
        if (seen.has(id) || order === undefined) continue
        seen.add(id)
        if (order.status === "awaiting-payment" && order.total > order.paid)
          out.push({ order, deadline: f.deadline, flaggedAt: f.at })
      }
    }
    return out
  })
