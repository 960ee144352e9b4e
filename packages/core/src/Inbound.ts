/**
 * The inbound application service: what a host does with a channel's delivery once its adapter
 * has verified and decoded it (`ChannelAdapter.verify` / `decode`). Any host composes it (our
 * `kaituan serve`, an Express or Next route, a POS):
 *
 * ```ts
 * const outcome = yield* Inbound.Inbound.use((i) => i.deliver({ events }))
 * log.info("webhook", outcome.counts) // counts and positions only: no personal data
 * ```
 *
 * - **Admission**: an event whose ids no storage can key on (see {@link usableId}) is skipped; an
 *   event dated in the future is dated when it first arrived (so one event cannot close a round
 *   by its date); control characters and lone surrogates in texts and names become U+FFFD.
 * - **Mapping**: `Comment` → `GroupBuy.submitComments`, `CommentEdited` → `editComment`,
 *   `CommentRemoved` → `removeComment`; other events (stickers, members joining) change nothing.
 * - **Routing**: each comment goes to its round (see {@link choose}): the open round whose
 *   `listens` (`RoundSpec.Listen`) names its conversation, else the preferred round, else the one
 *   open round that lists no conversations; otherwise it is refused, with the reason.
 * - **Batching**: comments of deliveries arriving together are submitted as one batch per round,
 *   in arrival order (one transaction instead of racing ones); a batch the round refuses is retried
 *   delivery by delivery, then comment by comment, so one bad comment never loses the others.
 * - **Redeliveries are durable**: nothing is remembered in the process. Every comment, edit and
 *   unsend is committed under an idempotency key in Storage (GroupBuy's `message:`, `edit:` and
 *   `unsend:` keys), so the same delivery again, after a restart or on a second worker racing the
 *   first, changes nothing (its comments come back `duplicate`). The one input that differs between
 *   two deliveries of an event, the arrival time given to a future-dated event, is claimed in
 *   Storage the first time (key `inbound:arrival:<channel>:<eventId>`) and reused.
 *
 * @since 0.3.0
 */
import { Clock, Context, Effect, Layer, Result, Schema, type Scope } from "effect"
import type { InboundEvent } from "./ChannelAdapter.js"
import {
  type CommentInput,
  type CommentOutcome,
  GroupBuy,
  type GroupBuyError,
  type GroupBuyService
} from "./GroupBuy.js"
import * as CommentBatcher from "./internal/commentBatcher.js"
import { list as listReadModel } from "./ReadModels.js"
import * as Rounds from "./readModels/Rounds.js"
import { Listen } from "./RoundSpec.js"
import { roundStream, Storage, type StorageError, type StorageService } from "./Storage.js"

// ---------------------------------------------------------------------------------------------
// Admission: ids, times and texts
// ---------------------------------------------------------------------------------------------

/**
 * An id is unusable when it is empty, longer than 512 characters, or holds a control character or
 * a lone surrogate: UTF-8 storage (SQLite, PostgreSQL) cannot keep such a key as it is (a lone
 * surrogate is stored as U+FFFD, PostgreSQL refuses NUL), so it would never match itself again.
 */
const BAD_ID = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Whether `id` can be a storage key: 1–512 characters, no control character, no lone surrogate. */
export const usableId = (id: string): boolean => id.length > 0 && id.length <= 512 && !BAD_ID.test(id)

const usable = (id: string | undefined): boolean => id === undefined || usableId(id)

/** Whether every id of an event (event, comment, author, thread, reply) can be a storage key. */
export const idsUsable = (e: InboundEvent): boolean =>
  usable(e.eventId) &&
  usable("commentId" in e ? e.commentId : undefined) &&
  usable("author" in e ? e.author?.id : undefined) &&
  usable(e.threadId) &&
  usable("replyToCommentId" in e ? e.replyToCommentId : undefined) &&
  usable("replyToken" in e ? e.replyToken : undefined)

/** Control characters other than tab and line breaks, and lone surrogates: no meaning, and storage refuses some. */
const BAD_TEXT =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const BAD_TEXT_ALL = new RegExp(BAD_TEXT.source, "g")

/**
 * How far in the future an event may be dated by default (the platforms' clocks and ours differ a
 * little). A later time is no time a platform sends: the event is dated when it arrived instead.
 */
export const FUTURE_SKEW_MS = 5 * 60_000

const hasText = (e: InboundEvent): e is Extract<InboundEvent, { text: string }> => "text" in e

const futureDated = (e: InboundEvent, now: number, skew: number): boolean => Date.parse(e.at) > now + skew

