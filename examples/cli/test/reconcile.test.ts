import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { run } from "../src/commands/reconcile.js"
import { UsageError } from "../src/Io.js"
import { runIo } from "./support.js"

const statements = path.resolve(__dirname, "../../../packages/reconcile/test/fixtures")
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-reconcile-"))
const write = (name: string, content: string) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, content)
  return p
}

const orders = write(
  "orders.json",
  JSON.stringify([
    { orderId: "o1", buyer: { id: "U1", name: "王小明" }, amountDue: 1950, placedAt: "2024-04-01T10:05:00+08:00" },
    {
      orderId: "o2",
      buyer: { id: "U2", name: "陳大華" },
      amountDue: 1300,
      last5: "45678",
      placedAt: "2024-04-01T10:05:00+08:00"
    },
    { orderId: "o3", buyer: { id: "U3", name: "林美美" }, amountDue: 650, placedAt: "2024-04-01T10:05:00+08:00" },
    { orderId: "o4", buyer: { id: "U4", name: "阿強" }, amountDue: 480, placedAt: "2024-04-01T10:05:00+08:00" }
  ])
)

const exec = (argv: ReadonlyArray<string>) => runIo(run, argv, { cwd: dir, env: {} })

const usageError = async (argv: ReadonlyArray<string>): Promise<UsageError> => {
  try {
    await exec(argv)
  } catch (e) {
    if (e instanceof UsageError) return e
    throw e
  }
  throw new Error("expected a UsageError")
}

describe("kaituan reconcile", () => {
  it.each(["cathay", "ctbc", "post"])("prints CLI.md's JSON for the %s statement", async (bank) => {
    const r = await exec(["--orders", orders, "--statement", path.join(statements, `example-${bank}.csv`), "--json"])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe("")
    const json = JSON.parse(r.stdout)
    const byAmount = (a: number) => json.transactions.find((t: { amount: number }) => t.amount === a)
    expect(byAmount(1300)).toMatchObject({
      last5: "45678",
      status: "matched",
      orderIds: ["o2"],
      reason: "exact-amount-and-identity"
    })
    expect(byAmount(1950)).toMatchObject({ memo: "王小明 芒果3箱", status: "matched", orderIds: ["o1"] })
    expect(byAmount(650)).toMatchObject({ status: "review", orderIds: ["o3"], reason: "amount-fits-no-identity" })
    expect(byAmount(-1000)).toMatchObject({ status: "ignored", orderIds: [], reason: "money-out" })
    for (const t of json.transactions)
      expect(Object.keys(t)).toEqual(
        expect.arrayContaining(["row", "date", "amount", "memo", "status", "orderIds", "reason"])
      )
    expect(json.orders).toEqual([
      { orderId: "o1", status: "paid", due: 1950, paid: 1950 },
      { orderId: "o2", status: "paid", due: 1300, paid: 1300 },
      { orderId: "o3", status: "unpaid", due: 650, paid: 0 },
      { orderId: "o4", status: "unpaid", due: 480, paid: 0 }
    ])
  })

  it("gives the file's own line numbers as rows", async () => {
    const r = await exec(["--orders", orders, "--statement", path.join(statements, "example-cathay.csv"), "--json"])
    expect(JSON.parse(r.stdout).transactions.map((t: { row: number }) => t.row)).toEqual([5, 6, 7, 8])
  })

  it("prints readable tables without --json", async () => {
    const r = await exec([
      "--orders",
      orders,
      "--statement",
      path.join(statements, "example-post.csv"),
      "--format",
      "post"
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("post layout")
    expect(r.stdout).toContain("matched 2 (NT$3,250), review 1, unmatched 0, ignored 1")
    expect(r.stdout).toMatch(/o3\s+林美美\s+650\s+0\s+unpaid/)
  })

  it("reports unreadable rows on stderr with their line numbers and imports the rest", async () => {
    const statement = write(
      "broken.csv",
      "日期,摘要,支出,存入,餘額,備註,轉出入帳號\n2024/04/02,轉入,,480,100,阿強,\n2024/04/31,轉入,,650,100,,\n2024/04/03,轉入,,abc,100,,\n"
    )
    const r = await exec(["--orders", orders, "--statement", statement, "--json"])
    expect(r.code).toBe(0)
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      expect.stringMatching(/broken\.csv:3: skipped, "2024\/04\/31" is not a valid date/),
      expect.stringMatching(/broken\.csv:4: skipped, money in: "abc" is not an amount/)
    ])
    expect(JSON.parse(r.stdout).transactions).toMatchObject([{ row: 2, status: "matched", orderIds: ["o4"] }])
  })

  it("refuses bad input with exit status 2, naming the file, the place and the problem", async () => {
    const stmt = path.join(statements, "example-ctbc.csv")
    const e1 = await usageError([
      "--orders",
      write("bad.json", '[\n  {"orderId": "o1",\n   "buyer": }\n]'),
      "--statement",
      stmt
    ])
    expect(e1.exitCode).toBe(2)
    expect(e1.message).toMatch(/bad\.json: line 3, column 13: not valid JSON/)
    const e2 = await usageError([
      "--orders",
      write("bad2.json", '[{"orderId": "o9", "buyer": {"id": "U"}, "amountDue": "1300"}]'),
      "--statement",
      stmt
    ])
    expect(e2.message).toMatch(/bad2\.json: order 1 \(orderId "o9"\): amountDue: Expected number/)
    const e3 = await usageError(["--orders", orders, "--statement", write("nohead.csv", "a,b\n1,2\n")])
    expect(e3.message).toMatch(/nohead\.csv: no header row/)
    const e4 = await usageError(["--orders", orders, "--statement", stmt, "--format", "esun"])
    expect(e4.message).toContain('unknown --format "esun"')
    const e5 = await usageError(["--orders", orders])
    expect(e5.message).toContain("--statement FILE is required")
    const e6 = await usageError(["--orders", orders, "--statement", path.join(dir, "missing.csv")])
    expect(e6.message).toMatch(/missing\.csv: .*no such file/)
    const dup = JSON.stringify([
      { orderId: "o1", buyer: { id: "U" }, amountDue: 1 },
      { orderId: "o1", buyer: { id: "U" }, amountDue: 2 }
    ])
    const e7 = await usageError(["--orders", write("dup.json", dup), "--statement", stmt])
    expect(e7.message).toMatch(/dup\.json: order 2 \(orderId "o1"\): the orderId appears twice/)
  })
})
