/**
 * The one outbound HTTP stack of the channel adapters and payment gateways, built on Effect's
 * `HttpClient` (`effect/http`). Every call to LINE, Telegram, the Graph API or a payment gateway
 * goes through {@link make}'s {@link Client}, which gives them all the same behaviour:
 *
 * - **one retry policy** ({@link RetryPolicy}, a Schema): exponential back-off with jitter,
 *   capped, at least the server's `Retry-After`, retrying only what is safe to retry (network
 *   errors, timeouts, 429 and 5xx — or what an adapter classifies as such, e.g. Graph's rate
 *   limit codes), never a refusal; a `Retry-After` longer than `maxRetryAfterMs` is not waited for;
 * - **one timeout** per attempt (`timeoutMs`), which aborts the request;
 * - **a span per attempt** (`POST /bot{token}/sendMessage`, kind `client`) whose attributes carry
 *   no personal data and no secret: method, host, the path *template*, status, attempt (made when
 *   a tracer that records is installed, so an app's OpenTelemetry layer sees every call);
 * - **errors as data** ({@link HttpError}) that map to the ports' reasons
 *   ({@link toChannelError}, {@link toGatewayError}), with every secret masked in their text
 *   (tokens in URLs such as Telegram's `/bot<token>/`, `access_token=` parameters, bearer tokens).
 *
 * The transport is any Effect `HttpClient`: the fetch-based one by default
 * ({@link fetchTransport}), a buffered one from a function ({@link makeTransport}, how the LINE
 * adapter talks `node:http`), or an app's own (`@effect/platform-node`'s, a test double).
 *
 * @example
 * ```ts
 * import { HttpClient } from "@kaituan/core"
 * import { Effect } from "effect"
 *
 * const api = HttpClient.make({ service: "Example API", retry: { retries: 2 }, timeoutMs: 5_000 })
 * const program = api
 *   .execute({ method: "GET", url: "https://api.example.com/v1/items/42", template: "/v1/items/{id}" })
 *   .pipe(Effect.mapError(HttpClient.toChannelError))
 * ```
 *
 * @since 0.1.0
 */
import { Data, Duration, Effect, Option, Redacted, References, Result, Schedule, Schema, Tracer } from "effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpBody from "effect/http/HttpBody"
import * as EffectHttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Url from "effect/http/Url"
import * as ChannelAdapter from "./ChannelAdapter.js"
import * as Buffered from "./internal/bufferedResponse.js"
import * as PaymentGateway from "./PaymentGateway.js"

// ---------------------------------------------------------------------------------------------
// Small helpers adapters share
// ---------------------------------------------------------------------------------------------

/** A fetch function (the global one by default). */
export type Fetch = (input: string, init?: RequestInit) => Promise<globalThis.Response>

/**
 * An id as one URL path segment, or `undefined` when it cannot be one: not a well-formed string
 * (a lone surrogate, which `encodeURIComponent` throws on), empty, a dot segment, or longer than
 * 256 characters. Every adapter puts platform ids into URLs through this, never
 * `encodeURIComponent` alone.
 */
export const pathSegment = (id: string): string | undefined => {
  if (id.length === 0 || id.length > 256 || id === "." || id === "..") return undefined
  try {
    return encodeURIComponent(id)
  } catch {
    return undefined
  }
}

/**
 * How long a `Retry-After` header asks to wait, in milliseconds: delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3); `undefined` when there is no header or it cannot be read.
 */
