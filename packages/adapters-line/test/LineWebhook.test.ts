import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import fc from "fast-check"
import { LineWebhook } from "../src/index.js"
import * as WebhookFast from "../src/internal/WebhookFast.js"
import * as WebhookSchema from "../src/internal/WebhookSchema.js"
import { chineseBody, chineseBodyEscaped, middlewareBody, verifyPingBody } from "./vectors.js"

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
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
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
      author: { id: LineWebhook.UNKNOWN_USER, unknown: true },
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
      expect(Result.isFailure(LineWebhook.decode(body)), body).toBe(true)
    }
  })
})

/**
 * The decoder before the fast path: the envelope and every event through the Schemas, each event
 * on its own (a malformed one is skipped and listed; the body fails only when none decodes).
 */
const reference = (body: string, options: LineWebhook.DecodeOptions = {}) =>
  Result.gen(function* () {
    const json = yield* Result.try({
      try: () => JSON.parse(body) as unknown,
      catch: () => ({ message: "body is not JSON" })
    })
    const envelope = yield* Schema.decodeUnknownResult(LineWebhook.Envelope)(json).pipe(
      Result.mapError((e) => ({ message: `not a LINE webhook body: ${e.message}` }))
    )
    const opts = { channel: options.channel ?? "line", stripBotMention: options.stripBotMention ?? true }
    const events: Array<unknown> = []
    const skipped: Array<LineWebhook.SkippedEvent> = []
    let redelivery = false
    for (const [i, raw] of envelope.events.entries()) {
      const decoded = WebhookSchema.decodeEvent(raw, i, envelope.destination, opts)
      if (Result.isFailure(decoded))
        skipped.push({ where: `events[${i}]`, reason: "malformed", message: decoded.failure.message })
      else events.push(...decoded.success)
      const ctx = (raw as { deliveryContext?: { isRedelivery?: unknown } } | null)?.deliveryContext
      if (ctx?.isRedelivery === true) redelivery = true
    }
    if (skipped.length > 0 && events.length === 0) return yield* Result.fail({ message: skipped[0]!.message })
    return { destination: envelope.destination, events, skipped, redelivery }
  })

/** The result, or what was thrown (neither decoder may throw, even on a timestamp no `Date` can hold). */
const outcome = <A>(f: () => A): { readonly value: A } | { readonly thrown: string } => {
  try {
    return { value: f() }
  } catch (e) {
    return { thrown: String(e) }
  }
}

const vendorBodies = [
  sdkWebhook,
  chineseBody,
  chineseBodyEscaped,
  chineseBody.replace('"isRedelivery":false', '"isRedelivery":true'),
  middlewareBody,
  verifyPingBody,
  envelope(mentionEvent),
  envelope({ ...mentionEvent, message: { ...mentionEvent.message, quotedMessageId: "444573844083500000" } })
]

