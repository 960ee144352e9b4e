import * as fs from "node:fs"
import * as path from "node:path"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { describe, expect, it } from "@effect/vitest"
import { Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Database, Migrations, SqlStorage } from "../src/index.js"
import { dropPrefixed, pgClient, pgUrl, sqliteClient, tempDir, uniquePrefix } from "./support.js"

const sqliteTables = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%'`
).pipe(Effect.map((rows) => rows.map((r) => r.name).sort()))

const oneCommit: Storage.Commit = {
  idempotencyKey: "k1",
  appends: [{ stream: "s", expectedVersion: 0, events: [{ type: "E", data: { a: 1 }, at: "2024-05-01T00:00:00Z" }] }],
  views: [],
  outbox: []
}

/**
 * `oneCommit` against events the storage does not know of (written behind its back), so its own
 * checks pass and the database's constraints fail the insert: first `UNIQUE (stream, version)`,
 * then the `position` primary key.
 */
const uniqueViolations = (prefix: string) =>
  Effect.gen(function* () {
    const s = yield* Storage.Storage
    const sql = yield* SqlClient.SqlClient
    const events = sql(Migrations.tables(prefix).events)
    yield* sql`INSERT INTO ${events} (position, stream, version, type, data, at)
      VALUES (${100}, ${"s"}, ${1}, ${"E"}, ${"{}"}, ${"2024-05-01T00:00:00Z"})`
    const sameVersion = yield* Effect.flip(s.commit([oneCommit]))
    yield* sql`DELETE FROM ${events}`
    yield* sql`INSERT INTO ${events} (position, stream, version, type, data, at)
      VALUES (${1}, ${"other"}, ${1}, ${"E"}, ${"{}"}, ${"2024-05-01T00:00:00Z"})`
    const samePosition = yield* Effect.flip(s.commit([oneCommit]))
    // Nothing of the failed commits was written, their idempotency key included.
    const keys = yield* s.seenKeys([oneCommit.idempotencyKey!])
    return { sameVersion, samePosition, keys }
  })

