import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Cache } from "../src/index.js"

/**
 * The reference: a Map kept in recency order (least recent first), each value with the time it
 * expires: what the linked-list LRU must behave as, operation for operation.
 */
const reference = <K, V>(options: { readonly maxEntries: number; readonly ttlMs?: number | undefined }) => {
  const map = new Map<K, { readonly value: V; readonly expiresAt: number }>()
  const max = Math.max(1, Math.floor(options.maxEntries))
  const ttl = options.ttlMs ?? Number.POSITIVE_INFINITY
  const live = (key: K, now: number) => {
    const hit = map.get(key)
    if (hit === undefined) return undefined
    if (hit.expiresAt <= now) {
      map.delete(key)
      return undefined
    }
    return hit
  }
  return {
    get: (key: K, now: number) => {
      const hit = live(key, now)
      if (hit === undefined) return undefined
      map.delete(key)
      map.set(key, hit)
      return hit.value
    },
    peek: (key: K, now: number) => live(key, now)?.value,
    has: (key: K, now: number) => live(key, now) !== undefined,
    set: (key: K, value: V, now: number, ttlMs: number = ttl) => {
      map.delete(key)
      map.set(key, { value, expiresAt: now + Math.max(0, ttlMs) })
      while (map.size > max) map.delete(map.keys().next().value as K)
    },
    delete: (key: K) => map.delete(key),
    size: () => map.size,
    clear: () => map.clear(),
    prune: (now: number) => {
      let n = 0
      for (const [k, e] of map)
        if (e.expiresAt <= now) {
          map.delete(k)
          n++
        }
      return n
    },
    entries: (now: number) => [...map].filter(([, e]) => e.expiresAt > now).map(([k, e]) => [k, e.value])
  }
}

/** Mostly small steps of time, now and then a long one (expiry). */
const dt = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 9 },
  { arbitrary: fc.integer({ min: 0, max: 200 }), weight: 1 }
)
const anyKey = fc.integer({ min: 0, max: 5 })
const op = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("get" as const), key: anyKey, dt }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant("peek" as const), key: anyKey, dt }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("has" as const), key: anyKey, dt }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("set" as const), key: anyKey, dt }), weight: 8 },
  {
    arbitrary: fc.record({
      op: fc.constant("setTtl" as const),
      key: anyKey,
      dt,
      ttl: fc.integer({ min: 0, max: 100 })
    }),
    weight: 2
  },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), key: anyKey, dt: fc.constant(0) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("prune" as const), key: fc.constant(0), dt }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant("clear" as const), key: fc.constant(0), dt: fc.constant(0) }), weight: 1 }
)

describe("Cache", () => {
  it("behaves as a Map in recency order: gets, peeks, expiry, per-entry TTLs, least-recently-used eviction", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
        fc.array(op, { maxLength: 80 }),
        (maxEntries, ttlMs, ops) => {
          const cache = Cache.make<string, number>({ maxEntries, ttlMs })
          const ref = reference<string, number>({ maxEntries, ttlMs })
          let now = 0
          ops.forEach((o, i) => {
            now += o.dt
            const k = `k${o.key}`
            switch (o.op) {
              case "get":
                expect(cache.get(k, now)).toBe(ref.get(k, now))
                break
              case "peek":
                expect(cache.peek(k, now)).toBe(ref.peek(k, now))
                break
              case "has":
                expect(cache.has(k, now)).toBe(ref.has(k, now))
                break
              case "set":
                cache.set(k, i, now)
                ref.set(k, i, now)
                break
              case "setTtl":
                cache.set(k, i, now, (o as { ttl: number }).ttl)
                ref.set(k, i, now, (o as { ttl: number }).ttl)
                break
              case "delete":
                expect(cache.delete(k)).toBe(ref.delete(k))
                break
              case "prune":
                expect(cache.prune(now)).toBe(ref.prune(now))
                break
              case "clear":
                cache.clear()
                ref.clear()
            }
            expect(cache.size()).toBe(ref.size())
            expect(cache.size()).toBeLessThanOrEqual(Math.max(1, maxEntries))
          })
          expect([...cache.entries(now)]).toEqual(ref.entries(now))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("without a TTL nothing expires, and the time argument may be left out", () => {
    const cache = Cache.make<number, string>({ maxEntries: 2 })
    cache.set(1, "a")
    cache.set(2, "b")
    expect(cache.get(1, Number.MAX_SAFE_INTEGER)).toBe("a")
    cache.set(3, "c") // evicts 2, the least recently used
    expect([...cache.entries()]).toEqual([
      [1, "a"],
      [3, "c"]
    ])
    expect(cache.maxEntries).toBe(2)
  })
})
