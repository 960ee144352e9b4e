/**
 * Pulls every comment of a Page post or live video through the Graph API's `/{id}/comments` edge
 * (`filter=stream` so nothing is hidden, `order=chronological`, following the `after` cursor page
 * by page) and returns them as `Comment` events, de-duplicated by comment id. Use it to re-sync
 * what webhooks missed (Meta drops deliveries, live comment feeds skip items) or to import a post
 * written before the bot was connected.
 *
 * The events have the same ids a webhook delivery of the comment gets
 * (`eventId` = `${commentId}:add:${createdTime}`), so replaying both never doubles a comment.
 *
 * @since 0.1.0
 */
import { ChannelAdapter } from "@kaituan/core"
import { Effect, Result, Schema } from "effect"
import { authorOf, eventIdOf, unixSeconds, unknownAuthor as withheldAuthor } from "./FacebookWebhook.js"
import { type GraphOptions, request } from "./internal/graph.js"

type ChannelError = ChannelAdapter.ChannelError
const ChannelError = ChannelAdapter.ChannelError

/** A `Comment` event. */
export type Comment = Extract<ChannelAdapter.InboundEvent, { readonly _tag: "Comment" }>

export type { Fetch, GraphOptions, RetryOptions } from "./internal/graph.js"

const Id = Schema.Union([Schema.String, Schema.Number])

/** A comment as the Graph API returns it. */
export const GraphComment = Schema.Struct({
  id: Schema.String,
  from: Schema.optional(Schema.Struct({ id: Id, name: Schema.optional(Schema.String) })),
  message: Schema.optional(Schema.String),
  created_time: Schema.Union([Schema.String, Schema.Number]),
  parent: Schema.optional(Schema.Struct({ id: Schema.String }))
})
export type GraphComment = typeof GraphComment.Type

/** One page of the `/comments` edge. */
export const CommentPage = Schema.Struct({
  data: Schema.Array(Schema.Unknown),
  paging: Schema.optional(
    Schema.Struct({
      cursors: Schema.optional(
        Schema.Struct({ before: Schema.optional(Schema.String), after: Schema.optional(Schema.String) })
      ),
      next: Schema.optional(Schema.String),
      previous: Schema.optional(Schema.String)
    })
  )
})
export type CommentPage = typeof CommentPage.Type

/** The fields requested by default. */
export const defaultFields = "id,from{id,name},message,created_time,parent{id}"

/** The author id used when the Graph API withholds `from` (missing permission): `FacebookWebhook.unknownAuthor`'s. */
export const unknownAuthor: string = withheldAuthor.id

const decodeComment = Schema.decodeUnknownResult(GraphComment)

/**
 * Maps Graph comments to `Comment` events: comments without text (stickers, photos) are skipped,
 * duplicates (by id) are dropped, `parent` becomes `replyToCommentId`. Fails with a description
 * of the first malformed comment.
 */
export const toComments = (
  data: ReadonlyArray<unknown>,
  options: { readonly channel: string; readonly threadId?: string | undefined },
  seen: Set<string> = new Set()
): Result.Result<ReadonlyArray<Comment>, string> => {
  const out: Array<Comment> = []
  for (const [i, raw] of data.entries()) {
    const decoded = decodeComment(raw)
    if (Result.isFailure(decoded)) return Result.fail(`data[${i}]: ${decoded.failure.message}`)
    const c = decoded.success
    const created = unixSeconds(c.created_time)
    if (created === undefined) return Result.fail(`data[${i}] (comment ${c.id}): unreadable created_time`)
    if (seen.has(c.id)) continue
    seen.add(c.id)
    const text = c.message ?? ""
    if (text.trim().length === 0) continue
    const author = authorOf(c.from) ?? withheldAuthor
    out.push({
      _tag: "Comment",
      channel: options.channel,
      eventId: eventIdOf(c.id, "add", created),
      at: new Date(created * 1000).toISOString(),
      commentId: c.id,
      ...(options.threadId === undefined ? {} : { threadId: options.threadId }),
      author,
      text,
      ...(c.parent === undefined ? {} : { replyToCommentId: c.parent.id })
    })
  }
  return Result.succeed(out)
}

/** Options of {@link pull}. */
export interface PullOptions extends GraphOptions {
  /** The post (`{page-id}_{post-id}`) or live video id. */
  readonly objectId: string
  /** The events' `threadId` (default `objectId`): pass the post id when pulling a live video by its video id. */
  readonly threadId?: string | undefined
  /** The channel id of the events (default `facebook`). */
  readonly channel?: string | undefined
  /** Comments per page (default 100). */
  readonly limit?: number | undefined
  /** Stop after this many pages (default 1000), a guard against a cursor that never ends. */
  readonly maxPages?: number | undefined
  /** The `fields` parameter (default {@link defaultFields}). */
  readonly fields?: string | undefined
  /** Extra query parameters (e.g. `{ live_filter: "no_filter" }` for live videos, `since`). */
  readonly params?: Readonly<Record<string, string>> | undefined
  /** Called with every page as it arrives (progress, or saving pages for `round replay`). */
  readonly onPage?: ((page: CommentPage) => void) | undefined
}

const decodePage = Schema.decodeUnknownResult(CommentPage)

/**
 * Pulls all comments of a post or live video, following `paging.cursors.after` while
 * `paging.next` is present. Graph errors are mapped as in the channel adapter (rate limits are
 * retried, then `rate-limited`; an invalid token is `unauthorized`).
 */
export const pull = (options: PullOptions): Effect.Effect<ReadonlyArray<Comment>, ChannelError> =>
  Effect.gen(function* () {
    const channel = options.channel ?? "facebook"
    const threadId = options.threadId ?? options.objectId
    const maxPages = options.maxPages ?? 1000
    const seen = new Set<string>()
    const out: Array<Comment> = []
    let after: string | undefined
    for (let page = 0; page < maxPages; page++) {
      const params: Record<string, string> = {
        filter: "stream",
        order: "chronological",
        fields: options.fields ?? defaultFields,
        limit: String(options.limit ?? 100),
        ...(options.params ?? {}),
        ...(after === undefined ? {} : { after })
      }
      const body = yield* request(
        options,
        "GET",
        [options.objectId, "comments"],
        params,
        undefined,
        `Graph GET /${options.objectId}/comments`
      )
      const decoded = decodePage(body)
      if (Result.isFailure(decoded))
        return yield* Effect.fail(
          new ChannelError({
            reason: "invalid-payload",
            message: `unexpected comments page: ${decoded.failure.message}`
          })
        )
      const page = decoded.success
      options.onPage?.(page)
      const comments = toComments(page.data, { channel, threadId }, seen)
      if (Result.isFailure(comments))
        return yield* Effect.fail(new ChannelError({ reason: "invalid-payload", message: comments.failure }))
      out.push(...comments.success)
      const next = page.paging?.cursors?.after
      if (page.paging?.next === undefined || next === undefined || page.data.length === 0) return out
      after = next
    }
    return out
  })
