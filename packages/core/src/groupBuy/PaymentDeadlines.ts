/**
 * Payment deadlines (round settings `payment`, `payWithin`, `unpaid`).
 *
 * - Every payment-due message says how to pay: the round's bank account (`payment.bank`) for a
 *   transfer, and the pay link `<PayPageUrl>/pay/<orderId>` when the round offers gateways
 *   (`payment.gateways`) and the host set {@link PayPageUrl} (`kaituan serve`: from
 *   `KAITUAN_PUBLIC_URL`); with `payWithin`, the deadline (`dueAt`).
 *
 * @since 0.4.0
 */
export {
  deadlineJobId,
  deadlineOf,
  howToPay,
  PAYMENT_DEADLINE,
  PAYMENT_REMINDER,
  PayPageUrl,
  paymentJobs,
  reminderAt,
  reminderJobId
} from "../internal/paymentJobs.js"
