/**
 * One constant-time comparison for every secret the library checks: webhook signatures (LINE,
 * Facebook), shared webhook tokens (Telegram, Facebook's verify token) and gateway check values
 * (ECPay's CheckMacValue, NewebPay's TradeSha and CheckCode). Plain JavaScript, so it runs in
 * any runtime; the time taken depends only on the length of the expected value.
 *
 * @example
 * ```ts
 * import { ConstantTime } from "@kaituan/core"
 *
 * ConstantTime.equals("given-token", "expected-token") // false
 * ConstantTime.equals(new Uint8Array([1, 2]), new Uint8Array([1, 2])) // true
 * ```
 *
 * @since 0.1.0
 */
import * as internal from "./internal/constantTime.js"

/**
 * Whether `given` (what the request carried) equals `expected` (what the secret says it must
 * be), in time that depends on `expected`'s length only. Strings compare by UTF-16 code units;
 * a string against bytes compares by its UTF-8 encoding.
 */
export const equals: (given: string | Uint8Array, expected: string | Uint8Array) => boolean = internal.equals
