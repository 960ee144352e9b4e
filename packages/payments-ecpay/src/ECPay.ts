/**
 * The ECPay (綠界) AIO gateway as core's `PaymentGateway`: `start` builds the signed checkout form
 * the buyer's browser posts to `/Cashier/AioCheckOut/V5`, `callback` verifies and decodes the
 * ReturnURL and PaymentInfoURL server posts, and `acknowledge` answers them (`1|OK`).
 *
 * ```ts
 * import { ECPay } from "@kaituan/payments-ecpay"
 * import { Redacted } from "effect"
 *
 * // ECPay's public stage (sandbox) merchant
 * const gateway = ECPay.layer({
 *   merchantId: "3002607",
 *   hashKey: Redacted.make("pwFHCqoQZGmho4w6"),
 *   hashIV: Redacted.make("EkRm7iFT261dpevs"),
 *   environment: "sandbox",
 *   notifyUrl: "https://shop.example/payments/ecpay/notify"
 * })
 * ```
 *
 * @since 0.1.0
 */
import { type Http, HttpClient, PaymentGateway, TaipeiTime } from "@kaituan/core"
import { Clock, Config, Context, Effect, type Layer, Option, Schema } from "effect"
import * as CheckMacValue from "./CheckMacValue.js"
import * as ECPayCallback from "./ECPayCallback.js"
import * as TradeQuery from "./TradeQuery.js"

/** Which ECPay system to talk to: `sandbox` is ECPay's "stage". */
export const Environment = Schema.Literals(["sandbox", "production"])
/** `sandbox` or `production`. */
export type Environment = typeof Environment.Type

/** The real AIO endpoints: the checkout form action and the base URL of the APIs (the order query). */
export const endpoints: Readonly<Record<Environment, { readonly checkout: string; readonly api: string }>> = {
  sandbox: {
    checkout: "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5",
    api: "https://payment-stage.ecpay.com.tw"
  },
  production: { checkout: "https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5", api: "https://payment.ecpay.com.tw" }
}

/** The gateway's options. Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** 特店編號, e.g. `3002607` on stage. */
  merchantId: Schema.Trimmed.check(Schema.isNonEmpty()),
  hashKey: Schema.Redacted(Schema.NonEmptyString),
  hashIV: Schema.Redacted(Schema.NonEmptyString),
  /** `sandbox` (default, payment-stage.ecpay.com.tw) or `production` (payment.ecpay.com.tw). */
  environment: Schema.optional(Environment),
  /** Overrides the checkout form action. */
  checkoutUrl: Schema.optional(Schema.String),
  /** Default server callback URL (ECPay `ReturnURL` and `PaymentInfoURL`) when a request has none. */
  notifyUrl: Schema.optional(Schema.String),
  /** Default browser "back to shop" URL (ECPay `ClientBackURL`) when a request has none. */
  returnUrl: Schema.optional(Schema.String),
  /** ATM virtual accounts expire after this many days (ECPay `ExpireDate`, 1-60; ECPay's default is 3). */
  atmExpireDays: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 60 }))),
  /** Overrides the base URL of the order query API (a local stand-in in tests). */
  apiBaseUrl: Schema.optional(Schema.String),
  /**
   * Outbound calls (the order query): `retry` (network errors, 429, 5xx), `timeoutMs` of one call
   * (default 15,000), and the transport (`httpClient`, or `fetch`; default the global `fetch`).
   */
  ...HttpClient.OptionsFields
})
/** Validated options (secrets as `Redacted`). */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** The ECPay service: the `PaymentGateway` port plus the order query. */
export interface ECPayService extends PaymentGateway.PaymentGatewayService {
  readonly merchantId: string
  readonly environment: Environment
  /** Asks ECPay for the state of one order (QueryTradeInfo), verified by CheckMacValue. */
  readonly queryTrade: (
    input: TradeQuery.QueryInput
  ) => Effect.Effect<TradeQuery.QueryResult, PaymentGateway.GatewayError>
}

