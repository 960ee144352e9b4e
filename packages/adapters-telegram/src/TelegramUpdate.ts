/**
 * The parts of the Telegram Bot API `Update` object that a group buy needs, as Schemas, and their
 * mapping to kaituan's {@link ChannelAdapter.InboundEvent}s.
 *
 * Unknown fields are ignored; unknown update kinds (callback queries, reactions, chat member
 * updates…) decode to no event.
 *
 * @since 0.1.0
 */
import type { Buyer, ChannelAdapter } from "@kaituan/core"
import { Schema } from "effect"

type InboundEvent = ChannelAdapter.InboundEvent
type Author = Buyer.Author

/** A Telegram user (`from`, `new_chat_members[]`, `left_chat_member`). */
export const User = Schema.Struct({
  id: Schema.Number,
  is_bot: Schema.optional(Schema.Boolean),
  first_name: Schema.optional(Schema.String),
  last_name: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String)
})
export type User = typeof User.Type

/** A chat (`private`, `group`, `supergroup` or `channel`). */
export const Chat = Schema.Struct({
  id: Schema.Number,
  type: Schema.String,
  title: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  first_name: Schema.optional(Schema.String),
  last_name: Schema.optional(Schema.String)
})
export type Chat = typeof Chat.Type

/** The message a message replies to (only the fields kaituan reads). */
export const RepliedMessage = Schema.Struct({
  message_id: Schema.Number,
  chat: Schema.optional(Chat)
})

/** Media keys in the order they are checked; the first one present names a {@link ChannelAdapter.InboundEvent} `NonText` kind. */
export const mediaKinds = [
  "sticker",
  "photo",
  "video",
  "animation",
  "video_note",
  "voice",
  "audio",
  "document",
  "story",
  "paid_media",
  "poll",
  "dice",
  "game",
  "venue",
  "location",
  "contact",
  "invoice"
] as const

const mediaFields = Object.fromEntries(mediaKinds.map((k) => [k, Schema.optional(Schema.Unknown)])) as {
  readonly [K in (typeof mediaKinds)[number]]: Schema.optional<Schema.Unknown>
}

/** A message, channel post or their edits. */
export const Message = Schema.Struct({
  message_id: Schema.Number,
  from: Schema.optional(User),
  sender_chat: Schema.optional(Chat),
  chat: Chat,
  date: Schema.Number,
  edit_date: Schema.optional(Schema.Number),
  message_thread_id: Schema.optional(Schema.Number),
  text: Schema.optional(Schema.String),
  caption: Schema.optional(Schema.String),
  reply_to_message: Schema.optional(RepliedMessage),
  new_chat_members: Schema.optional(Schema.Array(User)),
  left_chat_member: Schema.optional(User),
  ...mediaFields
})
export type Message = typeof Message.Type

/** An Update delivered to the webhook. At most one of the message fields is present. */
export const Update = Schema.Struct({
  update_id: Schema.Number,
  message: Schema.optional(Message),
  edited_message: Schema.optional(Message),
  channel_post: Schema.optional(Message),
  edited_channel_post: Schema.optional(Message)
})
export type Update = typeof Update.Type

/** A display name from `first_name`/`last_name`, else `@username`, else the chat title. */
export const displayName = (u: {
  readonly first_name?: string | undefined
  readonly last_name?: string | undefined
  readonly username?: string | undefined
  readonly title?: string | undefined
}): string | undefined => {
  const full = [u.first_name, u.last_name].filter((s) => s !== undefined && s.length > 0).join(" ")
  if (full.length > 0) return full
  if (u.username !== undefined && u.username.length > 0) return `@${u.username}`
  return u.title !== undefined && u.title.length > 0 ? u.title : undefined
}

/**
 * The author of a message. A message sent on behalf of a chat (an anonymous group admin, whose
 * `from` is Telegram's placeholder bot, a linked channel's forward, a channel post) names no
 * person: its author is the chat, marked `unknown`, so its comments go to review rather than
 * into an order of "the chat".
 */
const author = (m: Message): Author => {
  if (m.sender_chat !== undefined) {
    const name = displayName(m.sender_chat)
    const id = String(m.sender_chat.id)
    return name === undefined ? { id, unknown: true } : { id, name, unknown: true }
  }
  const who = m.from ?? m.chat
  const name = displayName(who)
  return name === undefined ? { id: String(who.id) } : { id: String(who.id), name }
}

const userAuthor = (u: User): Author => {
  const name = displayName(u)
  return name === undefined ? { id: String(u.id) } : { id: String(u.id), name }
}

/** The kaituan comment id of a message: `${chat.id}:${message_id}`. */
export const commentIdOf = (chatId: number | string, messageId: number | string): string => `${chatId}:${messageId}`

const iso = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString()

/**
 * Maps a decoded Update to events. `message` and `channel_post` give `Comment` (text), `NonText`
 * (media), `MemberJoined`/`MemberLeft` (one per member, event id `${update_id}:${user id}`);
 * `edited_message` and `edited_channel_post` with text give `CommentEdited`. Everything else
 * (service messages, other update kinds) gives no event.
 */
export const toEvents = (update: Update, channel: string): ReadonlyArray<InboundEvent> => {
  const eventId = String(update.update_id)
  const edited = update.edited_message ?? update.edited_channel_post
  if (edited !== undefined) {
    if (edited.text === undefined) return []
    return [
      {
        _tag: "CommentEdited",
        channel,
        eventId,
        at: iso(edited.edit_date ?? edited.date),
        commentId: commentIdOf(edited.chat.id, edited.message_id),
        threadId: String(edited.chat.id),
        author: author(edited),
        text: edited.text
      }
    ]
  }
  const m = update.message ?? update.channel_post
  if (m === undefined) return []
  const threadId = String(m.chat.id)
  const at = iso(m.date)
  const commentId = commentIdOf(m.chat.id, m.message_id)
  if (m.new_chat_members !== undefined && m.new_chat_members.length > 0) {
    return m.new_chat_members.map((u) => ({
      _tag: "MemberJoined" as const,
      channel,
      eventId: `${eventId}:${u.id}`,
      at,
      threadId,
      author: userAuthor(u)
    }))
  }
  if (m.left_chat_member !== undefined) {
    const u = m.left_chat_member
    return [{ _tag: "MemberLeft", channel, eventId: `${eventId}:${u.id}`, at, threadId, author: userAuthor(u) }]
  }
  if (m.text !== undefined) {
    const replyTo = m.reply_to_message
    return [
      {
        _tag: "Comment",
        channel,
        eventId,
        at,
        commentId,
        threadId,
        author: author(m),
        text: m.text,
        ...(replyTo === undefined
          ? {}
          : { replyToCommentId: commentIdOf(replyTo.chat?.id ?? m.chat.id, replyTo.message_id) })
      }
    ]
  }
  const kind = mediaKinds.find((k) => m[k] !== undefined)
  if (kind === undefined) return []
  return [{ _tag: "NonText", channel, eventId, at, commentId, threadId, author: author(m), kind }]
}
