/**
 * The outbox relay: hands the messages the use cases wrote to the outbox to the channel
 * adapters. A message is acknowledged only after the channel took it, and a failed send is
 * retried later, so a crash between "order accepted" and "buyer told" neither loses nor doubles
 * a message (adapters de-duplicate by the message id where the platform allows, e.g. LINE's
 * `X-Line-Retry-Key`).
 *
 * Two ways to run it:
 * - {@link drain}: one pass over everything claimable now (tests, CLI one-shots, a host that
 *   wants to decide when);
 * - {@link layer}: a scoped, long-running relay (a fiber in the layer's scope) that drains, waits
 *   `pollMs` or until {@link RelayService.kick}, and drains again. No timers in the host. When the
 *   scope closes it stops gracefully: the batch in flight is finished and acknowledged, no new one
 *   is claimed.
 *
 * A failed send is retried with exponential back-off with jitter per message (the channel's own
 * `retryAfterMs` for a rate limit, when longer); after `maxAttempts` the message is dead-lettered
 * (`Storage.deadLetterOutbox`) and the organiser sees it in {@link deadLetters} and puts it back
 * with {@link retryDeadLetters}.
 *
 * Privacy: error texts are passed through {@link maskSecrets} before they reach the outbox, the
 * report or a log (a platform client's fetch error may carry a URL with a token in its query or
 * a `bot<token>` path segment). Spans carry the message id, kind, channel and attempt only: never
 * the recipient or the message data.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Queue, Random, Result } from "effect"
import { ChannelRegistry } from "./ChannelRegistry.js"
import { describeCause } from "./internal/describeCause.js"
import { forkStoppable, type StopSignal } from "./internal/stoppable.js"
import type { OutboxEntry } from "./Storage.js"
import { Storage, type StorageError } from "./Storage.js"

/** How {@link drain} and {@link layer} send. Every field is optional. */
export interface RelayOptions {
  /** Messages per round trip. Default 100. */
  readonly batch?: number | undefined
  /** How long a claimed message is reserved for this relay. Default 30 s. */
  readonly leaseMs?: number | undefined
  /**
   * The first retry delay after a failed send; each further failure of the same message doubles
   * it (up to `maxRetryAfterMs`), and the delay actually used is drawn between half of it and all
   * of it (jitter, so many failed messages do not come back at the same instant). Default 5 s.
   * `0` retries at once (tests).
   */
  readonly retryAfterMs?: number | undefined
  /** The longest retry delay. Default 1 hour. */
  readonly maxRetryAfterMs?: number | undefined
  /**
   * A message whose send failed this many times (counting every claim of it) is dead-lettered:
   * it leaves the claimable outbox until the organiser retries it. Default 10.
   */
  readonly maxAttempts?: number | undefined
  /**
   * Buyers served at once. Each buyer's messages still go out one after another, in order, and
   * stop at the first failure (the rest wait for the next drain). Default 8.
   */
  readonly concurrency?: number | undefined
}

/** What one {@link drain} did. `errors` hold masked error texts (see {@link maskSecrets}). */
export interface RelayReport {
  readonly sent: number
  readonly failed: number
  /** Messages set aside for good in this drain (a subset of `failed`). */
  readonly deadLettered: number
  readonly byKind: Readonly<Record<string, number>>
  readonly errors: ReadonlyArray<{ readonly messageId: string; readonly error: string }>
}

// ---------------------------------------------------------------------------------------------
// Secrets in error texts
// ---------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SECRET_NAMES =
  "access_token|refresh_token|id_token|token|secret|client_secret|password|passwd|api_key|apikey|api-key|key|signature|sig|code"

/** How much of an error text is kept (the rest is cut off with an ellipsis). */
export const MAX_ERROR_LENGTH = 1000

/**
 * Masks what looks like a secret in an error text, so it can be stored, logged and shown to the
 * organiser: URL credentials (`https://user:pass@`), URL query strings and fragments, Telegram-style
 * `bot<id>:<token>` path segments, `Bearer`/`Basic`/`Bot` credentials, `token=…`-style pairs (also
 * as JSON), and long opaque tokens (32 or more letters and digits, UUIDs excepted). The text is
 * cut to {@link MAX_ERROR_LENGTH} characters. Pure and idempotent.
 *
 * @example
 * ```ts
 * maskSecrets("POST https://api.telegram.org/bot123:AAH-secret/sendMessage?x=1 failed")
 * // "POST https://api.telegram.org/bot***\/sendMessage?*** failed"
 * ```
 */
