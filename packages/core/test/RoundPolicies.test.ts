import { describe, expect, it } from "@effect/vitest"
import { MessageTemplates as Templates, Round } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

// The stock policies of the round settings (issue 16 item 4): 限購 (`limitPerBuyer`), the 成團
// minimum (`minimum`, 流團 at the close) and the waiting list (`waitlist`).

const policies = (overrides: Record<string, unknown> = {}) =>
  spec({
    products: [
      {
        sku: "SOCK",
        name: "毛襪",
        price: 120,
        limitPerBuyer: 2,
        minimum: 3,
        options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
        variants: [
          { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 3 },
          { sku: "SOCK-W", options: { 顏色: "白" }, stock: 2, price: 130, limitPerBuyer: 1 }
        ]
      },
      { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4, minimum: 2 },
      { sku: "CUP", name: "保溫杯", price: 450, limitPerBuyer: 3 }
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

const notOrdered = (events: ReadonlyArray<Round.Event>) =>
  events.flatMap((e) => (e._tag === "CommentNotOrdered" ? [{ reason: e.reason, sku: e.sku, qty: e.qty }] : []))

const held = (state: Round.State, buyer: string, sku: string): number =>
  Round.allOrders(state)
    .filter((o) => o.buyerId === `line:${buyer}`)
    .reduce((t, o) => t + (o.lines.find((l) => l.sku === sku)?.qty ?? 0), 0)

describe("Round stock policies: limitPerBuyer (限購)", () => {
  it("fills up to the limit and reports the excess as over-limit, across the buyer's comments", () => {
    const { state, events } = run(opened(), comment("a", "紅+5"), comment("a", "紅+1"), comment("a", "白+2"))
    expect(held(state, "a", "SOCK-R")).toBe(2)
    expect(held(state, "a", "SOCK-W")).toBe(1)
    expect(notOrdered(events)).toEqual([
      { reason: "over-limit", sku: "SOCK-R", qty: 3 },
      { reason: "over-limit", sku: "SOCK-R", qty: 1 },
      { reason: "over-limit", sku: "SOCK-W", qty: 1 }
    ])
    // Stock taken only for what was ordered.
    expect(state.stock["SOCK-R"]).toEqual({ left: 1, sold: 2 })
  })

  it("reports sold-out and over-limit separately when both cut a line", () => {
    const { state, events } = run(opened(), comment("a", "紅+2"), comment("b", "紅+4"))
    expect(held(state, "b", "SOCK-R")).toBe(1)
    expect(notOrdered(events)).toEqual([
      { reason: "sold-out", sku: "SOCK-R", qty: 1 },
      { reason: "over-limit", sku: "SOCK-R", qty: 2 }
    ])
  })

  it("an amendment counts what the buyer holds: 改3 under a limit of 2 sets 2", () => {
    const { state, events } = run(opened(), comment("a", "紅+1"), comment("a", "改3"))
    expect(held(state, "a", "SOCK-R")).toBe(2)
    expect(notOrdered(events)).toEqual([{ reason: "over-limit", sku: "SOCK-R", qty: 1 }])
  })

  it("under partialFill reject, a line over the limit is not ordered at all", () => {
    const { state, events } = run(opened(policies({ partialFill: "reject" })), comment("a", "杯+4"))
    expect(held(state, "a", "CUP")).toBe(0)
    expect(notOrdered(events)).toEqual([{ reason: "over-limit", sku: "CUP", qty: 4 }])
  })

  it("an organiser's approval of a review item is held to the limit too", () => {
    const { state: s1 } = run(opened(), comment("a", "紅+2"), comment("a", "紫+1"))
    const item = Round.openReviews(s1)[0]!
    expect(item.buyerId).toBe("line:a")
    const { state, events } = run(s1, {
      _tag: "ResolveReview",
      commentId: item.commentId,
      approve: [{ sku: "SOCK-R", qty: 1 }],
      newOrderId: "o-r",
      at: "2024-05-01T11:00:00+08:00"
    })
    expect(held(state, "a", "SOCK-R")).toBe(2)
    expect(notOrdered(events)).toEqual([{ reason: "over-limit", sku: "SOCK-R", qty: 1 }])
  })

  it("property: no buyer ever holds more than the limit, whatever the comments", () => {
    const texts = ["紅+1", "紅+2", "紅+5", "白+1", "白+3", "杯+2", "杯+9", "紅+1 紅+2", "取消", "改2", "改5", "紅-1"]
    const limits: Record<string, number> = { "SOCK-R": 2, "SOCK-W": 1, CUP: 3 }
    fc.assert(
      fc.property(
        fc.array(fc.record({ buyer: fc.constantFrom("a", "b", "c"), text: fc.constantFrom(...texts) }), {
          maxLength: 40
        }),
        fc.constantFrom("fill-and-report", "reject"),
        fc.constantFrom("add", "replace"),
        (steps, partialFill, repeatOrder) => {
          let s = opened(policies({ partialFill, repeatOrder }))
          for (const step of steps) {
            const d = Round.decide(comment(step.buyer, step.text), s)
            if (Result.isFailure(d)) continue
            s = Round.fold(d.success, s)
            for (const buyer of ["a", "b", "c"])
              for (const [sku, limit] of Object.entries(limits)) expect(held(s, buyer, sku)).toBeLessThanOrEqual(limit)
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("not-ordered texts of the stock policies", () => {
  it("say over-limit and below-minimum in Traditional Chinese and English", () => {
    const zh = (reason: string) => Templates.render("not-ordered", { reason, product: "毛襪 紅" })
    const en = (reason: string) => Templates.render("not-ordered", { reason, product: "毛襪 紅" }, { locale: "en" })
    expect(zh("over-limit")).toContain("已達每人限購數量")
    expect(en("over-limit")).toContain("over the per-buyer limit")
    expect(zh("below-minimum")).toContain("流團")
    expect(en("below-minimum")).toContain("minimum")
    // Not the raw reason code.
    for (const r of ["over-limit", "below-minimum"]) {
      expect(zh(r)).not.toContain(r)
      expect(en(r)).not.toContain(r)
    }
  })
})

describe("Round stock policies: minimum (成團 / 流團)", () => {
  const close = (s: Round.State) => run(s, { _tag: "Close", at: "2024-05-10T22:00:00+08:00", reason: "cutoff" })

  it("at the close a product under its minimum is 流團: its lines leave the orders, its stock goes back", () => {
    // SOCK needs 3 units (red and white together), EGG 2.
    const { state: s1 } = run(opened(), comment("a", "紅+1 蛋黃酥+1"), comment("b", "白+1 蛋黃酥+1"))
    const { state: closed } = close(s1)
    const { state, events } = run(closed, { _tag: "ApplyMinimums", at: "2024-05-10T22:00:00+08:00" })
    expect(events).toMatchObject([
      {
        _tag: "ProductBelowMinimum",
        productSku: "SOCK",
        minimum: 3,
        ordered: 2,
        lines: [
          { buyerId: "line:a", sku: "SOCK-R", qty: 1 },
          { buyerId: "line:b", sku: "SOCK-W", qty: 1 }
        ]
      }
    ])
    expect(Round.orders(state).map((o) => o.lines.map((l) => [l.sku, l.qty]))).toEqual([[["EGG", 1]], [["EGG", 1]]])
    expect(state.stock["SOCK-R"]).toEqual({ left: 3, sold: 0 })
    expect(state.stock["SOCK-W"]).toEqual({ left: 2, sold: 0 })
    // Done once: asking again decides nothing.
    expect(Result.getOrThrow(Round.decide({ _tag: "ApplyMinimums", at: "2024-05-10T23:00:00+08:00" }, state))).toEqual(
      []
    )
  })

  it("minimums apply only to a closed round", () => {
    const d = Round.decide({ _tag: "ApplyMinimums", at: "2024-05-02T00:00:00+08:00" }, opened())
    expect(Result.isFailure(d) && d.failure.reason).toBe("not-closed")
  })

  it("property: 流團 conserves stock, and no order left to confirm holds a 流團 product", () => {
    const texts = ["紅+1", "紅+2", "白+1", "蛋黃酥+1", "蛋黃酥+2", "杯+1", "杯+2", "取消", "紅-1", "改1"]
    const sp = policies()
    const products = [
      { sku: "SOCK", skus: ["SOCK-R", "SOCK-W"], minimum: 3 },
      { sku: "EGG", skus: ["EGG"], minimum: 2 }
    ]
    const totals: Record<string, number | null> = { "SOCK-R": 3, "SOCK-W": 2, EGG: 4, CUP: null }
    fc.assert(
      fc.property(
        fc.array(fc.record({ buyer: fc.constantFrom("a", "b", "c", "d"), text: fc.constantFrom(...texts) }), {
          maxLength: 30
        }),
        (steps) => {
          let s = opened(sp)
          for (const step of steps) {
            const d = Round.decide(comment(step.buyer, step.text), s)
            if (Result.isSuccess(d)) s = Round.fold(d.success, s)
          }
          const before = close(s).state
          const { state: after, events } = run(before, { _tag: "ApplyMinimums", at: "2024-05-10T22:00:00+08:00" })
          const units = (st: Round.State, skus: ReadonlyArray<string>) =>
            Round.orders(st).reduce(
              (t, o) => t + o.lines.reduce((u, l) => u + (skus.includes(l.sku) ? l.qty : 0), 0),
              0
            )
          for (const p of products) {
            const had = units(before, p.skus)
            const failed = events.some((e) => e._tag === "ProductBelowMinimum" && e.productSku === p.sku)
            // 流團 exactly when there were units, but fewer than the minimum.
            expect(failed).toBe(had > 0 && had < p.minimum)
            expect(units(after, p.skus)).toBe(failed ? 0 : had)
          }
          // CUP has no minimum: untouched.
          expect(units(after, ["CUP"])).toBe(units(before, ["CUP"]))
          for (const [sku, total] of Object.entries(totals)) {
            const st = after.stock[sku]!
            // Units sold + left = total, and what is sold is what the orders hold.
            if (total !== null) expect(st.sold + st.left!).toBe(total)
            expect(st.sold).toBe(units(after, [sku]))
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
