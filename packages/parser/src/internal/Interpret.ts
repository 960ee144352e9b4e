/**
 * From tokens to one intent (docs/parsing.md). Every decision that is not certain ends in `review`,
 * with the first rule that fired as the reason.
 */
import type { ParseResult } from "@kaituan/core"
import {
  A_KEYCAP,
  A_METOO,
  A_NEWLINE,
  A_PRODNUM,
  H_NEG,
  T_AMEND,
  T_BADNUM,
  T_BUNDLE,
  T_CANCEL,
  T_CONDITION,
  T_FILLER,
  T_FOLLOW,
  T_GE,
  T_GEQTY,
  T_HEDGE,
  T_HELP,
  T_KINDS,
  T_LAST5,
  T_LQTY,
  T_MARKER,
  T_MARKER_NOQTY,
  T_MINUS,
  T_MONEY,
  T_NAME,
  T_NEG,
  T_NEGNEAR,
  T_NOT,
  T_NUM,
  T_PAY,
  T_PAYWEAK,
  T_POINT,
  T_QFINAL,
  T_QUESTION,
  T_TYPO,
  T_UNITNUM,
  T_UNKNOWN,
  T_WANT,
  buf,
  hasNewline,
  ops,
  tok
} from "./Lexer.js"
import { E_OPTION, E_VARIANT, type Entry, type Lexicon, type Resolution, resolve } from "./Lexicon.js"

type Line = ParseResult.ParsedLine
type Span = ParseResult.Span
type Likely = "order" | "amend" | "cancel" | "payment"

/** More names than this for one quantity is not an order anyone types (and keeps 各 linear). */
const MAX_NAMES = 12

const counts = new Int32Array(T_KINDS + 1)
const firstAt = new Int32Array(T_KINDS + 1)
let namePrefix = new Int32Array(257)
let qs = new Int32Array(64)

/** Per-comment state. */
interface Ctx {
  text: string
  lx: Lexicon
  cache: Map<number | string, Resolution>
  reviewReason: string | undefined
  /** The first line completed from the only variant that has the values named (for the reason). */
  completed: string | undefined
}

/** The one Ctx, reset for every comment (parsing is synchronous; a fresh one is 56 bytes of garbage). */
let shared: Ctx | undefined

const WS = /\s+/gu

/** Whether the comment has line breaks or tabs (quotes then collapse white space). */
let multiline = false

/** Quotes a piece of the comment for a reason (one line, at most 40 characters). */
const q = (text: string, s: number, e: number): string => {
  let t = e - s > 40 ? text.slice(s, s + 39) + "…" : text.slice(s, e)
  if (multiline) t = t.replace(WS, " ")
  return '"' + t + '"'
}

const tokText = (c: Ctx, i: number): string => q(c.text, tok.start[i]!, tok.end[i]!)

// Reasons on common paths are put here piece by piece and joined once into a flat string: built
// with `+` or a template, a reason is a chain of 32-byte rope links plus copies of its short
// pieces, which `result` then flattens into yet another copy.
const pieces: Array<string> = []
let nPieces = 0

const put = (s: string): void => {
  pieces[nPieces++] = s
}

/**
 * Puts a piece of the comment as {@link q} quotes it, but without the quote marks: the callers
 * put them with the words around it (fewer pieces to join).
 */
const putQ = (c: Ctx, s: number, e: number): void => {
  const long = e - s > 40
  let t = c.text.slice(s, long ? s + 39 : e)
  if (multiline) t = t.replace(WS, " ")
  put(t)
  if (long) put("…")
}

const putTok = (c: Ctx, i: number): void => putQ(c, tok.start[i]!, tok.end[i]!)

/** The pieces put so far, as one flat string. */
const take = (): string => {
  // Shortening never allocates (at most it trims the backing store in place).
  if (pieces.length !== nPieces) pieces.length = nPieces
  nPieces = 0
  return pieces.join("")
}

/** A reason `before comment[s, e) after`, quoted by `before` and `after`: `said(c, 'no "', s, e, '" here')`. */
const said = (c: Ctx, before: string, s: number, e: number, after: string): string => {
  put(before)
  putQ(c, s, e)
  put(after)
  return take()
}

/** A reason `before token-i after` (quoted by `before` and `after`). */
const saidTok = (c: Ctx, before: string, i: number, after: string): string =>
  said(c, before, tok.start[i]!, tok.end[i]!, after)

const flag = (c: Ctx, reason: string): void => {
  if (c.reviewReason === undefined) c.reviewReason = reason
}

/** `flag(c, saidTok(c, before, i, after))`, built only when it is the first reason. */
const flagTok = (c: Ctx, before: string, i: number, after: string): void => {
  if (c.reviewReason === undefined) c.reviewReason = saidTok(c, before, i, after)
}

const spanKind = (lx: Lexicon, i: number): Span["kind"] | undefined => {
  switch (tok.kind[i]) {
    case T_NAME: {
      if ((tok.aux[i]! & A_PRODNUM) !== 0) return "product-number"
      const e = lx.groups[tok.val[i]!]![0]!
      return e.kind === E_OPTION ? "option" : "name"
    }
    case T_BADNUM:
      return "product-number"
    case T_MARKER:
    case T_MARKER_NOQTY:
    case T_GE:
    case T_BUNDLE:
    case T_TYPO:
      return "marker"
    case T_LQTY:
    case T_GEQTY:
    case T_UNITNUM:
    case T_NUM:
      return "quantity"
    case T_MINUS:
    case T_CANCEL:
    case T_NEG:
    case T_NOT:
      return "cancel"
    case T_AMEND:
      return "amend"
    case T_MONEY:
      return "money"
    case T_UNKNOWN:
      return "unknown"
    case T_FILLER:
    case T_WANT:
    case T_HELP:
      return "filler"
    case T_QUESTION:
    case T_QFINAL:
      return "question"
    case T_CONDITION:
      return "condition"
    case T_HEDGE:
      return tok.val[i] === H_NEG ? "cancel" : "condition"
    case T_POINT:
      return "unknown"
    case T_PAY:
    case T_PAYWEAK:
      return "payment"
    case T_LAST5:
      return "last5"
    default:
      return undefined
  }
}

