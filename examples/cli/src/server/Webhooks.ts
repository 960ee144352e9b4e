/**
 * A chat platform's webhook: handshake (Facebook's verification GET), signature check over the
 * raw body (401, nothing changes), decoding (400 for a malformed body), de-duplication of
 * redelivered events, and the events applied to the round: Comment → `submitComments`,
 * CommentEdited → `editComment`, CommentRemoved → `removeComment`. Other events (stickers,
 * members joining) change nothing.
 *
 * Hostile input stops at the decoding: JSON nested deeper than {@link MAX_JSON_DEPTH} is 400
 * before a decoder sees it, and a decoder that throws all the same answers 400 (logged as an
 * error), never 500 (a platform redelivers a 500, and it would fail again). Each event stands
 * alone: an event the adapter cannot decode, whose ids no storage can key on, or that the round
 * refuses, is skipped and counted by reason (`counts.skipped`, `skipped`), and the delivery's
 * other events are applied and answered 200, so one bad event never loses the good ones. An event
 * dated in the future is dated when it arrived (`counts["future-dated"]`: one event must not
 * close the round by its date), and control characters and lone surrogates in texts and names
 * become U+FFFD (`counts["text-cleaned"]`).
 */
import { type ChannelAdapter, GroupBuy, type Http, type Storage } from "@kaituan/core"
import { Clock, Effect, Result } from "effect"
import { fromEvent } from "../Comments.js"
import { jsonDepthWithin } from "./Body.js"
import { CommentBatcher } from "./CommentBatcher.js"
import type { RoundRouter } from "./RoundRouter.js"
import { errorKind } from "./Log.js"
import { type Reply, text } from "./Reply.js"

/** The deepest JSON nesting a webhook body may have (LINE, Telegram and Facebook send about 6). */
export const MAX_JSON_DEPTH = 64

/**
 * Why an event of a delivery was skipped: `malformed` (the adapter could not decode it),
 * `invalid-id` (an id no database can key on, see {@link idsUsable}) or `refused` (the round could
 * not take it: its comment failed on its own).
 */
export type SkipReason = "malformed" | "invalid-id" | "refused"

/**
 * An id is unusable when it is empty, longer than 512 characters, or holds a control character or
 * a lone surrogate: UTF-8 storage (SQLite, PostgreSQL) cannot keep such a key as it is (a lone
 * surrogate is stored as U+FFFD, PostgreSQL refuses NUL), so it would never match itself again.
 */
const BAD_ID = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Whether `id` can be a storage key: 1–512 characters, no control character, no lone surrogate. */
export const usableId = (id: string): boolean => id.length > 0 && id.length <= 512 && !BAD_ID.test(id)

const usable = (id: string | undefined): boolean => id === undefined || usableId(id)

/** Control characters other than tab and line breaks, and lone surrogates: no meaning, and storage refuses some. */
const BAD_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, "g")

/**
 * How far in the future an event may be dated (the platforms' clocks and ours differ a little).
 * A later time is no time a platform sends: it becomes the time the event arrived, so one event
 * cannot close the round by being dated after its cutoff.
 */
export const FUTURE_SKEW_MS = 5 * 60_000

const hasText = (e: ChannelAdapter.InboundEvent): e is Extract<ChannelAdapter.InboundEvent, { text: string }> =>
  "text" in e

/** Whether an event goes in as it is: usable ids, a time not in the future, clean texts. */
const asItIs = (e: ChannelAdapter.InboundEvent, now: number): boolean =>
  idsUsable(e) &&
  !(Date.parse(e.at) > now + FUTURE_SKEW_MS) &&
  !(hasText(e) && BAD_TEXT.test(e.text)) &&
  !("author" in e && e.author?.name !== undefined && BAD_TEXT.test(e.author.name))

/**
 * The event as it is kept: dated when it arrived if it was dated in the future, control
 * characters and lone surrogates of its text and author name replaced by U+FFFD; `counts` says
 * what changed.
 */
const admit = (
  e: ChannelAdapter.InboundEvent,
  now: number,
  counts: Record<string, number>
): ChannelAdapter.InboundEvent => {
  let out = e
  if (Date.parse(out.at) > now + FUTURE_SKEW_MS) {
    out = { ...out, at: new Date(now).toISOString() }
    bump(counts, "future-dated")
  }
  if (hasText(out) && BAD_TEXT.test(out.text)) {
    out = { ...out, text: out.text.replace(BAD_TEXT_ALL, "\ufffd") }
    bump(counts, "text-cleaned")
  }
  if ("author" in out && out.author?.name !== undefined && BAD_TEXT.test(out.author.name)) {
    out = { ...out, author: { ...out.author, name: out.author.name.replace(BAD_TEXT_ALL, "\ufffd") } }
    bump(counts, "text-cleaned")
  }
  return out
}

/** Whether every id of an event (event, comment, author, thread, reply) can be a storage key. */
export const idsUsable = (e: ChannelAdapter.InboundEvent): boolean =>
  usable(e.eventId) &&
  usable("commentId" in e ? e.commentId : undefined) &&
  usable("author" in e ? e.author?.id : undefined) &&
  usable(e.threadId) &&
  usable("replyToCommentId" in e ? e.replyToCommentId : undefined) &&
  usable("replyToken" in e ? e.replyToken : undefined)

