/**
 * The contract every {@link Logistics.LogisticsService} keeps, as data: named cases, each an
 * Effect run against a {@link Harness} (the implementation under test wired to a local stand-in
 * of the carrier's API). It depends on no test framework; with `@effect/vitest`:
 *
 * ```ts
 * import { LogisticsContract } from "@kaituan/core"
 * for (const c of LogisticsContract.cases) it.live(c.name, () => c.run(harness))
 * ```
 *
 * A case fails with a {@link ContractFailure} (or the implementation's unexpected error).
 *
 * @since 0.3.0
 */
import { Data, Effect } from "effect"
import type { InboundRequest } from "./Http.js"
import * as Logistics from "./Logistics.js"

/** A status the harness can sign a callback for. */
export type SampleStatus = "in-transit" | "arrived-at-store" | "picked-up" | "unclaimed" | "unknown-code"

/** The implementation under test plus a stand-in of the carrier it talks to. */
export interface Harness {
  readonly logistics: Logistics.LogisticsService
  /** A store of a chain the implementation delivers to (as the store map would return it). */
  readonly store: Logistics.Store
  /** A receiver the carrier accepts. */
  readonly receiver: Logistics.Receiver
  /** A fresh reference no carrier order uses yet. */
  readonly freshReference: () => string
  /** How many carrier orders the stand-in holds under this reference. */
  readonly ordersAt: (reference: string) => number
  /** A status callback as the carrier posts it, signed with the merchant's key. */
  readonly signedStatus: (input: {
    readonly reference: string
    readonly carrierOrderId: string
    readonly status: SampleStatus
  }) => InboundRequest
  /** The same callback signed with another key. */
  readonly forgedStatus: (input: {
    readonly reference: string
    readonly carrierOrderId: string
    readonly status: SampleStatus
  }) => InboundRequest
  /** A signed callback with one field changed after signing. */
  readonly tamperedStatus: (input: {
    readonly reference: string
    readonly carrierOrderId: string
    readonly status: SampleStatus
  }) => InboundRequest
  /** The store map's reply for `reference`, signed as the carrier signs it. */
  readonly signedStoreReply: (input: { readonly reference: string; readonly store: Logistics.Store }) => InboundRequest
  /** The same reply signed with another key. */
  readonly forgedStoreReply: (input: { readonly reference: string; readonly store: Logistics.Store }) => InboundRequest
}

/** A contract case did not hold. */
export class ContractFailure extends Data.TaggedError("ContractFailure")<{
  readonly case: string
  readonly message: string
}> {}

/** One contract case. */
export interface Case {
  readonly name: string
  readonly run: (h: Harness) => Effect.Effect<void, unknown>
}

const check = (name: string, ok: boolean, message: string): Effect.Effect<void, ContractFailure> =>
  ok ? Effect.void : Effect.fail(new ContractFailure({ case: name, message }))

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u)
  } catch {
    return String(u)
  }
}

/** The reason a failed effect failed with, or `succeeded`. */
const reasonOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<string> =>
  Effect.match(effect, {
    onSuccess: () => "succeeded",
    onFailure: (e) =>
      e instanceof Logistics.LogisticsError ? e.reason : `unexpected ${(e as { _tag?: string })._tag ?? "error"}`
  })

const request = (h: Harness, reference: string): Logistics.CreateShipmentRequest => ({
  reference,
  carrier: h.store.carrier,
  store: h.store,
  receiver: h.receiver,
  goodsAmount: 1280,
  goodsName: "芒果禮盒"
})

const created = (h: Harness) => {
  const reference = h.freshReference()
  return Effect.map(h.logistics.createShipment(request(h, reference)), (order) => ({ reference, order }))
}

