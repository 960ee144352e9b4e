/**
 * One command handler for every aggregate: load the stream → fold it with the decider → decide
 * the command → append the events at the version read (optionally under an idempotency key),
 * with the read-model changes and outbox messages they cause, in one `Storage.commit`. When
 * another writer moved the stream on in between (a `conflict`), the stream is read again and the
 * command decided again, a bounded number of times (emmett's `DeciderCommandHandler`, fmodel-ts's
 * `EventSourcingAggregate`).
 *
 * The read-model changes and messages are pure functions of the state after the events and the
 * events, given by the caller: the handler knows no read model and no message.
 *
 * A use case that decides on several aggregates at once (shipping: the order and a new shipment;
 * a payment: the payment and each order it pays; the close: the round and every order it
 * confirms) runs through {@link handleMany}: a `process` step loads and decides on as many
 * streams as it needs through a {@link Unit}, and the handler appends all of them in one
 * `Storage.commit`, each at the version it was read at, and runs the step again on a conflict.
 * {@link handle} is the one-stream case of it.
 *
 * @example
 * ```ts
 * import { CommandHandler, Order, Storage } from "@kaituan/core"
 * import { Schema } from "effect"
 *
 * const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
 *
 * const complete = (storage: Storage.StorageService, orderId: string, at: string) =>
 *   CommandHandler.handle(storage, orders, {
 *     stream: Storage.orderStream(orderId),
 *     command: { _tag: "Complete", at },
 *     at
 *   })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Result } from "effect"
import * as Decider from "./Decider.js"
import type { OutboundMessage } from "./Notification.js"
import type { ViewChange } from "./ReadModel.js"
import type {
  Commit,
  NewEvent,
  ScheduledJob,
  StorageError,
  StorageService,
  StoredEvent,
  StreamAppend
} from "./Storage.js"

/** What the handler needs of an event: its tag (the stored event's type) and maybe its time. */
export interface TaggedEvent {
  readonly _tag: string
  readonly at?: string | undefined
}

/** A decider and how its events are read back from storage. */
export interface Aggregate<Command, State, Event extends TaggedEvent, Error> {
  readonly decider: Decider.Decider<Command, State, Event, Error>
  /** Decodes a stored event's `data` (the event as {@link encodeEvent} stored it). */
  readonly decodeEvent: (data: unknown) => Event
}

/** An {@link Aggregate} from a decider and the decoder of its stored events. */
export const aggregate = <Command, State, Event extends TaggedEvent, Error>(
  decider: Decider.Decider<Command, State, Event, Error>,
  decodeEvent: (data: unknown) => Event
): Aggregate<Command, State, Event, Error> => ({ decider, decodeEvent })

/** An event as storage keeps it: its tag as the type, the event as the data, its own `at` or else `at`. */
export const encodeEvent = (event: TaggedEvent, at: string): NewEvent => ({
  type: event._tag,
  data: event,
  at: event.at ?? at
})

/** A stream's state and version as read. */
export interface Loaded<State> {
  readonly state: State
  /** The stream's version (0: no events yet). */
  readonly version: number
}

/** Reads a stream and folds it: its state and version. */
export const load = <Command, State, Event extends TaggedEvent, Error>(
  storage: StorageService,
  aggregate: Aggregate<Command, State, Event, Error>,
  stream: string
): Effect.Effect<Loaded<State>, StorageError> =>
  Effect.map(storage.readStream(stream), ({ version, events }) => ({
    version,
    state: foldStored(aggregate, events)
  }))

const foldStored = <Command, State, Event extends TaggedEvent, Error>(
  aggregate: Aggregate<Command, State, Event, Error>,
  events: ReadonlyArray<StoredEvent>
): State => {
  let s = aggregate.decider.initialState
  for (const e of events) s = aggregate.decider.evolve(s, aggregate.decodeEvent(e.data))
  return s
}

/** A command decided: the command, the state it was decided in, its events and the state after them. */
export interface Decision<Command, State, Event> {
  readonly command: Command
  /** The state the command was decided in. */
  readonly before: State
  readonly events: ReadonlyArray<Event>
  /** The state after the events. */
  readonly state: State
  /** The stream's version after the events. */
  readonly version: number
}

/** A function of the state after a command's events and the events (and the whole decision). */
export type Derive<Command, State, Event, A> = (
  state: State,
  events: ReadonlyArray<Event>,
  decision: Decision<Command, State, Event>
) => ReadonlyArray<A>

