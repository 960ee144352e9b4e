import type { Comment, RoundFile } from "kaituan"

/** A round id no earlier run used (PostgreSQL keeps rounds between runs). */
export const uniqueRoundId = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`

/** A round of one product, thermos cups at NT$450. */
export const roundFile = (id: string): RoundFile => ({
  id,
  title: "保溫杯",
  products: [{ sku: "CUP", name: "保溫杯", price: 450, stock: 10 }]
})

/** A comment of `user` in `round` (comment ids are per round, so reruns on one database do not collide). */
export const comment = (round: string, n: number, user: string, name: string, text: string): Comment => ({
  channel: "line",
  commentId: `${round}-m${n}`,
  author: { id: `${round}-${user}`, name },
  text,
  at: new Date(Date.UTC(2026, 4, 10, 12, n)).toISOString()
})

/**
 * A CTBC-style statement: transfers of these amounts and one outgoing payment. Transaction ids
 * hash the balance too: a different `balance` gives rows no other run applied (PostgreSQL keeps them).
 */
export const statementCsv = (amounts: ReadonlyArray<number>, balance = 20_000): string =>
  [
    "\uFEFF帳號：123-456789012,新臺幣活期存款",
    "查詢期間：2026/05/01~2026/05/31",
    "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
    ...amounts.map(
      (amount, i) =>
        `2026/05/11,跨行轉入,,"${amount.toLocaleString("en-US")}","${(balance + i).toLocaleString("en-US")}",,822-*********1234${i},`
    ),
    `2026/05/12,網銀轉出,"1,000",,"${(balance + 10).toLocaleString("en-US")}",房租,700-*********11111,`
  ].join("\n")
