/**
 * The LINE Messaging API as a kaituan {@link ChannelAdapter.ChannelAdapterService}: verifies
 * `x-line-signature`, decodes webhook events (with display names from the member-profile API,
 * cached), and sends buyer messages by reply token when it is fresh, else by push with an
 * `X-Line-Retry-Key` so a retried push is never a second message. A message to a whole
 * conversation (a round's announcement, reminder or sold-out notice: `to.userId` empty,
 * `to.threadId` the group `C…` or room `R…` id) is pushed to the group or room. A text longer
 * than LINE's 5,000 characters goes as up to 5 text messages of one push (split at line breaks,
 * never inside a character; the fifth is cut with "…" if even that is not enough).
 *
 * @example
 * ```ts
 * import { LineChannel } from "@kaituan/adapters-line"
 * import { Http } from "@kaituan/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const line = yield* LineChannel.make({ channelSecret: "…", channelAccessToken: "…" })
 *   const req = Http.request({ path: "/webhooks/line", headers: { "x-line-signature": sig }, body: raw })
 *   yield* line.verify(req)
 *   const events = yield* line.decode(req)
 * })
 * ```
 *
 * @since 0.1.0
 */
import {
  Cache,
  ChannelAdapter,
  type Http,
  HttpClient,
  MessageTemplates,
  type Notification,
  SentMessages
} from "@kaituan/core"
import { Clock, Config, Context, Effect, type Layer, Redacted, Result, Schema } from "effect"
import * as LineApi from "./internal/LineApi.js"
import * as LineSignature from "./LineSignature.js"
import * as LineTemplates from "./LineTemplates.js"
import * as LineWebhook from "./LineWebhook.js"

type ChannelError = ChannelAdapter.ChannelError
type InboundEvent = ChannelAdapter.InboundEvent

/** The route kaituan serves LINE webhooks on (register `https://<host>/webhooks/line` in the LINE console). */
export const webhookPath = "/webhooks/line"

/** LINE's production API base. */
export const defaultApiBase = "https://api.line.me"

/** The retry policy for outbound calls (429, 5xx, network errors): core's one shape. */
export type RetryPolicy = HttpClient.RetryPolicy

/** A secret given as a `Redacted` or as plain text (wrapped at once). */
const Secret = Schema.Union([Schema.Redacted(Schema.String), Schema.RedactedFromValue(Schema.String)])

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const Millis = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** The adapter's options (a Schema: {@link make} decodes them). Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** The channel secret (Basic settings tab), used to verify signatures. */
  channelSecret: Secret,
  /** A long-lived channel access token (Messaging API tab). */
  channelAccessToken: Secret,
  /** API base URL; default `https://api.line.me` (tests point it at a fake server). */
  apiBase: Schema.optional(Schema.String),
  /** The channel id (default `"line"`), per-kind text overrides, and the built-in texts' language (default `zh-TW`). */
  ...ChannelAdapter.OptionsFields,
  /**
   * Values every template sees unless the message's own `data` has them: the bank account
   * (`bank: { name, code, account }`) or `howToPay`, the pickup `place`, the `round` title…
   */
  templateData: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
  /** Look up display names while decoding (best effort, cached). Default `true`. */
  resolveNames: Schema.optional(Schema.Boolean),
  /** How long one name lookup may take while decoding before it is skipped. Default 1500 ms. */
  nameLookupTimeoutMs: Schema.optional(Millis),
  /** The display-name cache. Default 5,000 entries for 10 minutes. */
  profileCache: Schema.optional(
    Schema.Struct({ maxEntries: Schema.optional(PositiveInt), ttlMs: Schema.optional(Millis) })
  ),
  /** A reply token older than this is not tried (LINE's last about a minute). Default 50,000 ms. */
  replyTokenTtlMs: Schema.optional(Millis),
  /** Where a push goes: the buyer privately (`"user"`, default) or the group/room the comment was in (`"thread"`). */
  pushTo: Schema.optional(Schema.Literals(["user", "thread"])),
  /** Remove the bot's own `@mention` from comment texts. Default `true`. */
  stripBotMention: Schema.optional(Schema.Boolean),
  /**
   * Outbound calls: `retry` (default 3 retries from 500 ms, at most 8 s apart, honouring
   * `Retry-After` up to 30 s), `timeoutMs` of one call (default 10,000), and the transport:
   * `httpClient` (an Effect `HttpClient`) or `fetch`; default `node:http` / `node:https` with
   * keep-alive, cheaper per call than `fetch`.
   */
  ...HttpClient.OptionsFields,
  /** @deprecated Use `timeoutMs`. */
  requestTimeoutMs: Schema.optional(Schema.Finite.check(Schema.isGreaterThan(0)))
})
/** Decoded options (secrets `Redacted`). */
export type Options = typeof Options.Type
/** The options {@link make} takes (secrets as `Redacted` or plain strings). */
export type OptionsInput = typeof Options.Encoded

