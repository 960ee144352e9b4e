/**
 * The LINE Pay Online API v3 calls, signed (see {@link LinePaySignature}) and sent through core's
 * outbound HTTP stack (`HttpClient`: timeout, spans, retries of safe calls): `request` a payment,
 * `confirm` it once the buyer approved, `refund` it (in full or in part), read its `details`, and
 * `check` a request's state. Every answer is read with {@link LinePayJson.parse}, so the 19-digit
 * `transactionId` stays a string; a `returnCode` other than `0000` is a {@link LinePayError}.
 *
 * POSTs (request, confirm, refund) are never retried: a retry could ask twice, and LINE Pay
 * wants a fresh nonce for each call. GETs are retried on network errors, 429 and 5xx.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { HttpClient } from "@kaituan/core"
import { Effect, type Redacted, Result } from "effect"
import * as LinePayError from "./LinePayError.js"
import * as LinePayJson from "./LinePayJson.js"
import * as LinePaySignature from "./LinePaySignature.js"

/** How to reach LINE Pay. */
export interface ClientOptions {
  readonly channelId: string
  readonly channelSecret: Redacted.Redacted<string>
  /** `https://sandbox-api-pay.line.me`, `https://api-pay.line.me`, or a local stand-in. */
  readonly baseUrl: string
  readonly merchantDeviceProfileId?: string | undefined
  readonly retry?: HttpClient.RetryPolicy | undefined
  /** Timeout of one call in ms; LINE Pay asks for at least 20 s on refunds (default 20,000). */
  readonly timeoutMs?: number | undefined
  readonly httpClient?: HttpClient.Transport | undefined
  readonly fetch?: HttpClient.Fetch | undefined
  /** The nonce of each request (default a random UUID v4). */
  readonly nonce?: (() => string) | undefined
}

/** The service name in error texts and spans. */
export const service = "LINE Pay API"

/** One product line of a package. */
export interface Product {
  readonly name: string
  readonly quantity: number
  readonly price: number
  readonly imageUrl?: string | undefined
}

/** The body of `POST /v3/payments/request`, in the documented key order. */
export interface PaymentRequestBody {
  readonly amount: number
  readonly currency: "TWD"
  readonly orderId: string
  readonly packages: ReadonlyArray<{
    readonly id: string
    readonly amount: number
    readonly name?: string | undefined
    readonly products: ReadonlyArray<Product>
  }>
  readonly redirectUrls: { readonly confirmUrl: string; readonly cancelUrl: string }
}

/** A reserved payment: where to send the buyer. */
export interface Reserved {
  /** 19 digits, as a string. */
  readonly transactionId: string
  readonly paymentUrl: { readonly web: string; readonly app?: string | undefined }
  readonly paymentAccessToken?: string | undefined
}

/** A confirmed payment. */
export interface Confirmed {
  readonly transactionId: string
  readonly orderId: string
  /** Each means of payment and its amount (`CREDIT_CARD`, `BALANCE`, `DISCOUNT`, `POINT`). */
  readonly payInfo: ReadonlyArray<{ readonly method: string; readonly amount: number }>
}

/** A refund. */
export interface Refunded {
  /** A new 19-digit id, as a string. */
  readonly refundTransactionId: string
  /** ISO 8601. */
  readonly refundTransactionDate: string
}

/** One transaction of `GET /v3/payments`. */
export interface Transaction {
  readonly transactionId: string
  readonly orderId?: string | undefined
  readonly transactionDate?: string | undefined
  /** `PAYMENT`, `PAYMENT_REFUND`, `PARTIAL_REFUND`. */
  readonly transactionType: string
  readonly payInfo: ReadonlyArray<{ readonly method: string; readonly amount: number }>
  readonly refundList: ReadonlyArray<{ readonly refundTransactionId: string; readonly refundAmount: number }>
}

/** The state of a payment request (`GET /v3/payments/requests/{id}/check`). */
export type CheckStatus = "awaiting-approval" | "approved" | "cancelled" | "failed" | "completed"

/** The check API's return codes: 0000 not approved yet, 0110 approved, 0121 cancelled or expired, 0122 failed, 0123 completed. */
export const checkStatuses: Readonly<Record<string, CheckStatus>> = {
  "0000": "awaiting-approval",
  "0110": "approved",
  "0121": "cancelled",
  "0122": "failed",
  "0123": "completed"
}

/** The 19-digit transaction id LINE Pay issues. */
export const TRANSACTION_ID = /^\d{19}$/

