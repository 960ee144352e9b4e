/**
 * The Storage contract: behaviour every Storage implementation must have, as data. Each case is
 * an Effect that needs a `Storage` and fails (with a {@link ContractFailure} saying what was
 * wrong) when the implementation misbehaves. It has no test-runner dependency; a test file runs
 * every case against a fresh, empty store:
 *
 * ```ts
 * for (const c of StorageContract.cases) {
 *   it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemory)))
 * }
 * ```
 *
 * Cases assume an empty store each and the live clock (outbox leases expire in real time; job
 * leases are compared with the `now` a case passes, so they need no waiting).
 *
 * {@link reopenCases} register their own read models and restart their store: they take an
 * {@link Open} that opens one database (a file, a table prefix, a `Storage.memoryDatabase()`)
 * again on every call:
 *
 * ```ts
 * for (const c of StorageContract.reopenCases) {
 *   const database = Storage.memoryDatabase()
 *   it.live(c.name, () => Effect.scoped(c.run(({ readModels }) => Effect.sync(() => Storage.makeMemory({ readModels, database })))))
 * }
 * ```
 *
 * @since 0.1.0
 */
import { Data, Effect, Result, Schema, type Scope } from "effect"
import * as CommentParser from "./CommentParser.js"
import * as GroupBuy from "./GroupBuy.js"
import * as IdGenerator from "./IdGenerator.js"
import type { OutboundMessage } from "./Notification.js"
import type { ParseResult } from "./ParseResult.js"
import * as Projector from "./Projector.js"
import type { NotOrderedItem, OrderStatus, OrderView, ReviewItem, StockView, ViewChange } from "./ReadModel.js"
import * as ReadModels from "./ReadModels.js"
import * as RoundSpec from "./RoundSpec.js"
import type { Commit, NewEvent, ScheduledJob, StorageError, StorageService } from "./Storage.js"
import { Storage } from "./Storage.js"

/** A contract violation: what was checked, what was expected and what the store did. */
export class ContractFailure extends Data.TaggedError("ContractFailure")<{
  readonly message: string
}> {}

/** One contract case. */
export interface Case {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, Storage>
}

// ---------------------------------------------------------------------------------------------
// helpers

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u, (_k, v) => (v instanceof Set ? [...v] : v))
  } catch {
    return String(u)
  }
}

/** Structural equality where a missing key and an `undefined` value are the same. */
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]))
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)])
  for (const k of keys) if (!same(ra[k], rb[k])) return false
  return true
}

const fail = (message: string) => Effect.fail(new ContractFailure({ message }))

const expectEqual = (what: string, actual: unknown, expected: unknown) =>
  same(actual, expected) ? Effect.void : fail(`${what}: expected ${show(expected)}, got ${show(actual)}`)

const expectTrue = (what: string, ok: boolean) => (ok ? Effect.void : fail(what))

/** Runs `self` expecting a `StorageError` with reason `conflict`. */
const expectConflict = <A>(what: string, self: Effect.Effect<A, StorageError>) =>
  Effect.result(self).pipe(
    Effect.flatMap(
      Result.match({
        onSuccess: (a) => fail(`${what}: expected a conflict, but it succeeded with ${show(a)}`),
        onFailure: (e) =>
          e.reason === "conflict" ? Effect.void : fail(`${what}: expected reason "conflict", got ${show(e)}`)
      })
    )
  )

const at = "2024-05-01T10:00:00+08:00"
const ev = (type: string, data: unknown = {}): NewEvent => ({ type, data, at })

const commitOf = (c: Partial<Commit> & Pick<Commit, "appends">): Commit => ({
  views: [],
  outbox: [],
  ...c
})

const order = (o: Partial<OrderView> & Pick<OrderView, "orderId">): OrderView => ({
  roundId: "r1",
  buyerId: `line:${o.orderId}`,
  buyer: { id: `U-${o.orderId}`, name: `buyer ${o.orderId}` },
  status: "open",
  lines: [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }],
  total: 120,
  paid: 0,
  seq: 1,
  placedAt: at,
  updatedAt: at,
  ...o
})

const review = (r: Partial<ReviewItem> & Pick<ReviewItem, "commentId" | "seq">): ReviewItem => ({
  roundId: "r1",
  buyerId: "line:U1",
  buyer: { id: "U1", name: "王小明" },
  text: "+1 還有嗎?",
  reason: "question",
  lines: [{ sku: null, qty: 1 }],
  at,
  resolved: false,
  ...r
})

const notOrderedItem = (n: Partial<NotOrderedItem> & Pick<NotOrderedItem, "commentId" | "seq">): NotOrderedItem => ({
  roundId: "r1",
  buyerId: "line:U1",
  buyer: { id: "U1" },
  text: "紅+1",
  reason: "after-cutoff",
  at,
  ...n
})

const stockView = (s: Partial<StockView> & Pick<StockView, "sku">): StockView => ({
  roundId: "r1",
  left: 10,
  sold: 0,
  ...s
})

const message = (id: string, text = "hello"): OutboundMessage => ({
  id,
  kind: "text",
  to: { channel: "line" as OutboundMessage["to"]["channel"], userId: "U1" },
  data: { text },
  createdAt: at
})

const upsertOrder = (o: OrderView): ViewChange => ({ _tag: "UpsertOrder", order: o })

const withStorage = <A, E>(f: (s: StorageService) => Effect.Effect<A, E>): Effect.Effect<A, E, Storage> =>
  Effect.flatMap(Storage, f)

const ids = (xs: ReadonlyArray<{ readonly orderId: string }>) => xs.map((x) => x.orderId)

// ---------------------------------------------------------------------------------------------
// cases

const appendAndRead: Case = {
  name: "append and read a stream",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const empty = yield* s.readStream("round:none")
      yield* expectEqual("an unknown stream", empty, { version: 0, events: [] })
      const r = yield* s.commit([
        commitOf({
          appends: [{ stream: "round:a", expectedVersion: 0, events: [ev("Opened", { n: 1 }), ev("Noted", "x")] }]
        })
      ])
      yield* expectEqual("commit result", r, [{ _tag: "Committed", versions: { "round:a": 2 } }])
      const read = yield* s.readStream("round:a")
      yield* expectEqual("stream version", read.version, 2)
      yield* expectEqual(
        "stream events",
        read.events.map((e) => ({ stream: e.stream, version: e.version, type: e.type, data: e.data, at: e.at })),
        [
          { stream: "round:a", version: 1, type: "Opened", data: { n: 1 }, at },
          { stream: "round:a", version: 2, type: "Noted", data: "x", at }
        ]
      )
      yield* expectTrue(
        `positions are increasing: ${show(read.events.map((e) => e.position))}`,
        read.events[0]!.position < read.events[1]!.position
      )
      const tail = yield* s.readStream("round:a", 1)
      yield* expectEqual(
        "readStream from version 1",
        { version: tail.version, types: tail.events.map((e) => e.type) },
        { version: 2, types: ["Noted"] }
      )
      const none = yield* s.readStream("round:a", 2)
      yield* expectEqual("readStream from the current version", none, { version: 2, events: [] })
    })
  )
}

const versions: Case = {
  name: "versions advance per stream, also within one batch",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("A1")] }] })])
      const r = yield* s.commit([
        commitOf({
          appends: [
            { stream: "a", expectedVersion: 1, events: [ev("A2"), ev("A3")] },
            { stream: "b", expectedVersion: 0, events: [ev("B1")] }
          ]
        }),
        commitOf({ appends: [{ stream: "a", expectedVersion: 3, events: [ev("A4")] }] }),
        commitOf({ appends: [] })
      ])
      yield* expectEqual("results", r, [
        { _tag: "Committed", versions: { a: 3, b: 1 } },
        { _tag: "Committed", versions: { a: 4 } },
        { _tag: "Committed", versions: {} }
      ])
      const a = yield* s.readStream("a")
      yield* expectEqual(
        "stream a",
        a.events.map((e) => [e.version, e.type]),
        [
          [1, "A1"],
          [2, "A2"],
          [3, "A3"],
          [4, "A4"]
        ]
      )
      const b = yield* s.readStream("b")
      yield* expectEqual("stream b version", b.version, 1)
      yield* expectEqual("empty batch", yield* s.commit([]), [])
    })
  )
}

const staleConflict: Case = {
  name: "a stale expectedVersion fails the whole call with a conflict and writes nothing",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("A1"), ev("A2")] }] })])
      yield* expectConflict(
        "expectedVersion 1 on a stream at 2",
        s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 1, events: [ev("late")] }] })])
      )
      yield* expectConflict(
        "expectedVersion ahead of the stream",
        s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 5, events: [ev("ahead")] }] })])
      )
      yield* expectConflict(
        "expectedVersion 1 on a new stream",
        s.commit([commitOf({ appends: [{ stream: "new", expectedVersion: 1, events: [ev("x")] }] })])
      )
      const a = yield* s.readStream("a")
      yield* expectEqual(
        "stream a after conflicts",
        a.events.map((e) => e.type),
        ["A1", "A2"]
      )
      const n = yield* s.readStream("new")
      yield* expectEqual("new stream after a conflict", n.version, 0)
      const error = yield* Effect.flip(
        s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("x")] }] })])
      )
      yield* expectEqual("the conflict names the stream", error.stream, "a")
    })
  )
}

const batchAtomicity: Case = {
  name: "a batch is atomic: a conflict in a later commit undoes the earlier ones",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("A1")] }] })])
      yield* expectConflict(
        "second commit stale",
        s.commit([
          commitOf({
            idempotencyKey: "k-good",
            appends: [{ stream: "b", expectedVersion: 0, events: [ev("B1")] }],
            views: [
              upsertOrder(order({ orderId: "o1" })),
              { _tag: "SetStock", stock: stockView({ sku: "S" }) },
              { _tag: "AddBuyerIdentity", buyerId: "line:U1", name: "王", channel: "line", userId: "U1" }
            ],
            outbox: [message("m-good")]
          }),
          commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("stale")] }] })
        ])
      )
      yield* expectEqual("stream b", (yield* s.readStream("b")).version, 0)
      yield* expectEqual("stream a", (yield* s.readStream("a")).version, 1)
      yield* expectEqual("key of the undone commit", [...(yield* s.seenKeys(["k-good"]))], [])
      yield* expectEqual("order of the undone commit", yield* s.order("o1"), undefined)
      yield* expectEqual("stock of the undone commit", yield* s.stock({ roundId: "r1" }), [])
      yield* expectEqual("buyer of the undone commit", yield* s.buyer("line:U1"), undefined)
      yield* expectEqual("outbox of the undone commit", yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 }), [])
      yield* expectEqual(
        "readAll",
        (yield* s.readAll(0, 100)).map((e) => e.type),
        ["A1"]
      )
      // The same commit alone now succeeds (its key was not burned).
      const r = yield* s.commit([
        commitOf({ idempotencyKey: "k-good", appends: [{ stream: "b", expectedVersion: 0, events: [ev("B1")] }] })
      ])
      yield* expectEqual("retry of the undone commit", r, [{ _tag: "Committed", versions: { b: 1 } }])
    })
  )
}

