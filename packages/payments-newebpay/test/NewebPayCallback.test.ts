import { Http, type PaymentGateway } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted, Result } from "effect"
import fc from "fast-check"
import { NewebPay, NewebPayCallback, NewebPayCrypto } from "../src/index.js"

const keys: NewebPayCrypto.Keys = {
  hashKey: Redacted.make("12345678901234567890123456789012"),
  hashIV: Redacted.make("1234567890123456")
}
const MERCHANT = "MS12345678"

// protocols.md §5.2: the computed VACC notify vector.
const VACC_TRADE_INFO =
  "dbd10642b6db8f107ed6a138b288456dc88ac461c2eb207f0513178b418bbb85d71680649c1360cef65959fd1fde200a76cd437c0a769d055dc29e3ab38acebca4bcaf75ce4b8be74ae2149f857238eaa4b0b4f72132bdec213630d9f2a4e81b0a12f5e41d9f811993b0fb9bc82884167128228842215bae66e5a93dde7c0aa491f65736680614f57ffdff80445fabc28f44ffff3fcf7b567ad3086ba920080d49c5fac2dac4e18955c9ddba717a3c45b205e22167d37d5ce6e001ef840c8ff465168450d97985cb3959c0087761d8423ad8b218031d1bebff5438fda7419e4d958d80d6c072f67cc2274b0298e6a983db2c30e3665deec0d4780ad5b4116c1b5b26f2d5ca750c31530e859e1b90a00a02a16a4b72052be0575288a2f3f5b57e63a1d1de1a5716ac80103de619961206d58de6f2033bec6854ec1baf5bb6d4bafe64e6f4b6a5298000c8a4ebc5b18e6d"
const VACC_TRADE_SHA = "0B15511B18D8882688BF491246306CE1D973589E72A29329EE52141C037CBC1C"

const gateway = Effect.runSync(
  NewebPay.make({ merchantId: MERCHANT, hashKey: keys.hashKey, hashIV: keys.hashIV, environment: "sandbox" })
)

const post = (fields: Record<string, string>) =>
  Http.request({
    path: "/payments/newebpay/notify",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString()
  })

const vaccBody = (overrides: Record<string, string> = {}) => ({
  Status: "SUCCESS",
  MerchantID: MERCHANT,
  Version: "2.0",
  TradeInfo: VACC_TRADE_INFO,
  TradeSha: VACC_TRADE_SHA,
  ...overrides
})

const reasonOf = (exit: Exit.Exit<unknown, PaymentGateway.GatewayError>) =>
  Exit.match(exit, {
    onSuccess: () => "success",
    onFailure: (cause) => {
      const reason = cause.reasons.length === 1 ? cause.reasons[0]! : undefined
      return reason?._tag === "Fail" ? reason.error.reason : `defect ${reason?._tag ?? cause.reasons.length}`
    }
  })

const callbackReason = (request: Http.InboundRequest) => reasonOf(Effect.runSyncExit(gateway.callback(request)))

const encodeBody = (
  result: Record<string, string | number>,
  options: { status?: string; message?: string; respondType?: "JSON" | "String"; padding?: NewebPayCrypto.Padding } = {}
) =>
  Result.getOrThrow(
    NewebPayCallback.encode(
      { status: options.status ?? "SUCCESS", message: options.message ?? "授權成功", result },
      { keys, merchantId: MERCHANT, respondType: options.respondType, padding: options.padding }
    )
  )

const bodyRequest = (body: string) => Http.request({ body })

