import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { RoundSpec } from "@kaituan/core"
import { Result } from "effect"
import { importers } from "../src/Importers.js"
import { main } from "../src/main.js"
import { fixtures, runBin, runCli, runIo, tmpDir } from "./support.js"

const round = path.join(fixtures, "socks.round.json")
const comments = path.join(fixtures, "socks.comments.jsonl")

/** `round replay --round R --comments C`, then any further flags. */
const replayArgs = (roundFile: string, commentsFile: string, ...more: ReadonlyArray<string>) => [
  "round",
  "replay",
  "--round",
  roundFile,
  "--comments",
  commentsFile,
  ...more
]

const expected = {
  orders: [
    { buyer: { id: "U001", name: "王小明" }, lines: [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }], total: 120 },
    { buyer: { id: "U004", name: "張三" }, lines: [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }], total: 120 },
    { buyer: { id: "U005", name: "李四" }, lines: [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }], total: 120 },
    {
      buyer: { id: "U006", name: "趙六" },
      lines: [
        { sku: "EGG", qty: 3, unitPrice: 300 },
        { sku: "CUP", qty: 1, unitPrice: 450 }
      ],
      total: 1350
    },
    { buyer: { id: "U007", name: "錢七" }, lines: [{ sku: "EGG", qty: 2, unitPrice: 300 }], total: 600 }
  ],
  review: [{ commentId: "c4", buyer: { id: "U003", name: "陳大文" }, text: "+1 還有嗎?" }],
  notOrdered: [
    { commentId: "c5", buyer: { id: "U004", name: "張三" }, text: "紅+2", reason: "sold-out", sku: "SOCK-R", qty: 1 },
    { commentId: "c11", buyer: { id: "U007", name: "錢七" }, text: "蛋黄酥+3", reason: "over-cap", sku: "EGG", qty: 1 },
    {
      commentId: "c12",
      buyer: { id: "U008", name: "孫八" },
      text: "紅色+1",
      reason: "sold-out",
      sku: "SOCK-R",
      qty: 1
    },
    { commentId: "c14", buyer: { id: "U010", name: "吳十" }, text: "白+1", reason: "after-cutoff" }
  ],
  stock: { "SOCK-R": 0, "SOCK-W": 2, EGG: 0 }
}

describe("kaituan round replay", () => {
  it("reads its files and writes its database relative to the command's cwd, and names files as given", async () => {
    const dir = tmpDir()
    fs.copyFileSync(round, path.join(dir, "r.json"))
    fs.copyFileSync(comments, path.join(dir, "c.jsonl"))
    const r = await runIo(main, replayArgs("r.json", "c.jsonl", "--json", "--db", "k.db"), { cwd: dir })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject(expected)
    expect(fs.existsSync(path.join(dir, "k.db"))).toBe(true)
    const missing = await runIo(main, replayArgs("r.json", "none.jsonl"), { cwd: dir })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("cannot read the comments none.jsonl: no such file")
  })

  it("replays a round with stock, a cutoff, amendments, cancellations and a sell-out", async () => {
    const db = path.join(tmpDir(), "k.db")
    const r = await runCli(replayArgs(round, comments, "--format", "jsonl", "--json", "--db", db))
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out).toMatchObject(expected)
    expect(out.orders).toHaveLength(5)
    expect(out.review).toHaveLength(1)
    expect(out.review[0].reason.length).toBeGreaterThan(0)
    expect(out.notOrdered).toHaveLength(4)
    expect(Object.keys(out.stock).sort()).toEqual(["EGG", "SOCK-R", "SOCK-W"])
  })

  it("re-running the import against the same database changes nothing", async () => {
    const db = path.join(tmpDir(), "k.db")
    const args = replayArgs(round, comments, "--json", "--db", db)
    const first = await runCli(args)
    const second = await runCli(args)
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout))
  })

  it("prints readable tables without --json", async () => {
    const r = await runCli(replayArgs(round, comments, "--db", ":memory:"))
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Orders (5, NT$2,310 in all)")
    expect(r.stdout).toContain("趙六")
    expect(r.stdout).toContain("after-cutoff")
  })

  it("takes an empty .jsonl as no comments, not as a guessed chat export (exit 0)", async () => {
    const dir = tmpDir()
    const empty = path.join(dir, "empty.jsonl")
    fs.writeFileSync(empty, "")
    const r = await runCli(replayArgs(round, empty, "--json", "--db", ":memory:"))
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).orders).toEqual([])
  })

  it("names the file and line of a comment that is not JSON (exit 2)", async () => {
    const dir = tmpDir()
    const bad = path.join(dir, "bad.jsonl")
    fs.writeFileSync(bad, `${fs.readFileSync(comments, "utf8").split("\n")[0]}\n{"id": "c2", "text": oops}\n`)
    const r = await runCli(replayArgs(round, bad, "--format", "jsonl", "--db", ":memory:"))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`${bad} line 2, column`)
    expect(r.stderr).toContain("not JSON")
    expect(r.stderr).not.toContain("oops")
  })

  it("names the file and the problem of a round file with an unknown sku (exit 2)", async () => {
    const dir = tmpDir()
    const badRound = path.join(dir, "round.json")
    const spec = JSON.parse(fs.readFileSync(round, "utf8"))
    spec.products[0].variants[0].options = { 顏色: "紫" }
    fs.writeFileSync(badRound, JSON.stringify(spec))
    const r = await runCli(replayArgs(badRound, comments, "--db", ":memory:"))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(badRound)
    expect(r.stderr).toContain("SOCK-R")
  })

  it("refuses an unknown flag with exit code 2", async () => {
    const r = await runCli(["round", "replay", "--bogus"])
    expect(r.code).toBe(2)
  })

  it("runs as the built binary, as a user runs it", () => {
    const dir = tmpDir()
    const r = runBin(replayArgs(round, comments, "--json", "--db", path.join(dir, "k.db")))
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject(expected)
  })
})

