/**
 * Shared, stale-bounded snapshots of something expensive to compute per key (a round's report):
 * computed at most once per key per `maxStaleMs` while writes keep coming, and shared — readers
 * that arrive while a computation runs wait for it, readers that come after get the same
 * snapshot, and at most one computation per key runs at a time (readers that need a newer one
 * share the next). Both report routes of `kaituan serve` use it: `GET /api/v1/rounds/:id/report`
 * (this package's `rounds` group) and the CLI's `GET /api/rounds/:id`.
 *
 * Freshness: {@link SharedSnapshots.invalidate} (a write went through this process) ends the
 * version a snapshot was computed at. A snapshot is served while
 * - it is younger than `maxAgeMs` (writers in other processes sharing the database), and
 * - no write was announced since its computation began, or it is younger than `maxStaleMs` (so a
 *   stream of writes does not make every reader wait for a new computation).
 * So a read that starts `maxStaleMs` or more after a write always shows it, and a read after a
 * quiet spell shows every write announced before it. Ages count from the start of a computation.
 *
 * A failed computation is not kept (the next reader tries again). Keys not asked for within
 * `keepMs` are forgotten (their values freed); at most `capacity` keys are kept.
 *
 * @example
 * ```ts
 * import { SharedSnapshots } from "@kaituan/http"
 *
 * let computed = 0
 * const reports = SharedSnapshots.make(async (roundId: string) => ({ roundId, n: ++computed }))
 * const [a, b] = await Promise.all([reports.get("socks"), reports.get("socks")])
 * // one computation, shared: a.value === b.value, computed === 1
 * ```
 *
 * @since 0.5.0
 */

/** One computed value: what it is, the version it was computed at and when its computation began. */
export interface Snapshot<A> {
  readonly value: A
  /** The write version it was computed at ({@link SharedSnapshots.invalidate} counts them). */
  readonly version: number
  /** When its computation started (ms since the epoch): it shows every write before then. */
  readonly at: number
}

/** The shared snapshots of every key asked for. */
export interface SharedSnapshots<A> {
  /**
   * The key's snapshot, computed after every write announced `maxStaleMs` or more before the
   * call (and after every write announced before the call when none came within `maxStaleMs` of
   * the last computation). Rejects with the computation's error, which is not kept.
   */
  readonly get: (key: string) => Promise<Snapshot<A>>
  /** Something was written: snapshots computed from now on are of a new version. */
  readonly invalidate: () => void
}

/** Options of {@link make}. */
export interface Options {
  /** A snapshot older than this is computed again even without an announced write. Default 1,000 ms. */
  readonly maxAgeMs?: number | undefined
  /**
   * How stale a snapshot may be after an announced write: one computed before the write is served
   * until it is this old, so writes make at most one computation per key per this long. 0: every
   * write ends the snapshot (read-your-writes, one computation per write). At most `maxAgeMs`.
   * Default 1,000 ms.
   */
  readonly maxStaleMs?: number | undefined
  /** A key not asked for within this long is forgotten. Default 60,000 ms. */
  readonly keepMs?: number | undefined
  /** Keys kept at most (the least recently asked for are forgotten first). Default 1,024. */
  readonly capacity?: number | undefined
  /** The current time in ms (tests move it). Default `Date.now`. */
  readonly now?: (() => number) | undefined
}

/**
 * Computes a key's value. `previous` is the key's last snapshot, if any (to keep an identity when
 * the value is the same, say an ETag when the bytes are).
 */
export type Compute<A> = (key: string, previous: Snapshot<A> | undefined) => Promise<A>

interface Entry<A> {
  snapshot?: Snapshot<A> | undefined
  running?: { readonly version: number; readonly at: number; readonly promise: Promise<Snapshot<A>> } | undefined
  next?: Promise<Snapshot<A>> | undefined
  /** When the key was last asked for (ms). */
  asked: number
}

/** Shared snapshots of what `compute` gives for each key. */
export const make = <A>(compute: Compute<A>, options: Options = {}): SharedSnapshots<A> => {
  const maxAge = options.maxAgeMs ?? 1_000
  const maxStale = Math.min(options.maxStaleMs ?? 1_000, maxAge)
  const keep = options.keepMs ?? 60_000
  const capacity = Math.max(1, options.capacity ?? 1_024)
  const now = options.now ?? Date.now
  let version = 0
  let swept = 0
  // In the order keys were last asked for (a Map keeps insertion order; asking moves a key last).
  const entries = new Map<string, Entry<A>>()

  /** Whether what a computation that began at `at` of version `v` saw may be served at `t`. */
  const servable = (at: number, v: number, t: number) => {
    const age = t - at
    return age < maxAge && (v === version || age < maxStale)
  }

  const idle = (e: Entry<A>) => e.running === undefined && e.next === undefined

  const start = (key: string, entry: Entry<A>): Promise<Snapshot<A>> => {
    const v = version
    const at = now()
    const promise = compute(key, entry.snapshot).then(
      (value) => {
        entry.running = undefined
        const snapshot: Snapshot<A> = { value, version: v, at }
        if (entry.snapshot === undefined || entry.snapshot.at <= at) entry.snapshot = snapshot
        return snapshot
      },
      (e: unknown) => {
        entry.running = undefined
        if (entry.snapshot === undefined && entry.next === undefined && entries.get(key) === entry) entries.delete(key)
        throw e
      }
    )
    entry.running = { version: v, at, promise }
    return promise
  }

  /** Forgets the keys nobody asked for within `keep` (at most one sweep a second), and beyond `capacity`. */
  const sweep = (t: number, asked: string) => {
    if (entries.size > capacity) {
      for (const [key, e] of entries) {
        if (entries.size <= capacity) break
        if (key !== asked && idle(e)) entries.delete(key)
      }
    }
    if (t - swept < 1_000) return
    swept = t
    for (const [key, e] of entries) if (key !== asked && idle(e) && t - e.asked >= keep) entries.delete(key)
  }

  const get = (key: string): Promise<Snapshot<A>> => {
    const t = now()
    let e = entries.get(key)
    if (e === undefined) e = { asked: t }
    else entries.delete(key)
    entries.set(key, e)
    e.asked = t
    sweep(t, key)
    const s = e.snapshot
    if (s !== undefined && servable(s.at, s.version, t)) return Promise.resolve(s)
    if (e.running === undefined) return start(key, e)
    // A computation that began recently enough is shared (its result is no staler than a snapshot would be).
    if (servable(e.running.at, e.running.version, t)) return e.running.promise
    // An older computation is running: the next one starts when it ends, for every reader that
    // needs it (one at a time, whatever the number of readers).
    if (e.next !== undefined) return e.next
    const entry = e
    const settled = e.running.promise.then(
      () => undefined,
      () => undefined
    )
    const next = settled.then(() => {
      entry.next = undefined
      return start(key, entry)
    })
    entry.next = next
    return next
  }

  return {
    get,
    invalidate: () => {
      version += 1
    }
  }
}
