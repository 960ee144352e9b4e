import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, Storage } from "@kaituan/core"
import { createKaituan } from "@kaituan/core/promise"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./support/fixtures.js"

const makeLayer = (storage = Storage.makeMemory()) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const c = (id: string, author: string, text: string, at = "2024-05-01T10:00:00+08:00"): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at
})

describe("GroupBuy", () => {
  it.effect(
    "one call of many batches gives what many small calls give (and reads between them see no half-made state)",
    () =>
      Effect.gen(function* () {
        const texts = ["紅+1", "白+2", "杯+1", "改2", "取消", "紅+1 白+1", "謝謝", "蛋黃酥+3", "紫+1", "+1"]
        let seed = 7
        const rand = (n: number) => {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
          return (seed >>> 8) % n
        }
        const comments = Array.from({ length: 1_300 }, (_, i) =>
          c(
            `m${i}`,
            `u${rand(180)}`,
            texts[rand(texts.length)]!,
            new Date(Date.parse("2024-05-01T10:00:00+08:00") + i * 1000).toISOString()
          )
        )
        const replay = (chunk: number, peek: boolean) =>
          Effect.gen(function* () {
            const g = yield* GroupBuy.GroupBuy
            const storage = yield* Storage.Storage
            yield* g.openRound({ spec: spec(), at: "2024-05-01T09:00:00+08:00" })
            const statuses: Array<string> = []
            for (let i = 0; i < comments.length; i += chunk) {
              for (const o of yield* g.submitComments({ roundId: "socks", comments: comments.slice(i, i + chunk) }))
                statuses.push(o.status)
              if (peek) yield* g.report("socks")
            }
            const outbox = yield* storage.claimOutbox({ limit: 10_000, leaseMs: 1000 })
            return { statuses, report: yield* g.report("socks"), outbox: outbox.map((m) => m.message) }
          }).pipe(Effect.provide(makeLayer()))
        const whole = yield* replay(comments.length, false)
        const small = yield* replay(7, true)
        expect(whole.statuses).toEqual(small.statuses)
        expect(whole.report).toEqual(small.report)
        expect(whole.outbox).toEqual(small.outbox)
        expect(whole.report.orders.length).toBeGreaterThan(50)
      })
  )

  it.effect("takes comments through parse → decide → persist → notify", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      yield* g.openRound({ spec: spec(), at: "2024-05-01T09:00:00+08:00" })
      const out = yield* g.submitComments({
        roundId: "socks",
        comments: [c("1", "amy", "紅+2"), c("2", "bob", "紅+2"), c("3", "cat", "好可愛?"), c("4", "dan", "紫+1")]
      })
      expect(out.map((o) => o.status)).toEqual(["ordered", "partly-ordered", "ignored", "review"])
      const r = yield* g.report("socks")
      expect(r.orders.map((o) => [o.buyer.id, o.lines[0]!.qty, o.total])).toEqual([
        ["amy", 2, 240],
        ["bob", 1, 120]
      ])
      expect(r.notOrdered).toMatchObject([{ commentId: "line:2", reason: "sold-out", sku: "SOCK-R", qty: 1 }])
      expect(r.review).toMatchObject([{ commentId: "line:4" }])
      expect(r.stock.find((s) => s.sku === "SOCK-R")).toMatchObject({ left: 0, sold: 3 })
      expect(yield* storage.buyer("line:amy")).toMatchObject({
        name: "amy",
        identities: [{ channel: "line", userId: "amy" }]
      })
      const outbox = yield* storage.claimOutbox({ limit: 10, leaseMs: 1000 })
      expect(outbox.map((m) => m.message.kind)).toEqual(["order-confirmed", "order-confirmed", "not-ordered"])
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("a retried delivery never doubles an order", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec() })
      yield* g.openRound({ spec: spec() })
      const first = yield* g.submitComments({
        roundId: "socks",
        comments: [c("1", "amy", "杯+1"), c("1", "amy", "杯+1")]
      })
      const again = yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "杯+1")] })
      expect(first.map((o) => o.status)).toEqual(["ordered", "duplicate"])
      expect(again[0]!.status).toBe("duplicate")
      const r = yield* g.report("socks")
      expect(r.orders[0]!.lines[0]!.qty).toBe(1)
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("two engines on one storage never oversell (optimistic concurrency)", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      const a = yield* Effect.provide(GroupBuy.GroupBuy, makeLayer(storage))
      const b = yield* Effect.provide(GroupBuy.GroupBuy, makeLayer(storage))
      yield* a.openRound({ spec: spec() })
      yield* b.submitComments({ roundId: "socks", comments: [c("b1", "bob", "紅+2")] })
      // a's cached state is stale now: its commit conflicts, it reloads and decides again.
      const out = yield* a.submitComments({ roundId: "socks", comments: [c("a1", "amy", "紅+2")] })
      expect(out[0]!.status).toBe("partly-ordered")
      const r = yield* a.report("socks")
      expect(r.stock.find((s) => s.sku === "SOCK-R")).toMatchObject({ left: 0, sold: 3 })
    })
  })

  it.effect("closes, takes a payment once, ships in two parts and confirms a pickup by code", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec() })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+1 杯+1")] })
      const late = yield* g.submitComments({
        roundId: "socks",
        comments: [c("2", "bob", "杯+1", "2024-05-11T10:00:00+08:00")]
      })
      expect(late[0]).toMatchObject({ status: "not-ordered", reason: "after-cutoff" })
      const orders = yield* g.closeRound({ roundId: "socks" })
      expect(orders).toMatchObject([{ status: "awaiting-payment", total: 570 }])
      const orderId = orders[0]!.orderId
      const pay = {
        transactionId: "row-5",
        source: "statement" as const,
        amount: 570,
        at: "2024-05-12T10:00:00+08:00",
        last5: "12345",
        orderIds: [orderId],
        evidence: "last five digits reported"
      }
      expect((yield* g.recordPayment(pay)).status).toBe("matched")
      expect((yield* g.recordPayment(pay)).status).toBe("duplicate")
      expect((yield* g.orders({ roundId: "socks", status: ["paid"] })).map((o) => o.paid)).toEqual([570])
      expect((yield* (yield* Storage.Storage).buyer("line:amy"))?.accounts).toEqual([{ last5: "12345" }])
      yield* g.ship({ orderId, lines: [{ sku: "CUP", qty: 1 }], method: "home", trackingNo: "T1" })
      expect((yield* g.orders({ roundId: "socks" }))[0]!.status).toBe("partly-shipped")
      const pickup = yield* g.ship({ orderId, lines: [{ sku: "SOCK-R", qty: 1 }], method: "pickup" })
      expect((yield* g.orders({ roundId: "socks" }))[0]!.status).toBe("shipped")
      const wrong = yield* Effect.flip(g.confirmPickup({ shipmentId: pickup.shipmentId, code: "NOPE" }))
      expect(wrong.reason).toBe("rejected")
      yield* g.confirmPickup({ shipmentId: pickup.shipmentId, code: pickup.pickupCode! })
      expect(
        (yield* Effect.flip(g.confirmPickup({ shipmentId: pickup.shipmentId, code: pickup.pickupCode! }))).reason
      ).toBe("rejected")
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("records a payment for no order as unmatched, never dropped", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      const out = yield* g.recordPayment({
        transactionId: "gw-1",
        source: "gateway",
        amount: 300,
        at: "2024-05-12T10:00:00+08:00",
        orderIds: [],
        evidence: "unknown merchant order"
      })
      expect(out.status).toBe("unmatched")
      expect((yield* storage.readStream(`payment:${out.paymentId}`)).version).toBe(1)
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("sends an order to review when its comment is edited or unsent", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec() })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+1")] })
      yield* g.editComment({ roundId: "socks", comment: c("1", "amy", "紅+3") })
      yield* g.removeComment({ roundId: "socks", channel: "line", commentId: "1", at: "2024-05-01T11:00:00+08:00" })
      const r = yield* g.report("socks")
      expect(r.review.map((x) => x.reason)).toEqual([
        'edited after ordering: "紅+3"',
        "the comment that made this order was unsent"
      ])
      yield* g.resolveReview({ roundId: "socks", commentId: "line:1", approve: [] })
      expect((yield* g.report("socks")).review).toHaveLength(1)
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("a comment another writer took after the key check is a duplicate and leaves nothing in the views", () => {
    // The race: the key check says "new", another process commits the same comment, then this
    // batch commits. Its last comment's commit is skipped as a duplicate; the batch's merged view
    // changes must not be written with that comment's effects in them.
    const memory = Storage.makeMemory()
    let hideKeys = false
    const storage: Storage.StorageService = {
      ...memory,
      readKeys: (keys) => {
        if (!hideKeys) return memory.readKeys(keys)
        hideKeys = false
        return Effect.succeed(new Map<string, string>())
      }
    }
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec() })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+1")] })
      hideKeys = true
      const out = yield* g.submitComments({
        roundId: "socks",
        comments: [c("2", "bob", "白+1"), c("1", "amy", "紅+1")]
      })
      expect(out.map((o) => o.status)).toEqual(["ordered", "duplicate"])
      const r = yield* g.report("socks")
      expect(r.orders.map((o) => [o.buyerId, o.lines.map((l) => [l.sku, l.qty])])).toEqual([
        ["line:amy", [["SOCK-R", 1]]],
        ["line:bob", [["SOCK-W", 1]]]
      ])
    }).pipe(Effect.provide(makeLayer(storage)))
  })

  it.effect("finds the order of an unsent comment reading only the round events since the last unsend", () => {
    const memory = Storage.makeMemory()
    const reads: Array<number> = []
    const storage: Storage.StorageService = {
      ...memory,
      readStream: (stream, from) => {
        if (stream === "round:socks") reads.push(from ?? 0)
        return memory.readStream(stream, from)
      }
    }
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec() })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+1"), c("2", "bob", "白+1")] })
      yield* g.removeComment({ roundId: "socks", channel: "line", commentId: "1", at: "2024-05-01T11:00:00+08:00" })
      yield* g.submitComments({ roundId: "socks", comments: [c("3", "cat", "杯+1")] })
      reads.length = 0
      yield* g.removeComment({ roundId: "socks", channel: "line", commentId: "3", at: "2024-05-01T11:01:00+08:00" })
      yield* g.removeComment({ roundId: "socks", channel: "line", commentId: "2", at: "2024-05-01T11:02:00+08:00" })
      // Every read of the round's stream starts after what was already read: no full reads.
      expect(reads.length).toBeGreaterThan(0)
      expect(reads.every((from) => from > 0)).toBe(true)
      const r = yield* g.report("socks")
      expect(r.review.map((x) => [x.buyerId, x.reason])).toEqual([
        ["line:amy", "the comment that made this order was unsent"],
        ["line:cat", "the comment that made this order was unsent"],
        ["line:bob", "the comment that made this order was unsent"]
      ])
    }).pipe(Effect.provide(makeLayer(storage)))
  })
})

