/**
 * 經營分析: the KPIs an organiser reviews every Monday (docs/insights.md) — profit per order, days
 * to ship, return rate, response time, conversion, repurchase, lifetime value — over a range of
 * Taipei dates, a trend by week or month and a ranking by round, product, leader or region, with
 * charts (Apache ECharts, loaded with this page only) that download as PNG or SVG for the weekly
 * report. Organiser only (the API answers 403 to a helper).
 */
import { useEffect, useRef, useState } from "preact/hooks"
import type { Insights } from "@kaituan/core"
import { money, number } from "../format.js"
import type { Key, Lang, T } from "../i18n.js"
import { type InputEvent, Loading, PageTitle, Show, useApp, useLoad, valueOf } from "../ui.js"

type Report = Insights.Report
type Row = Insights.Row
type Dimension = Exclude<Insights.Dimension, "total">
type Period = Exclude<Insights.Period, "all" | "day">

const dimensions: ReadonlyArray<Dimension> = ["round", "product", "category", "channel", "leader", "region"]
const periods: ReadonlyArray<Period> = ["week", "month"]

const DAY = 24 * 60 * 60 * 1000
const taipeiToday = () => new Date(Date.now() + 8 * 60 * 60 * 1000).toISOString().slice(0, 10)
const daysBefore = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) - days * DAY).toISOString().slice(0, 10)

