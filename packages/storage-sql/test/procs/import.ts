/**
 * Reliability test (2): a large import of comments into SQLite, killed midway.
 *
 *   node --import tsx import.ts <raw|groupbuy> <db> <prefix> <roundId> <total> <batch>
 *
 * Comment i is "+1" from buyer i (idempotency per comment). After each batch is stored it prints
 * `ack <commentId>` for every comment of the batch, then `done` at the end. Re-running it imports
 * only what is missing.
 * raw: one commit per comment (key `import:<id>`), appending to the round stream with tracked
 * versions after skipping keys already seen, plus the order and stock views.
 * groupbuy: GroupBuy.openRound (idempotent) then GroupBuy.submitComments per batch.
 */
import { GroupBuy, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { groupBuyLayer, say, storageLayer } from "./common.js"

const [mode, db, prefix, roundId, totalArg, batchArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string
]
const total = Number(totalArg)
const batch = Number(batchArg)
const at = (i: number) => new Date(Date.UTC(2024, 4, 1, 2, 0, 0) + i * 1000).toISOString()
const commentId = (i: number) => `c${String(i).padStart(6, "0")}`

const raw = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  const stream = Storage.roundStream(roundId)
  for (let start = 0; start < total; start += batch) {
    const ids = Array.from({ length: Math.min(batch, total - start) }, (_, k) => start + k)
    const seen = yield* storage.seenKeys(ids.map((i) => `import:${commentId(i)}`))
    let { version } = yield* storage.readStream(stream)
    const stock = (yield* storage.stock({ roundId }))[0]?.sold ?? 0
    let sold = stock
    const commits: Array<Storage.Commit> = []
    for (const i of ids) {
      const key = `import:${commentId(i)}`
      if (seen.has(key)) continue
      sold++
      commits.push({
        idempotencyKey: key,
        appends: [
          {
            stream,
            expectedVersion: version,
            events: [{ type: "LinesOrdered", data: { commentId: commentId(i), buyerId: `b${i}`, qty: 1 }, at: at(i) }]
          }
        ],
        views: [
          {
            _tag: "UpsertOrder",
            order: {
              roundId,
              orderId: `o-${i}`,
              buyerId: `b${i}`,
              buyer: { id: `b${i}` },
              status: "open",
              lines: [{ sku: "CUP", qty: 1, unitPrice: 450 }],
              total: 450,
              paid: 0,
              seq: i + 1,
              placedAt: at(i),
              updatedAt: at(i)
            }
          },
          { _tag: "SetStock", stock: { roundId, sku: "CUP", left: null, sold } }
        ],
        outbox: []
      })
      version++
    }
    if (commits.length > 0) yield* storage.commit(commits)
    for (const i of ids) yield* Effect.promise(() => say(`ack ${commentId(i)}`))
  }
})

const viaGroupBuy = Effect.gen(function* () {
  const gb = yield* GroupBuy.GroupBuy
  const spec = Result.getOrThrow(
    RoundSpec.decode({ id: roundId, title: "保溫杯", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] })
  )
  yield* gb.openRound({ spec, at: at(0) })
  for (let start = 0; start < total; start += batch) {
    const ids = Array.from({ length: Math.min(batch, total - start) }, (_, k) => start + k)
    yield* gb.submitComments({
      roundId,
      comments: ids.map((i) => ({
        channel: "import",
        commentId: commentId(i),
        author: { id: `b${i}` },
        text: "+1",
        at: at(i)
      }))
    })
    for (const i of ids) yield* Effect.promise(() => say(`ack ${commentId(i)}`))
  }
})

const program: Effect.Effect<void, unknown> =
  mode === "raw"
    ? raw.pipe(Effect.provide(storageLayer(db, prefix)))
    : viaGroupBuy.pipe(Effect.provide(groupBuyLayer(storageLayer(db, prefix))))

Effect.runPromise(program).then(
  async () => {
    await say("done")
    process.exit(0)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
