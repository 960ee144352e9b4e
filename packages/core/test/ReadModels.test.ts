import { describe, expect, it } from "@effect/vitest"
import { ReadModels, Storage } from "@kaituan/core"
import { Effect, Result, Schema } from "effect"

const at = (hh: number) => `2024-05-01T${String(hh).padStart(2, "0")}:00:00.000Z`
let position = 0
const stored = (stream: string, type: string, data: Record<string, unknown>, hh = 10): Storage.StoredEvent => ({
  stream,
  version: 1,
  position: ++position,
  type,
  data: { _tag: type, ...data },
  at: at(hh)
})
const ref = (buyer: string, seq: number) => ({
  commentId: `line:c${seq}`,
  buyerId: `line:${buyer}`,
  buyer: { id: buyer },
  text: "+1",
  at: at(10),
  seq
})

/** Folds events with a definition the way every store does (documentIds, then evolve). */
const foldAll = <Doc>(d: ReadModels.Definition<Doc>, events: ReadonlyArray<Storage.StoredEvent>) => {
  const docs = new Map<string, Doc | undefined>()
  for (const e of events) {
    if (!d.eventTypes.includes(e.type)) continue
    for (const id of d.documentIds(e)) docs.set(id, d.evolve(docs.get(id), e))
  }
  return docs
}

describe("ReadModels.compile", () => {
  const base = ReadModels.Rounds.definition
  it("accepts the built-in read models", () => {
    const r = ReadModels.compile(ReadModels.builtIn)
    expect(Result.isSuccess(r)).toBe(true)
    if (Result.isSuccess(r)) {
      expect(r.success.inline.map((x) => x.name)).toEqual(["rounds", "refunds-due"])
      expect(r.success.catchUp.map((x) => x.name)).toEqual(["buyer-history", "members", "member-purchases"])
    }
  })
  it.each([
    ["a name that is not lower-case", { ...base, name: "Rounds" }],
    ["a name too long", { ...base, name: `r${"x".repeat(40)}` }],
    ["a version that is not an integer", { ...base, name: "v", version: 1.5 }],
    ["an unknown mode", { ...base, name: "m", mode: "later" as never }]
  ])("rejects %s", (_, d) => {
    const r = ReadModels.compile([d])
    expect(Result.isFailure(r)).toBe(true)
  })
  it("rejects a name registered twice", () => {
    expect(Result.isFailure(ReadModels.compile([base, base]))).toBe(true)
  })
  it.effect("a memory store given invalid read models fails every call with StorageError", () =>
    Effect.gen(function* () {
      const s = Storage.makeMemory({ readModels: [base, base] })
      const e = yield* Effect.flip(s.commit([]))
      expect(e._tag).toBe("StorageError")
      expect(e.message).toMatch(/registered twice/)
      expect((yield* Effect.flip(s.readModels()))._tag).toBe("StorageError")
    })
  )
})

describe("the rounds read model", () => {
  const d = ReadModels.Rounds.definition
  it("follows a round's lifecycle and counts the orders its cutoff confirmed", () => {
    const docs = foldAll(d, [
      stored(
        "round:r1",
        "RoundCreated",
        { spec: { id: "r1", title: "Socks", cutoff: "2024-05-02T00:00:00Z" }, at: at(9) },
        9
      ),
      stored("round:r1", "RoundOpened", { at: at(10) }, 10),
      stored("round:r1", "LinesOrdered", { ...ref("U1", 1), orderId: "o1", newOrder: true, lines: [] }),
      stored("round:r1", "RoundClosed", { at: at(12), reason: "cutoff" }, 12),
      stored("order:o1", "OrderConfirmed", { orderId: "o1", roundId: "r1", total: 240, lines: [], at: at(12) }, 12),
      stored("order:o9", "OrderConfirmed", { orderId: "o9", roundId: "nope", total: 1, lines: [], at: at(12) }, 12),
      stored("payment:p1", "PaymentReported", { at: at(13) }, 13)
    ])
    expect([...docs.keys()]).toEqual(["r1", "nope"])
    expect(docs.get("nope")).toBeUndefined()
    const r1 = docs.get("r1")!
    expect(r1).toEqual({
      roundId: "r1",
      title: "Socks",
      status: "closed",
      createdAt: at(9),
      openedAt: at(10),
      closedAt: at(12),
      cutoff: "2024-05-02T00:00:00Z",
      orders: 1,
      total: 240
    })
    expect(Schema.decodeUnknownSync(d.document)(Schema.encodeSync(d.document)(r1))).toEqual(r1)
    expect(d.keys!(r1)).toEqual({ k1: "closed" })
  })
  it("does not read the per-comment events (a comment's commit costs it nothing)", () => {
    for (const t of [
      "LinesOrdered",
      "LinesSet",
      "OrderWithdrawn",
      "CommentNotOrdered",
      "CommentForReview",
      "CommentIgnored"
    ])
      expect(d.eventTypes).not.toContain(t)
  })
})

