/**
 * The outbox relay of `kaituan serve`, as core runs it: {@link layer} is `OutboxRelay.layer`
 * (a scoped fiber in the server's runtime that drains, waits `pollMs` or a kick, and drains
 * again, with back-off and dead letters) over the server's channels. The CLI holds no loop and no
 * timer: it kicks after each accepted webhook or payment, and {@link final} drains once more at
 * shutdown. Logs carry counts and kinds only, never a recipient or a message.
 */
import { ChannelRegistry, OutboxRelay, type Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { errorKind, type Logger } from "./Log.js"

/**
 * Buyers served at once (each buyer's messages still in order): the relay waits on the platforms'
 * round trips, not on CPU, and at 8 it fell behind a busy webhook stream (LINE allows far more
 * requests per second; a 429 from any platform is retried after the time it asks for).
 */
export const CONCURRENCY = 32

/**
 * The running relay for these channels: core's `OutboxRelay.layer`, polling every `pollMs`. With
 * no channel configured nothing is drained (a message could not be sent, and would only use up
 * its attempts): the relay's `kick` does nothing and the messages wait in the outbox.
 */
export const layer = (
  registry: ChannelRegistry.ChannelRegistryService,
  options: { readonly pollMs: number }
): Layer.Layer<OutboxRelay.Relay, never, Storage.Storage> =>
  registry.channels.length === 0
    ? Layer.succeed(OutboxRelay.Relay, { kick: Effect.void })
    : OutboxRelay.layer({ concurrency: CONCURRENCY, pollMs: options.pollMs }).pipe(
        Layer.provide(Layer.succeed(ChannelRegistry.ChannelRegistry, registry))
      )

/**
 * The last drain at shutdown (while the runtime still runs), interrupted after `timeoutMs`:
 * messages it had claimed stay in the outbox and are sent after the next start. Never rejects.
 */
export const final = async (
  run: <A, E>(effect: Effect.Effect<A, E, Storage.Storage>, signal: AbortSignal) => Promise<A>,
  registry: ChannelRegistry.ChannelRegistryService,
  log: Logger,
  timeoutMs: number
): Promise<void> => {
  if (registry.channels.length === 0) return
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  const t0 = performance.now()
  try {
    const r = await run(
      OutboxRelay.drain({ concurrency: CONCURRENCY }).pipe(
        Effect.provideService(ChannelRegistry.ChannelRegistry, registry)
      ),
      abort.signal
    )
    if (r.sent + r.failed > 0)
      log.info("relay", {
        sent: r.sent,
        failed: r.failed,
        deadLettered: r.deadLettered,
        byKind: r.byKind,
        ms: Math.round(performance.now() - t0)
      })
  } catch (e) {
    if (abort.signal.aborted)
      log.warn("relay", { note: "last drain interrupted at shutdown; unsent messages stay in the outbox" })
    else log.error("relay", { error: errorKind(e) })
  } finally {
    clearTimeout(timer)
  }
}
