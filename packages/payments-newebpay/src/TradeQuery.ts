/**
 * NewebPay's single-trade query API (`POST {base}/API/QueryTradeInfo`, Version 1.3): ask for the
 * state of one order with a `CheckValue`, verify the answer's `CheckCode`, and normalise it.
 * Use it to confirm a payment when a NotifyURL callback went missing, or before shipping.
 *
 * @since 0.1.0
 */
import { ConstantTime, FormBody, HttpClient, PaymentGateway } from "@kaituan/core"
import { Clock, Duration, Effect, Result } from "effect"
import * as NewebPayCallback from "./NewebPayCallback.js"
import * as NewebPayCrypto from "./NewebPayCrypto.js"

/** The order to look up: NewebPay needs both the merchant order number and the amount. */
export interface QueryInput {
  readonly merchantOrderNo: string
  readonly amount: number
}

/** `TradeStatus` of the answer: 0 unpaid, 1 paid, 2 failed, 3 cancelled, 6 refunded. */
export type TradeStatus = "unpaid" | "paid" | "failed" | "cancelled" | "refunded" | "unknown"

/** A verified answer. */
export interface QueryResult {
  readonly tradeStatus: TradeStatus
  /** The raw `TradeStatus` code. */
  readonly tradeStatusCode: string
  /** The trade as a `GatewayPayment` (`paid` only for TradeStatus 1; unpaid is `pending`). */
  readonly payment: PaymentGateway.GatewayPayment
  /** Every field of `Result`, as strings. */
  readonly fields: Readonly<Record<string, string>>
}

/** How to reach the API (through core's HTTP stack). */
export interface ClientOptions {
  readonly merchantId: string
  readonly keys: NewebPayCrypto.Keys
  /** `https://ccore.newebpay.com` (sandbox), `https://core.newebpay.com` (production), or a local stand-in. */
  readonly baseUrl: string
  /** How failed calls are retried (network errors, 429, 5xx; core's `HttpClient.RetryPolicy`). */
  readonly retry?: HttpClient.RetryPolicy | undefined
  /** Timeout of one attempt in ms (default 15,000). */
  readonly timeoutMs?: number | undefined
  /** The Effect `HttpClient` to send with. */
  readonly httpClient?: HttpClient.Transport | undefined
  /** A fetch to send with (default the global one). */
  readonly fetch?: HttpClient.Fetch | undefined
  /** @deprecated Use `timeoutMs`. */
  readonly timeout?: Duration.Input | undefined
}

/** The service name in error texts and spans. */
export const service = "NewebPay API"

/** The API's path under the base URL. */
export const PATH = "/API/QueryTradeInfo"

const TRADE_STATUS: Record<string, TradeStatus> = {
  "0": "unpaid",
  "1": "paid",
  "2": "failed",
  "3": "cancelled",
  "6": "refunded"
}

const error = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  new PaymentGateway.GatewayError({ reason, message })

/** The form fields of a query request at `timeStamp` (Unix seconds). */
export const requestFields = (
  options: Pick<ClientOptions, "merchantId" | "keys">,
  input: QueryInput,
  timeStamp: number
): Record<string, string> => ({
  MerchantID: options.merchantId,
  Version: "1.3",
  RespondType: "JSON",
  CheckValue: NewebPayCrypto.queryCheckValue(
    { Amt: input.amount, MerchantID: options.merchantId, MerchantOrderNo: input.merchantOrderNo },
    options.keys
  ),
  TimeStamp: String(timeStamp),
  MerchantOrderNo: input.merchantOrderNo,
  Amt: String(input.amount)
})

/**
 * Reads and verifies an answer body. `Status` other than `SUCCESS` is `rejected` (e.g.
 * `TRA10001` no such trade); a missing or wrong `CheckCode` is `unauthorized`; an answer for
 * another order or amount is `invalid-payload`.
 */
