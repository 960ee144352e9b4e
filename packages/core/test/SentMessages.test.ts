import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { SentMessages } from "../src/index.js"

describe("SentMessages", () => {
  it.effect("once sends a message id once and gives back the first result after", () =>
    Effect.gen(function* () {
      const sent = SentMessages.make()
      let calls = 0
      const send = Effect.sync(() => ({ platformMessageId: `p${++calls}` }))
      expect(yield* sent.once("m1", send)).toEqual({ platformMessageId: "p1" })
      expect(yield* sent.once("m1", send)).toEqual({ platformMessageId: "p1" })
      expect(yield* sent.once("m2", send)).toEqual({ platformMessageId: "p2" })
      expect(calls).toBe(2)
    })
  )

  it.effect("a failed send is not remembered, so a retry sends again", () =>
    Effect.gen(function* () {
      const sent = SentMessages.make()
      let calls = 0
      const flaky = Effect.suspend(() => (++calls === 1 ? Effect.fail("down" as const) : Effect.succeed({})))
      expect(yield* Effect.flip(sent.once("m1", flaky))).toBe("down")
      expect(sent.get("m1")).toBeUndefined()
      expect(yield* sent.once("m1", flaky)).toEqual({})
      expect(calls).toBe(2)
    })
  )

  it("keeps the most recent maxEntries results, forgetting the oldest first", () => {
    const sent = SentMessages.make(2)
    sent.remember("a", { platformMessageId: "1" })
    sent.remember("b", { platformMessageId: "2" })
    sent.remember("a", { platformMessageId: "3" })
    sent.remember("c", { platformMessageId: "4" })
    expect(sent.size()).toBe(2)
    expect(sent.get("b")).toBeUndefined()
    expect(sent.get("a")).toEqual({ platformMessageId: "3" })
    expect(sent.get("c")).toEqual({ platformMessageId: "4" })
  })

  it("remembers exactly what a plain most-recent-first model remembers", () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"), { maxLength: 3000 })
        ),
        ([max, ids]) => {
          const sent = SentMessages.make(max)
          const model: Array<[string, string]> = [] // oldest first
          for (const [i, id] of ids.entries()) {
            sent.remember(id, { platformMessageId: String(i) })
            const at = model.findIndex(([k]) => k === id)
            if (at >= 0) model.splice(at, 1)
            model.push([id, String(i)])
            if (model.length > max) model.shift()
          }
          expect(sent.size()).toBe(model.length)
          for (const id of "abcdefghij") {
            const hit = model.find(([k]) => k === id)
            expect(sent.get(id)).toEqual(hit ? { platformMessageId: hit[1] } : undefined)
          }
        }
      )
    )
  })
})
