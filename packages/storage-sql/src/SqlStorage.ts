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
 *   statement, safe with several relays.
 *
 * @since 0.1.0
 */
import type { Buyer, Notification, ReadModel } from "@kaituan/core"
import { Storage } from "@kaituan/core"
import { type Array as Arr, Clock, Effect, Layer, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
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
export type Options = typeof Options.Type

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
 * 16 MB page cache first), and returns the service.
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
      outbox: sql(t.outbox)
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
            doc: OrderDoc.encode(o)
          })),
          5,
          (rows) =>
            sql`INSERT INTO ${T.orders} ${sql.insert(rows)} ON CONFLICT (order_id) DO UPDATE SET
              round_id = excluded.round_id, status = excluded.status, seq = excluded.seq, doc = excluded.doc`
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
            }
            pending.set(a.stream, version)
            committed[a.stream] = version
          }
          results.push({ _tag: "Committed", versions: committed })
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
    // rows in the same order) and they are put in order here.
    const orders: Storage.StorageService["orders"] = ({ roundId, status }) => {
      if (status !== undefined && status.length === 0) return Effect.succeed([])
      const where =
        status === undefined
          ? sql`round_id = ${roundId}`
          : sql`round_id = ${roundId} AND ${sql.in("status", [...new Set(status)])}`
      const read: Effect.Effect<() => Array<ReadModel.OrderView>, SqlError.SqlError> = isPg
        ? Effect.map(
            sql<{ docs: string | null; ins: string | null }>`SELECT '[' || string_agg(doc, ',') || ']' AS docs,
              '[' || string_agg(ins::text, ',') || ']' AS ins FROM ${T.orders} WHERE ${where}`,
            (rows) => () => OrderDoc.decodeUnsortedList(roundId, rows[0]?.docs, rows[0]?.ins)
          )
        : Effect.map(
            sql<{ docs: string | null }>`SELECT '[' || group_concat(doc, ',') || ']' AS docs
              FROM (SELECT doc FROM ${T.orders} WHERE ${where} ORDER BY seq, ins)`,
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
              WHERE id IN (SELECT id FROM ${T.outbox} WHERE sent_at IS NULL AND available_at <= ${now}
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
                   WHERE id = ${id} AND sent_at IS NULL`
      }).pipe(Effect.mapError(fromSqlError("failOutbox")))

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
      failOutbox
    }
    return service
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
