/**
 * The organiser's changes to a running round (issue 16): the Round decider's change commands, and
 * the `RoundChanges` use cases over storage (events, read models, the cutoff job, the parser).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  CommentParser,
  GroupBuy,
  IdGenerator,
  Inbound,
  ReadModels,
  Round,
  RoundChanges,
  Scheduler,
  Storage
} from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import fc from "fast-check"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

// ---------------------------------------------------------------------------------------------
// The decider
// ---------------------------------------------------------------------------------------------

const s0 = spec()
const parserFor = (s: Round.State) =>
  testParser.compile({
    catalogue: s.catalogue ?? catalogueOf(s0),
    settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
  })

const opened = () => {
  const s1 = Round.fold(
    Result.getOrThrow(Round.decide({ _tag: "Create", spec: s0, at: "2024-05-01T09:00:00+08:00" }, Round.initialState))
  )
  return Round.fold(Result.getOrThrow(Round.decide({ _tag: "Open", at: "2024-05-01T09:00:00+08:00" }, s1)), s1)
}

let n = 0
const say =
  (buyer: string, text: string, at = "2024-05-01T10:00:00+08:00") =>
  (s: Round.State): Round.Command => ({
    _tag: "HandleComment",
    comment: {
      commentId: `c${++n}`,
      buyerId: `line:${buyer}`,
      buyer: { id: buyer },
      text,
      at,
      parsed: parserFor(s).parse(text)
    },
    newOrderId: `o${n}`
  })

const AT = "2024-05-02T00:00:00Z"

/** Runs commands (or functions of the state giving one); throws on a refusal. */
const run = (state: Round.State, ...commands: Array<Round.Command | ((s: Round.State) => Round.Command)>) => {
  let s = state
  const events: Array<Round.Event> = []
  for (const c of commands) {
    const d = Round.decide(typeof c === "function" ? c(s) : c, s)
    const evs = Result.getOrThrow(d)
    events.push(...evs)
    s = Round.fold(evs, s)
  }
  return { state: s, events }
}

const refusal = (state: Round.State, command: Round.Command) => {
  const d = Round.decide(command, state)
  return Result.isFailure(d) ? d.failure.reason : undefined
}

