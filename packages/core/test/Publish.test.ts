import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, MessageTemplates, Publish, Scheduler, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./support/fixtures.js"

const listens = [
  { channel: "line", conversation: "C0123456789abcdef0123456789abcdef" },
  { channel: "telegram", conversation: "-1001234567890" }
]
const cutoff = "2024-05-10T22:00:00+08:00"
const opened = "2024-05-01T09:00:00+08:00"

const services = (storage: Storage.StorageService) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const comment = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at: "2024-05-01T10:00:00+08:00",
  threadId: listens[0]!.conversation
})

const outbox = (storage: Storage.StorageService) =>
  Effect.map(storage.claimOutbox({ limit: 10_000, leaseMs: 0 }), (entries) => entries.map((e) => e.message))

const open = (overrides: Record<string, unknown> = {}) =>
  Effect.flatMap(GroupBuy.GroupBuy, (g) => g.openRound({ spec: spec({ cutoff, listens, ...overrides }), at: opened }))

describe("Publish.publishRound", () => {
  it.effect("queues one announcement per conversation; twice in a row is one; after a change, a new one", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* open()
      const first = yield* Publish.publishRound({ roundId: "socks", at: "2024-05-01T09:05:00+08:00" })
      expect(first.status).toBe("queued")
      expect(first.messages.map((m) => [m.channel, m.conversation])).toEqual(
        listens.map((l) => [l.channel, l.conversation])
      )
      const queued = yield* outbox(storage)
      expect(queued.map((m) => m.kind)).toEqual(["round-announcement", "round-announcement"])
      expect(queued.map((m) => m.to)).toEqual(
        listens.map((l) => ({ channel: l.channel, userId: "", threadId: l.conversation }))
      )

      const again = yield* Publish.publishRound({ roundId: "socks", at: "2024-05-01T09:06:00+08:00" })
      expect(again.status).toBe("duplicate")
      expect(again.messages.map((m) => m.messageId)).toEqual(first.messages.map((m) => m.messageId))
      expect((yield* outbox(storage)).length).toBe(2)

      const g = yield* GroupBuy.GroupBuy
      yield* g.submitComments({ roundId: "socks", comments: [comment("m1", "u1", "紅+1")] })
      const before = (yield* outbox(storage)).length
      const changed = yield* Publish.publishRound({ roundId: "socks" })
      expect(changed.status).toBe("queued")
      expect(changed.messages[0]!.messageId).not.toBe(first.messages[0]!.messageId)
      const after = yield* outbox(storage)
      expect(after.length).toBe(before + 2)
      const text = MessageTemplates.render("round-announcement", after[after.length - 1]!.data)
      expect(text).toContain("毛襪 紅　NT$120　現貨剩 2")
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("the announcement: title, items with prices and what is left, examples, the cutoff in Taipei time", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* open()
      const r = yield* Publish.publishRound({ roundId: "socks" })
      // Checked with the round's parser: the shortest name of each product's first SKU with stock.
      expect(r.data.examples).toEqual(["紅+1", "蛋黃酥+2", "保溫杯+3"])
      const text = MessageTemplates.render("round-announcement", r.data)
      expect(text.split("\n")).toEqual([
        "📣 開團：韓國毛襪",
        "・毛襪 紅　NT$120　現貨剩 3",
        "・毛襪 白　NT$130　現貨剩 2",
        "・蛋黃酥　NT$300　預購，上限剩 4",
        "・保溫杯　NT$450",
        "下單方式：留言「品名或規格＋數量」，例如：",
        "紅+1",
        "蛋黃酥+2",
        "保溫杯+3",
        "⏰ 截單：2024/05/10（五）22:00（台北時間）"
      ])
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("refuses an unknown or closed round, and skips a round that listens to no conversation", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      const unknown = yield* Effect.flip(Publish.publishRound({ roundId: "nope" }))
      expect(unknown).toMatchObject({ _tag: "GroupBuyError", reason: "unknown-round" })
      yield* Effect.flatMap(GroupBuy.GroupBuy, (g) => g.openRound({ spec: spec({ cutoff }), at: opened }))
      const skipped = yield* Publish.publishRound({ roundId: "socks" })
      expect(skipped).toMatchObject({ status: "skipped", messages: [] })
      expect((yield* outbox(storage)).length).toBe(0)
      yield* Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks" }))
      const closed = yield* Effect.flip(Publish.publishRound({ roundId: "socks" }))
      expect(closed).toMatchObject({ _tag: "GroupBuyError", reason: "rejected" })
      const bad = yield* Effect.flip(Publish.publishRound({ roundId: "" }))
      expect(bad).toMatchObject({ reason: "invalid-input" })
    }).pipe(Effect.provide(services(storage)))
  })
})

