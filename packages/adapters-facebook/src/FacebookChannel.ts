/**
 * The Facebook Page channel adapter: answers the webhook verification handshake, checks
 * `X-Hub-Signature-256`, decodes `feed` comment changes (posts and live videos) into kaituan
 * events, and answers buyers with a Messenger **private reply** to their comment (one per comment,
 * within 7 days, as Meta allows) or a public reply under it. A message to a whole conversation (a
 * round's announcement, reminder or sold-out notice: no comment to answer, `to.userId` empty and
 * `to.threadId` set) is
 * a comment by the Page on the post (`POST /{post-id}/comments`, split into several comments past
 * {@link maxCommentLength}), or, when the conversation is the Page itself (the `pageId` option,
 * or the word `page`), a Page post (`POST /{page-id}/feed`, cut at {@link maxPostLength}).
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
import { Clock, Config, Context, Effect, type Layer, Option, Redacted, Schema } from "effect"
import * as FacebookSignature from "./FacebookSignature.js"
import * as FacebookWebhook from "./FacebookWebhook.js"
import * as GraphComments from "./GraphComments.js"
import { errorCode, type GraphOptions, request } from "./internal/graph.js"
import * as PrivateReplies from "./PrivateReplies.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError

export type { Fetch, RetryOptions } from "./internal/graph.js"
export { defaultGraphBase, defaultGraphVersion } from "./internal/graph.js"

/** Messenger's limit on one text message. */
export const maxTextLength = 2000

/**
 * The longest comment kaituan writes (a Page's comment on a post). Meta does not state it in the
 * Graph reference we read (protocols.md has no figure); 8,000 characters is the limit commonly
 * reported for comments, so longer notices are split into several comments.
 */
export const maxCommentLength = 8000

/** The longest Page post (`/{page-id}/feed` `message`): 63,206 characters, as commonly reported (not in protocols.md). */
export const maxPostLength = 63_206

/** Meta's error code for a second private reply to the same comment. */
export const alreadyRepliedCode = 10900

/** How a message answers a comment: a Messenger private reply, or a public reply under the comment. */
export type ReplyMode = "private" | "public"

/** The Schema of a {@link PrivateReplies.PrivateReplyStore}. */
const PrivateReplyStoreSchema: Schema.declare<PrivateReplies.PrivateReplyStore> = Schema.declare(
  (u: unknown): u is PrivateReplies.PrivateReplyStore =>
    typeof u === "object" &&
    u !== null &&
    ["noteComment", "commentTime", "claim", "complete", "release"].every(
      (k) => typeof (u as Record<string, unknown>)[k] === "function"
    ),
  { expected: "a PrivateReplyStore" }
)

/** The adapter's options (a Schema: {@link make} decodes them). Secrets are `Redacted`. */
export const Options = Schema.Struct({
  /** The App Secret: the key of `X-Hub-Signature-256`. */
  appSecret: Schema.Redacted(Schema.String),
  /** The verify token typed into the app dashboard's webhook settings. */
  verifyToken: Schema.Redacted(Schema.String),
  /** A Page access token with `pages_messaging`, `pages_read_user_content`, `pages_manage_metadata`. */
  pageAccessToken: Schema.Redacted(Schema.String),
  /** The Page id for `POST /{page-id}/messages` (default `me`, the Page of the token). */
  pageId: Schema.optional(Schema.String),
  /** Graph API base URL (default `https://graph.facebook.com`; tests). */
  graphBase: Schema.optional(Schema.String),
  /** Graph API version (default {@link defaultGraphVersion}). */
  graphVersion: Schema.optional(Schema.String),
  /** The channel id (default `facebook`), organiser overrides of the texts, their language (default `zh-TW`). */
  ...ChannelAdapter.OptionsFields,
  /**
   * Default answer mode (default `private`). A message overrides it with `data.replyMode`
   * (`"private"` or `"public"`).
   */
  replyMode: Schema.optional(Schema.Literals(["private", "public"])),
  /** Where comment times and private-reply claims are kept (default: in memory). */
  privateReplies: Schema.optional(PrivateReplyStoreSchema),
  /**
   * When the comment's time is unknown (not seen by this adapter), ask the Graph API for it before
   * a private reply, to enforce the 7-day rule (default `true`). With `false`, Meta's own answer decides.
   */
  lookupCommentTime: Schema.optional(Schema.Boolean),
  /** Send `appsecret_proof` with every Graph call (default `true`). */
  appSecretProof: Schema.optional(Schema.Boolean),
  /**
   * Graph calls: `retry` (rate limits, 5xx, network errors), `timeoutMs` of one call (default
   * 15,000), and the transport (`httpClient`, or `fetch`; default the global `fetch`).
   */
  ...HttpClient.OptionsFields
})
/** Decoded options. */
export type Options = typeof Options.Type
/** The options {@link make} takes. */
export type OptionsInput = typeof Options.Encoded

