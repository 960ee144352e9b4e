import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { Storage, StorageContract } from "../src/index.js"

describe("StorageContract against Storage.layerMemory", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemory)))
  }
  for (const c of StorageContract.reopenCases) {
    it.live(c.name, () => {
      // One in-memory database per case; each `open` is a store restarted over it.
      const database = Storage.memoryDatabase()
      return Effect.scoped(c.run(({ readModels }) => Effect.sync(() => Storage.makeMemory({ readModels, database }))))
    })
  }
})

/** Broken stores: the suite must catch each of them. */
const mutant = (name: string, caseName: string, wrap: (s: Storage.StorageService) => Storage.StorageService) => ({
  name,
  caseName,
  layer: Layer.sync(Storage.Storage, () => wrap(Storage.makeMemory()))
})

const mutants = [
  mutant("ignores idempotency keys", "a duplicate idempotency key is reported Duplicate and changes nothing", (s) => ({
    ...s,
    commit: (commits) => s.commit(commits.map((c) => ({ ...c, idempotencyKey: undefined })))
  })),
  mutant(
    "commits a batch one commit at a time",
    "a batch is atomic: a conflict in a later commit undoes the earlier ones",
    (s) => ({
      ...s,
      commit: (commits) =>
        Effect.map(
          Effect.forEach(commits, (c) => s.commit([c])),
          (rs) => rs.flat()
        )
    })
  ),
  mutant(
    "forgets the data kept with a key",
    "readKeys returns each committed key with the data of the commit that claimed it",
    (s) => ({
      ...s,
      commit: (commits) => s.commit(commits.map((c) => ({ ...c, keyData: undefined })))
    })
  ),
  mutant(
    "keeps a duplicate's data instead of the first claim's",
    "readKeys returns each committed key with the data of the commit that claimed it",
    (s) => {
      // Keys and data as a store that overwrites on every claim would keep them.
      const last = new Map<string, string>()
      return {
        ...s,
        commit: (commits) =>
          Effect.tap(s.commit(commits), () =>
            Effect.sync(() => {
              for (const c of commits) if (c.idempotencyKey !== undefined) last.set(c.idempotencyKey, c.keyData ?? "")
            })
          ),
        readKeys: (keys) =>
          Effect.map(s.readKeys(keys), (found) => new Map([...found].map(([k, v]) => [k, last.get(k) ?? v])))
      }
    }
  ),
  mutant("ignores the status filter", "orders: upsert, status filter, seq order, one round only, by id", (s) => ({
    ...s,
    orders: ({ roundId }) => s.orders({ roundId })
  })),
  mutant("ignores outbox leases", "outbox: concurrent relays never claim the same message while it is leased", (s) => ({
    ...s,
    claimOutbox: ({ limit }) => s.claimOutbox({ limit, leaseMs: -1 })
  })),
  mutant("never expires a lease", "outbox: an expired lease makes the message claimable again", (s) => ({
    ...s,
    claimOutbox: ({ limit }) => s.claimOutbox({ limit, leaseMs: 3_600_000 })
  })),
  mutant(
    "returns the review queue unsorted",
    "review queue: comment order, resolved hidden unless includeResolved, upsert by comment",
    (s) => ({
      ...s,
      reviewQueue: (q) => Effect.map(s.reviewQueue(q), (xs) => [...xs].reverse())
    })
  ),
  mutant("ignores afterSeq", "orders: buyer filter and keyset pagination (afterSeq, limit)", (s) => ({
    ...s,
    orders: ({ afterSeq: _, ...q }) => s.orders(q)
  })),
  mutant(
    "never dead-letters",
    "outbox: a dead-lettered message is never claimed until retried (attempts reset)",
    (s) => ({ ...s, deadLetterOutbox: () => Effect.void })
  ),
  mutant(
    "never expires a job lease",
    "jobs: an expired lease is claimed again under a new claim; the old claim is lost",
    (s) => ({ ...s, claimJobs: (q) => s.claimJobs({ ...q, leaseMs: 86_400_000 }) })
  ),
  mutant(
    "completes a job whatever the claim",
    "jobs: an expired lease is claimed again under a new claim; the old claim is lost",
    (s) => ({
      ...s,
      completeJob: (id) =>
        Effect.flatMap(s.jobs({}), (all) => {
          const j = all.find((x) => x.id === id)
          return Effect.succeed(j !== undefined && j.status === "running")
        })
    })
  ),
  mutant(
    "schedules with every commit, even a duplicate",
    "jobs: rescheduling replaces a pending job, leaves done and cancelled ones; unschedule cancels; only with the commit",
    (s) => ({
      ...s,
      commit: (commits) =>
        Effect.flatMap(s.commit(commits), (results) =>
          Effect.as(
            s.commit(
              commits.flatMap((c, i) =>
                results[i]?._tag === "Duplicate" && c.schedule
                  ? [{ appends: [], views: [], outbox: [], schedule: c.schedule }]
                  : []
              )
            ),
            results
          )
        )
    })
  ),
  mutant(
    "replays a catch-up model from the start every time",
    "read models: buyer-history catches up from its checkpoint; rebuild gives the same documents",
    (s) => ({
      ...s,
      catchUp: (model) =>
        Effect.flatMap(s.rebuild(model ?? "buyer-history"), () =>
          Effect.map(s.readAll(0, 1_000_000), (es) => es.length)
        )
    })
  ),
  mutant("skips the version check", "concurrent commits to one stream: exactly one wins per version", (s) => ({
    ...s,
    commit: (commits) =>
      Effect.flatMap(
        Effect.forEach(
          commits.flatMap((c) => c.appends.map((a) => a.stream)),
          (stream) => s.readStream(stream)
        ),
        () =>
          Effect.suspend(() => {
            const fixed = new Map<string, number>()
            return Effect.flatMap(
              Effect.forEach([...new Set(commits.flatMap((c) => c.appends.map((a) => a.stream)))], (stream) =>
                Effect.map(s.readStream(stream), (r) => fixed.set(stream, r.version))
              ),
              () =>
                s.commit(
                  commits.map((c) => ({
                    ...c,
                    appends: c.appends.map((a) => {
                      const v = fixed.get(a.stream) ?? 0
                      fixed.set(a.stream, v + a.events.length)
                      return { ...a, expectedVersion: v }
                    })
                  }))
                )
            )
          })
      )
  }))
]

describe("StorageContract catches broken stores", () => {
  for (const m of mutants) {
    it.live(`a store that ${m.name} fails "${m.caseName}"`, () =>
      Effect.gen(function* () {
        const c = StorageContract.cases.find((x) => x.name === m.caseName)
        expect(c).toBeDefined()
        const exit = yield* Effect.exit(c!.run.pipe(Effect.provide(m.layer)))
        expect(Exit.isFailure(exit)).toBe(true)
      })
    )
  }
})
