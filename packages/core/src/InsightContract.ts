/**
 * The insights contract: one fixture of events (two rounds, four orders, shipments, a return, a
 * refund, a cancellation, review items) and settings, and the KPIs it must give — computed by
 * hand in docs/insights.md's worked example. Every store runs it: a test opens a fresh store with
 * `InsightFacts.readModels` registered and runs each case, so memory, SQLite and PostgreSQL are
 * held to the same numbers.
 *
 * ```ts
 * for (const c of InsightContract.cases) {
 *   it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemoryWith({ readModels: InsightContract.readModels }))))
 * }
 * ```
 *
 * @since 0.4.0
 */
import { Data, Effect } from "effect"
import * as InsightFacts from "./InsightFacts.js"
import * as InsightSettings from "./InsightSettings.js"
import type * as Insights from "./Insights.js"
import * as ReadModels from "./ReadModels.js"
import { type NewEvent, Storage, type StreamAppend } from "./Storage.js"

/** A contract violation: what was checked, what was expected and what the store gave. */
export class InsightContractFailure extends Data.TaggedError("InsightContractFailure")<{
  readonly message: string
}> {}

/** One case. */
export interface Case {
  readonly name: string
  readonly run: Effect.Effect<void, unknown, Storage>
}

/** The read models a store needs for the cases: the built-in ones and the insight ones. */
export const readModels: ReadonlyArray<ReadModels.Definition<any>> = [...ReadModels.builtIn, ...InsightFacts.readModels]

const t = (s: string) => `2026-03-${s}+08:00`
const ev = (type: string, at: string, data: Record<string, unknown> = {}): NewEvent => ({
  type,
  data: { _tag: type, ...data, at },
  at
})
const ref = (commentId: string, buyerId: string, seq: number, at: string) => ({
  commentId,
  buyerId,
  buyer: { id: buyerId.slice(buyerId.indexOf(":") + 1) },
  text: "",
  seq,
  at
})
const append = (stream: string, events: ReadonlyArray<NewEvent>): StreamAppend => ({
  stream,
  expectedVersion: 0,
  events
})

