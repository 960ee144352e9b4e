import { Invoicing, InvoicingContract } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { EcpayInvoice } from "../src/index.js"
import * as StandIn from "./InvoiceStandIn.js"

let standIn: StandIn.StandIn
beforeAll(async () => {
  standIn = await StandIn.start()
})
afterAll(() => standIn.close())

const options = () => ({
  merchantId: StandIn.STAGE.merchantId,
  hashKey: Redacted.make(StandIn.STAGE.hashKey),
  hashIV: Redacted.make(StandIn.STAGE.hashIV),
  apiBaseUrl: standIn.baseUrl,
  retry: { retries: 1, baseDelayMs: 5 }
})

let counter = 0
const orderId = () => `o_${Date.now().toString(36)}_${++counter}`

const harness = (invoicing: Invoicing.InvoicingService): InvoicingContract.Harness => ({
  invoicing,
  orderId,
  issuedCount: (n) => standIn.issuedCount(n),
  calls: () => standIn.received.length,
  barcodes: { known: "/ABC+123", unknown: "/ZZZ+999" },
  loveCodes: { known: "168001", unknown: "7654321" }
})

describe("the Invoicing contract against an ECPay e-invoice stand-in", () => {
  for (const c of InvoicingContract.cases)
    it.live(c.name, () => Effect.flatMap(EcpayInvoice.make(options()), (invoicing) => c.run(harness(invoicing))))
})

