/** The CSV writer: RFC 4180 quoting, CRLF rows, numbers as numbers, and the formula-injection guard on text only. */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Csv } from "../src/index.js"

describe("Csv", () => {
  it("neutralises text that starts like a formula, and only text", () => {
    expect(Csv.cell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(Csv.cell("+1")).toBe("'+1")
    expect(Csv.cell("-2")).toBe("'-2")
    expect(Csv.cell("@a")).toBe("'@a")
    expect(Csv.cell("\tx")).toBe("'\tx")
    expect(Csv.cell("\rx")).toBe(`"'\rx"`)
    expect(Csv.cell(-2)).toBe("-2")
    expect(Csv.cell(Number.NaN)).toBe("")
    expect(Csv.cell("紅,白")).toBe('"紅,白"')
    expect(Csv.row(["a", 1])).toBe("a,1\r\n")
    expect(Csv.BOM).toBe("\uFEFF")
  })

  it("never writes a text cell a spreadsheet would run", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const written = Csv.text(s)
        const shown = written.startsWith('"') ? written.slice(1, -1).replaceAll('""', '"') : written
        expect(shown).not.toMatch(/^[=+\-@\t\r]/)
        expect(shown === s || shown === `'${s}`).toBe(true)
      })
    )
  })
})
