/** A small LRU map with a time-to-live per entry (insertion order of a Map is the recency order). */
export interface Lru<V> {
  readonly get: (key: string, nowMs: number) => V | undefined
  readonly set: (key: string, value: V, nowMs: number) => void
  readonly delete: (key: string) => void
  readonly size: () => number
  readonly clear: () => void
}

export const make = <V>(options: { readonly maxEntries: number; readonly ttlMs: number }): Lru<V> => {
  const map = new Map<string, { readonly value: V; readonly expiresAt: number }>()
  const max = Math.max(1, Math.floor(options.maxEntries))
  return {
    get: (key, nowMs) => {
      const hit = map.get(key)
      if (hit === undefined) return undefined
      map.delete(key)
      if (hit.expiresAt <= nowMs) return undefined
      map.set(key, hit)
      return hit.value
    },
    set: (key, value, nowMs) => {
      map.delete(key)
      map.set(key, { value, expiresAt: nowMs + options.ttlMs })
      while (map.size > max) {
        const oldest = map.keys().next()
        if (oldest.done) break
        map.delete(oldest.value)
      }
    },
    delete: (key) => {
      map.delete(key)
    },
    size: () => map.size,
    clear: () => map.clear()
  }
}
