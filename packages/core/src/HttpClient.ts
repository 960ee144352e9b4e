/**
 * A small JSON-over-fetch client with bounded retries for channel adapters' outbound calls:
 * network failures and timeouts become `transport` {@link ChannelAdapter.ChannelError}s, and
 * {@link withRetry} retries them (and rate limits) with back-off. Uses only the global `fetch`.
 *
 * @since 0.1.0
 */
import * as ChannelAdapter from "./ChannelAdapter.js"
import { Duration, Effect, Schedule } from "effect"

type ChannelError = ChannelAdapter.ChannelError

/** The fetch function used for outbound calls (the global one by default). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>

/** How outbound calls are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  readonly maxRetries?: number | undefined
  /** First back-off delay for server errors, doubled each retry (default 500 ms). */
  readonly baseDelayMs?: number | undefined
  /** A rate limit asking to wait longer than this is not waited for (default 30 s). */
  readonly maxRetryAfterMs?: number | undefined
  /** Per-request timeout (default 15 s). */
  readonly timeoutMs?: number | undefined
}

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

/** A decoded HTTP answer. */
export interface JsonResponse {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
  readonly text: string
}

const transport = (message: string) => new ChannelAdapter.ChannelError({ reason: "transport", message })

/** One HTTP call; network failures and timeouts become `transport` errors. Never retries. */
export const call = (
  fetchImpl: Fetch,
  url: string,
  init: { readonly method: string; readonly headers?: Record<string, string>; readonly body?: string },
  timeoutMs: number,
  describe: string
): Effect.Effect<JsonResponse, ChannelError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const res = await fetchImpl(url, {
        method: init.method,
        signal,
        ...(init.headers === undefined ? {} : { headers: init.headers }),
        ...(init.body === undefined ? {} : { body: init.body })
      })
      const text = await res.text()
      let body: unknown
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined
      } catch {
        body = undefined
      }
      return { status: res.status, headers: res.headers, body, text }
    },
    catch: (e) => transport(`${describe}: ${e instanceof Error ? e.message : String(e)}`)
  }).pipe(
    Effect.timeoutOrElse({
      duration: Duration.millis(timeoutMs),
      orElse: () => Effect.fail(transport(`${describe}: no answer within ${timeoutMs} ms`))
    })
  )

/**
 * Retries `transport` errors with exponential back-off and `rate-limited` errors after the
 * platform's `retryAfterMs` (when it is not longer than `maxRetryAfterMs`), at most `maxRetries`
 * times; the last error is returned as is.
 */
export const withRetry = <A, R>(
  effect: Effect.Effect<A, ChannelError, R>,
  options: RetryOptions | undefined
): Effect.Effect<A, ChannelError, R> => {
  const maxRetries = options?.maxRetries ?? 3
  const baseDelayMs = options?.baseDelayMs ?? 500
  const maxRetryAfterMs = options?.maxRetryAfterMs ?? 30_000
  const retryable = (e: ChannelError): boolean =>
    e.reason === "transport" || (e.reason === "rate-limited" && (e.retryAfterMs ?? 0) <= maxRetryAfterMs)
  // Every part must want to recur; the delay is the longest asked for: the back-off, or the
  // platform's Retry-After for a rate limit.
  const schedule = Schedule.max([
    Schedule.exponential(Duration.millis(baseDelayMs)),
    Schedule.recurs(maxRetries),
    Schedule.identity<ChannelError>().pipe(
      Schedule.addDelay(({ input }) =>
        Effect.succeed(Duration.millis(input.reason === "rate-limited" ? (input.retryAfterMs ?? 0) : 0))
      )
    )
  ]).pipe(
    Schedule.setInputType<ChannelError>(),
    Schedule.while(({ input }) => retryable(input))
  )
  return Effect.retry(effect, schedule)
}
