import { describe, expect, it } from "@effect/vitest"
import {
  CommentParser,
  GroupBuy,
  IdGenerator,
  Member,
  MemberPolicy,
  MemberRules,
  Members,
  Storage
} from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { spec, testParser } from "./support/fixtures.js"

const opened = "2024-05-01T09:00:00+08:00"
const cutoff = "2024-05-10T22:00:00+08:00"
const later = Date.parse("2024-05-12T10:00:00+08:00")

const rules: MemberRules.Rules = {
  ...MemberRules.defaults,
  categories: { 襪子: ["SOCK"], 杯子: ["CUP"] },
  replenish: { 襪子: { servingsPerUnit: 7 } }
}

const services = (storage: Storage.StorageService) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(Layer.succeed(Storage.Storage, storage), CommentParser.layer(testParser), IdGenerator.layerCounter)
    )
  )

const comment = (channel: string, id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel,
  commentId: id,
  author: { id: author, name: author },
  text,
  at: "2024-05-01T10:00:00+08:00"
})

/** A closed round: line:u1 one red pair (120), telegram:t9 one white pair (130), line:u3 a cup (450). */
const closedRound = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec: spec({ cutoff }), at: opened })
  yield* g.submitComments({
    roundId: "socks",
    comments: [
      comment("line", "m1", "u1", "紅+1"),
      comment("telegram", "m2", "t9", "白+1"),
      comment("line", "m3", "u3", "保溫杯+1")
    ]
  })
  yield* g.closeRound({ roundId: "socks", at: cutoff })
  yield* TestClock.setTime(later)
})

const byId = (all: ReadonlyArray<Members.Evaluated>) => new Map(all.map((m) => [m.member.memberId, m]))

