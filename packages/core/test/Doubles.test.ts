/**
 * Doubles and losses across rounds (issue 19): a platform message is one comment whatever round
 * is open, a comment sent before its round opened is not an order, message ids are unique per
 * round, and a comment id reused by a different comment is reported, never silently dropped.
 */
import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, type ParseResult, Round, Storage } from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import fc from "fast-check"
import { spec, testParser } from "./support/fixtures.js"

/** The use cases over `storage` (a "process": a fresh GroupBuy with empty caches over the same store). */
const processOver = (storage: Storage.StorageService) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const OPEN = "2024-05-01T09:00:00+08:00"

const c = (
  id: string,
  author: string,
  text: string,
  at = "2024-05-01T10:00:00+08:00",
  extra: Partial<GroupBuy.CommentInput> = {}
): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at,
  ...extra
})

const roundEvents = (storage: Storage.StorageService, roundId: string) =>
  Effect.map(storage.readStream(Storage.roundStream(roundId)), (r) => r.events.map((e) => e.data as Round.Event))

const commentIdsOf = (events: ReadonlyArray<Round.Event>) =>
  new Set(events.flatMap((e) => ("seq" in e && "commentId" in e ? [e.commentId] : [])))

describe("a platform message belongs to at most one round", () => {
  it.effect("a redelivery of a comment taken by round 1 is a duplicate in round 2, after a restart too", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const first = yield* Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* g.openRound({ spec: spec({ id: "r1" }), at: OPEN })
        return yield* g.submitComments({ roundId: "r1", comments: [c("m1", "amy", "紅+1")] })
      }).pipe(Effect.provide(processOver(storage)))
      expect(first.map((o) => o.status)).toEqual(["ordered"])
      // `kaituan serve` restarted with the next round: LINE redelivers the old event.
      const second = yield* Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* g.openRound({ spec: spec({ id: "r2" }), at: OPEN })
        const out = yield* g.submitComments({ roundId: "r2", comments: [c("m1", "amy", "紅+1")] })
        return { out, report: yield* g.report("r2") }
      }).pipe(Effect.provide(processOver(storage)))
      expect(second.out.map((o) => [o.status, o.reason])).toEqual([["duplicate", 'already taken by round "r1"']])
      expect(second.report.orders).toEqual([])
      expect(commentIdsOf(yield* roundEvents(storage, "r2")).size).toBe(0)
      const messages = yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })
      expect(messages.map((m) => m.message.kind)).toEqual(["order-confirmed"])
    })
  )

  it.effect("two open rounds in one process: the same message goes to the first that takes it", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ id: "a" }), at: OPEN })
      yield* g.openRound({ spec: spec({ id: "b" }), at: OPEN })
      const inB = yield* g.submitComments({ roundId: "b", comments: [c("m1", "amy", "白+1")] })
      const inA = yield* g.submitComments({ roundId: "a", comments: [c("m1", "amy", "白+1"), c("m2", "bob", "白+1")] })
      expect(inB.map((o) => o.status)).toEqual(["ordered"])
      expect(inA.map((o) => o.status)).toEqual(["duplicate", "ordered"])
      expect((yield* g.report("a")).orders.map((o) => o.buyer.id)).toEqual(["bob"])
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )

  it.effect("ids numbered by an import file (idScope round) are unique per round only", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      yield* g.openRound({ spec: spec({ id: "a" }), at: OPEN })
      yield* g.openRound({ spec: spec({ id: "b" }), at: OPEN })
      const file = (author: string) => c("c1", author, "紅+1", undefined, { channel: "jsonl", idScope: "round" })
      expect((yield* g.submitComments({ roundId: "a", comments: [file("amy")] })).map((o) => o.status)).toEqual([
        "ordered"
      ])
      expect((yield* g.submitComments({ roundId: "b", comments: [file("bob")] })).map((o) => o.status)).toEqual([
        "ordered"
      ])
      // Re-running either import changes nothing.
      expect((yield* g.submitComments({ roundId: "b", comments: [file("bob")] })).map((o) => o.status)).toEqual([
        "duplicate"
      ])
      // Each round's confirmation is queued: the message ids differ by round.
      const messages = yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })
      expect(messages.map((m) => [m.message.kind, m.message.to.userId])).toEqual([
        ["order-confirmed", "amy"],
        ["order-confirmed", "bob"]
      ])
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )

  it("any interleaving of rounds, restarts and redeliveries never puts one message in two rounds", () =>
    fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("restart" as const) }),
            fc.record({
              op: fc.constant("submit" as const),
              round: fc.integer({ min: 0, max: 2 }),
              messages: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 6 })
            })
          ),
          { maxLength: 25 }
        ),
        async (ops) => {
          const storage = Storage.makeMemory()
          const texts = ["紅+1", "白+1", "杯+1", "取消", "改2", "好?", "紫+1", "蛋黃酥+1"]
          // A message's author, text and time never change: a platform message is what it is.
          const message = (i: number) =>
            c(`m${i}`, `u${i % 3}`, texts[i]!, new Date(Date.parse(OPEN) + (i + 1) * 60_000).toISOString())
          const opened = new Set<number>()
          let layer = processOver(storage)
          for (const o of ops) {
            if (o.op === "restart") {
              layer = processOver(storage)
              continue
            }
            const roundId = `r${o.round}`
            // Opening a round that is open already changes nothing (a restart with the same round).
            await Effect.runPromise(
              GroupBuy.GroupBuy.use((g) => g.openRound({ spec: spec({ id: roundId }), at: OPEN })).pipe(
                Effect.provide(layer)
              )
            )
            opened.add(o.round)
            await Effect.runPromise(
              GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId, comments: o.messages.map(message) })).pipe(
                Effect.provide(layer)
              )
            )
          }
          const owners = new Map<string, Array<string>>()
          for (const r of opened) {
            for (const id of commentIdsOf(await Effect.runPromise(roundEvents(storage, `r${r}`)))) {
              owners.set(id, [...(owners.get(id) ?? []), `r${r}`])
            }
          }
          for (const [id, rounds] of owners) expect(rounds, id).toHaveLength(1)
        }
      ),
      { numRuns: 100 }
    ))
})

