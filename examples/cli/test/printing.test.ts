/**
 * `kaituan slips` and `kaituan picklist`, end to end with the built CLI on a SQLite file: a round
 * replayed from comments, its slips (A4 and thermal, all orders and picked ones) and its pick list
 * written as PDFs and read back with pdftotext; unknown rounds and orders exit 2 and leave no file.
 */
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { runBin, tmpDir } from "./support.js"

const round = {
  id: "mango",
  title: "愛文芒果團",
  sellers: ["團主小美"],
  products: [
    { sku: "MANGO", name: "芒果禮盒", price: 680 },
    { sku: "EGG", name: "蛋黃酥", price: 300 },
    { sku: "NOTE", name: "简体字笔记本", price: 120, aliases: ["笔记本"] }
  ]
}

const comments = [
  { id: "c1", author: { id: "U1", name: "王小明" }, text: "芒果禮盒+2 蛋黃酥+1", at: "2024-06-01T10:00:00+08:00" },
  { id: "c2", author: { id: "U2", name: "陈小华" }, text: "笔记本+3", at: "2024-06-01T10:01:00+08:00" }
]

const text = (file: string) => execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" })

describe("slips and picklist", () => {
  let dir = ""
  let orderIds: Array<string> = []
  beforeAll(() => {
    dir = tmpDir()
    fs.writeFileSync(path.join(dir, "round.json"), JSON.stringify(round))
    fs.writeFileSync(path.join(dir, "comments.jsonl"), comments.map((c) => JSON.stringify(c)).join("\n"))
    const replay = runBin(
      ["round", "replay", "--round", "round.json", "--comments", "comments.jsonl", "--db", "k.db", "--json"],
      { cwd: dir }
    )
    expect(replay.code).toBe(0)
    orderIds = JSON.parse(replay.stdout).orders.map((o: { orderId: string }) => o.orderId)
  })

  it("prints every order's slip on A4 and on an 80 mm roll", () => {
    const a4 = runBin(["slips", "--db", "k.db", "--round", "mango", "--out", "slips.pdf"], { cwd: dir })
    expect(a4.code, a4.stderr).toBe(0)
    expect(a4.stderr).toMatch(/^kaituan: wrote slips\.pdf \(format a4, [\d,]+ bytes\)\n$/)
    const t = text(path.join(dir, "slips.pdf"))
    for (const w of ["王小明", "陈小华", "芒果禮盒", "简体字笔记本", "團主小美", "未付 NT$1,660", ...orderIds])
      expect(t).toContain(w)
    expect(fs.existsSync(path.join(dir, "slips.pdf.partial"))).toBe(false)

    const thermal = runBin(
      ["slips", "--db", "k.db", "--round", "mango", "--format", "thermal", "--orders", orderIds[1]!, "--out", "t.pdf"],
      { cwd: dir }
    )
    expect(thermal.code, thermal.stderr).toBe(0)
    const pages = text(path.join(dir, "t.pdf")).split("\f").slice(0, -1)
    expect(pages).toHaveLength(1)
    expect(pages[0]).toContain("陈小华")
    expect(pages[0]).not.toContain("王小明")
  })

  it("prints the pick list per SKU and per delivery method", () => {
    const r = runBin(["picklist", "--db", "k.db", "--round", "mango", "--out", "pick.pdf"], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    const t = text(path.join(dir, "pick.pdf"))
    expect(t).toMatch(/MANGO\s+芒果禮盒\s+2\s+0\s+2\s+1/)
    expect(t).toMatch(/NOTE\s+简体字笔记本\s+3\s+0\s+3\s+1/)
    const byPickup = runBin(["picklist", "--db", "k.db", "--round", "mango", "--by", "pickup", "--out", "p.pdf"], {
      cwd: dir
    })
    expect(byPickup.code).toBe(0)
    expect(text(path.join(dir, "p.pdf"))).toContain("尚未出貨")
  })

  it("exits 2 on an unknown round, order, status or format, leaving no file", () => {
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["slips", "--round", "nope"], 'kaituan: slips: round "nope" is not in the database k.db\n'],
      [["slips", "--round", "mango", "--orders", "o_x"], 'kaituan: slips: not orders of round "mango": o_x\n'],
      [
        ["slips", "--round", "mango", "--status", "posted"],
        'kaituan: slips: unknown --status "posted" (one of open, awaiting-payment, paid, partly-shipped, shipped, completed, cancelled, refunded)\n'
      ],
      [["slips", "--round", "mango", "--format", "a5"], 'kaituan: slips: unknown --format "a5" (one of a4, thermal)\n'],
      [
        ["picklist", "--round", "mango", "--by", "buyer"],
        'kaituan: picklist: unknown --by "buyer" (one of sku, pickup)\n'
      ]
    ]
    for (const [args, stderr] of cases) {
      const r = runBin([...args, "--db", "k.db", "--out", "bad.pdf"], { cwd: dir })
      expect(r.stderr).toBe(stderr)
      expect(r.code).toBe(2)
      expect(fs.existsSync(path.join(dir, "bad.pdf"))).toBe(false)
      expect(fs.existsSync(path.join(dir, "bad.pdf.partial"))).toBe(false)
    }
    const noOut = runBin(["slips", "--db", "k.db", "--round", "mango"], { cwd: dir })
    expect(noOut.stderr).toBe("kaituan: slips: --out FILE.pdf is required\n")
  })
})
