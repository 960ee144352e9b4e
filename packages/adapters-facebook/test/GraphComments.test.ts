import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Http } from "@kaituan/core"
import { Effect, Redacted } from "effect"
import fc from "fast-check"
import { FacebookChannel, FacebookExport, FacebookSignature, GraphComments } from "../src/index.js"
import * as Fake from "./support/FakeGraph.js"

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

const graph = () => ({
  accessToken: Redacted.make(fake.token),
  appSecret: Redacted.make(fake.appSecret),
  graphBase: fake.base,
  retry: { maxRetries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000, timeoutMs: 5_000 }
})

// protocols.md §4.4: the shape of a live video's comments answer
const liveSample = {
  data: [
    {
      created_time: "2018-08-30T18:47:02+0000",
      from: { name: "Jane Doe", id: "1234567890" },
      message: "A3 +1",
      id: "2091112354278012_2091112494278003"
    },
    {
      created_time: "2018-08-30T18:47:10+0000",
      from: { name: "陳大華", id: "1234567891" },
      message: "B1 +2",
      id: "2091112354278012_2091112520944667"
    }
  ],
  paging: { cursors: { before: "QVFIUk1", after: "QVFIUkx" } }
}

const comment = (i: number, over: Record<string, unknown> = {}) => ({
  id: `900_${1000 + i}`,
  from: { id: `70${i}`, name: `團員${i}` },
  message: `+${i}`,
  created_time: new Date(Date.UTC(2024, 4, 1, 5, 20, i)).toISOString().replace(".000Z", "+0000"),
  ...over
})

