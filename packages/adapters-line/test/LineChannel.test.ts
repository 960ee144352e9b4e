import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { ChannelAdapter, Http, HttpClient, type Notification } from "@kaituan/core"
import { ConfigProvider, Effect, Layer, Redacted, Result, Schema, Tracer } from "effect"
import { TestClock } from "effect/testing"
import { LineChannel, type LineTestServer } from "../src/index.js"
import * as LineApi from "../src/internal/LineApi.js"
import { body, GROUP, SECRET, signed, start, textEvent } from "./harness.js"

const servers: Array<LineTestServer.LineTestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const setup = (options: Partial<LineChannel.OptionsInput> = {}) =>
  start(options).pipe(Effect.tap(({ server }) => Effect.sync(() => servers.push(server))))

let n = 0
const message = (
  over: Partial<Omit<Notification.OutboundMessage, "to">> & { to?: Partial<Notification.Recipient> } = {}
) => {
  n += 1
  const { to, ...rest } = over
  return {
    id: `msg-${n}`,
    kind: "text",
    data: { text: `hello ${n}` },
    createdAt: new Date().toISOString(),
    ...rest,
    to: { channel: "line", userId: "Ubuyer", threadId: GROUP, ...to }
  } as Notification.OutboundMessage
}

const paths = (server: LineTestServer.LineTestServer) =>
  server.requests().map((r) => `${r.status} ${r.method} ${r.path}`)

describe("LineChannel.verify", () => {
  it.live("accepts LINE's signature over the raw bytes and rejects missing or wrong ones", () =>
    Effect.gen(function* () {
      const { adapter } = yield* setup()
      const b = body(textEvent({ eventId: "e1", commentId: "c1", userId: "U1", text: "+1" }))
      yield* adapter.verify(signed(b))
      const missing = yield* Effect.flip(adapter.verify(Http.request({ body: b })))
      expect(missing).toMatchObject({
        _tag: "ChannelError",
        reason: "unauthorized",
        message: "missing x-line-signature header"
      })
      const wrong = yield* Effect.flip(adapter.verify(signed(b, "other")))
      expect(wrong.reason).toBe("unauthorized")
      const reserialised = JSON.stringify(JSON.parse(b), null, 1)
      const moved = yield* Effect.flip(
        adapter.verify({ ...signed(b), rawBody: new TextEncoder().encode(reserialised) })
      )
      expect(moved.reason).toBe("unauthorized")
    })
  )

  it.live("decode of a signed non-JSON body is invalid-payload (LINE SDK answers 400)", () =>
    Effect.gen(function* () {
      const { adapter } = yield* setup({ channelSecret: "test_channel_secret" })
      const req = signed("i am not jason", "test_channel_secret")
      expect(req.headers["x-line-signature"]).toBe("Z8YlPpm0lQOqPipiCHVbiuwIDIzRzD7w5hvHgmwEuEs=")
      yield* adapter.verify(req)
      const err = yield* Effect.flip(adapter.decode(req))
      expect(err.reason).toBe("invalid-payload")
    })
  )
})

