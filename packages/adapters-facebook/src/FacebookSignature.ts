/**
 * Facebook webhook signatures: `X-Hub-Signature-256` is `sha256=` + the lowercase hex
 * HMAC-SHA256 of the **raw** request body under the App Secret. Meta signs the bytes it sends
 * (non-ASCII `\uXXXX`-escaped, `/` as `\/`), so a re-serialised body does not match.
 *
 * @since 0.1.0
 */
import { createHmac } from "node:crypto"
import { ConstantTime } from "@kaituan/core"

/** The signature header (lower-case, as {@link Http.InboundRequest} keeps headers). */
export const header = "x-hub-signature-256"

const bytes = (body: string | Uint8Array): Uint8Array =>
  typeof body === "string" ? new TextEncoder().encode(body) : body

/**
 * The `X-Hub-Signature-256` value Meta sends for `body`.
 *
 * @example
 * ```ts
 * sign("test_app_secret_0123456789abcdef", rawBody) // "sha256=db9be974…"
 * ```
 */
export const sign = (appSecret: string, body: string | Uint8Array): string =>
  `sha256=${createHmac("sha256", appSecret).update(bytes(body)).digest("hex")}`

/**
 * Whether `signature` (the header value) is Meta's signature of the raw `body`: `sha256=` and 64
 * hex digits, compared in constant time (`ConstantTime.equals`). A missing, empty or malformed header is `false`.
 */
export const verify = (appSecret: string, body: string | Uint8Array, signature: string | undefined): boolean => {
  const m = signature === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim())
  if (m === null) return false
  const expected = createHmac("sha256", appSecret).update(bytes(body)).digest()
  return ConstantTime.equals(Buffer.from(m[1]!, "hex"), expected)
}

/**
 * The `appsecret_proof` Graph API parameter: hex HMAC-SHA256 of the access token under the App
 * Secret (required when the app enables "Require App Secret").
 */
export const appSecretProof = (appSecret: string, accessToken: string): string =>
  createHmac("sha256", appSecret).update(accessToken).digest("hex")
