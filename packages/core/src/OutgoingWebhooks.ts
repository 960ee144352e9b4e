/**
 * Signed outgoing webhooks: the public domain events (`DomainEvents`) POSTed to the URLs the host
 * configures, each signed the way Stripe signs, for embedders' systems (a CRM, a shop, a
 * spreadsheet bot). Not to be confused with the channels' inbound webhooks (`ChannelAdapter`).
 *
 * How a delivery is kept safe:
 * - A dispatcher (a fiber in {@link layer}'s scope) follows the events from a checkpoint and, for
 *   each event and each subscription that wants its type, schedules a durable job
 *   (`"webhook.deliver"`, id `webhook:<subscription>:<event id>`), the jobs and the new
 *   checkpoint in one commit. Scheduling the same id again changes nothing once it is done, so a
 *   crash or a second app instance never doubles a delivery job, and nothing is lost.
 * - The scheduler (`Scheduler.layer` with {@link handlers}) runs the jobs: one POST per attempt,
 *   retried with exponential back-off until the receiver answers 2xx, failed for good after
 *   `maxAttempts` (visible in `Storage.jobs`). A crash after the receiver took it but before the
 *   job was marked done sends it again with the same `Kaituan-Delivery` id: receivers
 *   de-duplicate by that header (or by the event's `id`).
 * - Deliveries are independent: a receiver that was down gets the backlog in any order; apply
 *   events in the order of their `position`.
 *
 * The request: `POST <url>`, body the event as JSON (`DomainEvents.DomainEvent`), headers
 * `Content-Type: application/json`, `Kaituan-Delivery: <stable id>`, `Kaituan-Event: <type>` and
 * `Kaituan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the
 * subscription's secret>`. Receivers check it with {@link verify}: the HMAC is compared in
 * constant time (WebCrypto's `verify`), and a timestamp older (or further in the future) than
 * the tolerance is refused, so a captured request cannot be replayed later.
 *
 * Privacy: bodies carry only what `DomainEvents` carries (ids, SKUs, quantities, amounts; no
 * names, user ids or comment text). Spans carry the subscription id, the delivery id, the event
 * type, the attempt and the HTTP status: never the URL (it may hold a token) or the body. Error
 * texts are masked before they are stored.
 *
 * Uses WebCrypto (`globalThis.crypto.subtle`) and the global `fetch`: no Node built-ins.
 *
 * @since 0.2.0
 */
import { Clock, Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import * as DomainEvents from "./DomainEvents.js"
import type { Fetch } from "./HttpClient.js"
import { maskSecrets } from "./OutboxRelay.js"
import { type Handlers, JobRejected, type RetryPolicy } from "./Scheduler.js"
import { type ClaimedJob, type ScheduledJob, Storage, type StorageError } from "./Storage.js"
import { describeCause } from "./internal/describeCause.js"

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

/** The signature header's name. */
export const SIGNATURE_HEADER = "Kaituan-Signature"
/** The header with the delivery's stable id (the same on every retry): de-duplicate by it. */
export const DELIVERY_HEADER = "Kaituan-Delivery"
/** The header with the event's type. */
export const EVENT_HEADER = "Kaituan-Event"

/** Why {@link verify} refused a request. */
export class WebhookSignatureError extends Schema.TaggedError<WebhookSignatureError>()("WebhookSignatureError", {
  reason: Schema.Literals(["missing", "malformed", "expired", "mismatch"]),
  message: Schema.String
}) {}

const encoder = new TextEncoder()

const secretText = (secret: Redacted.Redacted<string> | string): string =>
  typeof secret === "string" ? secret : Redacted.value(secret)

const hmacKey = (secret: string) =>
  Effect.tryPromise({
    try: () =>
      crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
        "verify"
      ]),
    catch: () => new WebhookSignatureError({ reason: "mismatch", message: "the secret cannot be used as a key" })
  })

/** The signed bytes: `"<t>."` followed by the body's bytes (a string body as UTF-8). */
const signedPayload = (timestamp: number, body: string | Uint8Array): Uint8Array<ArrayBuffer> => {
  const head = encoder.encode(`${timestamp}.`)
  const rest = typeof body === "string" ? encoder.encode(body) : body
  const out = new Uint8Array(head.length + rest.length)
  out.set(head, 0)
  out.set(rest, head.length)
  return out
}

