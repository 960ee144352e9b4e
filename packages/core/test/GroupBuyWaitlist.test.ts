import { describe, expect, it } from "@effect/vitest"
import {
  CommentParser,
  GroupBuy,
  IdGenerator,
  MessageTemplates,
  PaymentDeadlines,
  Projector,
  RoundChanges,
  Storage
} from "@kaituan/core"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { spec, testParser } from "./support/fixtures.js"

// Issue 16's stock policies through the use cases, on the in-memory storage: the waiting list
// (候補) with its messages, stock released after the close (cancelOrder, the payment deadline's
// auto-cancel) going down the list into confirmed orders, pre-order arrival (預購到貨) before
// shipping, and the round's own minimum at the close.

const cutoff = "2024-05-10T22:00:00+08:00"
const opened = "2024-05-01T09:00:00+08:00"

const makeLayer = (storage: Storage.StorageService = Storage.makeMemory()) => {
  const base = Layer.mergeAll(
    Layer.succeed(Storage.Storage, storage),
    CommentParser.layer(testParser),
    IdGenerator.layerCounter
  )
  return RoundChanges.layer.pipe(Layer.provideMerge(GroupBuy.layer.pipe(Layer.provideMerge(base))))
}

const c = (id: string, author: string, text: string, at = "2024-05-01T10:00:00+08:00"): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at
})

const waitlistRound = (overrides: Record<string, unknown> = {}) =>
  spec({
    cutoff,
    waitlist: true,
    payWithin: "P3D",
    unpaid: "cancel",
    products: [
      {
        sku: "SOCK",
        name: "毛襪",
        price: 120,
        options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
        variants: [
          { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 3 },
          { sku: "SOCK-W", options: { 顏色: "白" }, stock: 2, price: 130 }
        ]
      },
      { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4 },
      { sku: "CUP", name: "保溫杯", price: 450, stock: 2 }
    ],
    ...overrides
  })

const outbox = Effect.flatMap(Storage.Storage, (s) =>
  Effect.map(s.claimOutbox({ limit: 10_000, leaseMs: 0 }), (entries) => entries.map((e) => e.message))
)

const stockOf = (sku: string) =>
  Effect.gen(function* () {
    const report = yield* (yield* GroupBuy.GroupBuy).report("socks")
    return report.stock.find((s) => s.sku === sku)
  })

