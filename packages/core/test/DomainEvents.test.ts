import { describe, expect, it } from "@effect/vitest"
import { CommentParser, DomainEvents, GroupBuy, IdGenerator, Storage } from "@kaituan/core"
import { Effect, Fiber, Layer, Schema, Stream } from "effect"
import { TestClock } from "effect/testing"
import { spec, testParser } from "./support/fixtures.js"

const services = (storage: Storage.StorageService) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const comment = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: `U-${author}`, name: `Buyer ${author}` },
  text,
  at: "2024-05-01T10:00:00+08:00"
})

const append = (
  stream: string,
  events: ReadonlyArray<{ readonly _tag: string; readonly at: string; readonly [k: string]: unknown }>,
  from = 0
) => ({
  appends: [{ stream, expectedVersion: from, events: events.map((e) => ({ type: e._tag, data: e, at: e.at })) }],
  views: [],
  outbox: []
})

describe("DomainEvents", () => {
  it.effect("derives the public vocabulary from a group buy, without personal data", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec(), at: "2024-05-01T09:00:00+08:00" })
      yield* g.submitComments({
        roundId: "socks",
        comments: [
          comment("m1", "amy", "紅+1"),
          comment("m2", "amy", "紅+1"),
          comment("m3", "bob", "白+1"),
          comment("m4", "bob", "取消"),
          comment("m5", "cat", "紫+1")
        ]
      })
      const [order] = yield* g.closeRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
      const orderId = order!.orderId
      yield* g.recordPayment({
        transactionId: "tx1",
        source: "statement",
        amount: order!.total,
        at: "2024-05-11T10:00:00+08:00",
        last5: "12345",
        orderIds: [orderId],
        evidence: "Buyer amy paid from account 12345"
      })
      const shipped = yield* g.ship({ orderId, lines: [{ sku: "SOCK-R", qty: 2 }], method: "pickup" })
      yield* g.confirmPickup({ shipmentId: shipped.shipmentId, code: shipped.pickupCode! })

      const { events, next } = yield* DomainEvents.read({})
      expect(next).toBe((yield* storage.readAll(0, 10_000)).at(-1)!.position)
      expect(events.map((e) => e.type)).toEqual([
        "round.opened",
        "order.placed",
        "order.changed",
        "order.placed",
        "order.cancelled",
        "review.needed",
        "round.closed",
        "payment.matched",
        "shipment.shipped",
        "shipment.picked-up"
      ])
      expect(events.find((e) => e.type === "order.placed")?.data).toEqual({
        roundId: "socks",
        orderId,
        lines: [{ sku: "SOCK-R", qty: 1, unitPrice: 120 }],
        total: 120
      })
      expect(events.find((e) => e.type === "order.changed")?.data).toMatchObject({
        changes: [{ sku: "SOCK-R", delta: 1 }]
      })
      expect(events.find((e) => e.type === "shipment.shipped")?.data).toEqual({
        shipmentId: shipped.shipmentId,
        orderId,
        method: "pickup"
      })
      // Every event decodes with the public schema, has a stable id and increasing positions.
      for (const e of events) expect(Schema.decodeUnknownSync(DomainEvents.DomainEvent)(e)).toEqual(e)
      expect(events.map((e) => e.id)).toEqual(events.map((e) => `evt_${e.position}`))
      expect([...events.map((e) => e.position)].sort((a, b) => a - b)).toEqual(events.map((e) => e.position))
      // No names, user ids, comment text, payment evidence, last five digits or pickup codes.
      const json = JSON.stringify(events)
      for (const secret of ["amy", "bob", "cat", "U-", "Buyer", "紅+1", "紫", "12345", shipped.pickupCode!])
        expect(json).not.toContain(secret)
      // Filtered and paged reads.
      const orders = yield* DomainEvents.read({ types: ["order.placed"] })
      expect(orders.events).toHaveLength(2)
      const page = yield* DomainEvents.read({ after: events[3]!.position, batch: 2 })
      expect(page.events[0]?.type).toBe("order.cancelled")
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("maps the stored events after the cutoff, finding rounds and orders in other streams", () => {
    const storage = Storage.makeMemory()
    const at = "2024-05-12T10:00:00.000Z"
    return Effect.gen(function* () {
      yield* storage.commit([
        append("order:o9", [
          {
            _tag: "OrderConfirmed",
            orderId: "o9",
            roundId: "r1",
            buyerId: "line:U1",
            buyer: { id: "U1", name: "Secret Name" },
            lines: [],
            total: 0,
            at
          }
        ]),
        append("shipment:s1", [
          { _tag: "ShipmentPacked", shipmentId: "s1", orderId: "o9", lines: [], method: "cvs", at },
          { _tag: "ShipmentShipped", carrier: "7-11", trackingNo: "TRACK-SECRET", at }
        ])
      ])
      yield* storage.commit([
        append("order:o9", [{ _tag: "OrderCancelled", reason: "buyer is Secret Name", at }], 1),
        append("order:o9", [{ _tag: "OrderRefunded", amount: 300, at }], 2)
      ])
      const { events } = yield* DomainEvents.read({})
      expect(events.map((e) => [e.type, e.data])).toEqual([
        ["shipment.shipped", { shipmentId: "s1", orderId: "o9", method: "cvs", carrier: "7-11" }],
        ["order.cancelled", { roundId: "r1", orderId: "o9", stage: "after-cutoff" }],
        ["order.refunded", { roundId: "r1", orderId: "o9", amount: 300 }]
      ])
      expect(JSON.stringify(events)).not.toMatch(/Secret|TRACK/)
    }).pipe(Effect.provideService(Storage.Storage, storage))
  })

  it.effect("stream: reads the history, then polls for new events with the position as cursor", () => {
    const storage = Storage.makeMemory()
    const opened = (roundId: string) =>
      append(`round:${roundId}`, [{ _tag: "RoundOpened", at: "2024-05-01T01:00:00.000Z" }])
    return Effect.gen(function* () {
      yield* storage.commit([opened("r1"), opened("r2")])
      const fiber = yield* Effect.forkChild(
        DomainEvents.stream({ after: 1, pollMs: 1_000, batch: 1 }).pipe(Stream.take(3), Stream.runCollect)
      )
      yield* TestClock.adjust(1_000)
      yield* storage.commit([opened("r3")])
      yield* TestClock.adjust(1_000)
      yield* storage.commit([opened("r4")])
      yield* TestClock.adjust(1_000)
      const got = yield* Fiber.join(fiber)
      expect(got.map((e) => [e.data, e.position])).toEqual([
        [{ roundId: "r2" }, 2],
        [{ roundId: "r3" }, 3],
        [{ roundId: "r4" }, 4]
      ])
    }).pipe(Effect.provideService(Storage.Storage, storage))
  })
})
