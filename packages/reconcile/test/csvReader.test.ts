import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { parseAll, plainRows } from "../src/internal/text.js"

// The one-pass reader must read every text it accepts exactly as csv-parse does, and hand
// everything else back to csv-parse. Texts are made from the characters that matter to CSV.
const chars = fc.constantFrom("a", "1", " ", "中", ",", ";", "\t", '"', "\r", "\n", "=", "\r\n")
const anyText = fc.array(chars, { maxLength: 40 }).map((cs) => cs.join(""))
const delimiter = fc.constantFrom(",", ";", "\t")
const range = fc.record({
  fromLine: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  toLine: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined })
})

const viaCsvParse = (text: string, d: string, r: { fromLine?: number | undefined; toLine?: number | undefined }) => {
  try {
    return parseAll(text, d, r, 0).map((row) => ({ line: row.line, cells: [...row.cells] }))
  } catch {
    return "error"
  }
}

// Plain bank exports: simple or quoted fields (with "" inside), one kind of line ending.
const field = fc.oneof(
  fc.stringMatching(/^[a-z0-9 中.\-/]{0,6}$/),
  fc.stringMatching(/^[a-z0-9 ,;中]{0,6}$/).map((s) => `"${s.replaceAll('"', '""')}"`),
  fc.constant('"a""b"')
)
const plainText = fc
  .tuple(
    fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
    fc.constantFrom("\n", "\r\n"),
    fc.boolean()
  )
  .map(([rows, eol, trailing]) => ({ rows, eol, trailing }))

describe("the plain CSV reader", () => {
  it("gives csv-parse's rows and line numbers whenever it accepts a text", () => {
    fc.assert(
      fc.property(anyText, delimiter, range, (text, d, r) => {
        const plain = plainRows(text, d, r)
        if (plain === undefined) return
        expect(plain.map((row) => ({ line: row.line, cells: [...row.cells] }))).toEqual(viaCsvParse(text, d, r))
      }),
      { numRuns: 2000 }
    )
  })

  it("accepts plain exports (and agrees with csv-parse on them)", () => {
    fc.assert(
      fc.property(plainText, fc.constantFrom(",", "\t"), ({ rows, eol, trailing }, d) => {
        const text =
          rows.map((cells) => cells.map((c) => (d === "\t" ? c.replaceAll("\t", " ") : c)).join(d)).join(eol) +
          (trailing ? eol : "")
        const plain = plainRows(text, d)
        expect(plain).toBeDefined()
        expect(plain!.map((row) => [...row.cells])).toEqual(
          (viaCsvParse(text, d, {}) as Array<{ cells: Array<string> }>).map((row) => row.cells)
        )
      })
    )
  })

  it("hands a line break inside quotes back to csv-parse", () => {
    expect(plainRows('a,"b\nc",d\n', ",")).toBeUndefined()
  })
})