/** An event the adapter could not decode, as the adapters that decode each event on its own list it. */
export interface SkippedEvent {
  /** Where it is in the body (`events[2]`, `entry[0].changes[1]`). */
  readonly where: string
  readonly reason: string
  /** For developers; may quote the body: never logged. */
  readonly message: string
}

/** A delivery's events, and those skipped. */
export interface Delivery {
  readonly events: ReadonlyArray<ChannelAdapter.InboundEvent>
  readonly skipped: ReadonlyArray<SkippedEvent>
}

/** An adapter that decodes each event of a delivery on its own (LINE, Facebook). */
interface DeliveryDecoder {
  readonly decodeDelivery: (req: Http.InboundRequest) => Effect.Effect<Delivery, ChannelAdapter.ChannelError>
}

const hasDeliveryDecoder = (
  adapter: ChannelAdapter.ChannelAdapterService
): adapter is ChannelAdapter.ChannelAdapterService & DeliveryDecoder =>
  typeof (adapter as Partial<DeliveryDecoder>).decodeDelivery === "function"

const NO_SKIPS: ReadonlyArray<SkippedEvent> = []

/** The delivery of a verified request, with its skipped events when the adapter lists them. */
const decodeDelivery = (
  adapter: ChannelAdapter.ChannelAdapterService,
  req: Http.InboundRequest
): Effect.Effect<Delivery, ChannelAdapter.ChannelError> =>
  hasDeliveryDecoder(adapter)
    ? adapter.decodeDelivery(req)
    : Effect.map(adapter.decode(req), (events) => ({ events, skipped: NO_SKIPS }))

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
  /**
   * Which round each comment goes to (RoundRouter): the round listening to its conversation, else
   * the one open round. A comment no round takes is refused (counted and logged with the reason);
   * the webhook is still answered 200.
   */
  readonly router: RoundRouter
  readonly seen: SeenEvents
}

const bump = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n
}

/** The round refused a command (not a concurrency conflict, which is retried, nor storage trouble). */
const isRefusal = (e: GroupBuy.GroupBuyError | Storage.StorageError): e is GroupBuy.GroupBuyError =>
  e._tag === "GroupBuyError" && e.reason !== "conflict"

/** Runs `onSkip` instead of failing when the round refuses the effect's command or its code fails on it. */
const skipOnRefusal =
  (onSkip: () => void) =>
  <A, R>(
    eff: Effect.Effect<A, GroupBuy.GroupBuyError | Storage.StorageError, R>
  ): Effect.Effect<A | undefined, GroupBuy.GroupBuyError | Storage.StorageError, R> =>
    eff.pipe(
      Effect.catchIf(isRefusal, () => Effect.sync(() => void onSkip())),
      Effect.catchDefect(() => Effect.sync(() => void onSkip()))
    )

/**
 * Handles one webhook request for `adapter`. Fails only on storage trouble (the caller answers
 * 500; the platform redelivers).
 */
export const handle = (
  ctx: WebhookContext,
  adapter: ChannelAdapter.ChannelAdapterService,
  req: Http.InboundRequest
): Effect.Effect<
  Reply,
  GroupBuy.GroupBuyError | Storage.StorageError,
  GroupBuy.GroupBuy | CommentBatcher | Storage.Storage