const toHex = (bytes: ArrayBuffer): string => {
  let s = ""
  for (const b of new Uint8Array(bytes)) s += b.toString(16).padStart(2, "0")
  return s
}

const fromHex = (hex: string): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/**
 * The `Kaituan-Signature` header value for `body` signed at `timestamp` (unix seconds):
 * `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`.
 */
export const sign = (
  secret: Redacted.Redacted<string> | string,
  body: string | Uint8Array,
  timestamp: number
): Effect.Effect<string, WebhookSignatureError> =>
  Effect.gen(function* () {
    const key = yield* hmacKey(secretText(secret))
    const mac = yield* Effect.promise(() => crypto.subtle.sign("HMAC", key, signedPayload(timestamp, body)))
    return `t=${timestamp},v1=${toHex(mac)}`
  })

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** How far (in seconds) the signature's time may be from now, either way. Default 300. */
  readonly toleranceSec?: number | undefined
}

/** The most `v1` signatures one header may carry (several while a secret is rotated). */
const MAX_SIGNATURES = 8

/**
 * Checks a `Kaituan-Signature` header against the raw request body (the exact bytes received:
 * verify before parsing). Succeeds with the signature's timestamp; fails with
 * {@link WebhookSignatureError}: `missing` (no header), `malformed` (no `t=` or `v1=`),
 * `expired` (the timestamp is more than `toleranceSec` from the `Clock`'s now) or `mismatch`
 * (no `v1` is the HMAC of `"<t>.<body>"` under `secret`). The HMACs are compared in constant time
 * (WebCrypto's `subtle.verify`).
 *
 * @example
 * ```ts
 * // In a receiving route, with the raw body:
 * const { timestamp } = yield* OutgoingWebhooks.verify(secret, req.headers["kaituan-signature"], rawBody)
 * ```
 */
export const verify = (
  secret: Redacted.Redacted<string> | string,
  header: string | null | undefined,
  body: string | Uint8Array,
  options: VerifyOptions = {}
): Effect.Effect<{ readonly timestamp: number }, WebhookSignatureError> =>
  Effect.gen(function* () {
    if (header === undefined || header === null || header.trim() === "")
      return yield* new WebhookSignatureError({ reason: "missing", message: `no ${SIGNATURE_HEADER} header` })
    let timestamp: number | undefined
    const signatures: Array<string> = []
    for (const part of header.split(",")) {
      const i = part.indexOf("=")
      if (i < 0) continue
      const k = part.slice(0, i).trim()
      const v = part.slice(i + 1).trim()
      if (k === "t" && /^\d{1,12}$/.test(v)) timestamp = Number(v)
      else if (k === "v1" && /^[0-9a-fA-F]{64}$/.test(v) && signatures.length < MAX_SIGNATURES) signatures.push(v)
    }
    if (timestamp === undefined || signatures.length === 0)
      return yield* new WebhookSignatureError({
        reason: "malformed",
        message: `${SIGNATURE_HEADER} needs t=<unix seconds> and v1=<hex HMAC-SHA256>`
      })
    const nowSec = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const tolerance = options.toleranceSec ?? 300
    if (Math.abs(nowSec - timestamp) > tolerance)
      return yield* new WebhookSignatureError({
        reason: "expired",
        message: `the signature's time is more than ${tolerance} s from now`
      })
    const key = yield* hmacKey(secretText(secret))
    const payload = signedPayload(timestamp, body)
    for (const sig of signatures) {
      const ok = yield* Effect.promise(() => crypto.subtle.verify("HMAC", key, fromHex(sig), payload))
      if (ok) return { timestamp }
    }
    return yield* new WebhookSignatureError({ reason: "mismatch", message: "no signature matches the body" })
  })

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

const isHttpUrl = (s: string): boolean => {
  try {
    const u = new URL(s)
    return u.protocol === "https:" || u.protocol === "http:"
  } catch {
    return false
  }
}

