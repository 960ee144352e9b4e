/** The few Messaging API calls the adapter makes, with bounded retries on 429 / 5xx / network errors. */
import { createHash } from "node:crypto"
import { ChannelAdapter } from "@kaituan/core"
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
  readonly fetch: typeof globalThis.fetch
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

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export const parseRetryAfter = (value: string | null, nowMs: number): number | undefined => {
  if (value === null || value.trim() === "") return undefined
  const secs = Number(value.trim())
  if (Number.isFinite(secs)) return Math.max(0, Math.round(secs * 1000))
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

const isRetryable = (e: ApiError): boolean => e.status === undefined || e.status === 429 || e.status >= 500

const lineMessage = (body: unknown): string | undefined => {
  const m = (body as { message?: unknown } | null)?.message
  return typeof m === "string" ? m : undefined
}

/** One HTTP call; non-2xx answers fail with ApiError (with the parsed body). */
export const call = (
  config: ApiConfig,
  input: {
    readonly method: "GET" | "POST"
    readonly path: string
    readonly body?: unknown
    readonly headers?: Readonly<Record<string, string>>
  }
): Effect.Effect<ApiResponse, ApiError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const res = await config.fetch(new URL(input.path, config.baseUrl), {
        method: input.method,
        headers: {
          authorization: `Bearer ${Redacted.value(config.accessToken)}`,
          ...(input.body === undefined ? {} : { "content-type": "application/json" }),
          ...input.headers
        },
        ...(input.body === undefined ? {} : { body: JSON.stringify(input.body) }),
        signal
      })
      const text = await res.text()
      let body: unknown = text
      try {
        body = text === "" ? undefined : JSON.parse(text)
      } catch {
        // keep the text
      }
      return { status: res.status, body, retryAfter: res.headers.get("retry-after") }
    },
    catch: (e) => new ApiError({ message: `LINE API unreachable: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(
    Effect.timeoutFail({
      duration: Duration.millis(config.timeoutMs),
      onTimeout: () => new ApiError({ message: `LINE API did not answer within ${config.timeoutMs} ms` })
    }),
    Effect.flatMap((r) =>
      r.status >= 200 && r.status < 300
        ? Effect.succeed({ status: r.status, body: r.body })
        : Effect.fail(
            new ApiError({
              status: r.status,
              message: `LINE API ${input.method} ${input.path} answered ${r.status}${lineMessage(r.body) ? `: ${lineMessage(r.body)}` : ""}`,
              retryAfterMs: parseRetryAfter(r.retryAfter, Date.now()),
              body: r.body
            })
          )
    )
  )

/**
 * The retry schedule: exponential jittered backoff, at most `retries` times, only for retryable
 * errors, waiting at least the server's `Retry-After` (and giving up when that is too long).
 */
export const schedule = (policy: RetryPolicy) =>
  Schedule.exponential(Duration.millis(policy.baseDelayMs), 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(policy.retries)),
    Schedule.intersect(Schedule.identity<ApiError>()),
    Schedule.whileInput(
      (e: ApiError) => isRetryable(e) && (e.retryAfterMs === undefined || e.retryAfterMs <= policy.maxRetryAfterMs)
    ),
    Schedule.modifyDelay(([, e], d) =>
      Duration.max(Duration.min(d, Duration.millis(policy.maxDelayMs)), Duration.millis(e.retryAfterMs ?? 0))
    )
  )

/** {@link call} with the config's retry policy. */
export const callWithRetry = (
  config: ApiConfig,
  input: Parameters<typeof call>[1]
): Effect.Effect<ApiResponse, ApiError> => call(config, input).pipe(Effect.retry(schedule(config.retry)))

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
