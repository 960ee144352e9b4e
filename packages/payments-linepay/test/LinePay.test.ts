import { Http, PaymentGateway, PaymentGatewayContract } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { LinePay } from "../src/index.js"
import * as StandIn from "./LinePayStandIn.js"

const CHANNEL_ID = "1656789012"
const SECRET = "a917ab6a2367b536f8e5a6e2977e06f4"

let standIn: StandIn.StandIn
beforeAll(async () => {
  standIn = await StandIn.start(CHANNEL_ID, SECRET)
})
afterAll(() => standIn.close())

const options = () => ({
  channelId: CHANNEL_ID,
  channelSecret: Redacted.make(SECRET),
  apiBaseUrl: standIn.baseUrl,
  retry: { retries: 1, baseDelayMs: 5 }
})

let counter = 0
const request = (): PaymentGateway.PaymentRequest => ({
  merchantOrderNo: `KTEST${Date.now().toString(36).toUpperCase()}${++counter}`,
  orderId: `o_${counter}`,
  amount: 1180,
  description: "芒果(愛文) x2",
  notifyUrl: "https://shop.example/payments/linepay/notify"
})

/** The buyer approves at the stand-in; LINE Pay's 302 to the confirm URL becomes the gateway's inbound request. */
const approve = (start: PaymentGateway.PaymentStart, path: "/web/pay" | "/web/cancel" = "/web/pay") =>
  Effect.promise(async () => {
    if (start._tag !== "Redirect") throw new Error(`expected a redirect, got ${start._tag}`)
    const url = new URL(start.url)
    const res = await fetch(`${standIn.baseUrl}${path}${url.search}`, { redirect: "manual" })
    const location = new URL(res.headers.get("location") ?? "")
    return Http.request({
      method: "GET",
      path: location.pathname,
      query: Object.fromEntries(location.searchParams)
    })
  })

const harness = (gateway: PaymentGateway.PaymentGatewayService): PaymentGatewayContract.Harness => ({
  gateway,
  request,
  pay: (start) => approve(start),
  forge: (callback) => ({ ...callback, query: { ...callback.query, amount: "1" } }),
  malformed: Http.request({ method: "GET", path: "/payments/linepay/notify", query: { transactionId: "12" } }),
  secrets: [SECRET]
})

describe("the PaymentGateway contract against a LINE Pay stand-in", () => {
  for (const c of PaymentGatewayContract.cases)
    it.live(c.name, () => Effect.flatMap(LinePay.make(options()), (gateway) => c.run(harness(gateway))))
})

describe("start", () => {
  it.live("reserves the payment with a signed request and redirects to LINE Pay's page", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const before = standIn.received.length
      const r = request()
      const start = yield* gateway.start(r)
      expect(start._tag).toBe("Redirect")
      const sent = standIn.received.slice(before)
      expect(sent).toHaveLength(1)
      const call = sent[0]!
      expect(call.path).toBe("/v3/payments/request")
      expect(call.headers["x-line-channelid"]).toBe(CHANNEL_ID)
      const body = JSON.parse(call.body)
      expect(body).toMatchObject({
        amount: 1180,
        currency: "TWD",
        orderId: r.merchantOrderNo,
        packages: [
          { id: r.merchantOrderNo, amount: 1180, products: [{ name: "芒果(愛文) x2", quantity: 1, price: 1180 }] }
        ]
      })
      const confirmUrl = new URL(body.redirectUrls.confirmUrl)
      expect(confirmUrl.origin + confirmUrl.pathname).toBe("https://shop.example/payments/linepay/notify")
      expect(confirmUrl.searchParams.get("order")).toBe(r.merchantOrderNo)
      expect(confirmUrl.searchParams.get("amount")).toBe("1180")
      expect(new URL(body.redirectUrls.cancelUrl).searchParams.get("cancelled")).toBe("1")
      // the 19-digit id LINE Pay answered (a bare JSON number) reached the redirect with every digit
      const id = new URL((start as { url: string }).url).searchParams.get("transactionId")!
      expect(id).toMatch(/^\d{19}$/)
      expect(standIn.transactions.has(id)).toBe(true)
    })
  )

  it.live("a reused orderId is refused by LINE Pay (1172) as rejected", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const r = request()
      yield* gateway.start(r)
      const e = yield* Effect.flip(gateway.start(r))
      expect(e.reason).toBe("rejected")
      expect(e.message).toContain("1172")
      const low = yield* Effect.flip(
        gateway.api.request(
          LinePay.requestBody(r, { confirmUrl: "https://shop.example/c", cancelUrl: "https://shop.example/x" })
        )
      )
      expect(low._tag).toBe("LinePayError")
      expect(low.reason).toBe("duplicate")
      expect(low.returnCode).toBe("1172")
    })
  )

  it.live("a wrong channel secret is refused by LINE Pay (1106) as unauthorized, without the secret in the error", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make({ ...options(), channelSecret: Redacted.make("0".repeat(32)) })
      const e = yield* Effect.flip(gateway.start(request()))
      expect(e.reason).toBe("unauthorized")
      expect(e.message).toContain("1106")
      expect(e.message).not.toContain("0".repeat(32))
    })
  )

  it.live("refuses what LINE Pay would refuse before calling it, and needs a confirm URL", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const before = standIn.received.length
      const reason = (r: PaymentGateway.PaymentRequest) => Effect.map(Effect.flip(gateway.start(r)), (e) => e.reason)
      expect(yield* reason({ ...request(), merchantOrderNo: "含中文" })).toBe("invalid-payload")
      expect(yield* reason({ ...request(), notifyUrl: undefined })).toBe("invalid-payload")
      expect(yield* reason({ ...request(), method: "atm" })).toBe("unsupported")
      expect(standIn.received.length).toBe(before)
    })
  )

  it.live("a 5xx answer is transport (the POST is not retried: no second reservation)", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const before = standIn.received.length
      standIn.failNext(503)
      const e = yield* Effect.flip(gateway.start(request()))
      expect(e.reason).toBe("transport")
      expect(standIn.received.length - before).toBe(1)
    })
  )
})