describe("GroupBuy: the waiting list (候補)", () => {
  it.effect("a buyer on a sold-out item is told their place; a cancel promotes them into an order, told", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: waitlistRound(), at: opened })
      const outcomes = yield* g.submitComments({
        roundId: "socks",
        comments: [c("1", "amy", "杯+2"), c("2", "bob", "杯+1"), c("3", "cat", "杯+1")]
      })
      expect(outcomes.map((o) => o.status)).toEqual(["ordered", "not-ordered", "not-ordered"])
      const joined = (yield* outbox).filter((m) => m.kind === "waitlist-joined")
      expect(joined.map((m) => [m.to.userId, m.data.position, m.data.qty])).toEqual([
        ["bob", 1, 1],
        ["cat", 2, 1]
      ])
      // No plain "sold out" message for a line that waits.
      expect((yield* outbox).filter((m) => m.kind === "not-ordered")).toEqual([])
      expect(MessageTemplates.render("waitlist-joined", joined[1]!.data)).toBe(
        "保溫杯 ×1 目前已售完，已為您登記候補 🙋（第 2 位）\n有人取消或補貨時，會依登記順序為您遞補並通知您"
      )
      expect((yield* g.report("socks")).waitlist?.map((w) => [w.sku, w.position, w.buyerId])).toEqual([
        ["CUP", 1, "line:bob"],
        ["CUP", 2, "line:cat"]
      ])
      // The not-ordered list says they wait, and where (CLI.md: reason `waitlisted` with the place).
      const inline = (yield* g.report("socks")).notOrdered
      expect(inline.map((n) => [n.buyerId, n.reason, n.sku, n.qty, n.place])).toEqual([
        ["line:bob", "waitlisted", "CUP", 1, 1],
        ["line:cat", "waitlisted", "CUP", 1, 2]
      ])
      // The same rows from the events alone (a rebuild).
      const storage = yield* Storage.Storage
      const rebuilt = Projector.rebuild(yield* storage.readAll(0, 1_000)).flatMap((c) =>
        c._tag === "AddNotOrdered" ? [c.item] : []
      )
      expect(rebuilt).toEqual(inline)
      // amy takes one back ("杯-1"): bob is promoted; the outcome is amy's (cancelled), not bob's.
      const [amended] = yield* g.submitComments({ roundId: "socks", comments: [c("4", "amy", "杯-1")] })
      expect(amended!.status).toBe("cancelled")
      expect(amended!.events.map((e) => e._tag)).toEqual(["LinesSet", "WaitlistPromoted", "LinesOrdered"])
      const report = yield* g.report("socks")
      expect(report.orders.map((o) => [o.buyer.id, o.lines.map((l) => [l.sku, l.qty])])).toEqual([
        ["amy", [["CUP", 1]]],
        ["bob", [["CUP", 1]]]
      ])
      expect(report.stock.find((s) => s.sku === "CUP")).toMatchObject({ left: 0, sold: 2 })
      expect(report.waitlist?.map((w) => [w.buyerId, w.position])).toEqual([["line:cat", 1]])
      const messages = yield* outbox
      const promoted = messages.filter((m) => m.kind === "waitlist-promoted")
      expect(promoted.map((m) => [m.to.userId, m.data.qty, m.data.total])).toEqual([["bob", 1, 450]])
      expect(MessageTemplates.render("waitlist-promoted", promoted[0]!.data)).toContain("候補成功 🎉 保溫杯 ×1")
      // amy is told of her own change only.
      expect(messages.filter((m) => m.to.userId === "amy").map((m) => m.kind)).toEqual([
        "order-confirmed",
        "order-updated"
      ])
      // A restock serves cat.
      const changes = yield* RoundChanges.RoundChanges
      yield* changes.updateRound({ roundId: "socks", change: { restock: [{ sku: "CUP", add: 3 }] } })
      const after = yield* g.report("socks")
      expect(after.orders.find((o) => o.buyer.id === "cat")?.lines).toEqual([{ sku: "CUP", qty: 1, unitPrice: 450 }])
      expect(after.waitlist).toBeUndefined()
      expect((yield* outbox).filter((m) => m.kind === "waitlist-promoted").map((m) => m.to.userId)).toEqual([
        "bob",
        "cat"
      ])
    }).pipe(Effect.provide(makeLayer()))
  )
})

