/**
 * `@kaituan/invoice-ecpay`: ECPay (綠界) B2C e-invoices (電子發票) as kaituan's `Invoicing` port.
 *
 * @packageDocumentation
 */

/** The service, its options and layers. */
export * as EcpayInvoice from "./EcpayInvoice.js"
/** One signed call: the envelope, TransCode and RtnCode. */
export * as InvoiceApi from "./InvoiceApi.js"
/** The AES-128-CBC envelope with PHP's urlencode. */
export * as InvoiceCrypto from "./InvoiceCrypto.js"