describe("SqlStorage on SQLite", () => {
  it.effect("applies the table prefix to every table and index, the migrations table included", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "p.db")
      const names = yield* Effect.gen(function* () {
        yield* Storage.Storage
        return yield* sqliteTables
      }).pipe(Effect.provide(SqlStorage.layer({ tablePrefix: "shop1_" }).pipe(Layer.provideMerge(sqliteClient(file)))))
      expect(names.length).toBeGreaterThan(14)
      expect(names.filter((n) => !n.startsWith("shop1_"))).toEqual([])
      expect(names).toContain("shop1_migrations")
      expect(names).toContain("shop1_events")
      expect(names).toContain("shop1_outbox")
    })
  )

  it.effect("two prefixes in one file are independent stores", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "two.db")
      const client = sqliteClient(file)
      const a = SqlStorage.layer({ tablePrefix: "a_" }).pipe(Layer.provide(client))
      const b = SqlStorage.layer({ tablePrefix: "b_" }).pipe(Layer.provide(client))
      yield* Effect.flatMap(Storage.Storage, (s) => s.commit([oneCommit])).pipe(Effect.provide(a))
      const inB = yield* Effect.flatMap(Storage.Storage, (s) => s.readStream("s")).pipe(Effect.provide(b))
      expect(inB.version).toBe(0)
      const inA = yield* Effect.flatMap(Storage.Storage, (s) => s.readStream("s")).pipe(Effect.provide(a))
      expect(inA.version).toBe(1)
    })
  )

  it.effect("migrations run once: reopening keeps the data and records each migration once", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "m.db")
      const layer = () => SqlStorage.layer().pipe(Layer.provideMerge(sqliteClient(file)))
      yield* Effect.flatMap(Storage.Storage, (s) => s.commit([oneCommit])).pipe(Effect.provide(layer()))
      const [again, rows, ran] = yield* Effect.gen(function* () {
        const s = yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const again = yield* s.commit([oneCommit])
        const rows = yield* sql<{ id: number; name: string }>`SELECT id, name FROM kaituan_migrations`
        const ran = yield* Migrations.run()
        return [again, rows, ran] as const
      }).pipe(Effect.provide(layer()))
      expect(again).toEqual([{ _tag: "Duplicate", idempotencyKey: "k1" }])
      expect(rows).toEqual(Migrations.migrations.map((m) => ({ id: m.id, name: m.name })))
      expect(ran).toEqual([])
    })
  )

  it.effect("uses WAL mode, a busy timeout, and indexes for orders by round and status", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "w.db")
      const [mode, timeout, plan] = yield* Effect.gen(function* () {
        yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const mode = yield* sql<{ journal_mode: string }>`PRAGMA journal_mode`
        const timeout = yield* sql<{ timeout: number }>`PRAGMA busy_timeout`
        const plan = yield* sql<{
          detail: string
        }>`EXPLAIN QUERY PLAN SELECT order_id FROM kaituan_orders WHERE round_id = ${"r"} AND status IN (${"paid"}, ${"open"}) ORDER BY seq`
        return [mode, timeout, plan] as const
      }).pipe(Effect.provide(SqlStorage.layer({ busyTimeoutMs: 1234 }).pipe(Layer.provideMerge(sqliteClient(file)))))
      expect(mode[0]?.journal_mode).toBe("wal")
      expect(timeout[0]?.timeout).toBe(1234)
      expect(plan.map((p) => p.detail).join(" ")).toMatch(/USING (COVERING )?INDEX kaituan_orders_round/)
    })
  )

  it.effect("rejects an invalid table prefix", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "bad.db")
      const error = yield* Effect.flip(
        Effect.flatMap(Storage.Storage, () => Effect.void).pipe(
          Effect.provide(SqlStorage.layer({ tablePrefix: "drop table;" }).pipe(Layer.provide(sqliteClient(file))))
        )
      )
      expect(error).toBeInstanceOf(Storage.StorageError)
      expect((error as Storage.StorageError).reason).toBe("unavailable")
    })
  )

  it.effect("maps driver errors to StorageError unavailable", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "gone.db")
      const error = yield* Effect.gen(function* () {
        const s = yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        yield* sql`DROP TABLE kaituan_events`
        return yield* Effect.flip(s.commit([oneCommit]))
      }).pipe(Effect.provide(SqlStorage.layer().pipe(Layer.provideMerge(sqliteClient(file)))))
      expect(error.reason).toBe("unavailable")
      expect(error.message).toMatch(/kaituan_events/)
    })
  )

  it.effect("reports the database's unique and primary key violations as conflicts", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "unique.db")
      const { sameVersion, samePosition, keys } = yield* uniqueViolations("kaituan_").pipe(
        Effect.provide(SqlStorage.layer().pipe(Layer.provideMerge(sqliteClient(file))))
      )
      expect(sameVersion.reason).toBe("conflict")
      expect(sameVersion.message).toMatch(/UNIQUE constraint failed.*\(SQLITE_CONSTRAINT_UNIQUE\)$/)
      expect(samePosition.reason).toBe("conflict")
      expect(samePosition.message).toMatch(/\(SQLITE_CONSTRAINT_PRIMARYKEY\)$/)
      expect(keys.size).toBe(0)
    })
  )

  it.effect("sets synchronous NORMAL and a 16 MB page cache; keeps the client's busy timeout by default", () =>
    Effect.gen(function* () {
      const pragmas = Effect.gen(function* () {
        yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const [sync] = yield* sql<{ synchronous: number }>`PRAGMA synchronous`
        const [cache] = yield* sql<{ cache_size: number }>`PRAGMA cache_size`
        const [timeout] = yield* sql<{ timeout: number }>`PRAGMA busy_timeout`
        return { synchronous: sync?.synchronous, cacheSize: cache?.cache_size, busyTimeout: timeout?.timeout }
      })
      const dir = tempDir()
      const byDefault = yield* pragmas.pipe(
        Effect.provide(SqlStorage.layer().pipe(Layer.provideMerge(sqliteClient(path.join(dir, "a.db")))))
      )
      const configured = yield* pragmas.pipe(
        Effect.provide(
          SqlStorage.layer().pipe(
            Layer.provideMerge(SqliteClient.layer({ filename: path.join(dir, "b.db"), busyTimeout: "2 seconds" }))
          )
        )
      )
      expect(byDefault).toEqual({ synchronous: 1, cacheSize: -16000, busyTimeout: 5000 })
      expect(configured).toEqual({ synchronous: 1, cacheSize: -16000, busyTimeout: 2000 })
    })
  )
})

