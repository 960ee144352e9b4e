/**
 * The inbound service: redeliveries remembered in Storage (a restart, a second worker racing the
 * first), routing by a round's `listens`, batching in order, and a property: any redelivery of a
 * delivery sequence, at any point or racing the next delivery, gives what delivering each once
 * in order gives.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChannelAdapter, CommentParser, GroupBuy, IdGenerator, Inbound, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import fc from "fast-check"
import { spec, testParser } from "./support/fixtures.js"

type Event = ChannelAdapter.InboundEvent

const OPEN = "2024-12-01T09:00:00+08:00"
const CUTOFF = "2099-01-01T00:00:00+08:00"
/** A past time, `s` seconds after 2025-01-01 (the tests run on the live clock: the batcher waits a turn). */
const at = (s = 0) => new Date(Date.parse("2025-01-01T10:00:00+08:00") + s * 1_000).toISOString()

const comment = (id: string, author: string, text: string, extra: Partial<Event> = {}): Event =>
  ({
    _tag: "Comment",
    channel: "line",
    eventId: `ev-${id}`,
    at: at(),
    commentId: id,
    threadId: "Cgroup",
    author: { id: author, name: author },
    text,
    ...extra
  }) as Event

const edited = (id: string, author: string, text: string, eventId: string, when: string): Event => ({
  _tag: "CommentEdited",
  channel: "line",
  eventId,
  at: when,
  commentId: id,
  threadId: "Cgroup",
  author: { id: author, name: author },
  text
})

const unsent = (id: string, eventId: string, when: string): Event => ({
  _tag: "CommentRemoved",
  channel: "line",
  eventId,
  at: when,
  commentId: id,
  threadId: "Cgroup"
})

/** GroupBuy and Inbound over `storage`: one "process" (fresh caches), or one of several workers on one store. */
const processOver = (storage: Layer.Layer<Storage.Storage>, options: Inbound.Options = {}) =>
  Inbound.layer(options).pipe(
    Layer.provideMerge(GroupBuy.layer),
    Layer.provideMerge(Layer.mergeAll(storage, CommentParser.layer(testParser), IdGenerator.layerNanoid))
  )

const openRound = (id: string, overrides: Record<string, unknown> = {}) =>
  GroupBuy.GroupBuy.use((g) => g.openRound({ spec: spec({ id, cutoff: CUTOFF, ...overrides }), at: OPEN }))

const deliver = (events: ReadonlyArray<Event>) => Inbound.Inbound.use((i) => i.deliver({ events }))

/** A round's state without what differs between equal runs (order ids, commit times). */
const snapshot = (roundId: string) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    const storage = yield* Storage.Storage
    const r = yield* g.report(roundId)
    const stream = yield* storage.readStream(Storage.roundStream(roundId))
    return {
      events: stream.events.length,
      orders: r.orders.map((o) => ({ buyer: o.buyerId, status: o.status, lines: o.lines, seq: o.seq, total: o.total })),
      review: r.review.map((i) => ({ commentId: i.commentId, reason: i.reason, seq: i.seq, text: i.text })),
      notOrdered: r.notOrdered.map((n) => ({ commentId: n.commentId, reason: n.reason, seq: n.seq })),
      stock: r.stock
    }
  })

