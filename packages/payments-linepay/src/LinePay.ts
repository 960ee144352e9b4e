/**
 * LINE Pay (Online API v3) as core's `PaymentGateway`. LINE Pay has **no server-to-server
 * callback**: the buyer approves in LINE and LINE Pay sends the buyer's browser back to the
 * `confirmUrl` with `transactionId` and `orderId`; the merchant must then *confirm* the payment
 * with the expected amount, and only that confirm captures the money. So, in the port's terms:
 *
 * - `start(request)` reserves the payment (`POST /v3/payments/request`) and answers a
 *   `Redirect` to LINE Pay's payment page. The `confirmUrl` is the request's `notifyUrl` (the
 *   place where the payment is decided), with the amount and order number added and signed with
 *   the channel secret (`order`, `amount`, `sig`): the confirm redirect needs no state kept on the server.
 * - `callback(request)` takes that confirm redirect (a `GET` from the buyer's browser): it checks
 *   our signature (`unauthorized` when missing or wrong), confirms the payment at LINE Pay with
 *   the signed amount (`POST /v3/payments/{transactionId}/confirm`; LINE Pay itself refuses an
 *   amount other than the requested one with 1153), and answers a `paid` `GatewayPayment` whose
 *   `tradeNo` is the 19-digit transaction id. A redirect delivered twice (a reload) confirms once:
 *   when LINE Pay refuses the second confirm, the transaction's details are read and a completed
 *   payment decodes again to the same `GatewayPayment`.
 * - `acknowledge(accepted)` is the page shown to the buyer after the redirect.
 *
 * Beyond the port: `refund`, `details` (`GET /v3/payments`) and `check`.
 *
 * @since 0.1.0
 */
import { createHmac } from "node:crypto"
import { ConstantTime, HttpClient, PaymentGateway } from "@kaituan/core"
import { Clock, Config, Context, Effect, type Layer, Option, Redacted, Schema } from "effect"
import * as LinePayApi from "./LinePayApi.js"
import * as LinePayError from "./LinePayError.js"

/** Which LINE Pay system to talk to. */
export const Environment = Schema.Literals(["sandbox", "production"])
/** `sandbox` or `production`. */
export type Environment = typeof Environment.Type

/** The API hosts. */
export const endpoints: Readonly<Record<Environment, string>> = {
  sandbox: "https://sandbox-api-pay.line.me",
  production: "https://api-pay.line.me"
}

/** The gateway's options. The channel secret is `Redacted`. */
export const Options = Schema.Struct({
  /** Channel ID (LINE Pay merchant centre → Manage Link Key). */
  channelId: Schema.Trimmed.check(Schema.isNonEmpty()),
  /** Channel Secret Key. */
  channelSecret: Schema.Redacted(Schema.String).check(
    Schema.makeFilter(
      (secret: Redacted.Redacted<string>) => Redacted.value(secret).length > 0 || "the channel secret is empty"
    )
  ),
  /** `sandbox` (default, sandbox-api-pay.line.me) or `production` (api-pay.line.me). */
  environment: Schema.optional(Environment),
  /** Overrides the API's base URL (a local stand-in in tests). */
  apiBaseUrl: Schema.optional(Schema.String),
  /** The confirm URL when a request has no `notifyUrl`. */
  confirmUrl: Schema.optional(Schema.String),
  /** Where LINE Pay sends a buyer who cancels (default: the confirm URL with `cancelled=1`). */
  cancelUrl: Schema.optional(Schema.String),
  /** `X-LINE-MerchantDeviceProfileId`, for merchants LINE Pay asked to send it. */
  merchantDeviceProfileId: Schema.optional(Schema.String),
  /** Outbound calls: `retry` (GETs only), `timeoutMs` (default 20,000), `httpClient` or `fetch`. */
  ...HttpClient.OptionsFields
})
/** Validated options. */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** The LINE Pay service: the `PaymentGateway` port plus refunds and queries. */
export interface LinePayService extends PaymentGateway.PaymentGatewayService {
  readonly channelId: string
  readonly environment: Environment
  /** Refunds a confirmed payment, in full (`amount` omitted) or in part. */
  readonly refund: (input: {
    readonly transactionId: string
    readonly amount?: number | undefined
  }) => Effect.Effect<LinePayApi.Refunded, LinePayError.LinePayError>
  /** The transactions of a transaction id or an order id (`GET /v3/payments`). */
  readonly details: (query: {
    readonly transactionId?: string | undefined
    readonly orderId?: string | undefined
  }) => Effect.Effect<ReadonlyArray<LinePayApi.Transaction>, LinePayError.LinePayError>
  /** Where a payment request stands (approved by the buyer yet? completed?). */
  readonly check: (transactionId: string) => Effect.Effect<LinePayApi.CheckStatus, LinePayError.LinePayError>
  /** The signed low-level client. */
  readonly api: LinePayApi.Client
}

