/**
 * `kaituan serve`'s HTTP server: `node:http` in front of one Effect runtime (a `ManagedRuntime`
 * over the app's layers: GroupBuy on SQLite or PostgreSQL, the parser, the library's `Inbound`).
 *
 * Routes (CLI.md): `POST /webhooks/line`, `POST /webhooks/telegram`, `GET|POST /webhooks/facebook`,
 * `POST /payments/newebpay/notify`, `POST /payments/ecpay/notify`, `GET /pay/:orderId`, ECPay
 * logistics' `POST /logistics/ecpay/notify`, `POST /logistics/ecpay/store` and
 * `GET /logistics/ecpay/map/:shipmentId` (`Logistics.ts`),
 * `GET /qr/<token>.png` (a pickup code's QR image, `PickupQr.ts`), the
 * back-office API `/api/v1/*` with its OpenAPI document and `/api/docs` (`@kaituan/http`, bearer
 * tokens), the back office's web app at `/admin` (`Admin.ts`), `GET /api/rounds/:id` (an
 * organiser token) and `GET /healthz` (`{"ok":true}`, nothing else). One JSON log line per
 * request on the logger.
 *
 * Rounds live in the database: `--round` seeds one, the API opens more, and each comment goes to
 * the round listening to its conversation, else to the `--round` one while it is open, else to the
 * one open round (`Inbound`); the scheduler closes each at its cutoff. On a database with no
 * token yet, the server makes a first organiser token ({@link RunningServer.firstToken}).
 *
 * Limits (each a {@link ServerOptions} field): connections ({@link ServerOptions.maxConnections}),
 * the size of one body (413, answered as soon as it is known, then the connection closed), the
 * bytes of bodies held in memory across all requests (503 past it), the time to send the headers
 * and the whole request (408, enforced within a second). Reports are computed at most once per
 * round per `reportMaxStaleMs` while writes keep coming, shared by every reader and written in
 * slices (`Reports`), so readers do not stall the webhooks.
 *
 * {@link RunningServer.close} shuts down gracefully: stop accepting, finish in-flight requests
 * and answer those that arrive on open keep-alive connections meanwhile (with `Connection:
 * close`), close the idle connections at the end of the drain, drain the outbox once more, close
 * the database.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type AddressInfo, Server as NetServer } from "node:net"
import {
  ChannelRegistry,
  Fulfilment,
  GroupBuy,
  type Http,
  Inbound,
  OutboxRelay,
  PaymentDeadlines,
  ReadModels,
  Scheduler,
  Invoicing,
  type Storage
} from "@kaituan/core"
import { Server as Api, Tokens, WebHandler } from "@kaituan/http"
import type { Payments as ReconcilePayments } from "@kaituan/reconcile"
import { Database } from "@kaituan/storage-sql"
import { Cause, Context, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { serveLayer } from "../Engine.js"
import { UsageError } from "../Io.js"
import type { LoadedRound } from "../RoundFile.js"
import * as Admin from "./Admin.js"
import * as Body from "./Body.js"
import * as Integrations from "./Integrations.js"
import { errorKind, type Logger, silent } from "./Log.js"
import * as LinePayReturn from "./LinePayReturn.js"
import * as LogisticsRoutes from "./Logistics.js"
import * as Payments from "./Payments.js"
import * as PickupQr from "./PickupQr.js"
import * as Relay from "./Relay.js"
import { json, type Reply, text } from "./Reply.js"
import * as Reports from "./Reports.js"
import * as Webhooks from "./Webhooks.js"

/** What handlers run against. */
export type ServerContext =
  | GroupBuy.GroupBuy
  | Storage.Storage
  | Inbound.Inbound
  | Tokens.Tokens
  | ReconcilePayments.Payments

