/**
 * `kaituan reconcile --orders ORDERS.json --statement FILE [--format auto|cathay|ctbc|post|generic] [--json]`
 * `kaituan reconcile --db DB --round ID --statement FILE [--format …] [--json]`
 *
 * Imports a bank statement export (CSV in Big5 or UTF-8, or .xlsx) and matches its transfers to
 * the open orders (RECONCILE.md): offline, to the orders of a hand-written ORDERS.json, or in a
 * database, to the round's orders awaiting payment, recording the matched payments (the
 * `@kaituan/reconcile` Payments service). Unreadable rows are reported on stderr with their line
 * numbers; the rest still import. Bad input exits 2 with a message naming the file, the line or
 * entry, and what is wrong. */
import { Matcher, Payments, Statement, type Transaction } from "@kaituan/reconcile"
import { Effect, Result, Schema } from "effect"
import {
  type ChunkedWriter,
  type Command,
  chunkedWriter,
  type Io,
  flags,
  jsonErrorAt,
  jsonNumber,
  jsonString,
  prettyJson,
  readInputFile,
  readJsonFile,
  UsageError
} from "../Io.js"
import { type Issue, issuesOf } from "../Issues.js"
import { tableLines } from "../Table.js"

export const usage = `kaituan reconcile --orders ORDERS.json --statement FILE [--format auto|cathay|ctbc|post|generic] [--json]
kaituan reconcile --db PATH|postgres://… --round ID --statement FILE [--format …] [--json]

Matches a bank statement (CSV in Big5 or UTF-8 as the bank exports it, or .xlsx) to the open
orders in ORDERS.json: [{"orderId", "buyer": {"id", "name"}, "amountDue", "last5"?, "placedAt", "paid"?}].
A transfer is matched only with the exact amount and evidence of who sent it (the last five
digits the buyer reported, an account that paid before, or the buyer's name or order id in the
memo); everything else goes to review, unmatched or ignored, with the reason.

With --db and --round, the statement is applied to the round's orders awaiting payment in the
database (as \`round replay --db\` wrote it): matched transfers are recorded as payments and the
orders become paid; review and unmatched rows are listed, not recorded. Importing the same
statement again changes nothing (transaction ids are the idempotency keys).`

/** One order in the JSON output (docs/cli.md). */
export interface OrderJson {
  readonly orderId: string
  readonly status: Matcher.OrderStatus
  readonly due: number
  readonly paid: number
}

/** One transaction in the JSON output (docs/cli.md), with optional extra fields. */
export interface TransactionJson {
  readonly row: number | undefined
  readonly date: string
  readonly time?: string
  readonly amount: number
  readonly bankCode?: string
  readonly last5?: string
  readonly memo: string
  readonly status: Matcher.Status
  readonly orderIds: ReadonlyArray<string>
  readonly reason: Matcher.Reason
  readonly detail?: "partial" | "overpaid"
  readonly explanation: string
  readonly candidates?: ReadonlyArray<{
    readonly buyerId: string
    readonly orderIds: ReadonlyArray<string>
    readonly open: number
    readonly fit: Matcher.Fit
    readonly identified: boolean
  }>
  readonly id: string
}

/** Where a JSON text stops being valid, as `line L, column C` (re-exported from `Io`). */
export { jsonErrorAt }

const describeIssue = (issue: Issue): string =>
  `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`

const decodeOrder = Schema.decodeUnknownResult(Matcher.Order, { onExcessProperty: "ignore" })

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0
const isDigits5 = (v: unknown): v is string => typeof v === "string" && v.length === 5 && /^\d{5}$/.test(v)

/**
 * The decoded order of an ORDERS.json entry in the common shape, without the schema decoder
 * (which takes most of the time of a large file); `undefined` when the entry is not plainly valid,
 * and the schema then decides and names what is wrong. What it accepts the schema accepts, and
 * it returns what the schema returns: the declared fields, in the schema's order.
 */
