/**
 * The payment deadline (`round.payment-reminder`, `round.payment-deadline`; core's
 * `PaymentDeadlines`) on PostgreSQL and SQLite: two workers with their own connection pools over
 * one database run each job once, and a worker started afterwards (a restart), running the jobs
 * again as a worker that died before completing them would, changes nothing: one reminder per
 * unpaid buyer, one cancel of the unpaid order, and the order paid before the deadline kept.
 */
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, RoundSpec, Scheduler, Storage } from "@kaituan/core"
import { Effect, ManagedRuntime, Result } from "effect"
import { groupBuyLayer, storageLayer } from "./procs/common.js"
import { dropPrefixed, pgClient, pgUrl, tempDir, uniquePrefix } from "./support.js"

const spec = Result.getOrThrow(
  RoundSpec.decode({
    id: "pay-sql",
    title: "蛋黃酥",
    payWithin: "PT2H",
    unpaid: "cancel",
    products: [{ sku: "EGG", name: "蛋黃酥", price: 300, stock: 10 }]
  })
)
const closedAt = "2024-05-10T14:00:00.000Z"
const reminderAt = "2024-05-10T15:00:00.000Z"
const deadline = "2024-05-10T16:00:00.000Z"

const worker = (db: string, prefix: string) => ManagedRuntime.make(groupBuyLayer(storageLayer(db, prefix)))

const comment = (id: string, user: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: user, name: user },
  text,
  at: "2024-05-10T12:00:00.000Z"
})

const scenario = async (db: string, prefix: string) => {
  const a = worker(db, prefix)
  const b = worker(db, prefix)
  try {
    const orders = await a.runPromise(
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* g.openRound({ spec, at: "2024-05-10T10:00:00.000Z" })
        yield* g.submitComments({
          roundId: "pay-sql",
          comments: [comment("c1", "u1", "+1"), comment("c2", "u2", "+2")]
        })
        return yield* g.closeRound({ roundId: "pay-sql", at: closedAt })
      })
    )
    const unpaid = orders.find((o) => o.buyer.id === "u1")!.orderId
    const paid = orders.find((o) => o.buyer.id === "u2")!.orderId
    for (const now of [reminderAt, deadline]) {
      if (now === deadline)
        // Paid before the deadline: never cancelled.
        await a.runPromise(
          Effect.flatMap(GroupBuy.GroupBuy, (g) =>
            g.recordPayment({
              transactionId: "row-1",
              source: "statement",
              amount: 600,
              at: "2024-05-10T15:30:00.000Z",
              orderIds: [paid],
              evidence: "test"
            })
          )
        )
      const [ra, rb] = await Promise.all([
        a.runPromise(Scheduler.runDue({ now })),
        b.runPromise(Scheduler.runDue({ now }))
      ])
      expect(ra.done + rb.done).toBe(1)
    }
    const restarted = worker(db, prefix)
    try {
      const jobs = (await restarted.runPromise(Effect.flatMap(Storage.Storage, (s) => s.jobs({})))).filter((j) =>
        j.kind.startsWith("round.payment")
      )
      expect(jobs.map((j) => j.status)).toEqual(["done", "done"])
      for (const job of jobs)
        await restarted.runPromise(
          Scheduler.builtIn[job.kind as "round.payment-deadline"]({ ...job, attempts: 2, claim: "dead" })
        )
      const status = await restarted.runPromise(
        Effect.flatMap(Storage.Storage, (s) => s.orders({ roundId: "pay-sql" }))
      )
      expect(Object.fromEntries(status.map((o) => [o.orderId, o.status]))).toEqual({
        [unpaid]: "cancelled",
        [paid]: "paid"
      })
      const sent = await restarted.runPromise(
        Effect.flatMap(Storage.Storage, (s) => s.claimOutbox({ limit: 100, leaseMs: 1 }))
      )
      const ids = sent.map((e) => e.message.id).filter((id) => !id.endsWith(":payment-due") && id.startsWith("order:"))
      // Both were unpaid at the reminder; only the unpaid one is cancelled at the deadline.
      expect(ids.sort()).toEqual(
        [`order:${unpaid}:cancelled`, `order:${unpaid}:payment-reminder`, `order:${paid}:payment-reminder`].sort()
      )
      expect(sent.filter((e) => e.message.kind === "order-cancelled").length).toBe(1)
    } finally {
      await restarted.dispose()
    }
  } finally {
    await a.dispose()
    await b.dispose()
  }
}

describe("payment deadlines on SQL storage", () => {
  it("PostgreSQL: each job once across two workers and a restart", async () => {
    const prefix = uniquePrefix("pd")
    try {
      await scenario(pgUrl, prefix)
    } finally {
      await Effect.runPromise(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1))))
    }
  }, 60_000)

  it("SQLite: each job once across two workers and a restart", async () => {
    await scenario(path.join(tempDir(), "kaituan.db"), uniquePrefix("pd"))
  }, 60_000)
})