export interface ServerOptions {
  /** How often the members' blacklist is read again (ms): a member blocked since goes to review from then on. Default 5,000. */
  readonly blacklistEveryMs?: number | undefined
  /** TCP port; 0 picks a free one. Default 8787. */
  readonly port?: number | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** `--db`: a SQLite path, `:memory:` or a postgres:// URL. */
  readonly db: string
  /** `--round`: opened at start (idempotent); comments go to it. */
  readonly round?: LoadedRound | undefined
  /** Largest accepted request body. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** Largest bank statement uploaded to the API (413 past it). Default 10 MiB. */
  readonly maxUploadBytes?: number | undefined
  /** How often due scheduled jobs (cutoffs of every round) are looked for. Default 1 s. */
  readonly schedulerPollMs?: number | undefined
  /** Secrets and settings (CLI.md); usually the process environment. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly log?: Logger | undefined
  /** How long shutdown waits for in-flight requests, and then for the last outbox drain. Default 10 s. */
  readonly shutdownTimeoutMs?: number | undefined
  /**
   * How often the outbox relay looks for messages when nothing kicked it (messages written by the
   * scheduler, failed sends due again). Default 1 s.
   */
  readonly relayIntervalMs?: number | undefined
  /** How often the catch-up read models (`buyer-history`…) are brought up to date. Default 5 s. */
  readonly catchUpEveryMs?: number | undefined
  /** Open connections at most; more are closed as they come. Default 512. */
  readonly maxConnections?: number | undefined
  /**
   * Bytes of request bodies held in memory across all requests at most; a body that would pass it
   * is answered 503 (`Retry-After: 1`) and its connection closed. Default 64 MiB (and at least
   * `maxBodyBytes`).
   */
  readonly maxBufferedBytes?: number | undefined
  /** Time a client has to send the request headers (408 after). Default 10 s. */
  readonly headersTimeoutMs?: number | undefined
  /** Time a client has to send the whole request, headers and body (408 after). Default 15 s. */
  readonly requestTimeoutMs?: number | undefined
  /** How long an idle keep-alive connection stays open. Default 5 s. */
  readonly keepAliveTimeoutMs?: number | undefined
  /**
   * How long shutdown keeps idle keep-alive connections open after the in-flight requests are
   * answered, for requests already on their way on them (answered, with `Connection: close`).
   * Default: the keep-alive timeout, after which they would have closed anyway.
   */
  readonly drainMs?: number | undefined
  /**
   * A report is computed again after this long even without a write through this server (for
   * writers in other processes sharing the database). Default 1 s.
   */
  readonly reportMaxAgeMs?: number | undefined
  /**
   * How stale a report may be after a write through this server: while webhooks keep coming, a
   * round's report is computed at most once per this long, and a read that starts this long after
   * a write shows it (`Reports`). 0: every write makes the next read compute it again. Default 1 s.
   */
  readonly reportMaxStaleMs?: number | undefined
}

export interface RunningServer {
  /** `http://host:port` */
  readonly url: string
  readonly port: number
  readonly roundId: string | undefined
  /**
   * The organiser token made on this start because the database had none yet: shown once (the
   * command prints it on stderr), never kept in plain text.
   */
  readonly firstToken: string | undefined
  readonly channels: ReadonlyArray<string>
  readonly gateways: ReadonlyArray<string>
  readonly disabled: Integrations.Integrations["disabled"]
  /** Runs an effect on the server's runtime (tests, tools). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, ServerContext>) => Promise<A>
  /** Graceful shutdown; resolves when everything is closed. Calling it again returns the same promise. */
  readonly close: () => Promise<void>
}

interface Route {
  readonly pattern: string
  readonly methods: ReadonlyArray<string>
  /** The largest body this route reads (default: `maxBodyBytes`). */
  readonly maxBody?: number | undefined
  readonly channel?: string | undefined
  /** Why this route is not mounted (404), checked before the body is read. */
  readonly disabled?: string | undefined
  readonly handle: (req: Http.InboundRequest) => Effect.Effect<Reply, unknown, ServerContext>
}

const headersOf = (req: IncomingMessage): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  return out
}