describe("the buyer-history read model", () => {
  const d = ReadModels.BuyerHistory.definition
  it("counts open orders from the round stream, confirmed ones from their order stream, once", () => {
    const docs = foldAll(d, [
      stored(
        "round:r1",
        "LinesOrdered",
        { ...ref("U1", 1), orderId: "o1", newOrder: true, lines: [{ sku: "A", qty: 2, unitPrice: 100 }] },
        10
      ),
      stored(
        "round:r1",
        "LinesOrdered",
        { ...ref("U1", 2), orderId: "o1", newOrder: false, lines: [{ sku: "B", qty: 1, unitPrice: 30 }] },
        11
      ),
      stored(
        "round:r1",
        "LinesSet",
        { ...ref("U1", 3), orderId: "o1", lines: [{ sku: "A", from: 2, to: 1, unitPrice: 100 }] },
        11
      ),
      stored(
        "round:r1",
        "LinesOrdered",
        { ...ref("U2", 4), orderId: "o2", newOrder: true, lines: [{ sku: "A", qty: 1, unitPrice: 100 }] },
        11
      ),
      stored("round:r1", "OrderWithdrawn", { ...ref("U2", 5), orderId: "o2" }, 11),
      stored(
        "round:r1",
        "LinesOrdered",
        { ...ref("U2", 6), orderId: "o3", newOrder: true, lines: [{ sku: "B", qty: 2, unitPrice: 30 }] },
        12
      )
    ])
    expect(docs.get("line:U1")).toMatchObject({
      rounds: ["r1"],
      orders: 1,
      units: 2,
      spend: 130,
      firstOrderAt: at(10),
      lastOrderAt: at(11)
    })
    expect(docs.get("line:U2")).toMatchObject({
      rounds: ["r1"],
      orders: 1,
      units: 2,
      spend: 60,
      // A withdrawn order leaves no history: the first order that counts is the later one.
      firstOrderAt: at(12),
      lastOrderAt: at(12)
    })
    const after = foldAll(d, [
      stored(
        "round:r1",
        "LinesOrdered",
        { ...ref("U1", 1), orderId: "o1", newOrder: true, lines: [{ sku: "A", qty: 2, unitPrice: 100 }] },
        10
      ),
      stored(
        "order:o1",
        "OrderConfirmed",
        {
          orderId: "o1",
          roundId: "r1",
          buyerId: "line:U1",
          lines: [{ sku: "A", qty: 2, unitPrice: 100 }],
          total: 180,
          placedAt: at(10),
          at: at(13)
        },
        13
      ),
      // After the cutoff the round stream's events no longer change a confirmed order.
      stored(
        "round:r1",
        "LinesSet",
        { ...ref("U1", 3), orderId: "o1", lines: [{ sku: "A", from: 2, to: 5, unitPrice: 100 }] },
        14
      ),
      stored(
        "order:o7",
        "OrderConfirmed",
        {
          orderId: "o7",
          roundId: "r2",
          buyerId: "line:U1",
          lines: [{ sku: "C", qty: 1, unitPrice: 50 }],
          total: 50,
          placedAt: at(8),
          at: at(15)
        },
        15
      )
    ])
    expect(after.get("line:U1")).toMatchObject({
      rounds: ["r1", "r2"],
      orders: 2,
      units: 3,
      spend: 230,
      firstOrderAt: at(8),
      lastOrderAt: at(10)
    })
  })
  it("keeps no names (personal data stays out of the document)", () => {
    const docs = foldAll(d, [
      stored("round:r1", "LinesOrdered", {
        ...ref("U1", 1),
        buyer: { id: "U1", name: "王小明" },
        orderId: "o1",
        newOrder: true,
        lines: [{ sku: "A", qty: 1, unitPrice: 1 }]
      })
    ])
    expect(JSON.stringify(docs.get("line:U1"))).not.toContain("王小明")
  })
})

describe("inline read models in the memory store", () => {
  it.effect("a commit without an event a model reads never calls it", () =>
    Effect.gen(function* () {
      let calls = 0
      const spy: ReadModels.Definition<{ readonly n: number }> = {
        name: "spy",
        version: 1,
        mode: "inline",
        document: Schema.Struct({ n: Schema.Number }),
        eventTypes: ["Watched"],
        documentIds: () => {
          calls++
          return ["one"]
        },
        evolve: (doc) => ({ n: (doc?.n ?? 0) + 1 })
      }
      const s = Storage.makeMemory({ readModels: [spy] })
      const commits = Array.from({ length: 100 }, (_, i) => ({
        appends: [{ stream: `s:${i}`, expectedVersion: 0, events: [{ type: "Other", data: {}, at: at(10) }] }],
        views: [],
        outbox: []
      }))
      yield* s.commit(commits)
      expect(calls).toBe(0)
      yield* s.commit([
        {
          appends: [{ stream: "w", expectedVersion: 0, events: [{ type: "Watched", data: {}, at: at(10) }] }],
          views: [],
          outbox: []
        }
      ])
      expect(yield* s.document("spy", "one")).toEqual({ n: 1 })
    })
  )
  it.effect("an inline model that throws fails the commit, which then leaves nothing behind", () =>
    Effect.gen(function* () {
      const broken: ReadModels.Definition<{ readonly n: number }> = {
        name: "broken",
        version: 1,
        mode: "inline",
        document: Schema.Struct({ n: Schema.Number }),
        eventTypes: ["Boom"],
        documentIds: () => ["x"],
        evolve: () => {
          throw new Error("bug in a read model")
        }
      }
      const s = Storage.makeMemory({ readModels: [broken] })
      const e = yield* Effect.flip(
        s.commit([
          {
            idempotencyKey: "k",
            appends: [{ stream: "s", expectedVersion: 0, events: [{ type: "Boom", data: {}, at: at(10) }] }],
            views: [],
            outbox: [],
            schedule: [{ id: "j", kind: "k", dueAt: at(10), payload: {} }]
          }
        ])
      )
      expect(e.reason).toBe("corrupt")
      expect(yield* s.readStream("s")).toEqual({ version: 0, events: [] })
      expect(yield* s.seenKeys(["k"])).toEqual(new Set())
      expect(yield* s.jobs({})).toEqual([])
    })
  )
})
