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
const { call, withRetry } = HttpClient

/** The fetch function used for outbound calls (the global one by default). */
export type Fetch = HttpClient.Fetch
/** How outbound calls are retried. */
export type RetryOptions = HttpClient.RetryOptions
type JsonResponse = HttpClient.JsonResponse

/** The default Graph API base URL. */
export const defaultGraphBase = "https://graph.facebook.com"
/** The Graph API version used unless another is given. */
export const defaultGraphVersion = "v23.0"

/** How to reach the Graph API. */
export interface GraphOptions {
  readonly accessToken: Redacted.Redacted<string>
  /** When given, every call carries `appsecret_proof`. */
  readonly appSecret?: Redacted.Redacted<string> | undefined
  readonly graphBase?: string | undefined
  readonly graphVersion?: string | undefined
  readonly fetch?: Fetch | undefined
  readonly retry?: RetryOptions | undefined
}

/** Graph error codes that mean "slow down" (app, user, page and custom rate limits). */
export const rateLimitCodes: ReadonlySet<number> = new Set([4, 17, 32, 613])
/** Graph error codes that mean the token is invalid, expired or lacks a permission. */
export const authCodes: ReadonlySet<number> = new Set([102, 190, 463, 467, 10])
/** Graph error codes that mean "temporary, try again". */
export const transientCodes: ReadonlySet<number> = new Set([1, 2])

const { isObject: isRecord } = Predicate

/** The longest `estimated_time_to_regain_access` (minutes) in Meta's usage headers, in ms. */
const regainAccessMs = (headers: Headers): number | undefined => {
  let max = 0
  for (const name of ["x-business-use-case-usage", "x-page-usage", "x-app-usage"]) {
    const raw = headers.get(name)
    if (raw === null) continue
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

/**
 * Maps a non-2xx (or `error`-carrying) Graph answer: rate limits (codes 4, 17, 32, 613, 80001-80014,
 * HTTP 429) → `rate-limited` (with `retryAfterMs` from `Retry-After` or the usage headers' time to
 * regain access); token and permission errors (190, 102, 463, 467, 10 without a subcode, 200-299)
 * → `unauthorized`;
 * temporary errors (codes 1, 2, HTTP 5xx) → `transport`; anything else → `rejected`.
 */
export const toError = (res: JsonResponse, describe: string): ChannelError => {
  const err = isRecord(res.body) && isRecord(res.body["error"]) ? res.body["error"] : undefined
  const code = typeof err?.["code"] === "number" ? err["code"] : undefined
  const subcode = typeof err?.["error_subcode"] === "number" ? err["error_subcode"] : undefined
  const text = typeof err?.["message"] === "string" ? err["message"] : res.text.slice(0, 200) || `HTTP ${res.status}`
  const message = `${describe} failed (HTTP ${res.status}${code === undefined ? "" : `, #${code}${subcode === undefined ? "" : `/${subcode}`}`}): ${text}`
  const platformCode = code === undefined ? {} : { platformCode: String(code) }
  if (res.status === 429 || (code !== undefined && (rateLimitCodes.has(code) || (code >= 80000 && code < 80100)))) {
    const retryAfterMs = HttpClient.retryAfterMs(res.headers.get("retry-after")) ?? regainAccessMs(res.headers)
    return new ChannelError({
      reason: "rate-limited",
      message,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
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

/**
 * An error without the access token (or its proof): the URL carries them, and a transport error
 * may quote it ("Failed to parse URL from …").
 */
const masked = (options: GraphOptions, e: ChannelError): ChannelError => {
  let message = e.message
  const token = Redacted.value(options.accessToken)
  const secrets = [token, encodeURIComponent(token)]
  if (options.appSecret !== undefined) secrets.push(appSecretProof(Redacted.value(options.appSecret), token))
  for (const s of secrets) if (s.length > 0 && message.includes(s)) message = message.split(s).join("***")
  return message === e.message ? e : new ChannelError({ ...e, message })
}

/** One Graph call (no retry): the JSON answer, or a mapped error. */
export const requestOnce = (
  options: GraphOptions,
  method: "GET" | "POST",
  target: string,
  body: unknown,
  describe: string
): Effect.Effect<unknown, ChannelError> =>
  call(
    options.fetch ?? globalThis.fetch,
    target,
    body === undefined
      ? { method }
      : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    options.retry?.timeoutMs ?? 15_000,
    describe
  ).pipe(
    Effect.flatMap((res) =>
      res.status >= 200 && res.status < 300 && !(isRecord(res.body) && isRecord(res.body["error"]))
        ? Effect.succeed(res.body)
        : Effect.fail(toError(res, describe))
    ),
    Effect.mapError((e) => masked(options, e))
  )

/** An id as one URL path segment (`HttpClient.pathSegment`); Graph ids (digits and `_`) always can be. */
export const pathSegment = HttpClient.pathSegment

/**
 * A Graph call with the bounded retries of {@link withRetry}. A path given as segments (ids from
 * webhooks…) is encoded here; an id that cannot be a path segment fails with `invalid-payload`
 * and nothing is sent.
 */
export const request = (
  options: GraphOptions,
  method: "GET" | "POST",
  path: string | ReadonlyArray<string>,
  params: Readonly<Record<string, string>>,
  body: unknown,
  describe: string
): Effect.Effect<unknown, ChannelError> => {
  let joined: string
  if (typeof path === "string") joined = path
  else {
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
  }
  return withRetry(requestOnce(options, method, url(options, joined, params), body, describe), options.retry)
}
