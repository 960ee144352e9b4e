/**
 * `@kaituan/payments-newebpay`: NewebPay (藍新金流) MPG as kaituan's `PaymentGateway`.
 *
 * @packageDocumentation
 */

import { CheckoutPage } from "@kaituan/core"

/** The checkout page behind `GET /pay/:orderId`: `@kaituan/core`'s `CheckoutPage`, shared by every gateway. */
export { CheckoutPage } from "@kaituan/core"
/** The gateway service, its options and layers. */
export * as NewebPay from "./NewebPay.js"
/** Verifying and decoding NotifyURL / ReturnURL callbacks. */
export * as NewebPayCallback from "./NewebPayCallback.js"
/** TradeInfo, TradeSha, CheckCode and CheckValue. */
export * as NewebPayCrypto from "./NewebPayCrypto.js"
/** The QueryTradeInfo client. */
export * as TradeQuery from "./TradeQuery.js"

/** Renders the checkout page for a payment start (`CheckoutPage.renderCheckoutPage`). */
export const renderCheckoutPage: typeof CheckoutPage.renderCheckoutPage = CheckoutPage.renderCheckoutPage
