import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ChannelAdapter, ChannelContract, Http, type Notification } from "@kaituan/core"
import { Effect, Layer, Redacted, Result, Tracer } from "effect"
import { TelegramChannel } from "../src/index.js"
import * as Fake from "./support/FakeBotApi.js"

const SECRET = "kaituan_secret-Token_123"
const fast = { retries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000 }

let fake: Fake.FakeBotApi
beforeAll(async () => {
  fake = await Fake.start()
})
afterAll(async () => {
  await fake.close()
})

const adapter = (overrides: Partial<TelegramChannel.Options> = {}) =>
  TelegramChannel.make({
    botToken: Redacted.make(fake.token),
    secretToken: Redacted.make(SECRET),
    apiBase: fake.base,
    retry: fast,
    timeoutMs: 5_000,
    ...overrides
  })

const webhook = (body: string, secret: string | null = SECRET) =>
  Http.request({
    method: "POST",
    path: "/webhooks/telegram",
    headers: secret === null ? {} : { "X-Telegram-Bot-Api-Secret-Token": secret, "content-type": "application/json" },
    body
  })

// protocols.md §3.1, verbatim
const groupMessage = `{
  "update_id": 900000123,
  "message": {
    "message_id": 4211,
    "from": { "id": 5550001111, "is_bot": false, "first_name": "小明", "username": "ming_tw", "language_code": "zh-hant" },
    "chat": { "id": -1001234567890, "title": "週末水果團購", "type": "supergroup" },
    "date": 1714531325,
    "text": "+1 芒果 2箱",
    "reply_to_message": {
      "message_id": 4200,
      "from": { "id": 5550002222, "is_bot": false, "first_name": "團主小美" },
      "chat": { "id": -1001234567890, "title": "週末水果團購", "type": "supergroup" },
      "date": 1714530000,
      "text": "【芒果團】愛文 1箱 650，+1 請回覆本訊息"
    }
  }
}`

const editedMessage = `{ "update_id": 900000124,
  "edited_message": { "message_id": 4211, "from": { "id": 5550001111, "is_bot": false, "first_name": "小明" },
    "chat": { "id": -1001234567890, "title": "週末水果團購", "type": "supergroup" },
    "date": 1714531325, "edit_date": 1714531390, "text": "+1 芒果 3箱" } }`

const chat = { id: -1001234567890, title: "週末水果團購", type: "supergroup" }
const from = { id: 5550001111, is_bot: false, first_name: "小明", last_name: "王" }
const update = (fields: Record<string, unknown>, kind = "message", updateId = 900000200) =>
  JSON.stringify({ update_id: updateId, [kind]: { message_id: 4300, chat, date: 1714531325, ...fields } })

describe("TelegramChannel.verify", () => {
  it.effect("accepts the secret token", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      yield* a.verify(webhook(groupMessage))
    })
  )

  it.effect("a missing header is unauthorized", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const e = yield* Effect.flip(a.verify(webhook(groupMessage, null)))
      expect(e.reason).toBe("unauthorized")
      expect(e.message).toContain("missing")
    })
  )

  it.effect("a wrong, empty, longer or shorter token is unauthorized", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      for (const wrong of ["", "kaituan_secret-Token_124", `${SECRET}x`, SECRET.slice(0, -1), SECRET.toUpperCase()]) {
        const e = yield* Effect.flip(a.verify(webhook(groupMessage, wrong)))
        expect(e.reason).toBe("unauthorized")
      }
    })
  )

  it("safeEqual compares strings exactly", () => {
    expect(TelegramChannel.safeEqual("abc", "abc")).toBe(true)
    expect(TelegramChannel.safeEqual("abc", "abd")).toBe(false)
    expect(TelegramChannel.safeEqual("abc", "abcd")).toBe(false)
  })
})

