/**
 * The ChannelRegistry: several channels per app, found by channel id.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"
import type { ChannelAdapterService } from "./ChannelAdapter.js"

/** No adapter is registered for a channel id. */
export class UnknownChannel extends Data.TaggedError("UnknownChannel")<{ readonly channel: string }> {}

/** The registry. */
export interface ChannelRegistryService {
  readonly channels: ReadonlyArray<string>
  readonly get: (channel: string) => Effect.Effect<ChannelAdapterService, UnknownChannel>
}

/** The ChannelRegistry tag. */
export class ChannelRegistry extends Context.Service<ChannelRegistry, ChannelRegistryService>()(
  "@kaituan/core/ChannelRegistry"
) {}

/** Builds a registry; two adapters for one channel id is a defect. */
export const make = (adapters: ReadonlyArray<ChannelAdapterService>): ChannelRegistryService => {
  const map = new Map<string, ChannelAdapterService>()
  for (const a of adapters) {
    if (map.has(a.channel)) throw new Error(`two adapters registered for channel "${a.channel}"`)
    map.set(a.channel, a)
  }
  return {
    channels: [...map.keys()],
    get: (channel) => {
      const a = map.get(channel)
      return a ? Effect.succeed(a) : Effect.fail(new UnknownChannel({ channel }))
    }
  }
}

/** A layer from adapters. */
export const layer = (adapters: ReadonlyArray<ChannelAdapterService>): Layer.Layer<ChannelRegistry> =>
  Layer.sync(ChannelRegistry, () => make(adapters))
