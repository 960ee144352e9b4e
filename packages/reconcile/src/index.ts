/**
 * `@kaituan/reconcile`: bank statement importers, the explainable payment matcher and the payments service.
 *
 * @packageDocumentation
 */
export * as Gateway from "./Gateway.js"
export * as Matcher from "./Matcher.js"
export * as PaymentReport from "./PaymentReport.js"
export * as Statement from "./Statement.js"
export * as StatementFile from "./StatementFile.js"
export * as Transaction from "./Transaction.js"
export * as Payments from "./Payments.js"
