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
import os from "node:os"
import path from "node:path"
import { Matcher, Statement } from "@kaituan/reconcile"
import { Result } from "effect"
import { generate } from "../../../packages/reconcile/bench/world.js"
import { childCpuMs, median, repoRoot, writeResult } from "../../../scripts/benchSupport.js"

const N = Number(process.env.BENCH_RECONCILE_N ?? 50_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const TARGET = 2
const cliMain = path.join(repoRoot, "examples/cli/dist/main.js")
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
