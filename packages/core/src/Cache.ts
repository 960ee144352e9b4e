/**
 * One bounded cache for the whole library: an LRU map with a size limit and an optional
 * time-to-live. Adapters keep their memories in it (LINE display names and reply tokens,
 * Facebook's private-reply claims and comment times, the sent-message memory of
 * {@link SentMessages}), so none of them can grow without bound.
 *
 * Synchronous and pure: the caller gives the time (milliseconds, read from Effect's `Clock`), so
 * a hit costs no fiber and `TestClock` drives expiry in tests. Every operation is O(1).
 *
 * @example
 * ```ts
 * import { Cache } from "@kaituan/core"
 *
 * const names = Cache.make<string, string>({ maxEntries: 2, ttlMs: 60_000 })
 * names.set("U1", "王小明", 0)
 * names.get("U1", 30_000) // "王小明"
 * names.get("U1", 90_000) // undefined: expired
 * ```
 *
 * @since 0.1.0
 */
import { Lru } from "./internal/lru.js"

/** Options of {@link make}. */
export interface Options {
  /** At most this many entries; the least recently used is evicted beyond it (at least 1). */
  readonly maxEntries: number
  /** How long an entry lives after it was set, in ms. Default: until evicted. */
  readonly ttlMs?: number | undefined
}

/**
 * A bounded LRU map. `nowMs` is the current time in ms; it only matters when entries expire
 * (a TTL), and defaults to 0 for caches without one.
 */
export interface Cache<K, V> {
  /** The size limit. */
  readonly maxEntries: number
  /** The value of `key`, which becomes the most recently used; `undefined` when absent or expired. */
  readonly get: (key: K, nowMs?: number) => V | undefined
  /** The value of `key` without touching its recency; `undefined` when absent or expired. */
  readonly peek: (key: K, nowMs?: number) => V | undefined
  /** Whether `key` holds a live value (recency unchanged). */
  readonly has: (key: K, nowMs?: number) => boolean
  /**
   * Stores `value` as the most recently used entry, for `ttlMs` (default: the cache's), evicting
   * the least recently used entries beyond `maxEntries`.
   */
  readonly set: (key: K, value: V, nowMs?: number, ttlMs?: number) => void
  /** Removes `key`; whether it was held. */
  readonly delete: (key: K) => boolean
  /** Entries held (expired entries not yet dropped count until they are touched or pruned). */
  readonly size: () => number
  /** Drops the expired entries; returns how many. */
  readonly prune: (nowMs: number) => number
  /** Drops everything. */
  readonly clear: () => void
  /** The live entries, least recently used first (recency unchanged). */
  readonly entries: (nowMs?: number) => IterableIterator<[K, V]>
}

/** A new, empty cache. */
export const make = <K, V>(options: Options): Cache<K, V> => {
  const lru = new Lru<K, V>(options.maxEntries, options.ttlMs)
  return {
    maxEntries: lru.maxEntries,
    get: (key, nowMs = 0) => lru.get(key, nowMs),
    peek: (key, nowMs = 0) => lru.peek(key, nowMs),
    has: (key, nowMs = 0) => lru.has(key, nowMs),
    set: (key, value, nowMs = 0, ttlMs) => lru.set(key, value, nowMs, ttlMs),
    delete: (key) => lru.delete(key),
    size: () => lru.size,
    prune: (nowMs) => lru.prune(nowMs),
    clear: () => lru.clear(),
    entries: (nowMs = 0) => lru.entries(nowMs)
  }
}
