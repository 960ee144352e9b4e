/**
 * `@kaituan/payments-linepay`: LINE Pay (Online API v3) as kaituan's `PaymentGateway`.
 *
 * @packageDocumentation
 */

/** The gateway service, its options and layers. */
export * as LinePay from "./LinePay.js"
/** The signed API calls: request, confirm, refund, details, check. */
export * as LinePayApi from "./LinePayApi.js"
/** LINE Pay's return codes as a tagged error with a reason. */
export * as LinePayError from "./LinePayError.js"
/** Reading JSON with 19-digit ids as strings. */
export * as LinePayJson from "./LinePayJson.js"
/** The `X-LINE-Authorization` HMAC signature. */
export * as LinePaySignature from "./LinePaySignature.js"
