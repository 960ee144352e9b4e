import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { NewebPay, TradeQuery } from "../src/index.js"

const HASH_KEY = "12345678901234567890123456789012"
const HASH_IV = "1234567890123456"
const MERCHANT = "MS12345678"

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex").toUpperCase()
// Written out independently of the code under test, as NewebPay documents them.
const expectedCheckValue = (amt: string, orderNo: string) =>
  sha256(`IV=${HASH_IV}&Amt=${amt}&MerchantID=${MERCHANT}&MerchantOrderNo=${orderNo}&Key=${HASH_KEY}`)
const checkCode = (amt: string, orderNo: string, tradeNo: string) =>
  sha256(
    `HashIV=${HASH_IV}&Amt=${amt}&MerchantID=${MERCHANT}&MerchantOrderNo=${orderNo}&TradeNo=${tradeNo}&HashKey=${HASH_KEY}`
  )

const received: Array<{ method: string; url: string; contentType: string; fields: Record<string, string> }> = []

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

/** A stand-in for NewebPay's QueryTradeInfo: checks the CheckValue and answers per order number. */
const answer = (fields: Record<string, string>): { status: number; body: string } => {
  const amt = fields.Amt ?? ""
  const orderNo = fields.MerchantOrderNo ?? ""
  if (fields.CheckValue !== expectedCheckValue(amt, orderNo)) {
    return { status: 200, body: JSON.stringify({ Status: "TRA10002", Message: "檢查碼錯誤", Result: [] }) }
  }
  const trade = (tradeStatus: string, payTime: string, code?: string, answeredAmt = amt) => {
    const tradeNo = "24050112000012345"
    return {
      status: 200,
      body: JSON.stringify({
        Status: "SUCCESS",
        Message: "查詢成功",
        Result: {
          MerchantID: MERCHANT,
          Amt: Number(answeredAmt),
          TradeNo: tradeNo,
          MerchantOrderNo: orderNo,
          TradeStatus: tradeStatus,
          PaymentType: "VACC",
          CreateTime: "2024-05-01 12:00:00",
          PayTime: payTime,
          CheckCode: code ?? checkCode(answeredAmt, orderNo, tradeNo),
          FundTime: "0000-00-00",
          PayBankCode: "812",
          PayerAccount5Code: "12345"
        }
      })
    }
  }
  switch (orderNo) {
    case "PAID1":
      return trade("1", "2024-05-01 12:34:56")
    case "UNPAID1":
      return trade("0", "0000-00-00 00:00:00")
    case "REFUND1":
      return trade("6", "2024-05-01 12:34:56")
    case "BADCODE":
      return trade("1", "2024-05-01 12:34:56", "0".repeat(64))
    case "OTHERAMT":
      // correctly signed, but for another amount
      return trade("1", "2024-05-01 12:34:56", undefined, "1")
    case "HTML":
      return { status: 200, body: "<html>maintenance</html>" }
    case "DOWN":
      return { status: 503, body: "" }
    default:
      return { status: 200, body: JSON.stringify({ Status: "TRA10001", Message: "查無此筆交易資料", Result: [] }) }
  }
}

let server: Server
let baseUrl = ""

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await readBody(req)
    const fields = Object.fromEntries(new URLSearchParams(text))
    received.push({
      method: req.method ?? "",
      url: req.url ?? "",
      contentType: req.headers["content-type"] ?? "",
      fields
    })
    const { status, body } = req.url === "/API/QueryTradeInfo" ? answer(fields) : { status: 404, body: "" }
    res.writeHead(status, { "content-type": "application/json" })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const gateway = () =>
  NewebPay.make({
    merchantId: MERCHANT,
    hashKey: Redacted.make(HASH_KEY),
    hashIV: Redacted.make(HASH_IV),
    apiBaseUrl: `${baseUrl}/`,
    retry: { retries: 2, baseDelayMs: 5 }
  })

const reasonOf = (merchantOrderNo: string, amount = 1280) =>
  Effect.flatMap(gateway(), (g) => Effect.map(Effect.flip(g.queryTrade({ merchantOrderNo, amount })), (e) => e.reason))

