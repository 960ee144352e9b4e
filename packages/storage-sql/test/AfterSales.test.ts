/**
 * The after-sales scenario (core's `test/support/afterSales.ts`: pickup, returns, partial and full
 * refunds, a paid order cancelled, the `refunds-due` read model and its rebuild) on SQLite and
 * PostgreSQL: the same definition gives the same documents on every store.
 */
import { describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { appOver, scenario } from "../../core/test/support/afterSales.js"
import { freshPg, freshSqlite } from "./support.js"

describe("after-sales and the refunds-due read model", () => {
  it.live("SQLite", () => scenario.pipe(Effect.provide(appOver(freshSqlite()))))
  it.live("PostgreSQL", () => Effect.scoped(scenario.pipe(Effect.provide(appOver(freshPg("as"))))))
})