/** Spans found so far, in a scratch array kept across comments (as {@link lineBuf} is for lines). */
const spanBuf: Array<Span> = []

const spansOf = (lx: Lexicon, payment: boolean): Array<Span> => {
  // One pass into the scratch array, then a copy of its exact length (one that grows by `push`
  // gets room for 17): every comment gets one.
  let n = 0
  for (let i = 0; i < tok.n; i++) {
    let kind = spanKind(lx, i)
    if (kind === undefined) continue
    if (payment && kind === "money") kind = "amount"
    spanBuf[n++] = { start: tok.start[i]!, end: tok.end[i]!, kind }
  }
  return spanBuf.slice(0, n)
}

const has = (k: number): boolean => counts[k]! > 0

const result = (
  c: Ctx,
  intent: ParseResult.Intent,
  lines: ReadonlyArray<Line>,
  reason: string,
  likely?: Likely
): ParseResult.ParseResult => {
  const spans = spansOf(c.lx, false)
  // Reasons built from template pieces are a chain of rope strings (three or four 32-byte links
  // a reason). Reading a character flattens the chain into one string, and the next GC drops the
  // links: an in-memory replay keeps every comment's reason in its outcome. (A reason from
  // `take` is flat already.)
  reason.charCodeAt(0)
  return likely === undefined ? { intent, lines, reason, spans } : { intent, lines, reason, spans, likely }
}

/** A verdict for review (its lines are `[]` or from {@link takeLines}: already their own length). */
const review = (c: Ctx, likely: Likely, lines: ReadonlyArray<Line>, reason: string): ParseResult.ParseResult =>
  result(c, "review", lines, reason, likely)

/**
 * The lines found so far (`nLines` of them), in a scratch array kept across comments: the
 * result gets a copy of its exact length (an array built by `push` has room for 17).
 */
const lineBuf: Array<Line> = []
let nLines = 0

const addLine = (sku: string | null, qty: number): void => {
  lineBuf[nLines++] = { sku, qty }
}

const takeLines = (): Array<Line> => lineBuf.slice(0, nLines)

/** Previous token skipping fillers (and the 各 / 包色 that belong to a marker). */
const prevMeaningful = (i: number): number => {
  let p = i - 1
  while (p >= 0) {
    const k = tok.kind[p]!
    if (k === T_FILLER || k === T_WANT || k === T_GE || k === T_BUNDLE || k === T_NOT) p--
    else break
  }
  return p
}

const namesIn = (from: number, to: number): number => namePrefix[to]! - namePrefix[from]!

/**
 * Name token lists, as runs of a scratch array kept across comments (a list is an offset and a
 * length): a fresh array per quantity would get room for 17 from its first `push`.
 */
let nameBuf = new Int32Array(64)
/** Slots of the names under 各 (at most MAX_NAMES). */
const slotBuf = new Int32Array(MAX_NAMES)

/** Writes the names (and bad product numbers) in tokens [from, to) to nameBuf at `at`; returns how many. */
const groupsOf = (from: number, to: number, at: number): number => {
  let n = 0
  for (let i = from; i < to; i++) if (tok.kind[i] === T_NAME || tok.kind[i] === T_BADNUM) nameBuf[at + n++] = i
  return n
}

const resolveTokens = (c: Ctx, off: number, len: number): Resolution => {
  let key: number | string = 0
  let small = len <= 4
  if (small) {
    for (let k = 0; k < len; k++) {
      const v = tok.val[nameBuf[off + k]!]!
      if (v >= 4095) small = false
      key = (key as number) * 4096 + v + 1
    }
  }
  if (!small) {
    key = ""
    for (let k = 0; k < len; k++) key += (k > 0 ? "," : "") + tok.val[nameBuf[off + k]!]!
  }
  const hit = c.cache.get(key)
  if (hit !== undefined) return hit
  const groups = new Array<ReadonlyArray<Entry>>(len)
  for (let k = 0; k < len; k++) groups[k] = c.lx.groups[tok.val[nameBuf[off + k]!]!]!
  const r = resolve(c.lx, groups)
  if (c.cache.size > 4096) c.cache.clear()
  c.cache.set(key, r)
  return r
}

/** The text of names for a reason: `"黑 L"`. */
const namesText = (c: Ctx, off: number, len: number): string => {
  if (len === 0) return '""'
  return q(c.text, tok.start[nameBuf[off]!]!, tok.end[nameBuf[off + len - 1]!]!)
}

/** The dimension a name fills, for 各: the option's dimension index, -1 for a variant, -2 for a product. */
const slotOf = (c: Ctx, t: number): number => {
  const e: Entry = c.lx.groups[tok.val[t]!]![0]!
  return e.kind === E_OPTION ? e.dim : e.kind === E_VARIANT ? -1 : -2
}

/** The quantity's token in words, for reasons (a function, not a closure per call: hot path). */
const what = (c: Ctx, wt: number): string =>
  tok.kind[wt] === T_AMEND ? tokText(c, wt) : `the marker ${tokText(c, wt)}`

/** Puts {@link what} but its closing quote mark. */
const putWhat = (c: Ctx, wt: number): void => {
  put(tok.kind[wt] === T_AMEND ? '"' : 'the marker "')
  putTok(c, wt)
}

