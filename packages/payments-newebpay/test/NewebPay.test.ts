import { PaymentGateway } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { type DefaultTreeAdapterMap, parse } from "parse5"
import { NewebPay, NewebPayCrypto, renderCheckoutPage } from "../src/index.js"

const hashKey = "12345678901234567890123456789012"
const hashIV = "1234567890123456"
const keys: NewebPayCrypto.Keys = { hashKey: Redacted.make(hashKey), hashIV: Redacted.make(hashIV) }
const options = { merchantId: "MS12345678", hashKey: keys.hashKey, hashIV: keys.hashIV }

const request: PaymentGateway.PaymentRequest = {
  merchantOrderNo: "GB20240501A1",
  orderId: "order-1",
  amount: 1280,
  description: "芒果禮盒 x2 & 蘋果",
  buyerEmail: "buyer@example.com",
  notifyUrl: "https://shop.example/payments/newebpay/notify",
  returnUrl: "https://shop.example/pay/order-1/done"
}

const decryptFields = (tradeInfo: string) =>
  Object.fromEntries(new URLSearchParams(Result.getOrThrow(NewebPayCrypto.decrypt(tradeInfo, keys))))

describe("start", () => {
  it.effect("builds the MPG form: TradeInfo decrypts to the order, TradeSha matches", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_714_538_096_000)
      const gateway = yield* NewebPay.make(options)
      const start = yield* gateway.start(request)
      if (start._tag !== "Form") throw new Error("expected a form")
      expect(start.action).toBe("https://ccore.newebpay.com/MPG/mpg_gateway")
      expect(start.method).toBe("POST")
      expect(Object.keys(start.fields)).toEqual(["MerchantID", "TradeInfo", "TradeSha", "Version"])
      expect(start.fields.MerchantID).toBe("MS12345678")
      expect(start.fields.Version).toBe("2.0")
      const tradeInfo = start.fields.TradeInfo!
      expect(start.fields.TradeSha).toBe(NewebPayCrypto.tradeSha(tradeInfo, keys))
      expect(decryptFields(tradeInfo)).toEqual({
        MerchantID: "MS12345678",
        RespondType: "JSON",
        TimeStamp: "1714538096",
        Version: "2.0",
        MerchantOrderNo: "GB20240501A1",
        Amt: "1280",
        ItemDesc: "芒果禮盒 x2 & 蘋果",
        Email: "buyer@example.com",
        LoginType: "0",
        NotifyURL: "https://shop.example/payments/newebpay/notify",
        ReturnURL: "https://shop.example/pay/order-1/done"
      })
    })
  )

  it.effect("production uses core.newebpay.com; method hints become payment switches", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.make({ ...options, environment: "production", padding: "pkcs7" })
      const start = yield* gateway.start({ ...request, method: "atm" })
      if (start._tag !== "Form") throw new Error("expected a form")
      expect(start.action).toBe("https://core.newebpay.com/MPG/mpg_gateway")
      expect(decryptFields(start.fields.TradeInfo!).VACC).toBe("1")
      const credit = yield* gateway.start({ ...request, method: "credit" })
      if (credit._tag !== "Form") throw new Error("expected a form")
      const fields = decryptFields(credit.fields.TradeInfo!)
      expect(fields.CREDIT).toBe("1")
      expect(fields.VACC).toBeUndefined()
    })
  )

  it.effect("falls back to the configured NotifyURL/ReturnURL and truncates ItemDesc to 50 characters", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.make({
        ...options,
        notifyUrl: "https://a.example/notify",
        returnUrl: "https://a.example/return",
        clientBackUrl: "https://a.example/back"
      })
      const { notifyUrl: _n, returnUrl: _r, ...bare } = request
      const start = yield* gateway.start({ ...bare, description: "團".repeat(80) })
      if (start._tag !== "Form") throw new Error("expected a form")
      const fields = decryptFields(start.fields.TradeInfo!)
      expect(fields.NotifyURL).toBe("https://a.example/notify")
      expect(fields.ReturnURL).toBe("https://a.example/return")
      expect(fields.ClientBackURL).toBe("https://a.example/back")
      expect(fields.ItemDesc).toBe("團".repeat(50))
    })
  )

  it.effect("refuses order numbers and amounts NewebPay would refuse, and unknown methods", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.make(options)
      const reason = (r: PaymentGateway.PaymentRequest) => Effect.map(Effect.flip(gateway.start(r)), (e) => e.reason)
      expect(yield* reason({ ...request, merchantOrderNo: "GB-1" })).toBe("invalid-payload")
      expect(yield* reason({ ...request, merchantOrderNo: "x".repeat(31) })).toBe("invalid-payload")
      expect(yield* reason({ ...request, amount: 0 })).toBe("invalid-payload")
      expect(yield* reason({ ...request, amount: 12.5 })).toBe("invalid-payload")
      expect(yield* reason({ ...request, method: "bitcoin" })).toBe("unsupported")
    })
  )
})

