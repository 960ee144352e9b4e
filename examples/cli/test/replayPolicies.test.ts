import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { fixtures, runCli, tmpDir } from "./support.js"

// Issue 16's stock policies in `round replay`: the waiting list (候補) serving a buyer when an
// order is cancelled after the close or unpaid at the deadline, and the `arrived` action (預購到貨).

const roundFile = (extra: Record<string, unknown>) => {
  const dir = tmpDir()
  const spec = JSON.parse(fs.readFileSync(path.join(fixtures, "socks.round.json"), "utf8"))
  const file = path.join(dir, "round.json")
  fs.writeFileSync(file, JSON.stringify({ ...spec, ...extra }))
  return { dir, file }
}

const jsonl = (dir: string, lines: ReadonlyArray<object>) => {
  const file = path.join(dir, "input.jsonl")
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`)
  return file
}

const comment = (id: string, author: string, text: string, at: string) => ({ id, author: { id: author }, text, at })

type Json = {
  orders: Array<{ status: string; buyer: { id: string }; lines: Array<{ sku: string; qty: number }> }>
  stock: Record<string, unknown>
}

describe("round replay: the waiting list and pre-order arrival", () => {
  it("an unpaid order cancelled at the deadline goes to the buyer waiting; arrived is an action", async () => {
    const { dir, file } = roundFile({ waitlist: true, payWithin: "P1D", unpaid: "cancel", preorderArrival: true })
    const input = jsonl(dir, [
      comment("c1", "U001", "紅+3", "2024-05-01T10:00:00+08:00"),
      comment("c2", "U002", "紅+2", "2024-05-01T10:01:00+08:00"),
      comment("c3", "U003", "白+1", "2024-05-01T10:02:00+08:00"),
      { action: "payment", at: "2024-05-11T09:00:00+08:00", buyer: "U003", amount: 130 },
      { action: "arrived", at: "2024-05-11T10:00:00+08:00", skus: ["EGG"] }
    ])
    const r = await runCli([
      "round",
      "replay",
      "--round",
      file,
      "--comments",
      input,
      "--json",
      "--db",
      ":memory:",
      "--at",
      "2024-05-12T00:00:00+08:00"
    ])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const j: Json = JSON.parse(r.stdout)
    // U001 did not pay by the deadline (22:00 on the 11th): cancelled, its 3 units went to U002.
    expect(j.orders.map((o) => [o.buyer.id, o.status, o.lines.map((l) => [l.sku, l.qty])])).toEqual([
      ["U003", "paid", [["SOCK-W", 1]]],
      ["U002", "awaiting-payment", [["SOCK-R", 2]]]
    ])
    const bad = jsonl(dir, [{ action: "arrived", at: "2024-05-11T10:00:00+08:00", skus: ["CUP"] }])
    const refused = await runCli(["round", "replay", "--round", file, "--comments", bad, "--db", ":memory:"])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("arrived refused")
  })
})
