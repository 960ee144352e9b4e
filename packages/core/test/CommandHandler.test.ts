import { describe, expect, it } from "@effect/vitest"
import { CommandHandler, type Notification, Order, Storage } from "@kaituan/core"
import { Effect, Schema } from "effect"

const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const stream = Storage.orderStream("o1")
const at = "2025-01-01T00:00:00.000Z"
const to = { channel: "line", userId: "u" } as Notification.Recipient

const confirm: Order.Command = {
  _tag: "Confirm",
  orderId: "o1",
  roundId: "r",
  buyerId: "line:u",
  buyer: { id: "u" },
  lines: [{ sku: "A", qty: 2, unitPrice: 250 }],
  at
}

const pay = (paymentId: string, amount: number): Order.Command => ({ _tag: "ApplyPayment", paymentId, amount, at })

/** Everything a commit can touch: events, the outbox, the orders read model. */
const snapshot = (storage: Storage.StorageService) =>
  Effect.gen(function* () {
    const events = yield* storage.readAll(0, 10_000)
    const outbox = yield* storage.claimOutbox({ limit: 100, leaseMs: 0 })
    const order = yield* storage.order("o1")
    return { events: events.length, outbox: outbox.map((m) => m.message.id), order }
  })

const withViews = {
  views: (state: Order.State) => [
    {
      _tag: "UpsertOrder" as const,
      order: {
        roundId: state.roundId,
        orderId: state.orderId,
        buyerId: state.buyerId,
        buyer: state.buyer ?? { id: state.buyerId },
        status: state.status === "none" ? ("open" as const) : state.status,
        lines: state.lines,
        total: state.total,
        paid: state.paid,
        seq: state.seq,
        placedAt: state.placedAt,
        updatedAt: at
      }
    }
  ]
}

describe("CommandHandler", () => {
  it.effect("loads, decides and commits the events with their views and messages", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const outcome = yield* CommandHandler.handle(storage, orders, {
        stream,
        command: confirm,
        at,
        ...withViews,
        outbox: (state, events) => [
          {
            id: `order:${state.orderId}:${events[0]!._tag}`,
            kind: "payment-due",
            to,
            data: { total: state.total },
            createdAt: at
          }
        ]
      })
      expect(outcome._tag).toBe("Committed")
      if (outcome._tag === "Committed") {
        expect(outcome.version).toBe(1)
        expect(outcome.state.status).toBe("awaiting-payment")
        expect(outcome.before).toBe(Order.initialState)
      }
      const after = yield* snapshot(storage)
      expect(after.events).toBe(1)
      expect(after.outbox).toEqual(["order:o1:OrderConfirmed"])
      expect(after.order?.total).toBe(500)
    })
  )

  it.effect("a conflict reloads the stream and decides again against what the other writer wrote", () =>
    Effect.gen(function* () {
      const inner = Storage.makeMemory()
      yield* CommandHandler.handle(inner, orders, { stream, command: confirm, at })
      // Another writer pays 100 right after our first read of the stream.
      let reads = 0
      const storage: Storage.StorageService = {
        ...inner,
        readStream: (s, from) =>
          Effect.tap(inner.readStream(s, from), () =>
            ++reads === 1
              ? Effect.orDie(CommandHandler.handle(inner, orders, { stream, command: pay("p1", 100), at }))
              : Effect.void
          )
      }
      const decidedIn: Array<number> = []
      const outcome = yield* CommandHandler.handle(storage, orders, {
        stream,
        command: (state, version) => {
          decidedIn.push(version)
          return pay("p2", state.total - state.paid)
        },
        at
      })
      expect(decidedIn).toEqual([1, 2])
      expect(outcome._tag === "Committed" && outcome.state).toMatchObject({ status: "paid", paid: 500 })
      const { version } = yield* inner.readStream(stream)
      expect(version).toBe(3)
    })
  )

  it.effect("gives up after the bounded number of conflicts, with the conflict", () =>
    Effect.gen(function* () {
      const inner = Storage.makeMemory()
      let commits = 0
      const storage: Storage.StorageService = {
        ...inner,
        commit: () => {
          commits++
          return Effect.fail(new Storage.StorageError({ reason: "conflict", message: "moved on", stream }))
        }
      }
      const error = yield* Effect.flip(
        CommandHandler.handle(storage, orders, { stream, command: confirm, at, retries: 3 })
      )
      expect(error).toMatchObject({ _tag: "StorageError", reason: "conflict" })
      expect(commits).toBe(4)
    })
  )

  it.effect("an idempotent duplicate is not decided again and writes nothing", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      yield* CommandHandler.handle(storage, orders, { stream, command: confirm, at })
      const request = {
        stream,
        command: pay("p1", 100),
        at,
        idempotencyKey: "payment:statement:t1",
        ...withViews
      }
      const first = yield* CommandHandler.handle(storage, orders, request)
      expect(first._tag).toBe("Committed")
      const before = yield* snapshot(storage)
      // Deciding again would be refused (p1 is applied already): the key answers first.
      const again = yield* CommandHandler.handle(storage, orders, request)
      expect(again).toEqual({ _tag: "Duplicate", idempotencyKey: "payment:statement:t1" })
      expect(yield* snapshot(storage)).toEqual(before)
    })
  )

  it.effect("a refused command fails with the decider's error and leaves storage unchanged", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      yield* CommandHandler.handle(storage, orders, { stream, command: confirm, at, ...withViews })
      yield* CommandHandler.handle(storage, orders, { stream, command: pay("p1", 500), at, ...withViews })
      const before = yield* snapshot(storage)
      const error = yield* Effect.flip(
        CommandHandler.handle(storage, orders, {
          stream,
          command: { _tag: "Cancel", reason: "changed my mind", at },
          at,
          idempotencyKey: "cancel:o1",
          ...withViews,
          outbox: () => [{ id: "cancelled", kind: "order-cancelled", to, data: {}, createdAt: at }]
        })
      )
      expect(error).toBeInstanceOf(Order.OrderError)
      expect(error).toMatchObject({ reason: "closed" })
      expect(yield* snapshot(storage)).toEqual(before)
      // The key was not claimed: the same key with a command that is allowed goes through.
      expect((yield* storage.seenKeys(["cancel:o1"])).has("cancel:o1")).toBe(false)
    })
  )

  it.effect("nothing to do or no events: nothing written; a missing aggregate fails with the caller's error", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const missing = yield* Effect.flip(
        CommandHandler.handle(storage, orders, {
          stream,
          command: confirm,
          at,
          missing: () => "no such order" as const
        })
      )
      expect(missing).toBe("no such order")
      expect((yield* storage.readAll(0, 100)).length).toBe(0)
      const skipped = yield* CommandHandler.handle(storage, orders, { stream, command: () => undefined, at })
      expect(skipped).toMatchObject({ _tag: "Unchanged", command: undefined, version: 0 })
      expect((yield* storage.readAll(0, 100)).length).toBe(0)
    })
  )
})
