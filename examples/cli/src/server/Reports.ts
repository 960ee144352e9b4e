/**
 * `GET /api/rounds/:id` without stalling the webhooks. A round's report is computed at most once
 * per `maxStaleMs` while writes keep coming, and shared: readers that arrive while it is being
 * computed wait for that computation, readers that come after get the same bytes, and at most one
 * computation per round runs at a time (readers that need a newer one share the next). The JSON
 * is written in slices with a turn of the event loop between them, so requests that arrive
 * meanwhile (webhooks) are served between the slices rather than after the whole report.
 *
 * Freshness: a write through this server ({@link ReportCache.invalidate}: after every POST, every
 * `run`, the cutoff) ends the version a snapshot was computed at. A snapshot is served while
 * - it is younger than `maxAgeMs` (writers in other processes sharing the database), and
 * - no write went through this server since its computation began, or it is younger than
 *   `maxStaleMs` (so that a stream of webhooks does not make every reader wait for a new one).
 * So a read that starts `maxStaleMs` or more after a write always shows it, and a read after a
 * quiet spell shows every write before it. Ages count from the start of a computation.
 *
 * Each snapshot has an ETag that changes when the report's bytes do (a computation that gives the
 * same bytes keeps the previous ETag), so a client can ask `If-None-Match`, and the time it was
 * computed as of ({@link Snapshot.at}). Rounds not asked for within `keepMs` are forgotten.
 */
import { randomBytes } from "node:crypto"
import { promisify } from "node:util"
import { constants, gzip } from "node:zlib"
import { GroupBuy, type ReadModel, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { toJson } from "../Report.js"

/** One computed report: its JSON bytes and identity. */
export interface Snapshot {
  /** A strong ETag naming this computation (unique across restarts). */
  readonly etag: string
  readonly body: Buffer
  /**
   * The same bytes gzipped (compressed once, on libuv's thread pool, not the event loop), for
   * clients that accept them: a tenth of the bytes to write for every reader.
   */
  readonly gzip: Buffer
  /** The version it was computed at. */
  readonly version: number
  /** When its computation started (ms since the epoch): it shows every write before then. */
  readonly at: number
}

/** The reports of the rounds the server is asked about. */
export interface ReportCache {
  /**
   * The round's report as JSON, computed after every write that happened `maxStaleMs` or more
   * before the call (and after every write before the call when none came within `maxStaleMs`
   * of the last computation). Rejects with the computation's error (an unknown round…), which is
   * not kept.
   */
  readonly get: (roundId: string) => Promise<Snapshot>
  /** Something was written: reports computed from now on are of a new version. */
  readonly invalidate: () => void
}

/** Options of {@link make}. */
export interface Options {
  /** A snapshot older than this is computed again even without a write through this server. Default 1,000 ms. */
  readonly maxAgeMs?: number | undefined
  /**
   * How stale a report may be after a write through this server: a snapshot computed before the
   * write is served until it is this old, so writes make at most one computation per round per
   * this long. 0: every write ends the snapshot (read-your-writes, one computation per write).
   * Default 1,000 ms.
   */
  readonly maxStaleMs?: number | undefined
  /** A round whose report was not asked for within this long is forgotten (its bytes freed). Default 60,000 ms. */
  readonly keepMs?: number | undefined
  /** Array items serialised between two turns of the event loop. Default 500. */
  readonly sliceItems?: number | undefined
  /** Orders read from the database at a time, with a turn of the event loop between two pages. Default 250. */
  readonly pageOrders?: number | undefined
  readonly now?: (() => number) | undefined
}

type Run = <A, E>(effect: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) => Promise<A>

const gzipAsync = promisify(gzip)

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * `JSON.stringify(value)` for a record of arrays and values, as UTF-8 slices, yielding to the
 * event loop every `sliceItems` array items.
 */
export const stringifyInSlices = async (
  value: Readonly<Record<string, unknown>>,
  sliceItems: number
): Promise<Buffer> => {
  const parts: Array<Buffer> = []
  let text = "{"
  let first = true
  let sinceYield = 0
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue
    text += `${first ? "" : ","}${JSON.stringify(key)}:`
    first = false
    if (!Array.isArray(v)) {
      text += JSON.stringify(v)
      continue
    }
    text += "["
    for (let i = 0; i < v.length; i++) {
      text += `${i === 0 ? "" : ","}${JSON.stringify(v[i]) ?? "null"}`
      if (++sinceYield >= sliceItems) {
        parts.push(Buffer.from(text, "utf8"))
        text = ""
        sinceYield = 0
        await nextTurn()
      }
    }
    text += "]"
  }
  parts.push(Buffer.from(`${text}}`, "utf8"))
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
}

interface Entry {
  snapshot?: Snapshot | undefined
  running?: { readonly version: number; readonly at: number; readonly promise: Promise<Snapshot> } | undefined
  next?: Promise<Snapshot> | undefined
  /** When the round was last asked for (ms). */
  asked: number
}

