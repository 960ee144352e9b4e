/**
 * Bank statement importers: Cathay-, CTBC- and Post-office-style CSV exports, any other CSV or
 * `.xlsx` through a column mapping (given, or inferred from the usual column names).
 *
 * The importer detects the encoding (UTF-8 with or without BOM, UTF-16 with BOM, Big5/CP950),
 * skips the bank's preamble by finding the header row itself, reads ROC dates (`113/04/02` → 2024),
 * full-width digits, `NT$`, thousands separators, signed single amounts or separate in/out columns,
 * and takes the payer's bank code + last five digits from whichever column holds them. A row it
 * cannot read is reported with its line number and the reason; the rest still import.
 *
 * @example
 * ```ts
 * import { Statement } from "@kaituan/reconcile"
 * import { Result } from "effect"
 * import { readFileSync } from "node:fs"
 *
 * const statement = Result.getOrThrow(Statement.parseCsv(readFileSync("statement.csv")))
 * for (const bad of statement.unreadable) console.error(`line ${bad.line}: ${bad.message}`)
 * ```
 *
 * @since 0.1.0
 */
import { Data, Effect, Result, Schema } from "effect"
import {
  accountIn,
  type CellRead,
  headerKey,
  isAccountOnly,
  normalise,
  readAmount,
  readDate,
  readTime
} from "./internal/cells.js"
import { hash64 } from "./internal/hash.js"
import {
  type Columns,
  infer,
  type LayoutName,
  layoutOrder,
  layouts,
  type Mapping,
  matchesLayout,
  namesOf,
  resolve
} from "./internal/layout.js"
import {
  decode,
  detectDelimiter,
  detectEncoding,
  type Encoding,
  eachPlainRow,
  parseCsv as parseCsvText,
  plainRows,
  type Row,
  unwrapFormulas
} from "./internal/text.js"
import { isZip, readXlsx } from "./internal/xlsx.js"
import { isoAt, type Transaction, taipeiOffsetMinutes } from "./Transaction.js"

export type { ColumnRef, Mapping } from "./internal/layout.js"
export type { Encoding } from "./internal/text.js"

/** The layouts the importer knows by name; `generic` infers the columns or takes a {@link Mapping}. */
export type Layout = LayoutName | "generic"

/** `auto` (the default) recognises the named layouts and falls back to `generic`. */
export type Format = Layout | "auto"

/** Every format name, for command-line validation. */
export const formats: ReadonlyArray<Format> = ["auto", "cathay", "ctbc", "post", "generic"]

/** The column mapping of each named layout (by header names). */
export const namedLayouts: Readonly<Record<LayoutName, Mapping>> = layouts

/** How to read a statement. Every field is optional. */
export interface Options {
  readonly format?: Format | undefined
  /** Columns for the `generic` layout, by header name or 0-based index. */
  readonly mapping?: Mapping | undefined
  /** The 1-based line of the header row; `0` = no header (a mapping by indexes). Found automatically otherwise. */
  readonly headerLine?: number | undefined
  readonly encoding?: "auto" | "utf-8" | "big5" | undefined
  /** `,`, tab or `;`; detected when absent. */
  readonly delimiter?: string | undefined
  /** The statement's own account (part of each row's identity); read from the preamble when absent. */
  readonly account?: string | undefined
  /** UTC offset of the statement's times, in minutes (default +480, Taiwan). */
  readonly utcOffsetMinutes?: number | undefined
}

/** Why a row could not be read. */
export type UnreadableReason =
  | "malformed-csv"
  | "bad-date"
  | "bad-time"
  | "bad-amount"
  | "no-date"
  | "no-amount"
  | "in-and-out"

/** A row that could not be read: its line number, why, and its text. The other rows still import. */
export class UnreadableRow extends Data.TaggedClass("UnreadableRow")<{
  readonly line: number
  readonly reason: UnreadableReason
  readonly message: string
  readonly text: string
}> {}

/** A line after the header that is not a transaction (a footer such as `共 4 筆`, a repeated header). */
export interface SkippedRow {
  readonly line: number
  readonly text: string
}

/** Why a whole statement could not be read. */
export class StatementError extends Schema.TaggedError<StatementError>()("StatementError", {
  reason: Schema.Literals(["empty", "no-header", "bad-mapping", "unreadable-file"]),
  message: Schema.String
}) {}