export const retryAfterMs = (value: string | null | undefined, nowMs: number = Date.now()): number | undefined => {
  if (value === null || value === undefined || value.trim() === "") return undefined
  const secs = Number(value.trim())
  if (Number.isFinite(secs)) return Math.max(0, Math.round(secs * 1000))
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

const MASK = "***"

/** What looks like a secret wherever it appears: bot tokens in paths, token query parameters, bearer credentials. */
const secretPatterns: ReadonlyArray<readonly [RegExp, string]> = [
  [/\/bot\d+:[A-Za-z0-9_-]+/g, `/bot${MASK}`],
  [/([?&;](?:access_token|appsecret_proof|token|secret|key|signature)=)[^&#\s"']+/gi, `$1${MASK}`],
  [/(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}/gi, `$1${MASK}`]
]

/**
 * `text` with every secret replaced by `***`: the given values (and their URL-encoded forms),
 * Telegram-style `/bot<id>:<token>` path segments, `access_token=` / `appsecret_proof=` / `token=`
 * style parameters, and `Bearer` / `Basic` credentials.
 */
export const mask = (
  text: string,
  secrets: ReadonlyArray<Redacted.Redacted<string> | string | undefined> = []
): string => {
  let out = text
  for (const s of secrets) {
    const value = s === undefined ? "" : typeof s === "string" ? s : Redacted.value(s)
    if (value.length < 4) continue
    for (const form of new Set([value, encodeURIComponent(value)]))
      if (out.includes(form)) out = out.split(form).join(MASK)
  }
  for (const [pattern, replacement] of secretPatterns) out = out.replace(pattern, replacement)
  return out
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Millis = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveMillis = Schema.Finite.check(Schema.isGreaterThan(0))

/**
 * How failed calls are retried: the one retry shape of every adapter and gateway. Every field is
 * optional; {@link defaultRetryPolicy} fills in the rest.
 */
export const RetryPolicy = Schema.Struct({
  /** Retries after the first attempt (default 3; 0: never retry). */
  retries: Schema.optional(NonNegativeInt),
  /** First back-off delay in ms, doubled each retry and jittered ±20 % (default 500). */
  baseDelayMs: Schema.optional(Millis),
  /** Upper bound of one back-off delay in ms (default 8,000); a longer `Retry-After` still wins. */
  maxDelayMs: Schema.optional(Millis),
  /** A `Retry-After` longer than this (ms) is not waited for: the call fails at once (default 30,000). */
  maxRetryAfterMs: Schema.optional(Millis),
  /** @deprecated Use `retries`. */
  maxRetries: Schema.optional(NonNegativeInt),
  /** @deprecated Use the adapter's `timeoutMs` option. */
  timeoutMs: Schema.optional(PositiveMillis)
})
/** A retry policy (all fields optional). */
export type RetryPolicy = typeof RetryPolicy.Type

/** A retry policy with every field set. */
export interface ResolvedRetryPolicy {
  readonly retries: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly maxRetryAfterMs: number
}

/** 3 retries from 500 ms, at most 8 s apart, honouring `Retry-After` up to 30 s. */
export const defaultRetryPolicy: ResolvedRetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000
}

/** The timeout of one attempt unless an adapter sets another (15 s). */
export const defaultTimeoutMs = 15_000

/** A policy with the defaults filled in (and the deprecated `maxRetries` read as `retries`). */
export const resolveRetryPolicy = (policy: RetryPolicy | undefined): ResolvedRetryPolicy => ({
  retries: policy?.retries ?? policy?.maxRetries ?? defaultRetryPolicy.retries,
  baseDelayMs: policy?.baseDelayMs ?? defaultRetryPolicy.baseDelayMs,
  maxDelayMs: policy?.maxDelayMs ?? defaultRetryPolicy.maxDelayMs,
  maxRetryAfterMs: policy?.maxRetryAfterMs ?? defaultRetryPolicy.maxRetryAfterMs
})

/** An Effect `HttpClient` that carries the requests (see {@link fetchTransport}, {@link makeTransport}). */
export type Transport = EffectHttpClient.HttpClient

/** The Schema of a {@link Transport} option (any Effect `HttpClient`). */
export const TransportSchema: Schema.declare<Transport> = Schema.declare(
  (u: unknown): u is Transport => EffectHttpClient.isHttpClient(u),
  { expected: "an Effect HttpClient" }
)

/** The Schema of a {@link Fetch} option (any function). */
export const FetchSchema: Schema.declare<Fetch> = Schema.declare((u: unknown): u is Fetch => typeof u === "function", {
  expected: "a fetch function"
})

/**
 * The outbound options every adapter and gateway takes, as Schema fields to spread into its own
 * `Options` Struct: `retry`, `timeoutMs`, and the transport (`httpClient`, or `fetch`).
 */
export const OptionsFields = {
  /** How failed calls are retried (see {@link RetryPolicy}). */
  retry: Schema.optional(RetryPolicy),
  /** Timeout of one attempt in ms (the adapter's default otherwise). */
  timeoutMs: Schema.optional(PositiveMillis),
  /** The Effect `HttpClient` to send with (wins over `fetch`). */
  httpClient: Schema.optional(TransportSchema),
  /** A fetch function to send with (Effect's fetch-based client over it). */
  fetch: Schema.optional(FetchSchema)
}

/** {@link OptionsFields} as a Struct. */
export const Options = Schema.Struct(OptionsFields)
/** The outbound options. */
export type Options = typeof Options.Type

// ---------------------------------------------------------------------------------------------
// Transports
// ---------------------------------------------------------------------------------------------

let fetchBased: Transport | undefined

const fetchClient = (): Transport => {
  fetchBased ??= Effect.runSync(
    Effect.gen(function* () {
      return yield* EffectHttpClient.HttpClient
    }).pipe(Effect.provide(FetchHttpClient.layer))
  )
  return fetchBased
}

/** Effect's fetch-based `HttpClient`, over `fetch` when given, else over the global `fetch`. */
export const fetchTransport = (fetch?: Fetch | undefined): Transport => {
  const base = fetchClient()
  if (fetch === undefined) return base
  const viaString: typeof globalThis.fetch = (input, init) =>
    fetch(input instanceof globalThis.Request ? input.url : String(input), init)
  return EffectHttpClient.transformResponse(base, Effect.provideService(FetchHttpClient.Fetch, viaString))
}

/** What a {@link makeTransport} function is asked to send. */
export interface TransportRequest {
  readonly method: string
  readonly url: URL
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | undefined
}

/** A whole answer from a {@link makeTransport} function. */
export type TransportResponse = Buffered.Buffered

/** A send function of {@link makeTransport}. */
export type Send = (request: TransportRequest, signal: AbortSignal) => Promise<TransportResponse>

/** The failure a transport of {@link makeTransport} gives when its timeout fires (the client reads it as `timeout`). */
class TransportTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`)
  }
}

/** Marks the transports of {@link makeTransport}: the client gives them its timeout, and needs no wrapper. */
const OwnTransport = Symbol.for("@kaituan/core/HttpClient/OwnTransport")

interface Own {
  readonly [OwnTransport]: (timeoutMs: number | undefined) => Transport
}

const isOwn = (t: Transport): t is Transport & Own => OwnTransport in t

const ownTransport = (send: Send, timeoutMs: number | undefined): Transport => {
  const run = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.callback<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
      const body = request.body
      if (body._tag !== "Empty" && body._tag !== "Uint8Array") {
        resume(Effect.fail(transportFailure(request, `a ${body._tag} body is not supported by this transport`)))
        return
      }
      let url: URL
      try {
        url =
          request.urlParams.params.length === 0 && request.hash._tag === "None"
            ? new URL(request.url)
            : Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash)).pipe(Result.getOrThrow)
      } catch (cause) {
        resume(
          Effect.fail(
            new HttpClientError.HttpClientError({ reason: new HttpClientError.InvalidUrlError({ request, cause }) })
          )
        )
        return
      }
      const controller = new AbortController()
      let done = false
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              if (done) return
              done = true
              controller.abort()
              resume(Effect.fail(transportFailure(request, "timeout", new TransportTimeout(timeoutMs))))
            }, timeoutMs)
      const finish = (
        result: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
      ) => {
        if (done) return
        done = true
        if (timer !== undefined) clearTimeout(timer)
        resume(result)
      }
      let sending: Promise<TransportResponse>
      try {
        sending = send(
          {
            method: request.method,
            url,
            headers: request.headers,
            body: body._tag === "Uint8Array" ? body.body : undefined
          },
          controller.signal
        )
      } catch (cause) {
        sending = Promise.reject(cause)
      }
      sending.then(
        (raw) => finish(Effect.succeed(Buffered.make(request, url, raw))),
        (cause) => finish(Effect.fail(transportFailure(request, undefined, cause)))
      )
      return Effect.sync(() => {
        if (done) return
        done = true
        if (timer !== undefined) clearTimeout(timer)
        controller.abort()
      })
    })
  const client: Transport = EffectHttpClient.makeWith(
    (request: Effect.Effect<HttpClientRequest.HttpClientRequest, HttpClientError.HttpClientError>) =>
      Effect.flatMap(request, run),
    Effect.succeed as EffectHttpClient.HttpClient.Preprocess<HttpClientError.HttpClientError, never>
  )
  return Object.assign(client, { [OwnTransport]: (ms: number | undefined) => ownTransport(send, ms) })
}

/**
 * An Effect `HttpClient` from a function that sends one request and resolves with the whole
 * answer (status, headers, body bytes or text); `signal` aborts when the call is interrupted or
 * times out. The answer is read without Web streams, and the client gives such a transport its
 * timeout directly, so a call costs much less than through `fetch` (the LINE adapter's
 * `node:http` transport is one). Effect's own client span is not made: the stack's replaces it.
 */
export const makeTransport = (send: Send): Transport => ownTransport(send, undefined)

const transportFailure = (
  request: HttpClientRequest.HttpClientRequest,
  description: string | undefined,
  cause?: unknown
): HttpClientError.HttpClientError =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError({
      request,
      ...(description === undefined ? {} : { description }),
      ...(cause === undefined ? {} : { cause })
    })
  })

const alwaysUntraced = () => true

/** The transport with Effect's own client span off: ours replaces it, without the full URL (which may hold a token). */
const untraced = (t: Transport): Transport =>
  EffectHttpClient.transformResponse(t, Effect.provideService(EffectHttpClient.TracerDisabledWhen, alwaysUntraced))

// ---------------------------------------------------------------------------------------------
// Requests, answers, errors
// ---------------------------------------------------------------------------------------------

/** One outbound call. */
export interface Call {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  /** The full URL (it may hold secrets: they never reach a span or an error text). */
  readonly url: string
  /**
   * The path with placeholders for ids and secrets, as spans show it:
   * `/v2/bot/group/{groupId}/member/{userId}`, `/bot{token}/sendMessage`.
   */
  readonly template: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** A JSON body (sent as `application/json`). */
  readonly json?: unknown
  /** A body as text with its content type (a form, say). */
  readonly body?: { readonly text: string; readonly contentType: string } | undefined
  /**
   * Whether a transient failure may be retried (default `true`). `false` for calls that are not
   * safe to repeat, such as a LINE reply with its single-use token.
   */
  readonly retry?: boolean | undefined
  /** How to read an answer (default {@link classify}): a platform that reports rate limits in its body says so here. */
  readonly classify?: ((response: Answer) => Outcome) | undefined
}

/** An answer, read in full. */
export interface Answer {
  readonly status: number
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly text: string
  /** The text parsed as JSON, or `undefined` when it is empty or not JSON. */
  readonly body: unknown
}

/** What an answer means for the call. */
export type Outcome =
  | { readonly _tag: "Ok" }
  /** Slow down: retried after `retryAfterMs` (or the back-off), then `rate-limited`. */
  | { readonly _tag: "RateLimited"; readonly retryAfterMs?: number | undefined }
  /** A temporary failure of the service: retried, then `unavailable`. */
  | { readonly _tag: "Unavailable" }
  /** The service refused the request: never retried. */
  | { readonly _tag: "Refused" }

/** The {@link Outcome}s. */
export const Outcome = {
  ok: { _tag: "Ok" } as Outcome,
  unavailable: { _tag: "Unavailable" } as Outcome,
  refused: { _tag: "Refused" } as Outcome,
  rateLimited: (retryAfterMs?: number | undefined): Outcome =>
    retryAfterMs === undefined ? { _tag: "RateLimited" } : { _tag: "RateLimited", retryAfterMs }
} as const

/** The default reading: 2xx ok; 429 rate-limited (after `Retry-After`); 408 and 5xx unavailable; the rest refused. */
export const classify = (response: Answer): Outcome => {
  const s = response.status
  if (s >= 200 && s < 300) return Outcome.ok
  if (s === 429) return Outcome.rateLimited(retryAfterMs(response.headers["retry-after"]))
  if (s === 408 || s >= 500) return Outcome.unavailable
  return Outcome.refused
}

/** Why a call failed. */
export type Reason =
  /** The service could not be reached (connection refused or reset, DNS…). */
  | "transport"
  /** No answer within the timeout. */
  | "timeout"
  /** It asked to slow down, longer or more often than the policy waits. */
  | "rate-limited"
  /** It answered with a temporary failure (5xx) until the retries ran out. */
  | "unavailable"
  /** It refused the request (4xx). */
  | "refused"
  /** The request could not be built (a malformed URL, a body that is not JSON). */
  | "invalid-request"

/** A failed call. Its `message` never holds a secret. */
export class HttpError extends Data.TaggedError("HttpError")<{
  readonly reason: Reason
  readonly message: string
  readonly method: string
  /** The request's path template (no ids, no secrets). */
  readonly template: string
  /** Attempts made. */
  readonly attempts: number
  readonly status?: number | undefined
  /** How long the service asked to wait, when it said. */
  readonly retryAfterMs?: number | undefined
}> {
  /**
   * The answer, for a status failure (adapters read the platform's own error from it). Not
   * enumerable, so logging the error never prints a body that may hold personal data.
   */
  declare readonly response: Answer | undefined

  /** An error with the answer it came from. */
  static make(props: ConstructorParameters<typeof HttpError>[0], response?: Answer | undefined): HttpError {
    const e = new HttpError(props)
    Object.defineProperty(e, "response", { value: response, enumerable: false })
    return e
  }

  /** Whether another attempt may succeed (the retry policy retries only these). */
  get transient(): boolean {
    return (
      this.reason === "transport" ||
      this.reason === "timeout" ||
      this.reason === "rate-limited" ||
      this.reason === "unavailable"
    )
  }
}

/** A platform's own short error text in a JSON answer (`message`, `description`, `error.message`…). */
const platformHint = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const b = body as Record<string, unknown>
  const nested = typeof b.error === "object" && b.error !== null ? (b.error as Record<string, unknown>) : undefined
  for (const v of [b.message, b.description, nested?.message, b.error_description, b.Message])
    if (typeof v === "string" && v.trim() !== "") return v.trim().slice(0, 200)
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Retry policy as a Schedule
// ---------------------------------------------------------------------------------------------

/** Whether a failure may be retried, and after how long at least; `undefined`: never. */
export type Judge<E> = (error: E) => { readonly retryAfterMs?: number | undefined } | undefined

/**
 * The retry policy as a `Schedule` over failures `E`: exponential back-off from `baseDelayMs`,
 * doubled each time, jittered, capped at `maxDelayMs`, at least the failure's `retryAfterMs`, at
 * most `retries` times, and only while `judge` says the failure may be retried and its
 * `retryAfterMs` is within `maxRetryAfterMs`.
 */
export const retryScheduleWith = <E>(
  policy: RetryPolicy | undefined,
  judge: Judge<E>
): Schedule.Schedule<Duration.Duration, E> => {
  const p = resolveRetryPolicy(policy)
  return Schedule.max([
    Schedule.exponential(Duration.millis(p.baseDelayMs), 2).pipe(Schedule.jittered),
    Schedule.recurs(p.retries)
  ]).pipe(
    Schedule.setInputType<E>(),
    Schedule.while(({ input }) => {
      const verdict = judge(input)
      return verdict !== undefined && (verdict.retryAfterMs ?? 0) <= p.maxRetryAfterMs
    }),
    Schedule.modifyDelay(({ input, duration }) =>
      Effect.succeed(
        Duration.max(
          Duration.min(duration, Duration.millis(p.maxDelayMs)),
          Duration.millis(judge(input)?.retryAfterMs ?? 0)
        )
      )
    )
  ) as Schedule.Schedule<Duration.Duration, E>
}

const judgeHttpError: Judge<HttpError> = (e) => (e.transient ? { retryAfterMs: e.retryAfterMs } : undefined)

/** {@link retryScheduleWith} for {@link HttpError}s: retries the transient ones. */
export const retrySchedule = (policy: RetryPolicy | undefined): Schedule.Schedule<Duration.Duration, HttpError> =>
  retryScheduleWith(policy, judgeHttpError)

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Options of {@link make}. */
export interface ClientOptions {
  /** The service's name in error texts and spans: `"LINE API"`, `"Telegram Bot API"`. */
  readonly service: string
  readonly retry?: RetryPolicy | undefined
  /** Timeout of one attempt in ms (default {@link defaultTimeoutMs}). */
  readonly timeoutMs?: number | undefined
  /** The transport (default: {@link fetchTransport} over `fetch`). */
  readonly httpClient?: Transport | undefined
  /** The fetch of the default transport (default: the global one). */
  readonly fetch?: Fetch | undefined
  /** Values masked in every error text, besides what {@link mask} recognises. */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string> | string | undefined> | undefined
}

/** Sends {@link Call}s with the retry policy, the timeout, spans and masked errors. */
export interface Client {
  readonly service: string
  /** The answer when its outcome is ok, else an {@link HttpError}. */
  readonly execute: (request: Call) => Effect.Effect<Answer, HttpError>
  /** {@link mask} with this client's secrets. */
  readonly mask: (text: string) => string
}

const describeCause = (cause: unknown): string => {
  if (!(cause instanceof Error)) return String(cause)
  // fetch's "fetch failed" says why in its cause (ECONNREFUSED…); Effect's errors wrap it once more.
  const inner = (cause as { cause?: unknown }).cause
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code
    const deeper = describeCause(inner)
    return cause.message === "" || cause.message.startsWith("Transport")
      ? deeper
      : `${cause.message} (${typeof code === "string" ? code : deeper})`
  }
  return cause.message
}

const parseJson = (text: string): unknown => {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The transport a client sends with, and whether it enforces the timeout itself. */
const transportOf = (
  options: ClientOptions,
  timeoutMs: number
): { readonly client: Transport; readonly timed: boolean } => {
  const given = options.httpClient ?? (options.fetch === undefined ? undefined : fetchTransport(options.fetch))
  if (given !== undefined && isOwn(given)) return { client: given[OwnTransport](timeoutMs), timed: true }
  return { client: untraced(given ?? fetchTransport()), timed: false }
}

const readAnswer = (res: HttpClientResponse.HttpClientResponse) =>
  Effect.map(res.text, (text): Answer => ({ status: res.status, headers: res.headers, text, body: parseJson(text) }))

/** A client for one service. */
export const make = (options: ClientOptions): Client => {
  const service = options.service
  const timeoutMs = options.timeoutMs ?? options.retry?.timeoutMs ?? defaultTimeoutMs
  const transport = transportOf(options, timeoutMs)
  const secrets = options.secrets ?? []
  const schedule = retrySchedule(options.retry)
  const maskText = (text: string) => mask(text, secrets)
  const timedOut = `${service} did not answer within ${timeoutMs} ms`

  const fail = (
    request: Call,
    attempt: number,
    reason: Reason,
    message: string,
    extra: { status?: number; retryAfterMs?: number | undefined; response?: Answer } = {}
  ) =>
    HttpError.make(
      {
        reason,
        message: maskText(message),
        method: request.method,
        template: request.template,
        attempts: attempt,
        ...(extra.status === undefined ? {} : { status: extra.status }),
        ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs })
      },
      extra.response
    )

  /** A transport failure as an HttpError. */
  const fromTransport = (request: Call, n: number, e: HttpClientError.HttpClientError | HttpError): HttpError => {
    if (e._tag === "HttpError") return e
    if (e.reason._tag === "InvalidUrlError")
      return fail(request, n, "invalid-request", `${service} unreachable: invalid URL`)
    const cause = "cause" in e.reason ? e.reason.cause : undefined
    if (cause instanceof TransportTimeout) return fail(request, n, "timeout", timedOut)
    return fail(request, n, "transport", `${service} unreachable: ${describeCause(cause ?? e)}`)
  }

  /** An answer read by the call's `classify`. */
  const judge = (request: Call, n: number, response: Answer): HttpError | undefined => {
    const outcome = (request.classify ?? classify)(response)
    if (outcome._tag === "Ok") return undefined
    const hint = platformHint(response.body)
    const message = `${service} ${request.method} ${request.template} answered ${response.status}${hint === undefined ? "" : `: ${hint}`}`
    return outcome._tag === "RateLimited"
      ? fail(request, n, "rate-limited", message, {
          status: response.status,
          retryAfterMs: outcome.retryAfterMs,
          response
        })
      : fail(request, n, outcome._tag === "Unavailable" ? "unavailable" : "refused", message, {
          status: response.status,
          response
        })
  }

  const exchange = (
    request: Call,
    n: number,
    outgoing: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<Answer, HttpClientError.HttpClientError | HttpError> => {
    const sent = Effect.flatMap(transport.client.execute(outgoing), readAnswer)
    return transport.timed
      ? sent
      : Effect.timeoutOrElse(sent, {
          duration: timeoutMs,
          orElse: () => Effect.fail(fail(request, n, "timeout", timedOut))
        })
  }

  /** One attempt; `span` (when a tracer records) gets the status and the error type. */
  const run = (
    request: Call,
    outgoing: HttpClientRequest.HttpClientRequest,
    n: number,
    span: Tracer.Span | undefined
  ): Effect.Effect<Answer, HttpError> =>
    Effect.matchEffect(exchange(request, n, outgoing), {
      onFailure: (e) => {
        const error = fromTransport(request, n, e)
        span?.attribute("error.type", error.reason)
        return Effect.fail(error)
      },
      onSuccess: (response) => {
        span?.attribute("http.response.status_code", response.status)
        const error = judge(request, n, response)
        if (error === undefined) return Effect.succeed(response)
        span?.attribute("error.type", error.reason)
        return Effect.fail(error)
      }
    })

  /**
   * One attempt, in a client span when a tracer that records is installed (with Effect's default
   * tracer, which exports nothing, or tracing off, no span is made: a call costs no more).
   */
  const attempt = (
    request: Call,
    outgoing: HttpClientRequest.HttpClientRequest,
    url: URL,
    n: number
  ): Effect.Effect<Answer, HttpError> =>
    Effect.withFiber((fiber) =>
      !fiber.getRef(References.TracerEnabled) || fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer
        ? run(request, outgoing, n, undefined)
        : Effect.useSpan(
            `${request.method} ${request.template}`,
            {
              kind: "client",
              attributes: {
                "http.request.method": request.method,
                "server.address": url.hostname,
                "url.scheme": url.protocol === "https:" ? "https" : url.protocol === "http:" ? "http" : url.protocol,
                "url.template": request.template,
                "peer.service": service,
                "http.request.resend_count": n - 1,
                "kaituan.http.attempt": n
              }
            },
            (span) => run(request, outgoing, n, span)
          )
    )

  const execute = (request: Call): Effect.Effect<Answer, HttpError> =>
    Effect.suspend(() => {
      let url: URL
      let outgoing: HttpClientRequest.HttpClientRequest
      try {
        url = new URL(request.url)
        const payload =
          request.json !== undefined
            ? HttpBody.text(JSON.stringify(request.json), "application/json")
            : request.body !== undefined
              ? HttpBody.text(request.body.text, request.body.contentType)
              : undefined
        outgoing = HttpClientRequest.make(request.method)(url.href, {
          ...(request.headers === undefined ? {} : { headers: request.headers }),
          ...(payload === undefined ? {} : { body: payload })
        })
      } catch (e) {
        return Effect.fail(
          fail(request, 0, "invalid-request", `${service} unreachable: ${e instanceof Error ? e.message : String(e)}`)
        )
      }
      let n = 0
      const once = Effect.suspend(() => attempt(request, outgoing, url, ++n))
      if (request.retry === false) return once
      // The retry schedule is only set up after a failure: most calls succeed at once.
      return Effect.catch(once, (first) => {
        if (!first.transient) return Effect.fail(first)
        let replay = true
        const again = Effect.suspend(() => {
          if (!replay) return once
          replay = false
          return Effect.fail(first)
        })
        return Effect.retry(again, schedule)
      })
    })

  return { service, execute, mask: maskText }
}

// ---------------------------------------------------------------------------------------------
// To the ports' errors
// ---------------------------------------------------------------------------------------------

/** The hint given with a `rate-limited` ChannelError when the service named no delay (1 s). */
export const unknownRetryAfterMs = 1_000

/**
 * The port's error for a failed call: transport failures, timeouts, 5xx and malformed requests
 * are `transport`; rate limits `rate-limited` (with `retryAfterMs`, 1 s when the service named
 * none); a 401 `unauthorized`; any other refusal `rejected`.
 */
export const toChannelError = (e: HttpError): ChannelAdapter.ChannelError => {
  switch (e.reason) {
    case "rate-limited":
      return new ChannelAdapter.ChannelError({
        reason: "rate-limited",
        message: e.message,
        retryAfterMs: e.retryAfterMs ?? unknownRetryAfterMs
      })
    case "refused":
      return new ChannelAdapter.ChannelError({
        reason: e.status === 401 ? "unauthorized" : "rejected",
        message: e.message
      })
    default:
      return new ChannelAdapter.ChannelError({ reason: "transport", message: e.message })
  }
}

/**
 * The gateway port's error for a failed call: transport failures, timeouts, rate limits, 5xx and
 * malformed requests are `transport`; a 401 or 403 `unauthorized`; any other refusal `rejected`.
 */
export const toGatewayError = (e: HttpError): PaymentGateway.GatewayError =>
  new PaymentGateway.GatewayError({
    reason: e.reason !== "refused" ? "transport" : e.status === 401 || e.status === 403 ? "unauthorized" : "rejected",
    message: e.message
  })

// ---------------------------------------------------------------------------------------------
// Deprecated: the first client's API, kept as thin wrappers over the stack above
// ---------------------------------------------------------------------------------------------

/** @deprecated Use {@link RetryPolicy} (`retries`, and the adapter's `timeoutMs`). */
export type RetryOptions = RetryPolicy

/** @deprecated Use {@link Answer} from {@link Client.execute}. */
export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
  readonly text: string
}

/**
 * One call with no retry that succeeds with any answer; network failures and timeouts are
 * `transport` ChannelErrors.
 *
 * @deprecated Use {@link make} and {@link Client.execute}.
 */
export const call = (
  fetchImpl: Fetch,
  url: string,
  init: { readonly method: string; readonly headers?: Record<string, string>; readonly body?: string },
  timeoutMs: number,
  describe: string
): Effect.Effect<JsonResponse, ChannelAdapter.ChannelError> =>
  make({ service: describe, fetch: fetchImpl, timeoutMs })
    .execute({
      method: init.method.toUpperCase() as Call["method"],
      url,
      template: "{path}",
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined
        ? {}
        : {
            body: {
              text: init.body,
              contentType:
                Object.entries(init.headers ?? {}).find(([k]) => k.toLowerCase() === "content-type")?.[1] ??
                "text/plain"
            }
          }),
      retry: false,
      classify: () => Outcome.ok
    })
    .pipe(
      Effect.map((r) => ({
        status: r.status,
        headers: new Headers(Object.entries(r.headers).filter((e): e is [string, string] => e[1] !== undefined)),
        body: r.body,
        text: r.text
      })),
      Effect.mapError(toChannelError)
    )

/**
 * Retries `transport` and `rate-limited` ChannelErrors with the retry policy.
 *
 * @deprecated Use {@link make}: its client retries by itself.
 */
export const withRetry = <A, R>(
  effect: Effect.Effect<A, ChannelAdapter.ChannelError, R>,
  options: RetryPolicy | undefined
): Effect.Effect<A, ChannelAdapter.ChannelError, R> =>
  Effect.retry(
    effect,
    retryScheduleWith<ChannelAdapter.ChannelError>(options, (e) =>
      e.reason === "transport" ? {} : e.reason === "rate-limited" ? { retryAfterMs: e.retryAfterMs } : undefined
    )
  )
