/**
 * Pre-order arrival (預購到貨) through the API (issue 16): a round holding pre-order lines until
 * they arrive refuses to ship them (409 `not-arrived`) but ships the in-stock part; the organiser
 * marks them arrived (a helper gets 403), refusals carry the round's reason, the history shows it.
 */
import { GroupBuy } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve, soon } from "./support.js"

describe.each(kinds)("pre-order arrival over %s", (kind) => {
  let s: Served
  let orderId = ""
  beforeAll(async () => {
    s = await serve(kind)
    const file = roundFile("pre", {
      cutoff: soon(3_600_000),
      preorderArrival: true,
      products: [
        { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 10 },
        { sku: "CUP", name: "保溫杯", price: 450, stock: 5 }
      ]
    })
    expect((await s.call("POST", "/api/v1/rounds", { json: file })).status).toBe(201)
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.submitComments({
          roundId: "pre",
          comments: [
            {
              channel: "line",
              commentId: "p1",
              author: { id: "U1", name: "買家" },
              text: "蛋黃酥+2 保溫杯+1",
              at: soon(1)
            }
          ]
        })
      )
    )
    const [order] = await s.run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: "pre" })))
    orderId = order!.orderId
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.recordPayment({
          transactionId: "t-pre",
          source: "statement",
          amount: order!.total,
          at: soon(2),
          orderIds: [orderId],
          evidence: "test"
        })
      )
    )
  })
  afterAll(() => s.close())

  it("refuses pre-order lines before arrival, ships the rest, then the pre-order once marked", async () => {
    const early = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
      json: { lines: [{ sku: "EGG", qty: 2 }], method: "home" }
    })
    expect(early).toMatchObject({ status: 409, body: { _tag: "Conflict", reason: "not-arrived" } })
    const part = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
      json: { lines: [{ sku: "CUP", qty: 1 }], method: "home" }
    })
    expect(part.status).toBe(201)
    const helper = await s.call("POST", "/api/v1/rounds/pre/arrived", { token: s.helper, json: { skus: ["EGG"] } })
    expect(helper.status).toBe(403)
    const wrong = await s.call("POST", "/api/v1/rounds/pre/arrived", { json: { skus: ["CUP"] } })
    expect(wrong).toMatchObject({ status: 409, body: { reason: "not-preorder" } })
    const empty = await s.call("POST", "/api/v1/rounds/pre/arrived", { json: { skus: [] } })
    expect(empty.status).toBe(400)
    const marked = await s.call("POST", "/api/v1/rounds/pre/arrived", { json: { skus: ["EGG"], requestId: "a1" } })
    expect(marked.status).toBe(200)
    const shipped = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
      json: { lines: [{ sku: "EGG", qty: 2 }], method: "home" }
    })
    expect(shipped.status).toBe(201)
    const history = await s.call("GET", "/api/v1/rounds/pre/history")
    expect((history.body as Array<{ event: { _tag: string } }>).map((h) => h.event._tag)).toContain("PreorderArrived")
  })
})
