/**
 * Aho–Corasick: finds every occurrence of many patterns (buyer names, order ids) in a memo in one
 * pass over the memo, so looking for 50,000 names costs the length of the memo, not 50,000 tries.
 *
 * The trie is stored in flat arrays (a `Map` only for the few nodes with many children), so that
 * hundreds of thousands of nodes stay cheap to build and to collect.
 *
 * @internal
 */

/** One occurrence: which pattern (its index) and where it ends (exclusive) in the text. */
export interface Hit {
  readonly pattern: number
  readonly end: number
}

/** A built automaton. */
export interface Automaton {
  readonly patterns: ReadonlyArray<string>
  readonly search: (text: string) => ReadonlyArray<Hit>
}

/** Nodes with more children than this get a `Map`; the others keep a short sibling list. */
const FANOUT = 8

/** Builds the automaton. Empty patterns are ignored. */
export const build = (patterns: ReadonlyArray<string>): Automaton => {
  // Children: a linked list of siblings (most trie nodes have one child), plus a Map (keyed by
  // the character code, a small integer) for nodes with many children.
  const firstChild: Array<number> = [-1]
  const nextSibling: Array<number> = [-1]
  const charOf: Array<number> = [0]
  const childCount: Array<number> = [0]
  const wide = new Map<number, Map<number, number>>()
  const fail: Array<number> = [0]
  const out: Array<Array<number> | undefined> = [undefined]
  const child = (node: number, c: number): number => {
    const m = wide.get(node)
    if (m !== undefined) return m.get(c) ?? -1
    for (let k = firstChild[node]!; k !== -1; k = nextSibling[k]!) if (charOf[k] === c) return k
    return -1
  }
  patterns.forEach((p, index) => {
    if (p.length === 0) return
    let node = 0
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i)
      let next = child(node, c)
      if (next === -1) {
        next = fail.length
        fail.push(0)
        out.push(undefined)
        charOf.push(c)
        firstChild.push(-1)
        childCount.push(0)
        nextSibling.push(firstChild[node]!)
        firstChild[node] = next
        const n = ++childCount[node]!
        const m = wide.get(node)
        if (m !== undefined) m.set(c, next)
        else if (n > FANOUT) {
          const map = new Map<number, number>()
          for (let k = firstChild[node]!; k !== -1; k = nextSibling[k]!) map.set(charOf[k]!, k)
          wide.set(node, map)
        }
      }
      node = next
    }
    const o = out[node]
    if (o) o.push(index)
    else out[node] = [index]
  })
  // Breadth-first: fail links, and each node's outputs include its fail node's.
  const queue: Array<number> = []
  for (let ch = firstChild[0]!; ch !== -1; ch = nextSibling[ch]!) queue.push(ch)
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]!
    for (let ch = firstChild[node]!; ch !== -1; ch = nextSibling[ch]!) {
      const c = charOf[ch]!
      let f = fail[node]!
      let target = child(f, c)
      while (target === -1 && f !== 0) {
        f = fail[f]!
        target = child(f, c)
      }
      fail[ch] = target !== -1 && target !== ch ? target : 0
      const inherited = out[fail[ch]!]
      if (inherited) out[ch] = out[ch] ? [...out[ch]!, ...inherited] : inherited
      queue.push(ch)
    }
  }
  const search = (text: string): ReadonlyArray<Hit> => {
    const hits: Array<Hit> = []
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      let next = child(node, c)
      while (next === -1 && node !== 0) {
        node = fail[node]!
        next = child(node, c)
      }
      node = next === -1 ? 0 : next
      const o = out[node]
      if (o) for (let k = 0; k < o.length; k++) hits.push({ pattern: o[k]!, end: i + 1 })
    }
    return hits
  }
  return { patterns, search }
}
