/**
 * ECPay AIO callbacks: the server POST to `ReturnURL` (payment result) and to `PaymentInfoURL`
 * (an ATM virtual account or a CVS/barcode code was issued), both
 * `application/x-www-form-urlencoded` and signed with `CheckMacValue` (SHA-256).
 *
 * - `RtnCode=1`: paid. With `NeedExtraPaidInfo=Y`, ATM payments carry `ATMAccBank` and
 *   `ATMAccNo` (the payer's bank code and the last five digits of the paying account), WebATM
 *   payments `WebATMAccBank` and `WebATMAccNo`.
 * - `RtnCode=2` (ATM) or `10100073` (CVS, barcode): a code was issued; the payment is `pending`.
 * - anything else: `failed`.
 * - `SimulatePaid=1`: a payment simulated from ECPay's merchant back office; `simulated: true`,
 *   never real money.
 *
 * @since 0.1.0
 */
import { FormBody, type Http, PaymentGateway, TaipeiTime } from "@kaituan/core"
import { Result } from "effect"
import * as CheckMacValue from "./CheckMacValue.js"

/** `RtnCode` of a paid ReturnURL callback. */
export const RTN_PAID = "1"
/** `RtnCode` of an ATM virtual account issued (PaymentInfoURL). */
export const RTN_ATM_ISSUED = "2"
/** `RtnCode` of a CVS or barcode payment code issued (PaymentInfoURL). */
export const RTN_CODE_ISSUED = "10100073"

/**
 * The normalised method names used by kaituan: the part of ECPay's `PaymentType` before `_`,
 * lower-cased (`Credit_CreditCard` → `credit`, `ATM_TAISHIN` → `atm`, `WebATM_TAISHIN` → `webatm`,
 * `CVS_CVS` → `cvs`, `BARCODE_BARCODE` → `barcode`).
 */
export const methodOf = (paymentType: string | undefined): string => {
  const prefix = (paymentType ?? "").split("_")[0]?.trim() ?? ""
  return prefix === "" ? "unknown" : prefix.toLowerCase()
}

const fail = (reason: PaymentGateway.GatewayError["reason"], message: string) =>
  Result.fail(new PaymentGateway.GatewayError({ reason, message }))

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

const lastFiveDigits = (value: string | undefined): string | undefined => {
  const digits = (value ?? "").replace(/\D/g, "")
  return digits.length >= 5 ? digits.slice(-5) : undefined
}

const AMOUNT = /^\d{1,15}$/

/**
 * A trade or merchant order number fit to be a key: 1–64 printable ASCII characters (ECPay's are
 * letters and digits). Anything else (control characters, which PostgreSQL cannot store) is not
 * a number ECPay sent.
 */
const IDENTIFIER = /^[\x21-\x7e]{1,64}$/
/** A bank code (3 digits, or more with the branch); anything else is dropped. */
const BANK_CODE = /^\d{3,8}$/

const bankCode = (value: string | undefined): string | undefined =>
  value !== undefined && BANK_CODE.test(value) ? value : undefined

/**
 * Maps verified callback fields to a `GatewayPayment`. The fields must belong to `merchantId`
 * (else `unauthorized`) and carry `RtnCode`, `MerchantTradeNo`, `TradeNo` and a whole `TradeAmt`
 * (else `invalid-payload`).
 */
