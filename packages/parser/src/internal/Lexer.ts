/**
 * The lexer: folded code units → tokens, in one left-to-right pass with bounded look-ahead (a
 * trie match is at most MAX_KEY steps), so its time is linear in the length of the comment.
 *
 * Tokens live in module-level typed arrays (struct of arrays) reused by every call: parsing is
 * synchronous, and this keeps a comment from allocating more than its result.
 */
import {
  K_AMEND,
  K_BUNDLE,
  K_CANCEL,
  K_CONDITION,
  K_CURRENCY_PREFIX,
  K_EXTRA_MARKER,
  K_FILLER,
  K_FOLLOW,
  K_GE,
  K_HEDGE,
  K_HELP,
  K_JIA,
  K_LAST5,
  K_METOO,
  K_METOO_WANT,
  K_NEG,
  K_NEGNEAR,
  K_NOISE,
  K_NOT,
  K_PAY,
  K_PAYWEAK,
  K_POINT,
  K_QFINAL,
  K_QUESTION,
  K_REDUCE,
  K_SWAP,
  K_WANT
} from "./Keywords.js"
import { E_OPTION, getCharsets, type Lexicon, NAME_BASE } from "./Lexicon.js"
import {
  C_CJK,
  C_DIGIT,
  C_LETTER,
  C_NEWLINE,
  C_PUNCT,
  C_SEP,
  C_SPACE,
  C_SURROGATE,
  C_SYMBOL,
  classes,
  folds
} from "./Tables.js"

// Token kinds.
export const T_NAME = 1
export const T_BADNUM = 2
export const T_MARKER = 3
export const T_MARKER_NOQTY = 4
export const T_LQTY = 5
export const T_GEQTY = 6
export const T_UNITNUM = 7
export const T_NUM = 8
export const T_GE = 9
export const T_BUNDLE = 10
export const T_MINUS = 11
export const T_AMEND = 12
export const T_MONEY = 13
export const T_NOISE = 14
export const T_UNKNOWN = 15
export const T_FILLER = 16
export const T_WANT = 17
export const T_HELP = 18
export const T_QUESTION = 19
export const T_QFINAL = 20
export const T_CONDITION = 21
export const T_CANCEL = 22
export const T_NEG = 23
export const T_NOT = 24
export const T_PAY = 25
export const T_PAYWEAK = 26
export const T_LAST5 = 27
export const T_TYPO = 28
/** A hedge or a negation next to a marker (val: {@link H_NEG} or {@link H_HEDGE}). */
export const T_HEDGE = 29
/** 沒 / 没有: becomes {@link T_HEDGE} next to a marker, else unknown (interpret's pre-pass). */
export const T_NEGNEAR = 30
/** 跟: becomes {@link T_POINT} right before a marker, else unknown (interpret's pre-pass). */
export const T_FOLLOW = 31
/** Words that point at another comment ("同上", "同樓上"). */
export const T_POINT = 32
export const T_KINDS = 33

/** {@link T_HEDGE} values: a negation next to a marker ("不+1", "+1沒"), or a hedge word ("下次"). */
export const H_NEG = 1
export const H_HEDGE = 2

// Token flags (aux).
/** Something (space, separator, punctuation, emoji) was skipped before this token. */
export const A_GAP = 1
export const A_NEWLINE = 2
export const A_CHINESE = 4
export const A_KEYCAP = 8
export const A_UNIT = 16
/** "#2": a product number. */
export const A_PRODNUM = 32
export const A_JIA = 64
export const A_EXTRA = 128
/** A thousands separator ("1,300"). */
export const A_THOUSANDS = 256
/** A "me too" filler or wanting word (我也, 我也要, me too). */
export const A_METOO = 512
/** Number of digits (NUM): aux >> 12. */
export const A_DIGITS_SHIFT = 12

/** The token store. */
export const tok = {
  n: 0,
  kind: new Uint8Array(256),
  start: new Int32Array(256),
  end: new Int32Array(256),
  val: new Int32Array(256),
  aux: new Int32Array(256)
}

