/**
 * The `exports` group: a round's orders as a CSV file (organiser only: it is personal data). The
 * round is looked up first (404 before any byte is sent); then the file is streamed a page of
 * {@link PAGE_SIZE} orders at a time (`afterSeq` keyset pages), so a 20,000-order round never
 * holds more than one page of order views in memory. `export.xlsx` is the round's workbook
 * (orders, lines, payments, shipments) from `@kaituan/documents`' `Export.xlsx` ({@link workbook}).
 */
import { type ReadModel, Storage } from "@kaituan/core"
import { Export } from "@kaituan/documents"
import { Effect, Option, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import * as Csv from "../internal/csv.js"
import { storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"
import { ordersCsvColumns } from "../Models.js"

/** Orders read from storage per page while the file is written. */
export const PAGE_SIZE = 500

/** The back office folder (Chinese) an order status is shown in. */
export const folderOf: Record<ReadModel.OrderStatus, string> = {
  open: "收單中",
  "awaiting-payment": "待付款",
  paid: "待出貨",
  "partly-shipped": "待出貨",
  shipped: "已出貨",
  completed: "已完成",
  cancelled: "已取消",
  refunded: "已取消"
}

const TAIPEI_OFFSET_MS = 8 * 60 * 60 * 1000

/** An ISO timestamp in Asia/Taipei (UTC+8, no daylight saving) as `YYYY-MM-DD HH:mm`; unreadable ones as given. */
export const taipeiMinute = (iso: string): string => {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return iso
  return new Date(ms + TAIPEI_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ")
}

/** The CSV rows of one order: one per line (an order without lines gets one row with empty line cells). */
export const orderRows = (o: ReadModel.OrderView): string => {
  const head: ReadonlyArray<Csv.Cell> = [
    o.orderId,
    folderOf[o.status] ?? o.status,
    o.status,
    o.buyer.name ?? "",
    o.buyerId,
    taipeiMinute(o.placedAt)
  ]
  if (o.lines.length === 0) return Csv.row([...head, "", "", "", "", o.total, o.paid])
  return o.lines
    .map((l) => Csv.row([...head, l.sku, l.qty, l.unitPrice, l.qty * l.unitPrice, o.total, o.paid]))
    .join("")
}

/** The header row, after the BOM. */
export const headerRow = Csv.BOM + Csv.row(ordersCsvColumns.map((c) => c.header))

/** `export.xlsx`: the round's workbook (404 for an unknown round), as an attachment `<roundId>.xlsx`. */
export const workbook = (storage: Storage.StorageService, roundId: string) =>
  Effect.gen(function* () {
    yield* Rounds.require(storage, roundId)
    const bytes = yield* Export.xlsx({ roundId }).pipe(
      Effect.provideService(Storage.Storage, storage),
      Effect.mapError(() => storageError({ reason: "unavailable" }))
    )
    return HttpServerResponse.uint8Array(bytes, {
      contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      headers: {
        "content-disposition": `attachment; filename="${roundId.replace(/[^A-Za-z0-9._-]/g, "_")}.xlsx"`,
        "cache-control": "no-store"
      }
    })
  })

/** The handlers of the `exports` group. */
export const layer = HttpApiBuilder.group(Api, "exports", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const withWorkbook = handlers.handle("workbook", ({ params }) => workbook(storage, params.roundId))
    return withWorkbook.handle("orders", ({ params }) =>
      Effect.gen(function* () {
        yield* Rounds.require(storage, params.roundId)
        const encoder = new TextEncoder()
        const pages = Stream.paginate(undefined as number | undefined, (afterSeq) =>
          storage.orders({ roundId: params.roundId, afterSeq, limit: PAGE_SIZE }).pipe(
            Effect.mapError(storageError),
            Effect.map((rows) => {
              const next: Option.Option<number | undefined> =
                rows.length < PAGE_SIZE ? Option.none() : Option.some(rows[rows.length - 1]!.seq)
              return [[encoder.encode(rows.map(orderRows).join(""))], next] as const
            })
          )
        )
        const body = Stream.concat(Stream.make(encoder.encode(headerRow)), pages)
        return HttpServerResponse.stream(body, {
          contentType: "text/csv; charset=utf-8",
          headers: {
            "content-disposition": `attachment; filename="${params.roundId.replace(/[^A-Za-z0-9._-]/g, "_")}-orders.csv"`,
            "cache-control": "no-store"
          }
        })
      })
    )
  })
)