describe("Round: the organiser's changes", () => {
  it("pauses: comments are not ordered (reason paused) until it resumes; a payment report is kept", () => {
    const { state, events } = run(
      opened(),
      { _tag: "Pause", at: AT },
      say("amy", "紅+1"),
      say("amy", "已匯款 120 後五碼12345"),
      { _tag: "Resume", at: AT },
      say("amy", "紅+1")
    )
    expect(events.map((e) => e._tag)).toEqual([
      "RoundPaused",
      "CommentNotOrdered",
      "PaymentReported",
      "RoundResumed",
      "LinesOrdered"
    ])
    expect(events[1]).toMatchObject({ reason: "paused" })
    expect(Round.phaseOf(state)).toBe("open")
    // Pausing twice, or resuming an open round, changes nothing.
    expect(Round.decide({ _tag: "Resume", at: AT }, state)).toEqual(Result.succeed([]))
  })

  it("a paused round still closes at its cutoff", () => {
    const { state, events } = run(opened(), { _tag: "Pause", at: AT }, say("bob", "紅+1", "2024-05-10T22:00:01+08:00"))
    expect(events.map((e) => e._tag)).toEqual(["RoundPaused", "RoundClosed", "CommentNotOrdered"])
    expect(events.at(-1)).toMatchObject({ reason: "after-cutoff" })
    expect(Round.phaseOf(state)).toBe("closed")
  })

  it("restocks by adding or by a new total, never below what is sold; an unlimited SKU given a stock is in stock", () => {
    const { state } = run(opened(), say("amy", "紅+3"), { _tag: "Restock", sku: "SOCK-R", add: 2, at: AT })
    expect(state.stock["SOCK-R"]).toEqual({ left: 2, sold: 3 })
    expect(refusal(state, { _tag: "Restock", sku: "SOCK-R", stock: 2, at: AT })).toBe("below-sold")
    expect(refusal(state, { _tag: "Restock", sku: "CUP", add: 2, at: AT })).toBe("unlimited")
    expect(refusal(state, { _tag: "Restock", sku: "SOCK", add: 2, at: AT })).toBe("unknown-sku")
    expect(refusal(state, { _tag: "Restock", sku: "SOCK-R", at: AT })).toBe("invalid-change")
    const set = run(
      state,
      { _tag: "Restock", sku: "SOCK-R", stock: 3, at: AT },
      { _tag: "Restock", sku: "CUP", stock: 1, at: AT }
    )
    expect(set.events).toMatchObject([
      { _tag: "Restocked", sku: "SOCK-R", add: -2, stock: 3 },
      { _tag: "Restocked", sku: "CUP", add: 1, stock: 1 }
    ])
    expect(set.state.stock["SOCK-R"]).toEqual({ left: 0, sold: 3 })
    expect(set.state.catalogue!.bySku.get("CUP")!.supply).toEqual({ _tag: "InStock", qty: 1 })
    // The same total again changes nothing.
    expect(Round.decide({ _tag: "Restock", sku: "CUP", stock: 1, at: AT }, set.state)).toEqual(Result.succeed([]))
    // And the new stock sells out like any other.
    const after = run(set.state, say("bob", "杯+2"))
    expect(after.events).toMatchObject([
      { _tag: "LinesOrdered", lines: [{ sku: "CUP", qty: 1 }] },
      { _tag: "CommentNotOrdered", reason: "sold-out", qty: 1 }
    ])
  })

  it("a pre-order's restock moves its cap", () => {
    const { state } = run(opened(), say("amy", "蛋黃酥+4"), { _tag: "Restock", sku: "EGG", add: 6, at: AT })
    expect(state.stock.EGG).toEqual({ left: 6, sold: 4 })
    expect(state.catalogue!.bySku.get("EGG")!.supply).toEqual({ _tag: "Preorder", cap: 10 })
  })

  it("a new price is for new lines only: a placed line, and units added to it, keep their price", () => {
    const { state } = run(
      opened(),
      say("amy", "白+1"),
      say("amy", "杯+1"),
      { _tag: "SetPrice", sku: "SOCK", price: 100, at: AT },
      { _tag: "SetPrice", sku: "SOCK-W", price: 150, at: AT },
      { _tag: "SetPrice", sku: "CUP", price: 400, at: AT },
      say("amy", "杯+1"),
      say("bob", "白+1"),
      say("bob", "紅+1"),
      say("bob", "杯+1")
    )
    const [amy, bob] = Round.orders(state)
    expect(amy!.lines).toEqual([
      { sku: "SOCK-W", qty: 1, unitPrice: 130 },
      { sku: "CUP", qty: 2, unitPrice: 450 }
    ])
    expect(bob!.lines).toEqual([
      { sku: "SOCK-W", qty: 1, unitPrice: 150 },
      { sku: "SOCK-R", qty: 1, unitPrice: 100 },
      { sku: "CUP", qty: 1, unitPrice: 400 }
    ])
    expect(refusal(state, { _tag: "SetPrice", sku: "NOPE", price: 1, at: AT })).toBe("unknown-sku")
  })

  it("adds a product and a variant: the parser compiled from the new catalogue knows them", () => {
    const { state, events } = run(
      opened(),
      { _tag: "AddProduct", product: { sku: "HAT", name: "毛帽", price: 200, stock: 2 } as never, at: AT },
      {
        _tag: "AddVariant",
        productSku: "SOCK",
        variant: { sku: "SOCK-G", options: { 顏色: "綠" }, stock: 1 } as never,
        optionValues: { 顏色: { 綠: ["綠色"] } },
        at: AT
      },
      say("amy", "帽+1"),
      say("amy", "綠+1")
    )
    expect(events.map((e) => e._tag)).toEqual(["ProductAdded", "VariantAdded", "LinesOrdered", "LinesOrdered"])
    expect(state.stock).toMatchObject({ HAT: { left: 1, sold: 1 }, "SOCK-G": { left: 0, sold: 1 } })
    expect(state.catalogue!.bySku.get("SOCK-G")!.productNumber).toBe(1)
    expect(state.catalogue!.bySku.get("HAT")!.productNumber).toBe(4)
    // The same product again is a retry (nothing); another under its sku is refused.
    expect(
      Round.decide(
        { _tag: "AddProduct", product: { sku: "HAT", name: "毛帽", price: 200, stock: 2 } as never, at: AT },
        state
      )
    ).toEqual(Result.succeed([]))
    expect(refusal(state, { _tag: "AddProduct", product: { sku: "HAT", name: "帽", price: 1 } as never, at: AT })).toBe(
      "invalid-catalogue"
    )
    expect(refusal(state, { _tag: "AddVariant", productSku: "CUP", variant: { sku: "CUP-2" } as never, at: AT })).toBe(
      "invalid-catalogue"
    )
  })

  it("moves the cutoff: later comments close the round at the new one; a cutoff that has passed is refused", () => {
    const moved = run(opened(), { _tag: "SetCutoff", cutoff: "2024-05-12T22:00:00+08:00", at: AT })
    const { events } = run(
      moved.state,
      say("amy", "紅+1", "2024-05-11T10:00:00+08:00"),
      say("bob", "紅+1", "2024-05-12T22:00:00+08:00")
    )
    expect(events.map((e) => e._tag)).toEqual(["LinesOrdered", "RoundClosed", "CommentNotOrdered"])
    expect(events[1]).toMatchObject({ at: "2024-05-12T22:00:00+08:00", reason: "cutoff" })
    expect(refusal(opened(), { _tag: "SetCutoff", cutoff: "2024-05-01T00:00:00Z", at: AT })).toBe("cutoff-passed")
    // Past the cutoff no change is taken: the round is closing.
    expect(refusal(opened(), { _tag: "EditTitle", title: "x", at: "2024-05-11T00:00:00Z" })).toBe("cutoff-passed")
    const none = run(opened(), { _tag: "SetCutoff", cutoff: null, at: AT })
    expect(none.state.cutoffMs).toBeUndefined()
    expect(run(none.state, say("amy", "紅+1", "2030-01-01T00:00:00Z")).events.map((e) => e._tag)).toEqual([
      "LinesOrdered"
    ])
  })

  it("reopens a closed round: the orders of the close are sealed as they were; a buyer's next +1 is a new order", () => {
    const closed = run(opened(), say("amy", "紅+2"), { _tag: "Close", at: AT, reason: "manual" }).state
    expect(refusal(closed, { _tag: "Reopen", at: "2024-05-11T00:00:00Z" })).toBe("cutoff-passed")
    expect(refusal(closed, { _tag: "EditTitle", title: "x", at: AT })).toBe("not-open")
    const reopenAt = "2024-05-03T00:00:00Z"
    const { state, events } = run(
      closed,
      { _tag: "Reopen", cutoff: "2024-05-20T22:00:00+08:00", at: reopenAt },
      say("amy", "紅+1", "2024-05-04T00:00:00Z"),
      say("amy", "改3", "2024-05-04T00:01:00Z"),
      say("bob", "紅+1", "2024-05-02T12:00:00Z")
    )
    expect(events.map((e) => e._tag)).toEqual([
      "RoundReopened",
      "RoundCutoffChanged",
      "LinesOrdered",
      // The amendment of the new order wants 2 more: the 2 sealed units stay sold, so none are left.
      "CommentNotOrdered",
      // Sent while the round was closed, delivered after it reopened: not an order.
      "CommentForReview"
    ])
    expect(events[2]).toMatchObject({ newOrder: true })
    expect(state.sealed).toHaveLength(1)
    expect(state.sealed[0]!.lines).toEqual([{ sku: "SOCK-R", qty: 2, unitPrice: 120 }])
    expect(Round.allOrders(state).map((o) => [o.buyer.id, o.lines[0]!.qty])).toEqual([
      ["amy", 2],
      ["amy", 1]
    ])
    // Oversold never: 2 sealed + 1 new of 3.
    expect(state.stock["SOCK-R"]).toEqual({ left: 0, sold: 3 })
    expect(refusal(state, { _tag: "Reopen", at: AT })).toBe("not-closed")
    const cancel = run(
      closed,
      { _tag: "Reopen", cutoff: null, at: reopenAt },
      say("amy", "取消", "2024-05-04T00:00:00Z")
    )
    expect(cancel.events.at(-1)).toMatchObject({ _tag: "CommentForReview", reason: Round.SEALED })
    const settled = run(closed, { _tag: "Settle", at: AT }).state
    expect(refusal(settled, { _tag: "Reopen", cutoff: null, at: AT })).toBe("settled")
  })
})