const plainOrder = (e: unknown): Matcher.Order | undefined => {
  if (!isObject(e)) return undefined
  const { orderId, buyer, amountDue, placedAt, last5, paid } = e
  if (typeof orderId !== "string" || orderId.length === 0 || !isObject(buyer) || !isCount(amountDue)) return undefined
  if (typeof buyer.id !== "string" || buyer.id.length === 0) return undefined
  if ((Object.hasOwn(buyer, "name") && typeof buyer.name !== "string") || Object.hasOwn(e, "payments")) return undefined
  if (Object.hasOwn(e, "placedAt") && typeof placedAt !== "string") return undefined
  if (Object.hasOwn(e, "last5") && !isDigits5(last5)) return undefined
  if (Object.hasOwn(e, "paid") && !isCount(paid)) return undefined
  return {
    orderId,
    buyer: Object.hasOwn(buyer, "name") ? { id: buyer.id, name: buyer.name as string } : { id: buyer.id },
    amountDue,
    ...(Object.hasOwn(e, "placedAt") ? { placedAt: placedAt as string } : {}),
    ...(Object.hasOwn(e, "last5") ? { last5: last5 as string } : {}),
    ...(Object.hasOwn(e, "paid") ? { paid: paid as number } : {})
  }
}

/** Reads and validates ORDERS.json. */
export const loadOrders = (file: string, cwd: string): ReadonlyArray<Matcher.Order> => {
  const json = readJsonFile(file, "the orders file", cwd)
  if (!Array.isArray(json)) throw new UsageError(`${file}: expected a JSON array of orders`)
  const orders: Array<Matcher.Order> = []
  const seen = new Set<string>()
  for (let i = 0; i < json.length; i++) {
    const entry: unknown = json[i]
    const label = () =>
      `${file}: order ${i + 1}${isObject(entry) && "orderId" in entry ? ` (orderId ${JSON.stringify(entry.orderId)})` : ""}`
    let o = plainOrder(entry)
    if (o === undefined) {
      const decoded = decodeOrder(entry)
      if (Result.isFailure(decoded)) {
        const issues = issuesOf(decoded.failure)
        throw new UsageError(`${label()}: ${issues.map(describeIssue).join("; ")}`)
      }
      o = decoded.success
    }
    if (o.placedAt !== undefined && Number.isNaN(Date.parse(o.placedAt)))
      throw new UsageError(`${label()}: placedAt "${o.placedAt}" is not an ISO 8601 date-time`)
    if (seen.has(o.orderId)) throw new UsageError(`${label()}: the orderId appears twice`)
    seen.add(o.orderId)
    orders.push(o)
  }
  return orders
}

const money = (n: number): string => n.toLocaleString("en-US")

/**
 * Whether the own properties of `o` that have a value (`JSON.stringify` leaves out `undefined`
 * ones) are exactly `keys`, in that order: then a fixed encoder writes what `JSON.stringify` writes.
 */
const hasKeysInOrder = (o: object, keys: ReadonlyArray<string>): boolean => {
  let n = 0
  for (const k in o) {
    if (!Object.hasOwn(o, k) || (o as Record<string, unknown>)[k] === undefined) continue
    if (keys[n++] !== k) return false
  }
  return n === keys.length
}

const candidateKeys = ["buyerId", "orderIds", "open", "fit", "identified"]
const orderKeys = ["orderId", "status", "due", "paid"]

/** `["a", "b"]` as `JSON.stringify(…, null, 2)` writes it at `indent`. */
const stringArray = (xs: ReadonlyArray<string>, indent: string): string => {
  if (xs.length === 0) return "[]"
  const inner = `${indent}  `
  let s = "["
  for (let i = 0; i < xs.length; i++) s += `${i > 0 ? "," : ""}\n${inner}${jsonString(xs[i]!)}`
  return `${s}\n${indent}]`
}

/**
 * One transaction of the JSON output as `JSON.stringify(t, null, 2)` writes it at `indent`, from
 * its known fields (the general encoder takes most of the output's time); an object with other
 * fields, or in another order, goes to the general encoder, so the output never silently differs.
 */
