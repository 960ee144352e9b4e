/**
 * ECPay's 物流訂單建立 (`POST {base}/Express/Create`, protocols.md §6.3): a server-to-server form
 * POST signed with an MD5 `CheckMacValue`. The answer is plain text: `1|` and the order as
 * `key=value&…` (`MerchantID, MerchantTradeNo, RtnCode, RtnMsg, AllPayLogisticsID,
 * LogisticsType, LogisticsSubType, GoodsAmount, UpdateStatusDate, …, CVSPaymentNo,
 * CVSValidationNo, BookingNote, CheckMacValue`), or `0|` and why it was refused.
 *
 * The fields follow ECPay's legacy SDK (`CreateShippingOrder`): a C2C store order needs
 * `ReceiverStoreID` and the receiver's mobile; 7-ELEVEN C2C also `LogisticsC2CReplyURL`; home
 * delivery (TCAT) needs both addresses and zip codes, room temperature, the 60 cm size and any
 * pickup time unless told otherwise.
 *
 * @since 0.3.0
 */
import { FormBody, Logistics, TaipeiTime } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Result } from "effect"
import * as SubType from "./SubType.js"

/** Who sends the parcels (the organiser). Personal data: sent to ECPay only. */
export interface Sender {
  /** At most 10 characters (ECPay `SenderName`). */
  readonly name: string
  readonly cellPhone: string
  readonly phone?: string | undefined
  /** For home delivery. */
  readonly zipCode?: string | undefined
  readonly address?: string | undefined
}

/** What {@link fields} needs. */
export interface CreateOptions {
  readonly merchantId: string
  readonly keys: CheckMacValue.Keys
  readonly mode: SubType.Mode
  readonly sender: Sender
  /** ECPay `ServerReplyURL` (status notifications; also `LogisticsC2CReplyURL`). */
  readonly notifyUrl: string
}

const invalid = (message: string) => Result.fail(new Logistics.LogisticsError({ reason: "invalid-payload", message }))