/** An imported statement. */
export interface Statement {
  readonly layout: Layout
  readonly encoding: Encoding | "xlsx" | "text"
  /** The statement's own account, from the options or the preamble (`帳號：…`). */
  readonly account?: string | undefined
  /** 1-based line of the header row (0 = none). */
  readonly headerLine: number
  /** Every readable row, in file order. */
  readonly transactions: ReadonlyArray<Transaction>
  readonly unreadable: ReadonlyArray<UnreadableRow>
  readonly skipped: ReadonlyArray<SkippedRow>
}

const SCAN_HEADER_ROWS = 60
const FOOTER =
  /^(共\s*\d+\s*筆|合計|總計|小計|列印|頁次|第\s*\d+\s*頁|以下空白|查詢|資料|註[:：]|說明[:：]|total|page|printed)/i

const rowText = (cells: ReadonlyArray<string>): string => cells.map(normalise).join(",").replace(/,+$/, "")

const findAccount = (rows: ReadonlyArray<Row>): string | undefined => {
  for (const r of rows) {
    for (const c of r.cells) {
      const s = normalise(c)
      const m = /(?:^|[^\d/])(\d[\d-]{8,}\d)(?![\d/])/.exec(s)
      if (m) {
        const digits = m[1]!.replace(/-/g, "")
        if (digits.length >= 10) return digits
      }
    }
  }
  return undefined
}

interface Found {
  readonly layout: Layout
  readonly columns: Columns
  readonly headerIndex: number // index into rows, -1 = no header
}

const findHeader = (rows: ReadonlyArray<Row>, options: Options): Result.Result<Found, StatementError> => {
  const format = options.format ?? "auto"
  const limit = Math.min(rows.length, SCAN_HEADER_ROWS)
  const at = (line: number) => rows.findIndex((r) => r.line === line)

  if (options.mapping !== undefined) {
    const m = options.mapping
    const names = namesOf(m)
    let headerIndex = -1
    if (options.headerLine !== undefined && options.headerLine > 0) headerIndex = at(options.headerLine)
    else if (options.headerLine === undefined && names.length > 0) {
      const keys = names.map(headerKey)
      for (let i = 0; i < limit; i++) {
        const hk = new Set(rows[i]!.cells.map(headerKey))
        if (keys.every((k) => hk.has(k))) {
          headerIndex = i
          break
        }
      }
    }
    if (names.length > 0 && headerIndex < 0)
      return Result.fail(
        new StatementError({
          reason: "no-header",
          message: `no header row with the columns ${names.map((n) => `"${n}"`).join(", ")}`
        })
      )
    if (m.amount === undefined && m.in === undefined && m.out === undefined)
      return Result.fail(
        new StatementError({ reason: "bad-mapping", message: "the mapping needs an amount column or in/out columns" })
      )
    const r = resolve(m, headerIndex >= 0 ? rows[headerIndex]!.cells : undefined)
    if (r._tag === "Missing")
      return Result.fail(
        new StatementError({
          reason: "no-header",
          message: `the header has no column ${r.names.map((n) => `"${n}"`).join(", ")}`
        })
      )
    return Result.succeed({ layout: "generic", columns: r.columns, headerIndex })
  }

  const candidates: ReadonlyArray<LayoutName> = format === "auto" ? layoutOrder : format === "generic" ? [] : [format]
  for (let i = 0; i < limit; i++) {
    const cells = rows[i]!.cells
    for (const name of candidates) {
      if (matchesLayout(name, cells)) {
        const r = resolve(layouts[name], cells)
        if (r._tag === "Ok") return Result.succeed({ layout: name, columns: r.columns, headerIndex: i })
      }
    }
    if (format === "auto" || format === "generic") {
      const columns = infer(cells)
      if (columns) return Result.succeed({ layout: "generic", columns, headerIndex: i })
    }
  }
  const expected =
    format === "auto" || format === "generic"
      ? "a date column (交易日期/日期) and an amount (金額) or in/out columns (存入/支出)"
      : `the ${format} columns ${namesOf(layouts[format])
          .filter((n, i, a) => a.indexOf(n) === i)
          .join(",")}`
  return Result.fail(
    new StatementError({
      reason: "no-header",
      message: `no header row found in the first ${limit} rows; expected ${expected}`
    })
  )
}

