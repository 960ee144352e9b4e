/**
 * `@kaituan/payments-ecpay`: ECPay (綠界) AIO as kaituan's `PaymentGateway`.
 *
 * @packageDocumentation
 */

/** The checkout page behind `GET /pay/:orderId`. */
export * as CheckoutPage from "./CheckoutPage.js"
/** ECPay's CheckMacValue (SHA-256 for payments, MD5 for logistics). */
export * as CheckMacValue from "./CheckMacValue.js"
/** The gateway service, its options and layers. */
export * as ECPay from "./ECPay.js"
/** Verifying and decoding ReturnURL / PaymentInfoURL callbacks. */
export * as ECPayCallback from "./ECPayCallback.js"

export { renderCheckoutPage } from "./CheckoutPage.js"
