import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { type ReadModel, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Migrations, SqlStorage } from "../src/index.js"
import * as OrderDoc from "../src/internal/orderDoc.js"
import { dropPrefixed, pgClient, sqliteClient, tempDir, uniquePrefix } from "./support.js"

const at = "2024-05-01T10:00:00+08:00"
const statuses: ReadonlyArray<ReadModel.OrderStatus> = ["open", "awaiting-payment", "paid", "shipped", "cancelled"]
/** Names a doc must carry through unchanged: quotes, escapes, control characters, CJK, emoji. */
const names = ['王"小明"', "back\\slash", "tab\there\nnewline", "買家 🎉", "\u0001\u001f", "", "ascii"]

/** A deterministic pseudo-random sequence (the same orders on every run). */
const lcg = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

const orderOf = (i: number, rnd: () => number): ReadModel.OrderView => ({
  roundId: i % 10 === 0 ? "other" : "big",
  orderId: `ord-${i}`,
  buyerId: `line:U${i}`,
  buyer: i % 7 === 0 ? { id: `U${i}` } : { id: `U${i}`, name: `${names[i % names.length]}${i}` },
  status: statuses[Math.floor(rnd() * statuses.length)]!,
  lines: Array.from({ length: 1 + (i % 3) }, (_, k) => ({ sku: `SKU-${k}`, qty: k + 1, unitPrice: 120 * (k + 1) })),
  total: 9_007_199_254_740 + i,
  paid: i % 2 === 0 ? 0 : 120,
  // Few distinct values, so many orders share a seq and insertion order decides.
  seq: Math.floor(rnd() * 50),
  placedAt: at,
  updatedAt: `2024-05-0${1 + (i % 9)}T10:00:00+08:00`
})

/** The same commits into memory and into `storage`; then every read must agree. */
const compareWithMemory = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  const memory = Storage.makeMemory()
  const rnd = lcg(7)
  const all = Array.from({ length: 1500 }, (_, i) => orderOf(i, rnd))
  // Inserted in a shuffled order, in several commits; then some upserted again with a new seq/status.
  const shuffled = [...all].sort(() => rnd() - 0.5)
  const again = shuffled.slice(0, 300).map((o) => ({ ...o, seq: Math.floor(rnd() * 50), status: "paid" as const }))
  const batches = [shuffled.slice(0, 700), shuffled.slice(700), again]
  for (const batch of batches) {
    const commit: Storage.Commit = {
      appends: [],
      views: batch.map((order) => ({ _tag: "UpsertOrder" as const, order })),
      outbox: []
    }
    yield* storage.commit([commit])
    yield* memory.commit([commit])
  }
  for (const query of [
    { roundId: "big" },
    { roundId: "other" },
    { roundId: "big", status: ["paid"] as const },
    { roundId: "big", status: ["open", "cancelled"] as const },
    { roundId: "none" },
    // Pages and one buyer's orders (many orders share a seq: both stores break ties by first insertion).
    { roundId: "big", limit: 50 },
    { roundId: "big", afterSeq: 20, limit: 100 },
    { roundId: "big", afterSeq: 48 },
    { roundId: "big", status: ["paid"] as const, afterSeq: 10, limit: 30 },
    { roundId: "big", status: ["open", "cancelled", "shipped"] as const, afterSeq: 5, limit: 40 },
    { roundId: "big", status: ["open", "cancelled"] as const, buyerId: "line:U13", limit: 40 },
    { roundId: "big", buyerId: "line:U13" },
    { roundId: "big", buyerId: "line:U13", afterSeq: 100 }
  ]) {
    const expected = yield* memory.orders(query)
    const actual = yield* storage.orders(query)
    expect(actual.length).toBe(expected.length)
    expect(actual).toEqual(expected)
  }
  for (const id of ["ord-0", "ord-7", "ord-13", "ord-1499", "ord-nope"]) {
    expect(yield* storage.order(id)).toEqual(yield* memory.order(id))
  }
})

