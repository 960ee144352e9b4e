import { describe, expect, it } from "@effect/vitest"
import { createKaituan, isKaituanError } from "kaituan"
import { uniqueRoundId } from "./support.js"

describe("publishRound", () => {
  it("queues the announcement once per conversation; again without a change is a duplicate; a closed round rejects", async () => {
    let now = new Date("2026-05-10T01:00:00Z")
    const k = await createKaituan({ background: false, clock: () => now })
    try {
      const id = uniqueRoundId("pub")
      await k.openRound({
        id,
        title: "蛋黃酥",
        cutoff: "2026-05-12T22:00:00+08:00",
        listens: [{ channel: "line", conversation: "C0123456789abcdef0123456789abcdef" }],
        products: [{ sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 200 }]
      })
      now = new Date("2026-05-10T02:00:00Z")
      const r = await k.publishRound(id)
      expect(r).toMatchObject({ roundId: id, status: "queued", examples: ["蛋黃酥+1"] })
      expect(r.messages).toHaveLength(1)
      expect(r.text).toBe(
        [
          "📣 開團：蛋黃酥",
          "・蛋黃酥　NT$300　預購，上限剩 200",
          "下單方式：留言「品名或規格＋數量」，例如：",
          "蛋黃酥+1",
          "⏰ 截單：2026/05/12（二）22:00（台北時間）"
        ].join("\n")
      )
      expect((await k.publishRound(id)).status).toBe("duplicate")
      await k.closeRound(id)
      const error = await k.publishRound(id).catch((e: unknown) => e)
      expect(isKaituanError(error) && error.reason).toBe("rejected")
      const unknown = await k.publishRound("no-such-round").catch((e: unknown) => e)
      expect(isKaituanError(unknown) && unknown.reason).toBe("unknown-round")
    } finally {
      await k.close()
    }
  })
})
