/**
 * Slips: a round run through the real GroupBuy service on in-memory storage (Traditional and
 * Simplified Chinese names and items, a split shipment with a meet-up pickup code, a home
 * delivery, a paid order not shipped, an unpaid one), printed as A4 and thermal PDFs and read
 * back with poppler (pdftotext for the words, pdftoppm to render each page) and jsQR (every QR
 * code decoded from the rendered pages and checked against its order).
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { GroupBuy, RoundSpec, Shipment } from "@kaituan/core"
import { Effect, Result, Stream } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Print, Slips } from "../src/index.js"
import { run, setUp } from "./mangoRound.js"
import { decodeQrs, pdfFonts, pdfText, pdfTextIn, renderPages } from "./pdf.js"

const bytesOf = (input: Slips.Input) =>
  Effect.map(Stream.runCollect(Slips.pdf(input)), (chunks) => new Uint8Array(Buffer.concat([...chunks])))

const printedAt = "2024-06-12T20:05:00+08:00"

describe("Slips", () => {
  it("prints A4 slips, four a page: names, items of each shipment, amounts, and QR codes that decode to the order", async () => {
    const { bytes, o, chunks } = await run(
      Effect.gen(function* () {
        const o = yield* setUp
        const chunks = yield* Stream.runCollect(Slips.pdf({ roundId: "mango", printedAt, pageSize: 2 }))
        return { o, chunks, bytes: new Uint8Array(Buffer.concat([...chunks])) }
      })
    )
    // Written a page of orders at a time: several chunks, not one buffer at the end.
    expect(chunks.length).toBeGreaterThan(2)
    expect(Buffer.from(bytes.subarray(0, 5)).toString()).toBe("%PDF-")
    const pages = pdfText(bytes)
    expect(pages).toHaveLength(2)
    const all = pages.join("\n")
    for (const word of [
      "王小明",
      "陈小华",
      "林美美",
      "張大千",
      "芒果禮盒",
      "蛋黃酥",
      "简体字笔记本",
      "團主小美",
      "愛文芒果團"
    ])
      expect(all).toContain(word)
    expect(all).toContain("列印 2024/06/12 20:05")
    expect(all).not.toContain("🌸")

    // The slots in reading order: 王小明's pickup (MANGO×2 only), her remainder (EGG×1), 陈小华's
    // home delivery, 林美美 (paid, not shipped), 張大千 (unpaid).
    const slot = (i: number) => {
      const page = Math.floor(i / 4) + 1
      const q = i % 4
      return pdfTextIn(bytes, page, (q % 2) * 297.64, Math.floor(q / 2) * 420.94, 297.64, 420.94)
    }
    const first = slot(0)
    expect(first).toContain("王小明")
    expect(first).toMatch(/芒果禮盒\s+×2/)
    expect(first).not.toContain("蛋黃酥")
    expect(first).toContain("面交")
    expect(first).toContain("拆單 第 1/2 批")
    expect(first).toContain(`取貨碼 ${o.pickupCode}`)
    expect(first).toContain(`訂單 ${o.wang.orderId}`)
    expect(first).toContain("訂單金額 NT$1,660")
    expect(first).toContain("已付清")
    const second = slot(1)
    expect(second).toMatch(/蛋黃酥\s+×1/)
    expect(second).not.toContain("芒果禮盒")
    expect(second).toContain("拆單 第 2/2 批")
    expect(second).toContain("尚未出貨")
    const third = slot(2)
    expect(third).toContain("陈小华")
    expect(third).toMatch(/简体字笔记本\s+×3/)
    expect(third).toContain("宅配 · 黑貓 · 單號 T-9")
    const fourth = slot(3)
    expect(fourth).toContain("林美美")
    expect(fourth).toMatch(/蛋黃酥\s+×2/)
    const fifth = slot(4)
    expect(fifth).toContain("張大千")
    expect(fifth).toContain("未付 NT$680")

    // Every QR code decodes from the rendered pages: the pickup code for the meet-up, else the order number.
    const rendered = renderPages(bytes, 150, process.env.KEEP_PAGES)
    expect(rendered).toHaveLength(2)
    expect(rendered.flatMap((p) => decodeQrs(p, 2, 2))).toEqual([
      o.pickupCode,
      o.wang.orderId,
      o.chen.orderId,
      o.lin.orderId,
      o.zhang.orderId
    ])

    // The CJK fonts are embedded as subsets of the glyphs used: the file stays small.
    const fonts = pdfFonts(bytes)
    expect(fonts.length).toBeGreaterThanOrEqual(2)
    for (const f of fonts) expect(f).toMatchObject({ emb: true, sub: true })
    // Traditional forms from Noto Sans TC; 简体字 it lacks from Noto Sans SC.
    expect(fonts.some((f) => /^[A-Z]{6}\+NotoSansTC/.test(f.name))).toBe(true)
    expect(fonts.some((f) => /^[A-Z]{6}\+NotoSansSC/.test(f.name))).toBe(true)
    expect(bytes.length).toBeLessThan(150_000)
  })

  it("prints thermal slips, one a page as long as its content, each QR code decoding to its order", async () => {
    const { bytes, o } = await run(
      Effect.gen(function* () {
        const o = yield* setUp
        return { o, bytes: yield* bytesOf({ roundId: "mango", printedAt, format: "thermal" }) }
      })
    )
    const pages = pdfText(bytes)
    expect(pages).toHaveLength(5)
    expect(pages[0]).toContain("王小明")
    expect(pages[0]).toMatch(/芒果禮盒\s+×2/)
    expect(pages[0]).not.toContain("蛋黃酥")
    expect(pages[2]).toMatch(/简体字笔记本\s+×3/)
    expect(pages[4]).toMatch(/未付\s+NT\$680/)
    const rendered = renderPages(bytes, 200, process.env.KEEP_PAGES_THERMAL)
    // 80 mm wide at 200 dpi.
    for (const p of rendered) expect(Math.abs(p.width - 630)).toBeLessThanOrEqual(2)
    expect(rendered.map((p) => decodeQrs(p, 1, 1))).toEqual([
      [o.pickupCode],
      [o.wang.orderId],
      [o.chen.orderId],
      [o.lin.orderId],
      [o.zhang.orderId]
    ])
  })

  it("selects by status and by order ids; an order of another round or none at all is refused before printing", async () => {
    const { paid, picked, slips, unknown, noRound } = await run(
      Effect.gen(function* () {
        const o = yield* setUp
        const paid = yield* Stream.runCollect(Slips.collect({ roundId: "mango", status: ["paid"] }))
        const picked = yield* Stream.runCollect(
          Slips.collect({ roundId: "mango", orderIds: [o.zhang.orderId, o.chen.orderId] })
        )
        const slips = yield* bytesOf({ roundId: "mango", orderIds: [o.zhang.orderId], perPage: 2 })
        const unknown = yield* Effect.flip(Slips.open({ roundId: "mango", orderIds: ["o_nope"] }))
        const noRound = yield* Effect.flip(Slips.open({ roundId: "nope" }))
        return { paid, picked, slips, unknown, noRound }
      })
    )
    expect(paid.map((s) => s.buyer)).toEqual(["林美美🌸"])
    expect(picked.map((s) => s.buyer)).toEqual(["張大千", "陈小华"])
    expect(pdfText(slips).join("")).toContain("張大千")
    expect(unknown).toMatchObject({ _tag: "PrintError", reason: "unknown-order" })
    expect(unknown.message).toContain("o_nope")
    expect(noRound).toMatchObject({ _tag: "PrintError", reason: "unknown-round" })
  })

  it("refuses a bad input naming the field", async () => {
    const e = await run(Effect.flip(Slips.open({ roundId: "mango", format: "a5" as never })))
    expect(e).toMatchObject({ _tag: "PrintError", reason: "invalid-input" })
    expect(e.message).toContain("format")
  })
})

const fruits =
  "蘋果 香蕉 芭樂 鳳梨 西瓜 葡萄 荔枝 龍眼 芒果 木瓜 楊桃 蓮霧 柳丁 橘子 檸檬 草莓 櫻桃 水梨 桃子 李子 奇異果 火龍果 百香果 釋迦".split(
    " "
  )

describe("a long slip", () => {
  it("continues on the next A4 quarter (續 1/2, 續 2/2) and stays one long thermal page", async () => {
    const { a4, thermal, orderId } = await run(
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const spec = {
          id: "fruit",
          title: "水果團",
          products: fruits.map((name, i) => ({
            sku: `F${String(i).padStart(2, "0")}`,
            name: `${name}禮盒`,
            price: 100
          }))
        }
        yield* g.openRound({ spec: Result.getOrThrow(RoundSpec.decode(spec)), at: "2024-06-01T09:00:00+08:00" })
        const [outcome] = yield* g.submitComments({
          roundId: "fruit",
          comments: [
            {
              channel: "line",
              commentId: "m1",
              author: { id: "U1", name: "王小明" },
              text: fruits.map((f) => `${f}禮盒+1`).join(" "),
              at: "2024-06-01T10:00:00+08:00"
            }
          ]
        })
        return {
          orderId: outcome!.orderId!,
          a4: yield* bytesOf({ roundId: "fruit", printedAt }),
          thermal: yield* bytesOf({ roundId: "fruit", printedAt, format: "thermal" })
        }
      })
    )
    const first = pdfTextIn(a4, 1, 0, 0, 297.64, 420.94)
    const second = pdfTextIn(a4, 1, 297.64, 0, 297.64, 420.94)
    expect(first).toContain("續 1/2")
    expect(second).toContain("續 2/2")
    const items = (t: string) => fruits.filter((f) => t.includes(`${f}禮盒`))
    // Every item once, split between the two quarters.
    expect([...items(first), ...items(second)].sort()).toEqual([...fruits].sort())
    expect(items(first).length).toBeGreaterThan(0)
    expect(items(second).length).toBeGreaterThan(0)
    expect(renderPages(a4, 150).flatMap((p) => decodeQrs(p, 2, 2))).toEqual([orderId, orderId])
    const pages = pdfText(thermal)
    expect(pages).toHaveLength(1)
    expect(items(pages[0]!)).toHaveLength(fruits.length)
  })
})

describe("slipsOf", () => {
  it("prints each shipment's own lines and the rest once: per SKU the slips add up to the order", () => {
    const skus = ["A", "B", "C", "D"]
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...skus), { minLength: 1, maxLength: 4 }).chain((owned) =>
          fc.record({
            lines: fc.tuple(
              ...owned.map((sku) => fc.record({ sku: fc.constant(sku), qty: fc.integer({ min: 1, max: 9 }) }))
            ),
            // Each shipment takes part of what is still unshipped; a method; sometimes returned.
            cuts: fc.array(
              fc.record({
                share: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: owned.length, maxLength: owned.length }),
                method: fc.constantFrom("home" as const, "cvs" as const, "pickup" as const),
                returned: fc.boolean()
              }),
              { maxLength: 3 }
            )
          })
        ),
        ({ lines, cuts }) => {
          const left = new Map(lines.map((l) => [l.sku, l.qty]))
          const shipments = cuts.flatMap((c, i) => {
            const taken = lines.flatMap((l, k) => {
              const qty = Math.min(left.get(l.sku)!, c.share[k]!)
              return qty > 0 ? [{ sku: l.sku, qty }] : []
            })
            if (taken.length === 0) return []
            if (!c.returned) for (const t of taken) left.set(t.sku, left.get(t.sku)! - t.qty)
            const state: Shipment.State = {
              ...Shipment.initialState,
              status: c.returned ? "returned" : "shipped",
              shipmentId: `s${i}`,
              orderId: "o1",
              method: c.method,
              lines: taken,
              pickupCode: c.method === "pickup" ? `CODE${i}` : undefined
            }
            return [{ shipmentId: `s${i}`, state }]
          })
          const total = lines.reduce((n, l) => n + l.qty * 100, 0)
          const slips = Slips.slipsOf(
            {
              order: {
                roundId: "r",
                orderId: "o1",
                buyerId: "line:U1",
                buyer: { id: "U1", name: "王小明" },
                status: "partly-shipped",
                lines: lines.map((l) => ({ ...l, unitPrice: 100 })),
                total,
                paid: total,
                seq: 1,
                placedAt: printedAt,
                updatedAt: printedAt
              },
              applied: [],
              payments: new Map(),
              shipments
            },
            { spec: undefined, skus: new Map(), labels: new Map() }
          )
          const live = shipments.filter((s) => s.state.status !== "returned")
          // A slip per live shipment, with exactly its lines and its QR code; then the rest.
          for (const [i, s] of live.entries()) {
            expect(slips[i]!.shipmentId).toBe(s.shipmentId)
            expect(slips[i]!.lines.map((l) => [l.sku, l.qty])).toEqual(s.state.lines.map((l) => [l.sku, l.qty]))
            expect(slips[i]!.qr.value).toBe(s.state.pickupCode ?? "o1")
          }
          const sum = new Map<string, number>()
          for (const s of slips) for (const l of s.lines) sum.set(l.sku, (sum.get(l.sku) ?? 0) + l.qty)
          expect(Object.fromEntries(sum)).toEqual(Object.fromEntries(lines.map((l) => [l.sku, l.qty])))
          expect(slips.length).toBe(live.length + ([...left.values()].some((q) => q > 0) ? 1 : 0))
          if (slips.length > 1)
            expect(slips.map((s) => s.part)).toEqual(slips.map((_, i) => ({ index: i + 1, of: slips.length })))
          else expect(slips[0]?.part).toBeUndefined()
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("Print", () => {
  it("writes a document to a Node Writable, waiting when it asks to, and ends it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-print-"))
    try {
      const file = path.join(dir, "slips.pdf")
      // A tiny high-water mark: the file stream asks to wait after every chunk.
      const out = fs.createWriteStream(file, { highWaterMark: 16 })
      await run(Effect.andThen(setUp, Print.writeTo(Slips.pdf({ roundId: "mango", printedAt }), out)))
      expect(out.writableFinished).toBe(true)
      const text = pdfText(fs.readFileSync(file)).join("")
      expect(text).toContain("王小明")
      expect(text).toContain("張大千")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("names the organiser from the round's sellers, leaving out platform user ids", () => {
    expect(Print.organiserOf(undefined, ["團主小美", `U${"0a".repeat(16)}`, "123456789", "小幫手阿花"])).toBe(
      "團主小美、小幫手阿花"
    )
    expect(Print.organiserOf("小美的店", ["團主小美"])).toBe("小美的店")
    expect(Print.organiserOf(undefined, undefined)).toBe("")
  })
})
