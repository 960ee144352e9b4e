/**
 * `kaituan reconcile --db DB --round ID --statement FILE`, end to end with the built CLI: a round
 * written by `round replay --db`, closed, then a statement applied to it; the orders become paid,
 * and running it again changes nothing.
 */
import fs from "node:fs"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { appLayer } from "../src/Engine.js"
import { fixtures, runBin, tmpDir } from "./support.js"

const roundId = "socks-2024-05"

/** A CTBC-style statement for the socks round: 王小明 (120) and 趙六 (1,350) name themselves; 600 names nobody. */
const statement = [
  "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
  '2024/05/11,轉帳存入,,"120","1,120",王小明,822-*********11111,',
  '2024/05/11,轉帳存入,,"1,350","2,470",趙六 保溫杯,700-*********54321,',
  '2024/05/12,ATM轉入,,"600","3,070",,812-*********22222,',
  '2024/05/12,網銀轉出,"100",,"2,970",貨款,013-*********89012,'
].join("\n")

const onDb = <A, E>(db: string, program: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(program, appLayer(db))))

/** Each order of the round with its status and the amount paid, by buyer name. */
const ordersIn = (db: string) =>
  onDb(
    db,
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      const orders = yield* storage.orders({ roundId })
      return Object.fromEntries(orders.map((o) => [o.buyer.name ?? o.buyerId, { status: o.status, paid: o.paid }]))
    })
  )

const replay = (dir: string, json = false) =>
  runBin(
    [
      "round",
      "replay",
      "--db",
      "shop.db",
      "--round",
      path.join(fixtures, "socks.round.json"),
      "--comments",
      path.join(fixtures, "socks.comments.jsonl"),
      ...(json ? ["--json"] : [])
    ],
    { cwd: dir }
  )

describe("kaituan reconcile --db", () => {
  it("applies a statement to the round in the database; running it again changes nothing", async () => {
    const dir = tmpDir()
    const db = path.join(dir, "shop.db")
    expect(replay(dir).code).toBe(0)
    // `round replay` leaves the round open; the cutoff closes it and the orders await payment.
    await onDb(
      db,
      Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId, at: "2024-05-10T22:00:00+08:00" }))
    )
    fs.writeFileSync(path.join(dir, "statement.csv"), statement)
    const args = ["reconcile", "--db", "shop.db", "--round", roundId, "--statement", "statement.csv"]

    const first = runBin([...args, "--json"], { cwd: dir })
    expect(first.stderr).toBe("")
    expect(first.code).toBe(0)
    const out = JSON.parse(first.stdout)
    expect(out).toMatchObject({ roundId, layout: "ctbc", applied: 2, appliedAmount: 1470 })
    const statuses = Object.fromEntries(
      out.transactions.map((t: { amount: number; status: string }) => [t.amount, t.status])
    )
    expect(statuses).toEqual({ 120: "matched", 1350: "matched", 600: "review", [-100]: "ignored" })
    const review = out.transactions.find((t: { amount: number }) => t.amount === 600)
    expect(review.candidates.length).toBeGreaterThan(0)
    expect(review.explanation.length).toBeGreaterThan(0)

    const paid = await ordersIn(db)
    expect(paid.王小明).toEqual({ status: "paid", paid: 120 })
    expect(paid.趙六).toEqual({ status: "paid", paid: 1350 })
    expect(paid.錢七).toEqual({ status: "awaiting-payment", paid: 0 })
    // A later `round replay` reports them paid.
    const report = JSON.parse(replay(dir, true).stdout)
    const status = Object.fromEntries(
      report.orders.map((o: { buyer: { name: string }; status: string }) => [o.buyer.name, o.status])
    )
    expect(status.王小明).toBe("paid")
    expect(status.趙六).toBe("paid")

    const again = runBin(args, { cwd: dir })
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`round ${roundId}: applied 0 payments (NT$0)`)
    expect(again.stdout).toContain("was applied before; nothing changes")
    expect(await ordersIn(db)).toEqual(paid)
  })

  it("runs the documented fixture statement (nothing of it fits the round) and refuses bad use with exit 2", async () => {
    const dir = tmpDir()
    expect(replay(dir).code).toBe(0)
    const fixture = path.join(fixtures, "statement.csv")
    const r = runBin(["reconcile", "--db", "shop.db", "--round", roundId, "--statement", fixture], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("applied 0 payments")
    expect(r.stdout).toContain("unmatched")

    const unknown = runBin(["reconcile", "--db", "shop.db", "--round", "nope", "--statement", fixture], { cwd: dir })
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('round "nope"')
    const both = runBin(
      ["reconcile", "--db", "shop.db", "--round", roundId, "--orders", "o.json", "--statement", fixture],
      { cwd: dir }
    )
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("not both")
    const noRound = runBin(["reconcile", "--db", "shop.db", "--statement", fixture], { cwd: dir })
    expect(noRound.code).toBe(2)
    expect(noRound.stderr).toContain("--round ID is required")
  })
})