export const encodeTransaction = (t: TransactionJson, indent: string): string => {
  const i1 = `${indent}  `
  let s = "{"
  const keys: Array<string> = []
  const field = (key: string, json: string) => {
    s += `${keys.length === 0 ? "" : ","}\n${i1}"${key}": ${json}`
    keys.push(key)
  }
  if (t.row !== undefined) field("row", jsonNumber(t.row))
  field("date", jsonString(t.date))
  if (t.time !== undefined) field("time", jsonString(t.time))
  field("amount", jsonNumber(t.amount))
  if (t.bankCode !== undefined) field("bankCode", jsonString(t.bankCode))
  if (t.last5 !== undefined) field("last5", jsonString(t.last5))
  field("memo", jsonString(t.memo))
  field("status", jsonString(t.status))
  field("orderIds", stringArray(t.orderIds, i1))
  field("reason", jsonString(t.reason))
  if (t.detail !== undefined) field("detail", jsonString(t.detail))
  field("explanation", jsonString(t.explanation))
  if (t.candidates !== undefined) {
    const i2 = `${i1}  `
    const i3 = `${i2}  `
    let c = t.candidates.length === 0 ? "[]" : "["
    for (let k = 0; k < t.candidates.length; k++) {
      const x = t.candidates[k]!
      if (!hasKeysInOrder(x, candidateKeys)) return prettyJson(t, indent)!
      c +=
        `${k > 0 ? "," : ""}\n${i2}{\n${i3}"buyerId": ${jsonString(x.buyerId)},\n${i3}"orderIds": ${stringArray(x.orderIds, i3)},` +
        `\n${i3}"open": ${jsonNumber(x.open)},\n${i3}"fit": ${jsonString(x.fit)},\n${i3}"identified": ${x.identified ? "true" : "false"}\n${i2}}`
    }
    field("candidates", t.candidates.length === 0 ? c : `${c}\n${i1}]`)
  }
  field("id", jsonString(t.id))
  return hasKeysInOrder(t, keys) ? `${s}\n${indent}}` : prettyJson(t, indent)!
}

/** One order of the JSON output, as `JSON.stringify(o, null, 2)` writes it at `indent` (see {@link encodeTransaction}). */
export const encodeOrder = (o: OrderJson, indent: string): string => {
  const i1 = `${indent}  `
  return hasKeysInOrder(o, orderKeys)
    ? `{\n${i1}"orderId": ${jsonString(o.orderId)},\n${i1}"status": ${jsonString(o.status)},\n${i1}"due": ${jsonNumber(o.due)},\n${i1}"paid": ${jsonNumber(o.paid)}\n${indent}}`
    : prettyJson(o, indent)!
}

/** `JSON.stringify({ [key]: items }, null, 2)`'s lines for one array field, written as they are encoded. */
const writeArrayField = async <A>(
  out: ChunkedWriter,
  key: string,
  items: ReadonlyArray<A>,
  encode: (a: A, indent: string) => string
): Promise<void> => {
  out.push(`  ${jsonString(key)}: `)
  if (items.length === 0) {
    out.push("[]")
    return
  }
  out.push("[")
  for (let i = 0; i < items.length; i++) {
    out.push(`${i > 0 ? "," : ""}\n    ${encode(items[i]!, "    ")}`)
    if (out.full()) await out.flush()
  }
  out.push("\n  ]")
}

/**
 * One transaction of the output with its decision. Fields in the documented order; optional ones
 * only when present (assigned in turn, not spread: the objects are many).
 */
const transactionJson = (t: Transaction.Transaction, d: Matcher.Decision): TransactionJson => {
  const j: Record<string, unknown> = { row: t.row, date: t.date }
  if (t.time !== undefined) j.time = t.time
  j.amount = t.amount
  if (t.bankCode !== undefined) j.bankCode = t.bankCode
  if (t.last5 !== undefined) j.last5 = t.last5
  j.memo = t.memo
  j.status = d.status
  j.orderIds = d.orderIds
  j.reason = d.reason
  if (d.detail !== undefined) j.detail = d.detail
  j.explanation = d.explanation
  if (d.status === "review")
    j.candidates = d.candidates.map((c) => ({
      buyerId: c.buyerId,
      orderIds: c.orderIds,
      open: c.open,
      fit: c.fit,
      identified: c.identified
    }))
  j.id = t.id
  return j as unknown as TransactionJson
}

