/**
 * `SqlStorage`: the Storage port over `effect/sql`. It needs only a `SqlClient.SqlClient`, so the
 * same code runs on SQLite (`@effect/sql-sqlite-node`, on Node's `node:sqlite`) and PostgreSQL
 * (`@effect/sql-pg`); the few dialect differences are handled inline.
 *
 * - `commit` is one transaction. It first updates the single `meta` row (the global event
 *   position), which serialises writers: a PostgreSQL row lock, the SQLite write lock. So positions
 *   are gap-free and in commit order, and `readAll` never skips an event a slower writer commits
 *   later. Stream versions are checked against the `streams` table (`SELECT … FOR UPDATE` on
 *   PostgreSQL) and guarded by `UNIQUE (stream, version)` on the events; a unique violation is
 *   reported as a conflict.
 * - Rows are written with multi-row `INSERT`s, chunked below the drivers' parameter limits.
 * - `claimOutbox` is one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`
 *   statement, safe with several relays; `claimJobs` likewise (on SQLite the statement holds the
 *   write lock), each claim under a fresh token that `completeJob`/`failJob` must present.
 * - Read models (`ReadModels`): inline ones are folded in `commit`'s transaction (only when one of
 *   its events has a type one of them reads), catch-up ones in their own transaction with their
 *   checkpoint (`SELECT … FOR UPDATE` on the checkpoint row on PostgreSQL), into one generic
 *   `documents` table. A new model or version is rebuilt when the storage starts.
 *
 * @since 0.1.0
 */
import type { Buyer, Notification, ReadModel } from "@kaituan/core"
import { ReadModels, Storage } from "@kaituan/core"
import { type Array as Arr, Clock, Effect, Layer, Result, Schema } from "effect"
import { SqlClient, type SqlError, type Statement } from "effect/sql"
import * as OrderDoc from "./internal/orderDoc.js"
import * as Migrations from "./Migrations.js"

/** Options of the SQL storage. */
export const Options = Schema.Struct({
  /** Prefix of every table, including the migrations table (default `kaituan_`). */
  tablePrefix: Schema.optional(Migrations.TablePrefix),
  /**
   * SQLite only: how long a writer waits for another process's lock, in ms (default 5000; on
   * `@effect/sql-sqlite-node` the client's own `busyTimeout`, 5 seconds unless configured).
   */
  busyTimeoutMs: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
})
/**
 * Options of the SQL storage: the {@link Options} schema's fields, and the read models to run
 * (default `ReadModels.builtIn`; add your own with `[...ReadModels.builtIn, mine]`).
 */
export type Options = typeof Options.Type & {
  readonly readModels?: ReadonlyArray<ReadModels.Definition<any>> | undefined
}

/** Events read per transaction when a catch-up model advances or a model is rebuilt. */
const PAGE = 1000

const MAX_PARAMS = 30_000 // SQLite allows 32766 bound parameters, PostgreSQL 65535
const MAX_ROWS = 500

type Chunk<A> = Arr.NonEmptyReadonlyArray<A>

/** `rows` in non-empty chunks (none for no rows) below the drivers' parameter limits. */
const chunksOf = <A>(rows: ReadonlyArray<A>, columns: number): ReadonlyArray<Chunk<A>> => {
  const size = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Math.max(1, columns))))
  if (rows.length <= size) return rows.length === 0 ? [] : [rows as unknown as Chunk<A>]
  const out: Array<Chunk<A>> = []
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size) as unknown as Chunk<A>)
  return out
}

/**
 * Names of SQLite result codes, which `node:sqlite` reports as a number (`errcode`): the extended
 * codes that matter here, and the primary codes (the low byte of any extended one).
 */
const sqliteCodes: Record<number, string> = {
  1: "SQLITE_ERROR",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  8: "SQLITE_READONLY",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  19: "SQLITE_CONSTRAINT",
  26: "SQLITE_NOTADB",
  517: "SQLITE_BUSY_SNAPSHOT",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  2067: "SQLITE_CONSTRAINT_UNIQUE"
}

/** The driver's own error under a `SqlError`: the cause of its reason. */
const driverError = (error: SqlError.SqlError): unknown => error.reason.cause

/**
 * The driver's error code: PostgreSQL's SQLSTATE; SQLite's result code by name (`node:sqlite`
 * reports `code: "ERR_SQLITE_ERROR"` and the SQLite code as the number `errcode`).
 */
const errorCode = (error: SqlError.SqlError): string | undefined => {
  const cause = driverError(error)
  if (typeof cause !== "object" || cause === null) return undefined
  if ("errcode" in cause && typeof cause.errcode === "number") {
    return sqliteCodes[cause.errcode] ?? sqliteCodes[cause.errcode & 0xff] ?? `SQLITE_${cause.errcode}`
  }
  if ("code" in cause) return String(cause.code)
  return undefined
}

/** SQLSTATEs and SQLite codes that mean "another writer got there first". */
const conflictCodes = new Set([
  "23505", // unique_violation
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "SQLITE_CONSTRAINT_UNIQUE",
  "SQLITE_CONSTRAINT_PRIMARYKEY"
])

const fromSqlError = (what: string) => (error: SqlError.SqlError) => {
  const code = errorCode(error)
  const cause = driverError(error)
  const detail = cause instanceof Error ? cause.message : String(cause ?? error.message)
  return new Storage.StorageError({
    reason: code !== undefined && conflictCodes.has(code) ? "conflict" : "unavailable",
    message: `${what}: ${detail}${code ? ` (${code})` : ""}`
  })
}

const corrupt = (what: string) => (cause: unknown) =>
  new Storage.StorageError({ reason: "corrupt", message: `${what}: ${String(cause)}` })

/** The `doc` column of each row, parsed (a doc that is not JSON fails as `corrupt`). */
const docs = <A>(
  what: string,
  rows: ReadonlyArray<{ readonly doc: string }>
): Effect.Effect<Array<A>, Storage.StorageError> =>
  Effect.try({
    try: () => {
      const out = new Array<A>(rows.length)
      for (let i = 0; i < rows.length; i++) out[i] = JSON.parse(rows[i]!.doc) as A
      return out
    },
    catch: corrupt(what)
  })

interface EventRow {
  readonly position: number | string
  readonly stream: string
  readonly version: number | string
  readonly type: string
  readonly data: unknown
  readonly at: string
}

const accountKey = (a: Buyer.LearnedAccount) => JSON.stringify([a.bankCode ?? null, a.last5])

/**
 * Builds the storage over the `SqlClient` in context: validates the options, applies the
 * migrations (SQLite: WAL mode, a busy timeout, and on `node:sqlite` `synchronous = NORMAL` and a
 * 16 MB page cache first), and returns the service, traced (`Storage.traced`: a span
 * `Storage.<method>` per call, around the `effect/sql` statement spans).
 */