describe("TelegramChannel.decode", () => {
  it.effect("a group text message replying to the product post (protocols §3.1)", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const events = yield* a.decode(webhook(groupMessage))
      expect(events).toEqual([
        {
          _tag: "Comment",
          channel: "telegram",
          eventId: "900000123",
          at: "2024-05-01T02:42:05.000Z",
          commentId: "-1001234567890:4211",
          threadId: "-1001234567890",
          author: { id: "5550001111", name: "小明" },
          text: "+1 芒果 2箱",
          replyToCommentId: "-1001234567890:4200"
        }
      ])
    })
  )

  it.effect("an edited message (protocols §3.1) becomes CommentEdited at edit_date", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const events = yield* a.decode(webhook(editedMessage))
      expect(events).toEqual([
        {
          _tag: "CommentEdited",
          channel: "telegram",
          eventId: "900000124",
          at: "2024-05-01T02:43:10.000Z",
          commentId: "-1001234567890:4211",
          threadId: "-1001234567890",
          author: { id: "5550001111", name: "小明" },
          text: "+1 芒果 3箱"
        }
      ])
    })
  )

  it.effect("names come from first+last name, else @username; a basic group and a private chat", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ channel: "tg-shop" })
      const [e1] = yield* a.decode(webhook(update({ from, text: "紅+1" })))
      expect(e1).toMatchObject({ _tag: "Comment", channel: "tg-shop", author: { id: "5550001111", name: "小明 王" } })
      const group = { id: -4001, title: "團", type: "group" }
      const [e2] = yield* a.decode(webhook(update({ chat: group, from: { id: 7, username: "ming" }, text: "+1" })))
      expect(e2).toMatchObject({ commentId: "-4001:4300", threadId: "-4001", author: { id: "7", name: "@ming" } })
      const dm = { id: 7, type: "private", first_name: "Ming" }
      const [e3] = yield* a.decode(webhook(update({ chat: dm, from: { id: 7 }, text: "還有嗎" })))
      expect(e3).toMatchObject({ commentId: "7:4300", threadId: "7", author: { id: "7" } })
      expect(e3 && "replyToCommentId" in e3).toBe(false)
    })
  )

  it.effect("stickers, photos (even with a caption) and other media become NonText", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const cases: ReadonlyArray<[Record<string, unknown>, string]> = [
        [{ sticker: { file_id: "s", emoji: "👍" } }, "sticker"],
        [{ photo: [{ file_id: "p", width: 90, height: 90 }], caption: "+1 這個" }, "photo"],
        [{ voice: { file_id: "v", duration: 2 } }, "voice"],
        [{ location: { latitude: 25.03, longitude: 121.56 } }, "location"],
        [{ document: { file_id: "d" } }, "document"]
      ]
      for (const [fields, kind] of cases) {
        const events = yield* a.decode(webhook(update({ from, ...fields })))
        expect(events).toEqual([
          {
            _tag: "NonText",
            channel: "telegram",
            eventId: "900000200",
            at: "2024-05-01T02:42:05.000Z",
            commentId: "-1001234567890:4300",
            threadId: "-1001234567890",
            author: { id: "5550001111", name: "小明 王" },
            kind
          }
        ])
      }
    })
  )

  it.effect("new_chat_members gives one MemberJoined per member; left_chat_member gives MemberLeft", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const joined = yield* a.decode(
        webhook(
          update({
            from,
            new_chat_members: [
              { id: 11, first_name: "陳大華" },
              { id: 12, username: "amy" }
            ]
          })
        )
      )
      expect(joined).toEqual([
        {
          _tag: "MemberJoined",
          channel: "telegram",
          eventId: "900000200:11",
          at: "2024-05-01T02:42:05.000Z",
          threadId: "-1001234567890",
          author: { id: "11", name: "陳大華" }
        },
        {
          _tag: "MemberJoined",
          channel: "telegram",
          eventId: "900000200:12",
          at: "2024-05-01T02:42:05.000Z",
          threadId: "-1001234567890",
          author: { id: "12", name: "@amy" }
        }
      ])
      const left = yield* a.decode(webhook(update({ from, left_chat_member: { id: 11, first_name: "陳大華" } })))
      expect(left).toEqual([
        {
          _tag: "MemberLeft",
          channel: "telegram",
          eventId: "900000200:11",
          at: "2024-05-01T02:42:05.000Z",
          threadId: "-1001234567890",
          author: { id: "11", name: "陳大華" }
        }
      ])
    })
  )

  it.effect(
    "channel posts and anonymous admins are comments of the chat, marked unknown (author = sender_chat); edits are CommentEdited",
    () =>
      Effect.gen(function* () {
        const a = yield* adapter()
        const channel = { id: -1009876, title: "水果頻道", type: "channel" }
        const post = yield* a.decode(
          webhook(update({ chat: channel, sender_chat: channel, text: "今日芒果" }, "channel_post", 5))
        )
        expect(post).toEqual([
          {
            _tag: "Comment",
            channel: "telegram",
            eventId: "5",
            at: "2024-05-01T02:42:05.000Z",
            commentId: "-1009876:4300",
            threadId: "-1009876",
            author: { id: "-1009876", name: "水果頻道", unknown: true },
            text: "今日芒果"
          }
        ])
        // An anonymous group admin: `from` is Telegram's placeholder bot, `sender_chat` the group.
        const anon = yield* a.decode(
          webhook(
            update(
              {
                from: { id: 1087968824, is_bot: true, first_name: "Group", username: "GroupAnonymousBot" },
                sender_chat: { id: -1001234567890, title: "團購群", type: "supergroup" },
                text: "紅+1"
              },
              "message",
              7
            )
          )
        )
        expect(anon).toMatchObject([
          { _tag: "Comment", author: { id: "-1001234567890", name: "團購群", unknown: true }, text: "紅+1" }
        ])
        const edit = yield* a.decode(
          webhook(update({ chat: channel, text: "今日芒果 售完", edit_date: 1714531400 }, "edited_channel_post", 6))
        )
        expect(edit).toMatchObject([
          { _tag: "CommentEdited", eventId: "6", text: "今日芒果 售完", at: "2024-05-01T02:43:20.000Z" }
        ])
      })
  )

  it.effect("service messages, edits without text and other update kinds give no event", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      expect(yield* a.decode(webhook(update({ from, pinned_message: { message_id: 1, chat, date: 1 } })))).toEqual([])
      expect(yield* a.decode(webhook(update({ from, new_chat_title: "新團名" })))).toEqual([])
      expect(yield* a.decode(webhook(update({ from, caption: "改" }, "edited_message")))).toEqual([])
      expect(
        yield* a.decode(webhook(JSON.stringify({ update_id: 1, callback_query: { id: "1", from, data: "x" } })))
      ).toEqual([])
      expect(yield* a.decode(webhook(JSON.stringify({ update_id: 2 })))).toEqual([])
    })
  )

  it.effect("malformed bodies are invalid-payload", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      for (const body of [
        "",
        "not json",
        "[]",
        "{}",
        '{"update_id":"1"}',
        '{"update_id":1,"message":{"message_id":1,"date":1,"text":"+1"}}',
        '{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"group"},"date":"today","text":"+1"}}',
        // a date no Date can hold: invalid-payload, never a defect
        '{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"group"},"date":1e300,"text":"+1"}}',
        '{"update_id":1,"edited_message":{"message_id":1,"chat":{"id":1,"type":"group"},"date":1,"edit_date":1e400,"text":"+1"}}'
      ]) {
        const e = yield* Effect.flip(a.decode(webhook(body)))
        expect(e.reason).toBe("invalid-payload")
      }
    })
  )
})

