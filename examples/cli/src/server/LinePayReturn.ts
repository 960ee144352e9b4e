/**
 * `GET /payments/linepay/notify`: LINE Pay's confirm redirect. LINE Pay has no server-to-server
 * callback: after approving in LINE, the buyer's browser comes back to the confirm URL that
 * `GET /pay/:orderId` gave LINE Pay (this route, with the order number and amount signed by the
 * gateway, plus LINE Pay's `transactionId` and `orderId`). The gateway's `callback` checks that
 * signature and confirms the payment at LINE Pay; from there it is the same path as every
 * gateway's notify (`Payments.callback`: matched against the round's orders awaiting payment,
 * recorded once per transaction id, so a reload changes nothing). The buyer sees the gateway's
 * acknowledgement page (付款完成 / 付款未完成).
 */
import type { GroupBuy, Http, PaymentGateway, Storage } from "@kaituan/core"
import { Effect } from "effect"
import * as Integrations from "./Integrations.js"
import * as Payments from "./Payments.js"
import { type Reply, text } from "./Reply.js"

/** Handles the buyer's return: a GET, verified and confirmed by the gateway, then applied as a callback. */
export const handle = (
  ctx: Payments.PaymentContext,
  gw: PaymentGateway.PaymentGatewayService,
  req: Http.InboundRequest
): Effect.Effect<Reply, GroupBuy.GroupBuyError | Storage.StorageError, GroupBuy.GroupBuy | Storage.Storage> =>
  req.method !== "GET"
    ? Effect.succeed(text(405, "GET only", { allow: "GET" }))
    : // `Payments.callback` takes posts (gateways' servers post); this one arrives as the buyer's GET.
      Payments.callback(ctx, gw, { ...req, method: "POST" })

/** The route's handler: {@link handle}, or a 404 naming the variables when LINE Pay is not configured. */
export const handler =
  (ctx: Payments.PaymentContext, gw: PaymentGateway.PaymentGatewayService | undefined) =>
  (
    req: Http.InboundRequest
  ): Effect.Effect<Reply, GroupBuy.GroupBuyError | Storage.StorageError, GroupBuy.GroupBuy | Storage.Storage> =>
    gw === undefined ? Effect.succeed(text(404, Integrations.notConfigured("linepay"))) : handle(ctx, gw, req)
