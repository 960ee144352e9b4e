import { describe, it } from "@effect/vitest"
import { MembersContract } from "@kaituan/core"
import { Effect } from "effect"
import { freshPg, freshSqlite } from "./support.js"

describe("MembersContract on SQLite (temp file)", () => {
  for (const c of MembersContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshSqlite())))
  }
})

describe("MembersContract on PostgreSQL", () => {
  for (const c of MembersContract.cases) {
    it.live(c.name, () => c.run.pipe(Effect.provide(freshPg())))
  }
})
