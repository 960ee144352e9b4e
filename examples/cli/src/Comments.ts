/**
 * Comment sources for `round replay`: JSON Lines (CLI.md) here; the chat-export formats come
 * from the channel adapters' importers. And the comment a channel adapter's event carries, as
 * GroupBuy takes it (webhooks, exports, the demo).
 */
import { type ChannelAdapter, type GroupBuy, Inbound } from "@kaituan/core"
import { jsonProblem, readTextFile, UsageError } from "./Io.js"

export type Format = "jsonl" | "line-export" | "telegram-export" | "facebook-comments"
export const formats: ReadonlyArray<Format> = ["jsonl", "line-export", "telegram-export", "facebook-comments"]

/** A channel's comment event as a use-case input (the library's `Inbound.toComment`). */
export const fromEvent = Inbound.toComment

/** The comments among inbound events, in order (edits, removals and other events left out). */
export const commentsOf = (events: ReadonlyArray<ChannelAdapter.InboundEvent>): Array<GroupBuy.CommentInput> =>
  events.flatMap((e) => (e._tag === "Comment" ? [fromEvent(e)] : []))

const isoLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/

/** The 1-based line of each comment {@link parseJsonl} read (for messages that name the line). */
const lineNumbers = new WeakMap<GroupBuy.CommentInput, number>()

/** The line of the file a JSON Lines comment came from, if it came from one. */
export const lineOf = (comment: GroupBuy.CommentInput): number | undefined => lineNumbers.get(comment)

/**
 * Parses JSON Lines comments; every bad line is a UsageError naming the file and the line.
 *
 * Comments without a `channel` (or with the default one) carry the file's own ids: they are
 * unique within the round (`idScope: "round"`), so another round's file may use `c1` again. A
 * comment that names a channel (`"channel": "line"`) names that channel's message, which belongs
 * to one round only.
 */
export const parseJsonl = (path: string, text: string, channel = "jsonl"): Array<GroupBuy.CommentInput> => {
  const out: Array<GroupBuy.CommentInput> = []
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim()
    if (raw === "") continue
    const where = `${path} line ${i + 1}`
    let v: any
    try {
      v = JSON.parse(raw)
    } catch {
      // Not JSON.parse's message: it quotes the line, which may hold personal data.
      const { at, what } = jsonProblem(raw)
      throw new UsageError(`${where}, column ${at + 1}: not JSON (${what})`)
    }
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new UsageError(`${where}: expected a JSON object`)
    if (typeof v.id !== "string" && typeof v.id !== "number") throw new UsageError(`${where}: missing "id"`)
    if (typeof v.text !== "string") throw new UsageError(`${where}: missing "text" (a string)`)
    const author = v.author ?? {}
    const authorId =
      typeof author.id === "string" || typeof author.id === "number"
        ? String(author.id)
        : typeof author.name === "string"
          ? author.name
          : undefined
    if (authorId === undefined) throw new UsageError(`${where}: missing "author.id" (or "author.name")`)
    if (typeof v.at !== "string" || !isoLike.test(v.at) || Number.isNaN(Date.parse(v.at)))
      throw new UsageError(`${where}: "at" must be an ISO timestamp such as 2024-05-01T10:05:00+08:00`)
    const source = typeof v.channel === "string" && v.channel !== "" ? v.channel : channel
    const comment: GroupBuy.CommentInput = {
      channel: source,
      commentId: String(v.id),
      author: typeof author.name === "string" ? { id: authorId, name: author.name } : { id: authorId },
      text: v.text,
      at: v.at,
      ...(source === channel ? { idScope: "round" as const } : {})
    }
    lineNumbers.set(comment, i + 1)
    out.push(comment)
  }
  return out
}

/** Guesses the format of a comment file from its content. */
export const guessFormat = (text: string): Format => {
  const t = text.replace(/^\uFEFF/, "").trimStart()
  // An empty file is an empty list of comments, not a guess at a chat export.
  if (t === "") return "jsonl"
  if (t.startsWith("{")) {
    const firstLine = t.split(/\r?\n/, 1)[0]!
    try {
      const v = JSON.parse(firstLine)
      if (v && typeof v === "object" && ("text" in v || "action" in v)) return "jsonl"
    } catch {
      /* a multi-line JSON document */
    }
    if (/"messages"\s*:/.test(t)) return "telegram-export"
    return "facebook-comments"
  }
  if (t.startsWith("[") && !t.startsWith("[LINE]")) {
    try {
      JSON.parse(t)
      return "facebook-comments"
    } catch {
      /* not JSON: a chat export */
    }
  }
  return "line-export"
}

/** Reads `path` (relative to `cwd` when given); errors name `path` as the user wrote it. */
export const readText = (path: string, cwd?: string): string => readTextFile(path, "the comments", cwd)

/** Stable sort by time: comments are replayed in time order. */
export const byTime = (comments: ReadonlyArray<GroupBuy.CommentInput>): Array<GroupBuy.CommentInput> =>
  comments
    .map((c, i) => ({ c, i, t: Date.parse(c.at) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.c)
