import { describe, expect, it } from "@effect/vitest"
import path from "node:path"
import fs from "node:fs"
import { runBin, tmpDir } from "./support.js"

describe("kaituan demo", () => {
  it("runs a whole group buy on a fresh SQLite file and explains each step", () => {
    const db = path.join(tmpDir(), "demo.db")
    const r = runBin(["demo", "--db", db])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    for (const heading of [
      "1. Open the round",
      "2. Comments arrive from LINE and Telegram",
      "3. The cutoff passes",
      "4. Reconcile the bank statement",
      "5. Ship",
      "6. Tell the buyers",
      "7. The round's numbers"
    ])
      expect(r.stdout).toContain(heading)
    expect(r.stdout).toContain("a forged LINE webhook is rejected: unauthorized")
    expect(r.stdout).toContain("LINE redelivers two events: duplicate, duplicate")
    expect(r.stdout).toMatch(/王小明\s+紅色\+2\s+ordered/)
    expect(r.stdout).toMatch(/Gus\s+白\+1\s+not-ordered\s+after-cutoff/)
    expect(r.stdout).toMatch(/applied NT\$1,390 to 2 orders/)
    expect(r.stdout).toContain("scanning the same code again: refused")
    expect(r.stdout).toMatch(/failed 0/)
    expect(r.stdout).toMatch(/received \(NT\$\)\s+1,390/)
    expect(fs.statSync(db).size).toBeGreaterThan(0)
  })
})