/** The ECPay service tag (the same instance is also provided as core's `PaymentGateway`). */
export class ECPay extends Context.Service<ECPay, ECPayService>()("@kaituan/payments-ecpay/ECPay") {}

/** `ChoosePayment` for the `method` hint of a `PaymentRequest` (none: `ALL`). */
export const choosePayment: Readonly<Record<string, string>> = {
  credit: "Credit",
  atm: "ATM",
  webatm: "WebATM",
  cvs: "CVS",
  barcode: "BARCODE",
  applepay: "ApplePay",
  twqr: "TWQR",
  all: "ALL"
}

const MERCHANT_TRADE_NO = /^[A-Za-z0-9]{1,20}$/

const gatewayError = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  new PaymentGateway.GatewayError({ reason, message })

/**
 * The checkout fields (without `CheckMacValue`) for a request at `epochMillis`. Fails with
 * `invalid-payload` for an order number, amount or callback URL ECPay would refuse, and
 * `unsupported` for an unknown method hint.
 */
export const checkoutFields = (
  options: Options,
  request: PaymentGateway.PaymentRequest,
  epochMillis: number
): Effect.Effect<Record<string, string>, PaymentGateway.GatewayError> =>
  Effect.gen(function* () {
    if (!MERCHANT_TRADE_NO.test(request.merchantOrderNo)) {
      return yield* Effect.fail(
        gatewayError("invalid-payload", `MerchantTradeNo must be 1-20 letters or digits: ${request.merchantOrderNo}`)
      )
    }
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
      return yield* Effect.fail(
        gatewayError("invalid-payload", `TotalAmount must be a positive whole TWD amount: ${request.amount}`)
      )
    }
    const choose = request.method === undefined ? "ALL" : choosePayment[request.method.toLowerCase()]
    if (choose === undefined) {
      return yield* Effect.fail(gatewayError("unsupported", `ECPay has no payment method "${request.method}"`))
    }
    const notifyUrl = request.notifyUrl ?? options.notifyUrl
    if (notifyUrl === undefined || notifyUrl === "") {
      return yield* Effect.fail(gatewayError("invalid-payload", "ECPay needs a ReturnURL: set notifyUrl"))
    }
    const description = request.description.trim() === "" ? request.merchantOrderNo : request.description.trim()
    const fields: Record<string, string> = {
      MerchantID: options.merchantId,
      MerchantTradeNo: request.merchantOrderNo,
      MerchantTradeDate: TaipeiTime.formatTaipei(epochMillis),
      PaymentType: "aio",
      TotalAmount: String(request.amount),
      TradeDesc: [...description].slice(0, 200).join(""),
      ItemName: [...description].slice(0, 400).join(""),
      ReturnURL: notifyUrl,
      ChoosePayment: choose,
      EncryptType: "1",
      NeedExtraPaidInfo: "Y"
    }
    if (choose === "ALL" || choose === "ATM" || choose === "CVS" || choose === "BARCODE") {
      fields.PaymentInfoURL = notifyUrl
    }
    if ((choose === "ALL" || choose === "ATM") && options.atmExpireDays !== undefined) {
      fields.ExpireDate = String(options.atmExpireDays)
    }
    const returnUrl = request.returnUrl ?? options.returnUrl
    if (returnUrl !== undefined && returnUrl !== "") fields.ClientBackURL = returnUrl
    return fields
  })

/** The answer to a callback: `1|OK` (200, text/plain) when accepted, `0|ErrorMessage` (400) when refused. */
export const acknowledge = (accepted: boolean): Http.PlainResponse => ({
  status: accepted ? 200 : 400,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: accepted ? ECPayCallback.ACCEPTED : ECPayCallback.refusal()
})

