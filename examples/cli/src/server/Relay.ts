/**
 * The outbox relay in the background: `kick()` after each accepted webhook or payment starts a
 * drain unless one is running (then one more drain follows it), so buyers get their messages
 * without the webhook waiting for the platforms' APIs. `idle()` resolves when no drain runs;
 * `final()` (shutdown) stops kicks and runs one last drain, interrupted after a time limit
 * (messages it had claimed stay in the outbox and are sent after the next start).
 */
import { ChannelRegistry, OutboxRelay, type Storage } from "@kaituan/core"
import { Effect } from "effect"
import { errorKind, type Logger } from "./Log.js"

export interface Relay {
  readonly kick: () => void
  readonly idle: () => Promise<void>
  /** Stops kicks, lets the running drain finish and drains once more, all within `timeoutMs`. */
  readonly final: (timeoutMs: number) => Promise<void>
}

export const make = (
  run: <A, E>(effect: Effect.Effect<A, E, Storage.Storage>, signal?: AbortSignal) => Promise<A>,
  registry: ChannelRegistry.ChannelRegistryService,
  log: Logger
): Relay => {
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  const abort = new AbortController()
  // 32 buyers at once (each buyer's messages still in order): the relay waits on the platforms'
  // round trips, not on CPU, and at 8 it fell behind a busy webhook stream (LINE allows far more
  // requests per second; a 429 from any platform is retried after the time it asks for).
  const drainOnce = OutboxRelay.drain({ concurrency: 32 }).pipe(
    Effect.provideService(ChannelRegistry.ChannelRegistry, registry)
  )
  const once = async () => {
    const t0 = performance.now()
    try {
      const r = await run(drainOnce, abort.signal)
      if (r.sent + r.failed > 0)
        log.info("relay", { sent: r.sent, failed: r.failed, byKind: r.byKind, ms: Math.round(performance.now() - t0) })
    } catch (e) {
      if (abort.signal.aborted)
        log.warn("relay", { note: "last drain interrupted at shutdown; unsent messages stay in the outbox" })
      else log.error("relay", { error: errorKind(e) })
    }
  }
  const loop = async () => {
    do {
      again = false
      await once()
    } while (again && !stopped)
  }
  const kick = () => {
    if (stopped || registry.channels.length === 0) return
    if (running) {
      again = true
      return
    }
    running = loop().finally(() => {
      running = undefined
    })
  }
  const idle = async () => {
    while (running) await running
  }
  return {
    kick,
    idle,
    final: async (timeoutMs) => {
      stopped = true
      const timer = setTimeout(() => abort.abort(), timeoutMs)
      await idle()
      if (!abort.signal.aborted && registry.channels.length > 0) await once()
      clearTimeout(timer)
    }
  }
}
