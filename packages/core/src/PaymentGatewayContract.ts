/**
 * The shared contract every {@link PaymentGatewayService} with callbacks must keep, as data: a
 * list of named cases, each an Effect run against a {@link Harness} (the gateway under test wired
 * to a stand-in of the vendor). It depends on no test framework; with `@effect/vitest`:
 *
 * ```ts
 * import { PaymentGatewayContract } from "@kaituan/core"
 * for (const c of PaymentGatewayContract.cases) it.live(c.name, () => c.run(harness))
 * ```
 *
 * The harness plays the buyer: {@link Harness.pay} takes what `start` answered, pays it at the
 * vendor's stand-in, and returns the request the gateway then receives (the vendor's
 * server-to-server notify post, or, for a gateway whose "callback" is the buyer's return, such
 * as LINE Pay's confirm redirect, that redirect).
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import type { InboundRequest } from "./Http.js"
import type { GatewayPayment, PaymentGatewayService, PaymentRequest, PaymentStart } from "./PaymentGateway.js"

/** The gateway under test plus a stand-in of the vendor. */
export interface Harness {
  readonly gateway: PaymentGatewayService
  /** A fresh, valid request (a new merchant order number each call). */
  readonly request: () => PaymentRequest
  /** Pays what `start` answered at the vendor's stand-in; the request the gateway then receives. */
  readonly pay: (start: PaymentStart, request: PaymentRequest) => Effect.Effect<InboundRequest, unknown>
  /** The same callback with a wrong signature (signed with another key, or the signature altered). */
  readonly forge: (callback: InboundRequest) => InboundRequest
  /** A callback the vendor could never send (no signature, not its shape). */
  readonly malformed: InboundRequest
  /** The gateway's secrets: no error message may contain them. */
  readonly secrets: ReadonlyArray<string>
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

/** Runs `eff`, expecting a GatewayError with one of `reasons`; returns its message. */
const expectGatewayError = <A>(
  name: string,
  eff: Effect.Effect<A, unknown>,
  reasons: ReadonlyArray<string>
): Effect.Effect<string, ContractFailure> =>
  eff.pipe(
    Effect.matchEffect({
      onSuccess: (a) =>
        Effect.fail(
          new ContractFailure({ case: name, message: `expected GatewayError(${reasons.join("|")}), got ${show(a)}` })
        ),
      onFailure: (e) => {
        const err = e as { readonly _tag?: unknown; readonly reason?: unknown; readonly message?: unknown }
        return err._tag === "GatewayError" && typeof err.reason === "string" && reasons.includes(err.reason)
          ? Effect.succeed(String(err.message))
          : Effect.fail(
              new ContractFailure({
                case: name,
                message: `expected GatewayError(${reasons.join("|")}), got ${show(e)}`
              })
            )
      }
    })
  )

const paidCallback = (h: Harness) =>
  Effect.gen(function* () {
    const request = h.request()
    const start = yield* h.gateway.start(request)
    const callback = yield* h.pay(start, request)
    return { request, callback }
  })

const expectPaid = (name: string, h: Harness, request: PaymentRequest, payment: GatewayPayment) =>
  check(
    name,
    payment.status === "paid" &&
      payment.gateway === h.gateway.id &&
      payment.merchantOrderNo === request.merchantOrderNo &&
      payment.amount === request.amount &&
      payment.tradeNo !== "" &&
      !payment.simulated,
    `expected a paid ${h.gateway.id} payment of ${request.merchantOrderNo} NT$${request.amount}, got ${show(payment)}`
  )

const noSecret = (name: string, h: Harness, text: string) =>
  check(
    name,
    h.secrets.every((s) => s === "" || !text.includes(s)),
    "an error message contains a secret"
  )

/** The contract cases, in a sensible order. */
export const cases: ReadonlyArray<Case> = [
  {
    name: "start: a valid request starts a payment (a form, a redirect or instructions)",
    run: (h) =>
      Effect.gen(function* () {
        const name = "start"
        const request = h.request()
        const start = yield* h.gateway.start(request)
        switch (start._tag) {
          case "Form":
            return yield* check(name, URL.canParse(start.action), `the form's action is not a URL: ${start.action}`)
          case "Redirect":
            return yield* check(
              name,
              /^https?:\/\//.test(start.url),
              `the redirect is not an http(s) URL: ${start.url}`
            )
          case "Instructions":
            return yield* check(name, start.amount === request.amount, "the instructions ask another amount")
        }
      })
  },
  {
    name: "start: a zero, negative or fractional amount is invalid-payload",
    run: (h) =>
      Effect.gen(function* () {
        const name = "start: bad amounts"
        for (const amount of [0, -100, 12.5])
          yield* expectGatewayError(name, h.gateway.start({ ...h.request(), amount }), ["invalid-payload"])
      })
  },
  {
    name: "callback: a paid payment decodes to its order, its amount and the gateway's id",
    run: (h) =>
      Effect.gen(function* () {
        const { request, callback } = yield* paidCallback(h)
        const payment = yield* h.gateway.callback(callback)
        yield* expectPaid("callback: paid", h, request, payment)
      })
  },
  {
    name: "callback: the same callback delivered twice decodes to the same payment (tradeNo is the idempotency key)",
    run: (h) =>
      Effect.gen(function* () {
        const name = "callback: twice"
        const { request, callback } = yield* paidCallback(h)
        const first = yield* h.gateway.callback(callback)
        const second = yield* h.gateway.callback(callback)
        yield* expectPaid(name, h, request, second)
        yield* check(
          name,
          first.tradeNo === second.tradeNo && first.amount === second.amount,
          `the two deliveries differ: ${show(first)} / ${show(second)}`
        )
      })
  },
  {
    name: "callback: a forged signature is unauthorized, and the error names no secret",
    run: (h) =>
      Effect.gen(function* () {
        const name = "callback: forged"
        const { callback } = yield* paidCallback(h)
        const message = yield* expectGatewayError(name, h.gateway.callback(h.forge(callback)), ["unauthorized"])
        yield* noSecret(name, h, message)
      })
  },
  {
    name: "callback: a malformed callback is refused (unauthorized or invalid-payload)",
    run: (h) =>
      Effect.gen(function* () {
        const name = "callback: malformed"
        const message = yield* expectGatewayError(name, h.gateway.callback(h.malformed), [
          "unauthorized",
          "invalid-payload"
        ])
        yield* noSecret(name, h, message)
      })
  },
  {
    name: "acknowledge: an accepted callback is answered 2xx, a refused one is not",
    run: (h) =>
      Effect.gen(function* () {
        const name = "acknowledge"
        const yes = h.gateway.acknowledge(true)
        const no = h.gateway.acknowledge(false)
        yield* check(name, yes.status >= 200 && yes.status < 300, `accepted answered ${yes.status}`)
        yield* check(name, no.status < 200 || no.status >= 300, `refused answered ${no.status}`)
      })
  }
]
