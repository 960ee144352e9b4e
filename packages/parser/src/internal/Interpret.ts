/**
 * From tokens to one intent (PARSING.md). Every decision that is not certain ends in `review`,
 * with the first rule that fired as the reason.
 */
import type { ParseResult } from "@kaituan/core"
import {
  A_PRODNUM,
  T_AMEND,
  T_BADNUM,
  T_BUNDLE,
  T_CANCEL,
  T_CONDITION,
  T_FILLER,
  T_GE,
  T_GEQTY,
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
  T_NOT,
  T_NUM,
  T_PAY,
  T_PAYWEAK,
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
  readonly text: string
  readonly lx: Lexicon
  readonly cache: Map<number | string, Resolution>
  reviewReason: string | undefined
}

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

const flag = (c: Ctx, reason: string): void => {
  if (c.reviewReason === undefined) c.reviewReason = reason
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
    case T_PAY:
    case T_PAYWEAK:
      return "payment"
    case T_LAST5:
      return "last5"
    default:
      return undefined
  }
}

const spansOf = (lx: Lexicon, payment: boolean): Array<Span> => {
  // Counted first, so the array is allocated at its length (one that grows by `push` gets room
  // for 17): every comment gets one.
  let n = 0
  for (let i = 0; i < tok.n; i++) if (spanKind(lx, i) !== undefined) n++
  const out = new Array<Span>(n)
  let k = 0
  for (let i = 0; i < tok.n; i++) {
    let kind = spanKind(lx, i)
    if (kind === undefined) continue
    if (payment && kind === "money") kind = "amount"
    out[k++] = { start: tok.start[i]!, end: tok.end[i]!, kind }
  }
  return out
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
  // Reasons are built from template pieces, which V8 keeps as a chain of rope strings (three or
  // four 32-byte links a reason). Reading a character flattens the chain into one string, and the
  // next GC drops the links: an in-memory replay keeps every comment's reason in its outcome.
  reason.charCodeAt(0)
  return likely === undefined ? { intent, lines, reason, spans } : { intent, lines, reason, spans, likely }
}

/**
 * A verdict for review. Its lines are copied to an array of their own length: the review queue
 * keeps them, and an array built by `push` has room for 17.
 */
const review = (c: Ctx, likely: Likely, lines: ReadonlyArray<Line>, reason: string): ParseResult.ParseResult =>
  result(c, "review", lines.slice(), reason, likely)

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

const groupsOf = (_c: Ctx, from: number, to: number): Array<number> => {
  const out: Array<number> = []
  for (let i = from; i < to; i++) if (tok.kind[i] === T_NAME || tok.kind[i] === T_BADNUM) out.push(i)
  return out
}

const resolveTokens = (c: Ctx, names: ReadonlyArray<number>): Resolution => {
  let key: number | string = 0
  if (names.length <= 4) {
    for (const t of names) key = (key as number) * 4096 + tok.val[t]! + 1
    if (names.some((t) => tok.val[t]! >= 4095)) key = names.map((t) => tok.val[t]).join(",")
  } else key = names.map((t) => tok.val[t]).join(",")
  const hit = c.cache.get(key)
  if (hit !== undefined) return hit
  const r = resolve(
    c.lx,
    names.map((t) => c.lx.groups[tok.val[t]!]!)
  )
  if (c.cache.size > 4096) c.cache.clear()
  c.cache.set(key, r)
  return r
}

/** The text of names for a reason: `"黑 L"`. */
const namesText = (c: Ctx, names: ReadonlyArray<number>): string => {
  if (names.length === 0) return '""'
  return q(c.text, tok.start[names[0]!]!, tok.end[names[names.length - 1]!]!)
}

/** The dimension a name fills, for 各 ("P", "V", or the option's dimension index). */
const slotOf = (c: Ctx, t: number): string => {
  const e: Entry = c.lx.groups[tok.val[t]!]![0]!
  return e.kind === E_OPTION ? `O${e.dim}` : e.kind === E_VARIANT ? "V" : "P"
}

/**
 * Lines for one quantity and its names. Pushes to `out`; on doubt flags a review (and still
 * pushes a best-effort line when it can).
 */
/** The quantity's token in words, for reasons (a function, not a closure per call: hot path). */
const what = (c: Ctx, wt: number): string => (tok.kind[wt] === T_AMEND ? tokText(c, wt) : `the marker ${tokText(c, wt)}`)

