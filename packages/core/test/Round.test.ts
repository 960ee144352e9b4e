import { describe, expect, it } from "@effect/vitest"
import { Round } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import * as PMap from "../src/internal/PersistentMap.js"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

const s0 = spec()
const parser = testParser.compile({
  catalogue: catalogueOf(s0),
  settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
})

const opened = (sp = s0) => {
  const created = Result.getOrThrow(
    Round.decide({ _tag: "Create", spec: sp, at: "2024-05-01T09:00:00+08:00" }, Round.initialState)
  )
  const s1 = Round.fold(created)
  return Round.fold(Result.getOrThrow(Round.decide({ _tag: "Open", at: "2024-05-01T09:00:00+08:00" }, s1)), s1)
}

let n = 0
const comment = (buyer: string, text: string, at = "2024-05-01T10:00:00+08:00"): Round.Command => ({
  _tag: "HandleComment",
  comment: {
    commentId: `c${++n}`,
    buyerId: `line:${buyer}`,
    buyer: { id: buyer, name: buyer },
    text,
    at,
    parsed: parser.parse(text)
  },
  newOrderId: `o${n}`
})

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

describe("Round decider", () => {
  it("sends a comment whose author the channel did not name to review, never into an order", () => {
    const s = opened()
    const anon = (text: string): Round.Command => ({
      _tag: "HandleComment",
      comment: {
        commentId: `c${++n}`,
        buyerId: "line:line:unknown-user",
        buyer: { id: "line:unknown-user", unknown: true },
        text,
        at: "2024-05-01T10:00:00+08:00",
        parsed: parser.parse(text)
      },
      newOrderId: `o${n}`
    })
    const { state, events } = run(s, anon("紅+1"), anon("白+2"), anon("謝謝"))
    expect(events.map((e) => e._tag)).toEqual(["CommentForReview", "CommentForReview", "CommentIgnored"])
    expect(Round.orders(state)).toEqual([])
    expect(Round.openReviews(state).map((r) => r.reason)).toEqual([
      "the channel did not say who wrote this",
      "the channel did not say who wrote this"
    ])
  })

  it("takes an order and counts stock down", () => {
    const { state, events } = run(opened(), comment("amy", "紅+2"))
    expect(events.map((e) => e._tag)).toEqual(["LinesOrdered"])
    expect(state.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
    expect(Round.orders(state)[0]!.lines).toEqual([{ sku: "SOCK-R", qty: 2, unitPrice: 120 }])
  })

  it("fills what is left on sell-out and reports the rest as sold out", () => {
    const { state, events } = run(opened(), comment("amy", "紅+2"), comment("bob", "紅+2"))
    expect(state.stock["SOCK-R"]!.left).toBe(0)
    const bob = Round.orders(state).find((o) => o.buyer.id === "bob")!
    expect(bob.lines[0]!.qty).toBe(1)
    const no = events.filter((e) => e._tag === "CommentNotOrdered")
    expect(no).toHaveLength(1)
    expect(no[0]).toMatchObject({ reason: "sold-out", sku: "SOCK-R", qty: 1 })
  })

  it("rejects the whole line under the reject policy", () => {
    const { state } = run(opened(spec({ partialFill: "reject" })), comment("amy", "紅+2"), comment("bob", "紅+2"))
    expect(state.stock["SOCK-R"]!.left).toBe(1)
    expect(Round.orders(state).map((o) => o.buyer.id)).toEqual(["amy"])
  })

  it("caps pre-orders and reports over-cap", () => {
    const { events } = run(opened(), comment("amy", "蛋黃酥+3"), comment("bob", "蛋黃酥+3"))
    expect(events.find((e) => e._tag === "CommentNotOrdered")).toMatchObject({ reason: "over-cap", qty: 2 })
  })

  it("adds a repeat +1 by default and replaces under the replace policy", () => {
    const add = run(opened(), comment("amy", "杯+1"), comment("amy", "杯+1"))
    expect(Round.orders(add.state)[0]!.lines[0]!.qty).toBe(2)
    const replace = run(opened(spec({ repeatOrder: "replace" })), comment("amy", "杯+1"), comment("amy", "杯+1"))
    expect(Round.orders(replace.state)[0]!.lines[0]!.qty).toBe(1)
  })

  it("amends and cancels before the cutoff, releasing stock", () => {
    const { state } = run(
      opened(),
      comment("amy", "紅+1"),
      comment("amy", "改3"),
      comment("bob", "白+2"),
      comment("bob", "取消")
    )
    expect(Round.orders(state).map((o) => [o.buyer.id, o.lines[0]!.qty])).toEqual([["amy", 3]])
    expect(state.stock["SOCK-W"]).toEqual({ left: 2, sold: 0 })
  })

  it("closes itself at the cutoff and labels later comments not ordered", () => {
    const { state, events } = run(opened(), comment("amy", "紅+1"), comment("bob", "紅+1", "2024-05-10T22:00:01+08:00"))
    expect(state.status).toBe("closed")
    expect(events.map((e) => e._tag)).toEqual(["LinesOrdered", "RoundClosed", "CommentNotOrdered"])
    expect(events.at(-1)).toMatchObject({ reason: "after-cutoff" })
    expect(state.stock["SOCK-R"]!.sold).toBe(1)
  })

  it("ignores the seller's own example comment", () => {
    const c = comment("團主小美", "紅+1")
    const { state, events } = run(opened(), c)
    expect(events[0]).toMatchObject({ _tag: "CommentIgnored", reason: "seller's own comment" })
    expect(Round.orders(state)).toHaveLength(0)
  })

  it("sends unknown names to review and a cancel without an order to review", () => {
    const { events } = run(opened(), comment("amy", "紫+1"), comment("bob", "取消"))
    expect(events.map((e) => e._tag)).toEqual(["CommentForReview", "CommentForReview"])
  })

  it("refuses to open twice or close a draft", () => {
    const s = opened()
    expect(Result.isFailure(Round.decide({ _tag: "Open", at: "x" }, s))).toBe(true)
    expect(Result.isFailure(Round.decide({ _tag: "Settle", at: "x" }, s))).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const texts = [
  "紅+1",
  "紅+2",
  "白+1",
  "白+3",
  "蛋黃酥+2",
  "杯+1",
  "紅+1 白+1",
  "取消",
  "改2",
  "紅-1",
  "紫+1",
  "有嗎?",
  "已匯款 240 後五碼12345"
]
const arbCommand = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      buyer: fc.constantFrom("a", "b", "c", "d", "團主小美"),
      text: fc.constantFrom(...texts),
      minute: fc.integer({ min: 0, max: 20000 })
    })
  },
  { weight: 1, arbitrary: fc.constant("close" as const) },
  { weight: 1, arbitrary: fc.constant("settle" as const) },
  { weight: 1, arbitrary: fc.record({ resolve: fc.nat({ max: 30 }), approve: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      resolve: fc.nat({ max: 30 }),
      action: fc.constantFrom("order" as const, "amend" as const, "cancel" as const, "dismiss" as const),
      qty: fc.integer({ min: 0, max: 4 }),
      sku: fc.constantFrom("SOCK-R", "SOCK-W", "EGG", "NOPE")
    })
  },
  { weight: 1, arbitrary: fc.record({ cancelOrder: fc.nat({ max: 30 }) }) },
  // The organiser's changes (issue 16).
  {
    weight: 1,
    arbitrary: fc.record({ change: fc.constant("title" as const), title: fc.constantFrom("新標題", "", "韓國毛襪") })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      change: fc.constant("cutoff" as const),
      minutes: fc.option(fc.integer({ min: -20000, max: 20000 }), { nil: null })
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      change: fc.constant("price" as const),
      sku: fc.constantFrom("SOCK", "SOCK-R", "SOCK-W", "EGG", "CUP", "HAT", "NOPE"),
      price: fc.integer({ min: 0, max: 999 })
    })
  },
  {
    weight: 2,
    arbitrary: fc.record({
      change: fc.constant("restock" as const),
      sku: fc.constantFrom("SOCK-R", "SOCK-W", "EGG", "CUP", "HAT", "SOCK", "NOPE"),
      add: fc.option(fc.integer({ min: -1, max: 4 }), { nil: undefined }),
      stock: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined })
    })
  },
  { weight: 1, arbitrary: fc.record({ change: fc.constantFrom("addProduct" as const, "addVariant" as const) }) },
  { weight: 2, arbitrary: fc.record({ change: fc.constantFrom("pause" as const, "resume" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      change: fc.constant("reopen" as const),
      minutes: fc.option(fc.integer({ min: -100, max: 20000 }), { nil: null })
    })
  }
)

