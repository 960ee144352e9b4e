/** The `review` group: the review queue, resolving an item, and the not-ordered list. */
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, NotFound } from "../Errors.js"
import { mapDomain, storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"

/** The handlers of the `review` group. */
export const layer = HttpApiBuilder.group(Api, "review", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    return handlers
      .handle("list", ({ params, query }) =>
        Effect.flatMap(Rounds.require(storage, params.roundId), () =>
          storage
            .reviewQueue({ roundId: params.roundId, includeResolved: query.resolved === "true" })
            .pipe(Effect.mapError(storageError))
        )
      )
      .handle("resolve", ({ params, payload }) =>
        Effect.gen(function* () {
          yield* Rounds.require(storage, params.roundId)
          const lines = payload.lines ?? []
          const needsLines = payload.action === "order" || payload.action === "amend"
          if (needsLines && lines.length === 0)
            return yield* new BadRequest({ field: "body.lines", message: `${payload.action} needs lines` })
          if (!needsLines && lines.length > 0)
            return yield* new BadRequest({ field: "body.lines", message: `${payload.action} takes no lines` })
          const queue = yield* storage
            .reviewQueue({ roundId: params.roundId, includeResolved: true })
            .pipe(Effect.mapError(storageError))
          if (!queue.some((i) => i.commentId === params.commentId))
            return yield* new NotFound({
              what: "review item",
              message: `no review item ${JSON.stringify(params.commentId)} in round ${JSON.stringify(params.roundId)}`
            })
          yield* mapDomain(
            g.resolveReview({
              roundId: params.roundId,
              commentId: params.commentId,
              approve: lines,
              action: payload.action
            })
          )
          return { commentId: params.commentId, action: payload.action }
        })
      )
      .handle("notOrdered", ({ params }) =>
        Effect.flatMap(Rounds.require(storage, params.roundId), () =>
          storage.notOrdered({ roundId: params.roundId }).pipe(Effect.mapError(storageError))
        )
      )
  })
)
