/**
 * `GET /api/v1/rounds/:roundId/export.csv`: the organiser gets the round's orders as a CSV file
 * (BOM, header, one row per order line, Chinese intact, formulas neutralised), a helper 403, an
 * unknown round 404; and the CSV writer round-trips through a reference parser.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PAGE_SIZE } from "../src/handlers/Exports.js"
import { BOM, cell, row } from "../src/internal/csv.js"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

/** A reference RFC 4180 parser: rows of cells, CRLF (or LF) row ends, `""` inside quotes. */
const parse = (input: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let cells: Array<string> = []
  let cur = ""
  let quoted = false
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ",") {
      cells.push(cur)
      cur = ""
    } else if (c === "\n" || (c === "\r" && input[i + 1] === "\n")) {
      if (c === "\r") i++
      cells.push(cur)
      rows.push(cells)
      cells = []
      cur = ""
    } else cur += c
  }
  if (cur !== "" || cells.length > 0) rows.push([...cells, cur])
  return rows
}

/**
 * What the writer must write for a value: a text that could start a formula gets a leading `'`,
 * anything else as it is. (Undoing the `'` on the parsed cell instead is ambiguous: a text that
 * itself starts with `'+` would read back as `+`; fast-check found it.)
 */
const guarded = (v: string | number) => (typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : String(v))

describe("the CSV writer", () => {
  it("round-trips any rows of text and numbers through an RFC 4180 parser", () => {
    const value = fc.oneof(
      fc.string({ unit: "grapheme" }),
      fc.string(),
      fc.integer(),
      fc.constantFrom("=1+1", "+1", '"', ",", "\r\n")
    )
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 6 }), { maxLength: 8 }), (rows) => {
        const parsed = parse(rows.map(row).join(""))
        expect(parsed).toHaveLength(rows.length)
        parsed.forEach((cells, r) => {
          expect(cells).toEqual(rows[r]!.map(guarded))
          // No text cell can start a formula.
          cells.forEach((c, k) => {
            if (typeof rows[r]![k] === "string") expect(c).not.toMatch(/^[=+\-@\t\r]/)
          })
        })
      })
    )
  })

  it("neutralises formulas in text cells only, and quotes what needs it", () => {
    expect(cell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(cell("+1")).toBe("'+1")
    expect(cell("-2")).toBe("'-2")
    expect(cell("@a")).toBe("'@a")
    expect(cell("\tx")).toBe("'\tx")
    expect(cell(-2)).toBe("-2")
    expect(cell("紅,白")).toBe('"紅,白"')
    expect(row(["a", 1])).toBe("a,1\r\n")
    expect(BOM).toBe("\uFEFF")
  })
})

describe.each(kinds)("the orders export over %s", (kind) => {
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
            {
              channel: "line",
              commentId: "c1",
              author: { id: "U1", name: "王小明" },
              text: "紅+2 保溫杯+1",
              at: at(0)
            },
            {
              channel: "line",
              commentId: "c2",
              author: { id: "U2", name: '=HYPERLINK("x")' },
              text: "白+1",
              at: at(1)
            },
            { channel: "line", commentId: "c3", author: { id: "U3", name: "+1 陳, 小姐" }, text: "紅+1", at: at(2) }
          ]
        })
      )
    )
  })
  afterAll(() => s.close())

  it("gives the organiser a CSV with a BOM, a header and one row per order line", async () => {
    const res = await fetch(`${s.url}/api/v1/rounds/socks/export.csv`, {
      headers: { authorization: `Bearer ${s.organiser}` }
    })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8")
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="socks-orders.csv"')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)
    expect(text.startsWith(BOM)).toBe(true)
    const rows = parse(text.slice(1))
    expect(rows[0]).toEqual([
      "訂單編號",
      "狀態",
      "狀態代碼",
      "買家",
      "買家編號",
      "下單時間",
      "商品編號",
      "數量",
      "單價",
      "小計",
      "訂單金額",
      "已付"
    ])
    const lines = rows.slice(1)
    expect(lines).toHaveLength(4)
    const [first, second, third, fourth] = lines
    expect(first).toMatchObject({
      1: "收單中",
      2: "open",
      3: "王小明",
      6: "SOCK-R",
      7: "2",
      8: "120",
      9: "240",
      10: "690"
    })
    expect(first![5]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/)
    expect(second).toMatchObject({
      0: first![0],
      3: "王小明",
      6: "CUP",
      7: "1",
      8: "450",
      9: "450",
      10: "690",
      11: "0"
    })
    expect(third![3]).toBe(`'=HYPERLINK("x")`)
    expect(third).toMatchObject({ 6: "SOCK-W", 7: "1", 8: "130" })
    expect(fourth![3]).toBe("'+1 陳, 小姐")
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m)
  })

  it("writes every order of a round longer than one page, each once, in comment order", async () => {
    expect(
      (
        await s.call("POST", "/api/v1/rounds", {
          json: roundFile("big", { products: [{ sku: "CUP", name: "保溫杯", price: 450 }] })
        })
      ).status
    ).toBe(201)
    for (const from of [0, 400])
      await s.run(
        GroupBuy.GroupBuy.use((g) =>
          g.submitComments({ roundId: "big", comments: comments(400, from).map((c) => ({ ...c, text: "+1" })) })
        )
      )
    const res = await fetch(`${s.url}/api/v1/rounds/big/export.csv`, {
      headers: { authorization: `Bearer ${s.organiser}` }
    })
    const rows = parse((await res.text()).replace(/^\uFEFF/, "")).slice(1)
    // The stored orders (red socks sell out at 500: a few comments are not orders), page by page.
    const stored = await s.run(Storage.Storage.use((st) => st.orders({ roundId: "big" })))
    expect(stored.length).toBeGreaterThan(PAGE_SIZE)
    expect([...new Set(rows.map((r) => r[0]))]).toEqual(stored.map((o) => o.orderId))
    expect(rows).toHaveLength(stored.reduce((n, o) => n + o.lines.length, 0))
  })

  it("refuses a helper (403) and answers 404 for an unknown round", async () => {
    const helper = await s.call("GET", "/api/v1/rounds/socks/export.csv", { token: s.helper })
    expect(helper.status).toBe(403)
    expect(helper.body).toMatchObject({ _tag: "Forbidden", role: "helper", needs: "organiser" })
    expect((await s.call("GET", "/api/v1/rounds/socks/export.csv", { token: null })).status).toBe(401)
    const missing = await s.call("GET", "/api/v1/rounds/nope/export.csv")
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ _tag: "NotFound", what: "round" })
  })

  it("is in the OpenAPI document as an organiser-only text/csv response", async () => {
    const doc = (await s.call("GET", "/api/v1/openapi.json", { token: null })).body
    const op = doc.paths["/api/v1/rounds/{roundId}/export.csv"].get
    expect(op.description).toContain("Role: organiser only")
    expect(Object.keys(op.responses["200"].content)).toContain("text/csv; charset=utf-8")
  })
})
