/** The 規格 cell: any options written with names, values and aliases read back as written. */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { combinations, parseOptions } from "../src/internal/options.js"

const word = fc.stringMatching(
  /^[\u4e00-\u9fa5A-Za-z0-9][\u4e00-\u9fa5A-Za-z0-9 ]{0,4}[\u4e00-\u9fa5A-Za-z0-9]$|^[\u4e00-\u9fa5A-Za-z0-9]$/
)

describe("parseOptions", () => {
  it("reads back any options written as `name:value(alias,…)/…; …`", () => {
    const group = fc.record({
      name: word,
      values: fc.uniqueArray(fc.record({ value: word, aliases: fc.uniqueArray(word, { maxLength: 2 }) }), {
        minLength: 1,
        maxLength: 3,
        selector: (v) => v.value
      })
    })
    fc.assert(
      fc.property(fc.uniqueArray(group, { minLength: 1, maxLength: 3, selector: (g) => g.name }), (groups) => {
        const text = groups
          .map(
            (g) =>
              `${g.name}:${g.values.map((v) => (v.aliases.length > 0 ? `${v.value}(${v.aliases.join(",")})` : v.value)).join("/")}`
          )
          .join("; ")
        expect(parseOptions(text)).toEqual(groups)
        expect(combinations(groups)).toHaveLength(groups.reduce((n, g) => n * g.values.length, 1))
      })
    )
  })

  it("names what is wrong", () => {
    expect(parseOptions("紅")).toEqual([{ name: "規格", values: [{ value: "紅", aliases: [] }] }])
    expect(parseOptions("顏色：紅、白")).toEqual([
      {
        name: "顏色",
        values: [
          { value: "紅", aliases: [] },
          { value: "白", aliases: [] }
        ]
      }
    ])
    expect(parseOptions(":紅")).toBe('":紅" has no option name before the colon')
    expect(parseOptions("顏色:紅/紅")).toBe('the value "紅" of 顏色 is given twice')
    expect(parseOptions("顏色:紅; 顏色:白")).toBe("the option 顏色 is given twice")
    expect(parseOptions("顏色:(紅色)")).toBe('"(紅色)" has aliases but no value before the bracket')
  })
})
