import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Lru from "../src/internal/Lru.js"

/** The reference: a Map in recency order (the implementation before the linked list). */
const reference = <V>(options: { readonly maxEntries: number; readonly ttlMs: number }): Lru.Lru<V> => {
  const map = new Map<string, { readonly value: V; readonly expiresAt: number }>()
  const max = Math.max(1, Math.floor(options.maxEntries))
  return {
    get: (key, nowMs) => {
      const hit = map.get(key)
      if (hit === undefined) return undefined
      map.delete(key)
      if (hit.expiresAt <= nowMs) return undefined
      map.set(key, hit)
      return hit.value
    },
    set: (key, value, nowMs) => {
      map.delete(key)
      map.set(key, { value, expiresAt: nowMs + options.ttlMs })
      while (map.size > max) map.delete(map.keys().next().value!)
    },
    delete: (key) => {
      map.delete(key)
    },
    size: () => map.size,
    clear: () => map.clear()
  }
}

/** Mostly small steps of time, now and then a long one (expiry). */
const dt = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 9 },
  { arbitrary: fc.integer({ min: 0, max: 200 }), weight: 1 }
)
const anyKey = fc.integer({ min: 0, max: 4 })
const op = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("get" as const), key: anyKey, dt }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant("set" as const), key: anyKey, dt }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), key: anyKey, dt: fc.constant(0) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("clear" as const), key: fc.constant(0), dt: fc.constant(0) }), weight: 1 }
)

describe("Lru", () => {
  it("behaves as the Map-in-recency-order reference: gets, expiry, least-recently-used eviction", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 200 }),
        fc.array(op, { maxLength: 60 }),
        (maxEntries, ttlMs, ops) => {
          const lru = Lru.make<number>({ maxEntries, ttlMs })
          const ref = reference<number>({ maxEntries, ttlMs })
          let now = 0
          ops.forEach(({ op, key, dt }, i) => {
            now += dt
            const k = `k${key}`
            if (op === "get") expect(lru.get(k, now)).toBe(ref.get(k, now))
            else if (op === "set") {
              lru.set(k, i, now)
              ref.set(k, i, now)
            } else if (op === "delete") {
              lru.delete(k)
              ref.delete(k)
            } else {
              lru.clear()
              ref.clear()
            }
            expect(lru.size()).toBe(ref.size())
          })
          for (let key = 0; key < 5; key++) expect(lru.get(`k${key}`, now)).toBe(ref.get(`k${key}`, now))
        }
      ),
      { numRuns: 500 }
    )
  })
})
