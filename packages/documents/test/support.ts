/** Workbooks written with exceljs for the tests, and read back. */
import ExcelJS from "exceljs"

/** A sheet: its name and rows (cells as exceljs takes them; `null` for empty). */
export interface SheetSpec {
  readonly name: string
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
  readonly merges?: ReadonlyArray<string>
}

/** An xlsx workbook with these sheets, as bytes. */
export const workbook = async (...sheets: ReadonlyArray<SheetSpec>): Promise<Uint8Array> => {
  const wb = new ExcelJS.Workbook()
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name)
    for (const r of s.rows) ws.addRow([...r])
    for (const m of s.merges ?? []) ws.mergeCells(m)
  }
  return new Uint8Array(await wb.xlsx.writeBuffer())
}

/** Reads a workbook back: sheet name → rows of cell values (exceljs's, 1-based columns dropped to 0-based). */
export const readBack = async (bytes: Uint8Array): Promise<Map<string, Array<Array<unknown>>>> => {
  const wb = new ExcelJS.Workbook()
  await wb.xlsx.load(Buffer.from(bytes) as never)
  const out = new Map<string, Array<Array<unknown>>>()
  for (const ws of wb.worksheets) {
    const rows: Array<Array<unknown>> = []
    for (let r = 1; r <= ws.rowCount; r++) {
      const row: Array<unknown> = []
      for (let c = 1; c <= ws.columnCount; c++) row.push(ws.getCell(r, c).value ?? null)
      rows.push(row)
    }
    out.set(ws.name, rows)
  }
  return out
}
