/**
 * Meta's private-reply rules, kept per comment: a Page may send **one** private reply (a
 * Messenger message) to the author of a comment, **within 7 days** of the comment. The store
 * remembers when comments were written and which outbound message used a comment's one reply.
 *
 * The default store is in memory (one process); an app with several workers passes its own
 * {@link PrivateReplyStore} (e.g. over its database) so the rule holds across them.
 *
 * @since 0.1.0
 */
import { Cache } from "@kaituan/core"
import { Clock, Effect } from "effect"

/** How long after the comment a private reply is allowed. */
export const windowMs = 7 * 24 * 60 * 60 * 1000

/** A comment's one private reply, claimed by an outbound message. */
export interface Claim {
  readonly outboundId: string
  /** When the claim was made (Unix ms). */
  readonly at: number
  /** True once Meta accepted the message. */
  readonly sent: boolean
  /** Meta's id of the accepted message. */
  readonly platformMessageId?: string | undefined
}

/** The store of comment times and private-reply claims. */
export interface PrivateReplyStore {
  /** Remembers when a comment was written (Unix ms); the adapter calls it for every comment it decodes or pulls. */
  readonly noteComment: (commentId: string, createdAtMs: number) => Effect.Effect<void>
  /** When the comment was written, if known. */
  readonly commentTime: (commentId: string) => Effect.Effect<number | undefined>
  /**
   * Atomically claims the comment's private reply for `outboundId`. Returns `undefined` when the
   * claim is new, else the existing claim (this message's own, from an earlier attempt, or another's).
   */
  readonly claim: (commentId: string, outboundId: string, at: number) => Effect.Effect<Claim | undefined>
  /** Records that Meta accepted the claimed reply. */
  readonly complete: (
    commentId: string,
    outboundId: string,
    platformMessageId: string | undefined
  ) => Effect.Effect<void>
  /** Gives the claim back (the send failed before Meta accepted it). */
  readonly release: (commentId: string, outboundId: string) => Effect.Effect<void>
}

/** The default bound of each memory of {@link makeMemory} (comment times, claims). */
export const defaultMaxEntries = 100_000

/**
 * An in-memory store, bounded: comment times and claims live in core's `Cache` (an LRU), each
 * kept for `retainMs` after it was noted (default 8 days: the 7-day window and a day's margin) by
 * the Effect `Clock`
 * and at most `maxEntries` of each (default 100,000), the least recently used forgotten first.
 */
export const makeMemory = (options?: {
  readonly retainMs?: number
  readonly maxEntries?: number
}): PrivateReplyStore & {
  /** The current claims (a snapshot, for inspection and tests). */
  readonly claims: ReadonlyMap<string, Claim>
} => {
  const retainMs = options?.retainMs ?? windowMs + 24 * 60 * 60 * 1000
  const maxEntries = options?.maxEntries ?? defaultMaxEntries
  const times = Cache.make<string, number>({ maxEntries, ttlMs: retainMs })
  const claims = Cache.make<string, Claim>({ maxEntries, ttlMs: retainMs })
  // Wall-clock time of the last store call, so the `claims` snapshot (read outside Effect) expires as the store does.
  let lastNow = 0
  const now = Effect.map(Clock.currentTimeMillis, (t) => {
    lastNow = t
    return t
  })
  return {
    get claims(): ReadonlyMap<string, Claim> {
      return new Map(claims.entries(lastNow))
    },
    noteComment: (commentId, createdAtMs) => Effect.map(now, (t) => times.set(commentId, createdAtMs, t)),
    commentTime: (commentId) => Effect.map(now, (t) => times.get(commentId, t)),
    claim: (commentId, outboundId, at) =>
      Effect.map(now, (t) => {
        const existing = claims.get(commentId, t)
        if (existing !== undefined) return existing
        claims.set(commentId, { outboundId, at, sent: false }, t)
        return undefined
      }),
    complete: (commentId, outboundId, platformMessageId) =>
      Effect.map(now, (t) => {
        const existing = claims.peek(commentId, t)
        if (existing?.outboundId === outboundId)
          claims.set(commentId, { ...existing, sent: true, platformMessageId }, t)
      }),
    release: (commentId, outboundId) =>
      Effect.map(now, (t) => {
        if (claims.peek(commentId, t)?.outboundId === outboundId) claims.delete(commentId)
      })
  }
}

/** Why a private reply is not allowed, or `undefined` when it is. */
export const refusal = (input: {
  readonly commentId: string
  readonly commentAtMs: number
  readonly nowMs: number
}): string | undefined =>
  input.nowMs - input.commentAtMs > windowMs
    ? `Messenger allows a private reply only within 7 days of the comment; comment ${input.commentId} was written ${new Date(input.commentAtMs).toISOString()}`
    : undefined
