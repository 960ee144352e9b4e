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
      yield* storage.commit([
        { appends: [], views: [], outbox: [message("m1"), message("m2", "telegram"), message("m3", "facebook")] }
      ])
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

describe("OutboxRelay ordering", () => {
  it.live("serves buyers at once but keeps each buyer's messages in order, stopping at a failure", () => {
    const storage = Storage.makeMemory()
    const delivered: Array<string> = []
    let failM2 = true
    const adapter: ChannelAdapter.ChannelAdapterService = {
      ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("line")),
      send: (m) =>
        Effect.gen(function* () {
          yield* Effect.sleep(m.to.userId === "U1" ? 20 : 1)
          if (m.id === "b1" && failM2) {
            failM2 = false
            return yield* Effect.fail(new ChannelAdapter.ChannelError({ reason: "transport", message: "reset" }))
          }
          delivered.push(m.id)
          return {}
        })
    }
    const to = (userId: string, id: string) => ({
      ...message(id),
      to: { channel: Ids.unsafe.channelId("line"), userId }
    })
    return Effect.gen(function* () {
      yield* storage.commit([
        { appends: [], views: [], outbox: [to("U1", "a1"), to("U2", "b1"), to("U1", "a2"), to("U2", "b2")] }
      ])
      const first = yield* OutboxRelay.drain({ retryAfterMs: 0, concurrency: 4 })
      expect(first).toMatchObject({ sent: 2, failed: 2 })
      // U2's second message waited behind the failed first one; U1's went in order.
      expect(delivered).toEqual(["a1", "a2"])
      const second = yield* OutboxRelay.drain({ retryAfterMs: 0 })
      expect(second.sent).toBe(2)
      expect(delivered).toEqual(["a1", "a2", "b1", "b2"])
    }).pipe(Effect.provide(Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([adapter]))))
  })
})
