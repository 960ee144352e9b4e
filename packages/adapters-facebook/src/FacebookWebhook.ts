/**
 * The Page webhook payload (`object: "page"`, `entry[].changes[]`) as Schemas, and the mapping of
 * `feed` comment changes to kaituan events.
 *
 * - `verb: "add"` → `Comment` (or `NonText` for a photo, video or sticker comment without text),
 *   `"edited"` → `CommentEdited`, `"remove"` → `CommentRemoved`; other verbs (`hide`…) and other
 *   items (posts, reactions, shares…) give no event.
 * - `commentId` is `comment_id`, `threadId` is `post_id` (a live video's comments arrive the same
 *   way, with the live video's post id), `replyToCommentId` is `parent_id` when it is a comment.
 * - Facebook has no delivery id: {@link eventIdOf} derives one from the comment id, the verb and
 *   `created_time` (plus a digest of the text for edits), identical on redelivery.
 * - The Page's own comments are kept (author id = the Page id); the round's sellers list filters them.
 * - The `live_videos` field only reports a live video's status, not comments: no event.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { ChannelAdapter } from "@kaituan/core"
import { Predicate, Result, Schema } from "effect"

type InboundEvent = ChannelAdapter.InboundEvent

const Id = Schema.Union([Schema.String, Schema.Number])

/** A comment change's `value` (wire keys are snake_case). */
export const CommentValue = Schema.Struct({
  item: Schema.Literal("comment"),
  verb: Schema.String,
  comment_id: Id,
  post_id: Id,
  parent_id: Schema.optional(Id),
  from: Schema.optional(Schema.Struct({ id: Id, name: Schema.optional(Schema.String) })),
  message: Schema.optional(Schema.String),
  created_time: Schema.optional(Schema.Union([Schema.Number, Schema.String])),
  photo: Schema.optional(Schema.Unknown),
  video: Schema.optional(Schema.Unknown),
  sticker: Schema.optional(Schema.Unknown)
})
export type CommentValue = typeof CommentValue.Type

/** One change of an entry. */
export const Change = Schema.Struct({ field: Schema.String, value: Schema.optional(Schema.Unknown) })

/** One entry: a Page and its changes. */
export const Entry = Schema.Struct({
  id: Id,
  time: Schema.optional(Schema.Number),
  changes: Schema.optional(Schema.Array(Change))
})

/** The webhook body. */
export const Envelope = Schema.Struct({ object: Schema.String, entry: Schema.Array(Entry) })
export type Envelope = typeof Envelope.Type

