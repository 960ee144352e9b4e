/**
 * Aho–Corasick: finds every occurrence of many patterns (buyer names, order ids) in a memo in one
 * pass over the memo, so looking for 50,000 names costs the length of the memo, not 50,000 tries.
 *
 * The trie is stored flat (one `Map` of edges keyed by `node * 65536 + charCode`, plain arrays for
 * the rest) so that hundreds of thousands of nodes stay cheap to build and to collect.
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

const SHIFT = 65536

/** Builds the automaton. Empty patterns are ignored. */
export const build = (patterns: ReadonlyArray<string>): Automaton => {
  const edges = new Map<number, number>()
  const firstChild: Array<number> = [-1]
  const nextSibling: Array<number> = [-1]
  const charOf: Array<number> = [0]
  const fail: Array<number> = [0]
  const out: Array<Array<number> | undefined> = [undefined]
  patterns.forEach((p, index) => {
    if (p.length === 0) return
    let node = 0
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i)
      let next = edges.get(node * SHIFT + c)
      if (next === undefined) {
        next = fail.length
        edges.set(node * SHIFT + c, next)
        fail.push(0)
        out.push(undefined)
        charOf.push(c)
        firstChild.push(-1)
        nextSibling.push(firstChild[node]!)
        firstChild[node] = next
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
    for (let child = firstChild[node]!; child !== -1; child = nextSibling[child]!) {
      const c = charOf[child]!
      let f = fail[node]!
      let target = edges.get(f * SHIFT + c)
      while (target === undefined && f !== 0) {
        f = fail[f]!
        target = edges.get(f * SHIFT + c)
      }
      fail[child] = target !== undefined && target !== child ? target : 0
      const inherited = out[fail[child]!]
      if (inherited) out[child] = out[child] ? [...out[child]!, ...inherited] : inherited
      queue.push(child)
    }
  }
  const search = (text: string): ReadonlyArray<Hit> => {
    const hits: Array<Hit> = []
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      let next = edges.get(node * SHIFT + c)
      while (next === undefined && node !== 0) {
        node = fail[node]!
        next = edges.get(node * SHIFT + c)
      }
      node = next ?? 0
      const o = out[node]
      if (o) for (let k = 0; k < o.length; k++) hits.push({ pattern: o[k]!, end: i + 1 })
    }
    return hits
  }
  return { patterns, search }
}