/** Whether an event goes in as it is: usable ids, a time not in the future, clean texts. */
const asItIs = (e: InboundEvent, now: number, skew: number): boolean =>
  idsUsable(e) &&
  !futureDated(e, now, skew) &&
  !(hasText(e) && BAD_TEXT.test(e.text)) &&
  !("author" in e && e.author?.name !== undefined && BAD_TEXT.test(e.author.name))

/** The comment of a `Comment` or `CommentEdited` event, as `GroupBuy` takes it. */
export const toComment = (e: Extract<InboundEvent, { _tag: "Comment" | "CommentEdited" }>): CommentInput => ({
  channel: e.channel,
  commentId: e.commentId,
  author: e.author,
  text: e.text,
  at: e.at,
  ...(e.threadId !== undefined ? { threadId: e.threadId } : {}),
  ...(e._tag === "Comment" && e.replyToken !== undefined ? { replyToken: e.replyToken } : {})
})

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

/** An open round, with the conversations it listens to (none: it takes what no other round listens to). */
export interface OpenRound {
  readonly roundId: string
  readonly listens: ReadonlyArray<Listen>
}

/** Why no round takes a comment: no round is open, or several could take it and none is preferred. */
export type RouteRefusal = "no-open-round" | "several-open-rounds"

/** Where a comment goes. */
export type Routed =
  | { readonly _tag: "Round"; readonly roundId: string }
  | { readonly _tag: "Refused"; readonly reason: RouteRefusal }

/**
 * The round for a comment on `channel` in `conversation`, among the open rounds (pure):
 *
 * 1. An open round listening to the conversation takes it (two such rounds: refused).
 * 2. Otherwise `preferred`, while it is open and lists no conversations (a host's operator named it).
 * 3. Otherwise the one open round that lists no conversations.
 * 4. Otherwise (no open round, or several listing none) it is refused: nothing is guessed.
 */
export const choose = (
  open: ReadonlyArray<OpenRound>,
  channel: string,
  conversation: string | undefined,
  preferred?: string | undefined
): Routed => {
  if (conversation !== undefined) {
    const listening = open.filter((r) =>
      r.listens.some((l) => l.channel === channel && l.conversation === conversation)
    )
    if (listening.length === 1) return { _tag: "Round", roundId: listening[0]!.roundId }
    if (listening.length > 1) return { _tag: "Refused", reason: "several-open-rounds" }
  }
  const general = open.filter((r) => r.listens.length === 0)
  if (preferred !== undefined && general.some((r) => r.roundId === preferred))
    return { _tag: "Round", roundId: preferred }
  if (general.length === 1) return { _tag: "Round", roundId: general[0]!.roundId }
  return { _tag: "Refused", reason: general.length === 0 ? "no-open-round" : "several-open-rounds" }
}

const decodeListen = Schema.decodeUnknownResult(Listen)

/**
 * The `listens` of a stored round spec (its `RoundCreated` event), leniently: entries that are not
 * a conversation (`RoundSpec.Listen`) are left out, and a spec without `listens` listens to none.
 */
