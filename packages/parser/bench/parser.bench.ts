/**
 * Parser throughput on ≥200,000 realistic comments, against a bare one-regex scan over the same
 * input in the same run; then `kaituan parse` end to end against a plain Node JSON Lines script.
 *
 * Run from the repo root: `node --import tsx --expose-gc packages/parser/bench/parser.bench.ts`
 * (or `pnpm bench parser`). Writes `bench/results/parser.json`.
 */
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { Catalogue, ParseResult } from "@kaituan/core"
import { Parser } from "../src/index.js"
import { childCpuMs, median, writeResult } from "../../../scripts/benchSupport.js"
import { comments, productsJson, products } from "./corpus.js"

const COUNT = 200_000
const ROUNDS = 7
const TARGET = 500_000
const here = path.dirname(new URL(import.meta.url).pathname)
const root = path.resolve(here, "../../..")
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const catalogue = Catalogue.unsafeCompile(products)
const compileStart = performance.now()
const parser = Parser.compile({ catalogue, settings: ParseResult.defaultSettings })
parser.parse("warm up the tables +1")
const compileMs = performance.now() - compileStart
const input = comments(COUNT)

const intents: Record<string, number> = {}
for (const c of input) {
  const i = parser.parse(c).intent
  intents[i] = (intents[i] ?? 0) + 1
}

/**
 * CPU time (user + system) of `f`, in ms. The benchmark machine is often shared, so CPU time is
 * the primary measure (wall time counts the time other processes hold the CPU); wall time is
 * reported next to it.
 */
const wallTimes: Array<number> = []
const time = (f: () => number): { ms: number; sink: number } => {
  gc()
  const w = performance.now()
  const t = process.cpuUsage()
  const sink = f()
  const d = process.cpuUsage(t)
  wallTimes.push(performance.now() - w)
  return { ms: (d.user + d.system) / 1000, sink }
}
const re = /[+＋]\s*\d+/
const parserTimes: Array<number> = []
const regexTimes: Array<number> = []
for (let round = 0; round < ROUNDS; round++) {
  parserTimes.push(
    time(() => {
      let k = 0
      for (let i = 0; i < input.length; i++) k += parser.parse(input[i]!).lines.length
      return k
    }).ms
  )
  regexTimes.push(
    time(() => {
      let k = 0
      for (let i = 0; i < input.length; i++) if (re.test(input[i]!)) k++
      return k
    }).ms
  )
}
const best = (xs: ReadonlyArray<number>): number => Math.min(...xs)
const parserPerSec = Math.round(COUNT / (median(parserTimes) / 1000))
const parserBestPerSec = Math.round(COUNT / (best(parserTimes) / 1000))
const regexPerSec = Math.round(COUNT / (median(regexTimes) / 1000))
const ratio = median(parserTimes) / median(regexTimes)

console.log(`parser: ${COUNT} comments, ${ROUNDS} rounds (compile ${compileMs.toFixed(1)} ms)`)
const parserWallPerSec = Math.round(COUNT / (median(wallTimes.filter((_t, i) => i % 2 === 0)) / 1000))
console.log(
  `  parser  ${parserPerSec.toLocaleString()} comments/s (median CPU time), ${parserBestPerSec.toLocaleString()} best, ${parserWallPerSec.toLocaleString()} by wall time`
)
console.log(`  regex   ${regexPerSec.toLocaleString()} comments/s (median)`)
console.log(
  `  parser is ${ratio.toFixed(1)}× the regex's time; target ≥${TARGET.toLocaleString()}/s: ${parserPerSec >= TARGET ? "met" : "NOT met"} (median)`
)
console.log(`  intents ${JSON.stringify(intents)}`)