const duplicates: Case = {
  name: "a duplicate idempotency key is reported Duplicate and changes nothing",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const first = commitOf({
        idempotencyKey: "line:c1",
        appends: [{ stream: "a", expectedVersion: 0, events: [ev("CommentReceived", { id: "c1" })] }],
        views: [upsertOrder(order({ orderId: "o1", total: 120 }))],
        outbox: [message("m1")]
      })
      yield* expectEqual("first", yield* s.commit([first]), [{ _tag: "Committed", versions: { a: 1 } }])
      // Same key, different (and stale) content: still just Duplicate.
      const again = commitOf({
        idempotencyKey: "line:c1",
        appends: [{ stream: "a", expectedVersion: 0, events: [ev("CommentReceived", { id: "c1", again: true })] }],
        views: [upsertOrder(order({ orderId: "o1", total: 999 }))],
        outbox: [message("m2")]
      })
      yield* expectEqual("redelivery", yield* s.commit([again]), [{ _tag: "Duplicate", idempotencyKey: "line:c1" }])
      yield* expectEqual("stream after redelivery", (yield* s.readStream("a")).version, 1)
      yield* expectEqual("order after redelivery", (yield* s.order("o1"))?.total, 120)
      const claimed = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "outbox after redelivery",
        claimed.map((e) => e.message.id),
        ["m1"]
      )
      // Within one batch: the first commit with a key wins, later ones are duplicates.
      const r = yield* s.commit([
        commitOf({ idempotencyKey: "line:c2", appends: [{ stream: "a", expectedVersion: 1, events: [ev("C2")] }] }),
        commitOf({ idempotencyKey: "line:c2", appends: [{ stream: "a", expectedVersion: 1, events: [ev("C2b")] }] }),
        commitOf({ appends: [{ stream: "a", expectedVersion: 2, events: [ev("nokey")] }] }),
        commitOf({ appends: [{ stream: "a", expectedVersion: 3, events: [ev("nokey")] }] })
      ])
      yield* expectEqual("batch results", r, [
        { _tag: "Committed", versions: { a: 2 } },
        { _tag: "Duplicate", idempotencyKey: "line:c2" },
        { _tag: "Committed", versions: { a: 3 } },
        { _tag: "Committed", versions: { a: 4 } }
      ])
      yield* expectEqual(
        "stream after the batch",
        (yield* s.readStream("a")).events.map((e) => e.type),
        ["CommentReceived", "C2", "nokey", "nokey"]
      )
    })
  )
}

const readAllOrder: Case = {
  name: "readAll returns every event in commit order, paged by position",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("a1"), ev("a2")] }] })])
      yield* s.commit([
        commitOf({ appends: [{ stream: "b", expectedVersion: 0, events: [ev("b1")] }] }),
        commitOf({
          appends: [
            { stream: "a", expectedVersion: 2, events: [ev("a3")] },
            { stream: "c", expectedVersion: 0, events: [ev("c1")] }
          ]
        })
      ])
      const all = yield* s.readAll(0, 100)
      yield* expectEqual(
        "readAll(0, 100)",
        all.map((e) => [e.position, e.stream, e.version, e.type]),
        [
          [1, "a", 1, "a1"],
          [2, "a", 2, "a2"],
          [3, "b", 1, "b1"],
          [4, "a", 3, "a3"],
          [5, "c", 1, "c1"]
        ]
      )
      yield* expectEqual(
        "readAll(2, 2)",
        (yield* s.readAll(2, 2)).map((e) => e.type),
        ["b1", "a3"]
      )
      yield* expectEqual("readAll(5, 10)", yield* s.readAll(5, 10), [])
      yield* expectEqual("readAll(0, 0)", yield* s.readAll(0, 0), [])
      const viaStream = (yield* s.readStream("a")).events.map((e) => e.position)
      yield* expectEqual("stream positions match readAll", viaStream, [1, 2, 4])
    })
  )
}

const seen: Case = {
  name: "seenKeys reports exactly the committed keys",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({ idempotencyKey: "k1", appends: [] }),
        commitOf({ idempotencyKey: "k2", appends: [{ stream: "a", expectedVersion: 0, events: [ev("x")] }] })
      ])
      const found = yield* s.seenKeys(["k0", "k1", "k2", "k3", "k1"])
      yield* expectEqual("seen keys", [...found].sort(), ["k1", "k2"])
      yield* expectEqual("no keys", [...(yield* s.seenKeys([]))], [])
      const many = Array.from({ length: 1200 }, (_, i) => `bulk-${i}`)
      yield* s.commit(many.map((k) => commitOf({ idempotencyKey: k, appends: [] })))
      const back = yield* s.seenKeys([...many, "bulk-none"])
      yield* expectEqual("1200 keys seen", back.size, 1200)
    })
  )
}

const keyData: Case = {
  name: "readKeys returns each committed key with the data of the commit that claimed it",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({ idempotencyKey: "k1", keyData: "fp1:r1", appends: [] }),
        commitOf({ idempotencyKey: "k2", appends: [{ stream: "a", expectedVersion: 0, events: [ev("x")] }] }),
        commitOf({ idempotencyKey: "k3", keyData: "", appends: [] }),
        // Within one batch the first claim's data is kept.
        commitOf({ idempotencyKey: "k4", keyData: "first", appends: [] }),
        commitOf({ idempotencyKey: "k4", keyData: "second", appends: [] }),
        // Data without a key is ignored.
        commitOf({ keyData: "nothing", appends: [] })
      ])
      const found = yield* s.readKeys(["k0", "k1", "k2", "k3", "k4", "k1"])
      yield* expectEqual(
        "keys and their data",
        [...found].sort(([a], [b]) => (a < b ? -1 : 1)),
        [
          ["k1", "fp1:r1"],
          ["k2", ""],
          ["k3", ""],
          ["k4", "first"]
        ]
      )
      yield* expectEqual("no keys", [...(yield* s.readKeys([]))], [])
      // A later claim of the same key is a duplicate and leaves the data as it was.
      const again = yield* s.commit([commitOf({ idempotencyKey: "k1", keyData: "fp2:r2", appends: [] })])
      yield* expectEqual("again", again, [{ _tag: "Duplicate", idempotencyKey: "k1" }])
      yield* expectEqual("data after a duplicate", [...(yield* s.readKeys(["k1"]))], [["k1", "fp1:r1"]])
      // A failed batch claims nothing.
      yield* expectConflict(
        "stale batch",
        s.commit([
          commitOf({ idempotencyKey: "k5", keyData: "undone", appends: [] }),
          commitOf({ appends: [{ stream: "a", expectedVersion: 0, events: [ev("stale")] }] })
        ])
      )
      yield* expectEqual("key of the undone commit", [...(yield* s.readKeys(["k5"]))], [])
      yield* expectEqual("seenKeys agrees", [...(yield* s.seenKeys(["k1", "k5"]))], ["k1"])
      const many = Array.from({ length: 1200 }, (_, i) => `bulk-${i}`)
      yield* s.commit(many.map((k) => commitOf({ idempotencyKey: k, keyData: `d-${k}`, appends: [] })))
      const back = yield* s.readKeys([...many, "bulk-none"])
      yield* expectEqual("1200 keys read", back.size, 1200)
      yield* expectTrue(
        "each bulk key with its own data",
        many.every((k) => back.get(k) === `d-${k}`)
      )
    })
  )
}

const ordersQuery: Case = {
  name: "orders: upsert, status filter, seq order, one round only, by id",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [],
          views: [
            upsertOrder(order({ orderId: "o3", seq: 30, status: "paid" })),
            upsertOrder(order({ orderId: "o1", seq: 10 })),
            upsertOrder(order({ orderId: "o2", seq: 20, status: "awaiting-payment" })),
            upsertOrder(order({ orderId: "x1", roundId: "r2", seq: 5 }))
          ]
        })
      ])
      yield* expectEqual("all orders of r1 in seq order", ids(yield* s.orders({ roundId: "r1" })), ["o1", "o2", "o3"])
      const byStatus = (status: ReadonlyArray<OrderStatus>) => s.orders({ roundId: "r1", status })
      yield* expectEqual("status paid", ids(yield* byStatus(["paid"])), ["o3"])
      yield* expectEqual("status paid or open", ids(yield* byStatus(["paid", "open"])), ["o1", "o3"])
      yield* expectEqual("no status", ids(yield* byStatus([])), [])
      yield* expectEqual("status shipped", ids(yield* byStatus(["shipped"])), [])
      yield* expectEqual("round r2", ids(yield* s.orders({ roundId: "r2" })), ["x1"])
      yield* expectEqual("unknown round", yield* s.orders({ roundId: "nope" }), [])
      // An upsert replaces the whole row; in one batch the last upsert wins.
      const paid = order({
        orderId: "o1",
        seq: 10,
        status: "paid",
        paid: 240,
        total: 240,
        lines: [
          { sku: "SOCK-R", qty: 1, unitPrice: 120 },
          { sku: "SOCK-W", qty: 1, unitPrice: 120 }
        ],
        buyer: { id: "U-o1" }
      })
      yield* s.commit([
        commitOf({ appends: [], views: [upsertOrder(order({ orderId: "o1", seq: 10, status: "cancelled" }))] }),
        commitOf({ appends: [], views: [upsertOrder(order({ orderId: "o1", status: "refunded" })), upsertOrder(paid)] })
      ])
      yield* expectEqual("order o1 after upserts", yield* s.order("o1"), paid)
      yield* expectEqual("status paid after upsert", ids(yield* byStatus(["paid"])), ["o1", "o3"])
      yield* expectEqual("status cancelled after upsert", ids(yield* byStatus(["cancelled"])), [])
      yield* expectEqual("unknown order", yield* s.order("nope"), undefined)
      const all = yield* s.orders({ roundId: "r1" })
      yield* expectEqual("full rows", all[1], order({ orderId: "o2", seq: 20, status: "awaiting-payment" }))
    })
  )
}

const reviewQuery: Case = {
  name: "review queue: comment order, resolved hidden unless includeResolved, upsert by comment",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [],
          views: [
            { _tag: "UpsertReview", item: review({ commentId: "c3", seq: 3 }) },
            { _tag: "UpsertReview", item: review({ commentId: "c1", seq: 1 }) },
            { _tag: "UpsertReview", item: review({ commentId: "c2", seq: 2, resolved: true }) },
            { _tag: "UpsertReview", item: review({ commentId: "c9", seq: 0, roundId: "r2" }) }
          ]
        })
      ])
      const q = (includeResolved?: boolean) =>
        s.reviewQueue(includeResolved === undefined ? { roundId: "r1" } : { roundId: "r1", includeResolved })
      yield* expectEqual(
        "unresolved",
        (yield* q()).map((r) => r.commentId),
        ["c1", "c3"]
      )
      yield* expectEqual(
        "includeResolved false",
        (yield* q(false)).map((r) => r.commentId),
        ["c1", "c3"]
      )
      yield* expectEqual(
        "includeResolved",
        (yield* q(true)).map((r) => r.commentId),
        ["c1", "c2", "c3"]
      )
      yield* s.commit([
        commitOf({
          appends: [],
          views: [{ _tag: "UpsertReview", item: review({ commentId: "c1", seq: 1, resolved: true }) }]
        })
      ])
      yield* expectEqual(
        "after resolving c1",
        (yield* q()).map((r) => r.commentId),
        ["c3"]
      )
      yield* expectEqual("full row", (yield* q(true))[0], review({ commentId: "c1", seq: 1, resolved: true }))
      yield* expectEqual(
        "round r2",
        (yield* s.reviewQueue({ roundId: "r2" })).map((r) => r.commentId),
        ["c9"]
      )
    })
  )
}

