/**
 * A set of strings for the in-memory store's idempotency keys: open addressing with linear
 * probing, each slot's 32-bit hash in an `Int32Array` beside the key.
 *
 * Why not a `Set`: every comment asks the store twice about a key it has never seen (`readKeys`,
 * then the commit's claim). A `Set` of 100,000s of strings answers that from a table far larger
 * than the CPU caches, and each probe also reads the header of every string in its chain to
 * compare hashes: about three cache misses a question, which was about a tenth of an in-memory
 * replay. Here a new key costs one read of the hash array (its neighbours come in the same cache
 * line), and a string is only read when its hash matches. A property test holds it to `Set`.
 *
 * Each key may carry a string value (the data kept with an idempotency key), in a parallel array.
 */
import { hashString } from "./PersistentMap.js"

const EMPTY = 0

export class StringSet {
  /** Slot hashes; 0 marks an empty slot (a key hashing to 0 is stored as 1). */
  private hashes: Int32Array
  private keys: Array<string | undefined>
  /** The value of the key in the same slot (undefined: the empty string). */
  private values: Array<string | undefined>
  private mask: number
  private count = 0

  /** `capacity`: the first table's slots, a power of two (tests start small to force collisions). */
  constructor(capacity = 1024) {
    if (capacity < 2 || (capacity & (capacity - 1)) !== 0) throw new RangeError("capacity must be a power of two")
    this.hashes = new Int32Array(capacity)
    this.keys = new Array(capacity).fill(undefined)
    this.values = new Array(capacity).fill(undefined)
    this.mask = capacity - 1
  }

  get size(): number {
    return this.count
  }

  has(key: string): boolean {
    const h = slotHash(key)
    const hashes = this.hashes
    const mask = this.mask
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hashes[i]!
      if (x === EMPTY) return false
      if (x === h && this.keys[i] === key) return true
    }
  }

  /** The value kept with `key` (`""` when it was added without one), or undefined when it is not here. */
  get(key: string): string | undefined {
    const h = slotHash(key)
    const hashes = this.hashes
    const mask = this.mask
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hashes[i]!
      if (x === EMPTY) return undefined
      if (x === h && this.keys[i] === key) return this.values[i] ?? ""
    }
  }

  /** Adds `key` with `value`; false (and the value kept as it was) if it was there already. */
  add(key: string, value?: string): boolean {
    const h = slotHash(key)
    const hashes = this.hashes
    const mask = this.mask
    let i = h & mask
    for (; ; i = (i + 1) & mask) {
      const x = hashes[i]!
      if (x === EMPTY) break
      if (x === h && this.keys[i] === key) return false
    }
    hashes[i] = h
    this.keys[i] = key
    this.values[i] = value === "" ? undefined : value
    // Linear probing stays short below half full.
    if (++this.count * 2 > this.hashes.length) this.grow()
    return true
  }

  /** Removes `key` (backward-shift deletion, so no tombstones); false if it was not there. */
  delete(key: string): boolean {
    const h = slotHash(key)
    const hashes = this.hashes
    const keys = this.keys
    const values = this.values
    const mask = this.mask
    let i = h & mask
    for (; ; i = (i + 1) & mask) {
      const x = hashes[i]!
      if (x === EMPTY) return false
      if (x === h && keys[i] === key) break
    }
    // Move later entries of the run back into the hole when their home slot allows it.
    for (let j = (i + 1) & mask; hashes[j]! !== EMPTY; j = (j + 1) & mask) {
      const home = hashes[j]! & mask
      // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
      const homeInRange = i <= j ? home > i && home <= j : home > i || home <= j
      if (!homeInRange) {
        hashes[i] = hashes[j]!
        keys[i] = keys[j]
        values[i] = values[j]
        i = j
      }
    }
    hashes[i] = EMPTY
    keys[i] = undefined
    values[i] = undefined
    this.count--
    return true
  }

  private grow() {
    const oldHashes = this.hashes
    const oldKeys = this.keys
    const oldValues = this.values
    const capacity = oldHashes.length * 2
    const hashes = new Int32Array(capacity)
    const keys: Array<string | undefined> = new Array(capacity).fill(undefined)
    const values: Array<string | undefined> = new Array(capacity).fill(undefined)
    const mask = capacity - 1
    for (let s = 0; s < oldHashes.length; s++) {
      const h = oldHashes[s]!
      if (h === EMPTY) continue
      let i = h & mask
      while (hashes[i]! !== EMPTY) i = (i + 1) & mask
      hashes[i] = h
      keys[i] = oldKeys[s]
      values[i] = oldValues[s]
    }
    this.hashes = hashes
    this.keys = keys
    this.values = values
    this.mask = mask
  }
}

/** The key's hash as a non-zero int32 (0 marks empty slots). */
const slotHash = (key: string): number => hashString(key) | 0 || 1
