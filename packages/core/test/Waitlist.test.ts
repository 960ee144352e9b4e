import { describe, expect, it } from "@effect/vitest"
import { Round } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

// Issue 16's stock policies in the Round decider: the waiting list (候補), stock released after the
// close, pre-order arrival (預購到貨), the round's own minimum, and the replace policy's stock.

const policies = (overrides: Record<string, unknown> = {}) =>
  spec({
    waitlist: true,
    products: [
      {
        sku: "SOCK",
        name: "毛襪",
        price: 120,
        options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
        variants: [
          { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 3 },
          { sku: "SOCK-W", options: { 顏色: "白" }, stock: 2, price: 130, limitPerBuyer: 1 }
        ]
      },
      { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4 },
      { sku: "CUP", name: "保溫杯", price: 450, stock: 2 }
    ],
    ...overrides
  })

const parser = testParser.compile({
  catalogue: catalogueOf(policies()),
  settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
})

const opened = (sp = policies()) => {
  const s1 = Round.fold(
    Result.getOrThrow(Round.decide({ _tag: "Create", spec: sp, at: "2024-05-01T09:00:00+08:00" }, Round.initialState))
  )
  return Round.fold(Result.getOrThrow(Round.decide({ _tag: "Open", at: "2024-05-01T09:00:00+08:00" }, s1)), s1)
}

let n = 0
const comment = (buyer: string, text: string): Round.Command => ({
  _tag: "HandleComment",
  comment: {
    commentId: `c${++n}`,
    buyerId: `line:${buyer}`,
    buyer: { id: buyer, name: buyer },
    text,
    at: "2024-05-01T10:00:00+08:00",
    parsed: parser.parse(text)
  },
  newOrderId: `o${n}`
})

const at = "2024-05-02T10:00:00+08:00"

const run = (state: Round.State, ...commands: Array<Round.Command>) => {
  let s = state
  const all: Array<Round.Event> = []
  for (const c of commands) {
    const evs = Result.getOrThrow(Round.decide(c, s))
    all.push(...evs)
    s = Round.fold(evs, s)
  }
  return { state: s, events: all }
}

const held = (state: Round.State, buyer: string, sku: string): number =>
  Round.allOrders(state)
    .filter((o) => o.buyerId === `line:${buyer}`)
    .reduce((t, o) => t + (o.lines.find((l) => l.sku === sku)?.qty ?? 0), 0)

const waiting = (state: Round.State, sku: string) => (state.waiting[sku] ?? []).map((w) => [w.buyerId, w.qty])

const promotedOf = (events: ReadonlyArray<Round.Event>) =>
  events.flatMap((e) => (e._tag === "WaitlistPromoted" ? [[e.buyerId, e.sku, e.qty, e.remaining]] : []))

