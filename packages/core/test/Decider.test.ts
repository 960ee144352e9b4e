import { describe, expect, it } from "@effect/vitest"
import { Decider, Order, Payment, Round, Shipment } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import { catalogueOf, spec, testParser } from "./support/fixtures.js"

const t = "2024-05-02T00:00:00.000Z"

/** Every transition the commands walk through is in the table. */
const inTable = <C, S, E extends { readonly _tag: string }, Err>(
  decider: Decider.Decider<C, S, E, Err>,
  statusOf: (s: S) => string,
  table: ReadonlyArray<readonly [string, string, string]>,
  commands: ReadonlyArray<C>,
  state?: S
) => {
  const allowed = new Set(table.map((x) => x.join("|")))
  for (const move of Decider.transitions(decider, statusOf, commands, state))
    expect(allowed.has(move.join("|")), move.join("|")).toBe(true)
}

const arbOrderCommand: fc.Arbitrary<Order.Command> = fc.oneof(
  fc.constant<Order.Command>({
    _tag: "Confirm",
    orderId: "o1",
    roundId: "r",
    buyerId: "line:u",
    buyer: { id: "u" },
    lines: [
      { sku: "A", qty: 2, unitPrice: 100 },
      { sku: "B", qty: 1, unitPrice: 300 }
    ],
    at: t
  }),
  fc.record({
    _tag: fc.constant("ApplyPayment" as const),
    paymentId: fc.constantFrom("p1", "p2", "p3"),
    amount: fc.integer({ min: -10, max: 600 }),
    at: fc.constant(t)
  }),
  fc.record({
    _tag: fc.constant("AddShipment" as const),
    shipmentId: fc.constantFrom("s1", "s2"),
    lines: fc.array(fc.record({ sku: fc.constantFrom("A", "B"), qty: fc.integer({ min: 0, max: 2 }) }), {
      maxLength: 2
    }),
    at: fc.constant(t)
  }),
  fc.constantFrom<Order.Command>(
    { _tag: "ApplyPayment", paymentId: "p4", amount: 500, at: t },
    {
      _tag: "AddShipment",
      shipmentId: "s3",
      lines: [
        { sku: "A", qty: 2 },
        { sku: "B", qty: 1 }
      ],
      at: t
    },
    { _tag: "Complete", at: t },
    { _tag: "Cancel", reason: "asked", at: t },
    { _tag: "Refund", at: t },
    { _tag: "ChangeLines", at: t }
  )
)

const arbShipmentCommand: fc.Arbitrary<Shipment.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Pack" as const),
    shipmentId: fc.constant("s"),
    orderId: fc.constant("o"),
    lines: fc.constant([{ sku: "A", qty: 1 }]),
    method: fc.constantFrom("home" as const, "cvs" as const, "pickup" as const),
    pickupCode: fc.constantFrom(undefined, "ABCD2345"),
    at: fc.constant(t)
  }),
  fc.record({
    _tag: fc.constant("PickUp" as const),
    code: fc.constantFrom("ABCD2345", "WRONG999"),
    at: fc.constant(t)
  }),
  fc.constantFrom<Shipment.Command>(
    { _tag: "Ship", at: t },
    { _tag: "Deliver", at: t },
    { _tag: "Return", reason: "damaged", at: t },
    { _tag: "RejectCode", at: t },
    { _tag: "Unlock", at: t }
  )
)

const arbPaymentCommand: fc.Arbitrary<Payment.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Expect" as const),
    paymentId: fc.constant("p"),
    orderIds: fc.constantFrom([], ["o1"]),
    buyerId: fc.constant("line:u"),
    amount: fc.integer({ min: -5, max: 900 }),
    at: fc.constant(t)
  }),
  fc.record({ _tag: fc.constant("Report" as const), last5: fc.constantFrom("12345", undefined), at: fc.constant(t) }),
  fc.record({
    _tag: fc.constant("Receive" as const),
    paymentId: fc.constant("p"),
    source: fc.constantFrom("statement" as const, "gateway" as const, "cash" as const),
    transactionId: fc.constantFrom("t1", "t2"),
    amount: fc.integer({ min: -5, max: 900 }),
    at: fc.constant(t)
  }),
  fc.record({
    _tag: fc.constant("Match" as const),
    orderIds: fc.constantFrom([], ["o1"]),
    evidence: fc.constant("last5"),
    at: fc.constant(t)
  }),
  fc.record({ _tag: fc.constant("Refund" as const), amount: fc.integer({ min: -5, max: 900 }), at: fc.constant(t) })
)