describe("NotifyURL callback: the VACC vector", () => {
  it.effect("verifies, decrypts and maps to a paid GatewayPayment with the payer's last five digits", () =>
    Effect.gen(function* () {
      const payment = yield* gateway.callback(post(vaccBody()))
      expect(payment).toEqual({
        gateway: "newebpay",
        tradeNo: "24050112000012345",
        merchantOrderNo: "GB20240501A1",
        amount: 1280,
        status: "paid",
        method: "atm",
        paidAt: "2024-05-01T12:34:56+08:00",
        payerBankCode: "812",
        payerLast5: "12345",
        simulated: false,
        message: "付款成功"
      })
    })
  )

  it("ignores the unsigned outer Status", () => {
    const payment = Effect.runSync(gateway.callback(post(vaccBody({ Status: "MPG03009" }))))
    expect(payment.status).toBe("paid")
  })

  it("a tampered TradeInfo is unauthorized", () => {
    const last = VACC_TRADE_INFO.at(-1) === "0" ? "1" : "0"
    expect(callbackReason(post(vaccBody({ TradeInfo: VACC_TRADE_INFO.slice(0, -1) + last })))).toBe("unauthorized")
  })

  it("a tampered TradeSha is unauthorized", () => {
    const first = VACC_TRADE_SHA[0] === "A" ? "B" : "A"
    expect(callbackReason(post(vaccBody({ TradeSha: first + VACC_TRADE_SHA.slice(1) })))).toBe("unauthorized")
  })

  it("a missing TradeSha or TradeInfo is unauthorized", () => {
    const { TradeSha: _sha, ...noSha } = vaccBody()
    const { TradeInfo: _info, ...noInfo } = vaccBody()
    expect(callbackReason(post(noSha))).toBe("unauthorized")
    expect(callbackReason(post(noInfo))).toBe("unauthorized")
    expect(callbackReason(post(vaccBody({ TradeSha: "" })))).toBe("unauthorized")
    expect(callbackReason(bodyRequest(""))).toBe("unauthorized")
  })

  it("a signature made with another key is unauthorized", () => {
    const otherKeys = { hashKey: Redacted.make("abcdefghijklmnopqrstuvwxyz123456"), hashIV: keys.hashIV }
    const forged = Result.getOrThrow(
      NewebPayCallback.encode(
        {
          status: "SUCCESS",
          message: "",
          result: { MerchantID: MERCHANT, Amt: 1, TradeNo: "1", MerchantOrderNo: "X" }
        },
        { keys: otherKeys, merchantId: MERCHANT }
      )
    )
    expect(callbackReason(bodyRequest(forged))).toBe("unauthorized")
  })

  it("checks TradeSha before decrypting: garbage TradeInfo with a wrong sha is unauthorized, with the right sha invalid", () => {
    expect(callbackReason(post(vaccBody({ TradeInfo: "not-hex" })))).toBe("unauthorized")
    const garbage = "00".repeat(16)
    expect(
      callbackReason(post(vaccBody({ TradeInfo: garbage, TradeSha: NewebPayCrypto.tradeSha(garbage, keys) })))
    ).toBe("invalid-payload")
    expect(callbackReason(post(vaccBody({ TradeInfo: "zz", TradeSha: NewebPayCrypto.tradeSha("zz", keys) })))).toBe(
      "invalid-payload"
    )
  })

  it("a body that is not UTF-8 or repeats a field is invalid", () => {
    expect(callbackReason(Http.request({ body: new Uint8Array([0x54, 0x3d, 0xff, 0xfe]) }))).toBe("invalid-payload")
    const twice = `${new URLSearchParams(vaccBody()).toString()}&TradeInfo=${VACC_TRADE_INFO}`
    expect(callbackReason(bodyRequest(twice))).toBe("invalid-payload")
  })

  it("AES-GCM callbacks (EncryptType=1) are unsupported once the sha checks out", () => {
    expect(callbackReason(post(vaccBody({ EncryptType: "1" })))).toBe("unsupported")
  })
})

