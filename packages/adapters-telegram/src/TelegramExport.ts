/**
 * Imports Telegram Desktop's "Export chat history" `result.json` (a single chat, or a full-account
 * export with many chats) as kaituan `Comment` events, so a round can be replayed from a chat the
 * bot never saw.
 *
 * - Ordinary text messages become `Comment`s with `commentId` = `eventId` = `${chatId}:${id}`,
 *   `threadId` = the chat id, the time from `date_unixtime` (or, in old exports without it, `date`
 *   read in `utcOffset`), and `replyToCommentId` from `reply_to_message_id`.
 * - `text` is a string or an array of strings and entity objects: the parts are joined.
 * - The author id is the numeric user id of `from_id` (`user123` → `123`, as the Bot API gives
 *   it), so imported and webhook comments name the same buyer; `from` is the display name.
 * - Service messages, unsupported messages and media (photos, stickers, files, polls, locations…,
 *   even with a caption) are skipped: they are never orders. An edited message is imported with
 *   its final text.
 *
 * @since 0.1.0
 */
import type { ChannelAdapter } from "@kaituan/core"
import { Effect, Predicate, Schema } from "effect"
import { commentIdOf } from "./TelegramUpdate.js"

/** A `Comment` event. */
export type Comment = Extract<ChannelAdapter.InboundEvent, { readonly _tag: "Comment" }>

/** The file is not a Telegram Desktop export, or a message in it is malformed. */
export class TelegramExportError extends Schema.TaggedError<TelegramExportError>()("TelegramExportError", {
  message: Schema.String
}) {}

/** Options of {@link parse}. */
export interface Options {
  /** The channel id of the events (default `telegram`). */
  readonly channel?: string | undefined
  /**
   * `export` (default) keeps the chat id as the export writes it; `bot-api` rewrites it the way the
   * Bot API numbers chats (supergroups and channels `-100…`, basic groups `-…`), so imported
   * comments get the same ids as webhook ones. ⚠️ The `-100` rule is Telegram's convention, not a
   * documented guarantee.
   */
  readonly chatIds?: "export" | "bot-api" | undefined
  /** In a full-account export, import only the chat with this id or name (default: every chat). */
  readonly chat?: string | number | undefined
  /** Offset for `date` when `date_unixtime` is missing (old exports); default `+08:00`. */
  readonly utcOffset?: string | undefined
}

const TextPart = Schema.Union([
  Schema.String,
  Schema.Struct({ type: Schema.optional(Schema.String), text: Schema.String })
])

/** The fields of one exported message that the importer reads. */
export const ExportMessage = Schema.Struct({
  id: Schema.Number,
  type: Schema.String,
  date: Schema.optional(Schema.String),
  date_unixtime: Schema.optional(Schema.String),
  from: Schema.optional(Schema.NullOr(Schema.String)),
  from_id: Schema.optional(Schema.String),
  reply_to_message_id: Schema.optional(Schema.Number),
  reply_to_peer_id: Schema.optional(Schema.Unknown),
  text: Schema.optional(Schema.Union([Schema.String, Schema.Array(TextPart)])),
  text_entities: Schema.optional(Schema.Array(Schema.Struct({ text: Schema.String }))),
  photo: Schema.optional(Schema.Unknown),
  file: Schema.optional(Schema.Unknown),
  media_type: Schema.optional(Schema.Unknown),
  sticker_emoji: Schema.optional(Schema.Unknown),
  poll: Schema.optional(Schema.Unknown),
  location_information: Schema.optional(Schema.Unknown),
  contact_information: Schema.optional(Schema.Unknown),
  game_title: Schema.optional(Schema.Unknown),
  invoice_information: Schema.optional(Schema.Unknown)
})
export type ExportMessage = typeof ExportMessage.Type

/** One exported chat (the root of a single-chat export, or an item of `chats.list`). */
export const ExportChat = Schema.Struct({
  id: Schema.Number,
  name: Schema.optional(Schema.NullOr(Schema.String)),
  type: Schema.optional(Schema.String),
  messages: Schema.Array(Schema.Unknown)
})
export type ExportChat = typeof ExportChat.Type

const ChatList = Schema.Struct({ list: Schema.Array(ExportChat) })

/** A full-account export (only the chat lists are read). */
export const AccountExport = Schema.Struct({
  chats: ChatList,
  left_chats: Schema.optional(ChatList)
})

const { isObject: isRecord } = Predicate

const fail = (message: string) => Effect.fail(new TelegramExportError({ message }))

/** True when the value looks like a Telegram Desktop export (for format guessing). */
export const isExport = (u: unknown): boolean =>
  isRecord(u) &&
  ((typeof u["id"] === "number" && Array.isArray(u["messages"])) ||
    (isRecord(u["chats"]) && Array.isArray(u["chats"]["list"])))

/** The Bot API id of an exported chat (see {@link Options.chatIds}). */
export const botApiChatId = (chat: { readonly id: number; readonly type?: string | undefined }): string => {
  if (chat.id < 0) return String(chat.id)
  switch (chat.type) {
    case "private_supergroup":
    case "public_supergroup":
    case "private_channel":
    case "public_channel":
      return `-100${chat.id}`
    case "private_group":
      return `-${chat.id}`
    default:
      return String(chat.id)
  }
}

const textOf = (m: ExportMessage): string => {
  if (typeof m.text === "string") return m.text
  if (m.text !== undefined) return m.text.map((p) => (typeof p === "string" ? p : p.text)).join("")
  return m.text_entities?.map((e) => e.text).join("") ?? ""
}

