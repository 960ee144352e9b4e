/**
 * The outbox relay: hands the messages the use cases wrote to the outbox to the channel
 * adapters. A message is acknowledged only after the channel took it, and a failed send is
 * retried later, so a crash between "order accepted" and "buyer told" neither loses nor doubles
 * a message (adapters de-duplicate by the message id where the platform allows, e.g. LINE's
 * `X-Line-Retry-Key`).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
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
      const acked: Array<string> = []
      for (const { message, attempts } of due) {
        const result = yield* registry.get(message.to.channel).pipe(
          Effect.flatMap((adapter) => adapter.send(message)),
          Effect.either
        )
        if (result._tag === "Right") {
          acked.push(message.id)
          sent++
          byKind[message.kind] = (byKind[message.kind] ?? 0) + 1
        } else {
          failed++
          const error = result.left._tag === "UnknownChannel" ? `no adapter for channel "${result.left.channel}"` : result.left.message
          errors.push({ messageId: message.id, error })
          yield* storage.failOutbox(message.id, error, (options.retryAfterMs ?? 5_000) * attempts)
        }
      }
      if (acked.length > 0) yield* storage.ackOutbox(acked)
      if (claimed.length < batch || acked.length < due.length) break
    }
    return { sent, failed, byKind, errors } satisfies RelayReport
  })