const message = (over: Partial<Notification.OutboundMessage> = {}): Notification.OutboundMessage => ({
  id: `m-${Math.random().toString(36).slice(2)}`,
  kind: "order-confirmed",
  to: {
    channel: "telegram" as Notification.Recipient["channel"],
    userId: "5550001111",
    threadId: "-1001234567890",
    replyToCommentId: "-1001234567890:4211"
  },
  data: { buyerName: "小明", lines: [{ name: "愛文芒果", qty: 2, unitPrice: 650 }], total: 1300 },
  createdAt: "2024-05-01T02:45:00.000Z",
  ...over
})

describe("TelegramChannel.send", () => {
  it.live("a message with an image (a pickup code's QR code) is one sendPhoto with the text as its caption", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      const qr = "https://shop.example.com/qr/abc.png"
      const before = fake.accepted.length
      const result = yield* a.send(message({ kind: "pickup-ready", data: { pickupCode: "XQ3WG9X8" }, imageUrl: qr }))
      const got = fake.accepted.slice(before)
      expect(got.map((r) => r.method)).toEqual(["sendPhoto"])
      expect(got[0]!.body).toEqual({
        chat_id: "-1001234567890",
        photo: qr,
        caption: "您的商品已可取貨 🛍️\n取貨碼：XQ3WG9X8",
        reply_parameters: { message_id: 4211, allow_sending_without_reply: true }
      })
      expect(result.platformMessageId).toMatch(/^-1001234567890:\d+$/)
      // A text too long for a caption (1,024) goes first, then the photo on its own.
      const long = "取".repeat(1500)
      const from = fake.accepted.length
      yield* a.send(message({ kind: "text", data: { text: long }, imageUrl: qr }))
      expect(
        fake.accepted
          .slice(from)
          .map((r) => [r.method, r.body["caption"], (r.body["text"] as string | undefined)?.length])
      ).toEqual([
        ["sendMessage", undefined, 1500],
        ["sendPhoto", undefined, undefined]
      ])
      // Only https images: otherwise the text alone.
      const plain = fake.accepted.length
      yield* a.send(message({ kind: "pickup-ready", data: { pickupCode: "A" }, imageUrl: "http://x/qr.png" }))
      expect(fake.accepted.slice(plain).map((r) => r.method)).toEqual(["sendMessage"])
    })
  )

  it.live("replies in the group to the buyer's comment with the default Traditional Chinese text", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      const before = fake.accepted.length
      const result = yield* a.send(message())
      const got = fake.accepted.slice(before)
      expect(got).toHaveLength(1)
      expect(got[0]!.method).toBe("sendMessage")
      expect(got[0]!.body).toEqual({
        chat_id: "-1001234567890",
        text: "小明 您好，已成單 ✅\n・愛文芒果 ×2　NT$1,300\n合計 NT$1,300",
        reply_parameters: { message_id: 4211, allow_sending_without_reply: true }
      })
      expect(result.platformMessageId).toMatch(/^-1001234567890:\d+$/)
    })
  )

  it.live("uses the organiser's templates", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter({
        templates: {
          "order-confirmed": "{buyerName}：{lines}｜共 {total}",
          "not-ordered": (d) => `抱歉 ${String(d["buyerName"])}，${String(d["reason"])}`
        }
      })
      const before = fake.accepted.length
      yield* a.send(message())
      yield* a.send(message({ kind: "not-ordered", data: { buyerName: "小明", reason: "sold-out" } }))
      expect(fake.accepted.slice(before).map((r) => r.body["text"])).toEqual([
        "小明：・愛文芒果 ×2　NT$1,300｜共 NT$1,300",
        "抱歉 小明，sold-out"
      ])
    })
  )

  it.live("without a thread it writes to the comment's chat, else to the user's private chat", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      const before = fake.accepted.length
      yield* a.send(
        message({ to: { channel: "telegram" as never, userId: "5550001111", replyToCommentId: "-100777:12" } })
      )
      yield* a.send(
        message({ kind: "text", data: { text: "哈囉" }, to: { channel: "telegram" as never, userId: "42" } })
      )
      const got = fake.accepted.slice(before).map((r) => r.body)
      expect(got[0]).toMatchObject({ chat_id: "-100777", reply_parameters: { message_id: 12 } })
      expect(got[1]).toEqual({ chat_id: "42", text: "哈囉" })
    })
  )

  it.live("the same message id is sent once", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      const before = fake.accepted.length
      const m = message()
      const r1 = yield* a.send(m)
      const r2 = yield* a.send(m)
      expect(fake.accepted.length - before).toBe(1)
      expect(r2).toEqual(r1)
    })
  )

  it.live("a 429 with parameters.retry_after is waited for and retried", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      fake.script({
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: "Too Many Requests: retry after 1",
          parameters: { retry_after: 1 }
        }
      })
      const before = fake.requests.length
      const started = Date.now()
      yield* a.send(message())
      expect(Date.now() - started).toBeGreaterThanOrEqual(950)
      expect(fake.requests.length - before).toBe(2)
    })
  )

  it.live("a 429 asking for a longer wait than allowed is rate-limited at once, with retryAfterMs", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      fake.script({
        status: 429,
        body: {
          ok: false,
          error_code: 429,
          description: "Too Many Requests: retry after 35",
          parameters: { retry_after: 35 }
        }
      })
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message()))
      expect(e.reason).toBe("rate-limited")
      expect(e.retryAfterMs).toBe(35_000)
      expect(fake.requests.length - before).toBe(1)
    })
  )

  it.live("429s beyond the retry budget end in rate-limited", () =>
    Effect.gen(function* () {
      // `maxRetries` is the deprecated name of `retries`: still honoured
      const a = yield* adapter({ retry: { baseDelayMs: 5, maxRetryAfterMs: 2_000, maxRetries: 1 } })
      fake.clearFailures()
      fake.script(
        ...Array.from({ length: 2 }, () => ({
          status: 429,
          body: { ok: false, error_code: 429, description: "Too Many Requests", parameters: { retry_after: 0 } }
        }))
      )
      const e = yield* Effect.flip(a.send(message()))
      fake.script()
      expect(e.reason).toBe("rate-limited")
      expect(e.retryAfterMs).toBe(0)
    })
  )

  it.live("5xx is retried; persistent 5xx ends in transport", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      fake.failNext(502)
      const before = fake.accepted.length
      yield* a.send(message())
      expect(fake.accepted.length - before).toBe(1)
      fake.failNext(500, undefined, 10)
      const requests = fake.requests.length
      const e = yield* Effect.flip(a.send(message()))
      fake.clearFailures()
      expect(e.reason).toBe("transport")
      expect(fake.requests.length - requests).toBe(3)
    })
  )

  it.live("4xx is rejected with Telegram's description, without retry; a wrong token is unauthorized", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      fake.failNext(403)
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message()))
      expect(e.reason).toBe("rejected")
      expect(e.message).toContain("bot was blocked by the user")
      expect(fake.requests.length - before).toBe(1)
      const wrong = yield* adapter({ botToken: Redacted.make("999:wrong") })
      const u = yield* Effect.flip(wrong.send(message()))
      expect(u.reason).toBe("unauthorized")
    })
  )

  it.live("an unreachable Bot API is a transport error", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ apiBase: "http://127.0.0.1:9", retry: { ...fast, retries: 1 } })
      const e = yield* Effect.flip(a.send(message()))
      expect(e.reason).toBe("transport")
      expect(e.message).not.toContain(fake.token)
    })
  )

  it.live("a Bot API URL that cannot be parsed is a transport error that does not quote the token", () =>
    Effect.gen(function* () {
      const a = yield* adapter({ apiBase: "http://bad host:x", retry: { ...fast, retries: 0 } })
      const e = yield* Effect.flip(a.send(message()))
      expect(e.reason).toBe("transport")
      expect(e.message).not.toContain(fake.token)
      expect(e.message).not.toContain(fake.token.split(":")[1])
    })
  )

  it.live("an empty rendered text is rejected before calling Telegram", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const before = fake.requests.length
      const e = yield* Effect.flip(a.send(message({ kind: "text", data: {} })))
      expect(e.reason).toBe("rejected")
      expect(fake.requests.length).toBe(before)
    })
  )

  it.live("long texts are cut to Telegram's 4096 characters", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const a = yield* adapter()
      const before = fake.accepted.length
      yield* a.send(message({ kind: "text", data: { text: "團".repeat(5000) } }))
      const text = fake.accepted[before]!.body["text"] as string
      expect(text.length).toBe(4096)
      expect(text.endsWith("…")).toBe(true)
      yield* a.send(message({ kind: "text", data: { text: "😀".repeat(3000) } }))
      const emoji = fake.accepted[before + 1]!.body["text"] as string
      expect(emoji.length).toBeLessThanOrEqual(4096)
      expect(emoji).toBe(`${"😀".repeat(2047)}…`)
    })
  )

  it.live("setWebhook registers the URL with the secret token", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const before = fake.accepted.length
      yield* TelegramChannel.setWebhook(
        { botToken: Redacted.make(fake.token), secretToken: Redacted.make(SECRET), apiBase: fake.base },
        { url: "https://shop.example/webhooks/telegram" }
      )
      expect(fake.accepted[before]).toEqual({
        method: "setWebhook",
        body: {
          url: "https://shop.example/webhooks/telegram",
          secret_token: SECRET,
          allowed_updates: ["message", "edited_message", "channel_post", "edited_channel_post"]
        }
      })
    })
  )
})