const hat = { sku: "HAT", name: "毛帽", price: 200, stock: 2 }
const green = { sku: "SOCK-G", options: { 顏色: "綠" }, stock: 1 }

/** A change command at a fixed time (the comments' times are random: some fall after it). */
const changeCommand = (c: any): Round.Command => {
  const at = "2024-05-05T00:00:00Z"
  const shifted = (minutes: number | null) =>
    minutes === null ? null : new Date(Date.parse(at) + minutes * 60_000).toISOString()
  switch (c.change) {
    case "title":
      return { _tag: "EditTitle", title: c.title, at }
    case "cutoff":
      return { _tag: "SetCutoff", cutoff: shifted(c.minutes), at }
    case "price":
      return { _tag: "SetPrice", sku: c.sku, price: c.price, at }
    case "restock":
      return { _tag: "Restock", sku: c.sku, add: c.add, stock: c.stock, at }
    case "addProduct":
      return { _tag: "AddProduct", product: hat as any, at }
    case "addVariant":
      return {
        _tag: "AddVariant",
        productSku: "SOCK",
        variant: green as any,
        optionValues: { 顏色: { 綠: ["綠色"] } },
        at
      }
    case "pause":
      return { _tag: "Pause", at }
    case "resume":
      return { _tag: "Resume", at }
    default:
      return { _tag: "Reopen", cutoff: shifted(c.minutes), at }
  }
}

