/**
 * `@kaituan/payments-newebpay`: NewebPay (藍新金流) MPG as kaituan's `PaymentGateway`.
 *
 * @packageDocumentation
 */

/** The checkout page behind `GET /pay/:orderId`. */
export * as CheckoutPage from "./CheckoutPage.js"
/** The gateway service, its options and layers. */
export * as NewebPay from "./NewebPay.js"
/** Verifying and decoding NotifyURL / ReturnURL callbacks. */
export * as NewebPayCallback from "./NewebPayCallback.js"
/** TradeInfo, TradeSha, CheckCode and CheckValue. */
export * as NewebPayCrypto from "./NewebPayCrypto.js"
/** The QueryTradeInfo client. */
export * as TradeQuery from "./TradeQuery.js"

export { renderCheckoutPage } from "./CheckoutPage.js"
