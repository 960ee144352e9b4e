import { describe, expect, it } from "@effect/vitest"
import { CommandHandler, Decider, type Notification, Order, Storage } from "@kaituan/core"
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
          // A paid order that has not shipped cannot complete.
          command: { _tag: "Complete", at },
          at,
          idempotencyKey: "cancel:o1",
          ...withViews,
          outbox: () => [{ id: "cancelled", kind: "order-cancelled", to, data: {}, createdAt: at }]
        })
      )
      expect(error).toBeInstanceOf(Order.OrderError)
      expect(error).toMatchObject({ reason: "not-shipped" })
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

describe("CommandHandler.handleMany", () => {
  const o1 = Storage.orderStream("o1")
  const o2 = Storage.orderStream("o2")
  const confirmAs = (orderId: string, qty: number): Order.Command => ({
    ...confirm,
    orderId,
    lines: [{ sku: "A", qty, unitPrice: 100 }]
  })
  /** Two confirmed orders: o1 (NT$200) and o2 (NT$300). */
  const twoOrders = (storage: Storage.StorageService) =>
    Effect.gen(function* () {
      yield* CommandHandler.handle(storage, orders, { stream: o1, command: confirmAs("o1", 2), at })
      yield* CommandHandler.handle(storage, orders, { stream: o2, command: confirmAs("o2", 3), at })
    })
  /** Pays what each order still owes, from one payment, in one unit of work. */
  const payBoth = (paymentId: string, runs: Array<Record<string, number>>) => (unit: CommandHandler.Unit) =>
    Effect.gen(function* () {
      const read: Record<string, number> = {}
      for (const s of [o1, o2]) {
        const { state, version } = yield* unit.load(orders, s)
        read[s] = version
        const due = state.total - state.paid
        if (due > 0) yield* unit.decide(orders, s, pay(paymentId, due))
      }
      runs.push(read)
      unit.send({ id: `${paymentId}:received`, kind: "payment-received", to, data: {}, createdAt: at })
      return read
    })

  it.effect("decides on two streams and appends both in one commit, each at the version it was read at", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      yield* twoOrders(storage)
      let commits = 0
      const counted: Storage.StorageService = {
        ...storage,
        commit: (cs) => {
          commits++
          return storage.commit(cs)
        }
      }
      const runs: Array<Record<string, number>> = []
      const outcome = yield* CommandHandler.handleMany(counted, { at, process: payBoth("p1", runs) })
      expect(commits).toBe(1)
      expect(outcome).toMatchObject({ _tag: "Committed", versions: { [o1]: 2, [o2]: 2 } })
      expect((yield* storage.readStream(o1)).events.map((e) => e.type)).toEqual(["OrderConfirmed", "PaymentApplied"])
      expect((yield* storage.readStream(o2)).events.map((e) => e.type)).toEqual(["OrderConfirmed", "PaymentApplied"])
      const outbox = yield* storage.claimOutbox({ limit: 10, leaseMs: 0 })
      expect(outbox.map((m) => m.message.id)).toEqual(["p1:received"])
    })
  )

  it.effect("a conflict on the second stream runs the step again: nothing of the first attempt is written", () =>
    Effect.gen(function* () {
      const inner = Storage.makeMemory()
      yield* twoOrders(inner)
      // Another writer pays o2 in full right after our first read of it.
      let o2Reads = 0
      const storage: Storage.StorageService = {
        ...inner,
        readStream: (s, from) =>
          Effect.tap(inner.readStream(s, from), () =>
            s === o2 && ++o2Reads === 1
              ? Effect.orDie(CommandHandler.handle(inner, orders, { stream: o2, command: pay("other", 300), at }))
              : Effect.void
          )
      }
      const runs: Array<Record<string, number>> = []
      let conflicts = 0
      const outcome = yield* CommandHandler.handleMany(storage, {
        at,
        process: payBoth("p1", runs),
        onConflict: Effect.sync(() => {
          conflicts++
        })
      })
      // First run: o2 read at version 1 (the other writer then moved it to 2); second run: at 2.
      expect(runs).toEqual([
        { [o1]: 1, [o2]: 1 },
        { [o1]: 1, [o2]: 2 }
      ])
      expect(conflicts).toBe(1)
      expect(outcome).toMatchObject({ _tag: "Committed", versions: { [o1]: 2 } })
      // o1 paid once by p1 (the failed attempt left nothing); o2 paid by the other writer only.
      const paidBy = (s: string) =>
        Effect.map(inner.readStream(s), ({ events }) =>
          events.filter((e) => e.type === "PaymentApplied").map((e) => (e.data as { paymentId: string }).paymentId)
        )
      expect(yield* paidBy(o1)).toEqual(["p1"])
      expect(yield* paidBy(o2)).toEqual(["other"])
      expect((yield* inner.claimOutbox({ limit: 10, leaseMs: 0 })).map((m) => m.message.id)).toEqual(["p1:received"])
    })
  )

  it.effect("a stale cached state (`loaded`) conflicts, and the step reads again; bounded retries", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      yield* twoOrders(storage)
      const stale = { state: Decider.fold(Order.decider, [] as Array<Order.Event>), version: 0 }
      let runs = 0
      const error = yield* Effect.flip(
        CommandHandler.handleMany(storage, {
          at,
          retries: 2,
          process: (unit) =>
            Effect.gen(function* () {
              runs++
              yield* unit.decide(orders, o1, confirmAs("o1", 2), { loaded: stale })
            })
        })
      )
      expect(error).toMatchObject({ _tag: "StorageError", reason: "conflict" })
      expect(runs).toBe(3)
      expect((yield* storage.readStream(o1)).version).toBe(1)
    })
  )

  it.effect("a refusal after a first decision writes nothing; a duplicate key runs nothing", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      yield* twoOrders(storage)
      const before = yield* storage.readAll(0, 100)
      const error = yield* Effect.flip(
        CommandHandler.handleMany(storage, {
          at,
          process: (unit) =>
            Effect.gen(function* () {
              yield* unit.decide(orders, o1, pay("p1", 200))
              unit.view({ _tag: "LearnAccount", buyerId: "line:u", account: { last5: "12345" } })
              // Refused: a payment must be positive.
              yield* unit.decide(orders, o2, pay("p1", 0))
            })
        })
      )
      expect(error).toBeInstanceOf(Order.OrderError)
      expect(yield* storage.readAll(0, 100)).toEqual(before)
      expect(yield* storage.buyer("line:u")).toBeUndefined()

      const request = { at, idempotencyKey: "payment:t1", process: payBoth("p1", []) }
      expect((yield* CommandHandler.handleMany(storage, request))._tag).toBe("Committed")
      let ran = false
      const again = yield* CommandHandler.handleMany(storage, {
        ...request,
        process: () =>
          Effect.sync(() => {
            ran = true
          })
      })
      expect(again).toEqual({ _tag: "Duplicate", idempotencyKey: "payment:t1" })
      expect(ran).toBe(false)
    })
  )

  it.effect("two decisions on one stream add up: one append at the version first read", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const outcome = yield* CommandHandler.handleMany(storage, {
        at,
        process: (unit) =>
          Effect.gen(function* () {
            yield* unit.decide(orders, o1, confirmAs("o1", 2))
            const second = yield* unit.decide(orders, o1, pay("p1", 50))
            expect(second.version).toBe(2)
            expect(second.before.status).toBe("awaiting-payment")
            return (yield* unit.load(orders, o1)).version
          })
      })
      expect(outcome).toMatchObject({ _tag: "Committed", value: 2, versions: { [o1]: 2 } })
      expect((yield* storage.readStream(o1)).version).toBe(2)
    })
  )
})
