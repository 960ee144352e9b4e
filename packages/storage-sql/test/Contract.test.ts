import { describe, it } from "@effect/vitest"
import { StorageContract } from "@kaituan/core"
import { Effect } from "effect"
import { freshPg, freshSqlite } from "./support.js"

describe("StorageContract on SQLite (temp file)", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshSqlite())))
  }
})

describe("StorageContract on PostgreSQL", () => {
  for (const c of StorageContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshPg())))
  }
})
