import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { TelegramExport } from "../src/index.js"

// protocols.md §3.2, verbatim
const sample = `{
 "name": "週末水果團購",
 "type": "private_supergroup",
 "id": 1234567890,
 "messages": [
  {
   "id": 4211,
   "type": "message",
   "date": "2024-05-01T10:42:05",
   "date_unixtime": "1714531325",
   "from": "小明",
   "from_id": "user5550001111",
   "reply_to_message_id": 4200,
   "text": "+1 芒果 2箱",
   "text_entities": [ { "type": "plain", "text": "+1 芒果 2箱" } ]
  },
  {
   "id": 4212,
   "type": "message",
   "date": "2024-05-01T10:43:00",
   "date_unixtime": "1714531380",
   "edited": "2024-05-01T10:44:10",
   "edited_unixtime": "1714531450",
   "from": "團主小美",
   "from_id": "user5550002222",
   "text": [ "已登記 ", { "type": "mention", "text": "@ming_tw" }, " 2箱" ],
   "text_entities": [ { "type": "plain", "text": "已登記 " }, { "type": "mention", "text": "@ming_tw" }, { "type": "plain", "text": " 2箱" } ]
  },
  {
   "id": 4213, "type": "service", "date": "2024-05-01T10:50:00", "date_unixtime": "1714531800",
   "actor": "團主小美", "actor_id": "user5550002222", "action": "invite_members", "members": [ "陳大華" ], "text": "", "text_entities": []
  }
 ]
}`

const expected = [
  {
    _tag: "Comment",
    channel: "telegram",
    eventId: "1234567890:4211",
    at: "2024-05-01T02:42:05.000Z",
    commentId: "1234567890:4211",
    threadId: "1234567890",
    author: { id: "5550001111", name: "小明" },
    text: "+1 芒果 2箱",
    replyToCommentId: "1234567890:4200"
  },
  {
    _tag: "Comment",
    channel: "telegram",
    eventId: "1234567890:4212",
    at: "2024-05-01T02:43:00.000Z",
    commentId: "1234567890:4212",
    threadId: "1234567890",
    author: { id: "5550002222", name: "團主小美" },
    text: "已登記 @ming_tw 2箱"
  }
]

