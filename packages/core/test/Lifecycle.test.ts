import { describe, expect, it } from "@effect/vitest"
import { Order, Payment, Shipment } from "@kaituan/core"
import { Result, Schema } from "effect"
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
  fc.constant<Order.Command>({ _tag: "Refund", reason: "out of stock", at: "t" }),
  fc.constant<Order.Command>({ _tag: "ChangeLines", at: "t" }),
  // After-sales: partial and full refunds with an amount, returns of shipped lines.
  fc.record({
    _tag: fc.constant("Refund" as const),
    amount: fc.integer({ min: -5, max: 600 }),
    reasonCode: fc.constantFrom(...Order.RefundReason.literals),
    method: fc.constantFrom(...Order.RefundMethod.literals),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("ReturnLines" as const),
    shipmentId: fc.constantFrom("s1", "s2"),
    lines: fc.array(fc.record({ sku: fc.constantFrom("A", "B", "C"), qty: fc.integer({ min: 0, max: 3 }) }), {
      maxLength: 2
    }),
    reasonCode: fc.constantFrom(...Order.RefundReason.literals),
    at: fc.constant("t")
  })
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
            expect(s.refunded + s.refundDue).toBeLessThanOrEqual(s.paid)
            for (const [sku, n] of Object.entries(s.returned)) expect(n).toBeLessThanOrEqual(s.shipped[sku] ?? 0)
            expect(new Set(s.payments).size).toBe(s.payments.length)
            for (const l of s.lines) expect(s.shipped[l.sku] ?? 0).toBeLessThanOrEqual(l.qty)
            for (const sku of Object.keys(s.shipped)) expect(s.lines.some((l) => l.sku === sku)).toBe(true)
            if (s.status === "paid") expect(s.paid).toBeGreaterThanOrEqual(s.total)
          }
        )
      })
    )
  })

  it("cancellations and refunds stored before they named their round, buyer and total still decode and fold", () => {
    const decode = Schema.decodeUnknownSync(Order.Event)
    const at = "2025-01-01T00:00:00.000Z"
    const confirmed = decode({
      _tag: "OrderConfirmed",
      orderId: "o1",
      roundId: "r1",
      buyerId: "line:U1",
      buyer: { id: "U1" },
      lines: [{ sku: "A", qty: 1, unitPrice: 100 }],
      total: 100,
      at
    })
    const old = decode({ _tag: "OrderCancelled", reason: "buyer-cancelled", at })
    expect(old).toEqual({ _tag: "OrderCancelled", reason: "buyer-cancelled", at })
    expect(Order.fold([confirmed, old]).status).toBe("cancelled")
    expect(decode({ _tag: "OrderRefunded", amount: 100, at })).toEqual({ _tag: "OrderRefunded", amount: 100, at })
  })

  it("a refund gives back exactly what was received, once, with the reason; a cancelled order never had money", () => {
    fc.assert(
      fc.property(fc.array(arbOrderCommand, { maxLength: 40 }), (cmds) => {
        let s = Order.initialState
        for (const c of cmds) {
          const d = Order.decide(c, s)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            if (e._tag === "OrderRefunded") {
              expect(e.amount).toBe(s.paid - s.refunded)
              if (c._tag === "Refund") expect(e.reason).toBe(c.reason)
            }
            // A paid order cancelled owes back all it received and has not refunded.
            if (e._tag === "OrderCancelled") expect(e.refundDue ?? 0).toBe(s.paid - s.refunded)
            // Read models that see this event alone learn the order's round, buyer and total from it.
            if (e._tag === "OrderCancelled" || e._tag === "OrderRefunded")
              expect([e.roundId, e.buyerId, e.total]).toEqual([s.roundId, s.buyerId, s.total])
            s = Order.evolve(s, e)
          }
          if (s.status === "refunded") expect(s.refunded).toBe(s.paid)
        }
        // Terminal: nothing more is paid, shipped or returned after a cancellation or a refund; a
        // cancelled order that received money can still be refunded.
        if (s.status === "cancelled" || s.status === "refunded")
          for (const c of cmds.slice(0, 5))
            if (c._tag !== "Confirm" && c._tag !== "Complete")
              expect(
                Result.isFailure(Order.decide(c, s)) ||
                  c._tag === "ChangeLines" ||
                  (c._tag === "Refund" && s.status === "cancelled" && s.paid > s.refunded)
              ).toBe(true)
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
  fc.constant<Shipment.Command>({ _tag: "Return", reason: "damaged", at: "t" }),
  fc.constant<Shipment.Command>({ _tag: "RejectCode", at: "t" }),
  fc.constant<Shipment.Command>({ _tag: "Unlock", at: "t" })
)

/** A counter's actions on a meet-up pickup: codes tried (right or wrong) and unlocks. */
const arbCounterAction = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ _tag: "try" as const, code: "WRONG999" }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "try" as const, code: "ABCD2345" }) },
  { weight: 1, arbitrary: fc.constant({ _tag: "unlock" as const }) }
)