/** A decoded delivery: the events, and the events that could not be decoded (skipped, with why). */
export interface Delivery {
  readonly events: ReadonlyArray<InboundEvent>
  readonly skipped: ReadonlyArray<LineWebhook.SkippedEvent>
}

/** The LINE adapter: the port plus LINE-specific helpers. */
export interface LineChannelService extends ChannelAdapter.ChannelAdapterService {
  /**
   * {@link ChannelAdapter.ChannelAdapterService.decode} with the events that could not be decoded:
   * one malformed event is skipped (and listed) rather than failing the delivery, so the good
   * events of the same delivery are kept. Fails with `invalid-payload` when the body is not a
   * webhook body, or when no event decodes and some did not.
   */
  readonly decodeDelivery: (req: Http.InboundRequest) => Effect.Effect<Delivery, ChannelError>
  /**
   * The display name of a user, from the group/room member-profile API when `threadId` is a
   * group (`C…`) or room (`R…`), else from the profile API (1:1 friends). Cached (LRU + TTL).
   */
  readonly displayName: (userId: string, threadId?: string) => Effect.Effect<string, ChannelError>
  /** The text {@link send} would send for a message. */
  readonly render: (message: Notification.OutboundMessage) => string
}

/** The LINE adapter's tag. */
export class LineChannel extends Context.Service<LineChannel, LineChannelService>()(
  "@kaituan/adapters-line/LineChannel"
) {}

const invalid = (message: string) => new ChannelAdapter.ChannelError({ reason: "invalid-payload", message })

const sentMessageId = (body: unknown): string | undefined => {
  const list = (body as { sentMessages?: ReadonlyArray<{ id?: unknown }> } | null)?.sentMessages
  const id = Array.isArray(list) ? list[0]?.id : undefined
  return typeof id === "string" ? id : undefined
}

/** The profile API path of a user (and its template), or `undefined` when an id cannot be a path segment (LINE's never are). */
const profilePath = (
  userId: string,
  threadId: string | undefined
): { readonly path: string; readonly template: string } | undefined => {
  const u = LineApi.pathSegment(userId)
  if (u === undefined) return undefined
  if (threadId?.startsWith("C") || threadId?.startsWith("R")) {
    const t = LineApi.pathSegment(threadId)
    if (t === undefined) return undefined
    return threadId.startsWith("C")
      ? { path: `/v2/bot/group/${t}/member/${u}`, template: "/v2/bot/group/{groupId}/member/{userId}" }
      : { path: `/v2/bot/room/${t}/member/${u}`, template: "/v2/bot/room/{roomId}/member/{userId}" }
  }
  return { path: `/v2/bot/profile/${u}`, template: "/v2/bot/profile/{userId}" }
}

