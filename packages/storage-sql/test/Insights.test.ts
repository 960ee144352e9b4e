import * as path from "node:path"
import { describe, it } from "@effect/vitest"
import { InsightContract } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { SqlStorage } from "../src/index.js"
import { dropPrefixed, pgClient, sqliteClient, tempDir, uniquePrefix } from "./support.js"

const readModels = InsightContract.readModels

describe("InsightContract on SQLite (temp file)", () => {
  for (const c of InsightContract.cases) {
    it.live(c.name, () =>
      c.run.pipe(
        Effect.provide(
          SqlStorage.layer({ readModels }).pipe(Layer.provide(sqliteClient(path.join(tempDir(), "kaituan.db"))))
        )
      )
    )
  }
})

describe("InsightContract on PostgreSQL", () => {
  for (const c of InsightContract.cases) {
    it.live(c.name, () => {
      const prefix = uniquePrefix("i")
      const cleanup = Layer.effectDiscard(Effect.addFinalizer(() => dropPrefixed(prefix).pipe(Effect.orDie)))
      return c.run.pipe(
        Effect.provide(
          Layer.merge(SqlStorage.layer({ tablePrefix: prefix, readModels }), cleanup).pipe(Layer.provide(pgClient()))
        )
      )
    })
  }
})