describe("callback: the confirm redirect", () => {
  it.live("confirms with the signed amount; the transactionId is the tradeNo, as a 19-digit string", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const r = request()
      const callback = yield* approve(yield* gateway.start(r))
      const payment = yield* gateway.callback(callback)
      expect(payment).toMatchObject({
        gateway: "linepay",
        merchantOrderNo: r.merchantOrderNo,
        amount: 1180,
        status: "paid",
        method: "linepay:balance",
        simulated: false
      })
      expect(payment.tradeNo).toMatch(/^\d{19}$/)
      expect(standIn.transactions.get(payment.tradeNo)?.state).toBe("confirmed")
      const confirm = standIn.received.at(-1)!
      expect(confirm.path).toBe(`/v3/payments/${payment.tradeNo}/confirm`)
      expect(confirm.body).toBe('{"amount":1180,"currency":"TWD"}')
    })
  )

  it.live("a redirect with an altered amount or without our signature is unauthorized and confirms nothing", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const callback = yield* approve(yield* gateway.start(request()))
      const before = standIn.received.length
      const forged = yield* Effect.flip(gateway.callback({ ...callback, query: { ...callback.query, amount: "1" } }))
      expect(forged.reason).toBe("unauthorized")
      const { sig: _sig, ...unsigned } = callback.query
      expect((yield* Effect.flip(gateway.callback({ ...callback, query: unsigned }))).reason).toBe("unauthorized")
      expect(standIn.received.length).toBe(before)
    })
  )

  it.live(
    "a confirm whose answer is lost is recovered from the transaction's details; another orderId is refused",
    () =>
      Effect.gen(function* () {
        const gateway = yield* LinePay.make(options())
        const r = request()
        const callback = yield* approve(yield* gateway.start(r))
        expect(callback.query.orderId).toBe(r.merchantOrderNo)
        const other = yield* Effect.flip(gateway.callback({ ...callback, query: { ...callback.query, orderId: "X1" } }))
        expect(other.reason).toBe("invalid-payload")
        standIn.loseNextAnswer()
        const payment = yield* gateway.callback(callback)
        expect(payment.status).toBe("paid")
        expect(payment.tradeNo).toBe(callback.query.transactionId)
        expect(standIn.transactions.get(payment.tradeNo)?.state).toBe("confirmed")
      })
  )

  it.live("LINE Pay refuses a confirm for another amount (1153): amount-mismatch", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const callback = yield* approve(yield* gateway.start(request()))
      const e = yield* Effect.flip(gateway.api.confirm(callback.query.transactionId!, { amount: 1179 }))
      expect(e.reason).toBe("amount-mismatch")
      expect(e.returnCode).toBe("1153")
      // the right amount still confirms
      expect((yield* gateway.callback(callback)).status).toBe("paid")
    })
  )

  it.live("a buyer who cancels at LINE Pay comes back to a rejected payment; nothing is confirmed", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const start = yield* gateway.start(request())
      const back = yield* approve(start, "/web/cancel")
      expect(back.query.cancelled).toBe("1")
      const e = yield* Effect.flip(gateway.callback(back))
      expect(e.reason).toBe("rejected")
      expect(yield* gateway.check(back.query.transactionId!)).toBe("cancelled")
    })
  )

  it.live("acknowledge answers the buyer with a page", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      expect(gateway.acknowledge(true).body).toContain("付款完成")
      expect(gateway.acknowledge(false).body).toContain("付款未完成")
      expect(gateway.acknowledge(true).headers?.["content-type"]).toContain("text/html")
    })
  )
})

