/**
 * A catalogue workbook (xlsx) to a round: the way organisers already keep their products in a
 * spreadsheet, one row per sellable item, read into core's `RoundSpec` (the round file).
 *
 * The layout (docs/catalogue-sheet.md has it in full):
 * - **The catalogue sheet**: named `商品` (or `商品清單`, `品項`, `Products`, `Catalogue`,
 *   `Items`), else the first sheet with a header row naming a product name and a price column.
 *   The header row is the first of the sheet's first 20 rows that does; each row after it is one
 *   sellable item. Columns, by header, Chinese or English ({@link columns}): 品名 (`name`), 規格
 *   (`options`), 價格 (`price`), 庫存 (`stock`), 預購 (`preorder`), 上限 (`cap`), 別名 (`aliases`),
 *   商品編號 (`sku`). Other columns (成本, 備註…) are not read and are reported as warnings.
 * - **Variants**: rows with the same 品名 (or with the 品名 cell left empty under a product, as
 *   merged cells are) are one product, each row a variant told apart by its 規格. A 規格 cell
 *   `顏色:紅/白` gives one variant per value; `顏色:紅/白; 尺寸:S/M` one per combination; `紅`
 *   alone is a value of the option 規格; `紅(紅色,red)` gives a value its aliases.
 * - **Supply**: 庫存 N is 現貨 (never oversold), 預購 `是` is pre-order, optionally capped by 上限
 *   (上限 alone means 預購 too); neither is unlimited. On a row that gives several variants each
 *   variant gets the row's price and supply.
 * - **The round**: `key | value` rows on a sheet named `開團` (or `團購`, `設定`, `Round`,
 *   `Settings`), or above the catalogue's header row: 團號 (`id`), 團名 (`title`), 截單
 *   (`cutoff`: a date cell or `2024-05-10 22:00`, in the round's time zone), 時區 (`timezone`),
 *   團主 (`sellers`), 模式 (`mode`). Missing id and title come from {@link ReadOptions.defaults}.
 *
 * Every problem is collected and reported with its sheet and cell, as Excel names them:
 * `商品!C7: 價格 "一百" is not a number`.
 *
 * @example
 * ```ts
 * import { Catalogue } from "@kaituan/documents"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const workbook = yield* Catalogue.template()
 *   const { spec, warnings } = yield* Catalogue.read(workbook)
 *   console.log(spec.id, spec.products.map((p) => p.name), warnings.length)
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Catalogue as CoreCatalogue, RoundSpec } from "@kaituan/core"
import { Effect, Result, Schema, SchemaIssue } from "effect"
import { address, excel, type Plain, plain, sheetRef, textOf } from "./internal/excel.js"
import { combinations, type OptionGroup, parseOptions } from "./internal/options.js"
import { list, normaliseHeader, timeIn, wholeNumber, yesNo, zoneOffsetMinutes } from "./internal/values.js"

// ---------------------------------------------------------------------------------------------
// The layout
// ---------------------------------------------------------------------------------------------

/** A catalogue column. */
export type Column = "name" | "sku" | "options" | "price" | "stock" | "preorder" | "cap" | "aliases"

/** The headers each catalogue column is recognised by (compared without case, spaces, `-`, `_`, or a trailing `(…)` note). */
export const columns: Readonly<Record<Column, ReadonlyArray<string>>> = {
  name: ["品名", "商品", "商品名稱", "商品名", "品項", "名稱", "name", "product", "product name", "item"],
  sku: ["商品編號", "編號", "貨號", "料號", "商品代碼", "代碼", "sku", "code", "product code"],
  options: ["規格", "選項", "款式", "options", "option", "variant", "variants", "spec"],
  price: ["價格", "單價", "售價", "團購價", "價錢", "price", "unit price"],
  stock: ["庫存", "現貨", "庫存數量", "數量", "stock", "in stock", "qty", "quantity"],
  preorder: ["預購", "是否預購", "preorder", "pre-order"],
  cap: ["上限", "預購上限", "限量", "cap", "preorder cap", "max"],
  aliases: ["別名", "關鍵字", "暱稱", "aliases", "alias", "keywords"]
}

/** A round field the workbook can give. */
export type RoundField = "id" | "title" | "cutoff" | "timezone" | "sellers" | "mode"

