import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { PrivateReplies } from "../src/index.js"

describe("PrivateReplies", () => {
  it("refuses after exactly 7 days, not before", () => {
    const at = Date.parse("2024-05-01T00:00:00Z")
    expect(
      PrivateReplies.refusal({ commentId: "c", commentAtMs: at, nowMs: at + PrivateReplies.windowMs })
    ).toBeUndefined()
    const why = PrivateReplies.refusal({ commentId: "c", commentAtMs: at, nowMs: at + PrivateReplies.windowMs + 1 })
    expect(why).toContain("within 7 days")
    expect(why).toContain("2024-05-01T00:00:00.000Z")
  })

  it.effect("the memory store forgets comments and claims older than its retention, by the Effect clock", () =>
    Effect.gen(function* () {
      const day = 24 * 60 * 60 * 1000
      const store = PrivateReplies.makeMemory({ retainMs: 8 * day })
      yield* TestClock.adjust(day)
      yield* store.noteComment("old", day)
      expect(yield* store.claim("old", "m1", day)).toBeUndefined()
      yield* TestClock.adjust(8 * day + 1)
      yield* store.noteComment("new", 9 * day + 1)
      expect(yield* store.commentTime("old")).toBeUndefined()
      expect(store.claims.has("old")).toBe(false)
      expect(yield* store.commentTime("new")).toBe(9 * day + 1)
    })
  )

  it.effect("the memory store claims once, completes, releases and remembers comment times", () =>
    Effect.gen(function* () {
      const store = PrivateReplies.makeMemory()
      expect(yield* store.commentTime("c1")).toBeUndefined()
      yield* store.noteComment("c1", 123)
      expect(yield* store.commentTime("c1")).toBe(123)
      expect(yield* store.claim("c1", "m1", 1)).toBeUndefined()
      expect(yield* store.claim("c1", "m2", 2)).toEqual({ outboundId: "m1", at: 1, sent: false })
      yield* store.release("c1", "m2") // not the holder: no effect
      expect(yield* store.claim("c1", "m1", 3)).toEqual({ outboundId: "m1", at: 1, sent: false })
      yield* store.complete("c1", "m1", "mid")
      expect(yield* store.claim("c1", "m2", 4)).toEqual({
        outboundId: "m1",
        at: 1,
        sent: true,
        platformMessageId: "mid"
      })
      expect(yield* store.claim("c2", "m3", 5)).toBeUndefined()
      yield* store.release("c2", "m3")
      expect(yield* store.claim("c2", "m4", 6)).toBeUndefined()
    })
  )

  it.effect("the memory store is bounded: beyond maxEntries the least recently used claim and time are forgotten", () =>
    Effect.gen(function* () {
      const store = PrivateReplies.makeMemory({ maxEntries: 2 })
      for (const c of ["c1", "c2", "c3"]) {
        yield* store.noteComment(c, 1)
        yield* store.claim(c, `m-${c}`, 1)
      }
      expect(yield* store.commentTime("c1")).toBeUndefined()
      expect(yield* store.commentTime("c3")).toBe(1)
      expect([...store.claims.keys()]).toEqual(["c2", "c3"])
    })
  )
})