/** Builds the adapter from decoded options. */
export const fromOptions = (options: Options): LineChannelService => {
  const channel = (options.channel ?? "line") as ChannelAdapter.ChannelAdapterService["channel"]
  const secret = options.channelSecret
  const api = LineApi.make({
    baseUrl: options.apiBase ?? defaultApiBase,
    accessToken: options.channelAccessToken,
    fetch: options.fetch,
    httpClient: options.httpClient,
    timeoutMs: options.timeoutMs ?? options.requestTimeoutMs ?? options.retry?.timeoutMs ?? 10_000,
    retry: options.retry
  })
  const replyTtl = options.replyTokenTtlMs ?? 50_000
  const names = Cache.make<string, string>({
    maxEntries: options.profileCache?.maxEntries ?? 5_000,
    ttlMs: options.profileCache?.ttlMs ?? 600_000
  })
  /** Reply tokens seen in decoded events, with when they arrived (ms), and whether used. */
  const replyTokens = Cache.make<string, { readonly receivedAt: number; used: boolean }>({
    maxEntries: 10_000,
    ttlMs: 300_000
  })
  /** Results of messages already delivered, by message id (a resend of the same id is a no-op). */
  const delivered = SentMessages.make()

  const lookup = (userId: string, threadId: string | undefined, retry: boolean): Effect.Effect<string, ChannelError> =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const hit = names.get(userId, now)
      if (hit !== undefined) return hit
      const target = profilePath(userId, threadId)
      if (target === undefined)
        return yield* new ChannelAdapter.ChannelError({
          reason: "rejected",
          message: "the user or chat id is not a LINE id"
        })
      const res = yield* api.call({ method: "GET", ...target, retry }).pipe(Effect.mapError(HttpClient.toChannelError))
      const name = (res.body as { displayName?: unknown } | null)?.displayName
      if (typeof name !== "string")
        return yield* new ChannelAdapter.ChannelError({
          reason: "transport",
          message: `${LineApi.service} GET ${target.template}: a profile without displayName`
        })
      names.set(userId, name, yield* Clock.currentTimeMillis)
      return name
    })

  const displayName: LineChannelService["displayName"] = (userId, threadId) => lookup(userId, threadId, true)

  const nameable = (e: InboundEvent): e is Extract<InboundEvent, { _tag: "Comment" | "NonText" | "MemberJoined" }> =>
    e._tag === "Comment" || e._tag === "NonText" || e._tag === "MemberJoined"

  /** The events with their authors' display names: cached ones at once, the others looked up (best effort). */
  const withNames = (
    events: ReadonlyArray<InboundEvent>,
    destination: string | undefined,
    now: number
  ): Effect.Effect<ReadonlyArray<InboundEvent>> => {
    const found = new Map<string, string>()
    const wanted = new Map<string, string | undefined>()
    for (const e of events) {
      if (!nameable(e)) continue
      const id = e.author.id
      if (id === LineWebhook.UNKNOWN_USER || id === destination || found.has(id) || wanted.has(id)) continue
      const hit = names.get(id, now)
      if (hit !== undefined) found.set(id, hit)
      else wanted.set(id, e.threadId)
    }
    const named = () =>
      events.map((e) => {
        if (!nameable(e)) return e
        const name = found.get(e.author.id)
        return name === undefined ? e : { ...e, author: { ...e.author, name } }
      })
    if (wanted.size === 0) return Effect.sync(named)
    return Effect.forEach(
      [...wanted],
      ([userId, threadId]) =>
        lookup(userId, threadId, false).pipe(
          Effect.timeout(options.nameLookupTimeoutMs ?? 1_500),
          Effect.tap((name) => Effect.sync(() => found.set(userId, name))),
          Effect.ignoreCause
        ),
      { concurrency: 4, discard: true }
    ).pipe(Effect.map(named))
  }

  const verify: LineChannelService["verify"] = (req: Http.InboundRequest) =>
    LineSignature.verify(Redacted.value(secret), req.rawBody, req.headers["x-line-signature"])
      ? Effect.void
      : Effect.fail(
          new ChannelAdapter.ChannelError({
            reason: "unauthorized",
            message:
              req.headers["x-line-signature"] === undefined
                ? "missing x-line-signature header"
                : "x-line-signature does not match the body"
          })
        )

  const decodeDelivery: LineChannelService["decodeDelivery"] = (req) =>
    Effect.suspend(() => {
      const decoded = LineWebhook.decode(req.rawBody, {
        channel,
        stripBotMention: options.stripBotMention ?? true
      })
      if (Result.isFailure(decoded)) return Effect.fail(invalid(decoded.failure.message))
      const { events, destination, skipped } = decoded.success
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        for (const e of events) {
          if (e._tag === "Comment" && e.replyToken !== undefined && !replyTokens.has(e.replyToken, now)) {
            replyTokens.set(e.replyToken, { receivedAt: now, used: false }, now)
          }
        }
        const named = (options.resolveNames ?? true) ? withNames(events, destination, now) : Effect.succeed(events)
        return Effect.map(named, (events): Delivery => ({ events, skipped }))
      })
    })

  const decode: LineChannelService["decode"] = (req) => Effect.map(decodeDelivery(req), (d) => d.events)

  const render: LineChannelService["render"] = (message) =>
    LineTemplates.render(
      message.kind,
      options.templateData === undefined ? message.data : { ...options.templateData, ...message.data },
      { templates: options.templates, locale: options.locale }
    )

  /**
   * The texts of a message within LINE's limits: at most 5 messages of 5,000 characters (4 texts
   * when an image goes with them).
   */
  const renderParts = (message: Notification.OutboundMessage): Array<string> =>
    MessageTemplates.renderParts(
      message.kind,
      options.templateData === undefined ? message.data : { ...options.templateData, ...message.data },
      {
        templates: options.templates,
        locale: options.locale,
        maxLength: LineTemplates.MAX_TEXT_LENGTH,
        maxParts: imageOf(message) === undefined ? 5 : 4
      }
    )

  /**
   * The message's image as LINE takes one (an image message: `originalContentUrl` and
   * `previewImageUrl`, both https, at most 2,000 characters), or undefined (none, or not https).
   */
  const imageOf = (message: Notification.OutboundMessage): string | undefined => {
    const url = message.imageUrl
    return url?.startsWith("https://") && url.length <= 2000 ? url : undefined
  }

  /** The LINE messages: the texts, then the image (a pickup code's QR code) when there is one. */
  const lineMessages = (texts: ReadonlyArray<string>, image: string | undefined) => [
    ...texts.map((text) => ({ type: "text", text })),
    ...(image === undefined ? [] : [{ type: "image", originalContentUrl: image, previewImageUrl: image }])
  ]

  // One attempt only: a reply token is single-use, so a retry after an ambiguous failure could
  // never succeed; any failure but a bad access token falls back to push (which retries safely).
  const reply = (token: string, text: ReadonlyArray<string>, image: string | undefined) =>
    api
      .call({
        method: "POST",
        path: "/v2/bot/message/reply",
        template: "/v2/bot/message/reply",
        body: { replyToken: token, messages: lineMessages(text, image) },
        retry: false
      })
      .pipe(Effect.map((res): ChannelAdapter.SendResult => ({ platformMessageId: sentMessageId(res.body) })))

  const push = (message: Notification.OutboundMessage, text: ReadonlyArray<string>, image: string | undefined) => {
    const to =
      options.pushTo === "thread"
        ? (message.to.threadId ?? message.to.userId)
        : message.to.userId !== ""
          ? message.to.userId
          : (message.to.threadId ?? "")
    return api
      .call({
        method: "POST",
        path: "/v2/bot/message/push",
        template: "/v2/bot/message/push",
        // The same key on every attempt and after a restart: LINE sends the message once.
        headers: { "x-line-retry-key": LineApi.retryKeyFor(message.id) },
        body: { to, messages: lineMessages(text, image) }
      })
      .pipe(
        Effect.map((res): ChannelAdapter.SendResult => ({ platformMessageId: sentMessageId(res.body) })),
        // 409: this retry key was already accepted, i.e. the message was sent before.
        Effect.catchIf(
          (e) => e.status === 409,
          (e) => Effect.succeed<ChannelAdapter.SendResult>({ platformMessageId: sentMessageId(e.response?.body) })
        )
      )
  }

  /** The reply token to try first, if any; marks it used (tokens are single-use). */
  const takeReplyToken = (message: Notification.OutboundMessage, now: number): string | undefined => {
    const token = message.to.replyToken
    if (token === undefined || token === "") return undefined
    const seen = replyTokens.get(token, now)
    if (seen?.used === true) return undefined
    const created = Date.parse(message.createdAt)
    const since = seen?.receivedAt ?? (Number.isNaN(created) ? now : created)
    if (now - since > replyTtl) return undefined
    replyTokens.set(token, { receivedAt: since, used: true }, now)
    return token
  }

  const send: LineChannelService["send"] = (message) =>
    delivered.once(
      message.id,
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<ChannelAdapter.SendResult, ChannelError> => {
        const text = renderParts(message)
        if (text.join("").trim() === "") {
          return Effect.fail(
            new ChannelAdapter.ChannelError({
              reason: "invalid-payload",
              message: `message ${message.id} (${message.kind}) renders to an empty text`
            })
          )
        }
        const token = takeReplyToken(message, now)
        const image = imageOf(message)
        const sent =
          token === undefined
            ? push(message, text, image)
            : reply(token, text, image).pipe(
                // A bad access token fails the push too: surface it; anything else falls back to push.
                Effect.catchIf(
                  (e) => e.status !== 401,
                  () => push(message, text, image)
                )
              )
        return Effect.mapError(sent, HttpClient.toChannelError)
      })
    )

  return { channel, verify, decode, decodeDelivery, send, displayName, render }
}

