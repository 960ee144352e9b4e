/**
 * The Schemas of LINE's webhook body and the Schema-based decoding of one event: the reference
 * decoder (every shape, LINE's error messages). `LineWebhook` re-exports the public parts.
 */
import { createHash } from "node:crypto"
import type { ChannelAdapter } from "@kaituan/core"
import { Result, Schema } from "effect"

type InboundEvent = ChannelAdapter.InboundEvent
type Author = { readonly id: string; readonly name?: string; readonly unknown?: boolean }

/** The author id used when LINE omits the sender of a group/room message (rare; send such comments to review). */
export const UNKNOWN_USER = "line:unknown-user"

/** The source of a LINE event. */
export const Source = Schema.Union([
  Schema.Struct({ type: Schema.Literal("user"), userId: Schema.String }),
  Schema.Struct({ type: Schema.Literal("group"), groupId: Schema.String, userId: Schema.optional(Schema.String) }),
  Schema.Struct({ type: Schema.Literal("room"), roomId: Schema.String, userId: Schema.optional(Schema.String) })
])
export type Source = typeof Source.Type

const Mentionee = Schema.Struct({
  index: Schema.Number,
  length: Schema.Number,
  type: Schema.optional(Schema.String),
  userId: Schema.optional(Schema.String),
  isSelf: Schema.optional(Schema.Boolean)
})

/** A message's content (only the fields kaituan reads). */
export const MessageContent = Schema.Struct({
  id: Schema.String,
  type: Schema.String,
  text: Schema.optional(Schema.String),
  quotedMessageId: Schema.optional(Schema.String),
  mention: Schema.optional(Schema.Struct({ mentionees: Schema.Array(Mentionee) }))
})

const Base = {
  type: Schema.String,
  timestamp: Schema.Number,
  mode: Schema.optional(Schema.String),
  webhookEventId: Schema.optional(Schema.String),
  deliveryContext: Schema.optional(Schema.Struct({ isRedelivery: Schema.Boolean })),
  source: Schema.optional(Source),
  replyToken: Schema.optional(Schema.String)
}

const Members = Schema.Struct({
  members: Schema.Array(Schema.Struct({ type: Schema.optional(Schema.String), userId: Schema.String }))
})

const Unsend = Schema.Struct({ messageId: Schema.String })
const PlainEvent = Schema.Struct(Base)

/** The webhook envelope: `events` may be empty (connection check). */
export const Envelope = Schema.Struct({
  destination: Schema.optional(Schema.String),
  events: Schema.Array(Schema.Unknown)
})

/** Why a body could not be decoded (kept pure; `LineChannel` maps it to `ChannelError("invalid-payload")`). */
export interface DecodeFailure {
  readonly message: string
}

/**
 * Why one event of a delivery was skipped. `malformed`: not the shape LINE sends (a field missing
 * or of the wrong type, a timestamp no date can hold, content that cannot be read at all).
 */
export type SkipReason = "malformed"

/**
 * An event of a delivery that was not decoded, and why; the others are. `message` says what is
 * wrong for a developer and may quote the event: log `where` and `reason`, not `message`.
 */
export interface SkippedEvent {
  /** Where it is in the body: `events[2]`. */
  readonly where: string
  readonly reason: SkipReason
  readonly message: string
}

/** The largest |time value| a `Date` holds (ECMA-262 TimeClip). */
export const MAX_TIME = 8.64e15

/** Options of {@link decode}. */
export interface DecodeOptions {
  /** The channel id put on events. Default `"line"`. */
  readonly channel?: string
  /** Remove the bot's own `@mention` (`isSelf`) from comment texts. Default `true`. */
  readonly stripBotMention?: boolean
}

/** The thread an event happened in: groupId, roomId, or the userId of a 1:1 chat. */
export const threadIdOf = (source: Source | undefined): string | undefined =>
  source === undefined
    ? undefined
    : source.type === "group"
      ? source.groupId
      : source.type === "room"
        ? source.roomId
        : source.userId

const userIdOf = (source: Source | undefined): string | undefined => source?.userId

const withThread = <A extends object>(a: A, threadId: string | undefined): A & { threadId?: string } =>
  threadId === undefined ? a : { ...a, threadId }

/** A stable id for an event without a `webhookEventId`; throws (like `JSON.stringify`) on content nested too deep. */
const derivedId = (raw: unknown): string =>
  `derived:${createHash("sha256").update(JSON.stringify(raw)).digest("hex").slice(0, 32)}`

/** Removes the mentions of the bot itself (UTF-16 index/length, as JS strings count) and trims. */
export const stripSelfMentions = (
  text: string,
  mentionees: ReadonlyArray<{ readonly index: number; readonly length: number; readonly isSelf?: boolean | undefined }>
): string => {
  const self = mentionees.filter((m) => m.isSelf === true).sort((a, b) => b.index - a.index)
  if (self.length === 0) return text
  let out = text
  for (const m of self) {
    if (m.index < 0 || m.index + m.length > out.length) continue
    out = out.slice(0, m.index) + out.slice(m.index + m.length)
  }
  return out.replace(/^[\s\u3000]+|[\s\u3000]+$/g, "")
}

/** The fields of a well-formed `message` event that its kaituan event is built from. */
export interface MessageEventFields {
  readonly webhookEventId?: string | undefined
  readonly replyToken?: string | undefined
  readonly message: typeof MessageContent.Type
}

