/**
 * The Facebook Page channel adapter: answers the webhook verification handshake, checks
 * `X-Hub-Signature-256`, decodes `feed` comment changes (posts and live videos) into kaituan
 * events, and answers buyers with a Messenger **private reply** to their comment (one per comment,
 * within 7 days, as Meta allows) or a public reply under it.
 *
 * @since 0.1.0
 */
import { timingSafeEqual, createHash } from "node:crypto"
import { ChannelAdapter, type Http, Ids, MessageTemplates, type Notification, SentMessages } from "@kaituan/core"
import { Clock, Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as FacebookSignature from "./FacebookSignature.js"
import * as FacebookWebhook from "./FacebookWebhook.js"
import * as GraphComments from "./GraphComments.js"
import { errorCode, type Fetch, type GraphOptions, type RetryOptions, request } from "./internal/graph.js"
import * as PrivateReplies from "./PrivateReplies.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError

export type { Fetch, RetryOptions } from "./internal/graph.js"
export { defaultGraphBase, defaultGraphVersion } from "./internal/graph.js"

/** Messenger's limit on one text message. */
export const maxTextLength = 2000

/** Meta's error code for a second private reply to the same comment. */
export const alreadyRepliedCode = 10900

/** How a message answers a comment: a Messenger private reply, or a public reply under the comment. */
export type ReplyMode = "private" | "public"

/** Options of {@link make}. */
export interface Options {
  /** The App Secret: the key of `X-Hub-Signature-256`. */
  readonly appSecret: Redacted.Redacted<string>
  /** The verify token typed into the app dashboard's webhook settings. */
  readonly verifyToken: Redacted.Redacted<string>
  /** A Page access token with `pages_messaging`, `pages_read_user_content`, `pages_manage_metadata`. */
  readonly pageAccessToken: Redacted.Redacted<string>
  /** The Page id for `POST /{page-id}/messages` (default `me`, the Page of the token). */
  readonly pageId?: string | undefined
  /** Graph API base URL (default `https://graph.facebook.com`; tests). */
  readonly graphBase?: string | undefined
  /** Graph API version (default {@link defaultGraphVersion}). */
  readonly graphVersion?: string | undefined
  /** The channel id of the events (default `facebook`). */
  readonly channel?: string | undefined
  /** Organiser overrides of the message texts. */
  readonly templates?: MessageTemplates.Templates | undefined
  /** Language of the built-in texts (default `zh-TW`). */
  readonly locale?: MessageTemplates.Locale | undefined
  /**
   * Default answer mode (default `private`). A message overrides it with `data.replyMode`
   * (`"private"` or `"public"`).
   */
  readonly replyMode?: ReplyMode | undefined
  /** Where comment times and private-reply claims are kept (default: in memory). */
  readonly privateReplies?: PrivateReplies.PrivateReplyStore | undefined
  /**
   * When the comment's time is unknown (not seen by this adapter), ask the Graph API for it before
   * a private reply, to enforce the 7-day rule (default `true`). With `false`, Meta's own answer decides.
   */
  readonly lookupCommentTime?: boolean | undefined
  /** Send `appsecret_proof` with every Graph call (default `true`). */
  readonly appSecretProof?: boolean | undefined
  /** Retries of Graph calls (rate limits, 5xx, network errors). */
  readonly retry?: RetryOptions | undefined
  /** The fetch used for outbound calls (default the global `fetch`). */
  readonly fetch?: Fetch | undefined
}

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

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest()
const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))

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
  if (mode === "subscribe" && token !== undefined && challenge !== undefined && safeEqual(token, verifyToken))
    return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: challenge }
  return { status: 403, headers: { "content-type": "text/plain; charset=utf-8" }, body: "Forbidden" }
}

const decodeEnvelope = Schema.decodeUnknownEffect(Schema.fromJsonString(FacebookWebhook.Envelope))

const SendAnswer = Schema.Struct({ message_id: Schema.optional(Schema.String), id: Schema.optional(Schema.String) })
const decodeSendAnswer = Schema.decodeUnknownOption(SendAnswer)
const CommentTime = Schema.Struct({ created_time: Schema.Union([Schema.String, Schema.Number]) })
const decodeCommentTime = Schema.decodeUnknownOption(CommentTime)

/** Builds the adapter. Sending the same message id twice sends one message. */
export const make = (options: Options): Effect.Effect<FacebookChannelService> =>
  Effect.sync(() => {
    const channel = options.channel ?? "facebook"
    const pageId = options.pageId ?? "me"
    const store = options.privateReplies ?? PrivateReplies.makeMemory()
    const sent = SentMessages.make()
    const graph: GraphOptions = {
      accessToken: options.pageAccessToken,
      ...(options.appSecretProof === false ? {} : { appSecret: options.appSecret }),
      graphBase: options.graphBase,
      graphVersion: options.graphVersion,
      fetch: options.fetch,
      retry: options.retry
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
        return request(
          graph,
          "GET",
          [commentId],
          { fields: "created_time" },
          undefined,
          `Graph GET /${commentId}`
        ).pipe(
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

    const publicReply = (commentId: string, text: string) =>
      request(graph, "POST", [commentId, "comments"], {}, { message: text }, `Graph POST /${commentId}/comments`).pipe(
        Effect.map((answer) => {
          const id = Option.getOrUndefined(decodeSendAnswer(answer))?.id
          return id === undefined ? {} : { platformMessageId: id }
        })
      )

    const send = (message: Notification.OutboundMessage): Effect.Effect<ChannelAdapter.SendResult, ChannelError> =>
      sent.once(
        message.id,
        Effect.suspend(() => {
          const commentId = message.to.replyToCommentId
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
          return mode === "public" ? publicReply(commentId, text) : privateReply(message, commentId, text)
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
  })

/** A layer providing the adapter as core's single-channel `ChannelAdapter`. */
export const layer = (options: Options): Layer.Layer<ChannelAdapter.ChannelAdapter> =>
  Layer.effect(ChannelAdapter.ChannelAdapter, make(options))

/**
 * Reads `FB_APP_SECRET`, `FB_VERIFY_TOKEN`, `FB_PAGE_ACCESS_TOKEN` (redacted) and the optional
 * `FB_GRAPH_BASE`, `FB_PAGE_ID`.
 */
export const config: Config.Config<
  Pick<Options, "appSecret" | "verifyToken" | "pageAccessToken" | "graphBase" | "pageId">
> = Config.all({
  appSecret: Config.Redacted("FB_APP_SECRET"),
  verifyToken: Config.Redacted("FB_VERIFY_TOKEN"),
  pageAccessToken: Config.Redacted("FB_PAGE_ACCESS_TOKEN"),
  graphBase: Config.option(Config.String("FB_GRAPH_BASE")).pipe(Config.map(Option.getOrUndefined)),
  pageId: Config.option(Config.String("FB_PAGE_ID")).pipe(Config.map(Option.getOrUndefined))
})

type ConfigKeys = "appSecret" | "verifyToken" | "pageAccessToken" | "graphBase" | "pageId"

/** Builds the adapter from {@link config} plus the other options. */
export const makeConfig = (
  rest: Omit<Options, ConfigKeys> = {}
): Effect.Effect<FacebookChannelService, Config.ConfigError> => Effect.flatMap(config, (c) => make({ ...rest, ...c }))

/** {@link layer} from {@link config}. */
export const layerConfig = (
  rest: Omit<Options, ConfigKeys> = {}
): Layer.Layer<ChannelAdapter.ChannelAdapter, Config.ConfigError> =>
  Layer.effect(ChannelAdapter.ChannelAdapter, makeConfig(rest))
