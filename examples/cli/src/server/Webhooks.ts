/**
 * A chat platform's webhook, as `kaituan serve` answers it: handshake (Facebook's verification
 * GET), signature check over the raw body (401, nothing changes), decoding (400 for a malformed
 * body), then the delivery handed to the library's `Inbound` service, which admits, routes,
 * batches and applies its events and remembers redeliveries in the database (see
 * `@kaituan/core`'s `Inbound`). This module only turns its outcome into the answer and the log
 * line (counts and positions: never personal data).
 *
 * Hostile input stops at the decoding: JSON nested deeper than {@link MAX_JSON_DEPTH} is 400
 * before a decoder sees it, and a decoder that throws all the same answers 400 (logged as an
 * error), never 500 (a platform redelivers a 500, and it would fail again). Each event stands
 * alone: an event the adapter cannot decode, whose ids no storage can key on, or that the round
 * refuses, is skipped and counted by reason (`counts.skipped`, `skipped`), and the delivery's
 * other events are applied and answered 200, so one bad event never loses the good ones.
 */
import { type ChannelAdapter, type GroupBuy, type Http, Inbound, type Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { jsonDepthWithin } from "./Body.js"
import { errorKind } from "./Log.js"
import { type Reply, text } from "./Reply.js"

/** The deepest JSON nesting a webhook body may have (LINE, Telegram and Facebook send about 6). */
export const MAX_JSON_DEPTH = 64

/** An event the adapter could not decode, as the adapters that decode each event on its own list it. */
export interface SkippedEvent {
  /** Where it is in the body (`events[2]`, `entry[0].changes[1]`). */
  readonly where: string
  readonly reason: string
  /** For developers; may quote the body: never logged. */
  readonly message: string
}

/** A delivery's events, and those skipped. */
export interface Delivery {
  readonly events: ReadonlyArray<ChannelAdapter.InboundEvent>
  readonly skipped: ReadonlyArray<SkippedEvent>
}

/** An adapter that decodes each event of a delivery on its own (LINE, Facebook). */
interface DeliveryDecoder {
  readonly decodeDelivery: (req: Http.InboundRequest) => Effect.Effect<Delivery, ChannelAdapter.ChannelError>
}

const hasDeliveryDecoder = (
  adapter: ChannelAdapter.ChannelAdapterService
): adapter is ChannelAdapter.ChannelAdapterService & DeliveryDecoder =>
  typeof (adapter as Partial<DeliveryDecoder>).decodeDelivery === "function"

const NO_SKIPS: ReadonlyArray<SkippedEvent> = []

/** The delivery of a verified request, with its skipped events when the adapter lists them. */
const decodeDelivery = (
  adapter: ChannelAdapter.ChannelAdapterService,
  req: Http.InboundRequest
): Effect.Effect<Delivery, ChannelAdapter.ChannelError> =>
  hasDeliveryDecoder(adapter)
    ? adapter.decodeDelivery(req)
    : Effect.map(adapter.decode(req), (events) => ({ events, skipped: NO_SKIPS }))

/**
 * Handles one webhook request for `adapter`. Fails only on storage trouble (the caller answers
 * 500; the platform redelivers, and `Inbound` applies nothing twice).
 */
export const handle = (
  adapter: ChannelAdapter.ChannelAdapterService,
  req: Http.InboundRequest
): Effect.Effect<Reply, GroupBuy.GroupBuyError | Storage.StorageError, Inbound.Inbound> =>
  Effect.gen(function* () {
    if (adapter.handshake) {
      const answer = yield* adapter.handshake(req)
      if (answer !== undefined) return { ...answer, counts: { handshake: answer.status === 200 ? 1 : 0 } }
    }
    if (req.method !== "POST") return text(405, "POST only", { allow: "POST" })
    const verified = yield* Effect.result(adapter.verify(req))
    if (Result.isFailure(verified))
      return { ...text(401, "invalid signature"), error: `ChannelError:${verified.failure.reason}` }
    if (!jsonDepthWithin(req.rawBody, MAX_JSON_DEPTH))
      return { ...text(400, "malformed body: JSON nested too deep"), error: "BodyError:too-deep" }
    const decoded = yield* decodeDelivery(adapter, req).pipe(
      Effect.map((delivery) => ({ _tag: "Decoded" as const, delivery })),
      Effect.catch((error) => Effect.succeed({ _tag: "Failed" as const, error })),
      // A decoder that throws on what a client sent is a bug to fix, logged as an error; the body
      // is still unreadable: 400, so the platform does not redeliver what would fail again.
      Effect.catchDefect((defect) => Effect.succeed({ _tag: "Defect" as const, defect }))
    )
    switch (decoded._tag) {
      case "Defect":
        return { ...text(400, "malformed body"), error: `DecodeDefect:${errorKind(decoded.defect)}`, level: "error" }
      case "Failed": {
        const reason = decoded.error.reason
        const status = reason === "invalid-payload" || reason === "unsupported" ? 400 : 502
        return {
          ...text(status, status === 400 ? "malformed body" : "upstream error"),
          error: `ChannelError:${reason}`
        }
      }
      case "Decoded":
        break
    }
    const inbound = yield* Inbound.Inbound
    const outcome = yield* inbound.deliver({
      events: decoded.delivery.events,
      malformed: decoded.delivery.skipped.map((s) => s.where)
    })
    const { counts, skipped, refusals } = outcome
    return {
      ...text(200, "OK"),
      counts: { ...counts },
      accepted: true,
      ...(counts.rejected
        ? {
            note: refusals.includes("several-open-rounds")
              ? "comments refused: several rounds are open and none listens to this conversation (set listens in the round files)"
              : "comments refused: no round is open (open one with --round or POST /api/v1/rounds)"
          }
        : {}),
      ...(counts.skipped || counts.rejected
        ? {
            fields: {
              ...(counts.skipped ? { skipped } : {}),
              ...(counts.rejected ? { refused: [...refusals] } : {})
            }
          }
        : {})
    }
  })