/** The decisions table's lines (row, date, amount, account, memo, status, orders, why). */
const transactionTable = (transactions: ReadonlyArray<TransactionJson>): Iterable<string> =>
  tableLines(
    ["row", "date", "amount", "account", "memo", "status", "orders", "why"],
    transactions.map((t) => [
      t.row ?? 0,
      t.time !== undefined ? `${t.date} ${t.time.slice(0, 5)}` : t.date,
      t.amount,
      t.last5 !== undefined ? `${t.bankCode !== undefined ? `(${t.bankCode})` : ""}…${t.last5}` : "",
      t.memo,
      t.status,
      t.orderIds.join(" "),
      t.explanation
    ])
  )

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    orders: { type: "string" },
    statement: { type: "string" },
    format: { type: "string", default: "auto" },
    json: { type: "boolean", default: false },
    db: { type: "string" },
    round: { type: "string" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (values.db !== undefined || values.round !== undefined) {
    if (values.orders !== undefined)
      throw new UsageError("reconcile: give --orders ORDERS.json (offline) or --db DB --round ID, not both")
    if (!values.db) throw new UsageError("reconcile: --db PATH|postgres://… is required with --round")
    if (!values.round) throw new UsageError("reconcile: --round ID is required with --db")
    if (!values.statement) throw new UsageError("reconcile: --statement FILE is required")
    const format = values.format as Statement.Format
    if (!Statement.formats.includes(format))
      throw new UsageError(`reconcile: unknown --format "${values.format}" (one of ${Statement.formats.join(", ")})`)
    return runDb({ db: values.db, roundId: values.round, file: values.statement, format, json: values.json }, io)
  }
  if (!values.orders) throw new UsageError("reconcile: --orders ORDERS.json is required")
  if (!values.statement) throw new UsageError("reconcile: --statement FILE is required")
  const format = values.format as Statement.Format
  if (!Statement.formats.includes(format))
    throw new UsageError(`reconcile: unknown --format "${values.format}" (one of ${Statement.formats.join(", ")})`)

  const orders = loadOrders(values.orders, io.cwd)
  const file = values.statement
  const bytes = readInputFile(file, "the statement", io.cwd)
  const imported = await Effect.runPromise(
    Effect.result(Statement.parse(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { format }))
  )
  if (Result.isFailure(imported)) throw new UsageError(`${file}: ${imported.failure.message}`)
  const statement = imported.success
  for (const bad of statement.unreadable)
    io.stderr.write(`${file}:${bad.line}: skipped, ${bad.message}${bad.text ? ` [${bad.text}]` : ""}\n`)

  const result = Matcher.match({ orders, transactions: statement.transactions })
  const byId = new Map(result.decisions.map((d) => [d.transactionId, d]))
  const transactions: Array<TransactionJson> = statement.transactions.map((t) => transactionJson(t, byId.get(t.id)!))
  const ordersOut: Array<OrderJson> = result.orders.map((o) => ({
    orderId: o.orderId,
    status: o.status,
    due: o.due,
    paid: o.paid
  }))

  // Written in chunks as it is encoded: the same bytes as one `JSON.stringify(…, null, 2)`.
  const out = chunkedWriter(io.stdout)
  if (values.json) {
    out.push("{\n")
    await writeArrayField(out, "transactions", transactions, encodeTransaction)
    out.push(",\n")
    await writeArrayField(out, "orders", ordersOut, encodeOrder)
    out.push("\n}\n")
    await out.flush()
    return 0
  }
  const s = result.summary
  const names = new Map(orders.map((o) => [o.orderId, o.buyer.name ?? o.buyer.id]))
  out.push(
    `${file}: ${statement.layout} layout, ${statement.encoding}, ${statement.transactions.length} transactions` +
      (statement.unreadable.length > 0 ? `, ${statement.unreadable.length} unreadable rows (see above)` : "") +
      "\n" +
      `matched ${s.matched} (NT$${money(s.applied)}), review ${s.review}, unmatched ${s.unmatched}, ignored ${s.ignored}\n\n`
  )
  const tables = [
    transactionTable(transactions),
    tableLines(
      ["order", "buyer", "due", "paid", "status"],
      ordersOut.map((o) => [o.orderId, names.get(o.orderId) ?? "", o.due, o.paid, o.status])
    )
  ]
  for (let k = 0; k < tables.length; k++) {
    let first = true
    for (const line of tables[k]!) {
      out.push(first ? line : `\n${line}`)
      first = false
      if (out.full()) await out.flush()
    }
    out.push(k < tables.length - 1 ? "\n\n" : "\n")
  }
  await out.flush()
  return 0
}