describe("LineChannel display names", () => {
  it.live("decode fills author names from the group member profile, cached across deliveries", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.setProfile("Uming", "王小明", { groupId: GROUP })
      const b1 = body(
        textEvent({ eventId: "e1", commentId: "c1", userId: "Uming", text: "+1" }),
        textEvent({ eventId: "e2", commentId: "c2", userId: "Uming", text: "+2" })
      )
      const events = yield* adapter.decode(signed(b1))
      expect(events.map((e) => ("author" in e ? e.author : undefined))).toEqual([
        { id: "Uming", name: "王小明" },
        { id: "Uming", name: "王小明" }
      ])
      yield* adapter.decode(signed(body(textEvent({ eventId: "e3", commentId: "c3", userId: "Uming", text: "+3" }))))
      expect(paths(server)).toEqual([`200 GET /v2/bot/group/${GROUP}/member/Uming`])
    })
  )

  it.live("displayName picks the group, room or 1:1 profile endpoint", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.setProfile("Ua", "阿美", { groupId: "Cg1" })
      server.setProfile("Ub", "Bob", { roomId: "Rr1" })
      server.setProfile("Uc", "陳大華", { friend: true })
      expect(yield* adapter.displayName("Ua", "Cg1")).toBe("阿美")
      expect(yield* adapter.displayName("Ub", "Rr1")).toBe("Bob")
      expect(yield* adapter.displayName("Uc")).toBe("陳大華")
      expect(yield* adapter.displayName("Uc", "Uc")).toBe("陳大華")
      expect(paths(server)).toEqual([
        "200 GET /v2/bot/group/Cg1/member/Ua",
        "200 GET /v2/bot/room/Rr1/member/Ub",
        "200 GET /v2/bot/profile/Uc"
      ])
      const missing = yield* Effect.flip(adapter.displayName("Unobody", "Cg1"))
      expect(missing.reason).toBe("rejected")
    })
  )

  // TestClock (it.effect) drives the cache's time, so the machine's load cannot expire entries early.
  it.effect("the cache expires entries after its TTL and evicts the least recently used", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({ profileCache: { maxEntries: 2, ttlMs: 10_000 } })
      for (const u of ["Ua", "Ub", "Uc"]) server.setProfile(u, `name-${u}`, { friend: true })
      yield* adapter.displayName("Ua")
      yield* adapter.displayName("Ub")
      yield* adapter.displayName("Ua") // hit: Ua is now most recent
      yield* adapter.displayName("Uc") // evicts Ub
      yield* adapter.displayName("Ua") // hit
      yield* adapter.displayName("Ub") // miss
      const profileCalls = () => server.requests().map((r) => r.path.split("/").pop())
      expect(profileCalls()).toEqual(["Ua", "Ub", "Uc", "Ub"])
      yield* TestClock.adjust("9 seconds")
      expect(yield* adapter.displayName("Ub")).toBe("name-Ub")
      expect(profileCalls()).toHaveLength(4)
      yield* TestClock.adjust("2 seconds")
      yield* adapter.displayName("Ub")
      expect(profileCalls()).toEqual(["Ua", "Ub", "Uc", "Ub", "Ub"])
    })
  )

  it.live("a failing or slow profile lookup never fails decoding; resolveNames: false makes no calls", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.failNext(500, undefined, 10)
      const b = body(textEvent({ eventId: "e1", commentId: "c1", userId: "Ux", text: "+1" }))
      const [e] = yield* adapter.decode(signed(b))
      expect(e).toMatchObject({ _tag: "Comment", author: { id: "Ux" } })
      expect((e as { author: { name?: string } }).author.name).toBeUndefined()

      const hanging: typeof fetch = (_url, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))))
      const slow = yield* LineChannel.make({
        channelSecret: SECRET,
        channelAccessToken: "t",
        fetch: hanging,
        nameLookupTimeoutMs: 50
      })
      const started = Date.now()
      const events = yield* slow.decode(signed(b))
      expect(events).toHaveLength(1)
      expect(Date.now() - started).toBeLessThan(5_000)

      const quiet = yield* setup({ resolveNames: false })
      yield* quiet.adapter.decode(signed(b))
      expect(quiet.server.requests()).toEqual([])
    })
  )
})

