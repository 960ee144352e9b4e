/**
 * Publishing a round to its conversations: the announcement (title; items with prices and what
 * is left; how to order, with examples in the round's own syntax; the cutoff in Taipei time), the
 * reminder before the cutoff, and (in `Messages.soldOutMessages`, queued with the comment that
 * took the last unit) the sold-out notices. Every notice goes to each conversation the round
 * listens to (`RoundSpec.listens`) through the outbox, so the relay and the channel adapters send
 * it once: LINE pushes to the group or room, Telegram `sendMessage`s to the chat, Facebook
 * comments on the post (or posts to the Page feed when the conversation is the Page's id).
 *
 * - {@link publishRound}: queues one `round-announcement` per conversation. Its id names the
 *   round, the conversation and a digest of what the announcement says, so publishing twice in a
 *   row (a double click, a retried request) queues nothing new; after the round changed (stock
 *   sold, a new price or cutoff) publishing again is a new announcement. An announcement that says
 *   exactly what one already sent said is not sent again.
 * - {@link remindRound}: queues one `cutoff-reminder` per conversation (id per cutoff), run by the
 *   scheduler's `round.remind` job, which `GroupBuy.openRound` schedules `remindBeforeCutoff`
 *   before the cutoff.
 *
 * @since 0.3.0
 */
import { Clock, Effect, Schema } from "effect"
import type { SellableSku } from "../Catalogue.js"
import { CommentParser, type CompiledParser } from "../CommentParser.js"
import { GroupBuyError } from "../GroupBuy.js"
import { REMIND, remindJob as makeRemindJob, remindJobId } from "../internal/remindJob.js"
import type { OutboundMessage } from "../Notification.js"
import * as Round from "../Round.js"
import { IsoTimestamp, type Listen } from "../RoundSpec.js"
import { type Commit, roundStream, type ScheduledJob, Storage, type StorageError } from "../Storage.js"
import { conversationRecipient, idPart, supplyOf } from "./Messages.js"

// ---------------------------------------------------------------------------------------------
// What the notices say
// ---------------------------------------------------------------------------------------------

/** One sellable item as the notices list it (`MessageTemplates`' `items`). */
export interface AnnouncedItem {
  readonly sku: string
  readonly label: string
  readonly price: number
  readonly supply: "in-stock" | "preorder" | "unlimited"
  /** In stock: units left; pre-order: places left under the cap; null when unlimited or uncapped. */
  readonly left: number | null
}

/** The `data` of a `round-announcement` or `cutoff-reminder`. */
export interface AnnouncementData {
  readonly [key: string]: unknown
  readonly round: string
  readonly roundId: string
  readonly items: ReadonlyArray<AnnouncedItem>
  readonly examples: ReadonlyArray<string>
  readonly cutoff?: string
}

/** The items of a round with what is left now, in catalogue order. */
export const items = (state: Round.State): Array<AnnouncedItem> =>
  (state.catalogue?.skus ?? []).map((s) => ({
    sku: s.sku,
    label: s.label,
    price: s.price,
    supply: supplyOf(state.catalogue, s.sku),
    left: state.stock[s.sku]?.left ?? null
  }))

const compact = (s: string): string => s.replace(/\s+/g, "")

/** The names a buyer could write for a SKU, shortest useful first (the parser decides which work). */
const namesOf = (s: SellableSku): Array<string> => {
  // The name first, then aliases; shortest first (a stable sort keeps the name ahead of an alias
  // of the same length, such as its Simplified spelling).
  const product = [s.productName, ...s.productAliases].map(compact).filter((n) => n.length > 0)
  product.sort((a, b) => a.length - b.length)
  const values = Object.values(s.options)
  const own = [...(s.variantName === undefined ? [] : [s.variantName]), ...s.variantAliases]
    .map(compact)
    .filter((n) => n.length > 0)
  const out: Array<string> = []
  if (values.length > 0) {
    out.push(values.join(""))
    for (const p of product) out.push(`${p}${values.join("")}`)
  } else if (own.length > 0) {
    for (const o of own) out.push(o)
    for (const p of product) for (const o of own) out.push(`${p}${o}`)
  } else {
    for (const p of product) out.push(p)
    out.push(`#${s.productNumber}`)
  }
  return out
}

/**
 * Example comments that order in the round's own syntax (`紅+1`, `蛋黃酥+2`): for up to `max`
 * products with something left, the shortest name of their first available SKU (an option value,
 * an alias, the name, `#n`) with a `+N` marker. With a compiled parser (the round's own settings)
 * only the candidates it reads as an order of exactly that SKU and quantity are kept; without
 * one, the first candidate of each product.
 */