/** The folded comment (same length as the original). */
export let buf = new Uint16Array(1024)

/** Whether the last comment had white space other than plain spaces (line breaks, tabs). */
export let hasNewline = false

/** Operation counter (for the linear-time property test). */
export const ops = new Int32Array(1)

const grow = (): void => {
  const size = tok.kind.length * 2
  const k = new Uint8Array(size)
  k.set(tok.kind)
  tok.kind = k
  for (const f of ["start", "end", "val", "aux"] as const) {
    const a = new Int32Array(size)
    a.set(tok[f])
    tok[f] = a
  }
}

let gap = 0

const push = (kind: number, start: number, end: number, val: number, aux: number): void => {
  const i = tok.n
  if (i >= tok.kind.length) grow()
  tok.kind[i] = kind
  tok.start[i] = start
  tok.end[i] = end
  tok.val[i] = val
  tok.aux[i] = aux | gap
  tok.n = i + 1
  gap = 0
}

/** Unknown text: merged with an unknown token right before it. */
const pushUnknown = (start: number, end: number): void => {
  const p = tok.n - 1
  if (p >= 0 && tok.kind[p] === T_UNKNOWN && tok.end[p] === start && gap === 0) {
    tok.end[p] = end
    return
  }
  push(T_UNKNOWN, start, end, 0, 0)
}

// Result of readQty / readDigits.
let qVal = 0
let qEnd = 0
let qFlags = 0
let qDigits = 0

const BIG = 1_000_000_000

/** ASCII digits (with keycaps) at i: sets qVal/qEnd/qDigits/qFlags. */
const readDigits = (b: Uint16Array, cls: Uint8Array, i: number, n: number): boolean => {
  if (i >= n || cls[b[i]!] !== C_DIGIT) return false
  let v = 0
  let d = 0
  let j = i
  let flags = 0
  while (j < n && cls[b[j]!] === C_DIGIT) {
    ops[0]!++
    v = v < BIG ? v * 10 + (b[j]! - 48) : BIG
    d++
    j++
    // keycap: digit [FE0F] 20E3
    if (j < n && b[j] === 0xfe0f && j + 1 < n && b[j + 1] === 0x20e3) {
      j += 2
      flags |= A_KEYCAP
    } else if (j < n && b[j] === 0x20e3) {
      j++
      flags |= A_KEYCAP
    }
  }
  qVal = v
  qEnd = j
  qDigits = d
  qFlags = flags
  return true
}

/** Chinese numerals at i (1-9999): sets qVal/qEnd. */
const readNumeral = (b: Uint16Array, numeral: Int16Array, i: number, n: number): boolean => {
  let total = 0
  let cur = -1
  let j = i
  while (j < n && j - i < 6) {
    const v = numeral[b[j]!]!
    if (v < 0) break
    ops[0]!++
    if (v < 10) {
      if (cur >= 0) return false // 一二: not a number
      cur = v
    } else {
      total += (cur < 0 ? 1 : cur) * v
      cur = -1
    }
    j++
  }
  if (j === i) return false
  if (cur >= 0) total += cur
  qVal = total
  qEnd = j
  qDigits = 0
  qFlags = A_CHINESE
  return true
}

/** A quantity after a marker: spaces, then digits, keycaps, 🔟 or Chinese numerals. */
const readQty = (b: Uint16Array, cls: Uint8Array, numeral: Int16Array, i: number, n: number): boolean => {
  let j = i
  while (j < n && cls[b[j]!] === C_SPACE && j - i < 8) j++
  if (j >= n) return false
  if (readDigits(b, cls, j, n)) return true
  if (b[j] === 0xd83d && j + 1 < n && b[j + 1] === 0xdd1f) {
    qVal = 10
    qEnd = j + 2
    qDigits = 0
    qFlags = A_KEYCAP
    return true
  }
  return readNumeral(b, numeral, j, n)
}

