import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import type { Storage } from "@kaituan/core"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { SqlStorage } from "../src/index.js"

/** The PostgreSQL test server (CI starts it; the tests fail when it is down). */
export const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

let counter = 0
/** A table prefix unique to this test run and call. */
export const uniquePrefix = (tag = "t") =>
  `${tag}_${process.pid}_${Date.now().toString(36)}_${(counter++).toString(36)}_`

let base: string | undefined
/** A fresh temporary directory (under one per-process directory removed on exit). */
export const tempDir = (): string => {
  if (base === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-sql-"))
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }))
    base = dir
  }
  return fs.mkdtempSync(path.join(base, "db-"))
}

export const sqliteClient = (filename: string) => SqliteClient.layer({ filename })
export const pgClient = (maxConnections = 4) =>
  PgClient.layer({ url: Redacted.make(pgUrl), maxConnections, connectTimeout: "5 seconds" })

/** Drops every table whose name starts with `prefix` (PostgreSQL). */
export const dropPrefixed = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ tablename: string }>`SELECT tablename FROM pg_tables
      WHERE schemaname = current_schema() AND starts_with(tablename, ${prefix})`
    for (const r of rows) yield* sql`DROP TABLE IF EXISTS ${sql(r.tablename)} CASCADE`
  })

/** A fresh SQLite-backed Storage in its own file. */
export const freshSqlite = (): Layer.Layer<Storage.Storage, unknown> => {
  const file = path.join(tempDir(), "kaituan.db")
  return SqlStorage.layer().pipe(Layer.provide(sqliteClient(file)))
}

/** A fresh PostgreSQL-backed Storage under its own table prefix; the tables are dropped afterwards. */
export const freshPg = (tag = "c"): Layer.Layer<Storage.Storage, unknown> => {
  const prefix = uniquePrefix(tag)
  const cleanup = Layer.effectDiscard(Effect.addFinalizer(() => dropPrefixed(prefix).pipe(Effect.orDie)))
  return Layer.merge(SqlStorage.layer({ tablePrefix: prefix }), cleanup).pipe(Layer.provide(pgClient()))
}