interface Draft {
  readonly line: number
  readonly date: string
  readonly time: string | undefined
  readonly postingDate: string | undefined
  readonly amount: number
  readonly balance: number | undefined
  readonly bankCode: string | undefined
  readonly last5: string | undefined
  readonly description: string | undefined
  readonly memo: string
}

const cell = (cells: ReadonlyArray<string>, i: number | undefined): string => (i === undefined ? "" : (cells[i] ?? ""))

type RowResult =
  | { readonly _tag: "Tx"; readonly draft: Draft }
  | { readonly _tag: "Skip" }
  | { readonly _tag: "Note" }
  | { readonly _tag: "Bad"; readonly reason: UnreadableReason; readonly message: string }

/** What {@link readRow} needs about the columns, computed once per statement. */
interface Plan {
  readonly c: Columns
  readonly headerKeys: string | undefined
  /** Account columns, each with whether a bare number counts as an account there. */
  readonly accountCols: ReadonlyArray<readonly [number, boolean]>
  /** Memo and account columns whose text goes into the memo, without duplicates or the description. */
  readonly textCols: ReadonlyArray<number>
}

const planOf = (c: Columns, headerKeys: string | undefined): Plan => {
  const memoSet = new Set(c.memo)
  const textCols: Array<number> = []
  for (const i of [...c.memo, ...c.account]) if (!textCols.includes(i) && i !== c.description) textCols.push(i)
  return { c, headerKeys, accountCols: c.account.map((i) => [i, !memoSet.has(i)] as const), textCols }
}

const readRow = (line: number, cells: ReadonlyArray<string>, plan: Plan): RowResult => {
  const { c, headerKeys } = plan
  // Each cell is normalised once; the readers below take both texts (the raw one for messages).
  const norm = new Array<string>(cells.length)
  let nonEmpty = 0
  let first = ""
  for (let i = 0; i < cells.length; i++) {
    const x = cells[i]!
    const t = normalise(x)
    norm[i] = t
    if (t !== "" && x.trim() !== "") {
      if (nonEmpty === 0) first = t
      nonEmpty++
    }
  }
  if (nonEmpty === 0) return { _tag: "Skip" }
  const ncell = (i: number | undefined): string => (i === undefined ? "" : (norm[i] ?? ""))
  const dateRead = readDate(cell(cells, c.date), ncell(c.date))
  if (dateRead._tag !== "Value") {
    if (nonEmpty <= 1 || FOOTER.test(first)) return { _tag: "Note" }
    // a repeated header (a new page)
    if (headerKeys !== undefined && cells.map(headerKey).join("|") === headerKeys) return { _tag: "Note" }
    return dateRead._tag === "Blank"
      ? { _tag: "Bad", reason: "no-date", message: "the date is empty" }
      : { _tag: "Bad", reason: "bad-date", message: dateRead.message }
  }
  let time = dateRead.value.time
  if (c.time !== undefined && c.time !== c.date) {
    const t = readTime(cell(cells, c.time), ncell(c.time))
    if (t._tag === "Bad") return { _tag: "Bad", reason: "bad-time", message: t.message }
    if (t._tag === "Value") time = t.value
  }
  let amount: number
  const amountOf = (r: CellRead<number>, what: string): number | undefined | { readonly bad: string } =>
    r._tag === "Value" ? r.value : r._tag === "Blank" ? undefined : { bad: `${what}: ${r.message}` }
  if (c.in !== undefined || c.out !== undefined) {
    const i = amountOf(readAmount(cell(cells, c.in), ncell(c.in)), "money in")
    const o = amountOf(readAmount(cell(cells, c.out), ncell(c.out)), "money out")
    if (typeof i === "object") return { _tag: "Bad", reason: "bad-amount", message: i.bad }
    if (typeof o === "object") return { _tag: "Bad", reason: "bad-amount", message: o.bad }
    const hasIn = i !== undefined && i !== 0
    const hasOut = o !== undefined && o !== 0
    if (hasIn && hasOut)
      return { _tag: "Bad", reason: "in-and-out", message: `both money in (${i}) and money out (${o})` }
    if (hasIn) amount = i
    else if (hasOut) amount = -Math.abs(o)
    else if (i === 0 || o === 0) amount = 0
    else if (c.amount !== undefined) {
      const a = amountOf(readAmount(cell(cells, c.amount), ncell(c.amount)), "amount")
      if (typeof a === "object") return { _tag: "Bad", reason: "bad-amount", message: a.bad }
      if (a === undefined) return { _tag: "Bad", reason: "no-amount", message: "no amount in or out" }
      amount = a
    } else return { _tag: "Bad", reason: "no-amount", message: "no amount in or out" }
  } else {
    const a = amountOf(readAmount(cell(cells, c.amount), ncell(c.amount)), "amount")
    if (typeof a === "object") return { _tag: "Bad", reason: "bad-amount", message: a.bad }
    if (a === undefined) return { _tag: "Bad", reason: "no-amount", message: "the amount is empty" }
    amount = a
  }
  const bal = c.balance === undefined ? undefined : readAmount(cell(cells, c.balance), ncell(c.balance))
  const balance = bal?._tag === "Value" ? bal.value : undefined
  let posting: string | undefined
  if (c.postingDate !== undefined && c.postingDate !== c.date) {
    const p = readDate(cell(cells, c.postingDate), ncell(c.postingDate))
    if (p._tag === "Value" && p.value.date !== dateRead.value.date) posting = p.value.date
  }
  // The payer's account: account columns first (a bare number counts there), then memo columns.
  let account: { readonly bankCode?: string | undefined; readonly last5: string } | undefined
  for (const [i, bare] of plan.accountCols) {
    account = accountIn(ncell(i), bare)
    if (account) break
  }
  if (!account)
    for (const i of c.memo) {
      account = accountIn(ncell(i), false)
      if (account) break
    }
  // The memo: the text of memo and account columns that is not just an account number.
  let memo = ""
  for (const i of plan.textCols) {
    const raw = cells[i]
    if (raw === undefined || raw === "") continue
    const t = norm[i]!
    if (t === "" || isAccountOnly(t)) continue
    if (memo === "") memo = t
    else if (!` ${memo} `.includes(` ${t} `)) memo = `${memo} ${t}`
  }
  const description = c.description === undefined ? undefined : ncell(c.description) || undefined
  return {
    _tag: "Tx",
    draft: {
      line,
      date: dateRead.value.date,
      time,
      postingDate: posting,
      amount,
      balance,
      bankCode: account?.bankCode,
      last5: account?.last5,
      description,
      memo
    }
  }
}