describe("a comment sent before its round opened is not an order", () => {
  it.effect("goes to review with the reason, and nothing is lost", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ id: "r2" }), at: "2024-05-01T09:00:00+08:00" })
      const out = yield* g.submitComments({
        roundId: "r2",
        comments: [
          c("old", "amy", "紅+2", "2021-03-04T10:00:00+08:00"),
          c("late-cancel", "bob", "取消", "2024-05-01T08:59:59+08:00"),
          c("chat", "cat", "好?", "2020-01-01T00:00:00Z"),
          c("new", "dan", "紅+1", "2024-05-01T09:00:00+08:00")
        ]
      })
      expect(out.map((o) => [o.commentId, o.status])).toEqual([
        ["old", "review"],
        ["late-cancel", "review"],
        ["chat", "ignored"],
        ["new", "ordered"]
      ])
      expect(out[0]!.reason).toBe("sent before the round opened")
      const r = yield* g.report("r2")
      expect(r.orders.map((o) => o.buyer.id)).toEqual(["dan"])
      expect(r.review.map((x) => [x.commentId, x.reason])).toEqual([
        ["line:old", "sent before the round opened"],
        ["line:late-cancel", "sent before the round opened"]
      ])
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )
})

describe("the opening, to the second", () => {
  it.effect("a message dated in the second the round opened is taken (platforms date in whole seconds)", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ id: "r" }), at: "2024-05-01T01:00:00.700Z" })
      const out = yield* g.submitComments({
        roundId: "r",
        comments: [
          c("same-second", "amy", "紅+1", "2024-05-01T01:00:00Z"),
          c("before", "bob", "紅+1", "2024-05-01T00:59:59.999Z")
        ]
      })
      expect(out.map((o) => o.status)).toEqual(["ordered", "review"])
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )
})

describe("the decider: before the opening, no comment changes an order", () => {
  const OPENED_MS = Date.parse(OPEN)
  const sp = spec()
  const open = Round.fold([
    { _tag: "RoundCreated", spec: sp, at: OPEN },
    { _tag: "RoundOpened", at: OPEN }
  ])
  const incoming = (i: number, buyer: string, parsed: ParseResult.ParseResult, at: string): Round.Command => ({
    _tag: "HandleComment",
    comment: { commentId: `line:c${i}`, buyerId: `line:${buyer}`, buyer: { id: buyer }, text: "…", at, parsed },
    newOrderId: `o${i}`
  })
  const arbLines = fc.array(
    fc.record({
      sku: fc.constantFrom<string | null>("SOCK-R", "SOCK-W", "EGG", "CUP", null),
      qty: fc.integer({ min: 1, max: 5 })
    }),
    { maxLength: 3 }
  )
  const arbParsed: fc.Arbitrary<ParseResult.ParseResult> = fc.record({
    intent: fc.constantFrom<ParseResult.Intent>("order", "amend", "cancel", "review", "payment", "none"),
    lines: arbLines,
    reason: fc.constant("parsed"),
    spans: fc.constant([])
  })
  const orderMoves = new Set(["LinesOrdered", "LinesSet", "OrderWithdrawn"])

  it("any intent, any time before the opening (or no valid time): review or nothing, never an order move", () =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("amy", "bob"), arbParsed), { maxLength: 5 }),
        arbParsed,
        fc.oneof(
          fc.integer({ min: 1, max: 10 * 365 * 24 * 3600 }).map((s) => new Date(OPENED_MS - s * 1000).toISOString()),
          fc.constantFrom("not a time", "", "2024-13-45T99:00:00Z")
        ),
        (before, parsed, at) => {
          // Orders placed after the opening, so an amendment or a cancellation has something to change.
          let state = open
          before.forEach(([buyer, p], i) => {
            const evs = Result.getOrThrow(Round.decide(incoming(i, buyer, p, "2024-05-01T10:00:00+08:00"), state))
            state = Round.fold(evs, state)
          })
          const events = Result.getOrThrow(Round.decide(incoming(99, "amy", parsed, at), state))
          expect(events.filter((e) => orderMoves.has(e._tag))).toEqual([])
          const review = events.filter((e) => e._tag === "CommentForReview")
          if (parsed.intent === "none") expect(events.map((e) => e._tag)).toEqual(["CommentIgnored"])
          else
            expect(review.map((e) => e.reason)).toEqual([
              Number.isNaN(Date.parse(at)) ? Round.NO_VALID_TIME : Round.SENT_BEFORE_OPEN
            ])
        }
      )
    ))
})