/** One receiver: where to POST, the secret to sign with, and which event types it wants. */
export const Subscription = Schema.Struct({
  /** Stable id (letters, digits, `_`, `-`; at most 64): part of every delivery's id. */
  id: Schema.String.check(Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)),
  /** An `https:` (or, for local receivers, `http:`) URL. */
  url: Schema.String.check(Schema.makeFilter(isHttpUrl, { message: "expected an http(s) URL" })),
  /** The signing secret, at least 16 characters; share it with the receiver only. */
  secret: Schema.Redacted(Schema.String.check(Schema.isMinLength(16))),
  /** Event types to deliver; `"*"` for all (including types added later). */
  events: Schema.NonEmptyArray(Schema.Union([DomainEvents.EventType, Schema.Literal("*")]))
})
/** A decoded subscription (secret `Redacted`). */
export type Subscription = typeof Subscription.Type

/** {@link layer}'s options. */
export const Options = Schema.Struct({
  subscriptions: Schema.Array(Subscription).check(
    Schema.makeFilter((subs) => new Set(subs.map((s) => s.id)).size === subs.length, {
      message: "subscription ids must be unique"
    })
  ),
  /** How long the dispatcher waits when there is nothing new. Default 1 s. */
  pollMs: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** Stored events read per dispatcher pass. Default 200. */
  batch: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** One POST's time limit. Default 10 s. */
  timeoutMs: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /**
   * Where a dispatcher with no checkpoint yet starts: `"end"` (default: only events stored from
   * now on) or `"beginning"` (the whole history).
   */
  startAt: Schema.optional(Schema.Literals(["end", "beginning"]))
})
/** Decoded options. */
export type Options = typeof Options.Type

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

/** The job kind of one delivery. */
export const DELIVER = "webhook.deliver"
/** The job that keeps the dispatcher's checkpoint (never due; its payload is `{ position }`). */
export const CHECKPOINT = "webhook.checkpoint"
const CHECKPOINT_ID = "webhook:checkpoint"
const NEVER = "9999-12-31T23:59:59.999Z"

/** The stable id of the delivery of one event to one subscription (also the job's id). */
export const deliveryId = (subscriptionId: string, eventId: string): string => `webhook:${subscriptionId}:${eventId}`

/** A delivery job's payload. */
export const DeliveryPayload = Schema.Struct({ subscriptionId: Schema.String, event: DomainEvents.DomainEvent })

/** Why one POST failed (the job is retried). */
export class DeliveryFailed extends Schema.TaggedError<DeliveryFailed>()("DeliveryFailed", {
  reason: Schema.Literals(["status", "transport", "timeout"]),
  status: Schema.optional(Schema.Int),
  message: Schema.String
}) {}

/** The service {@link layer} provides. */
export interface OutgoingWebhooksService {
  /** The configured subscriptions (secrets `Redacted`). */
  readonly subscriptions: ReadonlyArray<Subscription>
  /** Runs one delivery job: one signed POST. The `"webhook.deliver"` handler calls this. */
  readonly deliver: (job: ClaimedJob) => Effect.Effect<void, DeliveryFailed | JobRejected>
  /**
   * One dispatcher pass: schedules the deliveries of the events after the checkpoint (at most
   * `batch` stored events) and moves the checkpoint, in one commit; returns how many deliveries
   * it scheduled. The layer's fiber runs it; tests call it directly.
   */
  readonly dispatch: Effect.Effect<number, StorageError>
}

/** The service's tag. */
export class OutgoingWebhooks extends Context.Service<OutgoingWebhooks, OutgoingWebhooksService>()(
  "@kaituan/core/OutgoingWebhooks"
) {}

/** The default retry policy of deliveries: 10 attempts, 30 s doubling up to 6 hours (about a day in all). */
export const defaultRetry: RetryPolicy = { maxAttempts: 10, baseDelayMs: 30_000, maxDelayMs: 6 * 3_600_000 }

/**
 * The scheduler handlers for deliveries, to merge into `Scheduler.layer`'s:
 * `handlers: { ...Scheduler.builtIn, ...OutgoingWebhooks.handlers() }`. `retry` defaults to
 * {@link defaultRetry}.
 */
