/**
 * LINE webhook signatures: `x-line-signature` is `base64(HMAC-SHA256(channelSecret, rawBody))`,
 * computed over the raw request bytes (re-serialised JSON does not match).
 *
 * @since 0.1.0
 */
import { createHmac } from "node:crypto"
import { ConstantTime } from "@kaituan/core"

const bytes = (body: string | Uint8Array): Uint8Array =>
  typeof body === "string" ? new TextEncoder().encode(body) : body

/**
 * The signature LINE sends for `body` under `channelSecret`.
 *
 * @example
 * ```ts
 * sign("test_secret", '{"hello":"world"}') // "t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM="
 * ```
 */
export const sign = (channelSecret: string, body: string | Uint8Array): string =>
  createHmac("sha256", channelSecret).update(bytes(body)).digest("base64")

/**
 * Whether `signature` (the `x-line-signature` header) is LINE's signature of the raw `body`.
 * Decodes the header from base64 and compares digests in constant time (`ConstantTime.equals`); a missing, empty or
 * wrong-length header is `false`.
 */
export const verify = (channelSecret: string, body: string | Uint8Array, signature: string | undefined): boolean => {
  if (signature === undefined || signature.trim() === "") return false
  const expected = createHmac("sha256", channelSecret).update(bytes(body)).digest()
  const given = Buffer.from(signature.trim(), "base64")
  // Buffer.from(…, "base64") skips invalid characters, so also require the canonical encoding.
  if (given.length !== expected.length || given.toString("base64") !== signature.trim()) return false
  return ConstantTime.equals(given, expected)
}
