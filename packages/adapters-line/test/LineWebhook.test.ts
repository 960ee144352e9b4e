import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { LineWebhook } from "../src/index.js"
import { chineseBody, middlewareBody, verifyPingBody } from "./vectors.js"

/** Verbatim from line/line-bot-sdk-python tests/v3/text/webhook.json (research/protocols.md §1.2). */
const sdkWebhook = `{
  "destination": "U123",
  "events": [
    {
      "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
      "type": "message",
      "mode": "active",
      "timestamp": 1462629479859,
      "source": {
        "type": "group",
        "groupId": "Ca56f94637cc4347f90a25382909b24b9",
        "userId": "U206d25c2ea6bd87c17655609a1c37cb8"
      },
      "webhookEventId": "testwebhookeventid",
      "deliveryContext": { "isRedelivery": false },
      "message": { "id": "325708", "type": "text", "text": "Hello, world", "quoteToken": "quoteToken" }
    },
    {
      "type": "unsend",
      "mode": "active",
      "timestamp": 1547817848122,
      "source": { "type": "group", "groupId": "Ca56f94637cc4347f90a25382909b24b9", "userId": "U206d25c2ea6bd87c17655609a1c37cb8" },
      "webhookEventId": "testwebhookeventid",
      "deliveryContext": { "isRedelivery": false },
      "unsend": { "messageId": "325708" }
    },
    {
      "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
      "type": "message",
      "mode": "active",
      "timestamp": 1462629479859,
      "source": { "type": "user", "userId": "U206d25c2ea6bd87c17655609a1c37cb8" },
      "webhookEventId": "testwebhookeventid",
      "deliveryContext": { "isRedelivery": false },
      "message": { "id": "325708", "type": "sticker", "packageId": "1", "stickerId": "1",
                   "stickerResourceType": "STATIC", "keywords": ["Love You", "Love"],
                   "text": "Just sticker", "quoteToken": "quoteToken" }
    }
  ]
}`

/** The mention example of protocols.md §1.2 (ids completed to full length). */
const mentionEvent = {
  type: "message",
  mode: "active",
  timestamp: 1714540800123,
  webhookEventId: "01HWX7Q2B3C4D5E6F7G8H9J0KM",
  deliveryContext: { isRedelivery: false },
  replyToken: "b60d432864f44d079f6d8efe86cf404b",
  source: { type: "group", groupId: "C4af4980629aaaa", userId: "U4af4980629bbbb" },
  message: {
    id: "444573844083572737",
    type: "text",
    quoteToken: "q3Plxr4AgKd...",
    text: "@團購小幫手 +1 芒果2箱",
    mention: { mentionees: [{ index: 0, length: 6, type: "user", userId: "U0123", isSelf: true }] }
  }
}

const envelope = (...events: ReadonlyArray<unknown>) => JSON.stringify({ destination: "Ubot", events })
const base = (type: string, extra: Record<string, unknown> = {}) => ({
  type,
  mode: "active",
  timestamp: 1714540800000,
  webhookEventId: `01HW${type.toUpperCase()}`,
  deliveryContext: { isRedelivery: false },
  source: { type: "group", groupId: "Cgroup1", userId: "Uuser1" },
  ...extra
})

