/**
 * Graph API calls and the mapping of Graph error answers to {@link ChannelAdapter.ChannelError}.
 *
 * @internal
 */
import { ChannelAdapter, HttpClient } from "@kaituan/core"
import { Effect, Predicate, Redacted } from "effect"
import { appSecretProof } from "../FacebookSignature.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError

/** @deprecated Use `HttpClient.Fetch` from `@kaituan/core`. */
export type Fetch = HttpClient.Fetch
/** @deprecated Use `HttpClient.RetryPolicy` from `@kaituan/core` (the `retry` option's one shape). */
export type RetryOptions = HttpClient.RetryPolicy

/** The default Graph API base URL. */
export const defaultGraphBase = "https://graph.facebook.com"
/** The Graph API version used unless another is given. */
export const defaultGraphVersion = "v23.0"

/** The service name in error texts and spans. */
export const service = "Graph API"

/** How to reach the Graph API. */
export interface GraphOptions {
  readonly accessToken: Redacted.Redacted<string>
  /** When given, every call carries `appsecret_proof`. */
  readonly appSecret?: Redacted.Redacted<string> | undefined
  readonly graphBase?: string | undefined
  readonly graphVersion?: string | undefined
  /** How failed calls are retried (core's one `HttpClient.RetryPolicy`). */
  readonly retry?: HttpClient.RetryPolicy | undefined
  /** Timeout of one call in ms (default 15,000). */
  readonly timeoutMs?: number | undefined
  /** The Effect `HttpClient` to send with. */
  readonly httpClient?: HttpClient.Transport | undefined
  /** A fetch to send with (default the global one). */
  readonly fetch?: Fetch | undefined
}

/** Graph error codes that mean "slow down" (app, user, page and custom rate limits). */
export const rateLimitCodes: ReadonlySet<number> = new Set([4, 17, 32, 613])
/** Graph error codes that mean the token is invalid, expired or lacks a permission. */
export const authCodes: ReadonlySet<number> = new Set([102, 190, 463, 467, 10])
/** Graph error codes that mean "temporary, try again". */
export const transientCodes: ReadonlySet<number> = new Set([1, 2])

const { isObject: isRecord } = Predicate

/** The longest `estimated_time_to_regain_access` (minutes) in Meta's usage headers, in ms. */
const regainAccessMs = (headers: Readonly<Record<string, string | undefined>>): number | undefined => {
  let max = 0
  for (const name of ["x-business-use-case-usage", "x-page-usage", "x-app-usage"]) {
    const raw = headers[name]
    if (raw === undefined) continue
    try {
      const visit = (u: unknown): void => {
        if (Array.isArray(u)) u.forEach(visit)
        else if (isRecord(u)) {
          const t = u["estimated_time_to_regain_access"]
          if (typeof t === "number" && t > max) max = t
          Object.values(u).forEach(visit)
        }
      }
      visit(JSON.parse(raw))
    } catch {
      // an unreadable usage header gives no hint
    }
  }
  return max > 0 ? max * 60_000 : undefined
}

/** The `error` object of a Graph answer, when it has one. */
const graphError = (
  body: unknown
): { readonly code?: number; readonly subcode?: number; readonly message?: string } | undefined => {
  const err = isRecord(body) && isRecord(body["error"]) ? body["error"] : undefined
  if (err === undefined) return undefined
  return {
    ...(typeof err["code"] === "number" ? { code: err["code"] } : {}),
    ...(typeof err["error_subcode"] === "number" ? { subcode: err["error_subcode"] } : {}),
    ...(typeof err["message"] === "string" ? { message: err["message"] } : {})
  }
}

const isRateLimit = (status: number, code: number | undefined) =>
  status === 429 || (code !== undefined && (rateLimitCodes.has(code) || (code >= 80000 && code < 80100)))

/**
 * How a Graph answer reads for the retry policy: rate limits (HTTP 429, codes 4, 17, 32, 613,
 * 80001-80014) wait for `Retry-After` or the usage headers' time to regain access; temporary
 * errors (HTTP 5xx, codes 1, 2) are retried; everything else is a refusal.
 */
export const classify = (res: HttpClient.Answer): HttpClient.Outcome => {
  const err = graphError(res.body)
  if (res.status >= 200 && res.status < 300 && err === undefined) return HttpClient.Outcome.ok
  const code = err?.code
  if (isRateLimit(res.status, code))
    return HttpClient.Outcome.rateLimited(
      HttpClient.retryAfterMs(res.headers["retry-after"]) ?? regainAccessMs(res.headers)
    )
  if (code === 10 && err?.subcode !== undefined) return HttpClient.Outcome.refused
  if (code !== undefined && (authCodes.has(code) || (code >= 200 && code < 300))) return HttpClient.Outcome.refused
  if (res.status === 401) return HttpClient.Outcome.refused
  if (res.status >= 500 || (code !== undefined && transientCodes.has(code))) return HttpClient.Outcome.unavailable
  return HttpClient.Outcome.refused
}

/**
 * Maps a non-2xx (or `error`-carrying) Graph answer: rate limits (codes 4, 17, 32, 613, 80001-80014,
 * HTTP 429) → `rate-limited` (with `retryAfterMs` from `Retry-After` or the usage headers' time to
 * regain access); token and permission errors (190, 102, 463, 467, 10 without a subcode, 200-299)
 * → `unauthorized`;
 * temporary errors (codes 1, 2, HTTP 5xx) → `transport`; anything else → `rejected`.
 */
