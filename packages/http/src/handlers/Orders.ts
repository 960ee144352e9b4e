/**
 * The `orders` group: a round's orders by status and buyer in keyset pages (`afterSeq`: the
 * cursor is the last order's position, so pages never skip or repeat an order however the list
 * changes between them), one order, cancel and refund.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { NotFound } from "../Errors.js"
import { mapDomain, storageError } from "../internal/failures.js"
import * as Rounds from "../internal/rounds.js"

/** The default page size of the orders list. */
export const DEFAULT_LIMIT = 50

const orderNotFound = (orderId: string) =>
  new NotFound({ what: "order", message: `no order ${JSON.stringify(orderId)}` })

/** The handlers of the `orders` group. */
export const layer = HttpApiBuilder.group(Api, "orders", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const g = yield* GroupBuy.GroupBuy
    const order = (orderId: string) =>
      Effect.flatMap(storage.order(orderId).pipe(Effect.mapError(storageError)), (o) =>
        o === undefined ? Effect.fail(orderNotFound(orderId)) : Effect.succeed(o)
      )
    return handlers
      .handle("list", ({ params, query }) =>
        Effect.gen(function* () {
          const limit = query.limit ?? DEFAULT_LIMIT
          const rows = yield* storage
            .orders({
              roundId: params.roundId,
              status: query.status,
              buyerId: query.buyer,
              afterSeq: query.cursor === undefined ? undefined : Number(query.cursor),
              limit: limit + 1
            })
            .pipe(Effect.mapError(storageError))
          // An empty page is an unknown round (404) or an empty one: only then is the round looked up.
          if (rows.length === 0) yield* Rounds.require(storage, params.roundId)
          const items = rows.length > limit ? rows.slice(0, limit) : rows
          return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.seq) : null }
        })
      )
      .handle("get", ({ params }) => order(params.orderId))
      .handle("cancel", ({ params, payload }) =>
        Effect.flatMap(order(params.orderId), () =>
          mapDomain(g.cancelOrder({ orderId: params.orderId, reason: payload.reason }))
        )
      )
      .handle("refund", ({ params, payload }) =>
        Effect.flatMap(order(params.orderId), () =>
          mapDomain(g.refundOrder({ orderId: params.orderId, reason: payload.reason }))
        )
      )
  })
)