describe("GroupBuy: stock released after the close", () => {
  it.effect("cancelOrder after the close returns the units and promotes a waiting buyer into a confirmed order", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: waitlistRound(), at: opened })
      yield* g.submitComments({
        roundId: "socks",
        comments: [c("1", "amy", "杯+2"), c("2", "bob", "紅+1"), c("3", "bob", "杯+1")]
      })
      const confirmed = yield* g.closeRound({ roundId: "socks", at: cutoff })
      const amy = confirmed.find((o) => o.buyer.id === "amy")!
      const bob = confirmed.find((o) => o.buyer.id === "bob")!
      yield* g.cancelOrder({ orderId: amy.orderId, reason: "買家不要了", at: "2024-05-11T10:00:00+08:00" })
      const orders = yield* g.orders({ roundId: "socks" })
      // bob's confirmed order is unchanged; the promotion is an order of its own, awaiting payment.
      expect(orders.map((o) => [o.buyer.id, o.status, o.lines.map((l) => [l.sku, l.qty]), o.total])).toEqual([
        ["amy", "cancelled", [["CUP", 2]], 900],
        ["bob", "awaiting-payment", [["SOCK-R", 1]], 120],
        ["bob", "awaiting-payment", [["CUP", 1]], 450]
      ])
      expect(orders[1]!.orderId).toBe(bob.orderId)
      expect(yield* stockOf("CUP")).toMatchObject({ left: 1, sold: 1 })
      const messages = yield* outbox
      const promotedId = orders[2]!.orderId
      const due = messages.find((m) => m.kind === "payment-due" && m.data.orderId === promotedId)
      // The deadline counts from the promotion (P3D).
      expect(due?.data).toMatchObject({ total: 450, dueAt: "2024-05-14T02:00:00.000Z" })
      expect(messages.filter((m) => m.kind === "waitlist-promoted").map((m) => m.to.userId)).toEqual(["bob"])
      // Cancelling again changes nothing (no second release).
      yield* g.cancelOrder({ orderId: amy.orderId, reason: "again" })
      expect(yield* stockOf("CUP")).toMatchObject({ left: 1, sold: 1 })
    }).pipe(Effect.provide(makeLayer()))
  )

  it.effect("the payment deadline's auto-cancel releases the stock in the same commit, down the list", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: waitlistRound(), at: opened })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "紅+3"), c("2", "bob", "紅+2")] })
      yield* g.closeRound({ roundId: "socks", at: cutoff })
      expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 0, sold: 3 })
      const deadline = "2024-05-13T14:00:00.000Z"
      const done = yield* PaymentDeadlines.enforceDeadline({ roundId: "socks", deadline, at: deadline })
      expect(done.cancelled.length).toBe(1)
      const orders = yield* g.orders({ roundId: "socks" })
      expect(orders.map((o) => [o.buyer.id, o.status, o.lines.map((l) => [l.sku, l.qty])])).toEqual([
        ["amy", "cancelled", [["SOCK-R", 3]]],
        ["bob", "awaiting-payment", [["SOCK-R", 2]]]
      ])
      expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 1, sold: 2 })
      // Running it again changes nothing more: bob's order, promoted after the close, has a
      // deadline of its own (from the promotion), not this one.
      yield* PaymentDeadlines.enforceDeadline({ roundId: "socks", deadline, at: deadline })
      expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 1, sold: 2 })
      const own = "2024-05-16T14:00:00.000Z"
      const jobs = yield* (yield* Storage.Storage).jobs({ kind: "round.payment-deadline" })
      expect(jobs.map((j) => [j.kind, j.dueAt])).toContainEqual(["round.payment-deadline", own])
      const later = yield* PaymentDeadlines.enforceDeadline({ roundId: "socks", deadline: own, at: own })
      expect(later.cancelled).toEqual([orders[1]!.orderId])
      expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 3, sold: 0 })
    }).pipe(Effect.provide(makeLayer()))
  )

  it("property: cancels after the close conserve stock (stock + ordered = initial), whatever is cancelled", async () => {
    const initial: Record<string, number> = { "SOCK-R": 3, "SOCK-W": 2, EGG: 4, CUP: 2 }
    const texts = ["紅+1", "紅+2", "白+1", "白+2", "杯+1", "杯+2", "蛋黃酥+1", "取消"]
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ buyer: fc.constantFrom("a", "b", "c", "d"), text: fc.constantFrom(...texts) }), {
          minLength: 1,
          maxLength: 16
        }),
        fc.array(fc.nat({ max: 20 }), { maxLength: 6 }),
        (comments, cancels) =>
          Effect.runPromise(
            Effect.gen(function* () {
              const g = yield* GroupBuy.GroupBuy
              yield* g.openRound({ spec: waitlistRound(), at: opened })
              yield* g.submitComments({
                roundId: "socks",
                comments: comments.map((x, i) => c(`m${i}`, x.buyer, x.text))
              })
              yield* g.closeRound({ roundId: "socks", at: cutoff })
              for (const k of cancels) {
                const live = (yield* g.orders({ roundId: "socks" })).filter((o) => o.status === "awaiting-payment")
                const target = live[k % Math.max(1, live.length)]
                if (target !== undefined) yield* g.cancelOrder({ orderId: target.orderId, reason: "x" })
              }
              const report = yield* g.report("socks")
              const orders = yield* g.orders({ roundId: "socks" })
              for (const [sku, total] of Object.entries(initial)) {
                const row = report.stock.find((s) => s.sku === sku)!
                const ordered = orders
                  .filter((o) => o.status !== "cancelled")
                  .reduce((q, o) => q + (o.lines.find((l) => l.sku === sku)?.qty ?? 0), 0)
                expect(row.sold).toBe(ordered)
                expect(row.left! + row.sold).toBe(total)
                expect(row.left).toBeGreaterThanOrEqual(0)
              }
            }).pipe(Effect.provide(makeLayer()))
          )
      ),
      { numRuns: 40 }
    )
  })
})