/**
 * `reconcile --db DB --round ID --statement FILE`: applies the statement to the round's orders in
 * the database through `@kaituan/reconcile`'s Payments service (matched rows are recorded as
 * payments; importing the same statement again changes nothing) and prints every decision.
 */
const runDb = async (
  opts: {
    readonly db: string
    readonly roundId: string
    readonly file: string
    readonly format: Statement.Format
    readonly json: boolean
  },
  io: Io
): Promise<number> => {
  const bytes = readInputFile(opts.file, "the statement", io.cwd)
  const { dbIn, runApp } = await import("../Engine.js")
  const result = await runApp(
    dbIn(opts.db, io.cwd),
    Effect.gen(function* () {
      const payments = yield* Payments.make()
      return yield* payments.importStatement({
        roundId: opts.roundId,
        file: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        format: opts.format
      })
    }).pipe(
      Effect.catchTags({
        StatementError: (e) => Effect.fail(new UsageError(`${opts.file}: ${e.message}`)),
        PaymentsInputError: (e) => Effect.fail(new UsageError(`reconcile: ${e.message}`)),
        GroupBuyError: (e) =>
          e.reason === "unknown-round"
            ? Effect.fail(new UsageError(`reconcile: round "${opts.roundId}" is not in the database ${opts.db}`))
            : Effect.fail(e)
      })
    )
  )
  for (const bad of result.unreadable)
    io.stderr.write(`${opts.file}:${bad.line}: skipped, ${bad.message}${bad.text ? ` [${bad.text}]` : ""}\n`)
  const byId = new Map(result.decisions.map((d) => [d.transactionId, d]))
  const transactions = result.transactions.map((t) => transactionJson(t, byId.get(t.id)!))
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          roundId: result.roundId,
          layout: result.layout,
          encoding: result.encoding,
          applied: result.applied,
          appliedAmount: result.appliedAmount,
          transactions,
          unreadable: result.unreadable.map((u) => ({ line: u.line, reason: u.reason, message: u.message }))
        },
        null,
        2
      )}\n`
    )
    return 0
  }
  const count = (status: Matcher.Status) => result.decisions.filter((d) => d.status === status).length
  const out = chunkedWriter(io.stdout)
  out.push(
    `${opts.file}: ${result.layout} layout, ${result.encoding}, ${result.transactions.length} transactions` +
      (result.unreadable.length > 0 ? `, ${result.unreadable.length} unreadable rows (see above)` : "") +
      "\n" +
      `round ${result.roundId}: applied ${result.applied} payments (NT$${money(result.appliedAmount)}); ` +
      `matched ${count("matched")}, review ${count("review")}, unmatched ${count("unmatched")}, ignored ${count("ignored")}\n\n`
  )
  let first = true
  for (const line of transactionTable(transactions)) {
    out.push(first ? line : `\n${line}`)
    first = false
    if (out.full()) await out.flush()
  }
  out.push("\n")
  await out.flush()
  return 0
}