/** The keys each round field is recognised by, in the first column of a `key | value` row. */
export const roundFields: Readonly<Record<RoundField, ReadonlyArray<string>>> = {
  id: ["團號", "開團編號", "團購編號", "id", "round id", "round"],
  title: ["團名", "標題", "開團名稱", "團購名稱", "title"],
  cutoff: ["截單", "截單時間", "收單時間", "結單時間", "cutoff", "deadline"],
  timezone: ["時區", "timezone", "time zone"],
  sellers: ["團主", "賣家", "sellers", "seller", "organiser", "organizer"],
  mode: ["模式", "mode"]
}

/** Names of the sheet read as the catalogue, in order of preference. */
export const catalogueSheetNames: ReadonlyArray<string> = [
  "商品",
  "商品清單",
  "品項",
  "products",
  "catalogue",
  "catalog",
  "items"
]
/** Names of the sheet read as the round's fields. */
export const roundSheetNames: ReadonlyArray<string> = ["開團", "團購", "設定", "round", "settings"]

// ---------------------------------------------------------------------------------------------
// Results and errors
// ---------------------------------------------------------------------------------------------

/** A problem (or warning) at a place in the workbook: `sheet` and `cell` as Excel names them (`C7`; empty for the whole sheet). */
export const Problem = Schema.Struct({ sheet: Schema.String, cell: Schema.String, message: Schema.String })
/** A problem at a place in the workbook. */
export type Problem = typeof Problem.Type

/** `商品!C7: …` (the sheet quoted when Excel would quote it). */
export const describe = (p: Problem): string => `${sheetRef(p.sheet)}${p.cell === "" ? "" : `!${p.cell}`}: ${p.message}`

/**
 * The workbook cannot be read as a round. `unreadable`: not an xlsx workbook; `too-large`: more
 * bytes than {@link ReadOptions.maxBytes}; `no-catalogue`: no
 * sheet has a header row with a name and a price column; `invalid`: cells are wrong — `problems`
 * lists every one (sheet, cell, what is wrong), and the message the first few.
 */
export class CatalogueSheetError extends Schema.TaggedError<CatalogueSheetError>()("CatalogueSheetError", {
  reason: Schema.Literals(["unreadable", "too-large", "no-catalogue", "invalid"]),
  message: Schema.String,
  problems: Schema.Array(Problem)
}) {}

/** What {@link read} made of a workbook. */
export interface Imported {
  /** The round file, decoded (defaults applied) and its catalogue checked. */
  readonly spec: RoundSpec.RoundSpec
  /** The same round as a round file is written (only the fields the workbook gave). */
  readonly file: RoundSpec.RoundSpecInput
  /** What was read but not used (an unknown column or key), by place. */
  readonly warnings: ReadonlyArray<Problem>
  /** The sheet read as the catalogue. */
  readonly sheet: string
}

/** Options of {@link read}. */
export interface ReadOptions {
  /** The round's id and title when the workbook gives none (the CLI uses the file's name). */
  readonly defaults?: { readonly id?: string | undefined; readonly title?: string | undefined } | undefined
  /** The largest file read, in bytes (default {@link MAX_BYTES}): a catalogue is a few kilobytes. */
  readonly maxBytes?: number | undefined
}

/** The default {@link ReadOptions.maxBytes}: 20 MiB. */
export const MAX_BYTES = 20 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

interface Grid {
  readonly name: string
  readonly rows: number
  readonly columns: number
  readonly at: (row: number, column: number) => Plain
}

const gridOf = (ws: {
  readonly name: string
  readonly rowCount: number
  readonly columnCount: number
  findCell(row: number, column: number): { readonly value: unknown } | undefined
}): Grid => ({
  name: ws.name,
  rows: ws.rowCount,
  columns: ws.columnCount,
  at: (row, column) => {
    // findCell, not getCell: reading an empty cell must not create it.
    const v = plain(ws.findCell(row, column)?.value)
    return typeof v === "string" && v.trim() === "" ? undefined : v
  }
})

const lookup = <K extends string>(table: Readonly<Record<K, ReadonlyArray<string>>>): Map<string, K> => {
  const m = new Map<string, K>()
  for (const [k, names] of Object.entries(table) as Array<[K, ReadonlyArray<string>]>)
    for (const n of names) m.set(normaliseHeader(n), k)
  return m
}
const columnByHeader = lookup(columns)
const fieldByKey = lookup(roundFields)

