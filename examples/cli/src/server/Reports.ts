/**
 * `GET /api/rounds/:id` without stalling the webhooks. A round's report is computed once per
 * version of the round as this server knows it and shared: readers that arrive while it is being
 * computed wait for that computation, readers that come after get the same bytes, and at most one
 * computation per round runs at a time (readers that need a newer one share the next). The JSON
 * is written in slices with a turn of the event loop between them, so requests that arrive
 * meanwhile (webhooks) are served between the slices rather than after the whole report.
 *
 * A version ends when anything is written through this server ({@link ReportCache.invalidate}:
 * after every POST, every `run`, the cutoff) and, for writers in other processes sharing the
 * database, after `maxAgeMs`. Each snapshot has an ETag, so a client can ask `If-None-Match`.
 */
import { randomBytes } from "node:crypto"
import { GroupBuy, type Storage } from "@kaituan/core"
import type { Effect } from "effect"
import { toJson } from "../Report.js"

/** One computed report: its JSON bytes and identity. */
export interface Snapshot {
  /** A strong ETag naming this computation (unique across restarts). */
  readonly etag: string
  readonly body: Buffer
  /** The version it was computed at. */
  readonly version: number
  /** When its computation started (ms). */
  readonly at: number
}

/** The reports of the rounds the server is asked about. */
export interface ReportCache {
  /**
   * The round's report as JSON, computed after the last {@link invalidate} that happened before
   * the call. Rejects with the computation's error (an unknown round…), which is not kept.
   */
  readonly get: (roundId: string) => Promise<Snapshot>
  /** Something was written: reports computed from now on are of a new version. */
  readonly invalidate: () => void
}

/** Options of {@link make}. */
export interface Options {
  /** A snapshot older than this is computed again even without a write through this server. Default 1,000 ms. */
  readonly maxAgeMs?: number | undefined
  /** Array items serialised between two turns of the event loop. Default 500. */
  readonly sliceItems?: number | undefined
  readonly now?: (() => number) | undefined
}

type Run = <A, E>(effect: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) => Promise<A>

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
  running?: { readonly version: number; readonly promise: Promise<Snapshot> } | undefined
  next?: Promise<Snapshot> | undefined
}

/** A report cache whose computations run with `run`. */
export const make = (run: Run, options: Options = {}): ReportCache => {
  const maxAge = options.maxAgeMs ?? 1_000
  const sliceItems = options.sliceItems ?? 500
  const now = options.now ?? Date.now
  const boot = randomBytes(6).toString("base64url")
  let version = 0
  let seq = 0
  const entries = new Map<string, Entry>()

  const compute = async (roundId: string, at: number, v: number): Promise<Snapshot> => {
    const report = await run(GroupBuy.GroupBuy.use((g) => g.report(roundId)))
    await nextTurn()
    const body = await stringifyInSlices(toJson(report) as unknown as Readonly<Record<string, unknown>>, sliceItems)
    seq += 1
    return { etag: `"${boot}-${seq}"`, body, version: v, at }
  }

  const start = (roundId: string, entry: Entry): Promise<Snapshot> => {
    const v = version
    const promise = compute(roundId, now(), v).then(
      (snapshot) => {
        entry.running = undefined
        if (entry.snapshot === undefined || entry.snapshot.version <= snapshot.version) entry.snapshot = snapshot
        return snapshot
      },
      (e: unknown) => {
        entry.running = undefined
        if (entry.snapshot === undefined && entry.next === undefined) entries.delete(roundId)
        throw e
      }
    )
    entry.running = { version: v, promise }
    return promise
  }

  const get = (roundId: string): Promise<Snapshot> => {
    let entry = entries.get(roundId)
    if (entry === undefined) {
      entry = {}
      entries.set(roundId, entry)
    }
    const e = entry
    const s = e.snapshot
    if (s !== undefined && s.version === version && now() - s.at < maxAge) return Promise.resolve(s)
    if (e.running === undefined) return start(roundId, e)
    if (e.running.version === version) return e.running.promise
    // A computation of an older version is running: the next one starts when it ends, for
    // every reader that needs it (one at a time, whatever the number of readers).
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