const queryOf = (url: URL): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of url.searchParams) if (!(k in out)) out[k] = v
  return out
}

/** The bearer token of an `Authorization` header. */
const bearerOf = (header: string | undefined): string | undefined => {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header)
  return m?.[1]
}

/** Methods whose request has a body the server reads. */
const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"])

/** Whether an `If-None-Match` header names `etag` (or is `*`). */
const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  ifNoneMatch?.split(",").some((t) => {
    const tag = t.trim()
    return tag === "*" || tag === etag || tag === `W/${etag}`
  }) === true

/** Whether an `Accept-Encoding` header takes gzip (named, or `*`, without `q=0`). */
const acceptsGzip = (acceptEncoding: string | undefined): boolean =>
  acceptEncoding?.split(",").some((part) => {
    const [coding = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase())
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") return false
    const q = params.find((p) => p.startsWith("q="))
    return q === undefined || Number(q.slice(2)) > 0
  }) === true

/** A path `new URL` keeps as it is: no query, escapes, dot segments or leading `//`. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/

/** A path segment decoded, or `undefined` when it is not an id (bad escapes, control characters…). */
const decodeSegment = (s: string): string | undefined => {
  let id: string
  try {
    id = decodeURIComponent(s)
  } catch {
    return undefined
  }
  return Inbound.usableId(id) ? id : undefined
}

const EMPTY = new Uint8Array()

