/**
 * A small persistent (immutable, structurally shared) string-keyed map for the deciders' state.
 *
 * Effect's HashMap costs ~15 µs per `set` on this machine, which made replaying 100,000 comments
 * take seconds. This one is a fixed three-level trie of 32 × 32 × 32 slots over a 32-bit hash;
 * each leaf is a flat `[key, value, key, value…]` array of a few entries. `set` copies three
 * 32-slot arrays and one short leaf, and every older version stays valid.
 */
type Leaf = ReadonlyArray<unknown>
type Node = ReadonlyArray<Node | Leaf | undefined>

export interface PersistentMap<V> {
  readonly root: Node
  readonly size: number
  /** Phantom: the value type. */
  readonly _V?: V
}

const hash = (key: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  // Final avalanche (murmur3 fmix32) so the bits that pick the slots are well mixed.
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

const EMPTY_NODE: Node = []
const EMPTY: PersistentMap<never> = { root: EMPTY_NODE, size: 0 }

export const empty = <V>(): PersistentMap<V> => EMPTY as PersistentMap<V>

export const get = <V>(map: PersistentMap<V>, key: string): V | undefined => {
  const h = hash(key)
  const l1 = map.root[h & 31] as Node | undefined
  const l2 = l1?.[(h >>> 5) & 31] as Node | undefined
  const leaf = l2?.[(h >>> 10) & 31] as Leaf | undefined
  if (!leaf) return undefined
  for (let i = 0; i < leaf.length; i += 2) if (leaf[i] === key) return leaf[i + 1] as V
  return undefined
}

const copy = (node: Node | undefined): Array<Node | Leaf | undefined> =>
  node && node.length > 0 ? node.slice() : new Array<Node | Leaf | undefined>(32).fill(undefined)

export const set = <V>(map: PersistentMap<V>, key: string, value: V): PersistentMap<V> => {
  const h = hash(key)
  const a = h & 31
  const b = (h >>> 5) & 31
  const c = (h >>> 10) & 31
  const l1 = map.root[a] as Node | undefined
  const l2 = l1?.[b] as Node | undefined
  const leaf = (l2?.[c] as Leaf | undefined) ?? []
  let existed = false
  const next = leaf.slice()
  for (let i = 0; i < next.length; i += 2) {
    if (next[i] === key) {
      next[i + 1] = value
      existed = true
      break
    }
  }
  if (!existed) next.push(key, value)
  const n2 = copy(l2)
  n2[c] = next
  const n1 = copy(l1)
  n1[b] = n2
  const root = copy(map.root)
  root[a] = n1
  return { root, size: existed ? map.size : map.size + 1 }
}

export function* values<V>(map: PersistentMap<V>): Generator<V> {
  for (const l1 of map.root as ReadonlyArray<Node | undefined>) {
    if (!l1) continue
    for (const l2 of l1 as ReadonlyArray<Node | undefined>) {
      if (!l2) continue
      for (const leaf of l2 as ReadonlyArray<Leaf | undefined>) {
        if (!leaf) continue
        for (let i = 1; i < leaf.length; i += 2) yield leaf[i] as V
      }
    }
  }
}
