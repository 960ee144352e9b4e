import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { fixtures, runCli, tmpDir } from "./support.js"

/** The socks round with a one-day payment deadline that cancels unpaid orders. */
const roundFile = () => {
  const dir = tmpDir()
  const spec = JSON.parse(fs.readFileSync(path.join(fixtures, "socks.round.json"), "utf8"))
  const file = path.join(dir, "round.json")
  fs.writeFileSync(file, JSON.stringify({ ...spec, payWithin: "P1D", unpaid: "cancel" }))
  return { dir, file }
}

const jsonl = (dir: string, lines: ReadonlyArray<object | string>) => {
  const file = path.join(dir, "input.jsonl")
  fs.writeFileSync(file, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`)
  return file
}

const comment = (id: string, author: string, text: string, at: string) => ({ id, author: { id: author }, text, at })

const replay = (round: string, input: string, ...more: ReadonlyArray<string>) =>
  runCli(["round", "replay", "--round", round, "--comments", input, "--json", "--db", ":memory:", ...more])

type Json = {
  orders: Array<{ orderId: string; status: string; buyer: { id: string }; total: number }>
  notOrdered: Array<{ commentId: string; reason: string }>
  stock: Record<string, number>
  cancelled: Array<{ orderId: string; status: string; buyer: { id: string }; total: number; paid: number }>
}

const statusOf = (j: Json) => Object.fromEntries([...j.orders, ...j.cancelled].map((o) => [o.buyer.id, o.status]))

describe("round replay: organiser actions and the passage of time", () => {
  const payRound = () => {
    const { dir, file } = roundFile()
    const input = jsonl(dir, [
      comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"),
      comment("c2", "U002", "白+1", "2024-05-01T10:01:00+08:00"),
      // After the cutoff (22:00 on the 10th): the round closed then, so the order awaits payment.
      { action: "payment", at: "2024-05-11T09:00:00+08:00", buyer: "U001", amount: 120, source: "transfer" }
    ])
    return { file, input }
  }

  it("runs the cutoff and the payment deadline: the unpaid order is cancelled at --at, the paid one is not", async () => {
    const { file, input } = payRound()
    const before = await replay(file, input)
    expect(before.stderr).toBe("")
    expect(before.code).toBe(0)
    // No --at: the deadline (22:00 on the 11th) has not come by the last line.
    expect(statusOf(JSON.parse(before.stdout))).toEqual({ U001: "paid", U002: "awaiting-payment" })

    const after = await replay(file, input, "--at", "2024-05-12T00:00:00+08:00")
    expect(after.code).toBe(0)
    const j: Json = JSON.parse(after.stdout)
    expect(statusOf(j)).toEqual({ U001: "paid", U002: "cancelled" })
    // The paid order stays in `orders`; the cancelled one is listed apart, unpaid.
    expect(j.orders.map((o) => [o.buyer.id, o.total])).toEqual([["U001", 120]])
    expect(j.cancelled.map((o) => [o.buyer.id, o.total, o.paid])).toEqual([["U002", 130, 0]])

    // --at before the deadline changes nothing.
    const early = await replay(file, input, "--at", "2024-05-11T21:59:00+08:00")
    expect(statusOf(JSON.parse(early.stdout))).toEqual({ U001: "paid", U002: "awaiting-payment" })
  })

  it("is deterministic: the same input twice gives the same output, order ids included", async () => {
    const { file, input } = payRound()
    const a = await replay(file, input, "--at", "2024-05-12T00:00:00+08:00")
    const b = await replay(file, input, "--at", "2024-05-12T00:00:00+08:00")
    expect(a.code).toBe(0)
    expect(b.stdout).toBe(a.stdout)
    const text = await runCli(["round", "replay", "--round", file, "--comments", input, "--db", ":memory:"])
    expect(text.stdout).toContain("2 comments, 1 actions")
  })

  it("into a database file, the same replay again prints the same report (the same ids, the same statuses)", async () => {
    const { file, input } = payRound()
    const db = path.join(path.dirname(file), "shop.db")
    const args = ["round", "replay", "--round", file, "--comments", input, "--json", "--db", db]
    const a = await runCli([...args, "--at", "2024-05-12T00:00:00+08:00"])
    const b = await runCli([...args, "--at", "2024-05-12T00:00:00+08:00"])
    expect(a.code).toBe(0)
    expect(b.stdout).toBe(a.stdout)
    const j: Json = JSON.parse(b.stdout)
    expect(statusOf(j)).toEqual({ U001: "paid", U002: "cancelled" })
    expect(j.orders.map((o) => o.total)).toEqual([120])
  })

  it("a restock action lets a later comment order; the cutoff closes the round at the cutoff", async () => {
    const { dir, file } = roundFile()
    const input = jsonl(dir, [
      comment("c1", "U001", "白+2", "2024-05-01T10:00:00+08:00"),
      comment("c2", "U002", "白+1", "2024-05-01T10:05:00+08:00"),
      { action: "change", at: "2024-05-01T10:10:00+08:00", change: { restock: [{ sku: "SOCK-W", add: 1 }] } },
      comment("c3", "U003", "白+1", "2024-05-01T10:15:00+08:00"),
      { action: "cancel", at: "2024-05-02T10:00:00+08:00", buyer: "U003", reason: "changed their mind" },
      comment("c4", "U004", "白+1", "2024-05-02T11:00:00+08:00"),
      comment("c5", "U005", "紅+1", "2024-05-11T08:00:00+08:00")
    ])
    const r = await replay(file, input)
    expect(r.code).toBe(0)
    const j: Json = JSON.parse(r.stdout)
    expect(statusOf(j)).toEqual({ U001: "awaiting-payment", U003: "cancelled", U004: "awaiting-payment" })
    expect(j.notOrdered.map((n) => [n.commentId, n.reason])).toEqual([
      ["c2", "sold-out"],
      ["c5", "after-cutoff"]
    ])
    expect(j.stock["SOCK-W"]).toBe(0)
  })

  it("a refund action gives money back in part (the order stays paid), then the rest (refunded); never more", async () => {
    const { dir, file } = roundFile()
    const lines = [
      comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"),
      { action: "payment", at: "2024-05-11T09:00:00+08:00", buyer: "U001", amount: 120, source: "cash" },
      { action: "refund", at: "2024-05-11T10:00:00+08:00", buyer: "U001", amount: 20, reasonCode: "damaged" }
    ]
    const part = await replay(file, jsonl(dir, lines))
    expect(part.code).toBe(0)
    const p: Json = JSON.parse(part.stdout)
    expect(p.orders.map((o) => [o.buyer.id, o.status])).toEqual([["U001", "paid"]])
    const all = await replay(
      file,
      jsonl(dir, [...lines, { action: "refund", at: "2024-05-11T11:00:00+08:00", buyer: "U001", method: "cash" }])
    )
    const refunded: Json = JSON.parse(all.stdout)
    expect(statusOf(refunded)).toEqual({ U001: "refunded" })
    // 20 then the 100 left: nothing received remains.
    expect(refunded.cancelled.map((o) => [o.buyer.id, o.total, o.paid])).toEqual([["U001", 120, 0]])
    const over = await replay(
      file,
      jsonl(dir, [...lines, { action: "refund", at: "2024-05-11T11:00:00+08:00", buyer: "U001", amount: 101 }])
    )
    expect(over.code).toBe(2)
    expect(over.stderr).toContain("refund refused")
    const badCode = await replay(
      file,
      jsonl(dir, [
        ...lines.slice(0, 2),
        { action: "refund", at: "2024-05-11T11:00:00+08:00", buyer: "U001", reasonCode: "x" }
      ])
    )
    expect(badCode.code).toBe(2)
    expect(badCode.stderr).toContain('"reasonCode"')
  })

  it("an action line that does not decode is exit 2 naming the line and the field", async () => {
    const { dir, file } = roundFile()
    const bad = jsonl(dir, [
      comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"),
      comment("c2", "U002", "白+1", "2024-05-01T10:01:00+08:00"),
      { action: "payment", at: "2024-05-11T09:00:00+08:00", buyer: "U001", amount: -5 }
    ])
    const r = await replay(file, bad)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("line 3")
    expect(r.stderr).toContain("amount")
    expect(r.stdout).toBe("")

    const unknown = jsonl(dir, [{ action: "ship", at: "2024-05-11T09:00:00+08:00" }])
    const u = await replay(file, unknown)
    expect(u.code).toBe(2)
    expect(u.stderr).toContain("line 1")
    expect(u.stderr).toContain('"action" must be one of')

    const noAt = jsonl(dir, [comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"), { action: "close" }])
    const n = await replay(file, noAt)
    expect(n.code).toBe(2)
    expect(n.stderr).toMatch(/line 2: close action: "at"/)

    const extra = jsonl(dir, [{ action: "close", at: "2024-05-11T09:00:00+08:00", when: "now" }])
    const x = await replay(file, extra)
    expect(x.code).toBe(2)
    expect(x.stderr).toMatch(/line 1: close action: "when"/)

    const badAt = await replay(
      file,
      jsonl(dir, [comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00")]),
      "--at",
      "tomorrow"
    )
    expect(badAt.code).toBe(2)
    expect(badAt.stderr).toContain("--at")
  })

  it("close and reopen: deadlines fire in order, a comment after the reopening orders; an action the round refuses is exit 2 naming its line", async () => {
    const { dir, file } = roundFile()
    const input = jsonl(dir, [
      comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"),
      { action: "close", at: "2024-05-02T10:00:00+08:00" },
      comment("c2", "U002", "紅+1", "2024-05-02T11:00:00+08:00"),
      { action: "reopen", at: "2024-05-03T10:00:00+08:00", cutoff: "2024-05-04T22:00:00+08:00" },
      comment("c3", "U003", "紅+1", "2024-05-03T11:00:00+08:00"),
      comment("c4", "U004", "紅+1", "2024-05-05T11:00:00+08:00")
    ])
    const r = await replay(file, input)
    expect(r.code).toBe(0)
    const j: Json = JSON.parse(r.stdout)
    // The first close's payment deadline (a day later, at the reopening's own time) ran before the
    // reopening and cancelled U001's unpaid order; the new cutoff closed the round before c4.
    expect(j.orders.map((o) => [o.buyer.id, o.status])).toEqual([["U003", "awaiting-payment"]])
    expect(j.cancelled.map((o) => [o.buyer.id, o.status])).toEqual([["U001", "cancelled"]])
    expect(j.notOrdered.map((n) => n.commentId)).toEqual(["c2", "c4"])

    const refused = jsonl(dir, [
      comment("c1", "U001", "紅+1", "2024-05-01T10:00:00+08:00"),
      { action: "change", at: "2024-05-02T10:00:00+08:00", change: { cutoff: "2024-05-01T12:00:00+08:00" } }
    ])
    const x = await replay(file, refused)
    expect(x.code).toBe(2)
    expect(x.stderr).toContain("line 2: change refused")
  })
})
