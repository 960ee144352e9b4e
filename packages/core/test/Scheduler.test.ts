import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, Scheduler, Storage } from "@kaituan/core"
import { Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { TestClock } from "effect/testing"
import { spec, testParser } from "./support/fixtures.js"

const T0 = "2024-05-10T14:00:00.000Z"
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString()

const job = (id: string, kind: string, dueAt = T0, payload: unknown = {}): Storage.ScheduledJob => ({
  id,
  kind,
  dueAt,
  payload
})

const withStorage = (storage: Storage.StorageService) => Effect.provideService(Storage.Storage, storage)

const statusOf = (storage: Storage.StorageService, id: string) =>
  Effect.map(storage.jobs({}), (jobs) => jobs.find((j) => j.id === id))

describe("Scheduler.runDue", () => {
  it.effect("runs due jobs once with the handler of their kind, and leaves the rest", () => {
    const storage = Storage.makeMemory()
    const ran: Array<string> = []
    const handlers = {
      ping: (j: Storage.ClaimedJob) => Effect.sync(() => void ran.push(`${j.id}#${j.attempts}`))
    }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("a", "ping"))
      yield* Scheduler.schedule(job("b", "ping", at(60_000)))
      const first = yield* Scheduler.runDue({ now: T0, handlers })
      expect(first).toMatchObject({ claimed: 1, done: 1, retried: 0, failed: 0, lost: 0 })
      expect(ran).toEqual(["a#1"])
      // Nothing due any more: a second pass at the same time does nothing.
      expect((yield* Scheduler.runDue({ now: T0, handlers })).claimed).toBe(0)
      yield* Scheduler.runDue({ now: at(60_000), handlers })
      expect(ran).toEqual(["a#1", "b#1"])
      expect((yield* statusOf(storage, "a"))?.status).toBe("done")
      // Scheduling a done job again leaves it alone.
      yield* Scheduler.schedule(job("a", "ping", at(120_000)))
      yield* Scheduler.runDue({ now: at(120_000), handlers })
      expect(ran).toEqual(["a#1", "b#1"])
    }).pipe(withStorage(storage))
  })

  it.effect("retries a failing job with exponential back-off, then fails it for good with a masked error", () => {
    const storage = Storage.makeMemory()
    let calls = 0
    const handlers = {
      flaky: {
        run: () =>
          Effect.suspend(() => {
            calls++
            return Effect.fail(new Error("GET https://api.example/bot123456:AAH-very-secret-token/x?key=abc failed"))
          }),
        retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 }
      }
    }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("f", "flaky"))
      const r1 = yield* Scheduler.runDue({ now: T0, handlers })
      expect(r1.jobs[0]).toMatchObject({ outcome: "retry", attempt: 1, retryAt: at(1_000) })
      expect(r1.jobs[0]?.error).not.toContain("very-secret")
      expect(r1.jobs[0]?.error).not.toContain("abc")
      // Not before its time.
      expect((yield* Scheduler.runDue({ now: at(999), handlers })).claimed).toBe(0)
      const r2 = yield* Scheduler.runDue({ now: at(1_000), handlers })
      expect(r2.jobs[0]).toMatchObject({ outcome: "retry", attempt: 2, retryAt: at(1_000 + 2_000) })
      const r3 = yield* Scheduler.runDue({ now: at(3_000), handlers })
      expect(r3.jobs[0]).toMatchObject({ outcome: "failed", attempt: 3 })
      expect(calls).toBe(3)
      expect((yield* Scheduler.runDue({ now: at(3_600_000), handlers })).claimed).toBe(0)
      const view = yield* statusOf(storage, "f")
      expect(view).toMatchObject({ status: "failed", attempts: 3 })
      expect(view?.lastError).toContain("bot***")
      expect(view?.lastError).not.toContain("AAH-very-secret-token")
    }).pipe(withStorage(storage))
  })

  it.effect("a JobRejected fails the job at once; a kind without a handler is retried", () => {
    const storage = Storage.makeMemory()
    const handlers = { doomed: () => Effect.fail(new Scheduler.JobRejected({ message: "never" })) }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("d", "doomed"))
      yield* Scheduler.schedule(job("u", "unknown-kind"))
      const r = yield* Scheduler.runDue({ now: T0, handlers })
      const byId = Object.fromEntries(r.jobs.map((j) => [j.id, j]))
      expect(byId.d).toMatchObject({ outcome: "failed", error: "JobRejected: never" })
      expect(byId.u).toMatchObject({ outcome: "retry" })
      expect(byId.u?.error).toContain('no handler for job kind "unknown-kind"')
    }).pipe(withStorage(storage))
  })

  it.effect("a defect in a handler is a failed attempt, not a crash of the pass", () => {
    const storage = Storage.makeMemory()
    const handlers = { boom: () => Effect.die(new Error("kaboom")), ok: () => Effect.void }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("x", "boom"))
      yield* Scheduler.schedule(job("y", "ok"))
      const r = yield* Scheduler.runDue({ now: T0, handlers })
      expect(r).toMatchObject({ claimed: 2, done: 1, retried: 1 })
    }).pipe(withStorage(storage))
  })

  it.effect("a handler that outlives its lease is stopped and retried", () => {
    const storage = Storage.makeMemory()
    const handlers = { slow: () => Effect.sleep(10_000) }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("s", "slow"))
      const fiber = yield* Effect.forkChild(Scheduler.runDue({ now: T0, handlers, leaseMs: 1_000 }))
      yield* TestClock.adjust(1_000)
      const r = yield* Fiber.join(fiber)
      expect(r.jobs[0]).toMatchObject({ outcome: "retry" })
      expect(r.jobs[0]?.error).toContain("lease")
    }).pipe(withStorage(storage))
  })

  it.effect("schedule refuses a malformed job", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(Scheduler.schedule(job("bad", "ping", "tomorrow")))
      expect(e._tag).toBe("InvalidJob")
    }).pipe(withStorage(Storage.makeMemory()))
  )

  it.effect("cancel removes a pending job", () => {
    const storage = Storage.makeMemory()
    let ran = 0
    const handlers = { ping: () => Effect.sync(() => void ran++) }
    return Effect.gen(function* () {
      yield* Scheduler.schedule(job("c", "ping"))
      yield* Scheduler.cancel(["c"])
      yield* Scheduler.runDue({ now: T0, handlers })
      expect(ran).toBe(0)
      expect((yield* statusOf(storage, "c"))?.status).toBe("cancelled")
    }).pipe(withStorage(storage))
  })

  it("retryDelayMs doubles up to the cap", () => {
    expect([1, 2, 3, 4, 10].map((n) => Scheduler.retryDelayMs(n, { baseDelayMs: 100, maxDelayMs: 500 }))).toEqual([
      100, 200, 400, 500, 500
    ])
  })
})