describe("Round waiting list (候補)", () => {
  it("a comment on a sold-out SKU joins its list in order; a repeat keeps the place", () => {
    const { state, events } = run(
      opened(),
      comment("a", "紅+3"),
      comment("b", "紅+2"),
      comment("c", "紅+1"),
      comment("b", "紅+1")
    )
    expect(waiting(state, "SOCK-R")).toEqual([
      ["line:b", 1],
      ["line:c", 1]
    ])
    expect(Round.placeOf(state, "SOCK-R", "line:c")).toBe(2)
    // The not-ordered line stays (the organiser's list of what did not fit), the join follows it.
    expect(events.filter((e) => e._tag === "WaitlistJoined").map((e) => e.buyerId)).toEqual([
      "line:b",
      "line:c",
      "line:b"
    ])
  })

  it("stock freed by a cancel, an amendment, a line cancel or a restock goes down the list in order", () => {
    const s0 = run(opened(), comment("a", "紅+3"), comment("b", "紅+2"), comment("c", "紅+1"), comment("d", "紅+1"))
    // A withdrawn order: 3 units back; b wants 2, c 1, d waits.
    const cancelled = run(s0.state, comment("a", "取消"))
    expect(promotedOf(cancelled.events)).toEqual([
      ["line:b", "SOCK-R", 2, 0],
      ["line:c", "SOCK-R", 1, 0]
    ])
    expect(waiting(cancelled.state, "SOCK-R")).toEqual([["line:d", 1]])
    expect(cancelled.state.stock["SOCK-R"]).toEqual({ left: 0, sold: 3 })
    // The promoted buyers have orders with the lines, as an order is placed.
    expect(held(cancelled.state, "b", "SOCK-R")).toBe(2)
    const ordered = cancelled.events.filter((e) => e._tag === "LinesOrdered")
    expect(ordered.map((e) => [e.buyerId, e.newOrder, e.lines])).toEqual([
      ["line:b", true, [{ sku: "SOCK-R", qty: 2, unitPrice: 120 }]],
      ["line:c", true, [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }]]
    ])
    // An amendment that lowers a quantity.
    const amended = run(s0.state, comment("a", "改2"))
    expect(promotedOf(amended.events)).toEqual([["line:b", "SOCK-R", 1, 1]])
    // A restock.
    const restocked = run(s0.state, { _tag: "Restock", sku: "SOCK-R", add: 5, at })
    expect(promotedOf(restocked.events)).toEqual([
      ["line:b", "SOCK-R", 2, 0],
      ["line:c", "SOCK-R", 1, 0],
      ["line:d", "SOCK-R", 1, 0]
    ])
    expect(restocked.state.waiting).toEqual({})
    expect(restocked.state.stock["SOCK-R"]).toEqual({ left: 1, sold: 7 })
  })

  it("nobody jumps the list: while buyers wait, a newcomer's order waits behind them", () => {
    const sp = policies({ partialFill: "reject" })
    const s0 = run(opened(sp), comment("a", "紅+2"), comment("b", "紅+3"))
    // 1 left, b waits for 3 (all or nothing): a newcomer asking 1 does not take it.
    expect(s0.state.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
    const late = run(s0.state, comment("c", "紅+1"))
    expect(held(late.state, "c", "SOCK-R")).toBe(0)
    expect(waiting(late.state, "SOCK-R")).toEqual([
      ["line:b", 3],
      ["line:c", 1]
    ])
    // a cancels: 3 left, b (the head) gets all 3, c keeps waiting.
    const freed = run(late.state, comment("a", "取消"))
    expect(promotedOf(freed.events)).toEqual([["line:b", "SOCK-R", 3, 0]])
    expect(waiting(freed.state, "SOCK-R")).toEqual([["line:c", 1]])
  })

  it("promotion respects the per-buyer limit: a buyer at the limit leaves the list", () => {
    // SOCK-W: stock 2, limit 1 per buyer.
    const s0 = run(opened(), comment("a", "白+1"), comment("b", "白+1"), comment("c", "白+1"), comment("b", "白+1"))
    expect(waiting(s0.state, "SOCK-W")).toEqual([["line:c", 1]])
    const s1 = run(s0.state, { _tag: "Restock", sku: "SOCK-W", add: 1, at })
    expect(promotedOf(s1.events)).toEqual([["line:c", "SOCK-W", 1, 0]])
    // Over the limit is never a place on the list (b asked again while holding 1: over-limit).
    expect(s0.events.filter((e) => e._tag === "WaitlistJoined" && e.buyerId === "line:b")).toEqual([])
  })

  it("a buyer who cancels leaves the list (told, not sent to review)", () => {
    const s0 = run(opened(), comment("a", "杯+2"), comment("b", "杯+1"), comment("c", "杯+1"))
    const left = run(s0.state, comment("b", "取消"))
    expect(left.events.map((e) => e._tag)).toEqual(["CommentIgnored", "WaitlistLeft"])
    expect(waiting(left.state, "CUP")).toEqual([["line:c", 1]])
    expect(Round.openReviews(left.state)).toEqual([])
  })

  it("an organiser's cancel frees stock down the list too", () => {
    const s0 = run(opened(), comment("a", "杯+2"), comment("b", "杯+1"))
    const orderId = Round.orders(s0.state)[0]!.orderId
    const { events } = run(s0.state, { _tag: "CancelOrder", orderId, reason: "organiser", at })
    expect(promotedOf(events)).toEqual([["line:b", "CUP", 1, 0]])
  })
})

