/**
 * `kaituan reconcile` through the command against the engine in the same run: a generated
 * Cathay-style statement (Big5 CSV, preamble, newest first) of N rows against N open orders
 * (N = 50,000 by default, `BENCH_RECONCILE_N`), as `ORDERS.json` and `statement.csv` files.
 *
 * - engine: in this process, `Statement.parseCsv` + `Matcher.match` on the same bytes and orders
 *   (what `packages/reconcile/bench/reconcile.bench.ts` measures), after a warm-up;
 * - command: the built CLI (`examples/cli/dist/main.js`) in a child process, process start
 *   included, reading both files and writing its output to a file: with `--json`, and as tables.
 *
 * Target: the command within 2× the engine's wall time. Medians of `BENCH_RUNS` (3) runs; CPU time
 * is reported beside wall time (the machine may be shared). Build the CLI first (`pnpm bench`
 * does). Run from the repo root: `node --import tsx --expose-gc examples/cli/bench/reconcile-command.bench.ts`
 * (or `pnpm bench reconcile-command`). Writes `bench/results/reconcile-command.json`.
 */
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import { createRequire } from "node:module"
import os from "node:os"
import path from "node:path"
import { Matcher, Statement } from "@kaituan/reconcile"
import { Result } from "effect"
import { median, repoRoot, writeResult } from "../../../scripts/benchSupport.js"

const N = Number(process.env.BENCH_RECONCILE_N ?? 50_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const TARGET = 2
const cliMain = path.join(repoRoot, "examples/cli/dist/main.js")
// Big5 encoding for the generated statement: the reconcile package's own dependency.
const iconv = createRequire(path.join(repoRoot, "packages/reconcile/package.json"))("iconv-lite") as {
  encode: (s: string, encoding: string) => Uint8Array
}

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
const pad = (n: number, w: number) => String(n).padStart(w, "0")

/** N orders (80% of buyers with one, the rest with two) and a statement of N rows paying them in the usual ways. */
const generate = (n: number, seed: number) => {
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
    orders.push({
      orderId: `R${pad(i, 6)}`,
      buyer: { id: `U${b}`, name: names[b]! },
      amountDue: 100 + 10 * Math.floor(rnd() * 490),
      placedAt: new Date(start + Math.floor(rnd() * 20 * 86_400_000)).toISOString(),
      ...(rnd() < 0.6 ? { last5: pad(Math.floor(rnd() * 100_000), 5) } : {})
    })
  }
  type Row = { day: number; amount: number; account: string; memo: string }
  const rows: Array<Row> = []
  for (let i = 0; i < n; i++) {
    const o = orders[Math.floor(rnd() * n)]!
    const day = Math.min(29, Math.floor((Date.parse(o.placedAt!) - start) / 86_400_000) + 1 + Math.floor(rnd() * 8))
    const digits = (l5: string) => `(${pick(["822", "812", "700", "013", "808"])})00000000000${l5}`
    const other = () => digits(pad(Math.floor(rnd() * 100_000), 5))
    const r = rnd()
    if (r < 0.55 && o.last5 !== undefined) rows.push({ day, amount: o.amountDue, account: digits(o.last5), memo: "" })
    else if (r < 0.8) rows.push({ day, amount: o.amountDue, account: other(), memo: `${o.buyer.name} 團購` })
    else if (r < 0.85)
      rows.push({ day, amount: Math.max(10, o.amountDue - 100), account: other(), memo: o.buyer.name! })
    else if (r < 0.9) rows.push({ day, amount: o.amountDue, account: other(), memo: "" })
    else if (r < 0.95)
      rows.push({ day, amount: -(100 + Math.floor(rnd() * 5000)), account: digits("99999"), memo: "進貨" })
    else
      rows.push(rows.length > 0 ? { ...rows[rows.length - 1]! } : { day, amount: o.amountDue, account: "", memo: "" })
  }
  rows.sort((a, b) => b.day - a.day) // newest first, like Cathay
  let balance = 1_000_000
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
  return { orders, csv: new Uint8Array(iconv.encode(`${lines.join("\r\n")}\r\n`, "cp950")) }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000

/** The engine in this process: import the statement and match it, as the reconcile benchmark does. */
const engineRun = (w: ReturnType<typeof generate>) => {
  gc()
  const c = process.cpuUsage()
  const t = performance.now()
  const statement = Result.getOrThrow(Statement.parseCsv(w.csv))
  const result = Matcher.match({ orders: w.orders, transactions: statement.transactions })
  return { wallMs: performance.now() - t, cpuMs: cpuMs(process.cpuUsage(c)), summary: result.summary }
}

/** Children's CPU time so far (user + system, ms), from /proc/self/stat (Linux); NaN elsewhere. */
const childCpuMs = (): number => {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100
  } catch {
    return Number.NaN
  }
}

