/**
 * The Telegram channel adapter: verifies the Bot API webhook's `X-Telegram-Bot-Api-Secret-Token`,
 * decodes Updates into kaituan events, and answers buyers with `sendMessage`, as a reply to their
 * comment in the group.
 *
 * @since 0.1.0
 */
import { timingSafeEqual, createHash } from "node:crypto"
import {
  ChannelAdapter,
  type Http,
  HttpClient,
  Ids,
  MessageTemplates,
  type Notification,
  SentMessages
} from "@kaituan/core"
import { Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as TelegramUpdate from "./TelegramUpdate.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError
const { call, withRetry } = HttpClient

/** The fetch function used for outbound calls (the global one by default). */
export type Fetch = HttpClient.Fetch
/** How outbound calls are retried. */
export type RetryOptions = HttpClient.RetryOptions

/** The default Bot API base URL. */
export const defaultApiBase = "https://api.telegram.org"

/** The webhook header carrying the secret token set with `setWebhook`. */
export const secretTokenHeader = "x-telegram-bot-api-secret-token"

/** Telegram's limit on one message's text. */
export const maxTextLength = 4096

/** Options of {@link make}. */
export interface Options {
  /** The bot token from BotFather (`123456:ABC-…`). */
  readonly botToken: Redacted.Redacted<string>
  /** The `secret_token` given to `setWebhook`; every webhook request must carry it. */
  readonly secretToken: Redacted.Redacted<string>
  /** Bot API base URL (default {@link defaultApiBase}; tests and self-hosted Bot API servers). */
  readonly apiBase?: string | undefined
  /** The channel id of the events (default `telegram`). */
  readonly channel?: string | undefined
  /** Organiser overrides of the message texts. */
  readonly templates?: MessageTemplates.Templates | undefined
  /** Language of the built-in texts (default `zh-TW`). */
  readonly locale?: MessageTemplates.Locale | undefined
  /** Retries of `sendMessage` (429 `retry_after`, 5xx, network errors). */
  readonly retry?: RetryOptions | undefined
  /** The fetch used for outbound calls (default the global `fetch`). */
  readonly fetch?: Fetch | undefined
}

/** A Telegram adapter: the port plus Telegram-only helpers. */
export interface TelegramChannelService extends ChannelAdapter.ChannelAdapterService {
  /** Renders a message's text as it would be sent. */
  readonly render: (message: Notification.OutboundMessage) => string
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest()

/** Constant-time string equality (over SHA-256 digests, so lengths leak nothing either). */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

const decodeUpdate = Schema.decodeUnknownEffect(Schema.fromJsonString(TelegramUpdate.Update))

/** The Bot API's answer envelope. */
const ApiAnswer = Schema.Struct({
  ok: Schema.Boolean,
  result: Schema.optional(Schema.Unknown),
  error_code: Schema.optional(Schema.Number),
  description: Schema.optional(Schema.String),
  parameters: Schema.optional(
    Schema.Struct({
      retry_after: Schema.optional(Schema.Number),
      migrate_to_chat_id: Schema.optional(Schema.Number)
    })
  )
})
type ApiAnswer = typeof ApiAnswer.Type
const decodeAnswer = Schema.decodeUnknownOption(ApiAnswer)

const SentMessage = Schema.Struct({ message_id: Schema.Number, chat: Schema.Struct({ id: Schema.Number }) })
const decodeSent = Schema.decodeUnknownOption(SentMessage)

/** Where a message goes in Telegram terms. */
export interface Target {
  readonly chatId: string
  readonly replyToMessageId?: number | undefined
}

/**
 * Works out the chat and the message to reply to: the chat is the recipient's `threadId` (the
 * group), else the chat part of `replyToCommentId` (`${chat.id}:${message_id}`), else the user
 * (a private chat, which works only after the buyer has started the bot).
 */
export const targetOf = (to: Notification.Recipient): Target => {
  const m = to.replyToCommentId === undefined ? null : /^(-?\d+):(\d+)$/.exec(to.replyToCommentId)
  const chatId = to.threadId ?? m?.[1] ?? to.userId
  const replyToMessageId = m !== null && m[1] === chatId ? Number(m[2]) : undefined
  return replyToMessageId === undefined ? { chatId } : { chatId, replyToMessageId }
}

/**
 * Calls one Bot API method and maps its answer: `ok` → the result; 429 → `rate-limited` with
 * `retryAfterMs` from `parameters.retry_after`; 5xx → `transport`; 401/404 → `unauthorized` (a
 * wrong token); other 4xx → `rejected` with Telegram's description. Does not retry.
 */
export const callMethod = (
  options: Pick<Options, "botToken" | "apiBase" | "fetch" | "retry">,
  method: string,
  params: Readonly<Record<string, unknown>>
): Effect.Effect<unknown, ChannelError> => {
  const base = (options.apiBase ?? defaultApiBase).replace(/\/+$/, "")
  const token = Redacted.value(options.botToken)
  const url = `${base}/bot${token}/${method}`
  // The token is part of the URL: a transport error quoting the URL ("Failed to parse URL from
  // …") must not carry it into logs or the outbox.
  const masked = (e: ChannelError): ChannelError =>
    token !== "" && e.message.includes(token)
      ? new ChannelError({ ...e, message: e.message.split(token).join("***") })
      : e
  return call(
    options.fetch ?? globalThis.fetch,
    url,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) },
    options.retry?.timeoutMs ?? 15_000,
    `Telegram ${method}`
  ).pipe(
    Effect.flatMap((res) => {
      const answer: ApiAnswer | undefined = Option.getOrUndefined(decodeAnswer(res.body))
      if (answer?.ok === true && res.status < 300) return Effect.succeed(answer.result)
      const code = answer?.error_code ?? res.status
      const description = answer?.description ?? (res.text.slice(0, 200) || `HTTP ${res.status}`)
      const message = `Telegram ${method} failed (${code}): ${description}`
      if (code === 429 || res.status === 429) {
        const given = answer?.parameters?.retry_after
        const retryAfterMs =
          given !== undefined ? given * 1000 : HttpClient.retryAfterMs(res.headers.get("retry-after"))
        return Effect.fail(
          new ChannelError({
            reason: "rate-limited",
            message,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs })
          })
        )
      }
      if (res.status >= 500 || code >= 500) return Effect.fail(new ChannelError({ reason: "transport", message }))
      if (code === 401 || code === 404) return Effect.fail(new ChannelError({ reason: "unauthorized", message }))
      return Effect.fail(new ChannelError({ reason: "rejected", message }))
    }),
    Effect.mapError(masked)
  )
}