/** Starts the server; resolves once it listens. Throws a UsageError for bad configuration. */
export const start = async (options: ServerOptions): Promise<RunningServer> => {
  const log = options.log ?? silent
  const maxBody = options.maxBodyBytes ?? 1_048_576
  const shutdownTimeout = options.shutdownTimeoutMs ?? 10_000
  const budget = Body.makeBudget(Math.max(options.maxBufferedBytes ?? 64 * 1_048_576, maxBody))
  const requestTimeout = options.requestTimeoutMs ?? 15_000
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout)
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000
  const drainMs = options.drainMs ?? keepAliveTimeout
  const integrations = Integrations.fromEnv(options.env)
  const publicUrl = Payments.publicUrlOf(options.env.KAITUAN_PUBLIC_URL)
  if (publicUrl.problem !== undefined) throw new UsageError(`serve: ${publicUrl.problem}`)
  const round = options.round
  const roundId = round?.spec.id
  const paymentCtx: Payments.PaymentContext = { roundId, publicUrl: publicUrl.url }
  const logistics = LogisticsRoutes.fromEnv(options.env, publicUrl.url)
  const maxUpload = options.maxUploadBytes ?? 10 * 1_048_576
  /** API bodies may be statement uploads (with a multipart form around them). */
  const maxApiBody = Math.max(maxBody, maxUpload + 64 * 1024)

  const qrSecret = options.env.KAITUAN_QR_SECRET
  const qrProblem = PickupQr.secretProblem(qrSecret)
  if (qrProblem !== undefined) throw new UsageError(`serve: ${qrProblem}`)
  // The key of the pickup QR links (`/qr/<token>.png`), known once the database is open.
  let resolveQrKey: (key: Uint8Array) => void = () => {}
  const qrKey = new Promise<Uint8Array>((resolve) => {
    resolveQrKey = resolve
  })
  // pickup-ready messages carry the QR image's link (KAITUAN_PUBLIC_URL) where the channel shows one.
  const registry = ChannelRegistry.make(
    [...integrations.channels.values()].map((adapter) => PickupQr.withQr(adapter, publicUrl.url, qrKey))
  )
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      // Webhook deliveries: admitted, routed to their rounds, batched, redeliveries remembered in the database.
      Inbound.layer({ preferredRound: roundId }),
      Api.layerServices,
      // Every round's cutoff (and any other job) runs when due, once across processes.
      Scheduler.layer({ handlers: Scheduler.builtIn, pollMs: options.schedulerPollMs ?? 1_000 }),
      // The outbox relay: a fiber of this runtime, kicked after each accepted webhook or payment.
      Relay.layer(registry, { pollMs: options.relayIntervalMs ?? 1_000 }),
      // The catch-up read models follow the events.
      ReadModels.layerCatchUp({ everyMs: options.catchUpEveryMs ?? 5_000 })
    ).pipe(
      Layer.provideMerge(
        Layer.merge(
          serveLayer(options.db, { blacklistEveryMs: options.blacklistEveryMs }),
          // Payment-due messages link to this server's pay page (`/pay/:orderId`), from
          // KAITUAN_PUBLIC_URL only (never a request's Host); without it they carry no link.
          Layer.succeed(PaymentDeadlines.PayPageUrl, publicUrl.url)
        ).pipe(
          // E-invoices (ECPAY_INVOICE_*): the scheduler's invoice jobs and the API issue through it.
          Layer.merge(
            integrations.invoicing === undefined
              ? Layer.empty
              : Layer.succeed(Invoicing.Invoicing, integrations.invoicing)
          )
        )
      )
    )
  )
  const reports = Reports.make((effect) => runtime.runPromise(effect), {
    maxAgeMs: options.reportMaxAgeMs,
    maxStaleMs: options.reportMaxStaleMs
  })
  /** Runs an effect that may write: reports computed after it see what it wrote. */
  const run = <A, E>(effect: Effect.Effect<A, E, ServerContext>): Promise<A> =>
    runtime.runPromise(effect).finally(reports.invalidate)
  let firstToken: string | undefined
  let api: WebHandler.WebHandler
  let inboundService: Inbound.InboundService
  let relayService: OutboxRelay.RelayService
  try {
    firstToken = await runtime.runPromise(
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        if (round) yield* g.openRound({ spec: round.spec })
        const created = yield* Tokens.Tokens.use((t) => t.bootstrap({ label: "first organiser token" }))
        return created === undefined ? undefined : Redacted.value(created.token)
      })
    )
    resolveQrKey(await runtime.runPromise(PickupQr.loadKey(qrSecret)))
    const context = await runtime.context()
    inboundService = Context.get(context, Inbound.Inbound)
    relayService = Context.get(context, OutboxRelay.Relay)
    // With a carrier configured, the API's logistics routes run core's Fulfilment over it.
    const carrier =
      logistics === undefined
        ? undefined
        : await runtime.runPromise(LogisticsRoutes.fulfilment(logistics, publicUrl.url))
    api = WebHandler.make(
      Layer.succeedContext(carrier === undefined ? context : Context.add(context, Fulfilment.Fulfilment, carrier)),
      { maxUploadBytes: maxUpload }
    )
  } catch (e) {
    await runtime.dispose().catch(() => {})
    const err = e as { _tag?: string; reason?: string; message?: string }
    if (err._tag === "GroupBuyError")
      throw new UsageError(`${round?.path ?? "round"}: cannot open the round: ${err.message ?? String(e)}`)
    // The --db value may be a URL with a password: never in a message.
    const why = Database.redact(err.message ?? String(e), options.db)
    throw new Error(`cannot open the database ${Database.redact(options.db)}: ${why}`)
  }

  /** The next outbox drain starts now (never waits for it); nothing once shutdown began. */
  const kickRelay = () => {
    if (!stopping) Effect.runFork(relayService.kick)
  }

  // The cutoff closes the round: every order is confirmed and its buyer told what to pay.
  let cutoffTimer: NodeJS.Timeout | undefined
  let closingRound: Promise<void> = Promise.resolve()
  const cutoffMs = round?.spec.cutoff ? Date.parse(round.spec.cutoff) : Number.NaN
  const scheduleCutoff = () => {
    if (!round || Number.isNaN(cutoffMs)) return
    const wait = cutoffMs - Date.now()
    if (wait > 0) {
      cutoffTimer = setTimeout(scheduleCutoff, Math.min(wait, 6 * 3_600_000))
      cutoffTimer.unref()
      return
    }
    closingRound = run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: round.spec.id, at: round.spec.cutoff })))
      .then((orders) => {
        log.info("round-closed", {
          round: round.spec.id,
          orders: orders.filter((o) => o.status !== "cancelled").length
        })
        kickRelay()
      })
      .catch((e) => log.error("round-close-failed", { round: round.spec.id, error: errorKind(e) }))
  }

  const channelRoute = (name: Integrations.ChannelName, methods: ReadonlyArray<string>): Route => {
    const adapter = integrations.channels.get(name)
    return {
      pattern: `/webhooks/${name}`,
      methods,
      channel: name,
      disabled: adapter ? undefined : Integrations.notConfigured(name),
      handle: (req) =>
        adapter ? Webhooks.handle(adapter, req) : Effect.succeed(text(404, Integrations.notConfigured(name)))
    }
  }
  const gatewayRoute = (name: Integrations.GatewayName): Route => {
    const gw = integrations.gateways.get(name)
    return {
      pattern: `/payments/${name}/notify`,
      methods: ["POST"],
      channel: name,
      disabled: gw ? undefined : Integrations.notConfigured(name),
      handle: (req) =>
        gw ? Payments.callback(paymentCtx, gw, req) : Effect.succeed(text(404, Integrations.notConfigured(name)))
    }
  }
  const fixed = new Map<string, Route>([
    ["/webhooks/line", channelRoute("line", ["POST"])],
    ["/webhooks/telegram", channelRoute("telegram", ["POST"])],
    ["/webhooks/facebook", channelRoute("facebook", ["GET", "POST"])],
    ["/payments/newebpay/notify", gatewayRoute("newebpay")],
    ["/payments/ecpay/notify", gatewayRoute("ecpay")],
    // LINE Pay has no server callback: the buyer's browser comes back here (GET) and the payment is confirmed.
    [
      "/payments/linepay/notify",
      {
        ...gatewayRoute("linepay"),
        methods: ["GET"],
        handle: LinePayReturn.handler(paymentCtx, integrations.gateways.get("linepay"))
      }
    ],
    ...(
      [
        ["notify", LogisticsRoutes.notify],
        ["store", LogisticsRoutes.store]
      ] as const
    ).map(([name, handle]): [string, Route] => [
      LogisticsRoutes.paths[name],
      {
        pattern: LogisticsRoutes.paths[name],
        methods: ["POST"],
        channel: "ecpay-logistics",
        disabled: logistics ? undefined : LogisticsRoutes.NOT_CONFIGURED,
        handle: (req) =>
          logistics ? handle(logistics, publicUrl.url, req) : Effect.succeed(text(404, LogisticsRoutes.NOT_CONFIGURED))
      }
    ]),
    [
      "/healthz",
      {
        pattern: "/healthz",
        methods: ["GET", "HEAD"],
        // Up or not, and nothing else: no round, no integration, nothing an anonymous caller may use.
        handle: () => Effect.succeed(json(stopping ? 503 : 200, { ok: !stopping }))
      }
    ]
  ])
  /** The back-office API (`@kaituan/http`) answers its own paths, with the raw URL (repeated query keys). */
  const apiRoute = (path: string, rawUrl: string, method: string): Route => {
    const operation = WebHandler.operationOf(method, path)
    return {
      pattern: operation?.path ?? (path.startsWith("/api/v1/") && path !== Api.openapiPath ? "/api/v1/*" : path),
      methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      maxBody: maxApiBody,
      handle: (req) =>
        Effect.promise(async (): Promise<Reply> => {
          const hasBody = WITH_BODY.has(req.method)
          const headers = new Headers()
          for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== "host") headers.set(k, v)
          const response = await api.handler(
            // The API never sees the Host header: its URLs are its own paths.
            new Request(new URL(rawUrl, "http://localhost"), {
              method: req.method,
              headers,
              ...(hasBody ? { body: req.rawBody as Uint8Array<ArrayBuffer> } : {})
            })
          )
          const out: Record<string, string> = {}
          response.headers.forEach((value, key) => {
            if (key !== "content-length" && key !== "transfer-encoding") out[key] = value
          })
          return {
            status: response.status,
            headers: out,
            body: new Uint8Array(await response.arrayBuffer()),
            ...(operation === undefined ? {} : { fields: { operation: operation.operation } }),
            // A change through the API (an order cancelled, a review resolved…) may tell buyers.
            ...(hasBody && response.status < 400 ? { accepted: true } : {})
          }
        })
    }
  }

  const routeOf = (path: string, rawUrl: string, method: string): Route | undefined => {
    if (WebHandler.isApiPath(path)) return apiRoute(path, rawUrl, method)
    const known = fixed.get(path)
    if (known) return known
    const pay = /^\/pay\/([^/]+)$/.exec(path)
    if (pay) {
      const orderId = decodeSegment(pay[1]!)
      return {
        pattern: "/pay/:orderId",
        methods: ["GET"],
        handle: (req) =>
          orderId === undefined
            ? Effect.succeed(text(400, "bad order id"))
            : Payments.checkoutPage(paymentCtx, integrations.gateways, orderId, req)
      }
    }
    const storeMap = /^\/logistics\/ecpay\/map\/([^/]+)$/.exec(path)
    if (storeMap) {
      const shipmentId = decodeSegment(storeMap[1]!)
      return {
        pattern: LogisticsRoutes.paths.map,
        methods: ["GET"],
        disabled: logistics ? undefined : LogisticsRoutes.NOT_CONFIGURED,
        handle: () =>
          logistics === undefined || shipmentId === undefined
            ? Effect.succeed(
                text(logistics ? 400 : 404, logistics ? "bad shipment id" : LogisticsRoutes.NOT_CONFIGURED)
              )
            : LogisticsRoutes.mapPage(logistics, publicUrl.url, shipmentId)
      }
    }
    const qr = /^\/qr\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\.png$/.exec(path)
    if (qr) {
      const token = qr[1]!
      return {
        pattern: "/qr/:token.png",
        methods: ["GET", "HEAD"],
        // The pickup code's QR image: the signed token stands for the shipment (PickupQr.ts).
        handle: () => PickupQr.image(qrKey, token)
      }
    }
    const api = /^\/api\/rounds\/([^/]+)$/.exec(path)
    if (api) {
      const id = decodeSegment(api[1]!)
      return {
        pattern: "/api/rounds/:id",
        methods: ["GET"],
        // The round's report names buyers and quotes comments: an organiser token only.
        handle: (req) =>
          Effect.flatMap(
            Tokens.Tokens.use((t) => t.authenticate(bearerOf(req.headers.authorization))),
            (actor): Effect.Effect<Reply, unknown> =>
              actor === undefined
                ? Effect.succeed({
                    ...json(401, {
                      error: "send Authorization: Bearer <token> (kaituan token create --role organiser)"
                    }),
                    headers: { "content-type": "application/json; charset=utf-8", "www-authenticate": "Bearer" }
                  })
                : actor.role !== "organiser"
                  ? Effect.succeed(json(403, { error: "the round's report needs an organiser token" }))
                  : report(req, id)
          )
      }
    }
    return undefined
  }

  const report = (req: Http.InboundRequest, id: string | undefined): Effect.Effect<Reply, unknown> =>
    id === undefined
      ? Effect.succeed(json(400, { error: "bad round id" }))
      : Effect.tryPromise({ try: () => reports.get(id), catch: (e) => e }).pipe(
          Effect.map((snapshot): Reply => {
            const gzipped = acceptsGzip(req.headers["accept-encoding"])
            // A gzipped body is another representation, so it has an ETag of its own.
            const etag = gzipped ? `${snapshot.etag.slice(0, -1)}-gzip"` : snapshot.etag
            // What the report shows is as of this time (it may be up to `reportMaxStaleMs` old).
            const headers = {
              etag,
              "cache-control": "no-cache",
              vary: "Accept-Encoding",
              "x-report-as-of": new Date(snapshot.at).toISOString()
            }
            const ifNoneMatch = req.headers["if-none-match"]
            return matches(ifNoneMatch, snapshot.etag) || matches(ifNoneMatch, etag)
              ? { status: 304, headers, body: "" }
              : {
                  status: 200,
                  headers: {
                    "content-type": "application/json; charset=utf-8",
                    ...headers,
                    ...(gzipped ? { "content-encoding": "gzip" } : {})
                  },
                  body: gzipped ? snapshot.gzip : snapshot.body
                }
          }),
          Effect.catchIf(
            (e) =>
              (e as { _tag?: unknown })._tag === "GroupBuyError" &&
              (e as GroupBuy.GroupBuyError).reason === "unknown-round",
            () => Effect.succeed(json(404, { error: "no such round" }))
          )
        )

  let stopping = false
  let inflight = 0
  let idleWaiters: Array<() => void> = []

  const send = (res: ServerResponse, reply: Reply, close: boolean) => {
    if (res.headersSent) return
    res.writeHead(reply.status, {
      ...reply.headers,
      "content-length": typeof reply.body === "string" ? Buffer.byteLength(reply.body) : reply.body.length,
      ...(close ? { connection: "close" } : {})
    })
    res.end(reply.body)
  }

  /** The answer to a refused body (`undefined`: the client went away). */
  const refusal = (e: Body.BodyError): Reply | undefined => {
    const status = Body.statusOf(e)
    if (status === undefined) return undefined
    const reply = { ...text(status, e.message), error: `BodyError:${e.reason}` }
    return status === 503 ? { ...reply, headers: { ...reply.headers, "retry-after": "1" } } : reply
  }

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now()
    const method = req.method ?? "GET"
    const rawUrl = req.url ?? "/"
    let pathname = rawUrl
    let query: Record<string, string> = {}
    if (!PLAIN_PATH.test(rawUrl)) {
      let url: URL
      try {
        url = new URL(rawUrl, "http://localhost")
      } catch {
        url = new URL("http://localhost/")
      }
      pathname = url.pathname
      query = queryOf(url)
    }
    // The back office's built files at /admin (examples/backoffice, Admin.ts): answered at once.
    if (Admin.adminRoute(req, res, pathname)) {
      log.info("request", {
        method,
        route: pathname === Admin.ADMIN_PREFIX ? Admin.ADMIN_PREFIX : `${Admin.ADMIN_PREFIX}/*`,
        status: res.statusCode,
        ms: Math.round((performance.now() - t0) * 10) / 10
      })
      return
    }
    const route = routeOf(pathname, rawUrl, method)
    let reply: Reply
    let closeAfter = false
    let body: Body.Body | undefined
    try {
      if (route === undefined) reply = text(404, "not found")
      else if (!route.methods.includes(method))
        reply = text(405, `${route.methods.join(", ")} only`, { allow: route.methods.join(", ") })
      else if (route.disabled !== undefined) reply = text(404, route.disabled)
      else {
        let refused: Reply | undefined
        if (WITH_BODY.has(method)) {
          const read = await Body.readBody(req, route.maxBody ?? maxBody, budget)
          if (read._tag === "BodyError") {
            refused = refusal(read)
            if (refused === undefined) {
              log.info("request", {
                method,
                route: route.pattern,
                status: 499,
                ms: Math.round(performance.now() - t0),
                channel: route.channel,
                note: "client went away"
              })
              return
            }
            // The rest of the body is not read: answer, then close the connection.
            closeAfter = true
          } else body = read
        }
        if (refused) reply = refused
        else {
          const inbound: Http.InboundRequest = {
            method,
            path: pathname,
            query,
            headers: headersOf(req),
            rawBody: body?.bytes ?? EMPTY
          }
          reply = await runtime.runPromise(
            route
              .handle(inbound)
              .pipe(
                Effect.catchCause((cause) =>
                  Effect.sync(() => ({ ...text(500, "internal error"), error: errorKind(Cause.squash(cause)) }))
                )
              )
          )
          // What a POST may have written is in the reports asked for from now on (a 4xx wrote nothing).
          if (WITH_BODY.has(method) && !(reply.status >= 400 && reply.status < 500)) {
            reports.invalidate()
            Effect.runSync(inboundService.invalidate)
          }
        }
      }
    } finally {
      if (body !== undefined) Body.release(budget, body)
    }
    if (closeAfter) Body.lingeringClose(req)
    send(res, reply, stopping || closeAfter)
    const ms = Math.round((performance.now() - t0) * 10) / 10
    const line = {
      method,
      route: route?.pattern ?? "(unknown)",
      status: reply.status,
      ms,
      ...(route?.channel !== undefined ? { channel: route.channel } : {}),
      ...(reply.counts !== undefined ? { counts: reply.counts } : {}),
      ...(reply.error !== undefined ? { error: reply.error } : {}),
      ...(reply.note !== undefined ? { note: reply.note } : {}),
      ...reply.fields
    }
    const level = reply.level ?? (reply.status >= 500 ? "error" : "info")
    log[level]("request", line)
    if (reply.accepted) kickRelay()
  }

  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout,
      // Node checks the two timeouts every this often (default 30 s, which let a slow body live
      // a whole interval past its timeout).
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeout / 4))),
      maxHeaderSize: 16_384
    },
    (req, res) => {
      inflight++
      serve(req, res)
        .catch((e) => {
          log.error("request", { method: req.method ?? "", status: 500, error: errorKind(e) })
          send(res, text(500, "internal error"), true)
        })
        .finally(() => {
          inflight--
          if (inflight === 0) {
            const waiters = idleWaiters
            idleWaiters = []
            for (const w of waiters) w()
          }
        })
    }
  )
  server.maxConnections = options.maxConnections ?? 512

  const host = options.host ?? "127.0.0.1"
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(options.port ?? 8787, host, () => {
        server.off("error", reject)
        resolve()
      })
    })
  } catch (e) {
    await runtime.dispose().catch(() => {})
    const code = (e as NodeJS.ErrnoException).code
    throw new Error(`cannot listen on ${host}:${options.port ?? 8787}: ${code ?? String(e)}`)
  }
  const address = server.address() as AddressInfo
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address

  scheduleCutoff()

  const withTimeout = (p: Promise<unknown>, ms: number) =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), ms)
      p.then(
        () => {
          clearTimeout(t)
          resolve(true)
        },
        () => {
          clearTimeout(t)
          resolve(true)
        }
      )
    })

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      stopping = true
      clearTimeout(cutoffTimer)
      // Stop accepting, but keep the open connections: `http.Server.close` would also close the
      // idle keep-alive ones at once, resetting requests already on their way on them. Requests
      // that arrive during the drain are answered, with `Connection: close`.
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()))
      const drained = inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))
      if (!(await withTimeout(drained, shutdownTimeout)))
        log.warn("shutdown", { note: "in-flight requests did not finish in time", inflight })
      // Idle keep-alive connections close at their keep-alive timeout (as their clients were
      // told), or after the next answer; the rest are closed when the drain time is up.
      if (!(await withTimeout(closed, drainMs))) {
        server.closeIdleConnections()
        if (!(await withTimeout(closed, 1_000))) server.closeAllConnections()
      }
      await closed
      // `http.Server.close` also stops its timeout checks (the listener is closed already).
      server.close()
      await closingRound
      await Relay.final((effect, signal) => runtime.runPromise(effect, { signal }), registry, log, shutdownTimeout)
      await api.dispose()
      await runtime.dispose()
      log.flush?.()
    })())

  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    roundId,
    firstToken,
    channels: [...integrations.channels.keys()],
    gateways: [...integrations.gateways.keys()],
    disabled: integrations.disabled,
    run,
    close
  }
}
