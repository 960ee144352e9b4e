/**
 * The `insights` group: the KPIs (`InsightFacts.report`, docs/insights.md) and the organiser's
 * settings (`InsightSettings`). The store must run the insight read models
 * (`InsightFacts.readModels`); a store without them answers 503.
 */
import { InsightFacts, InsightSettings, Storage } from "@kaituan/core"
import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest } from "../Errors.js"
import { storageError } from "../internal/failures.js"

/** The handlers of the `insights` group. */
export const layer = HttpApiBuilder.group(Api, "insights", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const withStorage = <A, E>(self: Effect.Effect<A, E, Storage.Storage>) =>
      Effect.provideService(self, Storage.Storage, storage)
    return handlers
      .handle("report", ({ query }) =>
        query.from !== undefined && query.to !== undefined && query.from > query.to
          ? Effect.fail(new BadRequest({ field: "query.from", message: `from ${query.from} is after to ${query.to}` }))
          : withStorage(InsightFacts.report(query)).pipe(Effect.mapError(storageError))
      )
      .handle("settings", () => withStorage(InsightSettings.load).pipe(Effect.mapError(storageError)))
      .handle("setSettings", ({ payload }) =>
        withStorage(
          Effect.gen(function* () {
            const at = new Date(yield* Clock.currentTimeMillis).toISOString()
            for (const c of InsightSettings.commandsFor(payload, at)) yield* InsightSettings.execute(c)
            return yield* InsightSettings.load
          })
        ).pipe(
          Effect.catchTag("InsightSettingsError", (e) =>
            Effect.fail(new BadRequest({ field: "body", message: e.message }))
          ),
          Effect.mapError((e) => (e._tag === "StorageError" ? storageError(e) : e))
        )
      )
  })
)