/** The LINE Pay service tag (the same instance is also provided as core's `PaymentGateway`). */
export class LinePay extends Context.Service<LinePay, LinePayService>()("@kaituan/payments-linepay/LinePay") {}

/** LINE Pay's `orderId`: up to 100 characters; kept to what every gateway accepts. */
const ORDER_ID = /^[A-Za-z0-9_-]{1,100}$/

const gatewayError = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  new PaymentGateway.GatewayError({ reason, message })

/** The signature of the confirm URL's `orderId` and `amount` (base64url HMAC-SHA256 with the channel secret). */
export const confirmSignature = (secret: Redacted.Redacted<string>, orderId: string, amount: number): string =>
  createHmac("sha256", Redacted.value(secret))
    .update(`kaituan/linepay/confirm\n${orderId}\n${amount}`, "utf8")
    .digest("base64url")

/** `url` with `params` added to its query. */
const withParams = (url: string, params: Readonly<Record<string, string>>): string => {
  const u = new URL(url)
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v)
  return u.toString()
}

/** The body of the payment request for a port request (one package, one product line). */
export const requestBody = (
  request: PaymentGateway.PaymentRequest,
  redirectUrls: { readonly confirmUrl: string; readonly cancelUrl: string }
): LinePayApi.PaymentRequestBody => {
  const name = [...(request.description.trim() === "" ? request.merchantOrderNo : request.description.trim())]
    .slice(0, 100)
    .join("")
  return {
    amount: request.amount,
    currency: "TWD",
    orderId: request.merchantOrderNo,
    packages: [
      {
        id: request.merchantOrderNo,
        amount: request.amount,
        name: [...name].slice(0, 50).join(""),
        products: [{ name, quantity: 1, price: request.amount }]
      }
    ],
    redirectUrls
  }
}

/** The buyer's page after the confirm redirect. */
const page = (accepted: boolean): string =>
  [
    "<!doctype html>",
    '<html lang="zh-Hant">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${accepted ? "付款完成" : "付款未完成"}</title></head>`,
    "<body>",
    accepted
      ? "<p>LINE Pay 付款完成，謝謝！您可以關閉此頁並回到 LINE。 Payment received: you can close this page.</p>"
      : "<p>LINE Pay 付款未完成，請回到 LINE 再試一次，或聯絡團主。 The payment did not go through.</p>",
    "</body>",
    "</html>",
    ""
  ].join("\n")

