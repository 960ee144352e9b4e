/** `kaituan demo --db FILE` never deletes a database it was not told to (issue 19). */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { main } from "../src/main.js"
import { runIo, tmpDir } from "./support.js"

describe("kaituan demo --db", () => {
  it("refuses an existing file (exit 2) and leaves it as it was", async () => {
    const dir = tmpDir()
    const db = path.join(dir, "shop.db")
    fs.writeFileSync(db, "the organiser's data")
    fs.writeFileSync(`${db}-wal`, "its write-ahead log")
    const r = await runIo(main, ["demo", "--db", "shop.db"], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("shop.db exists")
    expect(r.stderr).toContain("--fresh")
    expect(r.stdout).toBe("")
    expect(fs.readFileSync(db, "utf8")).toBe("the organiser's data")
    expect(fs.readFileSync(`${db}-wal`, "utf8")).toBe("its write-ahead log")
  })

  it("refuses a directory and a PostgreSQL URL (exit 2)", async () => {
    const dir = tmpDir()
    const asDir = await runIo(main, ["demo", "--db", dir, "--fresh"], { cwd: dir })
    expect(asDir.code).toBe(2)
    expect(asDir.stderr).toContain("is a directory")
    const pg = await runIo(main, ["demo", "--db", "postgres://u:secret@127.0.0.1:1/x"], { cwd: dir })
    expect(pg.code).toBe(2)
    expect(pg.stderr).toContain("SQLite file path")
    expect(pg.stderr).not.toContain("secret")
  })

  for (const flag of ["--fresh", "--force"])
    it(`replaces an existing file with ${flag}`, async () => {
      const dir = tmpDir()
      const db = path.join(dir, "demo.db")
      fs.writeFileSync(db, "old")
      fs.writeFileSync(`${db}-shm`, "old")
      const r = await runIo(main, ["demo", "--db", "demo.db", flag], { cwd: dir })
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("7. The round's numbers")
      expect(fs.readFileSync(db).subarray(0, 15).toString()).toBe("SQLite format 3")
    })

  it("creates an absent file relative to the command's cwd", async () => {
    const dir = tmpDir()
    const r = await runIo(main, ["demo", "--db", "new.db"], { cwd: dir })
    expect(r.code).toBe(0)
    expect(fs.existsSync(path.join(dir, "new.db"))).toBe(true)
  })
})
