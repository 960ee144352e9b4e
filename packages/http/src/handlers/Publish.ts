/**
 * The `publish` group: `POST /rounds/:roundId/publish` queues the round's announcement to every
 * conversation it listens to (`Publish.publishRound` in @kaituan/core), organiser only. The
 * examples are checked with the app's comment parser when it has one.
 */
import { CommentParser, MessageTemplates, Publish, Storage } from "@kaituan/core"
import { Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.js"
import { mapDomain } from "../internal/failures.js"

/** The handlers of the `publish` group. */
export const layer = HttpApiBuilder.group(Api, "publish", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    const parser = yield* Effect.serviceOption(CommentParser.CommentParser)
    const withServices = <A, E>(effect: Effect.Effect<A, E, Storage.Storage>) => {
      const provided = Effect.provideService(effect, Storage.Storage, storage)
      return Option.isSome(parser)
        ? Effect.provideService(provided, CommentParser.CommentParser, parser.value)
        : provided
    }
    return handlers.handle("publish", ({ params }) =>
      Effect.gen(function* () {
        const outcome = yield* mapDomain(withServices(Publish.publishRound({ roundId: params.roundId })))
        return {
          roundId: outcome.roundId,
          status: outcome.status,
          ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
          messages: outcome.messages,
          examples: outcome.data.examples,
          text: MessageTemplates.render("round-announcement", outcome.data)
        }
      })
    )
  })
)