export const handlers = (retry: RetryPolicy = defaultRetry) =>
  ({
    [DELIVER]: {
      run: (job: ClaimedJob) => OutgoingWebhooks.use((s) => s.deliver(job)),
      retry
    }
  }) as const satisfies Handlers

const decodePayload = Schema.decodeUnknownEffect(DeliveryPayload)
const encodeEvent = Schema.encodeSync(DomainEvents.DomainEvent)

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/**
 * Builds the service (see {@link layer}): decodes the options, and uses `fetch` (default: the
 * global one) for the POSTs.
 */
export const make = (options: typeof Options.Encoded, fetchImpl?: Fetch) =>
  Effect.gen(function* () {
    const config = yield* Schema.decodeUnknownEffect(Options)(options)
    const storage = yield* Storage
    const doFetch: Fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init))
    const byId = new Map(config.subscriptions.map((s) => [s.id, s] as const))
    const timeoutMs = config.timeoutMs ?? 10_000
    const batch = config.batch ?? 200
    const readPage = yield* DomainEvents.makeReader({ batch })

    const deliver = (job: ClaimedJob): Effect.Effect<void, DeliveryFailed | JobRejected> =>
      Effect.gen(function* () {
        const { subscriptionId, event } = yield* decodePayload(job.payload).pipe(
          Effect.mapError(() => new JobRejected({ message: "a webhook delivery's payload does not decode" }))
        )
        const sub = byId.get(subscriptionId)
        if (sub === undefined)
          return yield* new JobRejected({ message: `webhook subscription "${subscriptionId}" is not configured` })
        yield* Effect.annotateCurrentSpan({
          "kaituan.webhook.subscription": sub.id,
          "kaituan.event.type": event.type
        })
        const body = JSON.stringify(encodeEvent(event))
        const t = Math.floor((yield* Clock.currentTimeMillis) / 1000)
        const signature = yield* sign(sub.secret, body, t).pipe(
          Effect.mapError((e) => new JobRejected({ message: e.message }))
        )
        const status = yield* Effect.tryPromise({
          try: async (signal) => {
            const res = await doFetch(sub.url, {
              method: "POST",
              redirect: "manual",
              signal,
              headers: {
                "content-type": "application/json",
                "user-agent": "kaituan-webhooks/1",
                [DELIVERY_HEADER]: job.id,
                [EVENT_HEADER]: event.type,
                [SIGNATURE_HEADER]: signature
              },
              body
            })
            await res.body?.cancel().catch(() => undefined)
            return res.status
          },
          catch: (e) =>
            new DeliveryFailed({
              reason: "transport",
              message: maskSecrets(e instanceof Error ? `${e.message}${causeOf(e)}` : String(e))
            })
        }).pipe(
          Effect.timeoutOrElse({
            duration: Duration.millis(timeoutMs),
            orElse: () =>
              Effect.fail(new DeliveryFailed({ reason: "timeout", message: `no answer within ${timeoutMs} ms` }))
          })
        )
        yield* Effect.annotateCurrentSpan("http.response.status_code", status)
        if (status < 200 || status > 299)
          return yield* new DeliveryFailed({ reason: "status", status, message: `the receiver answered ${status}` })
      }).pipe(
        Effect.withSpan(
          "OutgoingWebhooks.deliver",
          {
            attributes: { "kaituan.webhook.delivery": job.id, "kaituan.attempt": job.attempts }
          },
          { captureStackTrace: false }
        )
      )

    /** The dispatcher's position: read from storage once, then kept here. */
    let cursor: number | undefined

    const lastPosition = Effect.gen(function* () {
      let at = 0
      for (;;) {
        const page = yield* storage.readAll(at, 1_000)
        if (page.length === 0) return at
        at = page[page.length - 1]!.position
      }
    })

    const checkpointJob = (position: number): ScheduledJob => ({
      id: CHECKPOINT_ID,
      kind: CHECKPOINT,
      dueAt: NEVER,
      payload: { position }
    })

    const start = Effect.gen(function* () {
      const [saved] = yield* storage.jobs({ kind: CHECKPOINT, limit: 1 })
      const position = (saved?.payload as { readonly position?: unknown } | undefined)?.position
      if (typeof position === "number" && Number.isSafeInteger(position) && position >= 0) return position
      // No checkpoint yet: keep where this dispatcher starts, so a restart misses nothing.
      const from = config.startAt === "beginning" ? 0 : yield* lastPosition
      yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: [checkpointJob(from)] }])
      return from
    })

    /** One pass; `full`: it read a whole batch, so more may be waiting. */
    const pass = Effect.gen(function* () {
      const after = cursor ?? (yield* start)
      cursor = after
      const page = yield* readPage(after)
      if (page.next === after) return { scheduled: 0, full: false }
      const now = yield* nowIso
      const jobs: Array<ScheduledJob> = []
      for (const event of page.events)
        for (const sub of config.subscriptions)
          if (sub.events.includes("*") || sub.events.includes(event.type))
            jobs.push({
              id: deliveryId(sub.id, event.id),
              kind: DELIVER,
              dueAt: now,
              payload: { subscriptionId: sub.id, event: encodeEvent(event) }
            })
      yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: [...jobs, checkpointJob(page.next)] }])
      cursor = page.next
      yield* Effect.annotateCurrentSpan("kaituan.webhook.scheduled", jobs.length)
      return { scheduled: jobs.length, full: page.full }
    }).pipe(Effect.withSpan("OutgoingWebhooks.dispatch", undefined, { captureStackTrace: false }))

    return {
      subscriptions: config.subscriptions,
      deliver,
      dispatch: Effect.map(pass, (p) => p.scheduled),
      pass,
      pollMs: config.pollMs ?? 1_000
    }
  })

