/**
 * The NewebPay (藍新金流) MPG gateway as core's `PaymentGateway`: `start` builds the checkout
 * form (TradeInfo + TradeSha) the buyer's browser posts to NewebPay, `callback` verifies and
 * decodes NotifyURL / ReturnURL / CustomerURL posts, `acknowledge` answers them, and
 * `queryTrade` asks NewebPay for the state of one order.
 *
 * ```ts
 * import { NewebPay } from "@kaituan/payments-newebpay"
 * import { Redacted } from "effect"
 *
 * const gateway = NewebPay.layer({
 *   merchantId: "MS12345678",
 *   hashKey: Redacted.make("12345678901234567890123456789012"),
 *   hashIV: Redacted.make("1234567890123456"),
 *   environment: "sandbox",
 *   notifyUrl: "https://shop.example/payments/newebpay/notify"
 * })
 * ```
 *
 * @since 0.1.0
 */
import { FormBody, HttpClient, PaymentGateway } from "@kaituan/core"
import { Clock, Config, Context, Effect, type Layer, Option, Redacted, Schema } from "effect"
import * as NewebPayCallback from "./NewebPayCallback.js"
import * as NewebPayCrypto from "./NewebPayCrypto.js"
import * as TradeQuery from "./TradeQuery.js"

/** Which NewebPay system to talk to. */
export const Environment = Schema.Literals(["sandbox", "production"])
/** `sandbox` or `production`. */
export type Environment = typeof Environment.Type

/** The real endpoints: the MPG form action and the base URL of the APIs. */
export const endpoints: Readonly<Record<Environment, { readonly gateway: string; readonly api: string }>> = {
  sandbox: { gateway: "https://ccore.newebpay.com/MPG/mpg_gateway", api: "https://ccore.newebpay.com" },
  production: { gateway: "https://core.newebpay.com/MPG/mpg_gateway", api: "https://core.newebpay.com" }
}

/**
 * A redacted secret of exactly `n` UTF-8 bytes. The check sits on the `Redacted` itself (not on
 * the value inside it), so a failure keeps this message: Effect 4 reports a failing value inside
 * a `Redacted` only as "Expected a valid value", to keep secrets out of error messages.
 */
const redactedBytes = (n: number, name: string) =>
  Schema.Redacted(Schema.String).check(
    Schema.makeFilter(
      (secret: Redacted.Redacted<string>) =>
        Buffer.byteLength(Redacted.value(secret), "utf8") === n || `${name} must be ${n} bytes (AES-256-CBC)`
    )
  )

/** The gateway's options. Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** 商店代號, e.g. `MS12345678`. */
  merchantId: Schema.Trimmed.check(Schema.isNonEmpty()),
  /** HashKey: 32 bytes. */
  hashKey: redactedBytes(32, "HashKey"),
  /** HashIV: 16 bytes. */
  hashIV: redactedBytes(16, "HashIV"),
  /** `sandbox` (default, ccore.newebpay.com) or `production` (core.newebpay.com). */
  environment: Schema.optional(Environment),
  /** Overrides the MPG form action. */
  gatewayUrl: Schema.optional(Schema.String),
  /** Overrides the base URL of the query API (a local stand-in in tests). */
  apiBaseUrl: Schema.optional(Schema.String),
  /** MPG `Version`; defaults to `2.0`. */
  version: Schema.optional(Schema.String),
  /** Default NotifyURL (server-to-server result) when a request has none. */
  notifyUrl: Schema.optional(Schema.String),
  /** Default ReturnURL (the buyer's browser after paying) when a request has none. */
  returnUrl: Schema.optional(Schema.String),
  /** ClientBackURL: the "back to shop" link on NewebPay's page. */
  clientBackUrl: Schema.optional(Schema.String),
  /** CustomerURL: where the browser is sent after an ATM/CVS code is issued. */
  customerUrl: Schema.optional(Schema.String),
  /** Plaintext padding for TradeInfo; defaults to the official sample's `pad32`. */
  padding: Schema.optional(Schema.Literals(["pad32", "pkcs7"])),
  /**
   * Outbound calls (the trade query): `retry` (network errors, 429, 5xx), `timeoutMs` of one call
   * (default 15,000), and the transport (`httpClient`, or `fetch`; default the global `fetch`).
   */
  ...HttpClient.OptionsFields
})
/** Validated options (secrets as `Redacted`). */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** The NewebPay service: the `PaymentGateway` port plus the trade query. */
export interface NewebPayService extends PaymentGateway.PaymentGatewayService {
  readonly merchantId: string
  readonly environment: Environment
  /** Asks NewebPay for the state of one order (QueryTradeInfo), verified by CheckCode. */
  readonly queryTrade: (
    input: TradeQuery.QueryInput
  ) => Effect.Effect<TradeQuery.QueryResult, PaymentGateway.GatewayError>
}

