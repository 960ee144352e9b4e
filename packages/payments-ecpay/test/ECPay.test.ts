import { describe, expect, it } from "@effect/vitest"
import { Http, PaymentGateway } from "@kaituan/core"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { type DefaultTreeAdapterMap, parse } from "parse5"
import { CheckMacValue, ECPay, ECPayCallback, renderCheckoutPage } from "../src/index.js"
import { realCallback } from "./vectors.js"

const keys: CheckMacValue.Keys = {
  hashKey: Redacted.make("pwFHCqoQZGmho4w6"),
  hashIV: Redacted.make("EkRm7iFT261dpevs")
}
const MERCHANT = "3002607"
const options = { merchantId: MERCHANT, hashKey: keys.hashKey, hashIV: keys.hashIV }
const gateway = Effect.runSync(ECPay.make(options))

const post = (fields: Record<string, string>) =>
  Http.request({
    path: "/payments/ecpay/notify",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString()
  })

/** The real stage callback's fields without its CheckMacValue, to change and sign again. */
const { CheckMacValue: _realMac, ...realFields } = realCallback
/** A callback request with these fields, signed with the merchant's keys. */
const signed = (fields: Record<string, string>) => Http.request({ body: ECPayCallback.encode(fields, keys) })

const reasonOf = (request: Http.InboundRequest) =>
  Exit.match(Effect.runSyncExit(gateway.callback(request)), {
    onSuccess: () => "success",
    onFailure: (cause) => {
      const reason = cause.reasons.length === 1 ? cause.reasons[0]! : undefined
      return reason?._tag === "Fail" ? reason.error.reason : `defect ${reason?._tag ?? cause.reasons.length}`
    }
  })

// protocols.md §6.1 vector 2: the official SDK's simulated checkout response.
const sdkCallback = {
  MerchantID: "3002607",
  MerchantTradeNo: "WPLL4E341E122DB44D62",
  PaymentDate: "2019/05/09 00:01:21",
  PaymentType: "Credit_CreditCard",
  PaymentTypeChargeFee: "1",
  RtnCode: "1",
  RtnMsg: "交易成功",
  SimulatePaid: "0",
  TradeAmt: "500",
  TradeDate: "2019/05/09 00:00:18",
  TradeNo: "1905090000188278",
  CheckMacValue: "6E7F053EF215FC851A050A2FF01D72CBE440EA138DC3E905647985DDF236FD25"
}

