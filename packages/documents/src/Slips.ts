/**
 * Packing and shipping slips (出貨單), a batch in one PDF: A4 with 4 (or 2) slips a page and
 * dashed cut lines, or 80 mm thermal paper with one slip a page as long as its content.
 *
 * A slip shows the round and its organiser (團主), the buyer's display name, the delivery method
 * (with carrier and tracking number when shipped), the items and quantities of *this* shipment,
 * the order's amount, what is paid and what is still due, the order number, the printing time
 * (Taipei) and a QR code: the pickup code (取貨碼) for a meet-up pickup, the order number
 * otherwise. An order gives a slip per shipment (拆單出貨: each prints only its own lines,
 * "第 1/2 批") and one for what is not shipped yet (its order lines, or all of them when nothing
 * is); a returned shipment is not printed. A slip with more lines than an A4 quarter holds
 * continues on the next (`續 2/2`).
 *
 * Orders are read from the `Storage` port a page at a time and the PDF is written a page of
 * orders at a time ({@link pdf} is a `Stream` of bytes): memory stays flat however many slips.
 *
 * @example
 * ```ts
 * import { Slips } from "@kaituan/documents"
 * import { Storage } from "@kaituan/core"
 * import { Effect, Stream } from "effect"
 * import { createWriteStream } from "node:fs"
 *
 * const out = createWriteStream("slips.pdf")
 * const program = Slips.pdf({ roundId: "socks-2024-05", status: ["paid"], format: "a4" }).pipe(
 *   Stream.runForEach((chunk) => Effect.sync(() => out.write(chunk)))
 * )
 * ```
 *
 * @since 0.2.0
 */
import { type ReadModel, type Shipment, Storage, TaipeiTime } from "@kaituan/core"
import { Clock, Effect, Schema, Stream } from "effect"
import { A4, type DocumentSpec, mm, type Pen, render } from "./internal/pdfkit.js"
import { type Enriched, enrich, pages, type RoundInfo, roundInfo } from "./internal/rounds.js"
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

// ---------------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------------

/** The paper: A4 sheets (several slips a page, cut lines) or an 80 mm thermal roll. */
export const Format = Schema.Literals(["a4", "thermal"])
/** The paper. */
export type Format = typeof Format.Type

/** What to print (decoded: a bad field fails with `PrintError({ reason: "invalid-input" })`). */
export const Input = Schema.Struct({
  ...CommonInput,
  /** Only these orders (of the round), in this order; `status` still filters them when given. */
  orderIds: Schema.optional(Schema.Array(Schema.String.check(Schema.isMinLength(1)))),
  /** Default `a4`. */
  format: Schema.optional(Format),
  /** Slips per A4 page: 4 (default) or 2. */
  perPage: Schema.optional(Schema.Literals([2, 4]))
})
/** What to print. */
export type Input = typeof Input.Type & { readonly fonts?: Fonts | undefined }

// ---------------------------------------------------------------------------------------------
// The slips
// ---------------------------------------------------------------------------------------------

/** An item on a slip. */
export interface SlipLine {
  readonly sku: string
  /** The product and variant (`韓國毛襪 紅`), or the SKU when the catalogue does not know it. */
  readonly name: string
  readonly qty: number
}

/** One slip: a shipment of an order, or the part of an order not shipped yet. */
export interface Slip {
  readonly orderId: string
  /** The shipment printed; none for the part of the order not shipped yet. */
  readonly shipmentId?: string | undefined
  readonly buyer: string
  readonly status: ReadModel.OrderStatus
  /** How the shipment travels; none before it is shipped. */
  readonly method?: Shipment.Method | undefined
  readonly carrier?: string | undefined
  readonly trackingNo?: string | undefined
  /** 拆單: this slip's place among the order's slips, when there are several. */
  readonly part?: { readonly index: number; readonly of: number } | undefined
  readonly lines: ReadonlyArray<SlipLine>
  /** The order's total, what it received and what is still due (NT$). */
  readonly total: number
  readonly paid: number
  readonly due: number
  /** What the QR code holds: the pickup code of a meet-up pickup, else the order number. */
  readonly qr: { readonly kind: "pickup-code" | "order-number"; readonly value: string }
}