/**
 * Registers the webhook (`setWebhook`) with the secret token, so that Telegram sends it in
 * `X-Telegram-Bot-Api-Secret-Token`. `allowedUpdates` defaults to the kinds kaituan decodes.
 */
export const setWebhook = (
  options: Pick<Options, "botToken" | "secretToken" | "apiBase" | "fetch" | "retry">,
  webhook: {
    readonly url: string
    readonly allowedUpdates?: ReadonlyArray<string> | undefined
    readonly dropPendingUpdates?: boolean | undefined
  }
): Effect.Effect<void, ChannelError> =>
  callMethod(options, "setWebhook", {
    url: webhook.url,
    secret_token: Redacted.value(options.secretToken),
    allowed_updates: webhook.allowedUpdates ?? ["message", "edited_message", "channel_post", "edited_channel_post"],
    ...(webhook.dropPendingUpdates === undefined ? {} : { drop_pending_updates: webhook.dropPendingUpdates })
  }).pipe(Effect.asVoid)

/** Builds the adapter. Sending the same message id twice sends one message. */
export const make = (options: Options): Effect.Effect<TelegramChannelService> =>
  Effect.sync(() => {
    const channel = options.channel ?? "telegram"
    const sent = SentMessages.make()
    const render = (message: Notification.OutboundMessage) =>
      MessageTemplates.render(message.kind, message.data, {
        templates: options.templates,
        locale: options.locale,
        maxLength: maxTextLength
      })

    const verify = (req: Http.InboundRequest): Effect.Effect<void, ChannelError> => {
      const given = req.headers[secretTokenHeader]
      if (given === undefined || given.length === 0)
        return Effect.fail(new ChannelError({ reason: "unauthorized", message: `missing ${secretTokenHeader} header` }))
      return safeEqual(given, Redacted.value(options.secretToken))
        ? Effect.void
        : Effect.fail(new ChannelError({ reason: "unauthorized", message: `wrong ${secretTokenHeader} header` }))
    }

    // Decoding never throws past here: an Update that decodes but cannot be mapped (a date no
    // `Date` can hold…) is invalid-payload too, not a defect.
    const decode = (req: Http.InboundRequest) =>
      decodeUpdate(new TextDecoder("utf-8", { fatal: false }).decode(req.rawBody)).pipe(
        Effect.mapError(
          (e) => new ChannelError({ reason: "invalid-payload", message: `not a Telegram Update: ${e.message}` })
        ),
        Effect.flatMap((u) =>
          Effect.try({
            try: () => TelegramUpdate.toEvents(u, channel),
            catch: (e) =>
              new ChannelError({
                reason: "invalid-payload",
                message: `the Update cannot be read (${e instanceof Error ? e.name : typeof e})`
              })
          })
        )
      )

    const sendOnce = (message: Notification.OutboundMessage, target: Target) =>
      callMethod(options, "sendMessage", {
        chat_id: target.chatId,
        text: render(message),
        ...(target.replyToMessageId === undefined
          ? {}
          : { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } })
      })

    const send = (message: Notification.OutboundMessage): Effect.Effect<ChannelAdapter.SendResult, ChannelError> =>
      sent.once(
        message.id,
        Effect.suspend(() => {
          const text = render(message)
          if (text.trim().length === 0)
            return Effect.fail(
              new ChannelError({ reason: "rejected", message: `message ${message.id} (${message.kind}) renders empty` })
            )
          return withRetry(sendOnce(message, targetOf(message.to)), options.retry).pipe(
            Effect.map((result): ChannelAdapter.SendResult => {
              const m = Option.getOrUndefined(decodeSent(result))
              return m === undefined ? {} : { platformMessageId: TelegramUpdate.commentIdOf(m.chat.id, m.message_id) }
            })
          )
        })
      )

    return { channel: Ids.unsafe.channelId(channel), verify, decode, send, render }
  })

