/**
 * ECPay logistics (綠界物流) as kaituan's `Logistics` port: the store map form, the carrier order
 * (`/Express/Create`), the label pages, and verified status notifications and store-map replies.
 *
 * ```ts
 * import { ECPayLogistics } from "@kaituan/logistics-ecpay"
 * import { Redacted } from "effect"
 *
 * // ECPay's public C2C stage merchant
 * const logistics = ECPayLogistics.layer({
 *   merchantId: "2000933",
 *   hashKey: Redacted.make("XBERn1YOvpM9nfZc"),
 *   hashIV: Redacted.make("h1ONHk4P4yqbl5LK"),
 *   notifyUrl: "https://shop.example/logistics/ecpay/notify",
 *   storeReplyUrl: "https://shop.example/logistics/ecpay/store",
 *   sender: { name: "阿明團購", cellPhone: "0912345678" }
 * })
 * ```
 *
 * @since 0.3.0
 */
import { FormBody, HttpClient, Logistics } from "@kaituan/core"
import type { CheckMacValue } from "@kaituan/payments-ecpay"
import { Clock, Config, Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as CreateOrder from "./CreateOrder.js"
import * as PrintPage from "./PrintPage.js"
import * as StatusNotification from "./StatusNotification.js"
import * as StoreMap from "./StoreMap.js"
import * as SubType from "./SubType.js"

/** Which ECPay system to talk to: `sandbox` is ECPay's "stage". */
export const Environment = Schema.Literals(["sandbox", "production"])
/** `sandbox` or `production`. */
export type Environment = typeof Environment.Type

/** The logistics hosts (protocols.md §6.3; the legacy SDK's `EcpayUrl` / `EcpayTestUrl`). */
export const endpoints: Readonly<Record<Environment, string>> = {
  sandbox: "https://logistics-stage.ecpay.com.tw",
  production: "https://logistics.ecpay.com.tw"
}

/** The paths under the host. */
export const paths = { map: "/Express/map", create: "/Express/Create" } as const

/** The sender (the organiser): personal data, sent to ECPay only. */
export const Sender = Schema.Struct({
  /** ECPay takes at most 10 characters. */
  name: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(10)),
  cellPhone: Schema.String.check(Schema.isPattern(/^09\d{8}$/)),
  phone: Schema.optional(Schema.String),
  /** For home delivery (TCAT). */
  zipCode: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{3,6}$/))),
  address: Schema.optional(Schema.String)
})

/** The options. Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** 特店編號: `2000933` (C2C) or `2000132` (B2C) on stage. */
  merchantId: Schema.Trimmed.check(Schema.isNonEmpty()),
  hashKey: Schema.Redacted(Schema.NonEmptyString),
  hashIV: Schema.Redacted(Schema.NonEmptyString),
  /** `sandbox` (default) or `production`. */
  environment: Schema.optional(Environment),
  /** `C2C` (default, 店到店) or `B2C`. */
  mode: Schema.optional(SubType.Mode),
  /** Where ECPay posts status notifications (`ServerReplyURL` of a carrier order). Needed to create orders. */
  notifyUrl: Schema.optional(Schema.String),
  /** Where ECPay posts the store map's choice (`ServerReplyURL` of the map). Needed for the map. */
  storeReplyUrl: Schema.optional(Schema.String),
  /** The organiser as sender. Needed to create orders. */
  sender: Schema.optional(Sender),
  /** Overrides the host of every endpoint (a local stand-in in tests). */
  apiBaseUrl: Schema.optional(Schema.String),
  /**
   * Outbound calls (Create): `timeoutMs` (default 15,000) and the transport. `retry` defaults to
   * no retry: a Create that timed out may have been made, and a retry would be refused as a
   * duplicate reference.
   */
  ...HttpClient.OptionsFields
})
/** Validated options. */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** The ECPay logistics service: core's `Logistics` port plus what it was made with. */
export interface ECPayLogisticsService extends Logistics.LogisticsService {
  readonly merchantId: string
  readonly environment: Environment
  readonly mode: SubType.Mode
}