const notOrderedQuery: Case = {
  name: "not-ordered list: every item kept, in comment order, per round",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const a = notOrderedItem({ commentId: "c5", seq: 5, reason: "sold-out", sku: "SOCK-R", qty: 2 })
      const b = notOrderedItem({ commentId: "c2", seq: 2 })
      const c = notOrderedItem({ commentId: "c5", seq: 5, reason: "over-cap", sku: "EGG", qty: 1 })
      yield* s.commit([
        commitOf({ appends: [], views: [{ _tag: "AddNotOrdered", item: a }] }),
        commitOf({
          appends: [],
          views: [
            { _tag: "AddNotOrdered", item: b },
            { _tag: "AddNotOrdered", item: c },
            { _tag: "AddNotOrdered", item: notOrderedItem({ commentId: "z", seq: 1, roundId: "r2" }) }
          ]
        })
      ])
      yield* expectEqual("not ordered r1", yield* s.notOrdered({ roundId: "r1" }), [b, a, c])
      yield* expectEqual(
        "not ordered r2",
        (yield* s.notOrdered({ roundId: "r2" })).map((n) => n.commentId),
        ["z"]
      )
      yield* expectEqual("unknown round", yield* s.notOrdered({ roundId: "none" }), [])
    })
  )
}

const stockQuery: Case = {
  name: "stock: set per SKU, sorted by SKU, unlimited as null",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [],
          views: [
            { _tag: "SetStock", stock: stockView({ sku: "SOCK-W", left: 20 }) },
            { _tag: "SetStock", stock: stockView({ sku: "CUP", left: null, sold: 3 }) },
            { _tag: "SetStock", stock: stockView({ sku: "SOCK-R", left: 20 }) },
            { _tag: "SetStock", stock: stockView({ sku: "SOCK-R", left: 18, sold: 2 }) },
            { _tag: "SetStock", stock: stockView({ sku: "SOCK-R", roundId: "r2", left: 1 }) }
          ]
        })
      ])
      yield* s.commit([
        commitOf({ appends: [], views: [{ _tag: "SetStock", stock: stockView({ sku: "SOCK-W", left: 19, sold: 1 }) }] })
      ])
      yield* expectEqual("stock r1", yield* s.stock({ roundId: "r1" }), [
        stockView({ sku: "CUP", left: null, sold: 3 }),
        stockView({ sku: "SOCK-R", left: 18, sold: 2 }),
        stockView({ sku: "SOCK-W", left: 19, sold: 1 })
      ])
      yield* expectEqual("stock r2", yield* s.stock({ roundId: "r2" }), [
        stockView({ sku: "SOCK-R", roundId: "r2", left: 1 })
      ])
      yield* expectEqual("unknown round", yield* s.stock({ roundId: "none" }), [])
    })
  )
}

const buyers: Case = {
  name: "buyers: identities and accounts added once, name from the first sighting",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [],
          views: [
            { _tag: "AddBuyerIdentity", buyerId: "b1", name: "王小明", channel: "line", userId: "U1" },
            { _tag: "AddBuyerIdentity", buyerId: "b1", name: "小明", channel: "line", userId: "U1" },
            { _tag: "AddBuyerIdentity", buyerId: "b1", name: "Ming", channel: "telegram", userId: "42" },
            { _tag: "LearnAccount", buyerId: "b1", account: { bankCode: "812", last5: "12345" } },
            { _tag: "LearnAccount", buyerId: "b1", account: { bankCode: "812", last5: "12345" } },
            { _tag: "LearnAccount", buyerId: "b1", account: { last5: "12345" } },
            { _tag: "LearnAccount", buyerId: "b2", account: { last5: "54321" } },
            { _tag: "AddBuyerIdentity", buyerId: "b2", name: "陳", channel: "facebook", userId: "F9" }
          ]
        })
      ])
      // A later commit repeating an identity or account changes nothing.
      yield* s.commit([
        commitOf({
          appends: [],
          views: [
            { _tag: "AddBuyerIdentity", buyerId: "b1", name: "renamed", channel: "telegram", userId: "42" },
            { _tag: "LearnAccount", buyerId: "b1", account: { last5: "12345" } },
            { _tag: "LearnAccount", buyerId: "b1", account: { bankCode: "700", last5: "00001" } }
          ]
        })
      ])
      yield* expectEqual("buyer b1", yield* s.buyer("b1"), {
        id: "b1",
        name: "王小明",
        identities: [
          { channel: "line", userId: "U1", name: "王小明" },
          { channel: "telegram", userId: "42", name: "Ming" }
        ],
        accounts: [{ bankCode: "812", last5: "12345" }, { last5: "12345" }, { bankCode: "700", last5: "00001" }]
      })
      yield* expectEqual("buyer b2 (first seen through an account)", yield* s.buyer("b2"), {
        id: "b2",
        name: "b2",
        identities: [{ channel: "facebook", userId: "F9", name: "陳" }],
        accounts: [{ last5: "54321" }]
      })
      yield* expectEqual("unknown buyer", yield* s.buyer("nobody"), undefined)
    })
  )
}

const replace: Case = {
  name: "replaceViews rebuilds every read model from scratch and leaves events alone",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [{ stream: "a", expectedVersion: 0, events: [ev("A1")] }],
          views: [
            upsertOrder(order({ orderId: "old", seq: 1 })),
            { _tag: "UpsertReview", item: review({ commentId: "c1", seq: 1 }) },
            { _tag: "AddNotOrdered", item: notOrderedItem({ commentId: "c2", seq: 2 }) },
            { _tag: "SetStock", stock: stockView({ sku: "OLD" }) },
            { _tag: "AddBuyerIdentity", buyerId: "b1", name: "old", channel: "line", userId: "U1" }
          ]
        })
      ])
      yield* s.replaceViews([
        upsertOrder(order({ orderId: "new", seq: 2 })),
        upsertOrder(order({ orderId: "new2", seq: 1, status: "paid" })),
        { _tag: "AddNotOrdered", item: notOrderedItem({ commentId: "c7", seq: 7 }) },
        { _tag: "SetStock", stock: stockView({ sku: "NEW", left: 1 }) },
        { _tag: "LearnAccount", buyerId: "b1", account: { last5: "11111" } },
        { _tag: "AddBuyerIdentity", buyerId: "b1", name: "new", channel: "line", userId: "U1" }
      ])
      yield* expectEqual("orders", ids(yield* s.orders({ roundId: "r1" })), ["new2", "new"])
      yield* expectEqual("old order", yield* s.order("old"), undefined)
      yield* expectEqual("review", yield* s.reviewQueue({ roundId: "r1", includeResolved: true }), [])
      yield* expectEqual(
        "not ordered",
        (yield* s.notOrdered({ roundId: "r1" })).map((n) => n.commentId),
        ["c7"]
      )
      yield* expectEqual(
        "stock",
        (yield* s.stock({ roundId: "r1" })).map((x) => x.sku),
        ["NEW"]
      )
      yield* expectEqual("buyer", yield* s.buyer("b1"), {
        id: "b1",
        name: "b1",
        identities: [{ channel: "line", userId: "U1", name: "new" }],
        accounts: [{ last5: "11111" }]
      })
      yield* expectEqual("events untouched", (yield* s.readStream("a")).version, 1)
      yield* s.replaceViews([])
      yield* expectEqual("orders after replaceViews([])", yield* s.orders({ roundId: "r1" }), [])
    })
  )
}

const outboxFlow: Case = {
  name: "outbox: claim oldest first, lease, ack, fail and retry",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [], outbox: [message("m1"), message("m2")] })])
      yield* s.commit([commitOf({ appends: [], outbox: [message("m3"), message("m1", "changed")] })])
      const first = yield* s.claimOutbox({ limit: 2, leaseMs: 60_000 })
      yield* expectEqual(
        "first claim (oldest first, limit 2)",
        first.map((e) => [e.message.id, e.attempts]),
        [
          ["m1", 1],
          ["m2", 1]
        ]
      )
      yield* expectEqual("a message is stored once, as first written", first[0]!.message, message("m1"))
      const second = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "leased messages are not claimed again",
        second.map((e) => e.message.id),
        ["m3"]
      )
      yield* expectEqual("nothing left to claim", yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 }), [])
      yield* s.ackOutbox(["m1", "unknown"])
      yield* s.failOutbox("m2", "channel down", 0)
      yield* s.failOutbox("m3", "rate limited", 60_000)
      const third = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "after ack and fail",
        third.map((e) => [e.message.id, e.attempts]),
        [["m2", 2]]
      )
      yield* s.ackOutbox(["m2"])
      yield* s.failOutbox("m2", "late failure after ack", 0)
      yield* s.failOutbox("unknown", "x", 0)
      yield* expectEqual("acked messages never come back", yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 }), [])
      yield* expectEqual("limit 0", yield* s.claimOutbox({ limit: 0, leaseMs: 60_000 }), [])
    })
  )
}

const outboxLease: Case = {
  name: "outbox: an expired lease makes the message claimable again",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [], outbox: [message("m1")] })])
      const a = yield* s.claimOutbox({ limit: 10, leaseMs: 150 })
      yield* expectEqual(
        "first claim",
        a.map((e) => e.attempts),
        [1]
      )
      yield* expectEqual("within the lease", yield* s.claimOutbox({ limit: 10, leaseMs: 150 }), [])
      yield* Effect.sleep("300 millis")
      const b = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "after the lease",
        b.map((e) => [e.message.id, e.attempts]),
        [["m1", 2]]
      )
    })
  )
}

const outboxConcurrentClaims: Case = {
  name: "outbox: concurrent relays never claim the same message while it is leased",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const total = 60
      yield* s.commit([
        commitOf({
          appends: [],
          outbox: Array.from({ length: total }, (_, i) => message(`m${String(i).padStart(3, "0")}`))
        })
      ])
      const relay = Effect.gen(function* () {
        const got: Array<string> = []
        for (let round = 0; round < 20; round++) {
          const batch = yield* s.claimOutbox({ limit: 4, leaseMs: 60_000 })
          for (const e of batch) got.push(e.message.id)
          if (batch.length === 0) break
        }
        return got
      })
      const results = yield* Effect.all([relay, relay, relay, relay], { concurrency: "unbounded" })
      const all = results.flat()
      yield* expectEqual("every message claimed exactly once", [...new Set(all)].length, all.length)
      yield* expectEqual("all messages claimed", all.length, total)
    })
  )
}

const outboxOnCommit: Case = {
  name: "outbox: messages are written with their commit, duplicates skipped",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({ idempotencyKey: "k", appends: [], outbox: [message("m1")] }),
        commitOf({ idempotencyKey: "k", appends: [], outbox: [message("m-dup")] }),
        commitOf({ appends: [], outbox: [message("m2"), message("m2", "again")] })
      ])
      const claimed = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "claimed",
        claimed.map((e) => e.message),
        [message("m1"), message("m2")]
      )
    })
  )
}

