/**
 * `Database.layerFromUrl`: the Storage layer for a `--db` value. A `postgres://` (or
 * `postgresql://`) URL uses `@effect/sql-pg`; anything else is a SQLite file path for
 * `@effect/sql-sqlite-node` (default `./kaituan.db`). The drivers are optional peer dependencies,
 * loaded only when used, so an app installs just the one it needs.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Storage } from "@kaituan/core"
import { Effect, Layer, Redacted } from "effect"
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

const unavailable = (what: string) => (cause: unknown) =>
  new Storage.StorageError({
    reason: "unavailable",
    message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}`
  })

/** The `SqlClient` for a `--db` value (SQLite file path or `postgres://` URL). */
export const clientLayerFromUrl = (
  url: string = defaultUrl,
  options: { readonly maxConnections?: number | undefined } = {}
): Layer.Layer<SqlClient.SqlClient, Storage.StorageError> => {
  const target = url.trim() === "" ? defaultUrl : url.trim()
  if (kindOf(target) === "postgres") {
    return Layer.unwrapEffect(
      Effect.tryPromise({
        try: () => import("@effect/sql-pg"),
        catch: unavailable("cannot load @effect/sql-pg (install it to use PostgreSQL)")
      }).pipe(
        Effect.map(({ PgClient }) =>
          PgClient.layer({
            url: Redacted.make(target),
            ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
          }).pipe(Layer.mapError(unavailable("cannot connect to PostgreSQL")))
        )
      )
    )
  }
  return Layer.unwrapEffect(
    Effect.tryPromise({
      try: () => import("@effect/sql-sqlite-node"),
      catch: unavailable("cannot load @effect/sql-sqlite-node (install it to use SQLite)")
    }).pipe(
      Effect.map(({ SqliteClient }) =>
        SqliteClient.layer({ filename: target }).pipe(Layer.mapError(unavailable(`cannot open SQLite file ${target}`)))
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
