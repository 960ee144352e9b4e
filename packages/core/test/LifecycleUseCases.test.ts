/**
 * The lifecycle use cases after the comments: cancelling and refunding orders, the organiser's
 * review decisions (order, amend, cancel, dismiss), the pickup lockout and the pickup-code
 * lookup, and the cutoff job committed with the round. Each tells the buyer (outbox) and keeps
 * the read models in step with the events (a rebuild from the events gives the same rows).
 */
import { describe, expect, it } from "@effect/vitest"
import {
  CommandHandler,
  CommentParser,
  GroupBuy,
  IdGenerator,
  Order,
  Projector,
  Shipment,
  Storage
} from "@kaituan/core"
import { Effect, Layer, Schema } from "effect"
import { spec, testParser } from "./support/fixtures.js"

const OPEN = "2024-05-01T09:00:00+08:00"
const CUTOFF = "2024-05-10T22:00:00+08:00"

const c = (id: string, author: string, text: string, at = "2024-05-01T10:00:00+08:00"): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at
})

const app = () =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, CommentParser.layer(testParser), IdGenerator.layerCounter))
  )

/** The outbox's messages (all of them, claimed for a minute). */
const outbox = Effect.flatMap(Storage.Storage, (s) =>
  Effect.map(s.claimOutbox({ limit: 1000, leaseMs: 60_000 }), (entries) => entries.map((e) => e.message))
)

const streamTypes = (stream: string) =>
  Effect.flatMap(Storage.Storage, (s) => Effect.map(s.readStream(stream), (r) => r.events.map((e) => e.type)))

const stockOf = (sku: string) =>
  Effect.flatMap(Storage.Storage, (s) =>
    Effect.map(s.stock({ roundId: "socks" }), (rows) => rows.find((r) => r.sku === sku))
  )

/** A round with amy (紅×2) and bob (白×1) ordered. */
const withOrders = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: spec(), at: OPEN })
  yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+2"), c("2", "bob", "白+1")] })
  const orders = yield* g.orders({ roundId: "socks" })
  return { g, amy: orders[0]!, bob: orders[1]! }
})

const allBuyers = ["line:amy", "line:bob", "line:cat", "line:dan"]

/** Every read-model row of the round, through the Storage queries. */
const snapshot = (roundId: string, buyerIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const s = yield* Storage.Storage
    return {
      orders: yield* s.orders({ roundId }),
      review: yield* s.reviewQueue({ roundId, includeResolved: true }),
      notOrdered: yield* s.notOrdered({ roundId }),
      stock: yield* s.stock({ roundId }),
      buyers: yield* Effect.forEach(buyerIds, (b) => s.buyer(b))
    }
  })

/** Rebuilding the read models from the events gives the rows the use cases wrote. */
const expectRebuildSame = Effect.gen(function* () {
  const before = yield* snapshot("socks", allBuyers)
  yield* Projector.rebuildAll()
  expect(yield* snapshot("socks", allBuyers)).toEqual(before)
})

describe("openRound and closeRound: the cutoff job", () => {
  it.effect("a round with a cutoff commits its cutoff job with its first events; a manual close cancels it", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const s = yield* Storage.Storage
      yield* g.openRound({ spec: spec(), at: OPEN })
      yield* g.openRound({ spec: spec(), at: OPEN })
      expect(yield* s.jobs({})).toMatchObject([
        { id: "cutoff:socks", kind: "round.cutoff", dueAt: CUTOFF, payload: { roundId: "socks" }, status: "pending" }
      ])
      yield* g.openRound({ spec: spec({ id: "nocut", cutoff: undefined }), at: OPEN })
      expect((yield* s.jobs({})).map((j) => j.id)).toEqual(["cutoff:socks"])
      yield* g.closeRound({ roundId: "socks", at: "2024-05-05T10:00:00+08:00" })
      expect((yield* s.jobs({})).map((j) => [j.id, j.status])).toEqual([["cutoff:socks", "cancelled"]])
    }).pipe(Effect.provide(app()))
  )
})

