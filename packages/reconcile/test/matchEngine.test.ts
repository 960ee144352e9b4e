import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Matcher } from "../src/index.js"
import * as Engine from "../src/internal/matchEngine.js"

// `internal/matchEngine.ts` is the matcher's engine behind `Matcher.match` (one closure over
// mutable per-run state). The rules are checked through the public API in Matcher.test.ts and
// Matcher.properties.test.ts; here: the public functions are the engine's, and no run leaks into
// another (interleaved runs give each input's result run alone).

const NAMES = ["王小明", "陳大華", "Amy Chen"]
const LAST5 = ["11111", "22222", "33333"]

const worldArb = fc
  .record({
    orders: fc.array(
      fc.record({
        buyer: fc.nat({ max: NAMES.length - 1 }),
        due: fc.constantFrom(300, 500, 800),
        last5: fc.option(fc.constantFrom(...LAST5), { nil: undefined })
      }),
      { maxLength: 8 }
    ),
    txs: fc.array(
      fc.record({
        amount: fc.constantFrom(300, 500, 800, 1100, -300, 0),
        last5: fc.option(fc.constantFrom(...LAST5), { nil: undefined }),
        memo: fc.constantFrom("", ...NAMES, "o1", "o2"),
        day: fc.constantFrom("2024-04-01", "2024-04-02", "2024-04-03")
      }),
      { maxLength: 10 }
    )
  })
  .map(
    (w): Matcher.Input => ({
      orders: w.orders.map((o, i) => ({
        orderId: `o${i + 1}`,
        buyer: { id: `B${o.buyer}`, name: NAMES[o.buyer]! },
        amountDue: o.due,
        placedAt: "2024-04-01T08:00:00+08:00",
        last5: o.last5
      })),
      transactions: w.txs.map((t, i) => ({
        id: `t${i + 1}`,
        source: "statement" as const,
        date: t.day,
        at: `${t.day}T12:00:00+08:00`,
        amount: t.amount,
        last5: t.last5,
        memo: t.memo
      }))
    })
  )

describe("internal/matchEngine", () => {
  it("is what Matcher.match and Matcher.describe run", () => {
    fc.assert(
      fc.property(worldArb, (input) => {
        const r = Matcher.match(input)
        expect(Engine.run(input)).toEqual(r)
        for (const d of r.decisions) expect(Matcher.describe(d.evidence)).toBe(Engine.describe(d.evidence))
      }),
      { numRuns: 100 }
    )
  })

  it("keeps nothing between runs: runs of several inputs, interleaved, give each input's own result", () => {
    fc.assert(
      fc.property(fc.array(worldArb, { minLength: 2, maxLength: 4 }), (inputs) => {
        const alone = inputs.map((i) => JSON.stringify(Engine.run(i)))
        const again = [...inputs].reverse().map((i) => JSON.stringify(Engine.run(i)))
        expect(again.reverse()).toEqual(alone)
      }),
      { numRuns: 100 }
    )
  })
})
