/**
 * The `documents` group: packing slips (出貨單) and the pick list (分貨單) as PDF, from
 * `@kaituan/documents`' `Slips` and `PickList` (`POST …/slips.pdf` takes the order ids in its body:
 * more than a URL holds). The round (and the order ids asked for) are
 * checked first — 404 before any byte is sent — then the PDF is streamed a page of orders at a
 * time. Helpers may print them: they pack the parcels (the slips show buyers' display names and
 * what they bought, nothing more).
 */
import { Storage } from "@kaituan/core"
import { type Print, PickList, Slips } from "@kaituan/documents"
import { Effect, type Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { BadRequest, NotFound } from "../Errors.js"
import { storageError } from "../internal/failures.js"

/** A round id as a file name. */
const fileName = (roundId: string, what: string) => `${roundId.replace(/[^A-Za-z0-9._-]/g, "_")}-${what}.pdf`

/** A printing failure as the API's error: 404 for an unknown round or order, 400 for a bad input, else 503. */
const failure = (e: Print.PrintError) =>
  e.reason === "unknown-round"
    ? new NotFound({ what: "round", message: e.message })
    : e.reason === "unknown-order"
      ? new NotFound({ what: "order", message: e.message })
      : e.reason === "invalid-input"
        ? new BadRequest({ field: "query", message: e.message })
        : storageError({ reason: "unavailable" })

/** The PDF as a streamed attachment. */
const pdf = (body: Stream.Stream<Uint8Array, Print.PrintError>, name: string) =>
  HttpServerResponse.stream(body, {
    contentType: "application/pdf",
    headers: { "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" }
  })

/** The handlers of the `documents` group. */
export const layer = HttpApiBuilder.group(Api, "documents", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    return handlers
      .handle("slips", ({ params, query }) =>
        Slips.open({
          roundId: params.roundId,
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.order === undefined ? {} : { orderIds: query.order }),
          ...(query.format === undefined ? {} : { format: query.format }),
          ...(query.perPage === undefined ? {} : { perPage: Number(query.perPage) as 2 | 4 })
        }).pipe(
          Effect.provideService(Storage.Storage, storage),
          Effect.mapError(failure),
          Effect.map((body) => pdf(body, fileName(params.roundId, "slips")))
        )
      )
      .handle("slipsFor", ({ params, payload }) =>
        Slips.open({
          roundId: params.roundId,
          orderIds: payload.orderIds,
          ...(payload.format === undefined ? {} : { format: payload.format }),
          ...(payload.perPage === undefined ? {} : { perPage: payload.perPage })
        }).pipe(
          Effect.provideService(Storage.Storage, storage),
          Effect.mapError(failure),
          Effect.map((body) => pdf(body, fileName(params.roundId, "slips")))
        )
      )
      .handle("picklist", ({ params, query }) =>
        PickList.open({
          roundId: params.roundId,
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.by === undefined ? {} : { by: query.by })
        }).pipe(
          Effect.provideService(Storage.Storage, storage),
          Effect.mapError(failure),
          Effect.map((body) => pdf(body, fileName(params.roundId, "picklist")))
        )
      )
  })
)