const invalid = (message: string, returnCode?: string) =>
  new LinePayError.LinePayError({
    reason: "invalid-response",
    message,
    ...(returnCode === undefined ? {} : { returnCode })
  })

type Json = Record<string, unknown>
const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** Reads an answer: `returnCode` `0000` (or one of `accept`) gives `{ returnCode, info }`; another code fails. */
export const readAnswer = (
  text: string,
  accept: ReadonlyArray<string> = ["0000"]
): Result.Result<{ readonly returnCode: string; readonly info: unknown }, LinePayError.LinePayError> =>
  Result.gen(function* () {
    const parsed = yield* Result.mapError(LinePayJson.parse(text), () => invalid(`${service}: the answer is not JSON`))
    if (!isObject(parsed) || typeof parsed.returnCode !== "string")
      return yield* Result.fail(invalid(`${service}: the answer has no returnCode`))
    const returnCode = parsed.returnCode
    if (!accept.includes(returnCode)) {
      const message = typeof parsed.returnMessage === "string" ? parsed.returnMessage : ""
      return yield* Result.fail(
        new LinePayError.LinePayError({
          reason: LinePayError.reasonOf(returnCode),
          returnCode,
          message: `${service} returnCode ${returnCode}${message === "" ? "" : `: ${message.slice(0, 200)}`}`
        })
      )
    }
    return { returnCode, info: parsed.info }
  })

const payInfoOf = (u: unknown): Array<{ method: string; amount: number }> =>
  Array.isArray(u)
    ? u.flatMap((p) =>
        isObject(p) && typeof p.method === "string" && typeof p.amount === "number"
          ? [{ method: p.method, amount: p.amount }]
          : []
      )
    : []

/** The client: each method signs, sends and reads one call. */
export interface Client {
  readonly request: (body: PaymentRequestBody) => Effect.Effect<Reserved, LinePayError.LinePayError>
  readonly confirm: (
    transactionId: string,
    input: { readonly amount: number; readonly currency?: "TWD" | undefined }
  ) => Effect.Effect<Confirmed, LinePayError.LinePayError>
  /** `refundAmount` omitted: a full refund. */
  readonly refund: (
    transactionId: string,
    refundAmount?: number | undefined
  ) => Effect.Effect<Refunded, LinePayError.LinePayError>
  readonly details: (query: {
    readonly transactionId?: string | undefined
    readonly orderId?: string | undefined
  }) => Effect.Effect<ReadonlyArray<Transaction>, LinePayError.LinePayError>
  readonly check: (transactionId: string) => Effect.Effect<CheckStatus, LinePayError.LinePayError>
}

