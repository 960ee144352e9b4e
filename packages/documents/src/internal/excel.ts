/**
 * `exceljs`, loaded when first needed (importing `@kaituan/documents` stays cheap), and the cell
 * values it reads turned into plain values.
 *
 * @internal
 */
import type * as ExcelJSTypes from "exceljs"

/** The exceljs module (its CommonJS exports, whichever way the module system hands them over). */
export type ExcelJS = typeof ExcelJSTypes

let loaded: Promise<ExcelJS> | undefined

/** Loads exceljs once. */
export const excel = (): Promise<ExcelJS> => {
  loaded ??= import("exceljs").then((m) => {
    const mod = m as unknown as ExcelJS & { readonly default?: ExcelJS }
    return mod.Workbook === undefined && mod.default !== undefined ? mod.default : mod
  })
  return loaded
}

/** A cell's value as read: text, a number, a boolean, a date (its UTC fields are the wall clock), or nothing. */
export type Plain = string | number | boolean | Date | undefined

/** The plain value of an exceljs cell value: rich text joined, a formula's result, a hyperlink's text. */
export const plain = (v: unknown): Plain => {
  if (v === null || v === undefined) return undefined
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v
  if (typeof v === "object") {
    const o = v as Record<string, unknown>
    if (Array.isArray(o.richText))
      return (o.richText as ReadonlyArray<{ readonly text?: unknown }>).map((r) => String(r.text ?? "")).join("")
    if ("result" in o) return plain(o.result)
    if ("formula" in o || "sharedFormula" in o) return undefined
    if ("text" in o) return plain(o.text)
    if ("error" in o) return undefined
  }
  return undefined
}

/** A plain value as text (trimmed); numbers as written, dates as `YYYY-MM-DD HH:mm`. */
export const textOf = (v: Plain): string => {
  if (v === undefined) return ""
  if (v instanceof Date) return v.toISOString().slice(0, 16).replace("T", " ")
  return String(v).trim()
}

/** An Excel reference to a sheet: quoted (`'My sheet'`) when the name needs it. */
export const sheetRef = (name: string): string =>
  /^[\p{L}\p{N}_.]+$/u.test(name) ? name : `'${name.replaceAll("'", "''")}'`

/** The column letters of a 1-based column number (1 → A, 27 → AA). */
export const columnLetters = (n: number): string => {
  let s = ""
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s
  return s
}

/** A cell's address (`C7`). */
export const address = (row: number, column: number): string => `${columnLetters(column)}${row}`
