import { describe, expect, it } from "@effect/vitest"
import { Decider, InsightContract, Insights, InsightSettings, InsightsWeekly, Scheduler, Storage } from "@kaituan/core"
import { Effect, Result, Schema } from "effect"
import fc from "fast-check"

const DAY = 24 * 60 * 60 * 1000
const base = Date.parse("2026-01-01T00:00:00+08:00")
const iso = (ms: number) => new Date(ms).toISOString()

const skus = ["A-1", "A-2", "B-1", "C-1"] as const
const productOf = (sku: string) => sku.slice(0, 1)

/** An order fact: lines, payments, shipments of some of its units, some returned, maybe a refund. */
const arbOrder = (i: number): fc.Arbitrary<Insights.OrderFact> =>
  fc
    .record({
      round: fc.constantFrom("r1", "r2", "r3"),
      buyer: fc.constantFrom("line:U1", "line:U2", "facebook:F1", "line:U3"),
      day: fc.integer({ min: 0, max: 89 }),
      lines: fc.uniqueArray(
        fc.record({
          sku: fc.constantFrom(...skus),
          qty: fc.integer({ min: 1, max: 5 }),
          unitPrice: fc.integer({ min: 0, max: 500 }),
          unitCost: fc.integer({ min: 0, max: 300 })
        }),
        { minLength: 1, maxLength: 4, selector: (l) => l.sku }
      ),
      shipShare: fc.float({ min: 0, max: 1, noNaN: true }),
      returnShare: fc.float({ min: 0, max: 1, noNaN: true }),
      shipDays: fc.integer({ min: 0, max: 20 }),
      source: fc.constantFrom("statement", "gateway", "cash"),
      status: fc.constantFrom("confirmed", "confirmed", "cancelled", "refunded"),
      method: fc.constantFrom("home", "cvs", "pickup"),
      conversation: fc.option(fc.constantFrom("G-A", "G-B"), { nil: undefined })
    })
    .map((r): Insights.OrderFact => {
      const placed = base + r.day * DAY
      const shipped = r.lines
        .map((l) => ({ sku: l.sku, qty: Math.floor(l.qty * r.shipShare), at: iso(placed + r.shipDays * DAY) }))
        .filter((s) => s.qty > 0)
      const priceOf = new Map(r.lines.map((l) => [l.sku, l.unitPrice]))
      const returned = shipped
        .map((s) => ({ sku: s.sku, qty: Math.floor(s.qty * r.returnShare), reason: "damaged", at: s.at }))
        .filter((x) => x.qty > 0)
        .map((x) => ({ ...x, value: x.qty * (priceOf.get(x.sku) ?? 0) }))
      const total = r.lines.reduce((t, l) => t + l.qty * l.unitPrice, 0)
      const fact: Insights.OrderFact = {
        orderId: `o${i}`,
        roundId: r.round,
        buyerId: r.buyer,
        channel: r.buyer.slice(0, r.buyer.indexOf(":")),
        placedAt: iso(placed),
        status: r.status as Insights.OrderFact["status"],
        lines: r.lines.map((l) => ({ ...l, product: productOf(l.sku), category: productOf(l.sku) })),
        payments: total > 0 ? [{ source: r.source, amount: total }] : [],
        deliveries: shipped.length > 0 ? [{ method: r.method, at: shipped[0]!.at }] : [],
        shipped,
        returned,
        refunded: r.status === "refunded" ? total : 0
      }
      return r.conversation === undefined ? fact : { ...fact, conversation: r.conversation }
    })

const arbOrders: fc.Arbitrary<ReadonlyArray<Insights.OrderFact>> = fc
  .integer({ min: 0, max: 25 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbOrder(i))))

const arbComments = fc.array(
  fc.record({
    roundId: fc.constantFrom("r1", "r2"),
    buyerId: fc.constantFrom("line:U1", "line:U2", "line:U9"),
    channel: fc.constant("line"),
    at: fc.integer({ min: 0, max: 89 }).map((d) => iso(base + d * DAY)),
    lookedLikeOrder: fc.boolean(),
    becameOrder: fc.boolean()
  }),
  { maxLength: 30 }
)