const cutoffMs = Date.parse("2024-05-10T22:00:00+08:00")
const toCommand = (
  c: fc.Arbitrary<unknown> extends never ? never : any,
  state: Round.State,
  i: number
): Round.Command => {
  if (c === "close") return { _tag: "Close", at: "2024-05-09T00:00:00Z", reason: "manual" }
  if (c === "settle") return { _tag: "Settle", at: "2024-05-11T00:00:00Z" }
  if ("change" in c) return changeCommand(c)
  if ("cancelOrder" in c) {
    const book = [...Round.orders(state)]
    return {
      _tag: "CancelOrder",
      orderId: book[c.cancelOrder % Math.max(1, book.length)]?.orderId ?? "none",
      reason: "organiser",
      at: "2024-05-02T00:00:00Z"
    }
  }
  if ("resolve" in c) {
    const open = Round.openReviews(state)
    const r = open[c.resolve % Math.max(1, open.length)]
    if ("action" in c)
      return {
        _tag: "ResolveReview",
        commentId: r?.commentId ?? "none",
        approve: c.action === "order" || c.action === "amend" ? [{ sku: c.sku, qty: c.qty }] : [],
        action: c.action,
        newOrderId: `or${i}`,
        at: "2024-05-02T00:00:00Z"
      }
    return {
      _tag: "ResolveReview",
      commentId: r?.commentId ?? "none",
      approve: c.approve ? [{ sku: "SOCK-R", qty: 1 }] : [],
      newOrderId: `or${i}`,
      at: "2024-05-02T00:00:00Z"
    }
  }
  const at = new Date(cutoffMs - 10_000 * 60_000 + c.minute * 60_000).toISOString()
  return {
    _tag: "HandleComment",
    comment: {
      commentId: `p${i}`,
      buyerId: `line:${c.buyer}`,
      buyer: { id: c.buyer },
      text: c.text,
      at,
      parsed: parser.parse(c.text)
    },
    newOrderId: `o${i}`
  }
}

