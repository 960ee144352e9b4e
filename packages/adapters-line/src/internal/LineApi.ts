/** The few Messaging API calls the adapter makes, with bounded retries on 429 / 5xx / network errors. */
import { createHash } from "node:crypto"
import { type IncomingMessage, request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { ChannelAdapter, HttpClient } from "@kaituan/core"
import { Data, Duration, Effect, Redacted, Schedule } from "effect"

/** How failed calls are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number
  /** First backoff delay; doubles each retry (jittered). */
  readonly baseDelayMs: number
  /** Upper bound of one backoff delay. */
  readonly maxDelayMs: number
  /** A `Retry-After` longer than this is not waited for: the call fails with `rate-limited`. */
  readonly maxRetryAfterMs: number
}

export const defaultRetry: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 }

export interface ApiConfig {
  readonly baseUrl: string
  readonly accessToken: Redacted.Redacted<string>
  /** A caller's fetch; `undefined`: `node:http` / `node:https` with the global keep-alive agents. */
  readonly fetch: typeof globalThis.fetch | undefined
  readonly timeoutMs: number
  readonly retry: RetryPolicy
}

/** A failed call, before it becomes a ChannelError. `status` is absent for network errors and timeouts. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status?: number | undefined
  readonly message: string
  readonly retryAfterMs?: number | undefined
  readonly body?: unknown
}> {}

export interface ApiResponse {
  readonly status: number
  readonly body: unknown
}

const isRetryable = (e: ApiError): boolean => e.status === undefined || e.status === 429 || e.status >= 500

const lineMessage = (body: unknown): string | undefined => {
  const m = (body as { message?: unknown } | null)?.message
  return typeof m === "string" ? m : undefined
}

interface CallInput {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/** What one round trip returned, before the status is judged. */
interface RawResponse {
  readonly status: number
  readonly text: string
  readonly retryAfter: string | null
}

const unreachable = (e: unknown) =>
  new ApiError({ message: `LINE API unreachable: ${e instanceof Error ? e.message : String(e)}` })

const timedOut = (config: ApiConfig) =>
  new ApiError({ message: `LINE API did not answer within ${config.timeoutMs} ms` })

const headersOf = (config: ApiConfig, input: CallInput, body: string | undefined): Record<string, string> => ({
  authorization: `Bearer ${Redacted.value(config.accessToken)}`,
  ...(body === undefined ? {} : { "content-type": "application/json" }),
  ...input.headers
})

/** The URL and JSON body of a call (both can throw: a bad base URL, an unserialisable body). */
const prepare = (config: ApiConfig, input: CallInput) => ({
  url: new URL(input.path, config.baseUrl),
  body: input.body === undefined ? undefined : JSON.stringify(input.body)
})

/** A round trip with the caller's fetch (interruption aborts it). */
const viaFetch = (
  config: ApiConfig,
  fetch: typeof globalThis.fetch,
  input: CallInput
): Effect.Effect<RawResponse, ApiError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const { url, body } = prepare(config, input)
      const res = await fetch(url, {
        method: input.method,
        headers: headersOf(config, input, body),
        ...(body === undefined ? {} : { body }),
        signal
      })
      return { status: res.status, text: await res.text(), retryAfter: res.headers.get("retry-after") }
    },
    catch: unreachable
  }).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(config.timeoutMs),
      orElse: () => Effect.fail(timedOut(config))
    })
  )

/**
 * A round trip with `node:http` / `node:https` over the global keep-alive agents: far fewer
 * allocations per call than `fetch` (no web streams, no AbortSignal); the time limit is a timer
 * and interruption destroys the request.
 */
