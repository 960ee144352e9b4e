/**
 * The organiser's changes to a round while it runs (issue 16): edit the title, move the cutoff,
 * change a price for new orders, restock or set a SKU's stock, add a product or a variant, pause
 * and resume, and reopen a closed round. Each change is one or more Round events (`Round.ts`):
 * the round's history is its events, so every change shows there, with its time.
 *
 * One input for every edit, {@link RoundChange}: a patch whose fields are the changes, applied
 * together or not at all (in the order the fields are listed below), through the Round decider,
 * in one commit with the read-model changes (stock rows, the `rounds` document) and the move of
 * the round's cutoff job. A change that changes nothing writes nothing, so a retry of a title,
 * cutoff, price, `stock` (a total), product or pause is harmless; `restock` with `add` adds every
 * time, so give such a change a `requestId`: the same id again changes nothing.
 *
 * What never changes: an order already placed. A line keeps the unit price it was ordered at
 * (and so does a line a buyer adds units to); a restock never takes stock below what is sold;
 * reopening a round confirms every order of the close first and leaves those orders as they are
 * (a buyer's next "+1" is a new order; cancel or amend a confirmed order by hand).
 *
 * @example
 * ```ts
 * import { RoundChanges } from "@kaituan/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const changes = yield* RoundChanges.RoundChanges
 *   yield* changes.updateRound({
 *     roundId: "socks-2024-05",
 *     change: { title: "韓國毛襪 (加開)", restock: [{ sku: "SOCK-R", add: 10 }], requestId: "restock-1" }
 *   })
 * })
 * ```
 *
 * @since 0.4.0
 */
import { Clock, Context, Effect, Layer, Result, Schema } from "effect"
import * as Catalogue from "../Catalogue.js"
import * as CommandHandler from "../CommandHandler.js"
import { GroupBuy, GroupBuyError } from "../GroupBuy.js"
import * as inputs from "../internal/inputs.js"
import { remindJob, remindJobId } from "../internal/remindJob.js"
import { Twd } from "../Money.js"
import type { ViewChange } from "../ReadModel.js"
import * as Round from "../Round.js"
import { IsoTimestamp } from "../RoundSpec.js"
import { type ScheduledJob, Storage, type StorageError, roundStream } from "../Storage.js"
import { arrivedMessages, promotionStart, waitlistMessages } from "./Messages.js"
import { roundViews, stockViews } from "./Views.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const Id = inputs.IdString(inputs.MAX_ID_LENGTH)
const Sku = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(inputs.MAX_ID_LENGTH))

/** `add` units to what is left of a SKU (it must have a stock limit). */
export const AddStock = Schema.Struct({
  sku: Sku,
  add: Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(1_000_000))
})
/** Set the total `stock` of a SKU (sold + left; a pre-order's cap; an unlimited SKU becomes in stock). */
export const SetStock = Schema.Struct({
  sku: Sku,
  stock: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1_000_000))
})

/** A new variant of a product that has variants, with the option values it adds (and their aliases). */
export const NewVariant = Schema.Struct({
  productSku: Sku,
  variant: Catalogue.VariantSpec,
  optionValues: Schema.optional(Schema.Record(Schema.String, Catalogue.OptionValues))
})

/**
 * A change to an open (or paused) round: every field optional, at least one change. Applied in
 * this order, all or nothing:
 *
 * - `addProducts`: products as in the round file (the parser knows their names from then on);
 * - `addVariants`: variants of products that have variants (`{ productSku, variant, optionValues? }`);
 * - `prices`: `{ sku, price }` for lines ordered from now on (a product's sku: its price, followed
 *   by its variants without their own; a variant's sku: its own price);
 * - `restock`: `{ sku, add }` (units added to what is left) or `{ sku, stock }` (the new total,
 *   never below what is sold);
 * - `title`; `cutoff`: an ISO 8601 time after now (`null`: no cutoff; a time that has passed is
 *   refused with reason `cutoff-passed`: close the round instead);
 * - `paused`: `true` pauses (comments are not ordered, reason `paused`), `false` resumes.
 *
 * `requestId`: an id for this change, so a retry changes nothing (`duplicate`).
 */
