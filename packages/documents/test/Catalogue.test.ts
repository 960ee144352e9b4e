/**
 * The catalogue reader: the template reads as the round it shows; Chinese and English headers,
 * variants by rows or by one row, merged name cells, the round's fields on a sheet or above the
 * header; every bad cell reported by sheet and cell, all at once.
 */
import fs from "node:fs"
import path from "node:path"
import { Catalogue as CoreCatalogue } from "@kaituan/core"
import { Effect, Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Catalogue } from "../src/index.js"
import { workbook } from "./support.js"

const read = (bytes: Uint8Array, options?: Catalogue.ReadOptions) =>
  Effect.runPromise(Effect.result(Catalogue.read(bytes, options)))

const ok = async (bytes: Uint8Array, options?: Catalogue.ReadOptions) => {
  const r = await read(bytes, options)
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}

const failure = async (bytes: Uint8Array, options?: Catalogue.ReadOptions) => {
  const r = await read(bytes, options)
  if (Result.isSuccess(r)) throw new Error(`expected a failure, got ${JSON.stringify(r.success.file)}`)
  return r.failure
}

describe("the template", () => {
  it("reads as the round it shows: variants by row and by combination, a capped pre-order, an unlimited product", async () => {
    const { spec, file, warnings, sheet } = await ok(await Effect.runPromise(Catalogue.template()))
    expect(sheet).toBe("商品")
    expect(file).toEqual({
      id: "socks-2024-05",
      title: "韓國毛襪",
      timezone: "Asia/Taipei",
      cutoff: "2024-05-10T22:00:00+08:00",
      sellers: ["團主小美"],
      products: [
        {
          sku: "SOCK",
          name: "韓國毛襪",
          aliases: ["毛襪"],
          price: 120,
          options: { 顏色: { 紅: ["紅色", "red"], 白: ["白色", "white"] } },
          variants: [
            { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 20 },
            { sku: "SOCK-W", options: { 顏色: "白" }, price: 130, stock: 20 }
          ]
        },
        { sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥", "酥"], price: 300, preorder: true, cap: 200 },
        { sku: "CUP", name: "保溫杯", price: 450 },
        {
          sku: "P4",
          name: "帆布袋",
          aliases: ["袋子"],
          price: 250,
          options: { 顏色: { 黑: [], 米: [] }, 尺寸: { S: [], L: [] } },
          variants: [
            { sku: "P4-黑-S", options: { 顏色: "黑", 尺寸: "S" }, stock: 5 },
            { sku: "P4-黑-L", options: { 顏色: "黑", 尺寸: "L" }, stock: 5 },
            { sku: "P4-米-S", options: { 顏色: "米", 尺寸: "S" }, stock: 5 },
            { sku: "P4-米-L", options: { 顏色: "米", 尺寸: "L" }, stock: 5 }
          ]
        }
      ]
    })
    expect(spec.mode).toBe("marker")
    expect(warnings).toEqual([{ sheet: "商品", cell: "I1", message: "the column 備註 is not read" }])
    const compiled = CoreCatalogue.compile(spec.products)
    expect(Result.isSuccess(compiled) && compiled.success.skus.map((s) => s.label)).toEqual([
      "韓國毛襪 紅",
      "韓國毛襪 白",
      "蛋黃酥",
      "保溫杯",
      "帆布袋 黑 S",
      "帆布袋 黑 L",
      "帆布袋 米 S",
      "帆布袋 米 L"
    ])
  })

  it("is the workbook shipped as examples/cli/fixtures/catalogue.xlsx (regenerate it with `pnpm --filter @kaituan/documents template`)", async () => {
    const shipped = fs.readFileSync(path.join(__dirname, "../../../examples/cli/fixtures/catalogue.xlsx"))
    const generated = await ok(await Effect.runPromise(Catalogue.template()))
    const read = await ok(new Uint8Array(shipped))
    expect(read.file).toEqual(generated.file)
    expect(read.warnings).toEqual(generated.warnings)
  })
})

describe("layouts", () => {
  it("reads English headers, the round's fields above the header row, a date cell as the cutoff, and NT$ texts", async () => {
    const bytes = await workbook({
      name: "Sheet1",
      rows: [
        ["Title", "Mango week"],
        ["ID", "mango-1"],
        ["Cutoff", new Date(Date.UTC(2024, 5, 1, 21, 30))],
        [],
        ["SKU", "Name", "Variant", "Price (NT$)", "Stock", "Pre-order", "Cap", "Aliases"],
        ["MG", "Mango", "", "NT$1,200", "", "yes", "30", "芒果, 愛文"],
        ["", "Towel", "Blue", 80, "10", "", "", ""],
        ["", "Towel", "Green", "８０元", 0, "", "", ""]
      ]
    })
    const { file, warnings } = await ok(bytes)
    expect(warnings).toEqual([])
    expect(file).toEqual({
      id: "mango-1",
      title: "Mango week",
      cutoff: "2024-06-01T21:30:00+08:00",
      products: [
        { sku: "MG", name: "Mango", aliases: ["芒果", "愛文"], price: 1200, preorder: true, cap: 30 },
        {
          sku: "P2",
          name: "Towel",
          price: 80,
          options: { 規格: { Blue: [], Green: [] } },
          variants: [
            { sku: "P2-Blue", options: { 規格: "Blue" }, stock: 10 },
            { sku: "P2-Green", options: { 規格: "Green" }, stock: 0 }
          ]
        }
      ]
    })
  })

  it("takes an empty or merged 品名 under a product as another row of it, and the SKUs' common stem as the product's", async () => {
    const bytes = await workbook({
      name: "商品",
      rows: [
        ["品名", "規格", "單價", "現貨", "編號"],
        ["T恤", "S", 390, 3, "TS-S"],
        [null, "M", 390, 3, "TS-M"],
        ["T恤", "L", 420, 2, "TS-L"],
        ["帽子", "", 200, "", ""],
        ["帽子", "", 200, "", ""]
      ]
    })
    const r = await read(bytes, { defaults: { id: "shop", title: "小店" } })
    // Two plain rows of one product cannot be told apart: an error at the first row's 規格.
    expect(Result.isFailure(r) && r.failure.problems).toEqual([
      {
        sheet: "商品",
        cell: "B5",
        message: "帽子 has several rows: each needs its 規格 (such as 顏色:紅) to tell them apart"
      }
    ])
    const fixed = await workbook({
      name: "商品",
      rows: [
        ["品名", "選項", "單價", "現貨", "編號"],
        ["T恤", "尺寸:S", 390, 3, "TS-S"],
        [null, "尺寸:M", 390, 3, "TS-M"],
        ["T恤", "尺寸:L", 420, 2, "TS-L"]
      ],
      merges: ["A2:A3"]
    })
    const { file } = await ok(fixed, { defaults: { id: "shop", title: "小店" } })
    expect(file.products).toEqual([
      {
        sku: "TS",
        name: "T恤",
        price: 390,
        options: { 尺寸: { S: [], M: [], L: [] } },
        variants: [
          { sku: "TS-S", options: { 尺寸: "S" }, stock: 3 },
          { sku: "TS-M", options: { 尺寸: "M" }, stock: 3 },
          { sku: "TS-L", options: { 尺寸: "L" }, price: 420, stock: 2 }
        ]
      }
    ])
    expect(file.id).toBe("shop")
    expect(file.title).toBe("小店")
  })

  it("lets the 開團 sheet win over the header area and warns of keys it does not read", async () => {
    const bytes = await workbook(
      {
        name: "商品",
        rows: [
          ["團名", "舊的"],
          ["品名", "價格"],
          ["杯子", 100]
        ]
      },
      {
        name: "開團",
        rows: [
          ["團名", "新的"],
          ["團號", "r-1"],
          ["運費", 60],
          ["截單", "2024/5/3"]
        ]
      }
    )
    const { file, warnings } = await ok(bytes)
    expect(file.title).toBe("新的")
    expect(file.cutoff).toBe("2024-05-03T23:59:59+08:00")
    expect(warnings).toEqual([{ sheet: "開團", cell: "A3", message: "the key 運費 is not read" }])
  })

  it("reads any single-row catalogue back as written", async () => {
    const product = fc.record({
      name: fc.stringMatching(/^[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9 ]{0,10}[\u4e00-\u9fa5A-Za-z0-9]$/),
      price: fc.integer({ min: 0, max: 1_000_000 }),
      supply: fc.oneof(
        fc.record({ stock: fc.integer({ min: 0, max: 10_000 }) }),
        fc.record({
          preorder: fc.constant(true as const),
          cap: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined })
        }),
        fc.constant({})
      )
    })
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(product, { minLength: 1, maxLength: 6, selector: (p) => p.name.trim() }),
        async (products) => {
          const rows = products.map((p) => [
            p.name,
            p.price,
            "stock" in p.supply ? p.supply.stock : null,
            "preorder" in p.supply ? "是" : null,
            "preorder" in p.supply ? (p.supply.cap ?? null) : null
          ])
          const bytes = await workbook({ name: "商品", rows: [["品名", "價格", "庫存", "預購", "上限"], ...rows] })
          const { file } = await ok(bytes, { defaults: { id: "r" } })
          expect(file.products).toEqual(
            products.map((p, i) => ({
              sku: `P${i + 1}`,
              name: p.name.trim(),
              price: p.price,
              ...("stock" in p.supply ? { stock: p.supply.stock } : {}),
              ...("preorder" in p.supply
                ? { preorder: true, ...(p.supply.cap !== undefined ? { cap: p.supply.cap } : {}) }
                : {})
            }))
          )
        }
      ),
      { numRuns: 25 }
    )
  })
})

