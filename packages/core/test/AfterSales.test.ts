/**
 * After-sales: the use cases end to end on the memory store (the same scenario runs on SQLite and
 * PostgreSQL in `@kaituan/storage-sql`), and the deciders' money and goods properties: refunds
 * never exceed what was received (orders and payments alike), returns never exceed what shipped.
 */
import { describe, expect, it } from "@effect/vitest"
import { AfterSales, Order, Payment, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import fc from "fast-check"
import { appOver, outbox, paidOrders, scenario } from "./support/afterSales.js"

const app = () => appOver(Storage.layerMemory)

describe("AfterSales on the memory store", () => {
  it.effect("pickup, return, partial and full refunds, a paid order cancelled: refunds-due follows", () =>
    scenario.pipe(Effect.provide(app()))
  )

  it.effect("GroupBuy.refundOrder (all of it) records the money going back on the payment too; once", () =>
    Effect.gen(function* () {
      const { g, amy } = yield* paidOrders
      expect(yield* g.refundOrder({ orderId: amy.orderId, reason: "缺貨" })).toMatchObject({
        status: "refunded",
        paid: 0
      })
      expect(yield* g.refundOrder({ orderId: amy.orderId, reason: "again" })).toMatchObject({ status: "refunded" })
      const storage = yield* Storage.Storage
      const events = (yield* storage.readStream("payment:p_statement_t1")).events
      expect(events.filter((e) => e.type === "PaymentRefunded").map((e) => e.data)).toMatchObject([
        { amount: 240, orderId: amy.orderId }
      ])
      expect((yield* outbox).map((m) => [m.kind, m.data.amount])).toEqual([["order-refunded", 240]])
    }).pipe(Effect.provide(app()))
  )

  it.effect("refuses bad inputs naming the field, unknown orders and shipments, orders with nothing received", () =>
    Effect.gen(function* () {
      const { g, amy } = yield* paidOrders
      expect(
        yield* Effect.flip(AfterSales.refund({ orderId: amy.orderId, method: "cheque", reasonCode: "damaged" }))
      ).toMatchObject({ reason: "invalid-input", field: "method" })
      expect(
        yield* Effect.flip(AfterSales.refund({ orderId: amy.orderId, method: "cash", reasonCode: "broken" }))
      ).toMatchObject({ reason: "invalid-input", field: "reasonCode" })
      expect(
        yield* Effect.flip(AfterSales.refund({ orderId: amy.orderId, amount: 0, method: "cash", reasonCode: "other" }))
      ).toMatchObject({ reason: "invalid-input", field: "amount" })
      expect(
        yield* Effect.flip(AfterSales.refund({ orderId: "o_404", method: "cash", reasonCode: "other" }))
      ).toMatchObject({ reason: "unknown-order" })
      expect(
        yield* Effect.flip(AfterSales.returnShipment({ shipmentId: "s_404", reasonCode: "damaged" }))
      ).toMatchObject({ reason: "unknown-shipment" })
      // Not shipped yet: nothing to return; more than shipped: refused.
      const { shipmentId } = yield* g.ship({ orderId: amy.orderId, lines: [{ sku: "SOCK-R", qty: 1 }], method: "home" })
      expect(
        yield* Effect.flip(
          AfterSales.returnShipment({ shipmentId, lines: [{ sku: "SOCK-R", qty: 2 }], reasonCode: "damaged" })
        )
      ).toMatchObject({ reason: "rejected" })
      expect(yield* outbox).toHaveLength(1)
      // A refund of a line the order does not have is refused.
      expect(
        yield* Effect.flip(
          AfterSales.refund({
            orderId: amy.orderId,
            amount: 10,
            lines: [{ sku: "CUP", qty: 1 }],
            method: "cash",
            reasonCode: "other"
          })
        )
      ).toMatchObject({ reason: "rejected" })
    }).pipe(Effect.provide(app()))
  )
})

const lines = [
  { sku: "A", qty: 2, unitPrice: 100 },
  { sku: "B", qty: 1, unitPrice: 300 }
]

const arbAfterSales: fc.Arbitrary<Order.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("ApplyPayment" as const),
    paymentId: fc.constantFrom("p1", "p2", "p3"),
    amount: fc.integer({ min: 1, max: 600 }),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("AddShipment" as const),
    shipmentId: fc.constantFrom("s1", "s2"),
    lines: fc.array(fc.record({ sku: fc.constantFrom("A", "B"), qty: fc.integer({ min: 1, max: 2 }) }), {
      minLength: 1,
      maxLength: 2
    }),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("Refund" as const),
    amount: fc.option(fc.integer({ min: 1, max: 700 }), { nil: undefined }),
    reasonCode: fc.constantFrom(...Order.RefundReason.literals),
    method: fc.constantFrom(...Order.RefundMethod.literals),
    at: fc.constant("t")
  }),
  fc.record({
    _tag: fc.constant("ReturnLines" as const),
    shipmentId: fc.constantFrom("s1", "s2"),
    lines: fc.array(fc.record({ sku: fc.constantFrom("A", "B", "C"), qty: fc.integer({ min: 1, max: 3 }) }), {
      minLength: 1,
      maxLength: 3
    }),
    reasonCode: fc.constantFrom(...Order.RefundReason.literals),
    at: fc.constant("t")
  }),
  fc.constant<Order.Command>({ _tag: "Cancel", reason: "x", reasonCode: "buyer-cancelled", at: "t" }),
  fc.constant<Order.Command>({ _tag: "Complete", at: "t" })
)

