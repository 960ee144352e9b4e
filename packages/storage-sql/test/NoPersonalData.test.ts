/**
 * Observability without personal data on SQL storage: the complete group buy of core's
 * NoPersonalData test, and a call of every Storage method, over SQLite (and PostgreSQL), with a
 * recording tracer and a capturing logger. The `Storage.<method>` spans wrap the `effect/sql`
 * statement spans (whose query text has placeholders, never values); none of the buyers' data
 * shows in any span or log line.
 */
import { describe, expect, it } from "@effect/vitest"
import { Storage } from "@kaituan/core"
import { Effect, type Layer } from "effect"
import {
  app,
  completeGroupBuy,
  everyStorageMethod,
  leaked,
  recorder,
  secrets,
  storageSpanNames,
  useCaseSpans
} from "../../core/test/support/observability.js"
import { freshPg, freshSqlite } from "./support.js"

const suite = (name: string, fresh: () => Layer.Layer<Storage.Storage, unknown>) =>
  describe(`spans and logs carry no personal data (${name})`, () => {
    it.live("a complete group buy: spans for use cases, storage calls and statements, no buyer's data", () => {
      const r = recorder()
      return Effect.gen(function* () {
        const forbidden = yield* r.record(completeGroupBuy.pipe(Effect.provide(app(fresh()))))
        const names = new Set(r.spans.map((s) => s.name))
        for (const n of [...useCaseSpans, "Storage.commit", "Storage.readStream", "Storage.orders", "Storage.buyer"])
          expect(names, n).toContain(n)
        // The SQL statements run inside the storage call's span, inside the use case's.
        const inCommit = r.spans
          .filter((s) => s.attributes.has("db.query.text"))
          .map((s) => r.ancestors(s))
          .filter((a) => a.includes("Storage.commit") && a.includes("GroupBuy.submitComments"))
        expect(inCommit.length).toBeGreaterThan(0)
        expect(leaked(r.text(), forbidden)).toEqual([])
      })
    })

    it.live("every Storage method has its span, and none shows the ids, names or texts it was given", () => {
      const r = recorder()
      return Effect.gen(function* () {
        const storage = yield* Storage.Storage
        yield* r.record(everyStorageMethod(storage))
        const storageSpans = [...new Set(r.spans.map((s) => s.name))].filter((n) => n.startsWith("Storage.")).sort()
        expect(storageSpans).toEqual(storageSpanNames(storage))
        expect(storageSpans).toHaveLength(27)
        expect(leaked(r.text(), secrets)).toEqual([])
      }).pipe(Effect.provide(fresh()))
    })
  })

suite("SQLite", freshSqlite)
suite("PostgreSQL", () => freshPg("pii"))