describe("LineChannel.send", () => {
  it.live("uses a fresh reply token first, then push once the token is used", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.issueReplyToken("rt-1")
      yield* adapter.decode(
        signed(body(textEvent({ eventId: "e1", commentId: "c1", userId: "Ubuyer", text: "+1", replyToken: "rt-1" })))
      )
      const r1 = yield* adapter.send(message({ to: { replyToken: "rt-1" } }))
      const r2 = yield* adapter.send(message({ to: { replyToken: "rt-1" } }))
      expect(server.accepted().map((a) => [a.endpoint, a.replyToken ?? a.to])).toEqual([
        ["reply", "rt-1"],
        ["push", "Ubuyer"]
      ])
      expect(r1.platformMessageId).toBe(server.accepted()[0]!.id)
      expect(r2.platformMessageId).toBe(server.accepted()[1]!.id)
      expect(paths(server).filter((p) => p.includes("reply"))).toEqual(["200 POST /v2/bot/message/reply"])
    })
  )

  it.live("a message with an image (a pickup code's QR code) sends the text and an image message", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      const qr = "https://shop.example.com/qr/abc.png"
      yield* adapter.send(
        message({ kind: "pickup-ready", data: { pickupCode: "XQ3WG9X8" }, imageUrl: qr, to: { threadId: undefined } })
      )
      expect(server.accepted()[0]!.messages).toEqual([
        { type: "text", text: "您的商品已可取貨 🛍️\n取貨碼：XQ3WG9X8" },
        { type: "image", originalContentUrl: qr, previewImageUrl: qr }
      ])
      // LINE fetches only https images: any other URL is left out, the text still goes.
      yield* adapter.send(message({ kind: "pickup-ready", data: { pickupCode: "A" }, imageUrl: "http://x/qr.png" }))
      expect(server.accepted()[1]!.messages).toEqual([{ type: "text", text: "您的商品已可取貨 🛍️\n取貨碼：A" }])
    })
  )

  it.live("falls back to push when the reply token is rejected (expired or unknown)", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      yield* adapter.send(message({ to: { replyToken: "never-issued" } }))
      expect(paths(server)).toEqual(["400 POST /v2/bot/message/reply", "200 POST /v2/bot/message/push"])
      expect(server.accepted().map((a) => a.endpoint)).toEqual(["push"])
    })
  )

  it.live("a reply that fails with 5xx is not retried (tokens are single-use): push takes over", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.issueReplyToken("rt-5xx")
      server.failNext(500)
      yield* adapter.send(message({ to: { replyToken: "rt-5xx" } }))
      expect(paths(server)).toEqual(["500 POST /v2/bot/message/reply", "200 POST /v2/bot/message/push"])
      expect(server.accepted().map((a) => a.endpoint)).toEqual(["push"])
    })
  )

  it.live("does not try a reply token older than replyTokenTtlMs", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({ replyTokenTtlMs: 50 })
      server.issueReplyToken("rt-old")
      server.issueReplyToken("rt-new")
      yield* adapter.decode(
        signed(body(textEvent({ eventId: "e1", commentId: "c1", userId: "Ubuyer", text: "+1", replyToken: "rt-old" })))
      )
      yield* Effect.sleep("80 millis")
      yield* adapter.send(message({ to: { replyToken: "rt-old" } }))
      // a token the adapter never saw is judged by the message's createdAt
      yield* adapter.send(
        message({ to: { replyToken: "rt-new" }, createdAt: new Date(Date.now() - 120_000).toISOString() })
      )
      expect(paths(server).filter((p) => p.includes("/message/"))).toEqual([
        "200 POST /v2/bot/message/push",
        "200 POST /v2/bot/message/push"
      ])
    })
  )

  it.live("pushes to the thread with pushTo: thread, and to the thread when there is no user id", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({ pushTo: "thread" })
      yield* adapter.send(message())
      const other = yield* setup()
      yield* other.adapter.send(message({ to: { userId: "" } }))
      expect(server.accepted()[0]!.to).toBe(GROUP)
      expect(other.server.accepted()[0]!.to).toBe(GROUP)
    })
  )

  it.live(
    "a push carries a retry key derived from the message id; a resend after a restart is 409 → success, one message",
    () =>
      Effect.gen(function* () {
        const { server, adapter } = yield* setup()
        const m = message()
        yield* adapter.send(m)
        yield* adapter.send(m) // same process: remembered, no request
        const restarted = yield* LineChannel.make({
          channelSecret: SECRET,
          channelAccessToken: server.accessToken,
          apiBase: server.url
        })
        const again = yield* restarted.send(m)
        expect(server.accepted()).toHaveLength(1)
        expect(server.accepted()[0]!.retryKey).toBe(LineApi.retryKeyFor(m.id))
        expect(server.accepted()[0]!.retryKey).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
        )
        expect(again.platformMessageId).toBe(server.accepted()[0]!.id)
        expect(paths(server)).toEqual(["200 POST /v2/bot/message/push", "409 POST /v2/bot/message/push"])
      })
  )

  it.live("retries 5xx with the same retry key and succeeds", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.failNext(502, undefined, 2)
      yield* adapter.send(message())
      expect(paths(server)).toEqual([
        "502 POST /v2/bot/message/push",
        "502 POST /v2/bot/message/push",
        "200 POST /v2/bot/message/push"
      ])
      expect(server.accepted()).toHaveLength(1)
    })
  )

  it.live("gives up after the bounded retries: transport for 5xx, rate-limited for 429", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.failNext(500, undefined, 100)
      const e1 = yield* Effect.flip(adapter.send(message()))
      expect(e1.reason).toBe("transport")
      expect(server.requests()).toHaveLength(4) // 1 + 3 retries
      server.failNext(429, undefined, 100)
      const e2 = yield* Effect.flip(adapter.send(message()))
      expect(e2).toMatchObject({ reason: "rate-limited", retryAfterMs: 1000 })
      expect(server.requests()).toHaveLength(8)
    })
  )

  it.live("waits for Retry-After, and does not wait for one beyond maxRetryAfterMs", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({ retry: { retries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000 } })
      server.failNext(429, 1)
      const t0 = Date.now()
      yield* adapter.send(message())
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950)
      server.failNext(429, 60)
      const e = yield* Effect.flip(adapter.send(message()))
      expect(e).toMatchObject({ reason: "rate-limited", retryAfterMs: 60_000 })
      expect(paths(server)).toEqual([
        "429 POST /v2/bot/message/push",
        "200 POST /v2/bot/message/push",
        "429 POST /v2/bot/message/push"
      ])
    })
  )

  it.live("a rate-limited platform (per-second limit) is absorbed by retries", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({ retry: { retries: 6, baseDelayMs: 200, maxDelayMs: 1_000 } })
      server.setRateLimit(2)
      yield* Effect.forEach([1, 2, 3, 4], () => adapter.send(message()), { concurrency: 4 })
      expect(server.accepted()).toHaveLength(4)
      expect(paths(server).some((p) => p.startsWith("429"))).toBe(true)
    })
  )

  it.live("4xx is rejected without retry; a bad access token is unauthorized and not pushed after the reply", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      server.failNext(400)
      const e = yield* Effect.flip(adapter.send(message()))
      expect(e.reason).toBe("rejected")
      expect(server.requests()).toHaveLength(1)

      const bad = yield* LineChannel.make({ channelSecret: SECRET, channelAccessToken: "wrong", apiBase: server.url })
      server.issueReplyToken("rt-x")
      const e2 = yield* Effect.flip(bad.send(message({ to: { replyToken: "rt-x" } })))
      expect(e2.reason).toBe("unauthorized")
      expect(paths(server).slice(1)).toEqual(["401 POST /v2/bot/message/reply"])
    })
  )

  it.live("an unreachable API is transport", () =>
    Effect.gen(function* () {
      const { server } = yield* setup()
      const url = server.url
      yield* Effect.promise(() => server.close())
      const adapter = yield* LineChannel.make({
        channelSecret: SECRET,
        channelAccessToken: "t",
        apiBase: url,
        retry: { retries: 1, baseDelayMs: 5 }
      })
      const e = yield* Effect.flip(adapter.send(message()))
      expect(e.reason).toBe("transport")
    })
  )

  it.live("an API that never answers times out (requestTimeoutMs) as transport; a bad apiBase is transport too", () =>
    Effect.gen(function* () {
      const silent = createServer(() => {})
      yield* Effect.promise(() => new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r())))
      const port = (silent.address() as AddressInfo).port
      const adapter = yield* LineChannel.make({
        channelSecret: SECRET,
        channelAccessToken: "t",
        apiBase: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 100,
        retry: { retries: 0 }
      })
      const e = yield* Effect.flip(adapter.send(message()))
      expect(e).toMatchObject({ reason: "transport", message: "LINE API did not answer within 100 ms" })
      silent.closeAllConnections()
      yield* Effect.promise(() => new Promise((r) => silent.close(r)))

      const misconfigured = yield* LineChannel.make({
        channelSecret: SECRET,
        channelAccessToken: "t",
        apiBase: "not a url",
        retry: { retries: 0 }
      })
      const bad = yield* Effect.flip(misconfigured.send(message()))
      expect(bad.reason).toBe("transport")
      expect(bad.message).toMatch(/^LINE API unreachable: /)
    })
  )

  it.live("renders with the organiser's templates and sends the text; an empty rendering is invalid-payload", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({
        templates: {
          "order-confirmed": "{buyerName} 成單！{lines} 共 {total}",
          shipped: (data) => `出貨了：${String(data["trackingNumber"])}`
        }
      })
      const confirmed = message({
        kind: "order-confirmed",
        data: { buyerName: "王小明", lines: [{ name: "芒果", qty: 2, unitPrice: 650 }], total: 1300 }
      })
      expect(adapter.render(confirmed)).toBe("王小明 成單！・芒果 ×2　NT$1,300 共 NT$1,300")
      yield* adapter.send(confirmed)
      yield* adapter.send(message({ kind: "shipped", data: { trackingNumber: "TW123" } }))
      expect(server.accepted().map((a) => a.messages)).toEqual([
        [{ type: "text", text: "王小明 成單！・芒果 ×2　NT$1,300 共 NT$1,300" }],
        [{ type: "text", text: "出貨了：TW123" }]
      ])
      const empty = yield* Effect.flip(adapter.send(message({ kind: "text", data: {} })))
      expect(empty.reason).toBe("invalid-payload")
      expect(server.accepted()).toHaveLength(2)
    })
  )
})

