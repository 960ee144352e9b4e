/**
 * Statements through the API: a raw CSV body and a multipart form, decisions, the same statement
 * twice, 413 past the upload limit, 422 for a layout nobody recognises, cash.
 */
import { GroupBuy } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve, soon } from "./support.js"

const day = (offsetDays: number) => {
  const d = new Date(Date.now() + offsetDays * 86_400_000)
  return `${d.getFullYear()}/${String(d.getMonth() + 1).padStart(2, "0")}/${String(d.getDate()).padStart(2, "0")}`
}

/** 570 from 陳大華 (matched), 120 from nobody (two orders of 120: review), 77 (unmatched). */
export const statement = () =>
  [
    "交易日期,說明,提出,存入,餘額,交易資訊,備註",
    `${day(1)},轉帳存入,,570,10570,(822)0000000000012345,陳大華`,
    `${day(1)},ATM轉入,,120,10690,(812)0000009876554321,`,
    `${day(1)},跨行轉入,,77,10767,(013)0000000000099999,`
  ].join("\r\n")

describe.each(kinds)("payments over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind, { maxUploadBytes: 4096 })
    await s.call("POST", "/api/v1/rounds", { json: roundFile("pay") })
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.submitComments({
          roundId: "pay",
          comments: [
            { channel: "line", commentId: "p1", author: { id: "U1", name: "王小明" }, text: "紅+1", at: soon(1) },
            {
              channel: "line",
              commentId: "p2",
              author: { id: "U2", name: "陳大華" },
              text: "紅+1 保溫杯+1",
              at: soon(2)
            },
            { channel: "line", commentId: "p3", author: { id: "U3", name: "林美玲" }, text: "紅+1", at: soon(3) }
          ]
        })
      )
    )
    expect((await s.call("POST", "/api/v1/rounds/pay/close")).status).toBe(200)
  })
  afterAll(() => s.close())

  it("applies a statement sent as the raw body and returns every decision", async () => {
    const r = await s.call("POST", "/api/v1/rounds/pay/statements", {
      body: statement(),
      headers: { "content-type": "text/csv" }
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ roundId: "pay", applied: 1, appliedAmount: 570 })
    expect(r.body.decisions.map((d: { status: string }) => d.status).sort()).toEqual(["matched", "review", "unmatched"])
    const review = r.body.decisions.find((d: { status: string }) => d.status === "review")
    expect(review.candidates).toHaveLength(2)
    const paid = await s.call("GET", "/api/v1/rounds/pay/orders?status=paid")
    expect(paid.body.items.map((o: { buyerId: string }) => o.buyerId)).toEqual(["line:U2"])
  })

  it("changes nothing when the same statement comes again, as a multipart form", async () => {
    const form = new FormData()
    form.append("file", new Blob([statement()], { type: "text/csv" }), "statement.csv")
    const r = await s.call("POST", "/api/v1/rounds/pay/statements", { body: form })
    expect(r.status).toBe(200)
    expect(r.body.applied).toBe(0)
    const missing = new FormData()
    missing.append("other", "x")
    const bad = await s.call("POST", "/api/v1/rounds/pay/statements", { body: missing })
    expect(bad).toMatchObject({ status: 400, body: { field: "body.file" } })
  })

  it("lists the kept decisions; a helper may not approve (403, nothing changes); the organiser approves and rejects", async () => {
    const all = await s.call("GET", "/api/v1/rounds/pay/decisions")
    expect(all.status).toBe(200)
    expect(all.body.map((d: { status: string }) => d.status).sort()).toEqual(["matched", "review", "unmatched"])
    const open = await s.call("GET", "/api/v1/rounds/pay/decisions?status=review&status=unmatched")
    expect(open.body).toHaveLength(2)
    expect((await s.call("GET", "/api/v1/rounds/pay/decisions?status=maybe")).body.field).toBe("query.status.0")
    const review = open.body.find((d: { status: string }) => d.status === "review")
    const unmatched = open.body.find((d: { status: string }) => d.status === "unmatched")
    const xiaoming = (await s.call("GET", "/api/v1/rounds/pay/orders?buyer=line%3AU1")).body.items[0]
    const approvePath = `/api/v1/decisions/${encodeURIComponent(review.decisionId)}/approve`
    const refused = await s.call("POST", approvePath, { token: s.helper, json: { orderId: xiaoming.orderId } })
    expect(refused.status).toBe(403)
    expect((await s.call("GET", `/api/v1/orders/${xiaoming.orderId}`)).body.paid).toBe(0)
    expect((await s.call("GET", "/api/v1/rounds/pay/decisions?status=review")).body).toHaveLength(1)
    const needsOrder = await s.call("POST", approvePath, { json: {} })
    expect(needsOrder).toMatchObject({ status: 400, body: { field: "body.orderId" } })
    const approved = await s.call("POST", approvePath, { json: { orderId: xiaoming.orderId } })
    expect(approved).toMatchObject({ status: 200, body: { status: "approved", orderIds: [xiaoming.orderId] } })
    expect((await s.call("GET", `/api/v1/orders/${xiaoming.orderId}`)).body).toMatchObject({
      status: "paid",
      paid: 120
    })
    const twice = await s.call("POST", approvePath, { json: { orderId: xiaoming.orderId } })
    expect(twice.status).toBeLessThan(500)
    expect((await s.call("GET", `/api/v1/orders/${xiaoming.orderId}`)).body.paid).toBe(120)
    const rejected = await s.call("POST", `/api/v1/decisions/${encodeURIComponent(unmatched.decisionId)}/reject`)
    expect(rejected).toMatchObject({ status: 200, body: { status: "rejected" } })
    expect((await s.call("POST", "/api/v1/decisions/nope@pay/reject")).status).toBe(404)
    expect((await s.call("GET", "/api/v1/rounds/pay/decisions?status=review&status=unmatched")).body).toEqual([])
  })

  it("answers 413 past the upload limit and 422 for a statement nobody recognises", async () => {
    const big = await s.call("POST", "/api/v1/rounds/pay/statements", {
      body: "x".repeat(5000),
      headers: { "content-type": "application/octet-stream" }
    })
    expect(big).toMatchObject({ status: 413, body: { _tag: "PayloadTooLarge", limit: 4096 } })
    const chunked = await s.call("POST", "/api/v1/rounds/pay/statements", {
      body: new Blob(["x".repeat(5000)]).stream(),
      headers: { "content-type": "application/octet-stream" }
    } as never)
    expect(chunked.status).toBe(413)
    const odd = await s.call("POST", "/api/v1/rounds/pay/statements", {
      body: "姓名,電話\n王小明,0912345678\n",
      headers: { "content-type": "text/csv" }
    })
    expect(odd.status).toBe(422)
    expect(odd.body).toMatchObject({ _tag: "UnrecognisedStatement", reason: "no-header" })
    expect(odd.body.recognised).toEqual({ bytes: expect.any(Number), kind: "text", lines: 2, columns: 2 })
    expect(odd.text).not.toContain("0912345678")
    expect((await s.call("POST", "/api/v1/rounds/pay/statements?format=bank", { body: "a" })).body.field).toBe(
      "query.format"
    )
    expect((await s.call("POST", "/api/v1/rounds/nope/statements", { body: statement() })).status).toBe(404)
  })
})
