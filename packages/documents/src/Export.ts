/**
 * A round's orders, lines, payments and shipments as the organiser's helpers keep them in a
 * spreadsheet: an xlsx workbook with one sheet each ({@link xlsx}), or any one of them as CSV
 * ({@link csv}: UTF-8 with a BOM so Excel opens the Chinese intact, formulas neutralised).
 * Headers are Chinese ({@link columns} says what each means), times are Taipei wall-clock times,
 * amounts are NT$ as numbers.
 *
 * The data comes from the `Storage` port: the round's orders a page at a time (`Storage.orders`
 * keyset pages), and for the orders of a page their streams (payments applied, shipments added)
 * and the payment and shipment streams those name. CSV is a `Stream` of bytes that never holds
 * more than one page of orders; the xlsx workbook is written a page at a time by exceljs's
 * streaming writer and returned as bytes (a zip holds its sheets one after the other, so the
 * later sheets' XML waits in memory until the first is done).
 *
 * @example
 * ```ts
 * import { Export } from "@kaituan/documents"
 * import { Storage } from "@kaituan/core"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const workbook = yield* Export.xlsx({ roundId: "socks-2024-05" })
 *   const csv = yield* Stream.mkString(Stream.decodeText(Export.csv({ roundId: "socks-2024-05", table: "lines" })))
 *   return { workbook, csv }
 * }).pipe(Effect.provide(Storage.layerMemory))
 * ```
 *
 * @since 0.1.0
 */
import type { ReadModel, Shipment } from "@kaituan/core"
import { Storage, TaipeiTime } from "@kaituan/core"
import { PassThrough } from "node:stream"
import { Effect, Schema, Stream } from "effect"
import * as Csv from "./Csv.js"
import { excel } from "./internal/excel.js"
import { type Enriched, pages, roundInfo } from "./internal/rounds.js"

// ---------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------

/** The tables of an export: one sheet each in the workbook. */
export const Table = Schema.Literals(["orders", "lines", "payments", "shipments"])
/** A table of an export. */
export type Table = typeof Table.Type
/** Every table, in the workbook's order. */
export const tables: ReadonlyArray<Table> = ["orders", "lines", "payments", "shipments"]

/** The sheet name of each table. */
export const sheetNames: Readonly<Record<Table, string>> = {
  orders: "訂單",
  lines: "明細",
  payments: "付款",
  shipments: "出貨"
}

/** How a column's values are written: text, NT$ (a number), a count (a number), or a Taipei time. */
export type Kind = "text" | "money" | "count" | "time"

/** A column: its Chinese header, what it means, and its kind. */
export interface Column {
  readonly header: string
  readonly meaning: string
  readonly kind: Kind
}

const c = (header: string, kind: Kind, meaning: string): Column => ({ header, kind, meaning })

