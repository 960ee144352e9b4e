/**
 * `GET /api/v1/rounds/:roundId/slips.pdf` and `…/picklist.pdf`: PDFs streamed to the organiser and
 * helpers (read back with pdftotext: names, variants, the pickup code of a meet-up, only the
 * orders asked for), 401 without a token, 404 for an unknown round or an order not in the round
 * (before any byte), 400 for a bad query.
 */
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { GroupBuy, type ReadModel } from "@kaituan/core"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve } from "./support.js"

/** The text of a PDF, page by page. */
const pdfPages = (bytes: ArrayBuffer): Array<string> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-http-pdf-"))
  try {
    fs.writeFileSync(path.join(dir, "f.pdf"), Buffer.from(bytes))
    return execFileSync("pdftotext", ["-layout", path.join(dir, "f.pdf"), "-"], { encoding: "utf8" })
      .split("\f")
      .slice(0, -1)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe.each(kinds)("printed documents over %s", (kind) => {
  let s: Served
  let orders: ReadonlyArray<ReadModel.OrderView> = []
  let pickupCode = ""
  beforeAll(async () => {
    s = await serve(kind)
    expect(
      (await s.call("POST", "/api/v1/rounds", { json: roundFile("socks", { sellers: ["團主小美"] }) })).status
    ).toBe(201)
    const at = (k: number) => new Date(Date.now() + 1 + k).toISOString()
    orders = await s.run(
      GroupBuy.GroupBuy.use((g) =>
        takeAndClose(g, [
          { channel: "line", commentId: "c1", author: { id: "U1", name: "王小明" }, text: "紅+2", at: at(0) },
          { channel: "line", commentId: "c2", author: { id: "U2", name: "陈小华" }, text: "白+1 保溫杯+1", at: at(1) }
        ])
      )
    )
    const first = orders[0]!
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.recordPayment({
          transactionId: "tx-1",
          source: "cash",
          amount: first.total,
          at: at(2),
          orderIds: [first.orderId],
          evidence: "cash"
        })
      )
    )
    const shipped = await s.call("POST", `/api/v1/orders/${first.orderId}/shipments`, {
      json: { lines: [{ sku: "SOCK-R", qty: 2 }], method: "pickup" }
    })
    expect(shipped.status).toBe(201)
    pickupCode = shipped.body.pickupCode
  })
  afterAll(() => s.close())

  it("streams the slips as a PDF to a helper: every order, or the ones asked for", async () => {
    const res = await fetch(`${s.url}/api/v1/rounds/socks/slips.pdf?format=thermal`, {
      headers: { authorization: `Bearer ${s.helper}` }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/pdf")
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="socks-slips.pdf"')
    const pages = pdfPages(await res.arrayBuffer())
    expect(pages).toHaveLength(2)
    expect(pages[0]).toContain("王小明")
    expect(pages[0]).toContain(`取貨碼 ${pickupCode}`)
    expect(pages[0]).toMatch(/韓國毛襪 紅\s+×2/)
    expect(pages[1]).toContain("陈小华")
    expect(pages[1]).toMatch(/韓國毛襪 白\s+×1/)
    expect(pages[1]).toMatch(/保溫杯\s+×1/)

    const second = orders[1]!.orderId
    const picked = await fetch(`${s.url}/api/v1/rounds/socks/slips.pdf?order=${second}&perPage=2`, {
      headers: { authorization: `Bearer ${s.organiser}` }
    })
    expect(picked.status).toBe(200)
    const text = pdfPages(await picked.arrayBuffer()).join("")
    expect(text).toContain("陈小华")
    expect(text).not.toContain("王小明")
    // Many orders: their ids in a JSON body.
    const posted = await fetch(`${s.url}/api/v1/rounds/socks/slips.pdf`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.helper}`, "content-type": "application/json" },
      body: JSON.stringify({ orderIds: [second, orders[0]!.orderId], format: "thermal" })
    })
    expect(posted.status).toBe(200)
    expect(posted.headers.get("content-type")).toBe("application/pdf")
    const postedPages = pdfPages(await posted.arrayBuffer())
    expect(postedPages.map((p) => (p.includes("陈小华") ? "陈小华" : p.includes("王小明") ? "王小明" : "?"))).toEqual([
      "陈小华",
      "王小明"
    ])
    const paid = await fetch(`${s.url}/api/v1/rounds/socks/slips.pdf?status=awaiting-payment`, {
      headers: { authorization: `Bearer ${s.organiser}` }
    })
    expect(pdfPages(await paid.arrayBuffer()).join("")).not.toContain("王小明")
  })

  it("streams the pick list per SKU and per delivery method", async () => {
    const res = await fetch(`${s.url}/api/v1/rounds/socks/picklist.pdf?by=pickup`, {
      headers: { authorization: `Bearer ${s.helper}` }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="socks-picklist.pdf"')
    const text = pdfPages(await res.arrayBuffer()).join("")
    expect(text).toContain("分貨單 — 韓國毛襪")
    expect(text).toMatch(/面交\s+1 筆訂單/)
    expect(text).toMatch(/SOCK-W\s+韓國毛襪\s+白\s+1\s+0\s+1\s+1/)
  })

  it("answers 401 without a token, 404 for an unknown round or order, 400 for a bad query", async () => {
    expect((await s.call("GET", "/api/v1/rounds/socks/slips.pdf", { token: null })).status).toBe(401)
    expect((await s.call("GET", "/api/v1/rounds/socks/picklist.pdf", { token: null })).status).toBe(401)
    const noRound = await s.call("GET", "/api/v1/rounds/nope/slips.pdf")
    expect(noRound.status).toBe(404)
    expect(noRound.headers.get("content-type")).toContain("application/json")
    expect((await s.call("GET", "/api/v1/rounds/nope/picklist.pdf")).status).toBe(404)
    const noOrder = await s.call("GET", "/api/v1/rounds/socks/slips.pdf?order=o_nope")
    expect(noOrder.status).toBe(404)
    expect(noOrder.body.message).toContain("o_nope")
    expect((await s.call("GET", "/api/v1/rounds/socks/slips.pdf?format=a5")).status).toBe(400)
    expect((await s.call("GET", "/api/v1/rounds/socks/picklist.pdf?by=buyer")).status).toBe(400)
    expect((await s.call("POST", "/api/v1/rounds/socks/slips.pdf", { json: { orderIds: ["o_nope"] } })).status).toBe(
      404
    )
    expect((await s.call("POST", "/api/v1/rounds/socks/slips.pdf", { json: { orderIds: [] } })).status).toBe(400)
    expect(
      (await s.call("POST", "/api/v1/rounds/socks/slips.pdf", { json: { orderIds: ["x"] }, token: null })).status
    ).toBe(401)
  })
})

/** Takes the comments and closes the round: the orders await payment. */
const takeAndClose = (g: GroupBuy.GroupBuyService, comments: ReadonlyArray<GroupBuy.CommentInput>) =>
  Effect.andThen(
    g.submitComments({ roundId: "socks", comments }),
    g.closeRound({ roundId: "socks", at: new Date(Date.now() + 10).toISOString() })
  )
