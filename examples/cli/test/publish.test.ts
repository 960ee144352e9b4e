import path from "node:path"
import { GroupBuy, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { describe, expect, it } from "vitest"
import { runApp } from "../src/Engine.js"
import { runCli, tmpDir } from "./support.js"

const listens = [
  { channel: "line", conversation: "C0123456789abcdef0123456789abcdef" },
  { channel: "facebook", conversation: "104000000000001_900000000000001" }
]

const open = (db: string, id: string, extra: Record<string, unknown> = {}) =>
  runApp(
    db,
    Effect.flatMap(GroupBuy.GroupBuy, (g) =>
      g.openRound({
        spec: Result.getOrThrow(
          RoundSpec.decode({
            id,
            title: "韓國毛襪",
            cutoff: new Date(Date.now() + 86_400_000).toISOString(),
            products: [
              {
                sku: "SOCK",
                name: "韓國毛襪",
                aliases: ["毛襪"],
                price: 120,
                options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
                variants: [
                  { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 20 },
                  { sku: "SOCK-W", options: { 顏色: "白" }, stock: 20, price: 130 }
                ]
              },
              { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 200 }
            ],
            ...extra
          })
        )
      })
    )
  )

describe("kaituan round publish", () => {
  it("queues the announcement to each conversation once, prints it; --json; 2 for an unknown or closed round", async () => {
    const db = path.join(tmpDir(), "k.db")
    await open(db, "socks", { listens })
    const first = await runCli(["round", "publish", "--db", db, "--round", "socks"])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain("📣 開團：韓國毛襪")
    expect(first.stdout).toContain("・韓國毛襪 白　NT$130　現貨剩 20")
    expect(first.stdout).toContain("・蛋黃酥　NT$300　預購，上限剩 200")
    expect(first.stdout).toContain("紅+1\n蛋黃酥+2")
    expect(first.stdout).toContain("Queued for 2 conversation(s)")
    const again = await runCli(["round", "publish", "--db", db, "--round", "socks", "--json"])
    expect(again.code).toBe(0)
    const json = JSON.parse(again.stdout)
    expect(json).toMatchObject({ roundId: "socks", status: "duplicate", examples: ["紅+1", "蛋黃酥+2"] })
    expect(json.messages.map((m: { conversation: string }) => m.conversation)).toEqual(
      listens.map((l) => l.conversation)
    )
    const queued = await runApp(
      db,
      Effect.flatMap(Storage.Storage, (s) => s.claimOutbox({ limit: 100, leaseMs: 0 }))
    )
    expect(queued.filter((e) => e.message.kind === "round-announcement").map((e) => e.message.to.threadId)).toEqual(
      listens.map((l) => l.conversation)
    )

    const unknown = await runCli(["round", "publish", "--db", db, "--round", "nope"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no round "nope"')
    await runApp(
      db,
      Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks" }))
    )
    const closed = await runCli(["round", "publish", "--db", db, "--round", "socks"])
    expect(closed.code).toBe(2)
    expect(closed.stderr).toContain("only an open round is published")
    expect((await runCli(["round", "publish", "--db", db])).code).toBe(2)
  })

  it("says so when the round listens to no conversation", async () => {
    const db = path.join(tmpDir(), "k.db")
    await open(db, "quiet")
    const r = await runCli(["round", "publish", "--db", db, "--round", "quiet"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("Not queued: the round listens to no conversation.")
  })

  it("answers --help, and the command list names it", async () => {
    const r = await runCli(["round", "publish", "--help"])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("kaituan round publish --round ID")
    expect((await runCli(["--help"])).stdout).toContain("kaituan round publish --round ID")
    expect((await runCli(["round", "publsh"])).stderr).toContain('(did you mean "kaituan round publish"?)')
  })
})