describe("Promise facade", () => {
  it("opens a round, takes comments, closes and queries orders", async () => {
    const k = createKaituan({ parser: testParser, predictableIds: true })
    await k.openRound({ id: "r1", title: "t", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] })
    const out = await k.submitComment("r1", c("1", "amy", "杯+2", new Date(Date.now() + 1000).toISOString()))
    expect(out).toMatchObject({ status: "ordered", orderId: "o_1" })
    // The round opened now: a comment sent before that is not an order.
    const old = await k.submitComment("r1", c("0", "bob", "杯+1", "2024-05-01T10:00:00+08:00"))
    expect(old).toMatchObject({ status: "review", reason: "sent before the round opened" })
    const orders = await k.closeRound("r1")
    expect(orders).toMatchObject([{ orderId: "o_1", total: 900, status: "awaiting-payment" }])
    expect(await k.orders("r1", ["paid"])).toEqual([])
    await k.dispose()
  })

  it("opens a round at a given time, so an import of older comments takes them", async () => {
    const k = createKaituan({ parser: testParser, predictableIds: true })
    await k.openRound(
      { id: "r1", title: "t", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] },
      "2024-05-01T09:00:00+08:00"
    )
    expect(await k.submitComment("r1", c("1", "amy", "杯+1"))).toMatchObject({ status: "ordered" })
    expect(await k.submitComment("r1", c("2", "bob", "杯+1", "2024-05-01T08:00:00+08:00"))).toMatchObject({
      status: "review",
      reason: "sent before the round opened"
    })
    await k.dispose()
  })

  it("rejects with a typed error", async () => {
    const k = createKaituan({ parser: testParser })
    await expect(k.openRound({ id: "r1" })).rejects.toMatchObject({ code: "ParseError" })
    await expect(k.submitComment("nope", c("1", "amy", "杯+1"))).rejects.toMatchObject({
      code: "GroupBuyError",
      reason: "unknown-round"
    })
    await k.dispose()
  })
})