/** A report cache whose computations run with `run`. */
export const make = (run: Run, options: Options = {}): ReportCache => {
  const maxAge = options.maxAgeMs ?? 1_000
  const maxStale = Math.min(options.maxStaleMs ?? 1_000, maxAge)
  const keep = options.keepMs ?? 60_000
  const sliceItems = options.sliceItems ?? 500
  const pageOrders = Math.max(1, options.pageOrders ?? 250)
  const now = options.now ?? Date.now
  const boot = randomBytes(6).toString("base64url")
  let version = 0
  let seq = 0
  let swept = 0
  const entries = new Map<string, Entry>()

  /** Whether what a computation that began at `at` of version `v` saw may be served at `t`. */
  const servable = (at: number, v: number, t: number) => {
    const age = t - at
    return age < maxAge && (v === version || age < maxStale)
  }

  /**
   * `GroupBuy.report`'s orders, review queue, not-ordered list and stock, with the orders read a
   * page at a time (one query and parse of a whole large round holds the event loop for tens of
   * milliseconds). Each order is read whole; every write before the call is in what it returns.
   */
  const read = async (roundId: string) => {
    const parts = await run(
      Effect.gen(function* () {
        const storage = yield* Storage.Storage
        // The stream's version only (no events after the largest version there is): 0 for no round.
        const stream = yield* storage.readStream(Storage.roundStream(roundId), Number.MAX_SAFE_INTEGER)
        if (stream.version === 0)
          return yield* new GroupBuy.GroupBuyError({ reason: "unknown-round", message: `no round "${roundId}"` })
        return yield* Effect.all([
          storage.reviewQueue({ roundId }),
          storage.notOrdered({ roundId }),
          storage.stock({ roundId })
        ])
      })
    )
    const orders: Array<ReadModel.OrderView> = []
    let after: number | undefined
    for (;;) {
      await nextTurn()
      const page = await run(
        Storage.Storage.use((s) =>
          s.orders({ roundId, ...(after === undefined ? {} : { afterSeq: after }), limit: pageOrders })
        )
      )
      for (const o of page) if (o.status !== "cancelled") orders.push(o)
      if (page.length < pageOrders) break
      after = page[page.length - 1]!.seq
    }
    const [review, notOrdered, stock] = parts
    return { orders, review, notOrdered, stock }
  }

  const compute = async (roundId: string, at: number, v: number, previous: Snapshot | undefined): Promise<Snapshot> => {
    const report = await read(roundId)
    await nextTurn()
    const body = await stringifyInSlices(toJson(report) as unknown as Readonly<Record<string, unknown>>, sliceItems)
    // The same bytes keep their ETag: a client's copy stays valid (304) until the report changes.
    if (previous?.body.equals(body)) return { ...previous, version: v, at }
    const gzipped = await gzipAsync(body, { level: constants.Z_BEST_SPEED })
    seq += 1
    return { etag: `"${boot}-${seq}"`, body, gzip: gzipped, version: v, at }
  }

  const start = (roundId: string, entry: Entry): Promise<Snapshot> => {
    const v = version
    const at = now()
    const promise = compute(roundId, at, v, entry.snapshot).then(
      (snapshot) => {
        entry.running = undefined
        if (entry.snapshot === undefined || entry.snapshot.at <= snapshot.at) entry.snapshot = snapshot
        return snapshot
      },
      (e: unknown) => {
        entry.running = undefined
        if (entry.snapshot === undefined && entry.next === undefined) entries.delete(roundId)
        throw e
      }
    )
    entry.running = { version: v, at, promise }
    return promise
  }

  /** Forgets the rounds nobody asked for within `keep` (at most one sweep a second). */
  const sweep = (t: number) => {
    if (t - swept < 1_000) return
    swept = t
    for (const [roundId, e] of entries)
      if (e.running === undefined && e.next === undefined && t - e.asked >= keep) entries.delete(roundId)
  }

  const get = (roundId: string): Promise<Snapshot> => {
    const t = now()
    sweep(t)
    let entry = entries.get(roundId)
    if (entry === undefined) {
      entry = { asked: t }
      entries.set(roundId, entry)
    }
    const e = entry
    e.asked = t
    const s = e.snapshot
    if (s !== undefined && servable(s.at, s.version, t)) return Promise.resolve(s)
    if (e.running === undefined) return start(roundId, e)
    // A computation that began recently enough is shared (its result is no staler than a snapshot would be).
    if (servable(e.running.at, e.running.version, t)) return e.running.promise
    // An older computation is running: the next one starts when it ends, for every reader that
    // needs it (one at a time, whatever the number of readers).
    if (e.next === undefined) {
      const after = e.running.promise.then(
        () => undefined,
        () => undefined
      )
      e.next = after.then(() => {
        e.next = undefined
        return start(roundId, e)
      })
    }
    return e.next
  }

  return {
    get,
    invalidate: () => {
      version += 1
    }
  }
}
