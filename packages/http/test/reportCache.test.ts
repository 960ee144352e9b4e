/**
 * The report route's cache (`internal/reportCache.ts`) on the test clock: the numbers are those
 * of every order (read a page at a time), concurrent readers share one computation, a report is
 * at most `maxStaleMs` stale (a read that starts that long after a write shows it), one round's
 * report is never another's, and a failure (no such round) is not kept.
 */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, IdGenerator, RoundSpec, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Effect, Layer, Schema } from "effect"
import { TestClock } from "effect/testing"
import * as ReportCache from "../src/internal/reportCache.js"
import { comments, roundFile } from "./support.js"

const app = GroupBuy.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, Parser.layer, IdGenerator.layerNanoid))
)

const open = (id: string) =>
  Effect.flatMap(GroupBuy.GroupBuy, (g) =>
    Effect.flatMap(Schema.decodeUnknownEffect(RoundSpec.RoundSpec)(roundFile(id)), (spec) => g.openRound({ spec }))
  )

const order = (roundId: string, n: number, from = 0) =>
  Effect.flatMap(GroupBuy.GroupBuy, (g) =>
    g.submitComments({
      roundId,
      comments: comments(n, from).map((c) => ({ ...c, commentId: `${roundId}-${c.commentId}` }))
    })
  )

/** The storage with its `orders` calls counted. */
const counted = Effect.map(Storage.Storage, (s) => {
  const calls = { orders: 0 }
  const storage: Storage.StorageService = {
    ...s,
    orders: (q) => {
      calls.orders += 1
      return s.orders(q)
    }
  }
  return { storage, calls }
})

describe("the report route's cache", () => {
  it.effect("counts every order, read a page at a time", () =>
    Effect.gen(function* () {
      yield* open("a")
      yield* order("a", 7)
      const { storage, calls } = yield* counted
      const reports = yield* ReportCache.make(storage, { pageOrders: 2 })
      const r = yield* reports.get("a")
      // 7 buyers: each red socks (120), buyers 0, 3 and 6 a cup (450) too
      expect(r.orders.count).toBe(7)
      expect(r.orders.byStatus).toEqual({ open: 7 })
      expect(r.orders.total).toBe(7 * 120 + 3 * 450)
      expect(r.orders.units).toBe(10)
      expect(r.roundId).toBe("a")
      // as of the start of its computation: the test clock's epoch
      expect(r.asOf).toBe(new Date(0).toISOString())
      expect(calls.orders).toBe(4)
    }).pipe(Effect.provide(app))
  )

  it.effect("concurrent readers share one computation", () =>
    Effect.gen(function* () {
      yield* open("a")
      yield* order("a", 3)
      const { storage, calls } = yield* counted
      const reports = yield* ReportCache.make(storage)
      const all = yield* Effect.all(
        Array.from({ length: 32 }, () => reports.get("a")),
        { concurrency: "unbounded" }
      )
      expect(calls.orders).toBe(1)
      expect(all.every((r) => r.orders.count === 3)).toBe(true)
    }).pipe(Effect.provide(app))
  )

  it.effect("a report is at most maxStaleMs stale: a read that starts that long after a write shows it", () =>
    Effect.gen(function* () {
      yield* open("a")
      yield* order("a", 3)
      const { storage, calls } = yield* counted
      const reports = yield* ReportCache.make(storage, { maxStaleMs: 1_000 })
      expect((yield* reports.get("a")).orders.count).toBe(3)
      yield* order("a", 2, 3)
      yield* TestClock.adjust(999)
      expect((yield* reports.get("a")).orders.count).toBe(3)
      expect(calls.orders).toBe(1)
      yield* TestClock.adjust(1)
      const fresh = yield* reports.get("a")
      expect(fresh.orders.count).toBe(5)
      expect(fresh.asOf).toBe(new Date(1_000).toISOString())
      expect(calls.orders).toBe(2)
    }).pipe(Effect.provide(app))
  )

  it.effect("never gives one round's report for another, and does not keep a failure", () =>
    Effect.gen(function* () {
      yield* open("a")
      yield* open("b")
      yield* order("a", 3)
      yield* order("b", 1)
      const { storage } = yield* counted
      const reports = yield* ReportCache.make(storage)
      const [a, b] = yield* Effect.all([reports.get("a"), reports.get("b")], { concurrency: "unbounded" })
      expect([a.roundId, a.orders.count]).toEqual(["a", 3])
      expect([b.roundId, b.orders.count]).toEqual(["b", 1])
      const missing = yield* Effect.flip(reports.get("c"))
      expect(missing._tag).toBe("NotFound")
      yield* open("c")
      expect((yield* reports.get("c")).roundId).toBe("c")
    }).pipe(Effect.provide(app))
  )
})
