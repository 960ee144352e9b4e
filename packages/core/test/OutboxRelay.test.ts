import { describe, expect, it } from "@effect/vitest"
import { ChannelAdapter, ChannelRegistry, Ids, OutboxRelay, Storage } from "@kaituan/core"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Scope } from "effect"
import fc from "fast-check"

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

describe("OutboxRelay dead letters", () => {
  it.effect("dead-letters a message after maxAttempts failed sends, masks the error, and retries it on request", () => {
    const storage = Storage.makeMemory()
    let down = true
    const sent: Array<string> = []
    const adapter: ChannelAdapter.ChannelAdapterService = {
      ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("telegram")),
      send: (m) =>
        down
          ? Effect.fail(
              new ChannelAdapter.ChannelError({
                reason: "transport",
                message:
                  "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage?chat_id=42: fetch failed"
              })
            )
          : Effect.sync(() => {
              sent.push(m.id)
              return {}
            })
    }
    const layer = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([adapter]))
    return Effect.gen(function* () {
      yield* storage.commit([{ appends: [], views: [], outbox: [message("m1", "telegram")] }])
      const reports = []
      for (let i = 0; i < 3; i++) reports.push(yield* OutboxRelay.drain({ retryAfterMs: 0, maxAttempts: 3 }))
      expect(reports.map((r) => [r.failed, r.deadLettered])).toEqual([
        [1, 0],
        [1, 0],
        [1, 1]
      ])
      for (const r of reports) {
        expect(r.errors[0]?.error).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        expect(r.errors[0]?.error).not.toContain("chat_id=42")
      }
      // Set aside: no more attempts.
      expect((yield* OutboxRelay.drain({ retryAfterMs: 0, maxAttempts: 3 })).failed).toBe(0)
      const dead = yield* OutboxRelay.deadLetters()
      expect(dead.map((d) => d.message.id)).toEqual(["m1"])
      expect(dead[0]?.error).toContain("bot***")
      expect(dead[0]?.error).not.toContain("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
      // The organiser fixed the token and retries it.
      down = false
      expect(yield* OutboxRelay.retryDeadLetters(["m1", "unknown"])).toBe(1)
      expect((yield* OutboxRelay.drain({ retryAfterMs: 0, maxAttempts: 3 })).sent).toBe(1)
      expect(sent).toEqual(["m1"])
      expect(yield* OutboxRelay.deadLetters()).toEqual([])
    }).pipe(Effect.provide(layer))
  })

  it.effect("a buyer's later messages are not dead-lettered for the one in front of them", () => {
    const storage = Storage.makeMemory()
    const sent: Array<string> = []
    const adapter: ChannelAdapter.ChannelAdapterService = {
      ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("line")),
      send: (m) =>
        m.id === "a1"
          ? Effect.fail(new ChannelAdapter.ChannelError({ reason: "rejected", message: "bad request" }))
          : Effect.sync(() => {
              sent.push(m.id)
              return {}
            })
    }
    const layer = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([adapter]))
    return Effect.gen(function* () {
      yield* storage.commit([{ appends: [], views: [], outbox: [message("a1"), message("a2")] }])
      for (let i = 0; i < 4; i++) yield* OutboxRelay.drain({ retryAfterMs: 0, maxAttempts: 2 })
      expect((yield* OutboxRelay.deadLetters()).map((d) => d.message.id)).toEqual(["a1"])
      expect(sent).toEqual(["a2"])
    }).pipe(Effect.provide(layer))
  })
})

describe("OutboxRelay.layer", () => {
  it.live("sends in the background after a kick, and stops with its scope", () => {
    const storage = Storage.makeMemory()
    const line = ChannelAdapter.makeMemory(Ids.unsafe.channelId("line"))
    const deps = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([line]))
    return Effect.gen(function* () {
      yield* Effect.scoped(
        Effect.gen(function* () {
          const ctx = yield* Layer.build(OutboxRelay.layer({ pollMs: 60_000 }))
          const relay = Context.get(ctx, OutboxRelay.Relay)
          yield* storage.commit([{ appends: [], views: [], outbox: [message("k1")] }])
          yield* relay.kick
          for (let i = 0; i < 100 && line.sent.length === 0; i++) yield* Effect.sleep(5)
          expect(line.sent.map((m) => m.id)).toEqual(["k1"])
        })
      )
      // After the scope closed, nothing more is sent.
      yield* storage.commit([{ appends: [], views: [], outbox: [message("k2")] }])
      yield* Effect.sleep(30)
      expect(line.sent.map((m) => m.id)).toEqual(["k1"])
    }).pipe(Effect.provide(deps))
  })

  it.live("polls on its own", () => {
    const storage = Storage.makeMemory()
    const line = ChannelAdapter.makeMemory(Ids.unsafe.channelId("line"))
    const deps = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([line]))
    return Effect.gen(function* () {
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(OutboxRelay.layer({ pollMs: 5 }))
          yield* storage.commit([{ appends: [], views: [], outbox: [message("p1"), message("p2", "line")] }])
          for (let i = 0; i < 200 && line.sent.length < 2; i++) yield* Effect.sleep(5)
          expect(line.sent.map((m) => m.id)).toEqual(["p1", "p2"])
        })
      )
    }).pipe(Effect.provide(deps))
  })
})

