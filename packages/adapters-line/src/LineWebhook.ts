/**
 * Decoding LINE Messaging API webhook bodies into kaituan's {@link InboundEvent}s. Pure: no
 * network, no signature check (see `LineSignature`), no display names (see `LineChannel`).
 *
 * Mapping:
 * - `message` with a text → `Comment` (`threadId` = groupId / roomId / userId, `author.id` =
 *   userId, `commentId` = message id, `eventId` = webhookEventId, `replyToken`,
 *   `replyToCommentId` = quotedMessageId); the bot's own @mention is stripped from the text.
 * - `message` of another type (sticker, image, video, audio, file, location) → `NonText`.
 * - `unsend` → `CommentRemoved`.
 * - `memberJoined` / `memberLeft` → one `MemberJoined` / `MemberLeft` per member
 *   (`eventId` = `webhookEventId:userId`); `join` / `leave` (the bot itself, `author.id` =
 *   destination) and `follow` / `unfollow` (1:1 friend or block) → `MemberJoined` / `MemberLeft`.
 * - every other type (postback, beacon, …) is ignored; `events: []` (the console's "Verify" ping)
 *   decodes to no events.
 *
 * A redelivery (`deliveryContext.isRedelivery`) keeps its `webhookEventId`, so it decodes to the
 * same `eventId` and the app de-duplicates it. Bodies without a `webhookEventId` (old payloads)
 * get a stable id derived from the message id or the event's content.
 *
 * Well-formed `message` events take a hand-written fast path; every other event, and any body
 * that is not a well-formed envelope, is decoded by the Schemas, with the same results.
 *
 * @since 0.1.0
 */
import type { ChannelAdapter } from "@kaituan/core"
import { Result, Schema } from "effect"
import { fastEvent, isRecord } from "./internal/WebhookFast.js"
import { type DecodeFailure, type DecodeOptions, decodeEvent, Envelope } from "./internal/WebhookSchema.js"

export {
  type DecodeFailure,
  type DecodeOptions,
  Envelope,
  MessageContent,
  Source,
  stripSelfMentions,
  threadIdOf,
  UNKNOWN_USER
} from "./internal/WebhookSchema.js"

type InboundEvent = ChannelAdapter.InboundEvent

/** The parsed envelope plus its events. */
export interface Decoded {
  readonly destination: string | undefined
  readonly events: ReadonlyArray<InboundEvent>
  /** Whether any event was marked `deliveryContext.isRedelivery`. */
  readonly redelivery: boolean
}

const utf8 = new TextDecoder("utf-8", { fatal: false })

const decodeEnvelope = Schema.decodeUnknownResult(Envelope)

/** The envelope's `destination` and `events`, by hand when well-formed, else by the Schema. */
const envelopeOf = (
  json: unknown
): Result.Result<
  { readonly destination?: string | undefined; readonly events: ReadonlyArray<unknown> },
  DecodeFailure
> =>
  isRecord(json) &&
  Array.isArray(json.events) &&
  (json.destination === undefined || typeof json.destination === "string")
    ? Result.succeed({ destination: json.destination, events: json.events })
    : decodeEnvelope(json).pipe(Result.mapError((e) => ({ message: `not a LINE webhook body: ${e.message}` })))

/**
 * Decodes a raw webhook body (the bytes LINE sent). Fails on invalid JSON, a missing `events`
 * array, or a known event type with the wrong shape.
 */
export const decode = (
  rawBody: Uint8Array | string,
  options: DecodeOptions = {}
): Result.Result<Decoded, DecodeFailure> => {
  const text = typeof rawBody === "string" ? rawBody : utf8.decode(rawBody)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Result.fail({ message: "body is not JSON" })
  }
  const envelope = envelopeOf(json)
  if (Result.isFailure(envelope)) return Result.fail(envelope.failure)
  const { destination, events: raws } = envelope.success
  const opts: Required<DecodeOptions> = {
    channel: options.channel ?? "line",
    stripBotMention: options.stripBotMention ?? true
  }
  const events: Array<InboundEvent> = []
  let redelivery = false
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i]
    const fast = fastEvent(raw, opts.channel, opts.stripBotMention)
    if (fast !== undefined) events.push(fast)
    else {
      const decoded = decodeEvent(raw, i, destination, opts)
      if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
      events.push(...decoded.success)
    }
    const ctx = (raw as { deliveryContext?: { isRedelivery?: unknown } } | null)?.deliveryContext
    if (ctx?.isRedelivery === true) redelivery = true
  }
  return Result.succeed({ destination, events, redelivery })
}
