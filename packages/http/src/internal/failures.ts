/**
 * Domain failures as the API's errors: storage, GroupBuy, Payments and statement errors become
 * 404 / 409 / 400 / 422 / 423 / 503, with the domain's message (ids and reasons, never personal
 * data: the domain's messages name ids, the database's never reach a client).
 */
import { Effect } from "effect"
import { BadRequest, Conflict, Locked, NotFound, Unavailable } from "../Errors.js"

/** Any tagged failure the use cases raise. */
type Tagged = { readonly _tag: string; readonly reason?: string; readonly message?: string; readonly field?: string }

const isTagged = (e: unknown): e is Tagged => typeof e === "object" && e !== null && "_tag" in e

/** The API error for a storage failure: a version conflict is 409, anything else 503. */
export const storageError = (e: { readonly reason: string }): Conflict | Unavailable =>
  e.reason === "conflict"
    ? new Conflict({ reason: "conflict", message: "someone changed this at the same time: try again" })
    : new Unavailable({ message: "the database is not available right now: try again" })

const notFoundOf = (reason: string): string | undefined =>
  reason === "unknown-round"
    ? "round"
    : reason === "unknown-order"
      ? "order"
      : reason === "unknown-shipment"
        ? "shipment"
        : reason === "unknown-decision"
          ? "decision"
          : reason === "unknown-pickup" || reason === "unknown-code"
            ? "pickup"
            : undefined

/** Maps a domain failure to the API's error (a `locked` one to 409); anything unknown is a defect (500). */
export const domainError = (e: unknown): Effect.Effect<never, BadRequest | Conflict | NotFound | Unavailable> =>
  Effect.catchTag(lockedError(e), "Locked", (l) => Effect.fail(new Conflict({ reason: "locked", message: l.message })))

/** Maps a domain failure to the API's error, `locked` to 423; anything unknown is a defect (500). */
export const lockedError = (
  e: unknown
): Effect.Effect<never, BadRequest | Conflict | Locked | NotFound | Unavailable> => {
  if (!isTagged(e)) return Effect.die(e)
  const message = e.message ?? e._tag
  switch (e._tag) {
    case "StorageError":
      return Effect.fail(storageError({ reason: e.reason ?? "unavailable" }))
    case "GroupBuyError": {
      const reason = e.reason ?? "rejected"
      const what = notFoundOf(reason)
      if (what !== undefined) return Effect.fail(new NotFound({ what, message }))
      if (reason === "locked") return Effect.fail(new Locked({ message }))
      if (reason === "invalid-input")
        return Effect.fail(new BadRequest({ field: `body${e.field ? `.${e.field}` : ""}`, message }))
      return Effect.fail(new Conflict({ reason, message }))
    }
    case "PaymentsInputError":
      return Effect.fail(new BadRequest({ field: e.field ?? "body", message }))
    case "PaymentDecisionError":
      return e.reason === "unknown-decision"
        ? Effect.fail(new NotFound({ what: "decision", message }))
        : e.reason === "needs-order"
          ? Effect.fail(new BadRequest({ field: "body.orderId", message }))
          : Effect.fail(new Conflict({ reason: e.reason ?? "rejected", message }))
    default:
      return Effect.die(e)
  }
}

/** Runs `effect`, mapping its domain failures with {@link domainError}. */
export const mapDomain = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, BadRequest | Conflict | NotFound | Unavailable, R> => Effect.catch(effect, (e) => domainError(e))
