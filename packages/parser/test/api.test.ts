/** The public API: the port's layer, the convenience parse, settings, and spans. */
import { describe, expect, it } from "@effect/vitest"
import { CommentParser, ParseResult } from "@kaituan/core"
import { Effect } from "effect"
import { Parser } from "../src/index.js"
import * as C from "./catalogues.js"

describe("Parser", () => {
  it.effect("is the default CommentParser layer", () =>
    Effect.gen(function* () {
      const port = yield* CommentParser.CommentParser
      const compiled = port.compile({ catalogue: C.colours, settings: ParseResult.defaultSettings })
      const r = compiled.parse("紅色+2")
      expect(r.intent).toBe("order")
      expect(r.lines).toEqual([{ sku: "SOCK-R", qty: 2 }])
    }).pipe(Effect.provide(Parser.layer))
  )

  it("parse() compiles and parses in one call", () => {
    expect(Parser.parse("+1", C.single).lines).toEqual([{ sku: "EGG", qty: 1 }])
    expect(Parser.parse("蛋黃酥x2", C.single, { mode: "lenient" }).intent).toBe("order")
    expect(Parser.parse("蛋黃酥x2", C.single).intent).toBe("review")
  })

  it("results decode with core's ParseResult schema", () => {
    const p = Parser.compile({ catalogue: C.mixed })
    for (const text of ["紅+1 白+2", "已匯款 980 後五碼12345", "取消", "改+3", "紫+1", "hello"]) {
      const r = p.parse(text)
      expect(ParseResult.ParseResult.make(r)).toEqual(r)
    }
  })

  it("maxQtyPerLine is the per-line limit", () => {
    const p = Parser.compile({ catalogue: C.single, settings: { maxQtyPerLine: 5 } })
    expect(p.parse("+5").intent).toBe("order")
    expect(p.parse("+6").intent).toBe("review")
    expect(p.parse("+6").reason).toContain("limit of 5")
  })

  it("extraMarkers count like +, extraFillers are not names", () => {
    const plain = Parser.compile({ catalogue: C.colours })
    const custom = Parser.compile({
      catalogue: C.colours,
      settings: { extraMarkers: ["喊"], extraFillers: ["姐姐", "阿姨"] }
    })
    expect(plain.parse("紅喊2").intent).toBe("review")
    expect(custom.parse("紅喊2").lines).toEqual([{ sku: "SOCK-R", qty: 2 }])
    expect(custom.parse("紅 喊").intent).toBe("review")
    expect(plain.parse("姐姐紅+1").intent).toBe("order")
    expect(plain.parse("紅 姐姐+1").intent).toBe("review")
    expect(custom.parse("紅 姐姐+1").lines).toEqual([{ sku: "SOCK-R", qty: 1 }])
    expect(custom.parse("阿姨 +1 紅").lines).toEqual([{ sku: "SOCK-R", qty: 1 }])
  })

  it("spans point into the original text", () => {
    const text = "＠小美 紅色＋２ 謝謝"
    const r = Parser.compile({ catalogue: C.colours }).parse(text)
    const kinds = r.spans.map((s) => [text.slice(s.start, s.end), s.kind])
    expect(kinds).toContainEqual(["紅色", "option"])
    expect(kinds).toContainEqual(["＋２", "marker"])
    expect(kinds).toContainEqual(["謝謝", "filler"])
  })

  it("payment spans mark amount and last5", () => {
    const text = "已匯款 980元 後五碼12345"
    const r = Parser.compile({ catalogue: C.single }).parse(text)
    const kinds = r.spans.map((s) => [text.slice(s.start, s.end), s.kind])
    expect(kinds).toContainEqual(["已匯款", "payment"])
    expect(kinds).toContainEqual(["980元", "amount"])
    expect(kinds).toContainEqual(["後五碼12345", "last5"])
  })

  it("reasons name the rule and the text", () => {
    const p = Parser.compile({ catalogue: C.colours })
    expect(p.parse("紫色+1").reason).toContain("紫色")
    expect(p.parse("紅+1 還有嗎").reason).toContain("還有")
    expect(p.parse("紅+1 白+2").reason).toContain("SOCK-W ×2")
    expect(p.parse("+1+1").reason).toContain("repeated markers")
  })

  it("very long comments are never silently orders", () => {
    const p = Parser.compile({ catalogue: C.single })
    const r = p.parse(`+1 ${"好".repeat(30_000)}`)
    expect(r.intent).toBe("review")
    expect(r.likely).toBe("order")
  })
})
