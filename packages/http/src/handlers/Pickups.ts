/** The `pickups` group: find a meet-up pickup by its code, confirm it, unlock it after too many wrong codes. */
import { GroupBuy } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { NotFound } from "../Errors.js"
import { lockedError, mapDomain } from "../internal/failures.js"

/** The handlers of the `pickups` group. */
export const layer = HttpApiBuilder.group(Api, "pickups", (handlers) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    return handlers
      .handle("find", ({ query }) =>
        Effect.gen(function* () {
          const found = yield* mapDomain(g.findPickup({ code: query.code }))
          if (found === undefined) return yield* new NotFound({ what: "pickup", message: "no pickup has this code" })
          return {
            shipmentId: found.shipmentId,
            orderId: found.orderId,
            status: found.status,
            lines: found.lines,
            locked: found.locked,
            failedAttempts: found.failedAttempts,
            ...(found.order === undefined ? {} : { order: found.order })
          }
        })
      )
      .handle("confirm", ({ params, payload }) =>
        g
          .confirmPickup({ shipmentId: params.shipmentId, code: payload.code })
          .pipe(Effect.catch(lockedError), Effect.as({ shipmentId: params.shipmentId, status: "picked-up" }))
      )
      .handle("unlock", ({ params }) =>
        mapDomain(g.unlockPickup({ shipmentId: params.shipmentId })).pipe(
          Effect.as({ shipmentId: params.shipmentId, status: "unlocked" })
        )
      )
  })
)
