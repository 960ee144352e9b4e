/**
 * The CSV writer (RFC 4180, UTF-8 BOM, formula-injection guard) lives in `@kaituan/documents`
 * (`Csv`), shared with its spreadsheet exports; re-exported here for the handlers and tests.
 */
import { Csv } from "@kaituan/documents"

/** A cell: text (neutralised, quoted when needed) or a number (written as is). */
export type Cell = Csv.Cell
/** The UTF-8 byte order mark. */
export const BOM = Csv.BOM
/** A text cell as written (see `Csv.text`). */
export const text = Csv.text
/** One cell as written (see `Csv.cell`). */
export const cell = Csv.cell
/** One row, CRLF-terminated (see `Csv.row`). */
export const row = Csv.row
