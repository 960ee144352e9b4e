/**
 * Reliability test (1): several processes sell the last units of one round at once.
 *
 *   node --import tsx reserve.ts <raw|groupbuy> <db> <prefix> <roundId> <who> <attempts>
 *
 * raw: loop { read the round stream's version, then the stock view; if left > 0 commit one
 * "Reserved" event with expectedVersion = that version and the new stock view; on a conflict
 * read again } until the stock is gone.
 * groupbuy: submit <attempts> "+1" comments (one buyer each) through GroupBuy.submitComments, one
 * call per comment, so the two processes interleave.
 *
 * Prints "ready", waits for "go" on stdin, then prints one JSON summary line.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { groupBuyLayer, say, storageLayer, waitForGo } from "./common.js"

const [mode, db, prefix, roundId, who, attemptsArg] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string
]
const attempts = Number(attemptsArg)

const raw = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  yield* Effect.promise(() => say("ready"))
  yield* Effect.promise(waitForGo)
  const stream = Storage.roundStream(roundId)
  let reserved = 0
  let conflicts = 0
  for (let n = 0; n < attempts; n++) {
    const { version } = yield* storage.readStream(stream)
    const stock = (yield* storage.stock({ roundId })).find((s) => s.sku === "LAST")
    const left = stock?.left ?? 0
    if (left <= 0) break
    const result = yield* Effect.result(
      storage.commit([
        {
          idempotencyKey: `reserve:${who}:${n}`,
          appends: [
            {
              stream,
              expectedVersion: version,
              events: [{ type: "Reserved", data: { who, leftAfter: left - 1 }, at: new Date().toISOString() }]
            }
          ],
          views: [{ _tag: "SetStock", stock: { roundId, sku: "LAST", left: left - 1, sold: (stock?.sold ?? 0) + 1 } }],
          outbox: []
        }
      ])
    )
    if (Result.isSuccess(result)) reserved++
    else if (result.failure.reason === "conflict") conflicts++
    else return yield* result.failure
  }
  return { who, reserved, conflicts }
})

const viaGroupBuy = Effect.gen(function* () {
  const gb = yield* GroupBuy.GroupBuy
  yield* Effect.promise(() => say("ready"))
  yield* Effect.promise(waitForGo)
  const statuses: Record<string, number> = {}
  for (let n = 0; n < attempts; n++) {
    const [outcome] = yield* gb.submitComments({
      roundId,
      comments: [
        {
          channel: "line",
          commentId: `${who}-${n}`,
          author: { id: `${who}-buyer-${n}`, name: `${who} ${n}` },
          text: "+1",
          at: new Date().toISOString()
        }
      ]
    })
    const status = outcome?.status ?? "none"
    statuses[status] = (statuses[status] ?? 0) + 1
  }
  return { who, statuses }
})

const program: Effect.Effect<object, unknown> =
  mode === "raw"
    ? raw.pipe(Effect.provide(storageLayer(db, prefix)))
    : viaGroupBuy.pipe(Effect.provide(groupBuyLayer(storageLayer(db, prefix))))

Effect.runPromise(program).then(
  async (summary) => {
    await say(JSON.stringify(summary))
    process.exit(0)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
