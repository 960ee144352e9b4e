/**
 * The pure parts of payment deadlines, built here so `GroupBuy.closeRound` (which schedules the
 * jobs and fills the payment-due messages), `PaymentDeadlines` (which runs them) and `Scheduler`
 * reach them without importing one another: the jobs' kinds and ids, when they are due, how a
 * buyer pays (`bank`, `paymentUrl`, `dueAt` in a message's data) and the pay page's base URL.
 */
import { Context } from "effect"
import type { RoundSpec } from "../RoundSpec.js"
import type { ScheduledJob } from "../Storage.js"
import { parseIsoDuration } from "./isoDuration.js"

/** The kind of a round's payment-deadline job (payload `{ roundId, deadline }`). */
export const PAYMENT_DEADLINE = "round.payment-deadline"
/** The kind of a round's payment-reminder job (payload `{ roundId, deadline }`). */
export const PAYMENT_REMINDER = "round.payment-reminder"

const DAY = 24 * 60 * 60 * 1000

/**
 * The public base URL of the host's pay page (`https://shop.example.com`): the payment-due
 * messages link `<base>/pay/<orderId>` when the round offers gateways. Default none (no link).
 * A host sets it from its configuration, e.g. `kaituan serve` from `KAITUAN_PUBLIC_URL`:
 * `Layer.succeed(PayPageUrl, publicUrl)` next to `GroupBuy.layer` and the scheduler.
 */
export const PayPageUrl = Context.Reference<string | undefined>("@kaituan/core/PayPageUrl", {
  defaultValue: () => undefined
})

/** The payment deadline of a round closed at `closedAt`: `closedAt + payWithin`; `undefined` without one. */
export const deadlineOf = (closedAt: string, payWithin: string | undefined): string | undefined => {
  if (payWithin === undefined) return undefined
  const within = parseIsoDuration(payWithin)
  const closed = Date.parse(closedAt)
  if (within === undefined || within <= 0 || Number.isNaN(closed)) return undefined
  return new Date(closed + within).toISOString()
}

/**
 * When the payment reminder goes out: one day before the deadline, or half-way through the
 * window when it is two days or shorter (`P3D` → 2 days after the close; `PT12H` → 6 hours).
 */
export const reminderAt = (closedAt: string, deadline: string): string => {
  const closed = Date.parse(closedAt)
  const due = Date.parse(deadline)
  const lead = Math.min(DAY, Math.floor((due - closed) / 2))
  return new Date(due - lead).toISOString()
}

/** A part of a job id: `:` and `%` escaped. */
const part = (s: string): string => s.replaceAll("%", "%25").replaceAll(":", "%3A")

/** The id of a round's payment-deadline job for the close at `closedAt` (a reopened round closes again: a new job). */
export const deadlineJobId = (roundId: string, closedAt: string): string =>
  `pay-deadline:${part(roundId)}:${part(closedAt)}`

/** The id of a round's payment-reminder job for the close at `closedAt`. */
export const reminderJobId = (roundId: string, closedAt: string): string =>
  `pay-reminder:${part(roundId)}:${part(closedAt)}`

/**
 * The jobs a close at `closedAt` schedules in its commit: the reminder and the deadline, when the
 * round has `payWithin`; none otherwise.
 */
export const paymentJobs = (
  roundId: string,
  closedAt: string,
  spec: Pick<RoundSpec, "payWithin"> | undefined
): Array<ScheduledJob> => {
  const deadline = deadlineOf(closedAt, spec?.payWithin)
  if (deadline === undefined) return []
  const payload = { roundId, deadline }
  return [
    { id: reminderJobId(roundId, closedAt), kind: PAYMENT_REMINDER, dueAt: reminderAt(closedAt, deadline), payload },
    { id: deadlineJobId(roundId, closedAt), kind: PAYMENT_DEADLINE, dueAt: deadline, payload }
  ]
}

/**
 * How the buyer of `orderId` pays, as payment-due message data: `bank` (the round's account, for
 * transfers), `paymentUrl` (`<base>/pay/<orderId>`, when the round offers gateways and the host
 * set {@link PayPageUrl}) and `dueAt` (the deadline, when there is one).
 */
export const howToPay = (
  spec: Pick<RoundSpec, "payment"> | undefined,
  orderId: string,
  payPageUrl: string | undefined,
  deadline: string | undefined
): Record<string, unknown> => {
  const data: Record<string, unknown> = {}
  const bank = spec?.payment?.bank
  if (bank !== undefined) data.bank = { code: bank.code, account: bank.account, name: bank.name }
  const gateways = spec?.payment?.gateways ?? []
  if (payPageUrl !== undefined && payPageUrl !== "" && gateways.length > 0)
    data.paymentUrl = `${payPageUrl.replace(/\/+$/, "")}/pay/${encodeURIComponent(orderId)}`
  if (deadline !== undefined) data.dueAt = deadline
  return data
}
