import { describe, expect, it } from "@effect/vitest"
import { MessageTemplates } from "@kaituan/core"
import fc from "fast-check"

const isLoneSurrogateEdge = (part: string): boolean =>
  /^[\uDC00-\uDFFF]/.test(part) || /[\uD800-\uDBFF]$/.test(part.replace(/…$/, ""))

// Texts of lines made of CJK, emoji (surrogate pairs, ZWJ sequences, keycaps) and ASCII.
const line = fc
  .array(fc.constantFrom("紅", "蛋黃酥", "+1", "👍", "👨‍👩‍👧", "1️⃣", "a", " ", "NT$120", "現貨剩 3"), { maxLength: 40 })
  .map((xs) => xs.join(""))
const text = fc.array(line, { minLength: 1, maxLength: 30 }).map((ls) => ls.join("\n"))

describe("MessageTemplates.split", () => {
  it("parts fit the limit, never cut a character, and lose nothing but the line breaks at the cuts", () =>
    fc.assert(
      fc.property(text, fc.integer({ min: 8, max: 120 }), (t, max) => {
        const parts = MessageTemplates.split(t, max)
        for (const p of parts) {
          expect(p.length).toBeLessThanOrEqual(max)
          expect(p.length).toBeGreaterThan(0)
          expect(isLoneSurrogateEdge(p)).toBe(false)
        }
        expect(parts.join("").replace(/\n/g, "")).toBe(t.replace(/\n/g, ""))
        // A text that fits is one part, unchanged.
        if (t.length > 0 && t.length <= max) expect(parts).toEqual([t])
      })
    ))

  it("cuts at line breaks when a line fits", () => {
    expect(MessageTemplates.split("aaaa\nbbbb\ncccc", 10)).toEqual(["aaaa\nbbbb", "cccc"])
  })

  it("with maxParts, the last part ends with … and still fits", () =>
    fc.assert(
      fc.property(text, fc.integer({ min: 8, max: 60 }), fc.integer({ min: 1, max: 3 }), (t, max, maxParts) => {
        const parts = MessageTemplates.split(t, max, maxParts)
        expect(parts.length).toBeLessThanOrEqual(maxParts)
        for (const p of parts) {
          expect(p.length).toBeLessThanOrEqual(max)
          expect(isLoneSurrogateEdge(p)).toBe(false)
        }
      })
    ))

  it("never splits an emoji sequence or a keycap", () => {
    const family = "👨‍👩‍👧"
    const parts = MessageTemplates.split(family.repeat(4), family.length + 2)
    for (const p of parts) expect(p.replaceAll(family, "")).toBe("")
    expect(MessageTemplates.split("1️⃣".repeat(5), 7).every((p) => p.replaceAll("1️⃣", "") === "")).toBe(true)
  })

  it("renderParts keeps every item of a long announcement", () => {
    const items = Array.from({ length: 400 }, (_, i) => ({
      label: `商品${i + 1} 超長的名字👍`,
      price: 100 + i,
      supply: "in-stock",
      left: i
    }))
    const parts = MessageTemplates.renderParts(
      "round-announcement",
      { round: "大團", items, examples: ["商品2+1"], cutoff: "2024-05-10T22:00:00+08:00" },
      { maxLength: 4096 }
    )
    expect(parts.length).toBeGreaterThan(1)
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096)
    const all = parts.join("\n")
    for (const i of [1, 200, 400]) expect(all).toContain(`・商品${i} 超長的名字👍`)
    expect(all).toContain("⏰ 截單：2024/05/10（五）22:00（台北時間）")
  })
})
