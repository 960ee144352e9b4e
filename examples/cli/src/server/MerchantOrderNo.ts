/**
 * The merchant order number sent to a gateway for an order. Order ids (`o_` + 21 nanoid
 * characters with `-` and `_`) fit neither ECPay's `MerchantTradeNo` (1–20 letters or digits) nor,
 * always, NewebPay's `MerchantOrderNo` (1–30 of `[A-Za-z0-9_]`), and ECPay refuses a number it has
 * seen before, so a second visit to the checkout page needs a new one. The number is
 *
 *     K + 12 base-36 characters of SHA-256(orderId) + the checkout time in base-36 seconds
 *
 * (19 characters until 2059): the first 13 characters name the order, the rest tells attempts
 * apart. The callback's number is mapped back with {@link resolver} over the round's orders.
 */
import { createHash } from "node:crypto"

const MOD = 36n ** 12n

/** The 13-character key of an order: `K` + 12 base-36 characters of its id's SHA-256. */
export const keyOf = (orderId: string): string => {
  const n = createHash("sha256").update(orderId, "utf8").digest().readBigUInt64BE(0) % MOD
  return `K${n.toString(36).toUpperCase().padStart(12, "0")}`
}

/** A merchant order number for a checkout of `orderId` at `nowMs`. */
export const make = (orderId: string, nowMs: number): string =>
  `${keyOf(orderId)}${Math.floor(nowMs / 1000)
    .toString(36)
    .toUpperCase()}`

/** Maps a callback's merchant order number back to one of `orderIds`, if it names one. */
export const resolver = (orderIds: Iterable<string>): ((merchantOrderNo: string) => string | undefined) => {
  const byKey = new Map<string, string>()
  for (const id of orderIds) byKey.set(keyOf(id), id)
  return (merchantOrderNo) =>
    /^K[0-9A-Z]{12}[0-9A-Z]+$/.test(merchantOrderNo) ? byKey.get(merchantOrderNo.slice(0, 13)) : undefined
}