describe("ECPay specifics", () => {
  it.live("the request is the documented envelope: MerchantID, RqHeader.Timestamp (now), Data for the stage key", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      const id = orderId()
      yield* invoicing.issue(InvoicingContract.sampleIssue(id, "/ABC+123"))
      const issue = standIn.received.filter((r) => r.path === "/B2CInvoice/Issue").at(-1)!
      expect(Object.keys(issue.envelope)).toEqual(["MerchantID", "RqHeader", "Data"])
      expect(issue.envelope.MerchantID).toBe("2000132")
      const ts = (issue.envelope.RqHeader as { Timestamp: number }).Timestamp
      expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(600)
      expect(issue.data).toMatchObject({
        MerchantID: "2000132",
        RelateNumber: Invoicing.relateNumberOf(id),
        CarrierType: "3",
        CarrierNum: "/ABC+123",
        SalesAmount: 1180
      })
      // the issue was preceded by a lookup of the order's number, with no invoice-number keys
      const lookup = standIn.received.at(-2)!
      expect(lookup.path).toBe("/B2CInvoice/GetIssue")
      expect(lookup.data).toEqual({ MerchantID: "2000132", RelateNumber: Invoicing.relateNumberOf(id) })
    })
  )

  it.live("an Issue whose answer is lost is found on the retry: one invoice, the same number", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      const input = InvoicingContract.sampleIssue(orderId(), "/ABC+123")
      standIn.loseNextIssueAnswer()
      const lost = yield* Effect.flip(invoicing.issue(input))
      expect(lost.reason).toBe("unavailable")
      const retried = yield* invoicing.issue(input)
      expect(standIn.issuedCount(retried.relateNumber)).toBe(1)
      expect(standIn.invoices.get(retried.relateNumber.toUpperCase())?.invoiceNo).toBe(retried.invoiceNo)
    })
  )

  it.live("a voided order's invoice is not answered to a retry; the next sequence issues a new one", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      const input = InvoicingContract.sampleIssue(orderId(), "/ABC+123")
      const first = yield* invoicing.issue(input)
      yield* invoicing.void({ invoiceNo: first.invoiceNo, invoiceDate: first.invoiceDate, reason: "改開統編" })
      expect((yield* Effect.flip(invoicing.issue(input))).reason).toBe("rejected")
      const second = yield* invoicing.issue({ ...input, sequence: 1 })
      expect(second.invoiceNo).not.toBe(first.invoiceNo)
      expect(second.relateNumber).toBe(`${first.relateNumber}R1`)
    })
  )

  it.live("an invoice with an allowance cannot be voided (ECPay refuses; the code is kept)", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      const invoice = yield* invoicing.issue(InvoicingContract.sampleIssue(orderId(), "/ABC+123"))
      const allowance = yield* invoicing.allowance({
        invoiceNo: invoice.invoiceNo,
        invoiceDate: invoice.invoiceDate,
        amount: 100,
        items: [{ name: "退款", quantity: 1, unitPrice: 100, amount: 100 }],
        notify: "none",
        buyer: {}
      })
      expect(allowance.remaining).toBe(1080)
      const allowanceCall = standIn.received.at(-1)!
      expect(allowanceCall.data).toMatchObject({
        AllowanceNotify: "N",
        AllowanceAmount: 100,
        InvoiceDate: invoice.invoiceDate.slice(0, 10)
      })
      const e = yield* Effect.flip(
        invoicing.void({ invoiceNo: invoice.invoiceNo, invoiceDate: invoice.invoiceDate, reason: "取消" })
      )
      expect(e.reason).toBe("rejected")
      expect(e.code).toBe("1200003")
    })
  )

  it.live("wrong keys: the envelope is refused (TransCode) and no key appears in the error", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make({ ...options(), hashKey: Redacted.make("0123456789abcdef") })
      const e = yield* Effect.flip(invoicing.checkLoveCode("168001"))
      expect(e.reason).toBe("rejected")
      expect(e.code).toBe("TransCode 9000003")
      expect(e.message).not.toContain("0123456789abcdef")
      expect(e.message).not.toContain(StandIn.STAGE.hashIV)
    })
  )

  it.live("HTTP 403 (called too fast) is unavailable; checks are retried after a 5xx", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      standIn.failNext(403)
      const e = yield* Effect.flip(invoicing.checkLoveCode("168001"))
      expect([e.reason, e.code]).toEqual(["unavailable", "403"])
      standIn.failNext(503)
      expect(yield* invoicing.checkLoveCode("168001")).toBe(true)
      expect(yield* invoicing.checkMobileBarcode(" /abc+123 ")).toBe(true)
    })
  )

  it.live("a printed company invoice and a donation carry ECPay's fields", () =>
    Effect.gen(function* () {
      const invoicing = yield* EcpayInvoice.make(options())
      const base = InvoicingContract.sampleIssue(orderId(), "/ABC+123")
      yield* invoicing.issue({
        ...base,
        buyer: { name: "綠界科技股份有限公司", address: "台北市南港區", email: "a@example.com", taxId: "97025978" },
        carrier: { _tag: "Printed" }
      })
      expect(standIn.received.at(-1)!.data).toMatchObject({
        CustomerIdentifier: "97025978",
        CustomerName: "綠界科技股份有限公司",
        Print: "1",
        Donation: "0",
        CarrierType: ""
      })
      yield* invoicing.issue({ ...base, orderId: orderId(), carrier: { _tag: "Donation", loveCode: "919" } })
      expect(standIn.received.at(-1)!.data).toMatchObject({
        Print: "0",
        Donation: "1",
        LoveCode: "919",
        CarrierType: ""
      })
    })
  )
})

describe("options", () => {
  it("rejects keys that are not 16 bytes", () => {
    expect(
      Exit.isFailure(Effect.runSyncExit(EcpayInvoice.make({ ...options(), hashKey: Redacted.make("short") })))
    ).toBe(true)
  })

  it.effect("layerConfig reads ECPAY_INVOICE_* and provides EcpayInvoice and Invoicing as one", () =>
    Effect.gen(function* () {
      const port = yield* Invoicing.Invoicing
      const ecpay = yield* EcpayInvoice.EcpayInvoice
      expect(port).toBe(ecpay)
      expect(ecpay.environment).toBe("stage")
      expect(ecpay.merchantId).toBe("2000132")
      expect(EcpayInvoice.endpoints.stage).toBe("https://einvoice-stage.ecpay.com.tw")
    }).pipe(
      Effect.provide(
        EcpayInvoice.layerConfig().pipe(
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: {
                  ECPAY_INVOICE_MERCHANT_ID: "2000132",
                  ECPAY_INVOICE_HASH_KEY: StandIn.STAGE.hashKey,
                  ECPAY_INVOICE_HASH_IV: StandIn.STAGE.hashIV
                }
              })
            )
          )
        )
      )
    )
  )
})