/** What to run through the handler. */
export interface Request<Command, State, Event, Missing = never> {
  /** The aggregate's stream. */
  readonly stream: string
  /**
   * The command, or a function of the state (and version) read giving it: undefined when there is
   * nothing to do in that state. The function is called again after each conflict.
   */
  readonly command: Command | ((state: State, version: number) => Command | undefined)
  /** The time of the events that carry none of their own. */
  readonly at: string
  /**
   * Claims this key with the commit: a command whose key was committed before is not decided
   * again and gives `Duplicate` (so is one whose key another writer claims first).
   */
  readonly idempotencyKey?: string | undefined
  /** Kept with the idempotency key (see `Commit.keyData`). */
  readonly keyData?: string | undefined
  /** The aggregate must exist: a stream with no events fails with this error, nothing decided. */
  readonly missing?: (() => Missing) | undefined
  /** The read-model changes the events cause (default: none). */
  readonly views?: Derive<Command, State, Event, ViewChange> | undefined
  /** The messages to send (default: none). */
  readonly outbox?: Derive<Command, State, Event, OutboundMessage> | undefined
  /** Appends to other streams in the same commit (a new stream that the events start, an index). */
  readonly appends?: Derive<Command, State, Event, StreamAppend> | undefined
  /** How many times a conflict is retried with the stream read again (default {@link MAX_RETRIES}). */
  readonly retries?: number | undefined
}

/** What the handler did. */
export type Outcome<Command, State, Event> =
  /** The events were appended (with their read-model changes and messages). */
  | ({ readonly _tag: "Committed" } & Decision<Command, State, Event>)
  /** Nothing to do (no command in this state, or no events): nothing was written. */
  | {
      readonly _tag: "Unchanged"
      readonly command: Command | undefined
      readonly state: State
      readonly version: number
    }
  /** The idempotency key was committed before: nothing was decided or written. */
  | { readonly _tag: "Duplicate"; readonly idempotencyKey: string }

/** How many times {@link handle} retries a conflict by default. */
export const MAX_RETRIES = 20

const isConflict = (e: unknown): boolean =>
  typeof e === "object" &&
  e !== null &&
  (e as { _tag?: unknown })._tag === "StorageError" &&
  (e as StorageError).reason === "conflict"

// ---------------------------------------------------------------------------------------------
// Several streams in one unit of work
// ---------------------------------------------------------------------------------------------

/** Options of {@link Unit.load} and {@link Unit.decide}. */
export interface LoadOptions<State> {
  /**
   * The stream's state and version as the caller read them already (a cache that is kept caught
   * up): the stream is not read again. Its events are appended at this version, so a stale one
   * conflicts and the step runs again.
   */
  readonly loaded?: Loaded<State> | undefined
}

/** Options of {@link Unit.decide}. */
export interface DecideOptions<State, Missing> extends LoadOptions<State> {
  /** The aggregate must exist: a stream with no events fails with this error, nothing decided. */
  readonly missing?: (() => Missing) | undefined
}

/**
 * The unit of work a {@link handleMany} step builds: the streams it read (each read once, with
 * the unit's own events on top), the events it decided on them, and what else the commit writes.
 * Nothing is written until the step ends; a step that fails writes nothing.
 */
export interface Unit {
  /**
   * A stream's state and version: read and folded on first use, then with the events this unit
   * decided on it on top (its version counts them). One stream, one aggregate.
   */
  readonly load: <Command, State, Event extends TaggedEvent, Error>(
    aggregate: Aggregate<Command, State, Event, Error>,
    stream: string,
    options?: LoadOptions<State>
  ) => Effect.Effect<Loaded<State>, StorageError>
  /**
   * Decides a command on a stream's aggregate, in its state as {@link Unit.load} gives it, and
   * keeps the events for the commit (appended at the version the stream was read at; several
   * decisions on one stream add up). A refused command fails with the decider's error and keeps
   * nothing. The decision's `version` is the stream's after its events.
   */
  readonly decide: <Command, State, Event extends TaggedEvent, Error, Missing = never>(
    aggregate: Aggregate<Command, State, Event, Error>,
    stream: string,
    command: Command,
    options?: DecideOptions<State, Missing>
  ) => Effect.Effect<Decision<Command, State, Event>, Error | Missing | StorageError>
  /** Appends to a stream that no decider owns (an index: a pickup code's stream), in the same commit. */
  readonly append: (...appends: ReadonlyArray<StreamAppend>) => void
  /** Read-model changes for the commit. */
  readonly view: (...changes: ReadonlyArray<ViewChange>) => void
  /** Messages for the commit's outbox. */
  readonly send: (...messages: ReadonlyArray<OutboundMessage>) => void
  /** Jobs to schedule in the commit (see `Commit.schedule`). */
  readonly schedule: (...jobs: ReadonlyArray<ScheduledJob>) => void
  /** Pending jobs to cancel in the commit (see `Commit.unschedule`). */
  readonly unschedule: (...ids: ReadonlyArray<string>) => void
}

