import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, Projector, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./support/fixtures.js"

const c = (id: string, author: string, text: string, at = "2024-05-01T10:00:00+08:00"): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at
})

/** Every read-model row a round has, through the Storage queries. */
export const snapshot = (roundId: string, buyerIds: ReadonlyArray<string>) =>
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

describe("Projector", () => {
  it.effect("rebuilding the read models from the events gives the same rows", () =>
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec(), at: "2024-05-01T09:00:00+08:00" })
      yield* g.submitComments({
        roundId: "socks",
        comments: [
          c("1", "amy", "紅+2"),
          c("2", "bob", "紅+2"),
          c("3", "cat", "白+1 杯+1"),
          c("4", "dan", "紫+1"),
          c("5", "amy", "改3"),
          c("6", "cat", "取消"),
          c("7", "eve", "蛋黃酥+3"),
          c("8", "fay", "蛋黃酥+3"),
          c("9", "gus", "杯+1", "2024-05-11T10:00:00+08:00")
        ]
      })
      yield* g.resolveReview({ roundId: "socks", commentId: "line:4", approve: [] })
      const confirmed = yield* g.closeRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
      const eve = confirmed.find((o) => o.buyer.id === "eve")!
      yield* g.recordPayment({
        transactionId: "row-1",
        source: "statement",
        amount: eve.total,
        at: "2024-05-12T10:00:00+08:00",
        last5: "12345",
        bankCode: "822",
        orderIds: [eve.orderId],
        evidence: "reported"
      })
      yield* g.ship({ orderId: eve.orderId, lines: [{ sku: "EGG", qty: 1 }], method: "home" })
      const buyers = ["line:amy", "line:bob", "line:cat", "line:dan", "line:eve", "line:fay", "line:gus"]
      const before = yield* snapshot("socks", buyers)
      expect(before.orders.length).toBeGreaterThan(3)
      expect(before.notOrdered.length).toBeGreaterThan(1)
      const result = yield* Projector.rebuildAll(7)
      expect(result.events).toBeGreaterThan(10)
      const after = yield* snapshot("socks", buyers)
      expect(after).toEqual(before)
    }).pipe(
      Effect.provide(
        GroupBuy.layer.pipe(
          Layer.provideMerge(
            Layer.mergeAll(Storage.layerMemory, CommentParser.layer(testParser), IdGenerator.layerCounter)
          )
        )
      )
    )
  )
})
