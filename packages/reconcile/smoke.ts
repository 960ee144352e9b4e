import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { Matcher, Statement } from "./src/index.js"
const s = Effect.runSync(Statement.parseCsv(readFileSync(`test/fixtures/example-cathay.csv`)))
const orders = [
  { orderId: "o1", buyer: { id: "U1", name: "王小明" }, amountDue: 1950, placedAt: "2024-04-01T10:05:00+08:00" },
  { orderId: "o2", buyer: { id: "U2", name: "陳大華" }, amountDue: 1300, last5: "45678", placedAt: "2024-04-01T11:00:00+08:00" },
  { orderId: "o3", buyer: { id: "U3", name: "林美美" }, amountDue: 650, placedAt: "2024-04-01T11:00:00+08:00" },
]
const r = Matcher.match({ orders, transactions: s.transactions })
for (const d of r.decisions) console.log(d.row, d.status, d.reason, d.orderIds, d.explanation)
console.log(r.orders, r.learned)
const r2 = Matcher.match(Matcher.carryOver({ orders, transactions: s.transactions }, r))
for (const d of r2.decisions) console.log(d.row, d.status, d.reason, d.orderIds, d.explanation)