/** The columns of each table. */
export const columns: Readonly<Record<Table, ReadonlyArray<Column>>> = {
  orders: [
    c("訂單編號", "text", "order id"),
    c("狀態", "text", "the back office folder: 收單中, 待付款, 待出貨, 已出貨, 已完成, 已取消, 已退款"),
    c("狀態代碼", "text", "the status code: open, awaiting-payment, paid…"),
    c("買家", "text", "the buyer's name"),
    c("買家編號", "text", "the buyer's id"),
    c("下單時間", "time", "when the buyer's first comment placed the order"),
    c("件數", "count", "units ordered"),
    c("訂單金額", "money", "order total, NT$"),
    c("已付", "money", "paid, NT$"),
    c("未付", "money", "still due, NT$ (0 for a cancelled or refunded order)"),
    c("已出貨件數", "count", "units in shipments"),
    c("付款編號", "text", "the payments applied to the order"),
    c("出貨編號", "text", "the order's shipments"),
    c("更新時間", "time", "last change")
  ],
  lines: [
    c("訂單編號", "text", "order id"),
    c("買家", "text", "the buyer's name"),
    c("買家編號", "text", "the buyer's id"),
    c("下單時間", "time", "when the order was placed"),
    c("狀態", "text", "the order's folder"),
    c("商品編號", "text", "SKU"),
    c("品名", "text", "the product and variant (韓國毛襪 紅)"),
    c("數量", "count", "quantity"),
    c("單價", "money", "unit price, NT$"),
    c("小計", "money", "line total, NT$"),
    c("已出貨", "count", "units of the line shipped"),
    c("未出貨", "count", "units still to ship")
  ],
  payments: [
    c("付款編號", "text", "payment id"),
    c("訂單編號", "text", "the order the money went to (a payment for several orders has a row each)"),
    c("買家", "text", "the buyer's name"),
    c("買家編號", "text", "the buyer's id"),
    c("入帳金額", "money", "the amount applied to this order, NT$"),
    c("付款金額", "money", "the whole payment received, NT$"),
    c("方式", "text", "匯款 (bank transfer), 金流 (gateway) or 現金 (cash)"),
    c("交易編號", "text", "the statement row or gateway trade number"),
    c("銀行代碼", "text", "the paying bank's code, when known"),
    c("後五碼", "text", "the last five digits of the paying account, when known"),
    c("付款時間", "time", "when the money moved"),
    c("入帳時間", "time", "when it was applied to the order"),
    c("依據", "text", "why the match is certain"),
    c("已退款", "money", "refunded, NT$")
  ],
  shipments: [
    c("出貨編號", "text", "shipment id"),
    c("訂單編號", "text", "order id"),
    c("買家", "text", "the buyer's name"),
    c("買家編號", "text", "the buyer's id"),
    c("方式", "text", "宅配 (home), 超商 (convenience store) or 面交 (meet-up pickup)"),
    c("狀態", "text", "已打包, 已出貨, 已送達, 已取貨, 已退回"),
    c("內容", "text", "the lines shipped (SOCK-R×2, CUP×1)"),
    c("件數", "count", "units shipped"),
    c("物流商", "text", "carrier"),
    c("追蹤號碼", "text", "tracking number"),
    c("打包時間", "time", "packed at"),
    c("出貨時間", "time", "shipped at"),
    c("完成時間", "time", "delivered, picked up or returned at")
  ]
}

/** The back office folder (Chinese) of an order status. */
export const statusLabels: Readonly<Record<ReadModel.OrderStatus, string>> = {
  open: "收單中",
  "awaiting-payment": "待付款",
  paid: "待出貨",
  "partly-shipped": "待出貨",
  shipped: "已出貨",
  completed: "已完成",
  cancelled: "已取消",
  refunded: "已退款"
}

const storageError = (e: Storage.StorageError) =>
  new ExportError({ reason: "storage", message: `cannot read the round: ${e.reason}` })

/** The round's SKU labels (`韓國毛襪 紅`); fails when there is no such round. */
const labelsOf = (storage: Storage.StorageService, roundId: string) =>
  Effect.flatMap(roundInfo(storage, roundId), (info) =>
    info === undefined
      ? Effect.fail(new ExportError({ reason: "unknown-round", message: `no round ${JSON.stringify(roundId)}` }))
      : Effect.succeed(info.labels)
  )

const methodLabels: Readonly<Record<Shipment.Method, string>> = { home: "宅配", cvs: "超商", pickup: "面交" }
const shipmentLabels: Readonly<Record<Shipment.Status, string>> = {
  none: "",
  packed: "已打包",
  shipped: "已出貨",
  delivered: "已送達",
  "picked-up": "已取貨",
  returned: "已退回"
}
const sourceLabels = { statement: "匯款", gateway: "金流", cash: "現金" } as const

/** A value of a row: text, a number, a time (epoch milliseconds, in a `time` column) or empty. */
export type Value = string | number | undefined

// ---------------------------------------------------------------------------------------------
// Errors and inputs
// ---------------------------------------------------------------------------------------------

/** The export failed: `unknown-round` (no such round in storage) or `storage` (it could not be read). */
export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  reason: Schema.Literals(["unknown-round", "storage"]),
  message: Schema.String
}) {}

/** What to export. */
export interface ExportInput {
  readonly roundId: string
  /** Orders read from storage per page (default {@link PAGE_SIZE}). */
  readonly pageSize?: number | undefined
}