const nameOf = (info: RoundInfo, sku: string): string => info.labels.get(sku) ?? sku

/** The slips of one order (see the module's description). */
export const slipsOf = (e: Enriched, info: RoundInfo): Array<Slip> => {
  const o = e.order
  const shipments = e.shipments.filter((s) => s.state.status !== "returned" && s.state.status !== "none")
  const shipped = new Map<string, number>()
  for (const s of shipments) for (const l of s.state.lines) shipped.set(l.sku, (shipped.get(l.sku) ?? 0) + l.qty)
  const settled = o.status === "cancelled" || o.status === "refunded"
  const remainder: Array<SlipLine> = []
  if (!settled)
    for (const l of o.lines) {
      const out = Math.min(l.qty, shipped.get(l.sku) ?? 0)
      shipped.set(l.sku, (shipped.get(l.sku) ?? 0) - out)
      if (l.qty - out > 0) remainder.push({ sku: l.sku, name: nameOf(info, l.sku), qty: l.qty - out })
    }
  const of = shipments.length + (remainder.length > 0 ? 1 : 0)
  const base = {
    orderId: o.orderId,
    buyer: o.buyer.name ?? o.buyer.id,
    status: o.status,
    total: o.total,
    paid: o.paid,
    due: settled ? 0 : Math.max(0, o.total - o.paid)
  }
  const part = (index: number) => (of > 1 ? { part: { index, of } } : {})
  const slips: Array<Slip> = shipments.map((s, i) => ({
    ...base,
    shipmentId: s.shipmentId,
    method: s.state.method,
    carrier: s.carrier,
    trackingNo: s.trackingNo,
    ...part(i + 1),
    lines: s.state.lines.map((l) => ({ sku: l.sku, name: nameOf(info, l.sku), qty: l.qty })),
    qr:
      s.state.pickupCode !== undefined
        ? { kind: "pickup-code" as const, value: s.state.pickupCode }
        : { kind: "order-number" as const, value: o.orderId }
  }))
  if (remainder.length > 0)
    slips.push({ ...base, ...part(of), lines: remainder, qr: { kind: "order-number", value: o.orderId } })
  return slips
}

const decodeInput = Schema.decodeUnknownEffect(Input)

/** What every slip of a batch shares. */
interface Context {
  readonly title: string
  readonly organiser: string
  readonly printed: string
}

/**
 * The slips, a page of orders at a time, and what every slip shows, after checking the round and
 * the order ids exist (so a caller can answer 404 before writing a byte).
 */
const prepare = (raw: Input) =>
  Effect.gen(function* () {
    const input = yield* decodeInput(raw).pipe(
      Effect.mapError((e) => new PrintError({ reason: "invalid-input", message: e.message }))
    )
    const storage = yield* Storage.Storage
    const info = yield* roundInfo(storage, input.roundId).pipe(Effect.mapError(storageError))
    if (info === undefined) return yield* Effect.fail(unknownRound(input.roundId))
    const pageSize = input.pageSize ?? PAGE_SIZE
    const statuses = new Set(input.status ?? (input.orderIds === undefined ? defaultStatuses : undefined) ?? [])
    let orders: Stream.Stream<ReadonlyArray<Enriched>, Storage.StorageError>
    if (input.orderIds !== undefined) {
      const ids = [...new Set(input.orderIds)]
      const views = yield* Effect.forEach(ids, (id) => storage.order(id), { concurrency: 8 }).pipe(
        Effect.mapError(storageError)
      )
      const missing = ids.filter((_, i) => views[i]?.roundId !== input.roundId)
      if (missing.length > 0)
        return yield* Effect.fail(
          new PrintError({
            reason: "unknown-order",
            message: `not orders of round ${JSON.stringify(input.roundId)}: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`
          })
        )
      const chosen = views.flatMap((v) =>
        v !== undefined && (statuses.size === 0 || statuses.has(v.status)) ? [v] : []
      )
      orders = Stream.fromIterable(chosen).pipe(
        Stream.grouped(pageSize),
        Stream.mapEffect((page) => Effect.forEach(page, (o) => enrich(storage, o), { concurrency: 8 }))
      )
    } else orders = pages(storage, input.roundId, pageSize, [...statuses])
    const printedMs = input.printedAt === undefined ? yield* Clock.currentTimeMillis : Date.parse(input.printedAt)
    const context: Context = {
      title: info.spec?.title ?? input.roundId,
      organiser: organiserOf(input.organiser, info.spec?.sellers),
      printed: TaipeiTime.formatTaipei(printedMs).slice(0, 16)
    }
    return {
      input,
      context,
      slips: orders.pipe(
        Stream.mapError(storageError),
        Stream.map((page) => page.flatMap((e) => slipsOf(e, info)))
      )
    }
  })

