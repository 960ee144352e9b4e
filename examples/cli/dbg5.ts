import fs from "node:fs"; import os from "node:os"; import path from "node:path"
import { Agent, request } from "node:http"
import { LineSignature, LineTestServer } from "@kaituan/adapters-line"
import { decodeRound } from "./src/RoundFile.js"
import * as Server from "./src/server/Server.js"
import * as Log from "./src/server/Log.js"
const PRODUCTS = ["毛襪", "蛋黃酥", "保溫杯", "鳳梨酥", "牛軋糖", "芒果乾", "肉鬆", "茶葉", "果醬", "麵線"]
const round = decodeRound("r", { id: "r", title: "t", cutoff: "2099-12-31T22:00:00+08:00", products: PRODUCTS.map((name, i) => ({ sku: `P${i}`, name, price: 100 + i })) })
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dbg-"))
const line = await LineTestServer.listen({})
for (let b = 0; b < 2000; b++) line.setProfile(`U${b}`, `買家${b}`, { groupId: "C" })
const server = await Server.start({ port: 0, db: path.join(dir, "x.db"), round, env: { LINE_CHANNEL_SECRET: "s", LINE_CHANNEL_ACCESS_TOKEN: line.accessToken, LINE_API_BASE: line.url }, log: process.env.LOG ? Log.make(fs.createWriteStream(path.join(dir, "log"))) : undefined })
const bodies = Array.from({ length: 6000 }, (_, k) => JSON.stringify({ destination: "U", events: [{ type: "message", mode: "active", timestamp: Date.now(), source: { type: "group", groupId: "C", userId: `U${k % 2000}` }, webhookEventId: `E${k}`, deliveryContext: { isRedelivery: false }, replyToken: `r${k}`, message: { id: `m${k}`, type: "text", quoteToken: "q", text: `${PRODUCTS[Math.floor(k / 2000) % 10]}+1` } }] }))
const url = new URL(server.url)
const agent = new Agent({ keepAlive: true, maxSockets: 64 })
const send = (body: string) => new Promise<number>((resolve, reject) => { const req = request({ agent, host: url.hostname, port: url.port, path: "/webhooks/line", method: "POST", headers: { "content-length": Buffer.byteLength(body), "x-line-signature": LineSignature.sign("s", body) } }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)) }); req.on("error", reject); req.end(body) })
const pool = async (items: Array<string>, c: number) => { let i = 0; await Promise.all(Array.from({ length: c }, async () => { while (i < items.length) await send(items[i++]!) })) }
for (const [name, slice] of [["warm", bodies.slice(0, 2000)], ["measure", bodies.slice(2000)]] as const) {
  const t0 = performance.now()
  await pool([...slice], 64)
  console.log(name, Math.round(slice.length / ((performance.now() - t0) / 1000)), "/s")
}
agent.destroy(); await server.close(); await line.close()
