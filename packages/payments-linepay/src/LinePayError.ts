/**
 * LINE Pay's failures as one tagged error with a `reason`, mapped from its `returnCode`
 * (developers.line.biz, LINE Pay appendix), and to core's `GatewayError` where a call crosses
 * the `PaymentGateway` port. Messages carry the return code and LINE Pay's text: never the
 * channel secret, never buyer data.
 *
 * @since 0.1.0
 */
import { PaymentGateway } from "@kaituan/core"
import { Schema } from "effect"
import { match } from "ts-pattern"

/** Why a LINE Pay call failed. */
export const Reason = Schema.Literals([
  /** 1104 merchant not found, 1105 merchant cannot use LINE Pay, 1106 header (signature) error. */
  "unauthorized",
  /** 1153: the confirmed amount differs from the requested one. */
  "amount-mismatch",
  /** 1152 transaction already exists, 1172 order id used before, 1198 duplicate request. */
  "duplicate",
  /** 1150 no such transaction, 1159 payment request not found. */
  "not-found",
  /** 1155 not refundable, 1163 refund period over, 1164 more than refundable, 1165 already refunded. */
  "refund-refused",
  /** 1101/1102 the buyer cannot pay, 1141 account status, 1142 low balance, 1180 payment expired. */
  "payment-declined",
  /** 1145: a payment is in progress. */
  "in-progress",
  /** 9000 internal error, HTTP 5xx, a timeout or no connection (after the retries). */
  "unavailable",
  /** An answer that is not LINE Pay's documented JSON. */
  "invalid-response",
  /** Any other return code (1124 amount scale, 1169 confirm info error…). */
  "rejected"
])
/** A {@link Reason}. */
export type Reason = typeof Reason.Type

/** A LINE Pay call failed. */
export class LinePayError extends Schema.TaggedError<LinePayError>()("LinePayError", {
  reason: Reason,
  /** LINE Pay's `returnCode` (`"1106"`…), when it answered. */
  returnCode: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/** The reason of a LINE Pay `returnCode` other than `0000`. */
export const reasonOf = (returnCode: string): Reason =>
  match(returnCode)
    .with("1104", "1105", "1106", () => "unauthorized" as const)
    .with("1153", () => "amount-mismatch" as const)
    .with("1152", "1172", "1198", () => "duplicate" as const)
    .with("1150", "1159", () => "not-found" as const)
    .with("1155", "1163", "1164", "1165", () => "refund-refused" as const)
    .with("1101", "1102", "1141", "1142", "1180", () => "payment-declined" as const)
    .with("1145", () => "in-progress" as const)
    .with("9000", () => "unavailable" as const)
    .otherwise(() => "rejected" as const)

/** Core's `GatewayError` for a LINE Pay error. */
export const toGatewayError = (e: LinePayError): PaymentGateway.GatewayError =>
  new PaymentGateway.GatewayError({
    reason: match(e.reason)
      .with("unauthorized", () => "unauthorized" as const)
      .with("unavailable", () => "transport" as const)
      .with("invalid-response", () => "invalid-payload" as const)
      .with(
        "amount-mismatch",
        "duplicate",
        "not-found",
        "refund-refused",
        "payment-declined",
        "in-progress",
        "rejected",
        () => "rejected" as const
      )
      .exhaustive(),
    message: e.message
  })
