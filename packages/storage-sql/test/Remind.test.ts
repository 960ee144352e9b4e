/**
 * The cutoff reminder (`round.remind`, core's `Publish`) on PostgreSQL and SQLite: two workers
 * with their own connection pools over one database claim the job once, and a worker started
 * afterwards (a restart), running the job again as a worker that died before completing it would,
 * queues nothing new: each conversation gets one reminder.
 */
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, RoundSpec, Scheduler, Storage } from "@kaituan/core"
import { Effect, ManagedRuntime, Result } from "effect"
import { groupBuyLayer, storageLayer } from "./procs/common.js"
import { dropPrefixed, pgClient, pgUrl, tempDir, uniquePrefix } from "./support.js"

const listens = [
  { channel: "line", conversation: "C0123456789abcdef0123456789abcdef" },
  { channel: "telegram", conversation: "-1001234567890" }
]

// The reminder is sent only before the cutoff by the clock: a cutoff tomorrow.
const cutoffMs = Date.now() + 86_400_000
const spec = Result.getOrThrow(
  RoundSpec.decode({
    id: "remind-sql",
    title: "蛋黃酥",
    cutoff: new Date(cutoffMs).toISOString(),
    remindBeforeCutoff: "PT10M",
    listens,
    products: [{ sku: "EGG", name: "蛋黃酥", price: 300, stock: 10 }]
  })
)

const worker = (db: string, prefix: string) => ManagedRuntime.make(groupBuyLayer(storageLayer(db, prefix)))

const reminders = (rt: ReturnType<typeof worker>) =>
  rt.runPromise(
    Effect.flatMap(Storage.Storage, (s) => s.claimOutbox({ limit: 100, leaseMs: 1 })).pipe(
      Effect.map((entries) => entries.filter((e) => e.message.kind === "cutoff-reminder").map((e) => e.message))
    )
  )

const scenario = async (db: string, prefix: string) => {
  const a = worker(db, prefix)
  const b = worker(db, prefix)
  try {
    await a.runPromise(Effect.flatMap(GroupBuy.GroupBuy, (g) => g.openRound({ spec })))
    const now = new Date(cutoffMs - 600_000).toISOString()
    const [ra, rb] = await Promise.all([
      a.runPromise(Scheduler.runDue({ now })),
      b.runPromise(Scheduler.runDue({ now }))
    ])
    expect(ra.done + rb.done).toBe(1)
    expect(ra.claimed + rb.claimed).toBe(1)
    const restarted = worker(db, prefix)
    try {
      const job = (await restarted.runPromise(Effect.flatMap(Storage.Storage, (s) => s.jobs({})))).find(
        (j) => j.id === "remind:remind-sql"
      )
      expect(job).toMatchObject({ status: "done", kind: "round.remind" })
      await restarted.runPromise(Scheduler.roundRemind({ ...job!, attempts: 2, claim: "dead-worker" }))
      expect(
        (await restarted.runPromise(Scheduler.runDue({ now: new Date(cutoffMs - 300_000).toISOString() }))).claimed
      ).toBe(0)
      const sent = await reminders(restarted)
      expect(sent.map((m) => m.to.threadId).sort()).toEqual(listens.map((l) => l.conversation).sort())
    } finally {
      await restarted.dispose()
    }
  } finally {
    await a.dispose()
    await b.dispose()
  }
}

describe("round.remind on SQL storage", () => {
  it("PostgreSQL: once across two workers and a restart", async () => {
    const prefix = uniquePrefix("rm")
    try {
      await scenario(pgUrl, prefix)
    } finally {
      await Effect.runPromise(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1))))
    }
  }, 60_000)

  it("SQLite: once across two workers and a restart", async () => {
    await scenario(path.join(tempDir(), "kaituan.db"), uniquePrefix("rm"))
  }, 60_000)
})