export const listensOf = (spec: unknown): ReadonlyArray<Listen> => {
  const raw = typeof spec === "object" && spec !== null ? (spec as { listens?: unknown }).listens : undefined
  if (!Array.isArray(raw)) return []
  const out: Array<Listen> = []
  for (const l of raw) {
    const decoded = decodeListen(l)
    if (Result.isSuccess(decoded)) out.push(decoded.success)
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/** A delivery's decoded events, and where the events its adapter could not decode were (`events[2]`). */
export interface Delivery {
  readonly events: ReadonlyArray<InboundEvent>
  /** Positions of the events the adapter could not decode (positions only, never their content). */
  readonly malformed?: ReadonlyArray<string> | undefined
}

/**
 * Why an event of a delivery was skipped: `malformed` (the adapter could not decode it),
 * `invalid-id` (an id no storage can key on, see {@link idsUsable}) or `refused` (the round could
 * not take it: its comment failed on its own, or the round's code failed on it).
 */
export type SkipReason = "malformed" | "invalid-id" | "refused"

/**
 * What became of one decoded event, by its position in the delivery (`where`: `event 2`). Never
 * personal data: no author, name or text.
 * - `Comment`: taken by `roundId`; `status` is GroupBuy's (`ordered`, `duplicate` for a redelivery…).
 * - `Edited` / `Removed`: applied to `roundId` (idempotently: a redelivery changes nothing).
 * - `Refused`: no round takes it (`no-open-round`, `several-open-rounds`), or the round refused the
 *   edit or unsend (`rejected`: an unknown comment, a closed round).
 * - `Skipped`: see {@link SkipReason}.
 * - `Ignored`: not an event that orders anything (a sticker, a member joining).
 */
export type EventOutcome =
  | {
      readonly _tag: "Comment"
      readonly where: string
      readonly roundId: string
      readonly status: CommentOutcome["status"]
    }
  | { readonly _tag: "Edited" | "Removed"; readonly where: string; readonly roundId: string }
  | { readonly _tag: "Refused"; readonly where: string; readonly reason: RouteRefusal | "rejected" }
  | { readonly _tag: "Skipped"; readonly where: string; readonly reason: SkipReason }
  | { readonly _tag: "Ignored"; readonly where: string; readonly event: InboundEvent["_tag"] }

/**
 * What a delivery did, for the host's log and answer (counts and positions only).
 *
 * `counts`: `events` (decoded and malformed), `comments`, `edits`, `removals`, `other`, `skipped`,
 * `rejected` (comments no round takes), `refused` (edits and unsends a round refused),
 * `future-dated`, `text-cleaned`, and one count per comment status (`ordered`, `duplicate`…).
 */
export interface DeliveryOutcome {
  readonly counts: Readonly<Record<string, number>>
  /** One per decoded event, in delivery order. */
  readonly events: ReadonlyArray<EventOutcome>
  /** The positions of the skipped events, by reason. */
  readonly skipped: Readonly<Partial<Record<SkipReason, ReadonlyArray<string>>>>
  /** Why comments were not routed to a round (empty when every comment found one). */
  readonly refusals: ReadonlyArray<RouteRefusal>
}

/** The service. */
export interface InboundService {
  /**
   * Applies a verified, decoded delivery (see the module documentation). Fails only on storage
   * trouble or a conflict GroupBuy could not retry away: the host answers 500, the platform
   * delivers again, and what was applied already is not applied twice.
   */
  readonly deliver: (delivery: Delivery) => Effect.Effect<DeliveryOutcome, GroupBuyError | StorageError>
  /** The round a comment on `channel` in `conversation` goes to now. */
  readonly route: (channel: string, conversation: string | undefined) => Effect.Effect<Routed, StorageError>
  /** Forgets the cached open rounds (a round was opened or closed through this host). */
  readonly invalidate: Effect.Effect<void>
}

/** The `Inbound` service tag. */
export class Inbound extends Context.Service<Inbound, InboundService>()("@kaituan/core/Inbound") {}

/** Options of {@link layer}. */
export const Options = Schema.Struct({
  /** The round that takes the comments no other round listens to while it is open (`kaituan serve --round`). */
  preferredRound: Schema.optional(Schema.String),
  /** How long the open rounds are cached, ms (a delivery costs one small query that often at most). Default 1,000. */
  openRoundsMaxAgeMs: Schema.optional(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0))),
  /** How far in the future an event may be dated, ms, before it is dated when it arrived. Default {@link FUTURE_SKEW_MS}. */
  futureSkewMs: Schema.optional(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)))
})
/** Options of {@link layer}. */
export type Options = typeof Options.Type

/** At most this many open rounds are considered. */
const MAX_OPEN_ROUNDS = 200

const bump = (counts: Record<string, number>, key: string, n = 1) => {
  counts[key] = (counts[key] ?? 0) + n
}

/** The round refused a command (not a concurrency conflict, which is retried, nor storage trouble). */
const isRefusal = (e: GroupBuyError | StorageError): e is GroupBuyError =>
  e._tag === "GroupBuyError" && e.reason !== "conflict"

/** The key under which the arrival time of a future-dated event is claimed. */
const arrivalKey = (e: InboundEvent): string => ["inbound", "arrival", e.channel, e.eventId].join(":")