/** The fixture's events, one stream per append (see docs/insights.md, "Worked example"). */
export const fixture: ReadonlyArray<StreamAppend> = [
  append("round:r1", [
    ev("RoundCreated", t("01T10:00:00"), {
      spec: {
        id: "r1",
        title: "襪子團",
        listens: [{ channel: "line", conversation: "G-A" }],
        products: [
          {
            sku: "SOCK",
            name: "襪子",
            price: 100,
            cost: 40,
            variants: [{ sku: "SOCK-R" }, { sku: "SOCK-B", cost: 50 }]
          },
          { sku: "MUG", name: "馬克杯", price: 300, cost: 120 }
        ]
      }
    }),
    ev("LinesOrdered", t("01T12:00:00"), {
      ...ref("c1", "line:U1", 1, t("01T12:00:00")),
      orderId: "o1",
      newOrder: true,
      lines: [
        { sku: "SOCK-R", qty: 2, unitPrice: 100 },
        { sku: "MUG", qty: 1, unitPrice: 300 }
      ]
    }),
    ev("LinesOrdered", t("01T13:00:00"), {
      ...ref("c2", "line:U2", 2, t("01T13:00:00")),
      orderId: "o2",
      newOrder: true,
      lines: [{ sku: "SOCK-B", qty: 1, unitPrice: 100 }]
    }),
    ev("CommentNotOrdered", t("01T14:00:00"), {
      ...ref("c3", "line:U3", 3, t("01T14:00:00")),
      reason: "sold-out"
    }),
    ev("CommentForReview", t("02T10:00:00"), {
      ...ref("c4", "line:U3", 4, t("02T10:00:00")),
      reason: "question",
      lines: []
    }),
    ev("CommentForReview", t("02T10:00:00"), {
      ...ref("c5", "line:U4", 5, t("02T10:00:00")),
      reason: "question",
      lines: []
    }),
    ev("CommentIgnored", t("02T11:00:00"), { ...ref("c6", "line:U5", 6, t("02T11:00:00")), reason: "chatter" }),
    ev("ReviewResolved", t("02T12:00:00"), { commentId: "c4", decision: "dismissed" }),
    ev("ReviewResolved", t("03T10:00:00"), { commentId: "c5", decision: "dismissed" })
  ]),
  append("round:r2", [
    ev("RoundCreated", t("10T10:00:00"), {
      spec: { id: "r2", title: "杯子團", products: [{ sku: "MUG2", name: "保溫杯", price: 200 }] }
    }),
    ev("LinesOrdered", t("11T09:00:00"), {
      ...ref("d1", "line:U1", 1, t("11T09:00:00")),
      orderId: "o3",
      newOrder: true,
      lines: [{ sku: "MUG2", qty: 2, unitPrice: 200 }]
    }),
    ev("LinesOrdered", t("11T10:00:00"), {
      ...ref("d2", "facebook:F1", 2, t("11T10:00:00")),
      orderId: "o4",
      newOrder: true,
      lines: [{ sku: "MUG2", qty: 1, unitPrice: 200 }]
    })
  ]),
  append("order:o1", [
    ev("OrderConfirmed", t("01T22:00:00"), {
      orderId: "o1",
      roundId: "r1",
      buyerId: "line:U1",
      buyer: { id: "U1" },
      lines: [
        { sku: "SOCK-R", qty: 2, unitPrice: 100 },
        { sku: "MUG", qty: 1, unitPrice: 300 }
      ],
      total: 500,
      placedAt: t("01T12:00:00")
    }),
    ev("PaymentApplied", t("02T09:00:00"), { paymentId: "p_gateway_T1", amount: 500 }),
    ev("ShipmentAdded", t("04T12:00:00"), { shipmentId: "s1", lines: [{ sku: "SOCK-R", qty: 2 }] }),
    ev("ShipmentAdded", t("06T12:00:00"), { shipmentId: "s2", lines: [{ sku: "MUG", qty: 1 }] })
  ]),
  append("order:o2", [
    ev("OrderConfirmed", t("01T22:00:00"), {
      orderId: "o2",
      roundId: "r1",
      buyerId: "line:U2",
      buyer: { id: "U2" },
      lines: [{ sku: "SOCK-B", qty: 1, unitPrice: 100 }],
      total: 100,
      placedAt: t("01T13:00:00")
    }),
    ev("PaymentApplied", t("02T09:00:00"), { paymentId: "p_statement_X1", amount: 100 }),
    ev("ShipmentAdded", t("03T13:00:00"), { shipmentId: "s3", lines: [{ sku: "SOCK-B", qty: 1 }] })
  ]),
  append("order:o3", [
    ev("OrderConfirmed", t("12T22:00:00"), {
      orderId: "o3",
      roundId: "r2",
      buyerId: "line:U1",
      buyer: { id: "U1" },
      lines: [{ sku: "MUG2", qty: 2, unitPrice: 200 }],
      total: 400,
      placedAt: t("11T09:00:00")
    }),
    ev("PaymentApplied", t("13T09:00:00"), { paymentId: "p_statement_X2", amount: 400 }),
    ev("OrderRefunded", t("14T09:00:00"), { amount: 400, roundId: "r2", buyerId: "line:U1", total: 400 })
  ]),
  append("order:o4", [
    ev("OrderConfirmed", t("12T22:00:00"), {
      orderId: "o4",
      roundId: "r2",
      buyerId: "facebook:F1",
      buyer: { id: "F1" },
      lines: [{ sku: "MUG2", qty: 1, unitPrice: 200 }],
      total: 200,
      placedAt: t("11T10:00:00")
    }),
    ev("OrderCancelled", t("15T22:00:00"), { reason: "unpaid", roundId: "r2", buyerId: "facebook:F1", total: 200 })
  ]),
  append("payment:p_gateway_T1", [
    ev("PaymentReceived", t("02T09:00:00"), {
      paymentId: "p_gateway_T1",
      source: "gateway",
      transactionId: "T1",
      amount: 500
    })
  ]),
  append("payment:p_statement_X1", [
    ev("PaymentReceived", t("02T09:00:00"), {
      paymentId: "p_statement_X1",
      source: "statement",
      transactionId: "X1",
      amount: 100
    })
  ]),
  append("payment:p_statement_X2", [
    ev("PaymentReceived", t("13T09:00:00"), {
      paymentId: "p_statement_X2",
      source: "statement",
      transactionId: "X2",
      amount: 400
    })
  ]),
  append("shipment:s1", [
    ev("ShipmentPacked", t("04T12:00:00"), {
      shipmentId: "s1",
      orderId: "o1",
      lines: [{ sku: "SOCK-R", qty: 2 }],
      method: "cvs"
    })
  ]),
  append("shipment:s2", [
    ev("ShipmentPacked", t("06T12:00:00"), {
      shipmentId: "s2",
      orderId: "o1",
      lines: [{ sku: "MUG", qty: 1 }],
      method: "cvs"
    }),
    ev("ShipmentReturned", t("09T12:00:00"), { reason: "damaged" })
  ]),
  append("shipment:s3", [
    ev("ShipmentPacked", t("03T13:00:00"), {
      shipmentId: "s3",
      orderId: "o2",
      lines: [{ sku: "SOCK-B", qty: 1 }],
      method: "home"
    })
  ])
]

