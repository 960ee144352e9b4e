/**
 * Keyset pages of a round's orders: whatever the page size and the status filter, paging through
 * gives every matching order once, in order, with no gaps or duplicates (a fast-check property
 * over a real server on memory and on SQLite).
 */
import { GroupBuy, type ReadModel, Storage } from "@kaituan/core"
import * as fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

const ORDERS = 60

describe.each(kinds)("keyset pagination over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    await s.call("POST", "/api/v1/rounds", { json: roundFile("pages") })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "pages", comments: comments(ORDERS) })))
    await s.call("POST", "/api/v1/rounds/pages/close")
    // Mixed statuses: every third order paid, every fifth cancelled.
    const orders = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "pages" })))
    for (const [i, o] of orders.entries()) {
      if (i % 3 === 0)
        await s.call("POST", `/api/v1/orders/${o.orderId}/cash`, { json: { amount: o.total, reference: "x" } })
      else if (i % 5 === 0) await s.call("POST", `/api/v1/orders/${o.orderId}/cancel`, { json: { reason: "test" } })
    }
  })
  afterAll(() => s.close())

  it("pages through every matching order once, in order", async () => {
    const statuses = ["awaiting-payment", "paid", "cancelled", "shipped"] as const
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 25 }),
        fc.subarray([...statuses]),
        fc.boolean(),
        async (limit, status, helper) => {
          const expected = await s.run(
            Storage.Storage.use((st) =>
              st.orders({
                roundId: "pages",
                ...(status.length > 0 ? { status: status as Array<ReadModel.OrderStatus> } : {})
              })
            )
          )
          const seen: Array<string> = []
          let cursor: string | null = null
          for (let pages = 0; ; pages++) {
            const q = new URLSearchParams({ limit: String(limit) })
            for (const st of status) q.append("status", st)
            if (cursor !== null) q.set("cursor", cursor)
            const r = await s.call("GET", `/api/v1/rounds/pages/orders?${q}`, helper ? { token: s.helper } : {})
            expect(r.status).toBe(200)
            expect(r.body.items.length).toBeLessThanOrEqual(limit)
            for (const o of r.body.items as Array<ReadModel.OrderView>) {
              if (status.length > 0) expect(status).toContain(o.status)
              seen.push(o.orderId)
            }
            cursor = r.body.nextCursor
            if (cursor === null) break
            expect(pages).toBeLessThan(ORDERS + 1)
          }
          expect(new Set(seen).size).toBe(seen.length)
          expect(seen).toEqual(expected.map((o) => o.orderId))
        }
      ),
      { numRuns: 25 }
    )
  })
})