describe("GraphComments.pull", () => {
  it.live("follows the after cursor through every page with filter=stream and chronological order", () =>
    Effect.gen(function* () {
      const list = [
        comment(1),
        comment(2, { parent: { id: "900_1001" } }),
        comment(3, { message: undefined }),
        comment(4, { from: undefined }),
        comment(5),
        comment(6),
        comment(7)
      ]
      fake.comments.set("104_900", list)
      const before = fake.requests.length
      const pages: Array<number> = []
      const events = yield* GraphComments.pull({
        ...graph(),
        objectId: "104_900",
        limit: 3,
        onPage: (p) => pages.push(p.data.length)
      })
      const calls = fake.requests.slice(before)
      expect(calls).toHaveLength(3)
      expect(pages).toEqual([3, 3, 1])
      expect(calls.map((c) => c.query["after"])).toEqual([undefined, expect.any(String), expect.any(String)])
      for (const c of calls) {
        expect(c.path).toBe(`/${fake.version}/104_900/comments`)
        expect(c.query).toMatchObject({
          filter: "stream",
          order: "chronological",
          limit: "3",
          fields: GraphComments.defaultFields
        })
      }
      expect(events.map((e) => [e.commentId, e.author, e.text, e.replyToCommentId])).toEqual([
        ["900_1001", { id: "701", name: "團員1" }, "+1", undefined],
        ["900_1002", { id: "702", name: "團員2" }, "+2", "900_1001"],
        ["900_1004", { id: "unknown", unknown: true }, "+4", undefined],
        ["900_1005", { id: "705", name: "團員5" }, "+5", undefined],
        ["900_1006", { id: "706", name: "團員6" }, "+6", undefined],
        ["900_1007", { id: "707", name: "團員7" }, "+7", undefined]
      ])
      expect(events[0]).toEqual({
        _tag: "Comment",
        channel: "facebook",
        eventId: "900_1001:add:1714540801",
        at: "2024-05-01T05:20:01.000Z",
        commentId: "900_1001",
        threadId: "104_900",
        author: { id: "701", name: "團員1" },
        text: "+1"
      })
    })
  )

  it.live("drops comments repeated across pages (new comments shift the pages while paging)", () =>
    Effect.gen(function* () {
      fake.comments.set("104_901", [comment(1), comment(2), comment(2), comment(3), comment(1)])
      const events = yield* GraphComments.pull({ ...graph(), objectId: "104_901", limit: 2, channel: "fb-page" })
      expect(events.map((e) => e.commentId)).toEqual(["900_1001", "900_1002", "900_1003"])
      expect(events.every((e) => e.channel === "fb-page")).toBe(true)
    })
  )

  it.live("pulls a live video's comments (§4.4 shape) into the live post's thread", () =>
    Effect.gen(function* () {
      fake.comments.set("555000", liveSample.data)
      const events = yield* GraphComments.pull({
        ...graph(),
        objectId: "555000",
        threadId: "104_2091112354278012",
        params: { live_filter: "no_filter" }
      })
      expect(fake.requests.at(-1)?.query["live_filter"]).toBe("no_filter")
      expect(events.map((e) => [e.threadId, e.at, e.author.name, e.text])).toEqual([
        ["104_2091112354278012", "2018-08-30T18:47:02.000Z", "Jane Doe", "A3 +1"],
        ["104_2091112354278012", "2018-08-30T18:47:10.000Z", "陳大華", "B1 +2"]
      ])
    })
  )

  it.live("gives the same event ids as the webhook delivery of the same comment", () =>
    Effect.gen(function* () {
      fake.comments.set("104_902", [comment(9)])
      const [pulled] = yield* GraphComments.pull({ ...graph(), objectId: "104_902" })
      const body = JSON.stringify({
        object: "page",
        entry: [
          {
            id: "104",
            time: 1,
            changes: [
              {
                field: "feed",
                value: {
                  item: "comment",
                  verb: "add",
                  comment_id: "900_1009",
                  post_id: "104_902",
                  parent_id: "104_902",
                  from: { id: "709", name: "團員9" },
                  message: "+9",
                  created_time: 1714540809
                }
              }
            ]
          }
        ]
      })
      const a = yield* FacebookChannel.make({
        appSecret: Redacted.make("s"),
        verifyToken: Redacted.make("v"),
        pageAccessToken: Redacted.make("t")
      })
      const [pushed] = yield* a.decode(
        Http.request({ headers: { "x-hub-signature-256": FacebookSignature.sign("s", body) }, body })
      )
      expect(pulled).toEqual(pushed)
    })
  )

  it.live("errors: unknown object rejected, wrong token unauthorized, odd page invalid-payload, 429 retried", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(GraphComments.pull({ ...graph(), objectId: "nope" }))
      expect(missing.reason).toBe("rejected")
      expect(missing.message).toContain("does not exist")
      const token = yield* Effect.flip(
        GraphComments.pull({ ...graph(), accessToken: Redacted.make("bad"), objectId: "104_900" })
      )
      expect(token.reason).toBe("unauthorized")
      fake.script({ status: 200, body: { data: [{ id: "x" }] } })
      expect((yield* Effect.flip(GraphComments.pull({ ...graph(), objectId: "104_900" }))).reason).toBe(
        "invalid-payload"
      )
      fake.script({ status: 200, body: { items: [] } })
      expect((yield* Effect.flip(GraphComments.pull({ ...graph(), objectId: "104_900" }))).reason).toBe(
        "invalid-payload"
      )
      fake.comments.set("104_903", [comment(1)])
      fake.failNext(429, 0)
      expect((yield* GraphComments.pull({ ...graph(), objectId: "104_903" })).length).toBe(1)
    })
  )

  it.live("stops at maxPages", () =>
    Effect.gen(function* () {
      fake.comments.set("104_904", [comment(1), comment(2), comment(3)])
      const events = yield* GraphComments.pull({ ...graph(), objectId: "104_904", limit: 1, maxPages: 2 })
      expect(events.map((e) => e.commentId)).toEqual(["900_1001", "900_1002"])
    })
  )

  it.live("the adapter's pullComments remembers comment times for the 7-day rule", () =>
    Effect.gen(function* () {
      fake.comments.set("104_905", [comment(5)])
      const a = yield* FacebookChannel.make({
        appSecret: Redacted.make(fake.appSecret),
        verifyToken: Redacted.make("v"),
        pageAccessToken: Redacted.make(fake.token),
        graphBase: fake.base
      })
      const events = yield* a.pullComments({ objectId: "104_905" })
      expect(events).toHaveLength(1)
      expect(yield* a.privateReplies.commentTime("900_1005")).toBe(Date.parse("2024-05-01T05:20:05Z"))
      const e = yield* Effect.flip(
        a.send({
          id: "late",
          kind: "text",
          to: { channel: a.channel, userId: "705", replyToCommentId: "900_1005" },
          data: { text: "hi" },
          createdAt: new Date().toISOString()
        })
      )
      expect(e.message).toContain("within 7 days")
    })
  )
})

