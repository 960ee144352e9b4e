/**
 * A bounded memory of sent outbound messages, by message id, so a channel adapter sends each
 * message once however often it is asked (the outbox relay retries until it hears success). Keeps
 * the results of the most recent `maxEntries` messages (default 10,000), forgetting the oldest first.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Cache from "./Cache.js"
import type { SendResult } from "./ChannelAdapter.js"

/** The default number of sent messages remembered. */
export const defaultMaxEntries = 10_000

/** Sent messages' results by message id. */
export interface SentMessages {
  /** The remembered result of a message id, if it was sent. */
  readonly get: (messageId: string) => SendResult | undefined
  /** Remembers a message's result, forgetting the oldest entry beyond the bound. */
  readonly remember: (messageId: string, result: SendResult) => void
  /**
   * Runs `send` unless `messageId` was already sent (then gives back the remembered result),
   * remembering its result on success; a failure is not remembered, so the message can be retried.
   */
  readonly once: <E, R>(messageId: string, send: Effect.Effect<SendResult, E, R>) => Effect.Effect<SendResult, E, R>
  /** How many results are remembered. */
  readonly size: () => number
}

/** A new, empty memory keeping at most `maxEntries` (at least 1) results, in a {@link Cache}. */
export const make = (maxEntries: number = defaultMaxEntries): SentMessages => {
  // Reads `peek`, so only a `remember` makes an id recent: the oldest remembered is forgotten first.
  const results = Cache.make<string, SendResult>({ maxEntries })
  const remember = (messageId: string, result: SendResult): void => results.set(messageId, result)
  return {
    get: (messageId) => results.peek(messageId),
    remember,
    once: (messageId, send) =>
      Effect.suspend(() => {
        const previous = results.peek(messageId)
        return previous !== undefined
          ? Effect.succeed(previous)
          : Effect.tap(send, (result) => Effect.sync(() => remember(messageId, result)))
      }),
    size: () => results.size()
  }
}
