/**
 * `kaituan reconcile` reads ORDERS.json exactly as the schema does (its fast path for the usual
 * shape changes nothing) and writes exactly `JSON.stringify(…, null, 2)`.
 */
import fs from "node:fs"
import path from "node:path"
import { Matcher } from "@kaituan/reconcile"
import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { encodeOrder, encodeTransaction, loadOrders } from "../src/commands/reconcile.js"
import { UsageError } from "../src/Io.js"
import { main } from "../src/main.js"
import { fixtures, runIo, tmpDir } from "./support.js"

const decode = Schema.decodeUnknownResult(Matcher.Order, { onExcessProperty: "ignore" })

const entry = fc.record(
  {
    orderId: fc.constantFrom("o1", "", 7, null),
    buyer: fc.oneof(
      fc.record(
        { id: fc.constantFrom("U1", "", 3), name: fc.constantFrom("王小明", "", null, 5), extra: fc.constant(1) },
        { requiredKeys: [] }
      ),
      fc.constantFrom(null, "U1", [])
    ),
    amountDue: fc.constantFrom(0, 1300, -1, 1.5, "1300", 2 ** 53, Number.MAX_SAFE_INTEGER),
    placedAt: fc.constantFrom("2024-05-01T10:05:00+08:00", "", 1),
    last5: fc.constantFrom("12345", "1234", "1234a", "１２３４５", 12345),
    paid: fc.constantFrom(0, 500, -1, 0.5, "0"),
    payments: fc.constantFrom([], [{ amount: 100 }], [{ amount: "x" }], null),
    note: fc.constant("kept out")
  },
  { requiredKeys: [] }
)

describe("kaituan reconcile: ORDERS.json", () => {
  it("every entry loads exactly as the schema decodes it, or is refused when the schema refuses it", () => {
    const dir = tmpDir()
    fc.assert(
      fc.property(entry, (e) => {
        fs.writeFileSync(path.join(dir, "o.json"), JSON.stringify([e]))
        const expected = decode(e)
        let loaded: ReadonlyArray<Matcher.Order> | UsageError
        try {
          loaded = loadOrders("o.json", dir)
        } catch (err) {
          if (!(err instanceof UsageError)) throw err
          loaded = err
        }
        if (Result.isFailure(expected)) expect(loaded).toBeInstanceOf(UsageError)
        else if (!(loaded instanceof UsageError)) {
          expect(loaded).toHaveLength(1)
          expect(loaded[0]).toStrictEqual(expected.success)
        } else expect(loaded.message).toMatch(/placedAt .* is not an ISO 8601 date-time/)
      }),
      { numRuns: 1500 }
    )
  })
})

const text = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 6 })
const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined })
const transaction = fc
  .record({
    row: optional(fc.nat()),
    date: text,
    time: optional(text),
    amount: fc.integer({ min: -1e7, max: 1e7 }),
    bankCode: optional(text),
    last5: optional(text),
    memo: text,
    status: fc.constantFrom("matched", "review", "unmatched", "ignored"),
    orderIds: fc.array(text, { maxLength: 3 }),
    reason: fc.constantFrom("exact-amount-and-identity", "money-out"),
    detail: optional(fc.constantFrom("partial", "overpaid")),
    explanation: text,
    candidates: optional(
      fc.array(
        fc.record({
          buyerId: text,
          orderIds: fc.array(text, { maxLength: 3 }),
          open: fc.integer(),
          fit: fc.constantFrom("exact", "short", "over", "paid"),
          identified: fc.boolean()
        }),
        { maxLength: 3 }
      )
    ),
    id: text
  })
  .map((t) => t as never)

describe("kaituan reconcile --json", () => {
  it("encodes a transaction and an order exactly as JSON.stringify(…, null, 2) does", () => {
    const indented = (v: unknown) => JSON.stringify(v, null, 2).replaceAll("\n", "\n    ")
    fc.assert(
      fc.property(transaction, (t) => {
        expect(encodeTransaction(t, "    ")).toBe(indented(t))
      }),
      { numRuns: 2000 }
    )
    const order = { orderId: "o1", status: "paid", due: 1300, paid: 1300 } as const
    expect(encodeOrder(order, "    ")).toBe(indented(order))
    // A field the encoder does not know, or another order of the fields, is still written as
    // JSON.stringify writes it (by the general encoder).
    const extra = { ...order, note: "x" } as never
    expect(encodeOrder(extra, "    ")).toBe(indented(extra))
    const reordered = { status: "paid", orderId: "o1", due: 1300, paid: 1300 } as const
    expect(encodeOrder(reordered, "    ")).toBe(indented(reordered))
    fc.assert(
      fc.property(transaction, (t) => {
        const more = { ...(t as object), later: [1, "二"] } as never
        expect(encodeTransaction(more, "    ")).toBe(indented(more))
        const { id, ...rest } = t as { id: string }
        const idFirst = { id, ...rest } as never
        expect(encodeTransaction(idFirst, "    ")).toBe(indented(idFirst))
      }),
      { numRuns: 200 }
    )
  })

  it("prints exactly JSON.stringify(report, null, 2)", async () => {
    const r = await runIo(main, [
      "reconcile",
      "--orders",
      path.join(fixtures, "orders.json"),
      "--statement",
      path.join(fixtures, "statement.csv"),
      "--json"
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`)
    expect(JSON.parse(r.stdout).transactions.map((t: { status: string }) => t.status)).toEqual([
      "matched",
      "ignored",
      "review",
      "matched"
    ])
  })
})
