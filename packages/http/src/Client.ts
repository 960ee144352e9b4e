/**
 * The typed client of the API, for embedders (a POS, a script, the back-office web app): every
 * endpoint as a method with decoded inputs, outputs and errors, derived from the same `HttpApi`
 * as the server.
 *
 * ```ts
 * const client = yield* Client.make({ baseUrl: "http://127.0.0.1:8787", token })
 * const page = yield* client.orders.list({ params: { roundId: "socks" }, query: { status: ["paid"] } })
 * ```
 *
 * @since 0.2.0
 */
import { Context, type Effect, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { Api } from "./Api.js"

/** The client: one method per endpoint, grouped (`client.orders.list`, `client.payments.approve`…). */
export type Client = HttpApiClient.ForApi<typeof Api>

/** Where the server is and the token to call it with. */
export interface Options {
  /** The server's origin (`http://127.0.0.1:8787`); the client adds `/api/v1/…`. */
  readonly baseUrl: string | URL
  /** A token from `kaituan token create` (sent as `Authorization: Bearer …`). */
  readonly token: string | Redacted.Redacted<string>
}

/** A client over the context's `HttpClient`. */
export const make = (options: Options): Effect.Effect<Client, never, HttpClient.HttpClient> => {
  const token = Redacted.isRedacted(options.token) ? Redacted.value(options.token) : options.token
  return HttpApiClient.make(Api, {
    baseUrl: options.baseUrl,
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
  })
}

/** The client as a service. */
export class ApiClient extends Context.Service<ApiClient, Client>()("@kaituan/http/ApiClient") {}

/** The client as a layer over `fetch`. */
export const layer = (options: Options): Layer.Layer<ApiClient> =>
  Layer.effect(ApiClient, make(options)).pipe(Layer.provide(FetchHttpClient.layer))
