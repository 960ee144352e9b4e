/**
 * `overdueOrders`: a round with `payWithin` and `unpaid: "flag"` closes; when the deadline passes
 * the background work flags the unpaid orders, and `overdueOrders` lists each with what it owes;
 * an order paid since drops off. An unknown round rejects `NotFound`.
 */
import { describe, expect, it } from "@effect/vitest"
import { createKaituan, KaituanError } from "kaituan"
import { comment, roundFile, uniqueRoundId } from "./support.js"

describe("overdueOrders", () => {
  it("lists the orders flagged at the payment deadline, with what each still owes", async () => {
    let now = new Date("2026-05-10T12:00:00Z")
    const k = await createKaituan({ clock: () => now, background: { pollMs: 10 } })
    try {
      const id = uniqueRoundId("late")
      await k.openRound({ ...roundFile(id), payWithin: "P1D", unpaid: "flag" })
      now = new Date("2026-05-10T13:00:00Z")
      await k.submitComments(id, [comment(id, 1, "U1", "王小明", "+2"), comment(id, 2, "U2", "陳小華", "+1")])
      await k.closeRound(id)
      const orders = (await k.orders(id)).orders
      expect(orders).toHaveLength(2)
      const [first, second] = orders as [(typeof orders)[number], (typeof orders)[number]]
      await k.recordPayment({ orderId: second.orderId, amount: 100, source: "cash" })
      expect(await k.overdueOrders(id)).toEqual([])

      // A day and a minute later the deadline job runs in the background.
      now = new Date("2026-05-11T13:01:00Z")
      await expect.poll(async () => (await k.overdueOrders(id)).length, { timeout: 5_000 }).toBe(2)
      const overdue = await k.overdueOrders(id)
      expect(overdue.map((o) => [o.order.orderId, o.owed])).toEqual([
        [first.orderId, 900],
        [second.orderId, 350]
      ])
      expect(Date.parse(overdue[0]!.deadline)).toBe(Date.parse("2026-05-11T13:00:00Z"))

      await k.recordPayment({ orderId: first.orderId, amount: 900, source: "cash" })
      expect((await k.overdueOrders(id)).map((o) => o.order.orderId)).toEqual([second.orderId])
      await expect(k.overdueOrders(`${id}-none`)).rejects.toSatisfy(
        (e) => e instanceof KaituanError && e.code === "NotFound"
      )
    } finally {
      await k.close()
    }
  })
})
