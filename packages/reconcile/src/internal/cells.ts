/**
 * Reading the cells of a bank statement: text normalisation, amounts, dates (Western and ROC),
 * and the payer's bank code + last five digits.
 *
 * @internal
 */

// ASCII and CJK ideographs (U+3400–U+4DBF, U+4E00–U+9FFF) are unchanged by NFKC, alone or together.
const NEEDS_NFKC = /[^\x00-\x7f\u3400-\u4dbf\u4e00-\u9fff]/

/** `s.normalize("NFKC")`, without the call for text that it cannot change. */
export const nfkc = (s: string): string => (NEEDS_NFKC.test(s) ? s.normalize("NFKC") : s)

/**
 * Normalises a cell: NFKC (full-width digits and punctuation become ASCII), U+2212 minus and the
 * other dashes become `-`, tabs and no-break spaces become spaces, and the Excel formula wrapper
 * `="…"` is removed. Leading and trailing spaces are trimmed.
 */
export const normalise = (raw: string): string => {
  let s = raw
  if (NEEDS_NFKC.test(s))
    s = s
      .normalize("NFKC")
      .replace(/[\u2212\u2010-\u2015\uFE63]/g, "-")
      .replace(/[\u00a0\u3000]/g, " ")
  if (s.includes("\t")) s = s.replace(/\t/g, " ")
  s = s.trim()
  if (s.length >= 3 && s.charCodeAt(0) === 61 /* = */ && s.charCodeAt(1) === 34 && s.endsWith('"')) {
    s = s.slice(2, -1).replace(/""/g, '"').trim()
  }
  return s
}

/** A header cell as compared with the known column names: normalised, lower case, no spaces. */
export const headerKey = (raw: string): string => normalise(raw).toLowerCase().replace(/\s+/g, "")

/** The result of reading a cell: a value, nothing (blank), or why it cannot be read. */
export type CellRead<A> =
  | { readonly _tag: "Value"; readonly value: A }
  | { readonly _tag: "Blank" }
  | { readonly _tag: "Bad"; readonly message: string }

const blank: CellRead<never> = { _tag: "Blank" }
const bad = (message: string): CellRead<never> => ({ _tag: "Bad", message })
const value = <A>(a: A): CellRead<A> => ({ _tag: "Value", value: a })

const CURRENCY = /^(?:NT\$|NTD|TWD|NT|\$)|(?:元|NTD|TWD)$/i
const DIGITS = /^\d+(?:\.\d+)?$/

/**
 * Reads an amount in whole TWD: `1,300`, `"1,300"`, `NT$1,000`, `-NT$100`, `１３００`, `−650`,
 * `(1,000)` (negative), `1300.00`, `1000-` (trailing minus). Blank, `-` and `--` are blank.
 * Cents other than `.00` are refused: TWD transfers are whole dollars.
 */
export const parseAmount = (raw: string): CellRead<number> => readAmount(raw, normalise(raw))

const SPACE = /\s/

/** {@link parseAmount} of a cell whose normalised text `norm` is known. */
export const readAmount = (raw: string, norm: string): CellRead<number> => {
  let s = SPACE.test(norm) ? norm.replace(/\s+/g, "") : norm
  if (s === "" || s === "-" || s === "--" || s === "—") return blank
  let negative = false
  if (s.startsWith("(") && s.endsWith(")")) {
    negative = true
    s = s.slice(1, -1)
  }
  if (s.startsWith("-")) {
    negative = !negative
    s = s.slice(1)
  } else if (s.startsWith("+")) s = s.slice(1)
  else if (s.endsWith("-")) {
    negative = !negative
    s = s.slice(0, -1)
  }
  s = s.replace(CURRENCY, "")
  // `-NT$100` puts the sign before the currency.
  if (s.startsWith("-")) {
    negative = !negative
    s = s.slice(1)
  }
  s = s.replace(/,/g, "")
  if (!DIGITS.test(s)) return bad(`"${raw.trim()}" is not an amount`)
  const dot = s.indexOf(".")
  if (dot >= 0) {
    if (!/^0+$/.test(s.slice(dot + 1))) return bad(`"${raw.trim()}" has cents; TWD amounts are whole dollars`)
    s = s.slice(0, dot)
  }
  const n = Number(s)
  if (!Number.isSafeInteger(n)) return bad(`"${raw.trim()}" is too large`)
  return value(negative && n !== 0 ? -n : n)
}

