/**
 * Gateway payments as transactions: a NewebPay or ECPay notification (core's
 * `PaymentGateway.GatewayPayment`) becomes a {@link Transaction.Transaction} that the
 * {@link Matcher} decides on by the same rules as a bank statement row.
 *
 * - `payerLast5` (NewebPay `PayerAccount5Code`, ECPay `ATMAccNo`) and `payerBankCode` become the
 *   transaction's `last5` and `bankCode`;
 * - `merchantOrderNo` becomes `orderRef`: when it names an order it is identity evidence;
 * - `status: "pending"` (a virtual account was issued) and `"failed"` are not money, and
 *   `simulated: true` (ECPay `SimulatePaid=1`) is never real money: the matcher ignores them.
 *
 * @since 0.1.0
 */
import type { PaymentGateway } from "@kaituan/core"
import { Data, Result } from "effect"
import { parseDate } from "./internal/cells.js"
import { isoAt, taipeiOffsetMinutes, type Transaction } from "./Transaction.js"

/** A gateway payment that cannot become a transaction. */
export class GatewayTransactionError extends Data.TaggedError("GatewayTransactionError")<{
  readonly reason: "no-time" | "bad-time"
  readonly tradeNo: string
  readonly message: string
}> {}

/** Options for {@link fromGatewayPayment}. */
export interface Options {
  /** When the notification arrived (ISO 8601); used when the payment has no `paidAt`. */
  readonly receivedAt?: string | undefined
  /** Maps a merchant order number back to an order id when they differ (default: the number itself). */
  readonly orderIdOf?: ((merchantOrderNo: string) => string | undefined) | undefined
  /** UTC offset of the gateway's local times (default +480, Taiwan). */
  readonly utcOffsetMinutes?: number | undefined
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

const wallClock = (ms: number, offsetMin: number): { readonly date: string; readonly time: string } => {
  const d = new Date(ms + offsetMin * 60_000)
  return {
    date: `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`,
    time: `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  }
}

const readTime = (
  s: string,
  offsetMin: number
): { readonly date: string; readonly time?: string | undefined } | undefined => {
  if (/T.*(Z|[+-]\d\d:?\d\d)$/.test(s)) {
    const ms = Date.parse(s)
    return Number.isNaN(ms) ? undefined : wallClock(ms, offsetMin)
  }
  // NewebPay `2024-05-01 12:34:56`, ECPay `2024/05/01 12:34:56` (local time).
  const r = parseDate(s)
  return r._tag === "Value" ? r.value : undefined
}

/**
 * Converts a gateway payment into a transaction with id `gw:<gateway>:<tradeNo>` (the trade number
 * is the gateway's idempotency key, so a redelivered notification is the same transaction).
 */
export const fromGatewayPayment = (
  payment: PaymentGateway.GatewayPayment,
  options: Options = {}
): Result.Result<Transaction, GatewayTransactionError> => {
  const offset = options.utcOffsetMinutes ?? taipeiOffsetMinutes
  const when = payment.paidAt ?? options.receivedAt
  let dt: { readonly date: string; readonly time?: string | undefined } | undefined
  if (when === undefined) {
    if (payment.status === "paid")
      return Result.fail(
        new GatewayTransactionError({
          reason: "no-time",
          tradeNo: payment.tradeNo,
          message: `payment ${payment.tradeNo} has no payment time`
        })
      )
    dt = { date: "1970-01-01", time: "00:00:00" }
  } else {
    dt = readTime(when, offset)
    if (dt === undefined)
      return Result.fail(
        new GatewayTransactionError({
          reason: "bad-time",
          tradeNo: payment.tradeNo,
          message: `payment ${payment.tradeNo}: "${when}" is not a time`
        })
      )
  }
  const orderRef = options.orderIdOf?.(payment.merchantOrderNo) ?? payment.merchantOrderNo
  const tx: { -readonly [K in keyof Transaction]: Transaction[K] } = {
    id: `gw:${payment.gateway}:${payment.tradeNo}`,
    source: "gateway",
    date: dt.date,
    at: isoAt(dt.date, dt.time, offset),
    amount: payment.amount,
    memo: "",
    description: `${payment.gateway} ${payment.method}`,
    orderRef,
    gateway: {
      gateway: payment.gateway,
      tradeNo: payment.tradeNo,
      status: payment.status,
      simulated: payment.simulated,
      method: payment.method
    }
  }
  if (dt.time !== undefined) tx.time = dt.time
  if (payment.payerBankCode !== undefined && /^\d{3}$/.test(payment.payerBankCode)) tx.bankCode = payment.payerBankCode
  if (payment.payerLast5 !== undefined) {
    const digits = payment.payerLast5.replace(/\D/g, "")
    if (digits.length >= 5) tx.last5 = digits.slice(-5)
  }
  return Result.succeed(tx)
}