const concurrentCommits: Case = {
  name: "concurrent commits to one stream: exactly one wins per version",
  run: withStorage((s) =>
    Effect.gen(function* () {
      // Two fibers race for version 1.
      const attempt = (who: string) =>
        Effect.result(
          s.commit([commitOf({ appends: [{ stream: "race", expectedVersion: 0, events: [ev("Won", { who })] }] })])
        )
      const [a, b] = yield* Effect.all([attempt("a"), attempt("b")], { concurrency: "unbounded" })
      const wins = [a, b].filter(Result.isSuccess).length
      yield* expectEqual("winners of version 1", wins, 1)
      for (const r of [a, b]) {
        if (Result.isFailure(r)) yield* expectEqual("the loser's error", r.failure.reason, "conflict")
      }
      yield* expectEqual("stream after the race", (yield* s.readStream("race")).version, 1)
      // Two fibers each append 10 events with read-decide-commit, retrying on conflicts.
      const worker = (who: string) =>
        Effect.gen(function* () {
          const mine: Array<number> = []
          while (mine.length < 10) {
            const { version } = yield* s.readStream("race")
            const r = yield* Effect.result(
              s.commit([
                commitOf({ appends: [{ stream: "race", expectedVersion: version, events: [ev("Step", { who })] }] })
              ])
            )
            if (Result.isSuccess(r)) {
              const first = r.success[0]
              if (first?._tag === "Committed") mine.push(first.versions.race!)
            } else if (r.failure.reason !== "conflict") {
              return yield* r.failure
            } else {
              yield* Effect.yieldNow
            }
          }
          return mine
        })
      const [x, y] = yield* Effect.all([worker("x"), worker("y")], { concurrency: "unbounded" })
      const versionsWon = [...x, ...y].sort((p, q) => p - q)
      yield* expectEqual(
        "each version won by exactly one writer",
        versionsWon,
        Array.from({ length: 20 }, (_, i) => i + 2)
      )
      const stream = yield* s.readStream("race")
      yield* expectEqual(
        "stream versions",
        stream.events.map((e) => e.version),
        Array.from({ length: 21 }, (_, i) => i + 1)
      )
      const byWho = stream.events.slice(1).map((e) => (e.data as { who: string }).who)
      yield* expectEqual(
        "events of each writer",
        [byWho.filter((w) => w === "x").length, byWho.filter((w) => w === "y").length],
        [10, 10]
      )
    })
  )
}

const largeBatch: Case = {
  name: "a large batch (1,500 commits) is written completely",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const commits = Array.from({ length: 1500 }, (_, i) =>
        commitOf({
          idempotencyKey: `c${i}`,
          appends: [
            {
              stream: "round:big",
              expectedVersion: i * 2,
              events: [ev("CommentReceived", { i }), ev("OrderPlaced", { i })]
            }
          ],
          views: [
            upsertOrder(order({ orderId: `o${i % 700}`, seq: i % 700, roundId: "big" })),
            { _tag: "SetStock", stock: stockView({ roundId: "big", sku: "S", left: 1500 - i - 1, sold: i + 1 }) }
          ],
          outbox: i % 3 === 0 ? [message(`m${i}`)] : []
        })
      )
      const r = yield* s.commit(commits)
      yield* expectEqual("all committed", r.filter((x) => x._tag === "Committed").length, 1500)
      yield* expectEqual("stream version", (yield* s.readStream("round:big")).version, 3000)
      yield* expectEqual("orders", (yield* s.orders({ roundId: "big" })).length, 700)
      yield* expectEqual("stock", yield* s.stock({ roundId: "big" }), [
        stockView({ roundId: "big", sku: "S", left: 0, sold: 1500 })
      ])
      yield* expectEqual("outbox", (yield* s.claimOutbox({ limit: 1000, leaseMs: 60_000 })).length, 500)
      const again = yield* s.commit(commits)
      yield* expectEqual("re-run is all duplicates", again.filter((x) => x._tag === "Duplicate").length, 1500)
      yield* expectEqual("readAll", (yield* s.readAll(0, 10_000)).length, 3000)
    })
  )
}

/** A parser that knows a fixed table of texts (the contract tests storage, not parsing). */
const tableParser = (table: Readonly<Record<string, ParseResult["lines"]>>): CommentParser.CommentParserService => ({
  compile: () => ({
    parse: (text) => {
      const lines = table[text]
      if (text === "取消") return { intent: "cancel", lines: [], reason: "cancel", spans: [] }
      return lines
        ? { intent: "order", lines, reason: "table", spans: [] }
        : { intent: "review", lines: [], reason: "not in the table", spans: [] }
    }
  })
})

const rebuildFromEvents: Case = {
  name: "read models rebuilt from the events alone equal the ones kept with each commit",
  run: Effect.gen(function* () {
    const storage = yield* Storage
    const parser = tableParser({
      "A+2": [{ sku: "A", qty: 2 }],
      "A+1 B+1": [
        { sku: "A", qty: 1 },
        { sku: "B", qty: 1 }
      ],
      "B+9": [{ sku: "B", qty: 9 }]
    })
    const g = yield* GroupBuy.make.pipe(
      Effect.provideService(CommentParser.CommentParser, parser),
      Effect.provideService(IdGenerator.IdGenerator, IdGenerator.makeCounter())
    )
    const spec = yield* Effect.orDie(
      Effect.fromResult(
        RoundSpec.decode({
          id: "rebuild",
          title: "rebuild",
          cutoff: "2030-01-01T00:00:00Z",
          products: [
            { sku: "A", name: "A", price: 100, stock: 3 },
            { sku: "B", name: "B", price: 50, preorder: true, cap: 5 }
          ]
        })
      )
    )
    const at = (m: number) => new Date(Date.parse("2029-12-01T00:00:00Z") + m * 60_000).toISOString()
    const comment = (id: string, who: string, text: string, m: number) => ({
      channel: "line",
      commentId: id,
      author: { id: who, name: who },
      text,
      at: at(m)
    })
    yield* g.openRound({ spec, at: at(0) })
    yield* g.submitComments({
      roundId: "rebuild",
      comments: [
        comment("1", "u1", "A+2", 1),
        comment("2", "u2", "A+1 B+1", 2),
        comment("3", "u3", "A+2", 3),
        comment("4", "u4", "hm?", 4),
        comment("5", "u2", "取消", 5),
        comment("6", "u5", "B+9", 6)
      ]
    })
    const orders = yield* g.closeRound({ roundId: "rebuild", at: at(10) })
    const first = orders.find((o) => o.status === "awaiting-payment")
    if (!first) return yield* fail("no confirmed order")
    yield* g.recordPayment({
      transactionId: "t1",
      source: "statement",
      amount: first.total,
      at: at(20),
      last5: "12345",
      orderIds: [first.orderId],
      evidence: "test"
    })
    const snapshot = Effect.all({
      orders: storage.orders({ roundId: "rebuild" }),
      review: storage.reviewQueue({ roundId: "rebuild", includeResolved: true }),
      notOrdered: storage.notOrdered({ roundId: "rebuild" }),
      stock: storage.stock({ roundId: "rebuild" }),
      buyers: Effect.forEach(["line:u1", "line:u2", "line:u3", "line:u5"], (b) => storage.buyer(b))
    })
    const before = yield* snapshot
    yield* expectEqual("orders before", before.orders.length, 3)
    yield* expectEqual("not ordered before", before.notOrdered.length, 2)
    yield* Projector.rebuildAll(5)
    yield* expectEqual("rebuilt read models", yield* snapshot, before)
  })
}

const messagesAcrossRounds: Case = {
  name: "a platform message belongs to one round for every engine on the store; file ids are per round",
  run: Effect.gen(function* () {
    const storage = yield* Storage
    const parser = tableParser({ "A+1": [{ sku: "A", qty: 1 }] })
    // Two engines (two processes, or one restarted) over the same store.
    const engine = GroupBuy.make.pipe(
      Effect.provideService(CommentParser.CommentParser, parser),
      Effect.provideService(IdGenerator.IdGenerator, IdGenerator.makeCounter())
    )
    const first = yield* engine
    const second = yield* engine
    const specOf = (id: string) =>
      Effect.orDie(
        Effect.fromResult(
          RoundSpec.decode({ id, title: id, products: [{ sku: "A", name: "A", price: 100, stock: 10 }] })
        )
      )
    const opened = "2029-12-01T00:00:00Z"
    const comment = (id: string, who: string, extra: Partial<GroupBuy.CommentInput> = {}): GroupBuy.CommentInput => ({
      channel: "line",
      commentId: id,
      author: { id: who },
      text: "A+1",
      at: "2029-12-01T01:00:00Z",
      ...extra
    })
    yield* first.openRound({ spec: yield* specOf("r1"), at: opened })
    yield* second.openRound({ spec: yield* specOf("r2"), at: opened })
    const inR1 = yield* first.submitComments({
      roundId: "r1",
      comments: [comment("m1", "u1"), comment("c1", "u1", { channel: "jsonl", idScope: "round" })]
    })
    yield* expectEqual(
      "round 1",
      inR1.map((o) => o.status),
      ["ordered", "ordered"]
    )
    const inR2 = yield* second.submitComments({
      roundId: "r2",
      comments: [
        comment("m1", "u1"),
        comment("m1", "u2"),
        comment("c1", "u2", { channel: "jsonl", idScope: "round" }),
        comment("m2", "u2")
      ]
    })
    yield* expectEqual(
      "round 2",
      inR2.map((o) => [o.status, o.reason.startsWith("already taken by round") || o.status !== "duplicate"]),
      [
        ["duplicate", true],
        ["id-conflict", true],
        ["ordered", true],
        ["ordered", true]
      ]
    )
    const orders = yield* storage.orders({ roundId: "r2" })
    yield* expectEqual(
      "round 2's orders",
      orders.map((o) => [o.buyerId, o.lines.map((l) => l.qty)]),
      [
        ["jsonl:u2", [1]],
        ["line:u2", [1]]
      ]
    )
    // Message ids name the round: file comment c1's confirmation in round 2 is not taken for round 1's.
    const messages = yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })
    yield* expectEqual(
      "every confirmation is queued once",
      messages.map((m) => [m.message.kind, m.message.to.channel, m.message.to.userId]),
      [
        ["order-confirmed", "line", "u1"],
        ["order-confirmed", "jsonl", "u1"],
        ["order-confirmed", "jsonl", "u2"],
        ["order-confirmed", "line", "u2"]
      ]
    )
  })
}

// ---------------------------------------------------------------------------------------------
// orders pagination

