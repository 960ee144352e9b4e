/**
 * The `deadlines` group: a round's overdue orders — those flagged at its payment deadline that
 * still owe money (core's `PaymentDeadlines.flaggedOrders`), with what each still owes.
 */
import { PaymentDeadlines, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"

/** The handlers of the `deadlines` group. */
export const layer = HttpApiBuilder.group(Api, "deadlines", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    return handlers.handle("overdue", ({ params }) =>
      Effect.gen(function* () {
        yield* Rounds.require(storage, params.roundId)
        const flagged = yield* PaymentDeadlines.flaggedOrders(params.roundId).pipe(
          Effect.provideService(Storage.Storage, storage),
          Effect.mapError(storageError)
        )
        return {
          items: flagged.map((f) => ({
            order: f.order,
            deadline: f.deadline,
            flaggedAt: f.flaggedAt,
            owed: Math.max(0, f.order.total - f.order.paid)
          }))
        }
      })
    )
  })
)
