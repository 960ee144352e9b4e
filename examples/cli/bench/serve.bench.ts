/**
 * Load test of `kaituan serve`: signed LINE webhooks (one event each, 10% of them redeliveries of
 * an earlier event) from a bounded pool of concurrent keep-alive connections on 127.0.0.1, to the
 * server running in a child process on a fresh SQLite file, with the outbox relay pushing
 * "order confirmed" messages to a local stand-in of LINE's API (`LineTestServer`).
 *
 * Baseline in the same run: the same requests against a bare `node:http` server in the same child
 * that reads the body, checks the signature and answers 200 (the HTTP + HMAC floor of this
 * machine). Reports events/s sustained, p50/p99 latency, and checks that no order was doubled
 * (every buyer × product is ordered once, so any doubled event would show as qty 2).
 * Target: ≥ 2,000 events/s with p99 < 100 ms. Bounded: at most BENCH_EVENTS events (default 20,000)
 * or 60 s. The machine may be shared, so it also reports the server's CPU time (child process, both
 * for the server and for the baseline) as events per server CPU-second, and the CPU per message of
 * the shutdown drain (the outbox relay lags under load and sends the rest then).
 * Then webhooks with report readers: BENCH_READER_EVENTS webhooks (default 2,000) from 8 connections,
 * first alone (the quiet baseline, same run) and then while 32 clients keep reading the round's full
 * report (`GET /api/rounds/:id`, every order with its buyer: the largest read the server answers)
 * from a process of their own; target: webhook p99 < 100 ms with the readers.
 * BENCH_PROFILE=<dir> writes a CPU profile of the measured run (server child only); with
 * BENCH_PROFILE_PHASE=readers, of the webhooks-with-readers run instead.
 * Writes bench/results/serve.json.
 */
import { fork } from "node:child_process"
import fs from "node:fs"
import { type Agent as HttpAgent, Agent, createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import { monitorEventLoopDelay } from "node:perf_hooks"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { LineSignature, LineTestServer } from "@kaituan/adapters-line"
import { lcg, writeResult } from "../../../scripts/benchSupport.js"

const SECRET = "bench-line-channel-secret"
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64)
/** The warm-up sends every buyer's first comment, so LINE display names are cached (measured apart as `coldStart`). */
const WARMUP = 2_000
const MAX_SECONDS = 60
const READER_EVENTS = Number(process.env.BENCH_READER_EVENTS ?? 2_000)
const READERS = 32
const READER_PHASE_CONCURRENCY = 8
const PROFILE_READERS = process.env.BENCH_PROFILE_PHASE === "readers"
const BUYERS = 2_000
const PRODUCTS = [
  "毛襪",
  "蛋黃酥",
  "保溫杯",
  "鳳梨酥",
  "牛軋糖",
  "芒果乾",
  "肉鬆",
  "茶葉",
  "果醬",
  "麵線",
  "綠豆糕",
  "太陽餅",
  "杏仁片",
  "麻糬"
]
const ROUND_ID = "bench-serve"
if (WARMUP + EVENTS + 2 * READER_EVENTS > BUYERS * PRODUCTS.length)
  throw new Error(
    `BENCH_EVENTS too large: at most ${BUYERS * PRODUCTS.length - WARMUP} (each buyer orders each product once)`
  )

const roundJson = {
  id: ROUND_ID,
  title: "serve bench",
  cutoff: "2099-12-31T22:00:00+08:00",
  products: PRODUCTS.map((name, i) => ({ sku: `P${i}`, name, price: 100 + i }))
}

// ---------------------------------------------------------------------------------------------
// Child: the server under test (and the baseline server)
// ---------------------------------------------------------------------------------------------

