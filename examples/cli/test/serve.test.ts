import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { Tokens } from "@kaituan/http"
import { Redacted } from "effect"
import { serve } from "../src/commands/serve.js"
import { toJson } from "../src/Report.js"
import * as MerchantOrderNo from "../src/server/MerchantOrderNo.js"
import * as Server from "../src/server/Server.js"
import { parseSize } from "../src/server/Body.js"
import {
  ecpayNotify,
  eventually,
  FB_VERIFY,
  facebookBody,
  facebookHeaders,
  getReport,
  lineBody,
  lineHeaders,
  logSink,
  newebpayNotify,
  post,
  round,
  roundJson,
  startFull,
  TG_SECRET,
  telegramBody
} from "./serveSupport.js"
import { runIo, tmpDir } from "./support.js"
import fs from "node:fs"
import path from "node:path"
import { realCallback } from "../../../packages/payments-ecpay/test/vectors.js"

type Full = Awaited<ReturnType<typeof startFull>>

const report = (f: Full, roundId: string) =>
  getReport(f, roundId).then((r) => r.json() as Promise<ReturnType<typeof toJson>>)

describe("kaituan serve: webhooks", () => {
  let f: Full
  beforeAll(async () => {
    f = await startFull("hooks")
  })
  afterAll(async () => {
    await f.stop()
  })

  it("answers /healthz with only that it is up (no round id, nothing mounted)", async () => {
    const r = await fetch(`${f.server.url}/healthz`)
    expect(r.status).toBe(200)
    expect(await r.json()).toEqual({ ok: true })
  })

  it("GET /api/rounds/:id needs an organiser token: 401 without one, 403 for a helper", async () => {
    const anonymous = await fetch(`${f.server.url}/api/rounds/hooks`)
    expect(anonymous.status).toBe(401)
    expect(await anonymous.text()).not.toContain("hooks")
    const helper = await f.server.run(Tokens.Tokens.use((t) => t.create({ role: "helper" })))
    const asHelper = await fetch(`${f.server.url}/api/rounds/hooks`, {
      headers: { authorization: `Bearer ${Redacted.value(helper.token)}` }
    })
    expect(asHelper.status).toBe(403)
    expect((await getReport(f, "hooks")).status).toBe(200)
  })

  it("a signed LINE webhook places an order that GET /api/rounds/:id shows, and the buyer is told", async () => {
    const body = lineBody([{ id: "m1", user: "U-amy", text: "紅色+2" }])
    const r = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
    expect(r.status).toBe(200)
    const j = await report(f, "hooks")
    const order = j.orders.find((o) => o.buyer.id === "U-amy")
    expect(order?.lines).toEqual([{ sku: "SOCK-R", qty: 2, unitPrice: 120 }])
    expect(order?.total).toBe(240)
    expect(j.stock["SOCK-R"]).toBe(48)
    // The outbox relay ran in the background: LINE's stand-in accepted an "order confirmed" message.
    await eventually(() => f.line.accepted().some((a) => JSON.stringify(a.messages).includes("已成單")))
  })

  it("GET /api/rounds/:id is the same JSON as round replay --json; an unknown round is 404", async () => {
    const expected = await f.server.run(GroupBuy.GroupBuy.use((g) => g.report("hooks")))
    expect(await report(f, "hooks")).toEqual(toJson(expected))
    expect((await getReport(f, "nope")).status).toBe(404)
  })

  it("a forged or unsigned LINE webhook is 401 and changes nothing", async () => {
    const before = await report(f, "hooks")
    const body = lineBody([{ id: "m-forged", user: "U-eve", text: "白色+5" }])
    const forged = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body, "not-the-secret"))
    expect(forged.status).toBe(401)
    const unsigned = await post(`${f.server.url}/webhooks/line`, body, { "content-type": "application/json" })
    expect(unsigned.status).toBe(401)
    const tampered = await post(`${f.server.url}/webhooks/line`, body.replace("白色+5", "白色+9"), lineHeaders(body))
    expect(tampered.status).toBe(401)
    expect(await report(f, "hooks")).toEqual(before)
  })

  it("a malformed body, correctly signed, is 400 and changes nothing", async () => {
    const before = await report(f, "hooks")
    for (const body of ["not json", JSON.stringify({ events: "nope" })]) {
      const r = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
      expect(r.status).toBe(400)
    }
    expect(await report(f, "hooks")).toEqual(before)
  })

  it("a redelivered LINE event is 200 and does not double the order", async () => {
    const body = lineBody([{ id: "m2", user: "U-ben", text: "蛋黃酥+3" }])
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
    const once = await report(f, "hooks")
    const again = lineBody([{ id: "m2", user: "U-ben", text: "蛋黃酥+3", redelivery: true }])
    expect((await post(`${f.server.url}/webhooks/line`, again, lineHeaders(again))).status).toBe(200)
    // the same message under a new delivery id: GroupBuy's per-comment idempotency catches it
    const other = lineBody([{ id: "m2", user: "U-ben", text: "蛋黃酥+3", eventId: "01OTHER" }])
    expect((await post(`${f.server.url}/webhooks/line`, other, lineHeaders(other))).status).toBe(200)
    const twice = await report(f, "hooks")
    expect(twice).toEqual(once)
    expect(twice.orders.filter((o) => o.buyer.id === "U-ben")).toHaveLength(1)
    expect(twice.orders.find((o) => o.buyer.id === "U-ben")?.lines).toEqual([{ sku: "EGG", qty: 3, unitPrice: 300 }])
  })

  it("concurrent deliveries are all applied once (group commit)", async () => {
    const bodies = Array.from({ length: 40 }, (_, i) => lineBody([{ id: `c${i}`, user: `U-c${i}`, text: "白+1" }]))
    const statuses = await Promise.all(
      [...bodies, ...bodies.slice(0, 10)].map((b) =>
        post(`${f.server.url}/webhooks/line`, b, lineHeaders(b)).then((r) => r.status)
      )
    )
    expect(statuses.every((s) => s === 200)).toBe(true)
    const j = await report(f, "hooks")
    const buyers = j.orders.filter((o) => o.buyer.id.startsWith("U-c"))
    expect(buyers).toHaveLength(40)
    expect(buyers.every((o) => o.lines.length === 1 && o.lines[0]!.qty === 1)).toBe(true)
    expect(j.stock["SOCK-W"]).toBe(10)
  })

  it("Telegram: the secret token is checked; a good update places an order once", async () => {
    const body = telegramBody({ update: 5001, message: 77, user: 8675309, text: "白色+2" })
    const wrong = await post(`${f.server.url}/webhooks/telegram`, body, {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": "wrong"
    })
    expect(wrong.status).toBe(401)
    const missing = await post(`${f.server.url}/webhooks/telegram`, body, { "content-type": "application/json" })
    expect(missing.status).toBe(401)
    expect((await report(f, "hooks")).orders.some((o) => o.buyer.id === "8675309")).toBe(false)
    const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET }
    expect((await post(`${f.server.url}/webhooks/telegram`, body, headers)).status).toBe(200)
    expect((await post(`${f.server.url}/webhooks/telegram`, body, headers)).status).toBe(200)
    const orders = (await report(f, "hooks")).orders.filter((o) => o.buyer.id === "8675309")
    expect(orders).toHaveLength(1)
    expect(orders[0]?.lines).toEqual([{ sku: "SOCK-W", qty: 2, unitPrice: 130 }])
    expect((await post(`${f.server.url}/webhooks/telegram`, "{", headers)).status).toBe(400)
  })

  it("Facebook: the verification GET answers the challenge (200 text/plain) or 403", async () => {
    const ok = await fetch(
      `${f.server.url}/webhooks/facebook?hub.mode=subscribe&hub.verify_token=${FB_VERIFY}&hub.challenge=1158201444`
    )
    expect(ok.status).toBe(200)
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/)
    expect(await ok.text()).toBe("1158201444")
    const bad = await fetch(
      `${f.server.url}/webhooks/facebook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444`
    )
    expect(bad.status).toBe(403)
    expect(await bad.text()).not.toContain("1158201444")
  })

  it("Facebook: a signed feed comment places an order; unsigned is 401", async () => {
    const body = facebookBody({ commentId: "900000000000001_1200000000000001", user: "7000000000000001", text: "紅+1" })
    expect((await post(`${f.server.url}/webhooks/facebook`, body, { "content-type": "application/json" })).status).toBe(
      401
    )
    expect((await post(`${f.server.url}/webhooks/facebook`, body, facebookHeaders(body))).status).toBe(200)
    expect((await post(`${f.server.url}/webhooks/facebook`, body, facebookHeaders(body))).status).toBe(200)
    const orders = (await report(f, "hooks")).orders.filter((o) => o.buyer.id === "7000000000000001")
    expect(orders).toHaveLength(1)
    expect(orders[0]?.lines).toEqual([{ sku: "SOCK-R", qty: 1, unitPrice: 120 }])
  })

  it("an edited comment and an unsent one go through editComment and removeComment", async () => {
    const tg = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET }
    const placed = telegramBody({ update: 6001, message: 90, user: 777, text: "蛋黃酥+1" })
    expect((await post(`${f.server.url}/webhooks/telegram`, placed, tg)).status).toBe(200)
    const edited = JSON.stringify({
      update_id: 6002,
      edited_message: {
        message_id: 90,
        from: { id: 777, is_bot: false, first_name: "Gus" },
        chat: { id: -100123, type: "supergroup" },
        date: Math.floor(Date.now() / 1000),
        edit_date: Math.floor(Date.now() / 1000),
        text: "蛋黃酥+4"
      }
    })
    expect((await post(`${f.server.url}/webhooks/telegram`, edited, tg)).status).toBe(200)
    const j = await report(f, "hooks")
    // the round's onEdit policy is "review": the edit waits for the organiser
    expect(j.review.some((r) => r.commentId === "-100123:90")).toBe(true)
    const unsend = JSON.stringify({
      destination: "Ubot",
      events: [
        {
          type: "unsend",
          mode: "active",
          timestamp: Date.now(),
          source: { type: "group", groupId: "Cgroup", userId: "U-amy" },
          webhookEventId: "01UNSEND1",
          deliveryContext: { isRedelivery: false },
          unsend: { messageId: "m1" }
        }
      ]
    })
    expect((await post(`${f.server.url}/webhooks/line`, unsend, lineHeaders(unsend))).status).toBe(200)
    // unsending the comment that made an order sends it to review too (nothing is cancelled silently)
    const after = await report(f, "hooks")
    expect(after.review.some((r) => r.commentId === "m1#unsent")).toBe(true)
    expect(after.review.length).toBe(j.review.length + 1)
  })

  it("unknown routes are 404, wrong methods 405", async () => {
    expect((await fetch(`${f.server.url}/nope`)).status).toBe(404)
    const r = await fetch(`${f.server.url}/webhooks/line`)
    expect(r.status).toBe(405)
    expect(r.headers.get("allow")).toBe("POST")
  })

  it("logs one JSON line per request without buyers' names, texts or user ids", async () => {
    const lines = f.logs.lines().filter((l) => l.event === "request")
    expect(lines.length).toBeGreaterThan(10)
    for (const l of lines) {
      expect(typeof l.method).toBe("string")
      expect(typeof l.route).toBe("string")
      expect(typeof l.status).toBe("number")
      expect(typeof l.ms).toBe("number")
    }
    const ordered = lines.find((l) => l.route === "/webhooks/line" && l.status === 200) as {
      channel?: string
      counts?: Record<string, number>
    }
    expect(ordered.channel).toBe("line")
    expect(ordered.counts?.events).toBe(1)
    const all = f.logs.text()
    for (const secret of ["U-amy", "U-ben", "王小明", "Dora", "紅色+2", "蛋黃酥+3", "7000000000000001", "8675309"])
      expect(all).not.toContain(secret)
  })
})