> =>
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
    if (!jsonDepthWithin(req.rawBody, MAX_JSON_DEPTH))
      return { ...text(400, "malformed body: JSON nested too deep"), error: "BodyError:too-deep" }
    const decoded = yield* decodeDelivery(adapter, req).pipe(
      Effect.map((delivery) => ({ _tag: "Decoded" as const, delivery })),
      Effect.catch((error) => Effect.succeed({ _tag: "Failed" as const, error })),
      // A decoder that throws on what a client sent is a bug to fix, logged as an error; the body
      // is still unreadable: 400, so the platform does not redeliver what would fail again.
      Effect.catchDefect((defect) => Effect.succeed({ _tag: "Defect" as const, defect }))
    )
    switch (decoded._tag) {
      case "Defect":
        return { ...text(400, "malformed body"), error: `DecodeDefect:${errorKind(decoded.defect)}`, level: "error" }
      case "Failed": {
        const reason = decoded.error.reason
        const status = reason === "invalid-payload" || reason === "unsupported" ? 400 : 502
        return {
          ...text(status, status === 400 ? "malformed body" : "upstream error"),
          error: `ChannelError:${reason}`
        }
      }
      case "Decoded":
        break
    }
    const { events: decodedEvents, skipped } = decoded.delivery
    counts.events = decodedEvents.length + skipped.length
    /** Where the skipped events were, by reason (positions only: never their content). */
    const skips: Record<string, Array<string>> = {}
    const skip = (reason: SkipReason, where: string) => {
      bump(counts, "skipped")
      const list = skips[reason]
      if (list === undefined) skips[reason] = [where]
      else list.push(where)
    }
    for (const s of skipped) skip("malformed", s.where)
    // Nearly always every event goes in as it is; else each is checked: ids no storage can key on
    // are skipped, times in the future and unstorable characters fixed.
    const now = yield* Clock.currentTimeMillis
    let events = decodedEvents
    let positions: Map<ChannelAdapter.InboundEvent, number> | undefined
    if (!decodedEvents.every((e) => asItIs(e, now))) {
      const kept: Array<ChannelAdapter.InboundEvent> = []
      positions = new Map()
      for (const [i, e] of decodedEvents.entries()) {
        if (!idsUsable(e)) {
          skip("invalid-id", `event ${i}`)
          continue
        }
        const admitted = admit(e, now, counts)
        positions.set(admitted, i)
        kept.push(admitted)
      }
      events = kept
    }
    const fresh = events.filter((e) => !ctx.seen.has(`${e.channel}:${e.eventId}`))
    if (fresh.length < events.length) bump(counts, "redelivered", events.length - fresh.length)
    const g = yield* GroupBuy.GroupBuy
    const batcher = yield* CommentBatcher
    /** Why comments were refused (no round took them), for the log. */
    const refusals = new Set<string>()
    /** The round an event's comment goes to, or undefined (refused: counted and noted). */
    const roundOf = (e: ChannelAdapter.InboundEvent) =>
      Effect.map(ctx.router.route(e.channel, e.threadId), (routed) => {
        if (routed._tag === "Round") return routed.roundId
        bump(counts, "rejected")
        refusals.add(routed.reason)
        return undefined
      })
    /** Where an event is in the delivery (its position among the decoded events), for the log. */
    const whereOf = (e: ChannelAdapter.InboundEvent) => `event ${positions?.get(e) ?? decodedEvents.indexOf(e)}`
    type Pending = { readonly comment: GroupBuy.CommentInput; readonly event: ChannelAdapter.InboundEvent }
    /** The delivery's comments not yet submitted, by round. */
    let pending = new Map<string, Array<Pending>>()
    const submit = (roundId: string, items: ReadonlyArray<{ readonly comment: GroupBuy.CommentInput }>) =>
      Effect.map(
        batcher.submit(
          roundId,
          items.map((i) => i.comment)
        ),
        (outcomes) => {
          for (const o of outcomes) bump(counts, o.status)
        }
      )
    // The delivery's comments go together; if the round refuses them, or its code fails on one,
    // each is tried on its own and those that fail again are skipped. Storage trouble fails the
    // request (500): the platform redelivers, and the comments are applied then.
    const flushRound = (roundId: string, batch: ReadonlyArray<Pending>) => {
      const oneByOne = Effect.forEach(
        batch,
        (item) => submit(roundId, [item]).pipe(skipOnRefusal(() => skip("refused", whereOf(item.event)))),
        { discard: true }
      )
      return submit(roundId, batch).pipe(
        Effect.catchIf(isRefusal, () => oneByOne),
        Effect.catchDefect(() => oneByOne)
      )
    }
    const flush = Effect.suspend(() => {
      const rounds = pending
      pending = new Map()
      return Effect.forEach(rounds, ([roundId, batch]) => flushRound(roundId, batch), { discard: true })
    })
    /** An edit or unsend the round refuses (an unknown comment…) is counted, not retried. */
    const refusedIsFine = <A>(
      eff: Effect.Effect<A, GroupBuy.GroupBuyError | Storage.StorageError>,
      event: ChannelAdapter.InboundEvent
    ) =>
      eff.pipe(
        Effect.asVoid,
        Effect.catchIf(isRefusal, () => Effect.sync(() => bump(counts, "refused"))),
        Effect.catchDefect(() => Effect.sync(() => skip("refused", whereOf(event))))
      )
    for (const e of fresh) {
      switch (e._tag) {
        case "Comment": {
          bump(counts, "comments")
          const roundId = yield* roundOf(e)
          if (roundId === undefined) break
          const list = pending.get(roundId)
          const item = { comment: fromEvent(e), event: e }
          if (list === undefined) pending.set(roundId, [item])
          else list.push(item)
          break
        }
        case "CommentEdited": {
          bump(counts, "edits")
          yield* flush
          const roundId = yield* roundOf(e)
          if (roundId !== undefined) yield* refusedIsFine(g.editComment({ roundId, comment: fromEvent(e) }), e)
          break
        }
        case "CommentRemoved": {
          bump(counts, "removals")
          yield* flush
          const roundId = yield* roundOf(e)
          if (roundId !== undefined)
            yield* refusedIsFine(g.removeComment({ roundId, channel: e.channel, commentId: e.commentId, at: e.at }), e)
          break
        }
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
      ...(counts.rejected
        ? {
            note: refusals.has("several-open-rounds")
              ? "comments refused: several rounds are open and none listens to this conversation (set listens in the round files)"
              : "comments refused: no round is open (open one with --round or POST /api/v1/rounds)"
          }
        : {}),
      ...(counts.skipped || counts.rejected
        ? {
            fields: {
              ...(counts.skipped ? { skipped: skips } : {}),
              ...(counts.rejected ? { refused: [...refusals] } : {})
            }
          }
        : {})
    }
  })
