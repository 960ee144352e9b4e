/**
 * ECPay (綠界) B2C e-invoices as core's `Invoicing` port, over {@link InvoiceApi}:
 *
 * - `issue` first looks the order's invoice up by its merchant number (`GetIssue` by
 *   `RelateNumber`, derived from the order id by core's `Invoicing.relateNumberOf`): an invoice
 *   already issued is answered as it is, so a retry (after a timeout, a crash, an outbox
 *   redelivery) never issues twice. Otherwise `Issue`; when ECPay refuses it, the lookup runs
 *   once more (another attempt may have issued it meanwhile) before the refusal is reported.
 * - `void` → `Invalid`, `allowance` → `Allowance` (the paper allowance: the buyer's signed copy
 *   is kept for audit), `query` → `GetIssue`, `checkMobileBarcode` → `CheckBarcode`,
 *   `checkLoveCode` → `CheckLoveCode` (advisory: the tax authority's systems have unplanned
 *   maintenance; never gate issuing on them).
 *
 * @since 0.1.0
 */
import { HttpClient, Invoicing } from "@kaituan/core"
import { Config, Context, Effect, type Layer, Option, Redacted, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as InvoiceApi from "./InvoiceApi.js"
import type * as InvoiceCrypto from "./InvoiceCrypto.js"

/** Which ECPay system to talk to. */
export const Environment = Schema.Literals(["stage", "production"])
/** `stage` or `production`. */
export type Environment = typeof Environment.Type

/** The API hosts. */
export const endpoints: Readonly<Record<Environment, string>> = {
  stage: "https://einvoice-stage.ecpay.com.tw",
  production: "https://einvoice.ecpay.com.tw"
}

/** ECPay's public stage (test) merchant for e-invoices: not a secret, the same in every ECPay SDK example. */
export const stageMerchant = {
  merchantId: "2000132",
  hashKey: "ejCk326UnaZWKisg",
  hashIV: "q9jcZX8Ib9LM8wYk"
} as const

const redacted16 = (name: string) =>
  Schema.Redacted(Schema.String).check(
    Schema.makeFilter(
      (secret: Redacted.Redacted<string>) =>
        Buffer.byteLength(Redacted.value(secret), "utf8") === 16 || `${name} must be 16 bytes (AES-128-CBC)`
    )
  )

/** The options. HashKey and HashIV are `Redacted`. */
export const Options = Schema.Struct({
  /** 特店編號, e.g. `2000132` (stage). */
  merchantId: Schema.Trimmed.check(Schema.isNonEmpty()),
  /** HashKey: 16 bytes. */
  hashKey: redacted16("HashKey"),
  /** HashIV: 16 bytes. */
  hashIV: redacted16("HashIV"),
  /** `stage` (default, einvoice-stage.ecpay.com.tw) or `production`. */
  environment: Schema.optional(Environment),
  /** Overrides the API's base URL (a local stand-in in tests). */
  apiBaseUrl: Schema.optional(Schema.String),
  /** Outbound calls: `retry` (queries and checks only), `timeoutMs`, `httpClient` or `fetch`. */
  ...HttpClient.OptionsFields
})
/** Validated options. */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** The service: the port plus the raw client. */
export interface EcpayInvoiceService extends Invoicing.InvoicingService {
  readonly merchantId: string
  readonly environment: Environment
  readonly api: InvoiceApi.Client
}

/** The service tag (the same instance is also provided as core's `Invoicing`). */
export class EcpayInvoice extends Context.Service<EcpayInvoice, EcpayInvoiceService>()(
  "@kaituan/invoice-ecpay/EcpayInvoice"
) {}

type Json = Record<string, unknown>

const invalid = (message: string) => new Invoicing.InvoicingError({ reason: "invalid-input", message })
const badAnswer = (message: string) => new Invoicing.InvoicingError({ reason: "invalid-response", message })

/** ECPay's `Items` for invoice lines (tax-included, 應稅). */
const itemsData = (items: ReadonlyArray<Invoicing.InvoiceItem>): Array<Json> =>
  items.map((item) => ({
    ItemName: item.name,
    ItemCount: item.quantity,
    ItemWord: item.unit ?? "個",
    ItemPrice: item.unitPrice,
    ItemTaxType: "1",
    ItemAmount: item.amount
  }))

/**
 * The `Data` of `/B2CInvoice/Issue` for a validated input, keys in ECPay's documented order;
 * empty optional fields are left out. 應稅 (`TaxType` 1), 一般稅額 (`InvType` 07), prices
 * tax-included (`vat` 1).
 */
export const issueData = (merchantId: string, relateNumber: string, input: Invoicing.IssueInput): Json => {
  const { buyer, carrier } = input
  const carrierFields = match(carrier)
    .with({ _tag: "Mobile" }, (c) => ({ Print: "0", Donation: "0", CarrierType: "3", CarrierNum: c.barcode }))
    .with({ _tag: "Certificate" }, (c) => ({ Print: "0", Donation: "0", CarrierType: "2", CarrierNum: c.number }))
    .with({ _tag: "Member" }, () => ({ Print: "0", Donation: "0", CarrierType: "1", CarrierNum: "" }))
    .with({ _tag: "Donation" }, (c) => ({
      Print: "0",
      Donation: "1",
      LoveCode: c.loveCode,
      CarrierType: "",
      CarrierNum: ""
    }))
    .with({ _tag: "Printed" }, () => ({ Print: "1", Donation: "0", CarrierType: "", CarrierNum: "" }))
    .exhaustive()
  const optional = (key: string, value: string | undefined): Json =>
    value === undefined || value === "" ? {} : { [key]: value }
  return {
    MerchantID: merchantId,
    RelateNumber: relateNumber,
    ...optional("CustomerIdentifier", buyer.taxId),
    ...optional("CustomerName", buyer.name),
    ...optional("CustomerAddr", buyer.address),
    ...optional("CustomerPhone", buyer.phone),
    ...optional("CustomerEmail", buyer.email),
    ...carrierFields,
    TaxType: "1",
    SalesAmount: input.amount,
    ...optional("InvoiceRemark", input.remark),
    Items: itemsData(input.items),
    InvType: "07",
    vat: "1"
  }
}

/** The `Data` of `/B2CInvoice/Invalid` (the invoice's day, not its time). */
export const invalidData = (merchantId: string, input: Invoicing.VoidInput): Json => ({
  MerchantID: merchantId,
  InvoiceNo: input.invoiceNo,
  InvoiceDate: dayOf(input.invoiceDate),
  Reason: input.reason
})

/** The `yyyy-MM-dd` of an invoice date (`yyyy-MM-dd HH:mm:ss` or `yyyy/MM/dd …`). */
export const dayOf = (invoiceDate: string): string => invoiceDate.slice(0, 10).replace(/\//g, "-")

const str = (u: unknown): string | undefined =>
  typeof u === "string" ? u : typeof u === "number" && Number.isFinite(u) ? String(u) : undefined

/** A `GetIssue` answer as the port's {@link Invoicing.QueriedInvoice}. */
export const queriedOf = (
  data: InvoiceApi.Answer
): Result.Result<Invoicing.QueriedInvoice, Invoicing.InvoicingError> => {
  const invoiceNo = str(data.IIS_Number)
  const invoiceDate = str(data.IIS_Create_Date)
  const amount = Number(data.IIS_Sales_Amount)
  if (invoiceNo === undefined || invoiceDate === undefined || !Number.isSafeInteger(amount))
    return Result.fail(
      badAnswer(`${InvoiceApi.service}: GetIssue answered without IIS_Number, IIS_Create_Date or IIS_Sales_Amount`)
    )
  return Result.succeed({
    invoiceNo,
    invoiceDate: invoiceDate.replace(/\//g, "-"),
    relateNumber: str(data.IIS_Relate_Number) ?? "",
    randomNumber: str(data.IIS_Random_Number) ?? "",
    amount,
    voided: str(data.IIS_Invalid_Status) === "1"
  })
}

/** Builds the service from validated options. */
export const fromOptions = (options: Options): EcpayInvoiceService => {
  const environment = options.environment ?? "stage"
  const keys: InvoiceCrypto.Keys = { hashKey: options.hashKey, hashIV: options.hashIV }
  const api = InvoiceApi.make({
    merchantId: options.merchantId,
    keys,
    baseUrl: options.apiBaseUrl ?? endpoints[environment],
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch
  })
  const merchant = { MerchantID: options.merchantId }

  const getIssue = (by: Json) =>
    Effect.gen(function* () {
      const answer = yield* api.call(InvoiceApi.paths.getIssue, { ...merchant, ...by }, { retry: true })
      // ECPay answers a non-1 RtnCode when it has no such invoice.
      if (InvoiceApi.isRefusal(answer)) return undefined
      return yield* Effect.fromResult(queriedOf(answer))
    })

  const existing = (orderId: string, relateNumber: string) =>
    Effect.gen(function* () {
      const found = yield* getIssue({ RelateNumber: relateNumber })
      if (found === undefined) return undefined
      if (found.voided)
        return yield* Effect.fail(
          new Invoicing.InvoicingError({
            reason: "rejected",
            message: `the invoice of this order (${found.invoiceNo}) was voided: re-issue with the next sequence`
          })
        )
      const invoice: Invoicing.Invoice = {
        orderId,
        relateNumber,
        invoiceNo: found.invoiceNo,
        invoiceDate: found.invoiceDate,
        randomNumber: found.randomNumber,
        amount: found.amount
      }
      return invoice
    })

  const check = (path: typeof InvoiceApi.paths.checkBarcode | typeof InvoiceApi.paths.checkLoveCode, data: Json) =>
    Effect.gen(function* () {
      const answer = yield* api.call(path, { ...merchant, ...data }, { retry: true })
      if (InvoiceApi.isRefusal(answer)) return yield* Effect.fail(InvoiceApi.refused(answer, "the check"))
      return answer.IsExist === "Y"
    })

  return {
    id: "ecpay",
    merchantId: options.merchantId,
    environment,
    api,
    issue: (input) =>
      Effect.gen(function* () {
        const valid = yield* Effect.fromResult(Invoicing.decodeIssue(input))
        const relateNumber = Invoicing.relateNumberOf(valid.orderId, valid.sequence ?? 0)
        const already = yield* existing(valid.orderId, relateNumber)
        if (already !== undefined) return already
        const answer = yield* api.call(InvoiceApi.paths.issue, issueData(options.merchantId, relateNumber, valid))
        if (InvoiceApi.isRefusal(answer)) {
          const raced = yield* existing(valid.orderId, relateNumber)
          if (raced !== undefined) return raced
          return yield* Effect.fail(InvoiceApi.refused(answer, "the invoice"))
        }
        const invoiceNo = str(answer.InvoiceNo)
        const invoiceDate = str(answer.InvoiceDate)
        if (invoiceNo === undefined || !/^[A-Z]{2}[0-9]{8}$/.test(invoiceNo) || invoiceDate === undefined)
          return yield* Effect.fail(badAnswer(`${InvoiceApi.service}: Issue answered without InvoiceNo or InvoiceDate`))
        const invoice: Invoicing.Invoice = {
          orderId: valid.orderId,
          relateNumber,
          invoiceNo,
          invoiceDate,
          randomNumber: str(answer.RandomNumber) ?? "",
          amount: valid.amount
        }
        return invoice
      }),
    void: (input) =>
      Effect.gen(function* () {
        const valid = yield* Effect.mapError(Schema.decodeUnknownEffect(Invoicing.VoidInput)(input), (e) =>
          invalid(e.message)
        )
        const answer = yield* api.call(InvoiceApi.paths.invalid, invalidData(options.merchantId, valid))
        if (InvoiceApi.isRefusal(answer)) return yield* Effect.fail(InvoiceApi.refused(answer, "the void"))
        return { invoiceNo: str(answer.InvoiceNo) ?? valid.invoiceNo }
      }),
    allowance: (input) =>
      Effect.gen(function* () {
        const valid = yield* Effect.fromResult(Invoicing.decodeAllowance(input))
        const notify = match(valid.notify)
          .with("email", () => "E")
          .with("sms", () => "S")
          .with("both", () => "A")
          .with("none", () => "N")
          .exhaustive()
        const answer = yield* api.call(InvoiceApi.paths.allowance, {
          ...merchant,
          InvoiceNo: valid.invoiceNo,
          InvoiceDate: dayOf(valid.invoiceDate),
          AllowanceNotify: notify,
          CustomerName: valid.buyer.name ?? "",
          NotifyMail: notify === "E" || notify === "A" ? (valid.buyer.email ?? "") : "",
          NotifyPhone: notify === "S" || notify === "A" ? (valid.buyer.phone ?? "") : "",
          AllowanceAmount: valid.amount,
          Items: valid.items.map((item, i) => ({ ItemSeq: i + 1, ...itemsData([item])[0] }))
        })
        if (InvoiceApi.isRefusal(answer)) return yield* Effect.fail(InvoiceApi.refused(answer, "the allowance"))
        const allowanceNo = str(answer.IA_Allow_No)
        const remaining = Number(answer.IA_Remain_Allowance_Amt)
        if (allowanceNo === undefined || !Number.isSafeInteger(remaining))
          return yield* Effect.fail(badAnswer(`${InvoiceApi.service}: Allowance answered without IA_Allow_No`))
        return {
          invoiceNo: str(answer.IA_Invoice_No) ?? valid.invoiceNo,
          allowanceNo,
          date: str(answer.IA_Date) ?? "",
          remaining
        }
      }),
    query: (input) =>
      "orderId" in input
        ? getIssue({ RelateNumber: Invoicing.relateNumberOf(input.orderId, input.sequence ?? 0) })
        : getIssue({ InvoiceNo: input.invoiceNo, InvoiceDate: dayOf(input.invoiceDate) }),
    checkMobileBarcode: (barcode) => {
      const normalised = Invoicing.normaliseBarcode(barcode)
      return Invoicing.MOBILE_BARCODE.test(normalised)
        ? check(InvoiceApi.paths.checkBarcode, { BarCode: normalised })
        : Effect.succeed(false)
    },
    checkLoveCode: (loveCode) =>
      Invoicing.LOVE_CODE.test(loveCode.trim())
        ? check(InvoiceApi.paths.checkLoveCode, { LoveCode: loveCode.trim() })
        : Effect.succeed(false)
  }
}

/** Validates the options and builds the service. */
export const make = (options: OptionsInput): Effect.Effect<EcpayInvoiceService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

/** A layer providing {@link EcpayInvoice} and core's `Invoicing` with the same instance. */
export const layer = (options: OptionsInput): Layer.Layer<EcpayInvoice | Invoicing.Invoicing, Schema.SchemaError> =>
  Invoicing.layerAs(EcpayInvoice, make(options))

type ConfigKeys = "merchantId" | "hashKey" | "hashIV" | "environment" | "apiBaseUrl"

/**
 * The options read from Effect `Config`: `ECPAY_INVOICE_MERCHANT_ID`, `ECPAY_INVOICE_HASH_KEY`,
 * `ECPAY_INVOICE_HASH_IV` (secrets), `ECPAY_INVOICE_ENV` (`stage` | `production`, default
 * `stage`), and optionally `ECPAY_INVOICE_API_BASE`. (The e-invoice keys are not the payment
 * keys: ECPay gives a merchant separate ones.)
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  merchantId: Config.String("ECPAY_INVOICE_MERCHANT_ID"),
  hashKey: Config.Redacted("ECPAY_INVOICE_HASH_KEY"),
  hashIV: Config.Redacted("ECPAY_INVOICE_HASH_IV"),
  environment: Config.Literals(["stage", "production"], "ECPAY_INVOICE_ENV").pipe(Config.withDefault("stage" as const)),
  apiBaseUrl: Config.option(Config.String("ECPAY_INVOICE_API_BASE"))
}).pipe(
  Config.map(({ apiBaseUrl, ...required }) => ({
    ...required,
    ...Option.match(apiBaseUrl, { onNone: () => ({}), onSome: (v) => ({ apiBaseUrl: v }) })
  }))
)

/** {@link make} with the options read by {@link config}; `rest` sets the others. */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<EcpayInvoiceService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} with the options read by {@link config}; `rest` sets the others. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<EcpayInvoice | Invoicing.Invoicing, Schema.SchemaError | Config.ConfigError> =>
  Invoicing.layerAs(EcpayInvoice, makeConfig(rest))