describe("a comment id used by two different comments is reported, not dropped silently", () => {
  it.effect("in one batch, in later calls and after a restart; the same comment again is a duplicate", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const file = (author: string, text: string) =>
        c("c7", author, text, undefined, { channel: "jsonl", idScope: "round" })
      const submit = (comments: ReadonlyArray<GroupBuy.CommentInput>) =>
        GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "r1", comments })).pipe(
          Effect.provide(processOver(storage))
        )
      yield* GroupBuy.GroupBuy.use((g) => g.openRound({ spec: spec({ id: "r1" }), at: OPEN })).pipe(
        Effect.provide(processOver(storage))
      )
      const one = yield* submit([file("amy", "紅+1"), file("bob", "紅+1"), file("amy", "白+1"), file("amy", "紅+1")])
      expect(one.map((o) => o.status)).toEqual(["ordered", "id-conflict", "id-conflict", "duplicate"])
      const later = yield* submit([file("cat", "杯+1"), file("amy", "紅+1")])
      expect(later.map((o) => o.status)).toEqual(["id-conflict", "duplicate"])
      // The reason names the comment id and nothing personal (no author, no text).
      for (const o of [one[1]!, one[2]!, later[0]!]) {
        expect(o.reason).toContain('"c7"')
        expect(o.reason).not.toMatch(/amy|bob|cat|紅|白|杯/)
      }
    })
  )
})

describe("outbox message ids", () => {
  it.effect("parts with colons never make two messages one (round a:b + channel x vs round a + channel b:x)", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      yield* g.openRound({ spec: spec({ id: "a:b" }), at: OPEN })
      yield* g.openRound({ spec: spec({ id: "a" }), at: OPEN })
      yield* g.submitComments({ roundId: "a:b", comments: [c("c", "amy", "杯+1", undefined, { channel: "x" })] })
      yield* g.submitComments({ roundId: "a", comments: [c("c", "bob", "杯+1", undefined, { channel: "b:x" })] })
      const messages = (yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })).map((m) => m.message)
      expect(messages.map((m) => m.to.userId)).toEqual(["amy", "bob"])
      expect(messages[0]!.id).not.toBe(messages[1]!.id)
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )

  it.effect("two comments with one id in two rounds both get their confirmation; a retry queues nothing new", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      yield* g.openRound({ spec: spec({ id: "a" }), at: OPEN })
      yield* g.openRound({ spec: spec({ id: "b" }), at: OPEN })
      const mk = (author: string, text: string) =>
        c("1", author, text, undefined, { channel: "import", idScope: "round" })
      yield* g.submitComments({ roundId: "a", comments: [mk("amy", "紅+9")] })
      yield* g.submitComments({ roundId: "b", comments: [mk("bob", "紅+9")] })
      yield* g.submitComments({ roundId: "b", comments: [mk("bob", "紅+9")] })
      const messages = (yield* storage.claimOutbox({ limit: 100, leaseMs: 60_000 })).map((m) => m.message)
      expect(messages.map((m) => [m.kind, m.to.userId])).toEqual([
        ["order-confirmed", "amy"],
        ["not-ordered", "amy"],
        ["order-confirmed", "bob"],
        ["not-ordered", "bob"]
      ])
      expect(new Set(messages.map((m) => m.id)).size).toBe(4)
    }).pipe(Effect.provide(processOver(Storage.makeMemory())))
  )
})
