/**
 * `@kaituan/payments-ecpay`: ECPay (綠界) AIO as kaituan's `PaymentGateway`.
 *
 * @packageDocumentation
 */

import { CheckoutPage } from "@kaituan/core"

/** The checkout page behind `GET /pay/:orderId`: `@kaituan/core`'s `CheckoutPage`, shared by every gateway. */
export { CheckoutPage } from "@kaituan/core"
/** ECPay's CheckMacValue (SHA-256 for payments, MD5 for logistics). */
export * as CheckMacValue from "./CheckMacValue.js"
/** The gateway service, its options and layers. */
export * as ECPay from "./ECPay.js"
/** Verifying and decoding ReturnURL / PaymentInfoURL callbacks. */
export * as ECPayCallback from "./ECPayCallback.js"
/** The QueryTradeInfo (order query) client. */
export * as TradeQuery from "./TradeQuery.js"

/** Renders the checkout page for a payment start (`CheckoutPage.renderCheckoutPage`). */
export const renderCheckoutPage: typeof CheckoutPage.renderCheckoutPage = CheckoutPage.renderCheckoutPage
