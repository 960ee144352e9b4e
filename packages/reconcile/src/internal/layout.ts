/**
 * Statement layouts: which column holds what, for the named bank layouts, for any other header
 * (by the usual column names) and for an explicit mapping.
 *
 * @internal
 */
import { headerKey } from "./cells.js"

/** Where each field is, as 0-based column indexes. */
export interface Columns {
  readonly date: number
  readonly time?: number | undefined
  readonly postingDate?: number | undefined
  readonly in?: number | undefined
  readonly out?: number | undefined
  readonly amount?: number | undefined
  readonly balance?: number | undefined
  readonly description?: number | undefined
  /** Columns that may hold the payer's account (searched first). */
  readonly account: ReadonlyArray<number>
  /** Columns with free text from the payer or the bank. */
  readonly memo: ReadonlyArray<number>
}

/** A column named by its header text or by its 0-based index. */
export type ColumnRef = string | number

/** An explicit mapping for the generic importer. */
export interface Mapping {
  readonly date: ColumnRef
  readonly time?: ColumnRef | undefined
  readonly postingDate?: ColumnRef | undefined
  /** A signed amount column (negative = money out)… */
  readonly amount?: ColumnRef | undefined
  /** …or separate money-in and money-out columns. */
  readonly in?: ColumnRef | undefined
  readonly out?: ColumnRef | undefined
  readonly balance?: ColumnRef | undefined
  readonly description?: ColumnRef | undefined
  readonly account?: ColumnRef | ReadonlyArray<ColumnRef> | undefined
  readonly memo?: ColumnRef | ReadonlyArray<ColumnRef> | undefined
}

/** The named layouts of RECONCILE.md. */
export type LayoutName = "cathay" | "ctbc" | "post"

/** The named layouts, by their header names. */
export const layouts: Readonly<Record<LayoutName, Mapping>> = {
  // 國泰世華: 交易日期,帳務日期,說明,提出,存入,餘額,交易資訊,備註
  cathay: {
    date: "交易日期",
    postingDate: "帳務日期",
    description: "說明",
    out: "提出",
    in: "存入",
    balance: "餘額",
    account: ["交易資訊", "備註"],
    memo: ["備註", "交易資訊"]
  },
  // 中國信託: 日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記
  ctbc: {
    date: "日期",
    description: "摘要",
    out: "支出",
    in: "存入",
    balance: "餘額",
    account: ["轉出入帳號", "備註", "註記"],
    memo: ["備註", "註記"]
  },
  // 中華郵政: 交易日期,摘要,存摺備註,支出,存入,餘額,附言,備註
  post: {
    date: "交易日期",
    description: "摘要",
    out: "支出",
    in: "存入",
    balance: "餘額",
    account: ["備註", "附言", "存摺備註"],
    memo: ["附言", "存摺備註", "備註"]
  }
}

/** The header names a layout needs, in the order tried by `auto`. */
export const layoutOrder: ReadonlyArray<LayoutName> = ["post", "cathay", "ctbc"]

const refs = (r: ColumnRef | ReadonlyArray<ColumnRef> | undefined): ReadonlyArray<ColumnRef> =>
  r === undefined ? [] : typeof r === "string" || typeof r === "number" ? [r] : r

/** Every header name a mapping refers to. */
export const namesOf = (m: Mapping): ReadonlyArray<string> => {
  const all: Array<ColumnRef> = [
    m.date,
    ...refs(m.time),
    ...refs(m.postingDate),
    ...refs(m.amount),
    ...refs(m.in),
    ...refs(m.out),
    ...refs(m.balance),
    ...refs(m.description),
    ...refs(m.account),
    ...refs(m.memo)
  ]
  return all.filter((r): r is string => typeof r === "string")
}

/** Resolves a mapping against a header row (which may be absent when the mapping uses indexes only). */
export const resolve = (
  m: Mapping,
  header: ReadonlyArray<string> | undefined
):
  | { readonly _tag: "Ok"; readonly columns: Columns }
  | { readonly _tag: "Missing"; readonly names: ReadonlyArray<string> } => {
  const keys = header?.map(headerKey) ?? []
  const missing: Array<string> = []
  const one = (r: ColumnRef | undefined, optional: boolean): number | undefined => {
    if (r === undefined) return undefined
    if (typeof r === "number") return r
    const i = keys.indexOf(headerKey(r))
    if (i < 0) {
      if (!optional) missing.push(r)
      return undefined
    }
    return i
  }
  const many = (r: ColumnRef | ReadonlyArray<ColumnRef> | undefined): ReadonlyArray<number> =>
    refs(r)
      .map((x) => one(x, true))
      .filter((x): x is number => x !== undefined)
  const date = one(m.date, false)
  const amount = one(m.amount, false)
  const inCol = one(m.in, false)
  const out = one(m.out, false)
  const columns: Columns = {
    date: date ?? -1,
    time: one(m.time, false),
    postingDate: one(m.postingDate, true),
    amount,
    in: inCol,
    out,
    balance: one(m.balance, true),
    description: one(m.description, true),
    account: many(m.account),
    memo: many(m.memo)
  }
  if (missing.length > 0) return { _tag: "Missing", names: missing }
  return { _tag: "Ok", columns }
}

