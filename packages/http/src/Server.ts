/**
 * The API as routes of an Effect `HttpRouter`: the handlers of every group, the two middlewares
 * (tokens and roles, 400s naming the field), the OpenAPI document at `GET /api/v1/openapi.json`
 * and a documentation page at `GET /api/docs` (Swagger UI, bundled with Effect and served
 * inline: no CDN, it works offline). Any other path under `/api/v1` is a JSON 404. In an Effect
 * app, set `HttpRouter.RouterConfig`'s `maxParamLength` (`WebHandler.make` uses 2048) so a long
 * id is a 400 naming it rather than the router's bare 404. Serve it with `HttpRouter.serve` in an Effect app, or as a
 * web handler (`WebHandler.make`) in any other host.
 *
 * The routes need the app's `GroupBuy` and `Storage`, the `Payments` service of
 * `@kaituan/reconcile` and the {@link Tokens} service: {@link layerServices} builds the last two
 * over the first two.
 *
 * @since 0.2.0
 */
import type { GroupBuy, Storage } from "@kaituan/core"
import { Payments } from "@kaituan/reconcile"
import { Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiSwagger } from "effect/http-api"
import { Api, prefix } from "./Api.js"
import * as Auth from "./Auth.js"
import * as Buyers from "./handlers/Buyers.js"
import * as CounterHandlers from "./handlers/Counter.js"
import * as Deadlines from "./handlers/Deadlines.js"
import * as Exports from "./handlers/Exports.js"
import * as LogisticsHandlers from "./handlers/Logistics.js"
import * as Documents from "./handlers/Documents.js"
import * as MembersHandlers from "./handlers/Members.js"
import * as InsightsHandlers from "./handlers/Insights.js"
import * as InvoicesHandlers from "./handlers/Invoices.js"
import * as Operations from "./handlers/Operations.js"
import * as AfterSalesHandlers from "./handlers/AfterSales.js"
import * as Orders from "./handlers/Orders.js"
import * as PaymentsHandlers from "./handlers/Payments.js"
import * as Pickups from "./handlers/Pickups.js"
import * as PublishHandlers from "./handlers/Publish.js"
import * as Review from "./handlers/Review.js"
import * as Rounds from "./handlers/Rounds.js"
import * as Session from "./handlers/Session.js"
import * as Shipping from "./handlers/Shipping.js"
import { MaxUploadBytes } from "./internal/settings.js"
import * as Tokens from "./Tokens.js"

/** Where the OpenAPI document is served. */
export const openapiPath = `${prefix}/openapi.json` as const

/** Where the documentation page is served. */
export const docsPath = "/api/docs" as const

/** Options of {@link layer}. */
export interface Options {
  /** The largest statement upload, in bytes (413 past it). Default 10 MiB. */
  readonly maxUploadBytes?: number | undefined
  /** Serve the documentation page at {@link docsPath}. Default true. */
  readonly docs?: boolean | undefined
}

/** What the routes need from the app. */
export type Services = GroupBuy.GroupBuy | Storage.Storage | Payments.Payments | Tokens.Tokens

/** The handlers of every group. */
export const layerHandlers = Layer.mergeAll(
  Session.layer,
  Rounds.layer,
  Orders.layer,
  Review.layer,
  PaymentsHandlers.layer,
  Shipping.layer,
  Pickups.layer,
  Buyers.layer,
  Operations.layer,
  Exports.layer,
  PublishHandlers.layer,
  Deadlines.layer,
  LogisticsHandlers.layer,
  Documents.layer,
  AfterSalesHandlers.layer,
  MembersHandlers.layer,
  InsightsHandlers.layer,
  InvoicesHandlers.layer,
  CounterHandlers.layer
)

/** The {@link Tokens} and `Payments` services over the app's `GroupBuy` and `Storage`. */
export const layerServices: Layer.Layer<Tokens.Tokens | Payments.Payments, never, GroupBuy.GroupBuy | Storage.Storage> =
  Layer.mergeAll(Tokens.layer, Payments.layer)

/**
 * The API's routes (and the OpenAPI document and the documentation page) on the `HttpRouter`.
 * Provide the app's {@link Services} and `HttpServer.layerServices`.
 */
export const layer = (options: Options = {}) => {
  const api = HttpApiBuilder.layer(Api, { openapiPath }).pipe(
    Layer.provide(layerHandlers),
    Layer.provide([Auth.layer, Auth.layerValidation]),
    Layer.provide(Layer.succeed(MaxUploadBytes, options.maxUploadBytes ?? MaxUploadBytes.defaultValue()))
  )
  const routes = Layer.merge(api, unknownRoute)
  return options.docs === false ? routes : Layer.merge(routes, HttpApiSwagger.layer(Api, { path: docsPath }))
}

/** Anything else under `/api/v1` is a JSON 404 pointing at the OpenAPI document. */
const unknownRoute = HttpRouter.add(
  "*",
  `${prefix}/*`,
  HttpServerResponse.jsonUnsafe(
    { _tag: "NotFound", what: "route", message: `no such route: the routes are in ${openapiPath}` },
    { status: 404 }
  )
)

/** The routes' type: what {@link layer} needs. */
export type Requirements = Layer.Services<ReturnType<typeof layer>> | HttpRouter.HttpRouter