describe("Inbound: redeliveries are remembered in Storage", () => {
  /** Comments, an edit, an unsend, and an edit dated in the future (dated when it first arrived). */
  const delivery: ReadonlyArray<Event> = [
    comment("m1", "amy", "紅+1"),
    comment("m2", "ben", "白+1"),
    edited("m1", "amy", "紅+2", "ev-edit-1", at(60)),
    unsent("m2", "ev-unsend-2", at(90)),
    edited("m1", "amy", "紅+3", "ev-edit-far", "2200-01-01T00:00:00.000Z"),
    comment("m3", "cat", "蛋黃酥+2", { eventId: "ev-m3", at: "2200-01-02T00:00:00.000Z" })
  ]

  it.live("the same delivery after a restart (a new Inbound over the same database) doubles nothing", () =>
    Effect.gen(function* () {
      const database = Storage.memoryDatabase()
      const first = yield* Effect.gen(function* () {
        yield* openRound("r")
        const outcome = yield* deliver(delivery)
        return { outcome, state: yield* snapshot("r") }
      }).pipe(Effect.provide(processOver(Storage.layerMemoryWith({ database }))))
      expect(first.outcome.events.map((e) => e._tag)).toEqual([
        "Comment",
        "Comment",
        "Edited",
        "Removed",
        "Edited",
        "Comment"
      ])
      expect(first.outcome.counts).toMatchObject({ events: 6, comments: 3, edits: 2, removals: 1, "future-dated": 2 })
      // the edits went to review, the far one dated when it arrived (not after the cutoff)
      expect(first.state.review.map((i) => i.text)).toContain("紅+3")
      expect(first.state.notOrdered).toEqual([])
      const second = yield* Effect.gen(function* () {
        const outcome = yield* deliver(delivery)
        return { outcome, state: yield* snapshot("r") }
      }).pipe(Effect.provide(processOver(Storage.layerMemoryWith({ database }))))
      expect(second.state).toEqual(first.state)
      expect(second.outcome.events.flatMap((e) => (e._tag === "Comment" ? [e.status] : []))).toEqual([
        "duplicate",
        "duplicate",
        "duplicate"
      ])
    })
  )

  it.live("two workers on one store racing the same delivery double nothing", () =>
    Effect.gen(function* () {
      const reference = yield* Effect.gen(function* () {
        yield* openRound("r")
        yield* deliver(delivery)
        return yield* snapshot("r")
      }).pipe(Effect.provide(processOver(Storage.layerMemory)))
      const storage = Storage.makeMemory()
      const shared = Layer.succeed(Storage.Storage, storage)
      const raced = yield* Effect.scoped(
        Effect.gen(function* () {
          const a = yield* Layer.build(processOver(shared))
          const b = yield* Layer.build(processOver(shared))
          yield* openRound("r").pipe(Effect.provide(a))
          for (let round = 0; round < 3; round++)
            yield* Effect.all([deliver(delivery).pipe(Effect.provide(a)), deliver(delivery).pipe(Effect.provide(b))], {
              concurrency: "unbounded"
            })
          return yield* snapshot("r").pipe(Effect.provide(a))
        })
      )
      expect(raced).toEqual(reference)
    })
  )

  it.live("outcomes carry positions, statuses and reasons, never names, author ids or texts", () =>
    Effect.gen(function* () {
      yield* openRound("r")
      const outcome = yield* deliver([
        comment("p1", "Alice Secret", "紅+1 call 0912345678"),
        { ...comment("p2", "bob", "白+1"), author: { id: "U\ud800", name: "x" } } as Event,
        {
          _tag: "NonText",
          channel: "line",
          eventId: "ev-s",
          at: at(),
          commentId: "s",
          author: { id: "Alice Secret" },
          kind: "sticker"
        }
      ])
      const text = JSON.stringify(outcome)
      expect(text).not.toContain("Alice")
      expect(text).not.toContain("0912345678")
      expect(outcome.events).toEqual([
        { _tag: "Comment", where: "event 0", roundId: "r", status: "ordered" },
        { _tag: "Skipped", where: "event 1", reason: "invalid-id" },
        { _tag: "Ignored", where: "event 2", event: "NonText" }
      ])
      expect(outcome.skipped).toEqual({ "invalid-id": ["event 1"] })
    }).pipe(Effect.provide(processOver(Storage.layerMemory)))
  )
})

