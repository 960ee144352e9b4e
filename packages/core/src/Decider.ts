/**
 * Deciders as values: an aggregate is `initialState`, `decide(command, state)` and
 * `evolve(state, event)`, nothing else (the shape of fmodel-ts's `Decider` and emmett's
 * `Decider`). `Order.decider`, `Shipment.decider`, `Payment.decider` and `Round.decider` are
 * theirs; `CommandHandler` runs any of them against storage (load → decide → append).
 *
 * A decider is pure: `decide` never looks at anything but its command and state (ids and times
 * come in the command), and the state after some events is always `fold(decider, events)`.
 *
 * @example
 * ```ts
 * import { Decider, Order } from "@kaituan/core"
 *
 * const decided = Decider.run(Order.decider, { _tag: "Complete", at: "2025-01-01T00:00:00Z" }, state)
 * ```
 *
 * @since 0.2.0
 */
import { Result } from "effect"

/**
 * A pure aggregate: the state before any event, what a command does in a state (the events it
 * causes, or why it is refused), and how one event changes the state.
 *
 * - `Command`: what can be asked of the aggregate.
 * - `State`: what it needs to know to decide (folded from its events).
 * - `Event`: what happened (stored, never changed).
 * - `Error`: why a command is refused.
 */
export interface Decider<in Command, State, Event, Error = never> {
  /** The state of an aggregate with no events yet. */
  readonly initialState: State
  /**
   * What `command` does in `state`: the events it causes (none: nothing to change), or the
   * reason it is refused. Pure: the same command and state always give the same answer.
   */
  readonly decide: (command: Command, state: State) => Result.Result<ReadonlyArray<Event>, Error>
  /** The state after one more event. */
  readonly evolve: (state: State, event: Event) => State
}

/** The command type of a decider. */
export type CommandOf<D> = D extends Decider<infer C, any, any, any> ? C : never
/** The state type of a decider. */
export type StateOf<D> = D extends Decider<any, infer S, any, any> ? S : never
/** The event type of a decider. */
export type EventOf<D> = D extends Decider<any, any, infer E, any> ? E : never
/** The error type of a decider. */
export type ErrorOf<D> = D extends Decider<any, any, any, infer Err> ? Err : never

/**
 * A decider from its three parts (a typed identity: it fixes the type parameters where they are
 * declared).
 */
export const make = <Command, State, Event, Error = never>(
  decider: Decider<Command, State, Event, Error>
): Decider<Command, State, Event, Error> => decider

/**
 * The state after these events, from `state` (default: the decider's initial state).
 *
 * @example
 * ```ts
 * const state = Decider.fold(Order.decider, storedEvents)
 * ```
 */
export const fold = <State, Event>(
  decider: Pick<Decider<never, State, Event, unknown>, "initialState" | "evolve">,
  events: Iterable<Event>,
  state: State = decider.initialState
): State => {
  let s = state
  for (const e of events) s = decider.evolve(s, e)
  return s
}

/** What a command did: the events it caused and the state after them. */
export interface Decided<State, Event> {
  readonly events: ReadonlyArray<Event>
  readonly state: State
}

/** Decides `command` in `state` and folds the events: the events and the state after them, or the refusal. */
export const run = <Command, State, Event, Error>(
  decider: Decider<Command, State, Event, Error>,
  command: Command,
  state: State = decider.initialState
): Result.Result<Decided<State, Event>, Error> => {
  const decided = decider.decide(command, state)
  if (Result.isFailure(decided)) return Result.fail(decided.failure)
  const events = decided.success
  return Result.succeed({ events, state: events.length === 0 ? state : fold(decider, events, state) })
}

/**
 * Runs commands one after another from `state`, each against the state the ones before it left:
 * all their events and the final state, or the first refusal (no events then). For a use case that
 * is several commands in one unit of work (a payment received and matched).
 */
export const runAll = <Command, State, Event, Error>(
  decider: Decider<Command, State, Event, Error>,
  commands: Iterable<Command>,
  state: State = decider.initialState
): Result.Result<Decided<State, Event>, Error> => {
  const events: Array<Event> = []
  let s = state
  for (const command of commands) {
    const decided = run(decider, command, s)
    if (Result.isFailure(decided)) return Result.fail(decided.failure)
    for (const e of decided.success.events) events.push(e)
    s = decided.success.state
  }
  return Result.succeed({ events, state: s })
}

/**
 * One step of an aggregate's life as its transition table sees it: the status before an event,
 * the event's tag, and the status after it.
 */
export type Transition = readonly [from: string, event: string, to: string]

/**
 * The transitions these commands walk through, run one after another from `state` (refused
 * commands are skipped): for a property test that every reachable transition is in the
 * aggregate's table (`Order.transitions`…).
 */
export const transitions = <Command, State, Event extends { readonly _tag: string }, Error>(
  decider: Decider<Command, State, Event, Error>,
  statusOf: (state: State) => string,
  commands: Iterable<Command>,
  state: State = decider.initialState
): Array<Transition> => {
  const out: Array<Transition> = []
  let s = state
  for (const command of commands) {
    const decided = decider.decide(command, s)
    if (Result.isFailure(decided)) continue
    for (const e of decided.success) {
      const next = decider.evolve(s, e)
      out.push([statusOf(s), e._tag, statusOf(next)])
      s = next
    }
  }
  return out
}
