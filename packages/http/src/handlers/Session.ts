/** The `session` group: who the token is. */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api, CurrentActor } from "../Api.js"
import { capabilities } from "../Auth.js"

/** The handlers of the `session` group. */
export const layer = HttpApiBuilder.group(Api, "session", (handlers) =>
  Effect.succeed(
    handlers.handle("me", () =>
      Effect.gen(function* () {
        const actor = yield* CurrentActor
        return { ...actor, can: capabilities(actor.role) }
      })
    )
  )
)
