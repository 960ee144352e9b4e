/**
 * Bytes → text → rows: encoding detection (UTF-8 with or without BOM, UTF-16 with BOM, Big5/CP950),
 * delimiter detection and CSV parsing with 1-based line numbers.
 *
 * @internal
 */
import { parse } from "csv-parse/sync"
import iconv from "iconv-lite"

/** The encodings a statement can come in. */
export type Encoding = "utf-8" | "utf-8-bom" | "utf-16le" | "utf-16be" | "big5"

/** Guesses the encoding: a BOM decides; otherwise valid UTF-8 is UTF-8 and anything else Big5 (CP950). */
export const detectEncoding = (bytes: Uint8Array): Encoding => {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8-bom"
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le"
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be"
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    return "utf-8"
  } catch {
    return "big5"
  }
}

/** Decodes bytes in the given encoding, without the BOM. Big5 is read as CP950 (Windows Big5). */
export const decode = (bytes: Uint8Array, encoding: Encoding): string => {
  switch (encoding) {
    case "utf-8":
      return new TextDecoder("utf-8").decode(bytes)
    case "utf-8-bom":
      return new TextDecoder("utf-8").decode(bytes.subarray(3))
    case "utf-16le":
      return new TextDecoder("utf-16le").decode(bytes.subarray(2))
    case "utf-16be":
      return iconv.decode(Buffer.from(bytes.subarray(2)), "utf-16be")
    case "big5":
      return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), "cp950")
  }
}

/** One row of the file with the line it starts on. */
export interface Row {
  readonly line: number
  readonly cells: ReadonlyArray<string>
}

/** A line the CSV parser could not read. */
export interface BadLine {
  readonly line: number
  readonly message: string
}

/** Picks the delimiter (`,`, tab or `;`) that occurs most in the first lines. */
export const detectDelimiter = (text: string): string => {
  const head = text
    .slice(0, 8192)
    .split(/\r\n|\n|\r/)
    .slice(0, 30)
  let best = ","
  let bestCount = 0
  for (const d of [",", "\t", ";"]) {
    let count = 0
    for (const l of head) count += l.split(d).length - 1
    if (count > bestCount) {
      best = d
      bestCount = count
    }
  }
  return best
}

/** Which lines to parse (1-based, inclusive). */
export interface LineRange {
  readonly fromLine?: number | undefined
  readonly toLine?: number | undefined
}

const parseOptions = (delimiter: string, range: LineRange) =>
  ({
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    bom: true,
    ...(range.fromLine !== undefined && range.fromLine > 1 ? { from_line: range.fromLine } : {}),
    ...(range.toLine !== undefined ? { to_line: range.toLine } : {})
  }) as const

type Parsed = ReadonlyArray<{ readonly record: ReadonlyArray<string>; readonly info: { readonly lines: number } }>

/** csv-parse with the options above (exported for the test that holds the plain reader to it). */
export const parseAll = (text: string, delimiter: string, range: LineRange, lineOffset: number): ReadonlyArray<Row> => {
  const records = parse(text, parseOptions(delimiter, range)) as unknown as Parsed
  const rows: Array<Row> = []
  // `info.lines` is the (absolute) line a record ends on; the next one starts on the line after.
  let next = range.fromLine !== undefined && range.fromLine > 1 ? range.fromLine : 1
  for (const r of records) {
    rows.push({ line: lineOffset + next, cells: r.record })
    next = r.info.lines + 1
  }
  return rows
}

const QUOTE = 34
const CR = 13
const LF = 10
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * A one-pass reader for the plain CSV that banks export, giving the same rows as csv-parse with
 * the options above, one at a time to `onRow` (so that a caller need not keep them all). It
 * returns `false` as soon as it meets anything it does not read exactly the same way (a line
 * break inside quotes, a closing quote followed by other text, an unclosed quote, mixed line
 * endings, a BOM, NUL, unpaired surrogates, a delimiter that is not one ASCII character): the
 * caller then drops what it got and uses csv-parse.
 */
