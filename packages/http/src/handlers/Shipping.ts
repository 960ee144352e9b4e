/** The `shipping` group: ship lines of a paid order (a split shipment when part of it). */
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api, CurrentActor } from "../Api.js"
import { NotFound } from "../Errors.js"
import { mapDomain, storageError } from "../internal/failures.js"

/** The handlers of the `shipping` group. */
export const layer = HttpApiBuilder.group(Api, "shipping", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    return handlers.handle("ship", ({ params, payload }) =>
      Effect.gen(function* () {
        const order = yield* storage.order(params.orderId).pipe(Effect.mapError(storageError))
        if (order === undefined)
          return yield* new NotFound({ what: "order", message: `no order ${JSON.stringify(params.orderId)}` })
        const shipped = yield* mapDomain(
          g.ship({
            orderId: params.orderId,
            lines: payload.lines,
            method: payload.method,
            carrier: payload.carrier,
            trackingNo: payload.trackingNo
          })
        )
        const actor = yield* CurrentActor
        // The pickup code goes to the buyer by message; only the organiser sees it here.
        return shipped.pickupCode !== undefined && actor.role === "organiser"
          ? { shipmentId: shipped.shipmentId, orderId: params.orderId, pickupCode: shipped.pickupCode }
          : { shipmentId: shipped.shipmentId, orderId: params.orderId }
      })
    )
  })
)