describe("Members use cases", () => {
  it.effect("a link code sent from a second channel makes one member of two buyers; a split undoes it", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* closedRound
      const before = byId(yield* Members.load(rules))
      expect([...before.keys()].sort()).toEqual(["line:u1", "line:u3", "telegram:t9"])

      const { code, expiresAt } = yield* Members.issueLinkCode({ buyerId: "line:u1" })
      expect(Date.parse(expiresAt) - later).toBe(30 * 60_000)
      const sent = Members.parseLinkCode(`綁定 ${code.slice(0, 4)}-${code.slice(4)}`)
      expect(sent).toBe(code)
      expect(yield* Members.redeemLinkCode({ buyerId: "telegram:t9", code: sent! })).toEqual({ memberId: "line:u1" })
      expect(yield* Members.memberOf("telegram:t9")).toBe("line:u1")
      // The same code again in a chat message from a third channel: refused, the code was used.
      expect(yield* Members.linkFromChat({ channel: "facebook", userId: "P1", text: `綁定 ${code}` })).toEqual({
        _tag: "Refused",
        reason: "wrong-code"
      })
      expect(yield* Members.linkFromChat({ channel: "facebook", userId: "P1", text: "紅+2" })).toEqual({
        _tag: "NotACode"
      })

      const joined = byId(yield* Members.load(rules))
      expect([...joined.keys()].sort()).toEqual(["line:u1", "line:u3"])
      const u1 = joined.get("line:u1")!
      expect(u1.member.identities).toEqual(["line:u1", "telegram:t9"])
      expect(u1.evaluated.stats).toMatchObject({ orders: 2, rounds: 1, spend: 250, categorySpend: { 襪子: 250 } })
      expect([...u1.evaluated.tags]).toEqual(
        expect.arrayContaining(["新用戶", "偏好襪子", "channel:telegram", "tier:一般"])
      )

      // Single use: the same code again, from a third identity, is refused.
      const again = yield* Effect.result(Members.redeemLinkCode({ buyerId: "facebook:P1", code: code }))
      expect(Result.isFailure(again) && again.failure._tag === "MemberError" && again.failure.reason).toBe("wrong-code")
      const unknown = yield* Effect.result(Members.redeemLinkCode({ buyerId: "facebook:P1", code: "ZZZZZZZZ" }))
      expect(Result.isFailure(unknown) && unknown.failure._tag === "MembersError" && unknown.failure.reason).toBe(
        "unknown-code"
      )

      yield* Members.split({ memberId: "line:u1", buyerId: "telegram:t9" })
      const split = byId(yield* Members.load(rules))
      expect(split.get("line:u1")?.evaluated.stats.spend).toBe(120)
      expect(split.get("telegram:t9")?.evaluated.stats.spend).toBe(130)
      expect(yield* Members.memberOf("telegram:t9")).toBe("telegram:t9")

      // The organiser merges them by hand: tags and points come along.
      yield* Members.update({ buyerId: "telegram:t9", changes: [{ _tag: "AddTag", tag: "常加班" }] })
      yield* Members.earnPoints({ buyerId: "telegram:t9", paymentId: "p-t9", amount: 1_300, rules })
      yield* Members.merge({ into: "line:u1", from: "telegram:t9" })
      const merged = byId(yield* Members.load(rules)).get("line:u1")!
      expect(merged.evaluated.stats.spend).toBe(250)
      expect(merged.evaluated.tags.has("常加班")).toBe(true)
      expect(merged.points).toBe(13)
      expect(byId(yield* Members.load(rules)).has("telegram:t9")).toBe(false)
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("a broadcast skips opted-out and blacklisted members, respects quotas and never sends twice", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* closedRound
      yield* Members.update({
        buyerId: "line:u1",
        changes: [{ _tag: "SetConsent", channel: "line", marketing: "opted-out" }]
      })
      yield* Members.update({ buyerId: "telegram:t9", changes: [{ _tag: "Block", reason: "棄單三次" }] })
      const first = yield* Members.broadcast({ broadcastId: "b1", segment: "新用戶", text: "下週團購預告", rules })
      expect(first).toEqual({
        broadcastId: "b1",
        queued: 1,
        duplicates: 0,
        skipped: { "opted-out": 1, blocked: 1, "over-quota": 0 },
        batches: 1
      })
      const again = yield* Members.broadcast({ broadcastId: "b1", segment: "新用戶", text: "下週團購預告", rules })
      expect(again.queued).toBe(0)
      expect(again.duplicates).toBe(1)
      const quota = yield* Members.broadcast({
        broadcastId: "b2",
        segment: "channel:line",
        text: "x",
        rules,
        quotas: { line: 0 }
      })
      expect(quota.skipped["over-quota"]).toBe(1)
      const messages = (yield* storage.claimOutbox({ limit: 1_000, leaseMs: 0 })).map((e) => e.message)
      const marketing = messages.filter((m) => m.data.marketing === true)
      expect(marketing.map((m) => [m.id, m.to.channel, m.to.userId])).toEqual([["broadcast:b1:line:u3", "line", "u3"]])
      // Order messages still reach the opted-out member.
      expect(messages.some((m) => m.kind === "payment-due" && m.to.userId === "u1")).toBe(true)
      const bad = yield* Effect.result(
        Members.broadcast({ broadcastId: "b3", segment: "新用戶 AND", text: "x", rules })
      )
      expect(Result.isFailure(bad) && bad.failure._tag === "SegmentError" && bad.failure.position).toBe(7)
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("points: earned once per payment, redeemed as a payment on the amount due, expired in time", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* closedRound
      expect(yield* Members.earnPoints({ buyerId: "line:u3", paymentId: "p1", amount: 4_500, rules })).toEqual({
        points: 45
      })
      expect(yield* Members.earnPoints({ buyerId: "line:u3", paymentId: "p1", amount: 4_500, rules })).toEqual({
        points: 0
      })
      const order = (yield* storage.orders({ roundId: "socks" })).find((o) => o.buyerId === "line:u3")!
      const tooMany = yield* Effect.result(Members.redeemPoints({ orderId: order.orderId, points: 46 }))
      expect(Result.isFailure(tooMany) && tooMany.failure._tag === "MemberError" && tooMany.failure.reason).toBe(
        "insufficient-points"
      )
      expect(yield* Members.redeemPoints({ orderId: order.orderId, points: 30 })).toEqual({ points: 30, due: 420 })
      expect((yield* storage.orders({ roundId: "socks" })).find((o) => o.orderId === order.orderId)?.paid).toBe(30)
      const member = byId(yield* Members.load(rules)).get("line:u3")!
      expect(member.points).toBe(15)
      yield* TestClock.adjust(366 * 86_400_000)
      expect(yield* Members.expirePoints("line:u3")).toBe(15)
      expect(byId(yield* Members.load(rules)).get("line:u3")!.points).toBe(0)
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("replenishment: a reminder scheduled before the run-out names the open round's matching products", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* closedRound
      yield* Members.update({
        buyerId: "line:u1",
        changes: [{ _tag: "SetHousehold", household: { householdSize: 3, weeklyServings: { 襪子: 1 } } }]
      })
      expect(yield* Members.scheduleReplenishment(rules)).toBe(1)
      const [job] = yield* storage.jobs({ kind: Members.REPLENISH })
      // One pair, 7 wears, one wear a week: 7 weeks from the order (low end 37 days), reminded 3 days before.
      expect(job).toMatchObject({ id: "replenish:line:u1:襪子", status: "pending" })
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: spec({ id: "socks-2", title: "冬季毛襪" }), at: new Date(later).toISOString() })
      yield* Members.replenishReminder({ ...job!, attempts: 1, claim: "c" })
      yield* Members.replenishReminder({ ...job!, attempts: 2, claim: "c" })
      const reminders = (yield* storage.claimOutbox({ limit: 1_000, leaseMs: 0 }))
        .map((e) => e.message)
        .filter((m) => m.id.startsWith("replenish:"))
      expect(reminders.length).toBe(1)
      expect(reminders[0]!.to).toEqual({ channel: "line", userId: "u1" })
      expect(String(reminders[0]!.data.text)).toContain("「冬季毛襪」正在開團：毛襪")
      expect(String(reminders[0]!.data.text)).toMatch(/襪子大約在 \d{4}\/\d{2}\/\d{2}（.）前後用完/)
    }).pipe(Effect.provide(services(storage)))
  })

  it.effect("a blacklisted member's order comments go to review, with their lines; others order as before", () => {
    const storage = Storage.makeMemory()
    const base = Layer.mergeAll(
      Layer.succeed(Storage.Storage, storage),
      CommentParser.layer(testParser),
      IdGenerator.layerCounter
    )
    return Effect.gen(function* () {
      // Blacklist the member, with a second identity linked: both identities are blocked.
      const { code } = yield* Members.issueLinkCode({ buyerId: "line:u1" }).pipe(Effect.provide(base))
      yield* Members.redeemLinkCode({ buyerId: "telegram:t9", code }).pipe(Effect.provide(base))
      yield* Members.update({ buyerId: "line:u1", changes: [{ _tag: "Block", reason: "棄單三次" }] }).pipe(
        Effect.provide(base)
      )
      const app = GroupBuy.layer.pipe(
        Layer.provideMerge(MemberPolicy.layerFromStorage({ everyMs: 60_000 })),
        Layer.provideMerge(base)
      )
      yield* Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* g.openRound({ spec: spec({ cutoff }), at: opened })
        yield* g.submitComments({
          roundId: "socks",
          comments: [
            comment("line", "m1", "u1", "紅+1"),
            comment("telegram", "m2", "t9", "白+1"),
            comment("line", "m3", "u3", "紅+1")
          ]
        })
        const view = yield* g.report("socks")
        expect(view.orders.map((o) => o.buyerId)).toEqual(["line:u3"])
        expect(view.review.map((r) => [r.buyerId, r.reason, r.lines])).toEqual([
          ["line:u1", MemberPolicy.BLOCKED_REASON, [{ sku: "SOCK-R", qty: 1 }]],
          ["telegram:t9", MemberPolicy.BLOCKED_REASON, [{ sku: "SOCK-W", qty: 1 }]]
        ])
      }).pipe(Effect.provide(app))
    })
  })

  it("screen: only order, amend and cancel intents of a blocked buyer change", () => {
    const policy = MemberPolicy.fromBlocked(["line:u1"])
    const order = { intent: "order" as const, lines: [{ sku: "A", qty: 1 }], reason: "order", spans: [] }
    expect(MemberPolicy.screen(policy, "line:u1", order)).toEqual({
      ...order,
      intent: "review",
      reason: "blocked-member"
    })
    expect(MemberPolicy.screen(policy, "line:u2", order)).toBe(order)
    const payment = { intent: "payment" as const, lines: [], reason: "payment", spans: [] }
    expect(MemberPolicy.screen(policy, "line:u1", payment)).toBe(payment)
    expect(MemberPolicy.screen(undefined, "line:u1", order)).toBe(order)
  })

  it("reads link codes in chat messages", () => {
    expect(Members.parseLinkCode("ABCD2345")).toBe("ABCD2345")
    expect(Members.parseLinkCode("綁定：abcd-2345")).toBe("ABCD2345")
    expect(Members.parseLinkCode("link abcd 2345")).toBe("ABCD2345")
    expect(Members.parseLinkCode("紅+2")).toBeUndefined()
    expect(Members.parseLinkCode("HELLOYOU")).toBeUndefined() // a word, not a code
    expect(Member.normalizeCode(" ab-cd ")).toBe("ABCD")
  })
})
