/**
 * Aho–Corasick: finds every occurrence of many patterns (buyer names, order ids) in a memo in one
 * pass over the memo, so looking for 50,000 names costs the length of the memo, not 50,000 tries.
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

/** Builds the automaton. Empty patterns are ignored. */
export const build = (patterns: ReadonlyArray<string>): Automaton => {
  const children: Array<Map<number, number>> = [new Map()]
  const out: Array<Array<number>> = [[]]
  const fail: Array<number> = [0]
  patterns.forEach((p, index) => {
    if (p.length === 0) return
    let node = 0
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i)
      let next = children[node]!.get(c)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        out.push([])
        fail.push(0)
        children[node]!.set(c, next)
      }
      node = next
    }
    out[node]!.push(index)
  })
  // Breadth-first: fail links, and each node's outputs include its fail node's.
  const queue: Array<number> = []
  for (const child of children[0]!.values()) queue.push(child)
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q]!
    for (const [c, child] of children[node]!) {
      let f = fail[node]!
      while (f !== 0 && !children[f]!.has(c)) f = fail[f]!
      const target = children[f]!.get(c)
      fail[child] = target !== undefined && target !== child ? target : 0
      const inherited = out[fail[child]!]!
      if (inherited.length > 0) out[child] = [...out[child]!, ...inherited]
      queue.push(child)
    }
  }
  const search = (text: string): ReadonlyArray<Hit> => {
    const hits: Array<Hit> = []
    let node = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      while (node !== 0 && !children[node]!.has(c)) node = fail[node]!
      node = children[node]!.get(c) ?? 0
      const o = out[node]!
      for (let k = 0; k < o.length; k++) hits.push({ pattern: o[k]!, end: i + 1 })
    }
    return hits
  }
  return { patterns, search }
}