export const make = (
  options: Options = {}
): Effect.Effect<Storage.StorageService, Storage.StorageError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const opts = yield* Schema.decodeUnknownEffect(Options)(options).pipe(
      Effect.mapError(
        (e) => new Storage.StorageError({ reason: "unavailable", message: `invalid SqlStorage options: ${e.message}` })
      )
    )
    const compiled = ReadModels.compile(options.readModels ?? ReadModels.builtIn)
    if (Result.isFailure(compiled)) return yield* compiled.failure
    const registry = compiled.success
    const inlineTypes = registry.inlineTypes
    const sql = yield* SqlClient.SqlClient
    const prefix = opts.tablePrefix ?? Migrations.defaultPrefix
    const t = Migrations.tables(prefix)
    const isPg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })

    const isNodeSqlite = sql.driver === "sqlite-node"
    // `@effect/sql-sqlite-node` (one connection, on `node:sqlite`) sets WAL mode and its own
    // `busyTimeout` (5 seconds unless configured) when it opens the file; other SQLite clients get
    // 5000 ms here. On `node:sqlite`, durability and cache are set to what the better-sqlite3 build
    // used before made the default: `synchronous = NORMAL` in WAL mode (a commit survives a crash
    // of the process, not necessarily of the machine; one fsync per checkpoint, not per commit) and
    // a 16 MB page cache (node:sqlite's build: FULL and 2 MB).
    const busyTimeoutMs = opts.busyTimeoutMs ?? (isNodeSqlite ? undefined : 5000)
    yield* sql
      .onDialectOrElse({
        sqlite: () =>
          Effect.gen(function* () {
            if (busyTimeoutMs !== undefined) yield* sql.unsafe(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
            yield* sql.unsafe("PRAGMA journal_mode = WAL")
            if (isNodeSqlite) {
              yield* sql.unsafe("PRAGMA synchronous = NORMAL")
              yield* sql.unsafe("PRAGMA cache_size = -16000")
            }
          }),
        orElse: () => Effect.void
      })
      .pipe(Effect.mapError(fromSqlError("configuring SQLite")))
    yield* Migrations.run(prefix).pipe(Effect.mapError(fromSqlError("migrating the database")))

    const T = {
      meta: sql(t.meta),
      streams: sql(t.streams),
      events: sql(t.events),
      keys: sql(t.keys),
      orders: sql(t.orders),
      review: sql(t.review),
      notOrdered: sql(t.notOrdered),
      stock: sql(t.stock),
      buyers: sql(t.buyers),
      identities: sql(t.identities),
      accounts: sql(t.accounts),
      outbox: sql(t.outbox),
      jobs: sql(t.jobs),
      documents: sql(t.documents),
      readModels: sql(t.readModels)
    }
    const forUpdate = sql.literal(isPg ? "FOR UPDATE" : "")
    const skipLocked = sql.literal(isPg ? "FOR UPDATE SKIP LOCKED" : "")
    /** JSON columns: `json` on PostgreSQL (the driver parses it), TEXT on SQLite. */
    const readJson = isPg ? (v: unknown) => v : (v: unknown) => JSON.parse(v as string) as unknown
    const writeJson = (v: unknown) => JSON.stringify(v === undefined ? null : v)

    const toStored = (r: EventRow): Storage.StoredEvent => ({
      stream: r.stream,
      version: Number(r.version),
      position: Number(r.position),
      type: r.type,
      data: readJson(r.data),
      at: r.at
    })

    /** Locks the meta row (serialising writers) and returns the counters. */
    const lockMeta = Effect.map(
      sql<{
        position: number | string
        outbox_seq: number | string
      }>`UPDATE ${T.meta} SET position = position WHERE id = 1 RETURNING position, outbox_seq`,
      (rows) => ({ position: Number(rows[0]?.position ?? 0), outboxSeq: Number(rows[0]?.outbox_seq ?? 0) })
    )

    const insertMany = (
      rows: ReadonlyArray<Record<string, unknown>>,
      columns: number,
      statement: (chunk: Chunk<Record<string, unknown>>) => Effect.Effect<unknown, SqlError.SqlError>
    ) => Effect.forEach(chunksOf(rows, columns), statement, { discard: true })

    /** Applies view changes with the semantics of core's `applyViewChange`, table by table. */
    const applyViews = (changes: ReadonlyArray<ReadModel.ViewChange>) =>
      Effect.gen(function* () {
        if (changes.length === 0) return
        const orders = new Map<string, ReadModel.OrderView>()
        const review = new Map<string, ReadModel.ReviewItem>()
        const notOrdered: Array<ReadModel.NotOrderedItem> = []
        const stock = new Map<string, ReadModel.StockView>()
        const buyers = new Map<string, string>()
        const identities = new Map<string, { buyer_id: string; channel: string; user_id: string; name: string }>()
        const accounts = new Map<string, { buyer_id: string; account_key: string; doc: string }>()
        for (const c of changes) {
          switch (c._tag) {
            case "UpsertOrder":
              orders.set(c.order.orderId, c.order)
              break
            case "UpsertReview":
              review.set(JSON.stringify([c.item.roundId, c.item.commentId]), c.item)
              break
            case "AddNotOrdered":
              notOrdered.push(c.item)
              break
            case "SetStock":
              stock.set(JSON.stringify([c.stock.roundId, c.stock.sku]), c.stock)
              break
            case "AddBuyerIdentity": {
              if (!buyers.has(c.buyerId)) buyers.set(c.buyerId, c.name)
              const k = JSON.stringify([c.buyerId, c.channel, c.userId])
              if (!identities.has(k)) {
                identities.set(k, { buyer_id: c.buyerId, channel: c.channel, user_id: c.userId, name: c.name })
              }
              break
            }
            case "LearnAccount": {
              if (!buyers.has(c.buyerId)) buyers.set(c.buyerId, c.buyerId)
              const ak = accountKey(c.account)
              const k = JSON.stringify([c.buyerId, ak])
              if (!accounts.has(k)) {
                accounts.set(k, { buyer_id: c.buyerId, account_key: ak, doc: JSON.stringify(c.account) })
              }
              break
            }
          }
        }
        yield* insertMany(
          [...orders.values()].map((o) => ({
            order_id: o.orderId,
            round_id: o.roundId,
            status: o.status,
            seq: o.seq,
            buyer_id: o.buyerId,
            doc: OrderDoc.encode(o)
          })),
          6,
          (rows) =>
            sql`INSERT INTO ${T.orders} ${sql.insert(rows)} ON CONFLICT (order_id) DO UPDATE SET
              round_id = excluded.round_id, status = excluded.status, seq = excluded.seq, buyer_id = excluded.buyer_id,
              doc = excluded.doc`
        )
        yield* insertMany(
          [...review.values()].map((r) => ({
            round_id: r.roundId,
            comment_id: r.commentId,
            seq: r.seq,
            resolved: r.resolved ? 1 : 0,
            doc: JSON.stringify(r)
          })),
          5,
          (rows) =>
            sql`INSERT INTO ${T.review} ${sql.insert(rows)} ON CONFLICT (round_id, comment_id) DO UPDATE SET seq = excluded.seq, resolved = excluded.resolved, doc = excluded.doc`
        )
        yield* insertMany(
          notOrdered.map((n) => ({ round_id: n.roundId, seq: n.seq, doc: JSON.stringify(n) })),
          3,
          (rows) => sql`INSERT INTO ${T.notOrdered} ${sql.insert(rows)}`
        )
        yield* insertMany(
          [...stock.values()].map((s) => ({ round_id: s.roundId, sku: s.sku, doc: JSON.stringify(s) })),
          3,
          (rows) =>
            sql`INSERT INTO ${T.stock} ${sql.insert(rows)} ON CONFLICT (round_id, sku) DO UPDATE SET doc = excluded.doc`
        )
        yield* insertMany(
          [...buyers].map(([id, name]) => ({ id, name })),
          2,
          (rows) => sql`INSERT INTO ${T.buyers} ${sql.insert(rows)} ON CONFLICT (id) DO NOTHING`
        )
        yield* insertMany(
          [...identities.values()],
          4,
          (rows) =>
            sql`INSERT INTO ${T.identities} ${sql.insert(rows)} ON CONFLICT (buyer_id, channel, user_id) DO NOTHING`
        )
        yield* insertMany(
          [...accounts.values()],
          3,
          (rows) => sql`INSERT INTO ${T.accounts} ${sql.insert(rows)} ON CONFLICT (buyer_id, account_key) DO NOTHING`
        )
      })

    // ---------------------------------------------------------------------------------------------
    // read models: documents in one table, folded with core's engine

    /** A stored document's JSON (parsed), then decoded with the model's schema. */
    const decodeDoc = (runner: ReadModels.Runner, raw: unknown) =>
      Effect.flatMap(
        Effect.try({ try: () => readJson(raw), catch: corrupt(`read model ${runner.name}: a document is not JSON`) }),
        (encoded) => {
          const r = runner.decode(encoded)
          return Result.isSuccess(r) ? Effect.succeed(r.success) : Effect.fail(r.failure)
        }
      )

    /** The documents with these ids (decoded; absent ones are not in the map). */
    const loadDocs = (runner: ReadModels.Runner, ids: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const docs = new Map<string, unknown>()
        for (const chunk of chunksOf(ids, 1)) {
          const rows = yield* sql<{ id: string; doc: unknown }>`SELECT id, doc FROM ${T.documents}
            WHERE model = ${runner.name} AND ${sql.in("id", chunk)}`
          for (const r of rows) docs.set(r.id, yield* decodeDoc(runner, r.doc))
        }
        return docs
      })

    /** Writes these documents of `docs` (undefined: deleted), each marked with `position`. */
    const writeDocs = (
      runner: ReadModels.Runner,
      docs: ReadonlyMap<string, unknown>,
      ids: Iterable<string>,
      position: number
    ) =>
      Effect.gen(function* () {
        const rows: Array<Record<string, unknown>> = []
        const deleted: Array<string> = []
        for (const id of ids) {
          const doc = docs.get(id)
          if (doc === undefined) {
            deleted.push(id)
            continue
          }
          const row = runner.toRow(id, doc)
          if (Result.isFailure(row)) return yield* row.failure
          rows.push({
            model: runner.name,
            id,
            doc: writeJson(row.success.doc),
            k1: row.success.k1 ?? null,
            k2: row.success.k2 ?? null,
            k3: row.success.k3 ?? null,
            position
          })
        }
        yield* insertMany(
          rows,
          7,
          (chunk) => sql`INSERT INTO ${T.documents} ${sql.insert(chunk)} ON CONFLICT (model, id) DO UPDATE SET
            doc = excluded.doc, k1 = excluded.k1, k2 = excluded.k2, k3 = excluded.k3, position = excluded.position`
        )
        for (const chunk of chunksOf(deleted, 1)) {
          yield* sql`DELETE FROM ${T.documents} WHERE model = ${runner.name} AND ${sql.in("id", chunk)}`
        }
      })

    /** Folds events (global order) into a model's stored documents: loads those touched, writes those changed. */
    const applyEvents = (runner: ReadModels.Runner, events: ReadonlyArray<Storage.StoredEvent>, position: number) =>
      Effect.gen(function* () {
        const t = ReadModels.touched([runner], events).get(runner)
        if (t === undefined) return
        const docs = yield* loadDocs(runner, [...t.ids])
        const folded = ReadModels.fold(runner, t.events, docs)
        if (Result.isFailure(folded)) return yield* folded.failure
        yield* writeDocs(runner, docs, folded.success, position)
      })

    /** Events after `from` up to `to` that the model reads, at most `limit`, in order. */
    const eventsFor = (runner: ReadModels.Runner, from: number, to: number, limit: number) => {
      const types = [...new Set(runner.definition.eventTypes)]
      return types.length === 0
        ? Effect.succeed([] as Array<Storage.StoredEvent>)
        : Effect.map(
            sql<EventRow>`SELECT position, stream, version, type, data, at FROM ${T.events}
              WHERE position > ${from} AND position <= ${to} AND ${sql.in("type", types)}
              ORDER BY position LIMIT ${limit}`,
            (rows) => rows.map(toStored)
          )
    }

    /** The global position: every event up to it is committed (read before the events). */
    const headPosition = Effect.map(
      sql<{ position: number | string }>`SELECT position FROM ${T.meta} WHERE id = 1`,
      (rows) => Number(rows[0]?.position ?? 0)
    )

    const saveCheckpoint = (runner: ReadModels.Runner, position: number) =>
      sql`INSERT INTO ${T.readModels} ${sql.insert({
        name: runner.name,
        version: runner.definition.version,
        position
      })} ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position`

    /** Locks a model's checkpoint row (creating it at 0) and returns its position. */
    const lockCheckpoint = (runner: ReadModels.Runner) =>
      Effect.gen(function* () {
        yield* sql`INSERT INTO ${T.readModels} ${sql.insert({
          name: runner.name,
          version: runner.definition.version,
          position: 0
        })} ON CONFLICT (name) DO NOTHING`
        const rows = yield* sql<{ position: number | string }>`SELECT position FROM ${T.readModels}
          WHERE name = ${runner.name} ${forUpdate}`
        return Number(rows[0]?.position ?? 0)
      })

    /**
     * Clears a model's documents and folds every event up to `to` into it, in the current
     * transaction (which holds the meta lock for an inline model, its checkpoint row for a
     * catch-up one); the checkpoint becomes `to` with the model's version.
     */
    const rebuildIn = (runner: ReadModels.Runner, to: number) =>
      Effect.gen(function* () {
        yield* sql`DELETE FROM ${T.documents} WHERE model = ${runner.name}`
        const docs = new Map<string, unknown>()
        let from = 0
        for (;;) {
          const events = yield* eventsFor(runner, from, to, PAGE)
          const folded = ReadModels.fold(runner, events, docs)
          if (Result.isFailure(folded)) return yield* folded.failure
          if (events.length < PAGE) break
          from = events[events.length - 1]!.position
        }
        yield* writeDocs(
          runner,
          docs,
          [...docs.keys()].filter((id) => docs.get(id) !== undefined),
          to
        )
        yield* saveCheckpoint(runner, to)
      })

    const rebuildNow = (runner: ReadModels.Runner) =>
      sql.withTransaction(
        runner.inline
          ? Effect.flatMap(lockMeta, (meta) => rebuildIn(runner, meta.position))
          : Effect.gen(function* () {
              yield* lockCheckpoint(runner)
              yield* rebuildIn(runner, yield* headPosition)
            })
      )

    /** One step of a catch-up model: at most a page of events, with its checkpoint, in one transaction. */
    const catchUpStep = (runner: ReadModels.Runner) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const from = yield* lockCheckpoint(runner)
          const head = yield* headPosition
          if (head <= from) return { applied: 0, done: true }
          const events = yield* eventsFor(runner, from, head, PAGE)
          const full = events.length === PAGE
          const to = full ? events[events.length - 1]!.position : head
          yield* applyEvents(runner, events, to)
          yield* saveCheckpoint(runner, to)
          return { applied: events.length, done: !full }
        })
      )

    const catchUpModel = (runner: ReadModels.Runner) =>
      Effect.gen(function* () {
        let applied = 0
        for (;;) {
          const step = yield* catchUpStep(runner)
          applied += step.applied
          if (step.done) return applied
        }
      })

    // A new model, or a new version of one, is rebuilt now (under the meta lock, so two processes
    // starting at once rebuild it once: the second finds the version already stored).
    const storedVersions = (rows: ReadonlyArray<{ name: string; version: number | string }>) =>
      new Map(rows.map((r) => [r.name, Number(r.version)]))
    const stale = (versions: ReadonlyMap<string, number>) =>
      registry.all.filter((r) => versions.get(r.name) !== r.definition.version)
    const before = storedVersions(
      yield* sql<{ name: string; version: number | string }>`SELECT name, version FROM ${T.readModels}`.pipe(
        Effect.mapError(fromSqlError("reading the read models"))
      )
    )
    if (stale(before).length > 0) {
      yield* sql
        .withTransaction(
          Effect.gen(function* () {
            const meta = yield* lockMeta
            const now = storedVersions(
              yield* sql<{ name: string; version: number | string }>`SELECT name, version FROM ${T.readModels}`
            )
            for (const r of stale(now)) yield* rebuildIn(r, meta.position)
          })
        )
        .pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("rebuilding read models")(e))))
    }

    // ---------------------------------------------------------------------------------------------
    // jobs

    const jobRow = (j: Storage.ScheduledJob) => ({
      id: j.id,
      kind: j.kind,
      due_at: j.dueAt,
      due_ms: Date.parse(j.dueAt),
      payload: writeJson(j.payload),
      status: "pending",
      attempts: 0,
      lease_until: 0
    })

    /** A commit's `unschedule`, then its `schedule` (the last of one id wins), in the current transaction. */
    const writeJobs = (c: Storage.Commit) =>
      Effect.gen(function* () {
        if (c.unschedule !== undefined && c.unschedule.length > 0) {
          for (const chunk of chunksOf([...new Set(c.unschedule)], 1)) {
            yield* sql`UPDATE ${T.jobs} SET status = 'cancelled' WHERE status = 'pending' AND ${sql.in("id", chunk)}`
          }
        }
        if (c.schedule !== undefined && c.schedule.length > 0) {
          const byId = new Map(c.schedule.map((j) => [j.id, jobRow(j)]))
          yield* insertMany(
            [...byId.values()],
            8,
            (rows) => sql`INSERT INTO ${T.jobs} ${sql.insert(rows)} ON CONFLICT (id) DO UPDATE SET
              kind = excluded.kind, due_at = excluded.due_at, due_ms = excluded.due_ms, payload = excluded.payload,
              attempts = CASE WHEN ${T.jobs}.status = 'failed' THEN 0 ELSE ${T.jobs}.attempts END,
              last_error = CASE WHEN ${T.jobs}.status = 'failed' THEN NULL ELSE ${T.jobs}.last_error END,
              status = 'pending', claim = NULL, lease_until = 0
              WHERE ${T.jobs}.status NOT IN ('done', 'cancelled')`
          )
        }
      })

    const conflict = (stream: string, current: number, expected: number) =>
      new Storage.StorageError({
        reason: "conflict",
        stream,
        message: `stream ${stream} is at version ${current}, expected ${expected}`
      })

    const commit = (
      commits: ReadonlyArray<Storage.Commit>
    ): Effect.Effect<ReadonlyArray<Storage.CommitResult>, Storage.StorageError> => {
      if (commits.length === 0) return Effect.succeed([])
      const work = Effect.gen(function* () {
        const meta = yield* lockMeta
        // Idempotency keys: insert them all, each with the data of its first commit in the batch;
        // the ones that come back are new.
        const dataOf = new Map<string, string | null>()
        for (const c of commits) {
          const key = c.idempotencyKey
          if (key !== undefined && !dataOf.has(key)) dataOf.set(key, c.keyData || null)
        }
        const batchKeys = [...dataOf.keys()].sort().map((key) => ({ key, data: dataOf.get(key) ?? null }))
        const fresh = new Set<string>()
        for (const chunk of chunksOf(batchKeys, 2)) {
          const rows = yield* sql<{
            key: string
          }>`INSERT INTO ${T.keys} ${sql.insert(chunk)} ON CONFLICT (key) DO NOTHING RETURNING key`
          for (const r of rows) fresh.add(r.key)
        }
        const duplicate = commits.map((c) => {
          if (c.idempotencyKey === undefined) return false
          if (!fresh.has(c.idempotencyKey)) return true
          fresh.delete(c.idempotencyKey) // a later commit with the same key is a duplicate
          return false
        })
        // Current versions of the streams written to.
        const names = [
          ...new Set(commits.flatMap((c, i) => (duplicate[i] ? [] : c.appends.map((a) => a.stream))))
        ].sort()
        const versions = new Map<string, number>()
        for (const chunk of chunksOf(names, 1)) {
          const rows = yield* sql<{ stream: string; version: number | string }>`SELECT stream, version FROM ${
            T.streams
          } WHERE ${sql.in("stream", chunk)} ORDER BY stream ${forUpdate}`
          for (const r of rows) versions.set(r.stream, Number(r.version))
        }
        // Validate in order, exactly as the in-memory store does.
        const pending = new Map<string, number>()
        const results: Array<Storage.CommitResult> = []
        const events: Array<Record<string, unknown>> = []
        const views: Array<ReadModel.ViewChange> = []
        const outbox: Array<Record<string, unknown>> = []
        const outboxIds = new Set<string>()
        // Events an inline read model reads (none on the per-comment path: one Set lookup each).
        const inlineEvents: Array<Storage.StoredEvent> = []
        const withJobs: Array<Storage.Commit> = []
        let position = meta.position
        let outboxSeq = meta.outboxSeq
        for (let i = 0; i < commits.length; i++) {
          const c = commits[i]!
          if (duplicate[i]) {
            results.push({ _tag: "Duplicate", idempotencyKey: c.idempotencyKey! })
            continue
          }
          const committed: Record<string, number> = {}
          for (const a of c.appends) {
            const current = pending.get(a.stream) ?? versions.get(a.stream) ?? 0
            if (current !== a.expectedVersion) return yield* conflict(a.stream, current, a.expectedVersion)
            let version = current
            for (const e of a.events) {
              events.push({
                position: ++position,
                stream: a.stream,
                version: ++version,
                type: e.type,
                data: writeJson(e.data),
                at: e.at
              })
              if (inlineTypes.has(e.type))
                inlineEvents.push({ stream: a.stream, version, position, type: e.type, data: e.data, at: e.at })
            }
            pending.set(a.stream, version)
            committed[a.stream] = version
          }
          results.push({ _tag: "Committed", versions: committed })
          if (
            (c.schedule !== undefined && c.schedule.length > 0) ||
            (c.unschedule !== undefined && c.unschedule.length > 0)
          ) {
            for (const j of c.schedule ?? [])
              if (Number.isNaN(Date.parse(j.dueAt)))
                return yield* new Storage.StorageError({
                  reason: "corrupt",
                  message: "a job's dueAt is not an ISO 8601 time"
                })
            withJobs.push(c)
          }
          for (const v of c.views) views.push(v)
          for (const m of c.outbox) {
            if (outboxIds.has(m.id)) continue
            outboxIds.add(m.id)
            outbox.push({ id: m.id, seq: ++outboxSeq, message: writeJson(m) })
          }
        }
        yield* insertMany(events, 6, (rows) => sql`INSERT INTO ${T.events} ${sql.insert(rows)}`)
        yield* insertMany(
          [...pending].map(([stream, version]) => ({ stream, version })),
          2,
          (rows) =>
            sql`INSERT INTO ${T.streams} ${sql.insert(rows)} ON CONFLICT (stream) DO UPDATE SET version = excluded.version`
        )
        yield* applyViews(views)
        yield* insertMany(
          outbox,
          3,
          (rows) => sql`INSERT INTO ${T.outbox} ${sql.insert(rows)} ON CONFLICT (id) DO NOTHING`
        )
        for (const c of withJobs) yield* writeJobs(c)
        if (inlineEvents.length > 0) for (const r of registry.inline) yield* applyEvents(r, inlineEvents, position)
        if (position !== meta.position || outboxSeq !== meta.outboxSeq) {
          yield* sql`UPDATE ${T.meta} SET position = ${position}, outbox_seq = ${outboxSeq} WHERE id = 1`
        }
        return results
      })
      return sql.withTransaction(work).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("commit")(e))))
    }

    const readStream = (stream: string, fromVersion = 0) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ version: number | string }>`SELECT version FROM ${T.streams} WHERE stream = ${stream}`
        const version = Number(rows[0]?.version ?? 0)
        if (version <= fromVersion) return { version, events: [] as ReadonlyArray<Storage.StoredEvent> }
        // Bounded by the version read first: a concurrent commit cannot slip in unseen events.
        const events = yield* sql<EventRow>`SELECT position, stream, version, type, data, at FROM ${
          T.events
        } WHERE stream = ${stream} AND version > ${fromVersion} AND version <= ${version} ORDER BY version`
        return { version, events: events.map(toStored) }
      }).pipe(Effect.mapError(fromSqlError("readStream")))

    const readAll = (fromPosition: number, limit: number) =>
      limit <= 0
        ? Effect.succeed([])
        : sql<EventRow>`SELECT position, stream, version, type, data, at FROM ${
            T.events
          } WHERE position > ${fromPosition} ORDER BY position LIMIT ${limit}`.pipe(
            Effect.map((rows) => rows.map(toStored)),
            Effect.mapError(fromSqlError("readAll"))
          )

    const readKeys = (keys: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const found = new Map<string, string>()
        for (const chunk of chunksOf([...new Set(keys)], 1)) {
          const rows = yield* sql<{
            key: string
            data: string | null
          }>`SELECT key, data FROM ${T.keys} WHERE ${sql.in("key", chunk)}`
          for (const r of rows) found.set(r.key, r.data ?? "")
        }
        return found as ReadonlyMap<string, string>
      }).pipe(Effect.mapError(fromSqlError("readKeys")))

    const seenKeys = (keys: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const seen = new Set<string>()
        for (const chunk of chunksOf([...new Set(keys)], 1)) {
          const rows = yield* sql<{ key: string }>`SELECT key FROM ${T.keys} WHERE ${sql.in("key", chunk)}`
          for (const r of rows) seen.add(r.key)
        }
        return seen as ReadonlySet<string>
      }).pipe(Effect.mapError(fromSqlError("seenKeys")))

    // A round's orders come back as one string, a JSON array built by the database, and are
    // parsed with one JSON.parse (see internal/orderDoc.ts). SQLite walks the (round_id, seq)
    // index, so the docs come in list order: group_concat over a sorted FROM subquery follows
    // it (SQLite neither flattens such a subquery into an aggregate nor drops its ORDER BY).
    // PostgreSQL would sort the docs themselves (spilling to disk past work_mem for a large
    // round), so it sends them unsorted with their `ins` (two aggregates of one scan see the
    // rows in the same order) and they are put in order here. A page (`limit`) is cut in the
    // database from the rows in list order, by the (round_id, seq) or (round_id, status, seq) index.
    const orders: Storage.StorageService["orders"] = ({ roundId, status, buyerId, afterSeq, limit }) => {
      if (status !== undefined && status.length === 0) return Effect.succeed([])
      if (limit !== undefined && limit <= 0) return Effect.succeed([])
      const base: Array<Statement.Fragment> = [sql`round_id = ${roundId}`]
      if (buyerId !== undefined) base.push(sql`buyer_id = ${buyerId}`)
      if (afterSeq !== undefined) base.push(sql`seq > ${afterSeq}`)
      const statuses = status === undefined ? undefined : [...new Set(status)]
      const where = (extra: ReadonlyArray<Statement.Fragment>) => {
        const all = [...base, ...extra]
        return all.length === 1 ? all[0]! : sql.and(all)
      }
      // The rows of the list, in list order. A page is cut from one short index range per status
      // (or one range of the round), merged: a planner could otherwise sort every row of those
      // statuses for one page. SQLite's indexes end with the rowid (`ins`), so they give the list
      // order; PostgreSQL's give `seq` order only, so each range takes its first rows `WITH TIES`
      // on `seq` (no sort of the range, whatever the statistics) and the merge orders by `ins` too.
      const rowsInOrder = (columns: Statement.Fragment) => {
        if (limit === undefined) {
          const w = where(statuses === undefined ? [] : [sql.in("status", statuses)])
          return sql`SELECT ${columns} FROM ${T.orders} WHERE ${w} ORDER BY seq, ins`
        }
        const range = (w: Statement.Fragment) =>
          isPg
            ? sql`SELECT doc, seq, ins FROM ${T.orders} WHERE ${w} ORDER BY seq FETCH FIRST ${limit} ROWS WITH TIES`
            : sql`SELECT doc, seq, ins FROM ${T.orders} WHERE ${w} ORDER BY seq, ins LIMIT ${limit}`
        const ranges = (statuses ?? [undefined]).map(
          (st, i) =>
            sql`SELECT * FROM (${range(where(st === undefined ? [] : [sql`status = ${st}`]))}) AS ${sql(`s${i}`)}`
        )
        const union = ranges.slice(1).reduce((acc, r) => sql`${acc} UNION ALL ${r}`, ranges[0]!)
        return sql`SELECT ${columns} FROM (${union}) AS merged ORDER BY seq, ins LIMIT ${limit}`
      }
      const read: Effect.Effect<() => Array<ReadModel.OrderView>, SqlError.SqlError> = isPg
        ? Effect.map(
            limit === undefined
              ? sql<{ docs: string | null; ins: string | null }>`SELECT '[' || string_agg(doc, ',') || ']' AS docs,
                  '[' || string_agg(ins::text, ',') || ']' AS ins FROM ${T.orders} WHERE ${where(
                    statuses === undefined ? [] : [sql.in("status", statuses)]
                  )}`
              : sql<{ docs: string | null; ins: string | null }>`SELECT '[' || string_agg(doc, ',') || ']' AS docs,
                  '[' || string_agg(ins::text, ',') || ']' AS ins FROM (${rowsInOrder(sql.literal("doc, ins"))}) AS page`,
            (rows) => () => OrderDoc.decodeUnsortedList(roundId, rows[0]?.docs, rows[0]?.ins)
          )
        : Effect.map(
            sql<{ docs: string | null }>`SELECT '[' || group_concat(doc, ',') || ']' AS docs
              FROM (${rowsInOrder(sql.literal("doc"))})`,
            (rows) => () => OrderDoc.decodeList(roundId, rows[0]?.docs)
          )
      return read.pipe(
        Effect.mapError(fromSqlError("orders")),
        Effect.flatMap((decode) => Effect.try({ try: decode, catch: corrupt("orders") }))
      )
    }

    const order: Storage.StorageService["order"] = (orderId) =>
      sql<{ round_id: string; doc: string }>`SELECT round_id, doc FROM ${T.orders} WHERE order_id = ${orderId}`.pipe(
        Effect.mapError(fromSqlError("order")),
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.succeed(undefined)
            : Effect.try({ try: () => OrderDoc.decode(rows[0]!.round_id, rows[0]!.doc), catch: corrupt("order") })
        )
      )

    const reviewQueue: Storage.StorageService["reviewQueue"] = ({ roundId, includeResolved }) =>
      (includeResolved
        ? sql<{ doc: string }>`SELECT doc FROM ${T.review} WHERE round_id = ${roundId} ORDER BY seq, ins`
        : sql<{
            doc: string
          }>`SELECT doc FROM ${T.review} WHERE round_id = ${roundId} AND resolved = 0 ORDER BY seq, ins`
      ).pipe(
        Effect.mapError(fromSqlError("reviewQueue")),
        Effect.flatMap((rows) => docs<ReadModel.ReviewItem>("reviewQueue", rows))
      )

    const notOrdered: Storage.StorageService["notOrdered"] = ({ roundId }) =>
      sql<{ doc: string }>`SELECT doc FROM ${T.notOrdered} WHERE round_id = ${roundId} ORDER BY seq, ins`.pipe(
        Effect.mapError(fromSqlError("notOrdered")),
        Effect.flatMap((rows) => docs<ReadModel.NotOrderedItem>("notOrdered", rows))
      )

    const stock: Storage.StorageService["stock"] = ({ roundId }) =>
      sql<{ doc: string }>`SELECT doc FROM ${T.stock} WHERE round_id = ${roundId}`.pipe(
        Effect.mapError(fromSqlError("stock")),
        Effect.flatMap((rows) => docs<ReadModel.StockView>("stock", rows)),
        // Sorted in JS, as the in-memory store does (UTF-16 order, independent of collations).
        Effect.map((list) => list.sort((a, b) => (a.sku < b.sku ? -1 : 1)))
      )

    const buyer: Storage.StorageService["buyer"] = (buyerId) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ id: string; name: string }>`SELECT id, name FROM ${T.buyers} WHERE id = ${buyerId}`
        const row = rows[0]
        if (row === undefined) return undefined
        const ids = yield* sql<{
          channel: string
          user_id: string
          name: string
        }>`SELECT channel, user_id, name FROM ${T.identities} WHERE buyer_id = ${buyerId} ORDER BY ins`
        const accs = yield* sql<{ doc: string }>`SELECT doc FROM ${T.accounts} WHERE buyer_id = ${buyerId} ORDER BY ins`
        const accounts = yield* docs<Buyer.LearnedAccount>("buyer", accs)
        const result: Buyer.Buyer = {
          id: row.id as Buyer.Buyer["id"],
          name: row.name,
          identities: ids.map((i) => ({
            channel: i.channel as Buyer.ChannelIdentity["channel"],
            userId: i.user_id,
            name: i.name
          })),
          accounts
        }
        return result
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("buyer")(e))))

    const replaceViews: Storage.StorageService["replaceViews"] = (changes) =>
      sql
        .withTransaction(
          Effect.gen(function* () {
            yield* lockMeta
            for (const table of [T.orders, T.review, T.notOrdered, T.stock, T.buyers, T.identities, T.accounts]) {
              yield* sql`DELETE FROM ${table}`
            }
            yield* applyViews(changes)
          })
        )
        .pipe(Effect.mapError(fromSqlError("replaceViews")))

    const claimOutbox: Storage.StorageService["claimOutbox"] = ({ limit, leaseMs }) =>
      limit <= 0
        ? Effect.succeed([])
        : Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            const rows = yield* sql<{
              seq: number | string
              message: unknown
              attempts: number | string
            }>`UPDATE ${T.outbox} SET attempts = attempts + 1, available_at = ${now + leaseMs}
              WHERE id IN (SELECT id FROM ${T.outbox} WHERE sent_at IS NULL AND dead_at IS NULL AND available_at <= ${now}
                           ORDER BY seq LIMIT ${limit} ${skipLocked})
              RETURNING seq, message, attempts`
            const sorted = [...rows].sort((a, b) => Number(a.seq) - Number(b.seq))
            return yield* Effect.try({
              try: () =>
                sorted.map(
                  (r): Storage.OutboxEntry => ({
                    message: readJson(r.message) as Notification.OutboundMessage,
                    attempts: Number(r.attempts)
                  })
                ),
              catch: corrupt("claimOutbox")
            })
          }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("claimOutbox")(e))))

    const ackOutbox: Storage.StorageService["ackOutbox"] = (ids) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        for (const chunk of chunksOf([...new Set(ids)], 1)) {
          yield* sql`UPDATE ${T.outbox} SET sent_at = ${now} WHERE sent_at IS NULL AND ${sql.in("id", chunk)}`
        }
      }).pipe(Effect.mapError(fromSqlError("ackOutbox")))

    const failOutbox: Storage.StorageService["failOutbox"] = (id, error, retryAfterMs) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* sql`UPDATE ${T.outbox} SET last_error = ${error}, available_at = ${now + retryAfterMs}
                   WHERE id = ${id} AND sent_at IS NULL AND dead_at IS NULL`
      }).pipe(Effect.mapError(fromSqlError("failOutbox")))

    const deadLetterOutbox: Storage.StorageService["deadLetterOutbox"] = (id, error) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        yield* sql`UPDATE ${T.outbox} SET dead_at = ${now}, last_error = ${error} WHERE id = ${id} AND sent_at IS NULL`
      }).pipe(Effect.mapError(fromSqlError("deadLetterOutbox")))

    const deadLetters: Storage.StorageService["deadLetters"] = ({ limit }) =>
      limit !== undefined && limit <= 0
        ? Effect.succeed([])
        : sql<{
            message: unknown
            attempts: number | string
            last_error: string | null
          }>`SELECT message, attempts, last_error
            FROM ${T.outbox} WHERE dead_at IS NOT NULL AND sent_at IS NULL ORDER BY seq${
              limit === undefined ? sql.literal("") : sql` LIMIT ${limit}`
            }`.pipe(
            Effect.mapError(fromSqlError("deadLetters")),
            Effect.flatMap((rows) =>
              Effect.try({
                try: () =>
                  rows.map(
                    (r): Storage.DeadLetter => ({
                      message: readJson(r.message) as Notification.OutboundMessage,
                      attempts: Number(r.attempts),
                      error: r.last_error ?? ""
                    })
                  ),
                catch: corrupt("deadLetters")
              })
            )
          )

    const retryDeadLetters: Storage.StorageService["retryDeadLetters"] = (ids) =>
      Effect.gen(function* () {
        let n = 0
        for (const chunk of chunksOf([...new Set(ids)], 1)) {
          const rows = yield* sql<{ id: string }>`UPDATE ${T.outbox} SET dead_at = NULL, attempts = 0, available_at = 0
            WHERE dead_at IS NOT NULL AND sent_at IS NULL AND ${sql.in("id", chunk)} RETURNING id`
          n += rows.length
        }
        return n
      }).pipe(Effect.mapError(fromSqlError("retryDeadLetters")))

    interface JobRecord {
      readonly id: string
      readonly kind: string
      readonly due_at: string
      readonly due_ms: number | string
      readonly payload: unknown
      readonly status: string
      readonly attempts: number | string
      readonly last_error: string | null
      readonly claim: string | null
    }

    const invalidTime = (what: string) =>
      new Storage.StorageError({ reason: "corrupt", message: `${what} is not an ISO 8601 time` })

    const claimJobs: Storage.StorageService["claimJobs"] = ({ now, limit, leaseMs }) => {
      const nowMs = Date.parse(now)
      if (Number.isNaN(nowMs)) return Effect.fail(invalidTime("claimJobs' now"))
      if (limit <= 0) return Effect.succeed([])
      const claim = `${globalThis.crypto.randomUUID()}`
      return sql<JobRecord>`UPDATE ${T.jobs} SET status = 'running', attempts = attempts + 1, claim = ${claim},
          lease_until = ${nowMs + leaseMs}
        WHERE id IN (SELECT id FROM ${T.jobs}
                     WHERE (status = 'pending' AND due_ms <= ${nowMs}) OR (status = 'running' AND lease_until <= ${nowMs})
                     ORDER BY due_ms, id LIMIT ${limit} ${skipLocked})
        RETURNING id, kind, due_at, due_ms, payload, status, attempts, last_error, claim`.pipe(
        Effect.mapError(fromSqlError("claimJobs")),
        Effect.flatMap((rows) =>
          Effect.try({
            try: () =>
              [...rows]
                .sort((a, b) => Number(a.due_ms) - Number(b.due_ms) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
                .map(
                  (r): Storage.ClaimedJob => ({
                    id: r.id,
                    kind: r.kind,
                    dueAt: r.due_at,
                    payload: readJson(r.payload),
                    attempts: Number(r.attempts),
                    claim
                  })
                ),
            catch: corrupt("claimJobs")
          })
        )
      )
    }

    const completeJob: Storage.StorageService["completeJob"] = (id, claim) =>
      sql<{ id: string }>`UPDATE ${T.jobs} SET status = 'done', claim = NULL
        WHERE id = ${id} AND claim = ${claim} AND status = 'running' RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.mapError(fromSqlError("completeJob"))
      )

    const failJob: Storage.StorageService["failJob"] = (id, claim, error, retryAt) => {
      const retryMs = retryAt === undefined ? undefined : Date.parse(retryAt)
      if (retryMs !== undefined && Number.isNaN(retryMs)) return Effect.fail(invalidTime("failJob's retryAt"))
      const set =
        retryAt === undefined || retryMs === undefined
          ? sql`status = 'failed', claim = NULL, last_error = ${error}`
          : sql`status = 'pending', claim = NULL, last_error = ${error}, due_at = ${retryAt}, due_ms = ${retryMs}`
      return sql<{ id: string }>`UPDATE ${T.jobs} SET ${set}
        WHERE id = ${id} AND claim = ${claim} AND status = 'running' RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.mapError(fromSqlError("failJob"))
      )
    }

    const jobs: Storage.StorageService["jobs"] = ({ status, kind, limit }) => {
      if ((status !== undefined && status.length === 0) || (limit !== undefined && limit <= 0))
        return Effect.succeed([])
      const conditions: Array<Statement.Fragment> = []
      if (status !== undefined) conditions.push(sql.in("status", [...new Set(status)]))
      if (kind !== undefined) conditions.push(sql`kind = ${kind}`)
      const where = conditions.length === 0 ? sql.literal("") : sql`WHERE ${sql.and(conditions)}`
      return sql<JobRecord>`SELECT id, kind, due_at, due_ms, payload, status, attempts, last_error, claim
        FROM ${T.jobs} ${where} ORDER BY due_ms DESC, id${limit === undefined ? sql.literal("") : sql` LIMIT ${limit}`}`.pipe(
        Effect.mapError(fromSqlError("jobs")),
        Effect.flatMap((rows) =>
          Effect.try({
            try: () =>
              rows.map(
                (r): Storage.JobView => ({
                  id: r.id,
                  kind: r.kind,
                  dueAt: r.due_at,
                  payload: readJson(r.payload),
                  status: r.status as Storage.JobStatus,
                  attempts: Number(r.attempts),
                  ...(r.last_error === null ? {} : { lastError: r.last_error })
                })
              ),
            catch: corrupt("jobs")
          })
        )
      )
    }

    const unknownModel = (name: string) =>
      new Storage.StorageError({
        reason: "unavailable",
        message: `no read model named ${JSON.stringify(name.slice(0, 60))}`
      })

    const runnerOf = (name: string) => {
      const r = registry.byName.get(name)
      return r === undefined ? Effect.fail(unknownModel(name)) : Effect.succeed(r)
    }

    const document: Storage.StorageService["document"] = (model, id) =>
      Effect.gen(function* () {
        const runner = yield* runnerOf(model)
        const rows = yield* sql<{
          doc: unknown
        }>`SELECT doc FROM ${T.documents} WHERE model = ${runner.name} AND id = ${id}`
        if (rows[0] === undefined) return undefined
        return yield* Effect.try({ try: () => readJson(rows[0]!.doc), catch: corrupt("document") })
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("document")(e))))

    const documents: Storage.StorageService["documents"] = ({ model, key, after, limit }) =>
      Effect.gen(function* () {
        const runner = yield* runnerOf(model)
        if (limit <= 0) return []
        const conditions: Array<Statement.Fragment> = [sql`model = ${runner.name}`]
        if (key !== undefined) {
          if (key.k !== "k1" && key.k !== "k2" && key.k !== "k3")
            return yield* new Storage.StorageError({
              reason: "unavailable",
              message: "documents: key must be k1, k2 or k3"
            })
          conditions.push(sql`${sql(key.k)} = ${key.value}`)
        }
        if (after !== undefined) conditions.push(sql`id > ${after}`)
        // SQLite without statistics prefers the primary key (model, id) for `ORDER BY id` even with
        // an equality on a key: a scan of the whole model. The key's index gives the same order.
        const from =
          key === undefined || isPg ? T.documents : sql`${T.documents} INDEXED BY ${sql(`${prefix}documents_${key.k}`)}`
        const rows = yield* sql<{ id: string; doc: unknown }>`SELECT id, doc FROM ${from}
          WHERE ${sql.and(conditions)} ORDER BY id LIMIT ${limit}`
        return yield* Effect.try({
          try: () => rows.map((r) => ({ id: r.id, doc: readJson(r.doc) })),
          catch: corrupt("documents")
        })
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("documents")(e))))

    const catchUp: Storage.StorageService["catchUp"] = (model) =>
      Effect.gen(function* () {
        const runners = model === undefined ? registry.catchUp : [yield* runnerOf(model)].filter((r) => !r.inline)
        let applied = 0
        for (const r of runners) applied += yield* catchUpModel(r)
        return applied
      }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("catchUp")(e))))

    const rebuild: Storage.StorageService["rebuild"] = (model) =>
      Effect.flatMap(runnerOf(model), rebuildNow).pipe(
        Effect.catchTag("SqlError", (e) => Effect.fail(fromSqlError("rebuild")(e)))
      )

    const readModels: Storage.StorageService["readModels"] = () =>
      Effect.gen(function* () {
        const head = yield* headPosition
        const rows = yield* sql<{ name: string; position: number | string }>`SELECT name, position FROM ${T.readModels}`
        const positions = new Map(rows.map((r) => [r.name, Number(r.position)]))
        return registry.all.map(
          (r): Storage.ReadModelStatus => ({
            name: r.name,
            version: r.definition.version,
            mode: r.definition.mode,
            position: r.inline ? head : (positions.get(r.name) ?? 0)
          })
        )
      }).pipe(Effect.mapError(fromSqlError("readModels")))

    const service: Storage.StorageService = {
      commit,
      readStream,
      readAll,
      seenKeys,
      readKeys,
      orders,
      order,
      reviewQueue,
      notOrdered,
      stock,
      buyer,
      replaceViews,
      claimOutbox,
      ackOutbox,
      failOutbox,
      deadLetterOutbox,
      deadLetters,
      retryDeadLetters,
      claimJobs,
      completeJob,
      failJob,
      jobs,
      document,
      documents,
      catchUp,
      rebuild,
      readModels
    }
    // Every call in a span `Storage.<method>` with safe attributes (when a tracer records spans).
    return Storage.traced(service)
  })

/**
 * The Storage layer over the `SqlClient` in context. Starting it applies the migrations.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@effect/sql-sqlite-node"
 * const StorageLive = SqlStorage.layer().pipe(Layer.provide(SqliteClient.layer({ filename: "kaituan.db" })))
 * ```
 */
export const layer = (options: Options = {}): Layer.Layer<Storage.Storage, Storage.StorageError, SqlClient.SqlClient> =>
  Layer.effect(Storage.Storage, make(options))
