/**
 * `kaituan report --db DB [--from DATE] [--to DATE] [--by product|round|channel|leader|region]
 * [--period day|week|month] [--settings FILE.json] [--views] [--json]`: the KPIs organisers manage by
 * (docs/insights.md) — profit per order, days to ship, return rate, response time, conversion,
 * repurchase, lifetime value — as a table in Chinese, or the whole report as JSON.
 */
import fs from "node:fs"
import path from "node:path"
import { InsightFacts, Insights, InsightSettings } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Cause, Effect, Exit, Option, Schema } from "effect"
import { type Command, describeFsError, flags, UsageError } from "../Io.js"
import { table } from "../Table.js"

export const usage = `kaituan report --db PATH|postgres://… [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by product|category|round|channel|leader|region] [--period day|week|month] [--settings FILE.json] [--views] [--json]

The KPIs of the orders placed from --from to --to (Taipei dates, inclusive; default: all):
orders, revenue, profit and profit per order (after cost of goods, shipping, payment fees,
refunds, leaders' commission and the fixed and marketing costs allocated by revenue share),
days to ship, return rate, review response time, conversion, repurchase rate and lifetime value,
grouped by --by (default: one row) and --period. Definitions: docs/insights.md.
--settings applies a JSON file of costs and leaders first (unitCosts, shippingCosts, feeRates,
categories, costs, leaders); they are kept in the database for the next reports.
--views (PostgreSQL) creates or replaces the insight views for BI tools (docs/insights.md).
--json prints the whole report (every column, nulls where a rate has nothing to divide by).`

const dimensions = Insights.Dimension.literals
const periods = Insights.Period.literals
const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`))

const money = (n: number) => Math.round(n)
const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`)
const num1 = (r: number | null) => (r === null ? "—" : r.toFixed(1))

/** The report as a table: one line per row, then the total. */
export const render = (r: Insights.Report): string => {
  const withPeriod = r.period !== "all"
  const headers = [
    ...(withPeriod ? ["期間"] : []),
    "分組",
    "訂單",
    "營收",
    "利潤",
    "每單利潤",
    "毛利率",
    "出貨天數(中位)",
    "退貨率(件)",
    "退貨率(金額)",
    "回覆(時,中位)",
    "回覆(時,P90)",
    "買家轉換",
    "回購率",
    "終身價值"
  ]
  const line = (row: Insights.Row, key: string) => [
    ...(withPeriod ? [row.period] : []),
    key,
    row.orders,
    money(row.revenue),
    money(row.profit),
    row.profitPerOrder === null ? "—" : money(row.profitPerOrder),
    pct(row.grossMargin),
    num1(row.daysToShipMedian),
    pct(row.returnRateUnits),
    pct(row.returnRateValue),
    num1(row.responseHoursMedian),
    num1(row.responseHoursP90),
    pct(row.buyerConversion),
    pct(row.repurchaseRate),
    row.lifetimeValue === null ? "—" : money(row.lifetimeValue)
  ]
  const rows = r.by === "total" && r.period === "all" ? [] : r.rows.map((row) => line(row, row.key))
  const range = `${r.from ?? "最早"} ～ ${r.to ?? "最新"}`
  const unallocated = r.unallocatedCosts > 0 ? `\n未分攤費用 NT$${money(r.unallocatedCosts)}（該團或該月沒有營收）` : ""
  return `經營分析 ${range}\n${table(headers, [...rows, line(r.total, "合計")])}${unallocated}`
}

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    db: { type: "string", default: Database.defaultUrl },
    from: { type: "string" },
    to: { type: "string" },
    by: { type: "string", default: "total" },
    period: { type: "string", default: "all" },
    settings: { type: "string" },
    views: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  for (const [flag, v] of [
    ["--from", values.from],
    ["--to", values.to]
  ] as const)
    if (v !== undefined && !isDate(v)) throw new UsageError(`report: ${flag} must be a date YYYY-MM-DD, not "${v}"`)
  if (values.from !== undefined && values.to !== undefined && values.from > values.to)
    throw new UsageError(`report: --from ${values.from} is after --to ${values.to}`)
  const by = values.by as Insights.Dimension
  if (!(dimensions as ReadonlyArray<string>).includes(by))
    throw new UsageError(`report: unknown --by "${values.by}" (one of ${dimensions.join(", ")})`)
  const period = values.period as Insights.Period
  if (!(periods as ReadonlyArray<string>).includes(period))
    throw new UsageError(`report: unknown --period "${values.period}" (one of ${periods.join(", ")})`)
  let file: InsightSettings.File | undefined
  if (values.settings !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(path.resolve(io.cwd, values.settings), "utf8")
    } catch (e) {
      throw new UsageError(`report: cannot read ${values.settings}: ${describeFsError(e)}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw new UsageError(`report: ${values.settings} is not JSON: ${e instanceof Error ? e.message : String(e)}`)
    }
    const decoded = Schema.decodeUnknownExit(InsightSettings.File)(json)
    if (Exit.isFailure(decoded)) {
      const err = Cause.findErrorOption(decoded.cause)
      throw new UsageError(
        `report: ${values.settings}: ${Option.isSome(err) ? String((err.value as { message?: string }).message) : "invalid"}`
      )
    }
    file = decoded.value
  }

  const { dbIn, storageLayer } = await import("../Engine.js")
  const db = dbIn(values.db, io.cwd)
  if (values.views && Database.kindOf(db) !== "postgres")
    throw new UsageError("report: --views needs a postgres:// --db")
  const storage = storageLayer(db)
  const program = Effect.gen(function* () {
    if (file !== undefined) {
      const at = new Date().toISOString()
      for (const c of InsightSettings.commandsFor(file, at)) yield* InsightSettings.execute(c)
    }
    return yield* InsightFacts.report({ from: values.from, to: values.to, by, period })
  })
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.provide(program, storage)))
  if (Exit.isFailure(exit)) {
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isSome(failure)) {
      const e = failure.value as { _tag?: string; message?: string; reason?: string }
      if (e._tag === "InsightSettingsError") throw new UsageError(`report: ${e.message ?? String(e)}`)
      throw new Error(`${e._tag ?? "Error"}${e.reason ? ` (${e.reason})` : ""}: ${e.message ?? String(e)}`)
    }
    throw Cause.squash(exit.cause)
  }
  const report = exit.value
  if (values.views) {
    const { InsightViews } = await import("@kaituan/storage-sql")
    await Effect.runPromise(
      Effect.scoped(Effect.provide(InsightViews.install(), Database.clientLayerFromUrl(db, { maxConnections: 1 })))
    )
    io.stderr.write("kaituan: insight views created (kaituan_insight_orders, kaituan_insight_kpi_rounds …)\n")
  }
  io.stdout.write(
    values.json ? `${JSON.stringify(Schema.encodeSync(Insights.Report)(report), null, 2)}\n` : `${render(report)}\n`
  )
  return 0
}
