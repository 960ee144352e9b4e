/**
 * The few Messaging API calls the adapter makes, through core's one outbound HTTP stack
 * (`HttpClient`): bearer token, JSON bodies, LINE's base URL, and the `node:http` transport unless
 * the app gives a `fetch` or an Effect `HttpClient`.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { HttpClient } from "@kaituan/core"
import { type Effect, Redacted } from "effect"
import { nodeTransport } from "./NodeTransport.js"

/** The service name in error texts and spans. */
export const service = "LINE API"

/** How to reach the API. */
export interface ApiOptions {
  readonly baseUrl: string
  readonly accessToken: Redacted.Redacted<string>
  readonly fetch?: HttpClient.Fetch | undefined
  readonly httpClient?: HttpClient.Transport | undefined
  readonly timeoutMs: number
  readonly retry?: HttpClient.RetryPolicy | undefined
}

/** One call: the path (ids already encoded) and its template for spans. */
export interface CallInput {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly template: string
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
  /** `false` for a call that must not be repeated (a reply token is single-use). */
  readonly retry?: boolean
}

/** The API: calls with the retry policy, timeout, spans and masked errors of the stack. */
export interface Api {
  readonly call: (input: CallInput) => Effect.Effect<HttpClient.Answer, HttpClient.HttpError>
}

/**
 * The URL of an absolute path under the base, as `new URL(path, base)` gives it (the base's own
 * path is replaced), without parsing the base on every call; when the base is not a URL, the
 * joined text (the stack then fails the call as `invalid-request`).
 */
const urlsUnder = (baseUrl: string): ((path: string) => string) => {
  let origin: string | undefined
  try {
    const base = new URL(baseUrl)
    origin = base.protocol === "http:" || base.protocol === "https:" ? base.origin : undefined
  } catch {
    origin = undefined
  }
  return (path) =>
    origin !== undefined && path.startsWith("/") && !path.startsWith("//") ? origin + path : `${baseUrl}${path}`
}

/** The API over the stack. */
export const make = (options: ApiOptions): Api => {
  const client = HttpClient.make({
    service,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient ?? (options.fetch === undefined ? nodeTransport : undefined),
    fetch: options.fetch,
    secrets: [options.accessToken]
  })
  const authorization = () => `Bearer ${Redacted.value(options.accessToken)}`
  const urlOf = urlsUnder(options.baseUrl)
  return {
    call: (input) =>
      client.execute({
        method: input.method,
        url: urlOf(input.path),
        template: input.template,
        headers: { authorization: authorization(), ...input.headers },
        ...(input.body === undefined ? {} : { json: input.body }),
        ...(input.retry === false ? { retry: false } : {})
      })
  }
}

/** An id as one URL path segment (`HttpClient.pathSegment`); LINE's ids always can be. */
export const pathSegment = HttpClient.pathSegment

/** A `X-Line-Retry-Key` (a UUID) derived from a message id, so every retry of that message uses the same key. */
export const retryKeyFor = (messageId: string): string => {
  const h = createHash("sha256").update(`kaituan:line:${messageId}`).digest("hex")
  const variant = ((Number.parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