const viaNode = (config: ApiConfig, input: CallInput): Effect.Effect<RawResponse, ApiError> =>
  Effect.callback<RawResponse, ApiError>((resume) => {
    let prepared: ReturnType<typeof prepare>
    try {
      prepared = prepare(config, input)
    } catch (e) {
      resume(Effect.fail(unreachable(e)))
      return
    }
    const { url, body } = prepared
    const request = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined
    if (request === undefined) {
      resume(Effect.fail(unreachable(new Error(`unsupported protocol ${url.protocol}`))))
      return
    }
    let done = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const finish = (result: Effect.Effect<RawResponse, ApiError>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(result)
    }
    const headers = headersOf(config, input, body)
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body))
    let req: ReturnType<typeof httpRequest>
    try {
      req = request(url, { method: input.method, headers }, onResponse)
    } catch (e) {
      finish(Effect.fail(unreachable(e)))
      return
    }
    function onResponse(res: IncomingMessage) {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"]
        finish(
          Effect.succeed({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString("utf8"),
            retryAfter: typeof retryAfter === "string" ? retryAfter : null
          })
        )
      })
      res.on("error", (e) => finish(Effect.fail(unreachable(e))))
      res.on("aborted", () => finish(Effect.fail(unreachable(new Error("the response was cut short")))))
    }
    timer = setTimeout(() => {
      finish(Effect.fail(timedOut(config)))
      req.destroy()
    }, config.timeoutMs)
    req.on("error", (e) => finish(Effect.fail(unreachable(e))))
    req.end(body)
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      req.destroy()
    })
  })

/** One HTTP call; non-2xx answers fail with ApiError (with the parsed body). */
export const call = (config: ApiConfig, input: CallInput): Effect.Effect<ApiResponse, ApiError> =>
  (config.fetch === undefined ? viaNode(config, input) : viaFetch(config, config.fetch, input)).pipe(
    Effect.flatMap((r) => {
      let body: unknown = r.text
      try {
        body = r.text === "" ? undefined : JSON.parse(r.text)
      } catch {
        // keep the text
      }
      return r.status >= 200 && r.status < 300
        ? Effect.succeed({ status: r.status, body })
        : Effect.fail(
            new ApiError({
              status: r.status,
              message: `LINE API ${input.method} ${input.path} answered ${r.status}${lineMessage(body) ? `: ${lineMessage(body)}` : ""}`,
              retryAfterMs: HttpClient.retryAfterMs(r.retryAfter),
              body
            })
          )
    })
  )

/**
 * The retry schedule: exponential jittered backoff, at most `retries` times, only for retryable
 * errors, waiting at least the server's `Retry-After` (and giving up when that is too long).
 */
export const schedule = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration, ApiError> =>
  Schedule.max([
    Schedule.exponential(Duration.millis(policy.baseDelayMs), 2).pipe(Schedule.jittered),
    Schedule.recurs(policy.retries)
  ]).pipe(
    Schedule.setInputType<ApiError>(),
    Schedule.while(
      ({ input: e }) => isRetryable(e) && (e.retryAfterMs === undefined || e.retryAfterMs <= policy.maxRetryAfterMs)
    ),
    Schedule.modifyDelay(({ input: e, duration: d }) =>
      Effect.succeed(
        Duration.max(Duration.min(d, Duration.millis(policy.maxDelayMs)), Duration.millis(e.retryAfterMs ?? 0))
      )
    )
  )

/** {@link call} with the config's retry policy. */
export const callWithRetry = (config: ApiConfig, input: CallInput): Effect.Effect<ApiResponse, ApiError> =>
  call(config, input).pipe(Effect.retry(schedule(config.retry)))

/** An id as one URL path segment (`HttpClient.pathSegment`); LINE's ids always can be. */
export const pathSegment = HttpClient.pathSegment

/** Maps a failed call to the port's error. */
export const toChannelError = (e: ApiError): ChannelAdapter.ChannelError => {
  const reason =
    e.status === undefined || e.status >= 500
      ? ("transport" as const)
      : e.status === 429
        ? ("rate-limited" as const)
        : e.status === 401
          ? ("unauthorized" as const)
          : ("rejected" as const)
  return new ChannelAdapter.ChannelError(
    reason === "rate-limited"
      ? { reason, message: e.message, retryAfterMs: e.retryAfterMs ?? 1000 }
      : { reason, message: e.message }
  )
}

/** A `X-Line-Retry-Key` (a UUID) derived from a message id, so every retry of that message uses the same key. */
export const retryKeyFor = (messageId: string): string => {
  const h = createHash("sha256").update(`kaituan:line:${messageId}`).digest("hex")
  const variant = ((Number.parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
