/**
 * A small persistent (immutable, structurally shared) string-keyed map for the deciders' state.
 *
 * Effect's HashMap costs ~15 µs per `set` on this machine, which made replaying 100,000 comments
 * take seconds. This one is a fixed three-level trie of 32 × 32 × 32 slots over a 32-bit hash;
 * each leaf is a flat `[owner, key, value, key, value…]` array of a few entries. `set` copies three
 * 32-slot arrays and one short leaf, and every older version stays valid. A batch that owns its
 * state (an {@link Owner}) edits the nodes it created in place instead of copying them again.
 */
type Leaf = ReadonlyArray<unknown>
type Node = ReadonlyArray<Node | Leaf | Owner | undefined>

export interface PersistentMap<V> {
  readonly root: Node
  readonly size: number
  /** Phantom: the value type. */
  readonly _V?: V
}

/** FNV-1a over the UTF-16 code units, then murmur3's fmix32: an unsigned 32-bit hash with well-mixed low bits. */
export const hashString = (key: string): number => {
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

/**
 * Who may edit a node in place. A batch that folds many events into a state it alone holds
 * passes one owner to {@link set}: nodes it created are then changed in place, nodes of older
 * versions are still copied, so every version handed out before the batch stays valid.
 */
export interface Owner {
  readonly _owner: true
}

export const owner = (): Owner => ({ _owner: true })

/** Slot 32 of an internal node holds its owner (undefined once shared). */
const OWNER = 32

const EMPTY_NODE: Node = []
const EMPTY: PersistentMap<never> = { root: EMPTY_NODE, size: 0 }

export const empty = <V>(): PersistentMap<V> => EMPTY as PersistentMap<V>

export const get = <V>(map: PersistentMap<V>, key: string): V | undefined => {
  const h = hashString(key)
  const l1 = map.root[h & 31] as Node | undefined
  const l2 = l1?.[(h >>> 5) & 31] as Node | undefined
  const leaf = l2?.[(h >>> 10) & 31] as Leaf | undefined
  if (!leaf) return undefined
  for (let i = 1; i < leaf.length; i += 2) if (leaf[i] === key) return leaf[i + 1] as V
  return undefined
}

/** The node itself if `by` owns it, else a copy that `by` owns. */
const editable = (node: Node | undefined, by: Owner | undefined): Array<Node | Leaf | Owner | undefined> => {
  if (by !== undefined && node !== undefined && node[OWNER] === by) return node as Array<Node | Leaf | undefined>
  const out: Array<Node | Leaf | Owner | undefined> =
    node && node.length > 0 ? node.slice() : new Array<Node | Leaf | undefined>(OWNER + 1).fill(undefined)
  out[OWNER] = by
  return out
}

/**
 * A map with `key` set to `value`. Without `by`, the map passed in is untouched; with an owner,
 * nodes that owner created earlier are edited in place (see {@link Owner}).
 */
export const set = <V>(map: PersistentMap<V>, key: string, value: V, by?: Owner): PersistentMap<V> => {
  const h = hashString(key)
  const a = h & 31
  const b = (h >>> 5) & 31
  const c = (h >>> 10) & 31
  const root = editable(map.root, by)
  const n1 = editable(root[a] as Node | undefined, by)
  root[a] = n1
  const n2 = editable(n1[b] as Node | undefined, by)
  n1[b] = n2
  // A leaf is [owner, key, value, key, value…]: edited in place when `by` owns it, else copied.
  // New leaves are array literals and grown ones copies (`concat`): both are allocated at their
  // length, where `push` would leave room for 17 slots in every leaf.
  const leaf = n2[c] as Leaf | undefined
  if (leaf === undefined) {
    n2[c] = [by, key, value]
    return { root, size: map.size + 1 }
  }
  for (let i = 1; i < leaf.length; i += 2) {
    if (leaf[i] === key) {
      const next = by !== undefined && leaf[0] === by ? (leaf as Array<unknown>) : leaf.slice()
      next[0] = by
      next[i + 1] = value
      n2[c] = next
      return { root, size: map.size }
    }
  }
  const next = leaf.concat([key, value])
  next[0] = by
  n2[c] = next
  return { root, size: map.size + 1 }
}

export function* values<V>(map: PersistentMap<V>): Generator<V> {
  const root = map.root as ReadonlyArray<Node | undefined>
  for (let a = 0; a < root.length && a < OWNER; a++) {
    const l1 = root[a]
    if (!l1) continue
    for (let b = 0; b < OWNER; b++) {
      const l2 = l1[b] as Node | undefined
      if (!l2) continue
      for (let c = 0; c < OWNER; c++) {
        const leaf = l2[c] as Leaf | undefined
        if (!leaf) continue
        for (let i = 2; i < leaf.length; i += 2) yield leaf[i] as V
      }
    }
  }
}
