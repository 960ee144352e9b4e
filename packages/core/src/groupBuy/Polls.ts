/**
 * Product polls: {@link openPoll} posts the question and its options to the conversations (one
 * message each, through the outbox, in the commit that opens the poll); {@link voteFromChat}
 * counts a chat message such as `投 2` as the vote of the member the identity belongs to (one vote
 * per member, a new one replaces the old); {@link closePoll} counts the votes, names the winners
 * and opens them as a pre-order round (every product `preorder: true`).
 *
 * @since 0.4.0
 */
import { Clock, Effect, Result, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import { GroupBuy, type GroupBuyError } from "../GroupBuy.js"
import * as Poll from "../Poll.js"
import * as RoundSpec from "../RoundSpec.js"
import type { Listen } from "../RoundSpec.js"
import type { Storage, StorageError } from "../Storage.js"
import { Storage as StorageTag } from "../Storage.js"
import { memberOf } from "./Members.js"
import { conversationRecipient } from "./Messages.js"

const polls = CommandHandler.aggregate(Poll.decider, Schema.decodeUnknownSync(Poll.Event))
const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** The poll's text as posted: the question, each option with its key and price, how to vote. */
export const pollText = (question: string, options: ReadonlyArray<Poll.Option>): string =>
  [
    `【投票】${question}`,
    ...options.map((o) => `${o.key}. ${o.product.name}（NT$${o.product.price}）`),
    `留言「投 ${options[0]?.key ?? "1"}」投票，每人一票，可以改投。`
  ].join("\n")

/** Opens a poll and posts it to `conversations`. */
export const openPoll = (input: {
  readonly pollId: string
  readonly question: string
  readonly options: ReadonlyArray<Poll.Option>
  readonly closesAt: string
  readonly conversations: ReadonlyArray<Listen>
}): Effect.Effect<void, Poll.PollError | StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* StorageTag
    const at = yield* nowIso
    yield* CommandHandler.handle(storage, polls, {
      stream: Poll.pollStream(input.pollId),
      command: {
        _tag: "Open",
        pollId: input.pollId,
        question: input.question,
        options: input.options,
        closesAt: input.closesAt,
        at
      },
      at,
      outbox: (state) =>
        input.conversations.map((c) => ({
          id: `poll:${input.pollId}:${c.channel}:${c.conversation}`,
          kind: "text" as const,
          to: conversationRecipient(c),
          data: { text: pollText(state.question, state.options), pollId: input.pollId },
          createdAt: at
        }))
    })
  })

/** What a chat message did to a poll. */
export type VoteOutcome =
  | { readonly _tag: "NotAVote" }
  | { readonly _tag: "Counted"; readonly memberId: string; readonly option: string }
  | { readonly _tag: "Refused"; readonly reason: Poll.PollError["reason"] }

/** A chat message that votes (`投 2`): counted for the member of `channel:userId`. */
export const voteFromChat = (input: {
  readonly pollId: string
  readonly channel: string
  readonly userId: string
  readonly text: string
}): Effect.Effect<VoteOutcome, StorageError, Storage> =>
  Effect.gen(function* () {
    const option = Poll.parseVote(input.text)
    if (option === undefined) return { _tag: "NotAVote" } as const
    const storage = yield* StorageTag
    const at = yield* nowIso
    const memberId = yield* memberOf(`${input.channel}:${input.userId}`)
    return yield* CommandHandler.handle(storage, polls, {
      stream: Poll.pollStream(input.pollId),
      command: { _tag: "Vote", memberId, option, at },
      at
    }).pipe(
      Effect.as<VoteOutcome>({ _tag: "Counted", memberId, option }),
      Effect.catchTag("PollError", (e) => Effect.succeed<VoteOutcome>({ _tag: "Refused", reason: e.reason }))
    )
  })

/**
 * Closes the poll with `winners` winners and opens them as a pre-order round (`round`: its id,
 * title and optional cutoff and conversations). Gives the winners' keys.
 */
export const closePoll = (input: {
  readonly pollId: string
  readonly winners: number
  readonly round?:
    | {
        readonly id: string
        readonly title: string
        readonly cutoff?: string | undefined
        readonly listens?: ReadonlyArray<Listen> | undefined
      }
    | undefined
}): Effect.Effect<ReadonlyArray<string>, Poll.PollError | GroupBuyError | StorageError, Storage | GroupBuy> =>
  Effect.gen(function* () {
    const storage = yield* StorageTag
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handle(storage, polls, {
      stream: Poll.pollStream(input.pollId),
      command: { _tag: "Close", winners: input.winners, at },
      at
    })
    if (outcome._tag !== "Committed") return []
    const state = outcome.state
    const products = state.winners.flatMap((k) => {
      const o = state.options.find((x) => x.key === k)
      return o === undefined ? [] : [{ ...o.product, preorder: true }]
    })
    const round = input.round
    if (round !== undefined && products.length > 0) {
      const spec = RoundSpec.decode({
        id: round.id,
        title: round.title,
        ...(round.cutoff === undefined ? {} : { cutoff: round.cutoff }),
        ...(round.listens === undefined ? {} : { listens: round.listens }),
        products
      })
      if (Result.isFailure(spec))
        return yield* Effect.fail(new Poll.PollError({ reason: "invalid-input", message: spec.failure.message }))
      const g = yield* GroupBuy
      yield* g.openRound({ spec: spec.success, at })
    }
    return state.winners
  })
