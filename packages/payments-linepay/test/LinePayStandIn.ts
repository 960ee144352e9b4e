/**
 * A local stand-in for LINE Pay's Online API v3 (node:http on 127.0.0.1, a random port), written
 * from LINE Pay's documentation independently of the code under test: it checks every API call's
 * `X-LINE-ChannelId` and `X-LINE-Authorization` (HMAC-SHA256 over secret + path + body or query +
 * nonce, computed here with node:crypto) and refuses a bad one or a reused nonce with 1106;
 * answers 19-digit transaction ids as bare JSON numbers; refuses a reused orderId (1172), a
 * confirm for another amount (1153), a second confirm (1152), refunds beyond the paid amount
 * (1164) or of a fully refunded payment (1165). `GET /web/pay` plays the buyer approving in LINE:
 * it redirects (302) to the confirm URL with `transactionId` and `orderId` appended.
 */
import { createHmac } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  readonly method: string
  readonly path: string
  readonly query: string
  readonly body: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
}

interface Tx {
  readonly id: string
  readonly orderId: string
  readonly amount: number
  readonly confirmUrl: string
  readonly cancelUrl: string
  state: "reserved" | "approved" | "confirmed" | "cancelled"
  refunded: number
  refunds: Array<{ id: string; amount: number }>
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

const append = (url: string, params: Record<string, string>) => {
  const u = new URL(url)
  for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v)
  return u.toString()
}

export interface StandIn {
  readonly baseUrl: string
  readonly received: Array<Received>
  readonly transactions: Map<string, Tx>
  /** Answers the next API call with this HTTP status and an empty body. */
  failNext: (status: number) => void
  /** Handles the next API call, then answers 502 as if its answer were lost on the way. */
  loseNextAnswer: () => void
  close: () => Promise<void>
}

