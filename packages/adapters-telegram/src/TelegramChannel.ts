/**
 * The Telegram channel adapter: verifies the Bot API webhook's `X-Telegram-Bot-Api-Secret-Token`,
 * decodes Updates into kaituan events, and answers buyers with `sendMessage`, as a reply to their
 * comment in the group. A message to a whole conversation (a round's announcement, reminder or
 * sold-out notice: `to.threadId` the chat id) is a plain `sendMessage` to the chat; a text over
 * 4,096 characters goes as several messages, split at line breaks, never inside a character.
 *
 * @since 0.1.0
 */
import {
  ChannelAdapter,
  ConstantTime,
  type Http,
  HttpClient,
  Ids,
  MessageTemplates,
  type Notification,
  SentMessages
} from "@kaituan/core"
import { Config, Context, Effect, type Layer, Option, Redacted, Schema } from "effect"
import * as TelegramUpdate from "./TelegramUpdate.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError

/** @deprecated Use `HttpClient.Fetch` from `@kaituan/core`. */
export type Fetch = HttpClient.Fetch
/** @deprecated Use `HttpClient.RetryPolicy` from `@kaituan/core` (the `retry` option's one shape). */
export type RetryOptions = HttpClient.RetryPolicy

/** The default Bot API base URL. */
export const defaultApiBase = "https://api.telegram.org"

/** The webhook header carrying the secret token set with `setWebhook`. */
export const secretTokenHeader = "x-telegram-bot-api-secret-token"

/** Telegram's limit on one message's text. */
export const maxTextLength = 4096

/** The service name in error texts and spans. */
export const service = "Telegram Bot API"

/** The adapter's options (a Schema: {@link make} decodes them). Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** The bot token from BotFather (`123456:ABC-…`). */
  botToken: Schema.Redacted(Schema.String),
  /** The `secret_token` given to `setWebhook`; every webhook request must carry it. */
  secretToken: Schema.Redacted(Schema.String),
  /** Bot API base URL (default {@link defaultApiBase}; tests and self-hosted Bot API servers). */
  apiBase: Schema.optional(Schema.String),
  /** The channel id (default `telegram`), organiser overrides of the texts, their language (default `zh-TW`). */
  ...ChannelAdapter.OptionsFields,
  /**
   * Outbound calls: `retry` of `sendMessage` (429 `retry_after`, 5xx, network errors), `timeoutMs`
   * of one call (default 15,000), and the transport (`httpClient`, or `fetch`; default the global `fetch`).
   */
  ...HttpClient.OptionsFields
})
/** Decoded options. */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** A Telegram adapter: the port plus Telegram-only helpers. */
export interface TelegramChannelService extends ChannelAdapter.ChannelAdapterService {
  /** Renders a message's text as it would be sent. */
  readonly render: (message: Notification.OutboundMessage) => string
}

/** The Telegram adapter's tag (the same instance is also provided as core's `ChannelAdapter`). */
export class TelegramChannel extends Context.Service<TelegramChannel, TelegramChannelService>()(
  "@kaituan/adapters-telegram/TelegramChannel"
) {}

/**
 * Constant-time string equality.
 *
 * @deprecated Use `ConstantTime.equals` from `@kaituan/core`.
 */
export const safeEqual = (a: string, b: string): boolean => ConstantTime.equals(a, b)

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

/** The options a Bot API call needs. */
export type CallOptions = Pick<OptionsInput, "botToken" | "apiBase" | "fetch" | "httpClient" | "retry" | "timeoutMs">

/** The Bot API client of the stack for a bot: the token is masked in every error text. */
const clientFor = (options: CallOptions): HttpClient.Client =>
  HttpClient.make({
    service,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch,
    secrets: [options.botToken]
  })

