/**
 * `.xlsx` statements through `read-excel-file` (pure JavaScript: fflate + a SAX parser, no native
 * build). Cells become the same strings a CSV export would hold, so one pipeline reads both.
 *
 * @internal
 */
import { readSheet } from "read-excel-file/universal"
import type { Row } from "./text.js"

/** True for a ZIP container (what an `.xlsx` file is). */
export const isZip = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/**
 * A spreadsheet date is wall-clock time with no zone; the library hands it over as a `Date` whose
 * UTC fields are that wall clock.
 */
const dateCell = (d: Date): string => {
  const date = `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}`
  const h = d.getUTCHours()
  const m = d.getUTCMinutes()
  const s = d.getUTCSeconds()
  return h === 0 && m === 0 && s === 0 ? date : `${date} ${pad2(h)}:${pad2(m)}:${pad2(s)}`
}

const cellText = (c: unknown): string => {
  if (c === null || c === undefined) return ""
  if (c instanceof Date) return Number.isNaN(c.getTime()) ? "" : dateCell(c)
  if (typeof c === "number") return Number.isInteger(c) ? String(c) : String(c)
  return String(c)
}

/** Reads the first sheet; row `i` of the result is spreadsheet row `i + 1`. */
export const readXlsx = async (bytes: Uint8Array): Promise<ReadonlyArray<Row>> => {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const data = await readSheet(buffer, { trim: false })
  return data.map((row, i) => ({ line: i + 1, cells: row.map(cellText) }))
}