export const start = async (channelId: string, channelSecret: string): Promise<StandIn> => {
  const received: Array<Received> = []
  const transactions = new Map<string, Tx>()
  const orderIds = new Set<string>()
  const nonces = new Set<string>()
  let next = 2024050100000000001n
  let refundNext = 2024050199999999001n
  let failures: Array<number> = []
  let loseAnswer = false

  /** A JSON answer whose `info` may hold ids to be written as bare numbers (`{"$n":"…"}`). */
  const answer = (returnCode: string, returnMessage: string, info?: unknown) =>
    JSON.stringify(info === undefined ? { returnCode, returnMessage } : { returnCode, returnMessage, info }).replace(
      /\{"\$n":"(\d+)"\}/g,
      "$1"
    )
  const n = (id: string) => ({ $n: id })

  const api = (method: string, path: string, query: string, body: string): string => {
    const confirm = /^\/v3\/payments\/(\d+)\/confirm$/.exec(path)
    const refund = /^\/v3\/payments\/(\d+)\/refund$/.exec(path)
    const check = /^\/v3\/payments\/requests\/(\d+)\/check$/.exec(path)
    if (method === "POST" && path === "/v3/payments/request") {
      const r = JSON.parse(body) as {
        amount: number
        currency: string
        orderId: string
        packages: Array<{ amount: number; products: Array<{ quantity: number; price: number }> }>
        redirectUrls: { confirmUrl: string; cancelUrl: string }
      }
      const packages = r.packages.reduce((s, p) => s + p.amount, 0)
      const products = r.packages.every((p) => p.products.reduce((s, x) => s + x.quantity * x.price, 0) === p.amount)
      if (r.currency !== "TWD" || packages !== r.amount || !products) return answer("1124", "Amount info error (scale)")
      if (orderIds.has(r.orderId)) return answer("1172", "Existing same orderId.")
      orderIds.add(r.orderId)
      const id = String(next++)
      transactions.set(id, {
        id,
        orderId: r.orderId,
        amount: r.amount,
        confirmUrl: r.redirectUrls.confirmUrl,
        cancelUrl: r.redirectUrls.cancelUrl,
        state: "reserved",
        refunded: 0,
        refunds: []
      })
      return answer("0000", "Success.", {
        paymentUrl: { web: `${standIn.baseUrl}/web/pay?transactionId=${id}`, app: `line://pay/payment/${id}` },
        transactionId: n(id),
        paymentAccessToken: "187568751124"
      })
    }
    if (method === "POST" && confirm) {
      const tx = transactions.get(confirm[1]!)
      const r = JSON.parse(body) as { amount: number; currency: string }
      if (tx === undefined) return answer("1150", "Transaction record not found.")
      if (tx.state === "confirmed")
        return answer("1152", "There is a record of transactions with the same information.")
      if (tx.state !== "approved") return answer("1169", "Payment information error (not approved).")
      if (r.amount !== tx.amount || r.currency !== "TWD")
        return answer("1153", "The payment amount is different from the requested amount.")
      tx.state = "confirmed"
      return answer("0000", "Success.", {
        orderId: tx.orderId,
        transactionId: n(tx.id),
        payInfo: [{ method: "BALANCE", amount: tx.amount }]
      })
    }
    if (method === "POST" && refund) {
      const tx = transactions.get(refund[1]!)
      if (tx === undefined || tx.state !== "confirmed") return answer("1150", "Transaction record not found.")
      const r = JSON.parse(body) as { refundAmount?: number }
      const remaining = tx.amount - tx.refunded
      if (remaining === 0) return answer("1165", "Transaction already refunded.")
      const amount = r.refundAmount ?? remaining
      if (amount > remaining) return answer("1164", "Exceeds refundable amount.")
      tx.refunded += amount
      const id = String(refundNext++)
      tx.refunds.push({ id, amount })
      return answer("0000", "Success.", { refundTransactionId: n(id), refundTransactionDate: "2024-05-01T12:00:00Z" })
    }
    if (method === "GET" && path === "/v3/payments") {
      const q = new URLSearchParams(query)
      const found = [...transactions.values()].filter(
        (t) =>
          t.state === "confirmed" &&
          (q.get("transactionId") === null || q.get("transactionId") === t.id) &&
          (q.get("orderId") === null || q.get("orderId") === t.orderId)
      )
      if (found.length === 0) return answer("1150", "Transaction record not found.")
      return answer(
        "0000",
        "Success.",
        found.map((t) => ({
          transactionId: n(t.id),
          transactionDate: "2024-05-01T04:00:00Z",
          transactionType: "PAYMENT",
          payInfo: [{ method: "BALANCE", amount: t.amount }],
          productName: "團購",
          currency: "TWD",
          orderId: t.orderId,
          refundList: t.refunds.map((x) => ({
            refundTransactionId: n(x.id),
            transactionType: x.amount === t.amount ? "PAYMENT_REFUND" : "PARTIAL_REFUND",
            refundAmount: -x.amount,
            refundTransactionDate: "2024-05-01T12:00:00Z"
          }))
        }))
      )
    }
    if (method === "GET" && check) {
      const tx = transactions.get(check[1]!)
      if (tx === undefined) return answer("1150", "Transaction record not found.")
      const code = { reserved: "0000", approved: "0110", cancelled: "0121", confirmed: "0123" }[tx.state]
      return answer(code, "Success.")
    }
    return answer("1199", "Internal request error.")
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const body = await readBody(req)
    const query = (req.url ?? "").includes("?") ? (req.url ?? "").slice((req.url ?? "").indexOf("?") + 1) : ""
    // The buyer's browser at LINE Pay: approve (or cancel), then back to the shop.
    if (url.pathname === "/web/pay" || url.pathname === "/web/cancel") {
      const tx = transactions.get(url.searchParams.get("transactionId") ?? "")
      if (tx === undefined) {
        res.writeHead(404).end()
        return
      }
      const approve = url.pathname === "/web/pay"
      if (tx.state === "reserved") tx.state = approve ? "approved" : "cancelled"
      const location = approve
        ? append(tx.confirmUrl, { transactionId: tx.id, orderId: tx.orderId })
        : append(tx.cancelUrl, { transactionId: tx.id, orderId: tx.orderId })
      res.writeHead(302, { location }).end()
      return
    }
    received.push({ method: req.method ?? "", path: url.pathname, query, body, headers: req.headers })
    const failure = failures.shift()
    if (failure !== undefined) {
      res.writeHead(failure).end()
      return
    }
    const nonce = String(req.headers["x-line-authorization-nonce"] ?? "")
    const expected = createHmac("sha256", channelSecret)
      .update(channelSecret + url.pathname + (req.method === "GET" ? query : body) + nonce, "utf8")
      .digest("base64")
    const ok =
      req.headers["x-line-channelid"] === channelId &&
      nonce !== "" &&
      !nonces.has(nonce) &&
      req.headers["x-line-authorization"] === expected &&
      (req.method === "GET" || String(req.headers["content-type"]).startsWith("application/json"))
    nonces.add(nonce)
    const text = ok ? api(req.method ?? "", url.pathname, query, body) : answer("1106", "Header information error.")
    if (loseAnswer) {
      loseAnswer = false
      res.writeHead(502).end()
      return
    }
    res.writeHead(200, { "content-type": "application/json" })
    res.end(text)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const standIn: StandIn = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    transactions,
    failNext: (status) => {
      failures = [status]
    },
    loseNextAnswer: () => {
      loseAnswer = true
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return standIn
}