/** Builds the service over GroupBuy and Storage; its batches stop when the scope closes. */
export const make = (options: Options = {}): Effect.Effect<InboundService, never, GroupBuy | Storage | Scope.Scope> =>
  Effect.gen(function* () {
    const g: GroupBuyService = yield* GroupBuy
    const storage: StorageService = yield* Storage
    const batcher = yield* CommentBatcher.make(g.submitComments)
    const maxAge = options.openRoundsMaxAgeMs ?? 1_000
    const skew = options.futureSkewMs ?? FUTURE_SKEW_MS
    let cached: { readonly at: number; readonly open: ReadonlyArray<OpenRound> } | undefined
    /** The listens of each round (a round's spec never changes). */
    const listensByRound = new Map<string, ReadonlyArray<Listen>>()

    const listensOfRound = (roundId: string) =>
      Effect.gen(function* () {
        const known = listensByRound.get(roundId)
        if (known !== undefined) return known
        const { events } = yield* storage.readStream(roundStream(roundId))
        const created = events.find((e) => e.type === "RoundCreated")
        const found = listensOf((created?.data as { spec?: unknown } | undefined)?.spec)
        listensByRound.set(roundId, found)
        return found
      })

    const openRounds = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (cached !== undefined && now - cached.at < maxAge) return cached.open
      // A paused round is open (its comments are kept as not ordered, reason `paused`): it keeps its conversations.
      const rows = [
        ...(yield* listReadModel(Rounds.definition, { key: { k: "k1", value: "open" }, limit: MAX_OPEN_ROUNDS }).pipe(
          Effect.provideService(Storage, storage)
        )),
        ...(yield* listReadModel(Rounds.definition, { key: { k: "k1", value: "paused" }, limit: MAX_OPEN_ROUNDS }).pipe(
          Effect.provideService(Storage, storage)
        ))
      ]
      const open: Array<OpenRound> = []
      for (const r of rows) open.push({ roundId: r.id, listens: yield* listensOfRound(r.id) })
      cached = { at: now, open }
      return open
    })

    const route: InboundService["route"] = (channel, conversation) =>
      Effect.map(openRounds, (open) => choose(open, channel, conversation, options.preferredRound))

    /**
     * The arrival times of future-dated events, claimed in Storage the first time each arrives
     * (a redelivery, here or on another worker, gets the first one: the edits' keys match).
     */
    const arrivals = (late: ReadonlyArray<InboundEvent>, now: number) =>
      Effect.gen(function* () {
        const keys = [...new Set(late.map(arrivalKey))]
        const known = new Map(yield* storage.readKeys(keys))
        const missing = keys.filter((k) => !known.has(k))
        if (missing.length > 0) {
          const at = new Date(now).toISOString()
          const results = yield* storage.commit(
            missing.map((k) => ({ idempotencyKey: k, keyData: at, appends: [], views: [], outbox: [] }))
          )
          const lost: Array<string> = []
          results.forEach((r, i) => {
            if (r._tag === "Committed") known.set(missing[i]!, at)
            else lost.push(missing[i]!)
          })
          // Another worker claimed it first: its time stands.
          if (lost.length > 0) for (const [k, v] of yield* storage.readKeys(lost)) known.set(k, v)
        }
        return known
      })

    const deliver: InboundService["deliver"] = (delivery) =>
      Effect.gen(function* () {
        const counts: Record<string, number> = {}
        const malformed = delivery.malformed ?? []
        const decoded = delivery.events
        counts.events = decoded.length + malformed.length
        const outcomes = new Array<EventOutcome | undefined>(decoded.length)
        const skips: Partial<Record<SkipReason, Array<string>>> = {}
        const skip = (reason: SkipReason, where: string, index?: number) => {
          bump(counts, "skipped")
          const list = skips[reason]
          if (list === undefined) skips[reason] = [where]
          else list.push(where)
          if (index !== undefined) outcomes[index] = { _tag: "Skipped", where, reason }
        }
        for (const where of malformed) skip("malformed", where)
        const whereOf = (i: number) => `event ${i}`

        // Nearly always every event goes in as it is; else each is checked: ids no storage can key
        // on are skipped, times in the future and unstorable characters fixed.
        const now = yield* Clock.currentTimeMillis
        const admitted: Array<{ readonly event: InboundEvent; readonly index: number }> = []
        if (decoded.every((e) => asItIs(e, now, skew))) {
          for (let i = 0; i < decoded.length; i++) admitted.push({ event: decoded[i]!, index: i })
        } else {
          const late = decoded.filter((e) => idsUsable(e) && futureDated(e, now, skew))
          const arrived = late.length === 0 ? new Map<string, string>() : yield* arrivals(late, now)
          for (let i = 0; i < decoded.length; i++) {
            let e = decoded[i]!
            if (!idsUsable(e)) {
              skip("invalid-id", whereOf(i), i)
              continue
            }
            if (futureDated(e, now, skew)) {
              e = { ...e, at: arrived.get(arrivalKey(e)) ?? new Date(now).toISOString() }
              bump(counts, "future-dated")
            }
            if (hasText(e) && BAD_TEXT.test(e.text)) {
              e = { ...e, text: e.text.replace(BAD_TEXT_ALL, "\ufffd") }
              bump(counts, "text-cleaned")
            }
            if ("author" in e && e.author?.name !== undefined && BAD_TEXT.test(e.author.name)) {
              e = { ...e, author: { ...e.author, name: e.author.name.replace(BAD_TEXT_ALL, "\ufffd") } }
              bump(counts, "text-cleaned")
            }
            admitted.push({ event: e, index: i })
          }
        }

        /** Why comments were refused (no round took them). */
        const refusals = new Set<RouteRefusal>()
        /** The round an event goes to, or undefined (refused: counted and noted). */
        const roundOf = (e: InboundEvent, index: number) =>
          Effect.map(route(e.channel, e.threadId), (routed) => {
            if (routed._tag === "Round") return routed.roundId
            bump(counts, "rejected")
            refusals.add(routed.reason)
            outcomes[index] = { _tag: "Refused", where: whereOf(index), reason: routed.reason }
            return undefined
          })

        type Pending = { readonly comment: CommentInput; readonly index: number }
        /** The delivery's comments not yet submitted, by round. */
        let pending = new Map<string, Array<Pending>>()
        const submit = (roundId: string, items: ReadonlyArray<Pending>) =>
          Effect.map(
            batcher.submit(
              roundId,
              items.map((i) => i.comment)
            ),
            (results) => {
              results.forEach((o, k) => {
                bump(counts, o.status)
                const index = items[k]!.index
                outcomes[index] = { _tag: "Comment", where: whereOf(index), roundId, status: o.status }
              })
            }
          )
        // The delivery's comments go together; if the round refuses them, or its code fails on one,
        // each is tried on its own and those that fail again are skipped. Storage trouble fails the
        // delivery: the platform delivers again, and the comments are applied then.
        const flushRound = (roundId: string, batch: ReadonlyArray<Pending>) => {
          const oneByOne = Effect.forEach(
            batch,
            (item) =>
              submit(roundId, [item]).pipe(
                Effect.catchIf(isRefusal, () => Effect.sync(() => skip("refused", whereOf(item.index), item.index))),
                Effect.catchDefect(() => Effect.sync(() => skip("refused", whereOf(item.index), item.index)))
              ),
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
        const applied = <A>(
          eff: Effect.Effect<A, GroupBuyError | StorageError>,
          tag: "Edited" | "Removed",
          roundId: string,
          index: number
        ) =>
          eff.pipe(
            Effect.andThen(
              Effect.sync(() => {
                outcomes[index] = { _tag: tag, where: whereOf(index), roundId }
              })
            ),
            Effect.catchIf(isRefusal, () =>
              Effect.sync(() => {
                bump(counts, "refused")
                outcomes[index] = { _tag: "Refused", where: whereOf(index), reason: "rejected" }
              })
            ),
            Effect.catchDefect(() => Effect.sync(() => skip("refused", whereOf(index), index)))
          )

        for (const { event: e, index } of admitted) {
          switch (e._tag) {
            case "Comment": {
              bump(counts, "comments")
              const roundId = yield* roundOf(e, index)
              if (roundId === undefined) break
              const list = pending.get(roundId)
              const item = { comment: toComment(e), index }
              if (list === undefined) pending.set(roundId, [item])
              else list.push(item)
              break
            }
            case "CommentEdited": {
              bump(counts, "edits")
              yield* flush
              const roundId = yield* roundOf(e, index)
              if (roundId !== undefined)
                yield* applied(g.editComment({ roundId, comment: toComment(e) }), "Edited", roundId, index)
              break
            }
            case "CommentRemoved": {
              bump(counts, "removals")
              yield* flush
              const roundId = yield* roundOf(e, index)
              if (roundId !== undefined)
                yield* applied(
                  g.removeComment({ roundId, channel: e.channel, commentId: e.commentId, at: e.at }),
                  "Removed",
                  roundId,
                  index
                )
              break
            }
            default:
              bump(counts, "other")
              outcomes[index] = { _tag: "Ignored", where: whereOf(index), event: e._tag }
          }
        }
        yield* flush
        return {
          counts,
          events: outcomes.map((o, i) => o ?? { _tag: "Skipped", where: whereOf(i), reason: "refused" }),
          skipped: skips,
          refusals: [...refusals]
        } satisfies DeliveryOutcome
      }).pipe(
        Effect.withSpan(
          "Inbound.deliver",
          {
            attributes: { events: delivery.events.length + (delivery.malformed?.length ?? 0) }
          },
          { captureStackTrace: false }
        )
      )

    return {
      deliver,
      route,
      invalidate: Effect.sync(() => {
        cached = undefined
      })
    } satisfies InboundService
  })

/**
 * The service over the app's `GroupBuy` and `Storage`; its comment batches stop when the layer's
 * scope closes.
 *
 * @example
 * ```ts
 * const App = Inbound.layer({ preferredRound: "socks" }).pipe(Layer.provideMerge(GroupBuyLive))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Inbound, never, GroupBuy | Storage> =>
  Layer.effect(Inbound, make(options))
