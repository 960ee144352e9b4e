/**
 * The outbox relay in the background: `kick()` after each accepted webhook or payment starts a
 * drain unless one is running (then one more drain follows it), so buyers get their messages
 * without the webhook waiting for the platforms' APIs. `idle()` resolves when no drain runs.
 */
import { ChannelRegistry, OutboxRelay, type Storage } from "@kaituan/core"
import { Effect } from "effect"
import { errorKind, type Logger } from "./Log.js"

export interface Relay {
  readonly kick: () => void
  readonly idle: () => Promise<void>
  /** One last drain, bounded in time (shutdown). */
  readonly final: (timeoutMs: number) => Promise<void>
}

export const make = (
  run: <A, E>(effect: Effect.Effect<A, E, Storage.Storage>) => Promise<A>,
  registry: ChannelRegistry.ChannelRegistryService,
  log: Logger
): Relay => {
  let running: Promise<void> | undefined
  let again = false
  const drainOnce = OutboxRelay.drain().pipe(Effect.provideService(ChannelRegistry.ChannelRegistry, registry))
  const once = async () => {
    const t0 = performance.now()
    try {
      const r = await run(drainOnce)
      if (r.sent + r.failed > 0)
        log.info("relay", { sent: r.sent, failed: r.failed, byKind: r.byKind, ms: Math.round(performance.now() - t0) })
    } catch (e) {
      log.error("relay", { error: errorKind(e) })
    }
  }
  const loop = async () => {
    do {
      again = false
      await once()
    } while (again)
  }
  const kick = () => {
    if (registry.channels.length === 0 || process.env.NO_RELAY) return
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
      await idle()
      if (registry.channels.length === 0 || process.env.NO_RELAY) return
      let timer: NodeJS.Timeout | undefined
      await Promise.race([once(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))])
      clearTimeout(timer)
    }
  }
}