// `join` builds the key in one piece (a template would chain its parts, slower to hash and to look up).
const identityKey = (account: string, d: Draft): string =>
  [
    account,
    "|",
    d.date,
    "T",
    d.time ?? "",
    "|",
    String(d.amount),
    "|",
    d.balance === undefined ? "" : String(d.balance),
    "|",
    d.bankCode ?? "",
    "-",
    d.last5 ?? ""
  ].join("")

/**
 * Gives each row its stable id: a hash of the account, date/time, amount, balance, payer account
 * and the occurrence index among rows with the same values (ordered by memo, then line, so the
 * file's sort order does not change the ids).
 */
const withIds = (account: string, drafts: ReadonlyArray<Draft>, offset: number): ReadonlyArray<Transaction> => {
  const groups = new Map<string, Array<number>>()
  const keys = drafts.map((d, i) => {
    const k = identityKey(account, d)
    const g = groups.get(k)
    if (g) g.push(i)
    else groups.set(k, [i])
    return k
  })
  const occurrence = new Array<number>(drafts.length).fill(0)
  for (const g of groups.values()) {
    if (g.length === 1) continue
    g.sort((a, b) => {
      const ma = drafts[a]!.memo
      const mb = drafts[b]!.memo
      return ma < mb ? -1 : ma > mb ? 1 : drafts[a]!.line - drafts[b]!.line
    })
    g.forEach((idx, n) => {
      occurrence[idx] = n
    })
  }
  // Rows of one day (and time) come together: they share one `at` string.
  let lastDate = ""
  let lastTime: string | undefined
  let lastAt = ""
  const atOf = (d: Draft): string => {
    if (lastAt === "" || d.date !== lastDate || d.time !== lastTime) {
      lastDate = d.date
      lastTime = d.time
      lastAt = isoAt(d.date, d.time, offset)
    }
    return lastAt
  }
  return drafts.map((d, i): Transaction => {
    const id = hash64(`${keys[i]}|${occurrence[i]}`, "tx_")
    // The usual row of a date-only statement, as one literal: the same keys in the same order as
    // below, but every property in the object itself (added ones go to a separate array).
    if (
      d.time === undefined &&
      d.balance !== undefined &&
      d.bankCode !== undefined &&
      d.last5 !== undefined &&
      d.description !== undefined &&
      d.postingDate === undefined
    )
      return {
        id,
        source: "statement",
        row: d.line,
        date: d.date,
        at: atOf(d),
        amount: d.amount,
        memo: d.memo,
        balance: d.balance,
        bankCode: d.bankCode,
        last5: d.last5,
        description: d.description
      }
    const tx: { -readonly [K in keyof Transaction]: Transaction[K] } = {
      id,
      source: "statement",
      row: d.line,
      date: d.date,
      at: atOf(d),
      amount: d.amount,
      memo: d.memo
    }
    if (d.time !== undefined) tx.time = d.time
    if (d.balance !== undefined) tx.balance = d.balance
    if (d.bankCode !== undefined) tx.bankCode = d.bankCode
    if (d.last5 !== undefined) tx.last5 = d.last5
    if (d.description !== undefined) tx.description = d.description
    if (d.postingDate !== undefined) tx.postingDate = d.postingDate
    return tx
  })
}

