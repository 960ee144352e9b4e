/**
 * A hand-written decoder for the event LINE sends for nearly every comment: a `message` event
 * with a valid shape. It checks what the Schemas check, without the Schema machinery (about ten
 * times cheaper), and builds the event with the Schema decoder's own `messageEvent`. Anything
 * else (another event type, a missing or mistyped field, a timestamp `Date` cannot hold) returns
 * `undefined` and goes to the Schema decoder, so errors and rare shapes are exactly the
 * reference decoder's.
 */
import type { ChannelAdapter } from "@kaituan/core"
import { MAX_TIME, type MessageEventFields, messageEvent } from "./WebhookSchema.js"

type InboundEvent = ChannelAdapter.InboundEvent
type Rec = { readonly [k: string]: unknown }

/** A JSON object (what `Schema.Struct` accepts from `JSON.parse`, arrays aside: they never have the required keys). */
export const isRecord = (u: unknown): u is Rec => typeof u === "object" && u !== null && !Array.isArray(u)

const optionalString = (u: unknown): u is string | undefined => u === undefined || typeof u === "string"

const validMentionees = (m: unknown): m is ReadonlyArray<{ index: number; length: number; isSelf?: boolean }> => {
  if (!Array.isArray(m)) return false
  for (const x of m) {
    if (!isRecord(x) || typeof x.index !== "number" || typeof x.length !== "number") return false
    if (!optionalString(x.type) || !optionalString(x.userId)) return false
    if (x.isSelf !== undefined && typeof x.isSelf !== "boolean") return false
  }
  return true
}

/** The decoded event, or `undefined`: decode it with the Schemas. */
export const fastEvent = (raw: unknown, channel: string, stripBotMention: boolean): InboundEvent | undefined => {
  if (!isRecord(raw) || raw.type !== "message") return undefined
  const { timestamp, webhookEventId, replyToken, source, deliveryContext, message } = raw
  if (typeof timestamp !== "number" || !(Math.abs(timestamp) <= MAX_TIME)) return undefined
  if (!optionalString(raw.mode) || !optionalString(webhookEventId) || !optionalString(replyToken)) return undefined
  if (
    deliveryContext !== undefined &&
    !(isRecord(deliveryContext) && typeof deliveryContext.isRedelivery === "boolean")
  )
    return undefined
  let threadId: unknown
  let userId: unknown
  if (source !== undefined) {
    if (!isRecord(source)) return undefined
    userId = source.userId
    if (source.type === "user") threadId = userId
    else if (source.type === "group") threadId = source.groupId
    else if (source.type === "room") threadId = source.roomId
    else return undefined
    if (typeof threadId !== "string" || !optionalString(userId)) return undefined
  }
  if (!isRecord(message) || typeof message.id !== "string" || typeof message.type !== "string") return undefined
  const { text, quotedMessageId, mention } = message
  if (!optionalString(text) || !optionalString(quotedMessageId)) return undefined
  if (mention !== undefined && !(isRecord(mention) && validMentionees(mention.mentionees))) return undefined
  // Checked above: `raw` has the shape the Schemas would have decoded.
  return messageEvent(
    raw as unknown as MessageEventFields,
    new Date(timestamp).toISOString(),
    threadId as string | undefined,
    userId as string | undefined,
    channel,
    stripBotMention
  )
}