/** The slips of the selection, in order (a page of orders at a time). */
export const collect = (input: Input): Stream.Stream<Slip, PrintError, Storage.Storage> =>
  Stream.unwrap(Effect.map(prepare(input), (p) => Stream.flattenIterable(p.slips)))

/**
 * The slips as one PDF, a `Stream` of its bytes. The round and the order ids are checked first;
 * the Effect fails with `PrintError` before any byte is written (an HTTP handler answers 404).
 */
export const open = (input: Input): Effect.Effect<Stream.Stream<Uint8Array, PrintError>, PrintError, Storage.Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const { input: decoded, context, slips } = yield* prepare(input)
    const spec: DocumentSpec = { title: `出貨單 ${context.title}`, fonts: input.fonts }
    const body =
      decoded.format === "thermal"
        ? render(spec, slips, thermal(context))
        : render(spec, slips, sheets(context, decoded.perPage ?? 4))
    return Stream.provideService(body, Storage.Storage, storage)
  }).pipe(Effect.withSpan("Slips.open", { attributes: { roundId: input.roundId, format: input.format ?? "a4" } }))

/** The slips as one PDF, a `Stream` of its bytes (see {@link open}). */
export const pdf = (input: Input): Stream.Stream<Uint8Array, PrintError, Storage.Storage> => Stream.unwrap(open(input))

// ---------------------------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------------------------

const money = (n: number): string => `NT$${n.toLocaleString("en-US")}`
const GRAY = "#555555"

/** The delivery line: method, carrier, tracking number; "尚未出貨" before it ships. */
const delivery = (s: Slip): string => {
  if (s.method === undefined) return "尚未出貨"
  return [methodLabels[s.method], s.carrier, s.trackingNo === undefined ? undefined : `單號 ${s.trackingNo}`]
    .filter((x) => x !== undefined && x !== "")
    .join(" · ")
}

const qrCaption = (s: Slip): string => (s.qr.kind === "pickup-code" ? `取貨碼 ${s.qr.value}` : "訂單編號")

const partLabel = (s: Slip, cont: { readonly index: number; readonly of: number } | undefined): string =>
  [
    s.part === undefined ? undefined : `拆單 第 ${s.part.index}/${s.part.of} 批`,
    cont === undefined ? undefined : `續 ${cont.index}/${cont.of}`
  ]
    .filter((x) => x !== undefined)
    .join(" · ")

const LINE_SIZE = 10
const LINE_GAP = 3

/** The rows each item takes (its name wraps to at most 2 lines). */
const itemRows = (pen: Pen, line: SlipLine, width: number): Array<string> => pen.wrap(line.name, LINE_SIZE, width, 2)

/** The items' block: a header row, each item (name, ×qty), a count. Returns the height used. */
const drawItems = (pen: Pen, lines: ReadonlyArray<SlipLine>, x: number, y: number, width: number, dry: boolean) => {
  const nameWidth = width - 44
  let cy = y
  if (!dry) {
    pen.text("品名", x, cy, { size: 8, color: GRAY })
    pen.text("數量", x + width - 40, cy, { size: 8, width: 40, align: "right", color: GRAY })
  }
  cy += 13
  for (const l of lines) {
    const rows = itemRows(pen, l, nameWidth)
    if (!dry) {
      rows.forEach((r, i) => {
        pen.text(r, x, cy + i * (LINE_SIZE + 2), { size: LINE_SIZE })
      })
      pen.text(`×${l.qty}`, x + width - 40, cy, { size: LINE_SIZE + 1, width: 40, align: "right" })
    }
    cy += rows.length * (LINE_SIZE + 2) + LINE_GAP
  }
  return cy - y
}