interface Header {
  readonly row: number
  readonly columns: ReadonlyMap<Column, number>
  readonly unknown: ReadonlyArray<{ readonly column: number; readonly header: string }>
}

/** The header row of a sheet: the first of its first 20 rows that names a name and a price column. */
const findHeader = (g: Grid, problems: Array<Problem>): Header | undefined => {
  for (let r = 1; r <= Math.min(g.rows, 20); r++) {
    const found = new Map<Column, number>()
    const unknown: Array<{ column: number; header: string }> = []
    for (let c = 1; c <= g.columns; c++) {
      const text = textOf(g.at(r, c))
      if (text === "") continue
      const col = columnByHeader.get(normaliseHeader(text))
      if (col === undefined) unknown.push({ column: c, header: text })
      else if (found.has(col))
        problems.push({
          sheet: g.name,
          cell: address(r, c),
          message: `the column ${text} repeats column ${address(r, found.get(col)!).replace(/\d+$/, "")} (${col})`
        })
      else found.set(col, c)
    }
    if (found.has("name") && found.has("price")) return { row: r, columns: found, unknown }
  }
  return undefined
}

const findSheet = <W extends { readonly name: string }>(sheets: ReadonlyArray<W>, names: ReadonlyArray<string>) => {
  for (const n of names) {
    const w = sheets.find((s) => normaliseHeader(s.name) === normaliseHeader(n))
    if (w !== undefined) return w
  }
  return undefined
}

interface RoundCells {
  readonly values: Map<RoundField, { readonly value: Plain; readonly cell: string; readonly sheet: string }>
}

/** `key | value` rows of a sheet (rows `from`..`to`): the value is the first non-empty cell after the key. */
const readRoundRows = (
  g: Grid,
  from: number,
  to: number,
  into: RoundCells,
  warnings: Array<Problem> | undefined
): void => {
  for (let r = from; r <= to; r++) {
    const keyText = textOf(g.at(r, 1))
    if (keyText === "") continue
    const field = fieldByKey.get(normaliseHeader(keyText))
    if (field === undefined) {
      warnings?.push({ sheet: g.name, cell: address(r, 1), message: `the key ${keyText} is not read` })
      continue
    }
    let c = 2
    while (c <= g.columns && g.at(r, c) === undefined) c++
    into.values.set(field, {
      value: c <= g.columns ? g.at(r, c) : undefined,
      cell: address(r, Math.min(c, Math.max(2, g.columns))),
      sheet: g.name
    })
  }
}

/** One sellable item as a row gave it. */
interface Item {
  readonly row: number
  readonly options: ReadonlyArray<readonly [string, string]>
  readonly sku: string | undefined
  readonly price: number
  readonly stock: number | undefined
  readonly preorder: boolean
  readonly cap: number | undefined
}

interface ProductRows {
  readonly name: string
  readonly number: number
  readonly firstRow: number
  readonly items: Array<Item>
  readonly aliases: Array<string>
  readonly options: Map<string, Map<string, Array<string>>>
  /** The SKU cells given, with their row's item count. */
  readonly skuCells: Array<{ readonly sku: string; readonly cell: string; readonly items: number }>
  hasPlainRow: boolean
  hasOptionRow: boolean
}

const commonPrefix = (xs: ReadonlyArray<string>): string => {
  if (xs.length === 0) return ""
  let p = xs[0]!
  for (const x of xs) while (!x.startsWith(p)) p = p.slice(0, -1)
  return p.replace(/[-_./\s]+$/u, "")
}

/**
 * Reads a catalogue workbook (the bytes of an `.xlsx` file) as a round. Fails with
 * {@link CatalogueSheetError} listing every problem by sheet and cell.
 */
