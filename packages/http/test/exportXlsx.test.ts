/**
 * `GET /api/v1/rounds/:roundId/export.xlsx`: the organiser gets the round as a workbook (sheets
 * 訂單, 明細, 付款, 出貨, read back with exceljs), a helper 403, no token 401, an unknown round 404.
 */
import { GroupBuy } from "@kaituan/core"
import ExcelJS from "exceljs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve } from "./support.js"

describe.each(kinds)("the workbook export over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    expect((await s.call("POST", "/api/v1/rounds", { json: roundFile("socks") })).status).toBe(201)
    const at = (k: number) => new Date(Date.now() + 1 + k).toISOString()
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.submitComments({
          roundId: "socks",
          comments: [
            { channel: "line", commentId: "c1", author: { id: "U1", name: "王小明" }, text: "紅+2", at: at(0) },
            { channel: "line", commentId: "c2", author: { id: "U2", name: '=HYPERLINK("x")' }, text: "白+1", at: at(1) }
          ]
        })
      )
    )
  })
  afterAll(() => s.close())

  it("gives the organiser a workbook with a sheet per table", async () => {
    const res = await fetch(`${s.url}/api/v1/rounds/socks/export.xlsx`, {
      headers: { authorization: `Bearer ${s.organiser}` }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="socks.xlsx"')
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never)
    expect(wb.worksheets.map((w) => w.name)).toEqual(["訂單", "明細", "付款", "出貨"])
    const lines = wb.getWorksheet("明細")!
    expect(lines.rowCount).toBe(3)
    expect(
      [2, 3].map((r) => [lines.getCell(r, 2).value, lines.getCell(r, 6).value, lines.getCell(r, 8).value])
    ).toEqual([
      ["王小明", "SOCK-R", 2],
      ['=HYPERLINK("x")', "SOCK-W", 1]
    ])
  })

  it("refuses a helper and an anonymous caller, and answers 404 for an unknown round", async () => {
    expect((await s.call("GET", "/api/v1/rounds/socks/export.xlsx", { token: s.helper })).status).toBe(403)
    expect((await s.call("GET", "/api/v1/rounds/socks/export.xlsx", { token: null })).status).toBe(401)
    expect((await s.call("GET", "/api/v1/rounds/nope/export.xlsx")).status).toBe(404)
  })
})
