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
import { SharedSnapshots } from "@kaituan/http"
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

/** A snapshot's bytes and their identity. */
type Bytes = Pick<Snapshot, "etag" | "body" | "gzip">

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

/** A report cache whose computations run with `run`. */
export const make = (run: Run, options: Options = {}): ReportCache => {
  const sliceItems = options.sliceItems ?? 500
  const pageOrders = Math.max(1, options.pageOrders ?? 250)
  const boot = randomBytes(6).toString("base64url")
  let seq = 0

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

  // The staleness bound, the sharing and the forgetting are `SharedSnapshots`' (one mechanism
  // for both report routes); this adds the bytes, their gzip and an ETag kept while they are the same.
  const snapshots = SharedSnapshots.make<Bytes>(
    async (roundId, previous) => {
      const report = await read(roundId)
      await nextTurn()
      const body = await stringifyInSlices(toJson(report) as unknown as Readonly<Record<string, unknown>>, sliceItems)
      // The same bytes keep their ETag: a client's copy stays valid (304) until the report changes.
      if (previous?.value.body.equals(body)) return previous.value
      const gzipped = await gzipAsync(body, { level: constants.Z_BEST_SPEED })
      seq += 1
      return { etag: `"${boot}-${seq}"`, body, gzip: gzipped }
    },
    { maxAgeMs: options.maxAgeMs, maxStaleMs: options.maxStaleMs, keepMs: options.keepMs, now: options.now }
  )

  // One object per snapshot: a reader served the same snapshot gets the same object.
  const shown = new WeakMap<SharedSnapshots.Snapshot<Bytes>, Snapshot>()
  const show = (s: SharedSnapshots.Snapshot<Bytes>): Snapshot => {
    let out = shown.get(s)
    if (out === undefined) {
      out = { ...s.value, version: s.version, at: s.at }
      shown.set(s, out)
    }
    return out
  }
  return {
    get: (roundId) => snapshots.get(roundId).then(show),
    invalidate: snapshots.invalidate
  }
}
