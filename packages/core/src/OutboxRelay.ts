/**
 * The outbox relay: hands the messages the use cases wrote to the outbox to the channel
 * adapters. A message is acknowledged only after the channel took it, and a failed send is
 * retried later, so a crash between "order accepted" and "buyer told" neither loses nor doubles
 * a message (adapters de-duplicate by the message id where the platform allows, e.g. LINE's
 * `X-Line-Retry-Key`).
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import { ChannelRegistry } from "./ChannelRegistry.js"
import { Storage } from "./Storage.js"

export interface RelayOptions {
  /** Messages per round trip. Default 100. */
  readonly batch?: number | undefined
  /** How long a claimed message is reserved for this relay. Default 30 s. */
  readonly leaseMs?: number | undefined
  /** When a send fails, retry after this long (times the attempt number). Default 5 s. */
  readonly retryAfterMs?: number | undefined
  /** Stop after this many attempts at one message (it stays in the outbox, unsent). Default 10. */
  readonly maxAttempts?: number | undefined
  /**
   * Buyers served at once. Each buyer's messages still go out one after another, in order, and
   * stop at the first failure (the rest wait for the next drain). Default 8.
   */
  readonly concurrency?: number | undefined
}

export interface RelayReport {
  readonly sent: number
  readonly failed: number
  readonly byKind: Readonly<Record<string, number>>
  readonly errors: ReadonlyArray<{ readonly messageId: string; readonly error: string }>
}

/** Sends everything claimable now, once, and reports what happened. */
export const drain = (options: RelayOptions = {}) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const registry = yield* ChannelRegistry
    const batch = options.batch ?? 100
    const byKind: Record<string, number> = {}
    const errors: Array<{ messageId: string; error: string }> = []
    let sent = 0
    let failed = 0
    // Batches go on while full batches all succeed; a message that failed waits for the next drain.
    for (;;) {
      const claimed = yield* storage.claimOutbox({ limit: batch, leaseMs: options.leaseMs ?? 30_000 })
      const due = claimed.filter((c) => c.attempts <= (options.maxAttempts ?? 10))
      if (due.length === 0) break
      // One queue per buyer and channel, in claim order.
      const queues = new Map<string, Array<(typeof due)[number]>>()
      for (const entry of due) {
        const key = `${entry.message.to.channel}\u0000${entry.message.to.userId}`
        const q = queues.get(key)
        if (q) q.push(entry)
        else queues.set(key, [entry])
      }
      const acked: Array<string> = []
      yield* Effect.forEach(
        [...queues.values()],
        (queue) =>
          Effect.gen(function* () {
            let failedBefore: string | undefined
            for (const { message, attempts } of queue) {
              if (failedBefore !== undefined) {
                failed++
                yield* storage.failOutbox(message.id, `waiting behind ${failedBefore}`, options.retryAfterMs ?? 5_000)
                continue
              }
              const result = yield* registry.get(message.to.channel).pipe(
                Effect.flatMap((adapter) => adapter.send(message)),
                Effect.result
              )
              if (Result.isSuccess(result)) {
                acked.push(message.id)
                sent++
                byKind[message.kind] = (byKind[message.kind] ?? 0) + 1
              } else {
                failed++
                failedBefore = message.id
                const error =
                  result.failure._tag === "UnknownChannel"
                    ? `no adapter for channel "${result.failure.channel}"`
                    : result.failure.message
                errors.push({ messageId: message.id, error })
                yield* storage.failOutbox(message.id, error, (options.retryAfterMs ?? 5_000) * attempts)
              }
            }
          }),
        { concurrency: options.concurrency ?? 8, discard: true }
      )
      if (acked.length > 0) yield* storage.ackOutbox(acked)
      if (claimed.length < batch || acked.length < due.length) break
    }
    return { sent, failed, byKind, errors } satisfies RelayReport
  })