const child = async () => {
  const { decodeRound } = await import("../src/RoundFile.js")
  const Log = await import("../src/server/Log.js")
  const Server = await import("../src/server/Server.js")
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-serve-bench-"))
  const logFile = path.join(dir, "serve.log")
  const logStream = fs.createWriteStream(logFile)
  const lineApi = process.env.BENCH_LINE_API!
  const server = await Server.start({
    port: 0,
    db: path.join(dir, "serve.db"),
    round: decodeRound("bench round", roundJson),
    env: { LINE_CHANNEL_SECRET: SECRET, LINE_CHANNEL_ACCESS_TOKEN: "test-access-token", LINE_API_BASE: lineApi },
    log: Log.make(logStream)
  })
  const baseline = createServer((req, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const ok = LineSignature.verify(
        SECRET,
        Buffer.concat(chunks),
        req.headers["x-line-signature"] as string | undefined
      )
      res.writeHead(ok ? 200 : 401, { "content-type": "text/plain" })
      res.end(ok ? "OK" : "no")
    })
  })
  await new Promise<void>((r) => baseline.listen(0, "127.0.0.1", () => r()))
  const profileDir = process.env.BENCH_PROFILE
  let session: import("node:inspector/promises").Session | undefined
  const toggleProfile = async (dir: string) => {
    if (session === undefined) {
      const { Session } = await import("node:inspector/promises")
      session = new Session()
      session.connect()
      await session.post("Profiler.enable")
      await session.post("Profiler.start")
      return
    }
    const { profile } = await session.post("Profiler.stop")
    session.disconnect()
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, `serve-${Date.now()}.cpuprofile`), JSON.stringify(profile))
  }
  process.send!({
    url: server.url,
    baseline: `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`,
    // A fresh database: the server made its first organiser token (the report needs one).
    token: server.firstToken
  })
  // The server's event-loop delay between two reads of the CPU time: how long a request that is
  // ready waits for the loop (what a report computation holding it costs a webhook).
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  process.on("message", async (m: { readonly stop?: boolean; readonly cpu?: boolean; readonly profile?: boolean }) => {
    if (m.cpu) {
      const u = process.cpuUsage()
      const ms = (ns: number) => Math.round(ns / 1e4) / 100
      const eventLoopDelayMs = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) }
      delay.reset()
      // With BENCH_PROFILE=<dir>: a CPU profile of the measured run only (between the two reads that ask for it).
      if (m.profile && profileDir !== undefined) await toggleProfile(profileDir)
      process.send!({ cpuMs: (u.user + u.system) / 1000, eventLoopDelayMs })
      return
    }
    if (!m.stop) return
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    baseline.close()
    await server.close()
    const closeMs = performance.now() - t0
    const closeCpu = process.cpuUsage(cpu0)
    const closeCpuMs = (closeCpu.user + closeCpu.system) / 1000
    await new Promise<void>((r) => logStream.end(() => r()))
    const lines = fs
      .readFileSync(logFile, "utf8")
      .split("\n")
      .filter((l) => l.includes('"event":"request"')).length
    process.send!({ stopped: true, closeMs, closeCpuMs, requestLogLines: lines }, () => process.exit(0))
  })
}

// ---------------------------------------------------------------------------------------------
// Parent: the load
// ---------------------------------------------------------------------------------------------

interface Req {
  readonly body: string
  readonly signature: string
  readonly redelivery: boolean
}

/** Fresh event k: buyer k mod BUYERS orders product ⌊k / BUYERS⌋ (each buyer × product at most once). */
const makeRequests = (count: number, offset: number, prefix: string): Array<Req> => {
  const out: Array<Req> = []
  const fresh: Array<number> = []
  const rand = lcg(7)
  const bodyOf = (k: number, redelivery: boolean) => {
    const body = JSON.stringify({
      destination: "Ubench",
      events: [
        {
          type: "message",
          mode: "active",
          timestamp: Date.now(), // after the round opened (the server opened it at start): earlier comments go to review
          source: { type: "group", groupId: "Cbench", userId: `U${k % BUYERS}` },
          webhookEventId: `${prefix}EV${k}`,
          deliveryContext: { isRedelivery: redelivery },
          replyToken: `${prefix}reply-${k}`,
          message: {
            id: `${prefix}m${k}`,
            type: "text",
            quoteToken: `q${k}`,
            text: `${PRODUCTS[Math.floor(k / BUYERS) % PRODUCTS.length]}+1`
          }
        }
      ]
    })
    return { body, signature: LineSignature.sign(SECRET, body), redelivery }
  }
  for (let i = 0; i < count; i++) {
    if (fresh.length > 10 && i % 10 === 9) out.push(bodyOf(fresh[rand(fresh.length)]!, true))
    else {
      const k = offset + fresh.length
      fresh.push(k)
      out.push(bodyOf(k, false))
    }
  }
  return out
}

const send = (agent: HttpAgent, url: URL, r: Req): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: "/webhooks/line",
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(r.body),
          "x-line-signature": r.signature
        }
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
      }
    )
    req.on("error", reject)
    req.end(r.body)
  })

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
const round2 = (n: number) => Math.round(n * 100) / 100

