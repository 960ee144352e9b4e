/**
 * 1,000 packing slips with QR codes into one PDF (A4, 4 a page; and 80 mm thermal), from a round
 * run through the real GroupBuy service on SQLite (a temp file): 1,000 buyers with 1–3 items of
 * a 6-product catalogue (Traditional and Simplified names), all paid, a third shipped as meet-up
 * pickups (their QR code is the pickup code). The PDF is streamed to a file. Targets: under 5 s,
 * under 5 MB, memory flat: the peak RSS while printing 5,000 slips is compared with 1,000 (a
 * document held in memory would grow with it).
 *
 * `ms` is wall-clock time; `cpuMs` the process's CPU time over the same span (on a busy shared
 * machine the wall clock also counts the time other processes held the cores: compare the load
 * average recorded with the result).
 *
 * Run: `node --import tsx --expose-gc packages/documents/bench/slips.bench.ts` (from the repo
 * root) or `pnpm bench slips`. Writes `bench/results/slips.json`.
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { GroupBuy, IdGenerator, RoundSpec, type Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { SqlStorage } from "@kaituan/storage-sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, ManagedRuntime, Result, Stream } from "effect"
import { lcg, writeResult } from "../../../scripts/benchSupport.js"
import { Print, Slips } from "../src/index.js"

const SMALL = Number(process.env.BENCH_SLIPS ?? 1_000)
const LARGE = SMALL * 5
const products = [
  { sku: "MANGO", name: "愛文芒果禮盒", price: 680 },
  { sku: "EGG", name: "蛋黃酥", price: 300 },
  { sku: "NOTE", name: "简体字笔记本", price: 120 },
  { sku: "SOCK", name: "韓國毛襪", price: 120 },
  { sku: "CUP", name: "保溫杯", price: 450 },
  { sku: "BAG", name: "帆布袋", price: 250 }
]
const names = ["王小明", "陈小华", "林美美", "張大千", "李曉華", "黃阿姨", "吳先生", "蔡小姐"]

/** Opens a round of `n` buyers on a fresh SQLite file, closes it, pays every order, ships a third as pickups. */
const seed = async (n: number) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-slips-bench-"))
  const storage = SqlStorage.layer().pipe(Layer.provide(SqliteClient.layer({ filename: path.join(dir, "k.db") })))
  const app = GroupBuy.layer.pipe(Layer.provideMerge(Layer.mergeAll(storage, Parser.layer, IdGenerator.layerNanoid)))
  const runtime = ManagedRuntime.make(app)
  const next = lcg(15)
  const t0 = performance.now()
  await runtime.runPromise(
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const spec = { id: "bench", title: "效能測試團", sellers: ["團主小美"], products }
      yield* g.openRound({ spec: Result.getOrThrow(RoundSpec.decode(spec)), at: "2024-06-01T09:00:00+08:00" })
      const comments = Array.from({ length: n }, (_, i) => {
        const items = Array.from(
          { length: 1 + next(3) },
          (_, k) => `${products[(i + k * 2) % products.length]!.name}+${1 + next(3)}`
        )
        return {
          channel: "line",
          commentId: `m${i}`,
          author: { id: `U${i}`, name: `${names[i % names.length]}${i}` },
          text: items.join(" "),
          at: "2024-06-01T10:00:00+08:00"
        }
      })
      for (let i = 0; i < n; i += 500)
        yield* g.submitComments({ roundId: "bench", comments: comments.slice(i, i + 500) })
      const orders = yield* g.closeRound({ roundId: "bench", at: "2024-06-10T22:00:00+08:00" })
      yield* Effect.forEach(
        orders,
        (o, i) =>
          Effect.gen(function* () {
            yield* g.recordPayment({
              transactionId: `tx-${i}`,
              source: "cash",
              amount: o.total,
              at: "2024-06-11T09:30:00+08:00",
              orderIds: [o.orderId],
              evidence: "cash"
            })
            if (i % 3 === 0)
              yield* g.ship({
                orderId: o.orderId,
                lines: o.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
                method: "pickup"
              })
          }),
        { concurrency: 1 }
      )
    })
  )
  return { runtime, dir, seedSeconds: (performance.now() - t0) / 1000 }
}

/** Prints the slips to a file, sampling RSS every 10 ms; returns time, size, pages and peak RSS. */
const print = async (
  runtime: ManagedRuntime.ManagedRuntime<Storage.Storage, unknown>,
  dir: string,
  format: Slips.Format
) => {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  const slips = await runtime.runPromise(Stream.runCount(Slips.collect({ roundId: "bench" })))
  const file = path.join(dir, `slips-${format}.pdf`)
  const out = fs.createWriteStream(file)
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  let chunks = 0
  await runtime.runPromise(
    Print.writeTo(Slips.pdf({ roundId: "bench", format }).pipe(Stream.tap(() => Effect.sync(() => chunks++))), out)
  )
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  const bytes = fs.statSync(file).size
  const pages = Number(/\/Count (\d+)/.exec(fs.readFileSync(file, "latin1"))?.[1] ?? Number.NaN)
  return {
    slips,
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    bytes,
    mb: Math.round((bytes / 1024 / 1024) * 100) / 100,
    pages,
    chunks,
    rssBeforeMb: Math.round(before / 1024 / 1024),
    rssPeakMb: Math.round(peak / 1024 / 1024),
    rssGrowthMb: Math.round((peak - before) / 1024 / 1024)
  }
}

const main = async () => {
  const loadBefore = os.loadavg()[0]!
  // Warm up: loads pdfkit, fontkit and the fonts once (as a long-running server would have them).
  const small = await seed(SMALL)
  await print(small.runtime, small.dir, "a4")
  const a4 = await print(small.runtime, small.dir, "a4")
  const thermal = await print(small.runtime, small.dir, "thermal")
  await small.runtime.dispose()
  const large = await seed(LARGE)
  const a4Large = await print(large.runtime, large.dir, "a4")
  await large.runtime.dispose()
  for (const d of [small.dir, large.dir]) fs.rmSync(d, { recursive: true, force: true })
  const result = {
    name: "slips",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: { before: loadBefore, after: os.loadavg()[0] },
    description: `${SMALL} packing slips with QR codes (a third meet-up pickups) into one PDF, streamed to a file from SQLite; RSS sampled every 10 ms; ${LARGE} slips to check memory stays flat`,
    targets: { ms: 5000, mb: 5, memory: "flat" },
    seedSeconds: { small: Math.round(small.seedSeconds * 10) / 10, large: Math.round(large.seedSeconds * 10) / 10 },
    a4,
    thermal,
    a4Large,
    ok: a4.ms < 5000 && a4.mb < 5 && thermal.ms < 5000 && thermal.mb < 5 && a4Large.rssGrowthMb < a4.rssGrowthMb + 60
  }
  console.log(JSON.stringify(result, null, 2))
  console.log(`wrote ${writeResult("slips", result)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