describe("QueryTradeInfo against a local stand-in", () => {
  it.live("posts the documented form and maps a paid trade", () =>
    Effect.gen(function* () {
      const g = yield* gateway()
      const before = Math.floor(Date.now() / 1000)
      const result = yield* g.queryTrade({ merchantOrderNo: "PAID1", amount: 1280 })
      const request = received.at(-1)!
      expect(request.method).toBe("POST")
      expect(request.url).toBe("/API/QueryTradeInfo")
      expect(request.contentType).toBe("application/x-www-form-urlencoded")
      expect(request.fields).toMatchObject({
        MerchantID: MERCHANT,
        Version: "1.3",
        RespondType: "JSON",
        MerchantOrderNo: "PAID1",
        Amt: "1280",
        CheckValue: expectedCheckValue("1280", "PAID1")
      })
      expect(Math.abs(Number(request.fields.TimeStamp) - before)).toBeLessThanOrEqual(5)
      expect(result.tradeStatus).toBe("paid")
      expect(result.tradeStatusCode).toBe("1")
      expect(result.payment).toMatchObject({
        gateway: "newebpay",
        tradeNo: "24050112000012345",
        merchantOrderNo: "PAID1",
        amount: 1280,
        status: "paid",
        method: "atm",
        paidAt: "2024-05-01T12:34:56+08:00",
        payerBankCode: "812",
        payerLast5: "12345",
        simulated: false
      })
      expect(result.fields.FundTime).toBe("0000-00-00")
    })
  )

  it.live("an unpaid trade is pending without paidAt; a refunded one is failed", () =>
    Effect.gen(function* () {
      const g = yield* gateway()
      const unpaid = yield* g.queryTrade({ merchantOrderNo: "UNPAID1", amount: 500 })
      expect(unpaid.tradeStatus).toBe("unpaid")
      expect(unpaid.payment.status).toBe("pending")
      expect(unpaid.payment.paidAt).toBeUndefined()
      const refunded = yield* g.queryTrade({ merchantOrderNo: "REFUND1", amount: 500 })
      expect(refunded.tradeStatus).toBe("refunded")
      expect(refunded.payment.status).toBe("failed")
      expect(refunded.payment.message).toContain("refunded")
    })
  )

  it.live("an error answer (TRA10001 no such trade) is rejected with NewebPay's message", () =>
    Effect.gen(function* () {
      const g = yield* gateway()
      const error = yield* Effect.flip(g.queryTrade({ merchantOrderNo: "NOSUCH", amount: 1 }))
      expect(error.reason).toBe("rejected")
      expect(error.message).toBe("TRA10001: 查無此筆交易資料")
    })
  )

  it.live("a request signed with the wrong key is refused by the stand-in (TRA10002)", () =>
    Effect.gen(function* () {
      const g = yield* NewebPay.make({
        merchantId: MERCHANT,
        hashKey: Redacted.make("abcdefghijklmnopqrstuvwxyz123456"),
        hashIV: Redacted.make(HASH_IV),
        apiBaseUrl: baseUrl
      })
      const error = yield* Effect.flip(g.queryTrade({ merchantOrderNo: "PAID1", amount: 1280 }))
      expect(error.reason).toBe("rejected")
      expect(error.message).toContain("TRA10002")
    })
  )

  it.live("a wrong CheckCode in the answer is unauthorized", () =>
    Effect.map(reasonOf("BADCODE"), (reason) => {
      expect(reason).toBe("unauthorized")
    })
  )

  it.live("a correctly signed answer for another amount is invalid", () =>
    Effect.map(reasonOf("OTHERAMT"), (reason) => {
      expect(reason).toBe("invalid-payload")
    })
  )

  it.live("a non-JSON answer is invalid; HTTP 503 and a closed port are transport errors", () =>
    Effect.gen(function* () {
      expect(yield* reasonOf("HTML")).toBe("invalid-payload")
      const before = received.length
      expect(yield* reasonOf("DOWN")).toBe("transport")
      // 503 is retried by the stack's policy (2 retries here) before it is a transport error
      expect(received.length - before).toBe(3)
      const closed = createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve)))
      const port = (closed.address() as AddressInfo).port
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.close(() => resolve())))
      const error = yield* Effect.flip(
        TradeQuery.query(
          {
            merchantId: MERCHANT,
            keys: { hashKey: Redacted.make(HASH_KEY), hashIV: Redacted.make(HASH_IV) },
            baseUrl: `http://127.0.0.1:${port}`
          },
          { merchantOrderNo: "PAID1", amount: 1 }
        )
      )
      expect(error.reason).toBe("transport")
    })
  )

  it.live("a server that never answers times out as a transport error", () =>
    Effect.gen(function* () {
      const silent = createServer(() => {})
      yield* Effect.promise(() => new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve)))
      const port = (silent.address() as AddressInfo).port
      const error = yield* Effect.flip(
        TradeQuery.query(
          {
            merchantId: MERCHANT,
            keys: { hashKey: Redacted.make(HASH_KEY), hashIV: Redacted.make(HASH_IV) },
            baseUrl: `http://127.0.0.1:${port}`,
            timeout: "200 millis"
          },
          { merchantOrderNo: "PAID1", amount: 1 }
        )
      )
      silent.closeAllConnections()
      yield* Effect.promise(() => new Promise<void>((resolve) => silent.close(() => resolve())))
      expect(error.reason).toBe("transport")
      expect(error.message).toContain("timed out")
    })
  )
})
