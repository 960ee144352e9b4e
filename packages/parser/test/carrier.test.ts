/**
 * The `carrier` intent (docs/parsing.md, 載具): a buyer's e-invoice carrier, mobile barcode,
 * love code or company 統編, is recognised as its own intent with the code in the tax authority's
 * format; a malformed code is still `carrier` (no code: the buyer is told the format); a carrier
 * with an order beside it goes to review. Property: no carrier message ever yields order lines.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Parser } from "../src/index.js"
import * as C from "./catalogues.js"

const parsers = [C.single, C.colours, C.sizes, C.numbered, C.codes, C.mixed].flatMap((catalogue) =>
  (["marker", "lenient"] as const).map((mode) => Parser.compile({ catalogue, settings: { mode } }))
)
const p = Parser.compile({ catalogue: C.colours })

describe("the carrier intent (載具)", () => {
  it.each([
    ["載具 /ABC+123", { mobileBarcode: "/ABC+123" }],
    ["手機條碼 /ABC1234", { mobileBarcode: "/ABC1234" }],
    ["手機條碼：/abc.-12", { mobileBarcode: "/ABC.-12" }],
    ["載具／ＡＢＣ＋１２３", { mobileBarcode: "/ABC+123" }],
    ["/ABC+123", { mobileBarcode: "/ABC+123" }],
    ["捐贈碼 168001", { loveCode: "168001" }],
    ["愛心碼:919", { loveCode: "919" }],
    ["統編 12345678", { taxId: "12345678" }],
    ["統一編號是12345678 載具/ABC+123 謝謝", { taxId: "12345678", mobileBarcode: "/ABC+123" }],
    ["麻煩幫我開發票 載具 /ABC+123 ～", { mobileBarcode: "/ABC+123" }],
    ["載具 abc+123", { mobileBarcode: "/ABC+123" }]
  ])("%s → carrier", (text, carrier) => {
    const r = p.parse(text)
    expect(r.intent).toBe("carrier")
    expect(r.lines).toEqual([])
    expect(r.carrier).toEqual(carrier)
    for (const s of r.spans) expect(s.kind).toBe("carrier")
  })

  it.each(["載具 /AB", "手機條碼 /ABC12345", "捐贈碼 12", "統編 1234567", "捐贈碼 168001 統編 12345678"])(
    "%s → carrier with no code (a format that is not valid)",
    (text) => {
      const r = p.parse(text)
      expect(r.intent).toBe("carrier")
      expect(r.carrier).toBeUndefined()
      expect(r.reason).toContain("not valid")
    }
  )

  it("a carrier beside an order goes to review; carrier words without a code are read as usual", () => {
    const both = p.parse("紅+2 載具/ABC+123")
    expect(both).toMatchObject({ intent: "review", lines: [], likely: "order" })
    expect(p.parse("可以用載具嗎").intent).not.toBe("carrier")
    expect(p.parse("紅+2").intent).toBe("order")
    expect(p.parse("/ABC").intent).not.toBe("carrier")
  })

  it("property: no carrier message yields order lines, in any catalogue or mode", () => {
    const code = fc.stringMatching(/^[0-9A-Za-z.+-]{1,9}$/)
    const word = fc.constantFrom("載具", "手機條碼", "手機載具", "捐贈碼", "愛心碼", "統編", "統一編號", "條碼載具")
    const sep = fc.constantFrom("", " ", ":", "：", " 是 ", "　")
    const filler = fc.constantFrom("", " 謝謝", "麻煩 ", "請用", "～", "!", "+1", "紅+2 ", "#1 x2 ")
    const message = fc
      .tuple(filler, word, sep, fc.constantFrom("/", "", "／"), code, filler)
      .map(([a, w, s, slash, c, b]) => `${a}${w}${s}${slash}${c}${b}`)
    fc.assert(
      fc.property(message, (text) => {
        for (const parser of parsers) {
          const r = parser.parse(text)
          expect(r.intent === "carrier" || r.intent === "review").toBe(true)
          expect(r.lines).toEqual([])
          expect(r.intent === "order" || r.intent === "amend" || r.intent === "cancel").toBe(false)
        }
      })
    )
  })
})