export const toGatewayPayment = (
  fields: FormBody.Fields,
  merchantId: string
): Result.Result<PaymentGateway.GatewayPayment, PaymentGateway.GatewayError> => {
  const merchant = present(fields.MerchantID)
  if (merchant !== merchantId) {
    return fail("unauthorized", `the callback is for merchant ${merchant ?? "(none)"}, not ${merchantId}`)
  }
  const rtnCode = present(fields.RtnCode)
  const merchantOrderNo = present(fields.MerchantTradeNo)
  const tradeNo = present(fields.TradeNo)
  const amount = present(fields.TradeAmt)
  if (rtnCode === undefined || merchantOrderNo === undefined || tradeNo === undefined || amount === undefined) {
    return fail("invalid-payload", "the callback lacks RtnCode, MerchantTradeNo, TradeNo or TradeAmt")
  }
  if (!AMOUNT.test(amount)) return fail("invalid-payload", `TradeAmt is not a whole amount: ${amount}`)
  if (!IDENTIFIER.test(tradeNo) || !IDENTIFIER.test(merchantOrderNo))
    return fail("invalid-payload", "TradeNo or MerchantTradeNo is not 1–64 printable ASCII characters")
  const status: PaymentGateway.GatewayPayment["status"] =
    rtnCode === RTN_PAID ? "paid" : rtnCode === RTN_ATM_ISSUED || rtnCode === RTN_CODE_ISSUED ? "pending" : "failed"
  const paymentDate = present(fields.PaymentDate)
  const paidAt = status === "paid" && paymentDate !== undefined ? TaipeiTime.taipeiToIso(paymentDate) : undefined
  const payerBankCode =
    status === "paid" ? (bankCode(present(fields.ATMAccBank)) ?? bankCode(present(fields.WebATMAccBank))) : undefined
  const payerLast5 =
    status === "paid" ? (lastFiveDigits(fields.ATMAccNo) ?? lastFiveDigits(fields.WebATMAccNo)) : undefined
  const virtualAccount = rtnCode === RTN_ATM_ISSUED ? present(fields.vAccount) : undefined
  const message = messageOf(rtnCode, fields)
  return Result.succeed({
    gateway: "ecpay",
    tradeNo,
    merchantOrderNo,
    amount: Number(amount),
    status,
    method: methodOf(fields.PaymentType),
    simulated: fields.SimulatePaid === "1",
    ...(paidAt !== undefined ? { paidAt } : {}),
    ...(payerBankCode !== undefined ? { payerBankCode } : {}),
    ...(payerLast5 !== undefined ? { payerLast5 } : {}),
    ...(virtualAccount !== undefined ? { virtualAccount } : {}),
    ...(message !== undefined ? { message } : {})
  })
}

const messageOf = (rtnCode: string, fields: FormBody.Fields): string | undefined => {
  const parts = [present(fields.RtnMsg)]
  const expire = present(fields.ExpireDate)
  if (rtnCode === RTN_ATM_ISSUED) {
    parts.push(`ATM 虛擬帳號 (${present(fields.BankCode) ?? "?"}) ${present(fields.vAccount) ?? ""}`)
  } else if (rtnCode === RTN_CODE_ISSUED) {
    parts.push(`繳費代碼 ${present(fields.PaymentNo) ?? present(fields.Barcode1) ?? ""}`)
  }
  if (rtnCode !== RTN_PAID && expire !== undefined) parts.push(`繳費期限 ${expire}`)
  if (fields.SimulatePaid === "1") parts.push("模擬付款 (SimulatePaid=1), not real money")
  const text = parts.filter((p) => p !== undefined && p !== "").join("；")
  return text === "" ? undefined : text
}

/**
 * Verifies and decodes a ReturnURL or PaymentInfoURL request: form body → CheckMacValue (before
 * anything else is read) → `GatewayPayment`. A missing or wrong CheckMacValue is `unauthorized`;
 * a body that is not a UTF-8 form (or repeats a field) is `invalid-payload`.
 */
export const decode = (
  request: Http.InboundRequest,
  options: { readonly keys: CheckMacValue.Keys; readonly merchantId: string }
): Result.Result<PaymentGateway.GatewayPayment, PaymentGateway.GatewayError> =>
  Result.gen(function* () {
    const fields = yield* Result.mapError(
      FormBody.parseForm(request.rawBody),
      (message) => new PaymentGateway.GatewayError({ reason: "invalid-payload", message })
    )
    if (present(fields[CheckMacValue.FIELD]) === undefined) {
      return yield* fail("unauthorized", "the callback has no CheckMacValue")
    }
    if (!CheckMacValue.verify(fields, options.keys, "sha256")) {
      return yield* fail("unauthorized", "CheckMacValue does not match")
    }
    return yield* toGatewayPayment(fields, options.merchantId)
  })

/**
 * Builds a callback body the way ECPay posts it, signed with the merchant's keys: for tests,
 * local simulations and demos.
 */
export const encode = (fields: FormBody.Fields, keys: CheckMacValue.Keys): string =>
  FormBody.encodeForm(CheckMacValue.sign(fields, keys, "sha256"))

/** ECPay's answer to an accepted callback: exactly `1|OK`. */
export const ACCEPTED = "1|OK"

/**
 * ECPay's answer to a refused callback: `0|` and a message (any `|`, CR or LF in the message is
 * replaced by a space). ECPay will send the callback again.
 */
export const refusal = (message = "ErrorMessage"): string => `0|${message.replace(/[|\r\n]/g, " ")}`