// ---------------------------------------------------------------------------------------------
// The use cases over storage
// ---------------------------------------------------------------------------------------------

const makeLayer = (storage = Storage.makeMemory()) => {
  const base = Layer.mergeAll(
    Layer.succeed(Storage.Storage, storage),
    CommentParser.layer(testParser),
    IdGenerator.layerCounter
  )
  const groupBuy = GroupBuy.layer.pipe(Layer.provideMerge(base))
  return RoundChanges.layer.pipe(Layer.provideMerge(groupBuy))
}

const comment = (
  id: string,
  author: string,
  text: string,
  at = "2024-05-01T10:00:00+08:00"
): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at
})

const setup = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: spec(), at: "2024-05-01T09:00:00+08:00" })
  return { g, changes: yield* RoundChanges.RoundChanges, storage: yield* Storage.Storage }
})

/** {@link setup} with round settings (a waiting list…). */
const setupWith = (overrides: Record<string, unknown>) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    yield* g.openRound({ spec: spec(overrides), at: "2024-05-01T09:00:00+08:00" })
    return { g, changes: yield* RoundChanges.RoundChanges, storage: yield* Storage.Storage }
  })

const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

describe("RoundChanges use cases", () => {
  it.effect(
    "one change, all at once: the read models show it, the history lists it, a retry with its requestId is a duplicate",
    () =>
      Effect.gen(function* () {
        const { g, changes, storage } = yield* setup
        yield* g.submitComments({ roundId: "socks", comments: [comment("1", "amy", "紅+3")] })
        const change: RoundChanges.RoundChange = {
          title: "韓國毛襪 加開",
          cutoff: "2024-05-12T22:00:00+08:00",
          restock: [{ sku: "SOCK-R", add: 5 }],
          prices: [{ sku: "CUP", price: 400 }],
          addProducts: [{ sku: "HAT", name: "毛帽", price: 200, stock: 2 } as never],
          requestId: "r1"
        }
        const done = yield* changes.updateRound({ roundId: "socks", change, at: "2024-05-02T00:00:00Z" })
        expect(done.outcome).toBe("changed")
        expect(done.events.map((e) => e._tag)).toEqual([
          "ProductAdded",
          "PriceChanged",
          "Restocked",
          "RoundTitleChanged",
          "RoundCutoffChanged"
        ])
        const again = yield* changes.updateRound({ roundId: "socks", change, at: "2024-05-02T00:00:01Z" })
        expect(again.outcome).toBe("duplicate")
        const stock = yield* storage.stock({ roundId: "socks" })
        expect(stock.find((s) => s.sku === "SOCK-R")).toMatchObject({ left: 5, sold: 3 })
        expect(stock.find((s) => s.sku === "HAT")).toMatchObject({ left: 2, sold: 0 })
        const doc = yield* ReadModels.get(ReadModels.Rounds.definition, "socks")
        expect(doc).toMatchObject({ title: "韓國毛襪 加開", cutoff: "2024-05-12T22:00:00+08:00", status: "open" })
        const history = yield* changes.history("socks")
        expect(history.map((h) => h.event._tag)).toEqual([
          "RoundCreated",
          "RoundOpened",
          "ProductAdded",
          "PriceChanged",
          "Restocked",
          "RoundTitleChanged",
          "RoundCutoffChanged"
        ])
        // The same change without a requestId: the totals and names are there already, the `add` adds again.
        const { requestId: _, ...noId } = change
        const twice = yield* changes.updateRound({ roundId: "socks", change: noId, at: "2024-05-02T00:00:02Z" })
        expect(twice.events.map((e) => e._tag)).toEqual(["Restocked"])
      }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("the parser knows a product added while the round runs; an old order keeps its price", () =>
    Effect.gen(function* () {
      const { g, changes } = yield* setup
      yield* g.submitComments({
        roundId: "socks",
        comments: [comment("1", "amy", "杯+1"), comment("2", "bob", "帽+1")]
      })
      yield* changes.updateRound({
        roundId: "socks",
        change: {
          addProducts: [{ sku: "HAT", name: "毛帽", price: 200, stock: 2 } as never],
          prices: [{ sku: "CUP", price: 400 }]
        },
        at: "2024-05-02T00:00:00Z"
      })
      const out = yield* g.submitComments({
        roundId: "socks",
        comments: [
          comment("3", "cat", "帽+1", "2024-05-02T01:00:00Z"),
          comment("4", "dan", "杯+1", "2024-05-02T01:00:00Z")
        ]
      })
      expect(out.map((o) => o.status)).toEqual(["ordered", "ordered"])
      const r = yield* g.report("socks")
      expect(r.review.map((i) => i.commentId)).toEqual(["line:2"])
      expect(r.orders.map((o) => [o.buyer.id, o.total])).toEqual([
        ["amy", 450],
        ["cat", 200],
        ["dan", 400]
      ])
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("pause and resume: the report says paused; comments meanwhile are not ordered, reason paused", () =>
    Effect.gen(function* () {
      const { g, changes } = yield* setup
      const paused = yield* changes.updateRound({
        roundId: "socks",
        change: { paused: true },
        at: "2024-05-02T00:00:00Z"
      })
      expect(paused.phase).toBe("paused")
      expect((yield* g.report("socks")).status).toBe("paused")
      expect((yield* ReadModels.get(ReadModels.Rounds.definition, "socks"))?.status).toBe("paused")
      const out = yield* g.submitComments({
        roundId: "socks",
        comments: [comment("1", "amy", "紅+1", "2024-05-02T01:00:00Z")]
      })
      expect(out[0]).toMatchObject({ status: "not-ordered", reason: "paused" })
      expect((yield* g.report("socks")).notOrdered).toMatchObject([{ reason: "paused" }])
      yield* changes.updateRound({ roundId: "socks", change: { paused: false }, at: "2024-05-02T02:00:00Z" })
      expect((yield* ReadModels.get(ReadModels.Rounds.definition, "socks"))?.status).toBe("open")
      const later = yield* g.submitComments({
        roundId: "socks",
        comments: [comment("2", "amy", "紅+1", "2024-05-02T03:00:00Z")]
      })
      expect(later[0]!.status).toBe("ordered")
    }).pipe(Effect.provide(makeLayer()))
  )

  it.live("a paused round keeps its conversation: Inbound still routes its comments to it (not ordered, paused)", () =>
    Effect.gen(function* () {
      const { changes } = yield* setup
      const inbound = yield* Inbound.Inbound
      yield* changes.updateRound({ roundId: "socks", change: { paused: true }, at: "2024-05-02T00:00:00Z" })
      expect(yield* inbound.route("line", "Cgroup")).toEqual({ _tag: "Round", roundId: "socks" })
      const out = yield* inbound.deliver({
        events: [
          {
            _tag: "Comment",
            channel: "line",
            eventId: "ev-1",
            at: "2024-05-02T01:00:00Z",
            commentId: "m1",
            threadId: "Cgroup",
            author: { id: "amy", name: "amy" },
            text: "紅+1"
          }
        ]
      })
      expect(out.events).toMatchObject([{ _tag: "Comment", roundId: "socks", status: "not-ordered" }])
    }).pipe(Effect.provide(Inbound.layer({ openRoundsMaxAgeMs: 0 }).pipe(Layer.provideMerge(makeLayer()))))
  )

  it.effect("bad changes: the field is named, misspelt keys too, and nothing is written", () =>
    Effect.gen(function* () {
      const { changes, storage } = yield* setup
      const before = (yield* storage.readStream("round:socks")).version
      const typo = yield* failure(
        changes.updateRound({ roundId: "socks", change: { restock: [{ sku: "SOCK-R", stok: 3 }] } as never })
      )
      expect(typo).toMatchObject({ reason: "invalid-input" })
      expect(typo.message).toContain("restock")
      const empty = yield* failure(changes.updateRound({ roundId: "socks", change: {} }))
      expect(empty).toMatchObject({ reason: "invalid-input", field: "change" })
      const past = yield* failure(
        changes.updateRound({
          roundId: "socks",
          change: { cutoff: "2024-05-01T00:00:00Z" },
          at: "2024-05-02T00:00:00Z"
        })
      )
      expect(past).toMatchObject({ reason: "rejected", cause: { reason: "cutoff-passed" } })
      // All or nothing: the title is not changed when the restock is refused.
      const half = yield* failure(
        changes.updateRound({
          roundId: "socks",
          change: { title: "新", restock: [{ sku: "NOPE", add: 1 }] },
          at: "2024-05-02T00:00:00Z"
        })
      )
      expect(half).toMatchObject({ reason: "rejected", cause: { reason: "unknown-sku" } })
      expect((yield* storage.readStream("round:socks")).version).toBe(before)
      const unknown = yield* failure(changes.updateRound({ roundId: "nope", change: { title: "x" } }))
      expect(unknown.reason).toBe("unknown-round")
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("the cutoff job moves with the cutoff: the old time closes nothing, the new one closes the round", () =>
    Effect.gen(function* () {
      const { g, changes, storage } = yield* setup
      yield* g.submitComments({ roundId: "socks", comments: [comment("1", "amy", "紅+1")] })
      yield* changes.updateRound({
        roundId: "socks",
        change: { cutoff: "2024-05-12T22:00:00+08:00" },
        at: "2024-05-02T00:00:00Z"
      })
      const jobs = yield* storage.jobs({ kind: "round.cutoff" })
      expect(jobs).toMatchObject([{ id: "cutoff:socks", status: "pending", dueAt: "2024-05-12T22:00:00+08:00" }])
      // The old cutoff passes: nothing is due, the round stays open.
      expect((yield* Scheduler.runDue({ now: "2024-05-10T14:00:01.000Z" })).claimed).toBe(0)
      expect((yield* g.report("socks")).status).toBe("open")
      // A job that still carries the old cutoff (claimed before the move) closes nothing either.
      yield* Scheduler.schedule({
        id: "stale",
        kind: "round.cutoff",
        dueAt: "2024-05-10T22:00:00+08:00",
        payload: { roundId: "socks", cutoff: "2024-05-10T22:00:00+08:00" }
      })
      expect((yield* Scheduler.runDue({ now: "2024-05-10T14:00:02.000Z" })).done).toBe(1)
      expect((yield* g.report("socks")).status).toBe("open")
      const closed = yield* Scheduler.runDue({ now: "2024-05-12T14:00:00.000Z" })
      expect(closed.done).toBe(1)
      const r = yield* g.report("socks")
      expect(r.status).toBe("closed")
      expect(r.orders.map((o) => o.status)).toEqual(["awaiting-payment"])
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect(
    "the reminder before the cutoff moves with it, goes when the cutoff goes, and comes back after a reopening",
    () =>
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const changes = yield* RoundChanges.RoundChanges
        const storage = yield* Storage.Storage
        yield* g.openRound({ spec: { ...spec(), remindBeforeCutoff: "PT10M" }, at: "2024-05-01T09:00:00+08:00" })
        const reminders = () => storage.jobs({ kind: "round.remind" })
        expect(yield* reminders()).toMatchObject([{ id: "remind:socks", status: "pending" }])
        yield* changes.updateRound({
          roundId: "socks",
          change: { cutoff: "2024-05-12T22:00:00+08:00" },
          at: "2024-05-02T00:00:00Z"
        })
        expect(yield* reminders()).toMatchObject([
          { id: "remind:socks", status: "pending", dueAt: "2024-05-12T13:50:00.000Z" }
        ])
        yield* changes.updateRound({ roundId: "socks", change: { cutoff: null }, at: "2024-05-02T00:00:01Z" })
        expect(yield* reminders()).toMatchObject([{ id: "remind:socks", status: "cancelled" }])
        yield* g.closeRound({ roundId: "socks", at: "2024-05-02T00:00:02Z" })
        yield* changes.reopenRound({
          roundId: "socks",
          cutoff: "2024-05-20T22:00:00+08:00",
          at: "2024-05-03T00:00:00Z"
        })
        const after = yield* reminders()
        expect(after.find((j) => j.id === "remind:socks:reopened-1")).toMatchObject({
          status: "pending",
          dueAt: "2024-05-20T13:50:00.000Z",
          payload: { roundId: "socks", cutoff: "2024-05-20T22:00:00+08:00" }
        })
      }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("removing the cutoff cancels its job", () =>
    Effect.gen(function* () {
      const { changes, storage } = yield* setup
      yield* changes.updateRound({ roundId: "socks", change: { cutoff: null }, at: "2024-05-02T00:00:00Z" })
      expect(yield* storage.jobs({ kind: "round.cutoff" })).toMatchObject([{ id: "cutoff:socks", status: "cancelled" }])
      expect((yield* ReadModels.get(ReadModels.Rounds.definition, "socks"))?.cutoff).toBeUndefined()
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect(
    "reopen: the close's orders are confirmed and never change; new orders are new; a new cutoff job closes it again",
    () =>
      Effect.gen(function* () {
        const { g, changes, storage } = yield* setup
        yield* g.submitComments({ roundId: "socks", comments: [comment("1", "amy", "紅+2")] })
        yield* g.closeRound({ roundId: "socks", at: "2024-05-02T00:00:00Z" })
        const [confirmed] = yield* storage.orders({ roundId: "socks" })
        expect(confirmed!.status).toBe("awaiting-payment")
        const passed = yield* failure(changes.reopenRound({ roundId: "socks", at: "2024-05-11T00:00:00Z" }))
        expect(passed).toMatchObject({ reason: "rejected", cause: { reason: "cutoff-passed" } })
        const reopened = yield* changes.reopenRound({
          roundId: "socks",
          cutoff: "2024-05-20T22:00:00+08:00",
          at: "2024-05-03T00:00:00Z",
          requestId: "again"
        })
        expect(reopened).toMatchObject({ outcome: "changed", phase: "open" })
        expect((yield* changes.reopenRound({ roundId: "socks", requestId: "again" })).outcome).toBe("duplicate")
        expect((yield* ReadModels.get(ReadModels.Rounds.definition, "socks"))?.status).toBe("open")
        const out = yield* g.submitComments({
          roundId: "socks",
          comments: [
            comment("2", "amy", "紅+1", "2024-05-04T00:00:00Z"),
            comment("3", "bob", "紅+1", "2024-05-04T00:00:01Z")
          ]
        })
        expect(out.map((o) => o.status)).toEqual(["ordered", "not-ordered"])
        expect(out[0]!.orderId).not.toBe(confirmed!.orderId)
        expect(yield* storage.order(confirmed!.orderId)).toMatchObject({
          status: "awaiting-payment",
          lines: confirmed!.lines
        })
        expect(yield* storage.jobs({ kind: "round.cutoff" })).toMatchObject([
          { id: "cutoff:socks:reopened-1", status: "pending", dueAt: "2024-05-20T22:00:00+08:00" },
          { id: "cutoff:socks", status: "cancelled" }
        ])
        yield* Scheduler.runDue({ now: "2024-05-20T14:00:00.000Z" })
        const after = yield* storage.orders({ roundId: "socks" })
        expect(after.map((o) => [o.buyer.id, o.status, o.lines[0]!.qty])).toEqual([
          ["amy", "awaiting-payment", 2],
          ["amy", "awaiting-payment", 1]
        ])
        expect(yield* storage.order(confirmed!.orderId)).toEqual(confirmed)
      }).pipe(Effect.provide(makeLayer()))
  )
})

// ---------------------------------------------------------------------------------------------
// A property over storage: the organiser's changes among comments, closes and reopenings
// ---------------------------------------------------------------------------------------------

type Step =
  | { readonly comment: string; readonly buyer: string }
  | { readonly change: RoundChanges.RoundChange }
  | { readonly close: true }
  | { readonly reopen: true }
  | { readonly cancel: number }

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      comment: fc.constantFrom("紅+1", "白+1", "杯+2", "帽+1", "綠+1", "改2", "取消"),
      buyer: fc.constantFrom("a", "b", "c")
    })
  },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.record({ prices: fc.constant([{ sku: "SOCK", price: 99 }]) }),
        fc.record({ restock: fc.constant([{ sku: "SOCK-R", add: 1 }]) }),
        fc.record({ restock: fc.constant([{ sku: "SOCK-W", stock: 3 }]) }),
        fc.record({ addProducts: fc.constant([{ sku: "HAT", name: "毛帽", price: 200, stock: 1 } as never]) }),
        fc.record({
          addVariants: fc.constant([
            {
              productSku: "SOCK",
              variant: { sku: "SOCK-G", options: { 顏色: "綠" }, stock: 2 } as never,
              optionValues: { 顏色: { 綠: [] } }
            }
          ])
        }),
        fc.record({ paused: fc.boolean() }),
        fc.record({ title: fc.constantFrom("甲", "乙") })
      )
      .map((change) => ({ change }))
  },
  { weight: 1, arbitrary: fc.constant({ close: true as const }) },
  { weight: 1, arbitrary: fc.constant({ reopen: true as const }) },
  // The organiser cancels an order (before or after a close): with a waiting list its stock goes
  // down the list (issue 16).
  { weight: 1, arbitrary: fc.record({ cancel: fc.nat({ max: 9 }) }) }
)

describe("RoundChanges over storage (property)", () => {
  it("changes, closes and reopenings never change an order already placed, never oversell, and a confirmed order never changes", async () => {
    await fc.assert(
      // A close and a reopening in the middle of every run, more of either anywhere.
      fc.asyncProperty(
        fc.array(arbStep, { maxLength: 12 }),
        fc.array(arbStep, { maxLength: 12 }),
        fc.boolean(),
        async (a, b, waitlist) => {
          const steps: ReadonlyArray<Step> = [...a, { close: true }, { reopen: true }, ...b]
          const program = Effect.gen(function* () {
            const { g, changes, storage } = yield* waitlist ? setupWith({ waitlist: true }) : setup
            const minute = (i: number) => new Date(Date.parse("2024-05-02T00:00:00Z") + i * 60_000).toISOString()
            /** The price and, once confirmed, the whole view of every order line seen. */
            const prices = new Map<string, number>()
            const confirmed = new Map<string, string>()
            for (const [i, step] of steps.entries()) {
              const at = minute(i)
              if ("comment" in step)
                yield* g.submitComments({
                  roundId: "socks",
                  comments: [comment(`m${i}`, step.buyer, step.comment, at)]
                })
              else if ("change" in step)
                yield* Effect.ignore(changes.updateRound({ roundId: "socks", change: step.change, at }))
              else if ("close" in step) yield* g.closeRound({ roundId: "socks", at })
              else if ("cancel" in step) {
                const live = (yield* storage.orders({ roundId: "socks" })).filter(
                  (o) => o.status === "open" || o.status === "awaiting-payment"
                )
                const target = live[step.cancel % Math.max(1, live.length)]
                if (target !== undefined) {
                  // The one change an order may see: its cancellation, by the organiser.
                  confirmed.delete(target.orderId)
                  yield* g.cancelOrder({ orderId: target.orderId, reason: "organiser", at })
                }
              } else yield* Effect.ignore(changes.reopenRound({ roundId: "socks", cutoff: "2024-05-09T00:00:00Z", at }))
              const orders = yield* storage.orders({ roundId: "socks" })
              for (const o of orders) {
                // Once confirmed (at a close), an order's view never changes again here.
                const json = JSON.stringify({ lines: o.lines, total: o.total, status: o.status })
                const before = confirmed.get(o.orderId)
                if (before !== undefined) expect(json, o.orderId).toBe(before)
                else if (o.status !== "open" && o.status !== "cancelled") confirmed.set(o.orderId, json)
                for (const l of o.lines) {
                  const key = `${o.orderId}|${l.sku}`
                  const first = prices.get(key)
                  if (first === undefined) prices.set(key, l.unitPrice)
                  else expect(l.unitPrice, key).toBe(first)
                }
              }
              // Stock conserved: what the round counts sold is what the orders not cancelled hold.
              const held = (yield* storage.orders({ roundId: "socks" })).filter(
                (o) => o.status !== "cancelled" && o.status !== "refunded"
              )
              for (const s of yield* storage.stock({ roundId: "socks" })) {
                if (s.left !== null) expect(s.left, s.sku).toBeGreaterThanOrEqual(0)
                const sold = held.reduce((q, o) => q + (o.lines.find((l) => l.sku === s.sku)?.qty ?? 0), 0)
                expect(s.sold, s.sku).toBe(sold)
              }
            }
          })
          await Effect.runPromise(program.pipe(Effect.provide(makeLayer())))
        }
      ),
      { numRuns: 40 }
    )
  })
})