describe("Scheduler.layer", () => {
  it.effect("runs jobs as the Clock reaches them, and stops when its scope closes", () => {
    const storage = Storage.makeMemory()
    const ran: Array<string> = []
    const handlers = { ping: (j: Storage.ClaimedJob) => Effect.sync(() => void ran.push(j.id)) }
    return Effect.gen(function* () {
      const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const due = (ms: number) => new Date(start + ms).toISOString()
      yield* Scheduler.schedule(job("soon", "ping", due(5_000)))
      yield* Scheduler.schedule(job("later", "ping", due(60_000)))
      yield* Scheduler.schedule(job("after-close", "ping", due(120_000)))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(Scheduler.layer({ handlers, pollMs: 1_000 }))
          yield* TestClock.adjust(4_000)
          expect(ran).toEqual([])
          yield* TestClock.adjust(2_000)
          expect(ran).toEqual(["soon"])
          yield* TestClock.adjust(60_000)
          expect(ran).toEqual(["soon", "later"])
        })
      )
      // The scope closed: the scheduler's fiber is gone.
      yield* TestClock.adjust(120_000)
      expect(ran).toEqual(["soon", "later"])
      expect((yield* statusOf(storage, "after-close"))?.status).toBe("pending")
    }).pipe(withStorage(storage))
  })
})

