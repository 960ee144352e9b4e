/**
 * Storage opened up, on an existing database: migration 4 (`open_storage`) upgrades a store
 * written by the previous release (orders, outbox, events) so that the orders query filters by
 * buyer, the outbox has dead letters, and the read models are built from the events already there;
 * and the orders page and read-model lookups are served by indexes.
 */
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { type ReadModel, ReadModels } from "@kaituan/core"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { Migrations, SqlStorage } from "../src/index.js"
import * as OrderDoc from "../src/internal/orderDoc.js"
import { dropPrefixed, pgClient, sqliteClient, tempDir, uniquePrefix } from "./support.js"

const at = "2024-05-01T10:00:00.000Z"

const oldOrder: ReadModel.OrderView = {
  roundId: "old",
  orderId: "o1",
  buyerId: "line:U1",
  buyer: { id: "U1", name: "王小明" },
  status: "open",
  lines: [{ sku: "A", qty: 2, unitPrice: 100 }],
  total: 200,
  paid: 0,
  seq: 1,
  placedAt: at,
  updatedAt: at
}

const oldEvents = [
  { type: "RoundCreated", data: { _tag: "RoundCreated", spec: { id: "old", title: "Old round" }, at } },
  { type: "RoundOpened", data: { _tag: "RoundOpened", at } },
  {
    type: "LinesOrdered",
    data: {
      _tag: "LinesOrdered",
      commentId: "line:c1",
      buyerId: "line:U1",
      buyer: { id: "U1", name: "王小明" },
      text: "A+2",
      at,
      seq: 1,
      orderId: "o1",
      newOrder: true,
      lines: [{ sku: "A", qty: 2, unitPrice: 100 }]
    }
  }
]

const upgrade = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const t = Migrations.tables(prefix)
    yield* Migrations.run(prefix, Migrations.migrations.slice(0, 3))
    // What the previous release wrote.
    let position = 0
    for (const e of oldEvents) {
      position++
      yield* sql`INSERT INTO ${sql(t.events)} ${sql.insert({
        position,
        stream: "round:old",
        version: position,
        type: e.type,
        data: JSON.stringify(e.data),
        at
      })}`
    }
    yield* sql`INSERT INTO ${sql(t.streams)} ${sql.insert({ stream: "round:old", version: position })}`
    yield* sql`UPDATE ${sql(t.meta)} SET position = ${position}, outbox_seq = 1 WHERE id = 1`
    yield* sql`INSERT INTO ${sql(t.orders)} ${sql.insert({
      order_id: oldOrder.orderId,
      round_id: oldOrder.roundId,
      status: oldOrder.status,
      seq: oldOrder.seq,
      doc: OrderDoc.encode(oldOrder)
    })}`
    const message = { id: "m1", kind: "text", to: { channel: "line", userId: "U1" }, data: {}, createdAt: at }
    yield* sql`INSERT INTO ${sql(t.outbox)} ${sql.insert({ id: "m1", seq: 1, message: JSON.stringify(message) })}`

    // Opening the storage applies migration 4 and builds the read models from the events.
    const storage = yield* SqlStorage.make({ tablePrefix: prefix })
    const applied = yield* sql<{ id: number | string }>`SELECT id FROM ${sql(t.migrations)} ORDER BY id`
    expect(applied.map((r) => Number(r.id))).toEqual(Migrations.migrations.map((m) => m.id))
    expect(yield* storage.orders({ roundId: "old", buyerId: "line:U1" })).toEqual([oldOrder])
    expect(yield* storage.orders({ roundId: "old", buyerId: "line:U2" })).toEqual([])
    expect(yield* storage.document("rounds", "old")).toMatchObject({ title: "Old round", status: "open", orders: 0 })
    expect(yield* storage.document("buyer-history", "line:U1")).toMatchObject({ orders: 1, units: 2, spend: 200 })
    expect((yield* storage.readModels()).map((m) => [m.name, m.position])).toEqual(
      ReadModels.builtIn.map((d) => [d.name, position])
    )
    expect((yield* storage.claimOutbox({ limit: 10, leaseMs: 60_000 })).map((e) => e.message.id)).toEqual(["m1"])
    yield* storage.deadLetterOutbox("m1", "gave up")
    expect((yield* storage.deadLetters({})).map((d) => [d.message.id, d.error])).toEqual([["m1", "gave up"]])
  })

describe("upgrading a store of the previous release (migration 4)", () => {
  it.effect("SQLite", () => upgrade("up4_").pipe(Effect.provide(sqliteClient(path.join(tempDir(), "upgrade4.db")))))
  it.live("PostgreSQL", () => {
    const prefix = uniquePrefix("up4")
    return upgrade(prefix).pipe(Effect.ensuring(dropPrefixed(prefix).pipe(Effect.orDie)), Effect.provide(pgClient()))
  })
})

describe("query plans (SQLite)", () => {
  it.effect("a page of orders, jobs due and documents by key are read through indexes", () =>
    Effect.gen(function* () {
      yield* SqlStorage.make()
      const sql = yield* SqlClient.SqlClient
      const plan = (rows: ReadonlyArray<{ detail: string }>) => rows.map((r) => r.detail).join(" ")
      const page = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT doc FROM kaituan_orders
        WHERE round_id = ${"r"} AND status IN (${"paid"}, ${"open"}) AND seq > ${10} ORDER BY seq, ins LIMIT 50`
      expect(plan(page)).toMatch(/USING (COVERING )?INDEX kaituan_orders_round/)
      const due = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT id FROM kaituan_jobs
        WHERE (status = 'pending' AND due_ms <= ${1}) OR (status = 'running' AND lease_until <= ${1})
        ORDER BY due_ms, id LIMIT 10`
      expect(plan(due)).toMatch(/INDEX kaituan_jobs_/)
      const byKey = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT id, doc FROM kaituan_documents
        INDEXED BY kaituan_documents_k1 WHERE model = ${"rounds"} AND k1 = ${"open"} AND id > ${"a"} ORDER BY id LIMIT 10`
      expect(plan(byKey)).toMatch(/INDEX kaituan_documents_k1 \(model=\? AND k1=\? AND id>\?\)/)
      expect(plan(byKey)).not.toMatch(/TEMP B-TREE/)
    }).pipe(Effect.provide(sqliteClient(path.join(tempDir(), "plans.db"))))
  )
})