const linesFor = (
  c: Ctx,
  names: ReadonlyArray<number>,
  qty: number,
  mode: "one" | "each" | "all",
  allowNullSku: boolean,
  out: Array<Line>,
  /** The token the quantity came from (for reasons). */
  wt: number
): void => {
  const lx = c.lx
  for (const t of names) {
    if (tok.kind[t] === T_BADNUM) {
      flag(c, `${tokText(c, t)}: the round has only ${lx.products.length} products`)
      return
    }
  }
  if (names.length === 0) {
    if (mode === "all" && lx.products.length === 1) {
      for (const s of lx.products[0]!.skus) out.push({ sku: s.sku, qty })
      return
    }
    if (lx.onlySku !== undefined) {
      out.push({ sku: lx.onlySku, qty })
      return
    }
    if (allowNullSku) {
      out.push({ sku: null, qty })
      return
    }
    const only = lx.products.length === 1 ? lx.products[0] : undefined
    flag(
      c,
      only !== undefined
        ? `${what(c, wt)} names no ${only.dims.length > 0 ? only.dims.join("/") : "variant"}: which one?`
        : `${what(c, wt)} names no product: which one?`
    )
    return
  }
  if (names.length > MAX_NAMES) {
    flag(c, `${what(c, wt)}: too many names for one quantity`)
    return
  }
  if (mode === "each") {
    // 各: one line per value of the one slot that repeats
    const slots = names.map((t) => slotOf(c, t))
    const repeated = new Set<string>()
    for (let a = 0; a < slots.length; a++)
      for (let b = a + 1; b < slots.length; b++)
        if (slots[a] === slots[b] && tok.val[names[a]!] !== tok.val[names[b]!]) repeated.add(slots[a]!)
    if (repeated.size > 1) {
      flag(c, `${what(c, wt)} after ${namesText(c, names)}: cannot tell which names 各 spreads over`)
      return
    }
    if (repeated.size === 1) {
      const slot = [...repeated][0]!
      const shared = names.filter((_t, k) => slots[k] !== slot)
      for (let k = 0; k < names.length; k++) {
        if (slots[k] !== slot) continue
        linesFor(c, [...shared, names[k]!], qty, "one", false, out, wt)
      }
      return
    }
  }
  const r = resolveTokens(c, names)
  if (r._tag === "Fail") {
    flag(c, `${namesText(c, names)}: ${r.why}`)
    return
  }
  if (mode === "all") {
    for (const s of r.skus) out.push({ sku: s, qty })
    return
  }
  if (r.skus.length > 1) {
    const p = lx.products[r.product]!
    flag(c, `${namesText(c, names)} is ${p.name}, but which ${p.dims.length > 0 ? p.dims.join("/") : "variant"}?`)
    return
  }
  out.push({ sku: r.skus[0]!, qty })
}

const checkQty = (c: Ctx, t: number, qty: number): void => {
  if (qty === 0) flag(c, `${tokText(c, t)}: quantity 0`)
  else if (qty > c.lx.settings.maxQtyPerLine)
    flag(c, `${tokText(c, t)}: ${qty} is above the limit of ${c.lx.settings.maxQtyPerLine} per line`)
}

/** Marks duplicate skus (the same item twice: "紅+1 紅+1"). */
const checkDuplicates = (c: Ctx, lines: ReadonlyArray<Line>): void => {
  if (lines.length < 2) return
  const seen = new Set<string | null>()
  for (const l of lines) {
    if (seen.has(l.sku)) {
      flag(c, `${l.sku ?? "the same line"} appears twice: cannot tell the markers apart`)
      return
    }
    seen.add(l.sku)
  }
}

