import { Effect, Result } from "effect"
import type { OrderStatus } from "../ReadModel.js"
import * as ReadModels from "../ReadModels.js"
import type { OutboundMessage } from "../Notification.js"
import type {
  ClaimedJob,
  Commit,
  CommitResult,
  DeadLetter,
  JobStatus,
  JobView,
  MemoryOptions,
  OutboxEntry,
  ReadModelStatus,
  StorageService,
  StoredEvent
} from "../Storage.js"
import { StorageError } from "../Storage.js"
import { isoMillis } from "./isoMillis.js"
import { StringSet } from "./StringSet.js"
import { applyViewChange, emptyViews, type ViewTables } from "./views.js"

/** A scheduled job's row. */
interface JobRow {
  id: string
  kind: string
  dueAt: string
  dueMs: number
  payload: unknown
  status: JobStatus
  attempts: number
  lastError: string | undefined
  claim: string | undefined
  leaseUntil: number
}

/** A read model's stored state: its version, checkpoint (catch-up) and documents (decoded). */
interface ModelState {
  version: number
  position: number
  docs: Map<string, unknown>
}

/**
 * The data of an in-memory store (see `Storage.MemoryDatabase`). Events are kept field by field
 * in parallel arrays (data, type, time, stream, version): no object per event besides its data,
 * which the caller made anyway (a replay keeps 100,000s of them). StoredEvents are made when read.
 */
export interface MemoryDatabase {
  readonly _tag: "MemoryDatabase"
  readonly dataOf: Array<unknown>
  readonly typeOf: Array<string>
  readonly atOf: Array<string>
  readonly streamOf: Array<string>
  readonly versionOf: Array<number>
  /** The 0-based global indexes of each stream's events, in version order. */
  readonly streams: Map<string, Array<number>>
  readonly keys: StringSet
  views: ViewTables
  // The outbox: messages in the order they were queued, their delivery state in parallel arrays
  // (no object per message). Rows before `unsentFrom` are all sent.
  readonly queued: Array<OutboundMessage>
  readonly attempts: Array<number>
  readonly availableAt: Array<number>
  readonly sent: Array<boolean>
  /** The error a dead-lettered row was set aside with; undefined for live rows. */
  readonly dead: Array<string | undefined>
  unsentFrom: number
  // Which row holds each message id. A commit only appends rows; the index is brought up to date
  // when the outbox is next read (claim, ack, fail), so the write path never hashes message ids.
  // A row whose id an earlier row holds is the same message: it is marked sent and never claimed.
  readonly rowOf: Map<string, number>
  indexedTo: number
  readonly jobs: Map<string, JobRow>
  readonly models: Map<string, ModelState>
}

/** A fresh, empty database. */
export const makeMemoryDatabase = (): MemoryDatabase => ({
  _tag: "MemoryDatabase",
  dataOf: [],
  typeOf: [],
  atOf: [],
  streamOf: [],
  versionOf: [],
  streams: new Map(),
  keys: new StringSet(),
  views: emptyViews(),
  queued: [],
  attempts: [],
  availableAt: [],
  sent: [],
  dead: [],
  unsentFrom: 0,
  rowOf: new Map(),
  indexedTo: 0,
  jobs: new Map(),
  models: new Map()
})

let claims = 0
/** A fresh claim token: random, and unique within the process. */
const newClaim = () => `${globalThis.crypto.randomUUID()}.${(claims++).toString(36)}`

const invalidTime = (what: string) =>
  new StorageError({ reason: "corrupt", message: `${what} is not an ISO 8601 time` })

