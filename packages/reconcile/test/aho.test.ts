import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { build } from "../src/internal/aho.js"

const naive = (patterns: ReadonlyArray<string>, text: string) => {
  const hits: Array<string> = []
  patterns.forEach((p, i) => {
    if (p === "") return
    for (let at = text.indexOf(p); at >= 0; at = text.indexOf(p, at + 1)) hits.push(`${i}@${at + p.length}`)
  })
  return hits.sort()
}

describe("Aho–Corasick", () => {
  it("finds overlapping names and ids", () => {
    const a = build(["王小明", "小明", "o1", "o12"])
    expect(
      a
        .search("付款 王小明 o12")
        .map((h) => `${h.pattern}@${h.end}`)
        .sort()
    ).toEqual(["0@6", "1@6", "2@9", "3@10"])
  })

  it("finds exactly what a naive search finds, also past wide (many-children) nodes", () => {
    fc.assert(
      fc.property(
        fc.record({
          patterns: fc.array(
            fc.string({
              unit: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "王", "明"),
              maxLength: 4
            }),
            {
              maxLength: 30
            }
          ),
          text: fc.string({
            unit: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "王", "明", " "),
            maxLength: 40
          })
        }),
        ({ patterns, text }) => {
          const a = build(patterns)
          expect(
            a
              .search(text)
              .map((h) => `${h.pattern}@${h.end}`)
              .sort()
          ).toEqual(naive(patterns, text))
        }
      )
    )
  })
})
