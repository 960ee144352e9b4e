/**
 * Aho–Corasick: finds every occurrence of many patterns (buyer names, order ids) in a memo in one
 * pass over the memo, so looking for 50,000 names costs the length of the memo, not 50,000 tries.
 *
 * The trie lives in typed arrays sized from the patterns' total length (no per-node objects for
 * the garbage collector to trace or copy). Most nodes have one child, kept in a sibling list; the
 * edges of nodes with many children also go into one open-addressing table keyed by (node, char).
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
  readonly search: (text: string) => ReadonlyArray<Hit>
}

/** Nodes with more children than this find them through the edge table; the others walk their siblings. */
const FANOUT = 8

/** Builds the automaton. Empty patterns are ignored. */
export const build = (patterns: ReadonlyArray<string>): Automaton => {
  let total = 1
  for (const p of patterns) total += p.length
  // Node 0 is the root. Children: a sibling list, plus the edge table for wide nodes.
  const firstChild = new Int32Array(total).fill(-1)
  const nextSibling = new Int32Array(total).fill(-1)
  const charOf = new Uint16Array(total)
  const childCount = new Int32Array(total)
  const fail = new Int32Array(total)
  // Outputs: the node's own patterns (a chain, in pattern order), then those of `dict`, the
  // nearest node on the fail chain that has patterns of its own (0 = none).
  const ownFirst = new Int32Array(total).fill(-1)
  const ownLast = new Int32Array(total).fill(-1)
  const nextSame = new Int32Array(patterns.length).fill(-1)
  const dict = new Int32Array(total)
  let nodes = 1

  // The edge table: open addressing with linear probing; a slot is free when its child is 0 (the
  // root is nobody's child). It grows when half full.
  let mask = 255
  let edgeNode = new Int32Array(mask + 1)
  let edgeChar = new Uint16Array(mask + 1)
  let edgeChild = new Int32Array(mask + 1)
  let edges = 0
  const slot = (node: number, c: number): number => (Math.imul(node, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) >>> 0
  const tableGet = (node: number, c: number): number => {
    for (let i = slot(node, c) & mask; ; i = (i + 1) & mask) {
      const child = edgeChild[i]!
      if (child === 0) return -1
      if (edgeNode[i] === node && edgeChar[i] === c) return child
    }
  }
  const tablePut = (node: number, c: number, child: number): void => {
    if (2 * (edges + 1) > mask + 1) {
      const [oldNode, oldChar, oldChild] = [edgeNode, edgeChar, edgeChild]
      mask = 2 * (mask + 1) - 1
      edgeNode = new Int32Array(mask + 1)
      edgeChar = new Uint16Array(mask + 1)
      edgeChild = new Int32Array(mask + 1)
      edges = 0
      for (let i = 0; i < oldChild.length; i++) if (oldChild[i] !== 0) tablePut(oldNode[i]!, oldChar[i]!, oldChild[i]!)
    }
    let i = slot(node, c) & mask
    while (edgeChild[i] !== 0) i = (i + 1) & mask
    edgeNode[i] = node
    edgeChar[i] = c
    edgeChild[i] = child
    edges++
  }
  const child = (node: number, c: number): number => {
    if (childCount[node]! > FANOUT) return tableGet(node, c)
    for (let k = firstChild[node]!; k !== -1; k = nextSibling[k]!) if (charOf[k] === c) return k
    return -1
  }

  for (let index = 0; index < patterns.length; index++) {
    const p = patterns[index]!
    if (p.length === 0) continue
    let node = 0
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i)
      let next = child(node, c)
      if (next === -1) {
        next = nodes++
        charOf[next] = c
        nextSibling[next] = firstChild[node]!
        firstChild[node] = next
        const n = ++childCount[node]!
        if (n > FANOUT + 1) tablePut(node, c, next)
        else if (n === FANOUT + 1)
          for (let k = firstChild[node]!; k !== -1; k = nextSibling[k]!) tablePut(node, charOf[k]!, k)
      }
      node = next
    }
    if (ownFirst[node] === -1) ownFirst[node] = index
    else nextSame[ownLast[node]!] = index
    ownLast[node] = index
  }
  // Breadth-first: fail links and output links.
  const queue = new Int32Array(nodes)
  let tail = 0
  for (let ch = firstChild[0]!; ch !== -1; ch = nextSibling[ch]!) queue[tail++] = ch
  for (let q = 0; q < tail; q++) {
    const node = queue[q]!
    for (let ch = firstChild[node]!; ch !== -1; ch = nextSibling[ch]!) {
      const c = charOf[ch]!
      let f = fail[node]!
      let target = child(f, c)
      while (target === -1 && f !== 0) {
        f = fail[f]!
        target = child(f, c)
      }
      const fl = target !== -1 && target !== ch ? target : 0
      fail[ch] = fl
      dict[ch] = ownFirst[fl] !== -1 ? fl : dict[fl]!
      queue[tail++] = ch
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
      for (let v = ownFirst[node] !== -1 ? node : dict[node]!; v !== 0; v = dict[v]!)
        for (let p = ownFirst[v]!; p !== -1; p = nextSame[p]!) hits.push({ pattern: p, end: i + 1 })
    }
    return hits
  }
  return { search }
}