export const read = (bytes: Uint8Array, options: ReadOptions = {}): Effect.Effect<Imported, CatalogueSheetError> =>
  bytes.byteLength > (options.maxBytes ?? MAX_BYTES)
    ? Effect.fail(
        new CatalogueSheetError({
          reason: "too-large",
          message: `the file has ${bytes.byteLength} bytes, more than the ${options.maxBytes ?? MAX_BYTES} a catalogue may have`,
          problems: []
        })
      )
    : Effect.tryPromise({
        try: async () => {
          const ExcelJS = await excel()
          const wb = new ExcelJS.Workbook()
          await wb.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never)
          return wb
        },
        catch: () =>
          new CatalogueSheetError({
            reason: "unreadable",
            message: "not an xlsx workbook (save it from Excel, Numbers or Google Sheets as .xlsx)",
            problems: []
          })
      }).pipe(
        Effect.flatMap((wb) => {
          const result = readWorkbook(wb.worksheets.map(gridOf), options)
          return Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)
        }),
        Effect.withSpan("Catalogue.read")
      )

/** Where a cell is, for sorting: its row, then its column (letters compared by length, then by text). */
const position = (cell: string): readonly [number, number, string] => {
  const m = /^([A-Z]+)(\d+)$/.exec(cell)
  return m === null ? [0, 0, ""] : [Number(m[2]), m[1]!.length, m[1]!]
}

/** Problems in the workbook's order: by sheet, then row, then column; a whole sheet's first. */
const sorted = (problems: ReadonlyArray<Problem>, sheets: ReadonlyArray<string>): Array<Problem> =>
  problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const sa = sheets.indexOf(a.p.sheet)
      const sb = sheets.indexOf(b.p.sheet)
      if (sa !== sb) return sa - sb
      const [ra, la, ca] = position(a.p.cell)
      const [rb, lb, cb] = position(b.p.cell)
      return ra - rb || la - lb || (ca < cb ? -1 : ca > cb ? 1 : 0) || a.i - b.i
    })
    .map(({ p }) => p)