describe("Round properties", () => {
  it("no event sequence oversells in-stock items or exceeds a pre-order cap", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 60 })), ([cmds]) => {
        let s = opened()
        for (const [i, c] of cmds.entries()) {
          const d = Round.decide(toCommand(c, s, i), s)
          if (Result.isSuccess(d)) s = Round.fold(d.success, s)
          for (const [sku, st] of Object.entries(s.stock)) {
            if (st.left !== null) expect(st.left, sku).toBeGreaterThanOrEqual(0)
          }
          // Stock sold equals the quantities in the book.
          const booked: Record<string, number> = {}
          for (const o of Round.allOrders(s)) for (const l of o.lines) booked[l.sku] = (booked[l.sku] ?? 0) + l.qty
          for (const [sku, st] of Object.entries(s.stock)) expect(st.sold, sku).toBe(booked[sku] ?? 0)
        }
      })
    )
  })

  it("no order changes after the cutoff or the close, reopened or not", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 60 })), ([cmds]) => {
        let s = opened()
        /** Every order as it was when its round closed, by id. */
        const frozen = new Map<string, string>()
        for (const [i, c] of cmds.entries()) {
          const d = Round.decide(toCommand(c, s, i), s)
          if (Result.isSuccess(d)) s = Round.fold(d.success, s)
          const all = new Map(Round.allOrders(s).map((o) => [o.orderId, JSON.stringify(o)]))
          for (const [id, json] of frozen) expect(all.get(id), id).toBe(json)
          if (s.status !== "open") for (const [id, json] of all) frozen.set(id, json)
        }
      })
    )
  })

  it("an edited round never changes an order already placed; a line keeps the price it was ordered at", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 80 })), ([cmds]) => {
        let s = opened()
        const prices = new Map<string, number>()
        for (const [i, c] of cmds.entries()) {
          const command = toCommand(c, s, i)
          const d = Round.decide(command, s)
          if (Result.isFailure(d)) continue
          const before = JSON.stringify(Round.allOrders(s))
          s = Round.fold(d.success, s)
          if (typeof c === "object" && "change" in c) {
            expect(JSON.stringify(Round.allOrders(s))).toBe(before)
            for (const e of d.success) expect(Round.changeEventTags as ReadonlyArray<string>).toContain(e._tag)
          }
          // The events say the price the units were taken at: the line's own.
          for (const e of d.success)
            if (e._tag === "LinesOrdered" || e._tag === "LinesSet") {
              const entry = Round.allOrders(s).find((o) => o.orderId === e.orderId)
              for (const l of e.lines) {
                const line = entry?.lines.find((x) => x.sku === l.sku)
                if (line) expect(l.unitPrice, `${e._tag} ${l.sku}`).toBe(line.unitPrice)
              }
            }
          for (const o of Round.allOrders(s))
            for (const l of o.lines) {
              const key = `${o.orderId}|${l.sku}`
              const first = prices.get(key)
              if (first === undefined) prices.set(key, l.unitPrice)
              else expect(l.unitPrice, key).toBe(first)
            }
        }
      })
    )
  })

  it("a price change never reaches units taken on a line ordered before it (events and book agree)", () => {
    // Only orders and price changes, before the cutoff: every repeat "+N" after a change is the case.
    const step = fc.oneof(
      fc.record({ buyer: fc.constantFrom("a", "b"), text: fc.constantFrom("紅+1", "杯+1", "白+1", "杯+2") }),
      fc.record({ sku: fc.constantFrom("SOCK", "SOCK-R", "CUP"), price: fc.integer({ min: 1, max: 999 }) })
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.boolean(), (steps, replace) => {
        let s = opened(replace ? spec({ repeatOrder: "replace" }) : s0)
        const first = new Map<string, number>()
        for (const [i, c] of steps.entries()) {
          const command: Round.Command =
            "sku" in c
              ? { _tag: "SetPrice", sku: c.sku, price: c.price, at: "2024-05-02T00:00:00Z" }
              : toCommand({ ...c, minute: 1 }, s, i)
          const d = Round.decide(command, s)
          if (Result.isFailure(d)) continue
          s = Round.fold(d.success, s)
          for (const e of d.success)
            if (e._tag === "LinesOrdered" || e._tag === "LinesSet")
              for (const l of e.lines) {
                const key = `${e.orderId}|${l.sku}`
                if (!first.has(key)) first.set(key, l.unitPrice)
                expect(l.unitPrice, key).toBe(first.get(key))
              }
          for (const o of Round.orders(s))
            for (const l of o.lines) expect(l.unitPrice).toBe(first.get(`${o.orderId}|${l.sku}`))
        }
      })
    )
  })

  it("a restock never oversells: what is left is the new total less what is sold, never below 0", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 80 })), ([cmds]) => {
        let s = opened()
        for (const [i, c] of cmds.entries()) {
          const command = toCommand(c, s, i)
          const d = Round.decide(command, s)
          if (Result.isFailure(d)) {
            if (command._tag === "Restock" && command.stock !== undefined && command.add === undefined) {
              const st = s.stock[command.sku]
              // Refused only for a reason: an unknown sku, a total under what is sold, a closed round.
              if (st && s.status === "open" && !Round.isAfterCutoff(s, "2024-05-05T00:00:00Z"))
                expect(command.stock).toBeLessThan(st.sold)
            }
            continue
          }
          const before = s
          s = Round.fold(d.success, s)
          for (const e of d.success)
            if (e._tag === "Restocked") {
              const st = s.stock[e.sku]!
              expect(st.sold).toBe(before.stock[e.sku]!.sold)
              expect(st.left).toBe(e.stock - st.sold)
              expect(st.left).toBeGreaterThanOrEqual(0)
            }
        }
      })
    )
  })

  it("a review item is resolved once; cancel withdraws the buyer's order, amend sets quantities", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 60 })), ([cmds]) => {
        let s = opened()
        for (const [i, c] of cmds.entries()) {
          const command = toCommand(c, s, i)
          const d = Round.decide(command, s)
          if (Result.isFailure(d)) continue
          const before = s
          s = Round.fold(d.success, s)
          if (command._tag === "ResolveReview") {
            const item = Round.lookup(before.review, command.commentId)!
            expect(item.resolved).toBe(false)
            expect(Round.lookup(s.review, command.commentId)?.resolved).toBe(true)
            expect(d.success.filter((e) => e._tag === "ReviewResolved")).toHaveLength(1)
            const entry = Round.lookup(s.book, item.buyerId)
            if (command.action === "cancel" && before.status === "open") expect(entry?.withdrawn).toBe(true)
            if (command.action === "amend" && d.success.some((e) => e._tag === "LinesSet"))
              for (const l of command.approve)
                if (l.qty === 0) expect(entry?.lines.find((x) => x.sku === l.sku)).toBeUndefined()
            if (command.action === "dismiss") expect(d.success.map((e) => e._tag)).toEqual(["ReviewResolved"])
          }
          if (command._tag === "CancelOrder" && d.success.length > 0) {
            const entry = [...Round.orders(s)].find((o) => o.orderId === command.orderId)
            expect(entry).toBeUndefined()
            expect(d.success.map((e) => e._tag)).toEqual(["OrderWithdrawn"])
          }
        }
      })
    )
  })

  it("the commands above reach every change event and every phase (so the properties cover them)", () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 80 })), ([cmds]) => {
        let s = opened()
        for (const [i, c] of cmds.entries()) {
          const d = Round.decide(toCommand(c, s, i), s)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            seen.add(e._tag)
            if (e._tag === "CommentNotOrdered") seen.add(`reason:${e.reason}`)
          }
          s = Round.fold(d.success, s)
          seen.add(`phase:${Round.phaseOf(s)}`)
        }
      }),
      { numRuns: 1000 }
    )
    for (const tag of Round.changeEventTags) expect(seen, tag).toContain(tag)
    for (const phase of ["open", "paused", "closed", "settled"]) expect(seen).toContain(`phase:${phase}`)
    expect(seen).toContain("reason:paused")
  })

  it("every reachable transition is in the table", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 80 })), ([cmds]) => {
        const table = new Set(Round.transitions.map(([a, e, b]) => `${a}|${e}|${b}`))
        let s = opened()
        for (const [i, c] of cmds.entries()) {
          const d = Round.decide(toCommand(c, s, i), s)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            const next = Round.evolve(s, e)
            const move = `${Round.phaseOf(s)}|${e._tag}|${Round.phaseOf(next)}`
            expect(table.has(move), move).toBe(true)
            s = next
          }
        }
      })
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Owned folds (the batch fast path) agree with the pure fold and never touch older states
// ---------------------------------------------------------------------------------------------