export const eachPlainRow = (
  text: string,
  delimiter: string,
  range: LineRange,
  onRow: (line: number, cells: Array<string>) => void
): boolean => {
  if (delimiter.length !== 1) return false
  const d = delimiter.charCodeAt(0)
  if (d >= 128 || d === QUOTE || d === CR || d === LF) return false
  if (text.charCodeAt(0) === 0xfeff || text.includes("\0")) return false
  if (/[\ud800-\udfff]/.test(text) && LONE_SURROGATE.test(text)) return false
  // One kind of line ending throughout (csv-parse takes the first one it meets as the only one).
  const firstCr = text.indexOf("\r")
  const firstLf = text.indexOf("\n")
  const crlf = firstCr !== -1 && text.charCodeAt(firstCr + 1) === LF && (firstLf === -1 || firstCr < firstLf)
  if (!crlf && firstCr !== -1 && firstLf !== -1) return false
  const from = range.fromLine !== undefined && range.fromLine > 1 ? range.fromLine : 1
  const to = range.toLine ?? Number.POSITIVE_INFINITY
  const n = text.length
  let pos = 0
  let line = 1
  let cells: Array<string> = []
  while (pos < n && line <= to) {
    let c: number
    if (text.charCodeAt(pos) === QUOTE) {
      // A quoted field: `""` is a quote; the closing quote must end the field.
      let value = ""
      let i = pos + 1
      let start = i
      for (;;) {
        if (i >= n) return false
        c = text.charCodeAt(i)
        if (c === QUOTE) {
          if (i + 1 < n && text.charCodeAt(i + 1) === QUOTE) {
            value += text.slice(start, i + 1)
            i += 2
            start = i
            continue
          }
          break
        }
        if (c === CR || c === LF) return false
        i++
      }
      value += text.slice(start, i)
      pos = i + 1
      c = pos < n ? text.charCodeAt(pos) : -1
      if (c !== d && c !== CR && c !== LF && c !== -1) return false
      cells.push(value)
    } else {
      // A plain field: up to the delimiter or the line end (a quote inside is text).
      let i = pos
      c = -1
      while (i < n) {
        c = text.charCodeAt(i)
        if (c === d || c === CR || c === LF) break
        i++
      }
      if (i >= n) c = -1
      cells.push(text.slice(pos, i))
      pos = i
    }
    if (c === d) {
      pos++
      // A delimiter at the very end still ends a field: an empty last one.
      if (pos >= n) cells.push("")
      else continue
    } else if (c === CR) {
      if (crlf) {
        if (text.charCodeAt(pos + 1) !== LF) return false
        pos += 2
      } else pos++
    } else if (c === LF) {
      if (crlf) return false
      pos++
    }
    if (line >= from) onRow(line, cells)
    cells = []
    line++
  }
  return true
}

/** {@link eachPlainRow} into an array; `undefined` when the text is not plain CSV. */
export const plainRows = (text: string, delimiter: string, range: LineRange = {}): Array<Row> | undefined => {
  const rows: Array<Row> = []
  return eachPlainRow(text, delimiter, range, (line, cells) => rows.push({ line, cells })) ? rows : undefined
}

/** Excel formula cells (`="113/04/02"`) as plain quoted cells, so that a quoted `="1,300"` stays one cell. */
export const unwrapFormulas = (text: string, delimiter: string): string => {
  const esc = delimiter === "\t" ? "\\t" : delimiter
  return text.replace(new RegExp(`(^|${esc})="`, "gm"), '$1"')
}

/**
 * Parses CSV text into rows with the 1-based line each starts on. Excel formula cells (`="113/04/02"`)
 * are unwrapped first, so a quoted `="1,300"` stays one cell. If the text as a whole cannot be
 * parsed (an unclosed quote), it is parsed line by line and the lines that still fail are returned.
 *
 * Parsing from the header line on (`fromLine`) matters for speed: the CSV parser expects every
 * record to be as long as the first one and builds an error object for each one that is not, so a
 * preamble line at the top would make it do that for every row.
 */
export const parseCsv = (
  text: string,
  delimiter: string,
  range: LineRange = {}
): { readonly rows: ReadonlyArray<Row>; readonly bad: ReadonlyArray<BadLine> } => {
  const unwrapped = unwrapFormulas(text, delimiter)
  const plain = plainRows(unwrapped, delimiter, range)
  if (plain !== undefined) return { rows: plain, bad: [] }
  try {
    return { rows: parseAll(unwrapped, delimiter, range, 0), bad: [] }
  } catch {
    const rows: Array<Row> = []
    const bad: Array<BadLine> = []
    const lines = unwrapped.split(/\r\n|\n|\r/)
    const from = Math.max(1, range.fromLine ?? 1)
    const to = Math.min(lines.length, range.toLine ?? lines.length)
    for (let n = from; n <= to; n++) {
      const l = lines[n - 1]!
      if (n === lines.length && l === "") break
      try {
        rows.push(parseAll(l, delimiter, {}, n - 1)[0] ?? { line: n, cells: [""] })
      } catch (e) {
        bad.push({
          line: n,
          message: `malformed CSV (${e instanceof Error ? e.message.replace(/^Invalid Record: /, "") : String(e)})`
        })
      }
    }
    return { rows, bad }
  }
}
