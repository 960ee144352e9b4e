import { InvoicingContract } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { Redacted, Result } from "effect"
import fc from "fast-check"
import { EcpayInvoice, InvoiceCrypto } from "../src/index.js"
import * as V from "./vectors.js"

const keys: InvoiceCrypto.Keys = { hashKey: Redacted.make(V.STAGE.hashKey), hashIV: Redacted.make(V.STAGE.hashIV) }

describe("the envelope's Data, the vectors of invoicing.md §5", () => {
  for (const v of V.published)
    it(`encrypts ${v.plain}`, () => {
      if ("url" in v) expect(InvoiceCrypto.urlencode(v.plain)).toBe(v.url)
      expect(InvoiceCrypto.encrypt(v.plain, keys)).toBe(v.data)
      expect(Result.getOrThrow(InvoiceCrypto.decrypt(v.data, keys))).toBe(v.plain)
    })

  it("another key pair (moroz/elixir_ecpay_invoice)", () => {
    const other = { hashKey: Redacted.make(V.otherKeys.hashKey), hashIV: Redacted.make(V.otherKeys.hashIV) }
    expect(InvoiceCrypto.encrypt(V.otherKeys.plain, other)).toBe(V.otherKeys.data)
  })

  it("the Issue vector: issueData builds exactly its plaintext from the port's input, and it encrypts to the vector", () => {
    const input = InvoicingContract.sampleIssue("o_1", "/ABC+123")
    const plain = JSON.stringify(EcpayInvoice.issueData("2000132", "GB20240501A001", input))
    expect(plain).toBe(V.issue.plain)
    expect(InvoiceCrypto.urlencode(plain)).toBe(V.issue.url)
    expect(InvoiceCrypto.encrypt(plain, keys)).toBe(V.issue.data)
  })

  it("the Invalid vector: invalidData (the day of the invoice date) encrypts to the vector", () => {
    const plain = JSON.stringify(
      EcpayInvoice.invalidData("2000132", {
        invoiceNo: "UV11100012",
        invoiceDate: "2019-09-17 17:17:31",
        reason: "團購取消"
      })
    )
    expect(plain).toBe(V.invalid.plain)
    expect(InvoiceCrypto.encrypt(plain, keys)).toBe(V.invalid.data)
  })

  it("the response vector decrypts with urldecode (+ is a space), not decodeURIComponent", () => {
    const json = Result.getOrThrow(InvoiceCrypto.decrypt(V.issueResponse.data, keys))
    expect(json).toBe(V.issueResponse.json)
    expect(JSON.parse(json).InvoiceDate).toBe("2019-09-17 17:17:31")
  })

  it("the wrong key does not decrypt (an error, not garbage)", () => {
    const wrong = { hashKey: Redacted.make("0000000000000000"), hashIV: Redacted.make(V.STAGE.hashIV) }
    expect(Result.isFailure(InvoiceCrypto.decrypt(V.issueResponse.data, wrong))).toBe(true)
  })

  it("property: urlencode is PHP's (only [A-Za-z0-9_.-] kept, space +, upper-case %XX) and urldecode undoes it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (s) => {
        const encoded = InvoiceCrypto.urlencode(s)
        expect(encoded).toMatch(/^(?:[A-Za-z0-9_.+-]|%[0-9A-F]{2})*$/)
        expect(Result.getOrThrow(InvoiceCrypto.urldecode(encoded))).toBe(s)
        expect(Result.getOrThrow(InvoiceCrypto.decrypt(InvoiceCrypto.encrypt(s, keys), keys))).toBe(s)
      })
    )
  })
})
