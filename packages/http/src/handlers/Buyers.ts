/** The `buyers` group: one buyer with their identities, learned accounts and history (organiser only). */
import { Storage } from "@kaituan/core"
import { Effect, Schema } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { NotFound, Unavailable } from "../Errors.js"
import { storageError } from "../internal/failures.js"
import { BuyerHistory } from "../Models.js"

const decodeHistory = Schema.decodeUnknownEffect(BuyerHistory)

/** The handlers of the `buyers` group. */
export const layer = HttpApiBuilder.group(Api, "buyers", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    return handlers.handle("get", ({ params }) =>
      Effect.gen(function* () {
        const buyer = yield* storage.buyer(params.buyerId).pipe(Effect.mapError(storageError))
        if (buyer === undefined)
          return yield* new NotFound({ what: "buyer", message: `no buyer ${JSON.stringify(params.buyerId)}` })
        // The history is a catch-up read model: bring it up to date first (cheap when it is).
        yield* storage.catchUp("buyer-history").pipe(Effect.mapError(storageError))
        const doc = yield* storage.document("buyer-history", params.buyerId).pipe(Effect.mapError(storageError))
        const history =
          doc === undefined
            ? null
            : yield* decodeHistory(doc).pipe(
                Effect.mapError(() => new Unavailable({ message: "a stored buyer history does not read back" }))
              )
        return { buyer, history }
      })
    )
  })
)