/**
 * Reads already-split rows (from CSV or a spreadsheet): finds the header, reads each row, and
 * reports unreadable rows. Pure.
 */
export const parseRows = (
  rows: ReadonlyArray<Row>,
  options: Options = {},
  encoding: Statement["encoding"] = "text",
  badLines: ReadonlyArray<{ readonly line: number; readonly message: string }> = []
): Result.Result<Statement, StatementError> => {
  if (!rows.some((r) => r.cells.some((c) => normalise(c) !== "")))
    return Result.fail(new StatementError({ reason: "empty", message: "the statement has no rows" }))
  return Result.map(
    findHeader(rows, options),
    (found) =>
      readBody(rows, found, options, encoding, badLines, (onRow) => {
        for (let i = found.headerIndex + 1; i < rows.length; i++) {
          const row = rows[i]!
          onRow(row.line, row.cells)
        }
        return true
      })!
  )
}

/**
 * Reads the rows after the header (given one by one by `eachRow`, which may give up: then
 * `undefined`) into a statement. `head` holds the header row and the rows before it.
 */
const readBody = (
  head: ReadonlyArray<Row>,
  found: Found,
  options: Options,
  encoding: Statement["encoding"],
  badLines: ReadonlyArray<{ readonly line: number; readonly message: string }>,
  eachRow: (onRow: (line: number, cells: ReadonlyArray<string>) => void) => boolean
): Statement | undefined => {
  const headerKeys = found.headerIndex >= 0 ? head[found.headerIndex]!.cells.map(headerKey).join("|") : undefined
  const plan = planOf(found.columns, headerKeys)
  const drafts: Array<Draft> = []
  const unreadable: Array<UnreadableRow> = badLines.map(
    (b) => new UnreadableRow({ line: b.line, reason: "malformed-csv", message: b.message, text: "" })
  )
  const skipped: Array<SkippedRow> = []
  const complete = eachRow((line, cells) => {
    const r = readRow(line, cells, plan)
    switch (r._tag) {
      case "Tx":
        drafts.push(r.draft)
        break
      case "Skip":
        break
      case "Note":
        skipped.push({ line, text: rowText(cells) })
        break
      case "Bad":
        unreadable.push(new UnreadableRow({ line, reason: r.reason, message: r.message, text: rowText(cells) }))
        break
    }
  })
  if (!complete) return undefined
  unreadable.sort((a, b) => a.line - b.line)
  const account = options.account ?? findAccount(head.slice(0, Math.max(0, found.headerIndex)))
  const transactions = withIds(account ?? "", drafts, options.utcOffsetMinutes ?? taipeiOffsetMinutes)
  const statement: Statement = {
    layout: found.layout,
    encoding,
    headerLine: found.headerIndex >= 0 ? head[found.headerIndex]!.line : 0,
    transactions,
    unreadable,
    skipped,
    ...(account !== undefined ? { account } : {})
  }
  return statement
}

/**
 * Plain CSV (most bank exports, see `eachPlainRow`): the header is found in the first lines,
 * then the body is read row by row, without a list of every row. `undefined` when the text needs
 * the general path (csv-parse), which then gives the same statement.
 */
