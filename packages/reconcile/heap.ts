import { Either } from "effect"
import { Matcher, Statement } from "/work/main/packages/reconcile/src/index.ts"
// reuse the bench generator by importing it as text is awkward; generate a simpler world here
const n = Number(process.env.N ?? 50000)
let seed = 7
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }
const orders: Matcher.Order[] = []
for (let i = 0; i < n; i++) orders.push({ orderId: `R${i}`, buyer: { id: `U${i}`, name: `買家${i}號` }, amountDue: 100 + 10 * Math.floor(rnd() * 490), placedAt: "2024-04-01T10:00:00+08:00", ...(rnd() < 0.6 ? { last5: String(Math.floor(rnd() * 100000)).padStart(5, "0") } : {}) })
const lines = ["日期,金額,備註,帳號"]
for (let i = 0; i < n; i++) { const o = orders[Math.floor(rnd() * n)]!; const r = rnd(); lines.push(`2024/04/${String(2 + Math.floor(rnd() * 20)).padStart(2, "0")},${r < 0.9 ? o.amountDue : -50},${r < 0.3 ? o.buyer.name : ""},822-${o.last5 ?? "00000"}`) }
const st = Either.getOrThrow(Statement.parseText(lines.join("\n")))
global.gc?.()
const h0 = process.memoryUsage().heapUsed
const c0 = process.cpuUsage(); const t0 = performance.now()
const r = Matcher.match({ orders, transactions: st.transactions })
const t1 = performance.now(); const c1 = process.cpuUsage(c0)
global.gc?.()
console.log(n, "match ms", Math.round(t1 - t0), "cpu", Math.round((c1.user + c1.system) / 1000), "retained MB", Math.round((process.memoryUsage().heapUsed - h0) / 1e6), r.summary)
