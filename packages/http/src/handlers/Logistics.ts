/**
 * The `logistics` group: pack a paid order's lines for a carrier, create the carrier order, its
 * label page, and the unclaimed returns the organiser deals with. It runs core's `Fulfilment`
 * use cases when the app provides them (a carrier is configured); without them every route
 * answers 503 saying so.
 */
import { Fulfilment, type Logistics } from "@kaituan/core"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, Conflict, Unavailable } from "../Errors.js"
import { mapDomain } from "../internal/failures.js"

const NO_CARRIER = "no carrier is configured on this server (e.g. ECPay logistics: ECPAY_LOGISTICS_*)"

/** A carrier's refusal as the API's error (its message names no person). */
const carrierError = (e: Logistics.LogisticsError): BadRequest | Conflict | Unavailable =>
  e.reason === "transport" || e.reason === "unauthorized"
    ? new Unavailable({ message: `the carrier could not be reached or refused our credentials: ${e.message}` })
    : e.reason === "invalid-payload"
      ? new BadRequest({ field: "body", message: e.message })
      : new Conflict({ reason: e.reason, message: e.message })

/** A use case's failure: the carrier's mapped here, the domain's by `mapDomain`. */
const failures = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  mapDomain(
    Effect.catchIf(
      effect,
      (e): e is E & Logistics.LogisticsError => (e as { _tag?: unknown })._tag === "LogisticsError",
      (e) => Effect.fail(carrierError(e))
    )
  )

/** The handlers of the `logistics` group. */
export const layer = HttpApiBuilder.group(Api, "logistics", (handlers) =>
  Effect.gen(function* () {
    const found = yield* Effect.serviceOption(Fulfilment.Fulfilment)
    const use = <A, E>(f: (service: Fulfilment.FulfilmentService) => Effect.Effect<A, E>) =>
      Option.isNone(found) ? Effect.fail(new Unavailable({ message: NO_CARRIER })) : failures(f(found.value))
    return handlers
      .handle("pack", ({ params, payload }) =>
        use((f) => f.pack({ orderId: params.orderId, lines: payload.lines, carrier: payload.carrier })).pipe(
          Effect.map((p) => ({ ...p, orderId: params.orderId }))
        )
      )
      .handle("carrierOrder", ({ params, payload }) =>
        use((f) => f.createCarrierOrder({ shipmentId: params.shipmentId, ...payload }))
      )
      .handle("label", ({ params }) =>
        use((f) => f.printPage({ shipmentId: params.shipmentId })).pipe(
          Effect.map((form) => ({ action: form.action, method: form.method, fields: form.fields }))
        )
      )
      .handle("unclaimed", () => use((f) => f.unclaimedReturns()))
      .handle("resolveUnclaimed", ({ params }) =>
        use((f) => f.resolveUnclaimed({ shipmentId: params.shipmentId })).pipe(
          Effect.as({ shipmentId: params.shipmentId })
        )
      )
  })
)
