import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { CheckMacValue, ECPay, ECPayCallback, TradeQuery } from "../src/index.js"

const keys: CheckMacValue.Keys = {
  hashKey: Redacted.make("pwFHCqoQZGmho4w6"),
  hashIV: Redacted.make("EkRm7iFT261dpevs")
}
const MERCHANT = "3002607"

/** What the stand-in received. */
const received: Array<{ method: string; url: string; contentType: string; fields: Record<string, string> }> = []

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

const trade = (order: string, over: Record<string, string>) => ({
  MerchantID: MERCHANT,
  MerchantTradeNo: order,
  StoreID: "",
  TradeNo: "2405011200001234",
  TradeAmt: "1280",
  PaymentDate: "2024/05/01 12:34:56",
  PaymentType: "Credit_CreditCard",
  HandlingCharge: "26",
  PaymentTypeChargeFee: "26",
  TradeDate: "2024/05/01 12:30:00",
  TradeStatus: "1",
  ItemName: "芒果禮盒",
  CustomField1: "",
  CustomField2: "",
  CustomField3: "",
  CustomField4: "",
  ...over
})

/** The stand-in's answer for an order number (a signed form, as ECPay answers). */
const answer = (order: string): { status: number; body: string } => {
  switch (order) {
    case "DOWN":
      return { status: 503, body: "" }
    case "UNPAID1":
      return { status: 200, body: ECPayCallback.encode(trade(order, { TradeStatus: "0", PaymentDate: "" }), keys) }
    case "FAIL1":
      return { status: 200, body: ECPayCallback.encode(trade(order, { TradeStatus: "10200095" }), keys) }
    case "NOTRADE":
      return { status: 200, body: ECPayCallback.encode(trade(order, { TradeStatus: "0", TradeNo: "" }), keys) }
    case "BADMAC":
      return { status: 200, body: `${new URLSearchParams(trade(order, {})).toString()}&CheckMacValue=00` }
    case "OTHER":
      return { status: 200, body: ECPayCallback.encode(trade("SOMEONEELSE", {}), keys) }
    default:
      return { status: 200, body: ECPayCallback.encode(trade(order, {}), keys) }
  }
}

let down = 0
const server = createServer(async (req, res) => {
  const text = await readBody(req)
  const fields = Object.fromEntries(new URLSearchParams(text))
  received.push({
    method: req.method ?? "",
    url: req.url ?? "",
    contentType: req.headers["content-type"] ?? "",
    fields
  })
  if (req.url !== TradeQuery.PATH || !CheckMacValue.verify(fields, keys, "sha256")) {
    res.writeHead(400, { "content-type": "text/plain" })
    res.end("CheckMacValue Error")
    return
  }
  const { status, body } = answer(fields.MerchantTradeNo ?? "")
  if (fields.MerchantTradeNo === "DOWN") down++
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" })
  res.end(body)
})
let baseUrl = ""

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const gateway = () =>
  ECPay.make({
    merchantId: MERCHANT,
    hashKey: keys.hashKey,
    hashIV: keys.hashIV,
    apiBaseUrl: `${baseUrl}/`,
    retry: { retries: 2, baseDelayMs: 5 },
    timeoutMs: 2_000
  })

const reasonOf = (merchantOrderNo: string) =>
  Effect.flatMap(gateway(), (g) => Effect.map(Effect.flip(g.queryTrade({ merchantOrderNo })), (e) => e.reason))