export const parseAnswer = (
  body: string,
  options: Pick<ClientOptions, "merchantId" | "keys">,
  input: QueryInput
): Result.Result<QueryResult, PaymentGateway.GatewayError> =>
  Result.gen(function* () {
    const parsed = yield* Result.try({
      try: () => JSON.parse(body) as unknown,
      catch: () => error("invalid-payload", "the query answer is not JSON")
    })
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return yield* Result.fail(error("invalid-payload", "the query answer is not a JSON object"))
    }
    const answer = parsed as Record<string, unknown>
    const status = typeof answer.Status === "string" ? answer.Status : undefined
    const message = typeof answer.Message === "string" ? answer.Message : ""
    if (status === undefined) return yield* Result.fail(error("invalid-payload", "the query answer has no Status"))
    if (status !== "SUCCESS") return yield* Result.fail(error("rejected", `${status}: ${message}`))
    const notification = yield* NewebPayCallback.parsePlaintext(JSON.stringify({ ...answer, Status: "SUCCESS" }))
    const r = notification.result
    const { Amt, MerchantID, MerchantOrderNo, TradeNo, CheckCode } = r
    if (Amt === undefined || MerchantID === undefined || MerchantOrderNo === undefined || TradeNo === undefined) {
      return yield* Result.fail(
        error("invalid-payload", "the query answer lacks Amt, MerchantID, MerchantOrderNo or TradeNo")
      )
    }
    const expected = NewebPayCrypto.checkCode({ Amt, MerchantID, MerchantOrderNo, TradeNo }, options.keys)
    if (CheckCode === undefined || !ConstantTime.equals(CheckCode.toUpperCase(), expected)) {
      return yield* Result.fail(error("unauthorized", "CheckCode of the query answer does not match"))
    }
    if (MerchantOrderNo !== input.merchantOrderNo || Amt !== String(input.amount)) {
      return yield* Result.fail(
        error("invalid-payload", `the answer is for ${MerchantOrderNo} NT$${Amt}, not ${input.merchantOrderNo}`)
      )
    }
    const code = r.TradeStatus ?? ""
    const tradeStatus = TRADE_STATUS[code] ?? "unknown"
    const payment = yield* NewebPayCallback.toGatewayPayment(
      { status: tradeStatus === "paid" ? "SUCCESS" : `TradeStatus ${code}`, message, result: r },
      options.merchantId
    )
    const normalised: PaymentGateway.GatewayPayment = {
      ...payment,
      status: tradeStatus === "paid" ? "paid" : tradeStatus === "unpaid" ? "pending" : "failed",
      message: message === "" ? `TradeStatus ${code} (${tradeStatus})` : `${message} (${tradeStatus})`
    }
    return { tradeStatus, tradeStatusCode: code, payment: normalised, fields: r }
  })

/**
 * Queries one trade through core's HTTP stack (retries, timeout, spans). Network failures,
 * timeouts, rate limits and 5xx answers are `transport` (after the retries); other non-2xx
 * answers are `rejected` (401/403 `unauthorized`).
 */
export const query = (
  options: ClientOptions,
  input: QueryInput
): Effect.Effect<QueryResult, PaymentGateway.GatewayError> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const fields = requestFields(options, input, Math.floor(now / 1000))
    const timeoutMs =
      options.timeoutMs ??
      (options.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(options.timeout)))
    const client = HttpClient.make({
      service,
      retry: options.retry,
      timeoutMs,
      httpClient: options.httpClient,
      fetch: options.fetch
    })
    const answer = yield* client
      .execute({
        method: "POST",
        url: options.baseUrl.replace(/\/+$/, "") + PATH,
        template: PATH,
        body: { text: FormBody.encodeForm(fields), contentType: "application/x-www-form-urlencoded" }
      })
      .pipe(
        Effect.mapError((e) =>
          e.reason === "timeout"
            ? error("transport", `QueryTradeInfo timed out: ${e.message}`)
            : HttpClient.toGatewayError(e)
        )
      )
    return yield* Effect.fromResult(parseAnswer(answer.text, options, input))
  })
