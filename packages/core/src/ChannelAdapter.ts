/**
 * The ChannelAdapter port: verify and decode a chat platform's webhooks into normalised events,
 * and send messages back. Implemented by `@kaituan/adapters-line`, `-facebook` and `-telegram`;
 * {@link makeMemory} here records what it sends and decodes JSON events (tests, demos).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Schema } from "effect"
import { Author } from "./Buyer.js"
import type { InboundRequest, PlainResponse } from "./Http.js"
import type { ChannelId } from "./Ids.js"
import * as MessageTemplates from "./MessageTemplates.js"
import type { OutboundMessage } from "./Notification.js"

const Common = {
  channel: Schema.String,
  /** The platform's delivery id, for redelivery de-duplication (LINE webhookEventId, Telegram update_id…). */
  eventId: Schema.String,
  at: Schema.String
}

/** A normalised inbound event. */
export const InboundEvent = Schema.Union([
  Schema.TaggedStruct("Comment", {
    ...Common,
    commentId: Schema.String,
    /** Group, room, chat, post or live video the comment belongs to. */
    threadId: Schema.optional(Schema.String),
    author: Author,
    text: Schema.String,
    replyToken: Schema.optional(Schema.String),
    replyToCommentId: Schema.optional(Schema.String)
  }),
  Schema.TaggedStruct("CommentEdited", {
    ...Common,
    commentId: Schema.String,
    threadId: Schema.optional(Schema.String),
    author: Author,
    text: Schema.String
  }),
  Schema.TaggedStruct("CommentRemoved", {
    ...Common,
    commentId: Schema.String,
    threadId: Schema.optional(Schema.String),
    author: Schema.optional(Author)
  }),
  /** A sticker, image, video or other non-text message: never an order. */
  Schema.TaggedStruct("NonText", {
    ...Common,
    commentId: Schema.String,
    threadId: Schema.optional(Schema.String),
    author: Author,
    kind: Schema.String
  }),
  Schema.TaggedStruct("MemberJoined", { ...Common, threadId: Schema.optional(Schema.String), author: Author }),
  Schema.TaggedStruct("MemberLeft", { ...Common, threadId: Schema.optional(Schema.String), author: Author })
])
export type InboundEvent = typeof InboundEvent.Type

/** Why a channel operation failed. */
export class ChannelError extends Schema.TaggedError<ChannelError>()("ChannelError", {
  reason: Schema.Literals(["unauthorized", "invalid-payload", "rate-limited", "transport", "rejected", "unsupported"]),
  message: Schema.String,
  retryAfterMs: Schema.optional(Schema.Number),
  /** The platform's own error code, when it gave one (Graph's `10900`, say), for callers that act on it. */
  platformCode: Schema.optional(Schema.String)
}) {}

/** The result of sending one message. */
export interface SendResult {
  readonly platformMessageId?: string | undefined
}

/** The port. */
export interface ChannelAdapterService {
  readonly channel: ChannelId
  /**
   * Answers a platform's non-event request (Facebook's `hub.challenge` verification), or returns
   * `undefined` when the request is an ordinary webhook delivery.
   */
  readonly handshake?: ((req: InboundRequest) => Effect.Effect<PlainResponse | undefined>) | undefined
  /** Checks the request's signature over the raw body; fails with `unauthorized` when it is missing or wrong. */
  readonly verify: (req: InboundRequest) => Effect.Effect<void, ChannelError>
  /** Decodes a verified request into events; fails with `invalid-payload` on a malformed body. */
  readonly decode: (req: InboundRequest) => Effect.Effect<ReadonlyArray<InboundEvent>, ChannelError>
  /** Sends one message to a buyer. */
  readonly send: (message: OutboundMessage) => Effect.Effect<SendResult, ChannelError>
}

/** A ChannelAdapter tag for apps with a single channel. */
export class ChannelAdapter extends Context.Service<ChannelAdapter, ChannelAdapterService>()(
  "@kaituan/core/ChannelAdapter"
) {}

/** The Schema of an organiser's text overrides: per message kind, a `{name}` placeholder string or a function. */
export const TemplatesSchema: Schema.declare<MessageTemplates.Templates> = Schema.declare(
  (u: unknown): u is MessageTemplates.Templates =>
    typeof u === "object" &&
    u !== null &&
    !Array.isArray(u) &&
    Object.values(u).every((t) => t === undefined || typeof t === "string" || typeof t === "function"),
  { expected: "templates: a text or a function per message kind" }
)

/** The Schema of a built-in language of the message texts (`MessageTemplates.Locale`). */
export const LocaleSchema: Schema.declare<MessageTemplates.Locale> = Schema.declare(
  (u: unknown): u is MessageTemplates.Locale => typeof u === "string" && Object.hasOwn(MessageTemplates.defaults, u),
  { expected: `one of ${Object.keys(MessageTemplates.defaults).join(", ")}` }
)

/**
 * The options every channel adapter takes besides its secrets, as Schema fields to spread into
 * its own `Options` Struct (with `HttpClient.OptionsFields` for the outbound calls).
 */
export const OptionsFields = {
  /** The channel id of the events and messages (default: the platform's name). */
  channel: Schema.optional(Schema.String),
  /** Organiser overrides of the message texts. */
  templates: Schema.optional(TemplatesSchema),
  /** Language of the built-in texts (default `zh-TW`). */
  locale: Schema.optional(LocaleSchema)
}

/**
 * A layer providing the adapter `make` builds under its own tag **and** under the port's
 * {@link ChannelAdapter} tag, as one instance: every adapter's `layer` and `layerConfig` are this.
 * Apps with several channels take the adapters from their own tags into `ChannelRegistry.layer`;
 * a single-channel app just asks for `ChannelAdapter`.
 */
export const layerAs = <I, S extends ChannelAdapterService, E, R>(
  tag: Context.Key<I, S>,
  make: Effect.Effect<S, E, R>
): Layer.Layer<I | ChannelAdapter, E, R> =>
  Layer.effectContext(
    Effect.map(make, (service) => Context.make(tag, service).pipe(Context.add(ChannelAdapter, service)))
  )

/**
 * An in-memory adapter: verifies nothing, decodes a JSON array of `InboundEvent`s, and records
 * sent messages in `sent`.
 */
export const makeMemory = (channel: ChannelId): ChannelAdapterService & { readonly sent: Array<OutboundMessage> } => {
  const sent: Array<OutboundMessage> = []
  const decodeEvents = Schema.decodeUnknownEffect(Schema.fromJsonString(Schema.Array(InboundEvent)))
  return {
    channel,
    sent,
    verify: () => Effect.void,
    decode: (req) =>
      decodeEvents(new TextDecoder().decode(req.rawBody)).pipe(
        Effect.mapError((e) => new ChannelError({ reason: "invalid-payload", message: e.message }))
      ),
    send: (message) =>
      Effect.sync(() => {
        sent.push(message)
        return { platformMessageId: `memory-${sent.length}` }
      })
  }
}

/** A layer with one in-memory adapter. */
export const layerMemory = (channel: ChannelId): Layer.Layer<ChannelAdapter> =>
  Layer.sync(ChannelAdapter, () => makeMemory(channel))
