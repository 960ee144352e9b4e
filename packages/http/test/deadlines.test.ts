/**
 * `GET /api/v1/rounds/:roundId/overdue`: after a payment deadline with `unpaid: flag`, the orders
 * that still owe money, with what each owes; a partly paid order owes the rest, an order paid
 * since drops off, helpers may read it, and an unknown round is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GroupBuy, PaymentDeadlines } from "@kaituan/core"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

describe.each(kinds)("overdue orders (%s)", (kind) => {
  let s: Served
  let ids: Array<string>
  let deadline: string
  beforeAll(async () => {
    s = await serve(kind)
    await s.call("POST", "/api/v1/rounds", {
      json: roundFile("late", { payWithin: "P3D", unpaid: "flag" })
    })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "late", comments: comments(3) })))
    const closed = await s.call("POST", "/api/v1/rounds/late/close")
    expect(closed.body.confirmed).toBe(3)
    const orders = (await s.call("GET", "/api/v1/rounds/late/orders")).body.items as Array<{
      orderId: string
      total: number
    }>
    ids = orders.map((o) => o.orderId)
    // Buyer 1 pays in full before the deadline; buyer 2 pays NT$ 50 of it.
    await s.call("POST", `/api/v1/orders/${ids[1]}/cash`, { json: { amount: orders[1]!.total, reference: "full" } })
    await s.call("POST", `/api/v1/orders/${ids[2]}/cash`, { json: { amount: 50, reference: "part" } })
    deadline = new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString()
    const outcome = await s.run(PaymentDeadlines.enforceDeadline({ roundId: "late", deadline, at: deadline }))
    expect([...outcome.flagged].sort()).toEqual([ids[0], ids[2]].sort())
  })
  afterAll(() => s.close())

  it("lists the flagged orders that still owe money, with what each owes", async () => {
    const res = await s.call("GET", "/api/v1/rounds/late/overdue", { token: s.helper })
    expect(res.status).toBe(200)
    const items = res.body.items as Array<{ order: { orderId: string; total: number }; owed: number; deadline: string }>
    expect(items.map((i) => i.order.orderId).sort()).toEqual([ids[0], ids[2]].sort())
    for (const i of items) expect(i.deadline).toBe(deadline)
    const part = items.find((i) => i.order.orderId === ids[2])!
    expect(part.owed).toBe(part.order.total - 50)
    const none = items.find((i) => i.order.orderId === ids[0])!
    expect(none.owed).toBe(none.order.total)
  })

  it("drops an order paid since", async () => {
    const first = (await s.call("GET", `/api/v1/orders/${ids[0]}`)).body
    await s.call("POST", `/api/v1/orders/${ids[0]}/cash`, { json: { amount: first.total, reference: "late-pay" } })
    const res = await s.call("GET", "/api/v1/rounds/late/overdue")
    expect(res.body.items.map((i: { order: { orderId: string } }) => i.order.orderId)).toEqual([ids[2]])
  })

  it("is empty for a round without a deadline, 404 for an unknown round, 401 without a token", async () => {
    await s.call("POST", "/api/v1/rounds", { json: roundFile("calm") })
    expect((await s.call("GET", "/api/v1/rounds/calm/overdue")).body).toEqual({ items: [] })
    expect((await s.call("GET", "/api/v1/rounds/nope/overdue")).status).toBe(404)
    expect((await s.call("GET", "/api/v1/rounds/late/overdue", { token: null })).status).toBe(401)
  })
})
