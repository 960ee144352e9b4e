import { describe, expect, it } from "@effect/vitest"
import { ChannelAdapter, ChannelRegistry, Ids, OutboxRelay, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"

const message = (id: string, channel = "line") => ({
  id,
  kind: "order-confirmed" as const,
  to: { channel: Ids.unsafe.channelId(channel), userId: "U1" },
  data: { orderId: "o1" },
  createdAt: "2024-05-01T10:00:00+08:00"
})

describe("OutboxRelay", () => {
  it.effect("sends each message once and retries a failed send later", () => {
    const storage = Storage.makeMemory()
    const line = ChannelAdapter.makeMemory(Ids.unsafe.channelId("line"))
    let failures = 1
    const flaky: ChannelAdapter.ChannelAdapterService = {
      ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("telegram")),
      send: () =>
        failures-- > 0
          ? Effect.fail(new ChannelAdapter.ChannelError({ reason: "transport", message: "connection reset" }))
          : Effect.succeed({ platformMessageId: "t1" })
    }
    const layer = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([line, flaky]))
    return Effect.gen(function* () {
      yield* storage.commit([{ appends: [], views: [], outbox: [message("m1"), message("m2", "telegram"), message("m3", "facebook")] }])
      // The same message committed again (a retried use case) is one message.
      yield* storage.commit([{ appends: [], views: [], outbox: [message("m1")] }])
      const first = yield* OutboxRelay.drain({ retryAfterMs: 0 })
      expect(first.sent).toBe(1)
      expect(first.failed).toBe(2)
      expect(first.errors.map((e) => e.error)).toEqual(["connection reset", 'no adapter for channel "facebook"'])
      expect(line.sent.map((m) => m.id)).toEqual(["m1"])
      const second = yield* OutboxRelay.drain({ retryAfterMs: 0 })
      expect(second.sent).toBe(1)
      expect(line.sent).toHaveLength(1)
    }).pipe(Effect.provide(layer))
  })
})