/** A Facebook adapter: the port plus Facebook-only helpers. */
export interface FacebookChannelService extends ChannelAdapter.ChannelAdapterService {
  /**
   * {@link ChannelAdapter.ChannelAdapterService.decode} with the comment changes that could not be
   * decoded: one malformed change is skipped (and listed) rather than failing the delivery, so the
   * good ones of the same delivery are kept. Fails with `invalid-payload` when the body is not a
   * Page webhook body, or when no change decodes and some did not.
   */
  readonly decodeDelivery: (req: Http.InboundRequest) => Effect.Effect<FacebookWebhook.Delivery, ChannelError>
  /** Renders a message's text as it would be sent. */
  readonly render: (message: Notification.OutboundMessage) => string
  /**
   * Pulls all comments of a post or live video (see {@link GraphComments.pull}) with this
   * adapter's token, remembering their times for the private-reply window.
   */
  readonly pullComments: (
    input: Omit<GraphComments.PullOptions, keyof GraphOptions | "channel">
  ) => Effect.Effect<ReadonlyArray<GraphComments.Comment>, ChannelError>
  /** The private-reply store in use. */
  readonly privateReplies: PrivateReplies.PrivateReplyStore
}

/** The Facebook adapter's tag (the same instance is also provided as core's `ChannelAdapter`). */
export class FacebookChannel extends Context.Service<FacebookChannel, FacebookChannelService>()(
  "@kaituan/adapters-facebook/FacebookChannel"
) {}

/**
 * Answers Meta's verification request: `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`
 * → 200 `text/plain` with the challenge when the token matches, else 403. Any other GET is 403;
 * a POST is not a handshake (`undefined`).
 */
export const handshake = (verifyToken: string, req: Http.InboundRequest): Http.PlainResponse | undefined => {
  if (req.method.toUpperCase() !== "GET") return undefined
  const mode = req.query["hub.mode"] ?? req.query["hub_mode"]
  const token = req.query["hub.verify_token"] ?? req.query["hub_verify_token"]
  const challenge = req.query["hub.challenge"] ?? req.query["hub_challenge"]
  if (mode === "subscribe" && token !== undefined && challenge !== undefined && ConstantTime.equals(token, verifyToken))
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: challenge }
  return { status: 403, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Forbidden" }
}

const decodeEnvelope = Schema.decodeUnknownEffect(Schema.fromJsonString(FacebookWebhook.Envelope))

const SendAnswer = Schema.Struct({ message_id: Schema.optional(Schema.String), id: Schema.optional(Schema.String) })
const decodeSendAnswer = Schema.decodeUnknownOption(SendAnswer)
const CommentTime = Schema.Struct({ created_time: Schema.Union([Schema.String, Schema.Number]) })
const decodeCommentTime = Schema.decodeUnknownOption(CommentTime)

