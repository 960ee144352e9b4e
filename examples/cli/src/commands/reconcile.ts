/**
 * `kaituan reconcile --orders ORDERS.json --statement FILE [--format auto|cathay|ctbc|post|generic] [--json]`
 *
 * Imports a bank statement export (CSV in Big5 or UTF-8, or .xlsx) and matches its transfers to
 * the open orders (RECONCILE.md). Unreadable rows are reported on stderr with their line numbers;
 * the rest still import. Bad input exits 2 with a message naming the file, the line or entry, and
 * what is wrong.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import { Matcher, Statement, StatementFile } from "@kaituan/reconcile"
import { Effect, Result, Schema } from "effect"
import { type Command, flags, UsageError } from "../Io.js"
import { type Issue, issuesOf } from "../Issues.js"
import { table } from "../Table.js"

export const usage = `kaituan reconcile --orders ORDERS.json --statement FILE [--format auto|cathay|ctbc|post|generic] [--json]

Matches a bank statement (CSV in Big5 or UTF-8 as the bank exports it, or .xlsx) to the open
orders in ORDERS.json: [{"orderId", "buyer": {"id", "name"}, "amountDue", "last5"?, "placedAt", "paid"?}].
A transfer is matched only with the exact amount and evidence of who sent it (the last five
digits the buyer reported, an account that paid before, or the buyer's name or order id in the
memo); everything else goes to review, unmatched or ignored, with the reason.`

/** One transaction in the JSON output (CLI.md), with optional extra fields. */
interface TransactionJson {
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

/**
 * Where a JSON text stops being valid, as `line L, column C` (Node's `JSON.parse` message does not
 * always say): a small recursive-descent scan that returns the offset of the first bad character.
 */
export const jsonErrorAt = (text: string): string => {
  let i = 0
  const ws = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++
  }
  const fail = (): never => {
    throw i
  }
  const lit = (word: string) => {
    if (text.startsWith(word, i)) i += word.length
    else fail()
  }
  const str = () => {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail()
      i += text[i] === "\\" ? 2 : 1
    }
    if (i >= text.length) fail()
    i++
  }
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) fail()
    i += m![0].length
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === "{") {
      i++
      ws()
      if (text[i] === "}") {
        i++
        return
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        str()
        ws()
        if (text[i] !== ":") fail()
        i++
        value()
        ws()
        if (text[i] === ",") i++
        else if (text[i] === "}") {
          i++
          return
        } else fail()
      }
    } else if (c === "[") {
      i++
      ws()
      if (text[i] === "]") {
        i++
        return
      }
      for (;;) {
        value()
        ws()
        if (text[i] === ",") i++
        else if (text[i] === "]") {
          i++
          return
        } else fail()
      }
    } else if (c === '"') str()
    else if (c === "t") lit("true")
    else if (c === "f") lit("false")
    else if (c === "n") lit("null")
    else num()
  }
  let at = text.length
  try {
    value()
    ws()
    if (i < text.length) at = i
  } catch (e) {
    at = typeof e === "number" ? e : i
  }
  const before = text.slice(0, at)
  return `line ${before.split("\n").length}, column ${at - before.lastIndexOf("\n")}`
}

const describeIssue = (issue: Issue): string =>
  `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`