const skipSpaces = (b: Uint16Array, cls: Uint8Array, i: number, n: number): number => {
  let j = i
  while (j < n && cls[b[j]!] === C_SPACE && j - i < 8) j++
  return j
}

/** Length of a currency word at i (0 if none). */
const currencyAt = (b: Uint16Array, i: number, n: number, currency: ReadonlyArray<string>): number => {
  if (i >= n || getCharsets().currencyStart[b[i]!] !== 1) return 0
  for (const c of currency) {
    if (i + c.length > n) continue
    let k = 0
    while (k < c.length && b[i + k] === c.charCodeAt(k)) k++
    if (k === c.length) {
      const after = i + k < n ? classes()[b[i + k]!] : C_SPACE
      // "nt" must not be the start of a longer word; "$300" is a price of its own, not a suffix
      if (c.charCodeAt(0) >= 0x61 && c.charCodeAt(0) <= 0x7a && after === C_LETTER) continue
      if (after === C_DIGIT) continue
      return k
    }
  }
  return 0
}

/** A quantity's unit right after it ("2個", "+1 份"): returns the end, or i. */
const unitAt = (b: Uint16Array, cls: Uint8Array, unit: Uint8Array, i: number, n: number): number => {
  const j = skipSpaces(b, cls, i, n)
  if (j < n && unit[b[j]!] === 1) return j + 1
  if (j + 1 < n && b[j] === 0x70 && b[j + 1] === 0x63) {
    // pc / pcs
    let e = j + 2
    if (e < n && b[e] === 0x73) e++
    if (e >= n || cls[b[e]!] !== C_LETTER) return e
  }
  return i
}

/** True when a marker-like word at i is followed by a "+" marker (for 包色+1, 各+1, *+1). */
const plusFollows = (b: Uint16Array, cls: Uint8Array, i: number, n: number): boolean => {
  const j = skipSpaces(b, cls, i, n)
  return j < n && (b[j] === 0x2b || b[j] === 0x52a0) /* 加 */
}

/** Keyword kinds that end a mention typed without a space after the name. */
const endsMention = new Uint8Array(NAME_BASE)
for (const k of [
  K_NOT,
  K_NEGNEAR,
  K_NEG,
  K_HEDGE,
  K_CANCEL,
  K_CONDITION,
  K_QUESTION,
  K_POINT,
  K_METOO,
  K_METOO_WANT,
  K_AMEND,
  K_REDUCE,
  K_PAY
])
  endsMention[k] = 1

/**
 * Lexes `text` with the lexicon into {@link tok}. `buf` receives the folded text.
 */
