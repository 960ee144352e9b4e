/**
 * LINE Pay's request signature: `X-LINE-Authorization = base64(HMAC-SHA256(key = ChannelSecret,
 * message = ChannelSecret + requestUri + (POST ? body : queryString) + nonce))`. `requestUri` is
 * the path alone (`/v3/payments/request`); a GET signs its query string without the `?`; a POST
 * signs its body **byte for byte** as sent. The nonce is unique per request (a UUID).
 *
 * ```ts
 * import { LinePaySignature } from "@kaituan/payments-linepay"
 * import { Redacted } from "effect"
 *
 * LinePaySignature.sign(Redacted.make("a917ab6a2367b536f8e5a6e2977e06f4"), {
 *   uri: "/v3/payments/2024050100000000001/confirm",
 *   payload: `{"amount":250,"currency":"TWD"}`,
 *   nonce: "1714540800000"
 * }) // "OCOQJESwHAgjPBzkzACt9NBw59h0Y166wCcB9hU++g0="
 * ```
 *
 * @since 0.1.0
 */
import { createHmac } from "node:crypto"
import { ConstantTime } from "@kaituan/core"
import { Redacted } from "effect"

/** What one request signs. */
export interface Signed {
  /** The path alone, e.g. `/v3/payments/request` (no host, no `?`). */
  readonly uri: string
  /** The JSON body of a POST exactly as sent, or the query string of a GET without `?` (empty if none). */
  readonly payload: string
  /** Unique per request: a UUID or a timestamp. */
  readonly nonce: string
}

/** The `X-LINE-Authorization` value of a request. */
export const sign = (channelSecret: Redacted.Redacted<string>, signed: Signed): string => {
  const secret = Redacted.value(channelSecret)
  return createHmac("sha256", secret)
    .update(secret + signed.uri + signed.payload + signed.nonce, "utf8")
    .digest("base64")
}

/** Checks a request's `X-LINE-Authorization` in constant time (the stand-in servers use it). */
export const verify = (channelSecret: Redacted.Redacted<string>, signed: Signed, signature: string): boolean =>
  ConstantTime.equals(signature, sign(channelSecret, signed))

/** The headers of a signed request. */
export const headers = (
  options: {
    readonly channelId: string
    readonly channelSecret: Redacted.Redacted<string>
    readonly merchantDeviceProfileId?: string | undefined
  },
  signed: Signed
): Record<string, string> => ({
  "X-LINE-ChannelId": options.channelId,
  "X-LINE-Authorization-Nonce": signed.nonce,
  "X-LINE-Authorization": sign(options.channelSecret, signed),
  ...(options.merchantDeviceProfileId === undefined
    ? {}
    : { "X-LINE-MerchantDeviceProfileId": options.merchantDeviceProfileId })
})
