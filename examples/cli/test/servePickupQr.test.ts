/**
 * The pickup code's QR image end to end through `kaituan serve`: the pickup-ready message a LINE
 * buyer gets carries an image message whose https URL (from KAITUAN_PUBLIC_URL) names neither the
 * code nor the order; `GET /qr/<token>.png` answers a PNG whose QR code decodes (jsQR) to the
 * pickup code; a forged or altered token, and the same link once the parcel is picked up, answer
 * the same 404.
 */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect } from "effect"
import jsQR from "jsqr"
import { PNG } from "pngjs"
import * as PickupQr from "../src/server/PickupQr.js"
import { eventually, lineBody, lineHeaders, post, startFull } from "./serveSupport.js"

const decodeQr = (bytes: Uint8Array): string | undefined => {
  const img = PNG.sync.read(Buffer.from(bytes))
  return jsQR(new Uint8ClampedArray(img.data), img.width, img.height)?.data
}

describe("kaituan serve: the pickup QR image", () => {
  it("pickup-ready carries a signed QR link; the PNG decodes to the code; 404 when forged or picked up", async () => {
    const f = await startFull("qrpick", { env: { KAITUAN_PUBLIC_URL: "https://shop.example.com/" } })
    try {
      const body = lineBody([{ id: "q1", user: "U-qr", text: "紅色+2" }])
      expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
      const { orderId, shipmentId, pickupCode } = await f.server.run(
        Effect.gen(function* () {
          const g = yield* GroupBuy.GroupBuy
          yield* g.closeRound({ roundId: "qrpick", at: "2099-01-01T14:00:00Z" })
          const [order] = yield* Storage.Storage.use((s) => s.orders({ roundId: "qrpick" }))
          yield* g.recordPayment({
            transactionId: "cash-q1",
            source: "cash",
            amount: order!.total,
            at: new Date().toISOString(),
            orderIds: [order!.orderId],
            evidence: "cash at the meet-up"
          })
          const s = yield* g.ship({
            orderId: order!.orderId,
            lines: order!.lines.map((l) => ({ sku: l.sku, qty: l.qty })),
            method: "pickup"
          })
          return { orderId: order!.orderId, shipmentId: s.shipmentId, pickupCode: s.pickupCode! }
        })
      )
      const imageMessage = async () => {
        for (const a of f.line.accepted())
          for (const m of a.messages as Array<{ type: string; originalContentUrl?: string }>)
            if (m.type === "image") return { to: a.to, m }
        return undefined
      }
      await eventually(async () => (await imageMessage()) !== undefined)
      const sent = (await imageMessage())!
      expect(sent.to).toBe("U-qr")
      const url = sent.m.originalContentUrl!
      expect(url).toMatch(/^https:\/\/shop\.example\.com\/qr\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}\.png$/)
      expect(sent.m).toMatchObject({ previewImageUrl: url })
      // The link shows neither the code nor the order.
      expect(url).not.toContain(pickupCode)
      expect(url).not.toContain(orderId)
      const path = new URL(url).pathname
      const res = await fetch(`${f.server.url}${path}`)
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toBe("image/png")
      expect(res.headers.get("cache-control")).toContain("no-store")
      expect(decodeQr(new Uint8Array(await res.arrayBuffer()))).toBe(pickupCode)

      // A token for the same shipment under another key, or altered, is refused alike.
      const forged = PickupQr.tokenFor(new Uint8Array(32), shipmentId)
      expect((await fetch(`${f.server.url}/qr/${forged}.png`)).status).toBe(404)
      const altered = path.replace(/(.)\.png$/, (_, c: string) => `${c === "A" ? "B" : "A"}.png`)
      expect((await fetch(`${f.server.url}${altered}`)).status).toBe(404)
      // Picked up: the link is dead.
      await f.server.run(GroupBuy.GroupBuy.use((g) => g.confirmPickup({ shipmentId, code: pickupCode })))
      expect((await fetch(`${f.server.url}${path}`)).status).toBe(404)
      // And the buyer is told.
      await eventually(() => f.line.accepted().some((a) => JSON.stringify(a.messages).includes("已完成取貨")))
    } finally {
      await f.stop()
    }
  })

  it("the token verifies only under its key, for its shipment", () => {
    const key = new Uint8Array(Buffer.from("k".repeat(32)))
    const token = PickupQr.tokenFor(key, "s_123")
    expect(PickupQr.verifyToken(key, token)).toBe("s_123")
    expect(PickupQr.verifyToken(new Uint8Array(Buffer.from("j".repeat(32))), token)).toBeUndefined()
    const [id, mac] = token.split(".")
    expect(PickupQr.verifyToken(key, `${Buffer.from("s_124").toString("base64url")}.${mac}`)).toBeUndefined()
    // Every other spelling of the MAC, the last character's unused bits too, is refused.
    for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
      if (c !== mac!.slice(-1)) expect(PickupQr.verifyToken(key, `${id}.${mac!.slice(0, -1)}${c}`)).toBeUndefined()
    expect(PickupQr.verifyToken(key, "nonsense")).toBeUndefined()
    expect(PickupQr.secretProblem("short")).toContain("32")
    expect(PickupQr.secretProblem(undefined)).toBeUndefined()
  })
})