export const lex = (text: string, lx: Lexicon): void => {
  const n = text.length
  if (buf.length < n) buf = new Uint16Array(Math.max(n, buf.length * 2))
  const b = buf
  const f = folds()
  const cls = classes()
  const { unit, measure, numeral, currency } = getCharsets()
  for (let i = 0; i < n; i++) b[i] = f[text.charCodeAt(i)]!
  tok.n = 0
  gap = 0
  hasNewline = false
  const trie = lx.trie
  let i = 0
  while (i < n) {
    ops[0]!++
    const c = b[i]!
    const k = cls[c]!
    if (k === C_SPACE || k === C_SEP) {
      if (k === C_SPACE && c !== 0x20) hasNewline = true
      gap |= A_GAP
      i++
      continue
    }
    if (k === C_NEWLINE) {
      hasNewline = true
      gap |= A_GAP | A_NEWLINE
      i++
      continue
    }
    // "+N" / "+" alone
    if (c === 0x2b) {
      if (readQty(b, cls, numeral, i + 1, n)) {
        if (qDigits >= 7) {
          push(T_NOISE, i, qEnd, 0, 0) // +886 912…: a phone number
          i = qEnd
          continue
        }
        const cur = currencyAt(b, skipSpaces(b, cls, qEnd, n), n, currency)
        if (cur > 0) {
          const e = skipSpaces(b, cls, qEnd, n) + cur
          push(T_MONEY, i, e, qVal, 0)
          i = e
          continue
        }
        const val = qVal
        const fl = qFlags
        const u = unitAt(b, cls, unit, qEnd, n)
        push(T_MARKER, i, u, val, fl | (u > qEnd ? A_UNIT : 0))
        i = u
      } else {
        push(T_MARKER_NOQTY, i, i + 1, 1, 0)
        i++
      }
      continue
    }
    // "#2": a product number
    if (c === 0x23 && readDigits(b, cls, i + 1, n) && qFlags === 0) {
      const v = qVal
      if (v >= 1 && v <= lx.products.length) push(T_NAME, i, qEnd, lx.productNumberGroups[v - 1]!, A_PRODNUM)
      else push(T_BADNUM, i, qEnd, v, A_PRODNUM)
      i = qEnd
      continue
    }
    // "@name": a mention
    if (c === 0x40) {
      let j = i + 1
      while (j < n && j - i < 40) {
        const bj = b[j]!
        const kc = cls[bj]
        if (
          kc === C_SPACE ||
          kc === C_NEWLINE ||
          kc === C_SEP ||
          bj === 0x2b ||
          bj === 0x21 ||
          bj === 0x3f ||
          bj === 0x3002
        )
          break
        // A name typed without a space after it ends where a word that changes what a marker means
        // begins: "@團媽我不+1了", "@團媽下次再+1", "@團媽如果有我就+1" (docs/parsing.md: hedges).
        if (
          j > i + 1 &&
          trie.match(b, cls, j, n, ops) &&
          trie.matchPayload < NAME_BASE &&
          endsMention[trie.matchPayload] === 1
        )
          break
        j++
      }
      push(T_FILLER, i, j, 0, 0)
      i = j
      continue
    }
    // "-N": a cancellation of N
    if (c === 0x2d) {
      if (readQty(b, cls, numeral, i + 1, n) && qDigits < 7) {
        const u = unitAt(b, cls, unit, qEnd, n)
        push(T_MINUS, i, u, qVal, qFlags)
        i = u
      } else {
        gap |= A_GAP
        i++
      }
      continue
    }
    if (c === 0x3f) {
      push(T_QUESTION, i, i + 1, 0, 0)
      i++
      continue
    }
    // "*N", "×N", "✖N": lenient quantities; "*+1": every variant
    if (c === 0x2a || c === 0xd7 || c === 0x2716 || c === 0x2715) {
      let j = i + 1
      if (j < n && b[j] === 0xfe0f) j++
      if (c === 0x2a && plusFollows(b, cls, j, n)) {
        push(T_BUNDLE, i, j, 0, 0)
        i = j
        continue
      }
      if (readQty(b, cls, numeral, j, n) && qDigits < 7) {
        const u = unitAt(b, cls, unit, qEnd, n)
        push(T_LQTY, i, u, qVal, qFlags)
        i = u
      } else {
        gap |= A_GAP
        i = j
      }
      continue
    }
    // Names and keywords
    if (trie.match(b, cls, i, n, ops)) {
      let e = trie.matchEnd
      const p = trie.matchPayload
      if (p >= NAME_BASE) {
        const g = lx.groups[p - NAME_BASE]!
        if (g[0]!.kind === E_OPTION && e < n) {
          const nc = b[e]!
          // 紅色 / L號 / M碼 (folded: 色 号 码)
          if (nc === 0x8272 || nc === 0x53f7 || nc === 0x7801) e++
        }
        push(T_NAME, i, e, p - NAME_BASE, 0)
        i = e
        continue
      }
      switch (p) {
        case K_FILLER:
          push(T_FILLER, i, e, 0, 0)
          break
        case K_WANT:
          push(T_WANT, i, e, 0, 0)
          break
        case K_METOO:
          push(T_FILLER, i, e, 0, A_METOO)
          break
        case K_METOO_WANT:
          push(T_WANT, i, e, 0, A_METOO)
          break
        case K_HEDGE:
          push(T_HEDGE, i, e, H_HEDGE, 0)
          break
        case K_NEGNEAR:
          push(T_NEGNEAR, i, e, H_NEG, 0)
          break
        case K_FOLLOW:
          push(T_FOLLOW, i, e, 0, 0)
          break
        case K_POINT:
          push(T_POINT, i, e, 0, 0)
          break
        case K_HELP:
          push(T_HELP, i, e, 0, 0)
          break
        case K_QUESTION:
          push(T_QUESTION, i, e, 0, 0)
          break
        case K_QFINAL:
          push(T_QFINAL, i, e, 0, 0)
          break
        case K_CONDITION:
          push(T_CONDITION, i, e, 0, 0)
          break
        case K_CANCEL:
          push(T_CANCEL, i, e, 0, 0)
          break
        case K_NEG:
          push(T_NEG, i, e, 0, 0)
          break
        case K_NOT:
          push(T_NOT, i, e, 0, 0)
          break
        case K_PAY:
          push(T_PAY, i, e, 0, 0)
          break
        case K_PAYWEAK:
          push(T_PAYWEAK, i, e, 0, 0)
          break
        case K_AMEND:
          push(T_AMEND, i, e, 0, 0)
          break
        case K_SWAP:
          pushUnknown(i, e)
          break
        case K_NOISE:
          // "520", "88" are words in chat, but "520元" is a price
          if (cls[c] === C_DIGIT && currencyAt(b, skipSpaces(b, cls, e, n), n, currency) > 0) {
            e = lexNumber(b, cls, unit, measure, currency, i, n)
            break
          }
          push(T_NOISE, i, e, 0, 0)
          break
        case K_LAST5: {
          let j = skipSpaces(b, cls, e, n)
          // "後五碼: 12345", "後五碼是12345"
          while (j < n && (b[j] === 0x3a || b[j] === 0x662f || b[j] === 0x4e3a || cls[b[j]!] === C_SPACE) && j - e < 6)
            j++
          if (readDigits(b, cls, j, n) && qDigits === 5 && qFlags === 0) {
            push(T_LAST5, i, qEnd, j, 0)
            e = qEnd
          } else push(T_LAST5, i, e, -1, 0)
          break
        }
        case K_GE: {
          if (plusFollows(b, cls, e, n)) push(T_GE, i, e, 0, 0)
          else if (readQty(b, cls, numeral, e, n) && qDigits < 7) {
            const v = qVal
            const fl = qFlags
            const u = unitAt(b, cls, unit, qEnd, n)
            push(T_GEQTY, i, u, v, fl)
            e = u
          } else pushUnknown(i, e)
          break
        }
        case K_BUNDLE:
          if (plusFollows(b, cls, e, n)) push(T_BUNDLE, i, e, 0, 0)
          else pushUnknown(i, e)
          break
        case K_JIA:
        case K_EXTRA_MARKER: {
          if (readQty(b, cls, numeral, e, n) && qDigits < 7) {
            const cur = currencyAt(b, skipSpaces(b, cls, qEnd, n), n, currency)
            if (cur > 0) {
              const me = skipSpaces(b, cls, qEnd, n) + cur
              push(T_MONEY, i, me, qVal, 0)
              e = me
              break
            }
            const v = qVal
            const fl = qFlags | (p === K_JIA ? A_JIA : A_EXTRA)
            const u = unitAt(b, cls, unit, qEnd, n)
            push(T_MARKER, i, u, v, fl | (u > qEnd ? A_UNIT : 0))
            e = u
          } else if (p === K_EXTRA_MARKER) push(T_MARKER_NOQTY, i, e, 1, A_EXTRA)
          else pushUnknown(i, e)
          break
        }
        case K_REDUCE: {
          if (readQty(b, cls, numeral, e, n) && qDigits < 7) {
            const v = qVal
            const fl = qFlags
            const u = unitAt(b, cls, unit, qEnd, n)
            push(T_MINUS, i, u, v, fl)
            e = u
          } else pushUnknown(i, e)
          break
        }
        case K_CURRENCY_PREFIX: {
          const j = skipSpaces(b, cls, e, n)
          if (readMoney(b, cls, j, n)) {
            push(T_MONEY, i, qEnd, qVal, 0)
            e = qEnd
          } else if (cls[b[i]!] === C_LETTER) pushUnknown(i, e)
          else gap |= A_GAP
          break
        }
        default:
          pushUnknown(i, e)
      }
      i = e
      continue
    }
    // "x2" (after a name)
    if (c === 0x78) {
      const j = skipSpaces(b, cls, i + 1, n)
      if (j < n && (cls[b[j]!] === C_DIGIT || numeral[b[j]!]! >= 0) && readQty(b, cls, numeral, j, n) && qDigits < 7) {
        const u = unitAt(b, cls, unit, qEnd, n)
        push(T_LQTY, i, u, qVal, qFlags)
        i = u
        continue
      }
    }
    if (k === C_DIGIT) {
      i = lexNumber(b, cls, unit, measure, currency, i, n)
      continue
    }
    if (c === 0xd83d && i + 1 < n && b[i + 1] === 0xdd1f) {
      // 🔟
      i = lexSuffixed(b, cls, unit, measure, currency, i, i + 2, n, 10, A_KEYCAP, 2)
      continue
    }
    const nv = numeral[c]!
    if (nv >= 0) {
      // 十1: a likely typo for +1
      if (c === 0x5341 && i + 1 < n && cls[b[i + 1]!] === C_DIGIT) {
        readDigits(b, cls, i + 1, n)
        push(T_TYPO, i, qEnd, qVal, 0)
        i = qEnd
        continue
      }
      const prev = tok.n - 1
      const glued = prev >= 0 && gap === 0 && tok.end[prev] === i && tok.kind[prev] === T_UNKNOWN
      if (!glued && readNumeral(b, numeral, i, n)) {
        const e = qEnd
        const after = e < n ? b[e]! : 0
        const ak = e < n ? cls[after]! : C_SPACE
        // A numeral inside a word (一起, 一樣) is part of the word.
        if (ak === C_CJK && unit[after] !== 1 && measure[after] !== 1 && currencyAt(b, e, n, currency) === 0) {
          pushUnknown(i, e)
          i = e
          continue
        }
        i = lexSuffixed(b, cls, unit, measure, currency, i, e, n, qVal, A_CHINESE, 0)
        continue
      }
      pushUnknown(i, i + 1)
      i++
      continue
    }
    if (k === C_LETTER) {
      let j = i + 1
      while (j < n && (cls[b[j]!] === C_LETTER || cls[b[j]!] === C_DIGIT)) j++
      pushUnknown(i, j)
      i = j
      continue
    }
    if (k === C_CJK) {
      pushUnknown(i, i + 1)
      i++
      continue
    }
    // punctuation, symbols, emoji, surrogates (paired or lone), other
    if (k === C_PUNCT || k === C_SYMBOL || k === C_SURROGATE) gap |= A_GAP
    else gap |= A_GAP
    i++
  }
}

