/**
 * The pick list (分貨單): what to take off the shelves for a round, per SKU — product, variant,
 * quantity ordered, shipped, still to ship, and how many orders want it — on A4 ({@link pdf}),
 * or as data ({@link collect}).
 *
 * `by: "pickup"` splits it by how the goods leave: kaituan has no pickup points (集貨點) yet — a
 * round names none and an order carries none — so the groups are the delivery methods of the
 * shipments (面交 meet-up pickup, 超商取貨, 宅配) and 尚未出貨 for what no shipment holds yet.
 * When rounds gain pickup points the groups become those points.
 *
 * Orders are read a page at a time and only the totals are kept (memory grows with the SKUs,
 * not the orders).
 *
 * @example
 * ```ts
 * import { PickList } from "@kaituan/documents"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const sheet = yield* PickList.collect({ roundId: "socks-2024-05" })
 *   for (const row of sheet.groups[0]!.rows) console.log(row.product, row.variant ?? "", row.qty)
 * })
 * ```
 *
 * @since 0.2.0
 */
import { type Catalogue, type Shipment, Storage, TaipeiTime } from "@kaituan/core"
import { Clock, Effect, Schema, Stream } from "effect"
import { A4, type Pen, render } from "./internal/pdfkit.js"
import { type Enriched, pages, roundInfo } from "./internal/rounds.js"
import {
  CommonInput,
  defaultStatuses,
  type Fonts,
  methodLabels,
  organiserOf,
  PAGE_SIZE,
  PrintError,
  storageError,
  unknownRound
} from "./Print.js"

/** How the list is grouped: one list of SKUs, or a list per delivery method (see the module's description). */
export const By = Schema.Literals(["sku", "pickup"])
/** How the list is grouped. */
export type By = typeof By.Type

/** What to list (decoded: a bad field fails with `PrintError({ reason: "invalid-input" })`). */
export const Input = Schema.Struct({ ...CommonInput, by: Schema.optional(By) })
/** What to list. */
export type Input = typeof Input.Type & { readonly fonts?: Fonts | undefined }

/** One SKU's totals. */
export interface Row {
  readonly sku: string
  readonly product: string
  /** The variant (`紅`, `黑 / L`); none for a product without variants. */
  readonly variant?: string | undefined
  /** Units ordered (in this group). */
  readonly qty: number
  /** Of which in shipments. */
  readonly shipped: number
  /** Of which still to ship. */
  readonly toShip: number
  /** Orders with this SKU (in this group). */
  readonly orders: number
}

/** A group's key: every SKU (`all`), a delivery method, or what is not shipped yet. */
export type GroupKey = "all" | Shipment.Method | "unshipped"

/** A group of rows. */
export interface Group {
  readonly key: GroupKey
  /** 全部, 面交, 超商取貨, 宅配, 尚未出貨. */
  readonly label: string
  readonly rows: ReadonlyArray<Row>
  /** Orders with something in this group. */
  readonly orders: number
  /** Units in this group. */
  readonly units: number
}

/** The pick list. */
export interface Sheet {
  readonly roundId: string
  readonly title: string
  readonly organiser: string
  /** When printed, Taipei (`2024/06/12 20:05`). */
  readonly printed: string
  readonly by: By
  readonly groups: ReadonlyArray<Group>
  /** Orders counted. */
  readonly orders: number
}

const groupLabels: Readonly<Record<GroupKey, string>> = { all: "全部", ...methodLabels, unshipped: "尚未出貨" }
const groupOrder: ReadonlyArray<GroupKey> = ["all", "pickup", "cvs", "home", "unshipped"]

/** Mutable totals of a group while the orders are read. */
interface Tally {
  readonly rows: Map<string, { qty: number; shipped: number; toShip: number; orders: number }>
  orders: number
  units: number
}

