/**
 * The `counter` group (門市櫃台): find an order by pickup code, order number or buyer id, and take
 * a payment in cash or on the shop's card terminal. Core's `Counter` module does the work (the SDK
 * shares it); confirming the pickup and issuing the invoice are the `pickups` and `invoices` routes.
 */
import { Counter, GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, Conflict } from "../Errors.js"
import { domainError, storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"

/** How many of the latest rounds a buyer id is looked up in when the request names none. */
const RECENT_ROUNDS = 20

/** The API error of a counter failure. */
const counterError = (e: unknown) =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "CounterError"
    ? (e as Counter.CounterError).reason === "invalid-input"
      ? Effect.fail(new BadRequest({ field: "body", message: (e as Counter.CounterError).message }))
      : Effect.fail(
          new Conflict({ reason: (e as Counter.CounterError).reason, message: (e as Counter.CounterError).message })
        )
    : domainError(e)

/** The handlers of the `counter` group. */
export const layer = HttpApiBuilder.group(Api, "counter", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    const provide = <A, E>(effect: Effect.Effect<A, E, Storage.Storage | GroupBuy.GroupBuy>) =>
      effect.pipe(Effect.provideService(Storage.Storage, storage), Effect.provideService(GroupBuy.GroupBuy, g))
    /** The rounds a buyer id is looked up in: those named, else the latest ones. */
    const roundsOf = (named: string | undefined) =>
      named !== undefined && named.trim() !== ""
        ? Effect.succeed(
            named
              .split(",")
              .map((r) => r.trim())
              .filter((r) => r !== "")
          )
        : storage.documents({ model: Rounds.model, limit: RECENT_ROUNDS }).pipe(
            Effect.mapError(storageError),
            Effect.flatMap((rows) => Effect.forEach(rows, (r) => Rounds.decode(r.doc))),
            Effect.map((rounds) => rounds.map((r) => r.roundId).reverse())
          )
    return handlers
      .handle("lookup", ({ query }) =>
        Effect.gen(function* () {
          const roundIds = yield* roundsOf(query.rounds)
          return yield* provide(Counter.lookup({ query: query.q, roundIds })).pipe(Effect.catch(domainError))
        })
      )
      .handle("pay", ({ params, payload }) =>
        provide(Counter.pay({ orderId: params.orderId, ...payload })).pipe(Effect.catch(counterError))
      )
  })
)
