/**
 * The blacklist in `kaituan serve`: after the organiser blocks a member through the API, that
 * member's next order comment from the chat goes to the review queue (reason `blocked-member`),
 * never silently into an order; another buyer's comment still orders.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { eventually, lineBody, lineHeaders, post, startFull } from "./serveSupport.js"

type Full = Awaited<ReturnType<typeof startFull>>

describe("kaituan serve: a blocked member's comments go to review", () => {
  let f: Full
  const api = (method: string, pathname: string, json?: unknown) =>
    fetch(`${f.server.url}/api/v1${pathname}`, {
      method,
      headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
      ...(json === undefined ? {} : { body: JSON.stringify(json) })
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }))
  const comment = async (id: string, user: string, text: string) => {
    const body = lineBody([{ id, user, text }])
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
  }
  beforeAll(async () => {
    f = await startFull("blk")
  })
  afterAll(() => f.stop())

  it("orders before the block, reviews after it", async () => {
    await comment("m1", "U-amy", "紅色+1")
    await eventually(async () => (await api("GET", "/rounds/blk/orders")).body.items.length === 1)
    const blocked = await api("POST", `/members/${encodeURIComponent("line:U-amy")}/changes`, {
      changes: [{ _tag: "Block", reason: "多次棄單" }]
    })
    expect(blocked.status).toBe(200)
    // The block takes effect at once: the API reads the blacklist again before it answers.
    await comment("m2", "U-amy", "白色+2")
    await eventually(async () => {
      const review = (await api("GET", "/rounds/blk/review")).body as Array<{ buyerId: string; reason: string }>
      return review.some((r) => r.buyerId === "line:U-amy" && r.reason === "blocked-member")
    })
    await comment("m3", "U-ben", "白色+1")
    await eventually(async () => {
      const orders = (await api("GET", "/rounds/blk/orders")).body.items as Array<{
        buyerId: string
        lines: Array<{ qty: number }>
      }>
      return orders.some((o) => o.buyerId === "line:U-ben")
    })
    const amy = (
      (await api("GET", "/rounds/blk/orders")).body.items as Array<{
        buyerId: string
        lines: Array<{ sku: string; qty: number }>
      }>
    ).find((o) => o.buyerId === "line:U-amy")
    // Her first order stands; nothing from after the block was added to it.
    expect(amy?.lines.map((l) => l.qty)).toEqual([1])
  })
})