export const RoundChange = Schema.Struct({
  addProducts: Schema.optional(Schema.Array(Catalogue.ProductSpec)),
  addVariants: Schema.optional(Schema.Array(NewVariant)),
  prices: Schema.optional(Schema.Array(Schema.Struct({ sku: Sku, price: Twd }))),
  restock: Schema.optional(Schema.Array(Schema.Union([AddStock, SetStock]))),
  title: Schema.optional(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))),
  cutoff: Schema.optional(Schema.NullOr(IsoTimestamp)),
  paused: Schema.optional(Schema.Boolean),
  requestId: Schema.optional(Id)
})
/** A change to a round (see the {@link RoundChange} Schema). */
export type RoundChange = typeof RoundChange.Type

/** The input of {@link RoundChangesService.updateRound}. `at` (ISO 8601) dates the change (default: now). */
export const UpdateRoundInput = Schema.Struct({
  roundId: Id,
  change: RoundChange,
  at: Schema.optional(IsoTimestamp)
})
/** See the {@link UpdateRoundInput} Schema. */
export type UpdateRoundInput = typeof UpdateRoundInput.Type

/**
 * The input of {@link RoundChangesService.reopenRound}: `cutoff` the new cutoff (`null`: none;
 * omitted: keep the current one, which must not have passed). `requestId`: a retry changes nothing.
 */
export const ReopenRoundInput = Schema.Struct({
  roundId: Id,
  cutoff: Schema.optional(Schema.NullOr(IsoTimestamp)),
  at: Schema.optional(IsoTimestamp),
  requestId: Schema.optional(Id)
})
/** See the {@link ReopenRoundInput} Schema. */
export type ReopenRoundInput = typeof ReopenRoundInput.Type

/**
 * The input of {@link RoundChangesService.markArrived}: pre-order SKUs (預購) that arrived —
 * sellable SKUs, or products (all their pre-order SKUs). `requestId`: a retry changes nothing.
 */
export const MarkArrivedInput = Schema.Struct({
  roundId: Id,
  skus: Schema.Array(Sku).check(Schema.isMinLength(1)),
  at: Schema.optional(IsoTimestamp),
  requestId: Schema.optional(Id)
})
/** See the {@link MarkArrivedInput} Schema. */
export type MarkArrivedInput = typeof MarkArrivedInput.Type

/** What a change did: `changed` (its events), `unchanged` (nothing to do) or `duplicate` (its `requestId` was done). */
export interface RoundChangeResult {
  readonly roundId: string
  readonly outcome: "changed" | "unchanged" | "duplicate"
  /** The events it appended (the round's history). */
  readonly events: ReadonlyArray<Round.Event>
  /** Where the round is now. */
  readonly phase: Round.Phase
}

/** One entry of a round's history: the organiser's changes and the lifecycle, with the stream version. */
export interface HistoryEntry {
  readonly version: number
  readonly at: string
  readonly event: Round.Event
}

/** The event tags {@link RoundChangesService.history} lists: the lifecycle and the organiser's changes. */
export const historyTags: ReadonlySet<string> = new Set<string>([
  "RoundCreated",
  "RoundOpened",
  "RoundClosed",
  "ProductBelowMinimum",
  "RoundBelowMinimum",
  "PreorderArrived",
  "RoundSettled",
  ...Round.changeEventTags
])

