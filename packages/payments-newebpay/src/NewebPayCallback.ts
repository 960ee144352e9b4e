/**
 * NewebPay MPG callbacks (NotifyURL server posts, ReturnURL and CustomerURL browser posts): verify
 * the `TradeSha` over the hex `TradeInfo` **before** decrypting, decrypt, read either result form
 * (`RespondType=JSON` or `String`), and normalise to core's `GatewayPayment`.
 *
 * Callbacks arrive as `application/x-www-form-urlencoded` with the fields `Status`, `MerchantID`,
 * `Version`, `TradeInfo`, `TradeSha` (and `EncryptType` only when AES-GCM was requested). Only the
 * encrypted `TradeInfo` is trusted; the outer `Status` is not signed and is ignored.
 *
 * @since 0.1.0
 */
import { FormBody, type Http, PaymentGateway, TaipeiTime } from "@kaituan/core"
import { Result } from "effect"
import * as NewebPayCrypto from "./NewebPayCrypto.js"

/** A decrypted notification: top-level `Status` and `Message`, and the `Result` fields as strings. */
export interface Notification {
  /** `SUCCESS`, or NewebPay's error code (e.g. `MPG03009`). */
  readonly status: string
  readonly message: string
  readonly result: Readonly<Record<string, string>>
}

/** The normalised method names used by kaituan (`credit`, `atm`, `webatm`, `cvs`, `barcode`, …). */
export const methodOf = (paymentType: string | undefined): string => {
  switch (paymentType) {
    case undefined:
    case "":
      return "unknown"
    case "VACC":
      return "atm"
    default:
      return paymentType.toLowerCase()
  }
}

const fail = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  Result.fail(new PaymentGateway.GatewayError({ reason, message }))

/**
 * Checks the `TradeSha` of a callback's fields (constant time, before anything is decrypted) and
 * decrypts the `TradeInfo`. A missing or wrong `TradeSha` is `unauthorized`; a `TradeInfo` that
 * does not decrypt is `invalid-payload`.
 */
export const verify = (
  fields: FormBody.Fields,
  keys: NewebPayCrypto.Keys
): Result.Result<string, PaymentGateway.GatewayError> => {
  const tradeInfo = fields.TradeInfo
  const tradeSha = fields.TradeSha
  if (tradeInfo === undefined || tradeSha === undefined || tradeSha === "") {
    return fail("unauthorized", "the callback has no TradeInfo/TradeSha")
  }
  if (!NewebPayCrypto.verifyTradeSha(tradeInfo, tradeSha, keys)) {
    return fail("unauthorized", "TradeSha does not match TradeInfo")
  }
  if (fields.EncryptType !== undefined && fields.EncryptType !== "" && fields.EncryptType !== "0") {
    return fail("unsupported", `EncryptType ${fields.EncryptType} (AES-GCM) is not supported; use AES-CBC`)
  }
  return Result.mapError(
    NewebPayCrypto.decrypt(tradeInfo, keys),
    (e) => new PaymentGateway.GatewayError({ reason: "invalid-payload", message: e.message })
  )
}

const scalar = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (typeof value === "number" && Number.isFinite(value)) return String(value)
  if (typeof value === "boolean") return String(value)
  return undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const flatten = (value: Record<string, unknown>): Record<string, string> => {
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of Object.entries(value)) {
    const s = scalar(v)
    if (s !== undefined) out[k] = s
  }
  return out
}

/**
 * Reads a decrypted `TradeInfo`: a JSON object `{"Status","Message","Result":{…}}` (`Result` may
 * also be a JSON string, or an empty array on some failures), or a query string whose fields
 * are flat (`RespondType=String`).
 */
export const parsePlaintext = (plaintext: string): Result.Result<Notification, PaymentGateway.GatewayError> => {
  const text = plaintext.trim()
  if (text.startsWith("{")) {
    const parsed = Result.try(() => JSON.parse(text) as unknown)
    if (Result.isFailure(parsed) || !isRecord(parsed.success))
      return fail("invalid-payload", "TradeInfo is not a JSON object")
    const body = parsed.success
    const status = scalar(body.Status)
    if (status === undefined) return fail("invalid-payload", "TradeInfo has no Status")
    let result: unknown = body.Result
    if (typeof result === "string" && result.trim().startsWith("{")) {
      const inner = Result.try(() => JSON.parse(result as string) as unknown)
      if (Result.isFailure(inner)) return fail("invalid-payload", "TradeInfo Result is not JSON")
      result = inner.success
    }
    return Result.succeed({
      status,
      message: scalar(body.Message) ?? "",
      result: isRecord(result) ? flatten(result) : Object.create(null)
    })
  }
  const result: Record<string, string> = Object.create(null)
  let status: string | undefined
  let message = ""
  for (const [k, v] of new URLSearchParams(text)) {
    if (k === "Status") status = v
    else if (k === "Message") message = v
    else result[k] = v
  }
  if (status === undefined) return fail("invalid-payload", "TradeInfo has no Status")
  return Result.succeed({ status, message, result })
}

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

const AMOUNT = /^\d{1,15}$/

/**
 * A trade or merchant order number fit to be a key: 1–64 printable ASCII characters (NewebPay's
 * are letters, digits and `_`). Anything else (control characters, which PostgreSQL cannot
 * store, lone surrogates, which UTF-8 storage turns into U+FFFD) is not a number NewebPay sent.
 */
const IDENTIFIER = /^[\x21-\x7e]{1,64}$/
/** A bank code (3 digits, or 7 with the branch); anything else is dropped. */
const BANK_CODE = /^\d{3,8}$/
/** The last five digits of an account; anything else is dropped. */
const LAST5 = /^\d{5}$/

const matching = (value: string | undefined, pattern: RegExp): string | undefined =>
  value !== undefined && pattern.test(value) ? value : undefined

