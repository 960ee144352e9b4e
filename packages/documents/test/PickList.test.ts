/**
 * The pick list (分貨單) of the shared round, as data and as an A4 PDF read back with pdftotext:
 * per-SKU totals (ordered, shipped, to ship, orders), and per delivery method.
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { PickList } from "../src/index.js"
import { run, setUp } from "./mangoRound.js"
import { pdfFonts, pdfText } from "./pdf.js"

const printedAt = "2024-06-12T20:05:00+08:00"

const bytesOf = (input: PickList.Input) =>
  Effect.map(Stream.runCollect(PickList.pdf(input)), (chunks) => new Uint8Array(Buffer.concat([...chunks])))

describe("PickList", () => {
  it("sums each SKU over the round's orders: ordered, shipped, to ship and how many orders", async () => {
    const sheet = await run(Effect.andThen(setUp, PickList.collect({ roundId: "mango", printedAt })))
    expect(sheet).toMatchObject({ title: "愛文芒果團", organiser: "團主小美", printed: "2024/06/12 20:05", orders: 4 })
    expect(sheet.groups.map((g) => g.key)).toEqual(["all"])
    expect(sheet.groups[0]!.rows).toEqual([
      { sku: "MANGO", product: "芒果禮盒", qty: 3, shipped: 2, toShip: 1, orders: 2 },
      { sku: "EGG", product: "蛋黃酥", qty: 3, shipped: 0, toShip: 3, orders: 2 },
      { sku: "NOTE", product: "简体字笔记本", qty: 3, shipped: 3, toShip: 0, orders: 1 }
    ])
    const paid = await run(Effect.andThen(setUp, PickList.collect({ roundId: "mango", status: ["awaiting-payment"] })))
    expect(paid.groups[0]!.rows).toEqual([
      { sku: "MANGO", product: "芒果禮盒", qty: 1, shipped: 0, toShip: 1, orders: 1 }
    ])
  })

  it("groups by how the goods leave: meet-up pickup, home delivery, and what is not shipped yet", async () => {
    const sheet = await run(Effect.andThen(setUp, PickList.collect({ roundId: "mango", by: "pickup" })))
    expect(
      sheet.groups.map((g) => [g.label, g.orders, g.units, g.rows.map((r) => `${r.sku}×${r.qty}/${r.orders}`)])
    ).toEqual([
      ["面交", 1, 2, ["MANGO×2/1"]],
      ["宅配", 1, 3, ["NOTE×3/1"]],
      ["尚未出貨", 3, 4, ["MANGO×1/1", "EGG×3/2"]]
    ])
  })

  it("prints the list on A4 with the Chinese names, the totals and the groups", async () => {
    const [bySku, byPickup] = await run(
      Effect.gen(function* () {
        yield* setUp
        return [
          yield* bytesOf({ roundId: "mango", printedAt }),
          yield* bytesOf({ roundId: "mango", printedAt, by: "pickup" })
        ] as const
      })
    )
    const text = pdfText(bySku)
    expect(text).toHaveLength(1)
    expect(text[0]).toContain("分貨單 — 愛文芒果團")
    expect(text[0]).toContain("團主 團主小美")
    expect(text[0]).toMatch(/MANGO\s+芒果禮盒\s+3\s+2\s+1\s+2/)
    expect(text[0]).toMatch(/NOTE\s+简体字笔记本\s+3\s+3\s+0\s+1/)
    expect(text[0]).toMatch(/合計\s+9\s+5\s+4\s+4/)
    const grouped = pdfText(byPickup).join("")
    expect(grouped).toMatch(/面交\s+1 筆訂單\s+2\s?件/)
    expect(grouped).toMatch(/尚未出貨\s+3 筆訂單\s+4\s?件/)
    for (const f of pdfFonts(bySku)) expect(f).toMatchObject({ emb: true, sub: true })
  })

  it("fails on an unknown round before writing a byte", async () => {
    const e = await run(Effect.flip(PickList.open({ roundId: "nope" })))
    expect(e).toMatchObject({ _tag: "PrintError", reason: "unknown-round" })
  })
})