/** Unix seconds of a Graph time: a number of seconds, or an ISO string such as `2024-05-01T05:20:00+0000`. */
export const unixSeconds = (t: number | string): number | undefined => {
  if (typeof t === "number") return Number.isFinite(t) ? Math.floor(t) : undefined
  if (/^\d+$/.test(t)) return Number(t)
  const ms = Date.parse(t.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"))
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

/**
 * The event id of a comment change: `${commentId}:${verb}:${createdTime}`, with `:${digest}` of the
 * text appended for edits (two edits of one comment then differ).
 */
export const eventIdOf = (commentId: string, verb: string, createdTime: number, text?: string): string => {
  const base = `${commentId}:${verb}:${createdTime}`
  return verb === "edited" && text !== undefined
    ? `${base}:${createHash("sha256").update(text, "utf8").digest("hex").slice(0, 12)}`
    : base
}

/** The author of a comment from its `from` (absent when the Graph API withholds it). */
export const authorOf = (
  from: { readonly id: string | number; readonly name?: string | undefined } | undefined
): { readonly id: string; readonly name?: string } | undefined =>
  from === undefined
    ? undefined
    : from.name === undefined
      ? { id: String(from.id) }
      : { id: String(from.id), name: from.name }

/**
 * The author of a comment whose `from` the Graph API withheld (the app lacks the permission to
 * see who wrote it): one placeholder id, marked `unknown`, so core sends the comment to review
 * and never adds it to an order (two strangers are never taken for one buyer).
 */
export const unknownAuthor: { readonly id: string; readonly unknown: true } = { id: "unknown", unknown: true }

/** A change that is a comment but lacks what kaituan needs. */
export interface Malformed {
  readonly _tag: "Malformed"
  readonly message: string
}

const decodeComment = Schema.decodeUnknownResult(CommentValue)

const { isObject: isRecord } = Predicate

/** Maps one decoded comment value to events. */
export const commentEvents = (
  value: CommentValue,
  channel: string,
  fallbackTime: number | undefined
): ReadonlyArray<InboundEvent> | Malformed => {
  const created = value.created_time === undefined ? fallbackTime : unixSeconds(value.created_time)
  // A time no Date can hold (ECMA-262 TimeClip: ±8.64e15 ms) is no time either.
  if (created === undefined || !(Math.abs(created) <= 8.64e12))
    return { _tag: "Malformed", message: "comment change without a usable created_time" }
  const commentId = String(value.comment_id)
  const threadId = String(value.post_id)
  const at = new Date(created * 1000).toISOString()
  const named = authorOf(value.from)
  const author = named ?? unknownAuthor
  const parent = value.parent_id === undefined ? undefined : String(value.parent_id)
  switch (value.verb) {
    case "add": {
      const eventId = eventIdOf(commentId, "add", created)
      const text = value.message ?? ""
      if (text.trim().length === 0) {
        const kind =
          value.photo !== undefined
            ? "photo"
            : value.video !== undefined
              ? "video"
              : value.sticker !== undefined
                ? "sticker"
                : "attachment"
        return [{ _tag: "NonText", channel, eventId, at, commentId, threadId, author, kind }]
      }
      return [
        {
          _tag: "Comment",
          channel,
          eventId,
          at,
          commentId,
          threadId,
          author,
          text,
          ...(parent !== undefined && parent !== threadId ? { replyToCommentId: parent } : {})
        }
      ]
    }
    case "edited": {
      const text = value.message ?? ""
      return [
        {
          _tag: "CommentEdited",
          channel,
          eventId: eventIdOf(commentId, "edited", created, text),
          at,
          commentId,
          threadId,
          author,
          text
        }
      ]
    }
    case "remove":
      return [
        {
          _tag: "CommentRemoved",
          channel,
          eventId: eventIdOf(commentId, "remove", created),
          at,
          commentId,
          threadId,
          ...(named === undefined ? {} : { author: named })
        }
      ]
    default:
      return []
  }
}

/**
 * Why one change of a delivery was skipped. `malformed`: a comment change without what kaituan
 * needs (an id, a usable time, a text of the wrong type), or content that cannot be read at all.
 */
export type SkipReason = "malformed"

/**
 * A change of a delivery that was not decoded, and why; the others are. `message` says what is
 * wrong for a developer and may quote the change: log `where` and `reason`, not `message`.
 */
export interface SkippedEvent {
  /** Where it is in the body: `entry[0].changes[2]`. */
  readonly where: string
  readonly reason: SkipReason
  readonly message: string
}

/** The events of a webhook body, and the comment changes that could not be decoded. */
export interface Delivery {
  readonly events: ReadonlyArray<InboundEvent>
  readonly skipped: ReadonlyArray<SkippedEvent>
}

/** What an exception thrown while decoding untrusted input was, without its message (which may quote the input). */
const thrownKind = (e: unknown): string => (e instanceof Error ? e.name : typeof e)

/**
 * Maps a decoded webhook body to events, each comment change on its own: a malformed one is
 * skipped (listed in `skipped`) and the others kept, so one bad change never loses the good ones
 * of the same delivery. Never throws.
 */
export const toDelivery = (envelope: Envelope, channel: string): Delivery => {
  if (envelope.object !== "page") return { events: [], skipped: [] }
  const out: Array<InboundEvent> = []
  const skipped: Array<SkippedEvent> = []
  for (const [i, entry] of envelope.entry.entries()) {
    for (const [j, change] of (entry.changes ?? []).entries()) {
      if (change.field !== "feed" || !isRecord(change.value) || change.value["item"] !== "comment") continue
      const where = `entry[${i}].changes[${j}]`
      try {
        const decoded = decodeComment(change.value)
        if (Result.isFailure(decoded)) {
          skipped.push({ where, reason: "malformed", message: `${where}: ${decoded.failure.message}` })
          continue
        }
        const events = commentEvents(decoded.success, channel, entry.time)
        if ("_tag" in events) skipped.push({ where, reason: "malformed", message: `${where}: ${events.message}` })
        else out.push(...events)
      } catch (e) {
        skipped.push({ where, reason: "malformed", message: `${where}: cannot be read (${thrownKind(e)})` })
      }
    }
  }
  return { events: out, skipped }
}

/**
 * Maps a decoded webhook body to events, or says which change is malformed when none decodes
 * (see {@link toDelivery}: a malformed change among good ones is skipped).
 */
export const toEvents = (envelope: Envelope, channel: string): ReadonlyArray<InboundEvent> | Malformed => {
  const { events, skipped } = toDelivery(envelope, channel)
  return events.length === 0 && skipped.length > 0 ? { _tag: "Malformed", message: skipped[0]!.message } : events
}