/** Builds the adapter from decoded options. Sending the same message id twice sends one message. */
export const fromOptions = (options: Options): FacebookChannelService => {
  const channel = options.channel ?? "facebook"
  const pageId = options.pageId ?? "me"
  const store = options.privateReplies ?? PrivateReplies.makeMemory()
  const sent = SentMessages.make()
  const graph: GraphOptions = {
    accessToken: options.pageAccessToken,
    ...(options.appSecretProof === false ? {} : { appSecret: options.appSecret }),
    graphBase: options.graphBase,
    graphVersion: options.graphVersion,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    httpClient: options.httpClient,
    fetch: options.fetch
  }
  const render = (message: Notification.OutboundMessage) =>
    MessageTemplates.render(message.kind, message.data, {
      templates: options.templates,
      locale: options.locale,
      maxLength: maxTextLength
    })

  const verify = (req: Http.InboundRequest): Effect.Effect<void, ChannelError> => {
    const given = req.headers[FacebookSignature.header]
    if (given === undefined || given.length === 0)
      return Effect.fail(new ChannelError({ reason: "unauthorized", message: "missing X-Hub-Signature-256 header" }))
    return FacebookSignature.verify(Redacted.value(options.appSecret), req.rawBody, given)
      ? Effect.void
      : Effect.fail(new ChannelError({ reason: "unauthorized", message: "wrong X-Hub-Signature-256 signature" }))
  }

  const noteTimes = (events: ReadonlyArray<ChannelAdapter.InboundEvent>) =>
    Effect.forEach(
      events,
      (e) => (e._tag === "Comment" ? store.noteComment(e.commentId, Date.parse(e.at)) : Effect.void),
      { discard: true }
    )

  const decodeDelivery = (req: Http.InboundRequest): Effect.Effect<FacebookWebhook.Delivery, ChannelError> =>
    decodeEnvelope(new TextDecoder().decode(req.rawBody)).pipe(
      Effect.mapError(
        (e) => new ChannelError({ reason: "invalid-payload", message: `not a Page webhook body: ${e.message}` })
      ),
      Effect.flatMap((envelope) => {
        const delivery = FacebookWebhook.toDelivery(envelope, channel)
        return delivery.events.length === 0 && delivery.skipped.length > 0
          ? Effect.fail(new ChannelError({ reason: "invalid-payload", message: delivery.skipped[0]!.message }))
          : Effect.as(noteTimes(delivery.events), delivery)
      })
    )

  const decode = (req: Http.InboundRequest) => Effect.map(decodeDelivery(req), (d) => d.events)

  const rejected = (message: string) => Effect.fail(new ChannelError({ reason: "rejected", message }))

  const commentTime = (commentId: string): Effect.Effect<number | undefined, ChannelError> =>
    Effect.flatMap(store.commentTime(commentId), (known) => {
      if (known !== undefined || options.lookupCommentTime === false) return Effect.succeed(known)
      return request(graph, "GET", [commentId], { fields: "created_time" }, undefined, `Graph GET /${commentId}`).pipe(
        Effect.mapError((e) =>
          e.reason === "rejected"
            ? new ChannelError({ reason: "rejected", message: `comment ${commentId} cannot be read: ${e.message}` })
            : e
        ),
        Effect.flatMap((body) => {
          const t = Option.getOrUndefined(decodeCommentTime(body))
          const s = t === undefined ? undefined : FacebookWebhook.unixSeconds(t.created_time)
          return s === undefined
            ? Effect.succeed(undefined)
            : Effect.as(store.noteComment(commentId, s * 1000), s * 1000)
        })
      )
    })

  const privateReply = (message: Notification.OutboundMessage, commentId: string, text: string) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const at = yield* commentTime(commentId)
      if (at !== undefined) {
        const why = PrivateReplies.refusal({ commentId, commentAtMs: at, nowMs: now })
        if (why !== undefined) return yield* rejected(why)
      }
      const existing = yield* store.claim(commentId, message.id, now)
      if (existing !== undefined && existing.outboundId !== message.id)
        return yield* rejected(
          `Messenger allows one private reply per comment; comment ${commentId} was already answered by message ${existing.outboundId}`
        )
      // this message already went out (an outbox redelivery after a restart, with a shared store)
      if (existing?.sent === true)
        return existing.platformMessageId === undefined ? {} : { platformMessageId: existing.platformMessageId }
      const answer = yield* request(
        graph,
        "POST",
        [pageId, "messages"],
        {},
        { recipient: { comment_id: commentId }, message: { text } },
        `Graph POST /${pageId}/messages`
      ).pipe(
        // Meta's "already replied": keep the claim (unsent) so other messages are refused locally
        Effect.tapError((e) =>
          errorCode(e) === alreadyRepliedCode ? Effect.void : store.release(commentId, message.id)
        ),
        Effect.mapError((e) =>
          errorCode(e) === alreadyRepliedCode
            ? new ChannelError({
                reason: "rejected",
                message: `Messenger allows one private reply per comment; Meta says comment ${commentId} was already answered (${e.message})`,
                platformCode: String(alreadyRepliedCode)
              })
            : e
        )
      )
      const id = Option.getOrUndefined(decodeSendAnswer(answer))?.message_id
      yield* store.complete(commentId, message.id, id)
      return id === undefined ? {} : { platformMessageId: id }
    })

  /** The text with the image's link on a line of its own (https URLs only). */
  const withImageLink = (text: string, imageUrl: string | undefined): string =>
    imageUrl === undefined || !imageUrl.startsWith("https://")
      ? text
      : options.locale === "en"
        ? `${text}\nPickup QR code: ${imageUrl}`
        : `${text}\n取貨 QR Code：${imageUrl}`

  const publicReply = (commentId: string, text: string) =>
    request(graph, "POST", [commentId, "comments"], {}, { message: text }, `Graph POST /${commentId}/comments`).pipe(
      Effect.map((answer) => {
        const id = Option.getOrUndefined(decodeSendAnswer(answer))?.id
        return id === undefined ? {} : { platformMessageId: id }
      })
    )

  /** A Page post on the Page's feed. */
  const feedPost = (page: string, text: string) =>
    request(graph, "POST", [page, "feed"], {}, { message: text }, `Graph POST /${page}/feed`).pipe(
      Effect.map((answer) => {
        const id = Option.getOrUndefined(decodeSendAnswer(answer))?.id
        return id === undefined ? {} : { platformMessageId: id }
      })
    )

  /**
   * Whether a conversation names the Page itself (post to its feed): the `pageId` option, or the
   * word `page`; anything else is a post or live video (comment on it).
   */
  const isPage = (threadId: string) => threadId === pageId || threadId === "page"

  /**
   * A message to a whole conversation: a Page post when the conversation is the Page, else the
   * Page's comment(s) on the post; each comment of a split notice is remembered on its own, so a
   * retry sends only those not sent yet.
   */
  const sendToConversation = (message: Notification.OutboundMessage, threadId: string) => {
    const post = isPage(threadId)
    const parts = MessageTemplates.renderParts(message.kind, message.data, {
      templates: options.templates,
      locale: options.locale,
      maxLength: post ? maxPostLength : maxCommentLength,
      ...(post ? { maxParts: 1 } : {})
    })
    if (parts.join("").trim().length === 0) return rejected(`message ${message.id} (${message.kind}) renders empty`)
    if (post) return feedPost(pageId, parts[0]!)
    if (parts.length === 1) return publicReply(threadId, parts[0]!)
    return Effect.map(
      Effect.forEach(parts, (text, i) => sent.once(`${message.id}#part${i + 1}`, publicReply(threadId, text))),
      (results) => results[0]!
    )
  }

  const send = (message: Notification.OutboundMessage): Effect.Effect<ChannelAdapter.SendResult, ChannelError> =>
    sent.once(
      message.id,
      Effect.suspend(() => {
        const commentId = message.to.replyToCommentId
        const threadId = message.to.threadId
        // A notice to the whole conversation (no buyer): never a buyer's message made public.
        if (commentId === undefined && message.to.userId === "" && threadId !== undefined && threadId !== "")
          return sendToConversation(message, threadId)
        if (commentId === undefined)
          return Effect.fail(
            new ChannelError({
              reason: "unsupported",
              message:
                "Facebook can only answer a comment (private reply or public reply): the recipient needs replyToCommentId"
            })
          )
        const text = render(message)
        if (text.trim().length === 0) return rejected(`message ${message.id} (${message.kind}) renders empty`)
        const requested = message.data["replyMode"]
        const mode: ReplyMode =
          requested === "public" || requested === "private" ? requested : (options.replyMode ?? "private")
        // A private reply is text only: an image (a pickup code's QR code) goes as a link. Never
        // in a public reply, where anyone could use it.
        return mode === "public"
          ? publicReply(commentId, text)
          : privateReply(message, commentId, withImageLink(text, message.imageUrl))
      })
    )

  const pullComments: FacebookChannelService["pullComments"] = (input) =>
    GraphComments.pull({ ...graph, ...input, channel }).pipe(Effect.tap((comments) => noteTimes(comments)))

  const verifyToken = Redacted.value(options.verifyToken)
  return {
    channel: Ids.unsafe.channelId(channel),
    handshake: (req: Http.InboundRequest) => Effect.sync(() => handshake(verifyToken, req)),
    verify,
    decode,
    decodeDelivery,
    send,
    render,
    pullComments,
    privateReplies: store
  }
}