describe("LineChannel templateData", () => {
  it.live("fills in what the message data lacks (bank account, pickup place); the message's own data wins", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup({
        templateData: {
          bank: { name: "國泰世華", code: "013", account: "123456789012" },
          place: "捷運站 2 號出口",
          total: 1
        }
      })
      yield* adapter.send(message({ kind: "payment-due", data: { orderId: "o1", total: 1300 } }))
      yield* adapter.send(message({ kind: "pickup-ready", data: { pickupCode: "K7P2" } }))
      expect(server.accepted().map((a) => (a.messages[0] as { text: string }).text)).toEqual([
        "請付款 NT$1,300 💰\n匯款至 國泰世華(013) 帳號 123456789012，付款後請回覆帳號後五碼",
        "您的商品已可取貨 🛍️\n取貨地點：捷運站 2 號出口\n取貨碼：K7P2"
      ])
    })
  )
})

describe("LineChannel layers", () => {
  it.live(
    "layerConfig reads LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE; provides both tags",
    () =>
      Effect.gen(function* () {
        const { server } = yield* setup()
        const provider = ConfigProvider.fromUnknown({
          LINE_CHANNEL_SECRET: SECRET,
          LINE_CHANNEL_ACCESS_TOKEN: server.accessToken,
          LINE_API_BASE: server.url
        })
        const layer = LineChannel.layerConfig({ retry: { retries: 0 } }).pipe(
          Layer.provide(ConfigProvider.layer(provider))
        )
        const [line, port] = yield* Effect.all([LineChannel.LineChannel, ChannelAdapter.ChannelAdapter]).pipe(
          Effect.provide(layer)
        )
        expect(line).toBe(port)
        expect(line.channel).toBe("line")
        yield* port.send(message())
        expect(server.accepted()).toHaveLength(1)
        const b = body(textEvent({ eventId: "e", commentId: "c", userId: "U", text: "+1" }))
        yield* port.verify(signed(b))

        const missing = yield* Effect.result(
          Effect.provide(
            LineChannel.LineChannel,
            LineChannel.layerConfig().pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({}))))
          )
        )
        expect(Result.isFailure(missing)).toBe(true)
      })
  )

  it.live("the config redacts the secrets", () =>
    Effect.gen(function* () {
      const c = yield* LineChannel.config.pipe(
        Effect.provideService(
          ConfigProvider.ConfigProvider,
          ConfigProvider.fromUnknown({ LINE_CHANNEL_SECRET: "s3cret", LINE_CHANNEL_ACCESS_TOKEN: "tok3n" })
        )
      )
      expect(String(c.channelSecret)).not.toContain("s3cret")
      expect(String(c.channelAccessToken)).not.toContain("tok3n")
      expect(c.apiBase).toBe(LineChannel.defaultApiBase)
    })
  )
})

