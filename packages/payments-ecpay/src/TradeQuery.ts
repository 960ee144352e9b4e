/**
 * ECPay's order query (`POST {base}/Cashier/QueryTradeInfo/V5`, 查詢訂單): ask for the state of
 * one order with a `CheckMacValue`, verify the answer's `CheckMacValue`, and normalise it. Use it
 * to confirm a payment when a ReturnURL callback went missing, or before shipping. The call goes
 * through core's one outbound HTTP stack (retries, timeout, spans, masked errors).
 *
 * @since 0.1.0
 */
import { FormBody, HttpClient, PaymentGateway } from "@kaituan/core"
import { Clock, Effect, Result } from "effect"
import * as CheckMacValue from "./CheckMacValue.js"
import * as ECPayCallback from "./ECPayCallback.js"

/** The order to look up. */
export interface QueryInput {
  readonly merchantOrderNo: string
}

/** `TradeStatus` of the answer: `0` unpaid, `1` paid, `10200095` failed. */
export type TradeStatus = "unpaid" | "paid" | "failed" | "unknown"

/** A verified answer. */
export interface QueryResult {
  readonly tradeStatus: TradeStatus
  /** The raw `TradeStatus` code. */
  readonly tradeStatusCode: string
  /** The trade as a `GatewayPayment` (`paid` only for TradeStatus 1; unpaid is `pending`). */
  readonly payment: PaymentGateway.GatewayPayment
  /** Every field of the answer. */
  readonly fields: Readonly<Record<string, string>>
}

/** How to reach the API (through core's HTTP stack). */
export interface ClientOptions {
  readonly merchantId: string
  readonly keys: CheckMacValue.Keys
  /** `https://payment-stage.ecpay.com.tw` (sandbox), `https://payment.ecpay.com.tw` (production), or a local stand-in. */
  readonly baseUrl: string
  /** How failed calls are retried (network errors, 429, 5xx; core's `HttpClient.RetryPolicy`). */
  readonly retry?: HttpClient.RetryPolicy | undefined
  /** Timeout of one attempt in ms (default 15,000). */
  readonly timeoutMs?: number | undefined
  /** The Effect `HttpClient` to send with. */
  readonly httpClient?: HttpClient.Transport | undefined
  /** A fetch to send with (default the global one). */
  readonly fetch?: HttpClient.Fetch | undefined
}

/** The API's path under the base URL. */
export const PATH = "/Cashier/QueryTradeInfo/V5"

/** The service name in error texts and spans. */
export const service = "ECPay API"

const TRADE_STATUS: Record<string, TradeStatus> = { "0": "unpaid", "1": "paid", "10200095": "failed" }

const error = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  Result.fail(new PaymentGateway.GatewayError({ reason, message }))

/** The signed form fields of a query request at `timeStamp` (Unix seconds). */
export const requestFields = (
  options: Pick<ClientOptions, "merchantId" | "keys">,
  input: QueryInput,
  timeStamp: number
): Record<string, string> =>
  CheckMacValue.sign(
    { MerchantID: options.merchantId, MerchantTradeNo: input.merchantOrderNo, TimeStamp: String(timeStamp) },
    options.keys,
    "sha256"
  )

/**
 * Reads and verifies an answer body (a form): a missing or wrong `CheckMacValue`, or another
 * merchant's answer, is `unauthorized`; an answer for another order is `invalid-payload`; an order
 * ECPay holds no trade for yet is `rejected`.
 */
export const parseAnswer = (
  body: string,
  options: Pick<ClientOptions, "merchantId" | "keys">,
  input: QueryInput
): Result.Result<QueryResult, PaymentGateway.GatewayError> =>
  Result.gen(function* () {
    const fields = yield* Result.mapError(
      FormBody.parseForm(new TextEncoder().encode(body)),
      (message) =>
        new PaymentGateway.GatewayError({ reason: "invalid-payload", message: `the query answer: ${message}` })
    )
    if ((fields[CheckMacValue.FIELD] ?? "") === "")
      return yield* error("unauthorized", "the query answer has no CheckMacValue")
    if (!CheckMacValue.verify(fields, options.keys, "sha256"))
      return yield* error("unauthorized", "CheckMacValue of the query answer does not match")
    if (fields.MerchantID !== options.merchantId)
      return yield* error("unauthorized", `the query answer is for merchant ${fields.MerchantID ?? "(none)"}`)
    if (fields.MerchantTradeNo !== input.merchantOrderNo)
      return yield* error(
        "invalid-payload",
        `the answer is for ${fields.MerchantTradeNo ?? "(none)"}, not ${input.merchantOrderNo}`
      )
    const code = fields.TradeStatus ?? ""
    const tradeStatus = TRADE_STATUS[code] ?? "unknown"
    if ((fields.TradeNo ?? "").trim() === "")
      return yield* error("rejected", `ECPay holds no trade for ${input.merchantOrderNo} (TradeStatus ${code})`)
    const payment = yield* ECPayCallback.toGatewayPayment(
      { ...fields, RtnCode: tradeStatus === "paid" ? ECPayCallback.RTN_PAID : code || "0", RtnMsg: "" },
      options.merchantId
    )
    const normalised: PaymentGateway.GatewayPayment = {
      ...payment,
      status: tradeStatus === "paid" ? "paid" : tradeStatus === "unpaid" ? "pending" : "failed",
      message: `TradeStatus ${code} (${tradeStatus})`
    }
    return { tradeStatus, tradeStatusCode: code, payment: normalised, fields }
  })

/**
 * Queries one order through core's HTTP stack. Network failures, timeouts, rate limits and 5xx
 * answers are `transport` (after the retries); other non-2xx answers are `rejected` (401/403
 * `unauthorized`).
 */
export const query = (
  options: ClientOptions,
  input: QueryInput
): Effect.Effect<QueryResult, PaymentGateway.GatewayError> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const fields = requestFields(options, input, Math.floor(now / 1000))
    const answer = yield* HttpClient.make({
      service,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      httpClient: options.httpClient,
      fetch: options.fetch
    })
      .execute({
        method: "POST",
        url: options.baseUrl.replace(/\/+$/, "") + PATH,
        template: PATH,
        body: { text: FormBody.encodeForm(fields), contentType: "application/x-www-form-urlencoded" }
      })
      .pipe(Effect.mapError(HttpClient.toGatewayError))
    return yield* Effect.fromResult(parseAnswer(answer.text, options, input))
  })
