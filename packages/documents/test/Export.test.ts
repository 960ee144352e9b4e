/**
 * The export: a round run through the real GroupBuy service on in-memory storage (orders, a
 * payment, a split shipment), written as xlsx and read back with exceljs, and as CSV (BOM, Chinese
 * headers, Taipei times, formulas neutralised), a page of orders at a time.
 */
import { GroupBuy, IdGenerator, RoundSpec, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Effect, Layer, Result, Stream } from "effect"
import ExcelJS from "exceljs"
import { describe, expect, it } from "vitest"
import { Csv, Export } from "../src/index.js"
import { readBack } from "./support.js"

const spec = {
  id: "socks",
  title: "韓國毛襪",
  cutoff: "2024-05-10T22:00:00+08:00",
  products: [
    {
      sku: "SOCK",
      name: "韓國毛襪",
      price: 120,
      options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
      variants: [
        { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 20 },
        { sku: "SOCK-W", options: { 顏色: "白" }, stock: 20, price: 130 }
      ]
    },
    { sku: "CUP", name: "保溫杯", price: 450 }
  ]
}

const buyers = [
  { id: "U1", name: "王小明", text: "紅+2" },
  { id: "U2", name: '=HYPERLINK("http://x")', text: "白+1 保溫杯+1" },
  { id: "U3", name: "+886 林", text: "保溫杯+1" }
]

/** Opens the round, takes the comments, closes it, records one payment and ships part of an order. */
const setUp = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: Result.getOrThrow(RoundSpec.decode(spec)), at: "2024-05-01T09:00:00+08:00" })
  yield* g.submitComments({
    roundId: "socks",
    comments: buyers.map((b, i) => ({
      channel: "line",
      commentId: `m${i + 1}`,
      author: { id: b.id, name: b.name },
      text: b.text,
      at: `2024-05-01T10:0${i}:00+08:00`
    }))
  })
  const orders = yield* g.closeRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
  const second = orders.find((o) => o.buyerId === "line:U2")!
  yield* g.recordPayment({
    transactionId: "tx-1",
    source: "statement",
    amount: second.total,
    at: "2024-05-11T09:30:00+08:00",
    bankCode: "822",
    last5: "12345",
    orderIds: [second.orderId],
    evidence: "exact amount and the buyer's last five digits"
  })
  yield* g.ship({
    orderId: second.orderId,
    lines: [{ sku: "CUP", qty: 1 }],
    method: "home",
    carrier: "黑貓",
    trackingNo: "T-9"
  })
  return { orders, second }
})

const layer = GroupBuy.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, Parser.layer, IdGenerator.layerNanoid))
)

const run = <A, E>(program: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) =>
  Effect.runPromise(Effect.provide(program, layer))

/** The CSV bytes as text, its BOM kept (a TextDecoder would drop it); checks the bytes start EF BB BF. */
const csvText = (table: Export.Table, pageSize?: number) =>
  Effect.map(Stream.runCollect(Export.csv({ roundId: "socks", table, pageSize })), (chunks) => {
    const bytes = Buffer.concat([...chunks])
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)
  })

