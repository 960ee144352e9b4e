/**
 * The report cache of `GET /api/rounds/:id` (`server/Reports.ts`) on a clock the test moves:
 * concurrent readers share one computation, a write is shown to every read that starts
 * `maxStaleMs` after it (and at once after a quiet spell), a stream of writes makes at most one
 * computation per `maxStaleMs`, the ETag changes exactly when the bytes do, one round's report is
 * never another's, and a failed computation is not kept.
 */
import { gunzipSync } from "node:zlib"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { GroupBuy, type Storage } from "@kaituan/core"
import type { Effect } from "effect"
import { ManagedRuntime } from "effect"
import { appLayer } from "../src/Engine.js"
import { toJson } from "../src/Report.js"
import * as Reports from "../src/server/Reports.js"
import { round } from "./serveSupport.js"

type Runtime = ManagedRuntime.ManagedRuntime<GroupBuy.GroupBuy | Storage.Storage, unknown>

let runtime: Runtime
let runs: number
let clock: number
const run = <A, E>(effect: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>): Promise<A> =>
  runtime.runPromise(effect)
/**
 * A cache on the test's clock. With pages larger than the round, a computation makes exactly two
 * runs (the stream, review, not-ordered and stock; then the one page of orders).
 */
const cache = (options: Reports.Options = {}) =>
  Reports.make(
    (effect) => {
      runs += 1
      return run(effect)
    },
    { now: () => clock, pageOrders: 1_000, ...options }
  )
const computations = () => runs / 2

const order = (roundId: string, buyer: string, text = "蛋黃酥+1") =>
  run(
    GroupBuy.GroupBuy.use((g) =>
      g.submitComments({
        roundId,
        comments: [
          {
            channel: "line",
            commentId: `${roundId}-${buyer}-${text}`,
            author: { id: buyer, name: `買家 ${buyer}` },
            text,
            at: new Date().toISOString()
          }
        ]
      })
    )
  )

const json = (s: Reports.Snapshot) => JSON.parse(s.body.toString("utf8")) as ReturnType<typeof toJson>
const buyers = (s: Reports.Snapshot) => json(s).orders.map((o) => o.buyer.id)

beforeEach(async () => {
  runtime = ManagedRuntime.make(appLayer(":memory:"))
  runs = 0
  clock = 1_000_000
  for (const id of ["a", "b"]) await run(GroupBuy.GroupBuy.use((g) => g.openRound({ spec: round(id).spec })))
})
afterEach(() => runtime.dispose())

describe("the report cache", () => {
  it("gives the same JSON as GroupBuy.report, gzipped alike, read a page of orders at a time", async () => {
    for (let i = 0; i < 10; i++) await order("a", `U${i}`)
    await order("a", "U3", "取消")
    const c = cache({ pageOrders: 3, sliceItems: 2 })
    const s = await c.get("a")
    const expected = toJson(await run(GroupBuy.GroupBuy.use((g) => g.report("a"))))
    expect(json(s)).toEqual(expected)
    expect(s.body.toString("utf8")).toBe(JSON.stringify(expected))
    expect(gunzipSync(s.gzip).equals(s.body)).toBe(true)
  })

  it("shares one computation between concurrent readers", async () => {
    await order("a", "U1")
    const c = cache()
    const all = await Promise.all(Array.from({ length: 32 }, () => c.get("a")))
    expect(computations()).toBe(1)
    expect(new Set(all.map((s) => s.etag)).size).toBe(1)
  })

  it("serves a report up to maxStaleMs stale under writes, and shows every write a read starts maxStaleMs after", async () => {
    await order("a", "U1")
    const c = cache({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    const first = await c.get("a")
    expect(buyers(first)).toEqual(["U1"])
    // a write within the bound: the snapshot may still be served (no new computation)
    await order("a", "U2")
    c.invalidate()
    clock += 999
    expect(await c.get("a")).toBe(first)
    expect(computations()).toBe(1)
    // a read that starts the bound after the write shows it, with a new ETag
    clock += 1
    const second = await c.get("a")
    expect(buyers(second)).toEqual(["U1", "U2"])
    expect(second.etag).not.toBe(first.etag)
    expect(computations()).toBe(2)
  })

  it("a stream of writes makes at most one computation per maxStaleMs", async () => {
    const c = cache({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    await c.get("a")
    for (let ms = 0; ms < 5_000; ms += 50) {
      await order("a", `U${ms}`)
      c.invalidate()
      clock += 50
      await c.get("a")
    }
    // 5 s of writes every 50 ms, a read after each: one computation at the start and one a second
    expect(computations()).toBeLessThanOrEqual(6)
    clock += 1_000
    expect(json(await c.get("a")).orders).toHaveLength(100)
  })

  it("after a quiet spell, a read right after a write shows it", async () => {
    const c = cache({ maxStaleMs: 1_000, maxAgeMs: 60_000 })
    const first = await c.get("a")
    clock += 5_000
    expect(await c.get("a")).toBe(first)
    await order("a", "U1")
    c.invalidate()
    expect(buyers(await c.get("a"))).toEqual(["U1"])
  })

  it("keeps the ETag while the bytes are the same, and computes again after maxAgeMs (writers elsewhere)", async () => {
    await order("a", "U1")
    const c = cache({ maxAgeMs: 1_000 })
    const first = await c.get("a")
    clock += 1_000
    const again = await c.get("a")
    expect(computations()).toBe(2)
    expect(again.etag).toBe(first.etag)
    // a write that did not go through this cache's server: seen after maxAgeMs all the same
    await order("a", "U2")
    clock += 1_000
    const changed = await c.get("a")
    expect(buyers(changed)).toEqual(["U1", "U2"])
    expect(changed.etag).not.toBe(first.etag)
  })

  it("never gives one round's report for another, and does not keep a failure", async () => {
    await order("a", "U-a")
    await order("b", "U-b")
    const c = cache()
    const [a, b] = await Promise.all([c.get("a"), c.get("b")])
    expect(buyers(a)).toEqual(["U-a"])
    expect(buyers(b)).toEqual(["U-b"])
    expect(a.etag).not.toBe(b.etag)
    await expect(c.get("c")).rejects.toMatchObject({ _tag: "GroupBuyError", reason: "unknown-round" })
    await run(GroupBuy.GroupBuy.use((g) => g.openRound({ spec: round("c").spec })))
    await order("c", "U-c")
    expect(buyers(await c.get("c"))).toEqual(["U-c"])
  })
})
