/**
 * `Database.layerFromUrl`: the Storage layer for a `--db` value. A `postgres://` (or
 * `postgresql://`) URL uses `@effect/sql-pg`; anything else is a SQLite file path for
 * `@effect/sql-sqlite-node` (on Node's built-in `node:sqlite`; default `./kaituan.db`). The
 * drivers are optional peer dependencies, loaded only when used, so an app installs just the one
 * it needs.
 *
 * A new SQLite file is created readable by its owner only (0600: it holds buyers' phone numbers
 * and account digits); its `-wal` and `-shm` files take the same mode. An existing file keeps the
 * mode it has. No error message names a URL's password (see {@link redact}).
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

/** A URL's user info (`scheme://user:password@`), its password captured. */
const USER_INFO = /([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*:)([^@\s]*)@/gi
/** A `password=` parameter (URL query or libpq key/value string). */
const PASSWORD_PARAM = /(\bpassword=)[^&\s#]*/gi

const passwordOf = (url: string): string | undefined => {
  try {
    const parsed = new URL(url.trim())
    const fromQuery = parsed.searchParams.get("password") ?? undefined
    const raw = parsed.password === "" ? fromQuery : parsed.password
    if (raw === undefined) return undefined
    try {
      return decodeURIComponent(raw)
    } catch {
      return raw
    }
  } catch {
    return undefined
  }
}

/**
 * `text` with database credentials masked as `***`: the password of every URL in it
 * (`postgres://user:***@host/db`), every `password=` parameter and, when `url` is given, that
 * URL's password wherever else it appears (as written and percent-decoded, if 4 characters or
 * longer). `redact(url)` is the URL fit to print.
 *
 * @example
 * ```ts
 * Database.redact("postgres://kai:s3cret@db.internal:5432/shop") // "postgres://kai:***@db.internal:5432/shop"
 * ```
 */
export const redact = (text: string, url?: string): string => {
  let out = text.replace(USER_INFO, "$1***@").replace(PASSWORD_PARAM, "$1***")
  const secret = url === undefined ? undefined : passwordOf(url)
  if (secret !== undefined)
    for (const s of new Set([secret, encodeURIComponent(secret)]))
      if (s.length >= 4 && s !== "***") out = out.split(s).join("***")
  return out
}

/** The driver's own error under a `SqlError` (the cause of its reason), else the error itself. */
const detail = (cause: unknown): string => {
  const reason = typeof cause === "object" && cause !== null && "reason" in cause ? cause.reason : undefined
  const native = typeof reason === "object" && reason !== null && "cause" in reason ? reason.cause : undefined
  const error = native instanceof Error ? native : cause
  return error instanceof Error ? error.message : String(error)
}

const unavailable = (what: string, url: string) => (cause: unknown) =>
  new Storage.StorageError({ reason: "unavailable", message: redact(`${what}: ${detail(cause)}`, url) })

/** A storage error with `url`'s credentials masked in its message. */
const redacted = (url: string) => (e: Storage.StorageError) =>
  new Storage.StorageError({
    reason: e.reason,
    message: redact(e.message, url),
    ...(e.stream === undefined ? {} : { stream: e.stream })
  })

/**
 * Creates a SQLite database file readable by its owner only (0600), unless it exists (its mode is
 * the user's). SQLite gives the `-wal`, `-shm` and `-journal` files the mode of the database
 * file. In-memory databases and `file:` URIs are left to SQLite.
 */
const createPrivately = (file: string): Effect.Effect<void> =>
  file === ":memory:" || file.startsWith("file:")
    ? Effect.void
    : Effect.promise(() => import("node:fs")).pipe(
        Effect.flatMap((fs) =>
          Effect.sync(() => {
            try {
              const { O_CREAT, O_EXCL, O_RDWR } = fs.constants
              fs.closeSync(fs.openSync(file, O_CREAT | O_EXCL | O_RDWR, 0o600))
            } catch {
              // it exists (its mode stays), or it cannot be created: SQLite says why when it opens it
            }
          })
        )
      )

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
        catch: unavailable("cannot load @effect/sql-pg (install it to use PostgreSQL)", target)
      }).pipe(
        Effect.map(({ PgClient }) =>
          mapLayerError(
            PgClient.layer({
              url: Redacted.make(target),
              ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections })
            }),
            unavailable(`cannot connect to PostgreSQL at ${redact(target)}`, target)
          )
        )
      )
    )
  }
  return Layer.unwrap(
    Effect.tryPromise({
      try: () => import("@effect/sql-sqlite-node"),
      catch: unavailable("cannot load @effect/sql-sqlite-node (install it to use SQLite)", target)
    }).pipe(
      Effect.tap(() => createPrivately(target)),
      Effect.map(({ SqliteClient }) =>
        mapLayerError(
          SqliteClient.layer({ filename: target }),
          unavailable(`cannot open SQLite file ${redact(target)}`, target)
        )
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
  // Errors while starting (migrations on a database that is down…) may quote the URL: masked.
  return mapLayerError(
    SqlStorage.layer(storage).pipe(Layer.provide(clientLayerFromUrl(url, { maxConnections }))),
    redacted(url)
  )
}