export const examples = (state: Round.State, parser?: CompiledParser, max = 3): Array<string> => {
  const catalogue = state.catalogue
  if (catalogue === undefined) return []
  const out: Array<string> = []
  for (const product of catalogue.products) {
    if (out.length >= max) break
    const sku = product.skus.find((s) => state.stock[s.sku]?.left !== 0)
    if (sku === undefined) continue
    const qty = out.length + 1
    for (const name of namesOf(sku)) {
      const text = `${name}+${qty}`
      if (parser !== undefined) {
        const parsed = parser.parse(text)
        const ok =
          parsed.intent === "order" &&
          parsed.lines.length === 1 &&
          parsed.lines[0]!.sku === sku.sku &&
          parsed.lines[0]!.qty === qty
        if (!ok) continue
      }
      out.push(text)
      break
    }
  }
  return out
}

/** The data of a round's announcement or reminder, as of `state`. */
export const announcementData = (state: Round.State, parser?: CompiledParser): AnnouncementData => {
  const spec = state.spec
  const base = {
    round: spec?.title ?? "",
    roundId: spec?.id ?? "",
    items: items(state),
    examples: examples(state, parser)
  }
  return spec?.cutoff === undefined ? base : { ...base, cutoff: spec.cutoff }
}

/** A short stable digest (FNV-1a, 32 bits, hex) of a text: the announcement's content in its id. */
export const digest = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

/** The id of an announcement to one conversation: `announce:<round>:<channel>:<conversation>:<digest>`. */
export const announcementId = (roundId: string, listen: Listen, contentDigest: string): string =>
  ["announce", idPart(roundId), idPart(listen.channel), idPart(listen.conversation), contentDigest].join(":")

/** The id of a reminder to one conversation: `remind:<round>:<cutoff>:<channel>:<conversation>`. */
export const reminderId = (roundId: string, cutoff: string, listen: Listen): string =>
  ["remind", idPart(roundId), idPart(cutoff), idPart(listen.channel), idPart(listen.conversation)].join(":")

// ---------------------------------------------------------------------------------------------
// The reminder job (built in internal/remindJob.ts, shared with GroupBuy.openRound and Scheduler)
// ---------------------------------------------------------------------------------------------

/** The kind of the reminder job, `"round.remind"` (payload `{ roundId, cutoff }`). */
export const REMIND_JOB = REMIND

/**
 * The reminder job of a round, due `remindBeforeCutoff` (ISO 8601 duration) before the cutoff;
 * id `remind:<roundId>` (scheduling it again moves it: reschedule it with the cutoff job when the
 * cutoff changes). `undefined` when the round has no cutoff or no reminder setting.
 */
export const remindJob = (spec: {
  readonly id: string
  readonly cutoff?: string | undefined
  readonly remindBeforeCutoff?: string | undefined
}): ScheduledJob | undefined => makeRemindJob(spec.id, spec.cutoff, spec.remindBeforeCutoff)

/** The id of a round's reminder job, `remind:<roundId>` (one per round). */
export const reminderJobId: (roundId: string) => string = remindJobId

// ---------------------------------------------------------------------------------------------
// The use cases
// ---------------------------------------------------------------------------------------------

/** The input of {@link publishRound}: the round, and when (default now). */
export const PublishRoundInput = Schema.Struct({
  roundId: Schema.String.check(Schema.isMinLength(1)),
  at: Schema.optional(IsoTimestamp)
})
export type PublishRoundInput = typeof PublishRoundInput.Type

/** The input of {@link remindRound}: the round, the cutoff the reminder is for, and when. */
export const RemindRoundInput = Schema.Struct({
  roundId: Schema.String.check(Schema.isMinLength(1)),
  cutoff: Schema.optional(IsoTimestamp),
  at: Schema.optional(IsoTimestamp)
})
export type RemindRoundInput = typeof RemindRoundInput.Type

/** One notice queued (or found queued already) for one conversation. */
export interface QueuedNotice {
  readonly messageId: string
  readonly channel: string
  readonly conversation: string
}

/** What {@link publishRound} or {@link remindRound} did. */
export interface PublishOutcome {
  readonly roundId: string
  /** `queued`: new messages in the outbox; `duplicate`: the same notice was queued before, nothing new; `skipped`: nothing to send (`reason`). */
  readonly status: "queued" | "duplicate" | "skipped"
  readonly messages: ReadonlyArray<QueuedNotice>
  readonly reason?: string | undefined
  /** The announcement's data (items, examples, cutoff), for a preview. */
  readonly data: AnnouncementData
}

const decodePublish = Schema.decodeUnknownEffect(PublishRoundInput)
const decodeRemind = Schema.decodeUnknownEffect(RemindRoundInput)

const invalid = (e: Schema.SchemaError) =>
  new GroupBuyError({ reason: "invalid-input", message: `bad input: ${e.message.split("\n")[0]}` })

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** The round's state, folded from its stream. */
const loadRound = (roundId: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { events } = yield* storage.readStream(roundStream(roundId), 0)
    let state = Round.initialState
    for (const e of events) state = Round.evolve(state, decodeEvent(e.data))
    if (state.status === "none")
      return yield* Effect.fail(new GroupBuyError({ reason: "unknown-round", message: `no round "${roundId}"` }))
    return state
  })