describe("Round: stock released after the close", () => {
  it("a confirmed order released after the close gives its units back and promotes into a new order", () => {
    const s0 = run(opened(), comment("a", "杯+2"), comment("b", "杯+1"), comment("b", "紅+1"))
    const closed = run(s0.state, { _tag: "Close", at, reason: "manual" })
    const a = Round.orders(closed.state).find((o) => o.buyerId === "line:a")!
    const b = Round.orders(closed.state).find((o) => o.buyerId === "line:b")!
    const released = run(closed.state, { _tag: "ReleaseOrder", orderId: a.orderId, reason: "unpaid", at })
    expect(released.events.map((e) => e._tag)).toEqual(["OrderReleased", "WaitlistPromoted", "LinesOrdered"])
    const promoted = released.events.find((e) => e._tag === "LinesOrdered")!
    // After the close b's order is confirmed: the promotion is an order of its own.
    expect(promoted.newOrder).toBe(true)
    expect(promoted.orderId).not.toBe(b.orderId)
    expect(promoted.orderId).toBe(Round.promotedOrderId("socks", promoted.seq))
    expect(released.state.stock["CUP"]).toEqual({ left: 1, sold: 1 })
    // b's confirmed order is kept, as it was (sealed), and the new one is in the book.
    expect(Round.allOrders(released.state).map((o) => [o.orderId, o.lines.map((l) => [l.sku, l.qty])])).toEqual([
      [b.orderId, [["SOCK-R", 1]]],
      [promoted.orderId, [["CUP", 1]]]
    ])
    // Released once: a retry decides nothing.
    expect(
      Result.getOrThrow(Round.decide({ _tag: "ReleaseOrder", orderId: a.orderId, reason: "x", at }, released.state))
    ).toEqual([])
    // An order of an open round's book is cancelled with CancelOrder, not released.
    expect(
      Result.isFailure(Round.decide({ _tag: "ReleaseOrder", orderId: b.orderId, reason: "x", at }, s0.state))
    ).toBe(true)
  })

  it("property: whatever is ordered, cancelled and released, stock + ordered = initial, and nothing oversells", () => {
    const texts = ["紅+1", "紅+2", "白+1", "杯+1", "杯+2", "蛋黃酥+2", "取消", "改1", "紅-1", "紅+1 紅+2"]
    const initial: Record<string, number> = { "SOCK-R": 3, "SOCK-W": 2, EGG: 4, CUP: 2 }
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc.record({ buyer: fc.constantFrom("a", "b", "c", "d"), text: fc.constantFrom(...texts) })
            },
            { weight: 1, arbitrary: fc.record({ release: fc.nat({ max: 9 }) }) },
            { weight: 1, arbitrary: fc.record({ close: fc.constant(true) }) }
          ),
          { maxLength: 50 }
        ),
        fc.constantFrom("fill-and-report", "reject"),
        fc.constantFrom("add", "replace"),
        (steps, partialFill, repeatOrder) => {
          let s = opened(policies({ partialFill, repeatOrder }))
          for (const step of steps) {
            const command: Round.Command =
              "buyer" in step
                ? comment(step.buyer, step.text)
                : "close" in step
                  ? { _tag: "Close", at, reason: "manual" }
                  : {
                      _tag: "ReleaseOrder",
                      orderId:
                        Round.allOrders(s)[step.release % Math.max(1, Round.allOrders(s).length)]?.orderId ?? "none",
                      reason: "x",
                      at
                    }
            const d = Round.decide(command, s)
            if (Result.isFailure(d)) continue
            // Serves in order: each promotion is for the buyer at the head of the list.
            let t = s
            for (const e of d.success) {
              if (e._tag === "WaitlistPromoted") expect(t.waiting[e.sku]?.[0]?.buyerId).toBe(e.buyerId)
              t = Round.evolve(t, e)
            }
            s = t
            for (const [sku, total] of Object.entries(initial)) {
              const stock = s.stock[sku]!
              const ordered = Round.allOrders(s).reduce((q, o) => q + (o.lines.find((l) => l.sku === sku)?.qty ?? 0), 0)
              expect(stock.left! + stock.sold).toBe(total)
              expect(stock.sold).toBe(ordered)
              expect(stock.left).toBeGreaterThanOrEqual(0)
              // Under fill-and-report, nobody waits while units are left.
              if (partialFill === "fill-and-report" && s.waiting[sku] !== undefined) expect(stock.left).toBe(0)
            }
            // Nobody waits twice for a SKU.
            for (const queue of Object.values(s.waiting))
              expect(new Set(queue.map((w) => w.buyerId)).size).toBe(queue.length)
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("Round: a waiting list across 流團 and a reopening", () => {
  it("units a product's 流團 gave back go to its waiting buyers first when the round reopens", () => {
    const sp = policies({
      products: [{ sku: "CUP", name: "保溫杯", price: 450, stock: 2, minimum: 3 }]
    })
    const s0 = run(opened(sp), comment("a", "杯+2"), comment("b", "杯+1"))
    const closed = run(s0.state, { _tag: "Close", at, reason: "manual" }, { _tag: "ApplyMinimums", at })
    expect(closed.state.stock["CUP"]).toEqual({ left: 2, sold: 0 })
    expect(waiting(closed.state, "CUP")).toEqual([["line:b", 1]])
    const reopened = run(closed.state, { _tag: "Reopen", cutoff: null, at })
    expect(reopened.events.map((e) => e._tag)).toEqual([
      "RoundReopened",
      "RoundCutoffChanged",
      "WaitlistPromoted",
      "LinesOrdered"
    ])
    expect(held(reopened.state, "b", "CUP")).toBe(1)
    expect(reopened.state.waiting).toEqual({})
  })
})

describe("Round: the replace policy's stock (a SKU twice in one comment)", () => {
  it("紅+2 紅+2 from a buyer with an order moves the stock as the line moves", () => {
    const sp = policies({ repeatOrder: "replace", waitlist: false })
    const { state, events } = run(opened(sp), comment("a", "紅+1"), comment("a", "紅+2 紅+2"))
    expect(held(state, "a", "SOCK-R")).toBe(2)
    expect(state.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
    const set = events.filter((e) => e._tag === "LinesSet")
    expect(set.map((e) => e.lines)).toEqual([[{ sku: "SOCK-R", from: 1, to: 2, unitPrice: 120 }]])
  })

  it("the last quantity wins, up or down, and the stock follows", () => {
    const sp = policies({ repeatOrder: "replace", waitlist: false })
    const { state } = run(opened(sp), comment("a", "紅+1"), comment("a", "紅+3 紅+2"))
    expect(held(state, "a", "SOCK-R")).toBe(2)
    expect(state.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
    const { state: s2 } = run(opened(sp), comment("a", "紅+2"), comment("a", "紅+1 紅+2"))
    expect(held(s2, "a", "SOCK-R")).toBe(2)
    expect(s2.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
  })
})

describe("Round: pre-order arrival (預購到貨) and the round's minimum", () => {
  it("marks pre-order SKUs arrived (a product names its pre-order SKUs); refuses others", () => {
    const s0 = opened(policies({ preorderArrival: true }))
    expect(Round.notArrived(s0, [{ sku: "EGG" }, { sku: "CUP" }])).toEqual(["EGG"])
    // Without the setting nothing is held.
    expect(Round.notArrived(opened(), [{ sku: "EGG" }])).toEqual([])
    const { state, events } = run(s0, { _tag: "MarkArrived", skus: ["EGG"], at })
    expect(events).toEqual([{ _tag: "PreorderArrived", skus: ["EGG"], at }])
    expect(Round.notArrived(state, [{ sku: "EGG" }])).toEqual([])
    expect(Result.getOrThrow(Round.decide({ _tag: "MarkArrived", skus: ["EGG"], at }, state))).toEqual([])
    const refused = Round.decide({ _tag: "MarkArrived", skus: ["CUP"], at }, s0)
    expect(Result.isFailure(refused) && refused.failure.reason).toBe("not-preorder")
  })

  it("a round under its minimumOrders at the close is 流團 as a whole", () => {
    const sp = policies({ minimumOrders: 3 })
    const s0 = run(opened(sp), comment("a", "杯+1"), comment("b", "紅+2"))
    const closed = run(s0.state, { _tag: "Close", at, reason: "manual" }, { _tag: "ApplyMinimums", at })
    const below = closed.events.find((e) => e._tag === "RoundBelowMinimum")!
    expect(below).toMatchObject({ minimum: 3, ordered: 2 })
    expect(below.lines.map((l) => [l.buyerId, l.sku, l.qty])).toEqual([
      ["line:a", "CUP", 1],
      ["line:b", "SOCK-R", 2]
    ])
    expect(Round.orders(closed.state)).toEqual([])
    expect(closed.state.stock["SOCK-R"]).toEqual({ left: 3, sold: 0 })
    // Decides nothing again.
    expect(Result.getOrThrow(Round.decide({ _tag: "ApplyMinimums", at }, closed.state))).toEqual([])
    // Three orders proceed.
    const enough = run(opened(sp), comment("a", "杯+1"), comment("b", "紅+2"), comment("c", "白+1"))
    const ok = run(enough.state, { _tag: "Close", at, reason: "manual" }, { _tag: "ApplyMinimums", at })
    expect(ok.events.map((e) => e._tag)).toEqual(["RoundClosed"])
  })
})