describe("TelegramChannel.targetOf", () => {
  it("replies only when the comment is in the target chat", () => {
    const ch = "telegram" as Notification.Recipient["channel"]
    expect(TelegramChannel.targetOf({ channel: ch, userId: "1", threadId: "-5", replyToCommentId: "-5:9" })).toEqual({
      chatId: "-5",
      replyToMessageId: 9
    })
    expect(TelegramChannel.targetOf({ channel: ch, userId: "1", threadId: "-6", replyToCommentId: "-5:9" })).toEqual({
      chatId: "-6"
    })
    expect(TelegramChannel.targetOf({ channel: ch, userId: "1", replyToCommentId: "garbage" })).toEqual({ chatId: "1" })
  })
})

describe("TelegramChannel.layerConfig", () => {
  it.effect("reads TELEGRAM_* from the environment config", () =>
    Effect.gen(function* () {
      const { ConfigProvider, Layer } = yield* Effect.promise(() => import("effect"))
      const provider = ConfigProvider.fromUnknown({
        TELEGRAM_BOT_TOKEN: "1:x",
        TELEGRAM_SECRET_TOKEN: SECRET,
        TELEGRAM_API_BASE: "http://127.0.0.1:1"
      })
      const a = yield* TelegramChannel.makeConfig().pipe(Effect.provideService(ConfigProvider.ConfigProvider, provider))
      yield* a.verify(webhook(groupMessage))
      expect(a.channel).toBe("telegram")
      const missing = yield* Effect.result(
        Layer.build(TelegramChannel.layerConfig()).pipe(
          Effect.scoped,
          Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown({}))
        )
      )
      expect(Result.isFailure(missing)).toBe(true)
    })
  )
})

