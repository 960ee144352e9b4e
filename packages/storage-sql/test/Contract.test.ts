import * as path from "node:path"
import { describe, it } from "@effect/vitest"
import { Storage, StorageContract } from "@kaituan/core"
import { Context, Effect, Layer } from "effect"
import { SqlStorage } from "../src/index.js"
import { dropPrefixed, freshPg, freshSqlite, pgClient, sqliteClient, tempDir, uniquePrefix } from "./support.js"

describe("StorageContract on SQLite (temp file)", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshSqlite())))
  }
  for (const c of StorageContract.reopenCases) {
    it.live(c.name, () => {
      // Each `open` is a new client and storage over the same file: a restarted process.
      const file = path.join(tempDir(), "kaituan.db")
      return Effect.scoped(
        c.run(({ readModels }) =>
          Effect.map(
            Layer.build(SqlStorage.layer({ readModels }).pipe(Layer.provide(sqliteClient(file)))),
            Context.get(Storage.Storage)
          )
        )
      )
    })
  }
})

describe("StorageContract on PostgreSQL", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshPg())))
  }
  for (const c of StorageContract.reopenCases) {
    it.live(c.name, () => {
      // Each `open` is a new pool and storage over the same tables, dropped afterwards.
      const prefix = uniquePrefix("r")
      return Effect.scoped(
        Effect.gen(function* () {
          yield* Effect.addFinalizer(() => dropPrefixed(prefix).pipe(Effect.provide(pgClient(1)), Effect.orDie))
          yield* c.run(({ readModels }) =>
            Effect.map(
              Layer.build(SqlStorage.layer({ tablePrefix: prefix, readModels }).pipe(Layer.provide(pgClient()))),
              Context.get(Storage.Storage)
            )
          )
        })
      )
    })
  }
})
