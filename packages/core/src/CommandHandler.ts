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
import type { Commit, NewEvent, StorageError, StorageService, StoredEvent, StreamAppend } from "./Storage.js"

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

const NONE: ReadonlyArray<never> = []

/**
 * Runs a command through the spine: load → decide → one commit of the events (expected version:
 * the one read), the other appends, the read-model changes and the messages. A refused command
 * fails with the decider's error and writes nothing; a `conflict` reloads and decides again (at
 * most `retries` times, then fails with the conflict).
 */
export const handle = <Command, State, Event extends TaggedEvent, Error, Missing = never>(
  storage: StorageService,
  aggregate: Aggregate<Command, State, Event, Error>,
  request: Request<Command, State, Event, Missing>
): Effect.Effect<Outcome<Command, State, Event>, Error | Missing | StorageError> => {
  const { decider } = aggregate
  const key = request.idempotencyKey
  const attempt = Effect.gen(function* () {
    if (key !== undefined && (yield* storage.seenKeys([key])).has(key))
      return { _tag: "Duplicate", idempotencyKey: key } as const
    const { state: before, version } = yield* load(storage, aggregate, request.stream)
    if (version === 0 && request.missing !== undefined) return yield* Effect.fail(request.missing())
    const command =
      typeof request.command === "function"
        ? (request.command as (state: State, version: number) => Command | undefined)(before, version)
        : request.command
    if (command === undefined) return { _tag: "Unchanged", command, state: before, version } as const
    const decided = decider.decide(command, before)
    if (Result.isFailure(decided)) return yield* Effect.fail(decided.failure)
    const events = decided.success
    if (events.length === 0) return { _tag: "Unchanged", command, state: before, version } as const
    const state = Decider.fold(decider, events, before)
    const decision: Decision<Command, State, Event> = {
      command,
      before,
      events,
      state,
      version: version + events.length
    }
    const at = request.at
    const commit: Commit = {
      idempotencyKey: key,
      keyData: request.keyData,
      appends: [
        { stream: request.stream, expectedVersion: version, events: events.map((e) => encodeEvent(e, at)) },
        ...(request.appends?.(state, events, decision) ?? NONE)
      ],
      views: request.views?.(state, events, decision) ?? NONE,
      outbox: request.outbox?.(state, events, decision) ?? NONE
    }
    const [result] = yield* storage.commit([commit])
    if (result?._tag === "Duplicate") return { _tag: "Duplicate", idempotencyKey: result.idempotencyKey } as const
    return { _tag: "Committed", ...decision } as const
  })
  return Effect.retry(attempt, { times: request.retries ?? MAX_RETRIES, while: isConflict }) as Effect.Effect<
    Outcome<Command, State, Event>,
    Error | Missing | StorageError
  >
}
