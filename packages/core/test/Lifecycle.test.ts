import { describe, expect, it } from "@effect/vitest"
import { Order, Payment, Shipment } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"

const lines = [
  { sku: "A", qty: 2, unitPrice: 100 },
  { sku: "B", qty: 1, unitPrice: 300 }
]
const confirm: Order.Command = {
  _tag: "Confirm",
  orderId: "o1",
  roundId: "r",
  buyerId: "line:u",
  buyer: { id: "u" },
  lines,
  at: "t"
}

const arbOrderCommand: fc.Arbitrary<Order.Command> = fc.oneof(
  fc.constant(confirm),
  fc.record({
    _tag: fc.constant("ApplyPayment" as const),
    paymentId: fc.constantFrom("p1", "p2", "p3"),
    amount: fc.integer({ min: -10, max: 600 }),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("AddShipment" as const),
    shipmentId: fc.constantFrom("s1", "s2"),
    lines: fc.array(fc.record({ sku: fc.constantFrom("A", "B", "C"), qty: fc.integer({ min: 0, max: 3 }) }), {
      maxLength: 2
    }),
    at: fc.constant("t")
  }),
  fc.constant<Order.Command>({ _tag: "Complete", at: "t" }),
  fc.constant<Order.Command>({ _tag: "Cancel", reason: "buyer asked", at: "t" }),
  fc.constant<Order.Command>({ _tag: "Refund", at: "t" }),
  fc.constant<Order.Command>({ _tag: "ChangeLines", at: "t" })
)

const runAll = <S, C, E extends { readonly _tag: string }>(
  decide: (c: C, s: S) => Result.Result<ReadonlyArray<E>, unknown>,
  evolve: (s: S, e: E) => S,
  initial: S,
  statusOf: (s: S) => string,
  table: ReadonlyArray<readonly [string, string, string]>,
  commands: ReadonlyArray<C>,
  check: (s: S) => void
) => {
  const allowed = new Set(table.map(([a, e, b]) => `${a}|${e}|${b}`))
  let s = initial
  for (const c of commands) {
    const d = decide(c, s)
    if (Result.isFailure(d)) continue
    for (const e of d.success) {
      const next = evolve(s, e)
      const move = `${statusOf(s)}|${e._tag}|${statusOf(next)}`
      expect(allowed.has(move), move).toBe(true)
      s = next
    }
    check(s)
  }
  return s
}

describe("Order", () => {
  it("pays, ships in two parts and completes", () => {
    let st = Order.initialState
    for (const c of [
      confirm,
      { _tag: "ApplyPayment", paymentId: "p", amount: 500, at: "t" },
      { _tag: "AddShipment", shipmentId: "s1", lines: [{ sku: "A", qty: 2 }], at: "t" }
    ] as const satisfies ReadonlyArray<Order.Command>) {
      st = Order.fold(Result.getOrThrow(Order.decide(c, st)), st)
    }
    expect(st.status).toBe("partly-shipped")
    st = Order.fold(
      Result.getOrThrow(
        Order.decide({ _tag: "AddShipment", shipmentId: "s2", lines: [{ sku: "B", qty: 1 }], at: "t" }, st)
      ),
      st
    )
    expect(st.status).toBe("shipped")
    expect(
      Result.isFailure(
        Order.decide({ _tag: "AddShipment", shipmentId: "s3", lines: [{ sku: "B", qty: 1 }], at: "t" }, st)
      )
    ).toBe(true)
  })

  it("counts two lines of one SKU in a shipment together (found by the property below)", () => {
    let st = Order.initialState
    for (const c of [
      confirm,
      { _tag: "ApplyPayment", paymentId: "p", amount: 500, at: "t" }
    ] as const satisfies ReadonlyArray<Order.Command>)
      st = Order.fold(Result.getOrThrow(Order.decide(c, st)), st)
    const twice = Order.decide(
      {
        _tag: "AddShipment",
        shipmentId: "s1",
        lines: [
          { sku: "B", qty: 1 },
          { sku: "B", qty: 1 }
        ],
        at: "t"
      },
      st
    )
    expect(Result.isFailure(twice) && twice.failure.reason).toBe("over-shipment")
    expect(Result.isFailure(twice) && twice.failure.message).toBe("shipping 1 more of B after 1 exceeds the 1 ordered")
    const split = Order.decide(
      {
        _tag: "AddShipment",
        shipmentId: "s1",
        lines: [
          { sku: "A", qty: 1 },
          { sku: "A", qty: 1 }
        ],
        at: "t"
      },
      st
    )
    expect(Result.isSuccess(split)).toBe(true)
  })

  it("never changes lines after the cutoff", () => {
    const st = Order.fold(Result.getOrThrow(Order.decide(confirm, Order.initialState)))
    const d = Order.decide({ _tag: "ChangeLines", at: "t" }, st)
    expect(Result.isFailure(d) && d.failure.reason).toBe("locked")
  })

  it("transitions stay in the table, money and shipments are conserved", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbOrderCommand, { maxLength: 40 })), ([cmds]) => {
        let applied = 0
        runAll(
          Order.decide,
          (s: Order.State, e: Order.Event) => {
            if (e._tag === "PaymentApplied") applied += e.amount
            return Order.evolve(s, e)
          },
          Order.initialState,
          (s) => s.status,
          Order.transitions,
          cmds,
          (s) => {
            expect(s.paid).toBe(applied)
            expect(s.refunded).toBeLessThanOrEqual(s.paid)
            expect(new Set(s.payments).size).toBe(s.payments.length)
            for (const l of s.lines) expect(s.shipped[l.sku] ?? 0).toBeLessThanOrEqual(l.qty)
            for (const sku of Object.keys(s.shipped)) expect(s.lines.some((l) => l.sku === sku)).toBe(true)
            if (s.status === "paid") expect(s.paid).toBeGreaterThanOrEqual(s.total)
          }
        )
      })
    )
  })
})

