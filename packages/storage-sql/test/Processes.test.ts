/**
 * Reliability against real processes (scripts in test/procs, run with `node --import tsx`):
 * (1) two processes selling the last units of a round in PostgreSQL at once never oversell;
 * (2) an import into SQLite killed with SIGKILL keeps everything it acknowledged, and re-running
 *     it completes without duplicates.
 * Each runs twice: with raw Storage commits, and through core's GroupBuy use cases.
 */
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Round, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Result, Schema } from "effect"
import { groupBuyLayer, storageLayer } from "./procs/common.js"
import { run, succeed } from "./procSupport.js"
import { dropPrefixed, pgClient, pgUrl, tempDir, uniquePrefix } from "./support.js"

const withStorage = <A, E>(db: string, prefix: string, f: (s: Storage.StorageService) => Effect.Effect<A, E>) =>
  Effect.runPromise(Effect.flatMap(Storage.Storage, f).pipe(Effect.provide(storageLayer(db, prefix))))

const dropPg = (prefix: string) => Effect.runPromise(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1))))

const decodeRound = Schema.decodeUnknownSync(Round.Event)

describe("two processes selling the last units (PostgreSQL)", () => {
  it("raw commits: read version and stock, reserve 1 if left > 0, retry on conflict", {
    timeout: 120_000
  }, async () => {
    const prefix = uniquePrefix("oversell")
    const roundId = "last-units"
    const stock = 20
    try {
      await withStorage(pgUrl, prefix, (s) =>
        s.commit([
          {
            appends: [
              {
                stream: Storage.roundStream(roundId),
                expectedVersion: 0,
                events: [{ type: "StockAdded", data: { sku: "LAST", qty: stock }, at: new Date().toISOString() }]
              }
            ],
            views: [{ _tag: "SetStock", stock: { roundId, sku: "LAST", left: stock, sold: 0 } }],
            outbox: []
          }
        ])
      )
      const a = run("reserve.ts", ["raw", pgUrl, prefix, roundId, "A", "1000"])
      const b = run("reserve.ts", ["raw", pgUrl, prefix, roundId, "B", "1000"])
      await Promise.all([a.waitFor((l) => l.includes("ready")), b.waitFor((l) => l.includes("ready"))])
      a.child.stdin.write("go\n")
      b.child.stdin.write("go\n")
      await Promise.all([succeed(a, "A"), succeed(b, "B")])
      const summaries = [a, b].map((p) => JSON.parse(p.lines.at(-1)!) as { reserved: number; conflicts: number })
      expect(summaries.reduce((n, s) => n + s.reserved, 0)).toBe(stock)

      const { view, events } = await withStorage(pgUrl, prefix, (s) =>
        Effect.all({ view: s.stock({ roundId }), events: s.readStream(Storage.roundStream(roundId)) })
      )
      expect(view).toEqual([{ roundId, sku: "LAST", left: 0, sold: stock }])
      const reserved = events.events.filter((e) => e.type === "Reserved")
      expect(reserved).toHaveLength(stock)
      const leftAfter = reserved.map((e) => (e.data as { leftAfter: number }).leftAfter)
      // Each reservation saw the previous one: stock counts down exactly once per unit, never below 0.
      expect(leftAfter).toEqual(Array.from({ length: stock }, (_, i) => stock - 1 - i))
      console.info(
        `raw oversell test: ${summaries.map((s) => `${s.reserved} reserved / ${s.conflicts} conflicts`).join(", ")}`
      )
    } finally {
      await dropPg(prefix)
    }
  })

  it("GroupBuy.submitComments: '+1' comments from both processes at once", { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix("gbsell")
    const roundId = "last-units-gb"
    const stock = 15
    const perProcess = 20
    try {
      const spec = Result.getOrThrow(
        RoundSpec.decode({
          id: roundId,
          title: "最後幾件",
          products: [{ sku: "LAST", name: "最後", price: 100, stock }]
        })
      )
      await Effect.runPromise(
        Effect.flatMap(GroupBuy.GroupBuy, (gb) => gb.openRound({ spec })).pipe(
          Effect.provide(groupBuyLayer(storageLayer(pgUrl, prefix)))
        )
      )
      const a = run("reserve.ts", ["groupbuy", pgUrl, prefix, roundId, "A", String(perProcess)])
      const b = run("reserve.ts", ["groupbuy", pgUrl, prefix, roundId, "B", String(perProcess)])
      await Promise.all([a.waitFor((l) => l.includes("ready")), b.waitFor((l) => l.includes("ready"))])
      a.child.stdin.write("go\n")
      b.child.stdin.write("go\n")
      await Promise.all([succeed(a, "A"), succeed(b, "B")])
      const summaries = [a, b].map((p) => JSON.parse(p.lines.at(-1)!) as { statuses: Record<string, number> })
      expect(summaries.reduce((n, s) => n + (s.statuses.ordered ?? 0), 0)).toBe(stock)
      expect(summaries.reduce((n, s) => n + (s.statuses["not-ordered"] ?? 0), 0)).toBe(2 * perProcess - stock)

      const { view, orders, notOrdered, events } = await withStorage(pgUrl, prefix, (s) =>
        Effect.all({
          view: s.stock({ roundId }),
          orders: s.orders({ roundId }),
          notOrdered: s.notOrdered({ roundId }),
          events: s.readStream(Storage.roundStream(roundId))
        })
      )
      expect(view).toEqual([{ roundId, sku: "LAST", left: 0, sold: stock }])
      const live = orders.filter((o) => o.status !== "cancelled")
      expect(live.flatMap((o) => o.lines).reduce((n, l) => n + l.qty, 0)).toBe(stock)
      expect(notOrdered).toHaveLength(2 * perProcess - stock)
      expect(new Set(notOrdered.map((n) => n.reason))).toEqual(new Set(["sold-out"]))
      // Replay the events: the stock never goes below zero at any step.
      let state = Round.initialState
      let lowest = Number.POSITIVE_INFINITY
      for (const e of events.events) {
        state = Round.evolve(state, decodeRound(e.data))
        const left = state.stock.LAST?.left
        if (typeof left === "number") lowest = Math.min(lowest, left)
      }
      expect(lowest).toBe(0)
      expect(state.stock.LAST).toEqual({ left: 0, sold: stock })
    } finally {
      await dropPg(prefix)
    }
  })
})

