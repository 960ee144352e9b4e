/**
 * One page (50) of a round's orders by status through the API, from a 20,000-order round: the
 * whole path a back-office page takes (HTTP on a real port, the bearer token checked, the query
 * decoded, the keyset query, the JSON encoded), on SQLite (a temp file) and on PostgreSQL.
 * Target: p99 < 50 ms.
 *
 * The round is opened through GroupBuy; its 20,000 orders are written as read-model rows
 * directly (as storage-sql's benchmark does): statuses mixed 40% awaiting payment, 30% paid, 20%
 * shipped, 10% cancelled. Each measured request asks for the 50 orders of one status after a
 * random cursor (or the first page), one request at a time over a keep-alive connection.
 *
 * Run: `node --import tsx --expose-gc packages/http/bench/http-orders.bench.ts` (from the repo
 * root) or `pnpm bench http-orders`. PostgreSQL: `KAITUAN_PG_URL` (default
 * postgres://postgres@127.0.0.1:5432/test; skipped when it cannot be reached). Writes
 * `bench/results/http.json`.
 */
import fs from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { GroupBuy, IdGenerator, type ReadModel, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { SqlStorage } from "@kaituan/storage-sql"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { lcg, median, writeResult } from "../../../scripts/benchSupport.js"
import { Server, Tokens, WebHandler } from "../src/index.js"

const ORDERS = Number(process.env.BENCH_ORDERS ?? 20_000)
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000)
const WARMUP = 40
const LIMIT = 50
const ROUND = "bench"
const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const statuses: ReadonlyArray<ReadModel.OrderStatus> = ["awaiting-payment", "paid", "shipped", "cancelled"]
const statusOf = (i: number): ReadModel.OrderStatus => {
  const k = i % 10
  return k < 4 ? "awaiting-payment" : k < 7 ? "paid" : k < 9 ? "shipped" : "cancelled"
}

const p99 = (xs: ReadonlyArray<number>): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.99) - 1)]!

const at = new Date().toISOString()
const orderOf = (i: number): ReadModel.OrderView => ({
  roundId: ROUND,
  orderId: `o_bench_${i}`,
  buyerId: `line:U${i}`,
  buyer: { id: `U${i}`, name: `買家${i}` },
  status: statusOf(i),
  lines: [{ sku: "SOCK-R", qty: 1 + (i % 3), unitPrice: 120 }],
  total: 120 * (1 + (i % 3)),
  paid: statusOf(i) === "awaiting-payment" ? 0 : 120 * (1 + (i % 3)),
  seq: i + 1,
  placedAt: at,
  updatedAt: at
})

const spec = {
  id: ROUND,
  title: "benchmark",
  timezone: "Asia/Taipei",
  mode: "marker",
  maxQtyPerLine: 50,
  extraMarkers: [],
  extraFillers: [],
  sellers: [],
  repeatOrder: "add",
  partialFill: "fill-and-report",
  onEdit: "review",
  products: [{ sku: "SOCK-R", name: "毛襪", price: 120 }]
} as never

interface Measured {
  readonly firstPageMs: { readonly p50: number; readonly p99: number }
  readonly byStatusMs: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly requests: number
  readonly itemsPerPage: number
  readonly seedSeconds: number
}