describe("Inbound: routing", () => {
  it.live("a comment goes to the round listening to its conversation, else the one round listening to none", () =>
    Effect.gen(function* () {
      yield* openRound("a", { listens: [{ channel: "line", conversation: "Cgroup-a" }] })
      yield* openRound("b")
      const outcome = yield* deliver([
        comment("r1", "amy", "紅+1", { threadId: "Cgroup-a" }),
        comment("r2", "ben", "紅+1", { threadId: "Cother" }),
        comment("r3", "cat", "紅+1", { channel: "telegram", threadId: "Cgroup-a" })
      ])
      expect(outcome.events.map((e) => (e._tag === "Comment" ? e.roundId : e._tag))).toEqual(["a", "b", "b"])
      yield* openRound("c")
      yield* Inbound.Inbound.use((i) => i.invalidate)
      const refused = yield* deliver([comment("r4", "dan", "紅+1", { threadId: "Cx" })])
      expect(refused.events).toEqual([{ _tag: "Refused", where: "event 0", reason: "several-open-rounds" }])
      expect(refused.refusals).toEqual(["several-open-rounds"])
      expect(refused.counts.rejected).toBe(1)
    }).pipe(Effect.provide(processOver(Storage.layerMemory)))
  )

  it.live("the preferred round takes what no round listens to; with no open round a comment is refused", () =>
    Effect.gen(function* () {
      const none = yield* deliver([comment("q0", "amy", "紅+1")])
      expect(none.refusals).toEqual(["no-open-round"])
      yield* openRound("b")
      yield* openRound("c")
      yield* Inbound.Inbound.use((i) => i.invalidate)
      const outcome = yield* deliver([comment("q1", "amy", "紅+1")])
      expect(outcome.events).toEqual([{ _tag: "Comment", where: "event 0", roundId: "c", status: "ordered" }])
    }).pipe(Effect.provide(processOver(Storage.layerMemory, { preferredRound: "c", openRoundsMaxAgeMs: 60_000 })))
  )

  it("choose: the round listening to the conversation, else the one open round, else refused", () => {
    const a = { roundId: "a", listens: [{ channel: "line", conversation: "Cgroup-a" }] }
    const b = { roundId: "b", listens: [] }
    const c = { roundId: "c", listens: [] }
    expect(Inbound.choose([a, b], "line", "Cgroup-a")).toEqual({ _tag: "Round", roundId: "a" })
    expect(Inbound.choose([a, b], "line", "Cother")).toEqual({ _tag: "Round", roundId: "b" })
    expect(Inbound.choose([a, b], "telegram", "Cgroup-a")).toEqual({ _tag: "Round", roundId: "b" })
    expect(Inbound.choose([a], "line", "Cother")).toEqual({ _tag: "Refused", reason: "no-open-round" })
    expect(Inbound.choose([], "line", undefined)).toEqual({ _tag: "Refused", reason: "no-open-round" })
    expect(Inbound.choose([b, c], "line", "Cx")).toEqual({ _tag: "Refused", reason: "several-open-rounds" })
    expect(Inbound.choose([b, c], "line", "Cx", "c")).toEqual({ _tag: "Round", roundId: "c" })
    expect(Inbound.choose([a, b], "line", "Cgroup-a", "b")).toEqual({ _tag: "Round", roundId: "a" })
    expect(Inbound.choose([b, c], "line", "Cx", "gone")).toEqual({ _tag: "Refused", reason: "several-open-rounds" })
    expect(Inbound.choose([a, { ...a, roundId: "a2" }], "line", "Cgroup-a")).toEqual({
      _tag: "Refused",
      reason: "several-open-rounds"
    })
  })

  it("listensOf reads a stored spec leniently; RoundSpec decodes listens strictly", () => {
    expect(Inbound.listensOf({ listens: [{ channel: "line", conversation: "C1" }, { channel: 3 }, "x"] })).toEqual([
      { channel: "line", conversation: "C1" }
    ])
    expect(Inbound.listensOf({ title: "x" })).toEqual([])
    expect(Inbound.listensOf(undefined)).toEqual([])
    const base = { id: "r", title: "t", products: [{ sku: "A", name: "a", price: 1 }] }
    const ok = RoundSpec.decode({ ...base, listens: [{ channel: "telegram", conversation: "-100123" }] })
    expect(Result.isSuccess(ok) && ok.success.listens).toEqual([{ channel: "telegram", conversation: "-100123" }])
    expect(Result.isFailure(RoundSpec.decode({ ...base, listens: [{ channel: "line" }] }))).toBe(true)
    expect(Result.isFailure(RoundSpec.decode({ ...base, listens: [{ channel: "", conversation: "C" }] }))).toBe(true)
  })
})

describe("Inbound: batching", () => {
  it.live("deliveries arriving together are batched, and each conversation's comments keep their order", () =>
    Effect.gen(function* () {
      const batches: Array<ReadonlyArray<GroupBuy.CommentInput>> = []
      const fake = {
        submitComments: ({ comments }: GroupBuy.SubmitCommentsInput) =>
          Effect.sync(() => {
            batches.push(comments)
            return comments.map(
              (c): GroupBuy.CommentOutcome => ({ commentId: c.commentId, status: "ordered", reason: "", events: [] })
            )
          })
      } as unknown as GroupBuy.GroupBuyService
      const storage = Storage.makeMemory()
      // a round opened by its events alone (no GroupBuy here)
      yield* storage.commit([
        {
          appends: [
            {
              stream: Storage.roundStream("r"),
              expectedVersion: 0,
              events: [
                {
                  type: "RoundCreated",
                  data: { _tag: "RoundCreated", spec: { id: "r", title: "r" }, at: OPEN },
                  at: OPEN
                },
                { type: "RoundOpened", data: { _tag: "RoundOpened", at: OPEN }, at: OPEN }
              ]
            }
          ],
          views: [],
          outbox: []
        }
      ])
      const layer = Inbound.layer().pipe(
        Layer.provide(Layer.mergeAll(Layer.succeed(GroupBuy.GroupBuy, fake), Layer.succeed(Storage.Storage, storage)))
      )
      const deliveries = Array.from({ length: 30 }, (_, d) =>
        Array.from({ length: 1 + (d % 3) }, (_, k) =>
          comment(`d${d}-${k}`, `u${d}`, "紅+1", { threadId: (d + k) % 2 === 0 ? "CA" : "CB" })
        )
      )
      yield* Effect.all(
        deliveries.map((events) => deliver(events)),
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(layer))
      expect(batches.length).toBeLessThan(deliveries.length)
      const submitted = batches.flat()
      expect(submitted).toHaveLength(deliveries.flat().length)
      for (const conversation of ["CA", "CB"]) {
        const expected = deliveries.flat().filter((e) => e.threadId === conversation)
        expect(submitted.filter((c) => c.threadId === conversation).map((c) => c.commentId)).toEqual(
          expected.map((e) => ("commentId" in e ? e.commentId : ""))
        )
      }
    })
  )
})