describe("refund, details, check", () => {
  it.live("partial then full refund; over-refund 1164, refund after full 1165; details list the refunds", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const r = request()
      const callback = yield* approve(yield* gateway.start(r))
      const id = callback.query.transactionId!
      expect(yield* gateway.check(id)).toBe("approved")
      yield* gateway.callback(callback)
      expect(yield* gateway.check(id)).toBe("completed")
      const partial = yield* gateway.refund({ transactionId: id, amount: 180 })
      expect(partial.refundTransactionId).toMatch(/^\d{19}$/)
      expect(standIn.received.at(-1)!.body).toBe('{"refundAmount":180}')
      const over = yield* Effect.flip(gateway.refund({ transactionId: id, amount: 1001 }))
      expect([over.reason, over.returnCode]).toEqual(["refund-refused", "1164"])
      const rest = yield* gateway.refund({ transactionId: id })
      expect(standIn.received.at(-1)!.body).toBe("{}")
      expect(rest.refundTransactionId).not.toBe(partial.refundTransactionId)
      const again = yield* Effect.flip(gateway.refund({ transactionId: id }))
      expect([again.reason, again.returnCode]).toEqual(["refund-refused", "1165"])
      const [tx] = yield* gateway.details({ orderId: r.merchantOrderNo })
      expect(tx?.transactionId).toBe(id)
      expect(tx?.refundList.map((x) => x.refundTransactionId)).toEqual([
        partial.refundTransactionId,
        rest.refundTransactionId
      ])
      const byId = yield* gateway.details({ transactionId: id })
      expect(byId[0]?.orderId).toBe(r.merchantOrderNo)
      expect(standIn.received.at(-1)!.query).toBe(`transactionId=${id}`)
    })
  )

  it.live("an unknown transaction is not-found (1150); a malformed id never leaves the process", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const e = yield* Effect.flip(gateway.refund({ transactionId: "1999999999999999999" }))
      expect([e.reason, e.returnCode]).toEqual(["not-found", "1150"])
      const before = standIn.received.length
      expect((yield* Effect.flip(gateway.check("123"))).reason).toBe("rejected")
      expect(standIn.received.length).toBe(before)
    })
  )

  it.live("GETs are retried after a 5xx", () =>
    Effect.gen(function* () {
      const gateway = yield* LinePay.make(options())
      const callback = yield* approve(yield* gateway.start(request()))
      standIn.failNext(503)
      expect(yield* gateway.check(callback.query.transactionId!)).toBe("approved")
    })
  )
})

describe("options", () => {
  it("rejects an empty channel id or secret", () => {
    expect(Exit.isFailure(Effect.runSyncExit(LinePay.make({ ...options(), channelId: "" })))).toBe(true)
    expect(Exit.isFailure(Effect.runSyncExit(LinePay.make({ ...options(), channelSecret: Redacted.make("") })))).toBe(
      true
    )
  })

  it.effect("layerConfig reads LINEPAY_* and provides both LinePay and PaymentGateway", () =>
    Effect.gen(function* () {
      const gateway = yield* PaymentGateway.PaymentGateway
      const linePay = yield* LinePay.LinePay
      expect(gateway).toBe(linePay)
      expect(gateway.id).toBe("linepay")
      expect(linePay.environment).toBe("production")
      expect(linePay.channelId).toBe("1656789012")
      expect(LinePay.endpoints.production).toBe("https://api-pay.line.me")
      expect(LinePay.endpoints.sandbox).toBe("https://sandbox-api-pay.line.me")
    }).pipe(
      Effect.provide(
        LinePay.layerConfig().pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: { LINEPAY_CHANNEL_ID: "1656789012", LINEPAY_CHANNEL_SECRET: SECRET, LINEPAY_ENV: "production" }
              })
            )
          )
        )
      )
    )
  )
})