describe("Export", () => {
  it("writes a workbook with a sheet per table, Chinese headers, NT$ numbers and Taipei times", async () => {
    const { bytes, second } = await run(
      Effect.gen(function* () {
        const { second } = yield* setUp
        return { bytes: yield* Export.xlsx({ roundId: "socks", pageSize: 2 }), second }
      })
    )
    const book = await readBack(bytes)
    // Styles survive the streaming writer: bold headers, a frozen header row with a filter, NT$ and time formats.
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(Buffer.from(bytes) as never)
    const sheet = wb.getWorksheet("訂單")!
    expect(sheet.getCell("A1").font?.bold).toBe(true)
    expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 })
    expect(sheet.autoFilter).toBe("A1:N1")
    expect(sheet.getCell("H2").numFmt).toBe(Export.moneyFormat)
    expect(sheet.getCell("F2").numFmt).toBe(Export.timeFormat)
    expect([...book.keys()]).toEqual(["訂單", "明細", "付款", "出貨"])
    const orders = book.get("訂單")!
    expect(orders[0]).toEqual(Export.columns.orders.map((c) => c.header))
    expect(orders.slice(1).map((r) => [r[3], r[6], r[7], r[8], r[9], r[10]])).toEqual([
      ["王小明", 2, 240, 0, 240, 0],
      ['=HYPERLINK("http://x")', 2, 580, 580, 0, 1],
      ["+886 林", 1, 450, 0, 450, 0]
    ])
    // Placed at 10:00 Taipei: a date cell showing that wall clock.
    expect((orders[1]![5] as Date).toISOString()).toBe("2024-05-01T10:00:00.000Z")
    const lines = book.get("明細")!
    expect(lines.slice(1).map((r) => [r[1], r[5], r[6], r[7], r[8], r[9], r[10], r[11]])).toEqual([
      ["王小明", "SOCK-R", "韓國毛襪 紅", 2, 120, 240, 0, 2],
      ['=HYPERLINK("http://x")', "SOCK-W", "韓國毛襪 白", 1, 130, 130, 0, 1],
      ['=HYPERLINK("http://x")', "CUP", "保溫杯", 1, 450, 450, 1, 0],
      ["+886 林", "CUP", "保溫杯", 1, 450, 450, 0, 1]
    ])
    const payments = book.get("付款")!
    expect(payments).toHaveLength(2)
    expect(payments[1]!.slice(1, 10)).toEqual([
      second.orderId,
      '=HYPERLINK("http://x")',
      "line:U2",
      580,
      580,
      "匯款",
      "tx-1",
      "822",
      "12345"
    ])
    expect((payments[1]![10] as Date).toISOString()).toBe("2024-05-11T09:30:00.000Z")
    const shipments = book.get("出貨")!
    expect(shipments.slice(1).map((r) => r.slice(1, 10))).toEqual([
      [second.orderId, '=HYPERLINK("http://x")', "line:U2", "宅配", "已出貨", "CUP×1", 1, "黑貓", "T-9"]
    ])
  })

  it("writes a table as CSV with a BOM, neutralised formulas and the same bytes whatever the page size", async () => {
    const [lines, paged, orders] = await run(
      Effect.gen(function* () {
        yield* setUp
        return [yield* csvText("lines"), yield* csvText("lines", 1), yield* csvText("orders")] as const
      })
    )
    expect(lines.startsWith(Csv.BOM)).toBe(true)
    expect(paged).toBe(lines)
    const rows = lines.slice(1).split("\r\n")
    expect(rows[0]).toBe(Export.columns.lines.map((c) => c.header).join(","))
    expect(rows.slice(1, -1).map((r) => r.split(",").slice(1, 8).join(","))).toEqual([
      "王小明,line:U1,2024-05-01 10:00,待付款,SOCK-R,韓國毛襪 紅,2",
      `"'=HYPERLINK(""http://x"")",line:U2,2024-05-01 10:01,待出貨,SOCK-W,韓國毛襪 白,1`,
      `"'=HYPERLINK(""http://x"")",line:U2,2024-05-01 10:01,待出貨,CUP,保溫杯,1`,
      "'+886 林,line:U3,2024-05-01 10:02,待付款,CUP,保溫杯,1"
    ])
    expect(rows.at(-1)).toBe("")
    // The header, three orders, and the empty text after the last CRLF.
    expect(orders.split("\r\n")).toHaveLength(1 + 3 + 1)
  })

  it("reads orders a page at a time, never the whole round at once", async () => {
    const limits: Array<number | undefined> = []
    const spied = Layer.effect(
      Storage.Storage,
      Effect.gen(function* () {
        const inner = yield* Storage.Storage
        return {
          ...inner,
          orders: (q: Parameters<Storage.StorageService["orders"]>[0]) => {
            limits.push(q.limit)
            return inner.orders(q)
          }
        }
      })
    )
    const text = await run(
      Effect.gen(function* () {
        yield* setUp
        limits.length = 0
        return yield* Effect.provide(csvText("lines", 2), spied)
      })
    )
    // Three orders in pages of two: two reads, each of at most two orders.
    expect(limits).toEqual([2, 2])
    expect(text.split("\r\n")).toHaveLength(1 + 4 + 1)
  })

  it("fails with unknown-round for a round storage does not have", async () => {
    const r = await run(Effect.result(Export.xlsx({ roundId: "nope" })))
    expect(Result.isFailure(r) && r.failure.reason).toBe("unknown-round")
    const c = await run(Effect.result(csvText("orders")))
    expect(Result.isFailure(c) && c.failure._tag).toBe("ExportError")
  })
})
