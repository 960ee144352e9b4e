/**
 * Comment sources for `round replay`: JSON Lines (CLI.md) here; the chat-export formats come
 * from the channel adapters' importers. And the comment a channel adapter's event carries, as
 * GroupBuy takes it (webhooks, exports, the demo).
 */
import fs from "node:fs"
import nodePath from "node:path"
import type { ChannelAdapter, GroupBuy } from "@kaituan/core"
import { UsageError } from "./Io.js"

export type Format = "jsonl" | "line-export" | "telegram-export" | "facebook-comments"
export const formats: ReadonlyArray<Format> = ["jsonl", "line-export", "telegram-export", "facebook-comments"]

/** The comment of an inbound `Comment` (or `CommentEdited`) event. */
export const fromEvent = (
  e: Extract<ChannelAdapter.InboundEvent, { _tag: "Comment" | "CommentEdited" }>
): GroupBuy.CommentInput => ({
  channel: e.channel,
  commentId: e.commentId,
  author: e.author,
  text: e.text,
  at: e.at,
  ...(e.threadId !== undefined ? { threadId: e.threadId } : {}),
  ...(e._tag === "Comment" && e.replyToken !== undefined ? { replyToken: e.replyToken } : {})
})

/** The comments among inbound events, in order (edits, removals and other events left out). */
export const commentsOf = (events: ReadonlyArray<ChannelAdapter.InboundEvent>): Array<GroupBuy.CommentInput> =>
  events.flatMap((e) => (e._tag === "Comment" ? [fromEvent(e)] : []))

const isoLike = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/

/** Parses JSON Lines comments; every bad line is a UsageError naming the file and the line. */
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
    } catch (e) {
      throw new UsageError(`${where}: not JSON: ${(e as Error).message}`)
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
    out.push({
      channel: typeof v.channel === "string" && v.channel !== "" ? v.channel : channel,
      commentId: String(v.id),
      author: typeof author.name === "string" ? { id: authorId, name: author.name } : { id: authorId },
      text: v.text,
      at: v.at
    })
  }
  return out
}

/** Guesses the format of a comment file from its content. */
export const guessFormat = (text: string): Format => {
  const t = text.replace(/^\uFEFF/, "").trimStart()
  if (t.startsWith("{")) {
    const firstLine = t.split(/\r?\n/, 1)[0]!
    try {
      const v = JSON.parse(firstLine)
      if (v && typeof v === "object" && "text" in v) return "jsonl"
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
export const readText = (path: string, cwd?: string): string => {
  try {
    return fs.readFileSync(cwd === undefined ? path : nodePath.resolve(cwd, path), "utf8")
  } catch (e) {
    throw new UsageError(`${path}: cannot read the comments: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
}

/** Stable sort by time: comments are replayed in time order. */
export const byTime = (comments: ReadonlyArray<GroupBuy.CommentInput>): Array<GroupBuy.CommentInput> =>
  comments
    .map((c, i) => ({ c, i, t: Date.parse(c.at) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.c)
