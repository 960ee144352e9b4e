/**
 * RFC 4180 CSV, written by hand, safe to open in a spreadsheet: a cell is quoted when it holds a
 * `"`, a comma, CR or LF (its quotes doubled), rows end with CRLF. Text cells are neutralised: one
 * that starts with `=`, `+`, `-`, `@`, a tab or CR gets a leading `'`, so `=HYPERLINK(…)` or a
 * buyer's `+1` is shown as typed rather than run as a formula (OWASP "CSV injection"). Numbers are
 * written as they are, so quantities and amounts stay numeric cells. A file starts with the
 * UTF-8 {@link BOM}, so Excel reads the Chinese intact.
 *
 * @example
 * ```ts
 * import { Csv } from "@kaituan/documents"
 *
 * const file = Csv.BOM + Csv.row(["品名", "數量"]) + Csv.row(["=HYPERLINK(\"x\")", 2])
 * // "\uFEFF品名,數量\r\n\"'=HYPERLINK(\"\"x\"\")\",2\r\n"
 * ```
 *
 * @since 0.1.0
 */

/** A cell: text (neutralised, quoted when needed) or a number (written as is). */
export type Cell = string | number

/** The UTF-8 byte order mark: Excel reads a file that starts with it as UTF-8 (Chinese intact). */
export const BOM = "\uFEFF"

const formulaStart = /^[=+\-@\t\r]/
const needsQuotes = /[",\r\n]/

/**
 * A text value made safe for a spreadsheet: a leading `'` when it starts like a formula (`=`,
 * `+`, `-`, `@`, tab, CR), otherwise unchanged. The xlsx writer uses it too.
 */
export const neutralise = (value: string): string => (formulaStart.test(value) ? `'${value}` : value)

/** A text cell as written: {@link neutralise}d, then RFC 4180 quoting. */
export const text = (value: string): string => {
  const safe = neutralise(value)
  return needsQuotes.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

/** One cell as written: numbers as they are (finite ones; anything else is empty), text with {@link text}. */
export const cell = (value: Cell): string =>
  typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : text(value)

/** One row, CRLF-terminated. */
export const row = (cells: ReadonlyArray<Cell>): string => `${cells.map(cell).join(",")}\r\n`
