/**
 * Decoded inputs: every use case's input is checked at the boundary (`invalid-input`, the field
 * named, the value never quoted), and the hand-written comment check that runs for every comment
 * gives the same answer as the comment Schema.
 */
import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, Storage } from "@kaituan/core"
import { Effect, Layer, Result, Schema } from "effect"
import * as TestClock from "effect/testing/TestClock"
import fc from "fast-check"
import * as inputs from "../src/internal/inputs.js"
import { spec, testParser } from "./support/fixtures.js"

const OPEN = "2024-05-01T09:00:00+08:00"

const layer = () =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Layer.succeed(Storage.Storage, Storage.makeMemory()),
        CommentParser.layer(testParser),
        IdGenerator.layerCounter
      )
    )
  )

const comment = (over: Record<string, unknown> = {}) => ({
  channel: "line",
  commentId: "m1",
  author: { id: "U1", name: "amy" },
  text: "紅+1",
  at: "2024-05-01T10:00:00+08:00",
  ...over
})

/** Strings that break one rule or another, and plain ones. */
const arbString = fc.oneof(
  fc.constantFrom("", "line", "m1", "U1", "\u0000", "a\u0000b", "x\ny", "\ud800", "\udc00a", "😀", "\u007f"),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.integer({ min: 60, max: 70 }).map((n) => "c".repeat(n)),
  fc.integer({ min: 250, max: 260 }).map((n) => "a".repeat(n)),
  fc.integer({ min: 508, max: 516 }).map((n) => "i".repeat(n))
)
const arbTime = fc.oneof(
  fc.constantFrom(
    "2024-05-01T10:00:00+08:00",
    "2024-05-01T10:00:00.000Z",
    "2024-05-01T10:00:00",
    "2024-05-01",
    "2024-13-45T99:00:00Z",
    "not a time",
    "",
    "2024-05-01t10:00:00Z",
    " 2024-05-01T10:00:00Z"
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString())
)
const arbAny = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.constant({}))
const maybe = <A>(a: fc.Arbitrary<A>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: arbAny })

const arbComment: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 1, arbitrary: arbAny },
  {
    weight: 20,
    arbitrary: fc.record(
      {
        channel: maybe(arbString),
        commentId: maybe(arbString),
        author: maybe(
          fc.record(
            { id: maybe(arbString), name: maybe(arbString), unknown: maybe(fc.boolean()) },
            { requiredKeys: ["id"] }
          )
        ),
        text: maybe(arbString),
        at: maybe(arbTime),
        threadId: maybe(arbString),
        replyToken: maybe(arbString),
        idScope: maybe(fc.constantFrom("channel", "round", "global"))
      },
      { requiredKeys: [] }
    )
  },
  // Mostly valid comments with one field changed.
  {
    weight: 20,
    arbitrary: fc
      .tuple(
        fc.constantFrom("channel", "commentId", "text", "at", "threadId", "replyToken", "idScope", "author"),
        fc.oneof(arbString, arbTime, arbAny)
      )
      .map(([key, value]) => comment({ [key]: value }))
  }
)

const decodeComment = Schema.decodeUnknownResult(inputs.CommentInputSchema, { errors: "first" })

describe("the comment check", () => {
  it("the hand-written check and the Schema agree on every input: valid or not, and where the first problem is", () => {
    fc.assert(
      fc.property(arbComment, (c) => {
        const fast = inputs.commentProblem(c)
        const schema = decodeComment(c)
        expect(fast === undefined, JSON.stringify(c)).toBe(Result.isSuccess(schema))
        if (fast !== undefined && Result.isFailure(schema)) {
          const first = inputs.problemsOf("", schema.failure.issue)[0]
          expect(fast.path, JSON.stringify(c)).toBe(first?.path)
        }
      }),
      { numRuns: 5_000 }
    )
  })

  it("names the rules: storage limits, NUL, dates, missing author", () => {
    const problem = (over: Record<string, unknown>) => inputs.commentProblem(comment(over))
    expect(problem({})).toBeUndefined()
    expect(problem({ commentId: "i".repeat(512) })).toBeUndefined()
    expect(problem({ commentId: "i".repeat(513) })).toEqual({
      path: "commentId",
      message: "expected at most 512 characters"
    })
    expect(problem({ channel: "c".repeat(65) })?.path).toBe("channel")
    expect(problem({ author: { id: "a".repeat(257) } })?.path).toBe("author.id")
    expect(problem({ text: "紅\u0000+1" })).toEqual({ path: "text", message: "expected no NUL characters" })
    expect(problem({ commentId: "m\u00001" })?.message).toBe("expected no control characters")
    expect(problem({ threadId: "t\ud800" })?.message).toBe("expected no lone surrogates")
    expect(problem({ at: "yesterday" })).toEqual({ path: "at", message: "expected an ISO 8601 date" })
    expect(problem({ author: undefined })).toEqual({ path: "author", message: "is missing" })
    expect(problem({ author: {} })).toEqual({ path: "author.id", message: "is missing" })
  })
})