describe("Database.layerFromUrl", () => {
  it("tells PostgreSQL URLs from SQLite paths", () => {
    expect(Database.kindOf("postgres://u@h/db")).toBe("postgres")
    expect(Database.kindOf("postgresql://u@h/db")).toBe("postgres")
    expect(Database.kindOf("./kaituan.db")).toBe("sqlite")
    expect(Database.kindOf("/tmp/postgres.db")).toBe("sqlite")
  })

  it.effect("opens a SQLite file path", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "url.db")
      const r = yield* Effect.flatMap(Storage.Storage, (s) => s.commit([oneCommit])).pipe(
        Effect.provide(Database.layerFromUrl(file))
      )
      expect(r).toEqual([{ _tag: "Committed", versions: { s: 1 } }])
      expect(fs.existsSync(file)).toBe(true)
    })
  )

  it.effect("opens a postgres:// URL", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("url")
      const r = yield* Effect.flatMap(Storage.Storage, (s) => s.commit([oneCommit])).pipe(
        Effect.provide(Database.layerFromUrl(pgUrl, { tablePrefix: prefix })),
        Effect.ensuring(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1)), Effect.orDie))
      )
      expect(r).toEqual([{ _tag: "Committed", versions: { s: 1 } }])
    })
  )

  it.live("fails with StorageError unavailable when PostgreSQL cannot be reached", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.flatMap(Storage.Storage, () => Effect.void).pipe(
          Effect.provide(Database.layerFromUrl("postgres://postgres@127.0.0.1:1/test"))
        )
      )
      expect(error.reason).toBe("unavailable")
    })
  )
})

describe("SqlStorage on PostgreSQL", () => {
  it.live("reports the database's unique and primary key violations as conflicts", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("uniq")
      const { sameVersion, samePosition, keys } = yield* uniqueViolations(prefix).pipe(
        Effect.provide(SqlStorage.layer({ tablePrefix: prefix }).pipe(Layer.provideMerge(pgClient(2)))),
        Effect.ensuring(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1)), Effect.orDie))
      )
      expect(sameVersion.reason).toBe("conflict")
      expect(sameVersion.message).toMatch(/\(23505\)$/)
      expect(samePosition.reason).toBe("conflict")
      expect(samePosition.message).toMatch(/\(23505\)$/)
      expect(keys.size).toBe(0)
    })
  )

  it.live("several processes' worth of layers starting at once migrate exactly once", () =>
    Effect.gen(function* () {
      const prefix = uniquePrefix("mig")
      const start = Effect.flatMap(Storage.Storage, (s) => s.readStream("x")).pipe(
        Effect.provide(SqlStorage.layer({ tablePrefix: prefix }).pipe(Layer.provide(pgClient(2))))
      )
      const results = yield* Effect.all([start, start, start], { concurrency: "unbounded" }).pipe(
        Effect.ensuring(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1)), Effect.orDie))
      )
      expect(results.map((r) => r.version)).toEqual([0, 0, 0])
    })
  )

  it.live("applies the table prefix to every table and index, the migrations table included", () =>
    Effect.gen(function* () {
      // A schema of its own, so tables of tests running in parallel do not show up.
      const schema = uniquePrefix("schema").slice(0, -1)
      const admin = pgClient(1)
      yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE SCHEMA ${sql(schema)}`).pipe(Effect.provide(admin))
      const url = `${pgUrl}${pgUrl.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`
      const names = yield* Effect.gen(function* () {
        yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ name: string }>`SELECT c.relname AS name FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'i', 'S')`
        return rows.map((r) => r.name).sort()
      }).pipe(
        Effect.provide(
          SqlStorage.layer({ tablePrefix: "shop1_" }).pipe(Layer.provideMerge(Database.clientLayerFromUrl(url)))
        ),
        Effect.ensuring(
          Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP SCHEMA ${sql(schema)} CASCADE`).pipe(
            Effect.provide(admin),
            Effect.orDie
          )
        )
      )
      expect(names.length).toBeGreaterThan(14)
      expect(names.filter((n) => !n.startsWith("shop1_"))).toEqual([])
      expect(names).toContain("shop1_migrations")
      expect(names).toContain("shop1_events")
    })
  )
})
