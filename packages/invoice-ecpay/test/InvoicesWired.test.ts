/**
 * E-invoices wired end to end, on core's in-memory storage and on SQLite: a round with
 * `invoice: { issue: "on-paid" }`, the buyer's carrier recorded, the order paid through
 * `GroupBuy.recordPayment` (which schedules the `invoice.request` job in the payment's commit),
 * the Scheduler's built-in handlers requesting and issuing it through `@kaituan/invoice-ecpay`
 * against the ECPay stand-in; then `GroupBuy.refundOrder` voiding it by the `invoice.refund` job
 * — never twice, and never both a void and an allowance.
 */
import { CommentParser, GroupBuy, IdGenerator, Invoices, MessageTemplates, Scheduler, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Database } from "@kaituan/storage-sql"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest"
import { spec, testParser } from "../../core/test/support/fixtures.js"
import { EcpayInvoice } from "../src/index.js"
import * as StandIn from "./InvoiceStandIn.js"

let standIn: StandIn.StandIn
let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-invoices-"))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
// a fresh stand-in per test: every test's order is o_1
beforeEach(async () => {
  standIn = await StandIn.start()
})
afterEach(() => standIn.close())

const storages: ReadonlyArray<readonly [string, () => Layer.Layer<Storage.Storage, unknown>]> = [
  ["memory", () => Storage.layerMemory],
  ["SQLite", () => Database.layerFromUrl(path.join(fs.mkdtempSync(path.join(dir, "db-")), "kaituan.db"))]
]

const invoicing = () =>
  EcpayInvoice.layer({
    merchantId: StandIn.STAGE.merchantId,
    hashKey: Redacted.make(StandIn.STAGE.hashKey),
    hashIV: Redacted.make(StandIn.STAGE.hashIV),
    apiBaseUrl: standIn.baseUrl,
    retry: { retries: 0 }
  })

const app = (storage: Layer.Layer<Storage.Storage, unknown>, withInvoicing = true, realParser = false) => {
  const base = Layer.effect(GroupBuy.GroupBuy, GroupBuy.make).pipe(
    Layer.provideMerge(
      Layer.mergeAll(storage, realParser ? Parser.layer : CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )
  return withInvoicing ? Layer.mergeAll(base, invoicing()) : base
}

const later = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()
const buyer = (id: string) => ({ id, name: "王小明" })

/** A closed round (on-paid e-invoices) with U1's order (紅+2), U1's carrier given; the order id. */
const closedRound = (onPaid = true) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    yield* g.openRound({
      spec: spec({ cutoff: undefined, ...(onPaid ? { invoice: { issue: "on-paid" } } : {}) }),
      at: "2024-05-01T09:00:00+08:00"
    })
    yield* g.submitComments({
      roundId: "socks",
      comments: [
        { channel: "line", commentId: "c1", author: buyer("U1"), text: "紅+2", at: "2024-05-01T10:00:00+08:00" }
      ]
    })
    yield* g.closeRound({ roundId: "socks", at: "2024-05-01T12:00:00+08:00" })
    const [order] = yield* g.orders({ roundId: "socks" })
    yield* Invoices.giveCarrier({
      buyerId: order!.buyerId,
      details: { carrier: { _tag: "Mobile", barcode: "/ABC+123" }, email: "buyer@example.com" }
    })
    return order!
  })

const pay = (orderId: string, amount: number, tx: string) =>
  Effect.flatMap(GroupBuy.GroupBuy, (g) =>
    g.recordPayment({
      transactionId: tx,
      source: "cash",
      amount,
      at: "2024-05-01T13:00:00+08:00",
      orderIds: [orderId],
      evidence: "counter"
    })
  )

