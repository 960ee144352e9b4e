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
 * Each event is decoded on its own: one that is malformed (a field missing or of the wrong type, a
 * timestamp no date can hold, content nested too deep to read) is skipped and listed in
 * `skipped` with where it was and why, and the others are kept, so one bad event never loses the
 * good ones of the same delivery. Decoding never throws.
 *
 * Well-formed `message` events take a hand-written fast path; every other event, and any body
 * that is not a well-formed envelope, is decoded by the Schemas, with the same results.
 *
 * @since 0.1.0
 */
import type { ChannelAdapter } from "@kaituan/core"
import { Result, Schema } from "effect"
import { fastEvent, isRecord } from "./internal/WebhookFast.js"
import {
  type DecodeFailure,
  type DecodeOptions,
  decodeEvent,
  Envelope,
  type SkippedEvent
} from "./internal/WebhookSchema.js"

export {
  type DecodeFailure,
  type DecodeOptions,
  Envelope,
  MessageContent,
  type SkipReason,
  type SkippedEvent,
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
  /** The events that could not be decoded (the others are in `events`). */
  readonly skipped: ReadonlyArray<SkippedEvent>
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

/** What an exception thrown while decoding untrusted input was, without its message (which may quote the input). */
const thrownKind = (e: unknown): string => (e instanceof Error ? e.name : typeof e)

/**
 * Decodes a raw webhook body (the bytes LINE sent). Fails on invalid JSON, a missing `events`
 * array, or when no event decodes and some did not (each bad event is otherwise skipped, see
 * {@link Decoded.skipped}). Never throws.
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
  let skipped: Array<SkippedEvent> | undefined
  const skip = (i: number, message: string) => {
    if (skipped === undefined) skipped = []
    skipped.push({ where: `events[${i}]`, reason: "malformed", message })
  }
  let redelivery = false
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i]
    try {
      const fast = fastEvent(raw, opts.channel, opts.stripBotMention)
      if (fast !== undefined) events.push(fast)
      else {
        const decoded = decodeEvent(raw, i, destination, opts)
        if (Result.isFailure(decoded)) skip(i, decoded.failure.message)
        else for (const e of decoded.success) events.push(e)
      }
    } catch (e) {
      skip(i, `events[${i}]: cannot be read (${thrownKind(e)})`)
    }
    const ctx = (raw as { deliveryContext?: { isRedelivery?: unknown } } | null)?.deliveryContext
    if (ctx?.isRedelivery === true) redelivery = true
  }
  const found: ReadonlyArray<SkippedEvent> = skipped ?? NONE
  if (found.length > 0 && events.length === 0) return Result.fail({ message: found[0]!.message })
  return Result.succeed({ destination, events, skipped: found, redelivery })
}

const NONE: ReadonlyArray<SkippedEvent> = []
