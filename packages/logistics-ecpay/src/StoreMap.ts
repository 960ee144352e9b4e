/**
 * ECPay's store map (電子地圖, `POST {base}/Express/map`, protocols.md §6.3): the buyer's browser
 * posts `MerchantID, MerchantTradeNo, LogisticsType=CVS, LogisticsSubType, IsCollection,
 * ServerReplyURL, ExtraData, Device` (+ an MD5 CheckMacValue, as ECPay's SDK_PHP sends it), picks
 * a store, and ECPay posts the choice to `ServerReplyURL`: `MerchantID, MerchantTradeNo,
 * LogisticsSubType, CVSStoreID, CVSStoreName, CVSAddress, CVSTelephone, CVSOutSide, ExtraData`.
 *
 * That reply's documented field set carries no CheckMacValue, and it reaches us through the
 * buyer's browser, so it is authenticated with a token of our own: `ExtraData` (which ECPay
 * echoes, at most 20 characters) is the first 20 hex digits of HMAC-SHA256(HashKey,
 * `store-map:<MerchantID>:<MerchantTradeNo>`). A reply whose token does not match, or that
 * carries a CheckMacValue that does not verify, is `unauthorized`.
 *
 * @since 0.3.0
 */
import { createHmac } from "node:crypto"
import { ConstantTime, FormBody, type Http, Logistics } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Redacted, Result } from "effect"
import * as SubType from "./SubType.js"

/** The token ECPay echoes in `ExtraData`: binds a reply to the merchant and the reference. */
export const token = (keys: CheckMacValue.Keys, merchantId: string, reference: string): string =>
  createHmac("sha256", Redacted.value(keys.hashKey))
    .update(`store-map:${merchantId}:${reference}`, "utf8")
    .digest("hex")
    .slice(0, 20)

/** What {@link fields} needs. */
export interface MapOptions {
  readonly merchantId: string
  readonly keys: CheckMacValue.Keys
  readonly mode: SubType.Mode
  readonly replyUrl: string
}

/**
 * The signed form fields of a store-map request. `Device` is sent only when the request names
 * one; `ExtraData` only when `withToken` (the default).
 */
export const fields = (
  options: MapOptions,
  request: Logistics.StoreMapRequest,
  withToken = true
): Result.Result<Record<string, string>, Logistics.LogisticsError> => {
  const subType = SubType.subTypeOf(request.carrier, options.mode)
  if (subType === undefined)
    return Result.fail(
      new Logistics.LogisticsError({
        reason: "unsupported",
        message: `ECPay ${options.mode} has no ${Logistics.carrierNames[request.carrier]} store pickup`
      })
    )
  const replyUrl = request.replyUrl ?? options.replyUrl
  if (!/^https?:\/\//.test(replyUrl))
    return Result.fail(
      new Logistics.LogisticsError({ reason: "invalid-payload", message: "the store map needs a ServerReplyURL" })
    )
  const out: Record<string, string> = {
    MerchantID: options.merchantId,
    MerchantTradeNo: request.reference,
    LogisticsType: "CVS",
    LogisticsSubType: subType,
    IsCollection: request.collect === true ? "Y" : "N",
    ServerReplyURL: replyUrl
  }
  if (withToken) out.ExtraData = token(options.keys, options.merchantId, request.reference)
  if (request.device !== undefined) out.Device = request.device === "mobile" ? "1" : "0"
  return Result.succeed(CheckMacValue.sign(out, options.keys, "md5"))
}

const fail = (reason: Logistics.LogisticsError["reason"], message: string) =>
  Result.fail(new Logistics.LogisticsError({ reason, message }))

const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim()

/**
 * Verifies and decodes the store map's reply: the `ExtraData` token (and a CheckMacValue when
 * there is one) first, then the store.
 */
export const decodeReply = (
  request: Http.InboundRequest,
  options: { readonly keys: CheckMacValue.Keys; readonly merchantId: string }
): Result.Result<Logistics.StoreChoice, Logistics.LogisticsError> =>
  Result.gen(function* () {
    const f = yield* Result.mapError(
      FormBody.parseForm(request.rawBody),
      (message) => new Logistics.LogisticsError({ reason: "invalid-payload", message })
    )
    const reference = present(f.MerchantTradeNo) ?? ""
    const given = present(f.ExtraData)
    if (given === undefined) return yield* fail("unauthorized", "the store reply carries no token (ExtraData)")
    if (!ConstantTime.equals(given, token(options.keys, options.merchantId, reference)))
      return yield* fail("unauthorized", "the store reply's token does not match")
    if (present(f[CheckMacValue.FIELD]) !== undefined && !CheckMacValue.verify(f, options.keys, "md5"))
      return yield* fail("unauthorized", "CheckMacValue does not match")
    if (present(f.MerchantID) !== options.merchantId)
      return yield* fail("unauthorized", "the store reply is for another merchant")
    const carrier = SubType.storeCarrierOf(present(f.LogisticsSubType) ?? "")
    if (carrier === undefined) return yield* fail("invalid-payload", "LogisticsSubType is not a store chain")
    const storeId = present(f.CVSStoreID)
    if (storeId === undefined || !/^[A-Za-z0-9]{1,32}$/.test(storeId))
      return yield* fail("invalid-payload", "CVSStoreID is missing or malformed")
    const telephone = present(f.CVSTelephone)
    const choice = {
      reference,
      store: {
        carrier,
        storeId,
        storeName: [...(present(f.CVSStoreName) ?? "")].slice(0, 100).join(""),
        address: [...(present(f.CVSAddress) ?? "")].slice(0, 200).join(""),
        ...(telephone === undefined ? {} : { telephone: telephone.slice(0, 40) }),
        ...(f.CVSOutSide === "1" ? { outlying: true } : {})
      }
    }
    return yield* Result.mapError(
      Logistics.decodeStoreChoice(choice),
      () => new Logistics.LogisticsError({ reason: "invalid-payload", message: "the store reply is malformed" })
    )
  })

/** The store reply the way ECPay posts it (for tests, stand-ins and demos): the store, the echoed token. */
export const encodeReply = (
  options: { readonly keys: CheckMacValue.Keys; readonly merchantId: string },
  reference: string,
  store: Logistics.Store,
  mode: SubType.Mode = "C2C"
): string =>
  FormBody.encodeForm({
    MerchantID: options.merchantId,
    MerchantTradeNo: reference,
    LogisticsSubType: SubType.subTypeOf(store.carrier, mode) ?? "",
    CVSStoreID: store.storeId,
    CVSStoreName: store.storeName,
    CVSAddress: store.address,
    CVSTelephone: store.telephone ?? "",
    CVSOutSide: store.outlying === true ? "1" : "0",
    ExtraData: token(options.keys, options.merchantId, reference)
  })
