/**
 * RFC 4180 CSV, written by hand: a cell is quoted when it holds a `"`, a comma, CR or LF (its
 * quotes doubled), rows end with CRLF. Text cells are also made safe to open in a spreadsheet: one
 * that starts with `=`, `+`, `-`, `@`, a tab or CR gets a leading `'`, so `=HYPERLINK(…)` or a
 * buyer's `+1` is shown as typed rather than run as a formula (OWASP "CSV injection"). Numbers
 * are written as they are, so quantities and amounts stay numeric cells.
 */

/** A cell: text (neutralised, quoted when needed) or a number (written as is). */
export type Cell = string | number

/** The UTF-8 byte order mark: Excel reads a file that starts with it as UTF-8 (Chinese intact). */
export const BOM = "\uFEFF"

const formulaStart = /^[=+\-@\t\r]/
const needsQuotes = /[",\r\n]/

/** A text cell as written: a leading `'` when it starts like a formula, then RFC 4180 quoting. */
export const text = (value: string): string => {
  const safe = formulaStart.test(value) ? `'${value}` : value
  return needsQuotes.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** One cell as written: numbers as they are (finite ones; anything else is empty), text with {@link text}. */
export const cell = (value: Cell): string =>
  typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : text(value)

/** One row, CRLF-terminated. */
export const row = (cells: ReadonlyArray<Cell>): string => `${cells.map(cell).join(",")}\r\n`