/** The service tag (the same instance is also provided as core's `Logistics`). */
export class ECPayLogistics extends Context.Service<ECPayLogistics, ECPayLogisticsService>()(
  "@kaituan/logistics-ecpay/ECPayLogistics"
) {}

/** The service name in error texts and spans. */
export const service = "ECPay logistics"

const fromHttpError = (e: HttpClient.HttpError): Logistics.LogisticsError =>
  new Logistics.LogisticsError({
    reason: e.reason !== "refused" ? "transport" : e.status === 401 || e.status === 403 ? "unauthorized" : "rejected",
    message: e.message
  })

const missing = (what: string) =>
  Effect.fail(new Logistics.LogisticsError({ reason: "invalid-payload", message: what }))

/** Builds the service from validated options. */
export const fromOptions = (options: Options): ECPayLogisticsService => {
  const environment = options.environment ?? "sandbox"
  const mode = options.mode ?? "C2C"
  const keys: CheckMacValue.Keys = { hashKey: options.hashKey, hashIV: options.hashIV }
  const base = (options.apiBaseUrl ?? endpoints[environment]).replace(/\/+$/, "")
  const merchantId = options.merchantId
  const client = HttpClient.make({
    service,
    retry: options.retry ?? { retries: 0 },
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch,
    secrets: [Redacted.value(options.hashKey), Redacted.value(options.hashIV)]
  })
  return {
    id: "ecpay",
    merchantId,
    environment,
    mode,
    storeMap: (request) =>
      options.storeReplyUrl === undefined && request.replyUrl === undefined
        ? missing("the store map needs storeReplyUrl")
        : Effect.map(
            Effect.fromResult(
              StoreMap.fields({ merchantId, keys, mode, replyUrl: options.storeReplyUrl ?? "" }, request)
            ),
            (fields): Logistics.Form => ({ _tag: "Form", action: base + paths.map, method: "POST", fields })
          ),
    createShipment: (request) =>
      Effect.gen(function* () {
        if (options.sender === undefined) return yield* missing("creating a carrier order needs the sender")
        if (options.notifyUrl === undefined) return yield* missing("creating a carrier order needs notifyUrl")
        const now = yield* Clock.currentTimeMillis
        const fields = yield* Effect.fromResult(
          CreateOrder.fields(
            { merchantId, keys, mode, sender: options.sender, notifyUrl: options.notifyUrl },
            request,
            now
          )
        )
        const answer = yield* client
          .execute({
            method: "POST",
            url: base + paths.create,
            template: paths.create,
            body: { text: FormBody.encodeForm(fields), contentType: "application/x-www-form-urlencoded" }
          })
          .pipe(Effect.mapError(fromHttpError))
        return yield* Effect.fromResult(CreateOrder.parseAnswer(answer.text, { keys, merchantId }, request))
      }),
    printPage: (request) => Effect.fromResult(PrintPage.form({ merchantId, keys, mode, baseUrl: base }, request)),
    statusCallback: (request) => Effect.fromResult(StatusNotification.decode(request, { keys, merchantId })),
    storeCallback: (request) => Effect.fromResult(StoreMap.decodeReply(request, { keys, merchantId })),
    acknowledge: StatusNotification.acknowledge
  }
}

/** Validates the options and builds the service. */
export const make = (options: OptionsInput): Effect.Effect<ECPayLogisticsService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

const layerOf = <E, R>(
  made: Effect.Effect<ECPayLogisticsService, E, R>
): Layer.Layer<ECPayLogistics | Logistics.Logistics, E, R> =>
  Layer.effectContext(
    Effect.map(made, (s) => Context.make(ECPayLogistics, s).pipe(Context.add(Logistics.Logistics, s)))
  )

/** A layer providing {@link ECPayLogistics} and core's `Logistics` with the same instance. */
export const layer = (options: OptionsInput): Layer.Layer<ECPayLogistics | Logistics.Logistics, Schema.SchemaError> =>
  layerOf(make(options))