/** The NewebPay service tag (the same instance is also provided as core's `PaymentGateway`). */
export class NewebPay extends Context.Service<NewebPay, NewebPayService>()("@kaituan/payments-newebpay/NewebPay") {}

const MERCHANT_ORDER_NO = /^[A-Za-z0-9_]{1,30}$/

/** Payment switches for the `method` hint of a `PaymentRequest`. */
export const methodSwitches: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  credit: { CREDIT: "1" },
  atm: { VACC: "1" },
  vacc: { VACC: "1" },
  webatm: { WEBATM: "1" },
  cvs: { CVS: "1" },
  barcode: { BARCODE: "1" },
  linepay: { LINEPAY: "1" }
}

const gatewayError = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  new PaymentGateway.GatewayError({ reason, message })

/**
 * The TradeInfo fields (in NewebPay's documented order) for a request at `timeStamp` (Unix
 * seconds). Fails with `invalid-payload` for an order number or amount NewebPay would refuse,
 * and `unsupported` for an unknown method hint.
 */
export const tradeInfoFields = (
  options: Options,
  request: PaymentGateway.PaymentRequest,
  timeStamp: number
): Effect.Effect<Record<string, string>, PaymentGateway.GatewayError> =>
  Effect.gen(function* () {
    if (!MERCHANT_ORDER_NO.test(request.merchantOrderNo)) {
      return yield* Effect.fail(
        gatewayError("invalid-payload", `MerchantOrderNo must be 1-30 of [A-Za-z0-9_]: ${request.merchantOrderNo}`)
      )
    }
    if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
      return yield* Effect.fail(
        gatewayError("invalid-payload", `Amt must be a positive whole TWD amount: ${request.amount}`)
      )
    }
    const switches = request.method === undefined ? {} : methodSwitches[request.method.toLowerCase()]
    if (switches === undefined) {
      return yield* Effect.fail(gatewayError("unsupported", `NewebPay has no payment method "${request.method}"`))
    }
    const description = request.description.trim() === "" ? request.merchantOrderNo : request.description.trim()
    const fields: Record<string, string> = {
      MerchantID: options.merchantId,
      RespondType: "JSON",
      TimeStamp: String(timeStamp),
      Version: options.version ?? "2.0",
      MerchantOrderNo: request.merchantOrderNo,
      Amt: String(request.amount),
      ItemDesc: [...description].slice(0, 50).join("")
    }
    if (request.buyerEmail !== undefined && request.buyerEmail !== "") fields.Email = request.buyerEmail
    fields.LoginType = "0"
    const notifyUrl = request.notifyUrl ?? options.notifyUrl
    const returnUrl = request.returnUrl ?? options.returnUrl
    if (notifyUrl !== undefined) fields.NotifyURL = notifyUrl
    if (returnUrl !== undefined) fields.ReturnURL = returnUrl
    if (options.clientBackUrl !== undefined) fields.ClientBackURL = options.clientBackUrl
    if (options.customerUrl !== undefined) fields.CustomerURL = options.customerUrl
    return { ...fields, ...switches }
  })