/** The organiser's changes to rounds. */
export interface RoundChangesService {
  /**
   * Changes an open or paused round (see {@link RoundChange}). Fails with `GroupBuyError`:
   * `invalid-input` (naming the field), `unknown-round`, or `rejected` with the Round's refusal as
   * its `cause` (`Round.RoundError`: `not-open`, `cutoff-passed`, `below-sold`, `unlimited`,
   * `unknown-sku`, `invalid-catalogue`…).
   */
  readonly updateRound: (input: UpdateRoundInput) => Effect.Effect<RoundChangeResult, GroupBuyError | StorageError>
  /**
   * Reopens a closed round: first confirms every order of the close (`GroupBuy.closeRound`, which
   * is idempotent), then appends `RoundReopened` (and the new cutoff) with the new cutoff job.
   * Those orders never change. Refused (`rejected`, cause reason `settled`, `not-closed` or
   * `cutoff-passed`) for a settled round, one that is not closed, or a cutoff that has passed.
   */
  readonly reopenRound: (input: ReopenRoundInput) => Effect.Effect<RoundChangeResult, GroupBuyError | StorageError>
  /**
   * 預購到貨: marks pre-order SKUs arrived (a `PreorderArrived` event; allowed in any phase after
   * the draft). Their lines may ship from then on (`GroupBuy.ship` refuses them before, reason
   * `not-arrived`), and every buyer with such lines in an order that is not cancelled is told
   * (`preorder-arrived`, one message per order). Refused (`rejected`, cause reason
   * `not-preorder` or `unknown-sku`) for a SKU that is not a pre-order. SKUs marked already
   * change nothing (`unchanged`).
   */
  readonly markArrived: (input: MarkArrivedInput) => Effect.Effect<RoundChangeResult, GroupBuyError | StorageError>
  /** The round's history: its lifecycle and change events, oldest first (not the comments). */
  readonly history: (roundId: string) => Effect.Effect<ReadonlyArray<HistoryEntry>, GroupBuyError | StorageError>
}

/** The service tag. */
export class RoundChanges extends Context.Service<RoundChanges, RoundChangesService>()("@kaituan/core/RoundChanges") {}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

const decodeRoundEvent = Schema.decodeUnknownSync(Round.Event)
/** The Round decider with its stored events, for the CommandHandler's loader. */
const rounds = CommandHandler.aggregate(Round.decider, decodeRoundEvent)

/** The id of a round's cutoff job after `reopens` reopenings (a done job is never scheduled again). */
export const cutoffJobId = (roundId: string, reopens: number): string =>
  reopens === 0 ? `cutoff:${roundId}` : `cutoff:${roundId}:reopened-${reopens}`

const cutoffJob = (roundId: string, reopens: number, cutoff: string): ScheduledJob => ({
  id: cutoffJobId(roundId, reopens),
  kind: "round.cutoff",
  dueAt: cutoff,
  payload: { roundId, cutoff }
})

const decoderOf = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S) => {
  const run = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], S["Encoded"], never, never>, {
    errors: "all",
    // Strict: a misspelt change (`"stok"`) is an error naming it, never silently nothing.
    onExcessProperty: "error"
  })
  return (input: unknown): Effect.Effect<S["Type"], GroupBuyError> => {
    const result = run(input)
    if (Result.isSuccess(result)) return Effect.succeed(result.success)
    const problems = inputs.problemsOf("", result.failure.issue)
    const first = problems[0] ?? { path: "", message: "invalid input" }
    return Effect.fail(
      new GroupBuyError({
        reason: "invalid-input",
        message: problems.slice(0, 3).map(inputs.describe).join("; "),
        field: first.path
      })
    )
  }
}

const decodeUpdate = decoderOf(UpdateRoundInput)
const decodeReopen = decoderOf(ReopenRoundInput)
const decodeArrived = decoderOf(MarkArrivedInput)
const decodeId = decoderOf(Schema.Struct({ roundId: Id }))

/** The commands of a change, in the documented order, all at `at`. */
export const commandsOf = (change: RoundChange, at: string): ReadonlyArray<Round.ChangeCommand> => {
  const out: Array<Round.ChangeCommand> = []
  for (const product of change.addProducts ?? []) out.push({ _tag: "AddProduct", product, at })
  for (const v of change.addVariants ?? [])
    out.push({ _tag: "AddVariant", productSku: v.productSku, variant: v.variant, optionValues: v.optionValues, at })
  for (const p of change.prices ?? []) out.push({ _tag: "SetPrice", sku: p.sku, price: p.price, at })
  for (const r of change.restock ?? [])
    out.push(
      "add" in r ? { _tag: "Restock", sku: r.sku, add: r.add, at } : { _tag: "Restock", sku: r.sku, stock: r.stock, at }
    )
  if (change.title !== undefined) out.push({ _tag: "EditTitle", title: change.title, at })
  if (change.cutoff !== undefined) out.push({ _tag: "SetCutoff", cutoff: change.cutoff, at })
  if (change.paused !== undefined) out.push(change.paused ? { _tag: "Pause", at } : { _tag: "Resume", at })
  return out
}