/** Orders read from storage per page. */
export const PAGE_SIZE = 500

// ---------------------------------------------------------------------------------------------
// Reading a round
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const time = (iso: string | undefined): Value => {
  if (iso === undefined) return undefined
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? undefined : ms
}
const units = (lines: ReadonlyArray<{ readonly qty: number }>): number => lines.reduce((n, l) => n + l.qty, 0)
const nameOf = (o: ReadModel.OrderView): string => o.buyer.name ?? ""
const settled = (o: ReadModel.OrderView) => o.status === "cancelled" || o.status === "refunded"

/** The rows one enriched order gives a table. */
const rowsOf = (table: Table, e: Enriched, labels: ReadonlyMap<string, string>): Array<ReadonlyArray<Value>> => {
  const o = e.order
  switch (table) {
    case "orders":
      return [
        [
          o.orderId,
          statusLabels[o.status] ?? o.status,
          o.status,
          nameOf(o),
          o.buyerId,
          time(o.placedAt),
          units(o.lines),
          o.total,
          o.paid,
          settled(o) ? 0 : Math.max(0, o.total - o.paid),
          e.shipments.reduce((n, s) => n + units(s.state.lines), 0),
          [...e.payments.keys()].join(" "),
          e.shipments.map((s) => s.shipmentId).join(" "),
          time(o.updatedAt)
        ]
      ]
    case "lines": {
      const shipped = new Map<string, number>()
      for (const s of e.shipments) for (const l of s.state.lines) shipped.set(l.sku, (shipped.get(l.sku) ?? 0) + l.qty)
      return o.lines.map((l) => {
        const out = Math.min(l.qty, shipped.get(l.sku) ?? 0)
        shipped.set(l.sku, (shipped.get(l.sku) ?? 0) - out)
        return [
          o.orderId,
          nameOf(o),
          o.buyerId,
          time(o.placedAt),
          statusLabels[o.status] ?? o.status,
          l.sku,
          labels.get(l.sku) ?? l.sku,
          l.qty,
          l.unitPrice,
          l.qty * l.unitPrice,
          out,
          l.qty - out
        ]
      })
    }
    case "payments":
      return e.applied.map((a) => {
        const p = e.payments.get(a.paymentId) ?? { refunded: 0 }
        return [
          a.paymentId,
          o.orderId,
          nameOf(o),
          o.buyerId,
          a.amount,
          p.amount,
          p.source === undefined ? undefined : sourceLabels[p.source],
          p.transactionId,
          p.bankCode,
          p.last5,
          time(p.at),
          time(a.at),
          p.evidence,
          p.refunded
        ]
      })
    case "shipments":
      return e.shipments.map((s) => [
        s.shipmentId,
        o.orderId,
        nameOf(o),
        o.buyerId,
        s.state.method === undefined ? undefined : methodLabels[s.state.method],
        shipmentLabels[s.state.status],
        s.state.lines.map((l) => `${l.sku}×${l.qty}`).join(", "),
        units(s.state.lines),
        s.carrier,
        s.trackingNo,
        time(s.packedAt),
        time(s.shippedAt),
        time(s.doneAt)
      ])
  }
}

/**
 * The rows of one table, in order of the orders' first comments (a page of orders at a time).
 * Time columns hold epoch milliseconds; empty cells are `undefined`.
 */
export const rows = (
  input: ExportInput & { readonly table: Table }
): Stream.Stream<ReadonlyArray<Value>, ExportError, Storage.Storage> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      const labels = yield* Effect.mapError(labelsOf(storage, input.roundId), (e) =>
        e._tag === "StorageError" ? storageError(e) : e
      )
      return pages(storage, input.roundId, input.pageSize ?? PAGE_SIZE).pipe(
        Stream.mapError(storageError),
        Stream.flatMap((page) => Stream.fromIterable(page.flatMap((e) => rowsOf(input.table, e, labels))))
      )
    })
  )

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/** A time as the CSV writes it: `YYYY-MM-DD HH:mm`, Taipei. */
export const taipeiMinute = (epochMillis: number): string => TaipeiTime.formatTaipei(epochMillis, "-").slice(0, 16)