describe("ChannelContract (Telegram)", () => {
  const harness = (): ChannelContract.Harness => {
    let a: TelegramChannel.TelegramChannelService | undefined
    return {
      get adapter() {
        a ??= Effect.runSync(adapter())
        return a
      },
      capabilities: { signsBody: false, idempotentSend: true },
      signedRequest: (body) => webhook(body),
      unsignedRequest: (body) => webhook(body, null),
      forgedRequest: (body) => webhook(body, "another-secret"),
      sampleCommentBody: (s) =>
        JSON.stringify({
          update_id: Number(s.eventId),
          message: {
            message_id: Number(s.commentId),
            from: { id: Number(s.userId), is_bot: false, first_name: "團員" },
            chat: { id: -1001234567890, title: "團", type: "supergroup" },
            date: 1714531325,
            text: s.text
          }
        }),
      malformedBody: '{"update_id":"not a number"',
      expect: { commentId: (s) => `-1001234567890:${s.commentId}` },
      sent: () => fake.accepted.filter((r) => r.method === "sendMessage").map((r) => r.body),
      failNext: (status, retryAfter, times) => fake.failNext(status, retryAfter, times),
      clearFailures: () => fake.clearFailures()
    }
  }
  const h = harness()
  for (const c of ChannelContract.casesFor(h)) it.live(c.name, () => c.run(h))
})

