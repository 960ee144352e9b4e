/**
 * Imports saved Graph API comment pages — the JSON of `GET /{post-id}/comments` (one page
 * `{ data, paging }`, an array of such pages, or a bare array of comments) — as kaituan `Comment`
 * events, with the same ids {@link GraphComments.pull} and the webhook give. Duplicates across
 * pages are dropped; comments without text are skipped.
 *
 * @since 0.1.0
 */
import type { ChannelAdapter } from "@kaituan/core"
import { Effect, Predicate, Result, Schema } from "effect"
import * as GraphComments from "./GraphComments.js"

/** A `Comment` event. */
export type Comment = Extract<ChannelAdapter.InboundEvent, { readonly _tag: "Comment" }>

/** The file is not saved comment pages, or a comment in it is malformed. */
export class FacebookExportError extends Schema.TaggedError<FacebookExportError>()("FacebookExportError", {
  message: Schema.String
}) {}

/** Options of {@link parse}. */
export interface Options {
  /** The channel id of the events (default `facebook`). */
  readonly channel?: string | undefined
  /** The post (or live video) the comments belong to: the events' `threadId` (default none). */
  readonly threadId?: string | undefined
}

const { isObject: isRecord } = Predicate

const isPage = (u: unknown): boolean => isRecord(u) && Array.isArray(u["data"])

/** True when the value looks like saved comment pages (for format guessing). */
export const isCommentPages = (u: unknown): boolean =>
  isPage(u) ||
  (Array.isArray(u) &&
    u.length > 0 &&
    (u.every(isPage) || u.every((c) => isRecord(c) && "created_time" in c && "id" in c)))

/** Imports an already parsed value. */
export const fromValue = (
  value: unknown,
  options?: Options
): Effect.Effect<ReadonlyArray<Comment>, FacebookExportError> => {
  const channel = options?.channel ?? "facebook"
  const to = { channel, threadId: options?.threadId }
  const fail = (message: string) => Effect.fail(new FacebookExportError({ message }))
  let pages: ReadonlyArray<[ReadonlyArray<unknown>, string]>
  if (isPage(value)) pages = [[(value as { data: ReadonlyArray<unknown> }).data, ""]]
  else if (Array.isArray(value) && value.every(isPage))
    pages = value.map((p, i) => [(p as { data: ReadonlyArray<unknown> }).data, `pages[${i}].`])
  else if (Array.isArray(value) && value.every(isRecord)) pages = [[value, ""]]
  else return fail("not Graph API comment pages: expected { data: [...] }, an array of them, or an array of comments")
  const seen = new Set<string>()
  const out: Array<Comment> = []
  for (const [data, where] of pages) {
    const comments = GraphComments.toComments(data, to, seen)
    if (Result.isFailure(comments)) return fail(`${where}${comments.failure}`)
    out.push(...comments.success)
  }
  return Effect.succeed(out)
}

/** Imports the text of a saved comments file. */
export const parse = (json: string, options?: Options): Effect.Effect<ReadonlyArray<Comment>, FacebookExportError> =>
  Effect.try({
    try: () => JSON.parse(json.charCodeAt(0) === 0xfeff ? json.slice(1) : json) as unknown,
    catch: (e) => new FacebookExportError({ message: `not JSON: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(Effect.flatMap((v) => fromValue(v, options)))