const causeOf = (e: Error): string => {
  const cause = (e as { readonly cause?: unknown }).cause
  return cause instanceof Error ? ` (${cause.message})` : ""
}

/** Options of {@link layer} that are not data. */
export interface LayerExtras {
  /** The fetch used for POSTs (default: the global `fetch`). */
  readonly fetch?: Fetch | undefined
  /** Run the dispatcher in this process (default true). A worker that only delivers sets false. */
  readonly dispatch?: boolean | undefined
}

/**
 * Provides {@link OutgoingWebhooks} and runs its dispatcher: a fiber in the layer's scope that
 * schedules deliveries as events are stored, waits `pollMs` when there is nothing new, and stops
 * when the scope closes. A failed pass is logged (no personal data) and tried again. The
 * deliveries themselves run in the scheduler: add {@link handlers} to `Scheduler.layer`.
 *
 * @example
 * ```ts
 * const webhooks = OutgoingWebhooks.layer({
 *   subscriptions: [
 *     { id: "crm", url: "https://crm.example/kaituan", secret: Redacted.make(secret), events: ["order.placed", "payment.matched"] }
 *   ]
 * })
 * const scheduler = Scheduler.layer({ handlers: { ...Scheduler.builtIn, ...OutgoingWebhooks.handlers() } })
 * const app = scheduler.pipe(Layer.provideMerge(webhooks), Layer.provide(GroupBuy.layer), Layer.provide(storage))
 * ```
 */
export const layer = (
  options: typeof Options.Encoded,
  extras: LayerExtras = {}
): Layer.Layer<OutgoingWebhooks, Schema.SchemaError, Storage> =>
  Layer.effect(
    OutgoingWebhooks,
    Effect.gen(function* () {
      const service = yield* make(options, extras.fetch)
      if (extras.dispatch !== false && service.subscriptions.length > 0) {
        const pass = service.pass.pipe(
          Effect.catchCause((cause) =>
            Effect.as(
              Effect.logWarning("OutgoingWebhooks: dispatch failed; trying again", { error: describeCause(cause) }),
              { scheduled: 0, full: false }
            )
          )
        )
        yield* Effect.forkScoped(
          Effect.gen(function* () {
            for (;;) {
              const { full } = yield* pass
              if (!full) yield* Effect.sleep(service.pollMs)
            }
          })
        )
      }
      return { subscriptions: service.subscriptions, deliver: service.deliver, dispatch: service.dispatch }
    })
  )