describe("TelegramChannel: the adapter surface", () => {
  it.live("layer provides the adapter under its own tag and core's ChannelAdapter, one instance", () =>
    Effect.gen(function* () {
      const [own, port] = yield* Effect.all([TelegramChannel.TelegramChannel, ChannelAdapter.ChannelAdapter]).pipe(
        Effect.provide(
          TelegramChannel.layer({
            botToken: Redacted.make(fake.token),
            secretToken: Redacted.make(SECRET),
            apiBase: fake.base
          })
        )
      )
      expect(own).toBe(port)
      expect(own.channel).toBe("telegram")
      const bad = yield* Effect.result(
        Layer.build(
          TelegramChannel.layer({
            botToken: Redacted.make(fake.token),
            secretToken: Redacted.make(SECRET),
            retry: { retries: -1 }
          })
        ).pipe(Effect.scoped)
      )
      expect(Result.isFailure(bad)).toBe(true)
    })
  )

  it.live("spans name the method with the token as a placeholder; neither spans nor errors carry the token", () =>
    Effect.gen(function* () {
      fake.clearFailures()
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const a = yield* adapter()
      fake.failNext(502)
      yield* a.send(message()).pipe(Effect.withTracer(tracer))
      expect(spans.map((s) => s.name)).toEqual(["POST /bot{token}/sendMessage", "POST /bot{token}/sendMessage"])
      expect(spans.map((s) => s.attributes.get("http.response.status_code"))).toEqual([502, 200])
      const all = JSON.stringify(spans.map((s) => [s.name, [...s.attributes]]))
      expect(all).not.toContain(fake.token)
      expect(all).not.toContain(fake.token.split(":")[1])
    })
  )
})