// With the stock policies (限購 on the socks, minimums to proceed), so the walk meets 流團 at a close.
const roundSpec = spec({
  products: [
    {
      sku: "SOCK",
      name: "毛襪",
      price: 120,
      limitPerBuyer: 3,
      options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
      variants: [
        { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 3 },
        { sku: "SOCK-W", options: { 顏色: "白" }, stock: 2, price: 130 }
      ]
    },
    { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4, minimum: 2 },
    { sku: "CUP", name: "保溫杯", price: 450, minimum: 3 }
  ]
})
const parser = testParser.compile({
  catalogue: catalogueOf(roundSpec),
  settings: { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
})
const texts = ["紅+2", "白+1", "蛋黃酥+3", "杯+1", "取消", "紅-1", "改3", "有嗎?", "好可愛", "已匯款 240 後五碼12345"]
const cutoffMs = Date.parse("2024-05-10T22:00:00+08:00")

/** Round commands from the first (Create) on; ids point at comments and orders the run may have made. */
const arbRoundCommand: fc.Arbitrary<Round.Command> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc
      .record({
        n: fc.nat({ max: 40 }),
        buyer: fc.constantFrom("a", "b", "c", "團主小美"),
        text: fc.constantFrom(...texts),
        minute: fc.integer({ min: 0, max: 20000 })
      })
      .map(
        ({ n, buyer, text, minute }): Round.Command => ({
          _tag: "HandleComment",
          comment: {
            commentId: `c${n}`,
            buyerId: `line:${buyer}`,
            buyer: { id: buyer },
            text,
            at: new Date(cutoffMs - 10_000 * 60_000 + minute * 60_000).toISOString(),
            parsed: parser.parse(text)
          },
          newOrderId: `o${n}`
        })
      )
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        n: fc.nat({ max: 40 }),
        action: fc.constantFrom("order" as const, "amend" as const, "cancel" as const, "dismiss" as const, undefined),
        qty: fc.integer({ min: 0, max: 3 })
      })
      .map(
        ({ n, action, qty }): Round.Command => ({
          _tag: "ResolveReview",
          commentId: `c${n}`,
          approve: action === "order" || action === "amend" ? [{ sku: "SOCK-R", qty }] : [],
          action,
          newOrderId: `or${n}`,
          at: t
        })
      )
  },
  {
    weight: 1,
    arbitrary: fc
      .nat({ max: 40 })
      .map((n): Round.Command => ({ _tag: "CancelOrder", orderId: `o${n}`, reason: "organiser", at: t }))
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Round.Command>(
      { _tag: "Create", spec: roundSpec, at: "2024-05-01T01:00:00.000Z" },
      { _tag: "Open", at: "2024-05-01T01:00:00.000Z" },
      { _tag: "Close", at: "2024-05-09T00:00:00.000Z", reason: "manual" },
      { _tag: "ApplyMinimums", at: "2024-05-09T00:00:00.000Z" },
      { _tag: "Settle", at: "2024-05-11T00:00:00.000Z" }
    )
  },
  {
    // The organiser's changes: pause, resume, reopen (a new cutoff or none), restock, price, title.
    weight: 2,
    arbitrary: fc.constantFrom<Round.Command>(
      { _tag: "Pause", at: "2024-05-02T00:00:00.000Z" },
      { _tag: "Resume", at: "2024-05-02T00:00:00.000Z" },
      { _tag: "Reopen", cutoff: "2024-05-20T22:00:00+08:00", at: "2024-05-09T01:00:00.000Z" },
      { _tag: "Reopen", cutoff: null, at: "2024-05-09T01:00:00.000Z" },
      { _tag: "Restock", sku: "SOCK-R", add: 2, at: "2024-05-02T00:00:00.000Z" },
      { _tag: "SetPrice", sku: "SOCK-R", price: 150, at: "2024-05-02T00:00:00.000Z" },
      { _tag: "EditTitle", title: "加開", at: "2024-05-02T00:00:00.000Z" },
      { _tag: "SetCutoff", cutoff: "2024-05-12T22:00:00+08:00", at: "2024-05-02T00:00:00.000Z" }
    )
  }
)