export const maskSecrets = (text: string): string => {
  let s = text
  // Credentials in a URL's authority.
  s = s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, "$1***@")
  // Query strings and fragments of URLs.
  s = s.replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)[?#][^\s"'<>]*/gi, (_m, base: string) => `${base}?***`)
  // Telegram bot tokens, in a path or alone: bot<digits>:<token>.
  s = s.replace(/bot\d+:[A-Za-z0-9_-]+/g, "bot***")
  // Authorization header values.
  s = s.replace(/\b(Bearer|Basic|Bot|Token)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi, "$1$2***")
  // name=value and "name": "value" pairs with a secret-looking name.
  s = s.replace(new RegExp(`\\b(${SECRET_NAMES})=[^\\s&"',;]+`, "gi"), "$1=***")
  s = s.replace(new RegExp(`("(?:${SECRET_NAMES})"\\s*:\\s*)"[^"]*"`, "gi"), '$1"***"')
  // Long opaque tokens (channel access tokens, JWT parts, API keys), but not UUIDs.
  s = s.replace(/[A-Za-z0-9_+=-]{32,}/g, (m) => (/\d/.test(m) && /[A-Za-z]/.test(m) && !UUID.test(m) ? "***" : m))
  return s.length > MAX_ERROR_LENGTH ? `${s.slice(0, MAX_ERROR_LENGTH)}…` : s
}

// ---------------------------------------------------------------------------------------------
// Back-off
// ---------------------------------------------------------------------------------------------

/**
 * The retry delay after the `attempt`-th failure (1-based): `baseMs · 2^(attempt-1)`, at most
 * `maxMs`, scaled by `jitter` in [0, 1] into the upper half ("equal jitter": between half the
 * delay and all of it). Pure; {@link drain} draws `jitter` from Effect's `Random`.
 */
export const backoffMs = (attempt: number, baseMs: number, maxMs: number, jitter: number): number => {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 52)))
  return Math.round(exp / 2 + (exp / 2) * Math.min(1, Math.max(0, jitter)))
}

// ---------------------------------------------------------------------------------------------
// One pass
// ---------------------------------------------------------------------------------------------

/** Sends everything claimable now, once, and reports what happened. */
export const drain = (
  options: RelayOptions = {}
): Effect.Effect<RelayReport, StorageError, Storage | ChannelRegistry> => drainUntil(options, NOT_STOPPED)

const NOT_STOPPED = Effect.succeed(false)

/** {@link drain}, claiming no further batch once `isStopped` says so (the one in flight is finished). */
const drainUntil = (
  options: RelayOptions,
  isStopped: Effect.Effect<boolean>
): Effect.Effect<RelayReport, StorageError, Storage | ChannelRegistry> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const registry = yield* ChannelRegistry
    const batch = options.batch ?? 100
    const maxAttempts = options.maxAttempts ?? 10
    const baseMs = options.retryAfterMs ?? 5_000
    const maxMs = options.maxRetryAfterMs ?? 3_600_000
    const byKind: Record<string, number> = {}
    const errors: Array<{ messageId: string; error: string }> = []
    let sent = 0
    let failed = 0
    let deadLettered = 0
    // Batches go on while full batches all succeed; a message that failed waits for the next drain.
    for (;;) {
      if (yield* isStopped) break
      const claimed = yield* storage.claimOutbox({ limit: batch, leaseMs: options.leaseMs ?? 30_000 })
      if (claimed.length === 0) break
      // One queue per buyer and channel, in claim order.
      const queues = new Map<string, Array<OutboxEntry>>()
      for (const entry of claimed) {
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
            /** The message that failed before in this queue, and when it comes back. */
            let failedBefore: { readonly id: string; readonly delayMs: number } | undefined
            for (const { message, attempts } of queue) {
              if (failedBefore !== undefined) {
                // Waits for the one in front, and comes back with it (never dead-lettered for it).
                failed++
                yield* storage.failOutbox(message.id, `waiting behind ${failedBefore.id}`, failedBefore.delayMs)
                continue
              }
              const result = yield* registry.get(message.to.channel).pipe(
                Effect.flatMap((adapter) => adapter.send(message)),
                Effect.result,
                Effect.withSpan(
                  "OutboxRelay.send",
                  {
                    attributes: {
                      "kaituan.message.id": message.id,
                      "kaituan.message.kind": message.kind,
                      "kaituan.channel": message.to.channel,
                      "kaituan.attempt": attempts
                    }
                  },
                  { captureStackTrace: false }
                )
              )
              if (Result.isSuccess(result)) {
                acked.push(message.id)
                sent++
                byKind[message.kind] = (byKind[message.kind] ?? 0) + 1
                continue
              }
              failed++
              const failure = result.failure
              const error = maskSecrets(
                failure._tag === "UnknownChannel" ? `no adapter for channel "${failure.channel}"` : failure.message
              )
              errors.push({ messageId: message.id, error })
              if (attempts >= maxAttempts) {
                deadLettered++
                yield* storage.deadLetterOutbox(message.id, error)
                // The buyer's next messages need not wait for one that will not be sent.
                continue
              }
              const jitter = yield* Random.next
              const asked = failure._tag === "ChannelError" ? (failure.retryAfterMs ?? 0) : 0
              const delayMs = Math.max(backoffMs(attempts, baseMs, maxMs, jitter), asked)
              failedBefore = { id: message.id, delayMs }
              yield* storage.failOutbox(message.id, error, delayMs)
            }
          }),
        { concurrency: options.concurrency ?? 8, discard: true }
      )
      if (acked.length > 0) yield* storage.ackOutbox(acked)
      if (claimed.length < batch || acked.length < claimed.length) break
    }
    return { sent, failed, deadLettered, byKind, errors } satisfies RelayReport
  }).pipe(Effect.withSpan("OutboxRelay.drain", undefined, { captureStackTrace: false }))