const arbSettings: fc.Arbitrary<Insights.Settings> = fc.record({
  unitCosts: fc.constant({}),
  shippingCosts: fc.record({ home: fc.integer({ min: 0, max: 150 }), cvs: fc.integer({ min: 0, max: 80 }) }),
  feeRates: fc.record({ gateway: fc.double({ min: 0, max: 0.05, noNaN: true }) }),
  categories: fc.constant({}),
  costs: fc.array(
    fc.record({
      id: fc.uuid(),
      kind: fc.constantFrom("fixed" as const, "marketing" as const),
      scope: fc.oneof(
        fc.record({ _tag: fc.constant("Round" as const), roundId: fc.constantFrom("r1", "r2", "r9") }),
        fc.record({ _tag: fc.constant("Month" as const), month: fc.constantFrom("2026-01", "2026-02", "2026-07") })
      ),
      amount: fc.integer({ min: 0, max: 5000 })
    }),
    { maxLength: 5 }
  ),
  leaders: fc.constant([
    {
      id: "L1",
      name: "A",
      region: "北區",
      commissionRate: 0.1,
      conversations: [{ channel: "line", conversation: "G-A" }]
    }
  ])
})

const near = (a: number, b: number) => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))

describe("Insights (properties)", () => {
  it("a round with no returns has return rate 0 (and null when nothing shipped)", () =>
    fc.assert(
      fc.property(arbOrders, arbSettings, (orders, settings) => {
        const noReturns = orders.map((o) => ({ ...o, returned: [] }))
        const r = Insights.report({ orders: noReturns, comments: [], reviews: [], settings, by: "round" })
        for (const row of r.rows) {
          if (row.shippedUnits > 0) {
            expect(row.returnRateUnits).toBe(0)
            expect(row.returnRateValue === null || row.returnRateValue === 0).toBe(true)
          } else expect(row.returnRateUnits).toBeNull()
        }
      })
    ))

  it("profit by product sums to the round's, and rounds sum to the total", () =>
    fc.assert(
      fc.property(arbOrders, arbSettings, (orders, anySettings) => {
        // Round costs only: a round's orders then carry the same costs reported alone or with the others.
        const settings = { ...anySettings, costs: anySettings.costs.filter((c) => c.scope._tag === "Round") }
        const byRound = Insights.report({ orders, comments: [], reviews: [], settings, by: "round" })
        for (const round of byRound.rows) {
          const only = orders.filter((o) => o.roundId === round.key)
          const products = Insights.report({ orders: only, comments: [], reviews: [], settings, by: "product" })
          expect(
            near(
              products.rows.reduce((t, r) => t + r.profit, 0),
              round.profit
            )
          ).toBe(true)
        }
        const byProduct = Insights.report({ orders, comments: [], reviews: [], settings: anySettings, by: "product" })
        const byRoundAll = Insights.report({ orders, comments: [], reviews: [], settings: anySettings, by: "round" })
        expect(
          near(
            byProduct.rows.reduce((t, r) => t + r.profit, 0),
            byProduct.total.profit
          )
        ).toBe(true)
        expect(
          near(
            byRoundAll.rows.reduce((t, r) => t + r.profit, 0),
            byRoundAll.total.profit
          )
        ).toBe(true)
        expect(near(byProduct.total.profit, byRoundAll.total.profit)).toBe(true)
      })
    ))

  it("conversion is at most 1, both ways", () =>
    fc.assert(
      fc.property(arbComments, (comments) => {
        for (const by of ["total", "round", "channel"] as const) {
          const r = Insights.report({ orders: [], comments, reviews: [], settings: Insights.emptySettings, by })
          for (const row of [...r.rows, r.total]) {
            if (row.buyerConversion !== null) expect(row.buyerConversion).toBeLessThanOrEqual(1)
            if (row.commentConversion !== null) expect(row.commentConversion).toBeLessThanOrEqual(1)
            expect(row.buyerConversion === null || row.buyerConversion >= 0).toBe(true)
          }
        }
      })
    ))

  it("repurchase rate is in [0, 1]", () =>
    fc.assert(
      fc.property(arbOrders, (orders) => {
        for (const by of ["total", "category", "region", "leader"] as const) {
          const r = Insights.report({ orders, comments: [], reviews: [], settings: Insights.emptySettings, by })
          for (const row of [...r.rows, r.total]) {
            if (row.repurchaseRate === null) expect(row.orders).toBe(0)
            else {
              expect(row.repurchaseRate).toBeGreaterThanOrEqual(0)
              expect(row.repurchaseRate).toBeLessThanOrEqual(1)
            }
          }
        }
      })
    ))

  it("fixed and marketing costs are allocated in full (or reported unallocated)", () =>
    fc.assert(
      fc.property(arbOrders, arbSettings, (orders, settings) => {
        const a = Insights.allocate(orders, settings.costs)
        const allocated = [...a.fixed.values(), ...a.marketing.values()].reduce((t, x) => t + x, 0)
        const total = settings.costs.reduce((t, c) => t + c.amount, 0)
        expect(near(allocated + a.unallocated, total)).toBe(true)
        const r = Insights.report({ orders, comments: [], reviews: [], settings })
        expect(near(r.total.fixedCosts + r.total.marketingCosts + r.unallocatedCosts, total)).toBe(true)
      })
    ))

  it("a cancelled order counts nowhere", () =>
    fc.assert(
      fc.property(arbOrders, arbSettings, (orders, settings) => {
        const valid = orders.filter((o) => o.status !== "cancelled")
        const all = Insights.report({ orders, comments: [], reviews: [], settings })
        const only = Insights.report({ orders: valid, comments: [], reviews: [], settings })
        expect(all.total.orders).toBe(valid.length)
        expect(near(all.total.profit, only.total.profit)).toBe(true)
      })
    ))
})

