/**
 * One call of ECPay's B2C e-invoice API: `POST {base}{path}` with the JSON envelope
 * `{MerchantID, RqHeader: {Timestamp, Revision}, Data}` (`Data` encrypted, {@link InvoiceCrypto}),
 * the answer's `TransCode` checked (1: the envelope was received), its `Data` decrypted, and its
 * `RtnCode` read (1: done). Sent through core's outbound HTTP stack (timeout, spans, retries of
 * the calls that are safe to repeat: queries and checks).
 *
 * @since 0.1.0
 */
import { HttpClient, Invoicing } from "@kaituan/core"
import { Clock, Effect, Result } from "effect"
import * as InvoiceCrypto from "./InvoiceCrypto.js"

/** The API paths. */
export const paths = {
  issue: "/B2CInvoice/Issue",
  invalid: "/B2CInvoice/Invalid",
  allowance: "/B2CInvoice/Allowance",
  getIssue: "/B2CInvoice/GetIssue",
  checkBarcode: "/B2CInvoice/CheckBarcode",
  checkLoveCode: "/B2CInvoice/CheckLoveCode"
} as const

/** The service name in error texts and spans. */
export const service = "ECPay e-invoice API"

/** How to reach the API. */
export interface ClientOptions {
  readonly merchantId: string
  readonly keys: InvoiceCrypto.Keys
  /** `https://einvoice-stage.ecpay.com.tw`, `https://einvoice.ecpay.com.tw`, or a local stand-in. */
  readonly baseUrl: string
  readonly retry?: HttpClient.RetryPolicy | undefined
  readonly timeoutMs?: number | undefined
  readonly httpClient?: HttpClient.Transport | undefined
  readonly fetch?: HttpClient.Fetch | undefined
}

/** A decrypted answer `Data` whose `RtnCode` is 1. */
export type Answer = Readonly<Record<string, unknown>>

/** A decrypted answer `Data` whose `RtnCode` is not 1: ECPay refused the operation. */
export interface Refusal {
  readonly _tag: "Refusal"
  readonly rtnCode: string
  readonly rtnMsg: string
}

const error = (reason: Invoicing.InvoicingErrorReason, message: string, code?: string) =>
  new Invoicing.InvoicingError({ reason, message, ...(code === undefined ? {} : { code }) })

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The request envelope's JSON text at `timestamp` (Unix seconds). */
export const envelope = (options: Pick<ClientOptions, "merchantId" | "keys">, data: Json, timestamp: number): string =>
  JSON.stringify({
    MerchantID: options.merchantId,
    RqHeader: { Timestamp: timestamp, Revision: "3.0.0" },
    Data: InvoiceCrypto.encrypt(JSON.stringify(data), options.keys)
  })

/**
 * Reads an answer envelope: `TransCode` 1, then `Data` decrypted. Its `RtnCode` 1 gives the
 * `Data`; another a {@link Refusal} (the caller decides what it means for its operation).
 */
export const readAnswer = (
  text: string,
  keys: InvoiceCrypto.Keys
): Result.Result<Answer | Refusal, Invoicing.InvoicingError> =>
  Result.gen(function* () {
    const parsed = yield* Result.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => error("invalid-response", `${service}: the answer is not JSON`)
    })
    if (!isObject(parsed))
      return yield* Result.fail(error("invalid-response", `${service}: the answer is not an object`))
    const transCode = String(parsed.TransCode ?? "")
    if (transCode !== "1") {
      const msg = typeof parsed.TransMsg === "string" ? parsed.TransMsg.slice(0, 200) : ""
      return yield* Result.fail(
        error("rejected", `${service} refused the envelope (TransCode ${transCode}): ${msg}`, `TransCode ${transCode}`)
      )
    }
    if (typeof parsed.Data !== "string")
      return yield* Result.fail(error("invalid-response", `${service}: the answer has no Data`))
    const json = yield* Result.mapError(InvoiceCrypto.decrypt(parsed.Data, keys), (m) =>
      error("invalid-response", `${service}: ${m}`)
    )
    const data = yield* Result.try({
      try: () => JSON.parse(json) as unknown,
      catch: () => error("invalid-response", `${service}: the answer's Data is not JSON`)
    })
    if (!isObject(data)) return yield* Result.fail(error("invalid-response", `${service}: the Data is not an object`))
    const rtnCode = String(data.RtnCode ?? "")
    if (rtnCode === "1") return data
    const refusal: Refusal = {
      _tag: "Refusal",
      rtnCode,
      rtnMsg: typeof data.RtnMsg === "string" ? data.RtnMsg.slice(0, 200) : ""
    }
    return refusal
  })

/** Whether an answer is a refusal. */
export const isRefusal = (a: Answer | Refusal): a is Refusal => a._tag === "Refusal"

/** A refusal as an error. */
export const refused = (r: Refusal, what: string): Invoicing.InvoicingError =>
  error("rejected", `${service} refused ${what} (RtnCode ${r.rtnCode}): ${r.rtnMsg}`, r.rtnCode)

/** The client: `call(path, data)` sends one request. */
export interface Client {
  readonly call: (
    path: (typeof paths)[keyof typeof paths],
    data: Json,
    options?: { readonly retry?: boolean | undefined }
  ) => Effect.Effect<Answer | Refusal, Invoicing.InvoicingError>
}

/** Builds the client. */
export const make = (options: ClientOptions): Client => {
  const http = HttpClient.make({
    service,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch,
    secrets: [options.keys.hashKey, options.keys.hashIV]
  })
  const base = options.baseUrl.replace(/\/+$/, "")
  return {
    call: (path, data, callOptions) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const answer = yield* http
          .execute({
            method: "POST",
            url: base + path,
            template: path,
            body: { text: envelope(options, data, Math.floor(now / 1000)), contentType: "application/json" },
            retry: callOptions?.retry ?? false
          })
          .pipe(
            Effect.mapError((e) =>
              e.reason === "refused" && e.status === 403
                ? error("unavailable", `${service} answered 403: called too often, wait 30 minutes`, "403")
                : e.reason === "refused"
                  ? error(
                      e.status === 401 ? "unauthorized" : "rejected",
                      e.message,
                      e.status === undefined ? undefined : String(e.status)
                    )
                  : error("unavailable", e.message)
            )
          )
        return yield* Effect.fromResult(readAnswer(answer.text, options.keys))
      })
  }
}