/** Adds one order to the tallies: its lines to `all`, or its shipments to their methods and the rest to `unshipped`. */
const add = (tallies: Map<GroupKey, Tally>, e: Enriched, by: By): void => {
  const shipments = e.shipments.filter((s) => s.state.status !== "returned" && s.state.status !== "none")
  const shippedBySku = new Map<string, number>()
  for (const s of shipments)
    for (const l of s.state.lines) shippedBySku.set(l.sku, (shippedBySku.get(l.sku) ?? 0) + l.qty)
  // Per group: SKU → [qty, shipped, toShip] for this order.
  const mine = new Map<GroupKey, Map<string, [number, number, number]>>()
  const put = (key: GroupKey, sku: string, qty: number, shipped: number, toShip: number) => {
    let g = mine.get(key)
    if (g === undefined) {
      g = new Map()
      mine.set(key, g)
    }
    const cur = g.get(sku) ?? [0, 0, 0]
    g.set(sku, [cur[0] + qty, cur[1] + shipped, cur[2] + toShip])
  }
  const left = new Map(shippedBySku)
  for (const l of e.order.lines) {
    const out = Math.min(l.qty, left.get(l.sku) ?? 0)
    left.set(l.sku, (left.get(l.sku) ?? 0) - out)
    if (by === "sku") put("all", l.sku, l.qty, out, l.qty - out)
    else if (l.qty - out > 0) put("unshipped", l.sku, l.qty - out, 0, l.qty - out)
  }
  if (by === "pickup")
    for (const s of shipments) for (const l of s.state.lines) put(s.state.method ?? "home", l.sku, l.qty, l.qty, 0)
  for (const [key, skus] of mine) {
    let t = tallies.get(key)
    if (t === undefined) {
      t = { rows: new Map(), orders: 0, units: 0 }
      tallies.set(key, t)
    }
    t.orders++
    for (const [sku, [qty, shipped, toShip]] of skus) {
      const r = t.rows.get(sku) ?? { qty: 0, shipped: 0, toShip: 0, orders: 0 }
      r.qty += qty
      r.shipped += shipped
      r.toShip += toShip
      r.orders++
      t.rows.set(sku, r)
      t.units += qty
    }
  }
}

const variantOf = (s: Catalogue.SellableSku): string | undefined => {
  if (s.variantName !== undefined) return s.variantName
  const values = Object.values(s.options)
  return values.length === 0 ? undefined : values.join(" / ")
}

const decodeInput = Schema.decodeUnknownEffect(Input)

/** The pick list as data: the round's orders (by `status`, default all but cancelled and refunded) summed per SKU. */
export const collect = (raw: Input): Effect.Effect<Sheet, PrintError, Storage.Storage> =>
  Effect.gen(function* () {
    const input = yield* decodeInput(raw).pipe(
      Effect.mapError((e) => new PrintError({ reason: "invalid-input", message: e.message }))
    )
    const storage = yield* Storage.Storage
    const info = yield* roundInfo(storage, input.roundId).pipe(Effect.mapError(storageError))
    if (info === undefined) return yield* Effect.fail(unknownRound(input.roundId))
    const by = input.by ?? "sku"
    const tallies = new Map<GroupKey, Tally>()
    let orders = 0
    yield* pages(storage, input.roundId, input.pageSize ?? PAGE_SIZE, input.status ?? defaultStatuses).pipe(
      Stream.mapError(storageError),
      Stream.runForEach((page) =>
        Effect.sync(() => {
          for (const e of page) {
            orders++
            add(tallies, e, by)
          }
        })
      )
    )
    const position = new Map([...info.skus.keys()].map((sku, i) => [sku, i]))
    const groups: Array<Group> = groupOrder.flatMap((key) => {
      const t = tallies.get(key)
      if (t === undefined) return []
      const rows = [...t.rows.entries()]
        .sort(
          ([a], [b]) =>
            (position.get(a) ?? Number.MAX_SAFE_INTEGER) - (position.get(b) ?? Number.MAX_SAFE_INTEGER) ||
            a.localeCompare(b)
        )
        .map(([sku, r]): Row => {
          const s = info.skus.get(sku)
          const variant = s === undefined ? undefined : variantOf(s)
          return { sku, product: s?.productName ?? sku, ...(variant === undefined ? {} : { variant }), ...r }
        })
      return [{ key, label: groupLabels[key], rows, orders: t.orders, units: t.units }]
    })
    const printedMs = input.printedAt === undefined ? yield* Clock.currentTimeMillis : Date.parse(input.printedAt)
    return {
      roundId: input.roundId,
      title: info.spec?.title ?? input.roundId,
      organiser: organiserOf(input.organiser, info.spec?.sellers),
      printed: TaipeiTime.formatTaipei(printedMs).slice(0, 16),
      by,
      groups,
      orders
    }
  }).pipe(Effect.withSpan("PickList.collect", { attributes: { roundId: raw.roundId } }))

/**
 * The pick list as an A4 PDF, a `Stream` of its bytes; the Effect fails with `PrintError` (an
 * unknown round, a bad input) before any byte is written.
 */
