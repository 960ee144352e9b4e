/**
 * Replays 100,000 comments from 20,000 buyers through the in-memory engine (parser, Round
 * decider, read models, outbox) and compares with a baseline in the same run: the parser alone
 * over the same comments. Target: the whole replay under 1 s on this machine. After a warm-up
 * (the parser, and a replay of a tenth of the comments), BENCH_RUNS (5) replays on fresh stores;
 * the best and the median are recorded.
 * Writes bench/results/engine.json.
 */
import { Catalogue, GroupBuy, IdGenerator, RoundSpec, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Effect, Layer, Result } from "effect"
import { lcg, median, writeResult } from "../../../scripts/benchSupport.js"

const COMMENTS = Number(process.env.BENCH_COMMENTS ?? 100_000)
const BUYERS = 20_000

const spec = Result.getOrThrow(
  RoundSpec.decode({
    id: "bench",
    title: "bench",
    cutoff: "2030-01-01T00:00:00+08:00",
    products: [
      {
        sku: "SOCK",
        name: "韓國毛襪",
        aliases: ["毛襪"],
        price: 120,
        options: { 顏色: { 紅: ["紅色"], 白: ["白色"], 黑: ["黑色"] }, 尺寸: { S: [], M: [], L: [] } },
        variants: ["紅", "白", "黑"].flatMap((c) =>
          ["S", "M", "L"].map((s) => ({ sku: `SOCK-${c}-${s}`, options: { 顏色: c, 尺寸: s }, stock: 5_000 }))
        )
      },
      { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 40_000 },
      { sku: "CUP", name: "保溫杯", price: 450 }
    ]
  })
)

// A deterministic mix of what buyers write.
const phrases = [
  "紅S+1",
  "黑色L+2",
  "白M +1",
  "蛋黃酥+2",
  "保溫杯+1",
  "紅L+1 白S+1",
  "+1",
  "請問還有嗎?",
  "改成2",
  "取消",
  "謝謝團主",
  "黑M+1",
  "蛋黄酥 +3",
  "已匯款 480 後五碼12345"
]
const rand = lcg(42)
const base = Date.parse("2029-12-01T00:00:00+08:00")
const comments: Array<GroupBuy.CommentInput> = Array.from({ length: COMMENTS }, (_, i) => {
  const b = rand(BUYERS)
  return {
    channel: "line",
    commentId: `m${i}`,
    author: { id: `U${b}`, name: `買家${b}` },
    text: phrases[rand(phrases.length)]!,
    at: new Date(base + i * 1000).toISOString()
  }
})

const runEngine = async (input: ReadonlyArray<GroupBuy.CommentInput> = comments) => {
  const layer = GroupBuy.layer.pipe(
    Layer.provide(Layer.mergeAll(Storage.layerMemory, Parser.layer, IdGenerator.layerCounter))
  )
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  const report = await Effect.runPromise(
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec })
      const out = yield* g.submitComments({ roundId: "bench", comments: input })
      const r = yield* g.report("bench")
      return { out, r }
    }).pipe(Effect.provide(layer))
  )
  const cpu = process.cpuUsage(c0)
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, report }
}

const runParserOnly = () => {
  const compiled = Parser.compile({
    catalogue: Catalogue.unsafeCompile(spec.products),
    settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
  })
  const t0 = performance.now()
  let orders = 0
  for (const c of comments) if (compiled.parse(c.text).intent === "order") orders++
  return { ms: performance.now() - t0, orders }
}

// Warm up (the parser, and the engine on a tenth of the comments, so the JIT has seen the code),
// then measure RUNS full replays, each on a fresh store.
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const main = async () => {
  runParserOnly()
  await runEngine(comments.slice(0, COMMENTS / 10))
  const runs = []
  for (let i = 0; i < RUNS; i++) {
    ;(globalThis as any).gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const { ms, cpuMs, report } = await runEngine()
    runs.push({
      ms,
      cpuMs,
      heapMb: (process.memoryUsage().heapUsed - heapBefore) / 1e6,
      orders: report.r.orders.length,
      review: report.r.review.length
    })
  }
  const parser = runParserOnly()
  const best = Math.min(...runs.map((r) => r.ms))
  const bestCpu = Math.min(...runs.map((r) => r.cpuMs))
  const result = {
    name: "engine",
    comments: COMMENTS,
    buyers: BUYERS,
    engineMs: {
      best: Math.round(best),
      median: Math.round(median(runs.map((r) => r.ms))),
      runs: runs.map((r) => Math.round(r.ms))
    },
    engineCpuMs: {
      best: Math.round(bestCpu),
      median: Math.round(median(runs.map((r) => r.cpuMs))),
      runs: runs.map((r) => Math.round(r.cpuMs))
    },
    loadAverage: (await import("node:os")).loadavg()[0],
    commentsPerSecond: Math.round(COMMENTS / (best / 1000)),
    baselineParserOnlyMs: Math.round(parser.ms),
    engineOverParser: Number((best / parser.ms).toFixed(2)),
    heapGrowthMb: Number(runs[runs.length - 1]!.heapMb.toFixed(1)),
    orders: runs[0]!.orders,
    distinctBuyers: new Set(comments.map((c) => c.author.id)).size,
    reviewItems: runs[0]!.review,
    target: "100,000 comments from 20,000 buyers under 1,000 ms",
    met: best < 1000,
    node: process.version,
    at: new Date().toISOString()
  }
  writeResult("engine", result)
  console.log(
    `engine: ${COMMENTS.toLocaleString()} comments / ${BUYERS.toLocaleString()} buyers in ${result.engineMs.best} ms wall best, ${result.engineMs.median} median of ${RUNS}, ${result.engineCpuMs.best} ms CPU best (${result.commentsPerSecond.toLocaleString()}/s; parser alone ${result.baselineParserOnlyMs} ms) → ${result.met ? "target met" : "TARGET MISSED"}`
  )
}
main()
