/**
 * Stock released after the close (issue 16): a confirmed order that is cancelled (by the
 * organiser, a review decision, or the payment deadline's auto-cancel) gives its units back to the
 * round in the same unit of work as the cancel (the Round's `ReleaseOrder`), and they go down the
 * waiting list (候補). After the close each promoted buyer gets an order of their own, confirmed at
 * once, with its payment-due message, like the orders of the close.
 *
 * Used by `GroupBuy` (`cancelOrder`, `resolveReview`, `closeRound`) and `PaymentDeadlines`.
 *
 * @since 0.5.0
 */
import { Effect, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import { deadlineOf, howToPay, PayPageUrl, paymentJobs } from "../internal/paymentJobs.js"
import * as Order from "../Order.js"
import * as Round from "../Round.js"
import { orderStream, roundStream } from "../Storage.js"
import { buyerRecipient, labelLines, promotionStart, waitlistMessages } from "./Messages.js"
import { orderView, roundViews } from "./Views.js"

const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const rounds = CommandHandler.aggregate(Round.decider, Schema.decodeUnknownSync(Round.Event))

/**
 * Confirms a book entry (the Order aggregate's `Confirm`) in a unit of work, with its view and
 * its payment-due message (how to pay, the deadline). False when it is confirmed already (or the
 * Order refuses).
 */
export const confirmEntry = (
  unit: CommandHandler.Unit,
  roundId: string,
  state: Round.State,
  entry: Round.BookEntry,
  when: string,
  deadline: string | undefined,
  payPageUrl: string | undefined
) =>
  Effect.gen(function* () {
    const stream = orderStream(entry.orderId)
    if ((yield* unit.load(orders, stream)).state.status !== "none") return false
    const decision = yield* unit
      .decide(orders, stream, {
        _tag: "Confirm",
        orderId: entry.orderId,
        roundId,
        buyerId: entry.buyerId,
        buyer: entry.buyer,
        lines: entry.lines,
        placedAt: entry.placedAt,
        seq: entry.seq,
        at: when
      })
      .pipe(Effect.catchTag("OrderError", () => Effect.succeed(undefined)))
    if (decision === undefined) return false
    const after = decision.state
    unit.view({ _tag: "UpsertOrder", order: orderView(after, when) })
    unit.send({
      id: `order:${entry.orderId}:payment-due`,
      kind: "payment-due",
      to: buyerRecipient(entry.buyerId, entry.buyer.id),
      data: {
        orderId: entry.orderId,
        lines: labelLines(state.catalogue, entry.lines),
        total: after.total,
        ...howToPay(state.spec, entry.orderId, payPageUrl, deadline)
      },
      createdAt: when
    })
    return true
  })

/**
 * In a unit of work that cancels a confirmed order: the Round's `ReleaseOrder` (its stock back,
 * down the waiting list), with the stock rows and the promoted buyers' messages. After the close
 * each promotion is a new order, confirmed here at once, with its payment-due message; with a
 * payment deadline (`payWithin`) it counts from now, and its reminder and deadline jobs are
 * scheduled (a deadline job acts on every unpaid order of the round when it runs). The round's
 * state and version after it, or undefined when the round holds the order no more (released
 * already: nothing decided). `loaded`: the round as the caller read it (else read in the unit).
 */
export const releaseInUnit = (
  unit: CommandHandler.Unit,
  roundId: string,
  orderId: string,
  reason: string,
  at: string,
  loaded?: CommandHandler.Loaded<Round.State>
) =>
  Effect.gen(function* () {
    const decision = yield* unit.decide(
      rounds,
      roundStream(roundId),
      { _tag: "ReleaseOrder", orderId, reason, at },
      { loaded }
    )
    if (decision.events.length === 0) return undefined
    const after = decision.state
    unit.view(...roundViews(roundId, after, decision.events))
    const cut = promotionStart(decision.events)
    if (cut < decision.events.length) {
      const promoted = decision.events.slice(cut)
      unit.send(...waitlistMessages(after, promoted))
      if (after.status === "closed") {
        const payPageUrl = yield* PayPageUrl
        const deadline = deadlineOf(at, after.spec?.payWithin)
        const placed = new Set<string>()
        for (const e of promoted) if (e._tag === "LinesOrdered" && e.newOrder) placed.add(e.orderId)
        for (const entry of Round.orders(after))
          if (placed.has(entry.orderId)) yield* confirmEntry(unit, roundId, after, entry, at, deadline, payPageUrl)
        // Several promotions of one buyer in one release: the earlier orders moved to `sealed`.
        for (const entry of after.sealed)
          if (placed.has(entry.orderId)) yield* confirmEntry(unit, roundId, after, entry, at, deadline, payPageUrl)
        if (placed.size > 0 && deadline !== undefined) unit.schedule(...paymentJobs(roundId, at, after.spec))
      }
    }
    return { state: after, version: decision.version }
  })
