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
import { Matcher, Statement } from "../src/index.js"
import { generate, type World } from "./world.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const resultFile = path.resolve(here, "../../../bench/results/reconcile.json")

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