describe("ECPay QueryTradeInfo against a local stand-in", () => {
  it.live("posts the signed form and maps a paid trade, verified by its CheckMacValue", () =>
    Effect.gen(function* () {
      const g = yield* gateway()
      const before = Math.floor(Date.now() / 1000)
      const result = yield* g.queryTrade({ merchantOrderNo: "PAID1" })
      const request = received.at(-1)!
      expect(request).toMatchObject({
        method: "POST",
        url: "/Cashier/QueryTradeInfo/V5",
        contentType: "application/x-www-form-urlencoded"
      })
      expect(Object.keys(request.fields).sort()).toEqual([
        "CheckMacValue",
        "MerchantID",
        "MerchantTradeNo",
        "TimeStamp"
      ])
      expect(Math.abs(Number(request.fields.TimeStamp) - before)).toBeLessThanOrEqual(5)
      expect(result.tradeStatus).toBe("paid")
      expect(result.tradeStatusCode).toBe("1")
      expect(result.payment).toMatchObject({
        gateway: "ecpay",
        tradeNo: "2405011200001234",
        merchantOrderNo: "PAID1",
        amount: 1280,
        status: "paid",
        method: "credit",
        paidAt: "2024-05-01T12:34:56+08:00",
        simulated: false
      })
      expect(result.fields.HandlingCharge).toBe("26")
    })
  )

  it.live("an unpaid trade is pending without paidAt; a failed one is failed", () =>
    Effect.gen(function* () {
      const g = yield* gateway()
      const unpaid = yield* g.queryTrade({ merchantOrderNo: "UNPAID1" })
      expect(unpaid.tradeStatus).toBe("unpaid")
      expect(unpaid.payment.status).toBe("pending")
      expect(unpaid.payment.paidAt).toBeUndefined()
      const failed = yield* g.queryTrade({ merchantOrderNo: "FAIL1" })
      expect(failed.tradeStatus).toBe("failed")
      expect(failed.payment.status).toBe("failed")
    })
  )

  it.live("a wrong CheckMacValue is unauthorized; another order's answer is invalid; no trade yet is rejected", () =>
    Effect.gen(function* () {
      expect(yield* reasonOf("BADMAC")).toBe("unauthorized")
      expect(yield* reasonOf("OTHER")).toBe("invalid-payload")
      expect(yield* reasonOf("NOTRADE")).toBe("rejected")
    })
  )

  it.live("a request signed with the wrong key is refused by the stand-in (400): rejected, not retried", () =>
    Effect.gen(function* () {
      const before = received.length
      const error = yield* Effect.flip(
        TradeQuery.query(
          {
            merchantId: MERCHANT,
            keys: { hashKey: Redacted.make("wrongwrongwrong1"), hashIV: keys.hashIV },
            baseUrl
          },
          { merchantOrderNo: "PAID1" }
        )
      )
      expect(error.reason).toBe("rejected")
      expect(received.length - before).toBe(1)
    })
  )

  it.live("HTTP 503 is retried by the stack's policy, then transport; a closed port is transport", () =>
    Effect.gen(function* () {
      down = 0
      expect(yield* reasonOf("DOWN")).toBe("transport")
      expect(down).toBe(3)
      const closed = createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve)))
      const port = (closed.address() as AddressInfo).port
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.close(() => resolve())))
      const error = yield* Effect.flip(
        TradeQuery.query(
          { merchantId: MERCHANT, keys, baseUrl: `http://127.0.0.1:${port}`, retry: { retries: 0 } },
          { merchantOrderNo: "PAID1" }
        )
      )
      expect(error.reason).toBe("transport")
    })
  )
})

describe("ECPay.makeConfig", () => {
  it.effect("reads ECPAY_* (ECPAY_API_BASE included); the caller sets the rest", () =>
    Effect.gen(function* () {
      const provider = ConfigProvider.fromUnknown({
        ECPAY_MERCHANT_ID: MERCHANT,
        ECPAY_HASH_KEY: "pwFHCqoQZGmho4w6",
        ECPAY_HASH_IV: "EkRm7iFT261dpevs",
        ECPAY_API_BASE: "http://127.0.0.1:1"
      })
      const g = yield* ECPay.makeConfig({ retry: { retries: 0 } }).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, provider)
      )
      expect(g.merchantId).toBe(MERCHANT)
      expect(g.environment).toBe("sandbox")
    })
  )
})