describe("cancelOrder", () => {
  it.effect(
    "while the round is open: the lines leave the book, the stock goes back, the buyer is told; idempotent",
    () =>
      Effect.gen(function* () {
        const { g, amy } = yield* withOrders
        yield* outbox
        expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 1, sold: 2 })
        const view = yield* g.cancelOrder({
          orderId: amy.orderId,
          reason: "買家私訊取消",
          at: "2024-05-02T10:00:00+08:00"
        })
        expect(view).toMatchObject({ orderId: amy.orderId, status: "cancelled", lines: [] })
        expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 3, sold: 0 })
        expect(yield* outbox).toMatchObject([
          {
            id: `order:${amy.orderId}:cancelled`,
            kind: "order-cancelled",
            to: { channel: "line", userId: "amy" },
            data: { orderId: amy.orderId, reason: "買家私訊取消" }
          }
        ])
        expect((yield* g.cancelOrder({ orderId: amy.orderId, reason: "again" })).status).toBe("cancelled")
        expect(yield* outbox).toEqual([])
        expect((yield* g.report("socks")).orders.map((o) => o.buyer.id)).toEqual(["bob"])
        // Her next "+1" starts a new order.
        const again = yield* g.submitComments({ roundId: "socks", comments: [c("3", "amy", "紅+1")] })
        expect(again[0]).toMatchObject({ status: "ordered" })
        expect(again[0]!.orderId).not.toBe(amy.orderId)
        yield* expectRebuildSame
      }).pipe(Effect.provide(app()))
  )

  it.effect("after the cutoff: an order awaiting payment is cancelled; a paid one is cancelled with a refund due", () =>
    Effect.gen(function* () {
      const { g, amy, bob } = yield* withOrders
      yield* g.closeRound({ roundId: "socks", at: CUTOFF })
      yield* g.recordPayment({
        transactionId: "t1",
        source: "cash",
        amount: 130,
        at: "2024-05-11T10:00:00+08:00",
        orderIds: [bob.orderId],
        evidence: "cash"
      })
      yield* outbox
      const cancelled = yield* g.cancelOrder({ orderId: amy.orderId, reason: "沒貨了" })
      expect(cancelled).toMatchObject({ status: "cancelled", lines: amy.lines })
      expect(yield* streamTypes(`order:${amy.orderId}`)).toEqual(["OrderConfirmed", "OrderCancelled"])
      expect((yield* outbox).map((m) => [m.kind, m.data.reason])).toEqual([["order-cancelled", "沒貨了"]])
      // Money received: cancelled, and what it received is due back (the refunds-due list).
      const paid = yield* g.cancelOrder({ orderId: bob.orderId, reason: "x" })
      expect(paid).toMatchObject({ status: "cancelled", paid: 130 })
      expect(yield* streamTypes(`order:${bob.orderId}`)).toEqual(["OrderConfirmed", "PaymentApplied", "OrderCancelled"])
      expect(yield* Effect.flip(g.cancelOrder({ orderId: "o_404", reason: "x" }))).toMatchObject({
        reason: "unknown-order"
      })
      yield* expectRebuildSame
    }).pipe(Effect.provide(app()))
  )
})

describe("refundOrder", () => {
  it.effect("gives back what a paid order received, tells the buyer how much and why; idempotent", () =>
    Effect.gen(function* () {
      const { g, amy, bob } = yield* withOrders
      const unpaidOpen = yield* Effect.flip(g.refundOrder({ orderId: amy.orderId, reason: "x" }))
      expect(unpaidOpen).toMatchObject({ reason: "rejected" })
      yield* g.closeRound({ roundId: "socks", at: CUTOFF })
      yield* g.recordPayment({
        transactionId: "t1",
        source: "statement",
        amount: 240,
        at: "2024-05-11T10:00:00+08:00",
        orderIds: [amy.orderId],
        evidence: "last5"
      })
      yield* outbox
      const refunded = yield* g.refundOrder({
        orderId: amy.orderId,
        reason: "商品瑕疵",
        at: "2024-05-12T10:00:00+08:00"
      })
      expect(refunded).toMatchObject({ status: "refunded", paid: 0 })
      expect(yield* outbox).toMatchObject([
        {
          id: `order:${amy.orderId}:refunded`,
          kind: "order-refunded",
          data: { orderId: amy.orderId, amount: 240, reason: "商品瑕疵" }
        }
      ])
      expect((yield* g.refundOrder({ orderId: amy.orderId, reason: "again" })).status).toBe("refunded")
      expect(yield* streamTypes(`order:${amy.orderId}`)).toEqual(["OrderConfirmed", "PaymentApplied", "OrderRefunded"])
      // Nothing received: nothing to refund.
      expect(yield* Effect.flip(g.refundOrder({ orderId: bob.orderId, reason: "x" }))).toMatchObject({
        reason: "rejected"
      })
      yield* expectRebuildSame
    }).pipe(Effect.provide(app()))
  )
})