const ordersPages: Case = {
  name: "orders: buyer filter and keyset pagination (afterSeq, limit)",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const statuses: ReadonlyArray<OrderStatus> = ["open", "paid"]
      const views = Array.from({ length: 7 }, (_, i) =>
        upsertOrder(
          order({
            orderId: `o${i + 1}`,
            seq: i + 1,
            status: statuses[i % 2]!,
            ...(i === 2 || i === 5 ? { buyerId: "line:B" } : {})
          })
        )
      )
      yield* s.commit([
        commitOf({ appends: [], views: [...views].reverse() }),
        commitOf({
          appends: [],
          views: [upsertOrder(order({ orderId: "x1", roundId: "r2", seq: 1, buyerId: "line:B" }))]
        })
      ])
      yield* expectEqual("first page", ids(yield* s.orders({ roundId: "r1", limit: 3 })), ["o1", "o2", "o3"])
      yield* expectEqual("next page", ids(yield* s.orders({ roundId: "r1", afterSeq: 3, limit: 3 })), [
        "o4",
        "o5",
        "o6"
      ])
      yield* expectEqual("last page", ids(yield* s.orders({ roundId: "r1", afterSeq: 6, limit: 3 })), ["o7"])
      yield* expectEqual("past the end", ids(yield* s.orders({ roundId: "r1", afterSeq: 7, limit: 3 })), [])
      yield* expectEqual("afterSeq without limit", ids(yield* s.orders({ roundId: "r1", afterSeq: 5 })), ["o6", "o7"])
      yield* expectEqual(
        "status and page",
        ids(yield* s.orders({ roundId: "r1", status: ["paid"], afterSeq: 2, limit: 2 })),
        ["o4", "o6"]
      )
      yield* expectEqual(
        "several statuses and page",
        ids(yield* s.orders({ roundId: "r1", status: ["open", "paid", "cancelled"], afterSeq: 1, limit: 3 })),
        ["o2", "o3", "o4"]
      )
      yield* expectEqual("one buyer", ids(yield* s.orders({ roundId: "r1", buyerId: "line:B" })), ["o3", "o6"])
      yield* expectEqual(
        "one buyer, next page",
        ids(yield* s.orders({ roundId: "r1", buyerId: "line:B", afterSeq: 3, limit: 5 })),
        ["o6"]
      )
      yield* expectEqual("an unknown buyer", ids(yield* s.orders({ roundId: "r1", buyerId: "line:none" })), [])
      yield* expectEqual("limit 0", ids(yield* s.orders({ roundId: "r1", limit: 0 })), [])
      yield* expectEqual(
        "a page is a whole order view",
        (yield* s.orders({ roundId: "r1", limit: 1 }))[0],
        order({ orderId: "o1", seq: 1 })
      )
    })
  )
}

// ---------------------------------------------------------------------------------------------
// outbox dead letters

const outboxDeadLetters: Case = {
  name: "outbox: a dead-lettered message is never claimed until retried (attempts reset)",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([commitOf({ appends: [], outbox: [message("m1"), message("m2"), message("m3"), message("m4")] })])
      const first = yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })
      yield* expectEqual("all claimed", first.length, 4)
      yield* s.ackOutbox(["m1"])
      yield* s.deadLetterOutbox("m2", "rejected: blocked by the user")
      yield* s.deadLetterOutbox("m4", "gave up after 5 attempts")
      yield* s.deadLetterOutbox("m1", "a sent message is left alone")
      yield* s.deadLetterOutbox("unknown", "an unknown message is ignored")
      yield* s.failOutbox("m2", "a dead letter's failure changes nothing", 0)
      yield* s.failOutbox("m3", "down", 0)
      yield* s.failOutbox("m4", "down", 0)
      yield* expectEqual(
        "only the live message is claimed",
        (yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })).map((e) => [e.message.id, e.attempts]),
        [["m3", 2]]
      )
      const dead = yield* s.deadLetters({})
      yield* expectEqual(
        "dead letters, oldest first",
        dead.map((d) => [d.message.id, d.attempts]),
        [
          ["m2", 1],
          ["m4", 1]
        ]
      )
      yield* expectEqual("a dead letter keeps its message", dead[0]!.message, message("m2"))
      yield* expectEqual(
        "a dead letter keeps the error it was set aside with",
        dead.map((d) => d.error),
        ["rejected: blocked by the user", "gave up after 5 attempts"]
      )
      yield* expectEqual(
        "limit",
        (yield* s.deadLetters({ limit: 1 })).map((d) => d.message.id),
        ["m2"]
      )
      yield* expectEqual(
        "retry counts the dead letters it revived",
        yield* s.retryDeadLetters(["m2", "m3", "unknown"]),
        1
      )
      yield* expectEqual(
        "left dead",
        (yield* s.deadLetters({})).map((d) => d.message.id),
        ["m4"]
      )
      yield* expectEqual(
        "a retried message is claimable, its attempts reset",
        (yield* s.claimOutbox({ limit: 10, leaseMs: 60_000 })).map((e) => [e.message.id, e.attempts]),
        [["m2", 1]]
      )
      yield* expectEqual("retrying twice revives nothing", yield* s.retryDeadLetters(["m2"]), 0)
    })
  )
}

// ---------------------------------------------------------------------------------------------
// scheduled jobs (time is the `now` the caller passes: no waiting)

const T = (hhmmss: string) => `2024-05-01T${hhmmss}.000Z`
const job = (id: string, dueAt: string, payload: unknown = { id }, kind = "remind"): ScheduledJob => ({
  id,
  kind,
  dueAt,
  payload
})
const scheduleCommit = (jobs: ReadonlyArray<ScheduledJob>, extra: Partial<Commit> = {}) =>
  commitOf({ appends: [], schedule: jobs, ...extra })
const jobIds = (xs: ReadonlyArray<{ readonly id: string }>) => xs.map((x) => x.id)
const jobOf = (s: StorageService, id: string) => Effect.map(s.jobs({}), (all) => all.find((j) => j.id === id))

const jobsFlow: Case = {
  name: "jobs: scheduled with a commit, claimed when due (oldest first), completed, listed",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        commitOf({
          appends: [{ stream: "round:r1", expectedVersion: 0, events: [ev("RoundCreated")] }],
          schedule: [
            job("cutoff:r1", "2024-05-01T18:00:00+08:00", { roundId: "r1" }, "cutoff"),
            job("remind:1", T("10:30:00"), { n: 1 })
          ]
        }),
        scheduleCommit([job("remind:0", T("09:00:00"), { n: 0 })])
      ])
      yield* expectEqual(
        "nothing due yet",
        yield* s.claimJobs({ now: T("08:59:59"), limit: 10, leaseMs: 86_400_000 }),
        []
      )
      const a = yield* s.claimJobs({ now: T("09:30:00"), limit: 10, leaseMs: 86_400_000 })
      yield* expectEqual(
        "the due job",
        a.map((j) => [j.id, j.kind, j.dueAt, j.payload, j.attempts]),
        [["remind:0", "remind", T("09:00:00"), { n: 0 }, 1]]
      )
      yield* expectTrue("a claim token", typeof a[0]!.claim === "string" && a[0]!.claim.length > 0)
      const b = yield* s.claimJobs({ now: T("11:00:00"), limit: 1, leaseMs: 86_400_000 })
      yield* expectEqual(
        "oldest due first (a due time with an offset compares as an instant), at most limit",
        jobIds(b),
        ["cutoff:r1"]
      )
      yield* expectEqual(
        "the rest",
        jobIds(yield* s.claimJobs({ now: T("11:00:00"), limit: 10, leaseMs: 86_400_000 })),
        ["remind:1"]
      )
      yield* expectEqual(
        "leased jobs are not claimed again",
        yield* s.claimJobs({ now: T("11:00:00"), limit: 10, leaseMs: 86_400_000 }),
        []
      )
      yield* expectEqual("complete with the claim", yield* s.completeJob("remind:0", a[0]!.claim), true)
      yield* expectEqual("complete twice", yield* s.completeJob("remind:0", a[0]!.claim), false)
      yield* expectEqual("complete with another claim", yield* s.completeJob("cutoff:r1", a[0]!.claim), false)
      yield* expectEqual("complete an unknown job", yield* s.completeJob("none", a[0]!.claim), false)
      const all = yield* s.jobs({})
      yield* expectEqual(
        "listed newest due first",
        all.map((j) => [j.id, j.status, j.attempts]),
        [
          ["remind:1", "running", 1],
          ["cutoff:r1", "running", 1],
          ["remind:0", "done", 1]
        ]
      )
      yield* expectEqual(
        "a listed job keeps its due time and payload",
        [all[1]!.dueAt, all[1]!.payload],
        ["2024-05-01T18:00:00+08:00", { roundId: "r1" }]
      )
      yield* expectEqual("by status", jobIds(yield* s.jobs({ status: ["done"] })), ["remind:0"])
      yield* expectEqual("by kind", jobIds(yield* s.jobs({ kind: "remind" })), ["remind:1", "remind:0"])
      yield* expectEqual(
        "by kind and status",
        jobIds(yield* s.jobs({ kind: "remind", status: ["running", "pending"] })),
        ["remind:1"]
      )
      yield* expectEqual("limit", jobIds(yield* s.jobs({ limit: 1 })), ["remind:1"])
      yield* expectEqual(
        "done jobs are never claimed",
        yield* s
          .claimJobs({ now: T("23:00:00"), limit: 10, leaseMs: 1000 })
          .pipe(Effect.map((js) => jobIds(js).includes("remind:0"))),
        false
      )
    })
  )
}

const jobsLease: Case = {
  name: "jobs: an expired lease is claimed again under a new claim; the old claim is lost",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([scheduleCommit([job("j1", T("10:00:00"))])])
      const a = yield* s.claimJobs({ now: T("10:00:00"), limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "first claim",
        a.map((j) => [j.id, j.attempts]),
        [["j1", 1]]
      )
      yield* expectEqual("within the lease", yield* s.claimJobs({ now: T("10:00:59"), limit: 10, leaseMs: 60_000 }), [])
      const b = yield* s.claimJobs({ now: T("10:01:00"), limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "after the lease (a dead worker's job)",
        b.map((j) => [j.id, j.attempts]),
        [["j1", 2]]
      )
      yield* expectTrue("a fresh claim token", b[0]!.claim !== a[0]!.claim)
      yield* expectEqual("the lost claim cannot complete", yield* s.completeJob("j1", a[0]!.claim), false)
      yield* expectEqual("nor fail", yield* s.failJob("j1", a[0]!.claim, "late", undefined), false)
      yield* expectEqual("the job is still running", (yield* jobOf(s, "j1"))?.status, "running")
      yield* expectEqual("the new claim completes", yield* s.completeJob("j1", b[0]!.claim), true)
      const done = yield* jobOf(s, "j1")
      yield* expectEqual("done after two attempts", [done?.status, done?.attempts], ["done", 2])
    })
  )
}

const jobsFailure: Case = {
  name: "jobs: failJob retries at retryAt, or fails for good",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([scheduleCommit([job("j1", T("10:00:00"))])])
      const a = yield* s.claimJobs({ now: T("10:00:00"), limit: 10, leaseMs: 60_000 })
      yield* expectEqual("fail with a retry", yield* s.failJob("j1", a[0]!.claim, "gateway down", T("11:00:00")), true)
      const retrying = yield* jobOf(s, "j1")
      yield* expectEqual(
        "pending again at retryAt, the error kept",
        [retrying?.status, retrying?.dueAt, retrying?.attempts, retrying?.lastError],
        ["pending", T("11:00:00"), 1, "gateway down"]
      )
      yield* expectEqual(
        "not before retryAt",
        yield* s.claimJobs({ now: T("10:59:59"), limit: 10, leaseMs: 60_000 }),
        []
      )
      const b = yield* s.claimJobs({ now: T("11:00:00"), limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "second attempt",
        b.map((j) => j.attempts),
        [2]
      )
      yield* expectEqual("the first claim is spent", yield* s.failJob("j1", a[0]!.claim, "x", undefined), false)
      yield* expectEqual("fail for good", yield* s.failJob("j1", b[0]!.claim, "bad payload", undefined), true)
      const failed = yield* jobOf(s, "j1")
      yield* expectEqual("failed", [failed?.status, failed?.attempts, failed?.lastError], ["failed", 2, "bad payload"])
      yield* expectEqual(
        "a failed job is not claimed",
        yield* s.claimJobs({ now: T("23:00:00"), limit: 10, leaseMs: 60_000 }),
        []
      )
      yield* s.commit([scheduleCommit([job("j1", T("12:00:00"), { again: true })])])
      const again = yield* s.claimJobs({ now: T("12:00:00"), limit: 10, leaseMs: 60_000 })
      yield* expectEqual(
        "scheduling a failed job again starts it afresh",
        again.map((j) => [j.attempts, j.payload]),
        [[1, { again: true }]]
      )
    })
  )
}

