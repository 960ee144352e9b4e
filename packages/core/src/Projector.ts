/**
 * Rebuilds the read models from the events alone. The use cases keep the read models in step
 * with the events in every commit; this is the other way to the same rows, for a new read model,
 * a repaired database or a doubt: `storage.replaceViews(Projector.rebuild(events))`.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { orderView, roundViews, stockViews } from "./GroupBuy.js"
import { markWaitlisted } from "./groupBuy/Views.js"
import * as Order from "./Order.js"
import * as Payment from "./Payment.js"
import type { ViewChange } from "./ReadModel.js"
import * as Round from "./Round.js"
import { Storage, type StoredEvent } from "./Storage.js"

const decodeRound = Schema.decodeUnknownSync(Round.Event)
const decodeOrder = Schema.decodeUnknownSync(Order.Event)
const decodePayment = Schema.decodeUnknownSync(Payment.Event)

/** The read-model changes that all these events (in global order) amount to. */
export const rebuild = (events: Iterable<StoredEvent>): Array<ViewChange> => {
  const out: Array<ViewChange> = []
  const rounds = new Map<string, Round.State>()
  const orders = new Map<string, Order.State>()
  const accountOfPayment = new Map<string, { last5?: string; bankCode?: string }>()
  for (const stored of events) {
    const cut = stored.stream.indexOf(":")
    const kind = stored.stream.slice(0, cut)
    const id = stored.stream.slice(cut + 1)
    if (kind === "round") {
      const e = decodeRound(stored.data)
      const after = Round.evolve(rounds.get(id) ?? Round.initialState, e)
      rounds.set(id, after)
      if (e._tag === "RoundCreated") out.push(...stockViews(id, after))
      out.push(...roundViews(id, after, [e]))
      // The not-ordered row of the line that waits, one event back: as the use cases write it.
      if (e._tag === "WaitlistJoined") markWaitlisted(out, e, after)
    } else if (kind === "order") {
      const e = decodeOrder(stored.data)
      const after = Order.evolve(orders.get(id) ?? Order.initialState, e)
      orders.set(id, after)
      out.push({ _tag: "UpsertOrder", order: orderView(after, e.at) })
      if (e._tag === "PaymentApplied") {
        const account = accountOfPayment.get(e.paymentId)
        if (account?.last5)
          out.push({
            _tag: "LearnAccount",
            buyerId: after.buyerId,
            account: { last5: account.last5, ...(account.bankCode ? { bankCode: account.bankCode } : {}) }
          })
      }
    } else if (kind === "payment") {
      const e = decodePayment(stored.data)
      if (e._tag === "PaymentReceived")
        accountOfPayment.set(e.paymentId, {
          ...(e.last5 ? { last5: e.last5 } : {}),
          ...(e.bankCode ? { bankCode: e.bankCode } : {})
        })
    }
  }
  return out
}

/** Reads every event and replaces the read models with the rebuilt ones. */
export const rebuildAll = (pageSize = 10_000) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const events: Array<StoredEvent> = []
    for (let from = 0; ; ) {
      const page = yield* storage.readAll(from, pageSize)
      events.push(...page)
      if (page.length < pageSize) break
      from = page[page.length - 1]!.position
    }
    const views = rebuild(events)
    yield* storage.replaceViews(views)
    return { events: events.length, changes: views.length }
  })