export const open = (input: Input): Effect.Effect<Stream.Stream<Uint8Array, PrintError>, PrintError, Storage.Storage> =>
  Effect.map(collect(input), (sheet) =>
    render({ title: `分貨單 ${sheet.title}`, fonts: input.fonts }, Stream.make([sheet]), {
      batch: (pen, sheets) => {
        for (const s of sheets) draw(pen, s)
      },
      end: () => {}
    })
  )

/** The pick list as an A4 PDF, a `Stream` of its bytes (see {@link open}). */
export const pdf = (input: Input): Stream.Stream<Uint8Array, PrintError, Storage.Storage> => Stream.unwrap(open(input))

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const MARGIN = 40
const ROW = 18
const GRAY = "#555555"

/** The columns: header, width, alignment, value. */
const columns: ReadonlyArray<{
  readonly header: string
  readonly width: number
  readonly align: "left" | "right"
  readonly value: (r: Row) => string
}> = [
  { header: "商品編號", width: 72, align: "left", value: (r) => r.sku },
  { header: "品名", width: 160, align: "left", value: (r) => r.product },
  { header: "規格", width: 83, align: "left", value: (r) => r.variant ?? "" },
  { header: "數量", width: 50, align: "right", value: (r) => String(r.qty) },
  { header: "已出貨", width: 50, align: "right", value: (r) => String(r.shipped) },
  { header: "待出貨", width: 50, align: "right", value: (r) => String(r.toShip) },
  { header: "訂單數", width: 50, align: "right", value: (r) => String(r.orders) }
]

const draw = (pen: Pen, sheet: Sheet): void => {
  const width = A4.width - 2 * MARGIN
  let page = 0
  let y = 0
  const newPage = () => {
    pen.doc.addPage({ size: "A4", margin: 0 })
    page++
    y = MARGIN
    pen.text(`第 ${page} 頁`, MARGIN, A4.height - MARGIN + 10, { size: 8, width, align: "right", color: GRAY })
  }
  const header = () => {
    let x = MARGIN
    for (const c of columns) {
      pen.text(c.header, x + 2, y + 4, { size: 9, width: c.width - 4, align: c.align, color: GRAY })
      x += c.width
    }
    y += ROW
    pen.line(MARGIN, y, MARGIN + width, y)
  }
  const room = (rows: number) => {
    if (y + rows * ROW > A4.height - MARGIN) {
      newPage()
      header()
    }
  }
  newPage()
  pen.text(`分貨單 — ${sheet.title}`, MARGIN, y, { size: 18, width })
  y += 26
  const meta = [
    sheet.organiser === "" ? undefined : `團主 ${sheet.organiser}`,
    `${sheet.by === "sku" ? "依商品" : "依取貨方式"}`,
    `${sheet.orders} 筆訂單`,
    `列印 ${sheet.printed}`
  ]
    .filter((m) => m !== undefined)
    .join("　")
  pen.text(meta, MARGIN, y, { size: 10, width, color: GRAY })
  y += 24
  if (sheet.groups.length === 0) {
    pen.text("沒有符合條件的訂單", MARGIN, y, { size: 12 })
    return
  }
  for (const g of sheet.groups) {
    room(3)
    if (sheet.by === "pickup" || sheet.groups.length > 1) {
      pen.text(`${g.label}　${g.orders} 筆訂單　${g.units} 件`, MARGIN, y + 2, { size: 13, width })
      y += ROW + 4
    }
    header()
    g.rows.forEach((r, i) => {
      room(1)
      if (i % 2 === 1) pen.doc.save().rect(MARGIN, y, width, ROW).fill("#f0f0f0").restore()
      let x = MARGIN
      for (const c of columns) {
        pen.text(c.value(r), x + 2, y + 4, { size: 10, width: c.width - 4, align: c.align })
        x += c.width
      }
      y += ROW
    })
    pen.line(MARGIN, y, MARGIN + width, y)
    y += 6
    const sum = (f: (r: Row) => number) => String(g.rows.reduce((n, r) => n + f(r), 0))
    let x = MARGIN
    const totals = ["合計", "", "", sum((r) => r.qty), sum((r) => r.shipped), sum((r) => r.toShip), String(g.orders)]
    columns.forEach((c, i) => {
      pen.text(totals[i]!, x + 2, y, { size: 10, width: c.width - 4, align: c.align })
      x += c.width
    })
    y += ROW + 14
  }
}