describe("Inbound: a property", () => {
  const texts = ["紅+1", "白+1", "蛋黃酥+2", "取消", "紅-1", "改3", "hello?", "杯+1"]
  const authors = ["amy", "ben", "cat"]
  /** A delivery sequence: comments, edits and unsends of earlier comments, stickers. */
  const arbDeliveries = fc
    .array(
      fc.array(
        fc.record({
          kind: fc.constantFrom("comment", "comment", "comment", "edit", "unsend", "sticker"),
          text: fc.constantFrom(...texts),
          author: fc.constantFrom(...authors),
          target: fc.nat(),
          thread: fc.constantFrom("CA", "CB")
        }),
        { minLength: 1, maxLength: 3 }
      ),
      { minLength: 1, maxLength: 8 }
    )
    .map((spec) => {
      let n = 0
      const comments: Array<{ readonly id: string; readonly author: string; readonly thread: string }> = []
      return spec.map((delivery) =>
        delivery.map((e): Event => {
          n++
          const when = at(n)
          const target = comments[e.target % Math.max(1, comments.length)]
          if (e.kind === "edit" && target)
            return {
              ...edited(target.id, target.author, e.text, `ev-${n}`, when),
              threadId: target.thread
            }
          if (e.kind === "unsend" && target) return { ...unsent(target.id, `ev-${n}`, when), threadId: target.thread }
          if (e.kind === "sticker")
            return {
              _tag: "NonText",
              channel: "line",
              eventId: `ev-${n}`,
              at: when,
              commentId: `s${n}`,
              threadId: e.thread,
              author: { id: e.author },
              kind: "sticker"
            }
          const id = `m${n}`
          comments.push({ id, author: e.author, thread: e.thread })
          return comment(id, e.author, e.text, { eventId: `ev-${n}`, at: when, threadId: e.thread })
        })
      )
    })
  /** Before each delivery: earlier deliveries delivered again, some racing it. */
  const arbRedeliveries = fc.array(
    fc.record({ before: fc.nat(), which: fc.nat(), racing: fc.boolean(), restart: fc.boolean() }),
    { maxLength: 8 }
  )

  it.live("any redelivery, at any point, racing the next delivery or after a restart, gives the same round", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(arbDeliveries, arbRedeliveries, async (deliveries, redeliveries) => {
          const once = await Effect.runPromise(
            Effect.gen(function* () {
              yield* openRound("r")
              for (const d of deliveries) yield* deliver(d)
              return yield* snapshot("r")
            }).pipe(Effect.provide(processOver(Storage.layerMemory)))
          )
          const database = Storage.memoryDatabase()
          const worker = () => processOver(Storage.layerMemoryWith({ database }))
          const again = await Effect.runPromise(
            Effect.scoped(
              Effect.gen(function* () {
                let current = yield* Layer.build(worker())
                yield* openRound("r").pipe(Effect.provide(current))
                for (let i = 0; i < deliveries.length; i++) {
                  const extra = i === 0 ? [] : redeliveries.filter((r) => r.before % deliveries.length === i)
                  for (const r of extra) {
                    const earlier = deliveries[r.which % i]!
                    if (r.restart) current = yield* Layer.build(worker())
                    const ctx = current
                    if (r.racing)
                      yield* Effect.all(
                        [deliver(earlier).pipe(Effect.provide(ctx)), deliver(deliveries[i]!).pipe(Effect.provide(ctx))],
                        { concurrency: "unbounded" }
                      )
                    else yield* deliver(earlier).pipe(Effect.provide(ctx))
                  }
                  // delivered (again, when it raced above: a redelivery of the newest)
                  yield* deliver(deliveries[i]!).pipe(Effect.provide(current))
                }
                for (const d of deliveries) yield* deliver(d).pipe(Effect.provide(current))
                return yield* snapshot("r").pipe(Effect.provide(current))
              })
            )
          )
          expect(again).toEqual(once)
        }),
        { numRuns: 40 }
      )
    )
  )
})