/** Builds the client. */
export const make = (options: ClientOptions): Client => {
  const http = HttpClient.make({
    service,
    retry: options.retry,
    timeoutMs: options.timeoutMs ?? 20_000,
    httpClient: options.httpClient,
    fetch: options.fetch,
    secrets: [options.channelSecret]
  })
  const base = options.baseUrl.replace(/\/+$/, "")
  const nonce = options.nonce ?? randomUUID

  const send = (
    method: "GET" | "POST",
    uri: string,
    template: string,
    payload: string,
    accept?: ReadonlyArray<string>
  ): Effect.Effect<{ readonly returnCode: string; readonly info: unknown }, LinePayError.LinePayError> =>
    Effect.gen(function* () {
      const signed: LinePaySignature.Signed = { uri, payload, nonce: nonce() }
      const headers = LinePaySignature.headers(options, signed)
      const answer = yield* http
        .execute({
          method,
          url: base + uri + (method === "GET" && payload !== "" ? `?${payload}` : ""),
          template,
          headers,
          ...(method === "POST" ? { body: { text: payload, contentType: "application/json" } } : {}),
          retry: method === "GET"
        })
        .pipe(
          Effect.mapError(
            (e) =>
              new LinePayError.LinePayError({
                reason:
                  e.reason === "refused" && (e.status === 401 || e.status === 403)
                    ? "unauthorized"
                    : e.reason === "refused"
                      ? "rejected"
                      : "unavailable",
                message: e.message
              })
          )
        )
      return yield* Effect.fromResult(readAnswer(answer.text, accept))
    })

  const txPath = (transactionId: string) =>
    TRANSACTION_ID.test(transactionId)
      ? Effect.succeed(transactionId)
      : Effect.fail(
          new LinePayError.LinePayError({ reason: "rejected", message: "a LINE Pay transactionId has 19 digits" })
        )

  return {
    request: (body) =>
      Effect.gen(function* () {
        const { info } = yield* send("POST", "/v3/payments/request", "/v3/payments/request", JSON.stringify(body))
        const paymentUrl = isObject(info) && isObject(info.paymentUrl) ? info.paymentUrl : undefined
        const transactionId = isObject(info) ? LinePayJson.idString(info.transactionId) : undefined
        if (paymentUrl === undefined || typeof paymentUrl.web !== "string" || transactionId === undefined)
          return yield* Effect.fail(invalid(`${service}: the request answer lacks transactionId or paymentUrl`))
        return {
          transactionId,
          paymentUrl: {
            web: paymentUrl.web,
            ...(typeof paymentUrl.app === "string" ? { app: paymentUrl.app } : {})
          },
          ...(isObject(info) && typeof info.paymentAccessToken === "string"
            ? { paymentAccessToken: info.paymentAccessToken }
            : {})
        }
      }),
    confirm: (transactionId, input) =>
      Effect.gen(function* () {
        const id = yield* txPath(transactionId)
        const body = JSON.stringify({ amount: input.amount, currency: input.currency ?? "TWD" })
        const { info } = yield* send("POST", `/v3/payments/${id}/confirm`, "/v3/payments/{transactionId}/confirm", body)
        if (!isObject(info)) return yield* Effect.fail(invalid(`${service}: the confirm answer has no info`))
        const confirmedId = LinePayJson.idString(info.transactionId) ?? id
        if (confirmedId !== id)
          return yield* Effect.fail(invalid(`${service}: the confirm answer is for another transaction`))
        return {
          transactionId: confirmedId,
          orderId: typeof info.orderId === "string" ? info.orderId : "",
          payInfo: payInfoOf(info.payInfo)
        }
      }),
    refund: (transactionId, refundAmount) =>
      Effect.gen(function* () {
        const id = yield* txPath(transactionId)
        const body = JSON.stringify(refundAmount === undefined ? {} : { refundAmount })
        const { info } = yield* send("POST", `/v3/payments/${id}/refund`, "/v3/payments/{transactionId}/refund", body)
        const refundTransactionId = isObject(info) ? LinePayJson.idString(info.refundTransactionId) : undefined
        if (!isObject(info) || refundTransactionId === undefined)
          return yield* Effect.fail(invalid(`${service}: the refund answer lacks refundTransactionId`))
        return {
          refundTransactionId,
          refundTransactionDate: typeof info.refundTransactionDate === "string" ? info.refundTransactionDate : ""
        }
      }),
    details: (query) =>
      Effect.gen(function* () {
        const params = new URLSearchParams()
        if (query.transactionId !== undefined) params.set("transactionId", yield* txPath(query.transactionId))
        if (query.orderId !== undefined) params.set("orderId", query.orderId)
        const { info } = yield* send("GET", "/v3/payments", "/v3/payments", params.toString())
        if (!Array.isArray(info)) return yield* Effect.fail(invalid(`${service}: the details answer has no info list`))
        return info.flatMap((t): Array<Transaction> => {
          const transactionId = isObject(t) ? LinePayJson.idString(t.transactionId) : undefined
          if (!isObject(t) || transactionId === undefined) return []
          return [
            {
              transactionId,
              ...(typeof t.orderId === "string" ? { orderId: t.orderId } : {}),
              ...(typeof t.transactionDate === "string" ? { transactionDate: t.transactionDate } : {}),
              transactionType: typeof t.transactionType === "string" ? t.transactionType : "",
              payInfo: payInfoOf(t.payInfo),
              refundList: Array.isArray(t.refundList)
                ? t.refundList.flatMap((r) => {
                    const rid = isObject(r) ? LinePayJson.idString(r.refundTransactionId) : undefined
                    return isObject(r) && rid !== undefined && typeof r.refundAmount === "number"
                      ? [{ refundTransactionId: rid, refundAmount: r.refundAmount }]
                      : []
                  })
                : []
            }
          ]
        })
      }),
    check: (transactionId) =>
      Effect.gen(function* () {
        const id = yield* txPath(transactionId)
        const { returnCode } = yield* send(
          "GET",
          `/v3/payments/requests/${id}/check`,
          "/v3/payments/requests/{transactionId}/check",
          "",
          Object.keys(checkStatuses)
        )
        return checkStatuses[returnCode] ?? "failed"
      })
  }
}
