/**
 * Gateway callbacks and the checkout page. The checkout page and the gateways' notify URLs come
 * from `KAITUAN_PUBLIC_URL` only: without it no checkout page is rendered (503, saying why), and a
 * forged `Host` header never reaches a payment form.
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
  /**
   * The round seeded with `--round`, tried first for callbacks; a callback is matched against the
   * orders of the round its merchant order number names (found among the closed rounds), and is
   * recorded unmatched when no round has that order.
   */
  readonly roundId: string | undefined
  /**
   * `KAITUAN_PUBLIC_URL`: the server's public base URL, the only source of the payment pages'
   * and the gateways' notify URLs (never the request's `Host`). Without it, no checkout page is
   * rendered.
   */
  readonly publicUrl: string | undefined
}

/** Why a checkout page is refused without `KAITUAN_PUBLIC_URL`. */
export const NO_PUBLIC_URL =
  "this server cannot take payments yet: set KAITUAN_PUBLIC_URL to its public address (https://…). The gateway's notify URL is built from it, never from the request's Host header."

/**
 * Checks `KAITUAN_PUBLIC_URL`: an absolute http(s) URL with no user, password, query or
 * fragment; returns it without a trailing slash, or the problem.
 */
export const publicUrlOf = (value: string | undefined): { url?: string; problem?: string } => {
  if (value === undefined || value === "") return {}
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return { problem: "KAITUAN_PUBLIC_URL must be an absolute URL such as https://shop.example.com" }
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    return { problem: "KAITUAN_PUBLIC_URL must start with https:// (or http:// for a local test)" }
  if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "")
    return { problem: "KAITUAN_PUBLIC_URL must have no user, password, query or fragment" }
  return { url: `${u.origin}${u.pathname}`.replace(/\/+$/, "") }
}

/** A round's title (the gateway's item description). */
const titleOf = (storage: Storage.StorageService, roundId: string) =>
  Effect.map(storage.document("rounds", roundId), (doc) => {
    const title = (doc as { title?: unknown } | undefined)?.title
    return typeof title === "string" && title !== "" ? title : "kaituan"
  })

/** The closed rounds a callback's order may belong to, at most this many (newest ids last). */
const MAX_ROUNDS_SCANNED = 50

/** The round whose order awaiting payment the merchant order number names (the seeded round first). */
const roundOfCallback = (ctx: PaymentContext, merchantOrderNo: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const closed = yield* storage.documents({
      model: "rounds",
      key: { k: "k1", value: "closed" },
      limit: MAX_ROUNDS_SCANNED
    })
    const candidates = [...(ctx.roundId === undefined ? [] : [ctx.roundId]), ...closed.map((r) => r.id)]
    for (const roundId of new Set(candidates)) {
      const orders = yield* storage.orders({ roundId, status: ["awaiting-payment"] })
      if (MerchantOrderNo.resolver(orders.map((o) => o.orderId))(merchantOrderNo) !== undefined) return roundId
    }
    return ctx.roundId
  })

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
    const roundId = yield* roundOfCallback(ctx, decoded.result.success.merchantOrderNo)
    const applied = yield* payments.applyGatewayPayment({ roundId, payment: decoded.result.success }).pipe(
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

/** `GET /pay/:orderId`: the page that posts itself to the gateway for the order's amount due. */
export const checkoutPage = (
  ctx: PaymentContext,
  gateways: ReadonlyMap<string, PaymentGateway.PaymentGatewayService>,
  orderId: string,
  req: Http.InboundRequest
): Effect.Effect<Reply, Storage.StorageError, Deps> =>
  Effect.gen(function* () {
    const wanted = req.query.gateway
    if (wanted !== undefined && wanted !== "newebpay" && wanted !== "ecpay" && wanted !== "linepay")
      return text(400, `unknown gateway "${wanted}" (newebpay, ecpay or linepay)`)
    const name = wanted ?? [...gateways.keys()][0]
    const gw = name === undefined ? undefined : gateways.get(name)
    if (gw === undefined || name === undefined)
      return text(
        404,
        name === undefined
          ? "no payment gateway is configured on this server"
          : `${name} is not configured on this server`
      )
    // Where the gateway will notify us comes from the configuration alone, never from the request.
    const base = ctx.publicUrl
    if (base === undefined) return { ...text(503, NO_PUBLIC_URL), error: "Config:no-public-url", level: "warn" }
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
        description: yield* titleOf(storage, order.roundId),
        notifyUrl: `${base}/payments/${name}/notify`
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
