/**
 * A round's numbers: orders by status, money in and out, stock left, orders over time, and the
 * orders flagged at the payment deadline that still owe money (逾期未付款).
 */
import type { Order, OrdersPage, OverdueOrders, Report } from "../api.js"
import { seg } from "../api.js"
import { dateTime, money, number } from "../format.js"
import type { Lang } from "../i18n.js"
import { Link, Show, useApp, useLoad } from "../ui.js"
import { folders } from "./Orders.js"
import { RoundHeader, useRound } from "./RoundNav.js"

/** The chart reads at most this many orders (pages of 200). */
const CHART_MAX = 2000

export const Dashboard = (props: { readonly roundId: string }) => {
  const { t, api, lang } = useApp()
  const [round] = useRound(props.roundId)
  const [report, reload] = useLoad(() => api.get<Report>(`/rounds/${seg(props.roundId)}/report`), [props.roundId])
  const [overdue] = useLoad(() => api.get<OverdueOrders>(`/rounds/${seg(props.roundId)}/overdue`), [props.roundId])
  const [times] = useLoad(async () => {
    const out: Array<string> = []
    let cursor: string | undefined
    let truncated = false
    for (;;) {
      const page: OrdersPage = await api.get(`/rounds/${seg(props.roundId)}/orders`, { limit: "200", cursor })
      for (const o of page.items as ReadonlyArray<Order>)
        if (o.status !== "cancelled" && o.status !== "refunded") out.push(o.placedAt)
      if (page.nextCursor === null) break
      if (out.length >= CHART_MAX) {
        truncated = true
        break
      }
      cursor = page.nextCursor
    }
    return { times: out, truncated }
  }, [props.roundId])

  return (
    <>
      <RoundHeader
        roundId={props.roundId}
        current="dashboard"
        round={round.state === "done" ? round.value : undefined}
        {...(report.state === "done" ? { badge: { review: report.value.review } } : {})}
      />
      <Show loaded={report} reload={reload}>
        {(r) => {
          const pct = r.orders.total === 0 ? 0 : Math.round((r.orders.paid / r.orders.total) * 100)
          const byFolder = folders
            .map((f) => ({ f, n: f.statuses.reduce((s, st) => s + (r.orders.byStatus[st] ?? 0), 0) }))
            .filter((x) => x.n > 0 || x.f.id !== "open")
          const maxFolder = Math.max(1, ...byFolder.map((x) => x.n))
          return (
            <>
              <section class="stats" aria-label={t("tabs.dashboard")}>
                <Stat label={t("dash.orders")} value={number(lang, r.orders.count)} />
                <Stat label={t("dash.units")} value={number(lang, r.orders.units)} />
                <Stat label={t("dash.total")} value={money(lang, r.orders.total)} />
                <Stat label={t("dash.paid")} value={money(lang, r.orders.paid)} sub={t("dash.paidRatio", { pct })} />
                <Stat label={t("dash.outstanding")} value={money(lang, r.orders.outstanding)} tone="amber" />
                <Stat
                  label={t("dash.review")}
                  value={number(lang, r.review)}
                  link={`rounds/${seg(props.roundId)}/review`}
                  tone={r.review > 0 ? "amber" : undefined}
                />
                <Stat
                  label={t("dash.notOrdered")}
                  value={number(lang, r.notOrdered)}
                  link={`rounds/${seg(props.roundId)}/review`}
                />
              </section>
              {overdue.state === "done" && overdue.value.items.length > 0 ? (
                <Overdue roundId={props.roundId} overdue={overdue.value} />
              ) : null}
              <div class="grid-2">
                <section class="panel" aria-labelledby="by-status">
                  <h2 id="by-status">{t("dash.byStatus")}</h2>
                  <ul class="bars">
                    {byFolder.map(({ f, n }) => (
                      <li key={f.id}>
                        <Link to={`rounds/${seg(props.roundId)}/orders?folder=${f.id}`} class="bar-row">
                          <span class="bar-label">{t(f.key)}</span>
                          <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                            <rect x="0" y="0" width="100" height="10" class="bar-bg" />
                            <rect x="0" y="0" width={(n / maxFolder) * 100} height="10" class={`bar-fg ${f.tone}`} />
                          </svg>
                          <span class="bar-n">{number(lang, n)}</span>
                        </Link>
                      </li>
                    ))}
                  </ul>
                </section>
                <section class="panel" aria-labelledby="chart">
                  <h2 id="chart">{t("dash.chart")}</h2>
                  <Show loaded={times}>
                    {(x) =>
                      x.times.length === 0 ? (
                        <p class="empty">{t("dash.chartNone")}</p>
                      ) : (
                        <>
                          <Chart lang={lang} times={x.times} />
                          {x.truncated ? (
                            <p class="muted small">{t("dash.chartSample", { n: x.times.length })}</p>
                          ) : null}
                        </>
                      )
                    }
                  </Show>
                </section>
              </div>
              <section class="panel" aria-labelledby="stock">
                <h2 id="stock">{t("dash.stock")}</h2>
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">{t("common.sku")}</th>
                      <th scope="col" class="num">
                        {t("dash.sold")}
                      </th>
                      <th scope="col" class="num">
                        {t("dash.left")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.stock.map((s) => (
                      <tr key={s.sku} class={s.left === 0 ? "sold-out" : undefined}>
                        <td class="mono">{s.sku}</td>
                        <td class="num">{number(lang, s.sold)}</td>
                        <td class="num">{s.left === null ? t("common.unlimited") : number(lang, s.left)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </>
          )
        }}
      </Show>
    </>
  )
}

/** The orders flagged at the payment deadline that still owe money, oldest flag first. */
const Overdue = (props: { readonly roundId: string; readonly overdue: OverdueOrders }) => {
  const { t, lang } = useApp()
  const items = props.overdue.items
  const owed = items.reduce((sum, i) => sum + i.owed, 0)
  return (
    <section class="panel overdue" aria-labelledby="overdue">
      <h2 id="overdue">{t("dash.overdue", { n: number(lang, items.length) })}</h2>
      <p class="notice warn">
        {t("dash.overdueIntro", { owed: money(lang, owed), at: dateTime(lang, items[0]!.deadline) })}
      </p>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t("dash.overdueBuyer")}</th>
            <th scope="col" class="num">
              {t("dash.overdueTotal")}
            </th>
            <th scope="col" class="num">
              {t("dash.overdueOwed")}
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((i) => (
            <tr key={i.order.orderId} data-order={i.order.orderId}>
              <td>
                <Link to={`buyers/${seg(i.order.buyerId)}?round=${seg(props.roundId)}`}>{i.order.buyer.name}</Link>
                <span class="mono small muted"> {i.order.orderId}</span>
              </td>
              <td class="num">{money(lang, i.order.total)}</td>
              <td class="num">{money(lang, i.owed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

const Stat = (props: {
  readonly label: string
  readonly value: string
  readonly sub?: string
  readonly link?: string
  readonly tone?: string | undefined
}) => {
  const body = (
    <>
      <span class="stat-label">{props.label}</span>
      <span class="stat-value">{props.value}</span>
      {props.sub === undefined ? null : <span class="stat-sub">{props.sub}</span>}
    </>
  )
  return props.link === undefined ? (
    <div class={`stat ${props.tone ?? ""}`}>{body}</div>
  ) : (
    <Link to={props.link} class={`stat link ${props.tone ?? ""}`}>
      {body}
    </Link>
  )
}

/** Cumulative orders over time, as an inline SVG step line (no chart library: ~60 lines). */
const Chart = (props: { readonly lang: Lang; readonly times: ReadonlyArray<string> }) => {
  const { t } = useApp()
  const ms = props.times
    .map((s) => Date.parse(s))
    .filter((n) => !Number.isNaN(n))
    .sort((a, b) => a - b)
  if (ms.length === 0) return <p class="empty">{t("dash.chartNone")}</p>
  const W = 320
  const H = 160
  const pad = { l: 34, r: 8, t: 8, b: 22 }
  const t0 = ms[0]!
  const t1 = Math.max(ms[ms.length - 1]!, t0 + 60_000)
  const x = (v: number) => pad.l + ((v - t0) / (t1 - t0)) * (W - pad.l - pad.r)
  const y = (n: number) => H - pad.b - (n / ms.length) * (H - pad.t - pad.b)
  let d = `M ${x(t0).toFixed(1)} ${y(0).toFixed(1)}`
  ms.forEach((v, i) => {
    d += ` H ${x(v).toFixed(1)} V ${y(i + 1).toFixed(1)}`
  })
  d += ` H ${x(t1).toFixed(1)}`
  const area = `${d} V ${y(0).toFixed(1)} Z`
  const from = dateTime(props.lang, new Date(t0).toISOString())
  const to = dateTime(props.lang, new Date(t1).toISOString())
  const ticks = [0, Math.round(ms.length / 2), ms.length].filter((v, i, a) => a.indexOf(v) === i)
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t("dash.chartAlt", { from, to, n: ms.length })}>
        {ticks.map((n) => (
          <g key={n}>
            <line x1={pad.l} x2={W - pad.r} y1={y(n)} y2={y(n)} class="grid" />
            <text x={pad.l - 4} y={y(n) + 3} class="axis" text-anchor="end">
              {n}
            </text>
          </g>
        ))}
        <path d={area} class="area" />
        <path d={d} class="line" />
        <text x={pad.l} y={H - 6} class="axis">
          {from}
        </text>
        <text x={W - pad.r} y={H - 6} class="axis" text-anchor="end">
          {to}
        </text>
      </svg>
    </figure>
  )
}
