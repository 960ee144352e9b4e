/**
 * Test fixtures: a round spec and a small, strict marker parser used to drive the pure core in
 * isolation (the real parser lives in @kaituan/parser, which depends on core; the end-to-end
 * tests in examples/cli run the real one).
 */
import { Catalogue, type CommentParser, type ParseResult, RoundSpec } from "@kaituan/core"
import { Result } from "effect"

export const spec = (overrides: Record<string, unknown> = {}): RoundSpec.RoundSpec =>
  Result.getOrThrow(
    RoundSpec.decode({
      id: "socks",
      title: "韓國毛襪",
      cutoff: "2024-05-10T22:00:00+08:00",
      sellers: ["團主小美"],
      products: [
        {
          sku: "SOCK",
          name: "毛襪",
          price: 120,
          options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
          variants: [
            { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 3 },
            { sku: "SOCK-W", options: { 顏色: "白" }, stock: 2, price: 130 }
          ]
        },
        { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4 },
        { sku: "CUP", name: "保溫杯", price: 450 }
      ],
      ...overrides
    })
  )

/**
 * A deliberately small parser: "紅+2", "白+1", "蛋黃酥+3", "杯+1", "取消", "紅-1", "改3", "已匯款 500 後五碼12345";
 * anything with "?" is none; anything else with a "+" is review.
 */
export const testParser: CommentParser.CommentParserService = {
  compile: ({ catalogue }) => {
    const names: Array<[string, string]> = [
      ["紅", "SOCK-R"],
      ["白", "SOCK-W"],
      ["蛋黃酥", "EGG"],
      ["杯", "CUP"],
      // Known only once a round adds them (Round's AddProduct / AddVariant).
      ["帽", "HAT"],
      ["綠", "SOCK-G"]
    ].filter(([, sku]) => catalogue.bySku.has(sku!)) as Array<[string, string]>
    const skuOf = (s: string) => names.find(([n]) => s.includes(n))?.[1] ?? null
    return {
      parse: (text): ParseResult.ParseResult => {
        const base = { spans: [] as Array<ParseResult.Span> }
        if (text.includes("?")) return { ...base, intent: "none", lines: [], reason: "question" }
        const pay = /已匯款\s*(\d+)\s*後五碼\s*(\d{5})/.exec(text)
        if (pay)
          return { ...base, intent: "payment", lines: [], reason: "payment", amount: Number(pay[1]), last5: pay[2]! }
        if (text.trim() === "取消") return { ...base, intent: "cancel", lines: [], reason: "cancel all" }
        const amend = /^改(\d+)$/.exec(text.trim())
        if (amend) return { ...base, intent: "amend", lines: [{ sku: null, qty: Number(amend[1]) }], reason: "amend" }
        const lines: Array<{ sku: string | null; qty: number }> = []
        for (const part of text.split(/[,，\s]+/).filter(Boolean)) {
          const m = /^(.*?)([+-])(\d+)$/.exec(part)
          if (!m) continue
          const sku = skuOf(m[1]!)
          if (m[2] === "-")
            return { ...base, intent: "cancel", lines: [{ sku, qty: Number(m[3]) }], reason: "cancel part" }
          if (!sku) return { ...base, intent: "review", lines: [], reason: `unknown name "${m[1]}"` }
          lines.push({ sku, qty: Number(m[3]) })
        }
        if (lines.length > 0) return { ...base, intent: "order", lines, reason: "marker" }
        return { ...base, intent: "none", lines: [], reason: "no marker" }
      }
    }
  }
}

export const catalogueOf = (s: RoundSpec.RoundSpec) => Catalogue.unsafeCompile(s.products)