/** Builds the service from validated options. */
export const fromOptions = (options: Options): LinePayService => {
  const environment = options.environment ?? "sandbox"
  const api = LinePayApi.make({
    channelId: options.channelId,
    channelSecret: options.channelSecret,
    baseUrl: options.apiBaseUrl ?? endpoints[environment],
    merchantDeviceProfileId: options.merchantDeviceProfileId,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch
  })

  const paid = (
    transactionId: string,
    orderId: string,
    amount: number,
    method: string | undefined,
    paidAt: string | undefined
  ): PaymentGateway.GatewayPayment => ({
    gateway: "linepay",
    tradeNo: transactionId,
    merchantOrderNo: orderId,
    amount,
    status: "paid",
    method: method === undefined ? "linepay" : `linepay:${method.toLowerCase()}`,
    ...(paidAt === undefined ? {} : { paidAt }),
    simulated: false
  })

  /** After a refused confirm: a payment already completed (a reload of the redirect) decodes again. */
  const alreadyConfirmed = (transactionId: string, orderId: string, amount: number) =>
    api.details({ transactionId }).pipe(
      Effect.map((transactions) =>
        transactions.find(
          (t) =>
            t.transactionId === transactionId &&
            t.transactionType === "PAYMENT" &&
            (t.orderId === undefined || t.orderId === orderId) &&
            t.payInfo.reduce((sum, p) => sum + p.amount, 0) === amount
        )
      ),
      Effect.orElseSucceed(() => undefined)
    )

  const callback = (req: Parameters<PaymentGateway.PaymentGatewayService["callback"]>[0]) =>
    Effect.gen(function* () {
      // `order`, `amount`, `sig`: ours (signed); `transactionId`, `orderId`: what LINE Pay appends
      const { transactionId, order: orderId, amount: amountText, sig, cancelled } = req.query
      if (sig === undefined || orderId === undefined || amountText === undefined)
        return yield* Effect.fail(gatewayError("unauthorized", "the LINE Pay confirm redirect is not signed"))
      if (!/^[1-9]\d{0,8}$/.test(amountText) || !ORDER_ID.test(orderId))
        return yield* Effect.fail(gatewayError("invalid-payload", "the LINE Pay confirm redirect is malformed"))
      const amount = Number(amountText)
      if (!ConstantTime.equals(sig, confirmSignature(options.channelSecret, orderId, amount)))
        return yield* Effect.fail(gatewayError("unauthorized", "the LINE Pay confirm redirect's signature is wrong"))
      if (req.query.orderId !== undefined && req.query.orderId !== orderId)
        return yield* Effect.fail(
          gatewayError("invalid-payload", "LINE Pay returned another order than the one signed")
        )
      if (cancelled === "1")
        return yield* Effect.fail(gatewayError("rejected", "the buyer cancelled the payment at LINE Pay"))
      if (transactionId === undefined || !LinePayApi.TRANSACTION_ID.test(transactionId))
        return yield* Effect.fail(
          gatewayError("invalid-payload", "the LINE Pay confirm redirect has no 19-digit transactionId")
        )
      const confirmed = yield* Effect.result(api.confirm(transactionId, { amount }))
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      if (confirmed._tag === "Success") {
        const c = confirmed.success
        if (c.orderId !== "" && c.orderId !== orderId)
          return yield* Effect.fail(gatewayError("invalid-payload", "LINE Pay confirmed another order"))
        return paid(transactionId, orderId, amount, c.payInfo[0]?.method, now)
      }
      const e = confirmed.failure
      if (e.reason === "unauthorized") return yield* Effect.fail(LinePayError.toGatewayError(e))
      // refused (e.g. 1152, confirmed before) or no answer (the confirm may have gone through):
      // what LINE Pay has for the transaction decides

      const done = yield* alreadyConfirmed(transactionId, orderId, amount)
      if (done !== undefined) return paid(transactionId, orderId, amount, done.payInfo[0]?.method, done.transactionDate)
      return yield* Effect.fail(LinePayError.toGatewayError(e))
    })

  return {
    id: "linepay",
    channelId: options.channelId,
    environment,
    api,
    start: (request) =>
      Effect.gen(function* () {
        if (!ORDER_ID.test(request.merchantOrderNo))
          return yield* Effect.fail(
            gatewayError("invalid-payload", `orderId must be 1-100 of [A-Za-z0-9_-]: ${request.merchantOrderNo}`)
          )
        if (!Number.isSafeInteger(request.amount) || request.amount <= 0 || request.amount > 999_999_999)
          return yield* Effect.fail(
            gatewayError("invalid-payload", `amount must be a positive whole TWD amount: ${request.amount}`)
          )
        if (request.method !== undefined && request.method.toLowerCase() !== "linepay")
          return yield* Effect.fail(gatewayError("unsupported", `LINE Pay has no payment method "${request.method}"`))
        const base = request.notifyUrl ?? options.confirmUrl
        if (base === undefined || !URL.canParse(base))
          return yield* Effect.fail(
            gatewayError("invalid-payload", "LINE Pay needs a confirm URL: the request's notifyUrl or confirmUrl")
          )
        const signed = {
          order: request.merchantOrderNo,
          amount: String(request.amount),
          sig: confirmSignature(options.channelSecret, request.merchantOrderNo, request.amount)
        }
        const confirmUrl = withParams(base, signed)
        const cancelUrl = options.cancelUrl ?? withParams(base, { ...signed, cancelled: "1" })
        const reserved = yield* Effect.mapError(
          api.request(requestBody(request, { confirmUrl, cancelUrl })),
          LinePayError.toGatewayError
        )
        const start: PaymentGateway.PaymentStart = { _tag: "Redirect", url: reserved.paymentUrl.web }
        return start
      }),
    callback,
    acknowledge: (accepted) => ({
      status: accepted ? 200 : 400,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      body: page(accepted)
    }),
    refund: (input) => api.refund(input.transactionId, input.amount),
    details: (query) => api.details(query),
    check: (transactionId) => api.check(transactionId)
  }
}

