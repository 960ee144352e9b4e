/**
 * ECPay's label pages, opened by posting a signed (MD5) form from the organiser's browser:
 *
 * - 7-ELEVEN C2C 繳款單: `/Express/PrintUniMartC2COrderInfo` with `AllPayLogisticsID,
 *   CVSPaymentNo, CVSValidationNo` (protocols.md §6.3);
 * - FamilyMart C2C 小白單: `/Express/PrintFAMIC2COrderInfo` with `AllPayLogisticsID,
 *   CVSPaymentNo` (§6.3);
 * - Hi-Life C2C 小白單: `/Express/PrintHILIFEC2COrderInfo`, same fields (the legacy SDK's URL
 *   constants);
 * - B2C labels (一段標) and TCAT 托運單: `/helper/printTradeDocument` with `AllPayLogisticsID`
 *   (the legacy SDK: "產生托運單(宅配)/一段標(超商取貨)").
 *
 * OK C2C has no print page we can source: `unsupported`.
 *
 * @since 0.3.0
 */
import { Logistics } from "@kaituan/core"
import { CheckMacValue } from "@kaituan/payments-ecpay"
import { Result } from "effect"
import * as SubType from "./SubType.js"

/** The print page's path and fields for a carrier order, or undefined when there is none. */
const route = (
  subType: string,
  request: Logistics.PrintRequest
): { readonly path: string; readonly fields: Record<string, string> } | undefined => {
  const id = { AllPayLogisticsID: request.carrierOrderId }
  switch (subType) {
    case "UNIMARTC2C":
      return {
        path: "/Express/PrintUniMartC2COrderInfo",
        fields: { ...id, CVSPaymentNo: request.trackingNo, CVSValidationNo: request.validationNo ?? "" }
      }
    case "FAMIC2C":
      return { path: "/Express/PrintFAMIC2COrderInfo", fields: { ...id, CVSPaymentNo: request.trackingNo } }
    case "HILIFEC2C":
      return { path: "/Express/PrintHILIFEC2COrderInfo", fields: { ...id, CVSPaymentNo: request.trackingNo } }
    case "UNIMART":
    case "FAMI":
    case "HILIFE":
    case "TCAT":
      return { path: "/helper/printTradeDocument", fields: id }
    default:
      return undefined
  }
}

/** The signed print form for a carrier order. */
export const form = (
  options: {
    readonly merchantId: string
    readonly keys: CheckMacValue.Keys
    readonly mode: SubType.Mode
    readonly baseUrl: string
  },
  request: Logistics.PrintRequest
): Result.Result<Logistics.Form, Logistics.LogisticsError> => {
  const subType = SubType.subTypeOf(request.carrier, options.mode)
  const found = subType === undefined ? undefined : route(subType, request)
  if (found === undefined)
    return Result.fail(
      new Logistics.LogisticsError({
        reason: "unsupported",
        message: `no ECPay print page for ${Logistics.carrierNames[request.carrier]} (${options.mode})`
      })
    )
  return Result.succeed({
    _tag: "Form",
    action: options.baseUrl.replace(/\/+$/, "") + found.path,
    method: "POST",
    fields: CheckMacValue.sign({ MerchantID: options.merchantId, ...found.fields }, options.keys, "md5")
  })
}
