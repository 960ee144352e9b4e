import { describe, expect, it } from "@effect/vitest"
import { GroupBuy } from "@kaituan/core"
import { Context, Effect, Exit, Fiber, Layer, Result, Scope } from "effect"
import * as CommentBatcher from "../src/server/CommentBatcher.js"

const comment = (id: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: `U-${id}` },
  text: "+1",
  at: "2026-01-01T00:00:00.000Z"
})

/** A GroupBuy whose submitComments records its batches and refuses any batch holding a comment "bad…". */
const fakeGroupBuy = () => {
  const batches: Array<ReadonlyArray<string>> = []
  const service = {
    submitComments: ({ comments }: { roundId: string; comments: ReadonlyArray<GroupBuy.CommentInput> }) =>
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
  } as unknown as GroupBuy.GroupBuyService
  return { batches, layer: CommentBatcher.layer.pipe(Layer.provide(Layer.succeed(GroupBuy.GroupBuy, service))) }
}

describe("CommentBatcher", () => {
  it.live("deliveries arriving together are one batch, in arrival order; each caller gets its own outcomes", () => {
    const fake = fakeGroupBuy()
    return Effect.gen(function* () {
      const batcher = yield* CommentBatcher.CommentBatcher
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
    }).pipe(Effect.provide(fake.layer))
  })

  it.live("a failed batch is retried caller by caller: only the bad delivery fails", () => {
    const fake = fakeGroupBuy()
    return Effect.gen(function* () {
      const batcher = yield* CommentBatcher.CommentBatcher
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
    }).pipe(Effect.provide(fake.layer))
  })

  it.live("a delivery waiting when the batcher closes, or arriving after, is interrupted, never left hanging", () =>
    Effect.gen(function* () {
      const fake = fakeGroupBuy()
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(fake.layer, scope)
      const batcher = Context.get(context, CommentBatcher.CommentBatcher)
      const waiting = yield* Effect.forkChild(batcher.submit("r", [comment("waiting")]))
      yield* Effect.yieldNow
      yield* Scope.close(scope, Exit.void)
      expect(Exit.hasInterrupts(yield* Fiber.await(waiting))).toBe(true)
      expect(Exit.hasInterrupts(yield* Effect.exit(batcher.submit("r", [comment("late")])))).toBe(true)
      expect(fake.batches).toEqual([])
    })
  )
})
