/**
 * Reconciliation end to end: import a generated Cathay-style statement (Big5 CSV, preamble,
 * newest first) of N rows and match it against N open orders, for N = 5,000 and 50,000 in the
 * same run. Target: 50,000 × 50,000 in under 2 s, and at most ~12× the time for 10× the data.
 *
 * Run: `node --import tsx --expose-gc packages/reconcile/bench/reconcile.bench.ts` (from the repo
 * root) or `pnpm bench reconcile`. Writes `bench/results/reconcile.json`.
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { Result } from "effect"
import iconv from "iconv-lite"
import { Matcher, Statement } from "../src/index.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const resultFile = path.resolve(here, "../../../bench/results/reconcile.json")

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

interface World {
  readonly orders: ReadonlyArray<Matcher.Order>
  readonly csv: Uint8Array
  readonly rows: number
}

const pad = (n: number, w: number) => String(n).padStart(w, "0")

const generate = (n: number, seed: number): World => {
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

interface Measure {
  readonly n: number
  readonly importMs: number
  readonly matchMs: number
  readonly totalMs: number
  /** CPU time of the process over the same span (all threads, GC included). */
  readonly cpuMs: number
  readonly importCpuMs: number
  readonly matchCpuMs: number
  readonly matched: number
  readonly review: number
  readonly unmatched: number
  readonly ignored: number
  readonly applied: number
}

/** The best run (by wall time, as before) and the medians of every figure over the runs. */
interface Measures {
  readonly best: Measure
  readonly median: Measure
  readonly runs: number
}

const gc = (globalThis as { gc?: () => void }).gc

const cpuNow = (): number => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

const medianOf = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const measure = (w: World, runs: number): Measures => {
  const all: Array<Measure> = []
  for (let k = 0; k < runs; k++) {
    gc?.()
    const c0 = cpuNow()
    const t0 = performance.now()
    const statement = Result.getOrThrow(Statement.parseCsv(w.csv))
    const t1 = performance.now()
    const c1 = cpuNow()
    const result = Matcher.match({ orders: w.orders, transactions: statement.transactions })
    const t2 = performance.now()
    const c2 = cpuNow()
    if (statement.transactions.length !== w.rows)
      throw new Error(`imported ${statement.transactions.length} of ${w.rows} rows`)
    all.push({
      n: w.rows,
      importMs: t1 - t0,
      matchMs: t2 - t1,
      totalMs: t2 - t0,
      cpuMs: c2 - c0,
      importCpuMs: c1 - c0,
      matchCpuMs: c2 - c1,
      ...result.summary
    })
  }
  const best = all.reduce((b, m) => (m.totalMs < b.totalMs ? m : b))
  const med = (f: (m: Measure) => number) => medianOf(all.map(f))
  const median: Measure = {
    ...best,
    importMs: med((m) => m.importMs),
    matchMs: med((m) => m.matchMs),
    totalMs: med((m) => m.totalMs),
    cpuMs: med((m) => m.cpuMs),
    importCpuMs: med((m) => m.importCpuMs),
    matchCpuMs: med((m) => m.matchCpuMs)
  }
  return { best, median, runs }
}

const loadBefore = os.loadavg()[0]!
const small = generate(5_000, 1)
const large = generate(50_000, 2)
measure(small, 3) // warm-up
const a = measure(small, 7)
const b = measure(large, 5)
const growth = b.best.totalMs / a.best.totalMs
const growthCpu = b.median.cpuMs / a.median.cpuMs
const fmt = ({ best: m, median: d, runs }: Measures) =>
  `${m.n.toLocaleString("en-US")} rows × ${m.n.toLocaleString("en-US")} orders: ${m.totalMs.toFixed(0)} ms, cpu ${m.cpuMs.toFixed(0)} ms (import ${m.importMs.toFixed(0)} ms, match ${m.matchMs.toFixed(0)} ms) — matched ${m.matched}, review ${m.review}, unmatched ${m.unmatched}, ignored ${m.ignored}, applied ${m.applied}\n` +
  `  median of ${runs}: ${d.totalMs.toFixed(0)} ms, cpu ${d.cpuMs.toFixed(0)} ms (import ${d.importMs.toFixed(0)} ms / cpu ${d.importCpuMs.toFixed(0)} ms, match ${d.matchMs.toFixed(0)} ms / cpu ${d.matchCpuMs.toFixed(0)} ms)`
console.log(fmt(a))
console.log(fmt(b))
console.log(
  `load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs (times on a busy machine are inflated)`
)
console.log(
  `growth for 10× data: ${growth.toFixed(1)}× best wall, ${growthCpu.toFixed(1)}× median cpu (target ≤ ~12×); 50k total ${b.best.totalMs.toFixed(0)} ms best, ${b.median.cpuMs.toFixed(0)} ms median cpu (target < 2000 ms)`
)
const ok = b.best.totalMs < 2000 && growth <= 12
console.log(ok ? "✓ within targets" : "✗ outside targets")
fs.mkdirSync(path.dirname(resultFile), { recursive: true })
fs.writeFileSync(
  resultFile,
  `${JSON.stringify(
    {
      name: "reconcile",
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(os.loadavg()[0]!.toFixed(2)) },
      description: "import a Big5 Cathay-style CSV of N rows + match against N open orders",
      baseline: a.best,
      scaled: b.best,
      growth: Number(growth.toFixed(2)),
      median: { runs: { baseline: a.runs, scaled: b.runs }, baseline: a.median, scaled: b.median },
      growthMedianCpu: Number(growthCpu.toFixed(2)),
      targets: { totalMs50k: 2000, growth: 12 },
      withinTargets: ok
    },
    null,
    2
  )}\n`
)
