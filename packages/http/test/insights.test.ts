/** `GET /api/v1/insights` and `/insights/settings`: the KPIs of the insights contract's fixture over HTTP. */
import { InsightContract, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, type Served, serve } from "./support.js"

describe.each(kinds)("insights over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind, {}, InsightContract.readModels)
    await s.run(
      Effect.gen(function* () {
        const storage = yield* Storage.Storage
        yield* storage.commit([{ appends: InsightContract.fixture, views: [], outbox: [] }])
      })
    )
  })
  afterAll(() => s.close())

  it("sets the costs and leaders, then reports the contract's numbers", async () => {
    const put = await s.call("PUT", "/api/v1/insights/settings", {
      json: {
        unitCosts: { MUG2: 80 },
        shippingCosts: { cvs: 60, home: 100 },
        feeRates: { gateway: 0.02 },
        leaders: [
          {
            id: "L1",
            name: "大安團長",
            region: "台北市大安區",
            commissionRate: 0.1,
            conversations: [{ channel: "line", conversation: "G-A" }]
          }
        ],
        costs: [
          { id: "rent", kind: "fixed", scope: { _tag: "Month", month: "2026-03" }, amount: 100 },
          { id: "ads", kind: "marketing", scope: { _tag: "Round", roundId: "r1" }, amount: 60 }
        ]
      }
    })
    expect(put.status).toBe(200)
    expect(put.body.shippingCosts).toEqual({ cvs: 60, home: 100 })
    const r = await s.call("GET", "/api/v1/insights?from=2026-03-01&to=2026-03-31&by=round")
    expect(r.status).toBe(200)
    expect(r.body.total).toMatchObject({ orders: 3, revenue: 1000, returnRateUnits: 0.25, responseHoursP90: 24 })
    expect(r.body.total.profit).toBeCloseTo(-140, 9)
    expect(r.body.rows.map((x: { key: string; profit: number }) => [x.key, Math.round(x.profit)])).toEqual([
      ["r1", 60],
      ["r2", -200]
    ])
    expect(r.body.rows[1].returnRateUnits).toBeNull()
    const settings = await s.call("GET", "/api/v1/insights/settings")
    expect(settings.body.leaders.map((l: { id: string }) => l.id)).toEqual(["L1"])
  })

  it("refuses a helper (403), a bad date or dimension (400), a taken conversation (400)", async () => {
    expect((await s.call("GET", "/api/v1/insights", { token: s.helper })).status).toBe(403)
    expect((await s.call("GET", "/api/v1/insights?from=2026-3-1")).status).toBe(400)
    expect((await s.call("GET", "/api/v1/insights?by=colour")).status).toBe(400)
    expect((await s.call("GET", "/api/v1/insights?from=2026-04-01&to=2026-03-01")).status).toBe(400)
    const taken = await s.call("PUT", "/api/v1/insights/settings", {
      json: {
        leaders: [
          {
            id: "L2",
            name: "信義團長",
            region: "台北市信義區",
            commissionRate: 0.05,
            conversations: [{ channel: "line", conversation: "G-A" }]
          }
        ]
      }
    })
    expect(taken.status).toBe(400)
    expect(taken.body.message).toContain("another leader")
  })
})