const at = "2026-03-01T00:00:00+08:00"

/** The fixture's settings, as the organiser's commands. */
export const settingsCommands: ReadonlyArray<InsightSettings.Command> = [
  { _tag: "SetUnitCost", sku: "MUG2", cost: 80, at },
  { _tag: "SetShippingCost", method: "cvs", cost: 60, at },
  { _tag: "SetShippingCost", method: "home", cost: 100, at },
  { _tag: "SetFeeRate", key: "gateway", rate: 0.02, at },
  {
    _tag: "SetLeader",
    leader: {
      id: "L1",
      name: "大安團長",
      pickupPoint: "大安森林公園",
      region: "台北市大安區",
      commissionRate: 0.1,
      conversations: [{ channel: "line", conversation: "G-A" }]
    },
    at
  },
  {
    _tag: "SetCost",
    cost: { id: "rent-2026-03", kind: "fixed", scope: { _tag: "Month", month: "2026-03" }, amount: 100 },
    at
  },
  {
    _tag: "SetCost",
    cost: { id: "ads-r1", kind: "marketing", scope: { _tag: "Round", roundId: "r1" }, amount: 60 },
    at
  }
]

/** Writes the fixture and the settings into the store. */
export const seed: Effect.Effect<void, unknown, Storage> = Effect.gen(function* () {
  const storage = yield* Storage
  yield* storage.commit([{ appends: fixture, views: [], outbox: [] }])
  for (const c of settingsCommands) yield* InsightSettings.execute(c)
})

const close = (a: number | null | undefined, b: number | null) =>
  a === b || (typeof a === "number" && typeof b === "number" && Math.abs(a - b) < 1e-9)

const expectRow = (
  what: string,
  row: Insights.Row | undefined,
  expected: Partial<Record<keyof Insights.Row, unknown>>
) =>
  Effect.gen(function* () {
    if (row === undefined) return yield* Effect.fail(new InsightContractFailure({ message: `${what}: no row` }))
    for (const [k, v] of Object.entries(expected)) {
      const actual = (row as Record<string, unknown>)[k]
      const ok = typeof v === "number" || v === null ? close(actual as number | null, v as number | null) : actual === v
      if (!ok)
        return yield* Effect.fail(
          new InsightContractFailure({ message: `${what}.${k}: expected ${String(v)}, got ${String(actual)}` })
        )
    }
  })

