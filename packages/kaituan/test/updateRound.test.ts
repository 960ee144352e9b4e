/**
 * `updateRound`, `reopenRound` and `roundHistory` (issue 16), in memory, on a SQLite file and on
 * PostgreSQL: the
 * change applied and shown in the rounds list, typed refusals with the round's reason, a retry
 * under a `requestId` that changes nothing, and orders already placed that never change.
 */
import { describe, expect, it } from "@effect/vitest"
import { createKaituan, KaituanError, type KaituanOptions } from "kaituan"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { comment, roundFile, uniqueRoundId } from "./support.js"

const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const rejection = async (f: () => Promise<unknown>): Promise<KaituanError> => {
  try {
    await f()
  } catch (e) {
    expect(e).toBeInstanceOf(KaituanError)
    return e as KaituanError
  }
  throw new Error("expected a rejection")
}

const scenario = async (options: Omit<KaituanOptions, "clock">) => {
  let now = new Date("2026-05-10T12:00:00Z")
  const k = await createKaituan({ ...options, clock: () => now, background: false })
  const id = uniqueRoundId("edit")
  try {
    await k.openRound({ ...roundFile(id), cutoff: "2026-05-12T22:00:00+08:00" })
    now = new Date("2026-05-10T13:00:00Z")
    await k.submitComment(id, comment(id, 1, "U1", "王小明", "+2"))

    // Bad input names the field; a misspelt key is refused, not ignored.
    expect(await rejection(() => k.updateRound(id, { restock: [{ sku: "CUP", stok: 5 }] } as never))).toMatchObject({
      code: "InvalidInput"
    })
    expect(await rejection(() => k.updateRound(id, { titel: "x" } as never))).toMatchObject({ code: "InvalidInput" })
    expect(await rejection(() => k.updateRound(id, {}))).toMatchObject({ code: "InvalidInput", field: "change" })
    expect(await rejection(() => k.updateRound(`${id}-none`, { title: "x" }))).toMatchObject({ code: "NotFound" })

    // Refusals carry the round's own reason.
    expect(await rejection(() => k.updateRound(id, { cutoff: "2026-05-01T00:00:00Z" }))).toMatchObject({
      code: "Rejected",
      reason: "cutoff-passed"
    })
    expect(await rejection(() => k.updateRound(id, { restock: [{ sku: "CUP", stock: 1 }] }))).toMatchObject({
      code: "Rejected",
      reason: "below-sold"
    })

    // Restock with a requestId: a retry adds nothing.
    const change = { restock: [{ sku: "CUP", add: 5 }], prices: [{ sku: "CUP", price: 400 }], requestId: "r-1" }
    expect(await k.updateRound(id, change)).toMatchObject({ id, status: "open" })
    await k.updateRound(id, change)
    const report = await k.report(id)
    expect(report.stock.find((s) => s.sku === "CUP")).toMatchObject({ left: 13, sold: 2 })

    // The new price is for new orders; 王小明's order keeps NT$450 a cup.
    await k.submitComment(id, comment(id, 2, "U2", "Amy", "+1"))
    const totals = Object.fromEntries((await k.orders(id)).orders.map((o) => [o.buyer.name, o.total]))
    expect(totals).toEqual({ 王小明: 900, Amy: 400 })

    // Pause: the rounds list says so and a comment is not ordered, with the reason.
    expect(await k.updateRound(id, { paused: true, title: "保溫杯 (暫停)" })).toMatchObject({
      status: "paused",
      title: "保溫杯 (暫停)"
    })
    expect((await k.listRounds()).find((r) => r.id === id)).toMatchObject({ status: "paused", title: "保溫杯 (暫停)" })
    expect(await k.submitComment(id, comment(id, 3, "U3", "Ben", "+1"))).toMatchObject({
      status: "not-ordered",
      reason: "paused"
    })
    await k.updateRound(id, { paused: false, cutoff: "2026-05-11T22:00:00+08:00" })
    expect((await k.listRounds()).find((r) => r.id === id)).toMatchObject({
      status: "open",
      cutoff: "2026-05-11T22:00:00+08:00"
    })

    // Reopen: refused while open; after the close, the confirmed orders stay as they are.
    expect(await rejection(() => k.reopenRound(id))).toMatchObject({ code: "Rejected", reason: "not-closed" })
    await k.closeRound(id)
    const confirmed = (await k.orders(id)).orders
    expect(confirmed.map((o) => o.status)).toEqual(["awaiting-payment", "awaiting-payment"])
    now = new Date("2026-05-12T00:00:00Z")
    expect(await rejection(() => k.reopenRound(id))).toMatchObject({ code: "Rejected", reason: "cutoff-passed" })
    expect(await k.reopenRound(id, { cutoff: "2026-05-20T22:00:00+08:00" })).toMatchObject({
      status: "open",
      cutoff: "2026-05-20T22:00:00+08:00"
    })
    const again = await k.submitComment(id, { ...comment(id, 4, "U1", "王小明", "+1"), at: now.toISOString() })
    expect(again).toMatchObject({ status: "ordered" })
    expect(confirmed.map((o) => o.orderId)).not.toContain(again.orderId)
    for (const o of confirmed) expect(await k.order(o.orderId)).toEqual(o)

    const history = await k.roundHistory(id)
    expect(history.map((h) => h.event._tag)).toEqual([
      "RoundCreated",
      "RoundOpened",
      "PriceChanged",
      "Restocked",
      "RoundTitleChanged",
      "RoundPaused",
      "RoundCutoffChanged",
      "RoundResumed",
      "RoundClosed",
      "RoundReopened",
      "RoundCutoffChanged"
    ])
  } finally {
    await k.close()
  }
}

describe("updateRound, reopenRound, roundHistory", () => {
  it("in memory", async () => {
    await scenario({})
  })

  it("on a SQLite file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-edit-"))
    try {
      await scenario({ database: path.join(dir, "k.db") })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("on PostgreSQL", async () => {
    await scenario({ database: pgUrl })
  })
})