/**
 * Lines for one quantity and the names at nameBuf[off, off + len). Adds them with `addLine`; on
 * doubt flags a review (and still adds a best-effort line when it can). Under 各 it uses
 * nameBuf after the names as scratch.
 */
const linesFor = (
  c: Ctx,
  off: number,
  len: number,
  qty: number,
  mode: "one" | "each" | "all",
  allowNullSku: boolean,
  /** The token the quantity came from (for reasons). */
  wt: number
): void => {
  const lx = c.lx
  for (let k = 0; k < len; k++) {
    const t = nameBuf[off + k]!
    if (tok.kind[t] === T_BADNUM) {
      flag(c, `${tokText(c, t)}: the round has only ${lx.products.length} products`)
      return
    }
  }
  if (len === 0) {
    if (mode === "all" && lx.products.length === 1) {
      for (const s of lx.products[0]!.skus) addLine(s.sku, qty)
      return
    }
    if (lx.onlySku !== undefined) {
      addLine(lx.onlySku, qty)
      return
    }
    if (allowNullSku) {
      addLine(null, qty)
      return
    }
    if (c.reviewReason === undefined) {
      const only = lx.products.length === 1 ? lx.products[0] : undefined
      putWhat(c, wt)
      put('" names no ')
      put(only === undefined ? "product" : only.dims.length > 0 ? only.dims.join("/") : "variant")
      put(": which one?")
      c.reviewReason = take()
    }
    return
  }
  if (len > MAX_NAMES) {
    flag(c, `${what(c, wt)}: too many names for one quantity`)
    return
  }
  if (mode === "each") {
    // 各: one line per value of the one slot that repeats
    for (let k = 0; k < len; k++) slotBuf[k] = slotOf(c, nameBuf[off + k]!)
    const NONE = -3
    let slot = NONE
    let several = false
    for (let a = 0; a < len; a++)
      for (let b = a + 1; b < len; b++)
        if (slotBuf[a] === slotBuf[b] && tok.val[nameBuf[off + a]!] !== tok.val[nameBuf[off + b]!]) {
          if (slot === NONE || slot === slotBuf[a]) slot = slotBuf[a]!
          else several = true
        }
    if (several) {
      flag(c, `${what(c, wt)} after ${namesText(c, off, len)}: cannot tell which names 各 spreads over`)
      return
    }
    if (slot !== NONE) {
      // The names of the other slots, then one name of the repeated slot at a time.
      const sub = off + len
      let nOthers = 0
      for (let k = 0; k < len; k++) if (slotBuf[k] !== slot) nameBuf[sub + nOthers++] = nameBuf[off + k]!
      for (let k = 0; k < len; k++) {
        if (slotBuf[k] !== slot) continue
        nameBuf[sub + nOthers] = nameBuf[off + k]!
        linesFor(c, sub, nOthers + 1, qty, "one", false, wt)
      }
      return
    }
  }
  const r = resolveTokens(c, off, len)
  if (r._tag === "Fail") {
    flag(c, `${namesText(c, off, len)}: ${r.why}`)
    return
  }
  if (mode === "all") {
    for (const s of r.skus) addLine(s, qty)
    return
  }
  if (r.skus.length > 1) {
    const p = lx.products[r.product]!
    flag(c, `${namesText(c, off, len)} is ${p.name}, but which ${r.detail !== "" ? r.detail : "variant"}?`)
    return
  }
  // The only variant that has the values named completes the other options (docs/parsing.md).
  if (r.detail !== "" && c.completed === undefined) c.completed = `${namesText(c, off, len)} comes only as ${r.detail}`
  addLine(r.skus[0]!, qty)
}

const checkQty = (c: Ctx, t: number, qty: number): void => {
  if (qty === 0) flagTok(c, '"', t, '": quantity 0')
  else if (qty > c.lx.settings.maxQtyPerLine)
    flag(c, `${tokText(c, t)}: ${qty} is above the limit of ${c.lx.settings.maxQtyPerLine} per line`)
}

/** Marks duplicate skus among the lines found (the same item twice: "紅+1 紅+1"). */
const checkDuplicates = (c: Ctx): void => {
  if (nLines < 2) return
  let twice = -1
  if (nLines <= 16) {
    // A few lines are compared pairwise, without a Set per comment.
    for (let b = 1; b < nLines && twice < 0; b++)
      for (let a = 0; a < b; a++)
        if (lineBuf[a]!.sku === lineBuf[b]!.sku) {
          twice = b
          break
        }
  } else {
    const seen = new Set<string | null>()
    for (let b = 0; b < nLines && twice < 0; b++) {
      if (seen.has(lineBuf[b]!.sku)) twice = b
      seen.add(lineBuf[b]!.sku)
    }
  }
  if (twice >= 0) flag(c, `${lineBuf[twice]!.sku ?? "the same line"} appears twice: cannot tell the markers apart`)
}

/** Puts the summary of the lines found for a reason: `SOCK-R ×1, SOCK-W ×2`. */
const putSummary = (c: Ctx): void => {
  for (let k = 0; k < nLines && k < 4; k++) {
    if (k > 0) put(", ")
    put(lineBuf[k]!.sku ?? "(their line)")
    put(" ×")
    put(String(lineBuf[k]!.qty))
  }
  if (nLines > 4) {
    put(", … ")
    put(String(nLines - 4))
    put(" more")
  }
  if (c.completed !== undefined) {
    put(" (")
    put(c.completed)
    put(")")
  }
}

interface Scopes {
  from: Int32Array
  to: Int32Array
}
let scopes: Scopes = { from: new Int32Array(64), to: new Int32Array(64) }

/**
 * Which names each quantity token applies to: the names between it and the previous one; if
 * there are none, the names after it up to the next one (markers only).
 */