describe("FacebookExport", () => {
  it.effect("imports one saved page (the §4.4 sample)", () =>
    Effect.gen(function* () {
      const events = yield* FacebookExport.parse(JSON.stringify(liveSample), { threadId: "104_2091112354278012" })
      expect(events).toEqual([
        {
          _tag: "Comment",
          channel: "facebook",
          eventId: "2091112354278012_2091112494278003:add:1535654822",
          at: "2018-08-30T18:47:02.000Z",
          commentId: "2091112354278012_2091112494278003",
          threadId: "104_2091112354278012",
          author: { id: "1234567890", name: "Jane Doe" },
          text: "A3 +1"
        },
        {
          _tag: "Comment",
          channel: "facebook",
          eventId: "2091112354278012_2091112520944667:add:1535654830",
          at: "2018-08-30T18:47:10.000Z",
          commentId: "2091112354278012_2091112520944667",
          threadId: "104_2091112354278012",
          author: { id: "1234567891", name: "陳大華" },
          text: "B1 +2"
        }
      ])
    })
  )

  it.effect("imports an array of pages and a bare array of comments, dropping duplicates", () =>
    Effect.gen(function* () {
      const pages = [
        { data: [comment(1), comment(2)], paging: { cursors: { after: "a" }, next: "https://graph.facebook.com/…" } },
        { data: [comment(2), comment(3)], paging: { cursors: { before: "a" } } }
      ]
      expect((yield* FacebookExport.fromValue(pages)).map((e) => e.commentId)).toEqual([
        "900_1001",
        "900_1002",
        "900_1003"
      ])
      const bare = yield* FacebookExport.parse(`\uFEFF${JSON.stringify([comment(4)])}`, { channel: "fb" })
      expect(bare.map((e) => [e.channel, e.commentId, e.threadId])).toEqual([["fb", "900_1004", undefined]])
      expect(yield* FacebookExport.fromValue({ data: [] })).toEqual([])
    })
  )

  it.effect("rejects what is not comment pages, naming the bad comment", () =>
    Effect.gen(function* () {
      for (const bad of ["nope", "{}", '"x"', "[1,2]", '{"data": 1}']) {
        expect((yield* Effect.flip(FacebookExport.parse(bad)))._tag).toBe("FacebookExportError")
      }
      const e = yield* Effect.flip(
        FacebookExport.fromValue([{ data: [comment(1)] }, { data: [comment(2, { created_time: "soon" })] }])
      )
      expect(e.message).toContain("pages[1].data[0]")
    })
  )

  it("isCommentPages recognises the shapes", () => {
    expect(FacebookExport.isCommentPages(liveSample)).toBe(true)
    expect(FacebookExport.isCommentPages([liveSample, liveSample])).toBe(true)
    expect(FacebookExport.isCommentPages(liveSample.data)).toBe(true)
    expect(FacebookExport.isCommentPages({ id: 1, messages: [] })).toBe(false)
  })

  const genComment = fc.record({
    n: fc.integer({ min: 1, max: 9_999_999 }),
    userId: fc.integer({ min: 1, max: 9_999_999_999 }),
    name: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
    text: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim().length > 0),
    unix: fc.integer({ min: 1_400_000_000, max: 2_000_000_000 }),
    parent: fc.option(fc.integer({ min: 1, max: 9_999_999 }), { nil: undefined })
  })

  it("generated comments rendered as Graph pages import back unchanged", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(genComment, { selector: (c) => c.n, maxLength: 25 }),
        fc.integer({ min: 1, max: 10 }),
        (comments, pageSize) =>
          Effect.runSync(
            Effect.gen(function* () {
              const rendered = comments.map((c) => ({
                id: `900_${c.n}`,
                from: c.name === undefined ? { id: String(c.userId) } : { id: String(c.userId), name: c.name },
                message: c.text,
                created_time: new Date(c.unix * 1000).toISOString().replace(".000Z", "+0000"),
                ...(c.parent === undefined ? {} : { parent: { id: `900_${c.parent}` } })
              }))
              const pages = []
              for (let i = 0; i < rendered.length; i += pageSize) {
                const last = i + pageSize >= rendered.length
                pages.push({
                  data: rendered.slice(i, i + pageSize),
                  paging: { cursors: { after: `c${i}` }, ...(last ? {} : { next: "n" }) }
                })
              }
              const events = yield* FacebookExport.parse(JSON.stringify(pages.length === 1 ? pages[0] : pages), {
                threadId: "104_900"
              })
              expect(events.map((e) => [e.commentId, e.author, e.text, e.at, e.replyToCommentId, e.threadId])).toEqual(
                comments.map((c) => [
                  `900_${c.n}`,
                  c.name === undefined ? { id: String(c.userId) } : { id: String(c.userId), name: c.name },
                  c.text,
                  new Date(c.unix * 1000).toISOString(),
                  c.parent === undefined ? undefined : `900_${c.parent}`,
                  "104_900"
                ])
              )
            })
          )
      ),
      { numRuns: 50 }
    )
  })
})