const amounts = (s: Slip): string =>
  `訂單金額 ${money(s.total)}　已付 ${money(s.paid)}　${s.due > 0 ? `未付 ${money(s.due)}` : "已付清"}`

/** A4: `perPage` slips a page (2 × 2, or 1 × 2), dashed cut lines between them. */
const sheets = (context: Context, perPage: 2 | 4) => {
  const cols = perPage === 4 ? 2 : 1
  const rows = 2
  const w = A4.width / cols
  const h = A4.height / rows
  const pad = 18
  const qrSize = 86
  const inner = w - 2 * pad
  const headerHeight = 112
  const footerHeight = 26
  let slot = 0

  const nextBox = (pen: Pen) => {
    if (slot % perPage === 0) {
      pen.doc.addPage({ size: "A4", margin: 0 })
      for (let c = 1; c < cols; c++) pen.line(c * w, 0, c * w, A4.height, { dash: 4, color: "#999999" })
      for (let r = 1; r < rows; r++) pen.line(0, r * h, A4.width, r * h, { dash: 4, color: "#999999" })
    }
    const i = slot % perPage
    slot++
    return { x: (i % cols) * w + pad, y: Math.floor(i / cols) * h + pad }
  }

  /** The slip's lines cut into pieces that fit a box. */
  const chunks = (pen: Pen, lines: ReadonlyArray<SlipLine>): Array<ReadonlyArray<SlipLine>> => {
    const room = h - 2 * pad - headerHeight - footerHeight - 13
    const out: Array<Array<SlipLine>> = [[]]
    let used = 0
    for (const l of lines) {
      const need = drawItems(pen, [l], 0, 0, inner, true) - 13
      if (used + need > room && out[out.length - 1]!.length > 0) {
        out.push([])
        used = 0
      }
      out[out.length - 1]!.push(l)
      used += need
    }
    return out
  }

  const drawOne = (
    pen: Pen,
    s: Slip,
    lines: ReadonlyArray<SlipLine>,
    cont: { index: number; of: number } | undefined
  ) => {
    const { x, y } = nextBox(pen)
    const textWidth = inner - qrSize - 8
    pen.text(context.title, x, y, { size: 9, width: textWidth, color: GRAY })
    pen.text("出貨單", x, y + 13, { size: 9, width: textWidth, color: GRAY })
    pen.text(s.buyer, x, y + 28, { size: 16, width: textWidth })
    pen.text(`訂單 ${s.orderId}`, x, y + 50, { size: 9, width: textWidth })
    pen.text(`寄送 ${delivery(s)}`, x, y + 63, { size: 9, width: textWidth })
    if (context.organiser !== "") pen.text(`團主 ${context.organiser}`, x, y + 76, { size: 9, width: textWidth })
    const part = partLabel(s, cont)
    pen.text(`列印 ${context.printed}${part === "" ? "" : `　${part}`}`, x, y + 89, {
      size: 8,
      width: textWidth,
      color: GRAY
    })
    pen.qr(s.qr.value, x + inner - qrSize, y - 6, qrSize)
    pen.text(qrCaption(s), x + inner - qrSize, y + qrSize - 8, { size: 7, width: qrSize, align: "center" })
    pen.line(x, y + headerHeight - 8, x + inner, y + headerHeight - 8)
    drawItems(pen, lines, x, y + headerHeight - 2, inner, false)
    const fy = y + h - 2 * pad - footerHeight + 6
    pen.line(x, fy - 4, x + inner, fy - 4)
    pen.text(amounts(s), x, fy, { size: 9, width: inner })
  }

  return {
    batch: (pen: Pen, slips: ReadonlyArray<Slip>) => {
      for (const s of slips) {
        const parts = chunks(pen, s.lines)
        for (const [i, lines] of parts.entries())
          drawOne(pen, s, lines, parts.length > 1 ? { index: i + 1, of: parts.length } : undefined)
      }
    },
    end: (pen: Pen) => {
      if (slot === 0) {
        pen.doc.addPage({ size: "A4", margin: 0 })
        pen.text("沒有符合條件的訂單", 48, 48, { size: 14 })
      }
    }
  }
}

