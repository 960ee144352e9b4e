/**
 * Group commit for comments: deliveries arriving at the same time are handed to
 * `GroupBuy.submitComments` together, in arrival order, as one batch (one storage transaction)
 * instead of one each, which would make them race for the round's stream version and retry.
 * Each caller gets the outcomes of its own comments, once the batch is committed. If a combined
 * batch fails, every caller's comments are tried on their own, so one bad delivery cannot fail
 * the others. One batch is committed at a time; what arrives meanwhile forms the next one.
 *
 * Private to `Inbound` (moved there from `kaituan serve`).
 *
 * @internal
 */
import { Effect, Exit, Fiber, type Scope } from "effect"
import type { CommentInput, CommentOutcome, GroupBuyError, GroupBuyService } from "../GroupBuy.js"
import type { StorageError } from "../Storage.js"

/** The outcomes of a caller's comments, in order. */
export type Outcomes = ReadonlyArray<CommentOutcome>
/** Why a submission failed. */
export type Failure = GroupBuyError | StorageError

interface Item {
  readonly roundId: string
  readonly comments: ReadonlyArray<CommentInput>
  readonly resume: (result: Effect.Effect<Outcomes, Failure>) => void
}

/** The batcher. */
export interface CommentBatcher {
  /** Submits comments to a round; resolves with their outcomes, in order. */
  readonly submit: (roundId: string, comments: ReadonlyArray<CommentInput>) => Effect.Effect<Outcomes, Failure>
}

/** At most this many deliveries go into one batch. */
export const MAX_ITEMS = 512

/**
 * One event-loop turn (after the I/O callbacks where the host can: `setImmediate`), so the
 * deliveries that arrived meanwhile join the batch; without it the first batch after a pause
 * would be of one.
 */
const nextTurn: (f: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function"
    ? (f) => (globalThis as unknown as { setImmediate: (f: () => void) => unknown }).setImmediate(f)
    : (f) => void setTimeout(f, 0)

/** A batcher over `submitComments`; batches stop when the scope closes (waiting callers are interrupted). */
export const make = (
  submitComments: GroupBuyService["submitComments"]
): Effect.Effect<CommentBatcher, never, Scope.Scope> =>
  Effect.gen(function* () {
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    // Plain arrays and callbacks rather than a Queue and Deferreds: this runs once per delivery.
    let waiting: Array<Item> = []
    let busy = false
    let current: Fiber.Fiber<void> | undefined
    let closed = false

    const runRound = (roundId: string, items: ReadonlyArray<Item>) =>
      Effect.gen(function* () {
        const comments = items.length === 1 ? items[0]!.comments : items.flatMap((i) => i.comments)
        const exit = yield* Effect.exit(submitComments({ roundId, comments }))
        if (Exit.isSuccess(exit)) {
          let k = 0
          for (const item of items) {
            item.resume(Effect.succeed(exit.value.slice(k, k + item.comments.length)))
            k += item.comments.length
          }
        } else if (items.length === 1) {
          items[0]!.resume(exit)
        } else {
          for (const item of items)
            item.resume(yield* Effect.exit(submitComments({ roundId, comments: item.comments })))
        }
      })

    const runBatch = (items: ReadonlyArray<Item>) =>
      Effect.gen(function* () {
        const byRound = new Map<string, Array<Item>>()
        for (const item of items) {
          const list = byRound.get(item.roundId)
          if (list) list.push(item)
          else byRound.set(item.roundId, [item])
        }
        for (const [roundId, list] of byRound) yield* runRound(roundId, list)
      })

    /** Starts the next batch unless one is running. */
    const pump = () => {
      if (busy || closed || waiting.length === 0) return
      busy = true
      nextTurn(() => {
        if (closed) return
        const items = waiting.length <= MAX_ITEMS ? waiting : waiting.slice(0, MAX_ITEMS)
        waiting = waiting.length <= MAX_ITEMS ? [] : waiting.slice(MAX_ITEMS)
        current = runFork(runBatch(items))
        current.addObserver((exit) => {
          // A defect or an interruption (never a typed failure: those go to the callers) fails its callers.
          if (Exit.isFailure(exit)) for (const item of items) item.resume(Effect.failCause(exit.cause))
          current = undefined
          busy = false
          pump()
        })
      })
    }

    // Closing (the host's last step, after in-flight deliveries): stop the running batch, refuse the rest.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const left = waiting
        waiting = []
        for (const item of left) item.resume(Effect.interrupt)
        return current === undefined ? Effect.void : Fiber.interrupt(current)
      })
    )

    return {
      submit: (roundId, comments) =>
        comments.length === 0
          ? Effect.succeed([])
          : Effect.callback<Outcomes, Failure>((resume) => {
              if (closed) return resume(Effect.interrupt)
              waiting.push({ roundId, comments, resume })
              pump()
            })
    } satisfies CommentBatcher
  })