const jobsReschedule: Case = {
  name: "jobs: rescheduling replaces a pending job, leaves done and cancelled ones; unschedule cancels; only with the commit",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([scheduleCommit([job("j1", T("10:00:00"), { v: 1 })])])
      yield* s.commit([scheduleCommit([job("j1", T("11:00:00"), { v: 2 })])])
      yield* expectEqual(
        "the old due time is gone",
        yield* s.claimJobs({ now: T("10:30:00"), limit: 10, leaseMs: 60_000 }),
        []
      )
      const j1 = yield* jobOf(s, "j1")
      yield* expectEqual("replaced", [j1?.status, j1?.dueAt, j1?.payload], ["pending", T("11:00:00"), { v: 2 }])
      yield* s.commit([commitOf({ appends: [], unschedule: ["j1", "unknown"] })])
      yield* expectEqual("cancelled", (yield* jobOf(s, "j1"))?.status, "cancelled")
      yield* s.commit([scheduleCommit([job("j1", T("12:00:00"), { v: 3 })])])
      const cancelled = yield* jobOf(s, "j1")
      yield* expectEqual(
        "a cancelled job is left alone",
        [cancelled?.status, cancelled?.payload],
        ["cancelled", { v: 2 }]
      )
      yield* expectEqual(
        "and never claimed",
        yield* s.claimJobs({ now: T("23:00:00"), limit: 10, leaseMs: 60_000 }),
        []
      )

      yield* s.commit([scheduleCommit([job("j2", T("10:00:00"))])])
      const c2 = yield* s.claimJobs({ now: T("10:00:00"), limit: 10, leaseMs: 60_000 })
      yield* s.completeJob("j2", c2[0]!.claim)
      yield* s.commit([scheduleCommit([job("j2", T("13:00:00"))])])
      yield* expectEqual("a done job is left alone", (yield* jobOf(s, "j2"))?.status, "done")

      yield* s.commit([scheduleCommit([job("j3", T("10:00:00"))])])
      const c3 = yield* s.claimJobs({ now: T("10:00:00"), limit: 10, leaseMs: 3_600_000 })
      yield* s.commit([scheduleCommit([job("j3", T("14:00:00"), { v: "next" })])])
      yield* expectEqual(
        "a running job scheduled again is pending at the new time",
        (yield* jobOf(s, "j3"))?.status,
        "pending"
      )
      yield* expectEqual("its running claim is lost", yield* s.completeJob("j3", c3[0]!.claim), false)
      yield* expectEqual(
        "claimed at the new time",
        (yield* s.claimJobs({ now: T("14:00:00"), limit: 10, leaseMs: 60_000 })).map((j) => [j.id, j.payload]),
        [["j3", { v: "next" }]]
      )

      yield* s.commit([
        commitOf({ appends: [], unschedule: ["j4"], schedule: [job("j4", T("15:00:00"))] }),
        scheduleCommit([job("j5", T("15:00:00"))], { idempotencyKey: "k" }),
        scheduleCommit([job("j6", T("15:00:00"))], { idempotencyKey: "k" })
      ])
      yield* expectEqual("unschedule applies before schedule in one commit", (yield* jobOf(s, "j4"))?.status, "pending")
      yield* expectEqual("a duplicate commit schedules nothing", yield* jobOf(s, "j6"), undefined)
      yield* expectConflict(
        "a conflicting batch",
        s.commit([
          scheduleCommit([job("j7", T("15:00:00"))]),
          commitOf({ appends: [{ stream: "s", expectedVersion: 5, events: [ev("X")] }] })
        ])
      )
      yield* expectEqual("a failed commit schedules nothing", yield* jobOf(s, "j7"), undefined)
    })
  )
}

const jobsConcurrentClaims: Case = {
  name: "jobs: concurrent claimers never hold the same job",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const total = 40
      yield* s.commit([
        scheduleCommit(Array.from({ length: total }, (_, i) => job(`j${String(i).padStart(2, "0")}`, T("10:00:00"))))
      ])
      const worker = Effect.gen(function* () {
        const got: Array<string> = []
        for (let round = 0; round < 30; round++) {
          const batch = yield* s.claimJobs({ now: T("10:00:00"), limit: 3, leaseMs: 60_000 })
          for (const j of batch) got.push(j.id)
          if (batch.length === 0) break
        }
        return got
      })
      const all = (yield* Effect.all([worker, worker, worker, worker], { concurrency: "unbounded" })).flat()
      yield* expectEqual("every job claimed exactly once", [...new Set(all)].length, all.length)
      yield* expectEqual("all jobs claimed", all.length, total)
    })
  )
}

// ---------------------------------------------------------------------------------------------
// read models (the built-in ones, by default on every store)

const tAt = (hh: number) => `2024-05-01T${String(hh).padStart(2, "0")}:00:00.000Z`
const event = (type: string, data: Record<string, unknown>, hh = 10): NewEvent => ({
  type,
  data: { _tag: type, ...data },
  at: tAt(hh)
})
const append = (stream: string, expectedVersion: number, events: ReadonlyArray<NewEvent>) =>
  commitOf({ appends: [{ stream, expectedVersion, events }] })
const comment = (buyer: string, seq: number) => ({
  commentId: `line:c${seq}`,
  buyerId: `line:${buyer}`,
  buyer: { id: buyer },
  text: "+1",
  at: tAt(10),
  seq
})

const readModelsRegistered: Case = {
  name: "read models: a store runs the built-in ones by default",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const listed = yield* s.readModels()
      yield* expectEqual(
        "registered",
        listed.map((m) => [m.name, m.version, m.mode, m.position]),
        ReadModels.builtIn.map((d) => [d.name, d.version, d.mode, 0])
      )
      yield* expectEqual("no documents yet", yield* s.documents({ model: "rounds", limit: 10 }), [])
      yield* expectTrue("an unknown model fails", Result.isFailure(yield* Effect.result(s.document("nope", "x"))))
      yield* expectTrue(
        "listing an unknown model fails",
        Result.isFailure(yield* Effect.result(s.documents({ model: "nope", limit: 1 })))
      )
      yield* expectTrue("rebuilding an unknown model fails", Result.isFailure(yield* Effect.result(s.rebuild("nope"))))
    })
  )
}

const roundsInline: Case = {
  name: "read models: rounds is changed inline, in the commit of its events",
  run: withStorage((s) =>
    Effect.gen(function* () {
      const spec = { id: "r1", title: "Socks", cutoff: "2024-05-02T12:00:00+08:00" }
      yield* s.commit([append("round:r1", 0, [event("RoundCreated", { spec, at: tAt(9) }, 9)])])
      const created = {
        roundId: "r1",
        title: "Socks",
        status: "draft",
        createdAt: tAt(9),
        cutoff: spec.cutoff,
        orders: 0,
        total: 0
      }
      yield* expectEqual("created, right after the commit", yield* s.document("rounds", "r1"), created)
      yield* s.commit([
        append("round:r1", 1, [event("RoundOpened", { at: tAt(10) })]),
        append("round:r2", 0, [event("RoundCreated", { spec: { id: "r2", title: "Hats" }, at: tAt(11) }, 11)])
      ])
      yield* s.commit([
        append("round:r1", 2, [
          event("LinesOrdered", {
            ...comment("U1", 1),
            orderId: "o1",
            newOrder: true,
            lines: [{ sku: "A", qty: 2, unitPrice: 100 }]
          })
        ])
      ])
      const opened = { ...created, status: "open", openedAt: tAt(10) }
      yield* expectEqual("opened; a comment changes nothing", yield* s.document("rounds", "r1"), opened)
      const typed = yield* ReadModels.get(ReadModels.Rounds.definition, "r1").pipe(Effect.provideService(Storage, s))
      yield* expectEqual("ReadModels.get decodes", typed, opened)
      const open = yield* ReadModels.list(ReadModels.Rounds.definition, { key: { k: "k1", value: "open" } }).pipe(
        Effect.provideService(Storage, s)
      )
      yield* expectEqual(
        "listed by status (k1)",
        open.map((r) => r.id),
        ["r1"]
      )
      yield* expectEqual(
        "all, in id order",
        (yield* s.documents({ model: "rounds", limit: 10 })).map((d) => d.id),
        ["r1", "r2"]
      )
      yield* expectConflict(
        "a failing batch",
        s.commit([
          append("round:r3", 0, [event("RoundCreated", { spec: { id: "r3", title: "Gloves" }, at: tAt(12) }, 12)]),
          append("round:r1", 0, [event("RoundClosed", { at: tAt(12), reason: "manual" })])
        ])
      )
      yield* expectEqual("a failed commit changes no document", yield* s.document("rounds", "r3"), undefined)
      yield* s.commit([
        append("round:r1", 3, [event("RoundClosed", { at: tAt(13), reason: "cutoff" }, 13)]),
        append("order:o1", 0, [
          event(
            "OrderConfirmed",
            {
              orderId: "o1",
              roundId: "r1",
              buyerId: "line:U1",
              buyer: { id: "U1" },
              lines: [{ sku: "A", qty: 2, unitPrice: 100 }],
              total: 200,
              at: tAt(13)
            },
            13
          )
        ]),
        append("order:o2", 0, [
          event(
            "OrderConfirmed",
            {
              orderId: "o2",
              roundId: "r1",
              buyerId: "line:U2",
              buyer: { id: "U2" },
              lines: [{ sku: "A", qty: 1, unitPrice: 100 }],
              total: 100,
              at: tAt(13)
            },
            13
          )
        ])
      ])
      yield* s.commit([append("round:r1", 4, [event("RoundSettled", { at: tAt(15) }, 15)])])
      yield* expectEqual("closed with its confirmed orders, then settled", yield* s.document("rounds", "r1"), {
        ...opened,
        status: "settled",
        closedAt: tAt(13),
        settledAt: tAt(15),
        orders: 2,
        total: 300
      })
      const status = (yield* s.readModels()).find((m) => m.name === "rounds")
      yield* expectEqual("an inline model is at the latest position", status?.position, 8)
      yield* expectEqual("catching up an inline model applies nothing", yield* s.catchUp("rounds"), 0)
    })
  )
}

/** Every document of a model, as stored. */
const allDocuments = (s: StorageService, model: string) => s.documents({ model, limit: 10_000 })

