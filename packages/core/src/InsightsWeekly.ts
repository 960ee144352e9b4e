/**
 * The weekly summary (seed 002's Monday review): a durable job (`insights.weekly`, run by the
 * `Scheduler`) that sends the organiser last week's KPIs — Monday to Sunday, Taipei time — as a
 * text message through the outbox, and schedules itself for the next Monday.
 *
 * ```ts
 * // Once, at set-up: the first summary next Monday at 09:00 Taipei time.
 * yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: [InsightsWeekly.job({ to, after: now })] }])
 * // The worker: Scheduler.layer({ handlers: { ...Scheduler.builtIn, ...InsightsWeekly.handlers } })
 * ```
 *
 * The message is sent once per week (its id and the commit's idempotency key name the week),
 * whatever the retries, restarts and workers.
 *
 * @since 0.4.0
 */
import { Effect, Schema } from "effect"
import * as InsightFacts from "./InsightFacts.js"
import type * as Insights from "./Insights.js"
import { Recipient } from "./Notification.js"
import { JobRejected, type Handler } from "./Scheduler.js"
import { Storage, type ScheduledJob } from "./Storage.js"

/** The job's kind. */
export const KIND = "insights.weekly"

const DAY = 24 * 60 * 60 * 1000
const OFFSET = 8 * 60 * 60 * 1000

/** The Monday (`YYYY-MM-DD`, Taipei) of the week an instant falls in. */
const mondayOf = (ms: number): string => {
  const local = new Date(ms + OFFSET)
  const back = (local.getUTCDay() + 6) % 7
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - back * DAY)
    .toISOString()
    .slice(0, 10)
}

/** The first Monday 09:00 Taipei time strictly after an instant (ISO 8601, UTC). */
export const nextMondayMorning = (afterIso: string): string => {
  const after = Date.parse(afterIso)
  let monday = Date.parse(`${mondayOf(after)}T09:00:00+08:00`)
  while (monday <= after) monday += 7 * DAY
  return new Date(monday).toISOString()
}

/** The Taipei week (Monday to Sunday) before the one an instant falls in. */
export const previousWeek = (iso: string): { readonly from: string; readonly to: string } => {
  const monday = Date.parse(`${mondayOf(Date.parse(iso))}T00:00:00Z`)
  return {
    from: new Date(monday - 7 * DAY).toISOString().slice(0, 10),
    to: new Date(monday - DAY).toISOString().slice(0, 10)
  }
}

/** The job's payload: who gets the summary. */
export const Payload = Schema.Struct({ to: Recipient })
/** See {@link Payload}. */
export type Payload = typeof Payload.Type

/** The summary job due the first Monday 09:00 (Taipei) after `after`, for `to`. */
export const job = (input: { readonly to: Payload["to"]; readonly after: string }): ScheduledJob => {
  const dueAt = nextMondayMorning(input.after)
  return { id: `${KIND}:${dueAt.slice(0, 10)}`, kind: KIND, dueAt, payload: { to: input.to } }
}

const ntd = (n: number) => `NT$${Math.round(n).toLocaleString("en-US")}`
const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`)
const one = (r: number | null) => (r === null ? "—" : r.toFixed(1))

/** The summary's text (Traditional Chinese): the week's totals and its top rounds by profit. */
export const render = (total: Insights.Report, byRound: Insights.Report): string => {
  const x = total.total
  const lines = [
    `📊 上週經營摘要（${total.from} ～ ${total.to}）`,
    `有效訂單 ${x.orders} 筆・營收 ${ntd(x.revenue)}・利潤 ${ntd(x.profit)}`,
    `每單利潤 ${x.profitPerOrder === null ? "—" : ntd(x.profitPerOrder)}・毛利率 ${pct(x.grossMargin)}`,
    `出貨天數中位 ${one(x.daysToShipMedian)} 天・退貨率 ${pct(x.returnRateUnits)}`,
    `客服回覆中位 ${one(x.responseHoursMedian)} 小時（P90 ${one(x.responseHoursP90)}）`,
    `買家轉換 ${pct(x.buyerConversion)}・回購率 ${pct(x.repurchaseRate)}`
  ]
  const top = byRound.rows.slice(0, 3)
  if (top.length > 0) {
    lines.push("利潤最高的團：")
    for (const r of top) lines.push(`・${r.key}：${r.orders} 筆，利潤 ${ntd(r.profit)}`)
  }
  return lines.join("\n")
}

const decodePayload = Schema.decodeUnknownEffect(Payload)

/**
 * Sends last week's summary (the Taipei week before the job's `dueAt`) to the payload's
 * recipient and schedules the next one, in one commit keyed by the week.
 */
export const run: Handler<Storage> = (claimed) =>
  Effect.gen(function* () {
    const { to } = yield* decodePayload(claimed.payload).pipe(
      Effect.mapError(() => new JobRejected({ message: `${KIND} payload must be { to: Recipient }` }))
    )
    const week = previousWeek(claimed.dueAt)
    const total = yield* InsightFacts.report(week)
    const byRound = yield* InsightFacts.report({ ...week, by: "round" })
    const storage = yield* Storage
    yield* storage.commit([
      {
        idempotencyKey: `${KIND}:${week.from}`,
        appends: [],
        views: [],
        outbox: [
          {
            id: `${KIND}:${week.from}`,
            kind: "text",
            to,
            data: { text: render(total, byRound) },
            createdAt: claimed.dueAt
          }
        ],
        schedule: [job({ to, after: claimed.dueAt })]
      }
    ])
  })

/** The handlers to add to the Scheduler's: `{ ...Scheduler.builtIn, ...InsightsWeekly.handlers }`. */
export const handlers = { [KIND]: run } as const