const assignScopes = (c: Ctx, nq: number, postOnlyAfterMarkers: boolean): void => {
  if (scopes.from.length < nq) scopes = { from: new Int32Array(nq * 2), to: new Int32Array(nq * 2) }
  let consumedTo = 0
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    const segStart = k === 0 ? 0 : qs[k - 1]! + 1
    scopes.from[k] = t
    scopes.to[k] = t
    if (namesIn(segStart, t) > 0) {
      if (consumedTo > segStart) {
        flagTok(c, '"', t, '": cannot tell which names go with which marker')
      } else {
        scopes.from[k] = segStart
        scopes.to[k] = t
      }
    } else if (!postOnlyAfterMarkers || tok.kind[t] === T_MARKER || tok.kind[t] === T_MARKER_NOQTY) {
      const nextEnd = k + 1 < nq ? qs[k + 1]! : tok.n
      if (namesIn(t + 1, nextEnd) > 0) {
        scopes.from[k] = t + 1
        scopes.to[k] = nextEnd
        consumedTo = nextEnd
      }
    }
  }
  const last = nq > 0 ? qs[nq - 1]! + 1 : 0
  if (consumedTo < tok.n && namesIn(Math.max(last, consumedTo), tok.n) > 0) {
    const n = groupsOf(Math.max(last, consumedTo), tok.n, 0)
    flag(c, `${namesText(c, 0, n)} after the last quantity has no quantity`)
  }
}

/** Before a quantity token: an unknown word, a bare number, or another marker → review. */
const checkBefore = (c: Ctx, t: number, _what: string): void => {
  const p = prevMeaningful(t)
  if (p < 0) return
  const k = tok.kind[p]!
  if (k === T_UNKNOWN) flag(c, `unknown word ${tokText(c, p)} right before ${tokText(c, t)}`)
  else if (k === T_NUM) flag(c, `${q(c.text, tok.start[p]!, tok.end[t]!)}: a number right before the marker`)
  else if ((k === T_MARKER || k === T_MARKER_NOQTY) && (tok.kind[t] === T_MARKER || tok.kind[t] === T_MARKER_NOQTY))
    flag(c, `${q(c.text, tok.start[p]!, tok.end[t]!)}: repeated markers cannot be told apart`)
  else if (k === T_BADNUM) flag(c, `${tokText(c, p)}: the round has only ${c.lx.products.length} products`)
}

const ensureQs = (n: number): void => {
  if (qs.length < n) qs = new Int32Array(n * 2)
}

// ───────────────────────────── the decision ─────────────────────────────