describe("use cases decode their inputs", () => {
  it.effect("submitComments: the first bad comment fails the call, naming comments[i].field; nothing is taken", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec(), at: OPEN })
      const comments = [comment(), comment({ commentId: "m2" }), comment({ commentId: "m3" }), comment({ at: "soon" })]
      const e = yield* Effect.flip(g.submitComments({ roundId: "socks", comments: comments as never }))
      expect(e).toMatchObject({
        _tag: "GroupBuyError",
        reason: "invalid-input",
        field: "comments[3].at",
        message: "comments[3].at: expected an ISO 8601 date"
      })
      expect((yield* g.report("socks")).orders).toEqual([])
      const secret = "王小明\u0000的留言"
      const nul = yield* Effect.flip(
        g.submitComments({ roundId: "socks", comments: [comment({ text: secret })] as never })
      )
      expect(nul).toMatchObject({ reason: "invalid-input", field: "comments[0].text" })
      expect(nul.message).not.toContain("王小明")
      expect(yield* Effect.flip(g.submitComments({ roundId: "", comments: [] }))).toMatchObject({
        field: "roundId"
      })
      expect(yield* Effect.flip(g.submitComments({ roundId: "socks", comments: "x" as never }))).toMatchObject({
        field: "comments"
      })
    }).pipe(Effect.provide(layer()))
  )

  it.effect("a comment dated more than MaxFutureSkew after now is refused when a host sets it", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec(), at: OPEN })
      const now = Date.parse("2024-05-01T10:00:00+08:00")
      const at = (ms: number) => new Date(now + ms).toISOString()
      yield* TestClock.setTime(now)
      const live = <A, E, R>(eff: Effect.Effect<A, E, R>) =>
        Effect.provideService(eff, GroupBuy.MaxFutureSkew, GroupBuy.LIVE_FUTURE_SKEW_MS)
      const ok = yield* live(
        g.submitComments({ roundId: "socks", comments: [comment({ at: at(4 * 60_000) })] as never })
      )
      expect(ok.map((o) => o.status)).toEqual(["ordered"])
      const late = yield* Effect.flip(
        live(g.submitComments({ roundId: "socks", comments: [comment({ commentId: "m2", at: at(6 * 60_000) })] }))
      )
      expect(late).toMatchObject({
        reason: "invalid-input",
        field: "comments[0].at",
        message: "comments[0].at: expected a time at most 5 minutes from now (it is dated in the future)"
      })
      const edit = yield* Effect.flip(
        live(g.editComment({ roundId: "socks", comment: comment({ at: at(3_600_000) }) as GroupBuy.CommentInput }))
      )
      expect(edit).toMatchObject({ reason: "invalid-input", field: "comment.at" })
      // Without the setting (the default), any time goes in: replays and imports of any time (a week ahead here).
      const replay = yield* g.submitComments({
        roundId: "socks",
        comments: [comment({ commentId: "m3", author: { id: "U2" }, text: "白+1", at: "2024-05-09T00:00:00Z" })]
      })
      expect(replay.map((o) => o.status)).toEqual(["ordered"])
    }).pipe(Effect.provide(layer()))
  )

  it.effect("every other use case names its bad field", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const field = <A>(eff: Effect.Effect<A, GroupBuy.GroupBuyError | Storage.StorageError>) =>
        Effect.map(Effect.flip(eff), (e) => [
          e._tag === "GroupBuyError" ? e.reason : e._tag,
          "field" in e ? e.field : ""
        ])
      const bad = "invalid-input"
      expect(yield* field(g.openRound({ spec: { ...spec(), title: 5 } as never }))).toEqual([bad, "spec.title"])
      expect(yield* field(g.openRound({ spec: spec(), at: "tomorrow" }))).toEqual([bad, "at"])
      expect(yield* field(g.closeRound({ roundId: "socks", at: "x" }))).toEqual([bad, "at"])
      expect(yield* field(g.removeComment({ roundId: "socks", channel: "line", commentId: "", at: OPEN }))).toEqual([
        bad,
        "commentId"
      ])
      expect(
        yield* field(g.resolveReview({ roundId: "socks", commentId: "line:1", approve: [], action: "order" }))
      ).toEqual([bad, "approve"])
      expect(
        yield* field(
          g.resolveReview({ roundId: "socks", commentId: "line:1", approve: [{ sku: "A", qty: 1 }], action: "dismiss" })
        )
      ).toEqual([bad, "approve"])
      expect(
        yield* field(g.resolveReview({ roundId: "socks", commentId: "line:1", approve: [{ sku: "A", qty: 0 }] }))
      ).toEqual([bad, "approve[0].qty"])
      expect(
        yield* field(
          g.recordPayment({
            transactionId: "t1",
            source: "cash",
            amount: 0,
            at: OPEN,
            orderIds: [],
            evidence: ""
          })
        )
      ).toEqual([bad, "amount"])
      expect(yield* field(g.ship({ orderId: "o1", lines: [{ sku: "A", qty: 1.5 }], method: "home" }))).toEqual([
        bad,
        "lines[0].qty"
      ])
      expect(yield* field(g.ship({ orderId: "o1", lines: [], method: "drone" as never }))).toEqual([bad, "method"])
      expect(yield* field(g.confirmPickup({ shipmentId: "s1", code: "  " }))).toEqual([bad, "code"])
      expect(yield* field(g.findPickup({ code: "" }))).toEqual([bad, "code"])
      expect(yield* field(g.unlockPickup({ shipmentId: "" }))).toEqual([bad, "shipmentId"])
      expect(yield* field(g.cancelOrder({ orderId: "o1", reason: "" }))).toEqual([bad, "reason"])
      expect(yield* field(g.refundOrder({ orderId: "o1", reason: "x".repeat(501) }))).toEqual([bad, "reason"])
      expect(yield* field(g.orders({ roundId: "socks", status: ["lost" as never] }))).toEqual([bad, "status[0]"])
      expect(yield* field(g.report(""))).toEqual([bad, "roundId"])
    }).pipe(Effect.provide(layer()))
  )
})
