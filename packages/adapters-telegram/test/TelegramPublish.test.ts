import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { Notification } from "@kaituan/core"
import { Effect, Redacted } from "effect"
import { TelegramChannel } from "../src/index.js"
import * as Fake from "./support/FakeBotApi.js"

let fake: Fake.FakeBotApi
beforeAll(async () => {
  fake = await Fake.start()
})
afterAll(async () => {
  await fake.close()
})

const adapter = () =>
  TelegramChannel.make({
    botToken: Redacted.make(fake.token),
    secretToken: Redacted.make("kaituan_secret-Token_123"),
    apiBase: fake.base,
    retry: { retries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000 },
    timeoutMs: 5_000
  })

const CHAT = "-1001234567890"

const announcement = (id: string, items: number): Notification.OutboundMessage => ({
  id,
  kind: "round-announcement",
  to: { channel: "telegram" as Notification.Recipient["channel"], userId: "", threadId: CHAT },
  data: {
    round: "韓國毛襪",
    items: Array.from({ length: items }, (_, i) => ({
      label: `毛襪 第${i + 1}色 🧦`,
      price: 120,
      supply: "in-stock",
      left: 3
    })),
    examples: ["紅+1"],
    cutoff: "2024-05-10T22:00:00+08:00"
  },
  createdAt: "2024-05-01T09:00:00+08:00"
})

const sendMessages = () => fake.accepted.filter((r) => r.method === "sendMessage").map((r) => r.body)

describe("TelegramChannel.send to a conversation (Publish)", () => {
  it.live("sendMessage to the chat id, no reply; once per message id", () =>
    Effect.gen(function* () {
      fake.accepted.length = 0
      const tg = yield* adapter()
      const m = announcement("announce:socks:telegram:chat:1", 2)
      yield* tg.send(m)
      yield* tg.send(m)
      const sent = sendMessages()
      expect(sent).toHaveLength(1)
      expect(sent[0]).toEqual({
        chat_id: CHAT,
        text: [
          "📣 開團：韓國毛襪",
          "・毛襪 第1色 🧦　NT$120　現貨剩 3",
          "・毛襪 第2色 🧦　NT$120　現貨剩 3",
          "下單方式：留言「品名或規格＋數量」，例如：",
          "紅+1",
          "⏰ 截單：2024/05/10（五）22:00（台北時間）"
        ].join("\n")
      })
    })
  )

  it.live(
    "a long announcement goes as several messages within 4,096 characters; a retry sends only what is missing",
    () =>
      Effect.gen(function* () {
        fake.accepted.length = 0
        const tg = yield* adapter()
        const m = announcement("announce:socks:telegram:chat:big", 400)
        // The second part fails for good (400), after the first went out.
        fake.script(
          {
            status: 200,
            body: { ok: true, result: { message_id: 1, chat: { id: Number(CHAT), type: "supergroup" }, date: 0 } }
          },
          { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: chat not found" } }
        )
        const failed = yield* Effect.flip(tg.send(m))
        expect(failed.reason).toBe("rejected")
        const afterFailure = sendMessages().length
        expect(afterFailure).toBe(1)
        yield* tg.send(m)
        const texts = sendMessages().map((b) => (b as { text: string }).text)
        expect(texts.length).toBeGreaterThan(2)
        for (const t of texts) expect(t.length).toBeLessThanOrEqual(4096)
        // Nothing twice: the first part is not sent again.
        expect(new Set(texts).size).toBe(texts.length)
        const all = texts.join("\n")
        expect(all).toContain("・毛襪 第400色 🧦　NT$120　現貨剩 3")
        expect(all.startsWith("📣 開團：韓國毛襪")).toBe(true)
      })
  )
})
