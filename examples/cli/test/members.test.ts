/** `kaituan members` over a real database (the demo's SQLite file). */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { main } from "../src/main.js"
import { runIo, tmpDir } from "./support.js"

describe("kaituan members", () => {
  const dir = tmpDir()
  const ready = runIo(main, ["demo", "--db", "demo.db"], { cwd: dir })

  it("lists the demo's buyers as members with orders, spend, tier and tags", async () => {
    expect((await ready).code).toBe(0)
    const r = await runIo(main, ["members", "--db", "demo.db", "--json"], { cwd: dir })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{
      memberId: string
      orders: number
      spend: number
      tier: string
      tags: Array<string>
    }>
    expect(rows.length).toBeGreaterThan(1)
    for (const m of rows) {
      expect(m.memberId).toMatch(/^[a-z]+:/)
      expect(m.orders).toBeGreaterThan(0)
      expect(m.spend).toBeGreaterThan(0)
      expect(["一般", "熟客", "VIP"]).toContain(m.tier)
    }
    const table = await runIo(main, ["members", "--db", "demo.db"], { cwd: dir })
    expect(table.stdout).toContain("等級")
    expect(table.stdout).toContain(`${rows.length} 位會員`)
  })

  it("keeps only a segment's members, and a channel segment splits them by channel", async () => {
    await ready
    const all = JSON.parse(
      (await runIo(main, ["members", "--db", "demo.db", "--json"], { cwd: dir })).stdout
    ) as Array<{
      memberId: string
    }>
    const line = JSON.parse(
      (await runIo(main, ["members", "--db", "demo.db", "--json", "--segment", "channel:line"], { cwd: dir })).stdout
    ) as Array<{ memberId: string }>
    const notLine = JSON.parse(
      (await runIo(main, ["members", "--db", "demo.db", "--json", "--segment", "NOT channel:line"], { cwd: dir }))
        .stdout
    ) as Array<{ memberId: string }>
    expect(line.every((m) => m.memberId.startsWith("line:"))).toBe(true)
    expect(line.length + notLine.length).toBe(all.length)
  })

  it("a segment that does not read exits 2 and points at the place", async () => {
    await ready
    const r = await runIo(main, ["members", "--db", "demo.db", "--segment", "高頻消費 AND (沉睡"], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unclosed-parenthesis")
    expect(r.stderr).toContain("character 10")
  })

  it("reads the organiser's rules from a file, and refuses rules that do not decode", async () => {
    await ready
    fs.writeFileSync(
      path.join(dir, "rules.json"),
      JSON.stringify({ categories: {}, tiers: [{ name: "常客", minSpend: 1, minOrders: 1 }], defaultTier: "路人" })
    )
    const r = await runIo(main, ["members", "--db", "demo.db", "--rules", "rules.json", "--json"], { cwd: dir })
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout) as Array<{ tier: string }>).every((m) => m.tier === "常客")).toBe(true)
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ tiers: "x" }))
    const bad = await runIo(main, ["members", "--db", "demo.db", "--rules", "bad.json"], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("bad.json")
  })
})