/**
 * Normalises a decrypted notification into a `GatewayPayment`:
 * `SUCCESS` with a `PayTime` is `paid`; `SUCCESS` with a payment code but no `PayTime` (an ATM
 * virtual account or a CVS code was issued, CustomerURL) is `pending`; anything else is `failed`.
 * The result must belong to `merchantId` (else `unauthorized`).
 */
export const toGatewayPayment = (
  notification: Notification,
  merchantId: string
): Result.Result<PaymentGateway.GatewayPayment, PaymentGateway.GatewayError> => {
  const r = notification.result
  const resultMerchant = present(r.MerchantID)
  if (resultMerchant !== undefined && resultMerchant !== merchantId) {
    return fail("unauthorized", `the callback is for merchant ${resultMerchant}, not ${merchantId}`)
  }
  const tradeNo = present(r.TradeNo)
  const merchantOrderNo = present(r.MerchantOrderNo)
  const amt = present(r.Amt)
  if (tradeNo === undefined || merchantOrderNo === undefined || amt === undefined) {
    return fail("invalid-payload", `the result lacks TradeNo, MerchantOrderNo or Amt (${notification.status})`)
  }
  if (!AMOUNT.test(amt)) return fail("invalid-payload", `Amt is not a whole amount: ${amt}`)
  if (!IDENTIFIER.test(tradeNo) || !IDENTIFIER.test(merchantOrderNo))
    return fail("invalid-payload", "TradeNo or MerchantOrderNo is not 1–64 printable ASCII characters")
  const paymentType = present(r.PaymentType)
  const payTime = present(r.PayTime)
  const codeNo = present(r.CodeNo)
  const success = notification.status === "SUCCESS"
  const status: PaymentGateway.GatewayPayment["status"] = !success
    ? "failed"
    : payTime === undefined && codeNo !== undefined
      ? "pending"
      : "paid"
  const paidAt = status === "paid" && payTime !== undefined ? TaipeiTime.taipeiToIso(payTime) : undefined
  const payerBankCode = matching(present(r.PayBankCode), BANK_CODE)
  const payerLast5 = matching(present(r.PayerAccount5Code), LAST5)
  const virtualAccount = paymentType === "VACC" ? codeNo : undefined
  const message =
    status === "pending"
      ? pendingMessage(notification.message, r)
      : notification.message === ""
        ? undefined
        : notification.message
  return Result.succeed({
    gateway: "newebpay",
    tradeNo,
    merchantOrderNo,
    amount: Number(amt),
    status,
    method: methodOf(paymentType),
    simulated: false,
    ...(paidAt !== undefined ? { paidAt } : {}),
    ...(payerBankCode !== undefined ? { payerBankCode } : {}),
    ...(payerLast5 !== undefined ? { payerLast5 } : {}),
    ...(virtualAccount !== undefined ? { virtualAccount } : {}),
    ...(message !== undefined ? { message } : {})
  })
}

const pendingMessage = (message: string, r: Readonly<Record<string, string>>): string => {
  const expire = [present(r.ExpireDate), present(r.ExpireTime)].filter((x) => x !== undefined).join(" ")
  const code =
    r.PaymentType === "VACC"
      ? `ATM 虛擬帳號 (${present(r.BankCode) ?? "?"}) ${present(r.CodeNo) ?? ""}`
      : `繳費代碼 ${present(r.CodeNo) ?? ""}`
  return [message, code, expire === "" ? "" : `繳費期限 ${expire}`].filter((x) => x !== "").join("；")
}

/**
 * Verifies and decodes a callback request (NotifyURL, ReturnURL or CustomerURL) end to end:
 * form body → TradeSha → decrypt → parse → `GatewayPayment`.
 */
export const decode = (
  request: Http.InboundRequest,
  options: { readonly keys: NewebPayCrypto.Keys; readonly merchantId: string }
): Result.Result<PaymentGateway.GatewayPayment, PaymentGateway.GatewayError> =>
  Result.gen(function* () {
    const fields = yield* Result.mapError(
      FormBody.parseForm(request.rawBody),
      (message) => new PaymentGateway.GatewayError({ reason: "invalid-payload", message })
    )
    const plaintext = yield* verify(fields, options.keys)
    const notification = yield* parsePlaintext(plaintext)
    return yield* toGatewayPayment(notification, options.merchantId)
  })

/**
 * Builds a callback body the way NewebPay posts it, signed with the merchant's keys: for tests,
 * local simulations and demos. `respondType` chooses the JSON or the query-string result form.
 */
export const encode = (
  notification: {
    readonly status: string
    readonly message: string
    readonly result: Readonly<Record<string, string | number>>
  },
  options: {
    readonly keys: NewebPayCrypto.Keys
    readonly merchantId: string
    readonly respondType?: "JSON" | "String" | undefined
    readonly padding?: NewebPayCrypto.Padding | undefined
    readonly version?: string | undefined
  }
): Result.Result<string, NewebPayCrypto.CryptoError> => {
  const plaintext =
    options.respondType === "String"
      ? new URLSearchParams([
          ["Status", notification.status],
          ["Message", notification.message],
          ...Object.entries(notification.result).map(([k, v]): [string, string] => [k, String(v)])
        ]).toString()
      : JSON.stringify({ Status: notification.status, Message: notification.message, Result: notification.result })
  return Result.map(NewebPayCrypto.encrypt(plaintext, options.keys, options.padding), (tradeInfo) =>
    FormBody.encodeForm({
      Status: notification.status,
      MerchantID: options.merchantId,
      Version: options.version ?? "2.0",
      TradeInfo: tradeInfo,
      TradeSha: NewebPayCrypto.tradeSha(tradeInfo, options.keys)
    })
  )
}