/** How a Bot API answer reads: `ok` → fine; 429 → rate limit (`parameters.retry_after`, else `Retry-After`); 5xx → unavailable. */
const classifyAnswer = (res: HttpClient.Answer): HttpClient.Outcome => {
  const answer = Option.getOrUndefined(decodeAnswer(res.body))
  if (answer?.ok === true && res.status < 300) return HttpClient.Outcome.ok
  const code = answer?.error_code ?? res.status
  if (code === 429 || res.status === 429) {
    const given = answer?.parameters?.retry_after
    return HttpClient.Outcome.rateLimited(
      given !== undefined ? given * 1000 : HttpClient.retryAfterMs(res.headers["retry-after"])
    )
  }
  if (res.status >= 500 || code >= 500) return HttpClient.Outcome.unavailable
  return HttpClient.Outcome.refused
}

/** The port's error for a failed call: Telegram's own code and description when it answered. */
const toChannelError =
  (client: HttpClient.Client, method: string) =>
  (e: HttpClient.HttpError): ChannelError => {
    const res = e.response
    if (res === undefined) return HttpClient.toChannelError(e)
    const answer = Option.getOrUndefined(decodeAnswer(res.body))
    const code = answer?.error_code ?? res.status
    const description = answer?.description ?? (res.text.slice(0, 200) || `HTTP ${res.status}`)
    const message = client.mask(`Telegram ${method} failed (${code}): ${description}`)
    switch (e.reason) {
      case "rate-limited":
        return new ChannelError({
          reason: "rate-limited",
          message,
          retryAfterMs: e.retryAfterMs ?? HttpClient.unknownRetryAfterMs
        })
      case "refused":
        return new ChannelError({ reason: code === 401 || code === 404 ? "unauthorized" : "rejected", message })
      default:
        return new ChannelError({ reason: "transport", message })
    }
  }

const callWith = (
  client: HttpClient.Client,
  options: CallOptions,
  method: string,
  params: Readonly<Record<string, unknown>>,
  retry: boolean
): Effect.Effect<unknown, ChannelError> =>
  client
    .execute({
      method: "POST",
      url: `${(options.apiBase ?? defaultApiBase).replace(/\/+$/, "")}/bot${Redacted.value(options.botToken)}/${method}`,
      template: `/bot{token}/${method}`,
      json: params,
      retry,
      classify: classifyAnswer
    })
    .pipe(
      Effect.map((res) => Option.getOrUndefined(decodeAnswer(res.body))?.result),
      Effect.mapError(toChannelError(client, method))
    )

/**
 * Calls one Bot API method through core's HTTP stack and maps its answer: `ok` → the result;
 * 429 → `rate-limited` with `retryAfterMs` from `parameters.retry_after`; 5xx → `transport`;
 * 401/404 → `unauthorized` (a wrong token); other 4xx → `rejected` with Telegram's description.
 * Does not retry. The token (part of the URL) never appears in an error text or a span.
 */
export const callMethod = (
  options: CallOptions,
  method: string,
  params: Readonly<Record<string, unknown>>
): Effect.Effect<unknown, ChannelError> => callWith(clientFor(options), options, method, params, false)

/**
 * Registers the webhook (`setWebhook`) with the secret token, so that Telegram sends it in
 * `X-Telegram-Bot-Api-Secret-Token`. `allowedUpdates` defaults to the kinds kaituan decodes.
 */
