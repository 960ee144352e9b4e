/**
 * The bounded cache behind `Cache`: a `Map` for lookups plus a doubly linked list in recency
 * order (least recent first), each entry with the time it expires. Evicting through the list is
 * O(1); evicting through a Map's insertion order (`keys().next()`) is not, as V8 walks past every
 * deleted slot at its front. A property test holds it to a plain Map-in-recency-order model.
 *
 * Time is given by the caller (milliseconds; from Effect's `Clock` in the adapters), so the
 * module stays pure and TestClock drives expiry in tests.
 *
 * @internal
 */

/** One cached value; `older` / `newer` link the recency list. */
interface Entry<K, V> {
  readonly key: K
  value: V
  expiresAt: number
  older: Entry<K, V> | undefined
  newer: Entry<K, V> | undefined
}

/** An LRU map with a size limit and an optional time-to-live per entry. */
export class Lru<K, V> {
  private readonly map = new Map<K, Entry<K, V>>()
  private oldest: Entry<K, V> | undefined
  private newest: Entry<K, V> | undefined
  /** At most this many entries (at least 1). */
  readonly maxEntries: number
  /** How long an entry lives unless `set` says otherwise; `Infinity`: until evicted. */
  readonly ttlMs: number

  constructor(maxEntries: number, ttlMs: number | undefined) {
    this.maxEntries = Number.isFinite(maxEntries) ? Math.max(1, Math.floor(maxEntries)) : Number.MAX_SAFE_INTEGER
    this.ttlMs = ttlMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, ttlMs)
  }

  private unlink(e: Entry<K, V>): void {
    if (e.older !== undefined) e.older.newer = e.newer
    else this.oldest = e.newer
    if (e.newer !== undefined) e.newer.older = e.older
    else this.newest = e.older
    e.older = undefined
    e.newer = undefined
  }

  private append(e: Entry<K, V>): void {
    e.older = this.newest
    e.newer = undefined
    if (this.newest !== undefined) this.newest.newer = e
    else this.oldest = e
    this.newest = e
  }

  private remove(e: Entry<K, V>): void {
    this.unlink(e)
    this.map.delete(e.key)
  }

  /** The live entry of `key`, dropping it when it has expired. */
  private live(key: K, nowMs: number): Entry<K, V> | undefined {
    const hit = this.map.get(key)
    if (hit === undefined) return undefined
    if (hit.expiresAt <= nowMs) {
      this.remove(hit)
      return undefined
    }
    return hit
  }

  /** The value of `key`, now the most recently used; `undefined` when absent or expired. */
  get(key: K, nowMs: number): V | undefined {
    const hit = this.live(key, nowMs)
    if (hit === undefined) return undefined
    if (hit !== this.newest) {
      this.unlink(hit)
      this.append(hit)
    }
    return hit.value
  }

  /** The value of `key` without changing its recency; `undefined` when absent or expired. */
  peek(key: K, nowMs: number): V | undefined {
    return this.live(key, nowMs)?.value
  }

  /** Whether `key` holds a live value (recency unchanged). */
  has(key: K, nowMs: number): boolean {
    return this.live(key, nowMs) !== undefined
  }

  /** Stores `value` as the most recently used, evicting the least recently used beyond the limit. */
  set(key: K, value: V, nowMs: number, ttlMs: number = this.ttlMs): void {
    const expiresAt = nowMs + Math.max(0, ttlMs)
    const old = this.map.get(key)
    if (old !== undefined) {
      old.value = value
      old.expiresAt = expiresAt
      if (old !== this.newest) {
        this.unlink(old)
        this.append(old)
      }
      return
    }
    const e: Entry<K, V> = { key, value, expiresAt, older: undefined, newer: undefined }
    this.append(e)
    this.map.set(key, e)
    while (this.map.size > this.maxEntries && this.oldest !== undefined) this.remove(this.oldest)
  }

  /** Removes `key`; whether it was there (expired or not). */
  delete(key: K): boolean {
    const e = this.map.get(key)
    if (e === undefined) return false
    this.remove(e)
    return true
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.map.size
  }

  /** Drops every entry. */
  clear(): void {
    this.map.clear()
    this.oldest = undefined
    this.newest = undefined
  }

  /** Drops the expired entries; how many. */
  prune(nowMs: number): number {
    let dropped = 0
    for (const e of this.map.values()) {
      if (e.expiresAt <= nowMs) {
        this.remove(e)
        dropped++
      }
    }
    return dropped
  }

  /** The live entries, least recently used first (recency unchanged). */
  *entries(nowMs: number): IterableIterator<[K, V]> {
    for (let e = this.oldest; e !== undefined; e = e.newer) if (e.expiresAt > nowMs) yield [e.key, e.value]
  }
}
