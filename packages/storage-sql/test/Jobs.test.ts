import { describe, expect, it } from "@effect/vitest"
import type { Storage } from "@kaituan/core"
import { Storage as StorageTag } from "@kaituan/core"
import { Effect } from "effect"
import { storageLayer } from "./procs/common.js"
import { type Proc, run, succeed } from "./procSupport.js"
import { dropPrefixed, pgClient, pgUrl, uniquePrefix } from "./support.js"

const withStorage = <A, E>(prefix: string, f: (s: Storage.StorageService) => Effect.Effect<A, E>) =>
  Effect.runPromise(Effect.flatMap(StorageTag.Storage, f).pipe(Effect.provide(storageLayer(pgUrl, prefix))))

const dropPg = (prefix: string) => Effect.runPromise(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1))))

interface Ran {
  readonly job: string
  readonly attempts: number
  readonly result: string
  readonly completed: boolean
  readonly claimedAt: number
}
const ranLines = (p: Proc): Array<Ran> =>
  p.lines.flatMap((l) => {
    if (!l.startsWith("{")) return []
    const parsed = JSON.parse(l) as Partial<Ran>
    return typeof parsed.job === "string" ? [parsed as Ran] : []
  })

const schedule = (prefix: string, jobs: ReadonlyArray<Storage.ScheduledJob>) =>
  withStorage(prefix, (s) => s.commit([{ appends: [], views: [], outbox: [], schedule: jobs }]))

describe("scheduled jobs claimed by several processes (PostgreSQL)", () => {
  it("two workers draining 200 due jobs: each job claimed, run and done exactly once", {
    timeout: 120_000
  }, async () => {
    const prefix = uniquePrefix("jobs")
    const total = 200
    const ids = Array.from({ length: total }, (_, i) => `j${String(i).padStart(3, "0")}`)
    const due = new Date(Date.now() - 1000).toISOString()
    try {
      await schedule(
        prefix,
        ids.map((id) => ({ id, kind: "test", dueAt: due, payload: { id } }))
      )
      const a = run("jobs.ts", [pgUrl, prefix, "A", "drain", "30000"])
      const b = run("jobs.ts", [pgUrl, prefix, "B", "drain", "30000"])
      await Promise.all([a.waitFor((l) => l.includes("ready")), b.waitFor((l) => l.includes("ready"))])
      a.child.stdin.write("go\n")
      b.child.stdin.write("go\n")
      await Promise.all([succeed(a, "A"), succeed(b, "B")])
      const byA = ranLines(a)
      const byB = ranLines(b)
      const all = [...byA, ...byB]
      // Every job claimed by exactly one worker, on its first attempt, and its claim held.
      expect(all.map((r) => r.job).sort()).toEqual(ids)
      expect(all.every((r) => r.attempts === 1 && r.result === "Committed" && r.completed)).toBe(true)
      const { jobs, runs } = await withStorage(prefix, (s) =>
        Effect.all({
          jobs: s.jobs({}),
          runs: Effect.forEach(ids, (id) => Effect.map(s.readStream(`ran:${id}`), (r) => r.version))
        })
      )
      expect(jobs.filter((j) => j.status === "done" && j.attempts === 1)).toHaveLength(total)
      expect(runs.every((v) => v === 1)).toBe(true)
      console.info(`jobs: A claimed ${byA.length}, B claimed ${byB.length}`)
    } finally {
      await dropPg(prefix)
    }
  })

  it("a worker SIGKILLed mid-lease: its job is claimed again after the lease and done once", {
    timeout: 120_000
  }, async () => {
    const prefix = uniquePrefix("jobkill")
    const leaseMs = 3000
    try {
      await schedule(prefix, [{ id: "cutoff:r1", kind: "cutoff", dueAt: new Date().toISOString(), payload: {} }])
      const doomed = run("jobs.ts", [pgUrl, prefix, "A", "hang", String(leaseMs)])
      await doomed.waitFor((l) => l.some((x) => x.includes('"holding"')))
      const held = JSON.parse(doomed.lines.find((x) => x.includes('"holding"'))!) as {
        holding: string
        attempts: number
        result: string
        claimedAt: number
      }
      expect(held).toMatchObject({ holding: "cutoff:r1", attempts: 1, result: "Committed" })
      doomed.child.kill("SIGKILL")
      expect((await doomed.exit).signal).toBe("SIGKILL")

      const heir = run("jobs.ts", [pgUrl, prefix, "B", "drain", "30000"])
      await heir.waitFor((l) => l.includes("ready"))
      heir.child.stdin.write("go\n")
      await succeed(heir, "B")
      const [again, ...more] = ranLines(heir)
      expect(more).toEqual([])
      // Claimed again only once the dead worker's lease ran out, as the second attempt; its
      // handler's commit was a duplicate of the dead worker's (idempotency key job:<id>).
      expect(again).toMatchObject({ job: "cutoff:r1", attempts: 2, result: "Duplicate", completed: true })
      expect(again!.claimedAt - held.claimedAt).toBeGreaterThanOrEqual(leaseMs - 50)
      const { job, ran } = await withStorage(prefix, (s) =>
        Effect.all({ job: s.jobs({}), ran: s.readStream("ran:cutoff:r1") })
      )
      expect(job.map((j) => [j.id, j.status, j.attempts])).toEqual([["cutoff:r1", "done", 2]])
      expect(ran.events).toHaveLength(1)
    } finally {
      await dropPg(prefix)
    }
  })
})