// ── end to end ──
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-parser-bench-"))
const roundFile = path.join(dir, "round.json")
const commentsFile = path.join(dir, "comments.jsonl")
fs.writeFileSync(roundFile, JSON.stringify({ id: "bench", title: "bench", mode: "marker", products: productsJson }))
fs.writeFileSync(
  commentsFile,
  input
    .map((text, i) =>
      JSON.stringify({
        id: `c${i + 1}`,
        author: { id: `U${i % 997}`, name: "團員" },
        text,
        at: "2024-05-01T10:00:00+08:00"
      })
    )
    .join("\n") + "\n"
)
/** One run of a command over the comments file: wall and CPU time (ms). */
const runOnce = (args: ReadonlyArray<string>): { wallMs: number; cpuMs: number } => {
  const fd = fs.openSync(commentsFile, "r")
  const c = childCpuMs()
  const t = performance.now()
  const r = spawnSync(process.execPath, [...args], { stdio: [fd, "ignore", "pipe"], cwd: root, maxBuffer: 1 << 26 })
  const wallMs = performance.now() - t
  const cpuMs = childCpuMs() - c
  fs.closeSync(fd)
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  return { wallMs, cpuMs }
}
// The baseline and the CLI alternate (baseline, CLI, baseline, CLI…) so that a change in the
// machine's load hits both alike; the ratio is the median of the pairs' ratios.
const PAIRS = 5
const cliMain = path.join(root, "examples/cli/dist/main.js")
const baseRuns: Array<{ wallMs: number; cpuMs: number }> = []
const cliRuns: Array<{ wallMs: number; cpuMs: number }> = []
let cliError: string | undefined = fs.existsSync(cliMain) ? undefined : "missing"
for (let k = 0; k < PAIRS; k++) {
  baseRuns.push(runOnce([path.join(here, "baseline-jsonl.mjs")]))
  if (cliError !== undefined) continue
  try {
    cliRuns.push(runOnce([cliMain, "parse", "--round", roundFile]))
  } catch (e) {
    cliError = e instanceof Error ? e.message.slice(0, 120) : String(e)
    console.log(`  kaituan parse failed: ${cliError}`)
  }
}
const summary = (runs: ReadonlyArray<{ wallMs: number; cpuMs: number }>) => ({
  wallMs: median(runs.map((r) => r.wallMs)),
  cpuMs: median(runs.map((r) => r.cpuMs))
})
const baseline = summary(baseRuns)
const cli: { wallMs: number; cpuMs: number; wallRatio: number; cpuRatio: number } | null =
  cliRuns.length === PAIRS
    ? {
        ...summary(cliRuns),
        wallRatio: median(cliRuns.map((r, k) => r.wallMs / baseRuns[k]!.wallMs)),
        cpuRatio: median(cliRuns.map((r, k) => r.cpuMs / baseRuns[k]!.cpuMs))
      }
    : null
console.log(`end to end (${COUNT} JSON Lines, ${PAIRS} alternating pairs, process start included; CPU / wall):`)
console.log(`  plain node + regex  ${baseline.cpuMs.toFixed(0)} ms / ${baseline.wallMs.toFixed(0)} ms`)
if (cli !== null)
  console.log(
    `  kaituan parse       ${cli.cpuMs.toFixed(0)} ms / ${cli.wallMs.toFixed(0)} ms = ${cli.cpuRatio.toFixed(2)}× CPU, ${cli.wallRatio.toFixed(2)}× wall, median of the pairs (target ≤ 3×)`
  )
else
  console.log(
    "  kaituan parse       skipped: examples/cli/dist/main.js is missing or has no parse command yet (build the CLI after wiring it)"
  )
fs.rmSync(dir, { recursive: true, force: true })

const results = {
  name: "parser",
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadavg: os.loadavg(),
  comments: COUNT,
  rounds: ROUNDS,
  compileMs,
  measure: "CPU time (user + system) of this process; wall time alongside",
  parser: {
    commentsPerSecond: parserPerSec,
    bestCommentsPerSecond: parserBestPerSec,
    wallCommentsPerSecond: parserWallPerSec,
    medianCpuMs: median(parserTimes)
  },
  baseline: { name: "one regex /[+＋]\\s*\\d+/", commentsPerSecond: regexPerSec, medianCpuMs: median(regexTimes) },
  ratio,
  target: { commentsPerSecond: TARGET, met: parserPerSec >= TARGET },
  intents,
  endToEnd: {
    baseline,
    cli,
    cpuRatio: cli === null ? null : cli.cpuRatio,
    wallRatio: cli === null ? null : cli.wallRatio,
    target: 3,
    skipped: cli === null ? "examples/cli/dist/main.js missing, without a parse command, or failed" : null
  }
}
writeResult("parser", results)
console.log("wrote bench/results/parser.json")
