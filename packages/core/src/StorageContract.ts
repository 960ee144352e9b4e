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
 * Cases assume an empty store each and the live clock (outbox leases expire in real time).
 *
 * @since 0.1.0
 */
import { Data, Effect, Result } from "effect"
import type { NotOrderedItem, OrderStatus, OrderView, ReviewItem, StockView, ViewChange } from "./ReadModel.js"
import type { OutboundMessage } from "./Notification.js"
import type { Commit, NewEvent, StorageError, StorageService } from "./Storage.js"
import { Storage } from "./Storage.js"
import * as CommentParser from "./CommentParser.js"
import * as GroupBuy from "./GroupBuy.js"
import * as IdGenerator from "./IdGenerator.js"
import type { ParseResult } from "./ParseResult.js"
import * as Projector from "./Projector.js"
import * as RoundSpec from "./RoundSpec.js"

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
  messagesAcrossRounds
]
