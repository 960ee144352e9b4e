/**
 * Reliability test (3): workers claiming scheduled jobs from one PostgreSQL.
 *
 *   node --import tsx jobs.ts <db> <prefix> <who> <drain|hang> <leaseMs>
 *
 * drain: prints "ready", waits for "go" on stdin, then claims due jobs (a few at a time, leased
 * for <leaseMs>) until none is pending or running. Each job's handler commits one "JobRan" event
 * to the stream `ran:<job id>` under idempotency key `job:<job id>`, then completes the job.
 * Prints one JSON line per job it claimed, and a summary line last.
 * hang: claims one due job, makes its handler's commit, prints what it holds and then never
 * completes it (the test SIGKILLs it while the lease runs).
 */
import { Storage } from "@kaituan/core"
import { Effect } from "effect"
import { say, storageLayer, waitForGo } from "./common.js"

const [db, prefix, who, mode, leaseArg] = process.argv.slice(2) as [string, string, string, string, string]
const leaseMs = Number(leaseArg)

/** The job's work: one event, idempotent by the job's id (a second run changes nothing). */
const handle = (storage: Storage.StorageService, job: Storage.ClaimedJob) =>
  Effect.gen(function* () {
    const stream = `ran:${job.id}`
    const { version } = yield* storage.readStream(stream)
    const [result] = yield* storage.commit([
      {
        idempotencyKey: `job:${job.id}`,
        appends: [
          {
            stream,
            expectedVersion: version,
            events: [{ type: "JobRan", data: { id: job.id, who, attempt: job.attempts }, at: new Date().toISOString() }]
          }
        ],
        views: [],
        outbox: []
      }
    ])
    return result?._tag ?? "none"
  })

const drain = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  yield* Effect.promise(() => say("ready"))
  yield* Effect.promise(waitForGo)
  let claimed = 0
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    const jobs = yield* storage.claimJobs({ now: new Date().toISOString(), limit: 5, leaseMs })
    if (jobs.length === 0) {
      const open = yield* storage.jobs({ status: ["pending", "running"], limit: 1 })
      if (open.length === 0) break
      yield* Effect.sleep("50 millis")
      continue
    }
    for (const job of jobs) {
      const claimedAt = Date.now()
      const result = yield* handle(storage, job)
      const completed = yield* storage.completeJob(job.id, job.claim)
      claimed++
      yield* Effect.promise(() =>
        say(JSON.stringify({ job: job.id, attempts: job.attempts, result, completed, claimedAt }))
      )
    }
  }
  return { who, claimed }
})

const hang = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  for (;;) {
    const [job] = yield* storage.claimJobs({ now: new Date().toISOString(), limit: 1, leaseMs })
    if (job === undefined) {
      yield* Effect.sleep("50 millis")
      continue
    }
    const claimedAt = Date.now()
    const result = yield* handle(storage, job)
    yield* Effect.promise(() => say(JSON.stringify({ holding: job.id, attempts: job.attempts, result, claimedAt })))
    return yield* Effect.never
  }
})

const program: Effect.Effect<object, unknown> = (mode === "hang" ? hang : drain).pipe(
  Effect.provide(storageLayer(db, prefix))
)

Effect.runPromise(program).then(
  async (summary) => {
    await say(JSON.stringify({ summary }))
    process.exit(0)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
