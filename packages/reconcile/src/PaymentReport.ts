/**
 * A buyer's own payment report (「已匯款 1300 後五碼 12345」): the comment parser finds the amount
 * and the last five digits (`intent: "payment"`), and this turns that into evidence the
 * {@link Matcher} uses: the reported last five digits identify the buyer.
 *
 * @since 0.1.0
 */
import type { ParseResult } from "@kaituan/core"
import { Option, Schema } from "effect"

/** What a buyer reported about a payment. */
export const PaymentReport = Schema.Struct({
  buyerId: Schema.String,
  /** The last five digits of the paying account, as the buyer reported them. */
  last5: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{5}$/))),
  /** The amount the buyer says they sent. */
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** When the buyer reported it (the comment's time). */
  at: Schema.optional(Schema.String),
  /** The comment it came from. */
  commentId: Schema.optional(Schema.String)
})
export type PaymentReport = typeof PaymentReport.Type

/**
 * Turns a parsed comment into a payment report for `buyer`: `Some` for a `payment` intent that
 * carries a last five digits or an amount, `None` for anything else (an order, a question, a
 * payment comment without numbers).
 *
 * @example
 * ```ts
 * fromComment({ intent: "payment", lines: [], reason: "…", spans: [], amount: 1300, last5: "12345" }, { id: "U1" })
 * // Some({ buyerId: "U1", amount: 1300, last5: "12345" })
 * ```
 */
export const fromComment = (
  parsed: ParseResult.ParseResult,
  buyer: { readonly id: string },
  comment?: { readonly id?: string | undefined; readonly at?: string | undefined }
): Option.Option<PaymentReport> => {
  if (parsed.intent !== "payment") return Option.none()
  if (parsed.last5 === undefined && parsed.amount === undefined) return Option.none()
  const last5 = parsed.last5 !== undefined && /^\d{5}$/.test(parsed.last5) ? parsed.last5 : undefined
  if (last5 === undefined && parsed.amount === undefined) return Option.none()
  return Option.some({
    buyerId: buyer.id,
    ...(last5 !== undefined ? { last5 } : {}),
    ...(parsed.amount !== undefined ? { amount: parsed.amount } : {}),
    ...(comment?.at !== undefined ? { at: comment.at } : {}),
    ...(comment?.id !== undefined ? { commentId: comment.id } : {})
  })
}
