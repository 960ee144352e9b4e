/**
 * The `report` route's numbers (`GET /api/v1/rounds/:roundId/report`), computed at most once per
 * round per `maxStaleMs` and shared (`SharedSnapshots`, the one mechanism of both report routes
 * of `kaituan serve`): readers that ask while a computation runs wait for it, and readers within
 * `maxStaleMs` of its start get its result. A report may so be up to `maxStaleMs` stale (1 s by
 * default): a read that starts that long after a write shows it, and the report says what time it
 * is as of (`asOf`). Without this, every reader read and parsed every order of the round (tens of
 * milliseconds of the event loop for a large round), and 32 clients polling a dashboard held up
 * everything else the process serves.
 *
 * The orders are read a page at a time with a turn of the event loop between pages. A failed
 * computation (no such round…) is not kept. At most `capacity` rounds are kept (least recently
 * asked for first out); each entry is one round's id and its numbers, never another round's.
 * Time is Effect's `Clock` (a `TestClock` moves it in tests).
 */
import type { Storage } from "@kaituan/core"
import { type Cause, Clock, Effect, Exit } from "effect"
import type { BadRequest, Conflict, NotFound, Unavailable } from "../Errors.js"
import type { Report } from "../Models.js"
import * as SharedSnapshots from "../SharedSnapshots.js"
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

/** The report of one round, read from `storage` now (`asOf`: when the reading began, ISO 8601). */
export const compute = (
  storage: Storage.StorageService,
  roundId: string,
  pageOrders = 500,
  asOf?: string
): Effect.Effect<Report, Failure> =>
  Effect.gen(function* () {
    const at = asOf ?? new Date(yield* Clock.currentTimeMillis).toISOString()
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
      asOf: at,
      orders: { count, byStatus, total, paid, outstanding, units },
      review: review.length,
      notOrdered: notOrdered.length,
      stock
    }
  })

/** A computation's failure, carried through the shared promise to every reader that shares it. */
class Failed {
  constructor(readonly cause: Cause.Cause<Failure>) {}
}

/** A report cache over `storage`, its computations run with the services of the caller of `make`. */
export const make = (storage: Storage.StorageService, options: Options = {}): Effect.Effect<ReportCache> =>
  Effect.gen(function* () {
    const pageOrders = Math.max(1, options.pageOrders ?? 500)
    const clock = yield* Clock.Clock
    const context = yield* Effect.context<never>()
    const runExit = Effect.runPromiseExitWith(context)
    const maxStaleMs = options.maxStaleMs ?? 1_000
    const snapshots = SharedSnapshots.make<Report>(
      (roundId) =>
        runExit(compute(storage, roundId, pageOrders)).then((exit) =>
          Exit.isSuccess(exit) ? exit.value : Promise.reject(new Failed(exit.cause))
        ),
      {
        maxStaleMs,
        // Writers are not announced to this cache: the age bound is the staleness bound.
        maxAgeMs: maxStaleMs,
        capacity: Math.max(1, options.capacity ?? 64),
        now: () => clock.currentTimeMillisUnsafe()
      }
    )
    return {
      get: (roundId) =>
        Effect.flatMap(
          Effect.promise(() =>
            snapshots.get(roundId).then(
              (s) => Exit.succeed(s.value),
              (e: unknown) => (e instanceof Failed ? Exit.failCause(e.cause) : Exit.die(e))
            )
          ),
          (exit) => exit
        )
    }
  })
