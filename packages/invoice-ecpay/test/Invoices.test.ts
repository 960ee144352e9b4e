/**
 * Core's invoice use cases (`Invoices`) end to end: a group buy on core's in-memory storage, the
 * order paid, its invoice requested, issued by the scheduler's `invoice.issue` job through
 * `@kaituan/invoice-ecpay` against the ECPay stand-in (a failed attempt recorded and retried),
 * then refunds: an allowance or a void, never both, never twice.
 */
import { CommentParser, GroupBuy, IdGenerator, Invoices, Scheduler, Storage } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { afterAll, beforeAll } from "vitest"
import { spec, testParser } from "../../core/test/support/fixtures.js"
import { EcpayInvoice } from "../src/index.js"
import * as StandIn from "./InvoiceStandIn.js"

let standIn: StandIn.StandIn
beforeAll(async () => {
  standIn = await StandIn.start()
})
afterAll(() => standIn.close())

const app = () =>
  Layer.mergeAll(
    Layer.effect(GroupBuy.GroupBuy, GroupBuy.make).pipe(
      Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, CommentParser.layer(testParser), IdGenerator.layerCounter))
    ),
    EcpayInvoice.layer({
      merchantId: StandIn.STAGE.merchantId,
      hashKey: Redacted.make(StandIn.STAGE.hashKey),
      hashIV: Redacted.make(StandIn.STAGE.hashIV),
      apiBaseUrl: standIn.baseUrl,
      retry: { retries: 0 }
    })
  )

const buyer = (id: string) => ({ id, name: "王小明" })
const names = { "SOCK-R": "毛襪(紅)", "SOCK-W": "毛襪(白)" }
const recipient = { buyer: { email: "buyer@example.com" }, carrier: { _tag: "Mobile" as const, barcode: "/ABC+123" } }
const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()

/** A round with two buyers' orders, closed, both paid in full. */
const paidOrders = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: spec({ cutoff: undefined }), at: "2024-05-01T09:00:00+08:00" })
  yield* g.submitComments({
    roundId: "socks",
    comments: [
      { channel: "line", commentId: "c1", author: buyer("U1"), text: "紅+2", at: "2024-05-01T10:00:00+08:00" },
      { channel: "line", commentId: "c2", author: buyer("U2"), text: "白+1", at: "2024-05-01T10:01:00+08:00" }
    ]
  })
  yield* g.closeRound({ roundId: "socks", at: "2024-05-01T12:00:00+08:00" })
  const orders = yield* g.orders({ roundId: "socks" })
  for (const [i, o] of orders.entries())
    yield* g.recordPayment({
      transactionId: `tx-${i}`,
      source: "gateway",
      amount: o.total,
      at: "2024-05-01T13:00:00+08:00",
      orderIds: [o.orderId],
      evidence: "test"
    })
  return yield* g.orders({ roundId: "socks" })
})

