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

/**
 * An in-memory store. Entries older than `retainMs` (default 8 days) by the Effect `Clock` are
 * dropped as new ones arrive.
 */
export const makeMemory = (options?: {
  readonly retainMs?: number
}): PrivateReplyStore & {
  /** The current claims (for inspection and tests). */
  readonly claims: ReadonlyMap<string, Claim>
} => {
  const retainMs = options?.retainMs ?? windowMs + 24 * 60 * 60 * 1000
  const times = new Map<string, number>()
  const claims = new Map<string, Claim>()
  let lastPrune = 0
  const prune = (now: number) => {
    if (now - lastPrune < 60_000) return
    lastPrune = now
    for (const [k, t] of times) if (now - t > retainMs) times.delete(k)
    for (const [k, c] of claims) if (now - c.at > retainMs) claims.delete(k)
  }
  return {
    claims,
    noteComment: (commentId, createdAtMs) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        prune(now)
        times.set(commentId, createdAtMs)
      }),
    commentTime: (commentId) => Effect.sync(() => times.get(commentId)),
    claim: (commentId, outboundId, at) =>
      Effect.sync(() => {
        const existing = claims.get(commentId)
        if (existing !== undefined) return existing
        claims.set(commentId, { outboundId, at, sent: false })
        return undefined
      }),
    complete: (commentId, outboundId, platformMessageId) =>
      Effect.sync(() => {
        const existing = claims.get(commentId)
        if (existing?.outboundId === outboundId) claims.set(commentId, { ...existing, sent: true, platformMessageId })
      }),
    release: (commentId, outboundId) =>
      Effect.sync(() => {
        if (claims.get(commentId)?.outboundId === outboundId) claims.delete(commentId)
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
