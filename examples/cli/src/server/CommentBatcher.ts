/**
 * Group commit for comments: webhooks arriving at the same time are handed to
 * `GroupBuy.submitComments` together, in arrival order, as one batch (one storage transaction)
 * instead of one each, which would make them race for the round's stream version and retry.
 * Each caller gets the outcomes of its own comments. If a combined batch fails, every caller's
 * comments are tried on their own, so one bad delivery cannot fail the others.
 */
import { GroupBuy, type Storage } from "@kaituan/core"
import { Chunk, Context, Deferred, Effect, Exit, Layer, Queue } from "effect"

type Outcomes = ReadonlyArray<GroupBuy.CommentOutcome>
type Failure = GroupBuy.GroupBuyError | Storage.StorageError

interface Item {
  readonly roundId: string
  readonly comments: ReadonlyArray<GroupBuy.CommentInput>
  readonly done: Deferred.Deferred<Outcomes, Failure>
}

export interface CommentBatcherService {
  /** Submits comments to a round; resolves with their outcomes, in order. */
  readonly submit: (roundId: string, comments: ReadonlyArray<GroupBuy.CommentInput>) => Effect.Effect<Outcomes, Failure>
}

export class CommentBatcher extends Context.Tag("@kaituan/cli/serve/CommentBatcher")<
  CommentBatcher,
  CommentBatcherService
>() {}

/** At most this many deliveries go into one batch. */
const MAX_ITEMS = 512

/** Resumes after the event loop's poll phase (setImmediate), so pending I/O callbacks run first. */
const nextTurn = Effect.async<void>((resume) => {
  const t = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(t))
})

export const make = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  const queue = yield* Queue.unbounded<Item>()

  const runRound = (roundId: string, items: ReadonlyArray<Item>) =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(g.submitComments({ roundId, comments: items.flatMap((i) => i.comments) }))
      if (Exit.isSuccess(exit)) {
        let k = 0
        for (const item of items) {
          yield* Deferred.succeed(item.done, exit.value.slice(k, k + item.comments.length))
          k += item.comments.length
        }
      } else if (items.length === 1) {
        yield* Deferred.failCause(items[0]!.done, exit.cause)
      } else {
        for (const item of items)
          yield* Deferred.complete(item.done, g.submitComments({ roundId, comments: item.comments }))
      }
    })

  const worker = Effect.gen(function* () {
    const first = yield* Queue.take(queue)
    // Let the event loop read the requests that arrived meanwhile (one turn, ~0 ms when idle):
    // without this the worker wakes right after the first request and every batch is of one.
    yield* nextTurn
    const rest = Chunk.toReadonlyArray(yield* Queue.takeUpTo(queue, MAX_ITEMS - 1))
    const byRound = new Map<string, Array<Item>>()
    for (const item of [first, ...rest]) {
      const list = byRound.get(item.roundId)
      if (list) list.push(item)
      else byRound.set(item.roundId, [item])
    }
    for (const [roundId, items] of byRound) yield* runRound(roundId, items)
  }).pipe(Effect.forever)

  yield* Effect.forkScoped(worker)

  return {
    submit: (roundId, comments) =>
      comments.length === 0
        ? Effect.succeed([])
        : Effect.gen(function* () {
            const done = yield* Deferred.make<Outcomes, Failure>()
            yield* Queue.offer(queue, { roundId, comments, done })
            return yield* Deferred.await(done)
          })
  } satisfies CommentBatcherService
})

/** The batcher over the app's GroupBuy; its worker stops when the layer's scope closes. */
export const layer: Layer.Layer<CommentBatcher, never, GroupBuy.GroupBuy> = Layer.scoped(CommentBatcher, make)