// ---------------------------------------------------------------------------------------------
// The long-running relay
// ---------------------------------------------------------------------------------------------

/** Options of {@link layer}: {@link RelayOptions} and how often to look for new messages. */
export interface LayerOptions extends RelayOptions {
  /** How long to wait after a drain that left nothing to do. Default 1 s. */
  readonly pollMs?: number | undefined
  /**
   * When the layer's scope closes, how long the relay may take to finish the batch it is sending
   * (every send in flight completes and is acknowledged or recorded as failed; no new batch is
   * claimed) before it is interrupted. Default 10 s; 0 interrupts at once.
   */
  readonly stopTimeoutMs?: number | undefined
}

/** The running relay, as {@link layer} provides it. */
export interface RelayService {
  /**
   * Starts the next drain now instead of after `pollMs` (call it after a commit that queued
   * messages, for low latency). Never waits for the drain; kicks while a drain runs are merged
   * into one more drain.
   */
  readonly kick: Effect.Effect<void>
}

/** The running relay's tag. */
export class Relay extends Context.Service<Relay, RelayService>()("@kaituan/core/OutboxRelay/Relay") {}

/**
 * A scoped, long-running relay: a fiber in the layer's scope drains the outbox, waits `pollMs`
 * (or for a {@link RelayService.kick}), and drains again, until the scope closes. Closing stops
 * it gracefully: the sends in flight complete and are acknowledged (so a message the channel took
 * is never sent again by the next relay), no new batch is claimed, and closing waits for that at
 * most `stopTimeoutMs`; a relay still sending then is interrupted (the messages it had claimed
 * stay in the outbox and go out after their lease, from this or another relay). A failed drain
 * (storage unreachable) is logged without personal data and tried again after `pollMs`; it never
 * ends the relay.
 *
 * @example
 * ```ts
 * const app = OutboxRelay.layer({ pollMs: 500, concurrency: 32 }).pipe(
 *   Layer.provide(Layer.mergeAll(storageLayer, ChannelRegistry.layer([line, telegram])))
 * )
 * ```
 */
export const layer = (options: LayerOptions = {}): Layer.Layer<Relay, never, Storage | ChannelRegistry> =>
  Layer.effect(
    Relay,
    Effect.gen(function* () {
      const wake = yield* Queue.dropping<void>(1)
      const pollMs = options.pollMs ?? 1_000
      const loop = ({ stopped, isStopped }: StopSignal) =>
        Effect.gen(function* () {
          while (!(yield* isStopped)) {
            // Kicks that came in before this drain are served by it.
            yield* Queue.clear(wake)
            yield* drainUntil(options, isStopped).pipe(
              Effect.catchCause((cause) =>
                Effect.as(
                  Effect.logWarning("OutboxRelay: drain failed; trying again", { error: describeCause(cause) }),
                  undefined
                )
              )
            )
            yield* Effect.raceFirst(Effect.sleep(pollMs), Effect.raceFirst(Queue.take(wake), stopped))
          }
        })
      yield* forkStoppable(loop, options.stopTimeoutMs ?? 10_000)
      return { kick: Effect.asVoid(Queue.offer(wake, undefined)) }
    })
  )

// ---------------------------------------------------------------------------------------------
// Dead letters, for the organiser
// ---------------------------------------------------------------------------------------------

/** The dead-lettered messages, oldest first (at most `limit`), each with its masked last error. */
export const deadLetters = (query: { readonly limit?: number | undefined } = {}) =>
  Storage.use((storage) => storage.deadLetters(query)).pipe(
    Effect.withSpan("OutboxRelay.deadLetters", undefined, { captureStackTrace: false })
  )

/**
 * Puts dead-lettered messages back into the outbox with their attempts reset (the organiser fixed
 * the channel's token, say); returns how many came back. Ids that are not dead letters are ignored.
 */
export const retryDeadLetters = (messageIds: ReadonlyArray<string>) =>
  Storage.use((storage) => storage.retryDeadLetters(messageIds)).pipe(
    Effect.withSpan(
      "OutboxRelay.retryDeadLetters",
      { attributes: { "kaituan.messages": messageIds.length } },
      { captureStackTrace: false }
    )
  )
