/**
 * `kaituan serve`'s HTTP server: `node:http` in front of one Effect runtime (a `ManagedRuntime`
 * over the app's layers: GroupBuy on SQLite or PostgreSQL, the parser, the comment batcher).
 *
 * Routes (CLI.md): `POST /webhooks/line`, `POST /webhooks/telegram`, `GET|POST /webhooks/facebook`,
 * `POST /payments/newebpay/notify`, `POST /payments/ecpay/notify`, `GET /pay/:orderId`,
 * `GET /api/rounds/:id`, `GET /healthz`. One JSON log line per request on the logger.
 * {@link RunningServer.close} shuts down gracefully: stop accepting, finish in-flight requests,
 * drain the outbox once more, close the database.
 */
import { timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { ChannelRegistry, GroupBuy, type Http, type Storage } from "@kaituan/core"
import { Cause, Effect, Layer, ManagedRuntime } from "effect"
import { appLayer } from "../Engine.js"
import { UsageError } from "../Io.js"
import { toJson } from "../Report.js"
import type { LoadedRound } from "../RoundFile.js"
import { readBody } from "./Body.js"
import * as CommentBatcher from "./CommentBatcher.js"
import * as Integrations from "./Integrations.js"
import { errorKind, type Logger, silent } from "./Log.js"
import * as Payments from "./Payments.js"
import * as Relay from "./Relay.js"
import { json, type Reply, text } from "./Reply.js"
import * as Webhooks from "./Webhooks.js"

/** What handlers run against. */
export type ServerContext = GroupBuy.GroupBuy | Storage.Storage | CommentBatcher.CommentBatcher

export interface ServerOptions {
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
  /** Secrets and settings (CLI.md); usually the process environment. */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly log?: Logger | undefined
  /** How long shutdown waits for in-flight requests, and then for the last outbox drain. Default 10 s. */
  readonly shutdownTimeoutMs?: number | undefined
  /** How often the outbox is drained when no webhook arrives (failed sends are retried). Default 15 s. */
  readonly relayIntervalMs?: number | undefined
}

export interface RunningServer {
  /** `http://host:port` */
  readonly url: string
  readonly port: number
  readonly roundId: string | undefined
  readonly channels: ReadonlyArray<string>
  readonly gateways: ReadonlyArray<string>
  readonly disabled: Integrations.Integrations["disabled"]
  /** Runs an effect on the server's runtime (tests, tools). */
  readonly run: <A, E>(effect: Effect.Effect<A, E, ServerContext>) => Promise<A>
  /** Resolves when no background outbox drain is running. */
  readonly relayIdle: () => Promise<void>
  /** Graceful shutdown; resolves when everything is closed. Calling it again returns the same promise. */
  readonly close: () => Promise<void>
}

interface Route {
  readonly pattern: string
  readonly methods: ReadonlyArray<string>
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

const sameSecret = (given: string | undefined, expected: string): boolean => {
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A path `new URL` keeps as it is: no query, escapes, dot segments or leading `//`. */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_\-/]*$/

const decodeSegment = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/** Starts the server; resolves once it listens. Throws a UsageError for bad configuration. */
export const start = async (options: ServerOptions): Promise<RunningServer> => {
  const log = options.log ?? silent
  const maxBody = options.maxBodyBytes ?? 1_048_576
  const shutdownTimeout = options.shutdownTimeoutMs ?? 10_000
  const integrations = Integrations.fromEnv(options.env)
  const apiToken = options.env.KAITUAN_API_TOKEN || undefined
  const round = options.round
  const roundId = round?.spec.id
  const paymentCtx: Payments.PaymentContext = {
    roundId,
    title: round?.spec.title,
    publicUrl: options.env.KAITUAN_PUBLIC_URL || undefined
  }
  const webhookCtx: Webhooks.WebhookContext = { roundId, seen: Webhooks.makeSeenEvents() }

  const runtime = ManagedRuntime.make(CommentBatcher.layer.pipe(Layer.provideMerge(appLayer(options.db))))
  const run = <A, E>(effect: Effect.Effect<A, E, ServerContext>): Promise<A> => runtime.runPromise(effect)
  try {
    await runtime.runPromise(
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        if (round) yield* g.openRound({ spec: round.spec })
      })
    )
  } catch (e) {
    await runtime.dispose().catch(() => {})
    const err = e as { _tag?: string; reason?: string; message?: string }
    if (err._tag === "GroupBuyError")
      throw new UsageError(`${round?.path ?? "round"}: cannot open the round: ${err.message ?? String(e)}`)
    throw new Error(`cannot open the database ${options.db}: ${err.message ?? String(e)}`)
  }

  const registry = ChannelRegistry.make([...integrations.channels.values()])
  const relay = Relay.make(
    (effect, signal) => runtime.runPromise(effect, signal ? { signal } : undefined),
    registry,
    log
  )

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
        relay.kick()
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
        adapter
          ? Webhooks.handle(webhookCtx, adapter, req)
          : Effect.succeed(text(404, Integrations.notConfigured(name)))
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
    [
      "/healthz",
      {
        pattern: "/healthz",
        methods: ["GET", "HEAD"],
        handle: () =>
          Effect.succeed(
            json(stopping ? 503 : 200, {
              status: stopping ? "stopping" : "ok",
              round: roundId ?? null,
              channels: [...integrations.channels.keys()],
              gateways: [...integrations.gateways.keys()]
            })
          )
      }
    ]
  ])
  const routeOf = (path: string): Route | undefined => {
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
    const api = /^\/api\/rounds\/([^/]+)$/.exec(path)
    if (api) {
      const id = decodeSegment(api[1]!)
      return {
        pattern: "/api/rounds/:id",
        methods: ["GET"],
        handle: (req) =>
          apiToken !== undefined && !sameSecret(req.headers.authorization, `Bearer ${apiToken}`)
            ? Effect.succeed({
                ...json(401, { error: "set Authorization: Bearer $KAITUAN_API_TOKEN" }),
                headers: { "content-type": "application/json; charset=utf-8", "www-authenticate": "Bearer" }
              })
            : id === undefined
              ? Effect.succeed(json(400, { error: "bad round id" }))
              : GroupBuy.GroupBuy.use((g) => g.report(id)).pipe(
                  Effect.map((report) => json(200, toJson(report))),
                  Effect.catchIf(
                    (e): e is GroupBuy.GroupBuyError => e._tag === "GroupBuyError" && e.reason === "unknown-round",
                    () => Effect.succeed(json(404, { error: "no such round" }))
                  )
                )
      }
    }
    return undefined
  }

  let stopping = false
  let inflight = 0
  let idleWaiters: Array<() => void> = []

  const send = (res: ServerResponse, reply: Reply, close: boolean) => {
    if (res.headersSent) return
    res.writeHead(reply.status, {
      ...reply.headers,
      "content-length": Buffer.byteLength(reply.body),
      ...(close ? { connection: "close" } : {})
    })
    res.end(reply.body)
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
    const route = routeOf(pathname)
    let reply: Reply
    let closeAfter = false
    if (route === undefined) reply = text(404, "not found")
    else if (!route.methods.includes(method))
      reply = text(405, `${route.methods.join(", ")} only`, { allow: route.methods.join(", ") })
    else if (route.disabled !== undefined) reply = text(404, route.disabled)
    else {
      let rawBody: Uint8Array = new Uint8Array()
      let early: Reply | undefined
      if (method === "POST") {
        const body = await readBody(req, maxBody)
        if (body._tag === "Aborted") {
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
        if (body._tag === "TooLarge") {
          early = text(413, `the body is larger than ${maxBody} bytes`)
          closeAfter = true
        } else rawBody = body.bytes
      }
      if (early) reply = early
      else {
        const inbound: Http.InboundRequest = {
          method,
          path: pathname,
          query,
          headers: headersOf(req),
          rawBody
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
      }
    }
    send(res, reply, stopping || closeAfter)
    if (closeAfter) res.once("finish", () => req.socket.destroy())
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
    if (reply.status >= 500) log.error("request", line)
    else log.info("request", line)
    if (reply.accepted) relay.kick()
  }

  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 },
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
  const relayTimer = setInterval(relay.kick, options.relayIntervalMs ?? 15_000)
  relayTimer.unref()
  relay.kick()

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
      clearInterval(relayTimer)
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const drained = inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))
      if (!(await withTimeout(drained, shutdownTimeout)))
        log.warn("shutdown", { note: "in-flight requests did not finish in time", inflight })
      server.closeIdleConnections()
      if (!(await withTimeout(closed, 1_000))) server.closeAllConnections()
      await closed
      await closingRound
      await relay.final(shutdownTimeout)
      await runtime.dispose()
      log.flush?.()
    })())

  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    roundId,
    channels: [...integrations.channels.keys()],
    gateways: [...integrations.gateways.keys()],
    disabled: integrations.disabled,
    run,
    relayIdle: relay.idle,
    close
  }
}