describe("LineChannel.decodeDelivery: hostile events", () => {
  const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`

  it.live("a lone surrogate in a userId neither throws nor loses the other events (no lookup with a bad id)", () =>
    Effect.gen(function* () {
      const { adapter, server } = yield* setup()
      const b = body(
        textEvent({ eventId: "e1", commentId: "c1", userId: "U\ud800bad", text: "+1" }),
        textEvent({ eventId: "e2", commentId: "c2", userId: "Ugood", text: "+2" })
      )
      const d = yield* adapter.decodeDelivery(signed(b))
      expect(d.events.map((e) => e.eventId)).toEqual(["e1", "e2"])
      expect(d.skipped).toEqual([])
      // no request to LINE with the bad id (it has no URL form); the good one was looked up
      expect(paths(server).some((p) => p.includes("Ugood"))).toBe(true)
      expect(paths(server).every((p) => !p.includes("%ED") && !p.includes("bad"))).toBe(true)
      expect(yield* Effect.flip(adapter.displayName("U\udc00", GROUP))).toMatchObject({ _tag: "ChannelError" })
    })
  )

  it.live("an event nested too deep, or with a timestamp no date holds, is skipped; the good ones are kept", () =>
    Effect.gen(function* () {
      const { adapter } = yield* setup({ resolveNames: false })
      const good = textEvent({ eventId: "e3", commentId: "c3", userId: "U3", text: "+1" })
      const raw = `{"destination":"Ubot","events":[{"type":"join","timestamp":1,"x":${deep(10_000)}},${JSON.stringify(
        good
      )},{"type":"message","timestamp":1e400,"message":{"id":"m","type":"text","text":"+1"}},${JSON.stringify({
        ...good,
        timestamp: 8.64e15 + 1
      })}]}`
      const d = yield* adapter.decodeDelivery(signed(raw))
      expect(d.events.map((e) => e.eventId)).toEqual(["e3"])
      expect(d.skipped.map((s) => [s.where, s.reason])).toEqual([
        ["events[0]", "malformed"],
        ["events[2]", "malformed"],
        ["events[3]", "malformed"]
      ])
      // only bad events: the delivery is invalid-payload (LINE SDKs answer 400), never a defect
      const bad = `{"events":[{"type":"leave","timestamp":1,"x":${deep(10_000)}}]}`
      expect((yield* Effect.flip(adapter.decode(signed(bad)))).reason).toBe("invalid-payload")
    })
  )
})

describe("LineChannel: the adapter surface", () => {
  it.live("makeConfig reads the secrets from Config; the other options come from the caller", () =>
    Effect.gen(function* () {
      const { server } = yield* setup()
      const provider = ConfigProvider.fromUnknown({
        LINE_CHANNEL_SECRET: SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: server.accessToken,
        LINE_API_BASE: server.url
      })
      const adapter = yield* LineChannel.makeConfig({ channel: "line-shop", retry: { retries: 0 } }).pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, provider)
      )
      expect(adapter.channel).toBe("line-shop")
      yield* adapter.send(message())
      expect(server.accepted()).toHaveLength(1)
    })
  )

  it.effect("options are a Schema: a bad value fails make with a SchemaError naming the field", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(LineChannel.make({ channelSecret: SECRET, channelAccessToken: "t", timeoutMs: -1 }))
      expect(e._tag).toBe("SchemaError")
      expect(e.message).toContain("timeoutMs")
      // a plain-text secret is accepted and kept Redacted
      const decoded = yield* Schema.decodeUnknownEffect(LineChannel.Options)({
        channelSecret: SECRET,
        channelAccessToken: "t"
      })
      expect(Redacted.isRedacted(decoded.channelSecret)).toBe(true)
      expect(Redacted.isRedacted(decoded.channelAccessToken)).toBe(true)
    })
  )
})

describe("LineChannel: the outbound HTTP stack", () => {
  it.live("`timeoutMs` bounds one call (the deprecated requestTimeoutMs still works, see above)", () =>
    Effect.gen(function* () {
      const silent = createServer(() => {})
      yield* Effect.promise(() => new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r())))
      const port = (silent.address() as AddressInfo).port
      const adapter = yield* LineChannel.make({
        channelSecret: SECRET,
        channelAccessToken: "t",
        apiBase: `http://127.0.0.1:${port}`,
        timeoutMs: 50,
        retry: { retries: 0 }
      })
      const e = yield* Effect.flip(adapter.send(message()))
      expect(e).toMatchObject({ reason: "transport", message: "LINE API did not answer within 50 ms" })
      silent.closeAllConnections()
      yield* Effect.promise(() => new Promise((r) => silent.close(r)))
    })
  )

  it.live("an app's own Effect HttpClient carries the calls (`httpClient`), with the bearer token", () =>
    Effect.gen(function* () {
      const seen: Array<HttpClient.TransportRequest> = []
      const httpClient = HttpClient.makeTransport(async (request) => {
        seen.push(request)
        return { status: 200, headers: {}, body: '{"sentMessages":[{"id":"m-1"}]}' }
      })
      const adapter = yield* LineChannel.make({ channelSecret: SECRET, channelAccessToken: "tok3n", httpClient })
      const r = yield* adapter.send(message())
      expect(r.platformMessageId).toBe("m-1")
      expect(seen.map((s) => [s.method, s.url.pathname, s.headers.authorization])).toEqual([
        ["POST", "/v2/bot/message/push", "Bearer tok3n"]
      ])
    })
  )

  it.live("spans show the path template, never a user id, group id or the access token", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const { server, adapter } = yield* setup()
      server.setProfile("Uprivate", "王小明", { groupId: GROUP })
      yield* adapter.displayName("Uprivate", GROUP).pipe(Effect.withTracer(tracer))
      yield* adapter.send(message({ to: { userId: "Uprivate" } })).pipe(Effect.withTracer(tracer))
      expect(spans.map((s) => s.name)).toEqual([
        "GET /v2/bot/group/{groupId}/member/{userId}",
        "POST /v2/bot/message/push"
      ])
      const all = JSON.stringify(spans.map((s) => [s.name, [...s.attributes]]))
      for (const secret of ["Uprivate", GROUP, server.accessToken]) expect(all).not.toContain(secret)
    })
  )
})
