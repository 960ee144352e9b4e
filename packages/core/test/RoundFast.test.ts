import { describe, expect, it } from "@effect/vitest"
import { Round } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import * as PMap from "../src/internal/PersistentMap.js"
import * as Fast from "../src/internal/roundEvolve.js"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

// The fast path of `internal/roundEvolve.ts` (owned folds editing stock and trie nodes in place)
// against the readable reference: `Round.decide`, then `Round.fold` (each event by `Round.evolve`,
// nothing shared). Several batches are interleaved, each with its own owner (one of them made by
// `PersistentMap.owner()`, without the stock slot), as two rounds' batches could be.

const s0 = spec()
const parser = testParser.compile({
  catalogue: catalogueOf(s0),
  settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
})

/** The same catalogue with the stock policies of the round settings (限購, 成團 minimum, waiting list). */
const withPolicies = spec({
  waitlist: true,
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
  ]
})

const opened = (policies = false): Round.State => {
  const sp = policies ? withPolicies : s0
  const s1 = Round.fold(
    Result.getOrThrow(Round.decide({ _tag: "Create", spec: sp, at: "2024-05-01T09:00:00+08:00" }, Round.initialState))
  )
  return Round.fold(Result.getOrThrow(Round.decide({ _tag: "Open", at: "2024-05-01T09:00:00+08:00" }, s1)), s1)
}

const texts = ["紅+1", "紅+2", "白+1", "白+3", "蛋黃酥+2", "杯+1", "紅+1 白+1", "取消", "改2", "紅-1", "紫+1", "有嗎?"]

type Step =
  | { readonly lane: number; readonly buyer: string; readonly text: string }
  | { readonly lane: number; readonly cancel: number }
  | { readonly lane: number; readonly resolve: number; readonly approve: boolean }
  | { readonly lane: number; readonly newOwner: true }
  | {
      readonly lane: number
      readonly change: Round.ChangeCommand["_tag"] | "Close" | "ApplyMinimums" | "ReleaseOrder" | "MarkArrived"
      readonly n: number
    }