describe("errors", () => {
  it("names the sheet and cell of every bad cell, all of them at once", async () => {
    const bytes = await workbook({
      name: "商品",
      rows: [
        ["品名", "規格", "價格", "庫存", "預購", "上限"],
        ["毛襪", "顏色:紅", 120, 5, "", ""],
        ["毛襪", "顏色:紅", 120, 5, "", ""],
        ["杯子", "", "", "", "", ""],
        ["碗", "", 12.5, -1, "", ""],
        ["盤", "", 80, 3, "是", ""],
        ["蛋黃酥", "", "一百", "", "maybe", ""],
        ["湯匙", "顏色:(紅", 10, "", "", ""]
      ]
    })
    const e = await failure(bytes, { defaults: { id: "r" } })
    expect(e.reason).toBe("invalid")
    expect(e.problems.map(Catalogue.describe)).toEqual([
      "商品!B3: 毛襪 顏色:紅 is already on row 2",
      "商品!C4: 價格 is empty",
      "商品!C5: 價格 12.5 is not a whole number",
      "商品!D5: 庫存 -1 must not be negative",
      "商品!E6: 庫存 and 預購 cannot both be given (現貨 has a stock, 預購 a cap)",
      '商品!C7: 價格 "一百" is not a number',
      '商品!E7: 預購 "maybe" is not yes or no (是/否)',
      '商品!B8: 規格 "(紅" has an unclosed bracket'
    ])
    expect(e.message.split("\n")[5]).toBe('商品!C7: 價格 "一百" is not a number')
  })

  it("names the cell of a duplicate SKU, a bad cutoff, and a missing round id", async () => {
    const dup = await workbook({
      name: "商品",
      rows: [
        ["品名", "價格", "sku"],
        ["a", 1, "X"],
        ["b", 2, "X"]
      ]
    })
    expect((await failure(dup, { defaults: { id: "r" } })).problems).toEqual([
      { sheet: "商品", cell: "C3", message: 'duplicate sku "X"' }
    ])
    const cutoff = await workbook(
      {
        name: "商品",
        rows: [
          ["品名", "價格"],
          ["a", 1]
        ]
      },
      { name: "設定", rows: [["截單", "下週五"]] }
    )
    expect((await failure(cutoff)).problems.map(Catalogue.describe)).toEqual([
      '商品: no round id: give 團號 (id) in a "團號 | value" row on a 開團 sheet',
      '設定!B1: 截單 "下週五" is not a date and time (such as 2024-05-10 22:00)'
    ])
  })

  it("says when the file is not a workbook or has no catalogue", async () => {
    expect((await failure(new TextEncoder().encode("品名,價格\n杯子,100\n"))).reason).toBe("unreadable")
    const none = await failure(await workbook({ name: "Sheet1", rows: [["hello"], ["world"]] }))
    expect(none.reason).toBe("no-catalogue")
    const big = await failure(
      await workbook({
        name: "商品",
        rows: [
          ["品名", "價格"],
          ["杯子", 100]
        ]
      }),
      { maxBytes: 100 }
    )
    expect(big.reason).toBe("too-large")
    expect(none.message).toBe(
      "no sheet has a header row with a product name (品名) and a price (價格) column in its first 20 rows"
    )
  })
})