const decodeEvent = Schema.decodeUnknownSync(Round.Event)

/** The round's parser, when the app has a CommentParser (examples are then checked with it). */
const parserFor = (state: Round.State) =>
  Effect.map(Effect.serviceOption(CommentParser), (port) =>
    port._tag === "Some" && state.spec !== undefined && state.catalogue !== undefined
      ? port.value.compile({
          catalogue: state.catalogue,
          settings: {
            mode: state.spec.mode,
            maxQtyPerLine: state.spec.maxQtyPerLine,
            extraMarkers: state.spec.extraMarkers,
            extraFillers: state.spec.extraFillers
          }
        })
      : undefined
  )

/** Queues `messages` in one commit under `key`: `queued`, or `duplicate` when the key was claimed. */
const queue = (key: string, messages: ReadonlyArray<OutboundMessage>) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const commit: Commit = { idempotencyKey: key, appends: [], views: [], outbox: messages }
    const [result] = yield* storage.commit([commit])
    return result?._tag === "Duplicate" ? ("duplicate" as const) : ("queued" as const)
  })

const noticesOf = (messages: ReadonlyArray<OutboundMessage>, listens: ReadonlyArray<Listen>) =>
  messages.map((m, i) => ({ messageId: m.id, channel: listens[i]!.channel, conversation: listens[i]!.conversation }))

/**
 * Publishes a round's announcement to every conversation it listens to: one `round-announcement`
 * per conversation in the outbox, in one commit. Publishing again while the announcement would say
 * the same is `duplicate` (nothing new is queued); after the round changed it is a new
 * announcement. Fails `unknown-round`, `rejected` (the round is not open), `invalid-input`; a
 * round without `listens` is `skipped`.
 */
export const publishRound = (
  input: PublishRoundInput
): Effect.Effect<PublishOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const { roundId, at } = yield* Effect.mapError(decodePublish(input), invalid)
    const when = at ?? (yield* nowIso)
    const state = yield* loadRound(roundId)
    if (state.status !== "open")
      return yield* Effect.fail(
        new GroupBuyError({
          reason: "rejected",
          message: `round "${roundId}" is ${state.status}: only an open round is published`
        })
      )
    const data = announcementData(state, yield* parserFor(state))
    const listens = state.spec?.listens ?? []
    if (listens.length === 0)
      return { roundId, status: "skipped", messages: [], reason: "the round listens to no conversation", data } as const
    const d = digest(JSON.stringify(data))
    const messages = listens.map(
      (l): OutboundMessage => ({
        id: announcementId(roundId, l, d),
        kind: "round-announcement",
        to: conversationRecipient(l),
        data,
        createdAt: when
      })
    )
    const status = yield* queue(`publish:${idPart(roundId)}:${d}`, messages)
    return { roundId, status, messages: noticesOf(messages, listens), data } satisfies PublishOutcome
  }).pipe(
    Effect.withSpan(
      "Publish.publishRound",
      { attributes: { "kaituan.round.id": input.roundId } },
      { captureStackTrace: false }
    )
  )

/**
 * Reminds a round's conversations that the cutoff is near: one `cutoff-reminder` per
 * conversation, once per cutoff (ids name it; a second run, on any worker, queues nothing new).
 * `skipped` when the round is no longer open, the cutoff moved (`cutoff` is not the round's), or
 * the cutoff has passed.
 */
export const remindRound = (
  input: RemindRoundInput
): Effect.Effect<PublishOutcome, GroupBuyError | StorageError, Storage> =>
  Effect.gen(function* () {
    const { roundId, cutoff, at } = yield* Effect.mapError(decodeRemind(input), invalid)
    const when = at ?? (yield* nowIso)
    const state = yield* loadRound(roundId)
    const data = announcementData(state, yield* parserFor(state))
    const skipped = (reason: string): PublishOutcome => ({ roundId, status: "skipped", messages: [], reason, data })
    const current = state.spec?.cutoff
    if (state.status !== "open") return skipped(`the round is ${state.status}`)
    if (current === undefined) return skipped("the round has no cutoff")
    if (cutoff !== undefined && Date.parse(cutoff) !== Date.parse(current)) return skipped("the cutoff moved")
    if (Date.parse(when) >= Date.parse(current)) return skipped("the cutoff has passed")
    const listens = state.spec?.listens ?? []
    if (listens.length === 0) return skipped("the round listens to no conversation")
    const messages = listens.map(
      (l): OutboundMessage => ({
        id: reminderId(roundId, current, l),
        kind: "cutoff-reminder",
        to: conversationRecipient(l),
        data,
        createdAt: when
      })
    )
    const status = yield* queue(`remind:${idPart(roundId)}:${idPart(current)}`, messages)
    return { roundId, status, messages: noticesOf(messages, listens), data } satisfies PublishOutcome
  }).pipe(
    Effect.withSpan(
      "Publish.remindRound",
      { attributes: { "kaituan.round.id": input.roundId } },
      { captureStackTrace: false }
    )
  )
