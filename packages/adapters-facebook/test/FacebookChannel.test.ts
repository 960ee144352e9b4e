import { createHmac } from "node:crypto"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { ChannelAdapter, ChannelContract, Http, type Notification } from "@kaituan/core"
import { ConfigProvider, Effect, Layer, Redacted, Result } from "effect"
import { FacebookChannel, FacebookSignature, PrivateReplies } from "../src/index.js"
import * as Fake from "./support/FakeGraph.js"

const fast = { retries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000 }
const DAY = 24 * 60 * 60 * 1000

let fake: Fake.FakeGraph
beforeAll(async () => {
  fake = await Fake.start()
})
afterAll(async () => {
  await fake.close()
})
beforeEach(() => {
  fake.clearFailures()
  fake.script()
})

const adapter = (over: Partial<FacebookChannel.Options> = {}) =>
  FacebookChannel.make({
    appSecret: Redacted.make(fake.appSecret),
    verifyToken: Redacted.make("verify-me"),
    pageAccessToken: Redacted.make(fake.token),
    pageId: "104000000000001",
    graphBase: fake.base,
    retry: fast,
    timeoutMs: 5_000,
    ...over
  })

let seq = 0
const freshComment = () => {
  seq += 1
  return `900000000000001_${1300000000000000 + seq}`
}

const message = (
  commentId: string | undefined,
  over: Partial<Notification.OutboundMessage> = {}
): Notification.OutboundMessage => ({
  id: `m-${Math.random().toString(36).slice(2)}`,
  kind: "order-confirmed",
  to: {
    channel: "facebook" as Notification.Recipient["channel"],
    userId: "7000000000000001",
    threadId: "104000000000001_900000000000001",
    ...(commentId === undefined ? {} : { replyToCommentId: commentId })
  },
  data: { buyerName: "王小明", lines: [{ name: "愛文芒果", qty: 2, unitPrice: 650 }], total: 1300 },
  createdAt: new Date().toISOString(),
  ...over
})

/** An adapter that has seen `commentId` written `ageMs` ago. */
const seen = (commentId: string, ageMs: number, over: Partial<FacebookChannel.Options> = {}) =>
  Effect.gen(function* () {
    const a = yield* adapter(over)
    yield* a.privateReplies.noteComment(commentId, Date.now() - ageMs)
    return a
  })

const posts = (from: number) => fake.accepted.slice(from)