describe("ReturnURL callbacks", () => {
  it.effect("the real stage callback (vector 3) is a paid credit-card payment", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(post(realCallback))
      expect(payment).toEqual({
        gateway: "ecpay",
        tradeNo: "2412171822169397",
        merchantOrderNo: "test1734430936645",
        amount: 100,
        status: "paid",
        method: "credit",
        paidAt: "2024-12-17T18:22:54+08:00",
        simulated: false,
        message: "交易成功"
      })
    })
  )

  it.effect("the official SDK example (vector 2) verifies", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(post(sdkCallback))
      expect(payment).toMatchObject({
        tradeNo: "1905090000188278",
        merchantOrderNo: "WPLL4E341E122DB44D62",
        amount: 500,
        status: "paid",
        paidAt: "2019-05-09T00:01:21+08:00"
      })
    })
  )

  it("a tampered field is unauthorized: amount, order number, an empty field, SimulatePaid", () => {
    expect(reasonOf(post({ ...realCallback, TradeAmt: "1000" }))).toBe("unauthorized")
    expect(reasonOf(post({ ...realCallback, MerchantTradeNo: "test1734430936646" }))).toBe("unauthorized")
    expect(reasonOf(post({ ...realCallback, CustomField1: "x" }))).toBe("unauthorized")
    expect(reasonOf(post({ ...realCallback, SimulatePaid: "1" }))).toBe("unauthorized")
    const { StoreID: _dropped, ...withoutStoreId } = realCallback
    expect(reasonOf(post(withoutStoreId))).toBe("unauthorized")
    expect(reasonOf(post({ ...realCallback, Extra: "" }))).toBe("unauthorized")
  })

  it("a tampered, missing or empty CheckMacValue is unauthorized", () => {
    const mac = realCallback.CheckMacValue
    expect(reasonOf(post({ ...realCallback, CheckMacValue: (mac[0] === "4" ? "5" : "4") + mac.slice(1) }))).toBe(
      "unauthorized"
    )
    expect(reasonOf(post(realFields))).toBe("unauthorized")
    expect(reasonOf(post({ ...realCallback, CheckMacValue: "" }))).toBe("unauthorized")
    expect(reasonOf(Http.request({ body: "" }))).toBe("unauthorized")
  })

  it("a callback signed with another key is unauthorized", () => {
    const other = { hashKey: Redacted.make("5294y06JbISpM5x9"), hashIV: Redacted.make("v77hoKGq4kWxNNIS") }
    expect(reasonOf(Http.request({ body: ECPayCallback.encode(realFields, other) }))).toBe("unauthorized")
  })

  it("a malformed body is invalid: not UTF-8, or a repeated field", () => {
    expect(reasonOf(Http.request({ body: new Uint8Array([0x52, 0x74, 0x6e, 0x3d, 0xc3, 0x28]) }))).toBe(
      "invalid-payload"
    )
    const body = `${new URLSearchParams(realCallback).toString()}&TradeAmt=100`
    expect(reasonOf(Http.request({ body }))).toBe("invalid-payload")
  })

  it("a correctly signed callback lacking required fields is invalid; another merchant's is unauthorized", () => {
    const { TradeNo: _t, ...noTradeNo } = realFields
    expect(reasonOf(signed(noTradeNo))).toBe("invalid-payload")
    expect(reasonOf(signed({ ...realFields, TradeAmt: "1.5" }))).toBe("invalid-payload")
    expect(reasonOf(signed({ ...realFields, MerchantID: "2000132" }))).toBe("unauthorized")
  })

  it("a correctly signed trade number no database can key on is invalid; a garbled payer bank code is dropped", () => {
    for (const TradeNo of ["2405\u00000001", "x".repeat(65), "2405 0001", "２４０５"])
      expect(reasonOf(signed({ ...realFields, TradeNo })), JSON.stringify(TradeNo)).toBe("invalid-payload")
    expect(reasonOf(signed({ ...realFields, MerchantTradeNo: "K1\u0000" }))).toBe("invalid-payload")
    const payment = Effect.runSync(
      gateway.callback(signed({ ...realFields, ATMAccBank: "8\u000012", ATMAccNo: "12345678" }))
    )
    expect(payment.payerBankCode).toBeUndefined()
    expect(payment.payerLast5).toBe("45678")
  })

  it.effect("SimulatePaid=1 is marked simulated (never real money)", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(signed({ ...realFields, SimulatePaid: "1" }))
      expect(payment.simulated).toBe(true)
      expect(payment.status).toBe("paid")
      expect(payment.message).toContain("SimulatePaid=1")
    })
  )

  it.effect("a paid ATM transfer (NeedExtraPaidInfo=Y) carries the payer's bank and last five digits", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(
        signed({
          MerchantID: MERCHANT,
          MerchantTradeNo: "GB20240501A1",
          StoreID: "",
          RtnCode: "1",
          RtnMsg: "paid",
          TradeNo: "2405011234567890",
          TradeAmt: "1280",
          PaymentDate: "2024/05/02 09:10:11",
          PaymentType: "ATM_TAISHIN",
          PaymentTypeChargeFee: "10",
          TradeDate: "2024/05/01 12:00:00",
          SimulatePaid: "0",
          ATMAccBank: "812",
          ATMAccNo: "12345",
          CustomField1: "",
          CustomField2: "",
          CustomField3: "",
          CustomField4: "",
          amount: "1280",
          auth_code: ""
        })
      )
      expect(payment).toEqual({
        gateway: "ecpay",
        tradeNo: "2405011234567890",
        merchantOrderNo: "GB20240501A1",
        amount: 1280,
        status: "paid",
        method: "atm",
        paidAt: "2024-05-02T09:10:11+08:00",
        payerBankCode: "812",
        payerLast5: "12345",
        simulated: false,
        message: "paid"
      })
    })
  )

  it.effect("WebATM payer fields are read too, and a longer account number keeps its last five digits", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(
        signed({
          MerchantID: MERCHANT,
          MerchantTradeNo: "GB2",
          RtnCode: "1",
          RtnMsg: "交易成功",
          TradeNo: "2405011234567891",
          TradeAmt: "300",
          PaymentDate: "2024/05/02 09:10:11",
          PaymentType: "WebATM_TAISHIN",
          SimulatePaid: "0",
          WebATMAccBank: "822",
          WebATMAccNo: "0000123454321",
          WebATMBankName: "中國信託"
        })
      )
      expect(payment).toMatchObject({ method: "webatm", payerBankCode: "822", payerLast5: "54321" })
    })
  )

  it.effect("a failed payment is failed", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(signed({ ...realFields, RtnCode: "10100058", RtnMsg: "付款失敗" }))
      expect(payment).toMatchObject({ status: "failed", message: "付款失敗" })
      expect(payment.paidAt).toBeUndefined()
    })
  )
})

