import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Http } from "@kaituan/core"
import { Effect, Redacted } from "effect"
import { FacebookChannel, FacebookSignature, FacebookWebhook } from "../src/index.js"

const APP_SECRET = "test_app_secret_0123456789abcdef"
// protocols.md §4.2: the exact bytes Meta would send (\u-escaped, \/ slashes)
const vectorBody = readFileSync(new URL("./fixtures/protocols-4.2-feed-comment.json", import.meta.url), "utf8")
const vectorSignature = "sha256=db9be97459a767db3093ed7745346e4510181c1981379cc2b9797a1c3da9df5c"
const reserialisedSignature = "sha256=8a7c62f56020350ab6490dbe5e2bebdfd9bc32b5ea22fe607adf278657ade05c"

const adapter = (over: Partial<FacebookChannel.Options> = {}) =>
  FacebookChannel.make({
    appSecret: Redacted.make(APP_SECRET),
    verifyToken: Redacted.make("my-verify-token"),
    pageAccessToken: Redacted.make("EAAB-page-token"),
    graphBase: "http://127.0.0.1:9",
    ...over
  })

const post = (body: string, signature: string | null = FacebookSignature.sign(APP_SECRET, body)) =>
  Http.request({
    method: "POST",
    path: "/webhooks/facebook",
    headers: signature === null ? {} : { "X-Hub-Signature-256": signature },
    body
  })