describe("FacebookChannel.send: private replies", () => {
  it.live("sends a private reply to the comment with the default text, token and appsecret_proof", () =>
    Effect.gen(function* () {
      const c = freshComment()
      const a = yield* seen(c, 60_000)
      const before = fake.accepted.length
      const r = yield* a.send(message(c))
      const got = posts(before)
      expect(got).toHaveLength(1)
      expect(got[0]!.path).toBe(`/${fake.version}/104000000000001/messages`)
      expect(got[0]!.body).toEqual({
        recipient: { comment_id: c },
        message: { text: "王小明 您好，已成單 ✅\n・愛文芒果 ×2　NT$1,300\n合計 NT$1,300" }
      })
      expect(got[0]!.query["access_token"]).toBe(fake.token)
      expect(got[0]!.query["appsecret_proof"]).toBe(
        createHmac("sha256", fake.appSecret).update(fake.token).digest("hex")
      )
      expect(r.platformMessageId).toMatch(/^m_fake\d+$/)
    })
  )

  it.live("an image (a pickup code's QR code) goes as a link in a private reply, never in a public one", () =>
    Effect.gen(function* () {
      const qr = "https://shop.example.com/qr/abc.png"
      const c = freshComment()
      const a = yield* seen(c, 60_000)
      const before = fake.accepted.length
      yield* a.send(message(c, { kind: "pickup-ready", data: { pickupCode: "XQ3WG9X8" }, imageUrl: qr }))
      expect(posts(before)[0]!.body).toEqual({
        recipient: { comment_id: c },
        message: { text: `您的商品已可取貨 🛍️\n取貨碼：XQ3WG9X8\n取貨 QR Code：${qr}` }
      })
      const d = freshComment()
      const pub = yield* seen(d, 60_000, { replyMode: "public" })
      const from = fake.accepted.length
      yield* pub.send(message(d, { kind: "order-confirmed", imageUrl: qr }))
      expect(JSON.stringify(posts(from).map((p) => p.body))).not.toContain(qr)
    })
  )

  it.live("one private reply per comment: a second message is rejected without calling Meta", () =>
    Effect.gen(function* () {
      const c = freshComment()
      const a = yield* seen(c, 60_000)
      const first = message(c)
      yield* a.send(first)
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message(c, { kind: "payment-due", data: { amount: 1300 } })))
      expect(e.reason).toBe("rejected")
      expect(e.message).toContain("one private reply per comment")
      expect(e.message).toContain(first.id)
      expect(fake.requests.length).toBe(before)
    })
  )

  it.live("the same message id twice is one message with one result", () =>
    Effect.gen(function* () {
      const c = freshComment()
      const a = yield* seen(c, 60_000)
      const m = message(c)
      const before = fake.accepted.length
      const r1 = yield* a.send(m)
      const r2 = yield* a.send(m)
      expect(posts(before)).toHaveLength(1)
      expect(r2).toEqual(r1)
    })
  )

  it.live("a comment older than 7 days is rejected without calling Meta; 6 days is fine", () =>
    Effect.gen(function* () {
      const old = freshComment()
      const a = yield* seen(old, 7 * DAY + 60_000)
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message(old)))
      expect(e.reason).toBe("rejected")
      expect(e.message).toContain("within 7 days")
      expect(fake.requests.length).toBe(before)
      const recent = freshComment()
      yield* a.privateReplies.noteComment(recent, Date.now() - 6 * DAY)
      yield* a.send(message(recent))
    })
  )

  it.live("the comment time comes from the webhook the adapter decoded", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const c = freshComment()
      const oldTime = Math.floor((Date.now() - 8 * DAY) / 1000)
      const body = JSON.stringify({
        object: "page",
        entry: [
          {
            id: "104000000000001",
            time: oldTime,
            changes: [
              {
                field: "feed",
                value: {
                  item: "comment",
                  verb: "add",
                  comment_id: c,
                  post_id: "104000000000001_900000000000001",
                  from: { id: "7000000000000001", name: "王小明" },
                  message: "+1",
                  created_time: oldTime
                }
              }
            ]
          }
        ]
      })
      const req = Http.request({
        headers: { "x-hub-signature-256": FacebookSignature.sign(fake.appSecret, body) },
        body
      })
      yield* a.verify(req)
      yield* a.decode(req)
      const e = yield* Effect.flip(a.send(message(c)))
      expect(e.message).toContain("within 7 days")
    })
  )

  it.live("an unseen comment's time is looked up on the Graph API (and remembered)", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const old = freshComment()
      const recent = freshComment()
      fake.comments.set("lookup-post", [
        {
          id: old,
          created_time: new Date(Date.now() - 10 * DAY).toISOString().replace(/\.\d+Z$/, "+0000"),
          message: "+1"
        },
        {
          id: recent,
          created_time: new Date(Date.now() - DAY).toISOString().replace(/\.\d+Z$/, "+0000"),
          message: "+1"
        }
      ])
      const e = yield* Effect.flip(a.send(message(old)))
      expect(e.message).toContain("within 7 days")
      const before = fake.requests.length
      yield* a.send(message(recent))
      const calls = fake.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.query["fields"] ?? ""}`)
      expect(calls).toEqual([
        `GET /${fake.version}/${recent} created_time`,
        `POST /${fake.version}/104000000000001/messages `
      ])
      expect(yield* a.privateReplies.commentTime(recent)).toBeGreaterThan(Date.now() - 2 * DAY)
      const gone = yield* Effect.flip(a.send(message("900_404")))
      expect(gone.reason).toBe("rejected")
      expect(gone.message).toContain("cannot be read")
    })
  )

  it.live("with lookupCommentTime off, an unseen comment is sent and Meta decides", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ lookupCommentTime: false })
      const before = fake.requests.length
      yield* a.send(message(freshComment()))
      expect(fake.requests.slice(before).map((r) => r.method)).toEqual(["POST"])
    })
  )

  it.live("Meta's #10900 (already answered elsewhere) is rejected and the comment stays used", () =>
    Effect.gen(function* () {
      const c = freshComment()
      fake.replied.add(c)
      const store = PrivateReplies.makeMemory()
      const a = yield* seen(c, 60_000, { privateReplies: store })
      const m = message(c)
      const e = yield* Effect.flip(a.send(m))
      expect(e.reason).toBe("rejected")
      expect(e.platformCode).toBe("10900")
      expect(e.message).toContain("already answered")
      expect(store.claims.get(c)).toMatchObject({ outboundId: m.id, sent: false })
      const before = fake.requests.length
      const again = yield* Effect.flip(a.send(message(c)))
      expect(again.reason).toBe("rejected")
      expect(fake.requests.length).toBe(before)
    })
  )

  it.live("a failed send gives the comment's reply back, so a later message may use it", () =>
    Effect.gen(function* () {
      const c = freshComment()
      const a = yield* seen(c, 60_000)
      fake.failNext(500, undefined, 10)
      const e = yield* Effect.flip(a.send(message(c)))
      fake.clearFailures()
      expect(e.reason).toBe("transport")
      yield* a.send(message(c))
    })
  )

  it.live("with a shared store, a message already sent by an earlier process is not sent again", () =>
    Effect.gen(function* () {
      const store = PrivateReplies.makeMemory()
      const c = freshComment()
      const m = message(c)
      const first = yield* seen(c, 60_000, { privateReplies: store })
      const r1 = yield* first.send(m)
      const restarted = yield* adapter({ privateReplies: store })
      const before = fake.requests.length
      const r2 = yield* restarted.send(m)
      expect(r2).toEqual(r1)
      expect(fake.requests.length).toBe(before)
      expect(store.claims.get(c)).toMatchObject({
        outboundId: m.id,
        sent: true,
        platformMessageId: r1.platformMessageId
      })
    })
  )

  it.live("the store is injectable and shared: two adapters on one store keep the one-reply rule", () =>
    Effect.gen(function* () {
      const store = PrivateReplies.makeMemory()
      const c = freshComment()
      const a1 = yield* seen(c, 60_000, { privateReplies: store })
      const a2 = yield* adapter({ privateReplies: store })
      yield* a1.send(message(c))
      const e = yield* Effect.flip(a2.send(message(c)))
      expect(e.message).toContain("one private reply per comment")
    })
  )

  it.live("no comment to answer is unsupported", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const e = yield* Effect.flip(a.send(message(undefined)))
      expect(e.reason).toBe("unsupported")
    })
  )
})

describe("FacebookChannel.send: public replies", () => {
  it.live("data.replyMode public (or the replyMode option) posts under the comment, any number of times", () =>
    Effect.gen(function* () {
      const c = freshComment()
      const a = yield* adapter()
      const before = fake.accepted.length
      const r = yield* a.send(message(c, { kind: "text", data: { text: "已+1 ✅", replyMode: "public" } }))
      const p = yield* adapter({ replyMode: "public", templates: { "not-ordered": "@{buyerName} {reasonText}" } })
      yield* p.send(message(c, { kind: "not-ordered", data: { buyerName: "王小明", reason: "sold-out" } }))
      const got = posts(before)
      expect(got.map((g) => [g.path, g.body])).toEqual([
        [`/${fake.version}/${c}/comments`, { message: "已+1 ✅" }],
        [`/${fake.version}/${c}/comments`, { message: "@王小明 商品已售完" }]
      ])
      expect(r.platformMessageId).toMatch(/_9\d+$/)
    })
  )

  it.live("texts are cut to 2000 characters", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ replyMode: "public" })
      const before = fake.accepted.length
      yield* a.send(message(freshComment(), { kind: "text", data: { text: "團".repeat(2500) } }))
      const text = (posts(before)[0]!.body as { message: string }).message
      expect(text.length).toBe(2000)
      expect(text.endsWith("…")).toBe(true)
    })
  )
})

const graphError = (
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers = {}
) => ({
  status,
  headers,
  body: { error: { message, type: "OAuthException", code, fbtrace_id: "x", ...extra } }
})

describe("FacebookChannel.send: Graph errors", () => {
  it.live("rate limits #4 #17 #32 #613 are retried, then succeed", () =>
    Effect.gen(function* () {
      for (const code of [4, 17, 32, 613]) {
        const a = yield* adapter({ replyMode: "public" })
        fake.script(graphError(400, code, `(#${code}) limit reached`))
        const before = fake.requests.length
        yield* a.send(message(freshComment()))
        expect(fake.requests.length - before).toBe(2)
      }
    })
  )

  it.live("rate limits beyond the retry budget are rate-limited; a long time to regain access is not waited for", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ replyMode: "public" })
      fake.script(
        ...Array.from({ length: 3 }, () =>
          graphError(400, 613, "(#613) Calls to this api have exceeded the rate limit.")
        )
      )
      const e = yield* Effect.flip(a.send(message(freshComment())))
      expect(e.reason).toBe("rate-limited")
      const usage = JSON.stringify({
        "104000000000001": [{ type: "pages", call_count: 100, estimated_time_to_regain_access: 5 }]
      })
      fake.script(
        graphError(
          400,
          80001,
          "There have been too many calls to this Page account.",
          {},
          { "x-business-use-case-usage": usage }
        )
      )
      const before = fake.requests.length
      const long = yield* Effect.flip(a.send(message(freshComment())))
      expect(long.reason).toBe("rate-limited")
      expect(long.retryAfterMs).toBe(5 * 60_000)
      expect(fake.requests.length - before).toBe(1)
    })
  )

  it.live("#190 (token) is unauthorized; #200 (permission) is unauthorized; #10 with a subcode is rejected", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ replyMode: "public" })
      fake.script(graphError(400, 190, "Error validating access token: Session has expired", { error_subcode: 463 }))
      expect((yield* Effect.flip(a.send(message(freshComment())))).reason).toBe("unauthorized")
      fake.script(graphError(403, 200, "(#200) Requires pages_messaging permission"))
      expect((yield* Effect.flip(a.send(message(freshComment())))).reason).toBe("unauthorized")
      fake.script(
        graphError(400, 10, "(#10) This message is sent outside of allowed window.", { error_subcode: 2018278 })
      )
      const w = yield* Effect.flip(a.send(message(freshComment())))
      expect(w.reason).toBe("rejected")
      expect(w.message).toContain("outside of allowed window")
      const wrongToken = yield* adapter({ replyMode: "public", pageAccessToken: Redacted.make("EAAB-wrong") })
      const u = yield* Effect.flip(wrongToken.send(message(freshComment())))
      expect(u.reason).toBe("unauthorized")
      expect(u.message).not.toContain("EAAB-wrong")
    })
  )

  it.live("5xx and #2 are retried; other 4xx are rejected at once", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ replyMode: "public" })
      fake.script(graphError(400, 2, "An unexpected error has occurred. Please retry your request later."))
      yield* a.send(message(freshComment()))
      fake.failNext(503)
      yield* a.send(message(freshComment()))
      fake.script(graphError(400, 100, "(#100) Invalid parameter"))
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message(freshComment())))
      expect(e.reason).toBe("rejected")
      expect(e.message).toContain("#100")
      expect(fake.requests.length - before).toBe(1)
    })
  )
})