describe("PaymentInfoURL callbacks", () => {
  it.effect("an ATM virtual account issued (RtnCode=2) is pending with vAccount", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(
        signed({
          MerchantID: MERCHANT,
          MerchantTradeNo: "GB20240501A1",
          StoreID: "",
          RtnCode: "2",
          RtnMsg: "Get VirtualAccount Succeeded",
          TradeNo: "2405011234567890",
          TradeAmt: "1280",
          PaymentType: "ATM_TAISHIN",
          TradeDate: "2024/05/01 12:00:00",
          BankCode: "812",
          vAccount: "9103522175887271",
          ExpireDate: "2024/05/04",
          CustomField1: "",
          CustomField2: "",
          CustomField3: "",
          CustomField4: ""
        })
      )
      expect(payment).toMatchObject({
        status: "pending",
        method: "atm",
        virtualAccount: "9103522175887271",
        amount: 1280,
        simulated: false
      })
      expect(payment.payerLast5).toBeUndefined()
      expect(payment.payerBankCode).toBeUndefined()
      expect(payment.paidAt).toBeUndefined()
      expect(payment.message).toContain("(812) 9103522175887271")
      expect(payment.message).toContain("2024/05/04")
    })
  )

  it.effect("a CVS code issued (RtnCode=10100073) is pending with the code in the message", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(
        signed({
          MerchantID: MERCHANT,
          MerchantTradeNo: "GB3",
          RtnCode: "10100073",
          RtnMsg: "Get CVS Code Succeeded.",
          TradeNo: "2405011234567892",
          TradeAmt: "199",
          PaymentType: "CVS_CVS",
          TradeDate: "2024/05/01 12:00:00",
          PaymentNo: "LLL24122912345",
          ExpireDate: "2024/05/08 12:00:00"
        })
      )
      expect(payment).toMatchObject({ status: "pending", method: "cvs" })
      expect(payment.virtualAccount).toBeUndefined()
      expect(payment.message).toContain("LLL24122912345")
    })
  )
})

describe("round trip", () => {
  it("any paid ATM callback built with the key verifies and decodes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.stringMatching(/^[A-Za-z0-9]{1,20}$/),
        fc.stringMatching(/^\d{5}$/),
        fc.string(),
        fc.boolean(),
        (amount, orderNo, last5, custom, simulated) => {
          const body = ECPayCallback.encode(
            {
              MerchantID: MERCHANT,
              MerchantTradeNo: orderNo,
              RtnCode: "1",
              RtnMsg: "交易成功",
              TradeNo: `T${amount}`,
              TradeAmt: String(amount),
              PaymentDate: "2024/05/02 09:10:11",
              PaymentType: "ATM_LAND",
              SimulatePaid: simulated ? "1" : "0",
              ATMAccBank: "004",
              ATMAccNo: last5,
              CustomField1: custom
            },
            keys
          )
          const payment = Effect.runSync(gateway.callback(Http.request({ body })))
          expect(payment.amount).toBe(amount)
          expect(payment.merchantOrderNo).toBe(orderNo)
          expect(payment.payerLast5).toBe(last5)
          expect(payment.simulated).toBe(simulated)
        }
      )
    )
  })
})