/** True when every name a layout needs is in the header row. */
export const matchesLayout = (name: LayoutName, header: ReadonlyArray<string>): boolean => {
  const keys = new Set(header.map(headerKey))
  const m = layouts[name]
  const needed = [m.date, m.in, m.out, m.balance, m.description].filter((x): x is string => typeof x === "string")
  return needed.every((n) => keys.has(headerKey(n)))
}

type Role = "date" | "time" | "postingDate" | "in" | "out" | "amount" | "balance" | "description" | "account" | "memo"

// Tried in order; the first rule that matches a header names its role.
const rules: ReadonlyArray<readonly [RegExp, Role]> = [
  [/^(帳務日期?|記帳日期?|入帳日期?|帳務日|valuedate|postingdate)$/, "postingDate"],
  [/^(交易日期|交易日|日期|交易日期時間|交易日期\/時間|交易日時|交易時間日期|date|transactiondate|txdate)$/, "date"],
  [/^(時間|交易時間|time)$/, "time"],
  [/^(提出|支出|提款|轉出|提|支|支出金額|提款金額|提出金額|轉出金額|debit|withdrawal|withdrawals|out)$/, "out"],
  [/^(存入|收入|轉入|存|收|存入金額|收入金額|轉入金額|credit|deposit|deposits|in)$/, "in"],
  [/^(金額|交易金額|入出金額|amount)$|金額/, "amount"],
  [/餘額|結餘|balance/, "balance"],
  [/^(摘要|說明|交易說明|交易摘要|交易類別|類別|交易項目|description|type)$/, "description"],
  [/帳號|帳戶|銀行代[碼號]|交易資訊|account|counterparty/, "account"],
  [/備註|附言|留言|註記|備忘|轉帳說明|memo|note|remark|message/, "memo"]
]

const roleOf = (key: string): Role | undefined => {
  for (const [re, role] of rules) if (re.test(key)) return role
  return undefined
}

/**
 * Infers the columns of an unknown header row from the usual column names. `undefined` when the
 * row does not look like a header (it needs a date and an amount, or money-in/out columns).
 */
export const infer = (header: ReadonlyArray<string>): Columns | undefined => {
  let date: number | undefined
  let time: number | undefined
  let postingDate: number | undefined
  let inCol: number | undefined
  let out: number | undefined
  let amount: number | undefined
  let balance: number | undefined
  let description: number | undefined
  const account: Array<number> = []
  const memo: Array<number> = []
  header.forEach((cell, i) => {
    const key = headerKey(cell)
    if (key === "") return
    const role = roleOf(key)
    switch (role) {
      case "date":
        if (date === undefined) date = i
        else if (time === undefined && /時間|time/.test(key)) time = i
        break
      case "time":
        if (time === undefined) time = i
        break
      case "postingDate":
        if (postingDate === undefined) postingDate = i
        break
      case "in":
        if (inCol === undefined) inCol = i
        break
      case "out":
        if (out === undefined) out = i
        break
      case "amount":
        if (amount === undefined) amount = i
        break
      case "balance":
        if (balance === undefined) balance = i
        break
      case "description":
        // A second description column (類別, 交易類別) is the bank's wording too, not the payer's.
        if (description === undefined) description = i
        break
      case "account":
        account.push(i)
        if (/資訊|說明/.test(key) || /備註|留言/.test(key)) memo.push(i)
        break
      case "memo":
        memo.push(i)
        account.push(i)
        break
      case undefined:
        break
    }
  })
  // A lone 交易時間 column (no date column) holds the date and time.
  if (date === undefined && time !== undefined) {
    date = time
    time = undefined
  }
  if (date === undefined && postingDate !== undefined) date = postingDate
  if (date === undefined) return undefined
  const hasMoney = amount !== undefined || inCol !== undefined || out !== undefined
  if (!hasMoney) return undefined
  // With separate in/out columns, a 金額 column is not the signed amount.
  if (inCol !== undefined && out !== undefined) amount = undefined
  return { date, time, postingDate, in: inCol, out, amount, balance, description, account, memo }
}
