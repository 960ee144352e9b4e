/**
 * The insight views on PostgreSQL give the library's numbers (`Insights.report` by round) on the
 * insights contract's fixture: the same definitions, in SQL, for BI tools.
 */
import { describe, expect, it } from "@effect/vitest"
import { InsightContract, InsightFacts, type Insights } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { InsightViews, SqlStorage } from "../src/index.js"
import { dropPrefixed, pgClient, uniquePrefix } from "./support.js"

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

/** The view's column for a library Row field. */
const columns: ReadonlyArray<readonly [keyof Insights.Row, string]> = [
  ["orders", "orders"],
  ["buyers", "buyers"],
  ["units", "units"],
  ["revenue", "revenue"],
  ["costOfGoods", "cost_of_goods"],
  ["shippingCost", "shipping_cost"],
  ["paymentFees", "payment_fees"],
  ["refunds", "refunds"],
  ["commission", "commission"],
  ["fixedCosts", "fixed_costs"],
  ["marketingCosts", "marketing_costs"],
  ["profit", "profit"],
  ["profitPerOrder", "profit_per_order"],
  ["shippedUnits", "shipped_units"],
  ["returnedUnits", "returned_units"],
  ["returnRateUnits", "return_rate_units"],
  ["returnRateValue", "return_rate_value"],
  ["daysToShipMean", "days_to_ship_mean"],
  ["daysToShipMedian", "days_to_ship_median"],
  ["commenters", "commenters"],
  ["commentersWhoOrdered", "commenters_who_ordered"],
  ["buyerConversion", "buyer_conversion"],
  ["commentConversion", "comment_conversion"],
  ["responseHoursMedian", "response_hours_median"],
  ["responseHoursP90", "response_hours_p90"]
]

describe("InsightViews on PostgreSQL", () => {
  it.live("insight_kpi_rounds equals Insights.report by round; insight_orders sums to the total", () => {
    const prefix = uniquePrefix("v")
    const cleanup = Layer.effectDiscard(Effect.addFinalizer(() => dropPrefixed(prefix).pipe(Effect.orDie)))
    // The views go first: dropping the tables they read drops them (CASCADE).
    return Effect.gen(function* () {
      yield* InsightContract.seed
      const library = yield* InsightFacts.report({ by: "round" })
      yield* InsightViews.install({ tablePrefix: prefix })
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT * FROM "${prefix}insight_kpi_rounds" ORDER BY round_id`
      )
      expect(rows.map((r) => r.round_id)).toEqual(["r1", "r2"])
      for (const row of rows) {
        const lib = library.rows.find((r) => r.key === row.round_id)!
        for (const [field, column] of columns) {
          const expected = lib[field] as number | null
          const actual = num(row[column])
          if (expected === null) expect([column, actual]).toEqual([column, null])
          else expect([column, actual! - expected]).toEqual([column, expect.closeTo(0, 9)])
        }
      }
      const [total] = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT count(*) AS orders, sum(profit) AS profit, sum(fixed_costs + marketing_costs) AS allocated
         FROM "${prefix}insight_orders" WHERE valid`
      )
      expect(num(total!.orders)).toBe(library.total.orders)
      expect(num(total!.profit)).toBeCloseTo(library.total.profit, 9)
      expect(num(total!.allocated)).toBeCloseTo(160, 9)
      const leaders = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT leader_id, region, count(*) AS orders FROM "${prefix}insight_orders" WHERE valid GROUP BY 1, 2 ORDER BY 1`
      )
      expect(leaders.map((r) => [r.leader_id, r.region, num(r.orders)])).toEqual([
        ["L1", "台北市大安區", 2],
        [null, null, 1]
      ])
    }).pipe(
      Effect.provide(
        Layer.merge(SqlStorage.layer({ tablePrefix: prefix, readModels: InsightContract.readModels }), cleanup).pipe(
          Layer.provideMerge(pgClient())
        )
      )
    )
  })
})
