import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, Projector, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./support/fixtures.js"

// 流團 through the close use case: products under their minimum leave the orders before any is
// confirmed, their buyers are told, an order left empty is not confirmed (issue 16 item 4).

const makeLayer = (storage = Storage.makeMemory()) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const c = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at: "2024-05-01T10:00:00+08:00"
})

const withMinimums = spec({
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
    { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 4, minimum: 3 },
    { sku: "CUP", name: "保溫杯", price: 450, minimum: 3 }
  ]
})

describe("GroupBuy.closeRound with minimums (流團)", () => {
  it.effect("cancels the lines of a product under its minimum, tells its buyers, confirms the rest", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const storage = yield* Storage.Storage
      yield* g.openRound({ spec: withMinimums, at: "2024-05-01T09:00:00+08:00" })
      yield* g.submitComments({
        roundId: "socks",
        comments: [c("1", "amy", "蛋黃酥+1 杯+1"), c("2", "bob", "杯+2 紅+1"), c("3", "dan", "蛋黃酥+1")]
      })
      const confirmed = yield* g.closeRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
      // EGG had 2 of its minimum 3: 流團. CUP reached 3: it proceeds. Dan's order is left empty.
      const live = confirmed.filter((o) => o.status === "awaiting-payment")
      expect(live.map((o) => [o.buyer.id, o.lines.map((l) => [l.sku, l.qty]), o.total])).toEqual([
        ["amy", [["CUP", 1]], 450],
        [
          "bob",
          [
            ["CUP", 2],
            ["SOCK-R", 1]
          ],
          1020
        ]
      ])
      for (const o of confirmed) expect(o.lines.some((l) => l.sku === "EGG" && l.qty > 0)).toBe(false)
      const report = yield* g.report("socks")
      expect(report.notOrdered.filter((n) => n.reason === "below-minimum")).toMatchObject([
        { buyerId: "line:amy", sku: "EGG", qty: 1 },
        { buyerId: "line:dan", sku: "EGG", qty: 1 }
      ])
      // The pre-order's cap is whole again: nothing of it sold.
      expect(report.stock.find((s) => s.sku === "EGG")).toMatchObject({ left: 4, sold: 0 })
      expect(report.stock.find((s) => s.sku === "CUP")).toMatchObject({ sold: 3 })
      const outbox = (yield* storage.claimOutbox({ limit: 1000, leaseMs: 1000 })).map((m) => m.message)
      const told = outbox.filter((m) => m.kind === "not-ordered" && m.data["reason"] === "below-minimum")
      expect(told.map((m) => [m.to, m.data["label"], m.data["qty"]])).toEqual(
        [
          [{ channel: "line", userId: "amy" }, "蛋黃酥", 1],
          [{ channel: "line", userId: "dan" }, "蛋黃酥", 1]
        ].map(([to, label, qty]) => [expect.objectContaining(to as object), label, qty])
      )
      const due = outbox.filter((m) => m.kind === "payment-due")
      expect(due.map((m) => [m.data["total"]])).toEqual([[450], [1020]])
      // A second close (a retry) changes nothing and tells nobody again.
      yield* g.closeRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
      expect(yield* storage.claimOutbox({ limit: 1000, leaseMs: 1000 })).toEqual([])
      // The read models rebuilt from the events alone agree.
      const rebuilt = yield* Projector.rebuildAll()
      expect(rebuilt.events).toBeGreaterThan(0)
      expect(yield* g.report("socks")).toEqual(report)
    }).pipe(Effect.provide(makeLayer()))
  )
})