/**
 * The `Comment` (text) or `NonText` (any other type) of a well-formed `message` event, or
 * `undefined` for a text message without a text. Both decoders build their events here.
 */
export const messageEvent = (
  ev: MessageEventFields,
  at: string,
  threadId: string | undefined,
  userId: string | undefined,
  channel: string,
  stripBotMention: boolean
): InboundEvent | undefined => {
  const { message } = ev
  const eventId = ev.webhookEventId ?? `message:${message.id}`
  const author: Author = userId === undefined ? { id: UNKNOWN_USER, unknown: true } : { id: userId }
  if (message.type !== "text") {
    const nonText = {
      _tag: "NonText" as const,
      channel,
      eventId,
      at,
      commentId: message.id,
      author,
      kind: message.type
    }
    return threadId === undefined ? nonText : { ...nonText, threadId }
  }
  if (message.text === undefined) return undefined
  return {
    _tag: "Comment",
    channel,
    eventId,
    at,
    commentId: message.id,
    author,
    text: stripBotMention ? stripSelfMentions(message.text, message.mention?.mentionees ?? []) : message.text,
    ...(threadId === undefined ? {} : { threadId }),
    ...(ev.replyToken === undefined ? {} : { replyToken: ev.replyToken }),
    ...(message.quotedMessageId === undefined ? {} : { replyToCommentId: message.quotedMessageId })
  }
}

/** A decoder of one of the Schemas below, built once. */
type Decoder<A> = (u: unknown) => Result.Result<A, Schema.SchemaError>

const decodePlainEvent: Decoder<typeof PlainEvent.Type> = Schema.decodeUnknownResult(PlainEvent)
const decodeMessageContent: Decoder<typeof MessageContent.Type> = Schema.decodeUnknownResult(MessageContent)
const decodeUnsend: Decoder<typeof Unsend.Type> = Schema.decodeUnknownResult(Unsend)
const decodeMembers: Decoder<typeof Members.Type> = Schema.decodeUnknownResult(Members)

const decodeAs = <A>(decoder: Decoder<A>, raw: unknown, where: string): Result.Result<A, DecodeFailure> =>
  decoder(raw).pipe(Result.mapError((e) => ({ message: `${where}: ${e.message}` })))

/** Decodes `raw[key]` (the event is known to be an object once its base decoded). */
const decodeField = <A>(decoder: Decoder<A>, raw: unknown, key: string, index: number) =>
  decodeAs(decoder, (raw as Record<string, unknown>)[key], `events[${index}].${key}`)

/** Decodes one event with the Schemas (the reference path; see `WebhookFast` for the common shape). */
export const decodeEvent = (
  raw: unknown,
  index: number,
  destination: string | undefined,
  options: Required<DecodeOptions>
): Result.Result<ReadonlyArray<InboundEvent>, DecodeFailure> =>
  Result.gen(function* () {
    const base = yield* decodeAs(decodePlainEvent, raw, `events[${index}]`)
    if (!(Math.abs(base.timestamp) <= MAX_TIME))
      return yield* Result.fail({ message: `events[${index}].timestamp: no date can hold ${base.timestamp}` })
    const at = new Date(base.timestamp).toISOString()
    const channel = options.channel
    const threadId = threadIdOf(base.source)
    const userId = userIdOf(base.source)
    switch (base.type) {
      case "message": {
        const ev = { ...base, message: yield* decodeField(decodeMessageContent, raw, "message", index) }
        const event = messageEvent(ev, at, threadId, userId, channel, options.stripBotMention)
        if (event === undefined) return yield* Result.fail({ message: `events[${index}]: text message without text` })
        return [event]
      }
      case "unsend": {
        const ev = { ...base, unsend: yield* decodeField(decodeUnsend, raw, "unsend", index) }
        const removed = withThread(
          {
            _tag: "CommentRemoved" as const,
            channel,
            eventId: ev.webhookEventId ?? derivedId(raw),
            at,
            commentId: ev.unsend.messageId
          },
          threadId
        )
        return [userId === undefined ? removed : { ...removed, author: { id: userId } }]
      }
      case "memberJoined":
      case "memberLeft": {
        const members =
          base.type === "memberJoined"
            ? (yield* decodeField(decodeMembers, raw, "joined", index)).members
            : (yield* decodeField(decodeMembers, raw, "left", index)).members
        const eventId = base.webhookEventId ?? derivedId(raw)
        const tag = base.type === "memberJoined" ? ("MemberJoined" as const) : ("MemberLeft" as const)
        return members.map((m) =>
          withThread({ _tag: tag, channel, eventId: `${eventId}:${m.userId}`, at, author: { id: m.userId } }, threadId)
        )
      }
      case "join":
      case "leave": {
        const tag = base.type === "join" ? ("MemberJoined" as const) : ("MemberLeft" as const)
        return [
          withThread(
            {
              _tag: tag,
              channel,
              eventId: base.webhookEventId ?? derivedId(raw),
              at,
              author: { id: destination ?? "line:bot" }
            },
            threadId
          )
        ]
      }
      case "follow":
      case "unfollow": {
        if (userId === undefined) return []
        const tag = base.type === "follow" ? ("MemberJoined" as const) : ("MemberLeft" as const)
        return [
          withThread(
            { _tag: tag, channel, eventId: base.webhookEventId ?? derivedId(raw), at, author: { id: userId } },
            threadId
          )
        ]
      }
      default:
        return []
    }
  })