/** The signed form fields of a Create request at `epochMillis` (`MerchantTradeDate` in Taipei time). */
export const fields = (
  options: CreateOptions,
  request: Logistics.CreateShipmentRequest,
  epochMillis: number
): Result.Result<Record<string, string>, Logistics.LogisticsError> => {
  const subType = SubType.subTypeOf(request.carrier, options.mode)
  if (subType === undefined)
    return Result.fail(
      new Logistics.LogisticsError({
        reason: "unsupported",
        message: `ECPay ${options.mode} does not deliver by ${Logistics.carrierNames[request.carrier]}`
      })
    )
  if (!/^https?:\/\//.test(options.notifyUrl)) return invalid("a carrier order needs a ServerReplyURL (notifyUrl)")
  const out: Record<string, string> = {
    MerchantID: options.merchantId,
    MerchantTradeNo: request.reference,
    MerchantTradeDate: TaipeiTime.formatTaipei(epochMillis),
    LogisticsType: SubType.logisticsType(request.carrier),
    LogisticsSubType: subType,
    GoodsAmount: String(request.goodsAmount),
    IsCollection: request.collect === true ? "Y" : "N",
    GoodsName: [...request.goodsName].slice(0, 60).join(""),
    SenderName: [...options.sender.name].slice(0, 10).join(""),
    SenderCellPhone: options.sender.cellPhone,
    ReceiverName: [...request.receiver.name].slice(0, 10).join(""),
    ReceiverCellPhone: request.receiver.cellPhone,
    ServerReplyURL: options.notifyUrl
  }
  if (request.collect === true) out.CollectionAmount = String(request.goodsAmount)
  if (options.sender.phone !== undefined) out.SenderPhone = options.sender.phone
  if (request.receiver.email !== undefined) out.ReceiverEmail = request.receiver.email
  if (Logistics.isStoreCarrier(request.carrier)) {
    if (request.store === undefined) return invalid("a store order needs the buyer's store")
    if (request.store.carrier !== request.carrier) return invalid("the store is not of the order's chain")
    out.ReceiverStoreID = request.store.storeId
    if (subType === "UNIMARTC2C") out.LogisticsC2CReplyURL = options.notifyUrl
  } else {
    const { zipCode, address } = request.receiver
    if (zipCode === undefined || address === undefined)
      return invalid("home delivery needs the receiver's zip code and address")
    if (options.sender.zipCode === undefined || options.sender.address === undefined)
      return invalid("home delivery needs the sender's zip code and address")
    out.SenderZipCode = options.sender.zipCode
    out.SenderAddress = options.sender.address
    out.ReceiverZipCode = zipCode
    out.ReceiverAddress = address
    out.Temperature = "0001"
    out.Distance = "00"
    out.Specification = "0001"
    out.ScheduledPickupTime = "4"
  }
  return Result.succeed(CheckMacValue.sign(out, options.keys, "md5"))
}

/** Words of a refusal that mean the `MerchantTradeNo` was used already. */
const DUPLICATE = /重複|已存在|duplicate/i

/**
 * Reads a Create answer: `1|key=value&…` is the order (its CheckMacValue, when present, must
 * verify); `0|message` is `rejected`, or `duplicate` when the message says the reference was used
 * before. protocols.md does not quote ECPay's text for a reused `MerchantTradeNo`: the words
 * matched are 重複 / 已存在 / duplicate.
 */
export const parseAnswer = (
  text: string,
  options: { readonly keys: CheckMacValue.Keys; readonly merchantId: string },
  request: Pick<Logistics.CreateShipmentRequest, "reference" | "carrier">
): Result.Result<Logistics.CarrierOrder, Logistics.LogisticsError> => {
  const bar = text.indexOf("|")
  const status = bar < 0 ? "" : text.slice(0, bar).trim()
  const rest = bar < 0 ? text : text.slice(bar + 1)
  if (status !== "1") {
    const message = `ECPay refused the carrier order: ${[...rest.trim()].slice(0, 200).join("") || "(no message)"}`
    return Result.fail(
      new Logistics.LogisticsError({ reason: DUPLICATE.test(rest) ? "duplicate" : "rejected", message })
    )
  }
  const parsed = FormBody.parseForm(new TextEncoder().encode(rest.trim()))
  if (Result.isFailure(parsed)) return invalid(`the Create answer: ${parsed.failure}`)
  const f = parsed.success
  if ((f[CheckMacValue.FIELD] ?? "") !== "" && !CheckMacValue.verify(f, options.keys, "md5"))
    return Result.fail(
      new Logistics.LogisticsError({
        reason: "unauthorized",
        message: "the Create answer's CheckMacValue does not match"
      })
    )
  if (f.MerchantID !== undefined && f.MerchantID !== options.merchantId)
    return Result.fail(
      new Logistics.LogisticsError({ reason: "unauthorized", message: "the answer is for another merchant" })
    )
  if (f.MerchantTradeNo !== undefined && f.MerchantTradeNo !== request.reference)
    return invalid("the answer is for another MerchantTradeNo")
  const carrierOrderId = (f.AllPayLogisticsID ?? "").trim()
  if (carrierOrderId === "") return invalid("the answer has no AllPayLogisticsID")
  const paymentNo = (f.CVSPaymentNo ?? "").trim()
  const booking = (f.BookingNote ?? "").trim()
  const validationNo = (f.CVSValidationNo ?? "").trim()
  const message = (f.RtnMsg ?? "").trim()
  return Result.succeed({
    reference: request.reference,
    carrier: request.carrier,
    carrierOrderId,
    trackingNo: paymentNo || booking || carrierOrderId,
    ...(validationNo === "" ? {} : { validationNo }),
    code: (f.RtnCode ?? "").trim(),
    ...(message === "" ? {} : { message })
  })
}