const decodeOk = (body: string, options?: LineWebhook.DecodeOptions) => {
  const r = LineWebhook.decode(body, options)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

describe("LineWebhook.decode", () => {
  it("decodes the SDK's webhook.json: group text → Comment, unsend → CommentRemoved, 1:1 sticker → NonText", () => {
    const { events, destination } = decodeOk(sdkWebhook)
    expect(destination).toBe("U123")
    expect(events).toEqual([
      {
        _tag: "Comment",
        channel: "line",
        eventId: "testwebhookeventid",
        at: "2016-05-07T13:57:59.859Z",
        commentId: "325708",
        threadId: "Ca56f94637cc4347f90a25382909b24b9",
        author: { id: "U206d25c2ea6bd87c17655609a1c37cb8" },
        text: "Hello, world",
        replyToken: "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
      },
      {
        _tag: "CommentRemoved",
        channel: "line",
        eventId: "testwebhookeventid",
        at: "2019-01-18T13:24:08.122Z",
        commentId: "325708",
        threadId: "Ca56f94637cc4347f90a25382909b24b9",
        author: { id: "U206d25c2ea6bd87c17655609a1c37cb8" }
      },
      {
        _tag: "NonText",
        channel: "line",
        eventId: "testwebhookeventid",
        at: "2016-05-07T13:57:59.859Z",
        commentId: "325708",
        threadId: "U206d25c2ea6bd87c17655609a1c37cb8",
        author: { id: "U206d25c2ea6bd87c17655609a1c37cb8" },
        kind: "sticker"
      }
    ])
  })

  it("decodes the Chinese group message vector with its webhookEventId and reply token", () => {
    const [e] = decodeOk(chineseBody, { channel: "line-tw" }).events
    expect(e).toMatchObject({
      _tag: "Comment",
      channel: "line-tw",
      eventId: "01H810YECXQQZ37VAXPF6H9E6T",
      commentId: "468789577898262530",
      threadId: "Ca56f94637cc4347f90a25382909b24b9",
      author: { id: "U206d25c2ea6bd87c17655609a1c37cb8" },
      text: "+1 芒果 2箱",
      replyToken: "38ef843bde154d9b91c21320ffd17a0f",
      at: "2023-08-17T05:54:26.727Z"
    })
  })

  it("keeps the eventId of a redelivery and reports it", () => {
    const redelivered = chineseBody.replace('"isRedelivery":false', '"isRedelivery":true')
    const first = decodeOk(chineseBody)
    const again = decodeOk(redelivered)
    expect(first.redelivery).toBe(false)
    expect(again.redelivery).toBe(true)
    expect(again.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId))
  })

  it("gives old bodies without webhookEventId or userId a stable id and the unknown author", () => {
    const a = decodeOk(middlewareBody).events
    const b = decodeOk(middlewareBody).events
    expect(a).toEqual(b)
    expect(a[0]).toMatchObject({
      _tag: "Comment",
      eventId: "message:test_event_message_id",
      threadId: "test_group_id",
      author: { id: LineWebhook.UNKNOWN_USER },
      text: "this is test message."
    })
  })

  it("the Verify ping (events: []) decodes to no events", () => {
    expect(decodeOk(verifyPingBody).events).toEqual([])
  })

  it("strips the bot's own @mention, unless told not to; keeps quotedMessageId as replyToCommentId", () => {
    const quoted = { ...mentionEvent, message: { ...mentionEvent.message, quotedMessageId: "444573844083500000" } }
    const [c] = decodeOk(envelope(quoted)).events
    expect(c).toMatchObject({ _tag: "Comment", text: "+1 芒果2箱", replyToCommentId: "444573844083500000" })
    const [raw] = decodeOk(envelope(mentionEvent), { stripBotMention: false }).events
    expect(raw).toMatchObject({ text: "@團購小幫手 +1 芒果2箱" })
    const other = {
      ...mentionEvent,
      message: {
        ...mentionEvent.message,
        mention: { mentionees: [{ index: 0, length: 6, type: "user", isSelf: false }] }
      }
    }
    expect(decodeOk(envelope(other)).events[0]).toMatchObject({ text: "@團購小幫手 +1 芒果2箱" })
  })

  it("uses roomId and userId as thread ids for rooms and 1:1 chats", () => {
    const room = base("message", {
      source: { type: "room", roomId: "Rroom1", userId: "Uuser2" },
      replyToken: "r1",
      message: { id: "m1", type: "text", text: "+1", quoteToken: "q" }
    })
    const user = base("message", {
      webhookEventId: "e-user",
      source: { type: "user", userId: "Uuser3" },
      message: { id: "m2", type: "text", text: "+2", quoteToken: "q" }
    })
    const [r, u] = decodeOk(envelope(room, user)).events
    expect(r).toMatchObject({ threadId: "Rroom1", author: { id: "Uuser2" }, commentId: "m1" })
    expect(u).toMatchObject({ threadId: "Uuser3", author: { id: "Uuser3" }, commentId: "m2" })
    expect(u).not.toHaveProperty("replyToken")
  })

  for (const kind of ["image", "video", "audio", "file", "location", "sticker"]) {
    it(`a ${kind} message is NonText(${kind})`, () => {
      const ev = base("message", { message: { id: `id-${kind}`, type: kind, quoteToken: "q" } })
      expect(decodeOk(envelope(ev)).events).toEqual([
        {
          _tag: "NonText",
          channel: "line",
          eventId: "01HWMESSAGE",
          at: "2024-05-01T05:20:00.000Z",
          commentId: `id-${kind}`,
          threadId: "Cgroup1",
          author: { id: "Uuser1" },
          kind
        }
      ])
    })
  }

  it("memberJoined / memberLeft give one event per member, with distinct event ids", () => {
    const joined = base("memberJoined", {
      joined: {
        members: [
          { type: "user", userId: "Ua" },
          { type: "user", userId: "Ub" }
        ]
      }
    })
    const left = base("memberLeft", { left: { members: [{ type: "user", userId: "Uc" }] } })
    const events = decodeOk(envelope(joined, left)).events
    expect(events.map((e) => [e._tag, e.eventId, "author" in e ? e.author?.id : undefined, e.threadId])).toEqual([
      ["MemberJoined", "01HWMEMBERJOINED:Ua", "Ua", "Cgroup1"],
      ["MemberJoined", "01HWMEMBERJOINED:Ub", "Ub", "Cgroup1"],
      ["MemberLeft", "01HWMEMBERLEFT:Uc", "Uc", "Cgroup1"]
    ])
  })

  it("join / leave are the bot (destination) joining or leaving; follow / unfollow are 1:1 friends", () => {
    const join = base("join", { source: { type: "group", groupId: "Cg" }, replyToken: "t" })
    const leave = base("leave", { source: { type: "group", groupId: "Cg" } })
    const follow = base("follow", { source: { type: "user", userId: "Uf" }, replyToken: "t2" })
    const unfollow = base("unfollow", { source: { type: "user", userId: "Uf" } })
    const events = decodeOk(envelope(join, leave, follow, unfollow)).events
    expect(events.map((e) => [e._tag, "author" in e ? e.author?.id : undefined, e.threadId])).toEqual([
      ["MemberJoined", "Ubot", "Cg"],
      ["MemberLeft", "Ubot", "Cg"],
      ["MemberJoined", "Uf", "Uf"],
      ["MemberLeft", "Uf", "Uf"]
    ])
  })

  it("ignores event types kaituan does not use (postback, beacon, videoPlayComplete…)", () => {
    const postback = base("postback", { postback: { data: "a=1" }, replyToken: "t" })
    const beacon = base("beacon", { beacon: { hwid: "d41d8cd98f", type: "enter" } })
    expect(decodeOk(envelope(postback, beacon)).events).toEqual([])
  })

  it("fails on bodies LINE would never send", () => {
    for (const body of [
      "i am not jason",
      "",
      "[]",
      '{"destination":"U1"}',
      '{"events":{}}',
      envelope({ type: "message", timestamp: 1 }),
      envelope(base("message", { message: { id: "1", type: "text" } })),
      envelope(base("unsend", { unsend: {} })),
      envelope({ type: "message", message: { id: "1", type: "text", text: "x" } })
    ]) {
      expect(Either.isLeft(LineWebhook.decode(body)), body).toBe(true)
    }
  })
})