describe("TelegramExport.parse", () => {
  it.effect("imports the documented single-chat sample (service messages skipped, entity arrays joined)", () =>
    Effect.gen(function* () {
      expect(yield* TelegramExport.parse(sample)).toEqual(expected)
    })
  )

  it.effect("accepts a UTF-8 BOM and a custom channel id", () =>
    Effect.gen(function* () {
      const events = yield* TelegramExport.parse(`\uFEFF${sample}`, { channel: "tg-import" })
      expect(events.map((e) => e.channel)).toEqual(["tg-import", "tg-import"])
    })
  )

  it.effect("bot-api chat ids match webhook comment ids (-100 for supergroups, - for basic groups)", () =>
    Effect.gen(function* () {
      const events = yield* TelegramExport.parse(sample, { chatIds: "bot-api" })
      expect(events[0]).toMatchObject({
        commentId: "-1001234567890:4211",
        threadId: "-1001234567890",
        replyToCommentId: "-1001234567890:4200"
      })
      expect(TelegramExport.botApiChatId({ id: 55, type: "private_group" })).toBe("-55")
      expect(TelegramExport.botApiChatId({ id: 55, type: "personal_chat" })).toBe("55")
      expect(TelegramExport.botApiChatId({ id: -55, type: "public_supergroup" })).toBe("-55")
    })
  )

  const account = {
    about: "Here is the data you requested.",
    personal_information: { first_name: "小美" },
    chats: {
      about: "chats",
      list: [
        {
          name: "週末水果團購",
          type: "public_supergroup",
          id: 111,
          messages: [
            {
              id: 1,
              type: "message",
              date: "2024-05-01T10:00:00",
              date_unixtime: "1714528800",
              from: "阿華",
              from_id: "user9",
              text: "紅+1"
            },
            { id: 2, type: "unsupported" },
            {
              id: 3,
              type: "message",
              date: "2024-05-01T10:01:00",
              date_unixtime: "1714528860",
              from: "阿華",
              from_id: "user9",
              photo: "(File not included. Change data exporting settings to download.)",
              width: 800,
              height: 600,
              text: "+1 這個"
            },
            {
              id: 4,
              type: "message",
              date: "2024-05-01T10:02:00",
              date_unixtime: "1714528920",
              from: "阿華",
              from_id: "user9",
              media_type: "sticker",
              sticker_emoji: "👍",
              text: ""
            },
            {
              id: 5,
              type: "message",
              date: "2024-05-01T10:03:00",
              date_unixtime: "1714528980",
              from: null,
              from_id: "user10",
              reply_to_message_id: 77,
              reply_to_peer_id: "channel555",
              text: "白+2"
            }
          ]
        },
        { name: "家人", type: "personal_chat", id: 222, messages: [] }
      ]
    },
    left_chats: {
      about: "left",
      list: [
        {
          name: "舊團",
          type: "private_group",
          id: 333,
          messages: [
            {
              id: 9,
              type: "message",
              date: "2023-01-01T08:00:00",
              date_unixtime: "1672531200",
              from: "舊人",
              from_id: "user1",
              text: "+1"
            }
          ]
        }
      ]
    }
  }

  it.effect("imports every chat of a full-account export, skipping media and unsupported messages", () =>
    Effect.gen(function* () {
      const events = yield* TelegramExport.fromValue(account)
      expect(events.map((e) => [e.commentId, e.author, e.text, e.replyToCommentId])).toEqual([
        ["111:1", { id: "9", name: "阿華" }, "紅+1", undefined],
        // a reply to a message of another chat (reply_to_peer_id) keeps no reply link; a null `from` has no name
        ["111:5", { id: "10" }, "白+2", undefined],
        ["333:9", { id: "1", name: "舊人" }, "+1", undefined]
      ])
    })
  )

  it.effect("selects one chat by id or by name", () =>
    Effect.gen(function* () {
      expect((yield* TelegramExport.fromValue(account, { chat: 333 })).map((e) => e.commentId)).toEqual(["333:9"])
      expect((yield* TelegramExport.fromValue(account, { chat: "週末水果團購" })).map((e) => e.commentId)).toEqual([
        "111:1",
        "111:5"
      ])
      const e = yield* Effect.flip(TelegramExport.fromValue(account, { chat: "沒有這個" }))
      expect(e.message).toContain("沒有這個")
    })
  )

  it.effect("old exports without date_unixtime read `date` in the given offset (default +08:00)", () =>
    Effect.gen(function* () {
      const old = {
        id: 1,
        name: "g",
        messages: [{ id: 1, type: "message", date: "2021-03-04T21:00:00", from: "A", from_id: "user1", text: "+1" }]
      }
      expect((yield* TelegramExport.fromValue(old))[0]!.at).toBe("2021-03-04T13:00:00.000Z")
      expect((yield* TelegramExport.fromValue(old, { utcOffset: "+00:00" }))[0]!.at).toBe("2021-03-04T21:00:00.000Z")
      const e = yield* Effect.flip(TelegramExport.fromValue(old, { utcOffset: "Asia/Taipei" }))
      expect(e.message).toContain("utcOffset")
    })
  )

  it.effect("authors without from_id are named by their display name; channel authors keep their id", () =>
    Effect.gen(function* () {
      const chat = {
        id: 5,
        type: "public_channel",
        name: "頻道",
        messages: [
          { id: 1, type: "message", date_unixtime: "1", from: "老王", text: "a" },
          { id: 2, type: "message", date_unixtime: "2", from: "頻道", from_id: "channel5", text: "b" }
        ]
      }
      const exp = yield* TelegramExport.fromValue(chat)
      expect(exp.map((e) => e.author)).toEqual([
        { id: "老王", name: "老王" },
        { id: "channel5", name: "頻道" }
      ])
      const api = yield* TelegramExport.fromValue(chat, { chatIds: "bot-api" })
      expect(api[1]!.author).toEqual({ id: "-1005", name: "頻道" })
    })
  )

  it.effect("rejects what is not an export, naming the bad message", () =>
    Effect.gen(function* () {
      for (const bad of ["not json", "[]", '{"messages": []}', '{"id": 1}', '{"chats": {}}']) {
        const e = yield* Effect.flip(TelegramExport.parse(bad))
        expect(e._tag).toBe("TelegramExportError")
      }
      const e1 = yield* Effect.flip(
        TelegramExport.fromValue({
          id: 1,
          messages: [
            { id: 1, type: "message", date_unixtime: "1", text: "+1" },
            { id: "x", type: "message" }
          ]
        })
      )
      expect(e1.message).toContain("messages[1]")
      const e2 = yield* Effect.flip(
        TelegramExport.fromValue({ id: 1, messages: [{ id: 7, type: "message", text: "+1", date: "yesterday" }] })
      )
      expect(e2.message).toContain("messages[0] (id 7)")
    })
  )

  it("isExport recognises both export shapes", () => {
    expect(TelegramExport.isExport(JSON.parse(sample))).toBe(true)
    expect(TelegramExport.isExport(account)).toBe(true)
    expect(TelegramExport.isExport({ data: [], paging: {} })).toBe(false)
  })
})

