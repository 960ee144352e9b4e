import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Webhooks from "../src/server/Webhooks.js"

/** The reference: a Set in insertion order, the oldest dropped past capacity (the implementation before the ring). */
const reference = (capacity: number): Webhooks.SeenEvents => {
  const keys = new Set<string>()
  return {
    has: (key) => keys.has(key),
    add: (key) => {
      if (keys.has(key)) return
      keys.add(key)
      if (keys.size > capacity) keys.delete(keys.values().next().value!)
    }
  }
}

describe("SeenEvents", () => {
  it("remembers the most recent `capacity` delivery ids, as the Set-in-insertion-order reference", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 })), { maxLength: 80 }),
        (capacity, ops) => {
          const seen = Webhooks.makeSeenEvents(capacity)
          const ref = reference(capacity)
          for (const [add, k] of ops) {
            const key = `line:e${k}`
            if (add) {
              seen.add(key)
              ref.add(key)
            } else expect(seen.has(key)).toBe(ref.has(key))
          }
          for (let k = 0; k < 10; k++) expect(seen.has(`line:e${k}`)).toBe(ref.has(`line:e${k}`))
        }
      ),
      { numRuns: 500 }
    )
  })
})