export const interpret = (
  text: string,
  lx: Lexicon,
  cache: Map<number | string, Resolution>
): ParseResult.ParseResult => {
  shared ??= { text, lx, cache, reviewReason: undefined, completed: undefined }
  const c = shared
  c.text = text
  c.lx = lx
  c.cache = cache
  c.reviewReason = undefined
  c.completed = undefined
  nPieces = 0
  nLines = 0
  multiline = hasNewline
  const nt = tok.n
  if (nameBuf.length < nt + 2 * MAX_NAMES) nameBuf = new Int32Array((nt + 2 * MAX_NAMES) * 2)
  // Pre-pass: a leading 幫…/代… makes the words after it a filler (the person ordered for);
  // 不 and 沒 count only next to a marker (then a negation; "不+N了" is the cancellation); 跟 only
  // right before one; 呢 only at the end.
  let lead = 0
  while (lead < nt && (tok.kind[lead] === T_FILLER || tok.kind[lead] === T_WANT)) lead++
  for (let i = 0; i < nt; i++) {
    const k = tok.kind[i]!
    if (k === T_HELP) {
      if (i === lead) {
        let j = i + 1
        while (j < nt && (tok.kind[j] === T_UNKNOWN || tok.kind[j] === T_FILLER || tok.kind[j] === T_WANT)) {
          if (tok.kind[j] === T_UNKNOWN) tok.kind[j] = T_FILLER
          j++
        }
      } else tok.kind[i] = T_UNKNOWN
    } else if (k === T_NOT || k === T_NEGNEAR) {
      if (k === T_NOT && isRetraction(i, nt)) continue
      if (nextToMarker(i, nt)) {
        tok.kind[i] = T_HEDGE
        tok.val[i] = H_NEG
      } else tok.kind[i] = T_UNKNOWN
    } else if (k === T_FOLLOW) {
      tok.kind[i] = i + 1 < nt && isMarker(tok.kind[i + 1]!) ? T_POINT : T_UNKNOWN
    }
  }
  // 呢 is a question only when nothing but fillers and question marks follow it.
  let tailOnly = true
  for (let i = nt - 1; i >= 0; i--) {
    const k = tok.kind[i]!
    if (k === T_QFINAL) tok.kind[i] = tailOnly ? T_QUESTION : T_FILLER
    else if (k !== T_FILLER && k !== T_QUESTION) tailOnly = false
  }
  counts.fill(0)
  ops[0]! += nt
  if (namePrefix.length < nt + 1) namePrefix = new Int32Array((nt + 1) * 2)
  namePrefix[0] = 0
  for (let i = 0; i < nt; i++) {
    const k = tok.kind[i]!
    if (counts[k] === 0) firstAt[k] = i
    counts[k]!++
    namePrefix[i + 1] = namePrefix[i]! + (k === T_NAME || k === T_BADNUM ? 1 : 0)
  }
  const names = namePrefix[nt]!
  const markers = counts[T_MARKER]! + counts[T_MARKER_NOQTY]!
  const lenientQ = counts[T_LQTY]! + counts[T_GEQTY]!
  const orderish =
    markers +
      lenientQ +
      counts[T_UNITNUM]! +
      counts[T_MINUS]! +
      counts[T_AMEND]! +
      counts[T_CANCEL]! +
      counts[T_NOT]! +
      counts[T_TYPO]! +
      counts[T_NEG]! >
    0
  const wouldBe: Likely =
    has(T_CANCEL) || has(T_NOT) || (has(T_MINUS) && markers === 0) ? "cancel" : has(T_AMEND) ? "amend" : "order"

  // 1. Payments
  const last5At = has(T_LAST5) ? findLast5() : -1
  if (has(T_PAY) || last5At >= 0) {
    const cue = has(T_PAY) ? firstAt[T_PAY]! : last5At
    if (has(T_QUESTION) || has(T_CONDITION))
      return review(c, "payment", [], saidTok(c, 'payment words "', cue, '" in a question or condition'))
    if (markers + lenientQ + counts[T_MINUS]! + counts[T_AMEND]! + counts[T_CANCEL]! > 0)
      return review(c, "payment", [], saidTok(c, 'payment words "', cue, '" mixed with an order or a change'))
    return payment(c, cue, last5At)
  }
  if (has(T_PAYWEAK) && (has(T_MONEY) || has(T_NUM) || has(T_LAST5)) && !has(T_QUESTION)) {
    return review(
      c,
      markers > 0 ? "order" : "payment",
      [],
      saidTok(c, '"', firstAt[T_PAYWEAK]!, '" with an amount, but not "已…" (done)')
    )
  }
  // 2. Hedges and negations around a marker: never an order, a change or a cancellation
  if (has(T_HEDGE)) {
    const firm = firstFirm()
    if (firm >= 0) return review(c, wouldBe, [], hedgeReason(c, firstAt[T_HEDGE]!, firm))
  }
  // 3. Comments that point at another one ("同上", "+1 同樓上", "跟+1"): their content is elsewhere
  if (has(T_POINT))
    return review(
      c,
      wouldBe,
      [],
      saidTok(c, '"', firstAt[T_POINT]!, '" points at another comment: its content is elsewhere')
    )
  // 4. Conditions and questions
  if (has(T_CONDITION)) {
    const cue = firstAt[T_CONDITION]!
    return orderish
      ? review(c, wouldBe, [], saidTok(c, 'condition "', cue, '": not a firm order'))
      : result(c, "none", [], saidTok(c, 'condition "', cue, '" without an order'))
  }
  if (has(T_QUESTION)) {
    const cue = firstAt[T_QUESTION]!
    return orderish
      ? review(c, wouldBe, [], saidTok(c, 'question "', cue, '" with an order marker'))
      : result(c, "none", [], saidTok(c, 'question "', cue, '" without a marker'))
  }
  // 5. Cancellations of everything
  if (has(T_CANCEL) || has(T_NOT)) {
    const at = has(T_CANCEL) ? firstAt[T_CANCEL]! : firstAt[T_NOT]!
    // The cue: the cancel word, or 不 with the marker after it.
    const s = tok.start[at]!
    const e = has(T_CANCEL) ? tok.end[at]! : tok.end[at + 1]!
    const extraMarkers = markers - counts[T_NOT]!
    if (names > 0) return review(c, "cancel", [], said(c, 'cancel words "', s, e, '" with a name: which quantity?'))
    if (extraMarkers > 0 || lenientQ + counts[T_MINUS]! + counts[T_AMEND]! + counts[T_UNITNUM]! > 0)
      return review(c, "cancel", [], said(c, 'cancel words "', s, e, '" mixed with quantities'))
    if (has(T_NUM)) return review(c, "cancel", [], said(c, 'cancel words "', s, e, '" with a number: cancel how many?'))
    if (has(T_UNKNOWN)) {
      put('cancel words "')
      putQ(c, s, e)
      put('" with other words "')
      putTok(c, firstAt[T_UNKNOWN]!)
      put('"')
      return review(c, "cancel", [], take())
    }
    return result(c, "cancel", [], said(c, 'cancel words "', s, e, '": cancel the whole order'))
  }
  // 6. Changes
  if (has(T_AMEND)) return amend(c)
  // 7. Cancellations of some
  if (has(T_MINUS)) return minus(c, markers + lenientQ)
  // 8. Orders
  if (markers === 0 && lenientQ + counts[T_UNITNUM]! > 0 && counts[T_MONEY]! >= 2) {
    // "紅色2雙 $240 / 白色3雙 $330": a product list with bundle sizes, or an order with prices.
    const i = lenientQ > 0 ? firstQuantity() : firstAt[T_UNITNUM]!
    return review(
      c,
      "order",
      [],
      saidTok(c, 'prices and quantities ("', i, '") without a marker: a product list or an order?')
    )
  }
  if (markers + lenientQ > 0 || has(T_UNITNUM)) {
    const r = order(c)
    if (r !== undefined) return r
  }
  return fallback(c)
}

/** The marker, quantity, change or cancellation a hedge is about (-1: none). */
const firstFirm = (): number => {
  for (let i = 0; i < tok.n; i++) {
    const k = tok.kind[i]!
    if (
      k === T_MARKER ||
      k === T_MARKER_NOQTY ||
      k === T_LQTY ||
      k === T_GEQTY ||
      k === T_UNITNUM ||
      k === T_MINUS ||
      k === T_AMEND ||
      k === T_CANCEL ||
      k === T_NOT
    )
      return i
  }
  return -1
}

/** The first lenient quantity (xN, 各N). */
const firstQuantity = (): number => {
  for (let i = 0; i < tok.n; i++) if (tok.kind[i] === T_LQTY || tok.kind[i] === T_GEQTY) return i
  return 0
}

const hedgeReason = (c: Ctx, h: number, firm: number): string => {
  put(tok.val[h] === H_NEG ? 'negation "' : 'hedge "')
  putTok(c, h)
  put('" with "')
  putTok(c, firm)
  put('": not a firm order')
  return take()
}

