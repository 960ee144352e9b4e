import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { Invoicing, InvoicingContract } from "../src/index.js"

const base = InvoicingContract.sampleIssue("o_V1StGXR8_Z5jdHi6B-myT", "/ABC+123")
const reason = (r: Result.Result<unknown, Invoicing.InvoicingError>) => (Result.isFailure(r) ? r.failure.reason : "ok")

describe("relateNumberOf", () => {
  it("property: letters and digits only, at most 30 characters, the same for the same order", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 99 }), (orderId, sequence) => {
        const n = Invoicing.relateNumberOf(orderId, sequence)
        expect(n).toMatch(/^[A-Z0-9]{1,30}$/)
        expect(Invoicing.relateNumberOf(orderId, sequence)).toBe(n)
      })
    )
  })

  it("property: different orders (and sequences) get different numbers", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 50 }), (ids) => {
        const numbers = new Set(ids.map((id) => Invoicing.relateNumberOf(id)))
        expect(numbers.size).toBe(ids.length)
      })
    )
    expect(Invoicing.relateNumberOf("o_1", 1)).not.toBe(Invoicing.relateNumberOf("o_1"))
    expect(Invoicing.relateNumberOf("o_1", 1)).toMatch(/R1$/)
  })

  it("is the same in every runtime (a fixed value)", () => {
    // computed once with the documented algorithm (FNV-1a-64 twice, base 36); it must never change,
    // or a retry after an upgrade would issue a second invoice
    expect(Invoicing.relateNumberOf("o_V1StGXR8_Z5jdHi6B-myT")).toBe("KT0IC1PF4J5N1T5ZHONY9U66MR4")
  })
})

describe("validateIssue", () => {
  it("accepts the sample, a donation, a printed company invoice", () => {
    expect(reason(Invoicing.validateIssue(base))).toBe("ok")
    expect(reason(Invoicing.validateIssue({ ...base, carrier: { _tag: "Donation", loveCode: "168001" } }))).toBe("ok")
    expect(
      reason(
        Invoicing.validateIssue({
          ...base,
          buyer: { name: "綠界科技", address: "台北市南港區", email: "a@example.com", taxId: "97025978" },
          carrier: { _tag: "Printed" }
        })
      )
    ).toBe("ok")
  })

  it("refuses a donation to a company, a printed invoice without address, no contact, wrong sums", () => {
    const bad: ReadonlyArray<Invoicing.IssueInput> = [
      { ...base, buyer: { email: "a@example.com", taxId: "12345678" }, carrier: { _tag: "Donation", loveCode: "168" } },
      { ...base, buyer: { email: "a@example.com", name: "王" }, carrier: { _tag: "Printed" } },
      { ...base, buyer: { phone: "0912345678" }, carrier: { _tag: "Member" } },
      { ...base, buyer: {} },
      { ...base, buyer: { phone: "0912-345-678" } },
      { ...base, amount: 1181 },
      { ...base, items: [{ name: "x", quantity: 3, unitPrice: 33.4, amount: 101 }], amount: 101 }
    ]
    for (const input of bad) expect(reason(Invoicing.validateIssue(input))).toBe("invalid-input")
  })

  it("decodeIssue refuses malformed carriers (a barcode without /, a one-digit love code)", () => {
    expect(reason(Invoicing.decodeIssue({ ...base, carrier: { _tag: "Mobile", barcode: "ABC+1234" } }))).toBe(
      "invalid-input"
    )
    expect(reason(Invoicing.decodeIssue({ ...base, carrier: { _tag: "Donation", loveCode: "1" } }))).toBe(
      "invalid-input"
    )
    expect(reason(Invoicing.decodeIssue(base))).toBe("ok")
    expect(Invoicing.normaliseBarcode(" /abc+123 ")).toBe("/ABC+123")
  })
})

describe("void or allowance on a refund", () => {
  it("the void deadline is the 13th of the odd month after the two-month period", () => {
    expect(Invoicing.voidDeadline("2024-01-20 10:00:00")).toBe("2024-03-13")
    expect(Invoicing.voidDeadline("2024-02-29")).toBe("2024-03-13")
    expect(Invoicing.voidDeadline("2024-11-02")).toBe("2025-01-13")
    expect(Invoicing.voidDeadline("2024-12-31")).toBe("2025-01-13")
  })

  it("a full refund before the deadline voids; a partial one, a late one or one after an allowance makes an allowance", () => {
    const at = { invoiceAmount: 1180, invoiceDate: "2024-01-20 10:00:00" }
    expect(Invoicing.refundAction({ ...at, refundAmount: 1180, now: "2024-03-13 23:00:00" })).toBe("void")
    expect(Invoicing.refundAction({ ...at, refundAmount: 1180, now: "2024-03-14 00:00:01" })).toBe("allowance")
    expect(Invoicing.refundAction({ ...at, refundAmount: 590, now: "2024-01-21" })).toBe("allowance")
    expect(Invoicing.refundAction({ ...at, refundAmount: 1180, now: "2024-01-21", allowances: 1 })).toBe("allowance")
  })

  it("property: never both — exactly one action for any refund", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (invoiceAmount, refund) => {
        const action = Invoicing.refundAction({
          invoiceAmount,
          refundAmount: refund,
          invoiceDate: "2024-05-01",
          now: "2024-05-02"
        })
        expect(action).toBe(refund >= invoiceAmount ? "void" : "allowance")
      })
    )
  })
})