const load = async (base: string, requests: ReadonlyArray<Req>, concurrency = CONCURRENCY) => {
  const url = new URL(base)
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const latencies: Array<number> = []
  const statuses: Record<string, number> = {}
  let next = 0
  const deadline = performance.now() + MAX_SECONDS * 1000
  const t0 = performance.now()
  const worker = async () => {
    while (next < requests.length && performance.now() < deadline) {
      const r = requests[next++]!
      const s = performance.now()
      const status = await send(agent, url, r).catch(() => -1)
      latencies.push(performance.now() - s)
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - t0) / 1000
  agent.destroy()
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    events: latencies.length,
    seconds: round2(seconds),
    eventsPerSecond: Math.round(latencies.length / seconds),
    latencyMs: {
      p50: round2(quantile(sorted, 0.5)),
      p90: round2(quantile(sorted, 0.9)),
      p99: round2(quantile(sorted, 0.99)),
      max: round2(sorted.at(-1) ?? 0)
    },
    statuses
  }
}

/** `READERS` clients reading the round's full report in a loop until `stop()`: reads done and their latency. */
const readLoop = (base: string, token: string) => {
  let stopped = false
  const latencies: Array<number> = []
  const statuses: Record<string, number> = {}
  let bytes = 0
  const reader = async () => {
    while (!stopped) {
      const s = performance.now()
      const res = await fetch(`${base}/api/rounds/${ROUND_ID}`, {
        headers: { authorization: `Bearer ${token}` }
      }).catch(() => undefined)
      const body = res === undefined ? undefined : await res.arrayBuffer().catch(() => undefined)
      latencies.push(performance.now() - s)
      bytes += body?.byteLength ?? 0
      const status = res?.status ?? -1
      statuses[status] = (statuses[status] ?? 0) + 1
    }
  }
  const running = Promise.all(Array.from({ length: READERS }, reader))
  return async () => {
    stopped = true
    await running
    const sorted = [...latencies].sort((a, b) => a - b)
    return {
      reads: latencies.length,
      statuses,
      meanBytes: latencies.length === 0 ? 0 : Math.round(bytes / latencies.length),
      latencyMs: { p50: round2(quantile(sorted, 0.5)), p99: round2(quantile(sorted, 0.99)) }
    }
  }
}
type Reads = Awaited<ReturnType<ReturnType<typeof readLoop>>>

/** The readers' process: reads until the parent says stop, then sends what it measured. */
const readersChild = () => {
  const stop = readLoop(process.env.BENCH_SERVE_URL!, process.env.BENCH_SERVE_TOKEN!)
  process.send!({ reading: true })
  process.on("message", async (m: { readonly stop?: boolean }) => {
    if (m.stop) process.send!({ reads: await stop() }, () => process.exit(0))
  })
}

/**
 * The readers, in a process of their own: reading 32 reports of a megabyte each in a loop keeps an
 * event loop busy, and in the parent it would delay the webhook client's own timing.
 */
const readers = async (base: string, token: string): Promise<() => Promise<Reads>> => {
  const proc = fork(fileURLToPath(import.meta.url), ["--readers"], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_SERVE_URL: base, BENCH_SERVE_TOKEN: token },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  await new Promise<void>((resolve) => proc.once("message", () => resolve()))
  return () =>
    new Promise<Reads>((resolve) => {
      proc.on("message", (m: unknown) => {
        const reads = (m as { reads?: Reads }).reads
        if (reads !== undefined) resolve(reads)
      })
      proc.send({ stop: true })
    })
}

const freshIn = (requests: ReadonlyArray<Req>) => requests.filter((r) => !r.redelivery).length

