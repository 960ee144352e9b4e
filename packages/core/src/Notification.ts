/**
 * Outbound messages to buyers. The use cases write them to the outbox in the same commit as the
 * events that cause them; a relay hands them to the channel adapter, so a crash neither loses
 * nor doubles a message.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { ChannelId } from "./Ids.js"

/** What the message is about. Adapters render each kind with an (organiser-editable) template. */
export const MessageKind = Schema.Literals([
  "order-confirmed",
  "order-updated",
  "order-cancelled",
  "order-refunded",
  "not-ordered",
  "review-pending",
  "payment-due",
  "payment-reported",
  "payment-received",
  "shipped",
  "pickup-ready",
  "round-announcement",
  "cutoff-reminder",
  "sold-out",
  "text",
  // The waiting list (候補) and pre-order arrival (預購到貨), issue 16.
  "waitlist-joined",
  "waitlist-promoted",
  "preorder-arrived",
  // Carrier fulfilment (groupBuy/Fulfilment): choose a store on the map, parcel at the store, picked up.
  "choose-store",
  "arrived-at-store",
  "order-partly-refunded",
  "order-returned",
  "picked-up",
  // E-invoices (電子發票), issue 20: the buyer's carrier (載具) recorded, or its format refused.
  "invoice-carrier"
])
export type MessageKind = typeof MessageKind.Type

/**
 * Where a message goes: the buyer on one channel, in reply to a comment where the channel allows
 * it; or a whole conversation (a round's announcement, reminder and sold-out notices): `userId`
 * empty and `threadId` the LINE group/room id, Telegram chat id or Facebook post (or Page) id.
 */
export const Recipient = Schema.Struct({
  channel: ChannelId,
  /** The channel's user id (LINE userId, Telegram chat/user id, Facebook PSID…). */
  userId: Schema.String,
  /** A group, room, chat or post the conversation happened in. */
  threadId: Schema.optional(Schema.String),
  /** The comment being answered (Facebook private replies, Telegram replies). */
  replyToCommentId: Schema.optional(Schema.String),
  /** LINE reply token, valid for a short time after the event. */
  replyToken: Schema.optional(Schema.String)
})
export type Recipient = typeof Recipient.Type

/** An outbound message. `data` holds the template variables (order lines, totals, reason…). */
export const OutboundMessage = Schema.Struct({
  /** Stable id: sending the same id twice is one message. */
  id: Schema.String,
  kind: MessageKind,
  to: Recipient,
  data: Schema.Record(Schema.String, Schema.Unknown),
  createdAt: Schema.String,
  /**
   * An image to send with the text where the channel allows one (a pickup code's QR code): an
   * https URL the platform fetches (LINE and Telegram show the image; Facebook gets a link). Set
   * by the host when it sends, never stored by core.
   */
  imageUrl: Schema.optional(Schema.String)
})
export type OutboundMessage = typeof OutboundMessage.Type