describe("FacebookChannel.layerConfig", () => {
  it.effect("reads FB_* settings", () =>
    Effect.gen(function* () {
      const provider = ConfigProvider.fromUnknown({
        FB_APP_SECRET: "s",
        FB_VERIFY_TOKEN: "v",
        FB_PAGE_ACCESS_TOKEN: "t",
        FB_GRAPH_BASE: "http://127.0.0.1:1"
      })
      const a = yield* FacebookChannel.makeConfig().pipe(Effect.provideService(ConfigProvider.ConfigProvider, provider))
      expect(a.channel).toBe("facebook")
      const res = yield* a.handshake!(
        Http.request({
          method: "GET",
          query: { "hub.mode": "subscribe", "hub.verify_token": "v", "hub.challenge": "ok" }
        })
      )
      expect(res?.body).toBe("ok")
      const missing = yield* Effect.result(
        Layer.build(FacebookChannel.layerConfig()).pipe(
          Effect.scoped,
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({}))
        )
      )
      expect(Result.isFailure(missing)).toBe(true)
    })
  )
})

describe("ChannelContract (Facebook)", () => {
  const store = PrivateReplies.makeMemory()
  let a: FacebookChannel.FacebookChannelService | undefined
  const sign = (secret: string, body: string) =>
    Http.request({
      path: "/webhooks/facebook",
      headers: { "x-hub-signature-256": FacebookSignature.sign(secret, body) },
      body
    })
  const h: ChannelContract.Harness = {
    get adapter() {
      a ??= Effect.runSync(adapter({ privateReplies: store }))
      return a
    },
    capabilities: { signsBody: true, idempotentSend: true },
    signedRequest: (body) => sign(fake.appSecret, body),
    unsignedRequest: (body) => Http.request({ path: "/webhooks/facebook", body }),
    forgedRequest: (body) => sign("not_the_app_secret", body),
    sampleCommentBody: (s) =>
      JSON.stringify({
        object: "page",
        entry: [
          {
            id: "104000000000001",
            time: 1714540800,
            changes: [
              {
                field: "feed",
                value: {
                  from: { id: s.userId, name: "團員" },
                  item: "comment",
                  comment_id: `900000000000001_${s.commentId}`,
                  post_id: "104000000000001_900000000000001",
                  parent_id: "104000000000001_900000000000001",
                  verb: "add",
                  created_time: 1714540800,
                  message: s.text
                }
              }
            ]
          }
        ]
      }),
    malformedBody:
      '{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":{"item":"comment","verb":"add"}}]}]}',
    message: (input) => {
      // one private reply per comment: each contract message answers its own, recent comment
      const commentId = `900000000000001_${Buffer.from(input.id).toString("hex")}`
      Effect.runSync(store.noteComment(commentId, Date.now()))
      return {
        id: input.id,
        kind: "text",
        to: { channel: h.adapter.channel, userId: "300001", replyToCommentId: commentId },
        data: { text: input.text },
        createdAt: new Date().toISOString()
      }
    },
    expect: {
      commentId: (s) => `900000000000001_${s.commentId}`,
      eventId: (s) => `900000000000001_${s.commentId}:add:1714540800`
    },
    sent: () => fake.accepted.filter((r) => r.path.endsWith("/messages")).map((r) => r.body),
    failNext: (status, retryAfter, times) => fake.failNext(status, retryAfter, times),
    clearFailures: () => fake.clearFailures()
  }
  for (const c of ChannelContract.casesFor(h)) it.live(c.name, () => c.run(h))
})

