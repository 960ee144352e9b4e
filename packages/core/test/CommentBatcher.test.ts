/** The comment batcher behind `Inbound` (group commit), moved from `kaituan serve` with its tests. */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy } from "@kaituan/core"
import { Effect, Exit, Fiber, Result, Scope } from "effect"
import * as CommentBatcher from "../src/internal/commentBatcher.js"

const comment = (id: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: `U-${id}` },
  text: "+1",
  at: "2026-01-01T00:00:00.000Z"
})

/** A submitComments that records its batches and refuses any batch holding a comment "bad…". */
const fakeSubmit = () => {
  const batches: Array<ReadonlyArray<string>> = []
  const submitComments: GroupBuy.GroupBuyService["submitComments"] = ({ comments }) =>
    Effect.suspend(() => {
      batches.push(comments.map((c) => c.commentId))
      return comments.some((c) => c.commentId.startsWith("bad"))
        ? Effect.fail(new GroupBuy.GroupBuyError({ reason: "rejected", message: "bad comment" }))
        : Effect.succeed(
            comments.map(
              (c): GroupBuy.CommentOutcome => ({ commentId: c.commentId, status: "ordered", reason: "", events: [] })
            )
          )
    })
  return { batches, submitComments }
}

describe("CommentBatcher", () => {
  it.live("deliveries arriving together are one batch, in arrival order; each caller gets its own outcomes", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = fakeSubmit()
        const batcher = yield* CommentBatcher.make(fake.submitComments)
        const results = yield* Effect.all(
          [
            batcher.submit("r", [comment("a1"), comment("a2")]),
            batcher.submit("r", [comment("b1")]),
            batcher.submit("r", []),
            batcher.submit("r", [comment("c1"), comment("c2"), comment("c3")])
          ],
          { concurrency: "unbounded" }
        )
        expect(results.map((r) => r.map((o) => o.commentId))).toEqual([["a1", "a2"], ["b1"], [], ["c1", "c2", "c3"]])
        expect(fake.batches).toEqual([["a1", "a2", "b1", "c1", "c2", "c3"]])
        // a later delivery is a batch of its own
        yield* batcher.submit("r", [comment("d1")])
        expect(fake.batches.at(-1)).toEqual(["d1"])
      })
    )
  )

  it.live("a failed batch is retried caller by caller: only the bad delivery fails", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = fakeSubmit()
        const batcher = yield* CommentBatcher.make(fake.submitComments)
        const [good, bad, other] = yield* Effect.all(
          [
            Effect.result(batcher.submit("r", [comment("g1")])),
            Effect.result(batcher.submit("r", [comment("bad1")])),
            Effect.result(batcher.submit("r", [comment("o1"), comment("o2")]))
          ],
          { concurrency: "unbounded" }
        )
        expect(Result.getOrThrow(good).map((o) => o.commentId)).toEqual(["g1"])
        expect(Result.isFailure(bad) && bad.failure).toMatchObject({ _tag: "GroupBuyError", reason: "rejected" })
        expect(Result.getOrThrow(other).map((o) => o.commentId)).toEqual(["o1", "o2"])
        expect(fake.batches).toEqual([["g1", "bad1", "o1", "o2"], ["g1"], ["bad1"], ["o1", "o2"]])
      })
    )
  )

  it.live("a delivery waiting when the batcher closes, or arriving after, is interrupted, never left hanging", () =>
    Effect.gen(function* () {
      const fake = fakeSubmit()
      const scope = yield* Scope.make()
      const batcher = yield* CommentBatcher.make(fake.submitComments).pipe(Scope.provide(scope))
      const waiting = yield* Effect.forkChild(batcher.submit("r", [comment("waiting")]))
      yield* Effect.yieldNow
      yield* Scope.close(scope, Exit.void)
      expect(Exit.hasInterrupts(yield* Fiber.await(waiting))).toBe(true)
      expect(Exit.hasInterrupts(yield* Effect.exit(batcher.submit("r", [comment("late")])))).toBe(true)
      expect(fake.batches).toEqual([])
    })
  )

  it.live("more than MAX_ITEMS deliveries at once are split into batches, in order", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const fake = fakeSubmit()
        const batcher = yield* CommentBatcher.make(fake.submitComments)
        const n = CommentBatcher.MAX_ITEMS + 3
        yield* Effect.all(
          Array.from({ length: n }, (_, i) => batcher.submit("r", [comment(`x${i}`)])),
          { concurrency: "unbounded" }
        )
        expect(fake.batches.length).toBeGreaterThan(1)
        expect(fake.batches.flat()).toEqual(Array.from({ length: n }, (_, i) => `x${i}`))
      })
    )
  )
})