describe("Invoices: on-paid, issued by the outbox job with retry, refunds", () => {
  it.live("a paid order's invoice is requested, a failed attempt recorded and retried, the number recorded once", () =>
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      const orders = yield* paidOrders
      expect(orders.every((o) => o.status === "paid")).toBe(true)
      const requested = yield* Invoices.requestPaid({
        roundId: "socks",
        policy: "on-paid",
        recipientOf: () => recipient,
        productNames: names
      })
      expect(requested).toEqual({ requested: 2, skipped: 0, refused: 0 })
      // again: nothing more
      expect(
        yield* Invoices.requestPaid({ roundId: "socks", policy: "on-paid", recipientOf: () => recipient })
      ).toEqual({ requested: 0, skipped: 0, refused: 0 })
      const jobs = yield* storage.jobs({ kind: Invoices.ISSUE_JOB })
      expect(jobs.map((j) => j.status)).toEqual(["pending", "pending"])

      // ECPay slows us down on the first two calls (the barcode check, advisory, and the issue):
      // the attempt fails and is recorded
      standIn.failNext(403, 2)
      const first = yield* Scheduler.runDue({ handlers: Invoices.handlers, concurrency: 1 })
      expect(first.jobs.map((j) => j.outcome).sort()).toEqual(["done", "retry"])
      const failedOrder = orders.find((o) => first.jobs.some((j) => j.outcome === "retry" && j.id.includes(o.orderId)))!
      const failed = yield* storage.readStream(Invoices.invoiceStream(failedOrder.orderId))
      expect(failed.events.map((e) => e.type)).toEqual(["InvoiceRequested", "InvoiceFailed"])
      expect(failed.events[1]!.data).toMatchObject({ reason: "unavailable", code: "403" })

      // the retry issues it
      const second = yield* Scheduler.runDue({ handlers: Invoices.handlers, now: later(1) })
      expect(second.jobs.map((j) => j.outcome)).toEqual(["done"])
      for (const o of orders) {
        const state = yield* Invoices.stateOf(o.orderId)
        expect(state.status).toBe("issued")
        expect(state.invoice?.amount).toBe(o.total)
        expect(standIn.issuedCount(state.invoice!.relateNumber)).toBe(1)
        const issue = standIn.received.find(
          (r) => r.path === "/B2CInvoice/Issue" && r.data?.RelateNumber === state.invoice!.relateNumber
        )!
        expect((issue.data!.Items as Array<{ ItemName: string }>)[0]!.ItemName).toMatch(/^毛襪/)
      }
      expect(yield* Scheduler.runDue({ handlers: Invoices.handlers, now: later(2) })).toMatchObject({ jobs: [] })
    }).pipe(Effect.provide(app()))
  )

  it.live("a refund after an invoice voids it or makes an allowance, never both, never twice", () =>
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      const [a, b] = yield* paidOrders
      for (const o of [a!, b!]) yield* Invoices.request({ orderId: o.orderId, recipient, productNames: names })
      yield* Scheduler.runDue({ handlers: Invoices.handlers })

      // a partial refund: an allowance; the same refund again: the same answer, no second call
      expect(yield* Invoices.refund({ orderId: a!.orderId, refundId: "r1", amount: 100, reason: "少一雙" })).toBe(
        "allowance"
      )
      const calls = standIn.received.length
      expect(yield* Invoices.refund({ orderId: a!.orderId, refundId: "r1", amount: 100, reason: "少一雙" })).toBe(
        "allowance"
      )
      expect(standIn.received.length).toBe(calls)
      // the rest, in full: not a void (an allowance exists), an allowance of what remains
      expect(yield* Invoices.refund({ orderId: a!.orderId, refundId: "r2", amount: a!.total, reason: "退貨" })).toBe(
        "allowance"
      )
      const stateA = yield* Invoices.stateOf(a!.orderId)
      expect(stateA.allowed).toBe(a!.total)
      expect(stateA.status).toBe("issued")

      // a full refund of a fresh invoice: a void, once
      expect(
        yield* Invoices.refund({ orderId: b!.orderId, refundId: "r3", amount: b!.total, reason: "團購取消" })
      ).toBe("void")
      expect(
        yield* Invoices.refund({ orderId: b!.orderId, refundId: "r3", amount: b!.total, reason: "團購取消" })
      ).toBe("void")
      const again = yield* Effect.flip(Invoices.refund({ orderId: b!.orderId, refundId: "r4", amount: 1, reason: "x" }))
      expect(again._tag === "InvoiceError" && again.reason).toBe("voided")
      const streamB = yield* storage.readStream(Invoices.invoiceStream(b!.orderId))
      expect(streamB.events.map((e) => e.type)).toEqual(["InvoiceRequested", "InvoiceIssued", "InvoiceVoided"])
      const voided = yield* Invoices.stateOf(b!.orderId)
      expect(standIn.invoices.get(voided.invoice!.relateNumber.toUpperCase())?.voided).toBe(true)
    }).pipe(Effect.provide(app()))
  )

  it.live("an unpaid order has no invoice; a recipient the rules refuse is refused before any call", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ cutoff: undefined }), at: "2024-05-01T09:00:00+08:00" })
      yield* g.submitComments({
        roundId: "socks",
        comments: [
          { channel: "line", commentId: "c1", author: buyer("U1"), text: "紅+1", at: "2024-05-01T10:00:00+08:00" }
        ]
      })
      yield* g.closeRound({ roundId: "socks", at: "2024-05-01T12:00:00+08:00" })
      const [o] = yield* g.orders({ roundId: "socks" })
      const unpaid = yield* Effect.flip(Invoices.request({ orderId: o!.orderId, recipient }))
      expect(unpaid._tag === "InvoiceError" && unpaid.reason).toBe("order-not-paid")
      yield* g.recordPayment({
        transactionId: "tx",
        source: "gateway",
        amount: o!.total,
        at: "2024-05-01T13:00:00+08:00",
        orderIds: [o!.orderId],
        evidence: "test"
      })
      const calls = standIn.received.length
      const refused = yield* Effect.flip(
        Invoices.request({ orderId: o!.orderId, recipient: { buyer: {}, carrier: { _tag: "Printed" } } })
      )
      expect(refused._tag === "InvoicingError" && refused.reason).toBe("invalid-input")
      expect(standIn.received.length).toBe(calls)
    }).pipe(Effect.provide(app()))
  )
})
