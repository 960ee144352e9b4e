/** Test catalogues: one product; colours; colour × size; numbered products; product codes. */
import { Catalogue } from "@kaituan/core"
import { Schema } from "effect"

const decode = Schema.decodeUnknownSync(Schema.Array(Catalogue.ProductSpec))

/** Decodes products as a round file would and compiles them. */
export const compile = (products: unknown): Catalogue.Catalogue => Catalogue.unsafeCompile(decode(products))

/** One product without variants. */
export const single = compile([{ sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥"], price: 300 }])

/** One product in three colours. */
export const colours = compile([
  {
    sku: "SOCK",
    name: "韓國毛襪",
    aliases: ["毛襪"],
    price: 120,
    options: { 顏色: { 紅: ["紅色", "red"], 白: ["白色", "white"], 黑: ["黑色", "black"] } },
    variants: [
      { sku: "SOCK-R", options: { 顏色: "紅" } },
      { sku: "SOCK-W", options: { 顏色: "白" } },
      { sku: "SOCK-B", options: { 顏色: "黑" } }
    ]
  }
])

/** Colour × size; 黑 XL does not exist. */
export const sizes = compile([
  {
    sku: "TEE",
    name: "T恤",
    aliases: ["tee", "上衣"],
    price: 390,
    options: {
      顏色: { 黑: ["黑色", "black"], 白: ["白色", "white"] },
      尺寸: { S: [], M: [], L: [], XL: [] }
    },
    variants: [
      { sku: "TEE-B-S", options: { 顏色: "黑", 尺寸: "S" } },
      { sku: "TEE-B-M", options: { 顏色: "黑", 尺寸: "M" } },
      { sku: "TEE-B-L", options: { 顏色: "黑", 尺寸: "L" } },
      { sku: "TEE-W-S", options: { 顏色: "白", 尺寸: "S" } },
      { sku: "TEE-W-M", options: { 顏色: "白", 尺寸: "M" } },
      { sku: "TEE-W-L", options: { 顏色: "白", 尺寸: "L" } },
      { sku: "TEE-W-XL", options: { 顏色: "白", 尺寸: "XL" } }
    ]
  }
])

/** Three numbered products. */
export const numbered = compile([
  { sku: "MANGO", name: "芒果乾", price: 200 },
  { sku: "PINE", name: "鳳梨酥", aliases: ["凤梨酥"], price: 350 },
  { sku: "NOUGAT", name: "牛軋糖", price: 250 }
])

/** Product codes (CK50, A1, A2) and a pack size inside a name. */
export const codes = compile([
  { sku: "CK50", name: "保濕精華", aliases: ["CK50"], price: 880 },
  { sku: "A1", name: "草莓果醬", aliases: ["A1", "草莓"], price: 150 },
  { sku: "A2", name: "藍莓果醬", aliases: ["A2", "藍莓"], price: 160 },
  { sku: "SPONGE", name: "洗碗海綿2入", aliases: ["海綿"], price: 99 }
])

/** The round file example of CLI.md: a product with colours and two without. */
export const mixed = compile([
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
])

/**
 * Three options, not every combination sold (for "the only variant that has the values named
 * completes the other options"): 抹茶 only large in a gift box, 小 only plain in a simple box.
 */
export const cookies = compile([
  {
    sku: "COOKIE",
    name: "手工餅乾",
    price: 200,
    options: {
      口味: { 原味: [], 抹茶: ["matcha"], 巧克力: ["可可"] },
      尺寸: { 大: ["大盒"], 小: ["小盒"] },
      包裝: { 禮盒: [], 簡裝: [] }
    },
    variants: [
      { sku: "C-PLAIN-L-GIFT", options: { 口味: "原味", 尺寸: "大", 包裝: "禮盒" } },
      { sku: "C-PLAIN-S-SIMPLE", options: { 口味: "原味", 尺寸: "小", 包裝: "簡裝" } },
      { sku: "C-MATCHA-L-GIFT", options: { 口味: "抹茶", 尺寸: "大", 包裝: "禮盒" } },
      { sku: "C-CHOC-L-SIMPLE", options: { 口味: "巧克力", 尺寸: "大", 包裝: "簡裝" } }
    ]
  }
])