/** The views a change's events cause: stock rows when stock or the catalogue changed. */
const viewsOf = (roundId: string, after: Round.State, events: ReadonlyArray<Round.Event>): Array<ViewChange> => {
  // A restock that went down the waiting list placed orders: their rows too.
  if (promotionStart(events) < events.length)
    return [...roundViews(roundId, after, events), ...stockViews(roundId, after)]
  for (const e of events)
    if (e._tag === "Restocked" || e._tag === "ProductAdded" || e._tag === "VariantAdded")
      return stockViews(roundId, after)
  return []
}

const rejected = (e: Round.RoundError) => new GroupBuyError({ reason: "rejected", message: e.message, cause: e })
const unknownRound = (roundId: string) =>
  new GroupBuyError({ reason: "unknown-round", message: `no round ${JSON.stringify(roundId)}` })

/** Builds the service from Storage and GroupBuy (reopening confirms the close's orders with `closeRound`). */
export const make = Effect.gen(function* () {
  const storage = yield* Storage
  const groupBuy = yield* GroupBuy
  const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  /** The round's state and version, and how often it reopened (for its cutoff job's id). */
  const load = (roundId: string) =>
    Effect.gen(function* () {
      const { version, events } = yield* storage.readStream(roundStream(roundId))
      if (version === 0) return yield* Effect.fail(unknownRound(roundId))
      let state = Round.initialState
      let reopens = 0
      for (const e of events) {
        const event = rounds.decodeEvent(e.data)
        if (event._tag === "RoundReopened") reopens++
        state = Round.evolve(state, event)
      }
      return { state, version, reopens }
    })

  /**
   * Decides `commands` (a function of the state read) and commits their events with their views
   * and the cutoff job's move, under `key` when given; a concurrency conflict reads the round
   * again and decides again.
   */
  const change = (
    roundId: string,
    key: string | undefined,
    commands: (state: Round.State) => ReadonlyArray<Round.Command>
  ): Effect.Effect<RoundChangeResult, GroupBuyError | StorageError> =>
    Effect.gen(function* () {
      const at = yield* nowIso
      // One unit of work through the command handler: the round read (with how often it
      // reopened), its commands decided one after another, the events appended at the version
      // read with their views and the jobs' moves; a conflict runs it again on a fresh read.
      const outcome = yield* CommandHandler.handleMany(storage, {
        at,
        idempotencyKey: key,
        process: (unit) =>
          Effect.gen(function* () {
            const { state, version, reopens } = yield* load(roundId)
            const loaded = { loaded: { state, version } }
            // The commands one after another, each on the state the last one left (all or nothing).
            const events: Array<Round.Event> = []
            let after = state
            for (const c of commands(state)) {
              const d = yield* Effect.mapError(unit.decide(rounds, roundStream(roundId), c, loaded), (e) =>
                e._tag === "RoundError" ? rejected(e) : e
              )
              for (const e of d.events) events.push(e)
              after = d.state
            }
            if (events.length === 0) return { state, events, after }
            // The cutoff job follows the cutoff: moved (same id: a pending job gets the new time),
            // cancelled when the cutoff goes, a new id after a reopening (the old job is done).
            // The reminder before the cutoff (`remindBeforeCutoff`) follows it the same way; a
            // reminder that already went out for the old cutoff is not sent again for a later one.
            const reopened = events.some((e) => e._tag === "RoundReopened")
            const cutoffMoved = events.some((e) => e._tag === "RoundCutoffChanged")
            const jobs = reopened ? reopens + 1 : reopens
            const cutoff = after.spec?.cutoff
            if ((reopened || cutoffMoved) && cutoff !== undefined) {
              unit.schedule(cutoffJob(roundId, jobs, cutoff))
              const reminder = remindJob(roundId, cutoff, after.spec?.remindBeforeCutoff, jobs)
              if (reminder !== undefined) unit.schedule(reminder)
            }
            if (reopened || (cutoffMoved && cutoff === undefined))
              unit.unschedule(cutoffJobId(roundId, reopens), remindJobId(roundId, reopens))
            unit.view(...viewsOf(roundId, after, events))
            // Buyers the restock promoted from the waiting list (候補) are told.
            unit.send(...waitlistMessages(after, events))
            const arrived = events.flatMap((e) => (e._tag === "PreorderArrived" ? e.skus : []))
            if (arrived.length > 0) {
              const held = (yield* storage.orders({ roundId })).filter(
                (o) => o.status !== "cancelled" && o.status !== "refunded"
              )
              unit.send(...arrivedMessages(roundId, after.catalogue, after.spec?.title ?? "", held, arrived, at))
            }
            return { state, events, after }
          })
      })
      if (outcome._tag === "Duplicate") {
        const { state } = yield* load(roundId)
        return { roundId, outcome: "duplicate", events: [], phase: Round.phaseOf(state) } satisfies RoundChangeResult
      }
      const { state, events, after } = outcome.value
      if (outcome._tag === "Unchanged" || events.length === 0)
        return { roundId, outcome: "unchanged", events: [], phase: Round.phaseOf(state) } satisfies RoundChangeResult
      return { roundId, outcome: "changed", events, phase: Round.phaseOf(after) } satisfies RoundChangeResult
    })

  const updateRound: RoundChangesService["updateRound"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodeUpdate(raw)
      const at = input.at ?? (yield* nowIso)
      const commands = commandsOf(input.change, at)
      if (commands.length === 0)
        return yield* Effect.fail(
          new GroupBuyError({
            reason: "invalid-input",
            message:
              "change: expected at least one of addProducts, addVariants, prices, restock, title, cutoff, paused",
            field: "change"
          })
        )
      const key =
        input.change.requestId === undefined ? undefined : `round-change:${input.roundId}:${input.change.requestId}`
      return yield* change(input.roundId, key, () => commands)
    }).pipe(Effect.withSpan("RoundChanges.updateRound", undefined, { captureStackTrace: false }))

  const reopenRound: RoundChangesService["reopenRound"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodeReopen(raw)
      const key = input.requestId === undefined ? undefined : `round-reopen:${input.roundId}:${input.requestId}`
      const { state } = yield* load(input.roundId)
      if (state.status === "settled")
        return yield* Effect.fail(
          rejected(new Round.RoundError({ reason: "settled", message: "a settled round cannot reopen" }))
        )
      if (state.status === "closed") {
        // Every order of the close is confirmed before the round reopens: the reopening then leaves
        // them as they are, for good (a crash in between leaves a closed round with its orders confirmed).
        yield* groupBuy.closeRound({ roundId: input.roundId })
      }
      const at = input.at ?? (yield* nowIso)
      return yield* change(input.roundId, key, () => [
        input.cutoff === undefined ? { _tag: "Reopen", at } : { _tag: "Reopen", cutoff: input.cutoff, at }
      ])
    }).pipe(Effect.withSpan("RoundChanges.reopenRound", undefined, { captureStackTrace: false }))

  const markArrived: RoundChangesService["markArrived"] = (raw) =>
    Effect.gen(function* () {
      const input = yield* decodeArrived(raw)
      const key = input.requestId === undefined ? undefined : `round-arrived:${input.roundId}:${input.requestId}`
      const at = input.at ?? (yield* nowIso)
      return yield* change(input.roundId, key, () => [{ _tag: "MarkArrived", skus: input.skus, at }])
    }).pipe(Effect.withSpan("RoundChanges.markArrived", undefined, { captureStackTrace: false }))

  const history: RoundChangesService["history"] = (raw) =>
    Effect.gen(function* () {
      const { roundId } = yield* decodeId({ roundId: raw })
      const { version, events } = yield* storage.readStream(roundStream(roundId))
      if (version === 0) return yield* Effect.fail(unknownRound(roundId))
      const out: Array<HistoryEntry> = []
      for (const e of events)
        if (historyTags.has(e.type)) out.push({ version: e.version, at: e.at, event: decodeRoundEvent(e.data) })
      return out
    })

  return { updateRound, reopenRound, markArrived, history } satisfies RoundChangesService
})

/** The service over the app's Storage and GroupBuy. */
export const layer: Layer.Layer<RoundChanges, never, Storage | GroupBuy> = Layer.effect(RoundChanges, make)
