/**
 * A round's items and history as 團務設定 shows them, from the history alone: names and prices
 * for new orders after products, variants and price changes, and each event in Chinese.
 */
import { describe, expect, it } from "vitest"
import type { Models } from "@kaituan/http"
import { translator } from "../src/i18n.js"
import { catalogueOf, describeEvent } from "../src/roundItems.js"

type HistoryEntry = Models.HistoryEntry
type RoundEvent = HistoryEntry["event"]

const at = "2099-05-01T10:00:00+08:00"
const entries = (events: ReadonlyArray<unknown>): ReadonlyArray<HistoryEntry> =>
  events.map((event, i) => ({ version: i + 1, at, event: event as RoundEvent }))

const created = {
  _tag: "RoundCreated",
  at,
  spec: {
    id: "socks",
    title: "韓國毛襪",
    products: [
      {
        sku: "SOCK",
        name: "毛襪",
        price: 150,
        options: { 顏色: { 紅: ["紅色"], 黑: [] } },
        variants: [
          { sku: "SOCK-R", options: { 顏色: "紅" } },
          { sku: "SOCK-B", options: { 顏色: "黑" }, price: 180 }
        ]
      },
      { sku: "HAT", name: "毛帽", price: 300, stock: 5 }
    ]
  }
}

describe("catalogueOf", () => {
  it("names each sellable SKU and gives its price as the round file sets it", () => {
    const items = catalogueOf(entries([created, { _tag: "RoundOpened", at }]))
    expect([...items.keys()]).toEqual(["SOCK-R", "SOCK-B", "HAT"])
    expect(items.get("SOCK-R")).toEqual({ name: "毛襪 紅", price: 150, preorder: false, arrived: false })
    expect(items.get("SOCK-B")).toEqual({ name: "毛襪 黑", price: 180, preorder: false, arrived: false })
    expect(items.get("HAT")).toEqual({ name: "毛帽", price: 300, preorder: false, arrived: false })
  })

  it("follows price changes: a product's price moves the variants without their own", () => {
    const items = catalogueOf(
      entries([
        created,
        { _tag: "PriceChanged", sku: "SOCK", price: 160, at },
        { _tag: "PriceChanged", sku: "SOCK-B", price: 190, at },
        { _tag: "PriceChanged", sku: "HAT", price: 280, at }
      ])
    )
    expect(items.get("SOCK-R")?.price).toBe(160)
    expect(items.get("SOCK-B")?.price).toBe(190)
    expect(items.get("HAT")?.price).toBe(280)
  })

  it("adds products and variants added later", () => {
    const items = catalogueOf(
      entries([
        created,
        { _tag: "ProductAdded", product: { sku: "GLOVE", name: "手套", price: 220 }, at },
        { _tag: "VariantAdded", productSku: "SOCK", variant: { sku: "SOCK-G", name: "綠" }, at },
        { _tag: "PriceChanged", sku: "SOCK-G", price: 170, at }
      ])
    )
    expect(items.get("GLOVE")).toEqual({ name: "手套", price: 220, preorder: false, arrived: false })
    expect(items.get("SOCK-G")).toEqual({ name: "毛襪 綠", price: 170, preorder: false, arrived: false })
  })

  it("knows the pre-order items and which arrived (預購到貨: by SKU or by product)", () => {
    const items = catalogueOf(
      entries([
        created,
        {
          _tag: "ProductAdded",
          product: {
            sku: "EGG",
            name: "蛋黃酥",
            price: 300,
            preorder: true,
            options: { 口味: { 原味: [], 抹茶: [] } },
            variants: [
              { sku: "EGG-O", options: { 口味: "原味" } },
              { sku: "EGG-M", options: { 口味: "抹茶" } }
            ]
          },
          at
        },
        { _tag: "ProductAdded", product: { sku: "CAKE", name: "蛋糕", price: 500, preorder: true }, at },
        { _tag: "PreorderArrived", skus: ["EGG"], at }
      ])
    )
    expect(items.get("EGG-O")).toMatchObject({ preorder: true, arrived: true })
    expect(items.get("EGG-M")).toMatchObject({ preorder: true, arrived: true })
    expect(items.get("CAKE")).toMatchObject({ preorder: true, arrived: false })
    expect(items.get("HAT")).toMatchObject({ preorder: false, arrived: false })
  })
})

describe("describeEvent", () => {
  const t = translator("zh-TW")
  const items = catalogueOf(entries([created]))
  const say = (e: unknown) => describeEvent(t, "zh-TW", e as RoundEvent, items)

  it("says each change in Chinese, naming items by name", () => {
    expect(say({ _tag: "Restocked", sku: "HAT", add: 5, stock: 10, at })).toBe("「毛帽」補貨 5 件，總量 10")
    expect(say({ _tag: "Restocked", sku: "HAT", add: -2, stock: 3, at })).toBe("「毛帽」減少 2 件，總量 3")
    expect(say({ _tag: "Restocked", sku: "HAT", add: 0, stock: 5, at })).toBe("「毛帽」總量設為 5")
    expect(say({ _tag: "PriceChanged", sku: "SOCK-B", price: 1200, at })).toBe("「毛襪 黑」新訂單售價改為 NT$ 1,200")
    expect(say({ _tag: "RoundTitleChanged", title: "加開", at })).toBe("團名改為「加開」")
    expect(say({ _tag: "RoundCutoffChanged", cutoff: null, at })).toBe("取消截單時間")
    // In Taipei time whatever the machine's zone; Intl puts its own space between date and time.
    expect(say({ _tag: "RoundCutoffChanged", cutoff: "2099-10-01T12:00:00Z", at })).toMatch(
      /^截單時間改為 2099\/10\/01\s20:00$/
    )
    expect(say({ _tag: "RoundClosed", reason: "manual", at })).toBe("截單（團主手動）")
    expect(say({ _tag: "RoundPaused", at })).toBe("暫停收單")
    expect(say({ _tag: "RoundReopened", at })).toBe("重新開團")
  })

  it("names an unknown SKU by itself, and an unknown event by its tag", () => {
    expect(say({ _tag: "Restocked", sku: "NOPE", add: 1, stock: 1, at })).toBe("「NOPE」補貨 1 件，總量 1")
    expect(say({ _tag: "SomethingNew", at })).toBe("其他異動（SomethingNew）")
  })
})
