/**
 * The Poll aggregate: a product poll (which products should the next round have?). Opened with
 * its options (each a product of the catalogue, as a round file writes it) and a closing time;
 * each member has one vote (a new vote replaces their earlier one, so a member with two linked
 * channels still counts once); closing it counts the votes and names the winners, which
 * `Polls.closePoll` opens as a pre-order round.
 *
 * @since 0.4.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import { ProductSpec } from "./Catalogue.js"
import * as Decider from "./Decider.js"

/** One option: a key buyers vote with (`1`, `2`…) and the product it stands for. */
export const Option = Schema.Struct({ key: Schema.String, product: ProductSpec })
/** One option. */
export type Option = typeof Option.Type

/** The poll was opened. */
export const PollOpened = Schema.TaggedStruct("PollOpened", {
  pollId: Schema.String,
  question: Schema.String,
  options: Schema.Array(Option),
  closesAt: Schema.String,
  at: Schema.String
})
/** A member voted (replacing `previous`, their earlier vote, when there was one). */
export const VoteCast = Schema.TaggedStruct("VoteCast", {
  memberId: Schema.String,
  option: Schema.String,
  previous: Schema.optional(Schema.String),
  at: Schema.String
})
/** The poll closed: the votes per option and the winners (most votes first). */
export const PollClosed = Schema.TaggedStruct("PollClosed", {
  tally: Schema.Record(Schema.String, Schema.Int),
  winners: Schema.Array(Schema.String),
  at: Schema.String
})

/** Every poll event. */
export const Event = Schema.Union([PollOpened, VoteCast, PollClosed])
/** Every poll event. */
export type Event = typeof Event.Type

/** What can be asked of a poll. */
export type Command =
  | {
      readonly _tag: "Open"
      readonly pollId: string
      readonly question: string
      readonly options: ReadonlyArray<Option>
      readonly closesAt: string
      readonly at: string
    }
  | { readonly _tag: "Vote"; readonly memberId: string; readonly option: string; readonly at: string }
  /** Closes the poll: the `winners` options with the most votes (ties: the earlier option first). */
  | { readonly _tag: "Close"; readonly winners: number; readonly at: string }

/** A poll's status. */
export type Status = "none" | "open" | "closed"

/** A poll's state. */
export interface State {
  readonly status: Status
  readonly pollId: string
  readonly question: string
  readonly options: ReadonlyArray<Option>
  readonly closesAt: string
  /** Each member's vote. */
  readonly votes: Readonly<Record<string, string>>
  readonly winners: ReadonlyArray<string>
}

/** The state before the first event. */
export const initialState: State = {
  status: "none",
  pollId: "",
  question: "",
  options: [],
  closesAt: "",
  votes: {},
  winners: []
}

/** Why a poll command is refused. */
export class PollError extends Data.TaggedError("PollError")<{
  readonly reason: "invalid-state" | "unknown-option" | "closed" | "invalid-input"
  readonly message: string
}> {}

/** Every allowed (status, event) → status move. */
export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "PollOpened", "open"],
  ["open", "VoteCast", "open"],
  ["open", "PollClosed", "closed"]
]

/** The votes per option (every option, 0 when none). */
export const tally = (state: State): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const o of state.options) out[o.key] = 0
  for (const v of Object.values(state.votes)) out[v] = (out[v] ?? 0) + 1
  return out
}

/** Folds one event into the state. */
export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "PollOpened" }, (e) => ({
      ...state,
      status: "open" as const,
      pollId: e.pollId,
      question: e.question,
      options: e.options,
      closesAt: e.closesAt
    }))
    .with({ _tag: "VoteCast" }, (e) => ({ ...state, votes: { ...state.votes, [e.memberId]: e.option } }))
    .with({ _tag: "PollClosed" }, (e) => ({ ...state, status: "closed" as const, winners: e.winners }))
    .exhaustive()

type Decision = Result.Result<ReadonlyArray<Event>, PollError>
const fail = (reason: PollError["reason"], message: string): Decision => Result.fail(new PollError({ reason, message }))

/** Decides what a command does in the current state. */
export const decide = (command: Command, state: State): Decision =>
  match(command)
    .with({ _tag: "Open" }, (c): Decision => {
      if (state.status !== "none") return fail("invalid-state", `poll ${c.pollId} exists`)
      const keys = new Set(c.options.map((o) => o.key))
      if (c.options.length < 2 || keys.size !== c.options.length)
        return fail("invalid-input", "a poll needs at least two options with different keys")
      if (Number.isNaN(Date.parse(c.closesAt)) || Date.parse(c.closesAt) <= Date.parse(c.at))
        return fail("invalid-input", "a poll must close after it opens")
      return Result.succeed([
        {
          _tag: "PollOpened",
          pollId: c.pollId,
          question: c.question,
          options: c.options,
          closesAt: c.closesAt,
          at: c.at
        }
      ])
    })
    .with({ _tag: "Vote" }, (c): Decision => {
      if (state.status !== "open" || Date.parse(c.at) >= Date.parse(state.closesAt))
        return fail("closed", "the poll is closed")
      if (!state.options.some((o) => o.key === c.option)) return fail("unknown-option", "no such option")
      const previous = state.votes[c.memberId]
      if (previous === c.option) return Result.succeed([])
      return Result.succeed([
        {
          _tag: "VoteCast",
          memberId: c.memberId,
          option: c.option,
          ...(previous === undefined ? {} : { previous }),
          at: c.at
        }
      ])
    })
    .with({ _tag: "Close" }, (c): Decision => {
      if (state.status !== "open") return fail("invalid-state", `the poll is ${state.status}`)
      const counts = tally(state)
      const order = state.options.map((o, i) => ({ key: o.key, i, n: counts[o.key] ?? 0 }))
      order.sort((a, b) => b.n - a.n || a.i - b.i)
      const winners = order
        .filter((o) => o.n > 0)
        .slice(0, Math.max(1, c.winners))
        .map((o) => o.key)
      return Result.succeed([{ _tag: "PollClosed", tally: counts, winners, at: c.at }])
    })
    .exhaustive()

/** The Poll aggregate as a value. */
export const decider: Decider.Decider<Command, State, Event, PollError> = Decider.make({
  initialState,
  decide,
  evolve
})

/** A poll's stream. */
export const pollStream = (pollId: string): string => `poll:${pollId}`

/** The option a chat message votes for: `投 2`, `投票：2`, `vote 2`, `+2`; undefined otherwise. */
export const parseVote = (text: string): string | undefined =>
  /^(?:投票?|vote|\+)\s*[:：]?\s*([A-Za-z0-9]{1,4})$/iu.exec(text.trim())?.[1]?.toUpperCase()