describe("Insights (definitions)", () => {
  it("quantiles by nearest rank", () => {
    expect(Insights.quantile([], 0.5)).toBeNull()
    expect(Insights.quantile([5, 1, 3], 0.5)).toBe(3)
    expect(Insights.quantile([1, 2, 3, 4], 0.5)).toBe(2)
    expect(Insights.quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9)
  })

  it("periods are Taipei calendar days, Monday weeks and months", () => {
    // 2026-03-31T16:30Z is 2026-04-01 00:30 in Taipei.
    expect(Insights.taipeiDate("2026-03-31T16:30:00Z")).toBe("2026-04-01")
    expect(Insights.taipeiMonth("2026-03-31T16:30:00Z")).toBe("2026-04")
    expect(Insights.taipeiWeek("2026-04-01T00:30:00+08:00")).toBe("2026-03-30")
    expect(Insights.taipeiWeek("2026-03-29T23:59:00+08:00")).toBe("2026-03-23")
  })

  it("orders outside [from, to] (Taipei dates) are left out, but count in lifetime value", () => {
    const o = (id: string, day: string, total: number): Insights.OrderFact => ({
      orderId: id,
      roundId: id,
      buyerId: "line:U1",
      channel: "line",
      placedAt: `${day}T23:30:00+08:00`,
      status: "confirmed",
      lines: [{ sku: "A", product: "A", category: "A", qty: 1, unitPrice: total, unitCost: 0 }],
      payments: [],
      deliveries: [],
      shipped: [],
      returned: [],
      refunded: 0
    })
    const r = Insights.report({
      orders: [o("a", "2026-01-31", 100), o("b", "2026-02-01", 50)],
      comments: [],
      reviews: [],
      settings: Insights.emptySettings,
      from: "2026-02-01",
      to: "2026-02-28"
    })
    expect(r.total.orders).toBe(1)
    expect(r.total.revenue).toBe(50)
    expect(r.total.lifetimeValue).toBe(150)
    expect(r.total.repurchaseRate).toBe(0)
  })
})

describe("InsightSettings (decider)", () => {
  const at = "2026-01-01T00:00:00Z"
  it("a conversation belongs to one leader", () => {
    const leader = (id: string) => ({
      id,
      name: id,
      region: "北區",
      commissionRate: 0.05,
      conversations: [{ channel: "line", conversation: "G" }]
    })
    const s = Decider.fold(InsightSettings.decider, [{ _tag: "LeaderSet" as const, leader: leader("L1"), at }])
    const r = InsightSettings.decider.decide({ _tag: "SetLeader", leader: leader("L2"), at }, s)
    expect(Result.isFailure(r) && r.failure.reason).toBe("conversation-taken")
    const again = InsightSettings.decider.decide({ _tag: "SetLeader", leader: leader("L1"), at }, s)
    expect(Result.isSuccess(again)).toBe(true)
  })

  it("refuses a fee rate above 1 and a negative cost", () => {
    const s = InsightSettings.decider.initialState
    const rate = InsightSettings.decider.decide({ _tag: "SetFeeRate", key: "ecpay", rate: 2, at }, s)
    expect(Result.isFailure(rate) && rate.failure.reason).toBe("invalid")
    const cost = InsightSettings.decider.decide({ _tag: "SetUnitCost", sku: "A", cost: -1, at }, s)
    expect(Result.isFailure(cost) && cost.failure.reason).toBe("invalid")
  })

  it("the state is the fold of its events (property)", () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              _tag: fc.constant("SetUnitCost" as const),
              sku: fc.constantFrom("A", "B"),
              cost: fc.integer({ min: 0, max: 100 }),
              at: fc.constant(at)
            }),
            fc.record({
              _tag: fc.constant("SetShippingCost" as const),
              method: fc.constantFrom("home", "cvs"),
              cost: fc.integer({ min: 0, max: 100 }),
              at: fc.constant(at)
            }),
            fc.record({ _tag: fc.constant("RemoveCost" as const), id: fc.constantFrom("x", "y"), at: fc.constant(at) })
          ),
          { maxLength: 20 }
        ),
        (commands) => {
          let state = InsightSettings.decider.initialState
          const events: Array<InsightSettings.Event> = []
          for (const c of commands) {
            const r = InsightSettings.decider.decide(c, state)
            if (Result.isFailure(r)) continue
            events.push(...r.success)
            state = r.success.reduce(InsightSettings.decider.evolve, state)
          }
          expect(Decider.fold(InsightSettings.decider, events)).toEqual(state)
        }
      )
    ))
})

