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
  const head = text.slice(0, 8192).split(/\r\n|\n|\r/).slice(0, 30)
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

const parseOptions = (delimiter: string) =>
  ({
    delimiter,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    bom: true
  }) as const

type Parsed = ReadonlyArray<{ readonly record: ReadonlyArray<string>; readonly info: { readonly lines: number } }>

const parseAll = (text: string, delimiter: string, firstLine: number): ReadonlyArray<Row> => {
  const records = parse(text, parseOptions(delimiter)) as unknown as Parsed
  const rows: Array<Row> = []
  let next = firstLine
  for (const r of records) {
    rows.push({ line: next, cells: r.record })
    next = firstLine + r.info.lines
  }
  return rows
}

/**
 * Parses CSV text into rows with the 1-based line each starts on. Excel formula cells (`="113/04/02"`)
 * are unwrapped first, so a quoted `="1,300"` stays one cell. If the file as a whole cannot be
 * parsed (an unclosed quote), it is parsed line by line and the lines that still fail are returned.
 */
export const parseCsv = (
  text: string,
  delimiterOption?: string | undefined
): { readonly rows: ReadonlyArray<Row>; readonly bad: ReadonlyArray<BadLine> } => {
  const delimiter = delimiterOption ?? detectDelimiter(text)
  const esc = delimiter === "\t" ? "\\t" : delimiter
  const unwrapped = text.replace(new RegExp(`(^|${esc})="`, "gm"), '$1"')
  try {
    return { rows: parseAll(unwrapped, delimiter, 1), bad: [] }
  } catch {
    const rows: Array<Row> = []
    const bad: Array<BadLine> = []
    const lines = unwrapped.split(/\r\n|\n|\r/)
    lines.forEach((l, i) => {
      if (i === lines.length - 1 && l === "") return
      try {
        const parsed = parseAll(l, delimiter, i + 1)
        rows.push(parsed[0] ?? { line: i + 1, cells: [""] })
      } catch (e) {
        bad.push({ line: i + 1, message: `malformed CSV (${e instanceof Error ? e.message.replace(/^Invalid Record: /, "") : String(e)})` })
      }
    })
    return { rows, bad }
  }
}