/** What to run through {@link handleMany}. */
export interface ManyRequest<A, E, R> {
  /**
   * Loads and decides through the unit, and gives the use case's value. Called again with a fresh
   * unit after each conflict, so it must read everything it decides on through the unit (or read
   * it again), and draw fresh ids each time.
   */
  readonly process: (unit: Unit) => Effect.Effect<A, E, R>
  /** The time of the events that carry none of their own. */
  readonly at: string
  /**
   * Claims this key with the commit: a unit of work whose key was committed before is not run
   * again and gives `Duplicate` (so is one whose key another writer claims first).
   */
  readonly idempotencyKey?: string | undefined
  /** Kept with the idempotency key (see `Commit.keyData`). */
  readonly keyData?: string | undefined
  /** How many times a conflict is retried with a fresh unit (default {@link MAX_RETRIES}). */
  readonly retries?: number | undefined
  /** Runs before each retry after a conflict (to drop a cache the step read from). */
  readonly onConflict?: Effect.Effect<void> | undefined
}

/** What {@link handleMany} did. */
export type ManyOutcome<A> =
  /** The unit's events and the rest were written in one commit; `versions`: each stream's version after it. */
  | { readonly _tag: "Committed"; readonly value: A; readonly versions: Readonly<Record<string, number>> }
  /** The step decided no events and asked for nothing else: nothing was written. */
  | { readonly _tag: "Unchanged"; readonly value: A }
  /** The idempotency key was committed before: nothing was run or written. */
  | { readonly _tag: "Duplicate"; readonly idempotencyKey: string }

/** A stream as a unit holds it: the version read, the state with the unit's events, those events. */
interface Held {
  readonly read: number
  state: unknown
  readonly events: Array<NewEvent>
}

/** A fresh unit over `storage` and what it has gathered so far. */
const makeUnit = (storage: StorageService, at: string) => {
  const held = new Map<string, Held>()
  const appends: Array<StreamAppend> = []
  const views: Array<ViewChange> = []
  const outbox: Array<OutboundMessage> = []
  const schedule: Array<ScheduledJob> = []
  const unschedule: Array<string> = []
  const hold = <Command, State, Event extends TaggedEvent, Error>(
    aggregate: Aggregate<Command, State, Event, Error>,
    stream: string,
    options: LoadOptions<State> | undefined
  ): Effect.Effect<Held, StorageError> => {
    const found = held.get(stream)
    if (found !== undefined) return Effect.succeed(found)
    const loaded = options?.loaded
    return Effect.map(
      loaded === undefined ? load(storage, aggregate, stream) : Effect.succeed(loaded),
      ({ state, version }) => {
        const h: Held = { read: version, state, events: [] }
        held.set(stream, h)
        return h
      }
    )
  }
  const unit: Unit = {
    load: (aggregate, stream, options) =>
      Effect.map(hold(aggregate, stream, options), (h) => ({
        state: h.state as never,
        version: h.read + h.events.length
      })),
    decide: <Command, State, Event extends TaggedEvent, Error, Missing = never>(
      aggregate: Aggregate<Command, State, Event, Error>,
      stream: string,
      command: Command,
      options?: DecideOptions<State, Missing>
    ) =>
      Effect.flatMap(
        hold(aggregate, stream, options),
        (h): Effect.Effect<Decision<Command, State, Event>, Error | Missing> => {
          const before = h.state as State
          const version = h.read + h.events.length
          if (version === 0 && options?.missing !== undefined) return Effect.fail(options.missing())
          const decided = aggregate.decider.decide(command, before)
          if (Result.isFailure(decided)) return Effect.fail(decided.failure)
          const events = decided.success
          const state = events.length === 0 ? before : Decider.fold(aggregate.decider, events, before)
          for (const e of events) h.events.push(encodeEvent(e, at))
          h.state = state
          return Effect.succeed({ command, before, events, state, version: version + events.length })
        }
      ),
    append: (...more) => {
      for (const a of more) appends.push(a)
    },
    view: (...more) => {
      for (const v of more) views.push(v)
    },
    send: (...more) => {
      for (const m of more) outbox.push(m)
    },
    schedule: (...more) => {
      for (const j of more) schedule.push(j)
    },
    unschedule: (...more) => {
      for (const id of more) unschedule.push(id)
    }
  }
  /** The unit's commit, or undefined when it has nothing to write. */
  const commit = (idempotencyKey: string | undefined, keyData: string | undefined): Commit | undefined => {
    const streams: Array<StreamAppend> = []
    for (const [stream, h] of held)
      if (h.events.length > 0) streams.push({ stream, expectedVersion: h.read, events: h.events })
    if (
      streams.length === 0 &&
      appends.length === 0 &&
      views.length === 0 &&
      outbox.length === 0 &&
      schedule.length === 0 &&
      unschedule.length === 0
    )
      return undefined
    return {
      idempotencyKey,
      keyData,
      appends: appends.length === 0 ? streams : [...streams, ...appends],
      views,
      outbox,
      ...(schedule.length === 0 ? {} : { schedule }),
      ...(unschedule.length === 0 ? {} : { unschedule })
    }
  }
  return { unit, commit }
}