describe("round.remind", () => {
  it.effect(
    "openRound schedules it remindBeforeCutoff before the cutoff; it fires once across two workers and a restart",
    () => {
      const database = Storage.memoryDatabase()
      const workerA = Storage.makeMemory({ database })
      const workerB = Storage.makeMemory({ database })
      return Effect.gen(function* () {
        yield* open({ remindBeforeCutoff: "PT10M" })
        const job = (yield* workerA.jobs({})).find((j) => j.id === "remind:socks")
        expect(job).toMatchObject({ kind: "round.remind", status: "pending" })
        expect(Date.parse(job!.dueAt)).toBe(Date.parse("2024-05-10T21:50:00+08:00"))
        // Not yet due.
        const early = yield* Scheduler.runDue({ now: "2024-05-10T13:49:59.000Z" }).pipe(
          Effect.provideService(Storage.Storage, workerA)
        )
        expect(early.claimed).toBe(0)
        // Two workers at once: one claims it.
        const now = "2024-05-10T13:50:00.000Z"
        const [a, b] = yield* Effect.all(
          [
            Scheduler.runDue({ now }).pipe(Effect.provideService(Storage.Storage, workerA)),
            Scheduler.runDue({ now }).pipe(Effect.provideService(Storage.Storage, workerB))
          ],
          { concurrency: "unbounded" }
        )
        expect(a.done + b.done).toBe(1)
        const reminders = (yield* outbox(workerA)).filter((m) => m.kind === "cutoff-reminder")
        expect(reminders.map((m) => m.to.threadId)).toEqual(listens.map((l) => l.conversation))
        expect(MessageTemplates.render("cutoff-reminder", reminders[0]!.data)).toContain(
          "將於 2024/05/10（五）22:00（台北時間）截單"
        )
        // A restart: a new store over the same database; a worker that died before completing runs it again.
        const restarted = Storage.makeMemory({ database })
        yield* Scheduler.roundRemind({ ...job!, attempts: 2, claim: "x" }).pipe(
          Effect.provideService(Storage.Storage, restarted)
        )
        const later = yield* Scheduler.runDue({ now: "2024-05-10T13:55:00.000Z" }).pipe(
          Effect.provideService(Storage.Storage, restarted)
        )
        expect(later.claimed).toBe(0)
        const all = yield* restarted.claimOutbox({ limit: 10_000, leaseMs: 1_000 })
        expect(all.filter((e) => e.message.kind === "cutoff-reminder").length).toBe(2)
      }).pipe(Effect.provide(services(workerA)))
    }
  )

  it.effect("sends nothing once the round is closed or the cutoff has moved", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* open({ remindBeforeCutoff: "PT10M" })
      const moved = yield* Publish.remindRound({
        roundId: "socks",
        cutoff: "2024-05-11T22:00:00+08:00",
        at: "2024-05-10T21:50:00+08:00"
      })
      expect(moved).toMatchObject({ status: "skipped", reason: "the cutoff moved" })
      const late = yield* Publish.remindRound({ roundId: "socks", at: "2024-05-10T22:00:00+08:00" })
      expect(late).toMatchObject({ status: "skipped", reason: "the cutoff has passed" })
      yield* Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks" }))
      const r = yield* Scheduler.runDue({ now: "2024-05-10T13:50:00.000Z" })
      expect(r).toMatchObject({ claimed: 1, done: 1 })
      expect((yield* outbox(storage)).filter((m) => m.kind === "cutoff-reminder")).toEqual([])
    }).pipe(Effect.provide(services(storage)))
  })

  it("Publish.remindJob reads the setting, and there is no job without one", () => {
    expect(Publish.remindJob({ id: "r", cutoff, remindBeforeCutoff: "PT1H30M" })?.dueAt).toBe(
      "2024-05-10T12:30:00.000Z"
    )
    expect(Publish.remindJob({ id: "r", cutoff })).toBeUndefined()
    expect(Publish.remindJob({ id: "r", remindBeforeCutoff: "PT10M" })).toBeUndefined()
  })
})

describe("sold-out notices", () => {
  it.effect("one per conversation when a comment takes the last unit of a SKU, and only then", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* open()
      const g = yield* GroupBuy.GroupBuy
      yield* g.submitComments({ roundId: "socks", comments: [comment("m1", "u1", "白+1")] })
      expect((yield* outbox(storage)).filter((m) => m.kind === "sold-out")).toEqual([])
      // The second 白 takes the last one; a retry of the same comment and later comments add nothing.
      yield* g.submitComments({ roundId: "socks", comments: [comment("m2", "u2", "白+1")] })
      yield* g.submitComments({
        roundId: "socks",
        comments: [comment("m2", "u2", "白+1"), comment("m3", "u3", "白+1")]
      })
      // Pre-order: the cap of 4 filled by one comment.
      yield* g.submitComments({ roundId: "socks", comments: [comment("m4", "u4", "蛋黃酥+4")] })
      const soldOut = (yield* outbox(storage)).filter((m) => m.kind === "sold-out")
      expect(soldOut.map((m) => [m.data["sku"], m.to.threadId])).toEqual([
        ["SOCK-W", listens[0]!.conversation],
        ["SOCK-W", listens[1]!.conversation],
        ["EGG", listens[0]!.conversation],
        ["EGG", listens[1]!.conversation]
      ])
      expect(MessageTemplates.render("sold-out", soldOut[0]!.data)).toBe(
        "❌ 毛襪 白 已售完（韓國毛襪），謝謝大家支持！"
      )
      expect(MessageTemplates.render("sold-out", soldOut[2]!.data)).toBe(
        "🈵 蛋黃酥 預購已額滿（韓國毛襪），謝謝大家支持！"
      )
      // The next announcement says so.
      const r = yield* Publish.publishRound({ roundId: "socks" })
      const text = MessageTemplates.render("round-announcement", r.data)
      expect(text).toContain("・毛襪 白　NT$130　已售完")
      expect(text).toContain("・蛋黃酥　NT$300　預購已額滿")
      expect(r.data.examples).not.toContain("蛋黃酥+2")
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("also when the organiser approves a review item that takes the last units", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* open()
      const g = yield* GroupBuy.GroupBuy
      // The test parser sends an unknown name to review.
      yield* g.submitComments({ roundId: "socks", comments: [comment("m9", "u9", "黑+2")] })
      yield* g.resolveReview({ roundId: "socks", commentId: "line:m9", approve: [{ sku: "SOCK-W", qty: 2 }] })
      const soldOut = (yield* outbox(storage)).filter((m) => m.kind === "sold-out")
      expect(soldOut.map((m) => [m.data["sku"], m.to.threadId])).toEqual(listens.map((l) => ["SOCK-W", l.conversation]))
    }).pipe(Effect.provide(services(storage)))
  })
})