/** Decodes the options (secrets may be plain strings: they are wrapped in `Redacted`) and builds the adapter. */
export const make = (options: OptionsInput): Effect.Effect<LineChannelService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

/** The options read from Effect `Config` (see {@link config}). */
type ConfigKeys = "channelSecret" | "channelAccessToken" | "apiBase"

/**
 * The options from configuration: `LINE_CHANNEL_SECRET` and `LINE_CHANNEL_ACCESS_TOKEN`
 * (redacted), `LINE_API_BASE` (optional override of `https://api.line.me`).
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  channelSecret: Config.Redacted("LINE_CHANNEL_SECRET"),
  channelAccessToken: Config.Redacted("LINE_CHANNEL_ACCESS_TOKEN"),
  apiBase: Config.String("LINE_API_BASE").pipe(Config.withDefault(defaultApiBase))
})

/** {@link make} with the secrets and API base from {@link config}; `rest` sets everything else. */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<LineChannelService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** A layer providing the adapter as {@link LineChannel} and as core's `ChannelAdapter` (one instance). */
export const layer = (
  options: OptionsInput
): Layer.Layer<LineChannel | ChannelAdapter.ChannelAdapter, Schema.SchemaError> =>
  ChannelAdapter.layerAs(LineChannel, make(options))

/** {@link layer} from {@link config} (see {@link makeConfig}). */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<LineChannel | ChannelAdapter.ChannelAdapter, Config.ConfigError | Schema.SchemaError> =>
  ChannelAdapter.layerAs(LineChannel, makeConfig(rest))
