/**
 * The counter (門市櫃台) through the API, over memory and SQLite, with a helper token (the shop
 * assistant): look up by pickup code (as a scanner types it), order number and buyer id; take cash
 * and a card on the terminal, once per reference, never more than is due; confirm the pickup; issue
 * the e-invoice with the carrier given at the counter (ECPay stand-in).
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { EcpayInvoice } from "@kaituan/invoice-ecpay"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as StandIn from "../../invoice-ecpay/test/InvoiceStandIn.js"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

describe.each(kinds)("the counter over %s", (kind) => {
  let standIn: StandIn.StandIn
  let s: Served
  let orderId: string
  let buyerId: string
  let total: number
  let code: string
  let shipmentId: string
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
    await s.call("POST", "/api/v1/rounds", { json: roundFile("pos") })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "pos", comments: comments(3) })))
    await s.call("POST", "/api/v1/rounds/pos/close")
    const [order] = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "pos" })))
    orderId = order!.orderId
    buyerId = order!.buyerId
    total = order!.total
  })
  afterAll(async () => {
    await s.close()
    await standIn.close()
  })

  it("finds the order by number and by buyer id; nothing for an unknown text", async () => {
    const byOrder = await s.call("GET", `/api/v1/counter/lookup?q=${orderId}`, { token: s.helper })
    expect(byOrder.status).toBe(200)
    expect(byOrder.body).toMatchObject({
      matchedBy: "order",
      orders: [{ order: { orderId }, due: total, pickups: [] }]
    })
    expect(byOrder.body.orders[0].invoice.status).toBe("none")
    const byBuyer = await s.call("GET", `/api/v1/counter/lookup?q=${encodeURIComponent(buyerId)}`, { token: s.helper })
    expect(byBuyer.body.matchedBy).toBe("buyer")
    expect(byBuyer.body.orders.map((o: { order: { orderId: string } }) => o.order.orderId)).toEqual([orderId])
    expect((await s.call("GET", "/api/v1/counter/lookup?q=nobody", { token: s.helper })).body).toEqual({
      matchedBy: "none",
      orders: []
    })
  })

  it("takes part in cash and the rest on the card terminal: once per reference, never more than due", async () => {
    const over = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "cash", amount: total + 1, reference: "till-0" }
    })
    expect(over).toMatchObject({ status: 409, body: { reason: "over-due" } })
    const bad = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "cheque", reference: "x" }
    })
    expect(bad).toMatchObject({ status: 400, body: { field: "body.method" } })
    const cash = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "cash", amount: 20, reference: "till-1" }
    })
    expect(cash.body).toMatchObject({ status: "matched", counter: { due: total - 20 } })
    const again = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "cash", amount: 20, reference: "till-1" }
    })
    expect(again.body).toMatchObject({ status: "duplicate", counter: { due: total - 20 } })
    const card = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "card", reference: "AUTH-123456" }
    })
    expect(card.body).toMatchObject({ status: "matched", counter: { due: 0, order: { status: "paid", paid: total } } })
    const nothing = await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
      token: s.helper,
      json: { method: "cash", reference: "till-2" }
    })
    expect(nothing).toMatchObject({ status: 409, body: { reason: "not-due" } })
    // the card reference again (a retried request) is still one payment
    expect(
      (
        await s.call("POST", `/api/v1/counter/orders/${orderId}/pay`, {
          token: s.helper,
          json: { method: "card", reference: "AUTH-123456" }
        })
      ).body.status
    ).toBe("duplicate")
  })

  it("finds the pickup by its scanned code, confirms it, and issues the invoice with the counter's carrier", async () => {
    const order = (await s.call("GET", `/api/v1/orders/${orderId}`)).body
    // the organiser ships it for pickup (a helper is never shown the buyer's code)
    const shipped = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
      json: {
        lines: order.lines.map((l: { sku: string; qty: number }) => ({ sku: l.sku, qty: l.qty })),
        method: "pickup"
      }
    })
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(201)
    code = shipped.body.pickupCode
    shipmentId = shipped.body.shipmentId
    // a scanner types the code (lower case, with a dash, say)
    const scanned = await s.call("GET", `/api/v1/counter/lookup?q=${encodeURIComponent(` ${code.toLowerCase()} `)}`, {
      token: s.helper
    })
    expect(scanned.body).toMatchObject({
      matchedBy: "pickup-code",
      orders: [
        { order: { orderId }, due: 0, matchedShipmentId: shipmentId, pickups: [{ shipmentId, status: "shipped" }] }
      ]
    })
    const confirmed = await s.call("POST", `/api/v1/pickups/${shipmentId}/confirm`, { token: s.helper, json: { code } })
    expect(confirmed.status).toBe(200)
    const after = await s.call("GET", `/api/v1/counter/lookup?q=${orderId}`, { token: s.helper })
    expect(after.body.orders[0].pickups[0].status).toBe("picked-up")
    const invoice = await s.call("POST", `/api/v1/orders/${orderId}/invoice`, {
      token: s.helper,
      json: { details: { carrier: { _tag: "Mobile", barcode: "/ABC+123" }, email: "b@example.com" } }
    })
    expect(invoice.body).toMatchObject({ status: "issued", amount: total })
    const shown = await s.call("GET", `/api/v1/counter/lookup?q=${orderId}`, { token: s.helper })
    expect(shown.body.orders[0].invoice.invoiceNo).toBe(invoice.body.invoiceNo)
  })
})
