/**
 * Slips: a round run through the real GroupBuy service on in-memory storage (Traditional and
 * Simplified Chinese names and items, a split shipment with a meet-up pickup code, a home
 * delivery, a paid order not shipped, an unpaid one), printed as A4 and thermal PDFs and read
 * back with poppler (pdftotext for the words, pdftoppm to render each page) and jsQR (every QR
 * code decoded from the rendered pages and checked against its order).
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Slips } from "../src/index.js"
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