const invalid = (unsorted: ReadonlyArray<Problem>, sheets: ReadonlyArray<string>): CatalogueSheetError => {
  const problems = sorted(unsorted, sheets)
  const shown = problems.slice(0, 8).map(describe)
  if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`)
  return new CatalogueSheetError({ reason: "invalid", message: shown.join("\n"), problems })
}

/** Reads sheets (as grids) into a round: the pure part of {@link read}. */
const readWorkbook = (
  sheets: ReadonlyArray<Grid>,
  options: ReadOptions
): Result.Result<Imported, CatalogueSheetError> => {
  const problems: Array<Problem> = []
  const warnings: Array<Problem> = []
  const sheetNamesInOrder = sheets.map((s) => s.name)
  const headerProblems: Array<Problem> = []
  let sheet = findSheet(sheets, catalogueSheetNames)
  let header = sheet && findHeader(sheet, headerProblems)
  if (header === undefined) {
    for (const s of sheets) {
      const scratch: Array<Problem> = []
      const h = findHeader(s, scratch)
      if (h !== undefined) {
        sheet = s
        header = h
        headerProblems.length = 0
        headerProblems.push(...scratch)
        break
      }
    }
  }
  if (sheet === undefined || header === undefined) {
    const named = findSheet(sheets, catalogueSheetNames)
    return Result.fail(
      new CatalogueSheetError({
        reason: "no-catalogue",
        message: `${named === undefined ? "no sheet" : `the sheet ${sheetRef(named.name)}`} has a header row with a product name (品名) and a price (價格) column in its first 20 rows`,
        problems: []
      })
    )
  }
  const g = sheet
  const h = header
  problems.push(...headerProblems)
  for (const u of h.unknown)
    warnings.push({ sheet: g.name, cell: address(h.row, u.column), message: `the column ${u.header} is not read` })

  // The round's fields: above the header, then the round sheet (which wins).
  const round: RoundCells = { values: new Map() }
  readRoundRows(g, 1, h.row - 1, round, undefined)
  const roundSheet = findSheet(sheets, roundSheetNames)
  if (roundSheet !== undefined && roundSheet !== g) readRoundRows(roundSheet, 1, roundSheet.rows, round, warnings)
  const timezoneCell = round.values.get("timezone")
  const timezone = timezoneCell === undefined ? "Asia/Taipei" : textOf(timezoneCell.value)

  // The catalogue rows.
  const col = (c: Column) => h.columns.get(c)
  const label = (c: Column): string => {
    const k = col(c)
    return k === undefined ? columns[c][0]! : textOf(g.at(h.row, k))
  }
  const products = new Map<string, ProductRows>()
  const order: Array<ProductRows> = []
  let current: ProductRows | undefined
  for (let r = h.row + 1; r <= g.rows; r++) {
    const get = (c: Column): Plain => {
      const k = col(c)
      return k === undefined ? undefined : g.at(r, k)
    }
    const cellOf = (c: Column) => address(r, col(c) ?? 1)
    const known = (Object.keys(columns) as Array<Column>).some((c) => get(c) !== undefined)
    if (!known) continue
    const problem = (c: Column, message: string) => problems.push({ sheet: g.name, cell: cellOf(c), message })
    const quoted = (c: Column) => {
      const v = get(c)
      return typeof v === "number" ? String(v) : JSON.stringify(textOf(v))
    }
    const name = textOf(get("name"))
    let product: ProductRows | undefined
    if (name === "") {
      if (current === undefined) {
        problem("name", `${label("name")} is empty`)
        continue
      }
      product = current
    } else {
      product = products.get(name)
      if (product === undefined) {
        product = {
          name,
          number: order.length + 1,
          firstRow: r,
          items: [],
          aliases: [],
          options: new Map(),
          skuCells: [],
          hasPlainRow: false,
          hasOptionRow: false
        }
        products.set(name, product)
        order.push(product)
      }
    }
    current = product
    const p = product

    const priceValue = wholeNumber(get("price"))
    let price: number | undefined
    if (priceValue === undefined) problem("price", `${label("price")} is empty`)
    else if (typeof priceValue === "object")
      problem("price", `${label("price")} ${quoted("price")} ${priceValue.problem}`)
    else price = priceValue
    const count = (c: Column): number | undefined => {
      const v = wholeNumber(get(c))
      if (typeof v === "object") {
        problem(c, `${label(c)} ${quoted(c)} ${v.problem}`)
        return undefined
      }
      return v
    }
    const stock = count("stock")
    const cap = count("cap")
    const pre = yesNo(get("preorder"))
    let preorder = false
    if (typeof pre === "object") problem("preorder", `${label("preorder")} ${quoted("preorder")} ${pre.problem}`)
    else preorder = pre === true || (pre === undefined && cap !== undefined)
    if (pre === false && cap !== undefined)
      problem("cap", `${label("cap")} is for pre-orders, but ${label("preorder")} says no`)
    if (stock !== undefined && preorder)
      problem(
        pre === true ? "preorder" : "cap",
        `${label("stock")} and ${label(pre === true ? "preorder" : "cap")} cannot both be given (現貨 has a stock, 預購 a cap)`
      )

    for (const a of list(textOf(get("aliases")))) if (!p.aliases.includes(a) && a !== p.name) p.aliases.push(a)

    const optionsText = textOf(get("options"))
    const groups = optionsText === "" ? [] : parseOptions(optionsText)
    if (typeof groups === "string") {
      problem("options", `${label("options")} ${groups}`)
      continue
    }
    const combos = groups.length === 0 ? [[] as ReadonlyArray<readonly [string, string]>] : combinations(groups)
    if (groups.length === 0) p.hasPlainRow = true
    else p.hasOptionRow = true
    for (const group of groups as ReadonlyArray<OptionGroup>) {
      const values = p.options.get(group.name) ?? new Map<string, Array<string>>()
      p.options.set(group.name, values)
      for (const v of group.values) {
        const aliases = values.get(v.value) ?? []
        for (const a of v.aliases) if (!aliases.includes(a)) aliases.push(a)
        values.set(v.value, aliases)
      }
    }
    const sku = textOf(get("sku"))
    if (sku !== "") p.skuCells.push({ sku, cell: cellOf("sku"), items: combos.length })
    if (price === undefined) continue
    for (const combo of combos)
      p.items.push({
        row: r,
        options: combo,
        sku: sku === "" ? undefined : combos.length === 1 ? sku : `${sku}-${combo.map(([, v]) => v).join("-")}`,
        price,
        stock,
        preorder,
        cap
      })
  }
  if (order.length === 0 && problems.length === 0)
    problems.push({
      sheet: g.name,
      cell: address(h.row + 1, col("name")!),
      message: "no products under the header row"
    })

  // Products and variants.
  const skuCell = new Map<string, string>()
  const productFiles: Array<RoundSpec.RoundSpecInput["products"][number]> = []
  for (const p of order) {
    const where = { sheet: g.name, cell: address(p.firstRow, col("options") ?? col("name")!) }
    if (p.hasPlainRow && (p.hasOptionRow || p.items.length > 1)) {
      problems.push({
        ...where,
        message: `${p.name} has several rows: each needs its ${label("options")} (such as 顏色:紅) to tell them apart`
      })
      continue
    }
    const first = p.items[0]
    if (first === undefined) continue
    const supply = (i: Item) =>
      i.stock !== undefined
        ? { stock: i.stock }
        : i.preorder
          ? { preorder: true, ...(i.cap !== undefined ? { cap: i.cap } : {}) }
          : {}
    const aliases = p.aliases.length > 0 ? { aliases: p.aliases } : {}
    if (!p.hasOptionRow) {
      const sku = first.sku ?? `P${p.number}`
      skuCell.set(sku, p.skuCells[0]?.cell ?? address(first.row, col("name")!))
      productFiles.push({ sku, name: p.name, ...aliases, price: first.price, ...supply(first) })
      continue
    }
    const given = p.skuCells.map((s) => s.sku)
    const single = p.skuCells.length === 1 && p.skuCells[0]!.items > 1 ? p.skuCells[0]!.sku : undefined
    const prefix = single ?? commonPrefix(given)
    const productSku =
      prefix !== "" && !p.items.some((i) => i.sku === prefix) && given.length > 0 ? prefix : `P${p.number}`
    const seen = new Map<string, number>()
    const variants = []
    for (const i of p.items) {
      const key = JSON.stringify([...i.options].sort(([a], [b]) => a.localeCompare(b)))
      const before = seen.get(key)
      if (before !== undefined) {
        problems.push({
          sheet: g.name,
          cell: address(i.row, col("options")!),
          message: `${p.name} ${i.options.map(([n, v]) => `${n}:${v}`).join(" ")} is already on row ${before}`
        })
        continue
      }
      seen.set(key, i.row)
      const sku = i.sku ?? `${productSku}-${i.options.map(([, v]) => v).join("-")}`
      skuCell.set(sku, address(i.row, col("sku") ?? col("options")!))
      variants.push({
        sku,
        options: Object.fromEntries(i.options),
        ...(i.price !== first.price ? { price: i.price } : {}),
        ...supply(i)
      })
    }
    skuCell.set(productSku, address(p.firstRow, col("sku") ?? col("name")!))
    productFiles.push({
      sku: productSku,
      name: p.name,
      ...aliases,
      price: first.price,
      options: Object.fromEntries(
        [...p.options].map(([name, values]) => [name, Object.fromEntries([...values].map(([v, a]) => [v, a]))])
      ),
      variants
    })
  }

  // The round's fields.
  const fieldProblem = (f: RoundField, message: string) => {
    const at = round.values.get(f)
    problems.push(at === undefined ? { sheet: g.name, cell: "", message } : { sheet: at.sheet, cell: at.cell, message })
  }
  const text = (f: RoundField): string | undefined => {
    const v = round.values.get(f)
    const t = v === undefined ? "" : textOf(v.value)
    return t === "" ? undefined : t
  }
  const id = text("id") ?? options.defaults?.id
  const title = text("title") ?? options.defaults?.title ?? id
  if (id === undefined)
    fieldProblem("id", `no round id: give 團號 (id) in a "團號 | value" row on a ${roundSheetNames[0]} sheet`)
  let cutoff: string | undefined
  const cutoffCell = round.values.get("cutoff")
  if (cutoffCell !== undefined) {
    const t = timeIn(cutoffCell.value, timezone)
    if (typeof t === "object") fieldProblem("cutoff", `截單 ${JSON.stringify(textOf(cutoffCell.value))} ${t.problem}`)
    else cutoff = t
  }
  if (timezoneCell !== undefined && zoneOffsetMinutes(0, timezone) === undefined)
    fieldProblem("timezone", `時區 ${JSON.stringify(timezone)} is not a time zone (such as Asia/Taipei)`)
  const mode = text("mode")
  const sellers = text("sellers")
  const file: RoundSpec.RoundSpecInput = {
    id: id ?? "",
    title: title ?? "",
    ...(timezoneCell !== undefined ? { timezone } : {}),
    ...(cutoff !== undefined ? { cutoff } : {}),
    ...(mode !== undefined ? { mode: mode.toLowerCase() as "marker" } : {}),
    ...(sellers !== undefined ? { sellers: list(sellers) } : {}),
    products: productFiles as never
  }
  if (problems.length > 0) return Result.fail(invalid(problems, sheetNamesInOrder))

  const decoded = RoundSpec.decode(file)
  if (Result.isFailure(decoded)) {
    for (const issue of SchemaIssue.makeFormatterStandardSchemaV1()(decoded.failure.issue).issues) {
      const key = issue.path?.[0]
      const f = (typeof key === "object" && key !== null ? key.key : key) as string | undefined
      if (f !== undefined && f in roundFields) fieldProblem(f as RoundField, `${f} ${issue.message}`)
      else problems.push({ sheet: g.name, cell: "", message: `${(issue.path ?? []).join(".")}: ${issue.message}` })
    }
    return Result.fail(invalid(problems, sheetNamesInOrder))
  }
  const compiled = CoreCatalogue.compile(decoded.success.products)
  if (Result.isFailure(compiled)) {
    const at = skuCell.get(compiled.failure.sku)
    problems.push({ sheet: g.name, cell: at ?? "", message: compiled.failure.message })
    return Result.fail(invalid(problems, sheetNamesInOrder))
  }
  return Result.succeed({ spec: decoded.success, file, warnings: sorted(warnings, sheetNamesInOrder), sheet: g.name })
}

// ---------------------------------------------------------------------------------------------
// The template
// ---------------------------------------------------------------------------------------------

/** The rows of the {@link template}'s catalogue sheet (header first). */
export const templateRows: ReadonlyArray<ReadonlyArray<string | number>> = [
  ["品名", "規格", "價格", "庫存", "預購", "上限", "別名", "商品編號", "備註"],
  ["韓國毛襪", "顏色:紅(紅色,red)", 120, 20, "", "", "毛襪", "SOCK-R", "成本 60"],
  ["韓國毛襪", "顏色:白(白色,white)", 130, 20, "", "", "", "SOCK-W", ""],
  ["蛋黃酥", "", 300, "", "是", 200, "蛋黄酥、酥", "EGG", "預購,6/1 到貨"],
  ["保溫杯", "", 450, "", "", "", "", "CUP", "不限量"],
  ["帆布袋", "顏色:黑/米; 尺寸:S/L", 250, 5, "", "", "袋子", "", "每款 5 個"]
]

/** The `key | value` rows of the {@link template}'s round sheet. */
export const templateRoundRows: ReadonlyArray<readonly [string, string]> = [
  ["團號", "socks-2024-05"],
  ["團名", "韓國毛襪"],
  ["截單", "2024-05-10 22:00"],
  ["時區", "Asia/Taipei"],
  ["團主", "團主小美"]
]

/**
 * An example catalogue workbook (xlsx bytes): a `商品` sheet with {@link templateRows} (a product
 * with two colour rows, a capped pre-order, an unlimited one, one row giving four variants) and a
 * `開團` sheet with {@link templateRoundRows}. A starting point for organisers, and what the tests
 * and docs/catalogue-sheet.md read.
 */
export const template = (): Effect.Effect<Uint8Array> =>
  Effect.promise(async () => {
    const ExcelJS = await excel()
    const wb = new ExcelJS.Workbook()
    wb.creator = "kaituan"
    wb.created = new Date(Date.UTC(2024, 4, 1))
    wb.modified = new Date(Date.UTC(2024, 4, 1))
    const ws = wb.addWorksheet("商品", { views: [{ state: "frozen", ySplit: 1 }] })
    for (const r of templateRows) ws.addRow([...r])
    ws.getRow(1).font = { bold: true }
    ws.columns.forEach((c, i) => {
      c.width = [12, 26, 8, 8, 8, 8, 14, 12, 16][i] ?? 10
    })
    const rs = wb.addWorksheet("開團")
    for (const r of templateRoundRows) rs.addRow([...r])
    rs.getColumn(1).font = { bold: true }
    rs.getColumn(2).width = 24
    return new Uint8Array(await wb.xlsx.writeBuffer())
  })