/** Validates the options and builds the service. */
export const make = (options: OptionsInput): Effect.Effect<LinePayService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

/** A layer providing {@link LinePay} and core's `PaymentGateway` with the same instance. */
export const layer = (
  options: OptionsInput
): Layer.Layer<LinePay | PaymentGateway.PaymentGateway, Schema.SchemaError> =>
  PaymentGateway.layerAs(LinePay, make(options))

/** The options {@link config} reads. */
type ConfigKeys = "channelId" | "channelSecret" | "environment" | "apiBaseUrl" | "confirmUrl" | "cancelUrl"

const optionalEntry = <K extends string>(key: K, value: Option.Option<string>): Partial<Record<K, string>> =>
  Option.match(value, { onNone: () => ({}), onSome: (v) => ({ [key]: v }) as Record<K, string> })

/**
 * The options read from Effect `Config`: `LINEPAY_CHANNEL_ID`, `LINEPAY_CHANNEL_SECRET` (secret),
 * `LINEPAY_ENV` (`sandbox` | `production`, default `sandbox`), and optionally `LINEPAY_API_BASE`,
 * `LINEPAY_CONFIRM_URL`, `LINEPAY_CANCEL_URL`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  channelId: Config.String("LINEPAY_CHANNEL_ID"),
  channelSecret: Config.Redacted("LINEPAY_CHANNEL_SECRET"),
  environment: Config.Literals(["sandbox", "production"], "LINEPAY_ENV").pipe(Config.withDefault("sandbox" as const)),
  apiBaseUrl: Config.option(Config.String("LINEPAY_API_BASE")),
  confirmUrl: Config.option(Config.String("LINEPAY_CONFIRM_URL")),
  cancelUrl: Config.option(Config.String("LINEPAY_CANCEL_URL"))
}).pipe(
  Config.map(({ apiBaseUrl, confirmUrl, cancelUrl, ...required }) => ({
    ...required,
    ...optionalEntry("apiBaseUrl", apiBaseUrl),
    ...optionalEntry("confirmUrl", confirmUrl),
    ...optionalEntry("cancelUrl", cancelUrl)
  }))
)

/** {@link make} with the options read by {@link config}; `rest` sets the others (retry, transport…). */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<LinePayService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} with the options read by {@link config} from the environment; `rest` sets the others. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<LinePay | PaymentGateway.PaymentGateway, Schema.SchemaError | Config.ConfigError> =>
  PaymentGateway.layerAs(LinePay, makeConfig(rest))
