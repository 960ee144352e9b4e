import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import type { Notification } from "@kaituan/core"
import { Effect, Redacted } from "effect"
import { FacebookChannel } from "../src/index.js"
import * as Fake from "./support/FakeGraph.js"

let fake: Fake.FakeGraph
beforeAll(async () => {
  fake = await Fake.start()
})
afterAll(async () => {
  await fake.close()
})
beforeEach(() => {
  fake.clearFailures()
  fake.script()
  fake.accepted.length = 0
})

const PAGE = "104000000000001"
const POST = `${PAGE}_900000000000001`

const adapter = () =>
  FacebookChannel.make({
    appSecret: Redacted.make(fake.appSecret),
    verifyToken: Redacted.make("verify-me"),
    pageAccessToken: Redacted.make(fake.token),
    pageId: PAGE,
    graphBase: fake.base,
    retry: { retries: 2, baseDelayMs: 5, maxRetryAfterMs: 2_000 },
    timeoutMs: 5_000
  })

const notice = (
  id: string,
  threadId: string,
  items: number,
  kind: Notification.MessageKind = "round-announcement"
): Notification.OutboundMessage => ({
  id,
  kind,
  to: { channel: "facebook" as Notification.Recipient["channel"], userId: "", threadId },
  data: {
    round: "韓國毛襪",
    items: Array.from({ length: items }, (_, i) => ({
      label: `毛襪 第${i + 1}色`,
      price: 120,
      supply: "in-stock",
      left: 3
    })),
    examples: ["紅+1"],
    cutoff: "2024-05-10T22:00:00+08:00"
  },
  createdAt: "2024-05-01T09:00:00+08:00"
})

const posts = () =>
  fake.accepted.map((r) => [r.path.split("/").slice(2).join("/"), (r.body?.["message"] as string) ?? ""] as const)

describe("FacebookChannel.send to a conversation (Publish)", () => {
  it.live("comments on the round's post; posts to the Page feed when the conversation is the Page; once per id", () =>
    Effect.gen(function* () {
      const fb = yield* adapter()
      const onPost = notice("announce:socks:facebook:post:1", POST, 2)
      const r = yield* fb.send(onPost)
      yield* fb.send(onPost)
      yield* fb.send(notice("announce:socks:facebook:page:1", PAGE, 2))
      yield* fb.send(notice("announce:socks:facebook:page:2", "page", 1))
      // A live video's id is numeric too: still a comment on it, never a Page post.
      yield* fb.send(notice("announce:socks:facebook:live:1", "123456789012345", 1))
      expect(posts().map(([path]) => path)).toEqual([
        `${POST}/comments`,
        `${PAGE}/feed`,
        `${PAGE}/feed`,
        "123456789012345/comments"
      ])
      expect(posts()[0]![1]).toContain("📣 開團：韓國毛襪\n・毛襪 第1色　NT$120　現貨剩 3")
      expect(posts()[1]![1]).toContain("⏰ 截單：2024/05/10（五）22:00（台北時間）")
      expect(r.platformMessageId).toMatch(/^104000000000001_9\d+$/)
    })
  )

  it.live("a notice longer than a comment is split into several comments, each within 8,000 characters", () =>
    Effect.gen(function* () {
      const fb = yield* adapter()
      yield* fb.send(notice("announce:socks:facebook:post:big", POST, 700))
      const texts = posts().map(([, text]) => text)
      expect(texts.length).toBeGreaterThan(1)
      for (const t of texts) expect(t.length).toBeLessThanOrEqual(FacebookChannel.maxCommentLength)
      expect(texts.join("\n")).toContain("・毛襪 第700色　NT$120　現貨剩 3")
    })
  )

  it.live("a buyer's message without a comment to answer is still refused, never made public", () =>
    Effect.gen(function* () {
      const fb = yield* adapter()
      const e = yield* Effect.flip(
        fb.send({
          ...notice("m:buyer", POST, 1, "payment-due"),
          to: { channel: "facebook" as Notification.Recipient["channel"], userId: "7000000000000001", threadId: POST }
        })
      )
      expect(e.reason).toBe("unsupported")
      expect(fake.accepted).toHaveLength(0)
    })
  )
})
