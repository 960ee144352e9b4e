/**
 * Composes the app: GroupBuy over the chosen storage (`--db`), the default parser and nanoid ids.
 * Swapping SQLite for PostgreSQL is the `--db` value; the layers are the same.
 */
import path from "node:path"
import { Database } from "@kaituan/storage-sql"
import { GroupBuy, IdGenerator, InsightFacts, MemberPolicy, ReadModels, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Cause, Effect, Exit, Layer, Option } from "effect"
import { UsageError } from "./Io.js"

/** The read models every command's store runs: the built-in ones and the insights' (`kaituan report`, `/api/v1/insights`). */
export const readModels: ReadonlyArray<ReadModels.Definition<any>> = [...ReadModels.builtIn, ...InsightFacts.readModels]

/** `:memory:` keeps everything in the process; anything else is a SQLite path or a postgres:// URL. */
export const storageLayer = (db: string): Layer.Layer<Storage.Storage, Storage.StorageError> =>
  db === ":memory:" ? Storage.layerMemoryWith({ readModels }) : Database.layerFromUrl(db, { readModels })

/** The app over `db`; ids from `ids` (default: random, nanoid). */
export const appLayer = (db: string, ids: Layer.Layer<IdGenerator.IdGenerator> = IdGenerator.layerNanoid) =>
  GroupBuy.layer.pipe(Layer.provideMerge(Layer.mergeAll(storageLayer(db), Parser.layer, ids)))

/**
 * The long-running app (`kaituan serve`): {@link appLayer} with the member policy, so a
 * blacklisted member's order comments go to the review queue (the blacklist read again every
 * `blacklistEveryMs`, default 5 s).
 */
export const serveLayer = (db: string, options: { readonly blacklistEveryMs?: number | undefined } = {}) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      MemberPolicy.layerFromStorage({ everyMs: options.blacklistEveryMs ?? 5_000, catchUpEach: false })
    ),
    Layer.provideMerge(Layer.mergeAll(storageLayer(db), Parser.layer, IdGenerator.layerNanoid))
  )

export type App = GroupBuy.GroupBuy | Storage.Storage

/** Runs a program against the app; typed failures become errors with their message. */
/** A --db value as the command means it: a SQLite path is relative to the command's --cwd. */
export const dbIn = (value: string, cwd: string): string =>
  value === ":memory:" || Database.kindOf(value) === "postgres" ? value : path.resolve(cwd, value)

export const runApp = async <A>(
  db: string,
  program: Effect.Effect<A, unknown, App>,
  ids?: Layer.Layer<IdGenerator.IdGenerator>
): Promise<A> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.provide(program, appLayer(db, ids))))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { _tag?: string; message?: string; reason?: string }
    if (e instanceof UsageError) throw e
    if (e._tag === "GroupBuyError" && e.reason === "rejected") throw new UsageError(e.message ?? String(e))
    throw new Error(`${e._tag ?? "Error"}${e.reason ? ` (${e.reason})` : ""}: ${e.message ?? String(e)}`)
  }
  const defect = Cause.squash(exit.cause)
  if (defect instanceof UsageError) throw defect
  throw defect instanceof Error ? defect : new Error(Cause.pretty(exit.cause))
}