const streamCsv = (
  text: string,
  options: Options,
  encoding: Statement["encoding"]
): Result.Result<Statement, StatementError> | undefined => {
  // A header line given by number may lie past the first lines: the general path finds it.
  if (options.headerLine !== undefined) return undefined
  const delimiter = options.delimiter ?? detectDelimiter(text)
  const unwrapped = unwrapFormulas(text, delimiter)
  const head = plainRows(unwrapped, delimiter, { toLine: SCAN_HEADER_ROWS })
  if (head === undefined || !head.some((r) => r.cells.some((c) => normalise(c) !== ""))) return undefined
  const found = findHeader(head, options)
  if (Result.isFailure(found)) return undefined
  const headerIndex = found.success.headerIndex
  const fromLine = headerIndex >= 0 ? head[headerIndex]!.line + 1 : 1
  const statement = readBody(head, found.success, options, encoding, [], (onRow) =>
    eachPlainRow(unwrapped, delimiter, { fromLine }, onRow)
  )
  return statement === undefined ? undefined : Result.succeed(statement)
}

/** CSV text → rows: the first lines to find the header, then the rest from the header line on. */
const csvRows = (text: string, options: Options): ReturnType<typeof parseCsvText> => {
  const delimiter = options.delimiter ?? detectDelimiter(text)
  const head = parseCsvText(text, delimiter, { toLine: SCAN_HEADER_ROWS })
  const found = findHeader(head.rows, options)
  const from =
    Result.isSuccess(found) && found.success.headerIndex >= 0 ? head.rows[found.success.headerIndex]!.line : 1
  if (from <= 1) return parseCsvText(text, delimiter)
  const body = parseCsvText(text, delimiter, { fromLine: from })
  return {
    rows: [...head.rows.filter((r) => r.line < from), ...body.rows],
    bad: [...head.bad.filter((b) => b.line < from), ...body.bad]
  }
}

/** Decoded CSV text → statement: plain CSV streamed, anything else through csv-parse. */
const parseDecoded = (
  text: string,
  options: Options,
  encoding: Statement["encoding"]
): Result.Result<Statement, StatementError> => {
  const streamed = streamCsv(text, options, encoding)
  if (streamed !== undefined) return streamed
  const { rows, bad } = csvRows(text, options)
  return parseRows(rows, options, encoding, bad)
}

/** Reads CSV text that is already decoded. Pure. */
export const parseText = (text: string, options: Options = {}): Result.Result<Statement, StatementError> =>
  parseDecoded(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, options, "text")

/** Detects the encoding of CSV bytes (or takes the one given) and decodes them. */
export const decodeBytes = (
  bytes: Uint8Array,
  encoding: Options["encoding"] = "auto"
): { readonly text: string; readonly encoding: Encoding } => {
  const detected = detectEncoding(bytes)
  const enc: Encoding =
    encoding === "big5" ? "big5" : encoding === "utf-8" ? (detected === "utf-8-bom" ? "utf-8-bom" : "utf-8") : detected
  return { text: decode(bytes, enc), encoding: enc }
}

/** Reads a CSV statement from its bytes (any supported encoding). Pure and synchronous. */
export const parseCsv = (bytes: Uint8Array, options: Options = {}): Result.Result<Statement, StatementError> => {
  if (bytes.length === 0) return Result.fail(new StatementError({ reason: "empty", message: "the file is empty" }))
  const { text, encoding } = decodeBytes(bytes, options.encoding)
  return parseDecoded(text, options, encoding)
}

/** Reads the first sheet of an `.xlsx` statement. */
export const parseXlsx = (bytes: Uint8Array, options: Options = {}): Effect.Effect<Statement, StatementError> =>
  Effect.tryPromise({
    try: () => readXlsx(bytes),
    catch: (e) =>
      new StatementError({
        reason: "unreadable-file",
        message: `not a readable .xlsx file (${e instanceof Error ? e.message : String(e)})`
      })
  }).pipe(Effect.flatMap((rows) => Effect.fromResult(parseRows(rows, options, "xlsx"))))

/** Reads a statement from its bytes: `.xlsx` when the bytes are a ZIP container, CSV otherwise. */
export const parse = (bytes: Uint8Array, options: Options = {}): Effect.Effect<Statement, StatementError> =>
  isZip(bytes) ? parseXlsx(bytes, options) : Effect.fromResult(parseCsv(bytes, options))