const isMarker = (k: number): boolean => k === T_MARKER || k === T_MARKER_NOQTY

/** A marker, a quantity, a change or a partial cancellation (what 不 / 沒 can negate). */
const isQuantityOrChange = (k: number): boolean =>
  k === T_MARKER ||
  k === T_MARKER_NOQTY ||
  k === T_LQTY ||
  k === T_GEQTY ||
  k === T_UNITNUM ||
  k === T_MINUS ||
  k === T_AMEND

/**
 * 不 or 沒 at token i is next to a marker (or a quantity, a change): right after one, or before
 * one with only fillers and wanting words between ("不+1", "沒+1", "不想+1", "不再+1", "+1不",
 * "沒-1", "不改+3").
 */
const nextToMarker = (i: number, nt: number): boolean => {
  if (i > 0 && negatable(i - 1)) return true
  let j = i + 1
  while (j < nt && (tok.kind[j] === T_FILLER || tok.kind[j] === T_WANT)) j++
  return j < nt && negatable(j)
}

/**
 * What 不 / 沒 can negate at token j: a marker, quantity or change, or a signed amount ("+1 $",
 * "+2元" lexed as money): the sign makes it read as a marker to the buyer, so "還沒+1 $" is a
 * negated marker too, never a firm order or cancellation.
 */
const negatable = (j: number): boolean =>
  isQuantityOrChange(tok.kind[j]!) || (tok.kind[j] === T_MONEY && buf[tok.start[j]!] === 0x2b) /* + */

/** "我不+1了": 不 right before a marker, 了 right after it (docs/parsing.md: the cancellation of everything). */
const isRetraction = (i: number, nt: number): boolean =>
  i + 2 < nt &&
  tok.kind[i + 1] === T_MARKER &&
  tok.kind[i + 2] === T_FILLER &&
  tok.start[i + 2] === tok.end[i + 1] &&
  tok.end[i + 2] === tok.start[i + 2]! + 1 &&
  buf[tok.start[i + 2]!] === 0x4e86 /* 了 */

const findLast5 = (): number => {
  for (let i = 0; i < tok.n; i++) if (tok.kind[i] === T_LAST5 && tok.val[i]! >= 0) return i
  return -1
}

/** A payment; `cue` is the token of the payment words. */
const payment = (c: Ctx, cue: number, last5At: number): ParseResult.ParseResult => {
  let amount: number | undefined
  for (let i = 0; i < tok.n && amount === undefined; i++) if (tok.kind[i] === T_MONEY) amount = tok.val[i]!
  for (let i = 0; i < tok.n && amount === undefined; i++) {
    if (tok.kind[i] !== T_NUM && tok.kind[i] !== T_UNITNUM) continue
    const digits = tok.aux[i]! >>> 12
    // A bare five-digit number could be the account digits: not taken as the amount.
    if (digits === 5 && (tok.aux[i]! & 256) === 0) continue
    if (tok.val[i]! > 0) amount = tok.val[i]!
  }
  // From the folded text: full-width digits count as digits.
  let last5Ok: string | undefined
  if (last5At >= 0) {
    const d = tok.val[last5At]!
    let digits = 0
    while (digits < 5 && buf[d + digits]! >= 0x30 && buf[d + digits]! <= 0x39) digits++
    if (digits === 5) last5Ok = String.fromCharCode(buf[d]!, buf[d + 1]!, buf[d + 2]!, buf[d + 3]!, buf[d + 4]!)
  }
  put('payment words "')
  putTok(c, cue)
  if (amount !== undefined) {
    put('", amount ')
    put(String(amount))
  } else put('"')
  if (last5Ok !== undefined) {
    put(", last five digits ")
    put(last5Ok)
  }
  const reason = take()
  const spans = spansOf(c.lx, true)
  // One literal per shape: a property added later would grow the object with a second allocation.
  if (amount !== undefined && amount < 1_000_000_000)
    return last5Ok !== undefined
      ? { intent: "payment", lines: [], reason, spans, amount, last5: last5Ok }
      : { intent: "payment", lines: [], reason, spans, amount }
  return last5Ok !== undefined
    ? { intent: "payment", lines: [], reason, spans, last5: last5Ok }
    : { intent: "payment", lines: [], reason, spans }
}

const isQtyToken = (k: number): boolean =>
  k === T_MARKER || k === T_MARKER_NOQTY || k === T_NUM || k === T_UNITNUM || k === T_LQTY

/** Tokens an amendment has accounted for (scratch kept across comments). */
let used = new Uint8Array(64)

