import { describe, expect, it } from "@effect/vitest"
import { CommentParser, Decider, GroupBuy, IdGenerator, Members, Poll, Polls, Storage } from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import * as TestClock from "effect/testing/TestClock"
import fc from "fast-check"
import { testParser } from "./support/fixtures.js"

const t0 = Date.parse("2025-05-01T00:00:00.000Z")
const iso = (h: number) => new Date(t0 + h * 3_600_000).toISOString()
const product = (sku: string, name: string, price: number) => ({ sku, name, price }) as Poll.Option["product"]
const options: ReadonlyArray<Poll.Option> = [
  { key: "1", product: product("MANGO", "愛文芒果", 880) },
  { key: "2", product: product("LYCHEE", "玉荷包", 650) },
  { key: "3", product: product("POMELO", "麻豆文旦", 500) }
]
const opened = Decider.fold(Poll.decider, [
  { _tag: "PollOpened", pollId: "p", question: "下一團賣什麼？", options, closesAt: iso(48), at: iso(0) }
] as const)

const arbCommand: fc.Arbitrary<Poll.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Vote" as const),
    memberId: fc.constantFrom("line:a", "line:b", "telegram:c", "line:d"),
    option: fc.constantFrom("1", "2", "3", "9"),
    at: fc.integer({ min: 0, max: 60 }).map(iso)
  }),
  fc.record({ _tag: fc.constant("Close" as const), winners: fc.integer({ min: 0, max: 4 }), at: fc.constant(iso(49)) })
)

describe("Poll decider", () => {
  it("every transition is in the table; each member counts once; the winners have the most votes", () => {
    const allowed = new Set(Poll.transitions.map((x) => x.join("|")))
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 40 }), (commands) => {
        for (const move of Decider.transitions(Poll.decider, (s) => s.status, commands, opened))
          expect(allowed.has(move.join("|"))).toBe(true)
        let s = opened
        for (const c of commands) {
          const d = Decider.run(Poll.decider, c, s)
          if (Result.isSuccess(d)) s = d.success.state
        }
        const counts = Poll.tally(s)
        expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(Object.keys(s.votes).length)
        if (s.status === "closed") {
          const min = Math.min(...s.winners.map((k) => counts[k]!))
          for (const o of options) if (!s.winners.includes(o.key)) expect(counts[o.key]!).toBeLessThanOrEqual(min)
        }
      })
    )
  })

  it("reads votes in chat", () => {
    expect(Poll.parseVote("投 2")).toBe("2")
    expect(Poll.parseVote("投票：3")).toBe("3")
    expect(Poll.parseVote("+1")).toBe("1")
    expect(Poll.parseVote("vote a")).toBe("A")
    expect(Poll.parseVote("紅+2")).toBeUndefined()
  })
})

describe("Polls use cases", () => {
  it.effect(
    "posts the poll, counts one vote per member across channels, opens the winners as a pre-order round",
    () => {
      const storage = Storage.makeMemory()
      const app = GroupBuy.layer.pipe(
        Layer.provideMerge(
          Layer.mergeAll(
            Layer.succeed(Storage.Storage, storage),
            CommentParser.layer(testParser),
            IdGenerator.layerCounter
          )
        )
      )
      return Effect.gen(function* () {
        yield* TestClock.setTime(t0)
        yield* Polls.openPoll({
          pollId: "next-round",
          question: "下一團賣什麼？",
          options,
          closesAt: iso(48),
          conversations: [{ channel: "line", conversation: "C-group" }]
        })
        const posted = (yield* storage.claimOutbox({ limit: 10, leaseMs: 0 })).map((e) => e.message)
        expect(posted.map((m) => [m.to.channel, m.to.threadId])).toEqual([["line", "C-group"]])
        expect(String(posted[0]!.data.text)).toContain("2. 玉荷包（NT$650）")
        const { code } = yield* Members.issueLinkCode({ buyerId: "line:a" })
        yield* Members.redeemLinkCode({ buyerId: "telegram:a2", code })
        const vote = (channel: string, userId: string, text: string) =>
          Polls.voteFromChat({ pollId: "next-round", channel, userId, text })
        expect(yield* vote("line", "a", "投 2")).toEqual({ _tag: "Counted", memberId: "line:a", option: "2" })
        yield* vote("telegram", "a2", "投 2") // the same member again: still one vote
        yield* vote("line", "b", "投 2")
        yield* vote("line", "c", "投 1")
        expect(yield* vote("line", "d", "投 9")).toEqual({ _tag: "Refused", reason: "unknown-option" })
        expect(yield* vote("line", "d", "好想吃芒果")).toEqual({ _tag: "NotAVote" })
        yield* TestClock.setTime(t0 + 49 * 3_600_000)
        expect(yield* vote("line", "e", "投 3")).toEqual({ _tag: "Refused", reason: "closed" })
        const winners = yield* Polls.closePoll({
          pollId: "next-round",
          winners: 2,
          round: { id: "fruit-2025-05", title: "夏季水果預購" }
        })
        expect(winners).toEqual(["2", "1"])
        const report = yield* Effect.flatMap(GroupBuy.GroupBuy, (g) => g.report("fruit-2025-05"))
        expect(report.stock.map((s) => s.sku).sort()).toEqual(["LYCHEE", "MANGO"])
      }).pipe(Effect.provide(app))
    }
  )
})