const snapshot = (s: Round.State) =>
  JSON.stringify({ orders: Round.orders(s), reviews: Round.openReviews(s), stock: s.stock, n: s.commentCount })

describe("Round.foldOwned", () => {
  it("gives the pure fold's state, and every state handed out before the batch stays as it was", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbCommand, { maxLength: 60 }), fc.nat({ max: 60 })), ([cmds, cut]) => {
        // Two batches, each with its own owner; the state at `cut` is the one a cache would hold.
        let pure = opened()
        let owned = pure
        let before: Round.State | undefined
        let beforeSnapshot = ""
        let by = Round.owner()
        for (const [i, c] of cmds.entries()) {
          if (i === cut) {
            before = owned
            beforeSnapshot = snapshot(owned)
            by = Round.owner() // a new batch
          }
          const command = toCommand(c, pure, i)
          const d = Round.decide(command, pure)
          const o = Round.decide(command, owned)
          expect(Result.isSuccess(o)).toBe(Result.isSuccess(d))
          if (Result.isSuccess(d)) pure = Round.fold(d.success, pure)
          if (Result.isSuccess(o)) owned = Round.foldOwned(o.success, owned, by)
          expect(snapshot(owned)).toBe(snapshot(pure))
        }
        if (before) expect(snapshot(before)).toBe(beforeSnapshot)
      })
    )
  })

  it("PersistentMap: sets with an owner equal sets without, and older versions keep their values", () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 200 }),
          fc.nat({ max: 200 })
        ),
        ([ops, cut]) => {
          let plain = PMap.empty<number>()
          let owned = plain
          const first = PMap.owner()
          const second = PMap.owner()
          const model = new Map<string, number>()
          let frozen: { map: PMap.PersistentMap<number>; entries: Array<[string, number]> } | undefined
          for (const [i, [k, v]] of ops.entries()) {
            if (i === cut) frozen = { map: owned, entries: [...model] }
            plain = PMap.set(plain, k, v)
            owned = PMap.set(owned, k, v, i >= cut ? second : first)
            model.set(k, v)
          }
          for (const [k, v] of model) {
            expect(PMap.get(plain, k)).toBe(v)
            expect(PMap.get(owned, k)).toBe(v)
          }
          expect(owned.size).toBe(model.size)
          expect([...PMap.values(owned)].sort()).toEqual([...model.values()].sort())
          if (frozen) {
            expect(frozen.map.size).toBe(frozen.entries.length)
            for (const [k, v] of frozen.entries) expect(PMap.get(frozen.map, k)).toBe(v)
          }
        }
      )
    )
  })
})