/** Builds the service from validated options. */
export const fromOptions = (options: Options): ECPayService => {
  const environment = options.environment ?? "sandbox"
  const keys: CheckMacValue.Keys = { hashKey: options.hashKey, hashIV: options.hashIV }
  const action = options.checkoutUrl ?? endpoints[environment].checkout
  return {
    id: "ecpay",
    merchantId: options.merchantId,
    environment,
    start: (request) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const fields = yield* checkoutFields(options, request, now)
        const start: PaymentGateway.PaymentStart = {
          _tag: "Form",
          action,
          method: "POST",
          fields: CheckMacValue.sign(fields, keys, "sha256")
        }
        return start
      }),
    callback: (request) => Effect.fromResult(ECPayCallback.decode(request, { keys, merchantId: options.merchantId })),
    acknowledge,
    queryTrade: (input) =>
      TradeQuery.query(
        {
          merchantId: options.merchantId,
          keys,
          baseUrl: options.apiBaseUrl ?? endpoints[environment].api,
          retry: options.retry,
          timeoutMs: options.timeoutMs,
          httpClient: options.httpClient,
          fetch: options.fetch
        },
        input
      )
  }
}

/** Validates the options and builds the service. */
export const make = (options: OptionsInput): Effect.Effect<ECPayService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

/** A layer providing {@link ECPay} and core's `PaymentGateway` with the same instance. */
export const layer = (options: OptionsInput): Layer.Layer<ECPay | PaymentGateway.PaymentGateway, Schema.SchemaError> =>
  PaymentGateway.layerAs(ECPay, make(options))

const optionalEntry = <K extends string, V>(key: K, value: Option.Option<V>): Partial<Record<K, V>> =>
  Option.match(value, { onNone: () => ({}), onSome: (v) => ({ [key]: v }) as Record<K, V> })

/** The options {@link config} reads. */
type ConfigKeys =
  | "merchantId"
  | "hashKey"
  | "hashIV"
  | "environment"
  | "checkoutUrl"
  | "notifyUrl"
  | "returnUrl"
  | "atmExpireDays"
  | "apiBaseUrl"

/**
 * The options read from Effect `Config`: `ECPAY_MERCHANT_ID`, `ECPAY_HASH_KEY`, `ECPAY_HASH_IV`
 * (secrets), `ECPAY_ENV` (`sandbox` | `production`, default `sandbox`), and optionally
 * `ECPAY_CHECKOUT_URL`, `ECPAY_NOTIFY_URL`, `ECPAY_RETURN_URL`, `ECPAY_ATM_EXPIRE_DAYS`,
 * `ECPAY_API_BASE`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  merchantId: Config.String("ECPAY_MERCHANT_ID"),
  hashKey: Config.Redacted("ECPAY_HASH_KEY"),
  hashIV: Config.Redacted("ECPAY_HASH_IV"),
  environment: Config.Literals(["sandbox", "production"], "ECPAY_ENV").pipe(Config.withDefault("sandbox" as const)),
  checkoutUrl: Config.option(Config.String("ECPAY_CHECKOUT_URL")),
  notifyUrl: Config.option(Config.String("ECPAY_NOTIFY_URL")),
  returnUrl: Config.option(Config.String("ECPAY_RETURN_URL")),
  atmExpireDays: Config.option(Config.Int("ECPAY_ATM_EXPIRE_DAYS")),
  apiBaseUrl: Config.option(Config.String("ECPAY_API_BASE"))
}).pipe(
  Config.map(({ checkoutUrl, notifyUrl, returnUrl, atmExpireDays, apiBaseUrl, ...required }) => ({
    ...required,
    ...optionalEntry("checkoutUrl", checkoutUrl),
    ...optionalEntry("notifyUrl", notifyUrl),
    ...optionalEntry("returnUrl", returnUrl),
    ...optionalEntry("atmExpireDays", atmExpireDays),
    ...optionalEntry("apiBaseUrl", apiBaseUrl)
  }))
)

/** {@link make} with the options read by {@link config}; `rest` sets the others (retry, transport…). */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<ECPayService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} with the options read by {@link config} from the environment; `rest` sets the others. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<ECPay | PaymentGateway.PaymentGateway, Schema.SchemaError | Config.ConfigError> =>
  PaymentGateway.layerAs(ECPay, makeConfig(rest))