describe("after-sales properties", () => {
  it("an order never gives back more than it received, nor takes back more than it shipped", () => {
    fc.assert(
      fc.property(fc.array(arbAfterSales, { maxLength: 40 }), (cmds) => {
        let s = Order.fold(
          Result.getOrThrow(
            Order.decide(
              { _tag: "Confirm", orderId: "o", roundId: "r", buyerId: "line:u", buyer: { id: "u" }, lines, at: "t" },
              Order.initialState
            )
          )
        )
        let given = 0
        let due = 0
        const returned: Record<string, number> = {}
        for (const c of cmds) {
          const d = Order.decide(c, s)
          if (Result.isFailure(d)) continue
          for (const e of d.success) {
            if (e._tag === "OrderRefunded" || e._tag === "OrderPartlyRefunded") given += e.amount
            if (e._tag === "OrderLinesReturned") {
              due += e.amount
              for (const l of e.lines) returned[l.sku] = (returned[l.sku] ?? 0) + l.qty
            }
            if (e._tag === "OrderCancelled") due += e.refundDue ?? 0
            s = Order.evolve(s, e)
          }
          expect(given).toBe(s.refunded)
          expect(s.refunded).toBeLessThanOrEqual(s.paid)
          expect(s.refunded + s.refundDue).toBeLessThanOrEqual(s.paid)
          expect(s.refundDue).toBeLessThanOrEqual(due)
          for (const [sku, n] of Object.entries(returned)) {
            expect(n).toBeLessThanOrEqual(s.shipped[sku] ?? 0)
            expect(s.returned[sku]).toBe(n)
          }
        }
      })
    )
  })

  it("a payment refunded in parts never gives back more than it received", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: -5, max: 600 })), (received, asks) => {
        let s = Payment.fold(
          Result.getOrThrow(
            Payment.decide(
              { _tag: "Receive", paymentId: "p", source: "cash", transactionId: "t", amount: received, at: "t" },
              Payment.initialState
            )
          )
        )
        let back = 0
        for (const amount of asks) {
          const d = Payment.decide({ _tag: "Refund", amount, orderId: "o", method: "cash", at: "t" }, s)
          if (Result.isSuccess(d)) {
            back += amount
            s = Payment.fold(d.success, s)
          } else expect(amount <= 0 || amount > received - back).toBe(true)
        }
        expect(s.refunded).toBe(back)
        expect(back).toBeLessThanOrEqual(received)
      })
    )
  })
})
