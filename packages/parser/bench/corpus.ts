/**
 * A deterministic corpus of realistic group-buy comments over a realistic round, shared by the
 * parser benchmark and the end-to-end comparison.
 */
import { Catalogue } from "@kaituan/core"
import { Schema } from "effect"

/** The round's products (as in a round file). */
export const productsJson = [
  {
    sku: "SOCK",
    name: "韓國毛襪",
    aliases: ["毛襪"],
    price: 120,
    options: { 顏色: { 紅: ["紅色", "red"], 白: ["白色", "white"], 黑: ["黑色", "black"], 灰: ["灰色"] } },
    variants: [
      { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 200 },
      { sku: "SOCK-W", options: { 顏色: "白" }, stock: 200 },
      { sku: "SOCK-B", options: { 顏色: "黑" }, stock: 200 },
      { sku: "SOCK-G", options: { 顏色: "灰" }, stock: 200 }
    ]
  },
  {
    sku: "TEE",
    name: "棉T",
    aliases: ["T恤", "上衣"],
    price: 390,
    options: { 色: { 米: ["米色", "米白"], 藍: ["藍色", "navy"] }, 尺寸: { S: [], M: [], L: [], XL: [] } },
    variants: [
      { sku: "TEE-I-S", options: { 色: "米", 尺寸: "S" } },
      { sku: "TEE-I-M", options: { 色: "米", 尺寸: "M" } },
      { sku: "TEE-I-L", options: { 色: "米", 尺寸: "L" } },
      { sku: "TEE-N-M", options: { 色: "藍", 尺寸: "M" } },
      { sku: "TEE-N-L", options: { 色: "藍", 尺寸: "L" } },
      { sku: "TEE-N-XL", options: { 色: "藍", 尺寸: "XL" } }
    ]
  },
  { sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥"], price: 300, preorder: true, cap: 500 },
  { sku: "CUP", name: "保溫杯", aliases: ["保温杯"], price: 450 },
  { sku: "CK50", name: "保濕精華", aliases: ["CK50"], price: 880 },
  { sku: "SPONGE", name: "洗碗海綿2入", aliases: ["海綿"], price: 99 }
]

/** The round's products, decoded. */
export const products: ReadonlyArray<Catalogue.ProductSpec> = Schema.decodeUnknownSync(
  Schema.Array(Catalogue.ProductSpec)
)(productsJson)

/** A small deterministic PRNG (mulberry32). */
export const rng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pick = <A>(r: () => number, xs: ReadonlyArray<A>): A => xs[Math.floor(r() * xs.length)]!

const names = [
  "紅",
  "紅色",
  "白色",
  "黑",
  "灰色",
  "red",
  "蛋黃酥",
  "蛋黄酥",
  "保溫杯",
  "CK50",
  "海綿",
  "米色 M",
  "M 米",
  "藍L",
  "navy XL",
  "棉T 米S"
]
const numerals = ["1", "2", "3", "１", "２", "一", "兩", "三", "1️⃣", "10"]
const templates: ReadonlyArray<(r: () => number) => string> = [
  (r) => `${pick(r, names)}+${pick(r, numerals)}`,
  (r) => `${pick(r, names)} +${pick(r, numerals)}`,
  (r) => `${pick(r, names)}＋${pick(r, numerals)}`,
  (r) => `我也要${pick(r, names)}+1`,
  (r) => `${pick(r, names)}+1 ${pick(r, names)}+2`,
  (r) => `${pick(r, names)}+${pick(r, numerals)}，${pick(r, names)}+1 謝謝🙏`,
  (r) => `+${pick(r, numerals)} ${pick(r, names)}`,
  (r) => `${pick(r, names)}加${pick(r, ["一", "二", "1", "3"])}`,
  (r) => `${pick(r, names)}x${pick(r, numerals)}`,
  (r) => `${pick(r, names)}${pick(r, ["1個", "2份", "兩盒"])}`,
  () => `紅白各+1`,
  (r) => `${pick(r, names)}還有嗎？`,
  (r) => `請問${pick(r, names)}+1是多少錢`,
  (r) => `${pick(r, ["好可愛", "謝謝團媽", "收到", "哈哈哈", "😍😍", "讚", "期待", "什麼時候到貨", "幾號出貨?"])}`,
  (r) => `@${pick(r, ["小美", "Amy", "王小明"])} ${pick(r, names)}+1`,
  () => `取消`,
  (r) => `${pick(r, names)}-1`,
  (r) => `改+${pick(r, numerals)}`,
  (r) => `已匯款 ${Math.floor(r() * 3000)} 後五碼${10000 + Math.floor(r() * 89999)}`,
  (r) => `已轉帳 $${Math.floor(r() * 3000)}`,
  (r) => `7-11取貨 ${pick(r, names)}+1 電話0912345678`,
  (r) => `12/5面交 ${pick(r, names)}+1`,
  (r) => `${pick(r, names)} 120元`,
  (r) => `如果有${pick(r, names)}我就+1`,
  () => `+1`,
  (r) => `${pick(r, names)}+1+1`
]

/** `count` comments, the same for a given seed. */
export const comments = (count: number, seed = 42): Array<string> => {
  const r = rng(seed)
  const out: Array<string> = []
  for (let i = 0; i < count; i++) out.push(pick(r, templates)(r))
  return out
}
