/**
 * The shared command-line mechanisms: "did you mean", JSON errors that say where, and the output
 * encoders and table widths that must give exactly the bytes of the slow, general ones.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import stringWidth from "string-width"
import { didYouMean, editDistance, jsonErrorOffset, jsonString, lineAndColumn, prettyJson } from "../src/Io.js"
import { displayWidth, table } from "../src/Table.js"

describe("did you mean", () => {
  it("edit distance counts insertions, deletions, substitutions and swaps", () => {
    expect(editDistance("stok", "stock")).toBe(1)
    expect(editDistance("cutof", "cutoff")).toBe(1)
    expect(editDistance("stcok", "stock")).toBe(1)
    expect(editDistance("", "abc")).toBe(3)
    expect(editDistance("kitten", "sitting")).toBe(3)
  })

  it("suggests the close candidate, ignoring case, or the only one a prefix names, else nothing", () => {
    const keys = ["id", "title", "cutoff", "maxQtyPerLine", "products", "partialFill", "preorder"]
    expect(didYouMean("cutof", keys)).toBe("cutoff")
    expect(didYouMean("Title", keys)).toBe("title")
    expect(didYouMean("prodcuts", keys)).toBe("products")
    expect(didYouMean("maxQty", keys)).toBe("maxQtyPerLine")
    expect(didYouMean("colour", keys)).toBeUndefined()
    expect(didYouMean("p", keys)).toBeUndefined()
  })
})

describe("JSON errors", () => {
  it("the offset is -1 exactly for the texts JSON.parse accepts", () => {
    const valid = fc
      .tuple(fc.jsonValue(), fc.constantFrom(undefined, 0, 2, "\t"))
      .map(([v, gap]) => JSON.stringify(v, null, gap))
    const mutated = fc
      .tuple(
        valid,
        fc.nat(),
        fc.constantFrom("", ",", "}", "]", '"', ":", "\\", "\n", "x", "0", "-", " ", "\u0001"),
        fc.boolean()
      )
      .map(([s, at, c, replace]) => {
        const i = s.length === 0 ? 0 : at % s.length
        return s.slice(0, i) + c + s.slice(replace ? i + 1 : i)
      })
    fc.assert(
      fc.property(fc.oneof(valid, mutated, fc.string()), (s) => {
        let ok = true
        try {
          JSON.parse(s)
        } catch {
          ok = false
        }
        const at = jsonErrorOffset(s)
        expect(at === -1).toBe(ok)
        if (!ok) expect(at).toBeLessThanOrEqual(s.length)
      }),
      { numRuns: 3000 }
    )
  })

  it("finds the first bad character, and survives deep nesting", () => {
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8)
    expect(jsonErrorOffset("[1, 2")).toBe(5)
    expect(jsonErrorOffset('"abc')).toBe(4)
    expect(jsonErrorOffset("01")).toBe(1)
    expect(jsonErrorOffset('{"a" 1}')).toBe(5)
    expect(jsonErrorOffset("[".repeat(200_000))).toBe(200_000)
    expect(jsonErrorOffset(`${"[".repeat(200_000)}${"]".repeat(200_000)}`)).toBe(-1)
    expect(lineAndColumn("ab\ncd\nef", 7)).toBe("line 3, column 2")
  })
})

const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

describe("output encoders are byte for byte the general ones", () => {
  it("jsonString is JSON.stringify for any string, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: codeUnit }), fc.string({ unit: "grapheme" })), (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s))
      }),
      { numRuns: 3000 }
    )
  })

  const value = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.jsonValue({ maxDepth: 1 }),
      fc.constant(undefined),
      fc.double(),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: codeUnit, maxLength: 4 }), tie("value"), { maxKeys: 4 })
    )
  })).value

  it("prettyJson is JSON.stringify(v, null, 2)", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(prettyJson(v)).toBe(JSON.stringify(v, null, 2))
      }),
      { numRuns: 2000 }
    )
    expect(prettyJson({ at: new Date(0), n: Number.NaN, f: () => 1 })).toBe(
      JSON.stringify({ at: new Date(0), n: Number.NaN, f: () => 1 }, null, 2)
    )
  })
})

describe("table widths", () => {
  const pieces = [
    "a",
    "Z",
    "9",
    " ",
    "-",
    "王",
    "小明",
    "團購",
    "…",
    "×",
    "─",
    "ｘ",
    "，",
    "。",
    "가",
    "ア",
    "\u0301",
    "\u200d",
    "\ufe0f",
    "😀",
    "👍🏽",
    "🇹🇼",
    "\u1100",
    "\u1161",
    "\u11a8",
    "\u0007",
    "\r\n",
    "\u001b[31m",
    "\u00ad",
    "\u3099",
    "\uff9e",
    "\u0e33",
    "\u093e"
  ]
  it("displayWidth is string-width's answer", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((xs) => xs.join("")),
          fc.string({ unit: codeUnit, maxLength: 8 }),
          fc.string({ unit: "grapheme", maxLength: 8 })
        ),
        (s) => {
          expect(displayWidth(s)).toBe(stringWidth(s))
        }
      ),
      { numRuns: 5000 }
    )
  })

  it("pads Chinese to its width and aligns numbers right", () => {
    expect(
      table(
        ["name", "qty"],
        [
          ["王小明", 2],
          ["Amy", 10]
        ]
      )
    ).toBe("name    qty\n──────  ───\n王小明    2\nAmy      10")
  })
})