describe("kaituan serve: limits, missing secrets, no round", () => {
  it("a body over --max-body is 413 and changes nothing", async () => {
    const f = await startFull("limits", { maxBodyBytes: 4096 })
    try {
      const body = lineBody([{ id: "big", user: "U-big", text: `紅+1 ${"好".repeat(3000)}` }])
      const r = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
      expect(r.status).toBe(413)
      expect((await report(f, "limits")).orders).toHaveLength(0)
      const small = lineBody([{ id: "small", user: "U-small", text: "紅+1" }])
      expect((await post(`${f.server.url}/webhooks/line`, small, lineHeaders(small))).status).toBe(200)
    } finally {
      await f.stop()
    }
  })

  it("a channel or gateway without its secrets is not mounted: 404 naming the variables", async () => {
    const logs = logSink()
    const server = await Server.start({
      port: 0,
      db: ":memory:",
      round: round("bare"),
      env: { LINE_CHANNEL_SECRET: "x" },
      log: logs.log,
      drainMs: 50
    })
    try {
      expect(server.channels).toEqual([])
      expect(server.disabled.find((d) => d.name === "line")?.missing).toEqual(["LINE_CHANNEL_ACCESS_TOKEN"])
      const r = await post(`${server.url}/webhooks/line`, "{}")
      expect(r.status).toBe(404)
      expect(await r.text()).toContain("LINE_CHANNEL_ACCESS_TOKEN")
      expect(await (await fetch(`${server.url}/webhooks/facebook?hub.mode=subscribe`)).text()).toContain(
        "FB_APP_SECRET"
      )
      expect((await post(`${server.url}/payments/ecpay/notify`, "a=b")).status).toBe(404)
      expect((await fetch(`${server.url}/pay/o_1`)).status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it("without --round, webhooks are answered but comments refused (and logged)", async () => {
    const logs = logSink()
    const server = await Server.start({
      port: 0,
      db: ":memory:",
      env: { TELEGRAM_BOT_TOKEN: "1:x", TELEGRAM_SECRET_TOKEN: TG_SECRET, TELEGRAM_API_BASE: "http://127.0.0.1:9" },
      log: logs.log,
      drainMs: 50
    })
    try {
      const body = telegramBody({ update: 1, message: 1, user: 9, text: "紅+1" })
      const r = await post(`${server.url}/webhooks/telegram`, body, { "x-telegram-bot-api-secret-token": TG_SECRET })
      expect(r.status).toBe(200)
      const line = logs.lines().find((l) => l.route === "/webhooks/telegram") as {
        counts?: Record<string, number>
        note?: string
      }
      expect(line.counts?.rejected).toBe(1)
      expect(line.note).toContain("--round")
      const orders = await server.run(Storage.Storage.use((s) => s.readAll(0, 1000)))
      expect(orders.filter((e) => e.type === "LinesOrdered")).toHaveLength(0)
    } finally {
      await server.close()
    }
  })

  it("closes the round at its cutoff: orders are confirmed and await payment", async () => {
    const f = await startFull("cutoff", { round: round("cutoff", new Date(Date.now() + 1_500).toISOString()) })
    try {
      const body = lineBody([{ id: "k1", user: "U-kay", text: "紅+1" }])
      expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
      const statusOf = () =>
        f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "cutoff" }))).then((os) => os[0]?.status)
      expect(await statusOf()).toBe("open")
      await eventually(async () => (await statusOf()) === "awaiting-payment", 8_000)
      expect(f.logs.lines().some((l) => l.event === "round-closed" && l.orders === 1)).toBe(true)
    } finally {
      await f.stop()
    }
  })

  it("parses --max-body sizes", () => {
    expect(parseSize("1mb")).toBe(1_048_576)
    expect(parseSize("256kb")).toBe(262_144)
    expect(parseSize("64k")).toBe(65_536)
    expect(parseSize("1000")).toBe(1000)
    expect(parseSize("lots")).toBeUndefined()
    expect(parseSize("0")).toBeUndefined()
  })
})