describe("OutboxRelay.maskSecrets", () => {
  const cases: Array<[string, ReadonlyArray<string>]> = [
    ["POST https://api.telegram.org/bot123456:AAH-xyz_SECRET/sendMessage failed", ["AAH-xyz_SECRET"]],
    ["GET https://graph.facebook.com/v19.0/me/messages?access_token=EAAG123abc failed", ["EAAG123abc"]],
    ["https://user:hunter2@example.com/hook: 401", ["hunter2"]],
    ["Authorization: Bearer abcdef123456 was refused", ["abcdef123456"]],
    ['{"error":"bad","token":"s3cr3t"}', ["s3cr3t"]],
    ["password=letmein&x=1", ["letmein"]],
    ["channel token 5f2b9c0d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c rejected", ["5f2b9c0d1e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"]]
  ]
  it.each(cases)("masks %s", (text, secrets) => {
    const masked = OutboxRelay.maskSecrets(text)
    for (const s of secrets) expect(masked).not.toContain(s)
    expect(OutboxRelay.maskSecrets(masked)).toBe(masked)
  })

  it("keeps what helps: hosts, paths, statuses, UUIDs, short ids", () => {
    const text = "POST https://api.line.me/v2/bot/message/push: 429 (request 123e4567-e89b-12d3-a456-426614174000)"
    expect(OutboxRelay.maskSecrets(text)).toBe(text)
  })

  it("never lets a token in a bot path or a query through (property)", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{12,60}$/),
        fc.integer({ min: 1, max: 9_999_999_999 }),
        fc.constantFrom("https://api.telegram.org", "http://127.0.0.1:8080"),
        (token, botId, host) => {
          const text = `fetch ${host}/bot${botId}:${token}/getUpdates?offset=${token}&k=${token} failed: ECONNRESET`
          const masked = OutboxRelay.maskSecrets(text)
          expect(masked).not.toContain(token)
          expect(masked).toContain("ECONNRESET")
        }
      )
    )
  })

  it("cuts long texts", () => {
    expect(OutboxRelay.maskSecrets("x ".repeat(2000)).length).toBeLessThanOrEqual(OutboxRelay.MAX_ERROR_LENGTH + 1)
  })
})

describe("OutboxRelay.backoffMs", () => {
  it("doubles per attempt within [half, all] of the delay, capped", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, jitter) => {
        const exp = Math.min(60_000, 1_000 * 2 ** (attempt - 1))
        const d = OutboxRelay.backoffMs(attempt, 1_000, 60_000, jitter)
        expect(d).toBeGreaterThanOrEqual(Math.floor(exp / 2))
        expect(d).toBeLessThanOrEqual(exp)
      })
    )
    expect(OutboxRelay.backoffMs(3, 0, 60_000, 0.5)).toBe(0)
  })
})

describe("OutboxRelay.layer stopping", () => {
  /** An adapter whose sends wait for `release`; `started` completes when the first send begins. */
  const blocking = (release: Deferred.Deferred<void>, started: Deferred.Deferred<void>) => {
    const sent: Array<string> = []
    const adapter: ChannelAdapter.ChannelAdapterService = {
      ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("line")),
      send: (m) =>
        Effect.gen(function* () {
          yield* Deferred.succeed(started, undefined)
          yield* Deferred.await(release)
          sent.push(m.id)
          return {}
        })
    }
    return { adapter, sent }
  }

  it.live("a closing scope lets the send in flight finish and acknowledges it; no new batch is claimed", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const { adapter, sent } = blocking(release, started)
      const deps = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([adapter]))
      const scope = yield* Scope.make()
      // A short lease: a message left claimed would be claimable again soon after.
      yield* Layer.buildWithScope(OutboxRelay.layer({ pollMs: 5, leaseMs: 50 }).pipe(Layer.provide(deps)), scope)
      yield* storage.commit([{ appends: [], views: [], outbox: [message("s1")] }])
      yield* Deferred.await(started)
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      yield* Effect.sleep(30)
      // Still closing: it waits for the send.
      expect(closing.pollUnsafe()).toBeUndefined()
      yield* storage.commit([{ appends: [], views: [], outbox: [message("s2")] }])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(closing)
      expect(sent).toEqual(["s1"])
      // s1 was acknowledged (never claimable again); s2, queued while stopping, was left for the next relay.
      yield* Effect.sleep(80)
      const left = yield* storage.claimOutbox({ limit: 10, leaseMs: 1_000 })
      expect(left.map((e) => e.message.id)).toEqual(["s2"])
    })
  )

  it.live("a send still running after stopTimeoutMs is interrupted: its message stays in the outbox", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const { adapter, sent } = blocking(release, started)
      const deps = Layer.mergeAll(Layer.succeed(Storage.Storage, storage), ChannelRegistry.layer([adapter]))
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(
        OutboxRelay.layer({ pollMs: 5, leaseMs: 50, stopTimeoutMs: 40 }).pipe(Layer.provide(deps)),
        scope
      )
      yield* storage.commit([{ appends: [], views: [], outbox: [message("h1")] }])
      yield* Deferred.await(started)
      const t0 = Date.now()
      yield* Scope.close(scope, Exit.void)
      expect(Date.now() - t0).toBeLessThan(1_000)
      expect(sent).toEqual([])
      yield* Effect.sleep(80)
      const left = yield* storage.claimOutbox({ limit: 10, leaseMs: 1_000 })
      expect(left.map((e) => e.message.id)).toEqual(["h1"])
    })
  )
})
