/**
 * `kaituan report`: the insights of a database (docs/insights.md). The database holds the
 * insights contract's fixture (two rounds, four orders); the report's numbers are the contract's.
 */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { InsightContract, type Insights, Storage } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Effect } from "effect"
import { runCli, tmpDir } from "./support.js"

/** A SQLite file with the fixture's events (and none of its settings). */
const fixtureDb = async () => {
  const db = path.join(tmpDir(), "kaituan.db")
  await Effect.runPromise(
    Effect.scoped(
      Effect.provide(
        Effect.gen(function* () {
          const s = yield* Storage.Storage
          yield* s.commit([{ appends: InsightContract.fixture, views: [], outbox: [] }])
        }),
        Database.layerFromUrl(db, { readModels: InsightContract.readModels })
      )
    )
  )
  return db
}

/** The contract's settings as a `--settings` file. */
const settingsFile = () => {
  const file = path.join(tmpDir(), "insights.json")
  fs.writeFileSync(
    file,
    JSON.stringify({
      unitCosts: { MUG2: 80 },
      shippingCosts: { cvs: 60, home: 100 },
      feeRates: { gateway: 0.02 },
      leaders: [
        {
          id: "L1",
          name: "大安團長",
          pickupPoint: "大安森林公園",
          region: "台北市大安區",
          commissionRate: 0.1,
          conversations: [{ channel: "line", conversation: "G-A" }]
        }
      ],
      costs: [
        { id: "rent-2026-03", kind: "fixed", scope: { _tag: "Month", month: "2026-03" }, amount: 100 },
        { id: "ads-r1", kind: "marketing", scope: { _tag: "Round", roundId: "r1" }, amount: 60 }
      ]
    })
  )
  return file
}

const march = ["--from", "2026-03-01", "--to", "2026-03-31"]

describe("kaituan report", () => {
  it("gives the contract's KPIs, with the settings file applied and kept", async () => {
    const db = await fixtureDb()
    const first = await runCli(["report", "--db", db, ...march, "--settings", settingsFile(), "--json"])
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    const report = JSON.parse(first.stdout) as Insights.Report
    expect(report.total.orders).toBe(3)
    expect(report.total.revenue).toBe(1000)
    expect(report.total.profit).toBeCloseTo(-140, 9)
    expect(report.total.returnRateUnits).toBe(0.25)
    expect(report.total.responseHoursP90).toBe(24)
    // The settings stay in the database: the next report without the file gives the same profit.
    const again = await runCli(["report", "--db", db, ...march, "--by", "round", "--json"])
    const byRound = JSON.parse(again.stdout) as Insights.Report
    expect(byRound.rows.map((r) => [r.key, Math.round(r.profit)])).toEqual([
      ["r1", 60],
      ["r2", -200]
    ])
    expect(byRound.rows.find((r) => r.key === "r2")?.returnRateUnits).toBeNull()
  })

  it("prints a table in Chinese, a row per leader and the total", async () => {
    const db = await fixtureDb()
    const r = await runCli(["report", "--db", db, ...march, "--by", "leader", "--settings", settingsFile()])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split("\n")
    expect(lines[0]).toBe("經營分析 2026-03-01 ～ 2026-03-31")
    expect(lines[1]).toMatch(/^分組\s+訂單\s+營收\s+利潤\s+每單利潤/)
    expect(lines.find((l) => l.startsWith("L1 "))).toMatch(/^L1\s+2\s+600\s/)
    expect(lines.at(-1)).toMatch(/合計\s+3\s+1000\s+-140\s+-47\s/)
  })

  it("refuses a bad date, dimension or settings file with status 2", async () => {
    const db = await fixtureDb()
    const bad = await runCli(["report", "--db", db, "--from", "2026-3-1"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--from must be a date YYYY-MM-DD")
    const by = await runCli(["report", "--db", db, "--by", "colour"])
    expect(by.code).toBe(2)
    expect(by.stderr).toContain('unknown --by "colour"')
    const file = path.join(tmpDir(), "bad.json")
    fs.writeFileSync(file, JSON.stringify({ feeRates: { ecpay: 3 } }))
    const settings = await runCli(["report", "--db", db, "--settings", file])
    expect(settings.code).toBe(2)
    expect(settings.stderr).toContain("bad.json")
  })
})

describe("kaituan serve: /api/v1/insights", () => {
  it("answers the KPIs of the server's database (its store runs the insight read models)", async () => {
    const { startFull } = await import("./serveSupport.js")
    const f = await startFull("insights-round")
    try {
      const r = await fetch(`${f.server.url}/api/v1/insights?by=round`, {
        headers: { authorization: `Bearer ${f.token}` }
      })
      expect(r.status).toBe(200)
      const body = (await r.json()) as Insights.Report
      expect(body.by).toBe("round")
      expect(body.total.orders).toBe(0)
      expect(body.total.profitPerOrder).toBeNull()
    } finally {
      await f.stop()
    }
  })
})
