/**
 * One movement of money, whatever told us about it: a bank statement row or a payment gateway
 * notification. The matcher decides on transactions only, so both go through the same rules.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** What a gateway said about the payment behind a transaction. */
export const GatewayInfo = Schema.Struct({
  gateway: Schema.String,
  tradeNo: Schema.String,
  /** `paid` is money; `pending` (e.g. a virtual account issued) and `failed` are not. */
  status: Schema.Literals(["paid", "pending", "failed"]),
  /** Simulated payments (ECPay `SimulatePaid=1`) are never real money. */
  simulated: Schema.Boolean,
  method: Schema.String
})
export type GatewayInfo = typeof GatewayInfo.Type

/** A transaction. */
export const Transaction = Schema.Struct({
  /**
   * Stable identity: re-importing the same statement gives the same ids (a hash of the account,
   * date/time, amount, balance, payer account and occurrence index), and a gateway payment is
   * `gw:<gateway>:<tradeNo>`. It is the idempotency key for applying the money.
   */
  id: Schema.String,
  source: Schema.Literals(["statement", "gateway"]),
  /** For statement rows: the 1-based line (CSV) or row (xlsx) in the file. */
  row: Schema.optional(Schema.Int),
  /** The transaction date, `YYYY-MM-DD`. */
  date: Schema.String,
  /** The time of day, `HH:mm:ss`, when the source gives one. */
  time: Schema.optional(Schema.String),
  /** Date and time as ISO 8601 with the statement's UTC offset (midnight when there is no time). */
  at: Schema.String,
  /** Integer TWD: positive = money in, negative = money out. */
  amount: Schema.Int,
  balance: Schema.optional(Schema.Int),
  /** The payer's bank code (3 digits), when shown. */
  bankCode: Schema.optional(Schema.String),
  /** The last five digits of the payer's account (後五碼), when shown. */
  last5: Schema.optional(Schema.String),
  /** The bank's description (摘要 / 說明), e.g. `跨行轉入`. */
  description: Schema.optional(Schema.String),
  /** The payer's message and notes (附言, 備註…), joined with a space. */
  memo: Schema.String,
  /** The booking date (帳務日期) when the statement has one and it differs. */
  postingDate: Schema.optional(Schema.String),
  /** An order reference the source gives directly (a gateway's merchant order number). */
  orderRef: Schema.optional(Schema.String),
  gateway: Schema.optional(GatewayInfo)
})
export type Transaction = typeof Transaction.Type

/** The default UTC offset of statements: Taiwan, +08:00 (no daylight saving). */
export const taipeiOffsetMinutes = 480

/** Formats a UTC offset in minutes as `+08:00`. */
export const formatOffset = (minutes: number): string => {
  const sign = minutes < 0 ? "-" : "+"
  const abs = Math.abs(minutes)
  const h = Math.floor(abs / 60)
  const m = abs % 60
  return `${sign}${h < 10 ? "0" : ""}${h}:${m < 10 ? "0" : ""}${m}`
}

/** `2024-04-02` + `10:00:00` + `+08:00` → `2024-04-02T10:00:00+08:00`. */
export const isoAt = (date: string, time: string | undefined, offsetMinutes: number = taipeiOffsetMinutes): string =>
  `${date}T${time ?? "00:00:00"}${formatOffset(offsetMinutes)}`

/** True when the source gave only a date (no time of day). */
export const isDateOnly = (tx: Pick<Transaction, "time">): boolean => tx.time === undefined

/**
 * Processing order: by time, then by content (amount, bank code, last five digits, memo), then by
 * id. It depends only on the transactions themselves, never on their position in the input, so
 * shuffled input gives the same order.
 */
export const compare = (
  a: Transaction,
  b: Transaction,
  aMs: number = Date.parse(a.at),
  bMs: number = Date.parse(b.at)
): number => {
  if (aMs !== bMs) return aMs - bMs
  if (a.amount !== b.amount) return a.amount - b.amount
  const ka = `${a.bankCode ?? ""}|${a.last5 ?? ""}|${a.memo}|${a.id}`
  const kb = `${b.bankCode ?? ""}|${b.last5 ?? ""}|${b.memo}|${b.id}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}
