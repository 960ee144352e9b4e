/**
 * `kaituan serve` with ECPay e-invoices from the environment (ECPAY_INVOICE_*), against the
 * local stand-in of ECPay's e-invoice API (packages/invoice-ecpay/test/InvoiceStandIn.ts): a round
 * file with `invoice: { issue: "on-paid" }` (accepted by the strict round-file reader), a buyer's
 * carrier recorded, the order paid in cash through the API, and the server's own scheduler
 * issuing the invoice; the number shows on `GET /api/v1/orders/:id/invoice`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Invoices, Storage } from "@kaituan/core"
import * as StandIn from "../../../packages/invoice-ecpay/test/InvoiceStandIn.js"
import { decodeRound } from "../src/RoundFile.js"
import { eventually, lineBody, lineHeaders, post, roundJson, startFull } from "./serveSupport.js"

type Full = Awaited<ReturnType<typeof startFull>>

describe("kaituan serve: e-invoices", () => {
  let f: Full
  let ecpay: StandIn.StandIn
  const api = async (method: string, path: string, json?: unknown) => {
    const res = await fetch(`${f.server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
      ...(json === undefined ? {} : { body: JSON.stringify(json) })
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  beforeAll(async () => {
    ecpay = await StandIn.start()
    f = await startFull("inv", {
      round: decodeRound("inv.json", { ...(roundJson("inv") as object), invoice: { issue: "on-paid" } }),
      schedulerPollMs: 100,
      env: {
        ECPAY_INVOICE_MERCHANT_ID: StandIn.STAGE.merchantId,
        ECPAY_INVOICE_HASH_KEY: StandIn.STAGE.hashKey,
        ECPAY_INVOICE_HASH_IV: StandIn.STAGE.hashIV,
        ECPAY_INVOICE_API_BASE: ecpay.baseUrl
      }
    })
    const body = lineBody([{ id: "m1", user: "U-A", text: "紅+2", at: Date.now() }])
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
    await eventually(async () => (await api("POST", "/rounds/inv/close")).status === 200)
  })
  afterAll(async () => {
    await f.stop()
    await ecpay.close()
  })

  it("a paid order's invoice is issued by the server's scheduler and shows on the order", async () => {
    const [order] = await f.server.run(Storage.Storage.use((s) => s.orders({ roundId: "inv" })))
    await f.server.run(
      Invoices.giveCarrier({
        buyerId: order!.buyerId,
        details: { carrier: { _tag: "Mobile", barcode: "/ABC+123" }, email: "buyer@example.com" }
      })
    )
    const paid = await api("POST", `/orders/${order!.orderId}/cash`, { amount: order!.total, reference: "till-1" })
    expect(paid.body.status).toBe("matched")
    await eventually(
      async () => (await api("GET", `/orders/${order!.orderId}/invoice`)).body.status === "issued",
      10_000
    )
    const invoice = (await api("GET", `/orders/${order!.orderId}/invoice`)).body
    expect(invoice.invoiceNo).toMatch(/^[A-Z]{2}\d{8}$/)
    expect(invoice.amount).toBe(order!.total)
    const issues = ecpay.received.filter((r) => r.path === "/B2CInvoice/Issue")
    expect(issues).toHaveLength(1)
    expect(issues[0]!.data!.CarrierNum).toBe("/ABC+123")
  })
})
