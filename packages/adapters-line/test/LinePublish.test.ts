import { afterEach, describe, expect, it } from "@effect/vitest"
import {
  ChannelRegistry,
  CommentParser,
  GroupBuy,
  IdGenerator,
  type Notification,
  OutboxRelay,
  Publish,
  RoundSpec,
  Storage
} from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import type { LineTestServer } from "../src/index.js"
import { GROUP, start } from "./harness.js"

const servers: Array<LineTestServer.LineTestServer> = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
const setup = () => start().pipe(Effect.tap(({ server }) => Effect.sync(() => servers.push(server))))

const ROOM = "R0123456789abcdef0123456789abcdef"

const announcement = (id: string, threadId: string, items: number): Notification.OutboundMessage => ({
  id,
  kind: "round-announcement",
  to: { channel: "line" as Notification.Recipient["channel"], userId: "", threadId },
  data: {
    round: "韓國毛襪",
    items: Array.from({ length: items }, (_, i) => ({
      label: `毛襪 第${i + 1}色 🧦`,
      price: 120,
      supply: "in-stock",
      left: 3
    })),
    examples: ["紅+1", "蛋黃酥+2"],
    cutoff: "2024-05-10T22:00:00+08:00"
  },
  createdAt: "2024-05-01T09:00:00+08:00"
})

const texts = (a: LineTestServer.Accepted) => a.messages.map((m) => (m as { text: string }).text)

describe("LineChannel.send to a conversation (Publish)", () => {
  it.live("pushes a round's announcement to the group or room, once per message id", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      const m = announcement("announce:socks:line:C1:abcd", GROUP, 3)
      yield* adapter.send(m)
      yield* adapter.send(m)
      yield* adapter.send(announcement("announce:socks:line:R1:abcd", ROOM, 3))
      const accepted = server.accepted()
      expect(accepted.map((a) => [a.endpoint, a.to])).toEqual([
        ["push", GROUP],
        ["push", ROOM]
      ])
      expect(texts(accepted[0]!)).toEqual([
        [
          "📣 開團：韓國毛襪",
          "・毛襪 第1色 🧦　NT$120　現貨剩 3",
          "・毛襪 第2色 🧦　NT$120　現貨剩 3",
          "・毛襪 第3色 🧦　NT$120　現貨剩 3",
          "下單方式：留言「品名或規格＋數量」，例如：",
          "紅+1",
          "蛋黃酥+2",
          "⏰ 截單：2024/05/10（五）22:00（台北時間）"
        ].join("\n")
      ])
      expect(accepted[0]!.retryKey).toBeDefined()
    })
  )

  it.live("a long announcement is one push of several text messages, each within 5,000 characters", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      yield* adapter.send(announcement("announce:big", GROUP, 400))
      const [push] = server.accepted()
      const parts = texts(push!)
      expect(parts.length).toBeGreaterThan(1)
      expect(parts.length).toBeLessThanOrEqual(5)
      for (const p of parts) expect(p.length).toBeLessThanOrEqual(5000)
      const all = parts.join("\n")
      expect(all).toContain("・毛襪 第400色 🧦　NT$120　現貨剩 3")
      expect(all).toContain("⏰ 截單")
    })
  )

  it.live("beyond 5 messages of 5,000 the last is cut with … (never inside a character)", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      yield* adapter.send(announcement("announce:huge", GROUP, 2_000))
      const parts = texts(server.accepted()[0]!)
      expect(parts).toHaveLength(5)
      expect(parts[4]!.endsWith("…")).toBe(true)
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(5000)
        expect(/[\uD800-\uDBFF]$/.test(p.replace(/…$/, ""))).toBe(false)
      }
    })
  )
})

describe("Publish → outbox → relay → LINE", () => {
  it.live("a published round reaches the group as one push; publishing again sends nothing more", () =>
    Effect.gen(function* () {
      const { server, adapter } = yield* setup()
      const storage = Storage.makeMemory()
      const noParser = CommentParser.layer({
        compile: () => ({ parse: () => ({ intent: "none", lines: [], reason: "none", spans: [] }) })
      })
      const app = Layer.mergeAll(
        GroupBuy.layer.pipe(
          Layer.provideMerge(
            Layer.mergeAll(Layer.succeed(Storage.Storage, storage), noParser, IdGenerator.layerCounter)
          )
        ),
        ChannelRegistry.layer([adapter])
      )
      yield* Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        const spec = Result.getOrThrow(
          RoundSpec.decode({
            id: "egg",
            title: "蛋黃酥",
            cutoff: "2030-05-10T22:00:00+08:00",
            listens: [{ channel: "line", conversation: GROUP }],
            products: [{ sku: "EGG", name: "蛋黃酥", price: 300, stock: 10 }]
          })
        )
        yield* g.openRound({ spec })
        yield* Publish.publishRound({ roundId: "egg" })
        const first = yield* OutboxRelay.drain({})
        yield* Publish.publishRound({ roundId: "egg" })
        const second = yield* OutboxRelay.drain({})
        expect([first.sent, second.sent]).toEqual([1, 0])
      }).pipe(Effect.provide(app))
      const pushes = server.accepted()
      expect(pushes.map((a) => [a.endpoint, a.to])).toEqual([["push", GROUP]])
      expect(texts(pushes[0]!)[0]).toContain("📣 開團：蛋黃酥\n・蛋黃酥　NT$300　現貨剩 10")
    })
  )
})