/** Reads and validates ORDERS.json. */
export const loadOrders = (file: string, cwd: string): ReadonlyArray<Matcher.Order> => {
  let text: string
  try {
    text = readFileSync(path.resolve(cwd, file), "utf8")
  } catch (e) {
    throw new UsageError(`${file}: cannot read the orders file (${e instanceof Error ? e.message : String(e)})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    throw new UsageError(`${file}: ${jsonErrorAt(text)}: not valid JSON (${message})`)
  }
  if (!Array.isArray(json)) throw new UsageError(`${file}: expected a JSON array of orders`)
  const orders: Array<Matcher.Order> = []
  const seen = new Set<string>()
  json.forEach((entry, i) => {
    const decoded = Schema.decodeUnknownResult(Matcher.Order, { onExcessProperty: "ignore" })(entry)
    const label = `${file}: order ${i + 1}${typeof entry === "object" && entry !== null && "orderId" in entry ? ` (orderId ${JSON.stringify((entry as { orderId: unknown }).orderId)})` : ""}`
    if (Result.isFailure(decoded)) {
      const issues = issuesOf(decoded.failure)
      throw new UsageError(`${label}: ${issues.map(describeIssue).join("; ")}`)
    }
    const o = decoded.success
    if (o.placedAt !== undefined && Number.isNaN(Date.parse(o.placedAt)))
      throw new UsageError(`${label}: placedAt "${o.placedAt}" is not an ISO 8601 date-time`)
    if (seen.has(o.orderId)) throw new UsageError(`${label}: the orderId appears twice`)
    seen.add(o.orderId)
    orders.push(o)
  })
  return orders
}

const money = (n: number): string => n.toLocaleString("en-US")

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    orders: { type: "string" },
    statement: { type: "string" },
    format: { type: "string", default: "auto" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (!values.orders) throw new UsageError("reconcile: --orders ORDERS.json is required")
  if (!values.statement) throw new UsageError("reconcile: --statement FILE is required")
  const format = values.format as Statement.Format
  if (!Statement.formats.includes(format))
    throw new UsageError(`reconcile: unknown --format "${values.format}" (one of ${Statement.formats.join(", ")})`)

  const orders = loadOrders(values.orders, io.cwd)
  const file = values.statement
  const imported = await Effect.runPromise(Effect.result(StatementFile.read(path.resolve(io.cwd, file), { format })))
  if (Result.isFailure(imported)) {
    const e = imported.failure
    throw new UsageError(
      `${file}: ${e.reason === "unreadable-file" ? e.message.replace(`${path.resolve(io.cwd, file)}: `, "") : e.message}`
    )
  }
  const statement = imported.success
  for (const bad of statement.unreadable)
    io.stderr.write(`${file}:${bad.line}: skipped, ${bad.message}${bad.text ? ` [${bad.text}]` : ""}\n`)

  const result = Matcher.match({ orders, transactions: statement.transactions })
  const byId = new Map(result.decisions.map((d) => [d.transactionId, d]))
  const transactions: Array<TransactionJson> = statement.transactions.map((t) => {
    const d = byId.get(t.id)!
    return {
      row: t.row,
      date: t.date,
      ...(t.time !== undefined ? { time: t.time } : {}),
      amount: t.amount,
      ...(t.bankCode !== undefined ? { bankCode: t.bankCode } : {}),
      ...(t.last5 !== undefined ? { last5: t.last5 } : {}),
      memo: t.memo,
      status: d.status,
      orderIds: d.orderIds,
      reason: d.reason,
      ...(d.detail !== undefined ? { detail: d.detail } : {}),
      explanation: d.explanation,
      ...(d.status === "review"
        ? {
            candidates: d.candidates.map((c) => ({
              buyerId: c.buyerId,
              orderIds: c.orderIds,
              open: c.open,
              fit: c.fit,
              identified: c.identified
            }))
          }
        : {}),
      id: t.id
    }
  })
  const ordersOut = result.orders.map((o) => ({ orderId: o.orderId, status: o.status, due: o.due, paid: o.paid }))

  if (values.json) {
    io.stdout.write(`${JSON.stringify({ transactions, orders: ordersOut }, null, 2)}\n`)
    return 0
  }
  const s = result.summary
  const names = new Map(orders.map((o) => [o.orderId, o.buyer.name ?? o.buyer.id]))
  io.stdout.write(
    [
      `${file}: ${statement.layout} layout, ${statement.encoding}, ${statement.transactions.length} transactions` +
        (statement.unreadable.length > 0 ? `, ${statement.unreadable.length} unreadable rows (see above)` : ""),
      `matched ${s.matched} (NT$${money(s.applied)}), review ${s.review}, unmatched ${s.unmatched}, ignored ${s.ignored}`,
      "",
      table(
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
      ),
      "",
      table(
        ["order", "buyer", "due", "paid", "status"],
        ordersOut.map((o) => [o.orderId, names.get(o.orderId) ?? "", o.due, o.paid, o.status])
      ),
      ""
    ].join("\n")
  )
  return 0
}