const lane = fc.nat({ max: 2 })
const arbStep: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({ lane, buyer: fc.constantFrom("a", "b", "c", "d"), text: fc.constantFrom(...texts) })
  },
  { weight: 1, arbitrary: fc.record({ lane, cancel: fc.nat({ max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ lane, resolve: fc.nat({ max: 20 }), approve: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ lane, newOwner: fc.constant(true as const) }) },
  // The organiser's changes (issue 16): catalogue and stock edits between owned comment events.
  {
    weight: 3,
    arbitrary: fc.record({
      lane,
      change: fc.constantFrom(
        "EditTitle" as const,
        "SetCutoff" as const,
        "SetPrice" as const,
        "Restock" as const,
        "AddProduct" as const,
        "AddVariant" as const,
        "Pause" as const,
        "Resume" as const,
        "Close" as const,
        "ApplyMinimums" as const,
        "Reopen" as const,
        // Issue 16's stock policies: a confirmed order cancelled (its stock down the waiting list), 預購到貨.
        "ReleaseOrder" as const,
        "ReleaseOrder" as const,
        "MarkArrived" as const
      ),
      n: fc.nat({ max: 5 })
    })
  }
)

const changeOf = (step: Extract<Step, { change: unknown }>, at: string): Round.Command => {
  const skus = ["SOCK-R", "SOCK-W", "EGG", "CUP", "HAT", "SOCK-G"]
  const sku = skus[step.n % skus.length]!
  const later = new Date(Date.parse(at) + (step.n + 1) * 86_400_000).toISOString()
  switch (step.change) {
    case "EditTitle":
      return { _tag: "EditTitle", title: `t${step.n}`, at }
    case "SetCutoff":
      return { _tag: "SetCutoff", cutoff: step.n === 0 ? null : later, at }
    case "SetPrice":
      return { _tag: "SetPrice", sku: step.n === 5 ? "SOCK" : sku, price: 100 + step.n, at }
    case "Restock":
      return step.n % 2 === 0
        ? { _tag: "Restock", sku, add: step.n + 1, at }
        : { _tag: "Restock", sku, stock: step.n, at }
    case "AddProduct":
      return { _tag: "AddProduct", product: { sku: "HAT", name: "毛帽", price: 200, stock: 2 } as never, at }
    case "AddVariant":
      return {
        _tag: "AddVariant",
        productSku: "SOCK",
        variant: { sku: "SOCK-G", options: { 顏色: "綠" }, stock: 1 } as never,
        optionValues: { 顏色: { 綠: ["綠色"] } },
        at
      }
    case "Pause":
      return { _tag: "Pause", at }
    case "Resume":
      return { _tag: "Resume", at }
    case "Close":
      return { _tag: "Close", at, reason: "manual" }
    case "ApplyMinimums":
      return { _tag: "ApplyMinimums", at }
    case "MarkArrived":
      return { _tag: "MarkArrived", skus: [step.n % 2 === 0 ? "EGG" : "SOCK-R"], at }
    case "ReleaseOrder":
      return { _tag: "ReleaseOrder", orderId: "none", reason: "organiser", at }
    default:
      return { _tag: "Reopen", cutoff: later, at }
  }
}

const toCommand = (step: Exclude<Step, { newOwner: true }>, state: Round.State, i: number): Round.Command => {
  const at = new Date(Date.parse("2024-05-02T00:00:00Z") + i * 60_000).toISOString()
  if ("change" in step && step.change === "ReleaseOrder") {
    const all = Round.allOrders(state)
    const orderId = all[step.n % Math.max(1, all.length)]?.orderId ?? "none"
    return { _tag: "ReleaseOrder", orderId, reason: "organiser", at }
  }
  if ("change" in step) return changeOf(step, at)
  if ("cancel" in step) {
    const book = Round.orders(state)
    const orderId = book[step.cancel % Math.max(1, book.length)]?.orderId ?? "none"
    return { _tag: "CancelOrder", orderId, reason: "organiser", at }
  }
  if ("resolve" in step) {
    const open = Round.openReviews(state)
    return {
      _tag: "ResolveReview",
      commentId: open[step.resolve % Math.max(1, open.length)]?.commentId ?? "none",
      approve: step.approve ? [{ sku: "SOCK-R", qty: 1 }] : [],
      newOrderId: `or${i}`,
      at
    }
  }
  return {
    _tag: "HandleComment",
    comment: {
      commentId: `p${i}`,
      buyerId: `line:${step.buyer}`,
      buyer: { id: step.buyer },
      text: step.text,
      at,
      parsed: parser.parse(step.text)
    },
    newOrderId: `o${i}`
  }
}

/** Everything in a state, in a comparable form (the tries by their entries). */
const contents = (s: Round.State) => ({
  status: s.status,
  cutoffMs: s.cutoffMs,
  openedMs: s.openedMs,
  stock: s.stock,
  orderCount: s.orderCount,
  commentCount: s.commentCount,
  paused: s.paused,
  sealed: s.sealed,
  waiting: s.waiting,
  arrived: s.arrived,
  spec: s.spec,
  skus: s.catalogue?.skus.map((k) => [k.sku, k.price, k.supply, k.limitPerBuyer]),
  book: [...PMap.values(s.book)].sort((a, b) => a.seq - b.seq),
  review: [...PMap.values(s.review)].sort((a, b) => a.seq - b.seq)
})

const owners = [Round.owner, Fast.owner, PMap.owner] as const

describe("internal/roundEvolve (the Round fast path)", () => {
  it("interleaved owned batches give the reference fold's events and states; older states never change", () => {
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 80 }), fc.boolean(), (steps, policies) => {
        const start = opened(policies)
        const reference = [start, start, start]
        const fast = [start, start, start]
        const by = owners.map((make) => make())
        const frozen: Array<{ state: Round.State; json: string }> = []
        for (const [i, step] of steps.entries()) {
          const k = step.lane
          if ("newOwner" in step) {
            // A batch ends: its last state is handed out (a cache keeps it); the next batch gets a new owner.
            frozen.push({ state: fast[k]!, json: JSON.stringify(contents(fast[k]!)) })
            by[k] = owners[k]!()
            continue
          }
          const command = toCommand(step, reference[k]!, i)
          const expected = Round.decide(command, reference[k]!)
          const actual = Round.decide(command, fast[k]!)
          expect(actual).toEqual(expected)
          if (Result.isSuccess(expected)) reference[k] = Round.fold(expected.success, reference[k]!)
          if (Result.isSuccess(actual)) fast[k] = Fast.foldOwned(actual.success, fast[k]!, by[k]!)
          expect(contents(fast[k]!)).toEqual(contents(reference[k]!))
        }
        for (const f of frozen) expect(JSON.stringify(contents(f.state))).toBe(f.json)
        expect(JSON.stringify(contents(start))).toBe(JSON.stringify(contents(opened(policies))))
      }),
      { numRuns: 200 }
    )
  })

  it("with waiting lists: joins, promotions (open and after the close) and releases fold the same owned", () => {
    // A waitlist round with little stock, so lists form and stock freed goes down them; each run
    // is one batch (one owner) against the reference fold, and states handed out never change.
    const seen = new Set<string>()
    const step = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({ buyer: fc.constantFrom("a", "b", "c", "d", "e"), text: fc.constantFrom(...texts) })
      },
      { weight: 1, arbitrary: fc.record({ cancel: fc.nat({ max: 9 }) }) },
      { weight: 1, arbitrary: fc.record({ release: fc.nat({ max: 9 }) }) },
      {
        weight: 1,
        arbitrary: fc.record({ restock: fc.constantFrom("SOCK-R", "SOCK-W", "CUP", "EGG"), n: fc.nat({ max: 3 }) })
      },
      { weight: 1, arbitrary: fc.record({ close: fc.constant(true) }) },
      { weight: 1, arbitrary: fc.record({ minimums: fc.constant(true) }) },
      { weight: 1, arbitrary: fc.record({ reopen: fc.constant(true) }) },
      { weight: 1, arbitrary: fc.record({ handOut: fc.constant(true) }) }
    )
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 10, maxLength: 60 }),
        fc.constantFrom("fill-and-report", "reject"),
        fc.constantFrom("add", "replace"),
        (steps, partialFill, repeatOrder) => {
          const sp = { ...withPolicies, partialFill, repeatOrder } as typeof withPolicies
          const s1 = Round.fold(
            Result.getOrThrow(
              Round.decide({ _tag: "Create", spec: sp, at: "2024-05-01T09:00:00+08:00" }, Round.initialState)
            )
          )
          const start = Round.fold(
            Result.getOrThrow(Round.decide({ _tag: "Open", at: "2024-05-01T09:00:00+08:00" }, s1)),
            s1
          )
          let reference = start
          let fast = start
          let by = Round.owner()
          const frozen: Array<{ state: Round.State; json: string }> = []
          for (const [i, st] of steps.entries()) {
            const at = new Date(Date.parse("2024-05-02T00:00:00Z") + i * 60_000).toISOString()
            if ("handOut" in st) {
              frozen.push({ state: fast, json: JSON.stringify(contents(fast)) })
              by = Round.owner()
              continue
            }
            const all = Round.allOrders(reference)
            const command: Round.Command =
              "buyer" in st
                ? toCommand({ lane: 0, buyer: st.buyer, text: st.text }, reference, i)
                : "cancel" in st
                  ? {
                      _tag: "CancelOrder",
                      orderId:
                        Round.orders(reference)[st.cancel % Math.max(1, Round.orders(reference).length)]?.orderId ??
                        "none",
                      reason: "x",
                      at
                    }
                  : "release" in st
                    ? {
                        _tag: "ReleaseOrder",
                        orderId: all[st.release % Math.max(1, all.length)]?.orderId ?? "none",
                        reason: "x",
                        at
                      }
                    : "restock" in st
                      ? { _tag: "Restock", sku: st.restock, add: st.n + 1, at }
                      : "minimums" in st
                        ? { _tag: "ApplyMinimums", at }
                        : "reopen" in st
                          ? { _tag: "Reopen", cutoff: null, at }
                          : { _tag: "Close", at, reason: "manual" }
            const expected = Round.decide(command, reference)
            const actual = Round.decide(command, fast)
            expect(actual).toEqual(expected)
            if (Result.isFailure(expected)) continue
            for (const e of expected.success) seen.add(e._tag)
            reference = Round.fold(expected.success, reference)
            fast = Round.foldOwned(Result.getOrThrow(actual), fast, by)
            expect(contents(fast)).toEqual(contents(reference))
          }
          for (const f of frozen) expect(JSON.stringify(contents(f.state))).toBe(f.json)
        }
      ),
      { numRuns: 150 }
    )
    for (const tag of ["WaitlistJoined", "WaitlistPromoted", "WaitlistLeft", "OrderReleased"])
      expect([...seen]).toContain(tag)
  })

  it("evolveOwned one event at a time equals evolve, and the public re-exports are the internal ones", () => {
    expect(Round.foldOwned).toBe(Fast.foldOwned)
    expect(Round.evolveOwned).toBe(Fast.evolveOwned)
    fc.assert(
      fc.property(fc.array(arbStep, { maxLength: 40 }), fc.boolean(), (steps, policies) => {
        let reference = opened(policies)
        let fast = reference
        const by = Fast.owner()
        for (const [i, step] of steps.entries()) {
          if ("newOwner" in step) continue
          const d = Round.decide(toCommand(step, reference, i), reference)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            reference = Round.evolve(reference, e)
            fast = Fast.evolveOwned(fast, e, by)
          }
          expect(contents(fast)).toEqual(contents(reference))
        }
      }),
      { numRuns: 100 }
    )
  })
})