const amend = (c: Ctx): ParseResult.ParseResult => {
  const nt = tok.n
  let segStart = 0
  if (used.length < nt) used = new Uint8Array(nt * 2)
  used.fill(0, 0, nt)
  for (let i = 0; i < nt; i++) {
    if (tok.kind[i] !== T_AMEND) continue
    used[i] = 1
    let j = i + 1
    while (j < nt && (tok.kind[j] === T_FILLER || tok.kind[j] === T_WANT)) j++
    if (j >= nt) {
      flagTok(c, '"', i, '" without a quantity')
      break
    }
    const k = tok.kind[j]!
    if (k === T_NAME) {
      flag(c, `${q(c.text, tok.start[i]!, tok.end[j]!)}: changing to another item or variant`)
      break
    }
    if (!isQtyToken(k)) {
      flagTok(c, '"', i, '" without a quantity')
      break
    }
    used[j] = 1
    const qty = tok.val[j]!
    if (k === T_MARKER_NOQTY) flagTok(c, '"', j, '": a marker without a number')
    checkQty(c, j, qty)
    checkBefore(c, i, "")
    let from = segStart
    let to = i
    if (namesIn(from, to) === 0) {
      let next = j + 1
      while (next < nt && tok.kind[next] !== T_AMEND) next++
      from = j + 1
      to = next
    }
    const n = groupsOf(from, to, 0)
    for (let k = 0; k < n; k++) used[nameBuf[k]!] = 1
    linesFor(c, 0, n, qty, "one", true, i)
    segStart = Math.max(j + 1, to === i ? j + 1 : to)
  }
  for (let i = 0; i < nt; i++) {
    if (used[i] === 1) continue
    const k = tok.kind[i]!
    if (k === T_MARKER || k === T_MARKER_NOQTY || k === T_LQTY || k === T_GEQTY || k === T_MINUS || k === T_UNITNUM)
      flagTok(c, '"', i, '" besides the change: mixes a change with other quantities')
    else if (k === T_NUM) flagTok(c, 'bare number "', i, '" besides the change')
    else if (k === T_NAME || k === T_BADNUM) flagTok(c, '"', i, '" has no quantity')
    else if (k === T_NEG || k === T_TYPO) flagTok(c, '"', i, '" besides the change')
  }
  checkDuplicates(c)
  if (c.reviewReason !== undefined) return review(c, "amend", takeLines(), c.reviewReason)
  put('change "')
  putTok(c, firstAt[T_AMEND]!)
  put('": set ')
  putSummary(c)
  return result(c, "amend", takeLines(), take())
}

const minus = (c: Ctx, addCount: number): ParseResult.ParseResult => {
  const nt = tok.n
  ensureQs(nt)
  let nq = 0
  for (let i = 0; i < nt; i++) if (tok.kind[i] === T_MINUS) qs[nq++] = i
  if (addCount > 0) flag(c, "adds and removes in one comment")
  assignScopes(c, nq, false)
  for (let k = 0; k < nq; k++) {
    checkQty(c, qs[k]!, tok.val[qs[k]!]!)
    checkBefore(c, qs[k]!, "")
  }
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    linesFor(c, 0, groupsOf(scopes.from[k]!, scopes.to[k]!, 0), tok.val[t]!, "one", true, t)
  }
  commonChecks(c)
  checkDuplicates(c)
  if (c.reviewReason !== undefined) return review(c, addCount > 0 ? "amend" : "cancel", takeLines(), c.reviewReason)
  put('"')
  putTok(c, qs[0]!)
  put('": cancel ')
  putSummary(c)
  return result(c, "cancel", takeLines(), take())
}

/** Checks shared by orders and partial cancellations: stray numbers, typos, negations. */
const commonChecks = (c: Ctx): void => {
  for (let i = 0; i < tok.n; i++) {
    const k = tok.kind[i]!
    if (k === T_NUM) flagTok(c, 'bare number "', i, '": not a marker')
    else if (k === T_TYPO) flag(c, `${tokText(c, i)} looks like a mistyped +${tok.val[i]}`)
    else if (k === T_NEG) flagTok(c, 'negation "', i, '"')
    else if (k === T_BADNUM) flag(c, `${tokText(c, i)}: the round has only ${c.lx.products.length} products`)
  }
}

const order = (c: Ctx): ParseResult.ParseResult | undefined => {
  const nt = tok.n
  const lenient = c.lx.settings.mode === "lenient"
  ensureQs(nt)
  let nq = 0
  let lenientUsed: number = -1
  for (let i = 0; i < nt; i++) {
    const k = tok.kind[i]!
    if (k === T_MARKER || k === T_MARKER_NOQTY) qs[nq++] = i
    else if (k === T_LQTY || k === T_GEQTY || k === T_UNITNUM) {
      const directlyAfterName = i > 0 && (tok.kind[i - 1] === T_NAME || tok.kind[i - 1] === T_BADNUM)
      if (k === T_UNITNUM && !directlyAfterName) {
        flagTok(c, '"', i, '": a quantity with a unit but no name')
        continue
      }
      if (!directlyAfterName) flagTok(c, '"', i, '" does not follow a product or option name')
      if (lenientUsed < 0) lenientUsed = i
      qs[nq++] = i
    }
  }
  if (nq === 0) return undefined
  if (!lenient && lenientUsed >= 0)
    flag(
      c,
      `${q(c.text, tok.start[Math.max(0, lenientUsed - 1)]!, tok.end[lenientUsed]!)} has no marker (+N): this round needs one`
    )
  assignScopes(c, nq, true)
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    const kind = tok.kind[t]!
    if (kind === T_MARKER_NOQTY) flagTok(c, '"', t, '": a marker without a number')
    checkQty(c, t, tok.val[t]!)
    if (kind === T_MARKER || kind === T_MARKER_NOQTY) checkBefore(c, t, "")
  }
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    const kind = tok.kind[t]!
    const qty = tok.val[t]!
    const prev = t - 1
    const each = kind === T_GEQTY || (prev >= 0 && tok.kind[prev] === T_GE)
    const all = prev >= 0 && tok.kind[prev] === T_BUNDLE
    const n = groupsOf(scopes.from[k]!, scopes.to[k]!, 0)
    if (each && n < 1) flagTok(c, '"', t, '": 各 without names')
    linesFor(c, 0, n, qty, all ? "all" : each ? "each" : "one", false, t)
  }
  for (let i = 0; i < nt; i++) {
    const k = tok.kind[i]!
    if (k === T_UNITNUM) {
      const directlyAfterName = i > 0 && (tok.kind[i - 1] === T_NAME || tok.kind[i - 1] === T_BADNUM)
      if (!directlyAfterName) flagTok(c, '"', i, '": a quantity with a unit but no name')
    }
  }
  commonChecks(c)
  checkDuplicates(c)
  if (c.reviewReason !== undefined) return review(c, "order", takeLines(), c.reviewReason)
  if (nLines === 0) return review(c, "order", [], "no line found")
  const first = qs[0]!
  let fromTok = Math.min(scopes.from[0]!, first)
  while (fromTok > 0 && (tok.kind[fromTok - 1] === T_GE || tok.kind[fromTok - 1] === T_BUNDLE)) fromTok--
  const from = Math.min(tok.start[fromTok]!, tok.start[first]!)
  const lastQ = qs[nq - 1]!
  const lastTo = scopes.to[nq - 1]! > lastQ ? tok.end[scopes.to[nq - 1]! - 1]! : tok.end[lastQ]!
  put('order "')
  putQ(c, from, Math.max(lastTo, tok.end[lastQ]!))
  put('": ')
  putSummary(c)
  return result(c, "order", takeLines(), take())
}