/** Every case. */
export const cases: ReadonlyArray<Case> = [
  {
    name: "the store map is a form to post, carrying the reference",
    run: (h) =>
      Effect.gen(function* () {
        const name = "store map"
        const reference = h.freshReference()
        const form = yield* h.logistics.storeMap({ reference, carrier: h.store.carrier })
        yield* check(name, form._tag === "Form" && form.method === "POST", `not a POST form: ${show(form)}`)
        yield* check(name, /^https?:\/\//.test(form.action), `the action is not a URL: ${form.action}`)
        yield* check(name, Object.values(form.fields).includes(reference), "the form does not carry the reference")
      })
  },
  {
    name: "creating a carrier order gives its id and tracking number; the carrier holds one",
    run: (h) =>
      Effect.gen(function* () {
        const name = "create"
        const { reference, order } = yield* created(h)
        yield* check(name, order.reference === reference, `reference ${order.reference}, not ${reference}`)
        yield* check(name, order.carrier === h.store.carrier, `carrier ${order.carrier}`)
        yield* check(name, order.carrierOrderId !== "" && order.trackingNo !== "", `empty ids: ${show(order)}`)
        yield* check(name, h.ordersAt(reference) === 1, `the carrier holds ${h.ordersAt(reference)} orders`)
      })
  },
  {
    name: "a second order under the same reference is refused as a duplicate; the carrier still holds one",
    run: (h) =>
      Effect.gen(function* () {
        const name = "duplicate"
        const { reference } = yield* created(h)
        const reason = yield* reasonOf(h.logistics.createShipment(request(h, reference)))
        yield* check(name, reason === "duplicate", `the second create ${reason}`)
        yield* check(name, h.ordersAt(reference) === 1, `the carrier holds ${h.ordersAt(reference)} orders`)
      })
  },
  {
    name: "a store order without a store is invalid and asks the carrier nothing",
    run: (h) =>
      Effect.gen(function* () {
        const name = "no store"
        const reference = h.freshReference()
        const { store: _, ...noStore } = request(h, reference)
        const reason = yield* reasonOf(h.logistics.createShipment(noStore))
        yield* check(name, reason === "invalid-payload", `it ${reason}`)
        yield* check(name, h.ordersAt(reference) === 0, "the carrier got an order")
      })
  },
  {
    name: "a created order has a label page",
    run: (h) =>
      Effect.gen(function* () {
        const { order } = yield* created(h)
        const form = yield* h.logistics.printPage(order)
        yield* check("print", form.method === "POST" && /^https?:\/\//.test(form.action), `not a form: ${show(form)}`)
        yield* check(
          "print",
          Object.values(form.fields).includes(order.carrierOrderId),
          "the form does not name the carrier order"
        )
      })
  },
  {
    name: "signed status callbacks decode to their normalised kinds; an unknown code is other",
    run: (h) =>
      Effect.gen(function* () {
        const name = "status"
        const reference = h.freshReference()
        const carrierOrderId = "1718546"
        const expected: ReadonlyArray<readonly [SampleStatus, Logistics.StatusKind]> = [
          ["in-transit", "in-transit"],
          ["arrived-at-store", "arrived-at-store"],
          ["picked-up", "picked-up"],
          ["unclaimed", "unclaimed"],
          ["unknown-code", "other"]
        ]
        for (const [status, kind] of expected) {
          const update = yield* h.logistics.statusCallback(h.signedStatus({ reference, carrierOrderId, status }))
          yield* check(name, update.kind === kind, `${status} decoded as ${update.kind}`)
          yield* check(name, update.reference === reference, `reference ${update.reference}`)
          yield* check(name, update.carrierOrderId === carrierOrderId, `carrier order ${update.carrierOrderId}`)
          yield* check(name, update.code !== "", "no carrier code")
        }
      })
  },
  {
    name: "a forged or tampered status callback is unauthorized",
    run: (h) =>
      Effect.gen(function* () {
        const input = { reference: h.freshReference(), carrierOrderId: "1718546", status: "picked-up" as const }
        const forged = yield* reasonOf(h.logistics.statusCallback(h.forgedStatus(input)))
        yield* check("forged", forged === "unauthorized", `a forged callback ${forged}`)
        const tampered = yield* reasonOf(h.logistics.statusCallback(h.tamperedStatus(input)))
        yield* check("tampered", tampered === "unauthorized", `a tampered callback ${tampered}`)
      })
  },
  {
    name: "the store map's reply decodes to the store; a forged one is unauthorized",
    run: (h) =>
      Effect.gen(function* () {
        const reference = h.freshReference()
        const choice = yield* h.logistics.storeCallback(h.signedStoreReply({ reference, store: h.store }))
        yield* check("store reply", choice.reference === reference, `reference ${choice.reference}`)
        yield* check(
          "store reply",
          choice.store.storeId === h.store.storeId &&
            choice.store.carrier === h.store.carrier &&
            choice.store.storeName === h.store.storeName,
          `store ${show(choice.store)}`
        )
        const forged = yield* reasonOf(h.logistics.storeCallback(h.forgedStoreReply({ reference, store: h.store })))
        yield* check("store reply", forged === "unauthorized", `a forged reply ${forged}`)
      })
  },
  {
    name: "an accepted callback and a refused one are answered differently",
    run: (h) =>
      check(
        "acknowledge",
        h.logistics.acknowledge(true).status === 200 &&
          h.logistics.acknowledge(true).body !== h.logistics.acknowledge(false).body,
        `accepted ${show(h.logistics.acknowledge(true))}, refused ${show(h.logistics.acknowledge(false))}`
      )
  }
]
