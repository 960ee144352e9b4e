/**
 * The methods after the comments, on memory and on a real SQLite file: review decisions (order,
 * amend, cancel, dismiss), payment decisions kept and settled (approve, reject), cancel and
 * refund, the pickup lockout and the pickup lookup, the rounds list from its read model, and
 * `updateRound` (its own tests: updateRound.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { createKaituan, type Kaituan, KaituanError, type KaituanOptions } from "kaituan"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { comment, roundFile, statementCsv, uniqueRoundId } from "./support.js"

/** Calls `f` and returns what it rejected with (fails the test when it resolves). */
const rejection = async (f: () => Promise<unknown>): Promise<KaituanError> => {
  try {
    await f()
  } catch (e) {
    expect(e).toBeInstanceOf(KaituanError)
    return e as KaituanError
  }
  throw new Error("expected a rejection")
}

/** Orders by buyer name: [status, total, paid]. */
const byBuyer = async (k: Kaituan, roundId: string) =>
  Object.fromEntries(
    (await k.orders(roundId)).orders.map((o) => [o.buyer.name ?? o.buyer.id, [o.status, o.total, o.paid]])
  )

const afterSales = async (options: Omit<KaituanOptions, "clock">) => {
  let now = new Date("2026-05-10T12:00:00Z")
  const k = await createKaituan({ ...options, clock: () => now })
  const id = uniqueRoundId("after")
  try {
    const round = await k.openRound(roundFile(id))
    now = new Date("2026-05-10T13:00:00Z")
    expect((await k.listRounds()).find((r) => r.id === id)).toEqual(round)

    // updateRound (issue 16): decoded strictly, the round looked up, the change applied.
    expect(
      await rejection(() => k.updateRound(id, { title: "新標題", restock: [{ sku: "CUP", qty: 5 }] } as never))
    ).toMatchObject({
      code: "InvalidInput"
    })
    expect(await k.updateRound(id, { title: "保溫杯 (新)" })).toMatchObject({
      id,
      title: "保溫杯 (新)",
      status: "open"
    })
    expect(await k.updateRound(id, { title: "保溫杯" })).toMatchObject({ title: "保溫杯" })
    expect(await rejection(() => k.updateRound(id, { cutoff: "soon" }))).toMatchObject({
      code: "InvalidInput",
      field: "change.cutoff"
    })
    expect(await rejection(() => k.updateRound(`${id}-none`, { title: "x" }))).toMatchObject({ code: "NotFound" })

    // A comment dated more than 5 minutes after now is refused.
    const ahead = { ...comment(id, 99, "U9", "Eve", "+1"), at: "2026-05-10T13:06:00Z" }
    expect(await rejection(() => k.submitComment(id, ahead))).toMatchObject({
      code: "InvalidInput",
      field: "comment.at"
    })

    const outcomes = await k.submitComments(id, [
      comment(id, 1, "U1", "王小明", "+2"),
      comment(id, 2, "U2", "Amy", "+1"),
      comment(id, 3, "U4", "Cat", "+3"),
      comment(id, 4, "U1", "王小明", "可以+1嗎?"),
      comment(id, 5, "U2", "Amy", "可以+1嗎?"),
      comment(id, 6, "U3", "Ben", "可以+1嗎?"),
      comment(id, 7, "U5", "Dan", "可以+1嗎?")
    ])
    expect(outcomes.map((o) => o.status)).toEqual([
      "ordered",
      "ordered",
      "ordered",
      "review",
      "review",
      "review",
      "review"
    ])
    const items = Object.fromEntries((await k.reviewQueue(id)).map((r) => [r.buyer.name, r.commentId]))

    // Review decisions: amend, cancel, order, dismiss.
    await k.resolveReview(id, items["王小明"]!, { action: "amend", lines: [{ sku: "CUP", qty: 3 }] })
    await k.resolveReview(id, items.Amy!, { action: "cancel" })
    await k.resolveReview(id, items.Ben!, { action: "order", lines: [{ sku: "CUP", qty: 1 }] })
    await k.resolveReview(id, items.Dan!, { action: "dismiss" })
    expect(await k.reviewQueue(id)).toEqual([])
    expect(await rejection(() => k.resolveReview(id, items.Dan!, { action: "amend", lines: [] }))).toMatchObject({
      code: "InvalidInput",
      field: "decision.lines"
    })

    // The organiser cancels Cat's double order while the round is open: the stock goes back.
    const cat = (await k.orders(id)).orders.find((o) => o.buyer.name === "Cat")!
    expect((await k.cancelOrder(cat.orderId, { reason: "重複下單" })).status).toBe("cancelled")
    expect((await k.cancelOrder(cat.orderId, { reason: "重複下單" })).status).toBe("cancelled")
    expect((await k.report(id)).stock).toMatchObject([{ sku: "CUP", left: 6, sold: 4 }])
    expect(await rejection(() => k.cancelOrder(cat.orderId, { reason: " " }))).toMatchObject({
      code: "InvalidInput",
      field: "request.reason"
    })
    expect(await byBuyer(k, id)).toEqual({
      王小明: ["open", 1350, 0],
      Amy: ["cancelled", 0, 0],
      Cat: ["cancelled", 0, 0],
      Ben: ["open", 450, 0]
    })

    await k.closeRound(id)
    now = new Date("2026-05-11T10:00:00Z")
    await k.submitComment(id, comment(id, 20, "U1", "王小明", "已轉帳 後五碼12340"))

    // Payment decisions: kept, listed, settled.
    now = new Date("2026-05-12T10:00:00Z")
    const balance = 10_000 + Math.floor(Math.random() * 1_000_000)
    const imported = await k.importStatement(id, { file: statementCsv([1350, 450, 777], balance) })
    const decision = (amount: number) => imported.decisions.find((d) => d.amount === amount)!
    expect([decision(1350).status, decision(450).status, decision(777).status]).toEqual([
      "matched",
      "review",
      "unmatched"
    ])
    expect((await k.paymentDecisions(id)).map((d) => d.decisionId).sort()).toEqual(
      imported.decisions.map((d) => d.decisionId).sort()
    )
    expect((await k.paymentDecisions(id, { status: ["review", "unmatched"] })).map((d) => d.amount).sort()).toEqual([
      450, 777
    ])
    const approved = await k.approvePayment(decision(450).decisionId)
    expect(approved).toMatchObject({ status: "approved", decided: "review" })
    expect(await k.approvePayment(decision(450).decisionId)).toEqual(approved)
    const rejected = await k.rejectPayment(decision(777).decisionId)
    expect(rejected).toMatchObject({ status: "rejected", decided: "unmatched" })
    expect(await k.rejectPayment(decision(777).decisionId)).toEqual(rejected)
    expect(await rejection(() => k.approvePayment(decision(777).decisionId))).toMatchObject({
      code: "Rejected",
      reason: "settled"
    })
    expect(await rejection(() => k.approvePayment(`tx_none@${id}`))).toMatchObject({
      code: "NotFound",
      field: "decisionId"
    })
    expect(await rejection(() => k.approvePayment(decision(1350).decisionId, { orderId: "" }))).toMatchObject({
      code: "InvalidInput",
      field: "options.orderId"
    })
    expect(await byBuyer(k, id)).toMatchObject({ 王小明: ["paid", 1350, 1350], Ben: ["paid", 450, 450] })

    // Refund: in part (the order stays paid), never more than is left, then the rest; the buyer is told.
    const wang = (await k.orders(id, { status: "paid" })).orders.find((o) => o.buyer.name === "王小明")!
    expect(
      await k.refund(wang.orderId, { amount: 100, reason: "缺貨", reasonCode: "out-of-stock", method: "cash" })
    ).toMatchObject({ status: "paid", paid: 1250 })
    expect(await rejection(() => k.refund(wang.orderId, { amount: 1251, reason: "缺貨" }))).toMatchObject({
      code: "Rejected"
    })
    expect(
      await rejection(() => k.refund(wang.orderId, { amount: 10, reason: "x", reasonCode: "broken" as never }))
    ).toMatchObject({ code: "InvalidInput", field: "request.reasonCode" })
    expect(await k.refund(wang.orderId, { amount: 1250, reason: "缺貨" })).toMatchObject({
      status: "refunded",
      paid: 0
    })
    expect((await k.refund(wang.orderId, { amount: 1350, reason: "缺貨" })).status).toBe("refunded")
    expect(await rejection(() => k.cancelOrder(wang.orderId, { reason: "x" }))).toMatchObject({ code: "Rejected" })

    // Pickup: 5 wrong codes lock it (the right code too) until it is unlocked.
    const ben = (await k.orders(id, { status: "paid" })).orders.find((o) => o.buyer.name === "Ben")!
    const { shipmentId, pickupCode } = await k.ship(ben.orderId, { method: "pickup" })
    for (let i = 0; i < 4; i++)
      expect(await rejection(() => k.confirmPickup(ben.orderId, "WRONG000"))).toMatchObject({ code: "Rejected" })
    expect(await rejection(() => k.confirmPickup(ben.orderId, "WRONG000"))).toMatchObject({
      code: "Locked",
      reason: "locked"
    })
    expect(await rejection(() => k.confirmPickup(ben.orderId, pickupCode!))).toMatchObject({ code: "Locked" })
    const typed = `${pickupCode!.slice(0, 4).toLowerCase()} ${pickupCode!.slice(4)}`
    expect(await k.findPickup(typed)).toMatchObject({
      shipmentId,
      orderId: ben.orderId,
      locked: true,
      failedAttempts: 5,
      order: { buyer: { name: "Ben" } }
    })
    expect(await k.findPickup("NOSUCHCODE")).toBeUndefined()
    await k.unlockPickup(shipmentId)
    await k.confirmPickup(ben.orderId, typed)
    expect((await k.findPickup(pickupCode!))?.status).toBe("picked-up")

    // A return after the pickup: the value is due back until refunded.
    expect(await k.returnShipment(shipmentId, { reasonCode: "quality", reason: "尺寸不合" })).toMatchObject({
      orderId: ben.orderId,
      refundDue: 450
    })
    expect((await k.refundsDue(id)).map((d) => [d.orderId, d.due, d.causes[0]?.reasonCode])).toEqual([
      [ben.orderId, 450, "quality"]
    ])
    expect(await rejection(() => k.returnShipment(shipmentId, { reasonCode: "quality" }))).toMatchObject({
      code: "Rejected"
    })
    await k.refund(ben.orderId, { amount: 450, reason: "退貨退款", reasonCode: "quality", method: "bank-transfer" })
    expect(await k.refundsDue(id)).toEqual([])
    expect(await k.refundsDue()).toEqual([])
    expect(await rejection(() => k.unlockPickup("s_none"))).toMatchObject({ code: "NotFound" })

    expect((await k.listRounds()).find((r) => r.id === id)).toMatchObject({ status: "closed" })
    return id
  } finally {
    await k.close()
  }
}

describe("after the comments", () => {
  it("in memory", async () => {
    await afterSales({})
  })

  it("on a SQLite file, which keeps the decisions and the rounds list after close()", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-after-"))
    try {
      const database = path.join(dir, "shop.db")
      const id = await afterSales({ database })
      const k = await createKaituan({ database })
      expect((await k.paymentDecisions(id)).map((d) => d.status).sort()).toEqual([
        "approved",
        "ignored",
        "matched",
        "rejected"
      ])
      expect((await k.listRounds()).map((r) => [r.id, r.status])).toEqual([[id, "closed"]])
      await k.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