const arbPaymentCommand: fc.Arbitrary<Payment.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Expect" as const),
    paymentId: fc.constant("p"),
    orderIds: fc.constantFrom([], ["o1"], ["o1", "o2"]),
    buyerId: fc.constant("b"),
    amount: fc.integer({ min: -5, max: 900 }),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("Report" as const),
    amount: fc.integer({ min: 1, max: 900 }),
    last5: fc.constantFrom("12345", "54321"),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("Receive" as const),
    paymentId: fc.constant("p"),
    source: fc.constantFrom("statement" as const, "gateway" as const),
    transactionId: fc.constantFrom("t1", "t2"),
    amount: fc.integer({ min: -5, max: 900 }),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("Match" as const),
    orderIds: fc.constantFrom([], ["o1"]),
    evidence: fc.constant("last5"),
    at: fc.constant("t")
  }),
  fc.record({ _tag: fc.constant("Refund" as const), amount: fc.integer({ min: -5, max: 900 }), at: fc.constant("t") })
)

describe("Payment", () => {
  it("money is conserved: matched = received, refunded ≤ received", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbPaymentCommand, { maxLength: 30 })), ([cmds]) => {
        runAll(
          Payment.decide,
          Payment.evolve,
          Payment.initialState,
          (s) => s.status,
          Payment.transitions,
          cmds,
          (s) => {
            if (s.status === "matched") expect(s.matched).toBe(s.received)
            expect(s.refunded).toBeLessThanOrEqual(s.received)
            expect(s.received).toBeGreaterThanOrEqual(0)
          }
        )
      })
    )
  })

  it("refuses to receive the same transaction twice", () => {
    const r: Payment.Command = {
      _tag: "Receive",
      paymentId: "p",
      source: "statement",
      transactionId: "t1",
      amount: 100,
      at: "t"
    }
    const s = Payment.fold(Result.getOrThrow(Payment.decide(r, Payment.initialState)))
    const again = Payment.decide(r, s)
    expect(Result.isFailure(again) && again.failure.reason).toBe("duplicate")
  })
})

const arbShipmentCommand: fc.Arbitrary<Shipment.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Pack" as const),
    shipmentId: fc.constant("s"),
    orderId: fc.constant("o"),
    lines: fc.constant([{ sku: "A", qty: 1 }]),
    method: fc.constantFrom("home" as const, "cvs" as const, "pickup" as const),
    pickupCode: fc.constantFrom(undefined, "ABCD2345"),
    at: fc.constant("t")
  }),
  fc.constant<Shipment.Command>({ _tag: "Ship", at: "t" }),
  fc.constant<Shipment.Command>({ _tag: "Deliver", at: "t" }),
  fc.record({
    _tag: fc.constant("PickUp" as const),
    code: fc.constantFrom("ABCD2345", "WRONG999"),
    at: fc.constant("t")
  }),
  fc.constant<Shipment.Command>({ _tag: "Return", reason: "damaged", at: "t" })
)

describe("Shipment", () => {
  it("transitions stay in the table; a pickup needs the right code, once", () => {
    fc.assert(
      fc.property(fc.tuple(fc.array(arbShipmentCommand, { maxLength: 20 })), ([cmds]) => {
        let pickups = 0
        runAll(
          Shipment.decide,
          (s: Shipment.State, e: Shipment.Event) => {
            if (e._tag === "ShipmentPickedUp") pickups++
            return Shipment.evolve(s, e)
          },
          Shipment.initialState,
          (s) => s.status,
          Shipment.transitions,
          cmds,
          (s) => {
            expect(pickups).toBeLessThanOrEqual(1)
            if (s.status === "picked-up") expect(s.method).toBe("pickup")
          }
        )
      })
    )
  })

  it("confirms a meet-up pickup with the code and refuses it a second time", () => {
    let s = Shipment.initialState
    for (const c of [
      {
        _tag: "Pack",
        shipmentId: "s",
        orderId: "o",
        lines: [{ sku: "A", qty: 1 }],
        method: "pickup",
        pickupCode: "ABCD2345",
        at: "t"
      },
      { _tag: "Ship", at: "t" }
    ] as const satisfies ReadonlyArray<Shipment.Command>)
      s = Shipment.fold(Result.getOrThrow(Shipment.decide(c, s)), s)
    const wrong = Shipment.decide({ _tag: "PickUp", code: "XXXX2345", at: "t" }, s)
    expect(Result.isFailure(wrong) && wrong.failure.reason).toBe("wrong-code")
    s = Shipment.fold(Result.getOrThrow(Shipment.decide({ _tag: "PickUp", code: "ABCD2345", at: "t" }, s)), s)
    expect(s.status).toBe("picked-up")
    expect(Result.isFailure(Shipment.decide({ _tag: "PickUp", code: "ABCD2345", at: "t" }, s))).toBe(true)
  })
})
