/**
 * The after-sales scenario every store runs (memory here, SQLite and PostgreSQL in
 * `@kaituan/storage-sql`'s tests): a paid order shipped for meet-up pickup, picked up, part of it
 * returned, refunded in two parts; a paid order cancelled after the close and refunded; the
 * `refunds-due` read model at each step, and the same documents again after a rebuild from the
 * events.
 */
import { expect } from "@effect/vitest"
import { AfterSales, CommentParser, DomainEvents, GroupBuy, IdGenerator, ReadModels, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./fixtures.js"

export const OPEN = "2024-05-01T09:00:00+08:00"
export const CUTOFF = "2024-05-10T22:00:00+08:00"

/** GroupBuy over the given Storage layer. */
export const appOver = <E>(storage: Layer.Layer<Storage.Storage, E>) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(storage, CommentParser.layer(testParser), IdGenerator.layerCounter))
  )

const comment = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at: "2024-05-01T10:00:00+08:00"
})

/** The outbox's messages not claimed yet (claimed for a minute). */
export const outbox = Effect.flatMap(Storage.Storage, (s) =>
  Effect.map(s.claimOutbox({ limit: 1000, leaseMs: 60_000 }), (entries) => entries.map((e) => e.message))
)

/** Every `refunds-due` document, as stored. */
export const dueDocs = Effect.flatMap(Storage.Storage, (s) => s.documents({ model: "refunds-due", limit: 1000 }))

/** amy: 紅×2 (240) and bob: 白×1 (130), closed, both paid. */
export const paidOrders = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: spec(), at: OPEN })
  yield* g.submitComments({
    roundId: "socks",
    comments: [comment("1", "amy", "紅+2"), comment("2", "bob", "白+1")]
  })
  const [amy, bob] = yield* g.orders({ roundId: "socks" })
  yield* g.closeRound({ roundId: "socks", at: CUTOFF })
  for (const [tx, o] of [
    ["t1", amy!],
    ["t2", bob!]
  ] as const)
    yield* g.recordPayment({
      transactionId: tx,
      source: "statement",
      amount: o.total,
      at: "2024-05-11T10:00:00+08:00",
      orderIds: [o.orderId],
      evidence: "last5"
    })
  yield* outbox
  return { g, amy: amy!, bob: bob! }
})

