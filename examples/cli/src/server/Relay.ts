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
  const drainOnce = OutboxRelay.drain().pipe(Effect.provideService(ChannelRegistry.ChannelRegistry, registry))
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