describe("GroupBuy: pre-order arrival (預購到貨)", () => {
  it.effect("ship refuses pre-order lines until marked arrived, ships the in-stock part; buyers told", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const changes = yield* RoundChanges.RoundChanges
      yield* g.openRound({ spec: waitlistRound({ preorderArrival: true }), at: opened })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "蛋黃酥+2 杯+1")] })
      const [order] = yield* g.closeRound({ roundId: "socks", at: cutoff })
      yield* g.recordPayment({
        transactionId: "t1",
        source: "statement",
        amount: order!.total,
        at: "2024-05-11T10:00:00+08:00",
        orderIds: [order!.orderId],
        evidence: "test"
      })
      const refused = yield* Effect.flip(
        g.ship({
          orderId: order!.orderId,
          lines: [
            { sku: "EGG", qty: 2 },
            { sku: "CUP", qty: 1 }
          ],
          method: "home"
        })
      )
      expect(refused).toMatchObject({ _tag: "GroupBuyError", reason: "not-arrived" })
      expect(refused.message).toContain('"EGG"')
      // 拆單出貨: the in-stock part ships now.
      yield* g.ship({ orderId: order!.orderId, lines: [{ sku: "CUP", qty: 1 }], method: "home" })
      const marked = yield* changes.markArrived({ roundId: "socks", skus: ["EGG"] })
      expect(marked.outcome).toBe("changed")
      expect((yield* changes.markArrived({ roundId: "socks", skus: ["EGG"] })).outcome).toBe("unchanged")
      const told = (yield* outbox).filter((m) => m.kind === "preorder-arrived")
      expect(told.map((m) => [m.to.userId, m.data.lines])).toEqual([
        ["amy", [{ sku: "EGG", qty: 2, unitPrice: 300, label: "蛋黃酥" }]]
      ])
      expect(MessageTemplates.render("preorder-arrived", told[0]!.data)).toContain("您預購的商品已到貨 📦")
      yield* g.ship({ orderId: order!.orderId, lines: [{ sku: "EGG", qty: 2 }], method: "home" })
      expect((yield* g.orders({ roundId: "socks" }))[0]!.status).toBe("shipped")
      // Not a pre-order: refused with the Round's reason.
      const wrong = yield* Effect.flip(changes.markArrived({ roundId: "socks", skus: ["CUP"] }))
      expect(wrong.reason).toBe("rejected")
      expect((yield* changes.history("socks")).map((h) => h.event._tag)).toContain("PreorderArrived")
    }).pipe(Effect.provide(makeLayer()))
  )
})

describe("GroupBuy: the round's own minimum (minimumOrders)", () => {
  it.effect("a round under its minimum at the close is 流團: no order confirmed, every buyer told", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: waitlistRound({ minimumOrders: 3 }), at: opened })
      yield* g.submitComments({ roundId: "socks", comments: [c("1", "amy", "杯+1"), c("2", "bob", "紅+1 白+1")] })
      const confirmed = yield* g.closeRound({ roundId: "socks", at: cutoff })
      expect(confirmed.filter((o) => o.status === "awaiting-payment")).toEqual([])
      const told = (yield* outbox).filter((m) => m.kind === "not-ordered")
      expect(told.map((m) => [m.to.userId, m.data.sku, m.data.reason])).toEqual([
        ["amy", "CUP", "round-below-minimum"],
        ["bob", "SOCK-R", "round-below-minimum"],
        ["bob", "SOCK-W", "round-below-minimum"]
      ])
      expect(MessageTemplates.render("not-ordered", told[0]!.data)).toContain("未達成團門檻，本團流團")
      expect(yield* stockOf("SOCK-R")).toMatchObject({ left: 3, sold: 0 })
      // A second close call changes nothing.
      yield* g.closeRound({ roundId: "socks" })
      expect((yield* outbox).filter((m) => m.kind === "not-ordered").length).toBe(3)
    }).pipe(Effect.provide(makeLayer()))
  )
})
