/**
 * `kaituan serve` with LINE Pay, against a local stand-in of LINE Pay's API
 * (packages/payments-linepay/test/LinePayStandIn.ts): `/pay/:orderId?gateway=linepay` reserves
 * the payment and redirects the buyer to LINE Pay; the buyer approves and comes back to
 * `GET /payments/linepay/notify`, which confirms the payment and applies it to the order, once.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import * as StandIn from "../../../packages/payments-linepay/test/LinePayStandIn.js"
import { eventually, lineBody, lineHeaders, post, startFull } from "./serveSupport.js"

type Full = Awaited<ReturnType<typeof startFull>>

const CHANNEL_ID = "1656789012"
const SECRET = "a917ab6a2367b536f8e5a6e2977e06f4"

describe("kaituan serve: LINE Pay", () => {
  let f: Full
  let linePay: StandIn.StandIn
  const orderOf = async (buyer: string) => {
    const orders = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "lp" })))
    const o = orders.find((x) => x.buyer.id === buyer)
    if (!o) throw new Error(`no order of ${buyer}`)
    return o
  }
  /** The buyer opens the pay page, follows it to LINE Pay, approves; where LINE Pay sends the browser back. */
  const approveAtLinePay = async (orderId: string, path = "/web/pay") => {
    const page = await fetch(`${f.server.url}/pay/${orderId}?gateway=linepay`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const target = /content="0;url=([^"]+)"/.exec(html)?.[1]?.replaceAll("&amp;", "&")
    expect(target).toMatch(new RegExp(`^${linePay.baseUrl}/web/pay\\?transactionId=\\d{19}$`))
    const back = await fetch(target!.replace("/web/pay", path), { redirect: "manual" })
    const location = new URL(back.headers.get("location")!)
    expect(location.origin + location.pathname).toBe("https://shop.example.com/payments/linepay/notify")
    return `${f.server.url}${location.pathname}${location.search}`
  }

  beforeAll(async () => {
    linePay = await StandIn.start(CHANNEL_ID, SECRET)
    f = await startFull("lp", {
      env: {
        KAITUAN_PUBLIC_URL: "https://shop.example.com",
        LINEPAY_CHANNEL_ID: CHANNEL_ID,
        LINEPAY_CHANNEL_SECRET: SECRET,
        LINEPAY_API_BASE: linePay.baseUrl
      }
    })
    const body = lineBody(
      ["A", "B", "C"].map((u, i) => ({ id: `lp${i}`, user: `U-${u}`, text: "紅+2", at: Date.now() }))
    )
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
    await f.server.run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: "lp", at: new Date().toISOString() })))
    // Payment times are whole seconds: wait for the next one so a payment never predates the confirmation.
    await new Promise((r) => setTimeout(r, 1_010 - (Date.now() % 1_000)))
  })
  afterAll(async () => {
    await f.stop()
    await linePay.close()
  })

  it("the buyer pays with LINE Pay: confirmed once for the amount due, a reload changes nothing", async () => {
    const o = await orderOf("U-A")
    expect(o.status).toBe("awaiting-payment")
    const back = await approveAtLinePay(o.orderId)
    const first = await fetch(back)
    expect(first.status).toBe(200)
    expect(first.headers.get("content-type")).toMatch(/^text\/html/)
    expect(await first.text()).toContain("付款完成")
    const reload = await fetch(back)
    expect(reload.status).toBe(200)
    await eventually(async () => (await orderOf("U-A")).status === "paid")
    const after = await orderOf("U-A")
    expect(after.paid).toBe(o.total)
    const transactionId = new URL(back).searchParams.get("transactionId")!
    expect(linePay.transactions.get(transactionId)?.state).toBe("confirmed")
    const events = await f.server.run(
      Storage.Storage.use((s) => s.readStream(Storage.paymentStream(`p_gateway_linepay:${transactionId}:paid`)))
    )
    expect(events.events.map((e) => e.type)).toEqual(["PaymentReceived", "PaymentMatched"])
  })

  it("a return with an altered amount is 401 and confirms nothing; a cancelled payment is not money", async () => {
    const o = await orderOf("U-B")
    const back = new URL(await approveAtLinePay(o.orderId))
    back.searchParams.set("amount", "1")
    const forged = await fetch(back)
    expect(forged.status).toBe(401)
    expect(await forged.text()).toContain("付款未完成")
    expect(linePay.transactions.get(back.searchParams.get("transactionId")!)?.state).toBe("approved")
    // a new checkout of the same order gets a new merchant order number (per second): LINE Pay refuses a reused one
    await new Promise((r) => setTimeout(r, 1_010 - (Date.now() % 1_000)))
    const cancelled = await fetch(await approveAtLinePay(o.orderId, "/web/cancel"))
    expect(cancelled.status).toBe(400)
    expect((await orderOf("U-B")).paid).toBe(0)
    expect((await fetch(`${f.server.url}/payments/linepay/notify`, { method: "POST" })).status).toBe(405)
  })
})
