/** The `operations` group: messages that could not be sent (dead letters) and scheduled jobs. */
import { Storage } from "@kaituan/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { storageError } from "../internal/failures.js"
import type { DeadLetter, Job } from "../Models.js"

const orderIdOf = (data: Readonly<Record<string, unknown>>): string | undefined =>
  typeof data.orderId === "string" ? data.orderId : undefined

/** The handlers of the `operations` group. */
export const layer = HttpApiBuilder.group(Api, "operations", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    return handlers
      .handle("deadLetters", ({ query }) =>
        storage.deadLetters({ limit: query.limit ?? 100 }).pipe(
          Effect.mapError(storageError),
          Effect.map((letters) =>
            letters.map((l): DeadLetter => {
              const orderId = orderIdOf(l.message.data)
              return {
                messageId: l.message.id,
                kind: l.message.kind,
                channel: l.message.to.channel,
                attempts: l.attempts,
                error: l.error,
                createdAt: l.message.createdAt,
                ...(orderId === undefined ? {} : { orderId })
              }
            })
          )
        )
      )
      .handle("retryDeadLetters", ({ payload }) =>
        storage.retryDeadLetters(payload.messageIds).pipe(
          Effect.mapError(storageError),
          Effect.map((retried) => ({ retried }))
        )
      )
      .handle("jobs", ({ query }) =>
        storage.jobs({ status: query.status, kind: query.kind, limit: query.limit ?? 100 }).pipe(
          Effect.mapError(storageError),
          Effect.map((jobs) =>
            jobs.map(
              (j): Job => ({
                id: j.id,
                kind: j.kind,
                dueAt: j.dueAt,
                status: j.status,
                attempts: j.attempts,
                ...(j.lastError === undefined ? {} : { lastError: j.lastError })
              })
            )
          )
        )
      )
  })
)