const buyerHistoryCatchUp: Case = {
  name: "read models: buyer-history catches up from its checkpoint; rebuild gives the same documents",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        append("round:r1", 0, [
          event(
            "LinesOrdered",
            { ...comment("U1", 1), orderId: "o1", newOrder: true, lines: [{ sku: "A", qty: 2, unitPrice: 100 }] },
            10
          ),
          event(
            "LinesOrdered",
            { ...comment("U2", 2), orderId: "o2", newOrder: true, lines: [{ sku: "A", qty: 1, unitPrice: 100 }] },
            10
          ),
          event("CommentIgnored", { ...comment("U3", 3), reason: "chatter" }, 10),
          event(
            "LinesSet",
            { ...comment("U1", 4), orderId: "o1", lines: [{ sku: "A", from: 2, to: 3, unitPrice: 100 }] },
            11
          ),
          event("OrderWithdrawn", { ...comment("U2", 5), orderId: "o2" }, 11)
        ])
      ])
      yield* expectEqual("not there before catching up", yield* s.document("buyer-history", "line:U1"), undefined)
      yield* expectEqual("catchUp reports the events it read", yield* s.catchUp(), 4)
      const u1 = (yield* s.document("buyer-history", "line:U1")) as Record<string, unknown> | undefined
      yield* expectEqual(
        "while the round is open",
        u1 && [u1.rounds, u1.orders, u1.units, u1.spend, u1.firstOrderAt, u1.lastOrderAt],
        [["r1"], 1, 3, 300, tAt(10), tAt(10)]
      )
      yield* expectEqual(
        "a withdrawn order leaves no history",
        yield* s.document("buyer-history", "line:U2"),
        undefined
      )
      yield* expectEqual("checkpoint", (yield* s.readModels()).find((m) => m.name === "buyer-history")?.position, 5)
      yield* expectEqual("caught up", yield* s.catchUp("buyer-history"), 0)
      yield* s.commit([
        append("order:o1", 0, [
          event(
            "OrderConfirmed",
            {
              orderId: "o1",
              roundId: "r1",
              buyerId: "line:U1",
              buyer: { id: "U1" },
              lines: [{ sku: "A", qty: 3, unitPrice: 100 }],
              total: 300,
              placedAt: tAt(10),
              at: tAt(12)
            },
            12
          )
        ]),
        append("round:r2", 0, [
          event(
            "LinesOrdered",
            { ...comment("U1", 1), orderId: "o3", newOrder: true, lines: [{ sku: "B", qty: 1, unitPrice: 50 }] },
            14
          )
        ])
      ])
      yield* expectEqual("only the new events", yield* s.catchUp("buyer-history"), 2)
      const later = (yield* ReadModels.get(ReadModels.BuyerHistory.definition, "line:U1").pipe(
        Effect.provideService(Storage, s)
      ))!
      yield* expectEqual(
        "across rounds; the confirmed order counted once",
        [later.rounds, later.orders, later.units, later.spend, later.firstOrderAt, later.lastOrderAt],
        [["r1", "r2"], 2, 4, 350, tAt(10), tAt(14)]
      )
      yield* expectEqual(
        "listed by channel (k1)",
        (yield* s.documents({ model: "buyer-history", key: { k: "k1", value: "line" }, limit: 10 })).map((d) => d.id),
        ["line:U1"]
      )
      const before = { rounds: yield* allDocuments(s, "rounds"), history: yield* allDocuments(s, "buyer-history") }
      yield* s.rebuild("buyer-history")
      yield* s.rebuild("rounds")
      yield* expectEqual("rebuilt buyer-history", yield* allDocuments(s, "buyer-history"), before.history)
      yield* expectEqual("rebuilt rounds", yield* allDocuments(s, "rounds"), before.rounds)
      yield* expectEqual(
        "rebuilt to the latest position",
        (yield* s.readModels()).find((m) => m.name === "buyer-history")?.position,
        7
      )
      yield* expectEqual("nothing to catch up after a rebuild", yield* s.catchUp("buyer-history"), 0)
    })
  )
}

const confirmedEvent = (orderId: string, buyer: string, total: number, hh: number) =>
  event(
    "OrderConfirmed",
    {
      orderId,
      roundId: "r1",
      buyerId: `line:${buyer}`,
      buyer: { id: buyer },
      lines: [{ sku: "A", qty: total / 100, unitPrice: 100 }],
      total,
      placedAt: tAt(10),
      at: tAt(hh)
    },
    hh
  )

const endedAfterClose: Case = {
  name: "read models: an order cancelled or refunded after the close leaves the rounds list and the buyer's history; older events without their round and buyer change nothing; rebuilt the same",
  run: withStorage((s) =>
    Effect.gen(function* () {
      yield* s.commit([
        append("round:r1", 0, [event("RoundCreated", { spec: { id: "r1", title: "T", products: [] } }, 9)]),
        append("order:o1", 0, [confirmedEvent("o1", "U1", 300, 12)]),
        append("order:o2", 0, [confirmedEvent("o2", "U2", 200, 12)]),
        append("order:o3", 0, [confirmedEvent("o3", "U1", 100, 12)]),
        append("order:o4", 0, [confirmedEvent("o4", "U3", 400, 12)])
      ])
      const round = () => s.document("rounds", "r1") as Effect.Effect<Record<string, unknown> | undefined, StorageError>
      const history = (buyer: string) =>
        Effect.andThen(s.catchUp("buyer-history"), s.document("buyer-history", `line:${buyer}`)) as Effect.Effect<
          Record<string, unknown> | undefined,
          StorageError
        >
      const counts = (d: Record<string, unknown> | undefined) => d && [d.orders, d.total ?? d.spend]
      yield* expectEqual("four orders confirmed", counts(yield* round()), [4, 1000])
      yield* expectEqual("U1's two orders", counts(yield* history("U1")), [2, 400])
      yield* s.commit([
        append("order:o2", 1, [
          event("OrderCancelled", { reason: "buyer-cancelled", roundId: "r1", buyerId: "line:U2", total: 200 }, 13)
        ]),
        append("order:o1", 1, [
          event("PaymentApplied", { paymentId: "p1", amount: 300 }, 13),
          event(
            "OrderRefunded",
            { amount: 300, reason: "out of stock", roundId: "r1", buyerId: "line:U1", total: 300 },
            14
          )
        ]),
        // An event recorded before cancellations named their round and buyer: it cannot be placed.
        append("order:o4", 1, [event("OrderCancelled", { reason: "buyer-cancelled" }, 14)])
      ])
      yield* expectEqual("the rounds list, inline: less o1 and o2", counts(yield* round()), [2, 500])
      const u1 = yield* history("U1")
      yield* expectEqual("U1: o3 still counts, o1 does not", counts(u1), [1, 100])
      yield* expectEqual(
        "U1's refunded order is kept, marked",
        (u1?.entries as ReadonlyArray<Record<string, unknown>> | undefined)?.map((x) => [x.orderId, x.ended]),
        [
          ["o1", "refunded"],
          ["o3", undefined]
        ]
      )
      const u2 = yield* history("U2")
      yield* expectEqual("U2: nothing counts; no rounds", u2 && [u2.orders, u2.spend, u2.rounds], [0, 0, []])
      yield* expectEqual("U3's old-shape cancellation changes nothing", counts(yield* history("U3")), [1, 400])
      const before = { rounds: yield* allDocuments(s, "rounds"), history: yield* allDocuments(s, "buyer-history") }
      yield* s.rebuild("rounds")
      yield* s.rebuild("buyer-history")
      yield* expectEqual(
        "rebuilt from the events: the same documents",
        { rounds: yield* allDocuments(s, "rounds"), history: yield* allDocuments(s, "buyer-history") },
        before
      )
    })
  )
}

const readModelsFromGroupBuy: Case = {
  name: "read models: a real round's comments and cutoff give rounds and buyer-history documents that agree with its orders",
  run: Effect.gen(function* () {
    const storage = yield* Storage
    const parser = tableParser({
      "A+2": [{ sku: "A", qty: 2 }],
      "A+1 B+1": [
        { sku: "A", qty: 1 },
        { sku: "B", qty: 1 }
      ],
      "B+3": [{ sku: "B", qty: 3 }]
    })
    const g = yield* GroupBuy.make.pipe(
      Effect.provideService(CommentParser.CommentParser, parser),
      Effect.provideService(IdGenerator.IdGenerator, IdGenerator.makeCounter())
    )
    const spec = yield* Effect.orDie(
      Effect.fromResult(
        RoundSpec.decode({
          id: "rm",
          title: "Read models",
          cutoff: "2030-01-01T00:00:00Z",
          products: [
            { sku: "A", name: "A", price: 100, stock: 10 },
            { sku: "B", name: "B", price: 50, preorder: true, cap: 20 }
          ]
        })
      )
    )
    const at = (m: number) => new Date(Date.parse("2029-12-01T00:00:00Z") + m * 60_000).toISOString()
    const comment = (id: string, who: string, text: string, m: number) => ({
      channel: "line",
      commentId: id,
      author: { id: who, name: who },
      text,
      at: at(m)
    })
    yield* g.openRound({ spec, at: at(0) })
    yield* g.submitComments({
      roundId: "rm",
      comments: [
        comment("1", "u1", "A+2", 1),
        comment("2", "u2", "A+1 B+1", 2),
        comment("3", "u3", "B+3", 3),
        comment("4", "u1", "B+3", 4),
        comment("5", "u2", "取消", 5),
        comment("6", "u4", "hm?", 6)
      ]
    })
    const get = <Doc>(d: ReadModels.Definition<Doc>, id: string) =>
      ReadModels.get(d, id).pipe(Effect.provideService(Storage, storage))
    const round = yield* get(ReadModels.Rounds.definition, "rm")
    yield* expectEqual(
      "an open round",
      round && [round.title, round.status, round.openedAt, round.cutoff, round.orders],
      ["Read models", "open", at(0), "2030-01-01T00:00:00Z", 0]
    )
    /** Each buyer's history against their orders in the order view. */
    const agree = (what: string, live: ReadonlyArray<OrderView>, everyone: ReadonlyArray<OrderView> = live) =>
      Effect.gen(function* () {
        yield* storage.catchUp()
        const buyers = new Set(everyone.map((o) => o.buyerId))
        for (const b of buyers) {
          const mine = live.filter((o) => o.buyerId === b && o.lines.some((l) => l.qty > 0))
          const h = yield* get(ReadModels.BuyerHistory.definition, b)
          const expected =
            mine.length === 0
              ? [0, 0, 0]
              : [
                  mine.length,
                  mine.reduce((n, o) => n + o.lines.reduce((u, l) => u + l.qty, 0), 0),
                  mine.reduce((n, o) => n + o.lines.reduce((u, l) => u + l.qty * l.unitPrice, 0), 0)
                ]
          yield* expectEqual(
            `${what}: ${b}'s orders, units and spend`,
            h ? [h.orders, h.units, h.spend] : [0, 0, 0],
            expected
          )
        }
      })
    yield* agree("open", yield* storage.orders({ roundId: "rm" }))
    yield* g.closeRound({ roundId: "rm", at: at(10) })
    const confirmed = yield* storage.orders({ roundId: "rm", status: ["awaiting-payment"] })
    yield* expectTrue("some orders confirmed", confirmed.length > 0)
    yield* agree("closed", confirmed)
    const closed = yield* get(ReadModels.Rounds.definition, "rm")
    yield* expectEqual(
      "a closed round counts its confirmed orders",
      closed && [closed.status, closed.closedAt, closed.orders, closed.total],
      ["closed", at(10), confirmed.length, confirmed.reduce((n, o) => n + o.total, 0)]
    )
    // After the close: one order cancelled, one paid and refunded; both leave the numbers.
    yield* expectTrue("at least two orders confirmed", confirmed.length >= 2)
    const [cancelled, refunded] = confirmed
    yield* g.cancelOrder({ orderId: cancelled!.orderId, reason: "buyer-cancelled", at: at(11) })
    yield* g.recordPayment({
      source: "statement",
      transactionId: "t1",
      amount: refunded!.total,
      at: at(12),
      orderIds: [refunded!.orderId],
      evidence: "the whole amount"
    })
    yield* g.refundOrder({ orderId: refunded!.orderId, reason: "out of stock", at: at(13) })
    const all = yield* storage.orders({ roundId: "rm" })
    const standing = all.filter((o) => o.status !== "cancelled" && o.status !== "refunded")
    yield* expectEqual(
      "the two orders ended",
      [cancelled!.orderId, refunded!.orderId].map((id) => all.find((o) => o.orderId === id)?.status),
      ["cancelled", "refunded"]
    )
    yield* agree("cancelled and refunded after the close", standing, all)
    const after = yield* get(ReadModels.Rounds.definition, "rm")
    yield* expectEqual("the round counts only the orders still standing", after && [after.orders, after.total], [
      standing.length,
      standing.reduce((n, o) => n + o.total, 0)
    ])
    const before = {
      rounds: yield* allDocuments(storage, "rounds"),
      history: yield* allDocuments(storage, "buyer-history")
    }
    yield* storage.rebuild("rounds")
    yield* storage.rebuild("buyer-history")
    yield* expectEqual(
      "rebuilt the same",
      { rounds: yield* allDocuments(storage, "rounds"), history: yield* allDocuments(storage, "buyer-history") },
      before
    )
  })
}