describe("options", () => {
  it("rejects keys of the wrong size", () => {
    expect(Exit.isFailure(Effect.runSyncExit(NewebPay.make({ ...options, hashKey: Redacted.make("short") })))).toBe(
      true
    )
    expect(Exit.isFailure(Effect.runSyncExit(NewebPay.make({ ...options, hashIV: Redacted.make("short") })))).toBe(true)
    expect(Exit.isFailure(Effect.runSyncExit(NewebPay.make({ ...options, merchantId: "" })))).toBe(true)
  })

  it.effect("layerConfig reads NEWEBPAY_* and provides both NewebPay and PaymentGateway", () =>
    Effect.gen(function* () {
      const gateway = yield* PaymentGateway.PaymentGateway
      const newebpay = yield* NewebPay.NewebPay
      expect(gateway).toBe(newebpay)
      expect(gateway.id).toBe("newebpay")
      expect(newebpay.environment).toBe("production")
      expect(newebpay.merchantId).toBe("MS0001")
      const start = yield* gateway.start({ ...request, notifyUrl: undefined })
      if (start._tag !== "Form") throw new Error("expected a form")
      expect(start.action).toBe("https://core.newebpay.com/MPG/mpg_gateway")
      expect(decryptFields(start.fields.TradeInfo!).NotifyURL).toBe("https://env.example/notify")
    }).pipe(
      Effect.provide(
        NewebPay.layerConfig().pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: {
                  NEWEBPAY_MERCHANT_ID: "MS0001",
                  NEWEBPAY_HASH_KEY: hashKey,
                  NEWEBPAY_HASH_IV: hashIV,
                  NEWEBPAY_ENV: "production",
                  NEWEBPAY_NOTIFY_URL: "https://env.example/notify"
                }
              })
            )
          )
        )
      )
    )
  )

  it("layerConfig fails without the secrets", () => {
    const exit = Effect.runSyncExit(
      Effect.provide(
        NewebPay.NewebPay,
        NewebPay.layerConfig().pipe(
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { NEWEBPAY_MERCHANT_ID: "MS1" } })))
        )
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
  })

  it.effect("makeConfig reads NEWEBPAY_*; the caller sets the rest (retry, timeout, transport)", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.makeConfig({ retry: { retries: 0 }, timeoutMs: 5_000 }).pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromEnv({
            env: {
              NEWEBPAY_MERCHANT_ID: "MS1",
              NEWEBPAY_HASH_KEY: "12345678901234567890123456789012",
              NEWEBPAY_HASH_IV: "1234567890123456",
              NEWEBPAY_ENV: "production"
            }
          })
        )
      )
      expect(gateway.merchantId).toBe("MS1")
      expect(gateway.environment).toBe("production")
    })
  )

  it.effect("defaults to the sandbox", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.make(options)
      expect(gateway.environment).toBe("sandbox")
      expect(NewebPay.endpoints.sandbox.api).toBe("https://ccore.newebpay.com")
      expect(NewebPay.endpoints.production.api).toBe("https://core.newebpay.com")
    })
  )
})

/** The value of the hidden input `name` in a checkout page, as a browser would post it. */
const inputValue = (node: DefaultTreeAdapterMap["node"], name: string): string | undefined => {
  if ("tagName" in node && node.tagName === "input" && node.attrs.some((a) => a.name === "name" && a.value === name))
    return node.attrs.find((a) => a.name === "value")?.value
  if (!("childNodes" in node)) return undefined
  for (const child of node.childNodes) {
    const found = inputValue(child, name)
    if (found !== undefined) return found
  }
  return undefined
}

describe("renderCheckoutPage", () => {
  it.effect("the checkout page of a NewebPay start posts a TradeInfo that decrypts to the order", () =>
    Effect.gen(function* () {
      const gateway = yield* NewebPay.make(options)
      const start = yield* gateway.start({ ...request, description: `芒果 "愛文" <禮盒> & 'more'` })
      if (start._tag !== "Form") throw new Error("expected a form")
      const html = renderCheckoutPage(start)
      expect(html).toContain('action="https://ccore.newebpay.com/MPG/mpg_gateway"')
      const document = parse(html)
      expect(inputValue(document, "TradeInfo")).toBe(start.fields["TradeInfo"])
      expect(inputValue(document, "TradeSha")).toBe(start.fields["TradeSha"])
      expect(decryptFields(inputValue(document, "TradeInfo")!)["ItemDesc"]).toBe(`芒果 "愛文" <禮盒> & 'more'`)
    })
  )
})