/** The fixture's KPIs for March 2026, as docs/insights.md computes them by hand. */
export const expectedTotal: Partial<Record<keyof Insights.Row, unknown>> = {
  orders: 3,
  buyers: 2,
  units: 6,
  revenue: 1000,
  costOfGoods: 290,
  shippingCost: 220,
  paymentFees: 10,
  refunds: 400,
  commission: 60,
  fixedCosts: 100,
  marketingCosts: 60,
  profit: -140,
  profitPerOrder: -140 / 3,
  shippedLines: 3,
  daysToShipMean: 10 / 3,
  daysToShipMedian: 3,
  shippedUnits: 4,
  returnedUnits: 1,
  returnRateUnits: 0.25,
  returnRateValue: 0.5,
  reviewItems: 2,
  responseHoursMedian: 2,
  responseHoursP90: 24,
  commenters: 7,
  commentersWhoOrdered: 4,
  buyerConversion: 4 / 7,
  orderLikeComments: 7,
  commentsThatOrdered: 4,
  repeatBuyers: 1,
  repurchaseRate: 0.5,
  lifetimeValue: 300
}

/** The cases. */
export const cases: ReadonlyArray<Case> = [
  {
    name: "insights: the fixture's totals for March 2026",
    run: Effect.gen(function* () {
      yield* seed
      const r = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31" })
      yield* expectRow("total", r.total, expectedTotal)
    })
  },
  {
    name: "insights: by round, the rounds' profits add up to the total",
    run: Effect.gen(function* () {
      yield* seed
      const r = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31", by: "round" })
      const row = (k: string) => r.rows.find((x) => x.key === k)
      yield* expectRow("r1", row("r1"), {
        orders: 2,
        revenue: 600,
        costOfGoods: 130,
        profit: 60,
        returnRateUnits: 0.25
      })
      yield* expectRow("r2", row("r2"), {
        orders: 1,
        revenue: 400,
        refunds: 400,
        fixedCosts: 40,
        profit: -200,
        returnRateUnits: null,
        buyerConversion: 1
      })
    })
  },
  {
    name: "insights: by leader and region, with commission",
    run: Effect.gen(function* () {
      yield* seed
      const leaders = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31", by: "leader" })
      yield* expectRow(
        "L1",
        leaders.rows.find((x) => x.key === "L1"),
        { orders: 2, revenue: 600, commission: 60, returnRateUnits: 0.25 }
      )
      const regions = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31", by: "region" })
      yield* expectRow(
        "台北市大安區",
        regions.rows.find((x) => x.key === "台北市大安區"),
        { orders: 2, commenters: 5, commentersWhoOrdered: 2 }
      )
    })
  },
  {
    name: "insights: by product, the products' profits add up to the round's",
    run: Effect.gen(function* () {
      yield* seed
      const r = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31", by: "product" })
      const row = (k: string) => r.rows.find((x) => x.key === k)
      yield* expectRow("SOCK", row("SOCK"), { orders: 2, units: 3, revenue: 300, returnRateUnits: 0 })
      yield* expectRow("MUG", row("MUG"), { orders: 1, units: 1, revenue: 300, returnRateUnits: 1, costOfGoods: 0 })
      const sum = (row("SOCK")?.profit ?? 0) + (row("MUG")?.profit ?? 0)
      if (!close(sum, 60))
        return yield* Effect.fail(new InsightContractFailure({ message: `SOCK + MUG profit: expected 60, got ${sum}` }))
    })
  },
  {
    name: "insights: catching up again after new events updates the facts (no rebuild)",
    run: Effect.gen(function* () {
      yield* seed
      const storage = yield* Storage
      const before = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31" })
      yield* storage.commit([
        {
          appends: [
            {
              stream: "shipment:s3",
              expectedVersion: 1,
              events: [ev("ShipmentReturned", t("20T12:00:00"), { reason: "wrong-size" })]
            }
          ],
          views: [],
          outbox: []
        }
      ])
      const after = yield* InsightFacts.report({ from: "2026-03-01", to: "2026-03-31" })
      yield* expectRow("before", before.total, { returnedUnits: 1 })
      yield* expectRow("after", after.total, { returnedUnits: 2, returnRateUnits: 0.5 })
    })
  }
]