describe("InsightContract on memory", () => {
  for (const c of InsightContract.cases) {
    it.live(c.name, () =>
      c.run.pipe(Effect.provide(Storage.layerMemoryWith({ readModels: InsightContract.readModels })))
    )
  }
})

describe("InsightsWeekly", () => {
  it("next Monday 09:00 Taipei, and the week before", () => {
    // Sunday 2026-03-01 12:00 Taipei → Monday 2026-03-02 09:00 Taipei.
    expect(InsightsWeekly.nextMondayMorning("2026-03-01T12:00:00+08:00")).toBe("2026-03-02T01:00:00.000Z")
    // Monday 09:00 exactly → the next Monday.
    expect(InsightsWeekly.nextMondayMorning("2026-03-02T09:00:00+08:00")).toBe("2026-03-09T01:00:00.000Z")
    // Monday 00:30 Taipei is still Sunday in UTC: the week before is Taipei's.
    expect(InsightsWeekly.previousWeek("2026-03-02T00:30:00+08:00")).toEqual({ from: "2026-02-23", to: "2026-03-01" })
  })

  it.live("sends last week's summary once through the outbox and schedules the next", () =>
    Effect.gen(function* () {
      yield* InsightContract.seed
      const storage = yield* Storage.Storage
      const { to } = Schema.decodeSync(InsightsWeekly.Payload)({ to: { channel: "line", userId: "U-organiser" } })
      const first = InsightsWeekly.job({ to, after: "2026-03-01T12:00:00+08:00" })
      yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: [first] }])
      const handlers = InsightsWeekly.handlers
      const ran = yield* Scheduler.runDue({ now: "2026-03-02T01:00:00.000Z", handlers })
      expect(ran.done).toBe(1)
      const sent = yield* storage.claimOutbox({ limit: 10, leaseMs: 0 })
      expect(sent.map((m) => m.message.id)).toEqual(["insights.weekly:2026-02-23"])
      const text = String(sent[0]!.message.data.text)
      // As docs/insights.md shows it. The week carries its orders' share of March's fixed cost,
      // allocated over the whole month's orders (o3, placed later in March, carries the rest).
      expect(text).toBe(
        [
          "📊 上週經營摘要（2026-02-23 ～ 2026-03-01）",
          "有效訂單 2 筆・營收 NT$600・利潤 NT$60",
          "每單利潤 NT$30・毛利率 78.3%",
          "出貨天數中位 3.0 天・退貨率 25.0%",
          "客服回覆中位 — 小時（P90 —）",
          "買家轉換 66.7%・回購率 0.0%",
          "利潤最高的團：",
          "・r1：2 筆，利潤 NT$60"
        ].join("\n")
      )
      const jobs = yield* storage.jobs({ kind: InsightsWeekly.KIND })
      expect(jobs.map((j) => [j.id, j.status])).toEqual(
        expect.arrayContaining([
          ["insights.weekly:2026-03-09", "pending"],
          ["insights.weekly:2026-03-02", "done"]
        ])
      )
      // The same week again (a retry after a lost lease) sends nothing new.
      yield* storage.commit([
        { appends: [], views: [], outbox: [], schedule: [{ ...first, id: "insights.weekly:again" }] }
      ])
      yield* Scheduler.runDue({ now: "2026-03-02T01:00:00.000Z", handlers })
      const again = yield* storage.claimOutbox({ limit: 10, leaseMs: 0 })
      expect(again.map((m) => m.message.id)).toEqual(["insights.weekly:2026-02-23"])
    }).pipe(Effect.provide(Storage.layerMemoryWith({ readModels: InsightContract.readModels })))
  )
})