const summary = (_c: Ctx, lines: ReadonlyArray<Line>): string => {
  if (lines.length === 1) return (lines[0]!.sku ?? "(their line)") + " ×" + lines[0]!.qty
  const parts: Array<string> = []
  for (let k = 0; k < lines.length && k < 4; k++) parts.push(`${lines[k]!.sku ?? "(their line)"} ×${lines[k]!.qty}`)
  if (lines.length > 4) parts.push(`… ${lines.length - 4} more`)
  return parts.join(", ")
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
const assignScopes = (c: Ctx, nq: number, postAllowed: (t: number) => boolean): void => {
  if (scopes.from.length < nq) scopes = { from: new Int32Array(nq * 2), to: new Int32Array(nq * 2) }
  let consumedTo = 0
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    const segStart = k === 0 ? 0 : qs[k - 1]! + 1
    scopes.from[k] = t
    scopes.to[k] = t
    if (namesIn(segStart, t) > 0) {
      if (consumedTo > segStart) {
        flag(c, `${tokText(c, t)}: cannot tell which names go with which marker`)
      } else {
        scopes.from[k] = segStart
        scopes.to[k] = t
      }
    } else if (postAllowed(t)) {
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
    const names = groupsOf(c, Math.max(last, consumedTo), tok.n)
    flag(c, `${namesText(c, names)} after the last quantity has no quantity`)
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
  const c: Ctx = { text, lx, cache, reviewReason: undefined }
  multiline = hasNewline
  const nt = tok.n
  // Pre-pass: a leading 幫…/代… makes the words after it a filler (the person ordered for);
  // 不 counts only right before a marker; 呢 only at the end.
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
    } else if (k === T_NOT) {
      if (!(i + 1 < nt && tok.kind[i + 1] === T_MARKER)) tok.kind[i] = T_UNKNOWN
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
    const cue = has(T_PAY) ? tokText(c, firstAt[T_PAY]!) : tokText(c, last5At)
    if (has(T_QUESTION) || has(T_CONDITION))
      return review(c, "payment", [], `payment words ${cue} in a question or condition`)
    if (markers + lenientQ + counts[T_MINUS]! + counts[T_AMEND]! + counts[T_CANCEL]! > 0)
      return review(c, "payment", [], `payment words ${cue} mixed with an order or a change`)
    return payment(c, cue, last5At)
  }
  if (has(T_PAYWEAK) && (has(T_MONEY) || has(T_NUM) || has(T_LAST5)) && !has(T_QUESTION)) {
    return review(
      c,
      markers > 0 ? "order" : "payment",
      [],
      `${tokText(c, firstAt[T_PAYWEAK]!)} with an amount, but not "已…" (done)`
    )
  }
  // 2. Conditions and questions
  if (has(T_CONDITION)) {
    const cue = tokText(c, firstAt[T_CONDITION]!)
    return orderish
      ? review(c, wouldBe, [], `condition ${cue}: not a firm order`)
      : result(c, "none", [], `condition ${cue} without an order`)
  }
  if (has(T_QUESTION)) {
    const cue = tokText(c, firstAt[T_QUESTION]!)
    return orderish
      ? review(c, wouldBe, [], `question ${cue} with an order marker`)
      : result(c, "none", [], `question ${cue} without a marker`)
  }
  // 3. Cancellations of everything
  if (has(T_CANCEL) || has(T_NOT)) {
    const at = has(T_CANCEL) ? firstAt[T_CANCEL]! : firstAt[T_NOT]!
    const cue = has(T_CANCEL) ? tokText(c, at) : q(text, tok.start[at]!, tok.end[at + 1]!)
    const extraMarkers = markers - counts[T_NOT]!
    if (names > 0) return review(c, "cancel", [], `cancel words ${cue} with a name: which quantity?`)
    if (extraMarkers > 0 || lenientQ + counts[T_MINUS]! + counts[T_AMEND]! + counts[T_UNITNUM]! > 0)
      return review(c, "cancel", [], `cancel words ${cue} mixed with quantities`)
    if (has(T_NUM)) return review(c, "cancel", [], `cancel words ${cue} with a number: cancel how many?`)
    if (has(T_UNKNOWN))
      return review(c, "cancel", [], `cancel words ${cue} with other words ${tokText(c, firstAt[T_UNKNOWN]!)}`)
    return result(c, "cancel", [], `cancel words ${cue}: cancel the whole order`)
  }
  // 4. Changes
  if (has(T_AMEND)) return amend(c)
  // 5. Cancellations of some
  if (has(T_MINUS)) return minus(c, markers + lenientQ)
  // 6. Orders
  if (markers + lenientQ > 0 || has(T_UNITNUM)) {
    const r = order(c)
    if (r !== undefined) return r
  }
  return fallback(c)
}

const findLast5 = (): number => {
  for (let i = 0; i < tok.n; i++) if (tok.kind[i] === T_LAST5 && tok.val[i]! >= 0) return i
  return -1
}

const payment = (c: Ctx, cue: string, last5At: number): ParseResult.ParseResult => {
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
  const d = tok.val[last5At]!
  const last5 =
    last5At >= 0 ? String.fromCharCode(buf[d]!, buf[d + 1]!, buf[d + 2]!, buf[d + 3]!, buf[d + 4]!) : undefined
  const last5Ok = last5 !== undefined && /^[0-9]{5}$/.test(last5) ? last5 : undefined
  const parts = [`payment words ${cue}`]
  if (amount !== undefined) parts.push(`amount ${amount}`)
  if (last5Ok !== undefined) parts.push(`last five digits ${last5Ok}`)
  const out: {
    intent: "payment"
    lines: ReadonlyArray<Line>
    reason: string
    spans: ReadonlyArray<Span>
    amount?: number
    last5?: string
  } = { intent: "payment", lines: [], reason: parts.join(", "), spans: spansOf(c.lx, true) }
  if (amount !== undefined && amount < 1_000_000_000) out.amount = amount
  if (last5Ok !== undefined) out.last5 = last5Ok
  return out
}

const isQtyToken = (k: number): boolean =>
  k === T_MARKER || k === T_MARKER_NOQTY || k === T_NUM || k === T_UNITNUM || k === T_LQTY

const amend = (c: Ctx): ParseResult.ParseResult => {
  const nt = tok.n
  const lines: Array<Line> = []
  let segStart = 0
  const used = new Uint8Array(nt)
  for (let i = 0; i < nt; i++) {
    if (tok.kind[i] !== T_AMEND) continue
    used[i] = 1
    let j = i + 1
    while (j < nt && (tok.kind[j] === T_FILLER || tok.kind[j] === T_WANT)) j++
    const cue = tokText(c, i)
    if (j >= nt) {
      flag(c, `${cue} without a quantity`)
      break
    }
    const k = tok.kind[j]!
    if (k === T_NAME) {
      flag(c, `${q(c.text, tok.start[i]!, tok.end[j]!)}: changing to another item or variant`)
      break
    }
    if (!isQtyToken(k)) {
      flag(c, `${cue} without a quantity`)
      break
    }
    used[j] = 1
    const qty = tok.val[j]!
    if (k === T_MARKER_NOQTY) flag(c, `${tokText(c, j)}: a marker without a number`)
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
    const names = groupsOf(c, from, to)
    for (const t of names) used[t] = 1
    linesFor(c, names, qty, "one", true, lines, i)
    segStart = Math.max(j + 1, to === i ? j + 1 : to)
  }
  for (let i = 0; i < nt; i++) {
    if (used[i] === 1) continue
    const k = tok.kind[i]!
    if (k === T_MARKER || k === T_MARKER_NOQTY || k === T_LQTY || k === T_GEQTY || k === T_MINUS || k === T_UNITNUM)
      flag(c, `${tokText(c, i)} besides the change: mixes a change with other quantities`)
    else if (k === T_NUM) flag(c, `bare number ${tokText(c, i)} besides the change`)
    else if (k === T_NAME || k === T_BADNUM) flag(c, `${tokText(c, i)} has no quantity`)
    else if (k === T_NEG || k === T_TYPO) flag(c, `${tokText(c, i)} besides the change`)
  }
  checkDuplicates(c, lines)
  if (c.reviewReason !== undefined) return review(c, "amend", lines, c.reviewReason)
  return result(c, "amend", lines, `change ${tokText(c, firstAt[T_AMEND]!)}: set ${summary(c, lines)}`)
}

const minus = (c: Ctx, addCount: number): ParseResult.ParseResult => {
  const nt = tok.n
  ensureQs(nt)
  let nq = 0
  for (let i = 0; i < nt; i++) if (tok.kind[i] === T_MINUS) qs[nq++] = i
  if (addCount > 0) flag(c, "adds and removes in one comment")
  assignScopes(c, nq, () => true)
  const lines: Array<Line> = []
  for (let k = 0; k < nq; k++) {
    checkQty(c, qs[k]!, tok.val[qs[k]!]!)
    checkBefore(c, qs[k]!, "")
  }
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    linesFor(c, groupsOf(c, scopes.from[k]!, scopes.to[k]!), tok.val[t]!, "one", true, lines, t)
  }
  commonChecks(c)
  checkDuplicates(c, lines)
  if (c.reviewReason !== undefined) return review(c, addCount > 0 ? "amend" : "cancel", lines, c.reviewReason)
  return result(c, "cancel", lines, `${tokText(c, qs[0]!)}: cancel ${summary(c, lines)}`)
}