/** A calendar date (`YYYY-MM-DD`) and, when the cell has one, a time of day (`HH:mm:ss`). */
export interface DateTime {
  readonly date: string
  readonly time?: string | undefined
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

const validDate = (y: number, m: number, d: number): boolean => {
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false
  const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  return d <= (days[m - 1] ?? 0)
}

const DATE_SEP = /^\*?(\d{2,4})[/.\-年](\d{1,2})[/.\-月](\d{1,2})日?(?:[ T]+(.*))?$/
const DATE_COMPACT = /^\*?(\d{7,8})(?:[ T]+(.*))?$/
const TIME = /^(上午|下午|AM|PM)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(上午|下午|AM|PM)?$/i

/** Reads a time of day: `10:20:30`, `9:05`, `下午 02:05:11`. */
export const parseTime = (raw: string): CellRead<string> => readTime(raw, normalise(raw))

/** {@link parseTime} of a cell whose normalised text `s` is known. */
export const readTime = (raw: string, s: string): CellRead<string> => {
  if (s === "") return blank
  const m = TIME.exec(s)
  if (!m) return bad(`"${raw.trim()}" is not a time`)
  let h = Number(m[2])
  const min = Number(m[3])
  const sec = m[4] === undefined ? 0 : Number(m[4])
  const half = (m[1] ?? m[5] ?? "").toUpperCase()
  if (half === "下午" || half === "PM") h = (h % 12) + 12
  else if (half === "上午" || half === "AM") h = h % 12
  if (h > 23 || min > 59 || sec > 59) return bad(`"${raw.trim()}" is not a time`)
  return value(`${pad2(h)}:${pad2(min)}:${pad2(sec)}`)
}

/**
 * Reads a date with an optional time: `2024/04/02`, `2024-04-02`, `2024.4.2`, `20240402`,
 * ROC `113/04/02 10:00:00` or `1130402` (year + 1911), `*2022/10/10` (E.SUN), `2024年4月2日`.
 */
export const parseDate = (raw: string): CellRead<DateTime> => readDate(raw, normalise(raw))

/** {@link parseDate} of a cell whose normalised text `s` is known. */
export const readDate = (raw: string, s: string): CellRead<DateTime> => {
  if (s === "") return blank
  let y: number
  let mo: number
  let d: number
  let rest: string | undefined
  const m = DATE_SEP.exec(s)
  if (m) {
    y = Number(m[1])
    mo = Number(m[2])
    d = Number(m[3])
    rest = m[4]
    if (m[1]!.length <= 3) y += 1911
  } else {
    const c = DATE_COMPACT.exec(s)
    if (!c) return bad(`"${raw.trim()}" is not a date`)
    const digits = c[1]!
    const yl = digits.length - 4
    y = Number(digits.slice(0, yl)) + (yl === 3 ? 1911 : 0)
    mo = Number(digits.slice(yl, yl + 2))
    d = Number(digits.slice(yl + 2))
    rest = c[2]
  }
  if (!validDate(y, mo, d)) return bad(`"${raw.trim()}" is not a valid date`)
  const date = `${y}-${pad2(mo)}-${pad2(d)}`
  if (rest === undefined || rest.trim() === "") return value({ date })
  const t = parseTime(rest)
  if (t._tag !== "Value") return bad(`"${raw.trim()}" has an unreadable time`)
  return value({ date, time: t.value })
}

/** The payer's account as far as the statement shows it. */
export interface Account {
  readonly bankCode?: string | undefined
  readonly last5: string
}

// (822)0000000012345678 · (822) 0000000012345678
const PAREN = /\((\d{3})\)\s*([\d*xX＊-]{5,})/
// 822-*********12345 · 822-45678 · 822 0000123456789012
const DASHED = /(?:^|[^\d])(\d{3})[-\s/]([*xX]*\d[\d*xX-]{3,})(?![\d])/
// ***12345 (masked, no bank code)
const MASKED = /[*xX]{2,}(\d{5})(?!\d)/
// A bare account number (only in a column that holds accounts)
const BARE = /(?:^|[^\d])(\d{10,16})(?!\d)/

const lastFive = (account: string): string | undefined => {
  const digits = account.replace(/[^\d]/g, "")
  const tail = account.replace(/[-\s]/g, "")
  // the last five characters must be digits (a mask in the middle is fine)
  if (!/\d{5}$/.test(tail)) return undefined
  return digits.slice(-5)
}

/**
 * Finds a bank code and the last five digits in a cell: `(822)0000000012345678`,
 * `822-*********12345`, `822-45678`, `***12345`; `bare` also accepts a plain account number
 * (`0000123456789012`, for columns that hold nothing but accounts).
 */
export const extractAccount = (raw: string, bare: boolean): Account | undefined => accountIn(normalise(raw), bare)

/** {@link extractAccount} of a cell's normalised text. */
export const accountIn = (s: string, bare: boolean): Account | undefined => {
  if (s === "") return undefined
  const p = PAREN.exec(s)
  if (p) {
    const l5 = lastFive(p[2]!)
    if (l5) return { bankCode: p[1]!, last5: l5 }
  }
  const d = DASHED.exec(s)
  if (d) {
    const l5 = lastFive(d[2]!)
    if (l5) return { bankCode: d[1]!, last5: l5 }
  }
  const k = MASKED.exec(s)
  if (k) return { last5: k[1]! }
  if (bare) {
    const b = BARE.exec(s)
    if (b) return { last5: b[1]!.slice(-5) }
    if (/^\d{5}$/.test(s)) return { last5: s }
  }
  return undefined
}

/** True when a cell holds nothing but an account (so it is not a memo). */
export const isAccountOnly = (raw: string): boolean =>
  /^\(?\d{3}\)?[-\s/]?[\d*xX-]{5,}$|^[*xX]*\d{5}$|^\d{10,16}$/.test(normalise(raw).replace(/\s+/g, ""))
