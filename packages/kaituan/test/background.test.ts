import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { createKaituan } from "kaituan"
import { roundFile, uniqueRoundId } from "./support.js"

/** How many timers the process holds now. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length

const waitFor = async (check: () => Promise<boolean>, ms: number) => {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return true
}

describe("background work of an open instance", () => {
  it("closes a round at its cutoff by itself on a SQLite file; close() leaves no timer behind", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-bg-"))
    const before = timers()
    try {
      const k = await createKaituan({
        database: path.join(dir, "shop.db"),
        background: { pollMs: 200, catchUpEveryMs: 200 }
      })
      try {
        const id = uniqueRoundId("cutoff")
        const cutoff = new Date(Date.now() + 1_500).toISOString()
        await k.openRound({ ...roundFile(id), cutoff })
        const at = new Date().toISOString()
        await k.submitComments(id, [
          { channel: "line", commentId: `${id}-m1`, author: { id: `${id}-U1`, name: "王小明" }, text: "+2", at },
          { channel: "line", commentId: `${id}-m2`, author: { id: `${id}-U2`, name: "Amy" }, text: "+1", at }
        ])
        expect((await k.listRounds()).find((r) => r.id === id)?.status).toBe("open")
        // The background fibers wait on timers while the instance is open.
        expect(await waitFor(async () => timers() > before, 1_000)).toBe(true)
        const closed = await waitFor(
          async () => (await k.listRounds()).find((r) => r.id === id)?.status === "closed",
          6_000
        )
        expect(closed).toBe(true)
        const { orders } = await k.orders(id)
        expect(orders.map((o) => [o.buyer.name, o.status, o.total])).toEqual([
          ["王小明", "awaiting-payment", 900],
          ["Amy", "awaiting-payment", 450]
        ])
        // Closed at the cutoff, not when the scheduler happened to look.
        expect((await k.listRounds()).find((r) => r.id === id)?.closedAt).toBe(cutoff)
      } finally {
        await k.close()
      }
      expect(timers()).toBeLessThanOrEqual(before)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 15_000)

  it("background: false runs nothing: the round stays open past its cutoff until closeRound", async () => {
    const k = await createKaituan({ background: false })
    try {
      const id = uniqueRoundId("manual")
      await k.openRound({ ...roundFile(id), cutoff: new Date(Date.now() + 200).toISOString() })
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect((await k.listRounds()).find((r) => r.id === id)?.status).toBe("open")
      await k.closeRound(id)
      expect((await k.listRounds()).find((r) => r.id === id)?.status).toBe("closed")
    } finally {
      await k.close()
    }
  })

  it("rejects a malformed background option", async () => {
    await expect(createKaituan({ background: { pollMs: -1 } })).rejects.toMatchObject({
      code: "InvalidInput",
      field: "options.background.pollMs"
    })
  })
})
