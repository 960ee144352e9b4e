/**
 * Round changes through the API (issue 16): edit, restock, pause and resume, reopen and the
 * history, organiser only (a helper gets 403 and nothing changes), bad input naming the field and
 * refusals with the round's reason.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { comments, kinds, roundFile, type Served, serve, soon } from "./support.js"

describe.each(kinds)("round changes over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    const file = roundFile("edit", { cutoff: soon(3_600_000) })
    expect((await s.call("POST", "/api/v1/rounds", { json: file })).status).toBe(201)
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "edit", comments: comments(3) })))
  })
  afterAll(() => s.close())

  const submit = (id: string, text: string) =>
    s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.submitComments({
          roundId: "edit",
          comments: [{ channel: "line", commentId: id, author: { id: `U-${id}`, name: "買家" }, text, at: soon(1) }]
        })
      )
    )

  it("refuses a helper every change (403) and changes nothing", async () => {
    const before = await s.call("GET", "/api/v1/rounds/edit")
    const tries: Array<[string, string, unknown]> = [
      ["PATCH", "/api/v1/rounds/edit", { title: "helper" }],
      ["POST", "/api/v1/rounds/edit/restock", { lines: [{ sku: "SOCK-R", add: 5 }] }],
      ["POST", "/api/v1/rounds/edit/reopen", {}],
      ["GET", "/api/v1/rounds/edit/history", undefined]
    ]
    for (const [method, path, json] of tries) {
      const r = await s.call(method, path, { token: s.helper, ...(json === undefined ? {} : { json }) })
      expect([method, path, r.status]).toEqual([method, path, 403])
      expect(r.body).toMatchObject({ _tag: "Forbidden", needs: "organiser" })
    }
    expect((await s.call("GET", "/api/v1/rounds/edit")).body).toEqual(before.body)
    const stock = await s.run(Storage.Storage.use((st) => st.stock({ roundId: "edit" })))
    expect(stock.find((x) => x.sku === "SOCK-R")).toMatchObject({ left: 497, sold: 3 })
  })

  it("names the field of a bad change and refuses with the round's reason; nothing is written", async () => {
    const typo = await s.call("PATCH", "/api/v1/rounds/edit", { json: { titel: "x" } })
    expect(typo).toMatchObject({ status: 400, body: { _tag: "BadRequest", field: "body.titel" } })
    const stok = await s.call("POST", "/api/v1/rounds/edit/restock", { json: { lines: [{ sku: "SOCK-R", stok: 1 }] } })
    expect(stok.status).toBe(400)
    expect(stok.body.field).toMatch(/^body\.lines\.0/)
    const past = await s.call("PATCH", "/api/v1/rounds/edit", { json: { cutoff: "2020-01-01T00:00:00Z" } })
    expect(past).toMatchObject({ status: 409, body: { _tag: "Conflict", reason: "cutoff-passed" } })
    const below = await s.call("POST", "/api/v1/rounds/edit/restock", {
      json: { lines: [{ sku: "SOCK-R", stock: 2 }] }
    })
    expect(below).toMatchObject({ status: 409, body: { reason: "below-sold" } })
    const empty = await s.call("PATCH", "/api/v1/rounds/edit", { json: {} })
    expect(empty).toMatchObject({ status: 400, body: { field: "body.change" } })
    expect((await s.call("PATCH", "/api/v1/rounds/nope", { json: { title: "x" } })).status).toBe(404)
    expect((await s.call("GET", "/api/v1/rounds/edit")).body).toMatchObject({ title: "韓國毛襪" })
  })

  it("edits an open round: title, cutoff, prices for new orders, a new product the parser knows, stock once per requestId", async () => {
    const cutoff = soon(7_200_000)
    const edited = await s.call("PATCH", "/api/v1/rounds/edit", {
      json: {
        title: "韓國毛襪 加開",
        cutoff,
        prices: [{ sku: "SOCK", price: 100 }],
        addProducts: [{ sku: "HAT", name: "毛帽", aliases: ["帽子"], price: 200, stock: 5 }]
      }
    })
    expect(edited).toMatchObject({
      status: 200,
      body: { roundId: "edit", title: "韓國毛襪 加開", cutoff, status: "open" }
    })
    for (let i = 0; i < 2; i++) {
      const r = await s.call("POST", "/api/v1/rounds/edit/restock", {
        json: { lines: [{ sku: "SOCK-R", add: 5 }], requestId: "restock-1" }
      })
      expect(r.status).toBe(200)
    }
    const [hat, sock] = [await submit("h1", "毛帽+1"), await submit("h2", "紅+1")]
    expect(hat[0]).toMatchObject({ status: "ordered" })
    expect(sock[0]).toMatchObject({ status: "ordered" })
    const stock = await s.run(Storage.Storage.use((st) => st.stock({ roundId: "edit" })))
    expect(stock.find((x) => x.sku === "SOCK-R")).toMatchObject({ left: 501, sold: 4 })
    expect(stock.find((x) => x.sku === "HAT")).toMatchObject({ left: 4, sold: 1 })
    const orders = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "edit" })))
    // The first three ordered at NT$120 keep it; the new order is at NT$100.
    expect(orders.map((o) => o.lines.find((l) => l.sku === "SOCK-R")?.unitPrice)).toEqual([
      120,
      120,
      120,
      undefined,
      100
    ])
    const jobs = await s.run(Storage.Storage.use((st) => st.jobs({ kind: "round.cutoff" })))
    expect(jobs.find((j) => j.id === "cutoff:edit")).toMatchObject({ status: "pending", dueAt: cutoff })
  })

  it("pauses and resumes: the round says paused, comments meanwhile are not ordered", async () => {
    expect((await s.call("PATCH", "/api/v1/rounds/edit", { json: { paused: true } })).body.status).toBe("paused")
    expect((await s.call("GET", "/api/v1/rounds?status=paused")).body.items.map((r: any) => r.roundId)).toEqual([
      "edit"
    ])
    expect((await s.call("GET", "/api/v1/rounds/edit/report", { token: s.helper })).body.status).toBe("paused")
    expect((await submit("p1", "紅+1"))[0]).toMatchObject({ status: "not-ordered", reason: "paused" })
    expect((await s.call("PATCH", "/api/v1/rounds/edit", { json: { paused: false } })).body.status).toBe("open")
  })

  it("reopens a closed round without touching its confirmed orders, and keeps the history", async () => {
    expect(await s.call("POST", "/api/v1/rounds/edit/reopen", { json: {} })).toMatchObject({
      status: 409,
      body: { reason: "not-closed" }
    })
    expect((await s.call("POST", "/api/v1/rounds/edit/close")).status).toBe(200)
    const confirmed = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "edit" })))
    const cutoff = soon(3_600_000)
    const reopened = await s.call("POST", "/api/v1/rounds/edit/reopen", { json: { cutoff, requestId: "reopen-1" } })
    expect(reopened).toMatchObject({ status: 200, body: { status: "open", cutoff } })
    expect((await s.call("POST", "/api/v1/rounds/edit/reopen", { json: { requestId: "reopen-1" } })).status).toBe(200)
    expect((await submit("r1", "紅+1"))[0]).toMatchObject({ status: "ordered" })
    const after = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "edit" })))
    for (const o of confirmed) expect(after.find((x) => x.orderId === o.orderId)).toEqual(o)
    expect(after).toHaveLength(confirmed.length + 1)
    const history = await s.call("GET", "/api/v1/rounds/edit/history")
    expect(history.status).toBe(200)
    expect(history.body.map((h: any) => h.event._tag)).toEqual([
      "RoundCreated",
      "RoundOpened",
      "ProductAdded",
      "PriceChanged",
      "RoundTitleChanged",
      "RoundCutoffChanged",
      "Restocked",
      "RoundPaused",
      "RoundResumed",
      "RoundClosed",
      "RoundReopened",
      "RoundCutoffChanged"
    ])
    expect(history.text).not.toContain("買家")
  })
})