describe("acknowledge", () => {
  it("accepted is exactly 1|OK, 200, text/plain", () => {
    const answer = gateway.acknowledge(true)
    expect(answer.status).toBe(200)
    expect(answer.body).toBe("1|OK")
    expect(answer.headers?.["content-type"]).toMatch(/^text\/plain/)
  })

  it("refused is 0|ErrorMessage", () => {
    const answer = gateway.acknowledge(false)
    expect(answer.body).toBe("0|ErrorMessage")
    expect(answer.status).toBe(400)
    expect(ECPayCallback.refusal("bad|mac\r\n")).toBe("0|bad mac  ")
  })
})

describe("start", () => {
  const request: PaymentGateway.PaymentRequest = {
    merchantOrderNo: "GB20240501120000A1",
    orderId: "order-1",
    amount: 1280,
    description: "芒果(愛文) x2#蘋果*1!~'",
    notifyUrl: "https://shop.example/payments/ecpay/notify",
    returnUrl: "https://shop.example/pay/order-1"
  }

  it.effect("builds the signed AIO form with MerchantTradeDate in Taiwan time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.UTC(2024, 3, 30, 16, 0, 0)) // 2024/05/01 00:00:00 in Taipei
      const start = yield* gateway.start(request)
      if (start._tag !== "Form") throw new Error("expected a form")
      expect(start.action).toBe("https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5")
      expect(start.method).toBe("POST")
      const { CheckMacValue: mac, ...fields } = start.fields
      expect(fields).toEqual({
        MerchantID: MERCHANT,
        MerchantTradeNo: "GB20240501120000A1",
        MerchantTradeDate: "2024/05/01 00:00:00",
        PaymentType: "aio",
        TotalAmount: "1280",
        TradeDesc: "芒果(愛文) x2#蘋果*1!~'",
        ItemName: "芒果(愛文) x2#蘋果*1!~'",
        ReturnURL: "https://shop.example/payments/ecpay/notify",
        PaymentInfoURL: "https://shop.example/payments/ecpay/notify",
        ChoosePayment: "ALL",
        EncryptType: "1",
        NeedExtraPaidInfo: "Y",
        ClientBackURL: "https://shop.example/pay/order-1"
      })
      expect(mac).toBe(CheckMacValue.compute(fields, keys))
      expect(CheckMacValue.verify(start.fields, keys)).toBe(true)
    })
  )

  it.effect("method hints choose the payment; ATM gets the expiry; production uses payment.ecpay.com.tw", () =>
    Effect.gen(function* () {
      const production = yield* ECPay.make({ ...options, environment: "production", atmExpireDays: 5 })
      const atm = yield* production.start({ ...request, method: "atm" })
      if (atm._tag !== "Form") throw new Error("expected a form")
      expect(atm.action).toBe("https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5")
      expect(atm.fields.ChoosePayment).toBe("ATM")
      expect(atm.fields.ExpireDate).toBe("5")
      expect(atm.fields.PaymentInfoURL).toBe(request.notifyUrl)
      const credit = yield* production.start({ ...request, method: "credit" })
      if (credit._tag !== "Form") throw new Error("expected a form")
      expect(credit.fields.ChoosePayment).toBe("Credit")
      expect(credit.fields.PaymentInfoURL).toBeUndefined()
      expect(credit.fields.ExpireDate).toBeUndefined()
    })
  )

  it.effect("refuses what ECPay would refuse", () =>
    Effect.gen(function* () {
      const reason = (r: PaymentGateway.PaymentRequest) => Effect.map(Effect.flip(gateway.start(r)), (e) => e.reason)
      expect(yield* reason({ ...request, merchantOrderNo: "GB_1" })).toBe("invalid-payload")
      expect(yield* reason({ ...request, merchantOrderNo: "A".repeat(21) })).toBe("invalid-payload")
      expect(yield* reason({ ...request, amount: -1 })).toBe("invalid-payload")
      expect(yield* reason({ ...request, notifyUrl: undefined })).toBe("invalid-payload")
      expect(yield* reason({ ...request, method: "bitcoin" })).toBe("unsupported")
    })
  )
})

