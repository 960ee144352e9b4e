import { describe, expect, it } from "@effect/vitest"
import { createKaituan, type Kaituan, type KaituanOptions } from "kaituan"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { comment, roundFile, statementCsv, uniqueRoundId } from "./support.js"

const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** The whole lifecycle of one round, on whatever database `options` names. */
const lifecycle = async (options: Omit<KaituanOptions, "clock">) => {
  let now = new Date("2026-05-10T11:00:00Z")
  const k = await createKaituan({ ...options, clock: () => now })
  try {
    const id = uniqueRoundId("cups")
    const round = await k.openRound(roundFile(id))
    expect(round).toMatchObject({ id, title: "保溫杯", status: "open" })
    // Idempotent by id.
    expect(await k.openRound(roundFile(id))).toEqual(round)

    now = new Date("2026-05-10T13:00:00Z")
    const first = await k.submitComment(id, comment(id, 1, "U1", "王小明", "+2"))
    expect(first.status).toBe("ordered")
    const outcomes = await k.submitComments(id, [
      comment(id, 1, "U1", "王小明", "+2"),
      comment(id, 2, "U2", "Amy", "+1"),
      comment(id, 3, "U3", "Ben", "可以+1嗎?")
    ])
    expect(outcomes.map((o) => o.status)).toEqual(["duplicate", "ordered", "review"])
    expect((await k.reviewQueue(id)).map((r) => r.text)).toEqual(["可以+1嗎?"])
    await k.resolveReview(id, (await k.reviewQueue(id))[0]!.commentId, { action: "dismiss" })
    expect(await k.reviewQueue(id)).toEqual([])
    expect(await k.notOrdered(id)).toEqual([])

    const closed = await k.closeRound(id)
    expect(closed.map((o) => [o.buyer.name, o.status, o.total])).toEqual([
      ["王小明", "awaiting-payment", 900],
      ["Amy", "awaiting-payment", 450]
    ])
    // 王小明 reports the last five digits of the account he paid from.
    now = new Date("2026-05-11T10:00:00Z")
    await k.submitComment(id, comment(id, 10, "U1", "王小明", "已轉帳 後五碼12340"))

    // Pagination and filters.
    const page1 = await k.orders(id, { limit: 1 })
    expect(page1.orders.map((o) => o.total)).toEqual([900])
    const page2 = await k.orders(id, { limit: 1, cursor: page1.nextCursor })
    expect(page2.orders.map((o) => o.total)).toEqual([450])
    expect(page2.nextCursor).toBeUndefined()
    const amy = page2.orders[0]!
    expect((await k.orders(id, { buyerId: amy.buyerId })).orders).toEqual([amy])
    expect(await k.order(amy.orderId)).toEqual(amy)

    now = new Date("2026-05-12T10:00:00Z")
    const balance = 10_000 + Math.floor(Math.random() * 1_000_000)
    const imported = await k.importStatement(id, { file: statementCsv([900, 450], balance) })
    expect(imported.layout).toBe("ctbc")
    expect(byAmount(imported.decisions)).toEqual([
      [900, "matched"],
      [450, "review"],
      [-1000, "ignored"]
    ])
    expect(imported.applied).toBe(1)
    expect(imported.appliedAmount).toBe(900)
    for (const d of imported.decisions) expect(d.explanation.length).toBeGreaterThan(0)

    // Re-importing the same statement (as bytes this time) changes nothing.
    // (Only this round's streams: on PostgreSQL, other tests may write meanwhile.)
    const streams = new Set([
      `round:${id}`,
      ...closed.map((o) => `order:${o.orderId}`),
      ...imported.decisions.map((d) => `payment:p_statement_${d.transactionId}`)
    ])
    const ours = async () => (await collect(k)).filter((e) => streams.has(e.stream))
    const eventsBefore = await ours()
    const again = await k.importStatement(id, { file: new TextEncoder().encode(statementCsv([900, 450], balance)) })
    expect(again.applied).toBe(0)
    expect(byAmount(again.decisions)).toEqual([
      [900, "ignored"],
      [450, "review"],
      [-1000, "ignored"]
    ])
    expect(await ours()).toEqual(eventsBefore)
    expect(await k.report(id)).toMatchObject({ orders: [{ paid: 900 }, { paid: 0 }] })

    // Amy pays cash; her retried call with the same receipt number records nothing more.
    const cash = { orderId: amy.orderId, amount: 450, source: "cash", transactionId: `${id}-r1` } as const
    expect((await k.recordPayment(cash)).status).toBe("matched")
    expect((await k.recordPayment(cash)).status).toBe("duplicate")
    expect((await k.orders(id, { status: "paid" })).orders.map((o) => o.total)).toEqual([900, 450])

    const [wang] = (await k.orders(id, { buyerId: closed[0]!.buyerId })).orders
    const cvs = await k.ship(wang!.orderId, { method: "cvs", carrier: "7-ELEVEN", tracking: "T1" })
    expect(cvs.pickupCode).toBeUndefined()
    const pickup = await k.ship(amy.orderId, { method: "pickup" })
    expect(pickup.pickupCode).toMatch(/^[A-Z0-9]{8}$/)
    await expect(k.confirmPickup(amy.orderId, "WRONG123")).rejects.toMatchObject({ code: "Rejected" })
    await k.confirmPickup(amy.orderId, pickup.pickupCode!)

    const report = await k.report(id)
    expect(report.status).toBe("closed")
    expect(report.orders.map((o) => [o.total, o.paid, o.status])).toEqual([
      [900, 900, "shipped"],
      [450, 450, "shipped"]
    ])
    const pickedUp = (await collect(k)).filter((e) => e.stream === `shipment:${pickup.shipmentId}`)
    expect(pickedUp.map((e) => e.type)).toContain("ShipmentPickedUp")
    const rounds = await k.listRounds()
    expect(rounds.find((r) => r.id === id)).toMatchObject({ id, status: "closed", title: "保溫杯" })
    return id
  } finally {
    await k.close()
  }
}