/** The store over `options.database` (a fresh one by default). */
export const makeMemoryStorage = (options: MemoryOptions): StorageService => {
  const compiled = ReadModels.compile(options.readModels ?? ReadModels.builtIn)
  if (Result.isFailure(compiled)) return failing(compiled.failure)
  const registry = compiled.success
  const db = options.database ?? makeMemoryDatabase()
  const { dataOf, typeOf, atOf, streamOf, versionOf, streams, keys, queued, attempts, availableAt, sent, dead } = db
  const stored = (i: number): StoredEvent => ({
    stream: streamOf[i]!,
    version: versionOf[i]!,
    position: i + 1,
    type: typeOf[i]!,
    data: dataOf[i],
    at: atOf[i]!
  })
  const indexOutbox = () => {
    for (; db.indexedTo < queued.length; db.indexedTo++) {
      const id = queued[db.indexedTo]!.id
      if (db.rowOf.has(id)) sent[db.indexedTo] = true
      else db.rowOf.set(id, db.indexedTo)
    }
  }
  const inlineTypes = registry.inlineTypes

  // -------------------------------------------------------------------------------------------
  // read models

  const stateOf = (name: string): ModelState => {
    let s = db.models.get(name)
    if (s === undefined) {
      s = { version: 0, position: 0, docs: new Map() }
      db.models.set(name, s)
    }
    return s
  }

  /** Folds events into a model's documents: all or nothing (staged on a copy of the touched docs). */
  const applyTo = (
    runner: ReadModels.Runner,
    events: ReadonlyArray<StoredEvent>
  ): Result.Result<() => void, StorageError> => {
    const state = stateOf(runner.name)
    const staged = new Map<string, unknown>()
    for (const [, t] of ReadModels.touched([runner], events)) for (const id of t.ids) staged.set(id, state.docs.get(id))
    const folded = ReadModels.fold(runner, events, staged)
    if (Result.isFailure(folded)) return Result.fail(folded.failure)
    // Encode each changed document once: a document that does not encode fails the whole step.
    for (const id of folded.success) {
      const doc = staged.get(id)
      if (doc === undefined) continue
      const row = runner.toRow(id, doc)
      if (Result.isFailure(row)) return Result.fail(row.failure)
    }
    return Result.succeed(() => {
      for (const id of folded.success) {
        const doc = staged.get(id)
        if (doc === undefined) state.docs.delete(id)
        else state.docs.set(id, doc)
      }
    })
  }

  const rebuildModel = (runner: ReadModels.Runner): Result.Result<void, StorageError> => {
    const events: Array<StoredEvent> = []
    for (let i = 0; i < dataOf.length; i++) if (runner.offers(typeOf[i]!)) events.push(stored(i))
    const state = stateOf(runner.name)
    const docs = new Map<string, unknown>()
    const folded = ReadModels.fold(runner, events, docs)
    if (Result.isFailure(folded)) return Result.fail(folded.failure)
    for (const [id, doc] of docs) {
      if (doc === undefined) docs.delete(id)
      else {
        const row = runner.toRow(id, doc)
        if (Result.isFailure(row)) return Result.fail(row.failure)
      }
    }
    state.docs = docs
    state.version = runner.definition.version
    state.position = dataOf.length
    return Result.succeed(undefined)
  }

  // A new model or a new version is rebuilt from the events as the store opens.
  let startError: StorageError | undefined
  for (const r of registry.all) {
    const s = db.models.get(r.name)
    if (s !== undefined && s.version === r.definition.version) continue
    const built = rebuildModel(r)
    if (Result.isFailure(built)) {
      startError = built.failure
      break
    }
  }
  if (startError !== undefined) return failing(startError)

  const catchUpModel = (runner: ReadModels.Runner): Result.Result<number, StorageError> => {
    const state = stateOf(runner.name)
    const events: Array<StoredEvent> = []
    for (let i = state.position; i < dataOf.length; i++) if (runner.offers(typeOf[i]!)) events.push(stored(i))
    const applied = applyTo(runner, events)
    if (Result.isFailure(applied)) return Result.fail(applied.failure)
    applied.success()
    state.position = dataOf.length
    return Result.succeed(events.length)
  }

  const unknownModel = (name: string) =>
    new StorageError({ reason: "unavailable", message: `no read model named ${JSON.stringify(name.slice(0, 60))}` })

  // -------------------------------------------------------------------------------------------
  // commit

  /**
   * The events of these (validated) commits that inline models read, as they will be stored.
   * Called only when some event's type is one an inline model reads.
   */
  const inlineEvents = (commits: ReadonlyArray<Commit>, results: ReadonlyArray<CommitResult>) => {
    const out: Array<StoredEvent> = []
    const versions = new Map<string, number>()
    let position = dataOf.length
    for (let ci = 0; ci < commits.length; ci++) {
      if (results[ci]!._tag === "Duplicate") continue
      for (const a of commits[ci]!.appends) {
        let version = versions.get(a.stream) ?? streams.get(a.stream)?.length ?? 0
        for (const e of a.events) {
          position++
          version++
          if (inlineTypes.has(e.type))
            out.push({ stream: a.stream, version, position, type: e.type, data: e.data, at: e.at })
        }
        versions.set(a.stream, version)
      }
    }
    return out
  }

  const commit = (commits: ReadonlyArray<Commit>) =>
    Effect.suspend(() => {
      // Validate the whole batch against the current state plus earlier commits of the batch.
      // A key is claimed as it is checked (one hash operation, not two) and released again if
      // the batch fails, so a failed commit leaves no trace.
      const pending = new Map<string, number>()
      const claimed: Array<string> = []
      const results: Array<CommitResult> = []
      const release = (error: StorageError) => {
        for (const k of claimed) keys.delete(k)
        return Effect.fail(error)
      }
      let inlineHit = false
      let jobsTouched = false
      for (const c of commits) {
        const key = c.idempotencyKey
        if (key !== undefined) {
          if (!keys.add(key, c.keyData)) {
            results.push({ _tag: "Duplicate", idempotencyKey: key })
            continue
          }
          claimed.push(key)
        }
        const versions: Record<string, number> = {}
        for (const a of c.appends) {
          const current = pending.get(a.stream) ?? streams.get(a.stream)?.length ?? 0
          if (current !== a.expectedVersion) {
            return release(
              new StorageError({
                reason: "conflict",
                stream: a.stream,
                message: `stream ${a.stream} is at version ${current}, expected ${a.expectedVersion}`
              })
            )
          }
          pending.set(a.stream, current + a.events.length)
          versions[a.stream] = current + a.events.length
          if (inlineTypes.size > 0 && !inlineHit)
            for (const e of a.events)
              if (inlineTypes.has(e.type)) {
                inlineHit = true
                break
              }
        }
        if (c.schedule !== undefined && c.schedule.length > 0) {
          jobsTouched = true
          for (const j of c.schedule) if (Number.isNaN(isoMillis(j.dueAt))) return release(invalidTime("a job's dueAt"))
        }
        if (c.unschedule !== undefined && c.unschedule.length > 0) jobsTouched = true
        results.push({ _tag: "Committed", versions })
      }
      // Inline read models: folded before anything is written, so a failing one fails the commit.
      const inlineApply: Array<() => void> = []
      if (inlineHit) {
        const events = inlineEvents(commits, results)
        for (const r of registry.inline) {
          const applied = applyTo(r, events)
          if (Result.isFailure(applied)) return release(applied.failure)
          inlineApply.push(applied.success)
        }
      }
      // Apply.
      let ri = 0
      for (const c of commits) {
        const r = results[ri++]!
        if (r._tag === "Duplicate") continue
        for (const a of c.appends) {
          let s = streams.get(a.stream)
          if (!s) {
            s = []
            streams.set(a.stream, s)
          }
          for (const e of a.events) {
            s.push(dataOf.length)
            dataOf.push(e.data)
            typeOf.push(e.type)
            atOf.push(e.at)
            streamOf.push(a.stream)
            versionOf.push(s.length)
          }
        }
        for (const v of c.views) applyViewChange(db.views, v)
        for (const m of c.outbox) {
          queued.push(m)
          attempts.push(0)
          availableAt.push(0)
          sent.push(false)
          dead.push(undefined)
        }
        if (jobsTouched) {
          if (c.unschedule) for (const id of c.unschedule) cancelJob(id)
          if (c.schedule) for (const j of c.schedule) scheduleJob(j.id, j.kind, j.dueAt, j.payload)
        }
      }
      for (const apply of inlineApply) apply()
      return Effect.succeed(results)
    })

  // -------------------------------------------------------------------------------------------
  // jobs

  const cancelJob = (id: string) => {
    const j = db.jobs.get(id)
    if (j !== undefined && j.status === "pending") {
      j.status = "cancelled"
      j.claim = undefined
    }
  }

  const scheduleJob = (id: string, kind: string, dueAt: string, payload: unknown) => {
    const dueMs = isoMillis(dueAt)
    const j = db.jobs.get(id)
    if (j === undefined) {
      db.jobs.set(id, {
        id,
        kind,
        dueAt,
        dueMs,
        payload,
        status: "pending",
        attempts: 0,
        lastError: undefined,
        claim: undefined,
        leaseUntil: 0
      })
      return
    }
    if (j.status === "done" || j.status === "cancelled") return
    j.kind = kind
    j.dueAt = dueAt
    j.dueMs = dueMs
    j.payload = payload
    if (j.status === "failed") {
      j.attempts = 0
      j.lastError = undefined
    }
    j.status = "pending"
    j.claim = undefined
    j.leaseUntil = 0
  }

  const viewOf = (j: JobRow): JobView => ({
    id: j.id,
    kind: j.kind,
    dueAt: j.dueAt,
    payload: j.payload,
    status: j.status,
    attempts: j.attempts,
    ...(j.lastError === undefined ? {} : { lastError: j.lastError })
  })

  const byStatus = (status: ReadonlyArray<OrderStatus> | undefined) => {
    const set = status ? new Set(status) : undefined
    return (s: OrderStatus) => set === undefined || set.has(s)
  }

  const service: StorageService = {
    commit,
    readStream: (stream, fromVersion = 0) =>
      Effect.sync(() => {
        const s = streams.get(stream) ?? []
        return { version: s.length, events: s.slice(fromVersion).map(stored) }
      }),
    readAll: (fromPosition, limit) =>
      Effect.sync(() => {
        const out: Array<StoredEvent> = []
        for (let i = Math.max(0, fromPosition); i < dataOf.length && out.length < limit; i++) out.push(stored(i))
        return out
      }),
    seenKeys: (ks) =>
      Effect.sync(() => {
        const seen = new Set<string>()
        for (const k of ks) if (keys.has(k)) seen.add(k)
        return seen
      }),
    readKeys: (ks) =>
      Effect.sync(() => {
        const found = new Map<string, string>()
        for (const k of ks) {
          const data = keys.get(k)
          if (data !== undefined) found.set(k, data)
        }
        return found
      }),
    orders: ({ roundId, status, buyerId, afterSeq, limit }) =>
      Effect.sync(() => {
        const keep = byStatus(status)
        const all = [...db.views.orders.values()]
          .filter(
            (o) =>
              o.roundId === roundId &&
              keep(o.status) &&
              (buyerId === undefined || o.buyerId === buyerId) &&
              (afterSeq === undefined || o.seq > afterSeq)
          )
          .sort((a, b) => a.seq - b.seq)
        return limit === undefined ? all : all.slice(0, Math.max(0, limit))
      }),
    order: (orderId) => Effect.sync(() => db.views.orders.get(orderId)),
    reviewQueue: ({ roundId, includeResolved }) =>
      Effect.sync(() =>
        [...db.views.review.values()]
          .filter((r) => r.roundId === roundId && (includeResolved || !r.resolved))
          .sort((a, b) => a.seq - b.seq)
      ),
    notOrdered: ({ roundId }) =>
      Effect.sync(() => db.views.notOrdered.filter((n) => n.roundId === roundId).sort((a, b) => a.seq - b.seq)),
    stock: ({ roundId }) =>
      Effect.sync(() =>
        [...db.views.stock.values()].filter((s) => s.roundId === roundId).sort((a, b) => (a.sku < b.sku ? -1 : 1))
      ),
    buyer: (buyerId) => Effect.sync(() => db.views.buyers.get(buyerId)),
    replaceViews: (changes) =>
      Effect.sync(() => {
        const fresh = emptyViews()
        for (const c of changes) applyViewChange(fresh, c)
        db.views = fresh
      }),
    claimOutbox: ({ limit, leaseMs }) =>
      Effect.sync(() => {
        indexOutbox()
        const now = Date.now()
        const out: Array<OutboxEntry> = []
        // Skip the sent prefix once, not on every claim (a relay claims thousands of times).
        while (db.unsentFrom < queued.length && sent[db.unsentFrom]) db.unsentFrom++
        for (let i = db.unsentFrom; i < queued.length && out.length < limit; i++) {
          if (sent[i] || dead[i] !== undefined || availableAt[i]! > now) continue
          availableAt[i] = now + leaseMs
          attempts[i]!++
          out.push({ message: queued[i]!, attempts: attempts[i]! })
        }
        return out
      }),
    ackOutbox: (ids) =>
      Effect.sync(() => {
        indexOutbox()
        for (const id of ids) {
          const i = db.rowOf.get(id)
          if (i !== undefined) sent[i] = true
        }
      }),
    // The error text is not kept: nothing reads it back through the port (a SQL store keeps it
    // for people looking at the table).
    failOutbox: (id, _error, retryAfterMs) =>
      Effect.sync(() => {
        indexOutbox()
        const i = db.rowOf.get(id)
        if (i !== undefined && !sent[i] && dead[i] === undefined) availableAt[i] = Date.now() + retryAfterMs
      }),
    deadLetterOutbox: (id, error) =>
      Effect.sync(() => {
        indexOutbox()
        const i = db.rowOf.get(id)
        if (i !== undefined && !sent[i]) dead[i] = error
      }),
    deadLetters: ({ limit }) =>
      Effect.sync(() => {
        indexOutbox()
        const out: Array<DeadLetter> = []
        const max = limit ?? Number.POSITIVE_INFINITY
        for (let i = db.unsentFrom; i < queued.length && out.length < max; i++) {
          const error = dead[i]
          if (error !== undefined && !sent[i]) out.push({ message: queued[i]!, attempts: attempts[i]!, error })
        }
        return out
      }),
    retryDeadLetters: (ids) =>
      Effect.sync(() => {
        indexOutbox()
        let n = 0
        for (const id of new Set(ids)) {
          const i = db.rowOf.get(id)
          if (i === undefined || sent[i] || dead[i] === undefined) continue
          dead[i] = undefined
          attempts[i] = 0
          availableAt[i] = 0
          n++
        }
        return n
      }),

    claimJobs: ({ now, limit, leaseMs }) =>
      Effect.suspend(() => {
        const nowMs = isoMillis(now)
        if (Number.isNaN(nowMs)) return Effect.fail(invalidTime("claimJobs' now"))
        const due: Array<JobRow> = []
        for (const j of db.jobs.values())
          if ((j.status === "pending" && j.dueMs <= nowMs) || (j.status === "running" && j.leaseUntil <= nowMs))
            due.push(j)
        due.sort((a, b) => a.dueMs - b.dueMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        const out: Array<ClaimedJob> = []
        for (const j of due.slice(0, Math.max(0, limit))) {
          j.status = "running"
          j.attempts++
          j.claim = newClaim()
          j.leaseUntil = nowMs + leaseMs
          out.push({ id: j.id, kind: j.kind, dueAt: j.dueAt, payload: j.payload, attempts: j.attempts, claim: j.claim })
        }
        return Effect.succeed(out)
      }),
    completeJob: (id, claim) =>
      Effect.sync(() => {
        const j = db.jobs.get(id)
        if (j === undefined || j.status !== "running" || j.claim !== claim) return false
        j.status = "done"
        j.claim = undefined
        return true
      }),
    failJob: (id, claim, error, retryAt) =>
      Effect.suspend(() => {
        const retryMs = retryAt === undefined ? undefined : isoMillis(retryAt)
        if (retryMs !== undefined && Number.isNaN(retryMs)) return Effect.fail(invalidTime("failJob's retryAt"))
        const j = db.jobs.get(id)
        if (j === undefined || j.status !== "running" || j.claim !== claim) return Effect.succeed(false)
        j.lastError = error
        j.claim = undefined
        if (retryAt === undefined || retryMs === undefined) j.status = "failed"
        else {
          j.status = "pending"
          j.dueAt = retryAt
          j.dueMs = retryMs
        }
        return Effect.succeed(true)
      }),
    jobs: ({ status, kind, limit }) =>
      Effect.sync(() => {
        const statuses = status === undefined ? undefined : new Set(status)
        const out = [...db.jobs.values()]
          .filter((j) => (statuses === undefined || statuses.has(j.status)) && (kind === undefined || j.kind === kind))
          .sort((a, b) => b.dueMs - a.dueMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        return (limit === undefined ? out : out.slice(0, Math.max(0, limit))).map(viewOf)
      }),

    document: (model, id) =>
      Effect.suspend(() => {
        const r = registry.byName.get(model)
        if (r === undefined) return Effect.fail(unknownModel(model))
        const doc = stateOf(model).docs.get(id)
        if (doc === undefined) return Effect.succeed(undefined)
        const row = r.toRow(id, doc)
        return Result.isFailure(row) ? Effect.fail(row.failure) : Effect.succeed(row.success.doc)
      }),
    documents: ({ model, key, after, limit }) =>
      Effect.suspend(() => {
        const r = registry.byName.get(model)
        if (r === undefined) return Effect.fail(unknownModel(model))
        const ids = [...stateOf(model).docs.keys()]
          .filter((id) => after === undefined || id > after)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        const out: Array<{ readonly id: string; readonly doc: unknown }> = []
        for (const id of ids) {
          if (out.length >= limit) break
          const row = r.toRow(id, stateOf(model).docs.get(id))
          if (Result.isFailure(row)) return Effect.fail(row.failure)
          if (key !== undefined && row.success[key.k] !== key.value) continue
          out.push({ id, doc: row.success.doc })
        }
        return Effect.succeed(out)
      }),
    catchUp: (model) =>
      Effect.suspend(() => {
        let runners = registry.catchUp
        if (model !== undefined) {
          const r = registry.byName.get(model)
          if (r === undefined) return Effect.fail(unknownModel(model))
          runners = r.inline ? [] : [r]
        }
        let n = 0
        for (const r of runners) {
          const done = catchUpModel(r)
          if (Result.isFailure(done)) return Effect.fail(done.failure)
          n += done.success
        }
        return Effect.succeed(n)
      }),
    rebuild: (model) =>
      Effect.suspend(() => {
        const r = registry.byName.get(model)
        if (r === undefined) return Effect.fail(unknownModel(model))
        const built = rebuildModel(r)
        return Result.isFailure(built) ? Effect.fail(built.failure) : Effect.void
      }),
    readModels: () =>
      Effect.sync(() =>
        registry.all.map(
          (r): ReadModelStatus => ({
            name: r.name,
            version: r.definition.version,
            mode: r.definition.mode,
            position: r.inline ? dataOf.length : stateOf(r.name).position
          })
        )
      )
  }
  return service
}

/** A store that cannot open: every call fails with `error` (no `throw` in a constructor). */
const failing = (error: StorageError): StorageService => {
  const f = () => Effect.fail(error)
  return {
    commit: f,
    readStream: f,
    readAll: f,
    seenKeys: f,
    readKeys: f,
    orders: f,
    order: f,
    reviewQueue: f,
    notOrdered: f,
    stock: f,
    buyer: f,
    replaceViews: f,
    claimOutbox: f,
    ackOutbox: f,
    failOutbox: f,
    deadLetterOutbox: f,
    deadLetters: f,
    retryDeadLetters: f,
    claimJobs: f,
    completeJob: f,
    failJob: f,
    jobs: f,
    document: f,
    documents: f,
    catchUp: f,
    rebuild: f,
    readModels: f
  }
}
