/**
 * The generated world of the reconcile benchmarks: N open orders and a Cathay-style statement
 * (Big5 CSV, preamble, newest first) of about N rows paying them in the usual ways. Shared by
 * packages/reconcile/bench/reconcile.bench.ts (the matcher) and examples/cli/bench/
 * reconcile-command.bench.ts (the command over the same data).
 */
import iconv from "iconv-lite"
import type { Matcher } from "../src/index.js"

/** A small deterministic PRNG (mulberry32), so every run benchmarks the same data. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝洪郭邱曾廖賴徐周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫戴"
const GIVEN = "小明大華美美志強淑芬家豪怡君俊傑雅婷宗翰佳穎建宏心怡冠宇欣怡承恩詩涵柏翰品妤子軒宜蓁彥廷思妤"

/** The orders, the statement file's bytes and its number of rows. */
export interface World {
  readonly orders: ReadonlyArray<Matcher.Order>
  readonly csv: Uint8Array
  readonly rows: number
}

const pad = (n: number, w: number) => String(n).padStart(w, "0")

/** N orders (80% of buyers with one, the rest with two) and the statement paying them, from `seed`. */
export const generate = (n: number, seed: number): World => {
  const rnd = prng(seed)
  const pick = <A>(xs: ArrayLike<A>): A => xs[Math.floor(rnd() * xs.length)]!
  const buyers = Math.floor(n * 0.8)
  const names = Array.from(
    { length: buyers },
    (_, i) => `${pick(SURNAMES)}${pick(GIVEN)}${pick(GIVEN)}${i % 7 === 0 ? "" : pad(i, 5)}`
  )
  const start = Date.parse("2024-04-01T00:00:00+08:00")
  const orders: Array<Matcher.Order> = []
  for (let i = 0; i < n; i++) {
    const b = i < buyers ? i : Math.floor(rnd() * buyers)
    const placed = new Date(start + Math.floor(rnd() * 20 * 86_400_000)).toISOString()
    orders.push({
      orderId: `R${pad(i, 6)}`,
      buyer: { id: `U${b}`, name: names[b]! },
      amountDue: 100 + 10 * Math.floor(rnd() * 490),
      placedAt: placed,
      ...(rnd() < 0.6 ? { last5: pad(Math.floor(rnd() * 100_000), 5) } : {})
    })
  }
  const secondOrder = new Map<string, Matcher.Order>()
  const firstOrder = new Set<string>()
  for (const o of orders) {
    if (firstOrder.has(o.buyer.id)) {
      if (!secondOrder.has(o.buyer.id)) secondOrder.set(o.buyer.id, o)
    } else firstOrder.add(o.buyer.id)
  }
  // Rows: most pay an order (reported digits, a name in the memo, or two orders at once), some are
  // partial, unknown, outgoing or duplicated.
  type Row = { day: number; amount: number; account: string; memo: string }
  const rows: Array<Row> = []
  let balance = 1_000_000
  for (let i = 0; i < n; i++) {
    const o = orders[Math.floor(rnd() * n)]!
    const placedDay = Math.floor((Date.parse(o.placedAt!) - start) / 86_400_000)
    const day = Math.min(29, placedDay + 1 + Math.floor(rnd() * 8))
    const bank = pick(["822", "812", "700", "013", "808"])
    const digits = (l5: string) => `(${bank})00000000000${l5}`
    const r = rnd()
    if (r < 0.55 && o.last5 !== undefined) rows.push({ day, amount: o.amountDue, account: digits(o.last5), memo: "" })
    else if (r < 0.75)
      rows.push({
        day,
        amount: o.amountDue,
        account: digits(pad(Math.floor(rnd() * 100_000), 5)),
        memo: `${o.buyer.name} 團購`
      })
    else if (r < 0.8) {
      const other = secondOrder.get(o.buyer.id)
      const extra = other !== undefined && other !== o ? other.amountDue : 0
      rows.push({
        day,
        amount: o.amountDue + extra,
        account: digits(pad(Math.floor(rnd() * 100_000), 5)),
        memo: o.buyer.name!
      })
    } else if (r < 0.85)
      rows.push({
        day,
        amount: Math.max(10, o.amountDue - 100),
        account: digits(o.last5 ?? "00000"),
        memo: o.buyer.name!
      })
    else if (r < 0.9)
      rows.push({ day, amount: o.amountDue, account: digits(pad(Math.floor(rnd() * 100_000), 5)), memo: "" })
    else if (r < 0.95)
      rows.push({ day, amount: -(100 + Math.floor(rnd() * 5000)), account: digits("99999"), memo: "進貨" })
    else
      rows.push(rows.length > 0 ? { ...rows[rows.length - 1]! } : { day, amount: o.amountDue, account: "", memo: "" })
  }
  rows.sort((a, b) => b.day - a.day) // newest first, like Cathay
  const lines = [
    "查詢期間,(自 2024/04/01 至 2024/04/30)",
    "123456789012 活存",
    "幣別：TWD",
    "交易日期,帳務日期,說明,提出,存入,餘額,交易資訊,備註"
  ]
  for (const r of rows) {
    balance += r.amount
    const d = `2024/${pad(4 + Math.floor(r.day / 30), 2)}/${pad((r.day % 30) + 1, 2)}`
    lines.push(
      `${d},${d},${r.amount < 0 ? "網銀轉出" : "跨行轉入"},${r.amount < 0 ? -r.amount : ""},${r.amount > 0 ? r.amount : ""},${balance},${r.account},${r.memo}`
    )
  }
  return { orders, csv: new Uint8Array(iconv.encode(`${lines.join("\r\n")}\r\n`, "cp950")), rows: rows.length }
}