describe("resolveReview", () => {
  /** amy ordered 紅×2; cat's "紫+1" and dan's "改?" wait for review. */
  const withReview = Effect.gen(function* () {
    const { g, amy } = yield* withOrders
    yield* g.submitComments({
      roundId: "socks",
      comments: [c("3", "amy", "紫+1"), c("4", "cat", "紫+2"), c("5", "dan", "紫+1")]
    })
    expect((yield* g.report("socks")).review.map((r) => r.commentId)).toEqual(["line:3", "line:4", "line:5"])
    yield* outbox
    return { g, amy }
  })

  it.effect(
    "amend: the organiser's lines replace the buyer's quantities of those SKUs; the buyer sees the new order",
    () =>
      Effect.gen(function* () {
        const { g, amy } = yield* withReview
        yield* g.resolveReview({
          roundId: "socks",
          commentId: "line:3",
          action: "amend",
          approve: [{ sku: "SOCK-R", qty: 1 }]
        })
        const after = (yield* g.orders({ roundId: "socks" })).find((o) => o.orderId === amy.orderId)!
        expect(after.lines).toEqual([{ sku: "SOCK-R", qty: 1, unitPrice: 120 }])
        expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 2, sold: 1 })
        expect(yield* outbox).toMatchObject([
          {
            id: "review:socks:line%3A3:order-updated",
            kind: "order-updated",
            data: { orderId: amy.orderId, total: 120 }
          }
        ])
        // A quantity of 0 removes the line: the order is then empty.
        yield* g.submitComments({ roundId: "socks", comments: [c("6", "amy", "紫+9")] })
        yield* g.resolveReview({
          roundId: "socks",
          commentId: "line:6",
          action: "amend",
          approve: [{ sku: "SOCK-R", qty: 0 }]
        })
        expect((yield* g.report("socks")).orders.map((o) => o.buyer.id)).toEqual(["bob"])
        expect((yield* outbox).map((m) => m.kind)).toEqual(["order-cancelled"])
        yield* expectRebuildSame
      }).pipe(Effect.provide(app()))
  )

  it.effect(
    "order (the existing approve lines), cancel and dismiss; each tells the buyer; resolving twice is refused",
    () =>
      Effect.gen(function* () {
        const { g, amy } = yield* withReview
        // Existing callers: approve lines without an action = order.
        yield* g.resolveReview({ roundId: "socks", commentId: "line:4", approve: [{ sku: "CUP", qty: 2 }] })
        yield* g.resolveReview({ roundId: "socks", commentId: "line:3", action: "cancel" })
        yield* g.resolveReview({ roundId: "socks", commentId: "line:5", action: "dismiss" })
        const report = yield* g.report("socks")
        expect(report.orders.map((o) => [o.buyer.id, o.lines.map((l) => `${l.sku}×${l.qty}`)])).toEqual([
          ["bob", ["SOCK-W×1"]],
          ["cat", ["CUP×2"]]
        ])
        expect(report.review).toEqual([])
        expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 3, sold: 0 })
        expect((yield* outbox).map((m) => [m.kind, m.to.userId, m.data.reason ?? m.data.total])).toEqual([
          ["order-confirmed", "cat", 900],
          ["order-cancelled", "amy", "buyer-cancelled"],
          ["not-ordered", "dan", "dismissed"]
        ])
        const twice = yield* Effect.flip(g.resolveReview({ roundId: "socks", commentId: "line:5", action: "dismiss" }))
        expect(twice).toMatchObject({ reason: "rejected" })
        const withdrawn = (yield* g.orders({ roundId: "socks", status: ["cancelled"] })).map((o) => o.orderId)
        expect(withdrawn).toEqual([amy.orderId])
        yield* expectRebuildSame
      }).pipe(Effect.provide(app()))
  )

  it.effect(
    "after the cutoff: cancel cancels the buyer's confirmed order in the same commit; order and amend are refused",
    () =>
      Effect.gen(function* () {
        const { g, amy } = yield* withReview
        yield* g.closeRound({ roundId: "socks", at: CUTOFF })
        yield* outbox
        const late = yield* Effect.flip(
          g.resolveReview({ roundId: "socks", commentId: "line:4", approve: [{ sku: "CUP", qty: 1 }] })
        )
        expect(late).toMatchObject({ reason: "rejected" })
        yield* g.resolveReview({ roundId: "socks", commentId: "line:3", action: "cancel" })
        expect((yield* g.orders({ roundId: "socks" })).find((o) => o.orderId === amy.orderId)?.status).toBe("cancelled")
        expect((yield* outbox).map((m) => [m.kind, m.data.orderId])).toEqual([["order-cancelled", amy.orderId]])
        // cat has no order: nothing to cancel.
        expect(
          yield* Effect.flip(g.resolveReview({ roundId: "socks", commentId: "line:4", action: "cancel" }))
        ).toMatchObject({ reason: "rejected" })
        yield* expectRebuildSame
      }).pipe(Effect.provide(app()))
  )
})