const optionalEntry = <K extends string, V>(key: K, value: Option.Option<V>): Partial<Record<K, V>> =>
  Option.match(value, { onNone: () => ({}), onSome: (v) => ({ [key]: v }) as Record<K, V> })

/** The options {@link config} reads. */
type ConfigKeys =
  | "merchantId"
  | "hashKey"
  | "hashIV"
  | "environment"
  | "mode"
  | "notifyUrl"
  | "storeReplyUrl"
  | "sender"
  | "apiBaseUrl"

/**
 * The options read from Effect `Config`: `ECPAY_LOGISTICS_MERCHANT_ID`,
 * `ECPAY_LOGISTICS_HASH_KEY`, `ECPAY_LOGISTICS_HASH_IV` (secrets), `ECPAY_LOGISTICS_ENV`
 * (`sandbox` | `production`, default `sandbox`), `ECPAY_LOGISTICS_MODE` (`C2C` | `B2C`, default
 * `C2C`), and optionally `ECPAY_LOGISTICS_NOTIFY_URL`, `ECPAY_LOGISTICS_STORE_REPLY_URL`,
 * `ECPAY_LOGISTICS_SENDER_NAME` with `ECPAY_LOGISTICS_SENDER_CELLPHONE` (and
 * `…_SENDER_PHONE`, `…_SENDER_ZIP`, `…_SENDER_ADDRESS`), `ECPAY_LOGISTICS_API_BASE`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  merchantId: Config.String("ECPAY_LOGISTICS_MERCHANT_ID"),
  hashKey: Config.Redacted("ECPAY_LOGISTICS_HASH_KEY"),
  hashIV: Config.Redacted("ECPAY_LOGISTICS_HASH_IV"),
  environment: Config.Literals(["sandbox", "production"], "ECPAY_LOGISTICS_ENV").pipe(
    Config.withDefault("sandbox" as const)
  ),
  mode: Config.Literals(["C2C", "B2C"], "ECPAY_LOGISTICS_MODE").pipe(Config.withDefault("C2C" as const)),
  notifyUrl: Config.option(Config.String("ECPAY_LOGISTICS_NOTIFY_URL")),
  storeReplyUrl: Config.option(Config.String("ECPAY_LOGISTICS_STORE_REPLY_URL")),
  senderName: Config.option(Config.String("ECPAY_LOGISTICS_SENDER_NAME")),
  senderCellPhone: Config.option(Config.String("ECPAY_LOGISTICS_SENDER_CELLPHONE")),
  senderPhone: Config.option(Config.String("ECPAY_LOGISTICS_SENDER_PHONE")),
  senderZip: Config.option(Config.String("ECPAY_LOGISTICS_SENDER_ZIP")),
  senderAddress: Config.option(Config.String("ECPAY_LOGISTICS_SENDER_ADDRESS")),
  apiBaseUrl: Config.option(Config.String("ECPAY_LOGISTICS_API_BASE"))
}).pipe(
  Config.map(
    ({
      notifyUrl,
      storeReplyUrl,
      senderName,
      senderCellPhone,
      senderPhone,
      senderZip,
      senderAddress,
      apiBaseUrl,
      ...required
    }) => ({
      ...required,
      ...optionalEntry("notifyUrl", notifyUrl),
      ...optionalEntry("storeReplyUrl", storeReplyUrl),
      ...optionalEntry("apiBaseUrl", apiBaseUrl),
      ...(Option.isSome(senderName) && Option.isSome(senderCellPhone)
        ? {
            sender: {
              name: senderName.value,
              cellPhone: senderCellPhone.value,
              ...optionalEntry("phone", senderPhone),
              ...optionalEntry("zipCode", senderZip),
              ...optionalEntry("address", senderAddress)
            }
          }
        : {})
    })
  )
)

/** {@link make} with the options read by {@link config}; `rest` sets the others (retry, transport…). */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<ECPayLogisticsService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} with the options read by {@link config} from the environment; `rest` sets the others. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<ECPayLogistics | Logistics.Logistics, Schema.SchemaError | Config.ConfigError> =>
  layerOf(makeConfig(rest))