/** Decodes the options and builds the adapter. */
export const make = (options: OptionsInput): Effect.Effect<FacebookChannelService, Schema.SchemaError> =>
  Effect.map(Schema.decodeUnknownEffect(Options)(options), fromOptions)

type ConfigKeys = "appSecret" | "verifyToken" | "pageAccessToken" | "graphBase" | "pageId"

/**
 * Reads `FB_APP_SECRET`, `FB_VERIFY_TOKEN`, `FB_PAGE_ACCESS_TOKEN` (redacted) and the optional
 * `FB_GRAPH_BASE`, `FB_PAGE_ID`.
 */
export const config: Config.Config<Pick<OptionsInput, ConfigKeys>> = Config.all({
  appSecret: Config.Redacted("FB_APP_SECRET"),
  verifyToken: Config.Redacted("FB_VERIFY_TOKEN"),
  pageAccessToken: Config.Redacted("FB_PAGE_ACCESS_TOKEN"),
  graphBase: Config.option(Config.String("FB_GRAPH_BASE")).pipe(Config.map(Option.getOrUndefined)),
  pageId: Config.option(Config.String("FB_PAGE_ID")).pipe(Config.map(Option.getOrUndefined))
})

/** Builds the adapter from {@link config} plus the other options. */
export const makeConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Effect.Effect<FacebookChannelService, Config.ConfigError | Schema.SchemaError> =>
  Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** A layer providing the adapter as {@link FacebookChannel} and as core's `ChannelAdapter` (one instance). */
export const layer = (
  options: OptionsInput
): Layer.Layer<FacebookChannel | ChannelAdapter.ChannelAdapter, Schema.SchemaError> =>
  ChannelAdapter.layerAs(FacebookChannel, make(options))

/** {@link layer} from {@link config}. */
export const layerConfig = (
  rest: Omit<OptionsInput, ConfigKeys> = {}
): Layer.Layer<FacebookChannel | ChannelAdapter.ChannelAdapter, Config.ConfigError | Schema.SchemaError> =>
  ChannelAdapter.layerAs(FacebookChannel, makeConfig(rest))