describe("Scheduler.layer interrupted mid-job", () => {
  it.effect("with no time to stop, leaves the job to its lease (another worker takes it over), not failed", () => {
    const storage = Storage.makeMemory()
    let started = 0
    const handlers = {
      slow: () =>
        Effect.andThen(
          Effect.sync(() => void started++),
          Effect.sleep(30_000)
        )
    }
    return Effect.gen(function* () {
      const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
      yield* Scheduler.schedule(job("s", "slow", new Date(start).toISOString()))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(Scheduler.layer({ handlers, pollMs: 1_000, leaseMs: 60_000, stopTimeoutMs: 0 }))
          yield* TestClock.adjust(1_000)
          expect(started).toBe(1)
        })
      )
      expect(yield* statusOf(storage, "s")).toMatchObject({ status: "running", attempts: 1 })
      // After the lease, a pass (another worker) runs it again.
      const r = yield* Scheduler.runDue({
        now: new Date(start + 61_000).toISOString(),
        handlers: { slow: () => Effect.void }
      })
      expect(r.jobs[0]).toMatchObject({ outcome: "done", attempt: 2 })
    }).pipe(withStorage(storage))
  })
})

describe("round.cutoff", () => {
  const services = (storage: Storage.StorageService) =>
    GroupBuy.layer.pipe(
      Layer.provideMerge(
        Layer.mergeAll(
          Layer.succeed(Storage.Storage, storage),
          CommentParser.layer(testParser),
          IdGenerator.layerCounter
        )
      )
    )
  const comment = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
    channel: "line",
    commentId: id,
    author: { id: author, name: author },
    text,
    at: "2024-05-01T10:00:00+08:00"
  })

  it.effect("closes the round at its cutoff and confirms the orders; running it again changes nothing", () => {
    const storage = Storage.makeMemory()
    const cutoff = "2024-05-10T22:00:00+08:00"
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ cutoff }), at: "2024-05-01T09:00:00+08:00" })
      yield* g.submitComments({
        roundId: "socks",
        comments: [comment("m1", "u1", "紅+1"), comment("m2", "u2", "白+1")]
      })
      // GroupBuy.openRound schedules it too; scheduling the same id again is harmless.
      yield* Scheduler.schedule(Scheduler.cutoffJob("socks", cutoff))
      const before = yield* Scheduler.runDue({ now: "2024-05-10T13:59:59.000Z" })
      expect(before.claimed).toBe(0)
      const r = yield* Scheduler.runDue({ now: "2024-05-10T14:00:00.000Z" })
      expect(r).toMatchObject({ claimed: 1, done: 1 })
      const report = yield* g.report("socks")
      expect(report.status).toBe("closed")
      expect(report.orders.map((o) => o.status)).toEqual(["awaiting-payment", "awaiting-payment"])
      const closed = (yield* storage.readStream(Storage.roundStream("socks"))).events.find(
        (e) => e.type === "RoundClosed"
      )
      expect(Date.parse(closed!.at)).toBe(Date.parse(cutoff))
      // A worker that died after closing but before completing: the job runs again, harmlessly.
      const events = (yield* storage.readAll(0, 10_000)).length
      yield* Scheduler.roundCutoff({ ...Scheduler.cutoffJob("socks", cutoff), attempts: 2, claim: "x" })
      expect((yield* storage.readAll(0, 10_000)).length).toBe(events)
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("an unknown round fails the job for good", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* Scheduler.schedule(Scheduler.cutoffJob("nope", T0))
      const r = yield* Scheduler.runDue({ now: T0 })
      expect(r.jobs[0]).toMatchObject({ outcome: "failed" })
    }).pipe(Effect.provide(services(storage)))
  })
})

describe("Scheduler.layer stopping", () => {
  it.live("a closing scope lets the running job finish and completes it; no new pass is claimed", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const ran: Array<string> = []
      const handlers = {
        slow: (j: Storage.ClaimedJob) =>
          Effect.gen(function* () {
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(release)
            ran.push(j.id)
          })
      }
      const now = new Date().toISOString()
      yield* Scheduler.schedule(job("s", "slow", now))
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(Scheduler.layer({ handlers, pollMs: 5, batch: 1 }), scope)
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* Effect.sleep(30)
      expect(closing.pollUnsafe()).toBeUndefined()
      // Due now, but the scheduler is stopping: left for the next worker.
      yield* Scheduler.schedule(job("next", "slow", now))
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(closing)
      expect(ran).toEqual(["s"])
      expect(yield* statusOf(storage, "s")).toMatchObject({ status: "done", attempts: 1 })
      expect(yield* statusOf(storage, "next")).toMatchObject({ status: "pending", attempts: 0 })
    }).pipe(withStorage(storage))
  })
})
