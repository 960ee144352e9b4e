import { describe, expect, it } from "@effect/vitest"
import { Redacted, Result } from "effect"
import fc from "fast-check"
import { LinePayJson, LinePaySignature } from "../src/index.js"

// protocols.md §7, 📐 COMPUTED (Node + Python agree); the secret is the yidas gist's sample.
const secret = Redacted.make("a917ab6a2367b536f8e5a6e2977e06f4")

describe("X-LINE-Authorization, the vectors of protocols.md §7", () => {
  it("POST /v3/payments/request (the body signed as sent, Chinese in UTF-8)", () => {
    const body =
      '{"amount":250,"currency":"TWD","orderId":"ORDER-20240501-0001","packages":[{"id":"PKG-1","amount":250,"name":"團購","products":[{"name":"芒果禮盒","quantity":1,"price":250}]}],"redirectUrls":{"confirmUrl":"https://example.com/line-pay/confirm","cancelUrl":"https://example.com/line-pay/cancel"}}'
    expect(
      LinePaySignature.sign(secret, {
        uri: "/v3/payments/request",
        payload: body,
        nonce: "44453d45-768e-40e8-8349-748e797c450f"
      })
    ).toBe("6GyZwKwA2yfI8IJAp7CsppfhWwDhlKu5/lhShLqnFGw=")
  })

  it("POST confirm", () => {
    expect(
      LinePaySignature.sign(secret, {
        uri: "/v3/payments/2024050100000000001/confirm",
        payload: '{"amount":250,"currency":"TWD"}',
        nonce: "1714540800000"
      })
    ).toBe("OCOQJESwHAgjPBzkzACt9NBw59h0Y166wCcB9hU++g0=")
  })

  it("GET with a query (signed without the ?)", () => {
    expect(
      LinePaySignature.sign(secret, {
        uri: "/v3/payments",
        payload: "orderId=ORDER-20240501-0001",
        nonce: "5f1a3c2e-0000-4000-8000-000000000001"
      })
    ).toBe("uDR5D08TcwPFXFYZ+w2cBQeP/tq5dG90KKs5vO81YDI=")
  })

  it("the same object re-serialised differently signs differently; verify checks the exact bytes", () => {
    const signed = { uri: "/v3/payments/x/confirm", payload: '{"amount":250,"currency":"TWD"}', nonce: "n1" }
    const signature = LinePaySignature.sign(secret, signed)
    expect(LinePaySignature.verify(secret, signed, signature)).toBe(true)
    expect(LinePaySignature.verify(secret, { ...signed, payload: '{"amount": 250,"currency":"TWD"}' }, signature)).toBe(
      false
    )
    expect(LinePaySignature.verify(secret, { ...signed, nonce: "n2" }, signature)).toBe(false)
  })

  it("headers carry the channel id, the nonce and the signature, never the secret", () => {
    const h = LinePaySignature.headers(
      { channelId: "1234567890", channelSecret: secret },
      { uri: "/v3/payments", payload: "orderId=ORDER-20240501-0001", nonce: "5f1a3c2e-0000-4000-8000-000000000001" }
    )
    expect(h).toEqual({
      "X-LINE-ChannelId": "1234567890",
      "X-LINE-Authorization-Nonce": "5f1a3c2e-0000-4000-8000-000000000001",
      "X-LINE-Authorization": "uDR5D08TcwPFXFYZ+w2cBQeP/tq5dG90KKs5vO81YDI="
    })
    expect(JSON.stringify(h)).not.toContain("a917ab6a")
  })
})

describe("LinePayJson: 19-digit ids survive", () => {
  it("a transactionId beyond Number.MAX_SAFE_INTEGER keeps every digit", () => {
    const text = '{"returnCode":"0000","info":{"transactionId":2024050100000000001,"amount":250}}'
    expect(Number(2024050100000000001n).toString()).not.toBe("2024050100000000001") // what JSON.parse would do
    expect(Result.getOrThrow(LinePayJson.parse(text))).toEqual({
      returnCode: "0000",
      info: { transactionId: "2024050100000000001", amount: 250 }
    })
  })

  it("property: any 16–19-digit integer outside a string arrives as its exact digits; inside a string it is untouched", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10n ** 15n, max: 10n ** 19n - 1n }),
        fc.string(),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        (id, note, small) => {
          const text = `{"id":${id},"note":${JSON.stringify(`${note}${id}`)},"list":[${id},${small}],"neg":-${id}}`
          expect(Result.getOrThrow(LinePayJson.parse(text))).toEqual({
            id: String(id),
            note: `${note}${id}`,
            list: [String(id), small],
            neg: `-${id}`
          })
        }
      )
    )
  })

  it("property: JSON without long integers parses exactly as JSON.parse does", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value)
        fc.pre(!/\d{16}/.test(text))
        expect(Result.getOrThrow(LinePayJson.parse(text))).toEqual(JSON.parse(text))
      })
    )
  })

  it("idString accepts digit strings and safe integers only", () => {
    expect(LinePayJson.idString("2024050100000000001")).toBe("2024050100000000001")
    expect(LinePayJson.idString(123)).toBe("123")
    expect(LinePayJson.idString(1.5)).toBeUndefined()
    expect(LinePayJson.idString("12a")).toBeUndefined()
    expect(Result.isFailure(LinePayJson.parse("{not json"))).toBe(true)
  })
})
