/**
 * After-sales over HTTP, on a real port over memory and over a SQLite file: a partial refund, a
 * return (refund due), the refunds-due list, a full refund, a paid order cancelled after the
 * close; roles, bad inputs naming the field, and never more refunded than received.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

describe.each(kinds)("after-sales over %s", (kind) => {
  let s: Served
  let ids: Array<string> = []
  beforeAll(async () => {
    s = await serve(kind)
    expect((await s.call("POST", "/api/v1/rounds", { json: roundFile("after") })).status).toBe(201)
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "after", comments: comments(3) })))
    expect((await s.call("POST", "/api/v1/rounds/after/close")).status).toBe(200)
    ids = (await s.run(Storage.Storage.use((st) => st.orders({ roundId: "after" })))).map((o) => o.orderId)
    for (const [i, orderId] of ids.entries()) {
      const order = (await s.call("GET", `/api/v1/orders/${orderId}`)).body
      expect(
        (await s.call("POST", `/api/v1/orders/${orderId}/cash`, { json: { amount: order.total, reference: `r${i}` } }))
          .status
      ).toBe(200)
    }
  })
  afterAll(() => s.close())

  it("a return makes a refund due; refunds in parts clear it; never more than received", async () => {
    // Buyer 0 ordered 紅×1 and a cup (120 + 450).
    const orderId = ids[0]!
    const order = (await s.call("GET", `/api/v1/orders/${orderId}`)).body
    expect(order).toMatchObject({ total: 570, paid: 570 })
    const shipped = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
      json: {
        lines: order.lines.map((l: { sku: string; qty: number }) => ({ sku: l.sku, qty: l.qty })),
        method: "home"
      }
    })
    expect(shipped.status).toBe(201)
    const returned = await s.call("POST", `/api/v1/shipments/${shipped.body.shipmentId}/return`, {
      token: s.helper,
      json: { lines: [{ sku: "CUP", qty: 1 }], reasonCode: "damaged", reason: "杯蓋裂了" }
    })
    expect(returned).toMatchObject({
      status: 200,
      body: { orderId, refundDue: 450, lines: [{ sku: "CUP", qty: 1 }], order: { status: "shipped" } }
    })
    const due = await s.call("GET", "/api/v1/refunds-due?round=after")
    expect(due.status).toBe(200)
    expect(due.body).toMatchObject({
      items: [{ orderId, due: 450, causes: [{ kind: "return", reasonCode: "damaged", reason: "杯蓋裂了" }] }],
      nextCursor: null
    })
    // Only the organiser sees and records money.
    expect((await s.call("GET", "/api/v1/refunds-due", { token: s.helper })).status).toBe(403)
    const refund = (json: unknown, token?: string) =>
      s.call("POST", `/api/v1/orders/${orderId}/refunds`, { json, ...(token ? { token } : {}) })
    expect((await refund({ amount: 50, method: "cash", reasonCode: "damaged" }, s.helper)).status).toBe(403)
    expect((await refund({ amount: 50, method: "cheque", reasonCode: "damaged" })).body.field).toBe("body.method")
    expect((await refund({ amount: 50, method: "cash", reasonCode: "broken" })).body.field).toBe("body.reasonCode")
    expect((await refund({ amount: -1, method: "cash", reasonCode: "damaged" })).body.field).toBe("body.amount")
    const over = await refund({ amount: 571, method: "cash", reasonCode: "damaged" })
    expect(over).toMatchObject({ status: 409, body: { _tag: "Conflict" } })

    const part = await refund({ amount: 450, method: "bank-transfer", reasonCode: "damaged", refundId: "rf-1" })
    expect(part).toMatchObject({ status: 200, body: { status: "partly-refunded", amount: 450, order: { paid: 120 } } })
    // The same refund id again: one refund.
    expect(
      (await refund({ amount: 450, method: "bank-transfer", reasonCode: "damaged", refundId: "rf-1" })).body
    ).toMatchObject({
      status: "duplicate",
      amount: 0,
      order: { paid: 120 }
    })
    expect((await s.call("GET", "/api/v1/refunds-due?round=after")).body.items).toEqual([])
    // The rest, without an amount: a full refund.
    const full = await refund({ method: "cash", reasonCode: "quality" })
    expect(full.body).toMatchObject({ status: "refunded", amount: 120, order: { status: "refunded", paid: 0 } })
    expect((await refund({ amount: 1, method: "cash", reasonCode: "quality" })).status).toBe(409)
    // A shipment comes back once; an unknown one is 404.
    expect(
      (
        await s.call("POST", `/api/v1/shipments/${shipped.body.shipmentId}/return`, {
          json: { reasonCode: "other" }
        })
      ).status
    ).toBe(409)
    expect((await s.call("POST", "/api/v1/shipments/s_none/return", { json: { reasonCode: "other" } })).status).toBe(
      404
    )
  })

  it("a paid order cancelled after the close owes its money back until refunded", async () => {
    const orderId = ids[1]!
    const cancelled = await s.call("POST", `/api/v1/orders/${orderId}/cancel`, { json: { reason: "買家取消" } })
    expect(cancelled).toMatchObject({ status: 200, body: { status: "cancelled", paid: 120 } })
    const due = (await s.call("GET", "/api/v1/refunds-due")).body
    expect(due.items.map((d: { orderId: string; due: number }) => [d.orderId, d.due])).toEqual([[orderId, 120]])
    const page = (await s.call("GET", "/api/v1/refunds-due?limit=1&after=" + encodeURIComponent(orderId))).body
    expect(page).toEqual({ items: [], nextCursor: null })
    const refunded = await s.call("POST", `/api/v1/orders/${orderId}/refunds`, {
      json: { method: "gateway", reasonCode: "buyer-cancelled" }
    })
    expect(refunded.body).toMatchObject({ status: "refunded", amount: 120, order: { status: "refunded" } })
    expect((await s.call("GET", "/api/v1/refunds-due")).body.items).toEqual([])
  })
})