const junk = fc.constantFrom<unknown>(null, 5, true, [], {}, "x")
/** Mostly `valid`, now and then junk. */
const mostly = <A>(valid: fc.Arbitrary<A>) =>
  fc.oneof({ arbitrary: valid, weight: 15 }, { arbitrary: junk as fc.Arbitrary<unknown>, weight: 1 })
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(" +1 芒果\u3000", "@團購小幫手 +1 芒果2箱")
)
const mentionee = fc.record(
  {
    index: mostly(fc.integer({ min: -2, max: 20 })),
    length: mostly(fc.integer({ min: 0, max: 20 })),
    type: mostly(fc.constant("user")),
    userId: mostly(fc.string()),
    isSelf: mostly(fc.boolean())
  },
  { requiredKeys: ["index", "length"] }
)
const source = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant("user"), userId: fc.string() }), weight: 3 },
  {
    arbitrary: fc.record(
      { type: fc.constant("group"), groupId: fc.string(), userId: fc.string() },
      { requiredKeys: ["type", "groupId"] }
    ),
    weight: 6
  },
  {
    arbitrary: fc.record(
      { type: fc.constant("room"), roomId: fc.string(), userId: fc.string() },
      { requiredKeys: ["type", "roomId"] }
    ),
    weight: 3
  },
  {
    arbitrary: fc.record(
      {
        type: mostly(fc.constantFrom("user", "group", "room", "other")),
        userId: mostly(fc.string()),
        groupId: mostly(fc.string()),
        roomId: mostly(fc.string())
      },
      { requiredKeys: [] }
    ),
    weight: 1
  },
  { arbitrary: junk, weight: 1 }
)
const message = mostly(
  fc.record(
    {
      id: mostly(fc.string()),
      type: mostly(fc.constantFrom("text", "text", "text", "sticker", "image", "location")),
      text: mostly(anyString),
      quoteToken: fc.string(),
      quotedMessageId: mostly(fc.string()),
      mention: mostly(fc.record({ mentionees: mostly(fc.array(mentionee, { maxLength: 3 })) }))
    },
    { requiredKeys: ["id", "type", "text"] }
  )
)
/** LINE events, mostly well-formed messages, with fields missing or of the wrong type now and then. */
const event = fc.record(
  {
    type: mostly(fc.constantFrom("message", "message", "message", "message", "unsend", "follow", "postback")),
    mode: mostly(fc.constantFrom("active", "standby")),
    timestamp: mostly(
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 4_102_444_800_000 }), weight: 8 },
        { arbitrary: fc.double(), weight: 1 },
        { arbitrary: fc.constantFrom(8.64e15, -8.64e15, 8.64e15 + 1, 1e300), weight: 1 }
      )
    ),
    webhookEventId: mostly(fc.string()),
    deliveryContext: mostly(fc.record({ isRedelivery: fc.boolean() })),
    source,
    replyToken: mostly(fc.string()),
    message,
    unsend: fc.record({ messageId: fc.string() })
  },
  { requiredKeys: ["type", "timestamp", "source", "message"] }
)

describe("LineWebhook.decode's fast path", () => {
  it("gives the reference decoder's results on the vendor vectors, with and without mention stripping", () => {
    for (const body of vendorBodies)
      for (const options of [{}, { stripBotMention: false, channel: "line-tw" }]) {
        expect(LineWebhook.decode(body, options), body).toEqual(reference(body, options))
      }
  })

  it("takes the fast path for LINE's well-formed message events", () => {
    for (const body of [sdkWebhook, chineseBody, middlewareBody, envelope(mentionEvent)]) {
      const raws = (JSON.parse(body) as { events: Array<{ type: string }> }).events
      for (const raw of raws)
        expect(WebhookFast.fastEvent(raw, "line", true) !== undefined, JSON.stringify(raw)).toBe(raw.type === "message")
    }
  })

  it("gives the reference decoder's results on generated events, valid or not", () => {
    let fast = 0
    let total = 0
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 3 }),
        fc.option(mostly(fc.string()), { nil: undefined }),
        fc.boolean(),
        (events, destination, strip) => {
          const body = JSON.stringify({ destination, events })
          const options = { stripBotMention: strip }
          const decoded = outcome(() => LineWebhook.decode(body, options))
          expect(decoded).not.toHaveProperty("thrown")
          expect(decoded).toEqual(outcome(() => reference(body, options)))
          for (const raw of events) {
            total++
            const one = WebhookFast.fastEvent(raw, "line", strip)
            if (one === undefined) continue
            fast++
            const ref = WebhookSchema.decodeEvent(raw, 0, undefined, { channel: "line", stripBotMention: strip })
            expect(ref).toEqual(Result.succeed([one]))
          }
        }
      ),
      { numRuns: 2_000 }
    )
    // The generator mostly makes well-formed messages: the fast path must have been taken often.
    expect(fast).toBeGreaterThan(total / 10)
  })
})