describe("kaituan serve: payments", () => {
  let f: Full
  const orderOf = async (buyer: string) => {
    const orders = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "pay" })))
    const o = orders.find((x) => x.buyer.id === buyer)
    if (!o) throw new Error(`no order of ${buyer}`)
    return o
  }
  const paymentEvents = (transactionId: string) =>
    f.server
      .run(Storage.Storage.use((s) => s.readStream(Storage.paymentStream(`p_gateway_${transactionId}`))))
      .then((r) => r.events.map((e) => e.type))
  const form = { "content-type": "application/x-www-form-urlencoded" }

  beforeAll(async () => {
    f = await startFull("pay", { env: { KAITUAN_PUBLIC_URL: "https://shop.example.com" } })
    const body = lineBody(
      ["A", "B", "C", "D", "E", "F"].map((u, i) => ({
        id: `p${i}`,
        user: `U-${u}`,
        text: "紅+2",
        at: Date.now()
      }))
    )
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
    // Closed now (after the comments, which came after the round opened): orders are confirmed
    // then; wait for the next second so gateway times (whole seconds) come after.
    await f.server.run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: "pay", at: new Date().toISOString() })))
    await new Promise((r) => setTimeout(r, 1_010 - (Date.now() % 1_000)))
  })
  afterAll(async () => {
    await f.stop()
  })

  it("GET /pay/:orderId renders a self-posting checkout form for the amount due; unknown order 404", async () => {
    const o = await orderOf("U-A")
    expect(o.status).toBe("awaiting-payment")
    const page = await fetch(`${f.server.url}/pay/${o.orderId}?gateway=newebpay`)
    expect(page.status).toBe(200)
    expect(page.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await page.text()
    expect(html).toContain('action="https://ccore.newebpay.com/MPG/mpg_gateway"')
    expect(html).toContain('name="TradeInfo"')
    expect(html).toContain(".submit()")
    const ecpay = await (await fetch(`${f.server.url}/pay/${o.orderId}?gateway=ecpay`)).text()
    expect(ecpay).toContain('name="TotalAmount" value="240"')
    expect(ecpay).toContain('name="ReturnURL" value="https://shop.example.com/payments/ecpay/notify"')
    expect(ecpay).toMatch(/name="MerchantTradeNo" value="K[0-9A-Z]{12}[0-9A-Z]+"/)
    expect((await fetch(`${f.server.url}/pay/o_unknown`)).status).toBe(404)
    expect((await fetch(`${f.server.url}/pay/${o.orderId}?gateway=paypal`)).status).toBe(400)
  })

  it("NewebPay: a paid callback delivered twice is applied once", async () => {
    const o = await orderOf("U-A")
    const body = newebpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "24050112345678901"
    })
    const first = await post(`${f.server.url}/payments/newebpay/notify`, body, form)
    expect(first.status).toBe(200)
    expect(await first.text()).toBe("OK")
    const second = await post(`${f.server.url}/payments/newebpay/notify`, body, form)
    expect(second.status).toBe(200)
    const after = await orderOf("U-A")
    expect(after.status).toBe("paid")
    expect(after.paid).toBe(240)
    expect(await paymentEvents("newebpay:24050112345678901:paid")).toEqual(["PaymentReceived", "PaymentMatched"])
  })

  it("NewebPay: a wrong TradeSha is 401 and changes nothing", async () => {
    const o = await orderOf("U-F")
    const body = newebpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "24050100000000009"
    })
    const forged = body.replace(/TradeSha=[0-9A-F]+/, `TradeSha=${"0".repeat(64)}`)
    expect(forged).not.toBe(body)
    expect((await post(`${f.server.url}/payments/newebpay/notify`, forged, form)).status).toBe(401)
    expect((await orderOf("U-F")).paid).toBe(0)
    expect(await paymentEvents("newebpay:24050100000000009:paid")).toEqual([])
  })

  it("ECPay: a paid callback is answered exactly 1|OK and applied once when delivered twice", async () => {
    const o = await orderOf("U-B")
    const body = ecpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "2405011234567890"
    })
    for (let i = 0; i < 2; i++) {
      const r = await post(`${f.server.url}/payments/ecpay/notify`, body, form)
      expect(r.status).toBe(200)
      expect(await r.text()).toBe("1|OK")
    }
    const after = await orderOf("U-B")
    expect(after.status).toBe("paid")
    expect(after.paid).toBe(240)
  })

  it("ECPay: a wrong CheckMacValue is 401 and changes nothing", async () => {
    const o = await orderOf("U-F")
    const body = ecpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "2405019999999999"
    })
    const forged = body.replace(/CheckMacValue=[0-9A-F]+/, `CheckMacValue=${"A".repeat(64)}`)
    const r = await post(`${f.server.url}/payments/ecpay/notify`, forged, form)
    expect(r.status).toBe(401)
    expect(await r.text()).not.toBe("1|OK")
    expect((await post(`${f.server.url}/payments/ecpay/notify`, "%%%", form)).status).toBeGreaterThanOrEqual(400)
    expect((await orderOf("U-F")).paid).toBe(0)
  })

  it("an amount that differs goes to review: recorded, not applied", async () => {
    const o = await orderOf("U-C")
    const body = ecpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 200,
      tradeNo: "2405010000000003"
    })
    const r = await post(`${f.server.url}/payments/ecpay/notify`, body, form)
    expect(await r.text()).toBe("1|OK")
    const after = await orderOf("U-C")
    expect(after.status).toBe("awaiting-payment")
    expect(after.paid).toBe(0)
    expect(await paymentEvents("ecpay:2405010000000003:paid")).toEqual(["PaymentReceived"])
    const line = f.logs.lines().find((l) => l.route === "/payments/ecpay/notify" && l.decision === "review")
    expect(line?.reason).toBe("identity-amount-differs")
  })

  it("an unknown merchant order number is recorded unmatched, never dropped", async () => {
    // protocols.md §6.1 vector 3: a real stage callback for an order this shop never had.
    const body = new URLSearchParams(realCallback).toString()
    const r = await post(`${f.server.url}/payments/ecpay/notify`, body, form)
    expect(await r.text()).toBe("1|OK")
    expect(await paymentEvents("ecpay:2412171822169397:paid")).toEqual(["PaymentReceived"])
    expect(f.logs.lines().some((l) => l.route === "/payments/ecpay/notify" && l.decision === "unmatched")).toBe(true)
  })

  it("a pending ATM code is not money; the later paid callback with the same TradeNo is applied", async () => {
    const o = await orderOf("U-D")
    const mno = MerchantOrderNo.make(o.orderId, Date.now())
    const pending = ecpayNotify({ merchantOrderNo: mno, amount: 240, tradeNo: "2405010000000004", rtnCode: "2" })
    expect(await (await post(`${f.server.url}/payments/ecpay/notify`, pending, form)).text()).toBe("1|OK")
    expect((await orderOf("U-D")).paid).toBe(0)
    expect(await paymentEvents("ecpay:2405010000000004:pending")).toEqual([])
    const paid = ecpayNotify({ merchantOrderNo: mno, amount: 240, tradeNo: "2405010000000004" })
    expect(await (await post(`${f.server.url}/payments/ecpay/notify`, paid, form)).text()).toBe("1|OK")
    expect((await orderOf("U-D")).status).toBe("paid")
  })

  it("a simulated payment (SimulatePaid=1) is never applied as money", async () => {
    const o = await orderOf("U-E")
    const body = ecpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "2405010000000005",
      simulated: true
    })
    expect(await (await post(`${f.server.url}/payments/ecpay/notify`, body, form)).text()).toBe("1|OK")
    expect((await orderOf("U-E")).paid).toBe(0)
    expect(await paymentEvents("ecpay:2405010000000005:paid")).toEqual([])
  })

  it("a NewebPay pending virtual account is acknowledged and changes nothing", async () => {
    const o = await orderOf("U-E")
    const body = newebpayNotify({
      merchantOrderNo: MerchantOrderNo.make(o.orderId, Date.now()),
      amount: 240,
      tradeNo: "24050100000000006",
      pending: true
    })
    const r = await post(`${f.server.url}/payments/newebpay/notify`, body, form)
    expect(r.status).toBe(200)
    expect((await orderOf("U-E")).paid).toBe(0)
  })

  it("a paid order's checkout page says there is nothing to pay", async () => {
    const o = await orderOf("U-A")
    expect((await fetch(`${f.server.url}/pay/${o.orderId}`)).status).toBe(409)
  })
})