const created: ReadonlyArray<Round.Command> = [
  { _tag: "Create", spec: roundSpec, at: "2024-05-01T01:00:00.000Z" },
  { _tag: "Open", at: "2024-05-01T01:00:00.000Z" }
]

describe("Decider", () => {
  it("each aggregate's decider is its own initialState, decide and evolve", () => {
    for (const [decider, module] of [
      [Order.decider, Order],
      [Shipment.decider, Shipment],
      [Payment.decider, Payment],
      [Round.decider, Round]
    ] as const) {
      expect(decider.initialState).toBe(module.initialState)
      expect(decider.decide).toBe(module.decide)
      expect(decider.evolve).toBe(module.evolve)
    }
  })

  it("fold, run and runAll agree with the aggregate's own fold", () => {
    fc.assert(
      fc.property(fc.array(arbOrderCommand, { maxLength: 20 }), (commands) => {
        const all = Decider.runAll(Order.decider, commands)
        let s = Order.initialState
        const events: Array<Order.Event> = []
        let refused: unknown
        for (const c of commands) {
          const d = Decider.run(Order.decider, c, s)
          if (Result.isFailure(d)) {
            refused = d.failure
            break
          }
          events.push(...d.success.events)
          s = d.success.state
        }
        if (refused === undefined) {
          expect(Result.isSuccess(all)).toBe(true)
          if (Result.isSuccess(all)) {
            expect(all.success.events).toEqual(events)
            expect(all.success.state).toEqual(s)
            expect(Decider.fold(Order.decider, events)).toEqual(Order.fold(events))
          }
        } else expect(Result.isFailure(all) && all.failure).toEqual(refused)
      })
    )
  })
})

describe("no reachable transition falls outside the table", () => {
  it("Order", () => {
    fc.assert(
      fc.property(fc.array(arbOrderCommand, { maxLength: 30 }), (commands) =>
        inTable(Order.decider, (s) => s.status, Order.transitions, commands)
      )
    )
  })

  it("Shipment", () => {
    fc.assert(
      fc.property(fc.array(arbShipmentCommand, { maxLength: 30 }), (commands) =>
        inTable(Shipment.decider, (s) => s.status, Shipment.transitions, commands)
      )
    )
  })

  it("Payment", () => {
    fc.assert(
      fc.property(fc.array(arbPaymentCommand, { maxLength: 30 }), (commands) =>
        inTable(Payment.decider, (s) => s.status, Payment.transitions, commands)
      )
    )
  })

  it("Round (from an open round: GroupBuy.openRound creates and opens in one commit)", () => {
    fc.assert(
      fc.property(fc.array(arbRoundCommand, { maxLength: 60 }), (commands) =>
        inTable(Round.decider, Round.phaseOf, Round.transitions, [...created, ...commands])
      )
    )
  })

  it("Round from nothing (a draft round answers comments too)", () => {
    fc.assert(
      fc.property(fc.array(arbRoundCommand, { maxLength: 60 }), (commands) =>
        inTable(Round.decider, Round.phaseOf, Round.transitions, commands)
      )
    )
  })

  it("the walks above reach every status of each table (the properties are not vacuous)", () => {
    const reached = <C, S, E extends { readonly _tag: string }, Err>(
      decider: Decider.Decider<C, S, E, Err>,
      statusOf: (s: S) => string,
      arb: fc.Arbitrary<C>,
      prefix: ReadonlyArray<C> = []
    ) => {
      const seen = new Set<string>()
      // A fixed seed: the same walks every run (this checks the arbitraries, not the deciders).
      for (const commands of fc.sample(fc.array(arb, { maxLength: 40 }), { numRuns: 1000, seed: 20250101 }))
        for (const [, , to] of Decider.transitions(decider, statusOf, [...prefix, ...commands])) seen.add(to)
      return seen
    }
    const targets = (table: ReadonlyArray<readonly [string, string, string]>) => new Set(table.map(([, , to]) => to))
    expect(reached(Order.decider, (s) => s.status, arbOrderCommand)).toEqual(targets(Order.transitions))
    expect(reached(Shipment.decider, (s) => s.status, arbShipmentCommand)).toEqual(targets(Shipment.transitions))
    expect(reached(Payment.decider, (s) => s.status, arbPaymentCommand)).toEqual(targets(Payment.transitions))
    expect(reached(Round.decider, Round.phaseOf, arbRoundCommand, created)).toEqual(targets(Round.transitions))
  })
})
