/**
 * A trie over folded code units with a flat first level (one array lookup for the common case:
 * a character no name starts with) and a single integer-keyed map for deeper levels.
 */
import { C_CJK, C_DIGIT, C_LETTER, C_SPACE } from "./Tables.js"

/** Longest keys we match; longer catalogue names are cut (keeps matching linear). */
export const MAX_KEY = 48

export class Trie {
  private readonly root = new Int32Array(65536).fill(-1)
  private readonly next = new Map<number, number>()
  private values: Array<number> = [-1]
  private hasChild: Array<boolean> = [false]
  private nodeCount = 1

  /** Adds `key` (already folded, no spaces) with `payload`; `keep(old, new)` decides on clashes. */
  insert(key: string, payload: number, keep: (old: number, incoming: number) => number): void {
    const len = Math.min(key.length, MAX_KEY)
    if (len === 0) return
    let node = 0
    for (let k = 0; k < len; k++) {
      const c = key.charCodeAt(k)
      let child = k === 0 ? this.root[c]! : (this.next.get(node * 65536 + c) ?? -1)
      if (child < 0) {
        child = this.nodeCount++
        this.values.push(-1)
        this.hasChild.push(false)
        if (k === 0) this.root[c] = child
        else this.next.set(node * 65536 + c, child)
      }
      this.hasChild[node] = true
      node = child
    }
    const old = this.values[node]!
    this.values[node] = old < 0 ? payload : keep(old, payload)
  }

  /** Freezes the node arrays into typed arrays. */
  seal(): void {
    this.valueArr = Int32Array.from(this.values)
    this.childArr = Uint8Array.from(this.hasChild, (b) => (b ? 1 : 0))
  }
  private valueArr = new Int32Array(1).fill(-1)
  private childArr = new Uint8Array(1)

  /** Result of the last {@link match}: end offset (exclusive) and payload. */
  matchEnd = 0
  matchPayload = -1

  /**
   * Longest match starting at `i` in the folded buffer `buf[0..n)`. Spaces inside a match are
   * skipped when both neighbours are Han or both letters. A match may not split a word of letters
   * or a run of digits. Returns whether something matched; counts its steps in `ops[0]`.
   */
  match(buf: Uint16Array, cls: Uint8Array, i: number, n: number, ops: Int32Array): boolean {
    const c0 = buf[i]!
    let node = this.root[c0]!
    if (node < 0) return false
    const k0 = cls[c0]!
    if (i > 0 && (k0 === C_LETTER || k0 === C_DIGIT) && cls[buf[i - 1]!] === k0) return false
    const values = this.valueArr
    const hasChild = this.childArr
    let bestEnd = -1
    let bestPayload = -1
    let j = i + 1
    let depth = 1
    for (;;) {
      ops[0]!++
      const v = values[node]!
      if (v >= 0) {
        // Boundary: the last matched char and the next char may not be both letters or both digits,
        // except a letter followed by "x<digit>" ("Lx2").
        const last = cls[buf[j - 1]!]!
        let ok = true
        if (j < n && (last === C_LETTER || last === C_DIGIT)) {
          const nc = buf[j]!
          if (cls[nc] === last) {
            ok = last === C_LETTER && nc === 0x78 && j + 1 < n && cls[buf[j + 1]!] === C_DIGIT
          }
        }
        if (ok) {
          bestEnd = j
          bestPayload = v
        }
      }
      if (j >= n || hasChild[node] === 0 || depth >= MAX_KEY) break
      let c = buf[j]!
      let jj = j
      if (cls[c] === C_SPACE) {
        // Skip a run of spaces between two Han characters or two letters.
        const before = cls[buf[j - 1]!]
        while (jj < n && cls[buf[jj]!] === C_SPACE && jj - j < 4) jj++
        if (jj >= n) break
        c = buf[jj]!
        const after = cls[c]
        if (!((before === C_CJK && after === C_CJK) || (before === C_LETTER && after === C_LETTER))) break
      }
      const child = this.next.get(node * 65536 + c)
      if (child === undefined) break
      node = child
      j = jj + 1
      depth++
    }
    if (bestEnd < 0) return false
    this.matchEnd = bestEnd
    this.matchPayload = bestPayload
    return true
  }
}
