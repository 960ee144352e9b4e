import type { Matcher, Transaction } from "../src/index.js"

let counter = 0

/** A statement transaction with sensible defaults (2024-04-02 10:00 Taipei). */
export const tx = (
  amount: number,
  { dateOnly, ...fields }: Partial<Omit<Transaction.Transaction, "amount">> & { readonly dateOnly?: boolean } = {}
): Transaction.Transaction => {
  const date = fields.date ?? "2024-04-02"
  const time = dateOnly ? undefined : (fields.time ?? "10:00:00")
  const t: { -readonly [K in keyof Transaction.Transaction]: Transaction.Transaction[K] } = {
    id: fields.id ?? `t${++counter}`,
    source: "statement",
    date,
    at: fields.at ?? `${date}T${time ?? "00:00:00"}+08:00`,
    amount,
    memo: fields.memo ?? ""
  }
  if (time !== undefined) t.time = time
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in t)) (t as Record<string, unknown>)[k] = v
  return t
}

/** An order placed on 2024-04-01 10:00 Taipei. */
export const order = (
  orderId: string,
  buyer: string | { readonly id: string; readonly name?: string },
  amountDue: number,
  fields: Partial<Omit<Matcher.Order, "orderId" | "buyer" | "amountDue">> = {}
): Matcher.Order => ({
  orderId,
  buyer: typeof buyer === "string" ? { id: buyer, name: buyer } : buyer,
  amountDue,
  placedAt: "2024-04-01T10:00:00+08:00",
  ...fields
})

/** The decision on one transaction id. */
export const decisionOf = (r: Matcher.Result, id: string): Matcher.Decision => {
  const d = r.decisions.find((x) => x.transactionId === id)
  if (!d) throw new Error(`no decision for ${id}`)
  return d
}

/** The outcome of one order. */
export const orderOf = (r: Matcher.Result, id: string): Matcher.OrderOutcome => {
  const o = r.orders.find((x) => x.orderId === id)
  if (!o) throw new Error(`no order ${id}`)
  return o
}