describe("an import killed with SIGKILL midway (SQLite)", () => {
  for (const mode of ["raw", "groupbuy"] as const) {
    it(`${mode}: acknowledged comments survive; a re-run completes without duplicates`, {
      timeout: 180_000
    }, async () => {
      const db = path.join(tempDir(), "import.db")
      const prefix = "kaituan_"
      const roundId = "import-round"
      const total = 20_000
      const args = [mode, db, prefix, roundId, String(total), "250"]

      const first = run("import.ts", args)
      await first.waitFor((l) => l.length >= 2_000)
      first.child.kill("SIGKILL")
      const killed = await first.exit
      expect(killed.signal).toBe("SIGKILL")
      expect(first.lines).not.toContain("done")
      const acked = first.lines.filter((l) => l.startsWith("ack ")).map((l) => l.slice(4))
      expect(acked.length).toBeGreaterThanOrEqual(2_000)
      expect(acked.length).toBeLessThan(total)

      const buyerOf = (c: string) => (mode === "raw" ? `b${Number(c.slice(1))}` : `import:b${Number(c.slice(1))}`)
      const afterKill = await withStorage(db, prefix, (s) => s.orders({ roundId }))
      const buyers = new Set(afterKill.map((o) => o.buyerId))
      expect(acked.filter((c) => !buyers.has(buyerOf(c)))).toEqual([])
      if (mode === "raw") {
        const seen = await withStorage(db, prefix, (s) => s.seenKeys(acked.map((c) => `import:${c}`)))
        expect(seen.size).toBe(acked.length)
      }

      const second = run("import.ts", args)
      await succeed(second, "re-run")
      expect(second.lines.at(-1)).toBe("done")

      const { orders, stock, all } = await withStorage(db, prefix, (s) =>
        Effect.all({ orders: s.orders({ roundId }), stock: s.stock({ roundId }), all: s.readAll(0, 1_000_000) })
      )
      expect(orders).toHaveLength(total)
      expect(orders.every((o) => o.lines.length === 1 && o.lines[0]!.qty === 1)).toBe(true)
      expect(new Set(orders.map((o) => o.buyerId)).size).toBe(total)
      expect(stock.map((x) => x.sold)).toEqual([total])
      const ordered = all
        .filter((e) => e.type === "LinesOrdered")
        .map((e) => (e.data as { commentId: string }).commentId)
      expect(ordered).toHaveLength(total)
      expect(new Set(ordered).size).toBe(total)
      const positions = all.map((e) => e.position)
      expect(positions).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
    })
  }
})
