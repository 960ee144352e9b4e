import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { StringSet } from "../src/internal/StringSet.js"

type Op = { readonly op: "add" | "delete" | "has"; readonly key: string; readonly value?: string | undefined }

/** Few distinct keys (so adds meet existing keys and deletes find them) and many operations. */
const arbOps = (keys: fc.Arbitrary<string>) =>
  fc.array(
    fc.record(
      {
        op: fc.constantFrom<Op["op"]>("add", "add", "delete", "has"),
        key: keys,
        value: fc.option(fc.constantFrom("", "a", "round r1", "x:y"), { nil: undefined })
      },
      { requiredKeys: ["op", "key"] }
    ),
    { maxLength: 3000 }
  )

/** Holds the set to a Map: membership, size, and the value kept with each key (the first add's). */
const run = (ops: ReadonlyArray<Op>, capacity?: number) => {
  const model = new Map<string, string>()
  const set = new StringSet(capacity)
  for (const { op, key, value } of ops) {
    if (op === "add") {
      expect(set.add(key, value)).toBe(!model.has(key))
      if (!model.has(key)) model.set(key, value ?? "")
    } else if (op === "delete") {
      expect(set.delete(key)).toBe(model.has(key))
      model.delete(key)
    } else expect(set.has(key)).toBe(model.has(key))
    expect(set.size).toBe(model.size)
    expect(set.get(key)).toBe(model.get(key))
  }
  // Every key still there is found with its value, and none that left is.
  for (const { key } of ops) {
    expect(set.has(key)).toBe(model.has(key))
    expect(set.get(key)).toBe(model.get(key))
  }
}

describe("StringSet (the memory store's idempotency keys)", () => {
  it("answers as a Map of first values does, through adds, deletes and growth", () => {
    fc.assert(fc.property(fc.tuple(arbOps(fc.string({ maxLength: 4 }))), ([ops]) => run(ops)))
  })

  it("answers as a Map does when keys collide on their slots (deletes shift runs back, values with them)", () => {
    // A table that starts at 2 or 4 slots and stays half full: long probe runs that wrap around.
    fc.assert(
      fc.property(
        fc.tuple(arbOps(fc.integer({ min: 0, max: 40 }).map((n) => `comment:r:line:m${n}`)), fc.constantFrom(2, 4)),
        ([ops, capacity]) => run(ops, capacity)
      )
    )
  })

  it("holds 200,000 keys, finds each, and loses none when half leave", () => {
    const set = new StringSet()
    let added = 0
    for (let i = 0; i < 200_000; i++) if (set.add(`k${i}`)) added++
    expect(added).toBe(200_000)
    expect(set.has("k200000")).toBe(false)
    let deleted = 0
    for (let i = 0; i < 200_000; i += 2) if (set.delete(`k${i}`)) deleted++
    expect([deleted, set.size]).toEqual([100_000, 100_000])
    const wrong: Array<number> = []
    for (let i = 0; i < 200_000; i++) if (set.has(`k${i}`) !== (i % 2 === 1)) wrong.push(i)
    expect(wrong).toEqual([])
  })
})