/** Builds the service from validated options. */
export const fromOptions = (options: Options): NewebPayService => {
  const environment = options.environment ?? "sandbox"
  const keys: NewebPayCrypto.Keys = { hashKey: options.hashKey, hashIV: options.hashIV }
  const action = options.gatewayUrl ?? endpoints[environment].gateway
  const apiBaseUrl = options.apiBaseUrl ?? endpoints[environment].api
  const version = options.version ?? "2.0"
  return {
    id: "newebpay",
    merchantId: options.merchantId,
    environment,
    start: (request) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const fields = yield* tradeInfoFields(options, request, Math.floor(now / 1000))
        const tradeInfo = yield* Effect.mapError(
          Effect.fromResult(NewebPayCrypto.encrypt(FormBody.encodeForm(fields), keys, options.padding)),
          (e) => gatewayError("invalid-payload", e.message)
        )
        const start: PaymentGateway.PaymentStart = {
          _tag: "Form",
          action,
          method: "POST",
          fields: {
            MerchantID: options.merchantId,
            TradeInfo: tradeInfo,
            TradeSha: NewebPayCrypto.tradeSha(tradeInfo, keys),
            Version: version
          }
        }
        return start
      }),
    callback: (request) =>
      Effect.fromResult(NewebPayCallback.decode(request, { keys, merchantId: options.merchantId })),
    acknowledge: (accepted) => ({
      status: accepted ? 200 : 400,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: accepted ? "OK" : "ERROR"
    }),
    queryTrade: (input) =>
      TradeQuery.query(
        {
          merchantId: options.merchantId,
          keys,
          baseUrl: apiBaseUrl,
          retry: options.retry,
          timeoutMs: options.timeoutMs,
          httpClient: options.httpClient,
          fetch: options.fetch
        },
        input
      )
  }
}

/** Validates the options (key sizes, merchant id) and builds the service. */
export const make = (options: OptionsInput): Effect.Effect<NewebPayService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

/** A layer providing {@link NewebPay} and core's `PaymentGateway` with the same instance. */
export const layer = (
  options: OptionsInput
): Layer.Layer<NewebPay | PaymentGateway.PaymentGateway, Schema.SchemaError> =>
  PaymentGateway.layerAs(NewebPay, make(options))

/** The options {@link config} reads. */
type ConfigKeys =
  | "merchantId"
  | "hashKey"
  | "hashIV"
  | "environment"
  | "apiBaseUrl"
  | "gatewayUrl"
  | "notifyUrl"
  | "returnUrl"
  | "clientBackUrl"

/**
 * The options read from Effect `Config`: `NEWEBPAY_MERCHANT_ID`, `NEWEBPAY_HASH_KEY`,
 * `NEWEBPAY_HASH_IV` (secrets), `NEWEBPAY_ENV` (`sandbox` | `production`, default `sandbox`),
 * and optionally `NEWEBPAY_API_BASE`, `NEWEBPAY_GATEWAY_URL`, `NEWEBPAY_NOTIFY_URL`,
 * `NEWEBPAY_RETURN_URL`, `NEWEBPAY_CLIENT_BACK_URL`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  merchantId: Config.String("NEWEBPAY_MERCHANT_ID"),
  hashKey: Config.Redacted("NEWEBPAY_HASH_KEY"),
  hashIV: Config.Redacted("NEWEBPAY_HASH_IV"),
  environment: Config.Literals(["sandbox", "production"], "NEWEBPAY_ENV").pipe(Config.withDefault("sandbox" as const)),
  apiBaseUrl: Config.option(Config.String("NEWEBPAY_API_BASE")),
  gatewayUrl: Config.option(Config.String("NEWEBPAY_GATEWAY_URL")),
  notifyUrl: Config.option(Config.String("NEWEBPAY_NOTIFY_URL")),
  returnUrl: Config.option(Config.String("NEWEBPAY_RETURN_URL")),
  clientBackUrl: Config.option(Config.String("NEWEBPAY_CLIENT_BACK_URL"))
}).pipe(
  Config.map(({ apiBaseUrl, gatewayUrl, notifyUrl, returnUrl, clientBackUrl, ...required }) => ({
    ...required,
    ...optionalEntry("apiBaseUrl", apiBaseUrl),
    ...optionalEntry("gatewayUrl", gatewayUrl),
    ...optionalEntry("notifyUrl", notifyUrl),
    ...optionalEntry("returnUrl", returnUrl),
    ...optionalEntry("clientBackUrl", clientBackUrl)
  }))
)

const optionalEntry = <K extends string>(key: K, value: Option.Option<string>): Partial<Record<K, string>> =>
  Option.match(value, { onNone: () => ({}), onSome: (v) => ({ [key]: v }) as Record<K, string> })

/** {@link make} with the options read by {@link config}; `rest` sets the others (retry, transport, padding…). */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<NewebPayService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} with the options read by {@link config} from the environment; `rest` sets the others. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<NewebPay | PaymentGateway.PaymentGateway, Schema.SchemaError | Config.ConfigError> =>
  PaymentGateway.layerAs(NewebPay, makeConfig(rest))
