/**
 * The `rounds` group: the list (the `rounds` read model, keyset pages by id), create from a round
 * file, one round, edit (a `RoundChanges.RoundChange`), restock, close, reopen, pre-order arrival
 * (預購到貨), the history and
 * the report (shared by its readers for up to a second). Edits go through core's `RoundChanges`
 * use cases; a refusal is a 409 whose `reason` is the round's own (`cutoff-passed`, `below-sold`…).
 */
import { Catalogue, GroupBuy, Round, RoundChanges, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, Conflict } from "../Errors.js"
import { domainError, mapDomain, storageError } from "../internal/failures.js"
import * as ReportCache from "../internal/reportCache.js"
import * as Rounds from "../internal/rounds.js"

/** Runs a round change: a refusal by the Round is a 409 with its reason; anything else as every use case maps it. */
const mapChange = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catch(effect, (e) =>
    e instanceof GroupBuy.GroupBuyError && e.reason === "rejected" && e.cause instanceof Round.RoundError
      ? Effect.fail(new Conflict({ reason: e.cause.reason, message: e.message }))
      : domainError(e)
  )

/** The handlers of the `rounds` group. */
export const layer = HttpApiBuilder.group(Api, "rounds", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    // Built over the same Storage and GroupBuy: a host provides nothing more.
    const changes = yield* RoundChanges.make
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
        .handle("reopen", ({ params, payload }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            yield* mapChange(changes.reopenRound({ roundId: params.roundId, ...payload }))
            return yield* Rounds.require(storage, params.roundId)
          })
        )
        .handle("update", ({ params, payload }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            yield* mapChange(changes.updateRound({ roundId: params.roundId, change: payload }))
            return yield* Rounds.require(storage, params.roundId)
          })
        )
        .handle("restock", ({ params, payload }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            const change =
              payload.requestId === undefined
                ? { restock: payload.lines }
                : { restock: payload.lines, requestId: payload.requestId }
            yield* mapChange(changes.updateRound({ roundId: params.roundId, change }))
            return yield* Rounds.require(storage, params.roundId)
          })
        )
        .handle("arrived", ({ params, payload }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            yield* mapChange(changes.markArrived({ roundId: params.roundId, ...payload }))
            return yield* Rounds.require(storage, params.roundId)
          })
        )
        .handle("waitlist", ({ params }) =>
          Effect.map(mapDomain(g.report(params.roundId)), (r) => ({ items: r.waitlist ?? [] }))
        )
        .handle("history", ({ params }) =>
          Effect.gen(function* () {
            yield* Rounds.require(storage, params.roundId)
            return yield* mapChange(changes.history(params.roundId))
          })
        )
        // Shared by the readers of a second: a report may be up to 1 s stale (internal/reportCache.ts).
        .handle("report", ({ params }) => reports.get(params.roundId))
    )
  })
)
