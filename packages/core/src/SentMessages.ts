/**
 * A bounded memory of sent outbound messages, by message id, so a channel adapter sends each
 * message once however often it is asked (the outbox relay retries until it hears success). Keeps
 * the results of the most recent `maxEntries` messages (default 10,000), forgetting the oldest first.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
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

/** A new, empty memory keeping at most `maxEntries` (at least 1) results. */
export const make = (maxEntries: number = defaultMaxEntries): SentMessages => {
  const max = Math.max(1, Math.floor(maxEntries))
  // Results by id, each with the position of its latest `remember` in `order` (a queue of ids,
  // oldest first). Evicting from the queue's head is O(1); evicting through the Map's own
  // insertion order (`keys().next()`) is not, as V8 walks past every deleted slot at its front.
  const results = new Map<string, { readonly result: SendResult; readonly at: number }>()
  let order: Array<string> = []
  let offset = 0 // absolute position of order[0]
  let head = 0 // index in `order` of the oldest position not yet evicted
  const remember = (messageId: string, result: SendResult): void => {
    results.set(messageId, { result, at: offset + order.length })
    order.push(messageId)
    while (results.size > max && head < order.length) {
      const id = order[head]!
      // Only the latest position of an id evicts it (an id remembered again moved to the back).
      if (results.get(id)?.at === offset + head) results.delete(id)
      head++
    }
    if (head > 1024 && head * 2 > order.length) {
      order = order.slice(head)
      offset += head
      head = 0
    }
  }
  return {
    get: (messageId) => results.get(messageId)?.result,
    remember,
    once: (messageId, send) =>
      Effect.suspend(() => {
        const previous = results.get(messageId)
        return previous !== undefined
          ? Effect.succeed(previous.result)
          : Effect.tap(send, (result) => Effect.sync(() => remember(messageId, result)))
      }),
    size: () => results.size
  }
}