const parent = async () => {
  const line = await LineTestServer.listen({})
  for (let b = 0; b < BUYERS; b++) line.setProfile(`U${b}`, `買家${b}`, { groupId: "Cbench" })
  const proc = fork(fileURLToPath(import.meta.url), ["--child"], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, BENCH_LINE_API: line.url },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const ready = await new Promise<{ url: string; baseline: string; token: string }>((resolve) =>
    proc.once("message", resolve as (m: unknown) => void)
  )
  const warm = makeRequests(WARMUP, 0, "W")
  const measured = makeRequests(EVENTS, WARMUP, "M")
  const quiet = makeRequests(READER_EVENTS, WARMUP + freshIn(measured), "Q")
  const withReaders = makeRequests(READER_EVENTS, WARMUP + freshIn(measured) + freshIn(quiet), "R")
  for (const r of [...warm, ...measured, ...quiet, ...withReaders]) {
    const token = /"replyToken":"([^"]+)"/.exec(r.body)?.[1]
    if (token && !r.redelivery) line.issueReplyToken(token, 600_000)
  }

  console.log(
    `kaituan serve: ${EVENTS.toLocaleString("en-US")} LINE webhooks (10% redeliveries), ${CONCURRENCY} connections, SQLite`
  )
  type Delay = { readonly p50: number; readonly p99: number; readonly max: number }
  /** The server's CPU time (ms) and its event-loop delay since the previous call. */
  const cpuAndDelay = (profile = false) =>
    new Promise<{ readonly cpu: number; readonly delay: Delay }>((resolve) => {
      const on = (m: unknown) => {
        const { cpuMs: cpu, eventLoopDelayMs: delay } = m as { cpuMs?: number; eventLoopDelayMs?: Delay }
        if (cpu === undefined || delay === undefined) return
        proc.off("message", on)
        resolve({ cpu, delay })
      }
      proc.on("message", on)
      proc.send({ cpu: true, profile })
    })
  const cpuMs = (profile = false) => cpuAndDelay(profile).then((r) => r.cpu)
  await load(ready.baseline, warm)
  const baselineCpuBefore = await cpuMs()
  const baseline = await load(ready.baseline, measured)
  const baselineCpuSeconds = ((await cpuMs()) - baselineCpuBefore) / 1000
  const coldStart = await load(ready.url, warm)
  const cpuBefore = await cpuMs(!PROFILE_READERS)
  const serve = await load(ready.url, measured)
  const serverCpuSeconds = ((await cpuMs(!PROFILE_READERS)) - cpuBefore) / 1000
  // Webhooks with and without 32 clients reading the full report (a quiet baseline in the same run).
  const quietBefore = await cpuAndDelay()
  const quietRun = await load(ready.url, quiet, READER_PHASE_CONCURRENCY)
  const quietAfter = await cpuAndDelay(PROFILE_READERS)
  const stopReaders = await readers(ready.url, ready.token)
  const readersRun = await load(ready.url, withReaders, READER_PHASE_CONCURRENCY)
  const reads = await stopReaders()
  const readersAfter = await cpuAndDelay(PROFILE_READERS)
  const phase = (run: typeof quietRun, before: number, after: { cpu: number; delay: Delay }) => ({
    ...run,
    serverCpuSeconds: round2((after.cpu - before) / 1000),
    serverEventLoopDelayMs: after.delay
  })

  // Reports may be up to 1 s stale under writes (reportMaxStaleMs): the count waits that out.
  await new Promise((resolve) => setTimeout(resolve, 1_200))
  const report = (await (
    await fetch(`${ready.url}/api/rounds/${ROUND_ID}`, { headers: { authorization: `Bearer ${ready.token}` } })
  ).json()) as {
    orders: ReadonlyArray<{ lines: ReadonlyArray<{ sku: string; qty: number }> }>
  }
  const freshSent = freshIn([
    ...warm,
    ...measured.slice(0, serve.events),
    ...quiet.slice(0, quietRun.events),
    ...withReaders.slice(0, readersRun.events)
  ])
  const lines = report.orders.flatMap((o) => o.lines)
  const doubled = lines.filter((l) => l.qty !== 1).length
  const ordered = lines.reduce((t, l) => t + l.qty, 0)
  const outboundBefore = line.accepted().length
  proc.send({ stop: true })
  const stopped = await new Promise<{ closeMs: number; closeCpuMs: number; requestLogLines: number }>((resolve) =>
    proc.on("message", (m: unknown) => (m as { stopped?: boolean }).stopped && resolve(m as never))
  )
  const outbound = line.accepted().length
  await line.close()

  const result = {
    name: "serve",
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loadAverage: os.loadavg().map(round2),
    events: serve.events,
    redeliveries: measured.slice(0, serve.events).filter((r) => r.redelivery).length,
    concurrency: CONCURRENCY,
    serve: {
      ...serve,
      serverCpuSeconds: round2(serverCpuSeconds),
      serverCpuMsPerEvent: round2((serverCpuSeconds * 1000) / serve.events),
      eventsPerServerCpuSecond: Math.round(serve.events / serverCpuSeconds)
    },
    baseline: {
      what: "bare node:http + LINE signature check, no storage",
      ...baseline,
      serverCpuSeconds: round2(baselineCpuSeconds),
      eventsPerServerCpuSecond: Math.round(baseline.events / baselineCpuSeconds)
    },
    coldStart: {
      what: "the warm-up: each buyer's first comment, waiting for a LINE profile lookup (display name)",
      ...coldStart
    },
    withReaders: {
      what: `webhooks from ${READER_PHASE_CONCURRENCY} connections while ${READERS} clients (in a process of their own) read the round's full report (GET /api/rounds/:id) in a loop; quiet: the same without readers`,
      quiet: phase(quietRun, quietBefore.cpu, quietAfter),
      readers: phase(readersRun, quietAfter.cpu, readersAfter),
      reads,
      target: { webhookP99Ms: 100 },
      meetsTarget: readersRun.latencyMs.p99 < 100
    },
    orders: {
      freshEvents: freshSent,
      itemsOrdered: ordered,
      buyers: report.orders.length,
      doubled,
      ok: doubled === 0 && ordered === freshSent
    },
    outbound: {
      lineMessagesDuringRun: outboundBefore,
      lineMessagesAfterShutdownDrain: outbound,
      what: "the relay lags under load; the shutdown drain sends the rest (its CPU is not in serve.serverCpuSeconds)",
      shutdownDrainCpuMsPerMessage:
        outbound > outboundBefore ? round2(stopped.closeCpuMs / (outbound - outboundBefore)) : null
    },
    shutdownMs: Math.round(stopped.closeMs),
    shutdownCpuSeconds: round2(stopped.closeCpuMs / 1000),
    requestLogLines: stopped.requestLogLines,
    target: { eventsPerSecond: 2_000, p99Ms: 100 },
    meetsTarget: serve.eventsPerSecond >= 2_000 && serve.latencyMs.p99 < 100
  }
  console.log(
    `  serve     ${serve.eventsPerSecond.toLocaleString("en-US")} events/s  p50 ${serve.latencyMs.p50} ms  p99 ${serve.latencyMs.p99} ms  (${serve.events} in ${serve.seconds} s; statuses ${JSON.stringify(serve.statuses)}; ${result.serve.eventsPerServerCpuSecond.toLocaleString("en-US")} events per server CPU-second)`
  )
  console.log(
    `  baseline  ${baseline.eventsPerSecond.toLocaleString("en-US")} events/s  p50 ${baseline.latencyMs.p50} ms  p99 ${baseline.latencyMs.p99} ms  (bare node:http + HMAC; ${result.baseline.eventsPerServerCpuSecond.toLocaleString("en-US")} events per server CPU-second)`
  )
  console.log(
    `  cold      ${coldStart.eventsPerSecond.toLocaleString("en-US")} events/s  p50 ${coldStart.latencyMs.p50} ms  p99 ${coldStart.latencyMs.p99} ms  (warm-up: first comment of ${BUYERS} buyers, LINE profile lookups)`
  )
  console.log(
    `  readers   webhook p50 ${readersRun.latencyMs.p50} ms  p99 ${readersRun.latencyMs.p99} ms with ${READERS} report readers (${reads.reads} reads, ${Math.round(reads.meanBytes / 1024)} KiB each, read p99 ${reads.latencyMs.p99} ms; server event-loop delay p99 ${readersAfter.delay.p99} ms, max ${readersAfter.delay.max} ms); quiet p50 ${quietRun.latencyMs.p50} ms  p99 ${quietRun.latencyMs.p99} ms (event-loop delay p99 ${quietAfter.delay.p99} ms) → target p99 < 100 ms ${result.withReaders.meetsTarget ? "met" : "not met"}`
  )
  console.log(
    `  orders: ${ordered} items from ${freshSent} fresh events, ${doubled} doubled → ${result.orders.ok ? "no order doubled" : "MISMATCH"}`
  )
  console.log(
    `  LINE messages pushed: ${outboundBefore} during the run, ${outbound} after the shutdown drain (${result.shutdownMs} ms, ${result.outbound.shutdownDrainCpuMsPerMessage} ms server CPU per message)`
  )
  console.log(
    `  target ≥ 2,000 events/s, p99 < 100 ms: ${result.meetsTarget ? "met" : "not met"} (load average ${result.loadAverage.join(" ")} on ${result.cpus} CPUs)`
  )
  writeResult("serve", result)
  if (!result.orders.ok) process.exitCode = 1
}

if (process.argv.includes("--child")) await child()
else if (process.argv.includes("--readers")) readersChild()
else await parent()