export const setWebhook = (
  options: CallOptions & Pick<OptionsInput, "secretToken">,
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

/** Builds the adapter from decoded options. Sending the same message id twice sends one message. */
export const fromOptions = (options: Options): TelegramChannelService => {
  const channel = options.channel ?? "telegram"
  const sent = SentMessages.make()
  const client = clientFor(options)
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
    return ConstantTime.equals(given, Redacted.value(options.secretToken))
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

  /** One `sendMessage` of one part of a message. */
  const sendPart = (text: string, target: Target) =>
    callWith(
      client,
      options,
      "sendMessage",
      {
        chat_id: target.chatId,
        text,
        ...(target.replyToMessageId === undefined
          ? {}
          : { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } })
      },
      true
    ).pipe(
      Effect.map((result): ChannelAdapter.SendResult => {
        const m = Option.getOrUndefined(decodeSent(result))
        return m === undefined ? {} : { platformMessageId: TelegramUpdate.commentIdOf(m.chat.id, m.message_id) }
      })
    )

  /** Telegram's longest photo caption. */
  const MAX_CAPTION = 1024

  /** One `sendPhoto`: `photo` an https URL Telegram fetches, with the text as its caption when given. */
  const sendPhoto = (photo: string, caption: string | undefined, target: Target) =>
    callWith(
      client,
      options,
      "sendPhoto",
      {
        chat_id: target.chatId,
        photo,
        ...(caption === undefined ? {} : { caption }),
        ...(target.replyToMessageId === undefined
          ? {}
          : { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } })
      },
      true
    ).pipe(
      Effect.map((result): ChannelAdapter.SendResult => {
        const m = Option.getOrUndefined(decodeSent(result))
        return m === undefined ? {} : { platformMessageId: TelegramUpdate.commentIdOf(m.chat.id, m.message_id) }
      })
    )

  /** The message's image (a pickup code's QR code): an https URL, else none. */
  const imageOf = (message: Notification.OutboundMessage): string | undefined =>
    message.imageUrl?.startsWith("https://") ? message.imageUrl : undefined

  // A text longer than 4,096 characters (a round's announcement with many items) goes as several
  // messages, split at line breaks; each part is remembered on its own, so a retry after a failed
  // part sends only the parts not sent yet. The first part answers the comment, if any.
  const send = (message: Notification.OutboundMessage): Effect.Effect<ChannelAdapter.SendResult, ChannelError> =>
    sent.once(
      message.id,
      Effect.suspend(() => {
        const parts = MessageTemplates.renderParts(message.kind, message.data, {
          templates: options.templates,
          locale: options.locale,
          maxLength: maxTextLength
        })
        if (parts.join("").trim().length === 0)
          return Effect.fail(
            new ChannelError({ reason: "rejected", message: `message ${message.id} (${message.kind}) renders empty` })
          )
        const target = targetOf(message.to)
        const image = imageOf(message)
        // With an image (a pickup code's QR code): one photo with the text as its caption when it
        // fits, else the text and then the photo.
        if (image !== undefined && parts.length === 1 && parts[0]!.length <= MAX_CAPTION)
          return sendPhoto(image, parts[0]!, target)
        if (parts.length === 1 && image === undefined) return sendPart(parts[0]!, target)
        return Effect.map(
          Effect.forEach(
            [
              ...parts.map((text, i) => ({ text, i })),
              ...(image === undefined ? [] : [{ text: undefined, i: parts.length }])
            ],
            ({ text, i }) =>
              sent.once(
                `${message.id}#part${i + 1}`,
                text === undefined
                  ? sendPhoto(image!, undefined, { chatId: target.chatId })
                  : sendPart(text, i === 0 ? target : { chatId: target.chatId })
              )
          ),
          (results) => results[0]!
        )
      })
    )

  return { channel: Ids.unsafe.channelId(channel), verify, decode, send, render }
}

/** Decodes the options and builds the adapter. */
export const make = (options: OptionsInput): Effect.Effect<TelegramChannelService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

type ConfigKeys = "botToken" | "secretToken" | "apiBase"

/**
 * Reads `TELEGRAM_BOT_TOKEN`, `TELEGRAM_SECRET_TOKEN` (both redacted) and the optional
 * `TELEGRAM_API_BASE`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  botToken: Config.Redacted("TELEGRAM_BOT_TOKEN"),
  secretToken: Config.Redacted("TELEGRAM_SECRET_TOKEN"),
  apiBase: Config.option(Config.String("TELEGRAM_API_BASE")).pipe(Config.map(Option.getOrUndefined))
})

/** Builds the adapter from {@link config} plus the other options. */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<TelegramChannelService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** A layer providing the adapter as {@link TelegramChannel} and as core's `ChannelAdapter` (one instance). */
export const layer = (
  options: OptionsInput
): Layer.Layer<TelegramChannel | ChannelAdapter.ChannelAdapter, Schema.SchemaError> =>
  ChannelAdapter.layerAs(TelegramChannel, make(options))

/** {@link layer} from {@link config}. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<TelegramChannel | ChannelAdapter.ChannelAdapter, Config.ConfigError | Schema.SchemaError> =>
  ChannelAdapter.layerAs(TelegramChannel, makeConfig(rest))
