/**
 * The `rounds` group: the list (the `rounds` read model, keyset pages by id), create from a round
 * file, one round, close, and the report (shared by its readers for up to a second). Reopen, edit
 * and restock answer 501: the Round decider has no such commands yet (issue 16).
 */
import { Catalogue, GroupBuy, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, Conflict, NotImplemented } from "../Errors.js"
import { mapDomain, storageError } from "../internal/failures.js"
import * as ReportCache from "../internal/reportCache.js"
import * as Rounds from "../internal/rounds.js"

const notYet = (what: string) =>
  new NotImplemented({
    message: `${what} is not supported by the round yet (issue 16 adds it)`,
    issue: 16
  })

/** The handlers of the `rounds` group. */
export const layer = HttpApiBuilder.group(Api, "rounds", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    const reports = yield* ReportCache.make(storage)
    return (
      handlers
        .handle("list", ({ query }) =>
          Effect.gen(function* () {
            const limit = query.limit ?? 50
            const rows = yield* storage
              .documents({
                model: Rounds.model,
                key: query.status === undefined ? undefined : { k: "k1", value: query.status },
                after: query.cursor,
                limit: limit + 1
              })
              .pipe(Effect.mapError(storageError))
            const items = yield* Effect.forEach(rows.slice(0, limit), (r) => Rounds.decode(r.doc))
            return { items, nextCursor: rows.length > limit ? (rows[limit - 1]?.id ?? null) : null }
          })
        )
        .handle("create", ({ payload: spec }) =>
          Effect.gen(function* () {
            if ((yield* Rounds.find(storage, spec.id)) !== undefined)
              return yield* new Conflict({
                reason: "exists",
                message: `a round ${JSON.stringify(spec.id)} exists already`
              })
            const catalogue = Catalogue.compile(spec.products)
            if (Result.isFailure(catalogue))
              return yield* new BadRequest({ field: "body.products", message: catalogue.failure.message })
            yield* mapDomain(g.openRound({ spec }))
            return yield* Rounds.require(storage, spec.id)
          })
        )
        .handle("get", ({ params }) => Rounds.require(storage, params.roundId))
        .handle("close", ({ params }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            const orders = yield* mapDomain(g.closeRound({ roundId: params.roundId }))
            const round = yield* Rounds.require(storage, params.roundId)
            return { round, confirmed: orders.filter((o) => o.status !== "cancelled" && o.status !== "open").length }
          })
        )
        .handle("reopen", ({ params }) =>
          Effect.flatMap(Rounds.require(storage, params.roundId), () => Effect.fail(notYet("reopening a closed round")))
        )
        .handle("update", ({ params }) =>
          Effect.flatMap(Rounds.require(storage, params.roundId), () => Effect.fail(notYet("editing an open round")))
        )
        .handle("restock", ({ params }) =>
          Effect.flatMap(Rounds.require(storage, params.roundId), () =>
            Effect.fail(notYet("adding stock to an open round"))
          )
        )
        // Shared by the readers of a second: a report may be up to 1 s stale (internal/reportCache.ts).
        .handle("report", ({ params }) => reports.get(params.roundId))
    )
  })
)
