/**
 * The API as a web handler (`Request` → `Promise<Response>`), for any host: Hono
 * (`app.all("/api/*", (c) => api.handler(c.req.raw))`), a Next.js route handler
 * (`export const GET = api.handler`), Bun or Deno's `serve`, and Node's `http` or Express through
 * {@link toNodeListener}.
 *
 * @since 0.2.0
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { Api } from "./Api.js"
import * as Server from "./Server.js"

/** The web handler and how to release what it holds. */
export interface WebHandler {
  /** Answers one request. Never rejects for a request: failures are responses. */
  readonly handler: (request: Request) => Promise<Response>
  /** Releases the layers built for it (the app's database, when it built one). */
  readonly dispose: () => Promise<void>
}

/** Options of {@link make}. */
export interface Options extends Server.Options {
  /** Share the layers another runtime built (a `ManagedRuntime`'s `memoMap`). */
  readonly memoMap?: Layer.MemoMap | undefined
}

/**
 * The API over `app`, which provides the app's `GroupBuy`, `Storage`, `Payments` and `Tokens`
 * (`Server.layerServices` builds the last two over the first two).
 */
export const make = <E>(app: Layer.Layer<Server.Services, E>, options: Options = {}): WebHandler => {
  const routes = Server.layer(options).pipe(Layer.provide(app), Layer.provide(HttpServer.layerServices))
  const { handler, dispose } = HttpRouter.toWebHandler(routes, {
    disableLogger: true,
    // Long ids reach the schemas (a 400 naming the parameter) instead of the router's bare 404.
    routerConfig: { maxParamLength: 2048 },
    ...(options.memoMap === undefined ? {} : { memoMap: options.memoMap })
  })
  return { handler: (request) => handler(request), dispose }
}

/** One operation of the API: its group and endpoint (`orders.list`), method and path template. */
export interface Operation {
  readonly operation: string
  readonly method: string
  readonly path: string
}

const operations: ReadonlyArray<Operation & { readonly pattern: RegExp }> = Object.values(Api.groups).flatMap((group) =>
  Object.values(group.endpoints).map((endpoint) => ({
    operation: `${group.identifier}.${endpoint.identifier}`,
    method: endpoint.method,
    path: endpoint.path,
    pattern: new RegExp(`^${endpoint.path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z]+/g, "[^/]+")}$`)
  }))
)

/** Every operation of the API, in declaration order. */
export const allOperations: ReadonlyArray<Operation> = operations.map(({ operation, method, path }) => ({
  operation,
  method,
  path
}))

/**
 * The operation a request is for (method and path, no query), for logs that name what was
 * called without the ids in the path; undefined for anything else.
 */
export const operationOf = (method: string, pathname: string): Operation | undefined => {
  for (const o of operations) if (o.method === method && o.pattern.test(pathname)) return o
  return undefined
}

/** Whether a path belongs to the API (its routes, the OpenAPI document or the documentation page). */
export const isApiPath = (pathname: string): boolean =>
  pathname === Server.docsPath || pathname.startsWith("/api/v1/") || pathname === "/api/v1"

/** Options of {@link toNodeListener}. */
export interface NodeOptions {
  /** The base of the URL the handler sees (never the request's `Host`). Default `http://localhost`. */
  readonly base?: string | undefined
}

/**
 * A Node `http` / Express listener for a web handler: `http.createServer(toNodeListener(api.handler))`
 * or `app.use(toNodeListener(api.handler))`. The request body streams into the handler; the
 * response streams back.
 */
export const toNodeListener =
  (handler: (request: Request) => Promise<Response>, options: NodeOptions = {}) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    const base = options.base ?? "http://localhost"
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue
      if (Array.isArray(v)) for (const x of v) headers.append(k, x)
      else headers.set(k, v)
    }
    const method = req.method ?? "GET"
    const hasBody = method !== "GET" && method !== "HEAD"
    const request = new Request(new URL(req.url ?? "/", base), {
      method,
      headers,
      ...(hasBody ? { body: streamOf(req), duplex: "half" } : {})
    } as RequestInit)
    handler(request).then(
      (response) => writeResponse(response, res),
      () => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" })
        res.end("internal error")
      }
    )
  }

/** A Node request body as a web stream, pulled as the handler reads it. */
const streamOf = (req: IncomingMessage): ReadableStream<Uint8Array> => {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const { done, value } = await chunks.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    // The handler answered without reading it all (a 413): the rest is read and dropped, so the
    // answer still reaches the client (destroying the socket would lose it).
    cancel: () => {
      req.resume()
    }
  })
}

/** Writes a web `Response` to a Node `ServerResponse`, streaming its body. */
export const writeResponse = async (response: Response, res: ServerResponse): Promise<void> => {
  const headers: Record<string, string | Array<string>> = {}
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return
    headers[key] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers["set-cookie"] = cookies
  res.writeHead(response.status, headers)
  if (response.body === null) {
    res.end()
    return
  }
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve))
    }
  } finally {
    res.end()
  }
}
