/**
 * Gateway callbacks and the checkout page.
 *
 * A callback is verified by the gateway (401 for a missing or wrong signature, 400 for a malformed
 * body), then applied by `@kaituan/reconcile`'s Payments service (`applyGatewayPayment`): decided
 * by its matcher against the round's orders awaiting payment, with the same rules as a bank statement row: the merchant order number naming the
 * order is identity evidence, and the exact amount applies the money (`matched`). An amount that
 * differs goes to review and an unknown order number is `unmatched`: both are recorded with
 * `orderIds: []` (received, kept for the organiser, never dropped). A pending code, a failed or a
 * simulated payment is no money: acknowledged and logged, nothing recorded. The transaction id is
 * `gateway:tradeNo:status` (a pending ATM-code callback and the later paid one share the trade
 * number), so a redelivered callback changes nothing. A gateway decoder that throws on what was
 * posted answers 400 (logged as an error), never 500.
 */
import { CheckoutPage, type GroupBuy, type Http, type PaymentGateway, Storage } from "@kaituan/core"
import { Payments as ReconcilePayments } from "@kaituan/reconcile"
import { Clock, Effect, Result } from "effect"
import { errorKind } from "./Log.js"
import * as MerchantOrderNo from "./MerchantOrderNo.js"
import { type Reply, text } from "./Reply.js"

/** What the payment handlers need. */
export interface PaymentContext {
  /** The round whose orders callbacks are matched against; without one, payments are recorded unmatched. */
  readonly roundId: string | undefined
  /** The round's title, for the gateway's item description. */
  readonly title: string | undefined
  /** Public base URL for the gateways' notify URLs; else derived from the request's Host. */
  readonly publicUrl: string | undefined
}

type Deps = GroupBuy.GroupBuy | Storage.Storage

const ack = (gw: PaymentGateway.PaymentGatewayService, accepted: boolean): Reply => {
  const r = gw.acknowledge(accepted)
  return { status: r.status, headers: r.headers ?? { "content-type": "text/plain; charset=utf-8" }, body: r.body }
}

/** Handles one callback of `gw`. */
export const callback = (
  ctx: PaymentContext,
  gw: PaymentGateway.PaymentGatewayService,
  req: Http.InboundRequest
): Effect.Effect<Reply, GroupBuy.GroupBuyError | Storage.StorageError, Deps> =>
  Effect.gen(function* () {
    if (req.method !== "POST") return text(405, "POST only", { allow: "POST" })
    const decoded = yield* gw.callback(req).pipe(
      Effect.result,
      Effect.map((result) => ({ defect: undefined, result })),
      Effect.catchDefect((defect) => Effect.succeed({ defect, result: undefined }))
    )
    if (decoded.result === undefined)
      return { ...ack(gw, false), status: 400, error: `DecodeDefect:${errorKind(decoded.defect)}`, level: "error" }
    if (Result.isFailure(decoded.result)) {
      const reason = decoded.result.failure.reason
      const status = reason === "unauthorized" ? 401 : reason === "transport" ? 502 : 400
      return { ...ack(gw, false), status, error: `GatewayError:${reason}` }
    }
    const payments = yield* ReconcilePayments.make({ merchantOrderNo: MerchantOrderNo.resolver })
    const applied = yield* payments.applyGatewayPayment({ roundId: ctx.roundId, payment: decoded.result.success }).pipe(
      Effect.map((r) => Result.succeed(r)),
      Effect.catchTags({
        GatewayTransactionError: (e) => Effect.succeed(Result.fail(`GatewayTransactionError:${e.reason}`)),
        PaymentsInputError: () => Effect.succeed(Result.fail("PaymentsInputError"))
      })
    )
    if (Result.isFailure(applied)) return { ...ack(gw, false), status: 400, error: applied.failure }
    const r = applied.success
    return { ...ack(gw, true), ...(r.accepted ? { accepted: true } : {}), fields: r.fields }
  })

const publicBase = (ctx: PaymentContext, req: Http.InboundRequest): string => {
  if (ctx.publicUrl !== undefined) return ctx.publicUrl.replace(/\/+$/, "")
  const proto = req.headers["x-forwarded-proto"]?.split(",")[0]?.trim() === "https" ? "https" : "http"
  return `${proto}://${req.headers.host ?? "127.0.0.1"}`
}

/** `GET /pay/:orderId`: the page that posts itself to the gateway for the order's amount due. */
export const checkoutPage = (
  ctx: PaymentContext,
  gateways: ReadonlyMap<string, PaymentGateway.PaymentGatewayService>,
  orderId: string,
  req: Http.InboundRequest
): Effect.Effect<Reply, Storage.StorageError, Deps> =>
  Effect.gen(function* () {
    const wanted = req.query.gateway
    if (wanted !== undefined && wanted !== "newebpay" && wanted !== "ecpay")
      return text(400, `unknown gateway "${wanted}" (newebpay or ecpay)`)
    const name = wanted ?? [...gateways.keys()][0]
    const gw = name === undefined ? undefined : gateways.get(name)
    if (gw === undefined || name === undefined)
      return text(
        404,
        name === undefined
          ? "no payment gateway is configured on this server"
          : `${name} is not configured on this server`
      )
    const storage = yield* Storage.Storage
    const order = yield* storage.order(orderId)
    if (order === undefined) return text(404, "no such order")
    const due = order.total - order.paid
    if (order.status !== "awaiting-payment" || due <= 0)
      return text(
        409,
        order.status === "open"
          ? "this order is not confirmed yet: it can be paid once the round closes"
          : `this order is ${order.status}: nothing to pay`
      )
    const now = yield* Clock.currentTimeMillis
    const started = yield* Effect.result(
      gw.start({
        merchantOrderNo: MerchantOrderNo.make(orderId, now),
        orderId,
        amount: due,
        description: ctx.title ?? "kaituan",
        notifyUrl: `${publicBase(ctx, req)}/payments/${name}/notify`
      })
    )
    if (Result.isFailure(started))
      return { ...text(502, `${name} cannot start this payment`), error: `GatewayError:${started.failure.reason}` }
    return {
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      body: CheckoutPage.renderCheckoutPage(started.success),
      fields: { gateway: name, amount: due }
    }
  })