/** Items on one thermal page (a PDF page is at most 200 inches, 14,400 pt, long). */
const THERMAL_MAX_LINES = 300

/** 80 mm thermal: one slip a page, the page as long as the slip. */
const thermal = (context: Context) => {
  const width = mm(80)
  const pad = mm(4)
  const inner = width - 2 * pad
  const qrSize = mm(40)
  let count = 0

  /** Draws (or measures, when `dry`) a slip with its top at `y`; returns the height used. */
  const layout = (
    pen: Pen,
    s: Slip,
    cont: { readonly index: number; readonly of: number } | undefined,
    dry: boolean
  ): number => {
    let y = pad
    const line = (text: string, size: number, options: { color?: string; align?: "center" | "left" } = {}) => {
      for (const row of pen.wrap(text, size, inner, 3)) {
        if (!dry) pen.text(row, pad, y, { size, width: inner, align: options.align ?? "left", color: options.color })
        y += size + 4
      }
    }
    line(context.title, 10, { align: "center" })
    line("出貨單", 13, { align: "center" })
    y += 2
    line(s.buyer, 15)
    line(`訂單 ${s.orderId}`, 9)
    line(`寄送 ${delivery(s)}`, 9)
    if (context.organiser !== "") line(`團主 ${context.organiser}`, 9)
    const part = partLabel(s, cont)
    line(`列印 ${context.printed}${part === "" ? "" : `　${part}`}`, 8, { color: GRAY })
    if (!dry) pen.line(pad, y + 1, pad + inner, y + 1)
    y += 5
    y += drawItems(pen, s.lines, pad, y, inner, dry) + 2
    if (!dry) pen.line(pad, y + 1, pad + inner, y + 1)
    y += 5
    for (const [label, value] of [
      ["訂單金額", money(s.total)],
      ["已付", money(s.paid)],
      ["未付", s.due > 0 ? money(s.due) : "已付清"]
    ] as const) {
      if (!dry) {
        pen.text(label, pad, y, { size: 10 })
        pen.text(value, pad, y, { size: 10, width: inner, align: "right" })
      }
      y += 14
    }
    y += 4
    if (!dry) pen.qr(s.qr.value, pad + (inner - qrSize) / 2, y, qrSize)
    y += qrSize
    if (!dry) pen.text(qrCaption(s), pad, y - 4, { size: 9, width: inner, align: "center" })
    y += 12
    return y + pad
  }

  return {
    batch: (pen: Pen, slips: ReadonlyArray<Slip>) => {
      for (const s of slips) {
        // A PDF page is at most 200 inches long: a slip of more items continues on the next page.
        const parts: Array<ReadonlyArray<SlipLine>> = []
        for (let i = 0; i < s.lines.length; i += THERMAL_MAX_LINES) parts.push(s.lines.slice(i, i + THERMAL_MAX_LINES))
        for (const [i, lines] of parts.entries()) {
          const piece = { ...s, lines }
          const cont = parts.length > 1 ? { index: i + 1, of: parts.length } : undefined
          const height = layout(pen, piece, cont, true)
          pen.doc.addPage({ size: [width, height], margin: 0 })
          layout(pen, piece, cont, false)
        }
        count++
      }
    },
    end: (pen: Pen) => {
      if (count === 0) {
        pen.doc.addPage({ size: [width, mm(30)], margin: 0 })
        pen.text("沒有符合條件的訂單", pad, pad, { size: 10 })
      }
    }
  }
}
