/**
 * The round the print tests share, run through the real GroupBuy service on in-memory storage:
 * Traditional and Simplified Chinese names and items, a split shipment with a meet-up pickup
 * code, a home delivery, a paid order not shipped and an unpaid one.
 */
import { GroupBuy, IdGenerator, RoundSpec, Storage } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { Effect, Layer, Result } from "effect"

export const spec = {
  id: "mango",
  title: "愛文芒果團",
  sellers: ["團主小美"],
  cutoff: "2024-06-10T22:00:00+08:00",
  products: [
    { sku: "MANGO", name: "芒果禮盒", price: 680 },
    { sku: "EGG", name: "蛋黃酥", price: 300 },
    { sku: "NOTE", name: "简体字笔记本", price: 120, aliases: ["笔记本"] }
  ]
}

export const buyers = [
  { id: "U1", name: "王小明", text: "芒果禮盒+2 蛋黃酥+1" },
  { id: "U2", name: "陈小华", text: "笔记本+3" },
  { id: "U3", name: "林美美🌸", text: "蛋黃酥+2" },
  { id: "U4", name: "張大千", text: "芒果禮盒+1" }
]

/** Opens and closes the round, pays three orders, ships a split meet-up pickup and a home delivery. */
export const setUp = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: Result.getOrThrow(RoundSpec.decode(spec)), at: "2024-06-01T09:00:00+08:00" })
  yield* g.submitComments({
    roundId: "mango",
    comments: buyers.map((b, i) => ({
      channel: "line",
      commentId: `m${i + 1}`,
      author: { id: b.id, name: b.name },
      text: b.text,
      at: `2024-06-01T10:0${i}:00+08:00`
    }))
  })
  const orders = yield* g.closeRound({ roundId: "mango", at: "2024-06-10T22:00:00+08:00" })
  const of = (id: string) => orders.find((o) => o.buyerId === `line:${id}`)!
  for (const [i, id] of ["U1", "U2", "U3"].entries())
    yield* g.recordPayment({
      transactionId: `tx-${i}`,
      source: "statement",
      amount: of(id).total,
      at: "2024-06-11T09:30:00+08:00",
      orderIds: [of(id).orderId],
      evidence: "exact amount"
    })
  const pickup = yield* g.ship({ orderId: of("U1").orderId, lines: [{ sku: "MANGO", qty: 2 }], method: "pickup" })
  yield* g.ship({
    orderId: of("U2").orderId,
    lines: [{ sku: "NOTE", qty: 3 }],
    method: "home",
    carrier: "黑貓",
    trackingNo: "T-9"
  })
  return { wang: of("U1"), chen: of("U2"), lin: of("U3"), zhang: of("U4"), pickupCode: pickup.pickupCode! }
})

export const layer = GroupBuy.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, Parser.layer, IdGenerator.layerNanoid))
)

export const run = <A, E>(program: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) =>
  Effect.runPromise(Effect.provide(program, layer))
