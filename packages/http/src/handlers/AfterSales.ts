/**
 * The `afterSales` group: record a refund (full or partial, with its method and reason code), a
 * return (a shipment or some of its lines came back), and the orders owing money back (the
 * `refunds-due` read model), through core's `AfterSales` use cases.
 */
import { AfterSales, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { mapDomain } from "../internal/failures.js"

/** The default page size of the refunds-due list. */
export const DEFAULT_LIMIT = 100

/** The handlers of the `afterSales` group. */
export const layer = HttpApiBuilder.group(Api, "afterSales", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const withStorage = <A, E>(effect: Effect.Effect<A, E, Storage.Storage>) =>
      mapDomain(Effect.provideService(effect, Storage.Storage, storage))
    return handlers
      .handle("refund", ({ params, payload }) =>
        withStorage(AfterSales.refund({ ...payload, orderId: params.orderId })).pipe(
          Effect.map((r) => ({ orderId: r.orderId, status: r.status, amount: r.amount, order: r.order }))
        )
      )
      .handle("return", ({ params, payload }) =>
        withStorage(AfterSales.returnShipment({ ...payload, shipmentId: params.shipmentId }))
      )
      .handle("refundsDue", ({ query }) =>
        Effect.gen(function* () {
          const limit = query.limit ?? DEFAULT_LIMIT
          const rows = yield* withStorage(
            AfterSales.refundsDue({ roundId: query.round, after: query.after, limit: Math.min(limit + 1, 500) })
          )
          const items = rows.length > limit ? rows.slice(0, limit) : rows
          return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.orderId : null }
        })
      )
  })
)