const fallback = (c: Ctx): ParseResult.ParseResult => {
  const names = namePrefix[tok.n]!
  // "我也要", "@小美 我也要", "幫朋友也要": me too, but what? The content is in another comment.
  if (counts[T_FILLER]! + counts[T_WANT]! + counts[T_HELP]! === tok.n && tok.n > 0) {
    for (let i = 0; i < tok.n; i++)
      if ((tok.aux[i]! & A_METOO) !== 0)
        return review(
          c,
          "order",
          [],
          saidTok(c, 'me too "', i, '" without saying what: its content is in another comment')
        )
  }
  if (counts[T_MONEY]! >= 2 && catalogueShaped(c.text.length))
    return result(c, "none", [], `looks like a product list (${counts[T_MONEY]} prices), not an order`)
  if (has(T_TYPO))
    return review(c, "order", [], `${tokText(c, firstAt[T_TYPO]!)} looks like a mistyped +${tok.val[firstAt[T_TYPO]!]}`)
  if (has(T_UNITNUM)) {
    const i = firstAt[T_UNITNUM]!
    const afterName = i > 0 && tok.kind[i - 1] === T_NAME
    return review(
      c,
      "order",
      [],
      afterName
        ? said(c, '"', tok.start[i - 1]!, tok.end[i]!, '" has no marker (+N): this round needs one')
        : saidTok(c, '"', i, '": a quantity with a unit but no name')
    )
  }
  if (has(T_NEG))
    return review(c, "cancel", [], saidTok(c, 'negation "', firstAt[T_NEG]!, '" without 了: not a clear cancellation'))
  if (has(T_NUM)) {
    const i = firstAt[T_NUM]!
    for (let k = 0; k < tok.n; k++) {
      if (tok.kind[k] !== T_NUM) continue
      const p = k - 1
      if (p >= 0 && (tok.kind[p] === T_NAME || tok.kind[p] === T_BADNUM))
        return review(
          c,
          "order",
          [],
          said(c, '"', tok.start[p]!, tok.end[k]!, '": a name followed by a bare number, no marker')
        )
    }
    if (tok.val[i]! >= 1 && tok.val[i]! <= 99)
      return review(c, "order", [], saidTok(c, 'bare number "', i, '" without a marker'))
  }
  if (names > 0 && has(T_WANT))
    return review(
      c,
      "order",
      [],
      `${tokText(c, firstAt[T_WANT]!)} with ${tokText(c, firstAt[T_NAME] ?? 0)} but no quantity`
    )
  if (names > 0 && counts[T_UNKNOWN] === 0) {
    let onlyNumbers = true
    for (let i = 0; i < tok.n; i++) if (tok.kind[i] === T_NAME && (tok.aux[i]! & A_PRODNUM) === 0) onlyNumbers = false
    if (onlyNumbers)
      return review(c, "order", [], saidTok(c, 'product number "', firstAt[T_NAME]!, '" without a quantity'))
  }
  if (has(T_MONEY)) return result(c, "none", [], saidTok(c, 'a price "', firstAt[T_MONEY]!, '", no marker'))
  if (names > 0) return result(c, "none", [], saidTok(c, 'names "', firstAt[T_NAME]!, '" without a marker'))
  if (has(T_HEDGE)) return result(c, "none", [], saidTok(c, 'hedge "', firstAt[T_HEDGE]!, '" without a marker'))
  return result(c, "none", [], tok.n === 0 ? "no words" : "no marker or quantity")
}

/**
 * A product list (the organiser's post: "1. 韓國毛襪 $120\n2. 羊毛圍巾 $350", "A款 120元 / B款
 * 150元"): two prices or more, no marker, quantity, change, cancellation or payment word (the
 * caller has seen to those), and every other number a list number at the start of a line or
 * right after a price ("1.", "2、", "(3)", "1️⃣", "一、").
 */
const catalogueShaped = (len: number): boolean => {
  const n = tok.n
  if (counts[T_TYPO]! + counts[T_UNITNUM]! + counts[T_NEG]! + counts[T_PAYWEAK]! + counts[T_LAST5]! > 0) return false
  for (let i = 0; i < n; i++) {
    if (tok.kind[i] !== T_NUM) continue
    // At the start of a line, or right after the previous item's price ("… $120 2. 羊毛圍巾 $350").
    if (!(i === 0 || (tok.aux[i]! & A_NEWLINE) !== 0 || tok.kind[i - 1] === T_MONEY)) return false
    if ((tok.aux[i]! & A_KEYCAP) !== 0) continue
    const e = tok.end[i]!
    const next = e < len ? buf[e]! : 0
    const before = tok.start[i]! > 0 ? buf[tok.start[i]! - 1]! : 0
    // "1." "1、" "1)" "1:" (folded: full-width forms are ASCII), or "(1"
    if (!(next === 0x2e || next === 0x3001 || next === 0x29 || next === 0x3a || before === 0x28)) return false
  }
  return true
}