/** Checks shared by orders and partial cancellations: stray numbers, typos, negations. */
const commonChecks = (c: Ctx): void => {
  for (let i = 0; i < tok.n; i++) {
    const k = tok.kind[i]!
    if (k === T_NUM) flag(c, `bare number ${tokText(c, i)}: not a marker`)
    else if (k === T_TYPO) flag(c, `${tokText(c, i)} looks like a mistyped +${tok.val[i]}`)
    else if (k === T_NEG) flag(c, `negation ${tokText(c, i)}`)
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
        flag(c, `${tokText(c, i)}: a quantity with a unit but no name`)
        continue
      }
      if (!directlyAfterName) flag(c, `${tokText(c, i)} does not follow a product or option name`)
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
  assignScopes(c, nq, (t) => tok.kind[t] === T_MARKER || tok.kind[t] === T_MARKER_NOQTY)
  const lines: Array<Line> = []
  for (let k = 0; k < nq; k++) {
    const t = qs[k]!
    const kind = tok.kind[t]!
    if (kind === T_MARKER_NOQTY) flag(c, `${tokText(c, t)}: a marker without a number`)
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
    const names = groupsOf(c, scopes.from[k]!, scopes.to[k]!)
    if (each && names.length < 1) flag(c, `${tokText(c, t)}: 各 without names`)
    linesFor(c, names, qty, all ? "all" : each ? "each" : "one", false, lines, t)
  }
  for (let i = 0; i < nt; i++) {
    const k = tok.kind[i]!
    if (k === T_UNITNUM) {
      const directlyAfterName = i > 0 && (tok.kind[i - 1] === T_NAME || tok.kind[i - 1] === T_BADNUM)
      if (!directlyAfterName) flag(c, `${tokText(c, i)}: a quantity with a unit but no name`)
    }
  }
  commonChecks(c)
  checkDuplicates(c, lines)
  if (c.reviewReason !== undefined) return review(c, "order", lines, c.reviewReason)
  if (lines.length === 0) return review(c, "order", lines, "no line found")
  const first = qs[0]!
  let fromTok = Math.min(scopes.from[0]!, first)
  while (fromTok > 0 && (tok.kind[fromTok - 1] === T_GE || tok.kind[fromTok - 1] === T_BUNDLE)) fromTok--
  const from = Math.min(tok.start[fromTok]!, tok.start[first]!)
  const lastQ = qs[nq - 1]!
  const lastTo = scopes.to[nq - 1]! > lastQ ? tok.end[scopes.to[nq - 1]! - 1]! : tok.end[lastQ]!
  return result(c, "order", lines, `order ${q(c.text, from, Math.max(lastTo, tok.end[lastQ]!))}: ${summary(c, lines)}`)
}

const fallback = (c: Ctx): ParseResult.ParseResult => {
  const names = namePrefix[tok.n]!
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
        ? `${q(c.text, tok.start[i - 1]!, tok.end[i]!)} has no marker (+N): this round needs one`
        : `${tokText(c, i)}: a quantity with a unit but no name`
    )
  }
  if (has(T_NEG))
    return review(c, "cancel", [], `negation ${tokText(c, firstAt[T_NEG]!)} without 了: not a clear cancellation`)
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
          `${q(c.text, tok.start[p]!, tok.end[k]!)}: a name followed by a bare number, no marker`
        )
    }
    if (tok.val[i]! >= 1 && tok.val[i]! <= 99)
      return review(c, "order", [], `bare number ${tokText(c, i)} without a marker`)
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
    if (onlyNumbers) return review(c, "order", [], `product number ${tokText(c, firstAt[T_NAME]!)} without a quantity`)
  }
  if (has(T_MONEY)) return result(c, "none", [], `a price ${tokText(c, firstAt[T_MONEY]!)}, no marker`)
  if (names > 0) return result(c, "none", [], `names ${tokText(c, firstAt[T_NAME]!)} without a marker`)
  return result(c, "none", [], tok.n === 0 ? "no words" : "no marker or quantity")
}