describe("FacebookChannel: hostile ids and changes", () => {
  it.live("a Graph URL that cannot be parsed is a transport error that quotes neither the token nor its proof", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ graphBase: "http://bad host:x", retry: { ...fast, retries: 0 } })
      const e = yield* Effect.flip(a.send(message("900_1", { data: { replyMode: "public" } })))
      expect(e.reason).toBe("transport")
      expect(e.message).not.toContain(fake.token)
      const proof = createHmac("sha256", fake.appSecret).update(fake.token).digest("hex")
      expect(e.message).not.toContain(proof)
    })
  )

  it.live("a comment id that cannot be a URL path (a lone surrogate) fails typed, sends nothing, never throws", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const before = fake.requests.length
      for (const mode of ["private", "public"] as const) {
        const e = yield* Effect.flip(a.send(message("900_\ud800", { data: { replyMode: mode } })))
        expect(e).toMatchObject({ _tag: "ChannelError", reason: "invalid-payload" })
      }
      const pulled = yield* Effect.flip(a.pullComments({ objectId: "\udfff" }))
      expect(pulled.reason).toBe("invalid-payload")
      expect(fake.requests.length).toBe(before)
    })
  )

  it.live("a malformed change among good ones is skipped and listed; the good ones are kept", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const good = {
        item: "comment",
        verb: "add",
        comment_id: "900_1",
        post_id: "104_900",
        from: { id: "7001", name: "陳大華" },
        message: "+1",
        created_time: 1714541000
      }
      const body = JSON.stringify({
        object: "page",
        entry: [
          {
            id: "104",
            time: 1714541000,
            changes: [
              { field: "feed", value: { ...good, comment_id: "900_0", created_time: 1e300 } },
              { field: "feed", value: good },
              { field: "feed", value: { ...good, comment_id: "900_2", message: 12 } }
            ]
          }
        ]
      })
      const req = Http.request({
        body,
        headers: { [FacebookSignature.header]: FacebookSignature.sign(fake.appSecret, body) }
      })
      const d = yield* a.decodeDelivery(req)
      expect(d.events.map((e) => ("commentId" in e ? e.commentId : ""))).toEqual(["900_1"])
      expect(d.skipped.map((s) => [s.where, s.reason])).toEqual([
        ["entry[0].changes[0]", "malformed"],
        ["entry[0].changes[2]", "malformed"]
      ])
      expect((yield* a.decode(req)).length).toBe(1)
    })
  )
})

describe("FacebookChannel: the adapter surface", () => {
  it.live("layer provides the adapter under its own tag and core's ChannelAdapter, one instance", () =>
    Effect.gen(function* () {
      const [own, port] = yield* Effect.all([FacebookChannel.FacebookChannel, ChannelAdapter.ChannelAdapter]).pipe(
        Effect.provide(
          FacebookChannel.layer({
            appSecret: Redacted.make(fake.appSecret),
            verifyToken: Redacted.make("verify-me"),
            pageAccessToken: Redacted.make(fake.token),
            graphBase: fake.base
          })
        )
      )
      expect(own).toBe(port)
      expect(own.channel).toBe("facebook")
    })
  )

  it.effect("a bad option fails make with a SchemaError", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(
        FacebookChannel.make({
          appSecret: Redacted.make("s"),
          verifyToken: Redacted.make("v"),
          pageAccessToken: Redacted.make("t"),
          replyMode: "shout" as "public"
        })
      )
      expect(e._tag).toBe("SchemaError")
      expect(e.message).toContain("replyMode")
    })
  )
})