/** The built command in a child process, its standard output to a file. */
const commandRun = (args: ReadonlyArray<string>, outFile: string) => {
  const out = fs.openSync(outFile, "w")
  const c = childCpuMs()
  const t = performance.now()
  const r = spawnSync(process.execPath, [cliMain, ...args], { stdio: ["ignore", out, "pipe"], maxBuffer: 1 << 26 })
  const wallMs = performance.now() - t
  const cpu = childCpuMs() - c
  fs.closeSync(out)
  if (r.status !== 0) throw new Error(`kaituan ${args.join(" ")} exited ${r.status}: ${String(r.stderr).slice(0, 400)}`)
  return { wallMs, cpuMs: cpu }
}

const summarize = (runs: ReadonlyArray<{ wallMs: number; cpuMs: number }>) => ({
  wallMs: Math.round(median(runs.map((r) => r.wallMs))),
  cpuMs: Math.round(median(runs.map((r) => r.cpuMs))),
  runs: runs.map((r) => Math.round(r.wallMs))
})

if (!fs.existsSync(cliMain)) {
  console.log("examples/cli/dist/main.js is missing: build the CLI first (pnpm --filter @kaituan/cli run build)")
  process.exit(1)
}
const loadBefore = os.loadavg()[0]!
const world = generate(N, 2)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-reconcile-bench-"))
const ordersFile = path.join(dir, "orders.json")
const statementFile = path.join(dir, "statement.csv")
fs.writeFileSync(ordersFile, `${JSON.stringify(world.orders, null, 2)}\n`)
const ordersFileBytes = fs.statSync(ordersFile).size
fs.writeFileSync(statementFile, world.csv)

engineRun(generate(5_000, 1)) // warm-up
engineRun(world)
const engineRuns = Array.from({ length: RUNS }, () => engineRun(world))
const engine = summarize(engineRuns)
const args = ["reconcile", "--orders", ordersFile, "--statement", statementFile]
const jsonOut = path.join(dir, "out.json")
const json = summarize(Array.from({ length: RUNS }, () => commandRun([...args, "--json"], jsonOut)))
const tables = summarize(Array.from({ length: RUNS }, () => commandRun(args, path.join(dir, "out.txt"))))
const start = summarize(Array.from({ length: RUNS }, () => commandRun(["--version"], path.join(dir, "version.txt"))))
// The command decided what the engine decided.
const printed = JSON.parse(fs.readFileSync(jsonOut, "utf8")) as { transactions: ReadonlyArray<{ status: string }> }
const matched = printed.transactions.filter((t) => t.status === "matched").length
if (matched !== engineRuns[0]!.summary.matched)
  throw new Error(`the command matched ${matched} transactions, the engine ${engineRuns[0]!.summary.matched}`)
const outputBytes = fs.statSync(jsonOut).size
fs.rmSync(dir, { recursive: true, force: true })

const ratio = (x: { wallMs: number }) => Number((x.wallMs / engine.wallMs).toFixed(2))
const cpuRatio = (x: { cpuMs: number }) => Number((x.cpuMs / engine.cpuMs).toFixed(2))
const fmt = (name: string, x: { wallMs: number; cpuMs: number }) =>
  `  ${name.padEnd(28)} ${String(x.wallMs).padStart(6)} ms wall, ${String(x.cpuMs).padStart(6)} ms CPU`
console.log(
  `reconcile command: ${N.toLocaleString("en-US")} rows × ${N.toLocaleString("en-US")} orders, median of ${RUNS}`
)
console.log(fmt("engine (parseCsv + match)", engine))
console.log(`${fmt("kaituan reconcile --json", json)} = ${ratio(json)}× wall, ${cpuRatio(json)}× CPU`)
console.log(`${fmt("kaituan reconcile (tables)", tables)} = ${ratio(tables)}× wall, ${cpuRatio(tables)}× CPU`)
console.log(fmt("kaituan --version (start-up)", start))
const met = ratio(json) <= TARGET && ratio(tables) <= TARGET
console.log(`target: the command within ${TARGET}× the engine's wall time: ${met ? "met" : "NOT met"}`)
console.log(
  `load average ${loadBefore.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs (times on a busy machine are inflated)`
)
writeResult("reconcile-command", {
  name: "reconcile-command",
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(os.loadavg()[0]!.toFixed(2)) },
  description:
    "kaituan reconcile (built CLI, child process, start-up included) vs Statement.parseCsv + Matcher.match in process, same files",
  rows: N,
  orders: N,
  runs: RUNS,
  ordersFileBytes,
  statementFileBytes: world.csv.length,
  jsonOutputBytes: outputBytes,
  summary: engineRuns[0]!.summary,
  engine,
  command: { json, tables, startUp: start },
  ratio: { json: ratio(json), tables: ratio(tables) },
  cpuRatio: { json: cpuRatio(json), tables: cpuRatio(tables) },
  target: TARGET,
  met
})
console.log("wrote bench/results/reconcile-command.json")
