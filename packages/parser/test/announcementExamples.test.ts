/**
 * The examples a round's announcement teaches (`Publish.examples`, in @kaituan/core) must be
 * orders in the round's own syntax: run through this package's real parser with the round's own
 * settings, each is an `order` of exactly the SKU and quantity it shows.
 */
import { describe, expect, it } from "@effect/vitest"
import { Publish, Round, RoundSpec } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import { Parser } from "../src/index.js"

const stateOf = (input: Record<string, unknown>): Round.State => {
  const spec = Result.getOrThrow(RoundSpec.decode(input))
  return Round.fold([
    { _tag: "RoundCreated", spec, at: "2024-05-01T09:00:00+08:00" },
    { _tag: "RoundOpened", at: "2024-05-01T09:00:00+08:00" }
  ])
}

const parserOf = (state: Round.State) =>
  Parser.compile({
    catalogue: state.catalogue!,
    settings: {
      mode: state.spec!.mode,
      maxQtyPerLine: state.spec!.maxQtyPerLine,
      extraMarkers: state.spec!.extraMarkers,
      extraFillers: state.spec!.extraFillers
    }
  })

/** The SKU each example should order: the first SKU with something left of each product, in order. */
const expectedSkus = (state: Round.State, max = 3): Array<string> =>
  state
    .catalogue!.products.map((p): string | undefined => p.skus.find((s) => state.stock[s.sku]?.left !== 0)?.sku)
    .filter((s): s is string => s !== undefined)
    .slice(0, max)

const assertExamples = (state: Round.State, examples: ReadonlyArray<string>) => {
  const parser = parserOf(state)
  const skus = expectedSkus(state)
  expect(examples).toHaveLength(skus.length)
  examples.forEach((text, i) => {
    const parsed = parser.parse(text)
    expect({ text, intent: parsed.intent, lines: parsed.lines }).toEqual({
      text,
      intent: "order",
      lines: [{ sku: skus[i], qty: i + 1 }]
    })
  })
}

// CLI.md's round file.
const socks = {
  id: "socks-2024-05",
  title: "韓國毛襪",
  cutoff: "2024-05-10T22:00:00+08:00",
  products: [
    {
      sku: "SOCK",
      name: "韓國毛襪",
      aliases: ["毛襪"],
      price: 120,
      options: { 顏色: { 紅: ["紅色", "red"], 白: ["白色", "white"] } },
      variants: [
        { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 20 },
        { sku: "SOCK-W", options: { 顏色: "白" }, stock: 20, price: 130 }
      ]
    },
    { sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥"], price: 300, preorder: true, cap: 200 },
    { sku: "CUP", name: "保溫杯", price: 450 }
  ]
}

describe("Publish.examples with the real parser", () => {
  for (const mode of ["marker", "lenient"] as const)
    it(`CLI.md's round, ${mode} mode: 紅+1, 蛋黃酥+2, 保溫杯+3 — even without the parser's check`, () => {
      const state = stateOf({ ...socks, mode })
      const unchecked = Publish.examples(state)
      expect(unchecked).toEqual(["紅+1", "蛋黃酥+2", "保溫杯+3"])
      assertExamples(state, unchecked)
      expect(Publish.examples(state, parserOf(state))).toEqual(unchecked)
    })

  it("a sold-out first variant: the example names the next one", () => {
    const state = stateOf({
      ...socks,
      products: [
        {
          ...socks.products[0],
          variants: [{ sku: "SOCK-R", options: { 顏色: "紅" }, stock: 0 }, socks.products[0]!.variants![1]]
        },
        socks.products[1]
      ]
    })
    expect(Publish.examples(state, parserOf(state))).toEqual(["白+1", "蛋黃酥+2"])
    assertExamples(state, Publish.examples(state, parserOf(state)))
  })

  // Random catalogues: shared option values across products, aliases, variants with names, two
  // sizes, stock 0 here and there, both modes. Every product with something left gets an example
  // (up to three), and every example is exactly its order.
  const names = ["蛋黃酥", "鳳梨酥", "保溫杯", "韓國毛襪", "芒果", "牛軋糖", "手工皂", "咖啡豆", "Cup", "Socks"]
  const colours = { 紅: ["紅色"], 白: ["白色"], 黑: ["黑色"], 藍: ["藍色"] }
  const product = (i: number) =>
    fc
      .record({
        name: fc.constantFrom(...names),
        kind: fc.constantFrom("plain", "colours", "colour-size", "named"),
        stock: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
        alias: fc.boolean(),
        preorder: fc.boolean()
      })
      .map((p) => ({ ...p, sku: `P${i}` }))
  const catalogue = fc
    .integer({ min: 1, max: 4 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => product(i))))
    .filter((ps) => new Set(ps.map((p) => p.name)).size === ps.length)
    .map((ps) =>
      ps.map((p) => {
        const base = {
          sku: p.sku,
          name: p.name,
          price: 100,
          ...(p.alias ? { aliases: [`${p.name}組`] } : {})
        }
        if (p.kind === "plain")
          return { ...base, ...(p.preorder ? { preorder: true, cap: p.stock[0] } : { stock: p.stock[0] }) }
        if (p.kind === "named")
          return {
            ...base,
            variants: [
              { sku: `${p.sku}-A`, name: `${p.name}小盒`, stock: p.stock[0] },
              { sku: `${p.sku}-B`, name: `${p.name}大盒`, stock: p.stock[1] }
            ]
          }
        const sizes = p.kind === "colour-size" ? ["S", "L"] : [undefined]
        return {
          ...base,
          options: p.kind === "colour-size" ? { 顏色: colours, 尺寸: { S: ["S號"], L: ["L號"] } } : { 顏色: colours },
          variants: ["紅", "白"].flatMap((c, ci) =>
            sizes.map((s, si) => ({
              sku: `${p.sku}-${c === "紅" ? "R" : "W"}${s ?? ""}`,
              options: s === undefined ? { 顏色: c } : { 顏色: c, 尺寸: s },
              stock: p.stock[ci * 2 + si]
            }))
          )
        }
      })
    )

  it("property: random catalogues, both modes", () =>
    fc.assert(
      fc.property(catalogue, fc.constantFrom("marker", "lenient"), (products, mode) => {
        const state = stateOf({ id: "r", title: "t", mode, products })
        assertExamples(state, Publish.examples(state, parserOf(state)))
      }),
      { numRuns: 300 }
    ))
})