describe("kaituan serve: merchant order numbers", () => {
  it("fit both gateways and map back to their order", () => {
    const ids = ["o_V1StGXR8_Z5jdHi6B-myT", "o_abc", "o_-_-_"]
    const resolve = MerchantOrderNo.resolver(ids)
    for (const id of ids) {
      const n = MerchantOrderNo.make(id, Date.UTC(2024, 4, 1))
      expect(n).toMatch(/^[A-Za-z0-9]{1,20}$/)
      expect(resolve(n)).toBe(id)
      expect(resolve(MerchantOrderNo.make(id, Date.UTC(2030, 0, 1)))).toBe(id)
    }
    expect(resolve("test1734430936645")).toBeUndefined()
    expect(resolve("K000000000000ABC")).toBeUndefined()
  })
})

describe("kaituan serve: shutdown", () => {
  it("finishes an in-flight request, then stops accepting and closes", async () => {
    const f = await startFull("shutdown")
    const body = lineBody([{ id: "s1", user: "U-slow", text: "紅+1" }])
    const headers = lineHeaders(body)
    const bytes = Buffer.from(body)
    const url = new URL(`${f.server.url}/webhooks/line`)
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { ...headers, "content-length": String(bytes.length) }
        },
        (res) => {
          let text = ""
          res.on("data", (d) => {
            text += d
          })
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }))
        }
      )
      req.on("error", reject)
      req.write(bytes.subarray(0, 10))
      // the request is in flight (headers and part of the body sent) when shutdown begins
      setTimeout(() => {
        closing = f.server.close()
        setTimeout(() => req.end(bytes.subarray(10)), 150)
      }, 100)
    })
    let closing: Promise<void> | undefined
    const r = await response
    expect(r.status).toBe(200)
    await closing
    await expect(fetch(`${f.server.url}/healthz`)).rejects.toThrow()
    await f.line.close()
    await f.stub.close()
  })

  it("the command logs startup and stops with status 0 when told to", async () => {
    const roundFile = path.join(tmpDir(), "round.json")
    fs.writeFileSync(roundFile, JSON.stringify(roundJson("cmd")))
    let healthz = 0
    const r = await runIo(
      (argv, io) =>
        serve(argv, io, async (server) => {
          healthz = (await fetch(`${server.url}/healthz`)).status
          return "TEST"
        }),
      ["--port", "0", "--round", roundFile, "--db", ":memory:", "--max-body", "64kb"],
      { env: { TELEGRAM_BOT_TOKEN: "1:x", TELEGRAM_SECRET_TOKEN: "s" } }
    )
    expect(r.code).toBe(0)
    expect(healthz).toBe(200)
    // The log is JSON Lines; the first start on a database also prints its organiser token as text.
    expect(r.stderr).toContain("first organiser token")
    const lines = r.stderr
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const listening = lines.find((l) => l.event === "listening") as {
      channels: Array<string>
      round: string
      disabled: Array<string>
    }
    expect(listening.round).toBe("cmd")
    expect(listening.channels).toEqual(["telegram"])
    expect(listening.disabled.some((d) => d.startsWith("line (missing LINE_CHANNEL_SECRET"))).toBe(true)
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(["listening", "request", "stopping", "stopped"]))
  })

  it("bad flags are usage errors", async () => {
    const serveUntil = (argv: ReadonlyArray<string>) =>
      runIo((a, io) => serve(a, io, async () => "x"), argv, { env: {} })
    await expect(serveUntil(["--port", "http"])).rejects.toThrow(/--port/)
    await expect(serveUntil(["--max-body", "lots"])).rejects.toThrow(/--max-body/)
  })
})