const hasMedia = (m: ExportMessage): boolean =>
  m.photo !== undefined ||
  m.file !== undefined ||
  m.media_type !== undefined ||
  m.sticker_emoji !== undefined ||
  m.poll !== undefined ||
  m.location_information !== undefined ||
  m.contact_information !== undefined ||
  m.game_title !== undefined ||
  m.invoice_information !== undefined

const offsetRe = /^[+-]\d{2}:\d{2}$/

const timeOf = (m: ExportMessage, utcOffset: string): number | undefined => {
  if (m.date_unixtime !== undefined && /^\d+$/.test(m.date_unixtime)) return Number(m.date_unixtime) * 1000
  if (m.date !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(m.date)) {
    const t = Date.parse(`${m.date}${utcOffset}`)
    return Number.isNaN(t) ? undefined : t
  }
  return undefined
}

const authorOf = (m: ExportMessage, style: "export" | "bot-api"): Comment["author"] => {
  const name = m.from ?? undefined
  const fid = m.from_id
  let id: string | undefined
  if (fid !== undefined) {
    const user = /^user(\d+)$/.exec(fid)
    const channel = /^channel(\d+)$/.exec(fid)
    const group = /^chat(\d+)$/.exec(fid)
    if (user) id = user[1]
    else if (style === "bot-api" && channel) id = `-100${channel[1]}`
    else if (style === "bot-api" && group) id = `-${group[1]}`
    else id = fid
  }
  const finalId = id ?? (name !== undefined && name.length > 0 ? name : "unknown")
  return name === undefined || name.length === 0 ? { id: finalId } : { id: finalId, name }
}

const decodeMessage = Schema.decodeUnknownEffect(ExportMessage)
const decodeChat = Schema.decodeUnknownEffect(ExportChat)
const decodeAccount = Schema.decodeUnknownEffect(AccountExport)

const chatComments = (
  chat: ExportChat,
  options: Options | undefined,
  where: string
): Effect.Effect<ReadonlyArray<Comment>, TelegramExportError> =>
  Effect.gen(function* () {
    const channel = options?.channel ?? "telegram"
    const style = options?.chatIds ?? "export"
    const utcOffset = options?.utcOffset ?? "+08:00"
    const chatId = style === "bot-api" ? botApiChatId(chat) : String(chat.id)
    const out: Array<Comment> = []
    for (let i = 0; i < chat.messages.length; i++) {
      const raw = chat.messages[i]
      const at = `${where}messages[${i}]`
      if (isRecord(raw) && raw["type"] !== "message") continue
      const m = yield* decodeMessage(raw).pipe(
        Effect.mapError((e) => new TelegramExportError({ message: `${at}: ${e.message}` }))
      )
      if (hasMedia(m)) continue
      const text = textOf(m)
      if (text.trim().length === 0) continue
      const ms = timeOf(m, utcOffset)
      if (ms === undefined) return yield* fail(`${at} (id ${m.id}): no usable date_unixtime or date`)
      const commentId = commentIdOf(chatId, m.id)
      // a reply to a message of another chat (`reply_to_peer_id`) is not a reply in this thread
      const replyTo = m.reply_to_peer_id === undefined ? m.reply_to_message_id : undefined
      out.push({
        _tag: "Comment",
        channel,
        eventId: commentId,
        at: new Date(ms).toISOString(),
        commentId,
        threadId: chatId,
        author: authorOf(m, style),
        text,
        ...(replyTo === undefined ? {} : { replyToCommentId: commentIdOf(chatId, replyTo) })
      })
    }
    return out
  })

/** Imports an already parsed `result.json` value. */
export const fromValue = (
  value: unknown,
  options?: Options
): Effect.Effect<ReadonlyArray<Comment>, TelegramExportError> =>
  Effect.gen(function* () {
    if (options?.utcOffset !== undefined && !offsetRe.test(options.utcOffset))
      return yield* fail(`utcOffset must look like +08:00, got "${options.utcOffset}"`)
    if (!isExport(value))
      return yield* fail("not a Telegram Desktop export: expected { id, messages } or { chats: { list } }")
    if (isRecord(value) && Array.isArray(value["messages"])) {
      const chat = yield* decodeChat(value).pipe(
        Effect.mapError((e) => new TelegramExportError({ message: e.message }))
      )
      return yield* chatComments(chat, options, "")
    }
    const account = yield* decodeAccount(value).pipe(
      Effect.mapError((e) => new TelegramExportError({ message: e.message }))
    )
    const chats = [
      ...account.chats.list.map((c, i) => [c, `chats.list[${i}].`] as const),
      ...(account.left_chats?.list ?? []).map((c, i) => [c, `left_chats.list[${i}].`] as const)
    ]
    const wanted = options?.chat
    const selected =
      wanted === undefined ? chats : chats.filter(([c]) => String(c.id) === String(wanted) || c.name === wanted)
    if (wanted !== undefined && selected.length === 0)
      return yield* fail(`no chat with id or name "${wanted}" in the export`)
    const out: Array<Comment> = []
    for (const [c, where] of selected) out.push(...(yield* chatComments(c, options, where)))
    return out
  })

/** Imports the text of a `result.json`. */
export const parse = (json: string, options?: Options): Effect.Effect<ReadonlyArray<Comment>, TelegramExportError> =>
  Effect.try({
    try: () => JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json) as unknown,
    catch: (e) => new TelegramExportError({ message: `not JSON: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(Effect.flatMap((v) => fromValue(v, options)))
