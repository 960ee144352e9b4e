/**
 * `kaituan serve` fills the library's pay-page setting from KAITUAN_PUBLIC_URL (never from a
 * request's Host): the payment-due message a buyer gets at the close carries the round's bank
 * account and the link to this server's `/pay/:orderId`, and the deadline when the round has one.
 */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { decodeRound } from "../src/RoundFile.js"
import { eventually, lineBody, lineHeaders, post, roundJson, startFull } from "./serveSupport.js"

describe("kaituan serve: how to pay", () => {
  it("the payment-due message links to KAITUAN_PUBLIC_URL's /pay page and names the bank and the deadline", async () => {
    const spec = {
      ...roundJson("paylink"),
      payment: { bank: { code: "822", account: "123456789012", name: "王小美" }, gateways: ["newebpay"] },
      payWithin: "P3D",
      unpaid: "flag"
    }
    const f = await startFull("paylink", {
      round: decodeRound("paylink.json", spec),
      env: { KAITUAN_PUBLIC_URL: "https://shop.example.com/" }
    })
    try {
      const body = lineBody([{ id: "p1", user: "U-pay", text: "紅色+2" }])
      expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
      await f.server.run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: "paylink", at: "2099-01-01T14:00:00Z" })))
      const [order] = await f.server.run(Storage.Storage.use((s) => s.orders({ roundId: "paylink" })))
      expect(order?.status).toBe("awaiting-payment")
      await eventually(() =>
        f.line
          .accepted()
          .some((a) => JSON.stringify(a.messages).includes(`https://shop.example.com/pay/${order!.orderId}`))
      )
      const due = f.line.accepted().find((a) => JSON.stringify(a.messages).includes("/pay/"))!
      const text = JSON.stringify(due.messages)
      expect(text).toContain("123456789012")
      expect(text).toContain("2099/01/04")
    } finally {
      await f.stop()
    }
  })
})