/** Decisions as [amount, status], largest amount first. */
const byAmount = (decisions: ReadonlyArray<{ readonly amount: number; readonly status: string }>) =>
  decisions.map((d) => [d.amount, d.status]).sort((a, b) => Number(b[0]) - Number(a[0]))

/** Every event, through the async iterator. */
const collect = async (k: Kaituan) => {
  const out = []
  for await (const e of k.events()) out.push(e)
  return out
}

describe("the whole lifecycle", () => {
  it("in memory", async () => {
    await lifecycle({})
  })

  it("on a SQLite file, which keeps everything after close()", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-sdk-"))
    try {
      const database = path.join(dir, "shop.db")
      const id = await lifecycle({ database })
      expect((fs.statSync(database).mode & 0o777).toString(8)).toBe("600")
      const k = await createKaituan({ database })
      expect((await k.report(id)).orders.length).toBe(2)
      await k.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("on PostgreSQL", async () => {
    await lifecycle({ database: pgUrl })
  })
})

describe("events", () => {
  it("iterates in position order, from a position, across pages", async () => {
    const k = await createKaituan({ clock: () => new Date("2026-05-10T12:00:00Z") })
    const id = uniqueRoundId("ev")
    await k.openRound(roundFile(id))
    await k.submitComments(
      id,
      Array.from({ length: 5 }, (_, i) => comment(id, i + 1, `U${i}`, `B${i}`, "+1"))
    )
    const all = []
    for await (const e of k.events({ batchSize: 2 })) all.push(e)
    expect(all[0]).toMatchObject({ position: 1, type: "RoundCreated", stream: `round:${id}` })
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1))
    expect(all.filter((e) => e.data._tag === "LinesOrdered").length).toBe(5)
    const tail = []
    for await (const e of k.events({ after: 3 })) tail.push(e.position)
    expect(tail).toEqual(all.slice(3).map((e) => e.position))
    await k.close()
  })
})