/** A layer providing the adapter as core's single-channel `ChannelAdapter`. */
export const layer = (options: Options): Layer.Layer<ChannelAdapter.ChannelAdapter> =>
  Layer.effect(ChannelAdapter.ChannelAdapter, make(options))

/**
 * Reads `TELEGRAM_BOT_TOKEN`, `TELEGRAM_SECRET_TOKEN` (both redacted) and the optional
 * `TELEGRAM_API_BASE`.
 */
export const config: Config.Config<Pick<Options, "botToken" | "secretToken" | "apiBase">> = Config.all({
  botToken: Config.Redacted("TELEGRAM_BOT_TOKEN"),
  secretToken: Config.Redacted("TELEGRAM_SECRET_TOKEN"),
  apiBase: Config.option(Config.String("TELEGRAM_API_BASE")).pipe(Config.map(Option.getOrUndefined))
})

/** Builds the adapter from {@link config} plus the other options. */
export const makeConfig = (
  rest: Omit<Options, "botToken" | "secretToken" | "apiBase"> = {}
): Effect.Effect<TelegramChannelService, Config.ConfigError> => Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} from {@link config}. */
export const layerConfig = (
  rest: Omit<Options, "botToken" | "secretToken" | "apiBase"> = {}
): Layer.Layer<ChannelAdapter.ChannelAdapter, Config.ConfigError> =>
  Layer.effect(ChannelAdapter.ChannelAdapter, makeConfig(rest))