export const toError = (res: HttpClient.Answer, describe: string): ChannelError => {
  const err = graphError(res.body)
  const code = err?.code
  const subcode = err?.subcode
  const text = err?.message ?? (res.text.slice(0, 200) || `HTTP ${res.status}`)
  const message = `${describe} failed (HTTP ${res.status}${code === undefined ? "" : `, #${code}${subcode === undefined ? "" : `/${subcode}`}`}): ${text}`
  const platformCode = code === undefined ? {} : { platformCode: String(code) }
  if (isRateLimit(res.status, code)) {
    const retryAfterMs = HttpClient.retryAfterMs(res.headers["retry-after"]) ?? regainAccessMs(res.headers)
    return new ChannelError({
      reason: "rate-limited",
      message,
      retryAfterMs: retryAfterMs ?? HttpClient.unknownRetryAfterMs,
      ...platformCode
    })
  }
  // code 10 with a subcode is a Messenger policy refusal (outside the window, person unavailable…)
  if (code === 10 && subcode !== undefined) return new ChannelError({ reason: "rejected", message, ...platformCode })
  if (code !== undefined && (authCodes.has(code) || (code >= 200 && code < 300)))
    return new ChannelError({ reason: "unauthorized", message, ...platformCode })
  if (res.status === 401) return new ChannelError({ reason: "unauthorized", message, ...platformCode })
  if (res.status >= 500 || (code !== undefined && transientCodes.has(code)))
    return new ChannelError({ reason: "transport", message, ...platformCode })
  return new ChannelError({ reason: "rejected", message, ...platformCode })
}

/** The Graph error code of a failed answer, when it has one. */
export const errorCode = (e: ChannelError): number | undefined =>
  e.platformCode === undefined ? undefined : Number(e.platformCode)

/** Builds the URL of a Graph path with the token (and proof) in the query. */
export const url = (options: GraphOptions, path: string, params: Readonly<Record<string, string>> = {}): string => {
  const base = (options.graphBase ?? defaultGraphBase).replace(/\/+$/, "")
  const version = options.graphVersion ?? defaultGraphVersion
  const token = Redacted.value(options.accessToken)
  const q = new URLSearchParams(params)
  q.set("access_token", token)
  if (options.appSecret !== undefined)
    q.set("appsecret_proof", appSecretProof(Redacted.value(options.appSecret), token))
  const prefix = version.length > 0 ? `${base}/${version}` : base
  return `${prefix}/${path.replace(/^\/+/, "")}?${q.toString()}`
}

const clients = new WeakMap<GraphOptions, HttpClient.Client>()

/** The stack's client for these options (one per options object): the token and its proof are masked in every error text. */
export const clientFor = (options: GraphOptions): HttpClient.Client => {
  let client = clients.get(options)
  if (client === undefined) {
    const token = Redacted.value(options.accessToken)
    client = HttpClient.make({
      service,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      httpClient: options.httpClient,
      fetch: options.fetch,
      secrets: [
        options.accessToken,
        ...(options.appSecret === undefined ? [] : [appSecretProof(Redacted.value(options.appSecret), token)])
      ]
    })
    clients.set(options, client)
  }
  return client
}

/** An id as one URL path segment (`HttpClient.pathSegment`); Graph ids (digits and `_`) always can be. */
export const pathSegment = HttpClient.pathSegment

/**
 * A Graph call through core's HTTP stack (its retry policy, timeout, spans and masking). A path
 * given as segments (ids from webhooks…) is encoded here, and the span shows it as a template
 * (`/{id}/comments`); an id that cannot be a path segment fails with `invalid-payload` and
 * nothing is sent. `retry: false` makes one attempt.
 */
export const request = (
  options: GraphOptions,
  method: "GET" | "POST",
  path: string | ReadonlyArray<string>,
  params: Readonly<Record<string, string>>,
  body: unknown,
  describe: string,
  retry = true
): Effect.Effect<unknown, ChannelError> => {
  let joined: string
  let template: string
  if (typeof path === "string") {
    joined = path
    template = path.startsWith("/") ? path : `/${path}`
  } else {
    const segments: Array<string> = []
    for (const s of path) {
      const encoded = pathSegment(s)
      if (encoded === undefined)
        return Effect.fail(
          new ChannelError({ reason: "invalid-payload", message: `${describe}: an id is not a Graph id` })
        )
      segments.push(encoded)
    }
    joined = segments.join("/")
    // Ids become placeholders; fixed edges (`messages`, `comments`) stay.
    template = `/${path.map((s) => (/^[a-z_]+$/.test(s) ? s : "{id}")).join("/")}`
  }
  const client = clientFor(options)
  return client
    .execute({
      method,
      url: url(options, joined, params),
      template: `/${options.graphVersion ?? defaultGraphVersion}${template}`.replace(/^\/\//, "/"),
      ...(body === undefined ? {} : { json: body }),
      retry,
      classify
    })
    .pipe(
      Effect.map((res) => res.body),
      Effect.mapError((e) =>
        e.response === undefined ? HttpClient.toChannelError(e) : maskedError(client, toError(e.response, describe))
      )
    )
}

const maskedError = (client: HttpClient.Client, e: ChannelError): ChannelError => {
  const message = client.mask(e.message)
  return message === e.message ? e : new ChannelError({ ...e, message })
}