const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`)
const one = (r: number | null) => (r === null ? "—" : r.toFixed(1))
const ntd = (lang: Lang, n: number | null) => (n === null ? "—" : money(lang, Math.round(n)))

/** The group's name as the organiser reads it (none: not attributed). */
const keyLabel = (t: T, key: string) => (key === "(none)" ? t("insights.unattributed") : key)

export const InsightsPage = () => {
  const { t, api, lang, can } = useApp()
  const today = taipeiToday()
  const [from, setFrom] = useState(daysBefore(today, 83))
  const [to, setTo] = useState(today)
  const [by, setBy] = useState<Dimension>("round")
  const [period, setPeriod] = useState<Period>("week")
  const [trend, reloadTrend] = useLoad(() => api.get<Report>("/insights", { from, to, period }), [from, to, period])
  const [ranking, reloadRanking] = useLoad(() => api.get<Report>("/insights", { from, to, by }), [from, to, by])

  if (!can("insights.report"))
    return (
      <>
        <PageTitle>{t("insights.title")}</PageTitle>
        <p class="notice">{t("common.noAccess")}</p>
      </>
    )

  return (
    <>
      <PageTitle sub={t("insights.intro")}>{t("insights.title")}</PageTitle>
      <form class="insights-filters" onSubmit={(e) => e.preventDefault()} aria-label={t("insights.filters")}>
        <label class="field">
          <span class="label">{t("insights.from")}</span>
          <input type="date" name="from" value={from} max={to} onChange={(e: InputEvent) => setFrom(valueOf(e))} />
        </label>
        <label class="field">
          <span class="label">{t("insights.to")}</span>
          <input type="date" name="to" value={to} min={from} onChange={(e: InputEvent) => setTo(valueOf(e))} />
        </label>
        <label class="field">
          <span class="label">{t("insights.period")}</span>
          <select name="period" value={period} onChange={(e: InputEvent) => setPeriod(valueOf(e) as Period)}>
            {periods.map((p) => (
              <option key={p} value={p}>
                {t(`insights.period.${p}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="label">{t("insights.by")}</span>
          <select name="by" value={by} onChange={(e: InputEvent) => setBy(valueOf(e) as Dimension)}>
            {dimensions.map((d) => (
              <option key={d} value={d}>
                {t(`insights.by.${d}` as Key)}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Show loaded={trend} reload={reloadTrend}>
        {(r) =>
          r.period !== period || r.from !== from || r.to !== to ? (
            <Loading />
          ) : (
            <>
              <Totals report={r} />
              <section class="panel" aria-labelledby="insights-trend">
                <h2 id="insights-trend">{t("insights.trend")}</h2>
                <Chart name={`trend-${r.from}-${r.to}`} option={trendOption(t, lang, r)} label={t("insights.trend")} />
              </section>
            </>
          )
        }
      </Show>
      <Show loaded={ranking} reload={reloadRanking}>
        {(r) =>
          r.by !== by || r.from !== from || r.to !== to ? (
            <Loading />
          ) : (
            <section class="panel" aria-labelledby="insights-ranking">
              <h2 id="insights-ranking">{t("insights.ranking", { by: t(`insights.by.${by}` as Key) })}</h2>
              {r.rows.length === 0 ? (
                <p class="muted">{t("insights.empty")}</p>
              ) : (
                <>
                  <Chart
                    name={`${by}-${r.from}-${r.to}`}
                    option={rankingOption(t, r)}
                    label={t("insights.ranking", { by: t(`insights.by.${by}` as Key) })}
                    height={Math.max(220, 48 + r.rows.length * 34)}
                  />
                  <RowsTable rows={r.rows} />
                </>
              )}
            </section>
          )
        }
      </Show>
    </>
  )
}

const Totals = (props: { readonly report: Report }) => {
  const { t, lang } = useApp()
  const x = props.report.total
  const stats: ReadonlyArray<readonly [Key, string, (string | undefined)?]> = [
    ["insights.orders", number(lang, x.orders)],
    ["insights.revenue", ntd(lang, x.revenue)],
    ["insights.profit", ntd(lang, x.profit)],
    ["insights.profitPerOrder", ntd(lang, x.profitPerOrder)],
    [
      "insights.daysToShip",
      one(x.daysToShipMedian),
      x.daysToShipMean === null ? undefined : t("insights.daysToShipMean", { n: one(x.daysToShipMean) })
    ],
    [
      "insights.returnRate",
      pct(x.returnRateUnits),
      x.returnRateValue === null ? undefined : t("insights.byValue", { pct: pct(x.returnRateValue) })
    ],
    [
      "insights.response",
      one(x.responseHoursMedian),
      x.responseHoursP90 === null ? undefined : t("insights.p90", { n: one(x.responseHoursP90) })
    ],
    [
      "insights.conversion",
      pct(x.buyerConversion),
      x.commentConversion === null ? undefined : t("insights.comments", { pct: pct(x.commentConversion) })
    ],
    ["insights.repurchase", pct(x.repurchaseRate)],
    ["insights.ltv", ntd(lang, x.lifetimeValue)]
  ]
  return (
    <section class="stats insights-stats" aria-label={t("insights.totals")}>
      {stats.map(([key, value, sub]) => (
        <div class="stat" key={key}>
          <span class="stat-label">{t(key)}</span>
          <span class="stat-value">{value}</span>
          {sub === undefined ? null : <span class="stat-sub">{sub}</span>}
        </div>
      ))}
    </section>
  )
}

const RowsTable = (props: { readonly rows: ReadonlyArray<Row> }) => {
  const { t, lang } = useApp()
  const heads: ReadonlyArray<Key> = [
    "insights.group",
    "insights.orders",
    "insights.revenue",
    "insights.profit",
    "insights.profitPerOrder",
    "insights.returnRate",
    "insights.daysToShip",
    "insights.conversion",
    "insights.repurchase",
    "insights.commission"
  ]
  return (
    <div class="table-wrap">
      <table class="table insights-table">
        <thead>
          <tr>
            {heads.map((h) => (
              <th key={h} scope="col">
                {t(h)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr key={`${r.period}:${r.key}`}>
              <th scope="row">{keyLabel(t, r.key)}</th>
              <td class="num">{number(lang, r.orders)}</td>
              <td class="num">{ntd(lang, r.revenue)}</td>
              <td class="num">{ntd(lang, r.profit)}</td>
              <td class="num">{ntd(lang, r.profitPerOrder)}</td>
              <td class="num">{pct(r.returnRateUnits)}</td>
              <td class="num">{one(r.daysToShipMedian)}</td>
              <td class="num">{pct(r.buyerConversion)}</td>
              <td class="num">{pct(r.repurchaseRate)}</td>
              <td class="num">{ntd(lang, r.commission)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

// ---------------------------------------------------------------------------------------------
// Charts

type Option = Record<string, unknown>

const palette = ["#2f6f4f", "#d98b2b", "#3b6aa0", "#b24a4a", "#7a5ea8"]

const trendOption = (t: T, lang: Lang, r: Report): Option => ({
  color: palette,
  animation: false,
  tooltip: { trigger: "axis" },
  legend: { top: 0 },
  grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
  xAxis: { type: "category", data: r.rows.map((x) => x.period) },
  yAxis: [
    { type: "value", name: t("insights.revenue"), axisLabel: { formatter: (v: number) => number(lang, v) } },
    { type: "value", name: t("insights.profitPerOrder"), splitLine: { show: false } }
  ],
  series: [
    { name: t("insights.revenue"), type: "bar", data: r.rows.map((x) => Math.round(x.revenue)) },
    {
      name: t("insights.profitPerOrder"),
      type: "line",
      yAxisIndex: 1,
      data: r.rows.map((x) => (x.profitPerOrder === null ? null : Math.round(x.profitPerOrder)))
    }
  ]
})

const rankingOption = (t: T, r: Report): Option => {
  const rows = [...r.rows].sort((a, b) => a.revenue - b.revenue)
  return {
    color: palette,
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: rows.map((x) => keyLabel(t, x.key)) },
    series: [
      { name: t("insights.revenue"), type: "bar", data: rows.map((x) => Math.round(x.revenue)) },
      { name: t("insights.profit"), type: "bar", data: rows.map((x) => Math.round(x.profit)) }
    ]
  }
}

/** ECharts, loaded on first use (the rest of the back office does not carry it). */
const loadECharts = () => import("./InsightsCharts.js")

const download = (name: string, href: string) => {
  const a = document.createElement("a")
  a.href = href
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
}

/** One chart, drawn on a canvas, with PNG and SVG downloads. */
const Chart = (props: {
  readonly name: string
  readonly option: Option
  readonly label: string
  readonly height?: number
}) => {
  const { t } = useApp()
  const box = useRef<HTMLDivElement>(null)
  const chart = useRef<{ dispose: () => void; getDataURL: (o: object) => string; resize: () => void } | undefined>(
    undefined
  )
  const [ready, setReady] = useState(false)
  const height = props.height ?? 300
  useEffect(() => {
    let live = true
    loadECharts().then((echarts) => {
      if (!live || box.current === null) return
      chart.current?.dispose()
      const c = echarts.init(box.current, undefined, { renderer: "canvas", height })
      c.setOption(props.option)
      chart.current = c
      setReady(true)
    })
    const resize = () => chart.current?.resize()
    window.addEventListener("resize", resize)
    return () => {
      live = false
      window.removeEventListener("resize", resize)
      chart.current?.dispose()
      chart.current = undefined
    }
  }, [props.option, height])

  const png = () => {
    const url = chart.current?.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#ffffff" })
    if (url !== undefined) download(`${props.name}.png`, url)
  }
  const svg = async () => {
    const echarts = await loadECharts()
    const width = box.current?.clientWidth ?? 800
    const off = echarts.init(null, undefined, { renderer: "svg", ssr: true, width, height })
    off.setOption({ ...props.option, backgroundColor: "#ffffff" })
    const text = off.renderToSVGString()
    off.dispose()
    const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }))
    download(`${props.name}.svg`, url)
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  return (
    <figure class="chart">
      <div ref={box} class="chart-box" role="img" aria-label={props.label} data-ready={ready ? "yes" : "no"} />
      <figcaption class="chart-actions">
        <button type="button" class="secondary" onClick={png} disabled={!ready}>
          {t("insights.downloadPng")}
        </button>
        <button type="button" class="secondary" onClick={svg} disabled={!ready}>
          {t("insights.downloadSvg")}
        </button>
      </figcaption>
    </figure>
  )
}
