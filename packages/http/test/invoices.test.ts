/**
 * E-invoices through the API, over memory and SQLite, with `@kaituan/invoice-ecpay` against the
 * ECPay stand-in: an order's invoice, issuing it now at the counter (a helper may), the carrier
 * checked by its schema (400 naming the field), a refund voiding it once by the built-in job, and
 * the problems the organiser sees (organiser only). Without an `Invoicing` service, a request
 * waits and shows as a problem.
 */
import { GroupBuy, Scheduler, Storage } from "@kaituan/core"
import { EcpayInvoice } from "@kaituan/invoice-ecpay"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as StandIn from "../../invoice-ecpay/test/InvoiceStandIn.js"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

describe.each(kinds)("e-invoices through the API over %s", (kind) => {
  let standIn: StandIn.StandIn
  let s: Served
  let orderId: string
  let unpaidId: string
  beforeAll(async () => {
    standIn = await StandIn.start()
    s = await serve(
      kind,
      {},
      undefined,
      EcpayInvoice.layer({
        merchantId: StandIn.STAGE.merchantId,
        hashKey: Redacted.make(StandIn.STAGE.hashKey),
        hashIV: Redacted.make(StandIn.STAGE.hashIV),
        apiBaseUrl: standIn.baseUrl,
        retry: { retries: 0 }
      })
    )
    await s.call("POST", "/api/v1/rounds", { json: roundFile("inv", { invoice: { issue: "on-demand" } }) })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "inv", comments: comments(2) })))
    await s.call("POST", "/api/v1/rounds/inv/close")
    const orders = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "inv" })))
    orderId = orders[0]!.orderId
    unpaidId = orders[1]!.orderId
    await s.call("POST", `/api/v1/orders/${orderId}/cash`, { json: { amount: orders[0]!.total, reference: "c-1" } })
  })
  afterAll(async () => {
    await s.close()
    await standIn.close()
  })

  it("shows none, refuses an unpaid order, refuses a malformed carrier naming the field", async () => {
    expect((await s.call("GET", `/api/v1/orders/${orderId}/invoice`, { token: s.helper })).body).toMatchObject({
      orderId,
      status: "none",
      failures: 0
    })
    const unpaid = await s.call("POST", `/api/v1/orders/${unpaidId}/invoice`, {
      token: s.helper,
      json: { details: { carrier: { _tag: "Mobile", barcode: "/ABC+123" }, email: "b@example.com" } }
    })
    expect(unpaid).toMatchObject({ status: 409, body: { reason: "order-not-paid" } })
    const bad = await s.call("POST", `/api/v1/orders/${orderId}/invoice`, {
      token: s.helper,
      json: { details: { carrier: { _tag: "Mobile", barcode: "ABC123" } } }
    })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe("body.details.carrier.barcode")
    // no carrier recorded and none given: the buyer must give one
    const none = await s.call("POST", `/api/v1/orders/${orderId}/invoice`, { token: s.helper, json: {} })
    expect(none).toMatchObject({ status: 400, body: { field: "body.details" } })
    expect(none.body.message).toContain("載具")
  })

  it("issues it now at the counter with the carrier given there; again changes nothing", async () => {
    const issued = await s.call("POST", `/api/v1/orders/${orderId}/invoice`, {
      token: s.helper,
      json: { details: { carrier: { _tag: "Donation", loveCode: "168001" }, phone: "0912345678" } }
    })
    expect(issued.status).toBe(200)
    expect(issued.body).toMatchObject({ status: "issued", carrier: { _tag: "Donation", loveCode: "168001" } })
    expect(issued.body.invoiceNo).toMatch(/^[A-Z]{2}\d{8}$/)
    const calls = standIn.received.length
    const again = await s.call("POST", `/api/v1/orders/${orderId}/invoice`, { token: s.helper, json: {} })
    expect(again.body.invoiceNo).toBe(issued.body.invoiceNo)
    expect(standIn.received.length).toBe(calls)
    // the scheduled issue job finds it issued
    await s.run(Scheduler.runDue({ now: later(0) }))
    expect(standIn.received.length).toBe(calls)
  })

  it("a refund voids it once (the built-in job); problems are the organiser's", async () => {
    const before = (await s.call("GET", `/api/v1/orders/${orderId}/invoice`)).body
    expect((await s.call("POST", `/api/v1/orders/${orderId}/refund`, { json: { reason: "缺貨" } })).status).toBe(200)
    await s.run(Scheduler.runDue({ now: later(0) }))
    await s.run(Scheduler.runDue({ now: later(1) }))
    const after = (await s.call("GET", `/api/v1/orders/${orderId}/invoice`)).body
    expect(after).toMatchObject({ status: "voided", invoiceNo: before.invoiceNo })
    expect(
      standIn.received.filter((r) => r.path === "/B2CInvoice/Invalid" && r.data?.InvoiceNo === before.invoiceNo)
    ).toHaveLength(1)
    expect((await s.call("GET", "/api/v1/invoices/problems", { token: s.helper })).status).toBe(403)
    expect((await s.call("GET", "/api/v1/invoices/problems")).body).toEqual({ items: [] })
  })
})

describe("e-invoices without an Invoicing service", () => {
  let s: Served
  beforeAll(async () => {
    s = await serve("memory")
  })
  afterAll(() => s.close())

  it("stores the request; the issue job waits and shows in the problems", async () => {
    await s.call("POST", "/api/v1/rounds", { json: roundFile("inv") })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "inv", comments: comments(1) })))
    await s.call("POST", "/api/v1/rounds/inv/close")
    const [order] = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "inv" })))
    await s.call("POST", `/api/v1/orders/${order!.orderId}/cash`, { json: { amount: order!.total } })
    const requested = await s.call("POST", `/api/v1/orders/${order!.orderId}/invoice`, {
      json: { details: { carrier: { _tag: "Mobile", barcode: "/abc+123" }, email: "b@example.com" } }
    })
    expect(requested.status).toBe(400)
    const ok = await s.call("POST", `/api/v1/orders/${order!.orderId}/invoice`, {
      json: { details: { carrier: { _tag: "Mobile", barcode: "/ABC+123" }, email: "b@example.com" } }
    })
    expect(ok.body).toMatchObject({ status: "requested" })
    await s.run(Scheduler.runDue({ now: later(0) }))
    const problems = (await s.call("GET", "/api/v1/invoices/problems")).body
    expect(problems.items).toMatchObject([{ kind: "invoice.issue", orderId: order!.orderId, status: "retrying" }])
    expect(problems.items[0].lastError).toContain("KAITUAN_INVOICE")
  })
})
