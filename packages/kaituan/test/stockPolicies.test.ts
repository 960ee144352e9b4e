/**
 * Issue 16's stock policies through the SDK, in memory, on a SQLite file and on PostgreSQL: the waiting list
 * (候補) promoting a buyer after the close into a confirmed order when an order is cancelled, and
 * pre-order arrival (`markArrived`) before a pre-order line ships.
 */
import { describe, expect, it } from "@effect/vitest"
import { createKaituan, KaituanError, type KaituanOptions } from "kaituan"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { comment, uniqueRoundId } from "./support.js"

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
  const id = uniqueRoundId("policies")
  try {
    await k.openRound({
      id,
      title: "保溫杯與蛋黃酥",
      cutoff: "2026-05-12T22:00:00+08:00",
      waitlist: true,
      preorderArrival: true,
      products: [
        { sku: "CUP", name: "保溫杯", price: 450, stock: 2 },
        { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 20 }
      ]
    })
    now = new Date("2026-05-10T13:00:00Z")
    const outcomes = await k.submitComments(id, [
      comment(id, 1, "U1", "王小明", "保溫杯+1 蛋黃酥+2"),
      comment(id, 2, "U3", "李小華", "保溫杯+1"),
      comment(id, 3, "U2", "陳小美", "保溫杯+1")
    ])
    expect(outcomes.map((o) => o.status)).toEqual(["ordered", "ordered", "not-ordered"])
    expect((await k.report(id)).waitlist?.map((w) => [w.sku, w.position])).toEqual([["CUP", 1]])

    now = new Date("2026-05-12T15:00:00Z")
    const confirmed = await k.closeRound(id)
    const u3 = confirmed.find((o) => o.buyer.id === `${id}-U3`)!
    await k.cancelOrder(u3.orderId, { reason: "買家取消" })
    const orders = (await k.orders(id)).orders
    const u2 = orders.find((o) => o.buyer.id === `${id}-U2`)
    expect(u2).toMatchObject({ status: "awaiting-payment", total: 450 })
    expect((await k.report(id)).waitlist).toBeUndefined()

    const u1 = orders.find((o) => o.buyer.id === `${id}-U1`)!
    await k.recordPayment({ orderId: u1.orderId, amount: u1.total, source: "cash", transactionId: `${id}-cash` })
    expect(await rejection(() => k.ship(u1.orderId, { method: "home" }))).toMatchObject({ reason: "not-arrived" })
    await k.ship(u1.orderId, { method: "home", lines: [{ sku: "CUP", qty: 1 }] })
    expect(await rejection(() => k.markArrived(id, ["CUP"]))).toMatchObject({
      code: "Rejected",
      reason: "not-preorder"
    })
    await k.markArrived(id, ["EGG"], "arrived-1")
    await k.ship(u1.orderId, { method: "home", lines: [{ sku: "EGG", qty: 2 }] })
    expect((await k.order(u1.orderId)).status).toBe("shipped")
  } finally {
    await k.close()
  }
}

describe("stock policies through the SDK", () => {
  it("in memory", async () => {
    await scenario({})
  })

  it("on a SQLite file", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-policies-"))
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