/** "$1,300", "NT 980": digits with optional thousands separators. */
const readMoney = (b: Uint16Array, cls: Uint8Array, i: number, n: number): boolean => {
  if (!readDigits(b, cls, i, n)) return false
  if (qFlags !== 0) return false
  let v = qVal
  let j = qEnd
  if (qDigits <= 3) {
    while (j + 3 < n + 0 && b[j] === 0x2c && readDigits(b, cls, j + 1, n) && qDigits === 3 && qFlags === 0) {
      v = v < BIG ? v * 1000 + qVal : BIG
      j = qEnd
    }
  }
  qVal = v
  qEnd = j
  return true
}

/** A bare run of digits at i: a phone, a date, a time, money, a quantity with a unit, or a number. */
const lexNumber = (
  b: Uint16Array,
  cls: Uint8Array,
  unit: Uint8Array,
  measure: Uint8Array,
  currency: ReadonlyArray<string>,
  i: number,
  n: number
): number => {
  readDigits(b, cls, i, n)
  let e = qEnd
  const digits = qDigits
  const flags = qFlags
  let v = qVal
  if (flags === 0 && e + 1 < n) {
    const nc = b[e]!
    const next = cls[b[e + 1]!]
    if (next === C_DIGIT && (nc === 0x2d || nc === 0x2f || nc === 0x3a || nc === 0x2e || nc === 0x7e)) {
      // 0912-345-678, 12/5, 10:30, 1.5, 5~6: never a quantity
      let j = e
      while (j < n && (cls[b[j]!] === C_DIGIT || b[j] === nc) && j - e < 24) j++
      push(T_NOISE, i, j, 0, 0)
      return j
    }
    if (nc === 0x2c && digits <= 3 && readMoney(b, cls, i, n) && qEnd > e) {
      // 1,300
      push(T_NUM, i, qEnd, qVal, A_THOUSANDS | (digits << A_DIGITS_SHIFT))
      return lexAfterBigNumber(b, cls, currency, i, qEnd, n)
    }
  }
  if (digits >= 7) {
    push(T_NOISE, i, e, 0, 0)
    return e
  }
  if (flags === 0 && e < n && cls[b[e]!] === C_LETTER) {
    // 15pro, 100ml, 2pcs
    const u = unitAt(b, cls, unit, e, n)
    if (u > e) {
      push(T_UNITNUM, i, u, v, 0)
      return u
    }
    if (currencyAt(b, e, n, currency) > 0) return lexSuffixed(b, cls, unit, measure, currency, i, e, n, v, 0, digits)
    let j = e
    while (j < n && (cls[b[j]!] === C_LETTER || cls[b[j]!] === C_DIGIT)) j++
    if (b[e] === 0x78 && cls[b[e + 1]!] === C_DIGIT) {
      // 2x3: leave "x3" to the next round
      push(T_NUM, i, e, v, digits << A_DIGITS_SHIFT)
      return e
    }
    pushUnknown(i, j)
    return j
  }
  v = qVal
  e = qEnd
  return lexSuffixed(b, cls, unit, measure, currency, i, e, n, v, flags, digits)
}