describe("FacebookSignature (protocols §4.2 vectors)", () => {
  it("signs the raw \\u-escaped body as Meta does", () => {
    expect(vectorBody).toContain("\\u738b\\u5c0f\\u660e")
    expect(vectorBody).toContain("https:\\/\\/www.facebook.com")
    expect(FacebookSignature.sign(APP_SECRET, vectorBody)).toBe(vectorSignature)
    expect(FacebookSignature.verify(APP_SECRET, vectorBody, vectorSignature)).toBe(true)
    expect(FacebookSignature.verify(APP_SECRET, new TextEncoder().encode(vectorBody), vectorSignature)).toBe(true)
  })

  it("the same object re-serialised by JSON.stringify has another signature and is rejected", () => {
    const reserialised = JSON.stringify(JSON.parse(vectorBody))
    expect(reserialised).not.toBe(vectorBody)
    expect(FacebookSignature.sign(APP_SECRET, reserialised)).toBe(reserialisedSignature)
    expect(FacebookSignature.verify(APP_SECRET, reserialised, vectorSignature)).toBe(false)
  })

  it("rejects missing, malformed, truncated and other-secret signatures; accepts upper-case hex", () => {
    const hex = vectorSignature.slice("sha256=".length)
    for (const bad of [
      undefined,
      "",
      hex,
      `sha1=${hex}`,
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex}0`,
      "sha256=zz"
    ]) {
      expect(FacebookSignature.verify(APP_SECRET, vectorBody, bad)).toBe(false)
    }
    expect(FacebookSignature.verify("another_secret", vectorBody, vectorSignature)).toBe(false)
    expect(FacebookSignature.verify(APP_SECRET, vectorBody, `sha256=${hex.toUpperCase()}`)).toBe(true)
  })
})

describe("FacebookChannel.handshake (protocols §4.1)", () => {
  const get = (query: Record<string, string>) => Http.request({ method: "GET", path: "/webhooks/facebook", query })

  it.effect("answers hub.challenge as plain text when the verify token matches", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const res = yield* a.handshake!(
        get({ "hub.mode": "subscribe", "hub.verify_token": "my-verify-token", "hub.challenge": "1158201444" })
      )
      expect(res).toEqual({ status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: "1158201444" })
    })
  )

  it.effect("answers 403 for a wrong token, another mode or a missing challenge; a POST is no handshake", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      for (const q of [
        { "hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1" },
        { "hub.mode": "subscribe", "hub.verify_token": "my-verify-token2", "hub.challenge": "1" },
        { "hub.mode": "unsubscribe", "hub.verify_token": "my-verify-token", "hub.challenge": "1" },
        { "hub.mode": "subscribe", "hub.verify_token": "my-verify-token" },
        {}
      ]) {
        const res = yield* a.handshake!(get(q))
        expect(res?.status).toBe(403)
      }
      expect(yield* a.handshake!(post(vectorBody))).toBeUndefined()
    })
  )

  it("accepts PHP-style hub_mode keys too", () => {
    const res = FacebookChannel.handshake(
      "t",
      Http.request({ method: "GET", query: { hub_mode: "subscribe", hub_verify_token: "t", hub_challenge: "c" } })
    )
    expect(res?.body).toBe("c")
  })
})

describe("FacebookChannel.verify", () => {
  it.effect("accepts the §4.2 vector, rejects the re-serialised body and unsigned or forged requests", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      yield* a.verify(post(vectorBody, vectorSignature))
      const reserialised = JSON.stringify(JSON.parse(vectorBody))
      for (const req of [
        post(reserialised, vectorSignature),
        post(vectorBody, reserialisedSignature),
        post(vectorBody, null),
        post(vectorBody, FacebookSignature.sign("other", vectorBody))
      ]) {
        const e = yield* Effect.flip(a.verify(req))
        expect(e.reason).toBe("unauthorized")
      }
    })
  )
})

const envelope = (changes: ReadonlyArray<Record<string, unknown>>, pageId = "104000000000001", time = 1714540800) =>
  JSON.stringify({
    object: "page",
    entry: [{ id: pageId, time, changes: changes.map((value) => ({ field: "feed", value })) }]
  })

describe("FacebookChannel.decode", () => {
  it.effect("the §4.2 comment (add, top-level) becomes a Comment", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const events = yield* a.decode(post(vectorBody))
      expect(events).toEqual([
        {
          _tag: "Comment",
          channel: "facebook",
          eventId: "900000000000001_1200000000000001:add:1714540800",
          at: "2024-05-01T05:20:00.000Z",
          commentId: "900000000000001_1200000000000001",
          threadId: "104000000000001_900000000000001",
          author: { id: "7000000000000001", name: "王小明" },
          text: "+1 芒果 2箱"
        }
      ])
      expect(yield* a.privateReplies.commentTime("900000000000001_1200000000000001")).toBe(1714540800000)
    })
  )

  it.effect("the bottender fixture (§4.3, snake_cased): a reply to another comment", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const body = JSON.stringify({
        object: "page",
        entry: [
          {
            id: "137542570280222",
            time: 1511951015,
            changes: [
              {
                field: "feed",
                value: {
                  from: { id: "139560936744123", name: "user" },
                  item: "comment",
                  comment_id: "139560936744456_139620233405726",
                  post_id: "137542570280222_139560936744456",
                  verb: "add",
                  parent_id: "139560936744456_139562213411528",
                  created_time: 1511951015,
                  message: "Good"
                }
              }
            ]
          }
        ]
      })
      expect(yield* a.decode(post(body))).toEqual([
        {
          _tag: "Comment",
          channel: "facebook",
          eventId: "139560936744456_139620233405726:add:1511951015",
          at: "2017-11-29T10:23:35.000Z",
          commentId: "139560936744456_139620233405726",
          threadId: "137542570280222_139560936744456",
          author: { id: "139560936744123", name: "user" },
          text: "Good",
          replyToCommentId: "139560936744456_139562213411528"
        }
      ])
    })
  )

  const base = {
    item: "comment",
    comment_id: "900_1201",
    post_id: "104_900",
    parent_id: "104_900",
    from: { id: "7001", name: "陳大華" },
    created_time: 1714541000
  }

  it.effect("edited → CommentEdited (distinct event ids per text), remove → CommentRemoved (no from needed)", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const events = yield* a.decode(
        post(
          envelope([
            { ...base, verb: "edited", message: "+1 芒果 3箱" },
            { ...base, verb: "edited", message: "+1 芒果 4箱" },
            { item: "comment", verb: "remove", comment_id: "900_1201", post_id: "104_900", created_time: 1714541100 }
          ])
        )
      )
      expect(events).toHaveLength(3)
      expect(events[0]).toMatchObject({
        _tag: "CommentEdited",
        commentId: "900_1201",
        threadId: "104_900",
        text: "+1 芒果 3箱",
        author: { id: "7001", name: "陳大華" }
      })
      expect(events[0]!.eventId).toMatch(/^900_1201:edited:1714541000:[0-9a-f]{12}$/)
      expect(events[1]!.eventId).not.toBe(events[0]!.eventId)
      expect(events[2]).toEqual({
        _tag: "CommentRemoved",
        channel: "facebook",
        eventId: "900_1201:remove:1714541100",
        at: "2024-05-01T05:25:00.000Z",
        commentId: "900_1201",
        threadId: "104_900"
      })
    })
  )

  it.effect("keeps the Page's own comments; photo and sticker comments are NonText", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const events = yield* a.decode(
        post(
          envelope(
            [
              { ...base, verb: "add", comment_id: "900_1", from: { id: "104", name: "水果團" }, message: "已登記" },
              { ...base, verb: "add", comment_id: "900_2", photo: "https://scontent.example/p.jpg" },
              { ...base, verb: "add", comment_id: "900_3", message: "" }
            ],
            "104"
          )
        )
      )
      expect(
        events.map((e) => [e._tag, "author" in e ? e.author?.id : undefined, "kind" in e ? e.kind : undefined])
      ).toEqual([
        ["Comment", "104", undefined],
        ["NonText", "7001", "photo"],
        ["NonText", "7001", "attachment"]
      ])
    })
  )

  it.effect(
    "live video comments arrive on feed with the video's post id; live_videos status changes give no event",
    () =>
      Effect.gen(function* () {
        const a = yield* adapter()
        const body = JSON.stringify({
          object: "page",
          entry: [
            {
              id: "104",
              time: 1714541000,
              changes: [
                { field: "live_videos", value: { id: "555000", status: "live" } },
                {
                  field: "feed",
                  value: {
                    ...base,
                    verb: "add",
                    comment_id: "777_1",
                    post_id: "104_777",
                    parent_id: "104_777",
                    message: "A3 +1",
                    post: { status_type: "added_video", is_published: true, id: "104_777", type: "video" }
                  }
                }
              ]
            }
          ]
        })
        expect((yield* a.decode(post(body))).map((e) => [e._tag, "threadId" in e ? e.threadId : undefined])).toEqual([
          ["Comment", "104_777"]
        ])
      })
  )

  it.effect(
    "other items, verbs, fields and objects give no event; created_time may be ISO or missing (entry time)",
    () =>
      Effect.gen(function* () {
        const a = yield* adapter()
        const none = yield* a.decode(
          post(
            envelope([
              { item: "reaction", verb: "add", reaction_type: "like", post_id: "104_900", from: { id: "1" } },
              { item: "status", verb: "add", post_id: "104_900", message: "新團" },
              { ...base, verb: "hide" }
            ])
          )
        )
        expect(none).toEqual([])
        expect(yield* a.decode(post(JSON.stringify({ object: "instagram", entry: [] })))).toEqual([])
        const times = yield* a.decode(
          post(
            envelope(
              [
                { ...base, verb: "add", message: "+1", created_time: "2024-05-01T05:20:00+0000" },
                { ...base, verb: "add", comment_id: "900_5", message: "+2", created_time: undefined }
              ],
              "104",
              1714540000
            )
          )
        )
        expect(times.map((e) => [e.eventId, e.at])).toEqual([
          ["900_1201:add:1714540800", "2024-05-01T05:20:00.000Z"],
          ["900_5:add:1714540000", "2024-05-01T05:06:40.000Z"]
        ])
      })
  )

  it.effect("several entries and changes keep their order", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const body = JSON.stringify({
        object: "page",
        entry: [
          {
            id: "104",
            time: 1,
            changes: [{ field: "feed", value: { ...base, verb: "add", comment_id: "a", message: "1" } }]
          },
          {
            id: "104",
            time: 2,
            changes: [
              { field: "feed", value: { ...base, verb: "add", comment_id: "b", message: "2" } },
              { field: "feed", value: { ...base, verb: "add", comment_id: "c", message: "3" } }
            ]
          }
        ]
      })
      expect((yield* a.decode(post(body))).map((e) => ("commentId" in e ? e.commentId : ""))).toEqual(["a", "b", "c"])
    })
  )

  it.effect("malformed bodies and comment changes are invalid-payload", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      for (const body of [
        "",
        "not json",
        "[]",
        '{"object":"page"}',
        '{"object":"page","entry":{}}',
        envelope([{ ...base, verb: "add", message: "+1", comment_id: undefined }]),
        envelope([{ ...base, verb: "add", message: "+1", created_time: "yesterday" }]),
        envelope([{ ...base, verb: "add", message: 12 }])
      ]) {
        const e = yield* Effect.flip(a.decode(post(body)))
        expect(e.reason).toBe("invalid-payload")
      }
    })
  )
})

describe("FacebookWebhook: comments whose author Facebook withholds", () => {
  it.effect("arrive with an unknown author (core sends them to review), not as an invalid payload", () =>
    Effect.gen(function* () {
      const a = yield* adapter()
      const withheld = { item: "comment", comment_id: "900_1301", post_id: "104_900", created_time: 1714541000 }
      const events = yield* a.decode(
        post(
          envelope([
            { ...withheld, verb: "add", message: "+1" },
            { ...withheld, verb: "edited", message: "+2" }
          ])
        )
      )
      expect(events.map((e) => [e._tag, "author" in e ? e.author : undefined])).toEqual([
        ["Comment", { id: "unknown", unknown: true }],
        ["CommentEdited", { id: "unknown", unknown: true }]
      ])
    })
  )
})

describe("FacebookWebhook helpers", () => {
  it("unixSeconds reads numbers, digit strings and Graph ISO times", () => {
    expect(FacebookWebhook.unixSeconds(1714540800)).toBe(1714540800)
    expect(FacebookWebhook.unixSeconds("1714540800")).toBe(1714540800)
    expect(FacebookWebhook.unixSeconds("2018-08-30T18:47:02+0000")).toBe(1535654822)
    expect(FacebookWebhook.unixSeconds("2018-08-30T20:47:02+0200")).toBe(1535654822)
    expect(FacebookWebhook.unixSeconds("later")).toBeUndefined()
  })
})