/** One row as a CSV line: times in Taipei, money and counts as numbers, text neutralised. */
export const csvRow = (table: Table, values: ReadonlyArray<Value>): string =>
  Csv.row(
    columns[table].map((col, i) => {
      const v = values[i]
      if (v === undefined) return ""
      if (col.kind === "time" && typeof v === "number") return taipeiMinute(v)
      return v
    })
  )

/**
 * One table as a CSV file: the {@link Csv.BOM}, the header row, then a chunk of bytes per page of
 * orders (never more than one page in memory).
 */
export const csv = (
  input: ExportInput & { readonly table: Table }
): Stream.Stream<Uint8Array, ExportError, Storage.Storage> => {
  const encoder = new TextEncoder()
  const pageSize = input.pageSize ?? PAGE_SIZE
  return Stream.concat(
    Stream.make(encoder.encode(Csv.BOM + Csv.row(columns[input.table].map((c) => c.header)))),
    rows(input).pipe(
      Stream.map((r) => csvRow(input.table, r)),
      Stream.rechunk(pageSize),
      Stream.mapArray((lines) => [encoder.encode(lines.join(""))] as const)
    )
  )
}

// ---------------------------------------------------------------------------------------------
// xlsx
// ---------------------------------------------------------------------------------------------

const TAIPEI_OFFSET_MS = 8 * 60 * 60 * 1000

/** The number format of NT$ cells. */
export const moneyFormat = '"NT$"#,##0'
/** The number format of time cells (Taipei wall clock). */
export const timeFormat = "yyyy-mm-dd hh:mm"

/**
 * The round as an xlsx workbook (bytes): a sheet per table ({@link sheetNames}), Chinese headers in
 * bold, the header row frozen and filtered; NT$ and counts are number cells, times are date cells
 * showing the Taipei wall clock (`yyyy-mm-dd hh:mm`). Written with exceljs's streaming writer, a
 * page of orders at a time (rows are not kept as cell objects): what is held is the compressed
 * workbook so far and the XML of the sheets after the first until the first is done.
 */
export const xlsx = (input: ExportInput): Effect.Effect<Uint8Array, ExportError, Storage.Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const labels = yield* Effect.mapError(labelsOf(storage, input.roundId), (e) =>
      e._tag === "StorageError" ? storageError(e) : e
    )
    const ExcelJS = yield* Effect.promise(excel)
    const chunks: Array<Uint8Array> = []
    const sink = new PassThrough()
    sink.on("data", (c: Uint8Array) => chunks.push(c))
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false })
    wb.creator = "kaituan"
    const sheets = new Map(
      tables.map((t) => {
        const ws = wb.addWorksheet(sheetNames[t], { views: [{ state: "frozen", ySplit: 1 }] })
        ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns[t].length } }
        ws.columns = columns[t].map((col) => ({
          header: col.header,
          width: col.kind === "time" ? 17 : col.kind === "text" ? 14 : 10,
          ...(col.kind === "money"
            ? { style: { numFmt: moneyFormat } }
            : col.kind === "time"
              ? { style: { numFmt: timeFormat } }
              : {})
        }))
        ws.getRow(1).font = { bold: true }
        return [t, ws] as const
      })
    )
    yield* pages(storage, input.roundId, input.pageSize ?? PAGE_SIZE).pipe(
      Stream.mapError(storageError),
      Stream.runForEach((page) =>
        Effect.sync(() => {
          for (const t of tables) {
            const ws = sheets.get(t)!
            for (const e of page)
              for (const r of rowsOf(t, e, labels))
                ws.addRow(
                  columns[t].map((col, i) => {
                    const v = r[i]
                    if (v === undefined) return null
                    return col.kind === "time" && typeof v === "number" ? new Date(v + TAIPEI_OFFSET_MS) : v
                  })
                ).commit()
          }
        })
      )
    )
    yield* Effect.promise(async () => {
      for (const ws of sheets.values()) ws.commit()
      await wb.commit()
    })
    return new Uint8Array(Buffer.concat(chunks))
  }).pipe(Effect.withSpan("Export.xlsx", { attributes: { roundId: input.roundId } }))