describe("meet-up pickup", () => {
  const shipped = Effect.gen(function* () {
    const { g, amy } = yield* withOrders
    yield* g.closeRound({ roundId: "socks", at: CUTOFF })
    yield* g.recordPayment({
      transactionId: "t1",
      source: "cash",
      amount: 240,
      at: "2024-05-11T10:00:00+08:00",
      orderIds: [amy.orderId],
      evidence: "cash"
    })
    const s = yield* g.ship({ orderId: amy.orderId, lines: [{ sku: "SOCK-R", qty: 2 }], method: "pickup" })
    return { g, amy, shipmentId: s.shipmentId, code: s.pickupCode! }
  })

  it.effect("5 wrong codes lock the pickup, even the right code is then refused, until unlockPickup", () =>
    Effect.gen(function* () {
      const { g, shipmentId, code } = yield* shipped
      for (let i = 1; i < Shipment.MAX_PICKUP_ATTEMPTS; i++) {
        const wrong = yield* Effect.flip(g.confirmPickup({ shipmentId, code: "WRONG000" }))
        expect(wrong).toMatchObject({ reason: "rejected" })
        expect(wrong.message).toContain(`${Shipment.MAX_PICKUP_ATTEMPTS - i} tr`)
      }
      expect(yield* Effect.flip(g.confirmPickup({ shipmentId, code: "WRONG000" }))).toMatchObject({ reason: "locked" })
      expect(yield* Effect.flip(g.confirmPickup({ shipmentId, code }))).toMatchObject({ reason: "locked" })
      expect((yield* g.findPickup({ code }))?.locked).toBe(true)
      yield* g.unlockPickup({ shipmentId })
      yield* g.unlockPickup({ shipmentId })
      yield* g.confirmPickup({ shipmentId, code: code.toLowerCase() })
      expect(yield* Effect.flip(g.confirmPickup({ shipmentId, code }))).toMatchObject({ reason: "rejected" })
      expect(yield* streamTypes(`shipment:${shipmentId}`)).toEqual([
        "ShipmentPacked",
        "ShipmentShipped",
        ...Array.from({ length: Shipment.MAX_PICKUP_ATTEMPTS }, () => "PickupCodeRejected"),
        "PickupLocked",
        "PickupUnlocked",
        "ShipmentPickedUp"
      ])
      expect(yield* Effect.flip(g.unlockPickup({ shipmentId: "s_404" }))).toMatchObject({ reason: "unknown-shipment" })
    }).pipe(Effect.provide(app()))
  )

  it.effect("findPickup: the shipment and its order by a typed or scanned code; an unknown code finds nothing", () =>
    Effect.gen(function* () {
      const { g, amy, shipmentId, code } = yield* shipped
      const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)} `
      expect(yield* g.findPickup({ code: typed })).toMatchObject({
        shipmentId,
        orderId: amy.orderId,
        status: "shipped",
        lines: [{ sku: "SOCK-R", qty: 2 }],
        locked: false,
        failedAttempts: 0,
        order: { orderId: amy.orderId, buyer: { id: "amy" } }
      })
      expect(yield* g.findPickup({ code: "NOSUCHCODE" })).toBeUndefined()
      yield* g.confirmPickup({ shipmentId, code })
      expect((yield* g.findPickup({ code }))?.status).toBe("picked-up")
    }).pipe(Effect.provide(app()))
  )
})

describe("use cases over several streams: one commit, run again on a conflict", () => {
  const ordersAggregate = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))

  it.effect(
    "recordPayment: another writer pays an order in between; the payment is decided again and applied once",
    () => {
      const inner = Storage.makeMemory()
      let armed: string | undefined
      let commits = 0
      // Another writer (a cash payment at the counter) pays bob right after our first read of his order.
      const storage: Storage.StorageService = {
        ...inner,
        readStream: (stream, from) =>
          Effect.tap(inner.readStream(stream, from), () => {
            if (stream !== armed) return Effect.void
            armed = undefined
            return Effect.orDie(
              CommandHandler.handle(inner, ordersAggregate, {
                stream,
                command: { _tag: "ApplyPayment", paymentId: "counter", amount: 30, at: "2024-05-11T09:00:00+08:00" },
                at: "2024-05-11T09:00:00+08:00"
              })
            )
          }),
        commit: (cs) => Effect.tap(inner.commit(cs), () => Effect.sync(() => void commits++))
      }
      const layer = GroupBuy.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Layer.succeed(Storage.Storage, storage),
            CommentParser.layer(testParser),
            IdGenerator.layerCounter
          )
        )
      )
      return Effect.gen(function* () {
        const { g, amy, bob } = yield* withOrders
        yield* g.closeRound({ roundId: "socks", at: CUTOFF })
        const [a, b] = [(yield* storage.order(amy.orderId))!, (yield* storage.order(bob.orderId))!]
        armed = Storage.orderStream(bob.orderId)
        const before = commits
        const out = yield* g.recordPayment({
          transactionId: "t9",
          source: "statement",
          amount: a.total + b.total - 30,
          at: "2024-05-11T10:00:00+08:00",
          orderIds: [amy.orderId, bob.orderId],
          evidence: "both orders"
        })
        expect(out.status).toBe("matched")
        // One commit of ours (the first attempt failed as a whole with the conflict).
        expect(commits - before).toBe(1)
        const paid = (orderId: string) =>
          Effect.map(inner.readStream(Storage.orderStream(orderId)), ({ events }) =>
            events.filter((e) => e.type === "PaymentApplied").map((e) => (e.data as { paymentId: string }).paymentId)
          )
        expect(yield* paid(amy.orderId)).toEqual([out.paymentId])
        expect(yield* paid(bob.orderId)).toEqual(["counter", out.paymentId])
        expect((yield* storage.order(amy.orderId))?.status).toBe("paid")
        expect((yield* storage.order(bob.orderId))?.status).toBe("paid")
        expect((yield* inner.readStream(Storage.paymentStream(out.paymentId))).version).toBe(2)
        const received = (yield* outbox).filter((m) => m.kind === "payment-received").map((m) => m.id)
        expect(received).toEqual([
          `payment:${out.paymentId}:${amy.orderId}:received`,
          `payment:${out.paymentId}:${bob.orderId}:received`
        ])
      }).pipe(Effect.provide(layer))
    }
  )

  it.effect(
    "ship: another writer ships from the order in between; the shipment is drawn again, nothing of the first try is kept",
    () => {
      const inner = Storage.makeMemory()
      let armed: string | undefined
      const storage: Storage.StorageService = {
        ...inner,
        readStream: (stream, from) =>
          Effect.tap(inner.readStream(stream, from), () => {
            if (stream !== armed) return Effect.void
            armed = undefined
            return Effect.orDie(
              CommandHandler.handle(inner, ordersAggregate, {
                stream,
                command: { _tag: "AddShipment", shipmentId: "other", lines: [{ sku: "SOCK-R", qty: 1 }], at: CUTOFF },
                at: CUTOFF
              })
            )
          })
      }
      const layer = GroupBuy.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Layer.succeed(Storage.Storage, storage),
            CommentParser.layer(testParser),
            IdGenerator.layerCounter
          )
        )
      )
      return Effect.gen(function* () {
        const { g, amy } = yield* withOrders
        yield* g.closeRound({ roundId: "socks", at: CUTOFF })
        const total = (yield* storage.order(amy.orderId))!.total
        yield* g.recordPayment({
          transactionId: "t1",
          source: "cash",
          amount: total,
          at: "2024-05-11T10:00:00+08:00",
          orderIds: [amy.orderId],
          evidence: "cash"
        })
        armed = Storage.orderStream(amy.orderId)
        const shipped = yield* g.ship({ orderId: amy.orderId, lines: [{ sku: "SOCK-R", qty: 1 }], method: "home" })
        const events = (yield* inner.readStream(Storage.orderStream(amy.orderId))).events
        const added = events
          .filter((e) => e.type === "ShipmentAdded")
          .map((e) => (e.data as { shipmentId: string }).shipmentId)
        expect(added).toEqual(["other", shipped.shipmentId])
        expect(yield* streamTypes(Storage.shipmentStream(shipped.shipmentId))).toEqual([
          "ShipmentPacked",
          "ShipmentShipped"
        ])
        // Every shipment stream written is one the order names: the first try's drawn id left nothing behind.
        const all = yield* inner.readAll(0, 1000)
        const shipmentStreams = new Set(all.filter((e) => e.stream.startsWith("shipment:")).map((e) => e.stream))
        expect([...shipmentStreams]).toEqual([Storage.shipmentStream(shipped.shipmentId)])
        expect((yield* storage.order(amy.orderId))?.status).toBe("shipped")
        const messages = (yield* outbox).filter((m) => m.kind === "shipped").map((m) => m.id)
        expect(messages).toEqual([`shipment:${shipped.shipmentId}:shipped`])
      }).pipe(Effect.provide(layer))
    }
  )
})

describe("closeRound in units of work", () => {
  it.effect(
    "confirms a book of more than one unit (500 orders each): every order once, one payment-due each; idempotent",
    () =>
      Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const storage = yield* Storage.Storage
        yield* g.openRound({ spec: spec(), at: OPEN })
        const n = 1_203
        yield* g.submitComments({
          roundId: "socks",
          comments: Array.from({ length: n }, (_, i) => c(`m${i}`, `b${i}`, "杯+1"))
        })
        const confirmed = yield* g.closeRound({ roundId: "socks", at: CUTOFF })
        expect(confirmed).toHaveLength(n)
        expect(new Set(confirmed.map((o) => o.status))).toEqual(new Set(["awaiting-payment"]))
        const streams = (yield* storage.readAll(0, 100_000)).filter((e) => e.type === "OrderConfirmed")
        expect(new Set(streams.map((e) => e.stream)).size).toBe(n)
        expect(streams).toHaveLength(n)
        const queued = yield* storage.claimOutbox({ limit: 10_000, leaseMs: 60_000 })
        const due = queued.filter((e) => e.message.kind === "payment-due")
        expect(due).toHaveLength(n)
        // Closing again confirms nothing more.
        yield* g.closeRound({ roundId: "socks", at: CUTOFF })
        expect((yield* storage.readAll(0, 100_000)).filter((e) => e.type === "OrderConfirmed")).toHaveLength(n)
        expect(yield* streamTypes("round:socks")).toContain("RoundClosed")
      }).pipe(Effect.provide(app()))
  )
})