describe("round trips: callbacks built with the key", () => {
  const credit = {
    MerchantID: MERCHANT,
    Amt: 980,
    TradeNo: "24050112000099999",
    MerchantOrderNo: "GB_R1_O7",
    RespondType: "JSON",
    IP: "203.0.113.9",
    EscrowBank: "HNCB",
    PaymentType: "CREDIT",
    PayTime: "2024-05-02 08:00:01",
    RespondCode: "00",
    Auth: "930637",
    Card6No: "400022",
    Card4No: "1111"
  }

  for (const respondType of ["JSON", "String"] as const) {
    for (const padding of ["pad32", "pkcs7"] as const) {
      it(`credit card, ${respondType} result, ${padding} padding`, () => {
        const payment = Effect.runSync(gateway.callback(bodyRequest(encodeBody(credit, { respondType, padding }))))
        expect(payment).toEqual({
          gateway: "newebpay",
          tradeNo: "24050112000099999",
          merchantOrderNo: "GB_R1_O7",
          amount: 980,
          status: "paid",
          method: "credit",
          paidAt: "2024-05-02T08:00:01+08:00",
          simulated: false,
          message: "授權成功"
        })
      })
    }
  }

  it("bank transfer (WebATM) carries the payer's bank code and last five digits", () => {
    const body = encodeBody(
      {
        MerchantID: MERCHANT,
        Amt: 1500,
        TradeNo: "24050112000011111",
        MerchantOrderNo: "GB2",
        PaymentType: "WEBATM",
        PayTime: "2024-05-0123:59:59",
        PayBankCode: "822",
        PayerAccount5Code: "54321"
      },
      { respondType: "String" }
    )
    const payment = Effect.runSync(gateway.callback(bodyRequest(body)))
    expect(payment).toMatchObject({
      status: "paid",
      method: "webatm",
      payerBankCode: "822",
      payerLast5: "54321",
      amount: 1500,
      paidAt: "2024-05-01T23:59:59+08:00"
    })
  })

  it("an issued ATM virtual account (CustomerURL) is pending with the account", () => {
    const body = encodeBody({
      MerchantID: MERCHANT,
      Amt: 1280,
      TradeNo: "24050112000012345",
      MerchantOrderNo: "GB20240501A1",
      PaymentType: "VACC",
      ExpireDate: "2024-05-04",
      ExpireTime: "23:59:59",
      BankCode: "013",
      CodeNo: "94000012345678"
    })
    const payment = Effect.runSync(gateway.callback(bodyRequest(body)))
    expect(payment.status).toBe("pending")
    expect(payment.virtualAccount).toBe("94000012345678")
    expect(payment.paidAt).toBeUndefined()
    expect(payment.payerLast5).toBeUndefined()
    expect(payment.message).toContain("(013) 94000012345678")
    expect(payment.message).toContain("2024-05-04 23:59:59")
  })

  it("a failed payment is failed with the vendor's message", () => {
    const body = encodeBody(
      { MerchantID: MERCHANT, Amt: 980, TradeNo: "24050112000099998", MerchantOrderNo: "GB3", PaymentType: "CREDIT" },
      { status: "MPG03009", message: "交易失敗" }
    )
    const payment = Effect.runSync(gateway.callback(bodyRequest(body)))
    expect(payment).toMatchObject({ status: "failed", message: "交易失敗", method: "credit" })
  })

  it("accepts Result as a JSON string (older MPG versions)", () => {
    const plaintext = JSON.stringify({
      Status: "SUCCESS",
      Message: "ok",
      Result: JSON.stringify({
        MerchantID: MERCHANT,
        Amt: 5,
        TradeNo: "T1",
        MerchantOrderNo: "O1",
        PaymentType: "CVS",
        PayTime: "2024-01-01 00:00:00"
      })
    })
    const tradeInfo = Result.getOrThrow(NewebPayCrypto.encrypt(plaintext, keys))
    const payment = Effect.runSync(
      gateway.callback(post({ TradeInfo: tradeInfo, TradeSha: NewebPayCrypto.tradeSha(tradeInfo, keys) }))
    )
    expect(payment).toMatchObject({ tradeNo: "T1", amount: 5, method: "cvs", status: "paid" })
  })

  it("a result for another merchant is unauthorized; a result without TradeNo or a bad Amt is invalid", () => {
    expect(
      callbackReason(bodyRequest(encodeBody({ MerchantID: "MS99999999", Amt: 1, TradeNo: "1", MerchantOrderNo: "X" })))
    ).toBe("unauthorized")
    expect(callbackReason(bodyRequest(encodeBody({ MerchantID: MERCHANT, Amt: 1, MerchantOrderNo: "X" })))).toBe(
      "invalid-payload"
    )
    expect(
      callbackReason(bodyRequest(encodeBody({ MerchantID: MERCHANT, Amt: "12.5", TradeNo: "1", MerchantOrderNo: "X" })))
    ).toBe("invalid-payload")
  })

  it("a trade number no database can key on is invalid; garbled payer digits are dropped", () => {
    for (const TradeNo of ["2405\u00000001", "\ud800", "x".repeat(65), "24 05"])
      expect(
        callbackReason(bodyRequest(encodeBody({ MerchantID: MERCHANT, Amt: 1, TradeNo, MerchantOrderNo: "X" }))),
        JSON.stringify(TradeNo)
      ).toBe("invalid-payload")
    expect(
      callbackReason(
        bodyRequest(encodeBody({ MerchantID: MERCHANT, Amt: 1, TradeNo: "1", MerchantOrderNo: "X\u0000" }))
      )
    ).toBe("invalid-payload")
    const payment = Effect.runSync(
      gateway.callback(
        bodyRequest(
          encodeBody({
            MerchantID: MERCHANT,
            Amt: 5,
            TradeNo: "T5",
            MerchantOrderNo: "X",
            PaymentType: "WEBATM",
            PayTime: "2024-05-01 12:34:56",
            PayBankCode: "8\u000022",
            PayerAccount5Code: "5432\u0000"
          })
        )
      )
    )
    expect(payment.payerBankCode).toBeUndefined()
    expect(payment.payerLast5).toBeUndefined()
  })

  it("a decrypted plaintext that is neither JSON nor has a Status is invalid", () => {
    for (const plaintext of ["{not json", "Amt=1&TradeNo=2", "[1,2]"]) {
      const tradeInfo = Result.getOrThrow(NewebPayCrypto.encrypt(plaintext, keys))
      expect(callbackReason(post({ TradeInfo: tradeInfo, TradeSha: NewebPayCrypto.tradeSha(tradeInfo, keys) }))).toBe(
        "invalid-payload"
      )
    }
  })

  it("any amount, order number and payer digits survive the round trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.stringMatching(/^[A-Za-z0-9_]{1,30}$/),
        fc.stringMatching(/^\d{5}$/),
        fc.constantFrom("JSON" as const, "String" as const),
        fc.constantFrom("pad32" as const, "pkcs7" as const),
        (amount, orderNo, last5, respondType, padding) => {
          const body = encodeBody(
            {
              MerchantID: MERCHANT,
              Amt: amount,
              TradeNo: `T${amount}`,
              MerchantOrderNo: orderNo,
              PaymentType: "VACC",
              PayTime: "2024-05-01 12:34:56",
              PayBankCode: "812",
              PayerAccount5Code: last5
            },
            { respondType, padding }
          )
          const payment = Effect.runSync(gateway.callback(bodyRequest(body)))
          expect(payment.amount).toBe(amount)
          expect(payment.merchantOrderNo).toBe(orderNo)
          expect(payment.payerLast5).toBe(last5)
        }
      )
    )
  })

  it("flipping any one character of TradeInfo or TradeSha is unauthorized", () => {
    fc.assert(
      fc.property(fc.nat(), fc.boolean(), (n, inSha) => {
        const fields = vaccBody()
        const target = inSha ? fields.TradeSha : fields.TradeInfo
        const i = n % target.length
        const replacement = target[i] === "0" ? "1" : "0"
        const changed = target.slice(0, i) + replacement + target.slice(i + 1)
        const request = post(inSha ? { ...fields, TradeSha: changed } : { ...fields, TradeInfo: changed })
        expect(callbackReason(request)).toBe("unauthorized")
      })
    )
  })
})

describe("acknowledge", () => {
  it("answers 200 when accepted and 400 when refused, as plain text", () => {
    expect(gateway.acknowledge(true)).toEqual({
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "OK"
    })
    expect(gateway.acknowledge(false).status).toBe(400)
  })
})
