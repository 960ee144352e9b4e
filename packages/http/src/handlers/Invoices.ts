/**
 * The `invoices` group: an order's e-invoice, issuing it on demand (the counter, the organiser),
 * and the invoices that need the organiser. Issuing needs an `Invoicing` service in the app; without
 * one a request is stored and its job waits (and shows in the problems).
 */
import { Invoices, Invoicing, Storage } from "@kaituan/core"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, Conflict, NotFound, type Unavailable } from "../Errors.js"
import { storageError } from "../internal/failures.js"

/** The API error of an invoice failure (the messages name no personal data). */
export const invoiceError = (
  e: Invoices.InvoiceError | Invoicing.InvoicingError | { readonly _tag: "StorageError"; readonly reason: string }
): Effect.Effect<never, BadRequest | Conflict | NotFound | Unavailable> => {
  switch (e._tag) {
    case "StorageError":
      return Effect.fail(storageError(e))
    case "InvoiceError":
      return e.message === "no such order"
        ? Effect.fail(new NotFound({ what: "order", message: "no such order" }))
        : Effect.fail(new Conflict({ reason: e.reason, message: e.message }))
    case "InvoicingError":
      return e.reason === "invalid-input"
        ? Effect.fail(new BadRequest({ field: "body.details", message: e.message }))
        : Effect.fail(new Conflict({ reason: e.reason, message: e.message }))
  }
}

/** The handlers of the `invoices` group. */
export const layer = HttpApiBuilder.group(Api, "invoices", (handlers) =>
  Effect.gen(function* () {
    const invoicing = yield* Effect.serviceOption(Invoicing.Invoicing)
    const storage = yield* Storage.Storage
    const withStorage = <A, E>(effect: Effect.Effect<A, E, Storage.Storage>) =>
      Effect.provideService(effect, Storage.Storage, storage)
    return handlers
      .handle("get", ({ params }) =>
        withStorage(Invoices.summary(params.orderId)).pipe(
          Effect.catchTag("StorageError", (e) => Effect.fail(storageError(e)))
        )
      )
      .handle("request", ({ params, payload }) =>
        Effect.gen(function* () {
          yield* Invoices.requestForBuyer({
            orderId: params.orderId,
            ...(payload.details === undefined ? {} : { details: payload.details })
          })
          // issue it now when a vendor is configured (a failure is recorded; the job retries it)
          if (Option.isSome(invoicing))
            yield* Invoices.issue(params.orderId).pipe(
              Effect.provideService(Invoicing.Invoicing, invoicing.value),
              Effect.catchTags({ InvoicingError: () => Effect.void, InvoiceError: () => Effect.void })
            )
          return yield* Invoices.summary(params.orderId)
        }).pipe(withStorage, Effect.catch(invoiceError))
      )
      .handle("problems", () =>
        withStorage(Invoices.problems()).pipe(
          Effect.map((items) => ({ items })),
          Effect.catchTag("StorageError", (e) => Effect.fail(storageError(e)))
        )
      )
  })
)
