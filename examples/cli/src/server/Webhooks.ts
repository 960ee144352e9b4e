/**
 * A chat platform's webhook: handshake (Facebook's verification GET), signature check over the
 * raw body (401, nothing changes), decoding (400 for a malformed body), de-duplication of
 * redelivered events, and the events applied to the round: Comment → `submitComments`,
 * CommentEdited → `editComment`, CommentRemoved → `removeComment`. Other events (stickers,
 * members joining) change nothing.
 */
import { type ChannelAdapter, GroupBuy, type Http, type Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { fromEvent } from "../Comments.js"
import { CommentBatcher } from "./CommentBatcher.js"
import { type Reply, text } from "./Reply.js"

/** Remembers the delivery ids of events already handled, most recent `capacity` of them. */
export interface SeenEvents {
  readonly has: (key: string) => boolean
  readonly add: (key: string) => void
}

export const makeSeenEvents = (capacity = 100_000): SeenEvents => {
  const keys = new Set<string>()
  // The keys in insertion order, in a ring: the oldest is evicted in O(1). (Evicting through the
  // Set's own order, `values().next()`, walks past every deleted slot at its front in V8.)
  const ring: Array<string | undefined> = new Array(Math.max(1, capacity))
  let next = 0
  return {
    has: (key) => keys.has(key),
    add: (key) => {
      if (capacity < 1 || keys.has(key)) return
      const oldest = ring[next]
      if (oldest !== undefined) keys.delete(oldest)
      ring[next] = key
      next = (next + 1) % ring.length
      keys.add(key)
    }
  }
}

/** What the webhook handler needs. */
export interface WebhookContext {
  /** The round comments go to; `undefined`: comments are refused (logged), the webhook still answered 200. */
  readonly roundId: string | undefined
  readonly seen: SeenEvents
}

const bump = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n
}

/** Handles one webhook request for `adapter`. Fails only on storage trouble (the caller answers 500; the platform redelivers). */
export const handle = (
  ctx: WebhookContext,
  adapter: ChannelAdapter.ChannelAdapterService,
  req: Http.InboundRequest
): Effect.Effect<Reply, GroupBuy.GroupBuyError | Storage.StorageError, GroupBuy.GroupBuy | CommentBatcher> =>
  Effect.gen(function* () {
    const counts: Record<string, number> = {}
    if (adapter.handshake) {
      const answer = yield* adapter.handshake(req)
      if (answer !== undefined) return { ...answer, counts: { handshake: answer.status === 200 ? 1 : 0 } }
    }
    if (req.method !== "POST") return text(405, "POST only", { allow: "POST" })
    const verified = yield* Effect.result(adapter.verify(req))
    if (Result.isFailure(verified))
      return { ...text(401, "invalid signature"), error: `ChannelError:${verified.failure.reason}` }
    const decoded = yield* Effect.result(adapter.decode(req))
    if (Result.isFailure(decoded)) {
      const status =
        decoded.failure.reason === "invalid-payload" || decoded.failure.reason === "unsupported" ? 400 : 502
      return {
        ...text(status, status === 400 ? "malformed body" : "upstream error"),
        error: `ChannelError:${decoded.failure.reason}`
      }
    }
    const events = decoded.success
    counts.events = events.length
    const fresh = events.filter((e) => !ctx.seen.has(`${e.channel}:${e.eventId}`))
    if (fresh.length < events.length) bump(counts, "redelivered", events.length - fresh.length)
    const g = yield* GroupBuy.GroupBuy
    const batcher = yield* CommentBatcher
    const roundId = ctx.roundId
    let pending: Array<GroupBuy.CommentInput> = []
    const flush = Effect.suspend(() => {
      const comments = pending
      pending = []
      if (comments.length === 0 || roundId === undefined) return Effect.void
      return Effect.map(batcher.submit(roundId, comments), (outcomes) => {
        for (const o of outcomes) bump(counts, o.status)
      })
    })
    /** An edit or unsend the round refuses (an unknown comment…) is counted, not retried. */
    const refusedIsFine = <A>(eff: Effect.Effect<A, GroupBuy.GroupBuyError | Storage.StorageError>) =>
      eff.pipe(
        Effect.asVoid,
        Effect.catchIf(
          (e): e is GroupBuy.GroupBuyError => e._tag === "GroupBuyError" && e.reason !== "conflict",
          () => Effect.sync(() => bump(counts, "refused"))
        )
      )
    for (const e of fresh) {
      switch (e._tag) {
        case "Comment":
          bump(counts, "comments")
          if (roundId === undefined) bump(counts, "rejected")
          else pending.push(fromEvent(e))
          break
        case "CommentEdited":
          bump(counts, "edits")
          yield* flush
          if (roundId === undefined) bump(counts, "rejected")
          else yield* refusedIsFine(g.editComment({ roundId, comment: fromEvent(e) }))
          break
        case "CommentRemoved":
          bump(counts, "removals")
          yield* flush
          if (roundId === undefined) bump(counts, "rejected")
          else yield* refusedIsFine(g.removeComment({ roundId, channel: e.channel, commentId: e.commentId, at: e.at }))
          break
        default:
          bump(counts, "other")
      }
    }
    yield* flush
    for (const e of fresh) ctx.seen.add(`${e.channel}:${e.eventId}`)
    return {
      ...text(200, "OK"),
      counts,
      accepted: true,
      ...(counts.rejected ? { note: "no round: start with --round to take orders" } : {})
    }
  })
