/**
 * Money is an integer number of New Taiwan dollars (TWD). There are no fractions: TWD prices and
 * bank transfers are whole dollars.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** A non-negative integer amount in TWD. */
export const Twd = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
  identifier: "Twd",
  description: "integer TWD"
})
export type Twd = typeof Twd.Type

/** A signed integer amount in TWD (a balance, a difference). */
export const SignedTwd = Schema.Int.annotate({ identifier: "SignedTwd" })
export type SignedTwd = typeof SignedTwd.Type

/** Sum of amounts. */
export const sum = (amounts: Iterable<number>): number => {
  let total = 0
  for (const a of amounts) total += a
  return total
}

/** Formats an amount for people: `NT$1,300`. */
export const format = (amount: number): string => `NT$${amount.toLocaleString("en-US")}`