/** Seeds the round, serves the API on a port, measures pages. */
const measure = async (storage: Layer.Layer<Storage.Storage, unknown>): Promise<Measured> => {
  const app = Server.layerServices.pipe(
    Layer.provideMerge(GroupBuy.layer),
    Layer.provideMerge(Layer.mergeAll(storage, Parser.layer, IdGenerator.layerNanoid))
  )
  const runtime = ManagedRuntime.make(app)
  const t0 = performance.now()
  await runtime.runPromise(
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec })
      const s = yield* Storage.Storage
      for (let i = 0; i < ORDERS; i += 500) {
        const views: Array<ReadModel.ViewChange> = []
        for (let k = i; k < Math.min(ORDERS, i + 500); k++) views.push({ _tag: "UpsertOrder", order: orderOf(k) })
        yield* s.commit([{ appends: [], views, outbox: [] }])
      }
    })
  )
  const seedSeconds = (performance.now() - t0) / 1000
  const token = Redacted.value(
    (await runtime.runPromise(Tokens.Tokens.use((t) => t.create({ role: "helper", label: "bench" })))).token
  )
  const api = WebHandler.make(Layer.succeedContext(await runtime.context()))
  const server = createServer(WebHandler.toNodeListener(api.handler))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/rounds/${ROUND}/orders`
  const headers = { authorization: `Bearer ${token}` }
  const get = async (query: string) => {
    const a = performance.now()
    const r = await fetch(`${base}?${query}`, { headers })
    const body = (await r.json()) as { items: Array<unknown> }
    const ms = performance.now() - a
    if (r.status !== 200) throw new Error(`status ${r.status}`)
    return { ms, items: body.items.length }
  }
  try {
    const next = lcg(20_240_501)
    const queryOf = (n: number) => {
      const status = statuses[n % statuses.length]!
      const cursor = next(ORDERS - 2_000)
      return `status=${status}&limit=${LIMIT}${n % 5 === 0 ? "" : `&cursor=${cursor}`}`
    }
    for (let n = 0; n < WARMUP; n++) await get(queryOf(n))
    const first: Array<number> = []
    const byStatus: Array<number> = []
    let items = 0
    for (let n = 0; n < REQUESTS; n++) {
      const r = await get(queryOf(n))
      byStatus.push(r.ms)
      items = Math.max(items, r.items)
      if (n % 4 === 0) first.push((await get(`limit=${LIMIT}`)).ms)
    }
    const round = (x: number) => Number(x.toFixed(2))
    return {
      firstPageMs: { p50: round(median(first)), p99: round(p99(first)) },
      byStatusMs: { p50: round(median(byStatus)), p99: round(p99(byStatus)), max: round(Math.max(...byStatus)) },
      requests: byStatus.length,
      itemsPerPage: items,
      seedSeconds: round(seedSeconds)
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await api.dispose()
    await runtime.dispose()
  }
}

const dropPg = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{
      tablename: string
    }>`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND starts_with(tablename, ${prefix})`
    for (const r of rows) yield* sql`DROP TABLE ${sql(r.tablename)}`
  })

const run = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-http-bench-"))
  const tag = `httpbench_${process.pid}_`
  try {
    console.log(`SQLite: ${ORDERS} orders, ${REQUESTS} pages of ${LIMIT}…`)
    const sqlite = await measure(
      SqlStorage.layer().pipe(Layer.provide(SqliteClient.layer({ filename: path.join(dir, "bench.db") })))
    )
    console.log(`  by status p50 ${sqlite.byStatusMs.p50} ms, p99 ${sqlite.byStatusMs.p99} ms`)
    let postgres: Measured | { readonly skipped: string }
    const pgClient = PgClient.layer({ url: Redacted.make(pgUrl), maxConnections: 4 })
    try {
      console.log(`PostgreSQL: ${ORDERS} orders, ${REQUESTS} pages of ${LIMIT}…`)
      postgres = await measure(
        SqlStorage.layer({ tablePrefix: `${tag}s_` }).pipe(Layer.provide(pgClient)) as Layer.Layer<
          Storage.Storage,
          unknown
        >
      )
      console.log(`  by status p50 ${postgres.byStatusMs.p50} ms, p99 ${postgres.byStatusMs.p99} ms`)
    } catch (e) {
      postgres = { skipped: `PostgreSQL not reachable or failed: ${e instanceof Error ? e.message : String(e)}` }
      console.log(`  ${postgres.skipped}`)
    } finally {
      await Effect.runPromise(dropPg(tag).pipe(Effect.provide(pgClient))).catch(() => {})
    }
    const target = 50
    const meets = (m: Measured | { readonly skipped: string }) => "byStatusMs" in m && m.byStatusMs.p99 < target
    const result = {
      name: "http",
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      /** Other processes share the machine: read the wall-clock numbers with the load in mind. */
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      orders: ORDERS,
      pageSize: LIMIT,
      what: "GET /api/v1/rounds/:roundId/orders?status=S&limit=50[&cursor=C] over HTTP with a bearer token, one at a time",
      sqlite,
      postgres,
      target: { p99Ms: target },
      meetsTarget: { sqlite: meets(sqlite), postgres: meets(postgres) }
    }
    const file = writeResult("http", result)
    console.log(`wrote ${path.relative(process.cwd(), file)}`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

await run()