// ---------------------------------------------------------------------------------------------
// read models an embedder registers; cases that reopen a store

/**
 * Opens a Storage over one database with these read models. Every call of one `Open` opens the
 * same data (the same file, tables or `Storage.MemoryDatabase`): a restart.
 */
export type Open = (options: {
  readonly readModels: ReadonlyArray<ReadModels.Definition<any>>
}) => Effect.Effect<StorageService, unknown, Scope.Scope>

/** A contract case that opens (and reopens) its store itself. */
export interface ReopenCase {
  readonly name: string
  readonly run: (open: Open) => Effect.Effect<void, unknown, Scope.Scope>
}

/** A test model: per stream, the number of `Tick`s times `step`; `Reset` deletes the document. */
const Ticks = Schema.Struct({ stream: Schema.String, ticks: Schema.FiniteFromString })
const ticks = (
  name: string,
  options: { readonly version?: number; readonly mode?: "inline" | "catch-up"; readonly step?: number } = {}
): ReadModels.Definition<typeof Ticks.Type> => ({
  name,
  version: options.version ?? 1,
  mode: options.mode ?? "inline",
  document: Ticks,
  eventTypes: ["Tick", "Reset"],
  documentIds: (e) => [e.stream],
  evolve: (doc, e) =>
    e.type === "Reset" ? undefined : { stream: e.stream, ticks: (doc?.ticks ?? 0) + (options.step ?? 1) },
  keys: (doc) => ({ k1: doc.stream.slice(0, doc.stream.indexOf(":")), k2: doc.ticks % 2 === 0 ? "even" : "odd" })
})
const tick = (stream: string, expectedVersion: number, n = 1) =>
  commitOf({ appends: [{ stream, expectedVersion, events: Array.from({ length: n }, () => ev("Tick")) }] })

const customInline: ReopenCase = {
  name: "read models: a registered model runs inline, stores its encoded documents, lists them by key and page",
  run: (open) =>
    Effect.gen(function* () {
      const s = yield* open({ readModels: [...ReadModels.builtIn, ticks("ticks")] })
      yield* expectEqual(
        "registered after the built-in ones",
        (yield* s.readModels()).map((m) => m.name),
        [...ReadModels.builtIn.map((d) => d.name), "ticks"]
      )
      yield* s.commit([tick("a:1", 0, 2), tick("a:2", 0), tick("b:1", 0)])
      yield* s.commit([commitOf({ appends: [{ stream: "a:3", expectedVersion: 0, events: [ev("Other")] }] })])
      yield* expectEqual("stored encoded", yield* s.document("ticks", "a:1"), { stream: "a:1", ticks: "2" })
      yield* expectEqual(
        "ReadModels.get decodes with the schema",
        yield* ReadModels.get(ticks("ticks"), "a:1").pipe(Effect.provideService(Storage, s)),
        { stream: "a:1", ticks: 2 }
      )
      yield* expectEqual("an event it does not read makes no document", yield* s.document("ticks", "a:3"), undefined)
      const page = (q: Omit<Parameters<StorageService["documents"]>[0], "model">) =>
        Effect.map(s.documents({ model: "ticks", ...q }), (rows) => rows.map((r) => r.id))
      yield* expectEqual("all, in id order", yield* page({ limit: 10 }), ["a:1", "a:2", "b:1"])
      yield* expectEqual("by k1", yield* page({ key: { k: "k1", value: "a" }, limit: 10 }), ["a:1", "a:2"])
      yield* expectEqual("by k1, next page", yield* page({ key: { k: "k1", value: "a" }, after: "a:1", limit: 1 }), [
        "a:2"
      ])
      yield* expectEqual("by k2", yield* page({ key: { k: "k2", value: "even" }, limit: 10 }), ["a:1"])
      yield* expectEqual("no k3", yield* page({ key: { k: "k3", value: "x" }, limit: 10 }), [])
      yield* expectEqual("after, limit", yield* page({ after: "a:1", limit: 1 }), ["a:2"])
      const listed = yield* ReadModels.list(ticks("ticks"), { key: { k: "k1", value: "b" } }).pipe(
        Effect.provideService(Storage, s)
      )
      yield* expectEqual("ReadModels.list decodes", listed, [{ id: "b:1", doc: { stream: "b:1", ticks: 1 } }])
      yield* s.commit([commitOf({ appends: [{ stream: "a:2", expectedVersion: 1, events: [ev("Reset")] }] })])
      yield* expectEqual("evolve to undefined deletes", yield* page({ limit: 10 }), ["a:1", "b:1"])
      yield* expectEqual("the key index follows", yield* page({ key: { k: "k2", value: "odd" }, limit: 10 }), ["b:1"])
      const before = yield* allDocuments(s, "ticks")
      yield* s.rebuild("ticks")
      yield* expectEqual("rebuild gives the same documents", yield* allDocuments(s, "ticks"), before)
    })
}

const versionRebuild: ReopenCase = {
  name: "read models: a new version (or a newly registered model) is rebuilt from the events on start; the same version is not",
  run: (open) =>
    Effect.gen(function* () {
      const first = yield* open({ readModels: [ticks("ticks")] })
      yield* first.commit([tick("a:1", 0, 2), tick("b:1", 0)])
      const same = yield* open({ readModels: [ticks("ticks", { step: 10 })] })
      yield* expectEqual("the same version keeps its documents", yield* same.document("ticks", "a:1"), {
        stream: "a:1",
        ticks: "2"
      })
      yield* same.commit([tick("a:1", 2)])
      yield* expectEqual("and goes on with its new code", yield* same.document("ticks", "a:1"), {
        stream: "a:1",
        ticks: "12"
      })
      const next = yield* open({ readModels: [ticks("ticks", { version: 2, step: 10 })] })
      yield* expectEqual("a new version is rebuilt from every event", yield* allDocuments(next, "ticks"), [
        { id: "a:1", doc: { stream: "a:1", ticks: "30" } },
        { id: "b:1", doc: { stream: "b:1", ticks: "10" } }
      ])
      yield* expectEqual(
        "its version is listed",
        (yield* next.readModels()).map((m) => [m.name, m.version]),
        [["ticks", 2]]
      )
      const added = yield* open({
        readModels: [ticks("ticks", { version: 2, step: 10 }), ticks("late", { mode: "catch-up" })]
      })
      yield* expectEqual("a model registered later is built on start", yield* added.document("late", "a:1"), {
        stream: "a:1",
        ticks: "3"
      })
      yield* expectEqual(
        "its checkpoint is the latest position",
        (yield* added.readModels()).find((m) => m.name === "late")?.position,
        4
      )
      yield* expectEqual("nothing left to catch up", yield* added.catchUp(), 0)
    })
}

const catchUpCheckpoint: ReopenCase = {
  name: "read models: a catch-up model advances from its stored checkpoint, across restarts",
  run: (open) =>
    Effect.gen(function* () {
      const models = [ticks("tally", { mode: "catch-up" })]
      const s = yield* open({ readModels: models })
      yield* s.commit([tick("a:1", 0, 3)])
      yield* expectEqual("behind until caught up", yield* s.document("tally", "a:1"), undefined)
      yield* expectEqual("catchUp applies the events after the checkpoint", yield* s.catchUp("tally"), 3)
      yield* expectEqual("position", (yield* s.readModels())[0]?.position, 3)
      const again = yield* open({ readModels: models })
      yield* expectEqual("the checkpoint survives a restart", (yield* again.readModels())[0]?.position, 3)
      yield* again.commit([
        tick("a:1", 3, 2),
        commitOf({ appends: [{ stream: "x:1", expectedVersion: 0, events: [ev("Other")] }] })
      ])
      yield* expectEqual("only events after the checkpoint", yield* again.catchUp(), 2)
      yield* expectEqual("caught up", yield* again.document("tally", "a:1"), { stream: "a:1", ticks: "5" })
      yield* expectEqual(
        "the checkpoint passes events the model does not read",
        (yield* again.readModels())[0]?.position,
        6
      )
      const many = Array.from({ length: 25 }, (_, i) => tick(`m:${String(i).padStart(2, "0")}`, 0, 60))
      yield* again.commit(many)
      yield* expectEqual("many pages of events", yield* again.catchUp("tally"), 1500)
      yield* expectEqual(
        "every document",
        (yield* again.documents({ model: "tally", key: { k: "k1", value: "m" }, limit: 100 })).length,
        25
      )
    })
}

/** The cases that reopen their store, for an `Open` over one fresh database each. */
export const reopenCases: ReadonlyArray<ReopenCase> = [customInline, versionRebuild, catchUpCheckpoint]

/** Every case, in a sensible order. Each expects a fresh, empty store and the live clock. */
export const cases: ReadonlyArray<Case> = [
  appendAndRead,
  versions,
  staleConflict,
  batchAtomicity,
  duplicates,
  readAllOrder,
  seen,
  keyData,
  ordersQuery,
  reviewQuery,
  notOrderedQuery,
  stockQuery,
  buyers,
  replace,
  outboxFlow,
  outboxLease,
  outboxConcurrentClaims,
  outboxOnCommit,
  concurrentCommits,
  largeBatch,
  rebuildFromEvents,
  messagesAcrossRounds,
  ordersPages,
  outboxDeadLetters,
  jobsFlow,
  jobsLease,
  jobsFailure,
  jobsReschedule,
  jobsConcurrentClaims,
  readModelsRegistered,
  roundsInline,
  buyerHistoryCatchUp,
  endedAfterClose,
  readModelsFromGroupBuy
]