describe("order docs", () => {
  it("round-trip through JSON, escaped to ASCII", () => {
    const rnd = lcg(1)
    for (let i = 0; i < 50; i++) {
      const o = orderOf(i, rnd)
      const doc = OrderDoc.encode(o)
      expect(doc).toMatch(/^[\u0000-\u007f]*$/)
      expect(OrderDoc.decode(o.roundId, doc)).toEqual(o)
    }
  })

  it("fail on a malformed doc", () => {
    expect(() => OrderDoc.decode("r", "[1,2]")).toThrow(/10-element/)
    expect(() => OrderDoc.decodeList("r", "[[1,2]]")).toThrow(/10-element/)
    expect(() => OrderDoc.decodeUnsortedList("r", "[]", "[1]")).toThrow(/do not match/)
    expect(() => OrderDoc.decodeList("r", "[not json")).toThrow()
    expect(OrderDoc.decodeList("r", null)).toEqual([])
  })

  it.effect("a stored doc that is not an order fails the read as corrupt", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "corrupt.db")
      const error = yield* Effect.gen(function* () {
        const s = yield* Storage.Storage
        const sql = yield* SqlClient.SqlClient
        const rnd = lcg(3)
        yield* s.commit([{ appends: [], views: [{ _tag: "UpsertOrder", order: orderOf(1, rnd) }], outbox: [] }])
        yield* sql`UPDATE kaituan_orders SET doc = '{"not":"an order"}'`
        return yield* Effect.flip(s.orders({ roundId: "big" }))
      }).pipe(Effect.provide(SqlStorage.layer().pipe(Layer.provideMerge(sqliteClient(file)))))
      expect(error.reason).toBe("corrupt")
    })
  )
})

describe("orders of a large shuffled round equal the in-memory store's", () => {
  it.effect("SQLite", () =>
    compareWithMemory.pipe(
      Effect.provide(SqlStorage.layer().pipe(Layer.provide(sqliteClient(path.join(tempDir(), "big.db")))))
    )
  )
  it.live("PostgreSQL", () => {
    const prefix = uniquePrefix("big")
    return compareWithMemory.pipe(
      Effect.provide(SqlStorage.layer({ tablePrefix: prefix })),
      Effect.ensuring(dropPrefixed(prefix).pipe(Effect.orDie)),
      Effect.provide(pgClient())
    )
  })
})

/** Orders written with the schema of migration 1 (one column per field), as an older release did. */
const legacyOrders: ReadonlyArray<ReadModel.OrderView> = [
  { ...orderOf(3, lcg(1)), roundId: "old", seq: 2, status: "paid" },
  { ...orderOf(7, lcg(2)), roundId: "old", seq: 1, status: "open" }, // no buyer name
  { ...orderOf(4, lcg(3)), roundId: "old", seq: 2, status: "shipped" }, // same seq: after ord-3 (inserted first)
  {
    ...orderOf(2, lcg(4)),
    roundId: "old",
    seq: 0,
    status: "awaiting-payment",
    buyer: { id: "U2", name: "tab\there\nnewline \u0001 🎉 買家" }
  }
]

const upgrade = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const t = Migrations.tables(prefix)
    yield* Migrations.run(prefix, Migrations.migrations.slice(0, 1))
    for (const o of legacyOrders) {
      const row = {
        order_id: o.orderId,
        round_id: o.roundId,
        status: o.status,
        seq: o.seq,
        buyer_id: o.buyerId,
        author_id: o.buyer.id,
        author_name: o.buyer.name ?? null,
        lines: JSON.stringify(o.lines),
        total: o.total,
        paid: o.paid,
        placed_at: o.placedAt,
        updated_at: o.updatedAt
      }
      yield* sql`INSERT INTO ${sql(t.orders)} ${sql.insert(row)}`
    }
    // Opening the storage applies the later migrations.
    const storage = yield* SqlStorage.make({ tablePrefix: prefix })
    const expected = [legacyOrders[3], legacyOrders[1], legacyOrders[0], legacyOrders[2]]
    expect(yield* storage.orders({ roundId: "old" })).toEqual(expected)
    expect(yield* storage.orders({ roundId: "old", status: ["paid"] })).toEqual([legacyOrders[0]])
    expect(yield* storage.order(legacyOrders[3]!.orderId)).toEqual(legacyOrders[3])
    // New orders go after the migrated ones with the same seq.
    const later = { ...orderOf(5, lcg(5)), roundId: "old", seq: 1 }
    yield* storage.commit([{ appends: [], views: [{ _tag: "UpsertOrder", order: later }], outbox: [] }])
    expect((yield* storage.orders({ roundId: "old" })).map((o) => o.orderId)).toEqual([
      "ord-2",
      "ord-7",
      "ord-5",
      "ord-3",
      "ord-4"
    ])
    const applied = yield* sql<{ id: number | string }>`SELECT id FROM ${sql(t.migrations)} ORDER BY id`
    expect(applied.map((r) => Number(r.id))).toEqual(Migrations.migrations.map((m) => m.id))
  })

describe("migrating orders from one column per field to docs", () => {
  it.effect("SQLite", () => upgrade("up_").pipe(Effect.provide(sqliteClient(path.join(tempDir(), "upgrade.db")))))
  it.live("PostgreSQL", () => {
    const prefix = uniquePrefix("up")
    return upgrade(prefix).pipe(Effect.ensuring(dropPrefixed(prefix).pipe(Effect.orDie)), Effect.provide(pgClient()))
  })
})
