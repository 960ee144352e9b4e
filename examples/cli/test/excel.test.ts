/**
 * `kaituan round import FILE.xlsx` and `kaituan export`, end to end with the built CLI: the
 * catalogue template imported (round file and database), comments replayed into the round, the
 * round exported as xlsx (read back with exceljs) and as CSV (read back with its BOM); bad cells
 * exit 2 naming sheet and cell.
 */
import fs from "node:fs"
import path from "node:path"
import { Catalogue } from "@kaituan/documents"
import { Effect } from "effect"
import ExcelJS from "exceljs"
import { beforeAll, describe, expect, it } from "vitest"
import { runBin, tmpDir } from "./support.js"

const roundId = "socks-2024-05"

/** A workbook of these rows on a sheet named 商品. */
const workbook = async (rows: ReadonlyArray<ReadonlyArray<unknown>>): Promise<Buffer> => {
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet("商品")
  for (const r of rows) ws.addRow([...r])
  return Buffer.from(await wb.xlsx.writeBuffer())
}

const comments = [
  { id: "c1", author: { id: "U1", name: "王小明" }, text: "紅+2", at: "2024-05-01T10:00:00+08:00" },
  {
    id: "c2",
    author: { id: "U2", name: "=cmd|' /C calc'!A0" },
    text: "白+1 保溫杯+1",
    at: "2024-05-01T10:05:00+08:00"
  },
  { id: "c3", author: { id: "U3", name: "林小姐" }, text: "蛋黃酥+3", at: "2024-05-01T10:07:00+08:00" },
  { id: "c4", author: { id: "U4", name: "陳" }, text: "黑色L號 +1", at: "2024-05-01T10:09:00+08:00" }
]