interface Generated {
  readonly id: number
  readonly userId: number
  readonly name: string
  readonly text: string
  readonly unix: number
  readonly replyTo: number | undefined
  readonly asEntities: boolean
  readonly edited: boolean
}

const genMessage: fc.Arbitrary<Generated> = fc.record({
  id: fc.integer({ min: 1, max: 2_000_000_000 }),
  userId: fc.integer({ min: 1, max: 9_999_999_999 }),
  name: fc.string({ minLength: 1, maxLength: 12 }),
  text: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0),
  unix: fc.integer({ min: 1_500_000_000, max: 2_000_000_000 }),
  replyTo: fc.option(fc.integer({ min: 1, max: 2_000_000_000 }), { nil: undefined }),
  asEntities: fc.boolean(),
  edited: fc.boolean()
})

/** Renders a message the way Telegram Desktop writes it. */
const render = (m: Generated): Record<string, unknown> => {
  const cut = Math.floor(Array.from(m.text).length / 2)
  const chars = Array.from(m.text)
  const parts = [chars.slice(0, cut).join(""), { type: "bold", text: chars.slice(cut).join("") }].filter(
    (p) => typeof p !== "string" || p.length > 0
  )
  return {
    id: m.id,
    type: "message",
    date: new Date(m.unix * 1000).toISOString().slice(0, 19),
    date_unixtime: String(m.unix),
    ...(m.edited ? { edited: "2024-01-01T00:00:00", edited_unixtime: String(m.unix + 60) } : {}),
    from: m.name,
    from_id: `user${m.userId}`,
    ...(m.replyTo === undefined ? {} : { reply_to_message_id: m.replyTo }),
    text: m.asEntities ? parts : m.text,
    text_entities: [{ type: "plain", text: m.text }]
  }
}

describe("TelegramExport round trip", () => {
  it("rendered messages import back unchanged, in order, with service messages in between ignored", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9_999_999_999 }),
        fc.uniqueArray(genMessage, { selector: (m) => m.id, maxLength: 20 }),
        (chatId, messages) =>
          Effect.runSync(
            Effect.gen(function* () {
              const rendered = messages.flatMap((m, i) => [
                render(m),
                { id: -i - 1, type: "service", date_unixtime: String(m.unix), action: "pin_message", text: "" }
              ])
              const json = JSON.stringify(
                { name: "團", type: "private_supergroup", id: chatId, messages: rendered },
                null,
                1
              )
              const events = yield* TelegramExport.parse(json)
              expect(
                events.map((e) => ({
                  id: e.commentId,
                  author: e.author,
                  text: e.text,
                  at: e.at,
                  replyTo: e.replyToCommentId
                }))
              ).toEqual(
                messages.map((m) => ({
                  id: `${chatId}:${m.id}`,
                  author: { id: String(m.userId), name: m.name },
                  text: m.text,
                  at: new Date(m.unix * 1000).toISOString(),
                  replyTo: m.replyTo === undefined ? undefined : `${chatId}:${m.replyTo}`
                }))
              )
            })
          )
      ),
      { numRuns: 50 }
    )
  })
})