/**
 * Runs a unit of work over several streams through the spine: the `process` step loads and
 * decides on each aggregate it needs (through the {@link Unit}), then one `Storage.commit` writes
 * every stream's events at the version it was read at, the other appends, the read-model changes,
 * the messages and the jobs, all or nothing. A refused command (any error of the step) writes
 * nothing; a `conflict` (another writer moved one of the streams on) runs the step again with a
 * fresh unit, at most `retries` times, then fails with the conflict.
 *
 * @example
 * ```ts
 * // Ship part of an order: the order's ShipmentAdded and the new shipment's events, in one commit.
 * const outcome = yield* CommandHandler.handleMany(storage, {
 *   at,
 *   process: (unit) =>
 *     Effect.gen(function* () {
 *       const order = yield* unit.decide(orders, Storage.orderStream("o1"), { _tag: "AddShipment", shipmentId, lines, at })
 *       yield* unit.decide(shipments, Storage.shipmentStream(shipmentId), { _tag: "Pack", shipmentId, orderId: "o1", lines, method: "home", at })
 *       unit.view({ _tag: "UpsertOrder", order: toView(order.state) })
 *       return shipmentId
 *     })
 * })
 * ```
 */
export const handleMany = <A, E, R>(
  storage: StorageService,
  request: ManyRequest<A, E, R>
): Effect.Effect<ManyOutcome<A>, E | StorageError, R> => {
  const key = request.idempotencyKey
  const attempt: Effect.Effect<ManyOutcome<A>, E | StorageError, R> = Effect.gen(function* () {
    if (key !== undefined && (yield* storage.seenKeys([key])).has(key))
      return { _tag: "Duplicate", idempotencyKey: key } as const
    const { unit, commit } = makeUnit(storage, request.at)
    const value = yield* request.process(unit)
    const toWrite = commit(key, request.keyData)
    if (toWrite === undefined) return { _tag: "Unchanged", value } as const
    const [result] = yield* storage.commit([toWrite])
    if (result?._tag === "Duplicate") return { _tag: "Duplicate", idempotencyKey: result.idempotencyKey } as const
    return { _tag: "Committed", value, versions: result?.versions ?? {} } as const
  })
  const onConflict = request.onConflict
  const guarded =
    onConflict === undefined ? attempt : Effect.tapError(attempt, (e) => (isConflict(e) ? onConflict : Effect.void))
  return Effect.retry(guarded, { times: request.retries ?? MAX_RETRIES, while: isConflict })
}

/**
 * Runs a command through the spine: load → decide → one commit of the events (expected version:
 * the one read), the other appends, the read-model changes and the messages. A refused command
 * fails with the decider's error and writes nothing; a `conflict` reloads and decides again (at
 * most `retries` times, then fails with the conflict). The one-stream case of {@link handleMany}.
 */
export const handle = <Command, State, Event extends TaggedEvent, Error, Missing = never>(
  storage: StorageService,
  aggregate: Aggregate<Command, State, Event, Error>,
  request: Request<Command, State, Event, Missing>
): Effect.Effect<Outcome<Command, State, Event>, Error | Missing | StorageError> =>
  Effect.map(
    handleMany(storage, {
      at: request.at,
      idempotencyKey: request.idempotencyKey,
      keyData: request.keyData,
      retries: request.retries,
      process: (unit) =>
        Effect.gen(function* () {
          const { state: before, version } = yield* unit.load(aggregate, request.stream)
          if (version === 0 && request.missing !== undefined) return yield* Effect.fail(request.missing())
          const command =
            typeof request.command === "function"
              ? (request.command as (state: State, version: number) => Command | undefined)(before, version)
              : request.command
          if (command === undefined)
            return { _tag: "Unchanged", command, state: before, version } satisfies Outcome<Command, State, Event>
          const decision = yield* unit.decide(aggregate, request.stream, command)
          if (decision.events.length === 0)
            return { _tag: "Unchanged", command, state: before, version } satisfies Outcome<Command, State, Event>
          const { state, events } = decision
          if (request.appends !== undefined) unit.append(...request.appends(state, events, decision))
          if (request.views !== undefined) unit.view(...request.views(state, events, decision))
          if (request.outbox !== undefined) unit.send(...request.outbox(state, events, decision))
          return { _tag: "Committed", ...decision } satisfies Outcome<Command, State, Event>
        })
    }),
    (outcome): Outcome<Command, State, Event> => (outcome._tag === "Duplicate" ? outcome : outcome.value)
  )
