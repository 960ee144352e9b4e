/**
 * `round replay` and doubles (issue 19): ids an import numbers itself are per round; a comment
 * id two different comments share is reported (by id and line, nothing personal) and the later
 * comment not taken; the same comment twice is a duplicate; a channel's message named in one
 * round's import is not taken again by the next round.
 */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { fixtures, runCli, tmpDir } from "./support.js"

const roundFile = (dir: string, id: string) => {
  const spec = JSON.parse(fs.readFileSync(path.join(fixtures, "socks.round.json"), "utf8"))
  const file = path.join(dir, `${id}.round.json`)
  fs.writeFileSync(file, JSON.stringify({ ...spec, id, cutoff: "2030-01-01T00:00:00+08:00" }))
  return file
}

const jsonl = (dir: string, name: string, rows: ReadonlyArray<Record<string, unknown>>) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`)
  return file
}

const row = (id: string, author: string, text: string, minute: number, extra: Record<string, unknown> = {}) => ({
  id,
  author: { id: author, name: `name-of-${author}` },
  text,
  at: `2024-05-01T10:${String(minute).padStart(2, "0")}:00+08:00`,
  ...extra
})

const replay = (round: string, comments: string, db: string) =>
  runCli(["round", "replay", "--round", round, "--comments", comments, "--json", "--db", db])

const buyers = (stdout: string) => JSON.parse(stdout).orders.map((o: { buyer: { id: string } }) => o.buyer.id)

describe("kaituan round replay: comment ids", () => {
  it("two different buyers under one id: the second is reported by id and line, not taken, not hidden", async () => {
    const dir = tmpDir()
    const comments = jsonl(dir, "c.jsonl", [
      row("c1", "U1", "紅+1", 1),
      row("c2", "U2", "白+1", 2),
      row("c2", "U3", "紅+1", 3),
      row("c2", "U2", "白+1", 4), // the same comment again: a duplicate, skipped quietly
      row("c3", "U4", "保溫杯+1", 5)
    ])
    const r = await replay(roundFile(dir, "r1"), comments, path.join(dir, "k.db"))
    expect(r.code).toBe(0)
    expect(buyers(r.stdout)).toEqual(["U1", "U2", "U4"])
    const warnings = r.stderr.split("\n").filter((l) => l !== "")
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^kaituan: warning: .*c\.jsonl line 3: comment id "c2" \(jsonl\)/)
    expect(warnings[0]).toContain("not taken")
    // Nothing personal in the warning: no author id or name, no text.
    expect(r.stderr).not.toMatch(/U3|name-of|紅|白/)
  })

  it("the same id and a different text from the same buyer is reported too; a re-run reports it again", async () => {
    const dir = tmpDir()
    const db = path.join(dir, "k.db")
    const comments = jsonl(dir, "c.jsonl", [row("c1", "U1", "紅+1", 1), row("c1", "U1", "白+2", 2)])
    const first = await replay(roundFile(dir, "r1"), comments, db)
    expect(first.code).toBe(0)
    expect(first.stderr).toContain('c.jsonl line 2: comment id "c1"')
    const again = await replay(roundFile(dir, "r1"), comments, db)
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout))
    expect(again.stderr).toContain('c.jsonl line 2: comment id "c1"')
  })

  it("another round's file may number its comments c1, c2… again (one database)", async () => {
    const dir = tmpDir()
    const db = path.join(dir, "k.db")
    const a = await replay(roundFile(dir, "a"), jsonl(dir, "a.jsonl", [row("c1", "U1", "紅+1", 1)]), db)
    const b = await replay(roundFile(dir, "b"), jsonl(dir, "b.jsonl", [row("c1", "U2", "白+1", 1)]), db)
    expect([a.code, a.stderr, buyers(a.stdout)]).toEqual([0, "", ["U1"]])
    expect([b.code, b.stderr, buyers(b.stdout)]).toEqual([0, "", ["U2"]])
  })

  it("a LINE message named in round a's import is not taken again by round b", async () => {
    const dir = tmpDir()
    const db = path.join(dir, "k.db")
    const line = [row("m1", "U1", "紅+1", 1, { channel: "line" }), row("m2", "U2", "白+1", 2, { channel: "line" })]
    const a = await replay(roundFile(dir, "a"), jsonl(dir, "a.jsonl", line.slice(0, 1)), db)
    const b = await replay(roundFile(dir, "b"), jsonl(dir, "b.jsonl", line), db)
    expect(buyers(a.stdout)).toEqual(["U1"])
    expect(buyers(b.stdout)).toEqual(["U2"])
    expect(b.stderr).toBe("")
  })
})
