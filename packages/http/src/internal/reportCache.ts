/**
 * The `report` route's numbers (`GET /api/v1/rounds/:roundId/report`), computed at most once per
 * round per `maxStaleMs` and shared: readers that ask while a computation runs wait for it, and
 * readers within `maxStaleMs` of its start get its result. A report may so be up to `maxStaleMs`
 * stale (1 s by default): a read that starts that long after a write shows it. Without this, every
 * reader read and parsed every order of the round (tens of milliseconds of the event loop for a
 * large round), and 32 clients polling a dashboard held up everything else the process serves.
 *
 * The orders are read a page at a time with a turn of the event loop between pages. A failed
 * computation (no such round…) is not kept. At most `capacity` rounds are kept (least recently
 * used first out); each entry is one round's id and its numbers, never another round's.
 */
import type { Storage } from "@kaituan/core"
import { Cache, Clock, Effect, Exit } from "effect"
import type { BadRequest, Conflict, NotFound, Unavailable } from "../Errors.js"
import type { Report } from "../Models.js"
import { mapDomain } from "./failures.js"
import * as Rounds from "./rounds.js"

/** Options of {@link make}. */
export interface Options {
  /** How stale a report may be (ms from the start of its computation). Default 1,000. */
  readonly maxStaleMs?: number | undefined
  /** Rounds kept at most. Default 64. */
  readonly capacity?: number | undefined
  /** Orders read at a time. Default 500. */
  readonly pageOrders?: number | undefined
}

type Failure = NotFound | BadRequest | Conflict | Unavailable

/** A round's report, shared by the readers of a `maxStaleMs`. */
export interface ReportCache {
  readonly get: (roundId: string) => Effect.Effect<Report, Failure>
}

const nextTurn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** The report of one round, read from `storage` now. */
export const compute = (
  storage: Storage.StorageService,
  roundId: string,
  pageOrders = 500
): Effect.Effect<Report, Failure> =>
  Effect.gen(function* () {
    const round = yield* Rounds.require(storage, roundId)
    const [review, notOrdered, stock] = yield* mapDomain(
      Effect.all([storage.reviewQueue({ roundId }), storage.notOrdered({ roundId }), storage.stock({ roundId })], {
        concurrency: "unbounded"
      })
    )
    const byStatus: Record<string, number> = {}
    let count = 0
    let total = 0
    let paid = 0
    let outstanding = 0
    let units = 0
    let after: number | undefined
    for (;;) {
      const page = yield* mapDomain(
        storage.orders({ roundId, ...(after === undefined ? {} : { afterSeq: after }), limit: pageOrders })
      )
      for (const o of page) {
        byStatus[o.status] = (byStatus[o.status] ?? 0) + 1
        if (o.status === "cancelled" || o.status === "refunded") continue
        count++
        total += o.total
        paid += o.paid
        if (o.status === "awaiting-payment") outstanding += Math.max(0, o.total - o.paid)
        for (const l of o.lines) units += l.qty
      }
      if (page.length < pageOrders) break
      after = page[page.length - 1]!.seq
      yield* nextTurn
    }
    return {
      roundId: round.roundId,
      title: round.title,
      status: round.status,
      orders: { count, byStatus, total, paid, outstanding, units },
      review: review.length,
      notOrdered: notOrdered.length,
      stock
    }
  })

/** A report cache over `storage`. */
export const make = (storage: Storage.StorageService, options: Options = {}): Effect.Effect<ReportCache> =>
  Effect.gen(function* () {
    const maxStale = options.maxStaleMs ?? 1_000
    const pageOrders = Math.max(1, options.pageOrders ?? 500)
    const cache = yield* Cache.makeWith(
      (roundId: string) =>
        Effect.gen(function* () {
          const started = yield* Clock.currentTimeMillis
          const report = yield* compute(storage, roundId, pageOrders)
          return { report, took: (yield* Clock.currentTimeMillis) - started }
        }),
      {
        capacity: Math.max(1, options.capacity ?? 64),
        // Kept until `maxStale` after the computation began; a failure is not kept.
        timeToLive: (exit) => (Exit.isSuccess(exit) ? Math.max(0, maxStale - exit.value.took) : 0)
      }
    )
    return { get: (roundId) => Effect.map(Cache.get(cache, roundId), (r) => r.report) }
  })