const readyPickup = (): Shipment.State => {
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
  return s
}

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
            expect(s.failedPickups).toBeLessThanOrEqual(Shipment.MAX_PICKUP_ATTEMPTS)
            if (s.failedPickups >= Shipment.MAX_PICKUP_ATTEMPTS) expect(s.pickupLocked).toBe(true)
          }
        )
      })
    )
  })

  it("lockout: 5 wrong codes in a row lock the pickup; locked, even the right code is refused until unlocked", () => {
    fc.assert(
      fc.property(fc.array(arbCounterAction, { maxLength: 30 }), (actions) => {
        let s = readyPickup()
        // The model: wrong tries since the last unlock, and whether the parcel is gone.
        let wrong = 0
        let picked = false
        for (const a of actions) {
          if (a._tag === "unlock") {
            const d = Shipment.decide({ _tag: "Unlock", at: "t" }, s)
            s = Shipment.fold(Result.getOrThrow(d), s)
            if (wrong >= Shipment.MAX_PICKUP_ATTEMPTS) wrong = 0
            expect(s.pickupLocked).toBe(false)
            continue
          }
          const before = s
          const attempt = Shipment.attemptPickup(s, a.code, "t")
          s = Shipment.fold(attempt.events, s)
          if (picked) {
            expect(attempt.refused?.reason).toBe("invalid-state")
            expect(attempt.events).toEqual([])
          } else if (wrong >= Shipment.MAX_PICKUP_ATTEMPTS) {
            expect(attempt.refused?.reason).toBe("locked")
            expect(attempt.events).toEqual([])
          } else if (a.code === "ABCD2345") {
            expect(attempt.refused).toBeUndefined()
            expect(s.status).toBe("picked-up")
            picked = true
          } else {
            wrong++
            expect(attempt.refused?.reason).toBe(wrong >= Shipment.MAX_PICKUP_ATTEMPTS ? "locked" : "wrong-code")
            expect(attempt.events.map((e) => e._tag)).toEqual(
              wrong >= Shipment.MAX_PICKUP_ATTEMPTS ? ["PickupCodeRejected", "PickupLocked"] : ["PickupCodeRejected"]
            )
            expect(s.failedPickups).toBe(before.failedPickups + 1)
          }
          expect(s.pickupLocked).toBe(!picked && wrong >= Shipment.MAX_PICKUP_ATTEMPTS)
        }
      })
    )
  })

  it("unlocking a pickup that is not locked changes nothing; a home delivery has no pickup to unlock", () => {
    expect(Result.getOrThrow(Shipment.decide({ _tag: "Unlock", at: "t" }, readyPickup()))).toEqual([])
    const home = Shipment.fold(
      Result.getOrThrow(
        Shipment.decide(
          { _tag: "Pack", shipmentId: "s", orderId: "o", lines: [{ sku: "A", qty: 1 }], method: "home", at: "t" },
          Shipment.initialState
        )
      )
    )
    const d = Shipment.decide({ _tag: "Unlock", at: "t" }, home)
    expect(Result.isFailure(d) && d.failure.reason).toBe("wrong-method")
  })

  it("pickup codes compare in one form: case, spaces and dashes do not matter", () => {
    expect(Shipment.normalizeCode(" abcd-2345 ")).toBe("ABCD2345")
    expect(Shipment.normalizeCode("AB CD\t23 45")).toBe("ABCD2345")
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