describe("options and layers", () => {
  it.effect("layerConfig reads ECPAY_* and provides both ECPay and PaymentGateway", () =>
    Effect.gen(function* () {
      const port = yield* PaymentGateway.PaymentGateway
      const ecpay = yield* ECPay.ECPay
      expect(port).toBe(ecpay)
      expect(port.id).toBe("ecpay")
      expect(ecpay.environment).toBe("production")
      const start = yield* port.start({
        merchantOrderNo: "A1",
        orderId: "a",
        amount: 10,
        description: "x",
        method: "atm"
      })
      if (start._tag !== "Form") throw new Error("expected a form")
      expect(start.fields.ReturnURL).toBe("https://env.example/notify")
      expect(start.fields.ExpireDate).toBe("7")
      expect(start.action).toBe("https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5")
    }).pipe(
      Effect.provide(
        ECPay.layerConfig().pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: {
                  ECPAY_MERCHANT_ID: MERCHANT,
                  ECPAY_HASH_KEY: "pwFHCqoQZGmho4w6",
                  ECPAY_HASH_IV: "EkRm7iFT261dpevs",
                  ECPAY_ENV: "production",
                  ECPAY_NOTIFY_URL: "https://env.example/notify",
                  ECPAY_ATM_EXPIRE_DAYS: "7"
                }
              })
            )
          )
        )
      )
    )
  )

  it("rejects an empty merchant or key, and an unknown ECPAY_ENV", () => {
    expect(Exit.isFailure(Effect.runSyncExit(ECPay.make({ ...options, merchantId: " " })))).toBe(true)
    expect(Exit.isFailure(Effect.runSyncExit(ECPay.make({ ...options, hashKey: Redacted.make("") })))).toBe(true)
    const missing = Effect.runSyncExit(
      Effect.provide(
        ECPay.ECPay,
        ECPay.layerConfig().pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: {
                  ECPAY_MERCHANT_ID: MERCHANT,
                  ECPAY_HASH_KEY: "k",
                  ECPAY_HASH_IV: "v",
                  ECPAY_ENV: "staging"
                }
              })
            )
          )
        )
      )
    )
    expect(Exit.isFailure(missing)).toBe(true)
  })
})

/** The hidden fields a browser would post from a checkout page, read from the parsed HTML. */
const postedFields = (html: string): Record<string, string> => {
  const posted: Record<string, string> = {}
  const visit = (node: DefaultTreeAdapterMap["node"]): void => {
    if ("tagName" in node && node.tagName === "input") {
      const attrs = new Map(node.attrs.map((a) => [a.name, a.value]))
      posted[attrs.get("name") ?? ""] = attrs.get("value") ?? ""
    }
    if ("childNodes" in node) node.childNodes.forEach(visit)
  }
  visit(parse(html))
  return posted
}

describe("renderCheckoutPage", () => {
  it.effect("the checkout page of an ECPay start posts to AioCheckOut/V5 fields that still verify", () =>
    Effect.gen(function* () {
      const start = yield* gateway.start({
        merchantOrderNo: "GB20240501A1",
        orderId: "o1",
        amount: 1280,
        description: `芒果 "愛文" <禮盒> & 'more'`,
        notifyUrl: "https://shop.example/payments/ecpay/notify?x=1&y=2"
      })
      if (start._tag !== "Form") throw new Error("expected a form")
      const html = renderCheckoutPage(start)
      expect(html).toContain('action="https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"')
      const posted = postedFields(html)
      expect(posted).toEqual(start.fields)
      expect(posted["ItemName"]).toBe(`芒果 "愛文" <禮盒> & 'more'`)
      expect(CheckMacValue.verify(posted, keys)).toBe(true)
    })
  )
})
