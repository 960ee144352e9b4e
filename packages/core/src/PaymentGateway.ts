/**
 * The PaymentGateway port: start a payment (a form to post, a redirect, or transfer
 * instructions), and verify and decode the gateway's callbacks into a normalised
 * {@link GatewayPayment}, which goes through the same decision rules as a bank statement row.
 *
 * Implemented by `@kaituan/payments-newebpay` and `@kaituan/payments-ecpay`;
 * {@link makeBankTransfer} here is the manual bank-transfer gateway.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import type { InboundRequest, PlainResponse } from "./Http.js"

/** What the buyer is asked to pay for. */
export interface PaymentRequest {
  /** The merchant order number sent to the gateway (derived from the order id, gateway-safe). */
  readonly merchantOrderNo: string
  readonly orderId: string
  readonly amount: number
  readonly description: string
  readonly buyerEmail?: string | undefined
  /** Payment method hint: `credit`, `atm` (virtual account), `cvs`… */
  readonly method?: string | undefined
  readonly returnUrl?: string | undefined
  readonly notifyUrl?: string | undefined
}

/** How to start the payment in the buyer's browser or app. */
export type PaymentStart =
  | {
      readonly _tag: "Form"
      readonly action: string
      readonly method: "POST"
      readonly fields: Readonly<Record<string, string>>
    }
  | { readonly _tag: "Redirect"; readonly url: string }
  | {
      readonly _tag: "Instructions"
      readonly bankCode: string
      readonly account: string
      readonly amount: number
      readonly text: string
    }

/** A payment as a gateway reports it, normalised. */
export const GatewayPayment = Schema.Struct({
  gateway: Schema.String,
  /** The gateway's own trade number: the idempotency key of the callback. */
  tradeNo: Schema.String,
  merchantOrderNo: Schema.String,
  amount: Schema.Int,
  /** `paid`: money received; `pending`: e.g. an ATM virtual account was issued; `failed`. */
  status: Schema.Literals(["paid", "pending", "failed"]),
  method: Schema.String,
  paidAt: Schema.optional(Schema.String),
  payerBankCode: Schema.optional(Schema.String),
  /** Last five digits of the paying account (NewebPay PayerAccount5Code, ECPay ATMAccNo). */
  payerLast5: Schema.optional(Schema.String),
  /** Virtual account issued for an ATM payment. */
  virtualAccount: Schema.optional(Schema.String),
  /** True for test/simulated payments (ECPay SimulatePaid=1): never treated as real money. */
  simulated: Schema.Boolean,
  message: Schema.optional(Schema.String)
})
export type GatewayPayment = typeof GatewayPayment.Type

/** Why a gateway operation failed. */
export class GatewayError extends Schema.TaggedError<GatewayError>()("GatewayError", {
  reason: Schema.Literals(["unauthorized", "invalid-payload", "transport", "rejected", "unsupported"]),
  message: Schema.String
}) {}

/** The port. */
export interface PaymentGatewayService {
  readonly id: string
  readonly start: (request: PaymentRequest) => Effect.Effect<PaymentStart, GatewayError>
  /** Verifies the callback's signature (before decrypting) and decodes it. */
  readonly callback: (req: InboundRequest) => Effect.Effect<GatewayPayment, GatewayError>
  /** The exact answer the gateway expects for an accepted (or refused) callback, e.g. ECPay's `1|OK`. */
  readonly acknowledge: (accepted: boolean) => PlainResponse
}

/** A PaymentGateway tag for apps with one gateway. */
export class PaymentGateway extends Context.Service<PaymentGateway, PaymentGatewayService>()(
  "@kaituan/core/PaymentGateway"
) {}

/**
 * A layer providing the gateway `make` builds under its own tag **and** under the port's
 * {@link PaymentGateway} tag, as one instance: every gateway's `layer` and `layerConfig` are this.
 */
export const layerAs = <I, S extends PaymentGatewayService, E, R>(
  tag: Context.Key<I, S>,
  make: Effect.Effect<S, E, R>
): Layer.Layer<I | PaymentGateway, E, R> =>
  Layer.effectContext(
    Effect.map(make, (service) => Context.make(tag, service).pipe(Context.add(PaymentGateway, service)))
  )

/**
 * The manual bank-transfer gateway: the buyer gets the organiser's account and the amount; the
 * money is matched later from the bank statement (`@kaituan/reconcile`). It has no callbacks.
 */
export const makeBankTransfer = (options: {
  readonly bankCode: string
  readonly account: string
  readonly accountName?: string | undefined
}): PaymentGatewayService => ({
  id: "bank-transfer",
  start: (request) =>
    Effect.succeed({
      _tag: "Instructions",
      bankCode: options.bankCode,
      account: options.account,
      amount: request.amount,
      text:
        `請匯款 NT$${request.amount.toLocaleString("en-US")} 至 (${options.bankCode}) ${options.account}` +
        (options.accountName ? ` ${options.accountName}` : "") +
        `，並留言「已匯款 ${request.amount} 後五碼xxxxx」。訂單 ${request.orderId}`
    }),
  callback: () =>
    Effect.fail(
      new GatewayError({ reason: "unsupported", message: "bank transfers have no callbacks; import the statement" })
    ),
  acknowledge: (accepted) => ({ status: accepted ? 200 : 400, body: accepted ? "OK" : "ERROR" })
})

/** A layer with the manual bank-transfer gateway. */
export const layerBankTransfer = (options: Parameters<typeof makeBankTransfer>[0]): Layer.Layer<PaymentGateway> =>
  Layer.succeed(PaymentGateway, makeBankTransfer(options))