describe.each(storages)("e-invoices wired (%s)", (_name, storage) => {
  it.live("paying in full requests the invoice in the payment's commit; the built-in jobs issue it once", () =>
    Effect.gen(function* () {
      const store = yield* Storage.Storage
      const order = yield* closedRound()
      // a part payment: nothing yet
      yield* pay(order.orderId, 100, "tx-1")
      expect(yield* store.jobs({ kind: Invoices.REQUEST_JOB })).toEqual([])
      yield* pay(order.orderId, order.total - 100, "tx-2")
      // the same payment again (a webhook retried): no second job
      yield* pay(order.orderId, order.total - 100, "tx-2")
      const jobs = yield* store.jobs({ kind: Invoices.REQUEST_JOB })
      expect(jobs.map((j) => [j.id, j.status])).toEqual([[`invoice.request:${order.orderId}`, "pending"]])

      yield* Scheduler.runDue({ now: later(0) }) // invoice.request → invoice.issue scheduled
      yield* Scheduler.runDue({ now: later(0) }) // invoice.issue → issued
      const state = yield* Invoices.stateOf(order.orderId)
      expect(state.status).toBe("issued")
      expect(state.invoice?.amount).toBe(order.total)
      expect(state.request?.carrier).toEqual({ _tag: "Mobile", barcode: "/ABC+123" })
      const issue = standIn.received.find(
        (r) => r.path === "/B2CInvoice/Issue" && r.data?.RelateNumber === state.invoice!.relateNumber
      )!
      expect((issue.data!.Items as Array<{ ItemName: string }>)[0]!.ItemName).toBe("毛襪 紅")
      expect(issue.data!.CarrierNum).toBe("/ABC+123")
      expect(standIn.issuedCount(state.invoice!.relateNumber)).toBe(1)
      expect(yield* Invoices.problems()).toEqual([])
    }).pipe(Effect.provide(app(storage())))
  )

  it.live("a refund after the invoice voids it by the job in the refund's commit: never twice, never both", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const store = yield* Storage.Storage
      const order = yield* closedRound()
      yield* pay(order.orderId, order.total, "tx-1")
      yield* Scheduler.runDue({ now: later(0) })
      yield* Scheduler.runDue({ now: later(0) })
      const issued = yield* Invoices.stateOf(order.orderId)
      expect(issued.status).toBe("issued")

      yield* g.refundOrder({ orderId: order.orderId, reason: "團購取消" })
      yield* g.refundOrder({ orderId: order.orderId, reason: "團購取消" }) // refunding a refunded order: nothing
      const refundJobs = yield* store.jobs({ kind: Invoices.REFUND_JOB })
      expect(refundJobs).toHaveLength(1)
      yield* Scheduler.runDue({ now: later(0) })
      yield* Scheduler.runDue({ now: later(1) })
      const after = yield* Invoices.stateOf(order.orderId)
      expect(after.status).toBe("voided")
      const stream = yield* store.readStream(Invoices.invoiceStream(order.orderId))
      expect(stream.events.map((e) => e.type)).toEqual(["InvoiceRequested", "InvoiceIssued", "InvoiceVoided"])
      const invalid = standIn.received.filter(
        (r) => r.path === "/B2CInvoice/Invalid" && r.data?.InvoiceNo === issued.invoice!.invoiceNo
      )
      expect(invalid).toHaveLength(1)
      expect(
        standIn.received.filter(
          (r) => r.path === "/B2CInvoice/Allowance" && r.data?.InvoiceNo === issued.invoice!.invoiceNo
        )
      ).toEqual([])
      // the same refund job run again (a retried job): the vendor is not called again
      const calls = standIn.received.length
      yield* Effect.flatMap(Storage.Storage, (s) =>
        s.commit([
          {
            appends: [],
            views: [],
            outbox: [],
            schedule: [
              Invoices.refundJob({
                orderId: order.orderId,
                refundId: `order:${order.orderId}`,
                amount: order.total,
                at: later(0)
              })
            ]
          }
        ])
      )
      yield* Scheduler.runDue({ now: later(2) })
      expect(standIn.received.length).toBe(calls)
    }).pipe(Effect.provide(app(storage())))
  )

  it.live(
    "no carrier: the request job fails for good and the organiser sees it, until the buyer sends their 載具",
    () =>
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* g.openRound({
          spec: spec({ cutoff: undefined, invoice: { issue: "on-paid", noticeEmail: "shop@example.com" } }),
          at: "2024-05-01T09:00:00+08:00"
        })
        yield* g.submitComments({
          roundId: "socks",
          comments: [
            { channel: "line", commentId: "c1", author: buyer("U9"), text: "白+1", at: "2024-05-01T10:00:00+08:00" }
          ]
        })
        yield* g.closeRound({ roundId: "socks", at: "2024-05-01T12:00:00+08:00" })
        const [order] = yield* g.orders({ roundId: "socks" })
        yield* pay(order!.orderId, order!.total, "tx-9")
        yield* Scheduler.runDue({ now: later(0) })
        const problems = yield* Invoices.problems()
        expect(problems).toMatchObject([
          { kind: "invoice.request", orderId: order!.orderId, status: "failed", attempts: 1 }
        ])
        expect(problems[0]!.lastError).toContain("載具")
        expect((yield* Invoices.stateOf(order!.orderId)).status).toBe("none")
        // the buyer then sends their 載具 in chat: the request is made again, and issued
        yield* g.submitComments({
          roundId: "socks",
          comments: [
            {
              channel: "line",
              commentId: "c2",
              author: buyer("U9"),
              text: "載具 /1234567",
              at: "2024-05-01T14:00:00+08:00"
            }
          ]
        })
        yield* Scheduler.runDue({ now: later(0) })
        yield* Scheduler.runDue({ now: later(0) })
        const state = yield* Invoices.stateOf(order!.orderId)
        expect(state.status).toBe("issued")
        expect(state.request?.carrier).toEqual({ _tag: "Mobile", barcode: "/1234567" })
        expect(state.request?.buyer.email).toBe("shop@example.com")
        expect(yield* Invoices.problems()).toEqual([])
      }).pipe(Effect.provide(app(storage(), true, true)))
  )

  it.live("without an Invoicing service the issue job waits (retried, visible to the organiser)", () =>
    Effect.gen(function* () {
      const order = yield* closedRound()
      yield* pay(order.orderId, order.total, "tx-1")
      yield* Scheduler.runDue({ now: later(0) })
      const run = yield* Scheduler.runDue({ now: later(0) })
      expect(run.jobs.map((j) => [j.kind, j.outcome])).toEqual([["invoice.issue", "retry"]])
      expect((yield* Invoices.problems()).map((p) => [p.kind, p.status])).toEqual([["invoice.issue", "retrying"]])
    }).pipe(Effect.provide(app(storage(), false)))
  )

  it.live("a round without the setting requests nothing on payment; its refund job is done without a service", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const store = yield* Storage.Storage
      const order = yield* closedRound(false)
      yield* pay(order.orderId, order.total, "tx-1")
      expect(yield* store.jobs({ kind: Invoices.REQUEST_JOB })).toEqual([])
      yield* g.refundOrder({ orderId: order.orderId, reason: "缺貨" })
      const run = yield* Scheduler.runDue({ now: later(0) })
      expect(run.jobs.map((j) => [j.kind, j.outcome])).toEqual([["invoice.refund", "done"]])
      expect((yield* Invoices.stateOf(order.orderId)).status).toBe("none")
    }).pipe(Effect.provide(app(storage(), false)))
  )

  it.live("a buyer's 載具 in chat is recorded, acknowledged, used for their invoice; a malformed one is refused", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const store = yield* Storage.Storage
      yield* g.openRound({
        spec: spec({ cutoff: undefined, invoice: { issue: "on-paid", noticeEmail: "shop@example.com" } }),
        at: "2024-05-01T09:00:00+08:00"
      })
      const say = (id: string, text: string, minute: number) =>
        g.submitComments({
          roundId: "socks",
          comments: [
            {
              channel: "line",
              commentId: id,
              author: buyer("U1"),
              text,
              at: `2024-05-01T10:${String(minute).padStart(2, "0")}:00+08:00`
            }
          ]
        })
      yield* say("c1", "紅色+2", 0)
      const [bad] = yield* say("c2", "載具 /AB", 1)
      const [good] = yield* say("c3", "載具 /abc+123", 2)
      yield* say("c4", "載具 /ABC+123", 3) // the same again: nothing new recorded
      expect([bad!.status, good!.status]).toEqual(["ignored", "ignored"])
      const [order] = yield* g.orders({ roundId: "socks" })
      expect(order!.lines).toEqual([expect.objectContaining({ sku: "SOCK-R", qty: 2 })])
      const carrierEvents = yield* store.readStream(Invoices.carrierStream(order!.buyerId))
      expect(carrierEvents.events.map((e) => e.type)).toEqual(["CarrierGiven"])
      expect(yield* Invoices.carrierOf(order!.buyerId)).toEqual({ carrier: { _tag: "Mobile", barcode: "/ABC+123" } })
      const told = (yield* store.claimOutbox({ limit: 100, leaseMs: 0 }))
        .map((e) => e.message)
        .filter((m) => m.kind === "invoice-carrier")
      expect(told.map((m) => MessageTemplates.render(m.kind, m.data).split("\n")[0])).toEqual([
        "王小明 您好，您的發票載具格式不正確 🙏",
        "王小明 您好，已記錄您的發票資訊 🧾",
        "王小明 您好，已記錄您的發票資訊 🧾"
      ])

      yield* g.closeRound({ roundId: "socks", at: "2024-05-01T12:00:00+08:00" })
      yield* pay(order!.orderId, order!.total, "tx-1")
      yield* Scheduler.runDue({ now: later(0) })
      yield* Scheduler.runDue({ now: later(0) })
      const state = yield* Invoices.stateOf(order!.orderId)
      expect(state.status).toBe("issued")
      expect(state.request?.buyer.email).toBe("shop@example.com")
      expect(standIn.received.some((r) => r.path === "/B2CInvoice/CheckBarcode")).toBe(true)
    }).pipe(Effect.provide(app(storage(), true, true)))
  )

  it.live("a mobile barcode the tax authority does not know is refused before issuing, for the organiser to see", () =>
    Effect.gen(function* () {
      const order = yield* closedRound()
      yield* Invoices.giveCarrier({
        buyerId: order.buyerId,
        details: { carrier: { _tag: "Mobile", barcode: "/ZZZ9999" }, email: "buyer@example.com" }
      })
      yield* pay(order.orderId, order.total, "tx-1")
      yield* Scheduler.runDue({ now: later(0) })
      yield* Scheduler.runDue({ now: later(0) })
      expect(standIn.received.filter((r) => r.path === "/B2CInvoice/Issue")).toEqual([])
      const problems = yield* Invoices.problems()
      expect(problems).toMatchObject([
        { kind: "invoice.issue", status: "failed", lastFailure: { reason: "invalid-input" } }
      ])
    }).pipe(Effect.provide(app(storage())))
  )
})
