/**
 * `Database.layerFromUrl`: the Storage layer for a `--db` value. A `postgres://` (or
 * `postgresql://`) URL uses `@effect/sql-pg`; anything else is a SQLite file path for
 * `@effect/sql-sqlite-node` (on Node's built-in `node:sqlite`; default `./kaituan.db`). The
 * drivers are optional peer dependencies, loaded only when used, so an app installs just the one
 * it needs.
 *
 * @since 0.1.0
 */
import { Storage } from "@kaituan/core"
import { Effect, Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql"
import * as SqlStorage from "./SqlStorage.js"

/** The default database: a SQLite file in the working directory. */
export const defaultUrl = "./kaituan.db"

/** Which driver a `--db` value selects. */
export type Kind = "sqlite" | "postgres"

/** `postgres` for `postgres://` and `postgresql://` URLs, `sqlite` for anything else (a file path). */
export const kindOf = (url: string): Kind => (/^postgres(ql)?:\/\//i.test(url.trim()) ? "postgres" : "sqlite")

/** Options of {@link layerFromUrl}: the storage options, plus the pool size on PostgreSQL. */
export interface Options extends SqlStorage.Options {
  readonly maxConnections?: number | undefined
}

/** The driver's own error under a `SqlError` (the cause of its reason), else the error itself. */
const detail = (cause: unknown): string => {
  const reason = typeof cause === "object" && cause !== null && "reason" in cause ? cause.reason : undefined
  const native = typeof reason === "object" && reason !== null && "cause" in reason ? reason.cause : undefined
  const error = native instanceof Error ? native : cause
  return error instanceof Error ? error.message : String(error)
}

const unavailable = (what: string) => (cause: unknown) =>
  new Storage.StorageError({ reason: "unavailable", message: `${what}: ${detail(cause)}` })

/** A layer whose construction errors are mapped with `f`. */
const mapLayerError = <A, E, R, E2>(self: Layer.Layer<A, E, R>, f: (e: E) => E2): Layer.Layer<A, E2, R> =>
  Layer.fromBuild((memoMap, scope) => Effect.mapError(Layer.buildWithMemoMap(self, memoMap, scope), f))

/** The `SqlClient` for a `--db` value (SQLite file path or `postgres://` URL). */
export const clientLayerFromUrl = (
  url: string = defaultUrl,
  options: { readonly maxConnections?: number | undefined } = {}
): Layer.Layer<SqlClient.SqlClient, Storage.StorageError> => {
  const target = url.trim() === "" ? defaultUrl : url.trim()
  if (kindOf(target) === "postgres") {
    return Layer.unwrap(
      Effect.tryPromise({
        try: () => import("@effect/sql-pg"),
        catch: unavailable("cannot load @effect/sql-pg (install it to use PostgreSQL)")
      }).pipe(
        Effect.map(({ PgClient }) =>
          mapLayerError(
            PgClient.layer({
              url: Redacted.make(target),
              ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
            }),
            unavailable("cannot connect to PostgreSQL")
          )
        )
      )
    )
  }
  return Layer.unwrap(
    Effect.tryPromise({
      try: () => import("@effect/sql-sqlite-node"),
      catch: unavailable("cannot load @effect/sql-sqlite-node (install it to use SQLite)")
    }).pipe(
      Effect.map(({ SqliteClient }) =>
        mapLayerError(SqliteClient.layer({ filename: target }), unavailable(`cannot open SQLite file ${target}`))
      )
    )
  )
}

/**
 * The Storage for a `--db` value: a SQLite file path (default `./kaituan.db`) or a
 * `postgres://` URL. Starting the layer connects and applies the migrations.
 *
 * @example
 * ```ts
 * const program = Effect.flatMap(Storage.Storage, (s) => s.orders({ roundId: "socks" }))
 * Effect.runPromise(Effect.provide(program, Database.layerFromUrl("postgres://localhost/kaituan")))
 * ```
 */
export const layerFromUrl = (
  url: string = defaultUrl,
  options: Options = {}
): Layer.Layer<Storage.Storage, Storage.StorageError> => {
  const { maxConnections, ...storage } = options
  return SqlStorage.layer(storage).pipe(Layer.provide(clientLayerFromUrl(url, { maxConnections })))
}
