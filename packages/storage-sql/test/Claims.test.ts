/**
 * A platform message belongs to one round, durably: across processes on one database, and in a
 * database written by a release that keyed comments per round (migration 3 claims its comments).
 */
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import { SqlClient } from "effect/sql"
import { Migrations, SqlStorage } from "../src/index.js"
import { dropPrefixed, pgClient, sqliteClient, tempDir, uniquePrefix } from "./support.js"

const parser: CommentParser.CommentParserService = {
  compile: () => ({
    parse: (text) =>
      text === "A+1"
        ? { intent: "order", lines: [{ sku: "A", qty: 1 }], reason: "table", spans: [] }
        : { intent: "none", lines: [], reason: "not in the table", spans: [] }
  })
}

const spec = (id: string) =>
  Result.getOrThrow(RoundSpec.decode({ id, title: id, products: [{ sku: "A", name: "A", price: 100, stock: 50 }] }))

const OPENED = "2024-05-01T09:00:00+08:00"
const comment = (id: string, who: string, extra: Partial<GroupBuy.CommentInput> = {}): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: who },
  text: "A+1",
  at: "2024-05-01T10:00:00+08:00",
  ...extra
})

/** GroupBuy over the Storage in context. */
const engine = GroupBuy.make.pipe(
  Effect.provideService(CommentParser.CommentParser, parser),
  Effect.provideService(IdGenerator.IdGenerator, IdGenerator.makeCounter())
)

const statuses = (outcomes: ReadonlyArray<GroupBuy.CommentOutcome>) => outcomes.map((o) => [o.status, o.reason])

describe("a platform message belongs to one round across processes", () => {
  const scenario = (layer: () => Layer.Layer<Storage.Storage, unknown>) =>
    Effect.gen(function* () {
      // Process 1: `kaituan serve --round r1` takes message m1.
      const first = yield* Effect.gen(function* () {
        const g = yield* engine
        yield* g.openRound({ spec: spec("r1"), at: OPENED })
        return yield* g.submitComments({ roundId: "r1", comments: [comment("m1", "U1")] })
      }).pipe(Effect.provide(layer()))
      expect(statuses(first)).toEqual([["ordered", "table"]])
      // Process 2, restarted with the next round: LINE redelivers m1.
      const second = yield* Effect.gen(function* () {
        const g = yield* engine
        yield* g.openRound({ spec: spec("r2"), at: OPENED })
        const out = yield* g.submitComments({ roundId: "r2", comments: [comment("m1", "U1"), comment("m2", "U2")] })
        return { out, orders: yield* g.orders({ roundId: "r2" }) }
      }).pipe(Effect.provide(layer()))
      expect(statuses(second.out)).toEqual([
        ["duplicate", 'already taken by round "r1"'],
        ["ordered", "table"]
      ])
      expect(second.orders.map((o) => o.buyer.id)).toEqual(["U2"])
    })

  it.effect("SQLite (two connections to one file)", () => {
    const file = path.join(tempDir(), "claims.db")
    return scenario(() => SqlStorage.layer().pipe(Layer.provide(sqliteClient(file))))
  })

  it.live("PostgreSQL (two pools on one database)", () => {
    const prefix = uniquePrefix("cl")
    return scenario(() => SqlStorage.layer({ tablePrefix: prefix }).pipe(Layer.provide(pgClient(2)))).pipe(
      Effect.ensuring(dropPrefixed(prefix).pipe(Effect.provide(pgClient(1)), Effect.orDie))
    )
  })
})

/**
 * A database as the release before migration 3 left it: round r1's events, and every comment's
 * key naming the round (`comment:<round>:<channel>:<id>`). The events are the same as now (the
 * event format did not change), so they are made by today's engine in memory and copied over.
 */
const legacyDatabase = (prefix: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const t = Migrations.tables(prefix)
    yield* Migrations.run(prefix, Migrations.migrations.slice(0, 2))
    const memory = Storage.makeMemory()
    yield* Effect.gen(function* () {
      const g = yield* engine
      yield* g.openRound({ spec: spec("r1"), at: OPENED })
      yield* g.submitComments({
        roundId: "r1",
        comments: [
          comment("m1", "U1"),
          comment("m2", "U2", { text: "hello" }),
          comment("c1", "U3", { channel: "jsonl", idScope: "round" })
        ]
      })
    }).pipe(Effect.provideService(Storage.Storage, memory))
    const events = yield* memory.readAll(0, 1000)
    for (const e of events)
      yield* sql`INSERT INTO ${sql(t.events)} ${sql.insert({
        position: e.position,
        stream: e.stream,
        version: e.version,
        type: e.type,
        data: JSON.stringify(e.data),
        at: e.at
      })}`
    yield* sql`INSERT INTO ${sql(t.streams)} ${sql.insert({ stream: "round:r1", version: events.length })}`
    yield* sql`UPDATE ${sql(t.meta)} SET position = ${events.length} WHERE id = 1`
    for (const key of ["round:r1:open", "comment:r1:line:m1", "comment:r1:line:m2", "comment:r1:jsonl:c1"])
      yield* sql`INSERT INTO ${sql(t.keys)} ${sql.insert({ key })}`
  })

const upgrade = (prefix: string) =>
  Effect.gen(function* () {
    yield* legacyDatabase(prefix)
    // Opening the storage applies migration 3.
    const storage = yield* SqlStorage.make({ tablePrefix: prefix })
    const claims = yield* storage.readKeys(["message:line:m1", "message:line:m2", "comment:r1:line:m1"])
    expect([...claims].sort()).toEqual([
      ["comment:r1:line:m1", ""],
      ["message:line:m1", ":r1"],
      ["message:line:m2", ":r1"]
    ])
    const g = yield* engine.pipe(Effect.provideService(Storage.Storage, storage))
    // The same round after the upgrade: a redelivery is still a duplicate, and so is the file's c1.
    const again = yield* g.submitComments({
      roundId: "r1",
      comments: [comment("m1", "U1"), comment("c1", "U3", { channel: "jsonl", idScope: "round" })]
    })
    expect(statuses(again)).toEqual([
      ["duplicate", "already handled"],
      ["duplicate", "already handled"]
    ])
    // The next round: round 1's messages are not taken again; another file's c1 is.
    yield* g.openRound({ spec: spec("r2"), at: OPENED })
    const next = yield* g.submitComments({
      roundId: "r2",
      comments: [
        comment("m1", "U1"),
        comment("m2", "U2", { text: "hello" }),
        comment("c1", "U4", { channel: "jsonl", idScope: "round" })
      ]
    })
    expect(statuses(next)).toEqual([
      ["duplicate", 'already taken by round "r1"'],
      ["duplicate", 'already taken by round "r1"'],
      ["ordered", "table"]
    ])
    expect((yield* g.orders({ roundId: "r2" })).map((o) => o.buyer.id)).toEqual(["U4"])
    expect(yield* Migrations.run(prefix)).toEqual([])
  })

describe("migration 3 claims the comments of an existing database", () => {
  it.effect("SQLite", () => upgrade("up3_").pipe(Effect.provide(sqliteClient(path.join(tempDir(), "up3.db")))))
  it.live("PostgreSQL", () => {
    const prefix = uniquePrefix("up3")
    return upgrade(prefix).pipe(Effect.ensuring(dropPrefixed(prefix).pipe(Effect.orDie)), Effect.provide(pgClient()))
  })
})