describe("kaituan round replay: chat exports", () => {
  const replay = async (file: string, format?: string) => {
    const args = replayArgs(round, path.join(fixtures, file), "--json", "--db", ":memory:")
    const r = await runCli(format ? [...args, "--format", format] : args)
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout)
  }
  const summary = (out: any) => ({
    orders: out.orders.map((o: any) => [o.buyer.id, o.lines.map((l: any) => `${l.sku}x${l.qty}`).join(",")]),
    review: out.review.map((x: any) => x.text),
    notOrdered: out.notOrdered.map((x: any) => [x.text, x.reason])
  })

  it("reads LINE's export chat history (BOM, CRLF, 上午/下午, quoted multi-line, stickers, the seller's post)", async () => {
    const expected = {
      orders: [
        ["王小明", "SOCK-Rx2"],
        ["林美玲", "SOCK-Wx1"],
        ["張三", "SOCK-Rx1"],
        ["李四", "EGGx2"]
      ],
      review: ["+1 還有嗎?"],
      notOrdered: [["白+1", "after-cutoff"]]
    }
    expect(summary(await replay("socks.line-export.txt", "line-export"))).toEqual(expected)
    expect(summary(await replay("socks.line-export.txt"))).toEqual(expected)
  })

  it("reads a Telegram Desktop result.json", async () => {
    const out = await replay("socks.telegram.json")
    expect(summary(out)).toEqual({
      orders: [
        ["101", "SOCK-Rx2"],
        ["102", "SOCK-Wx1"]
      ],
      review: [],
      notOrdered: [["保溫杯+1", "after-cutoff"]]
    })
    expect(out.orders[0].buyer.name).toBe("王小明")
  })

  it("reads saved Graph API comment pages", async () => {
    expect(summary(await replay("socks.facebook.json", "facebook-comments")).orders).toEqual([
      ["201", "SOCK-Rx2"],
      ["202", "SOCK-Wx1"],
      ["203", "EGGx2"]
    ])
  })

  it("names the file when an export is broken (exit 2)", async () => {
    const dir = tmpDir()
    const bad = path.join(dir, "bad.json")
    fs.writeFileSync(bad, '{"messages": [')
    const r = await runCli(replayArgs(round, bad, "--format", "telegram-export", "--db", ":memory:"))
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(bad)
  })
})

describe("chat exports read local times in the round's time zone", () => {
  it("an old Telegram export (no date_unixtime) is read in the round's zone, like a LINE export", () => {
    const spec = Result.getOrThrow(
      RoundSpec.decode({
        id: "tokyo",
        title: "東京團",
        timezone: "Asia/Tokyo",
        products: [{ sku: "CUP", name: "保溫杯", price: 450 }]
      })
    )
    const old = JSON.stringify({
      id: 1,
      name: "g",
      messages: [{ id: 1, type: "message", date: "2021-03-04T21:00:00", from: "A", from_id: "user1", text: "+1" }]
    })
    const { comments } = importers["telegram-export"]("old.json", old, spec)
    expect(comments.map((c) => c.at)).toEqual(["2021-03-04T12:00:00.000Z"])
  })
})