describe("round import and export", () => {
  let dir = ""
  beforeAll(async () => {
    dir = tmpDir()
    fs.writeFileSync(path.join(dir, "catalogue.xlsx"), await Effect.runPromise(Catalogue.template()))
    fs.writeFileSync(path.join(dir, "comments.jsonl"), comments.map((c) => JSON.stringify(c)).join("\n"))
  })

  it("imports the template as a round file, opens it in a database, and exports what the comments ordered", async () => {
    const imported = runBin(["round", "import", "catalogue.xlsx", "--out", "round.json"], { cwd: dir })
    expect(imported.stderr).toBe("kaituan: warning: catalogue.xlsx: 商品!I1: the column 備註 is not read\n")
    expect(imported.code).toBe(0)
    expect(imported.stdout).toBe(
      "wrote round.json: 韓國毛襪 (socks-2024-05): 4 products, 8 SKUs, cutoff 2024-05-10T22:00:00+08:00\n"
    )
    const file = JSON.parse(fs.readFileSync(path.join(dir, "round.json"), "utf8"))
    expect(file.products.map((p: { sku: string }) => p.sku)).toEqual(["SOCK", "EGG", "CUP", "P4"])

    // The round file replays the comments into the database (the round opens at the first comment).
    const replay = runBin(
      ["round", "replay", "--round", "round.json", "--comments", "comments.jsonl", "--db", "k.db", "--json"],
      { cwd: dir }
    )
    expect(replay.stderr).toBe("")
    expect(replay.code).toBe(0)
    expect(JSON.parse(replay.stdout).orders).toHaveLength(4)
    // Importing into that database again leaves the round alone and says so.
    const again = runBin(["round", "import", "catalogue.xlsx", "--db", "k.db"], { cwd: dir })
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/^round socks-2024-05 is already in the database: not changed/)

    const xlsx = runBin(["export", "--db", "k.db", "--round", roundId, "--format", "xlsx", "--out", "out/round.xlsx"], {
      cwd: dir
    })
    // No such folder: the file cannot be written.
    expect(xlsx.code).toBe(2)
    fs.mkdirSync(path.join(dir, "out"))
    const written = runBin(["export", "--db", "k.db", "--round", roundId, "--out", "out/round.xlsx"], { cwd: dir })
    expect(written.code).toBe(0)
    expect(written.stderr).toMatch(/^kaituan: wrote out\/round.xlsx \(sheets 訂單, 明細, 付款, 出貨, [\d,]+ bytes\)\n$/)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.readFile(path.join(dir, "out/round.xlsx"))
    expect(wb.worksheets.map((w) => w.name)).toEqual(["訂單", "明細", "付款", "出貨"])
    const values = (sheet: string) => {
      const ws = wb.getWorksheet(sheet)!
      return Array.from({ length: ws.rowCount }, (_, i) =>
        Array.from({ length: ws.columnCount }, (_, c) => ws.getCell(i + 1, c + 1).value ?? null)
      )
    }
    const lines = values("明細")
    expect(lines[0]).toEqual([
      "訂單編號",
      "買家",
      "買家編號",
      "下單時間",
      "狀態",
      "商品編號",
      "品名",
      "數量",
      "單價",
      "小計",
      "已出貨",
      "未出貨"
    ])
    expect(lines.slice(1).map((r) => [r[1], r[4], r[5], r[6], r[7], r[8], r[9]])).toEqual([
      ["王小明", "收單中", "SOCK-R", "韓國毛襪 紅", 2, 120, 240],
      ["=cmd|' /C calc'!A0", "收單中", "SOCK-W", "韓國毛襪 白", 1, 130, 130],
      ["=cmd|' /C calc'!A0", "收單中", "CUP", "保溫杯", 1, 450, 450],
      ["林小姐", "收單中", "EGG", "蛋黃酥", 3, 300, 900],
      ["陳", "收單中", "P4-黑-L", "帆布袋 黑 L", 1, 250, 250]
    ])
    // A Taipei wall clock in a date cell: 10:00 at +08:00.
    expect((lines[1]![3] as Date).toISOString()).toBe("2024-05-01T10:00:00.000Z")
    expect(wb.getWorksheet("明細")!.getCell("I2").numFmt).toBe('"NT$"#,##0')
    const orders = values("訂單")
    expect(orders.slice(1).map((r) => [r[3], r[7], r[9]])).toEqual([
      ["王小明", 240, 240],
      ["=cmd|' /C calc'!A0", 580, 580],
      ["林小姐", 900, 900],
      ["陳", 250, 250]
    ])
    expect(values("付款")).toHaveLength(1)
    expect(values("出貨")).toHaveLength(1)

    const csv = runBin(["export", "--db", "k.db", "--round", roundId, "--format", "csv"], { cwd: dir })
    expect(csv.code).toBe(0)
    expect(csv.stdout.charCodeAt(0)).toBe(0xfeff)
    const rows = csv.stdout.slice(1).split("\r\n")
    expect(rows[0]).toBe("訂單編號,買家,買家編號,下單時間,狀態,商品編號,品名,數量,單價,小計,已出貨,未出貨")
    expect(rows.slice(1, -1).map((r) => r.split(",").slice(1))).toEqual([
      ["王小明", "jsonl:U1", "2024-05-01 10:00", "收單中", "SOCK-R", "韓國毛襪 紅", "2", "120", "240", "0", "2"],
      [
        "'=cmd|' /C calc'!A0",
        "jsonl:U2",
        "2024-05-01 10:05",
        "收單中",
        "SOCK-W",
        "韓國毛襪 白",
        "1",
        "130",
        "130",
        "0",
        "1"
      ],
      ["'=cmd|' /C calc'!A0", "jsonl:U2", "2024-05-01 10:05", "收單中", "CUP", "保溫杯", "1", "450", "450", "0", "1"],
      ["林小姐", "jsonl:U3", "2024-05-01 10:07", "收單中", "EGG", "蛋黃酥", "3", "300", "900", "0", "3"],
      ["陳", "jsonl:U4", "2024-05-01 10:09", "收單中", "P4-黑-L", "帆布袋 黑 L", "1", "250", "250", "0", "1"]
    ])
    const orderCsv = runBin(
      ["export", "--db", "k.db", "--round", roundId, "--table", "orders", "--out", "orders.csv"],
      { cwd: dir }
    )
    expect(orderCsv.code).toBe(0)
    const bytes = fs.readFileSync(path.join(dir, "orders.csv"))
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(bytes.toString("utf8").split("\r\n")).toHaveLength(1 + 4 + 1)
  })

  it("opens the round in a fresh database with --db", async () => {
    const opened = runBin(["round", "import", "catalogue.xlsx", "--db", "fresh.db"], { cwd: dir })
    expect(opened.code).toBe(0)
    expect(opened.stdout).toBe(
      "opened 韓國毛襪 (socks-2024-05): 4 products, 8 SKUs, cutoff 2024-05-10T22:00:00+08:00\n"
    )
    const csv = runBin(["export", "--db", "fresh.db", "--round", roundId, "--format", "csv", "--table", "orders"], {
      cwd: dir
    })
    expect(csv.code).toBe(0)
    expect(csv.stdout).toBe(
      `\uFEFF訂單編號,狀態,狀態代碼,買家,買家編號,下單時間,件數,訂單金額,已付,未付,已出貨件數,付款編號,出貨編號,更新時間\r\n`
    )
  })

  it("writes the round file to standard output without --out or --db", async () => {
    const r = runBin(["round", "import", "catalogue.xlsx"], { cwd: dir })
    expect(r.code).toBe(0)
    const file = JSON.parse(r.stdout)
    expect(file).toMatchObject({ id: roundId, title: "韓國毛襪", cutoff: "2024-05-10T22:00:00+08:00" })
    // The round file reads back through the strict round-file reader (replay) unchanged.
    fs.writeFileSync(path.join(dir, "stdout.json"), r.stdout)
    const replay = runBin(
      ["round", "replay", "--round", "stdout.json", "--comments", "comments.jsonl", "--db", ":memory:", "--json"],
      { cwd: dir }
    )
    expect(replay.code).toBe(0)
  })

  it("exits 2 naming the sheet and cell of every bad cell, the file, or the round", async () => {
    fs.writeFileSync(
      path.join(dir, "bad.xlsx"),
      await workbook([
        ["品名", "規格", "價格", "庫存"],
        ["毛襪", "顏色:紅/白", 120, 20],
        ["杯子", "", 450, "很多"],
        ["芒果", "", "一百", ""]
      ])
    )
    const bad = runBin(["round", "import", "bad.xlsx", "--out", "never.json"], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe(
      'kaituan: bad.xlsx: 商品!D3: 庫存 "很多" is not a number\nkaituan: bad.xlsx: 商品!C4: 價格 "一百" is not a number\n'
    )
    expect(fs.existsSync(path.join(dir, "never.json"))).toBe(false)
    fs.writeFileSync(path.join(dir, "notes.xlsx"), "品名,價格\n")
    const notXlsx = runBin(["round", "import", "notes.xlsx"], { cwd: dir })
    expect(notXlsx.code).toBe(2)
    expect(notXlsx.stderr).toMatch(/^kaituan: notes.xlsx: not an xlsx workbook/)
    const missing = runBin(["round", "import", "nope.xlsx"], { cwd: dir })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe("kaituan: cannot read the workbook nope.xlsx: no such file\n")
    const unknown = runBin(["export", "--db", "k.db", "--round", "nope", "--format", "csv"], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe('kaituan: export: round "nope" is not in the database k.db\n')
    const noFormat = runBin(["export", "--db", "k.db", "--round", roundId], { cwd: dir })
    expect(noFormat.code).toBe(2)
    expect(noFormat.stderr).toBe("kaituan: export: --format xlsx|csv is required\n")
  })
})