const lexAfterBigNumber = (
  b: Uint16Array,
  cls: Uint8Array,
  currency: ReadonlyArray<string>,
  start: number,
  e: number,
  n: number
): number => {
  const j = skipSpaces(b, cls, e, n)
  const cur = currencyAt(b, j, n, currency)
  if (cur > 0) {
    const last = tok.n - 1
    tok.kind[last] = T_MONEY
    tok.end[last] = j + cur
    void start
    return j + cur
  }
  return e
}

/** After a number (digits, keycaps or numerals) ending at e: currency, unit, measure, or bare. */
const lexSuffixed = (
  b: Uint16Array,
  cls: Uint8Array,
  unit: Uint8Array,
  measure: Uint8Array,
  currency: ReadonlyArray<string>,
  i: number,
  e: number,
  n: number,
  v: number,
  flags: number,
  digits: number
): number => {
  const j = skipSpaces(b, cls, e, n)
  const cur = currencyAt(b, j, n, currency)
  if (cur > 0) {
    push(T_MONEY, i, j + cur, v, flags)
    return j + cur
  }
  if (j < n && unit[b[j]!] === 1) {
    push(T_UNITNUM, i, j + 1, v, flags | A_UNIT)
    return j + 1
  }
  if (e < n && measure[b[e]!] === 1) {
    push(T_NOISE, i, e + 1, v, flags)
    return e + 1
  }
  push(T_NUM, i, e, v, flags | (digits << A_DIGITS_SHIFT))
  return e
}