/** The whole scenario; fails on the first difference. */
export const scenario = Effect.gen(function* () {
  const { g, amy, bob } = yield* paidOrders
  const storage = yield* Storage.Storage

  // Shipped for a meet-up pickup and picked up: the buyer is told.
  const { shipmentId, pickupCode } = yield* g.ship({
    orderId: amy.orderId,
    lines: [{ sku: "SOCK-R", qty: 2 }],
    method: "pickup"
  })
  yield* g.confirmPickup({ shipmentId, code: pickupCode! })
  expect((yield* outbox).map((m) => [m.kind, m.id])).toEqual([
    ["pickup-ready", `shipment:${shipmentId}:pickup-ready`],
    ["picked-up", `shipment:${shipmentId}:picked-up`]
  ])

  // One of the two comes back damaged: 120 due, the reason code kept, the buyer told.
  const returned = yield* AfterSales.returnShipment({
    shipmentId,
    lines: [{ sku: "SOCK-R", qty: 1 }],
    reasonCode: "damaged",
    reason: "破洞",
    at: "2024-05-13T10:00:00+08:00"
  })
  expect(returned).toMatchObject({ orderId: amy.orderId, refundDue: 120, lines: [{ sku: "SOCK-R", qty: 1 }] })
  const told = yield* outbox
  expect(told).toMatchObject([
    {
      kind: "order-returned",
      id: `shipment:${shipmentId}:returned`,
      data: { orderId: amy.orderId, amount: 120, reasonCode: "damaged", lines: [{ label: "毛襪 紅", qty: 1 }] }
    }
  ])
  const due = yield* AfterSales.refundsDue({ roundId: "socks" })
  expect(due).toEqual([
    {
      orderId: amy.orderId,
      roundId: "socks",
      buyerId: "line:amy",
      due: 120,
      refunded: 0,
      causes: [
        {
          kind: "return",
          amount: 120,
          reasonCode: "damaged",
          reason: "破洞",
          shipmentId,
          lines: [{ sku: "SOCK-R", qty: 1 }],
          at: "2024-05-13T10:00:00+08:00"
        }
      ],
      since: "2024-05-13T10:00:00+08:00",
      updatedAt: "2024-05-13T10:00:00+08:00"
    }
  ])
  // The same shipment does not come back twice; no more than it held.
  expect(yield* Effect.flip(AfterSales.returnShipment({ shipmentId, reasonCode: "damaged" }))).toMatchObject({
    reason: "rejected"
  })

  // The 120 goes back by bank transfer: a partial refund, the order keeps its status.
  const partial = yield* AfterSales.refund({
    orderId: amy.orderId,
    amount: 120,
    method: "bank-transfer",
    reasonCode: "damaged",
    refundId: "r-1",
    at: "2024-05-14T10:00:00+08:00"
  })
  expect(partial).toMatchObject({ status: "partly-refunded", amount: 120, order: { status: "shipped", paid: 120 } })
  expect((yield* outbox).map((m) => [m.kind, m.data.amount, m.data.method])).toEqual([
    ["order-partly-refunded", 120, "bank-transfer"]
  ])
  expect(yield* AfterSales.refundsDue({ roundId: "socks" })).toEqual([])
  // The same refund id again is the same refund: recorded once.
  expect(
    yield* AfterSales.refund({
      orderId: amy.orderId,
      amount: 120,
      method: "bank-transfer",
      reasonCode: "damaged",
      refundId: "r-1"
    })
  ).toMatchObject({ status: "duplicate", amount: 0 })
  // Never more than is left of what was received.
  const over = yield* Effect.flip(
    AfterSales.refund({ orderId: amy.orderId, amount: 121, method: "cash", reasonCode: "quality" })
  )
  expect(over).toMatchObject({ reason: "rejected" })
  expect(over.message).toContain("exceeds the 120")

  // bob's paid order is cancelled after the close: cancelled, 130 due back.
  expect(
    yield* g.cancelOrder({ orderId: bob.orderId, reason: "買家取消", at: "2024-05-12T10:00:00+08:00" })
  ).toMatchObject({
    status: "cancelled"
  })
  expect(
    (yield* AfterSales.refundsDue({ roundId: "socks" })).map((d) => [d.orderId, d.due, d.causes[0]!.kind])
  ).toEqual([[bob.orderId, 130, "cancel"]])
  yield* outbox
  const full = yield* AfterSales.refund({ orderId: bob.orderId, method: "gateway", reasonCode: "buyer-cancelled" })
  expect(full).toMatchObject({ status: "refunded", amount: 130, order: { status: "refunded", paid: 0 } })
  expect((yield* outbox).map((m) => [m.kind, m.id, m.data.amount])).toEqual([
    ["order-refunded", `order:${bob.orderId}:refunded`, 130]
  ])
  expect(yield* AfterSales.refundsDue({ roundId: "socks" })).toEqual([])

  // The payments record the money going back.
  const paymentEvents = (tx: string) =>
    Effect.map(storage.readStream(`payment:p_statement_${tx}`), (r) =>
      r.events.filter((e) => e.type === "PaymentRefunded").map((e) => e.data)
    )
  expect(yield* paymentEvents("t1")).toMatchObject([{ amount: 120, orderId: amy.orderId, method: "bank-transfer" }])
  expect(yield* paymentEvents("t2")).toMatchObject([{ amount: 130, orderId: bob.orderId, method: "gateway" }])

  // A partial refund that nothing made due leaves the list empty; a shipment comes back once.
  yield* AfterSales.refund({ orderId: amy.orderId, amount: 20, method: "cash", reasonCode: "quality" })
  expect(yield* dueDocs).toEqual([])
  expect(
    yield* Effect.flip(
      AfterSales.returnShipment({ shipmentId, lines: [{ sku: "SOCK-R", qty: 1 }], reasonCode: "other" })
    )
  ).toMatchObject({ reason: "rejected" })

  // Embedders see every refund, partial ones too, as `order.refunded` with its amount.
  const published = yield* DomainEvents.read({ batch: 10_000, types: ["order.refunded"] })
  expect(
    published.events
      .filter((e) => e.type === "order.refunded")
      .map((e) => [(e.data as { orderId: string }).orderId, (e.data as { amount: number }).amount])
  ).toEqual([
    [amy.orderId, 120],
    [bob.orderId, 130],
    [amy.orderId, 20]
  ])

  // A rebuild from the events gives the same documents.
  const ship2 = yield* paidSecondRound(g)
  const before = yield* dueDocs
  expect(before.map((d) => (d.doc as { due: number }).due)).toEqual([100])
  yield* storage.rebuild("refunds-due")
  expect(yield* dueDocs).toEqual(before)
  const typed = yield* ReadModels.get(ReadModels.RefundsDue.definition, ship2.orderId).pipe(
    Effect.provideService(Storage.Storage, storage)
  )
  expect(typed?.causes.map((c) => c.reasonCode)).toEqual(["wrong-item"])
})

/** A second round: cat's 保溫杯 (450) shipped home, paid 450 less a 350 partial refund, then returned: 100 due. */
const paidSecondRound = (g: GroupBuy.GroupBuyService) =>
  Effect.gen(function* () {
    yield* g.openRound({ spec: spec({ id: "cups" }), at: OPEN })
    yield* g.submitComments({ roundId: "cups", comments: [{ ...comment("c1", "cat", "保溫杯+1"), idScope: "round" }] })
    const [cat] = yield* g.orders({ roundId: "cups" })
    yield* g.closeRound({ roundId: "cups", at: CUTOFF })
    yield* g.recordPayment({
      transactionId: "t3",
      source: "cash",
      amount: 450,
      at: "2024-05-11T10:00:00+08:00",
      orderIds: [cat!.orderId],
      evidence: "cash"
    })
    const { shipmentId } = yield* g.ship({ orderId: cat!.orderId, lines: [{ sku: "CUP", qty: 1 }], method: "home" })
    yield* AfterSales.refund({ orderId: cat!.orderId, amount: 350, method: "cash", reasonCode: "out-of-stock" })
    const r = yield* AfterSales.returnShipment({ shipmentId, reasonCode: "wrong-item" })
    // Worth 450, but only 100 of what was received is left to give back.
    expect(r.refundDue).toBe(100)
    return { orderId: cat!.orderId }
  })
