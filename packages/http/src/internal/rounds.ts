/** The `rounds` read model as the API shows it, read by name (core's `rounds` model). */
import type { Storage } from "@kaituan/core"
import { Effect, Schema } from "effect"
import { NotFound, Unavailable } from "../Errors.js"
import { Round } from "../Models.js"
import { storageError } from "./failures.js"

/** The read model's registered name. */
export const model = "rounds"

const decodeRound = Schema.decodeUnknownEffect(Round)

/** A stored round document as the API's `Round`; a document that does not fit is a 503 (it is corrupt). */
export const decode = (doc: unknown): Effect.Effect<Round, Unavailable> =>
  decodeRound(doc).pipe(Effect.mapError(() => new Unavailable({ message: "a stored round does not read back" })))

/** One round, or undefined. */
export const find = (storage: Storage.StorageService, roundId: string) =>
  Effect.gen(function* () {
    const doc = yield* storage.document(model, roundId).pipe(Effect.mapError(storageError))
    return doc === undefined ? undefined : yield* decode(doc)
  })

/** One round, or a 404. */
export const require = (storage: Storage.StorageService, roundId: string) =>
  Effect.flatMap(find(storage, roundId), (round) =>
    round === undefined
      ? Effect.fail(new NotFound({ what: "round", message: `no round ${JSON.stringify(roundId)}` }))
      : Effect.succeed(round)
  )
