/**
 * A small LRU map with a time-to-live per entry: a Map for lookups plus a doubly linked list in
 * recency order (least recent first). Evicting through the list is O(1); evicting through a Map's
 * insertion order (`keys().next()`) is not, as V8 walks past every deleted slot at its front.
 */
export interface Lru<V> {
  readonly get: (key: string, nowMs: number) => V | undefined
  readonly set: (key: string, value: V, nowMs: number) => void
  readonly delete: (key: string) => void
  readonly size: () => number
  readonly clear: () => void
}

interface Entry<V> {
  readonly key: string
  readonly value: V
  readonly expiresAt: number
  older: Entry<V> | undefined
  newer: Entry<V> | undefined
}

export const make = <V>(options: { readonly maxEntries: number; readonly ttlMs: number }): Lru<V> => {
  const map = new Map<string, Entry<V>>()
  const max = Math.max(1, Math.floor(options.maxEntries))
  let oldest: Entry<V> | undefined
  let newest: Entry<V> | undefined

  const unlink = (e: Entry<V>) => {
    if (e.older) e.older.newer = e.newer
    else oldest = e.newer
    if (e.newer) e.newer.older = e.older
    else newest = e.older
    e.older = undefined
    e.newer = undefined
  }
  const append = (e: Entry<V>) => {
    e.older = newest
    e.newer = undefined
    if (newest) newest.newer = e
    else oldest = e
    newest = e
  }
  const remove = (e: Entry<V>) => {
    unlink(e)
    map.delete(e.key)
  }

  return {
    get: (key, nowMs) => {
      const hit = map.get(key)
      if (hit === undefined) return undefined
      if (hit.expiresAt <= nowMs) {
        remove(hit)
        return undefined
      }
      if (hit !== newest) {
        unlink(hit)
        append(hit)
      }
      return hit.value
    },
    set: (key, value, nowMs) => {
      const old = map.get(key)
      if (old !== undefined) remove(old)
      const e: Entry<V> = { key, value, expiresAt: nowMs + options.ttlMs, older: undefined, newer: undefined }
      append(e)
      map.set(key, e)
      while (map.size > max && oldest !== undefined) remove(oldest)
    },
    delete: (key) => {
      const e = map.get(key)
      if (e !== undefined) remove(e)
    },
    size: () => map.size,
    clear: () => {
      map.clear()
      oldest = undefined
      newest = undefined
    }
  }
}
