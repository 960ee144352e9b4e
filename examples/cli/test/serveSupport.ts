/**
 * Helpers for `kaituan serve` tests: a round, signed webhook bodies for each platform, gateway
 * callbacks signed with the packages' own encoders, a stand-in for the Telegram and Graph APIs,
 * and a server started in-process on an ephemeral port with a temp SQLite file.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import path from "node:path"
import { PassThrough } from "node:stream"
import { FacebookSignature } from "@kaituan/adapters-facebook"
import { LineSignature, LineTestServer } from "@kaituan/adapters-line"
import { ECPayCallback } from "@kaituan/payments-ecpay"
import { NewebPayCallback } from "@kaituan/payments-newebpay"
import { TaipeiTime } from "@kaituan/core"
import { Tokens } from "@kaituan/http"
import { Redacted, Result } from "effect"
import { decodeRound } from "../src/RoundFile.js"
import * as Log from "../src/server/Log.js"
import * as Server from "../src/server/Server.js"
import { tmpDir } from "./support.js"

export const LINE_SECRET = "test-line-channel-secret"
export const TG_SECRET = "test-telegram-secret-token"
export const FB_SECRET = "test_app_secret_0123456789abcdef"
export const FB_VERIFY = "test-verify-token"
export const NEWEBPAY = {
  merchantId: "MS12345678",
  hashKey: "12345678901234567890123456789012",
  hashIV: "1234567890123456"
}
/** ECPay's public stage merchant (protocols.md §6.1). */
export const ECPAY = { merchantId: "3002607", hashKey: "pwFHCqoQZGmho4w6", hashIV: "EkRm7iFT261dpevs" }

export const roundJson = (id: string, cutoff = "2099-12-31T22:00:00+08:00") => ({
  id,
  title: "韓國毛襪團",
  cutoff,
  sellers: ["U-seller"],
  products: [
    {
      sku: "SOCK",
      name: "韓國毛襪",
      aliases: ["毛襪"],
      price: 120,
      options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
      variants: [
        { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 50 },
        { sku: "SOCK-W", options: { 顏色: "白" }, stock: 50, price: 130 }
      ]
    },
    { sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥"], price: 300, preorder: true }
  ]
})

export const round = (id: string, cutoff?: string) => decodeRound(`${id}.json`, roundJson(id, cutoff))

// ---------------------------------------------------------------------------------------------
// LINE, Telegram, Facebook bodies
// ---------------------------------------------------------------------------------------------

export interface LineMessage {
  readonly id: string
  readonly user: string
  readonly text: string
  readonly at?: number
  readonly eventId?: string
  readonly redelivery?: boolean
}

export const lineBody = (messages: ReadonlyArray<LineMessage>): string =>
  JSON.stringify({
    destination: "Ubot",
    events: messages.map((m) => ({
      type: "message",
      mode: "active",
      timestamp: m.at ?? Date.now(),
      source: { type: "group", groupId: "Cgroup", userId: m.user },
      webhookEventId: m.eventId ?? `01EV${m.id}`,
      deliveryContext: { isRedelivery: m.redelivery ?? false },
      replyToken: `reply-${m.id}`,
      message: { id: m.id, type: "text", quoteToken: `q${m.id}`, text: m.text }
    }))
  })

export const lineHeaders = (body: string, secret = LINE_SECRET) => ({
  "content-type": "application/json",
  "x-line-signature": LineSignature.sign(secret, body)
})

export const telegramBody = (u: {
  readonly update: number
  readonly message: number
  readonly user: number
  readonly text: string
}): string =>
  JSON.stringify({
    update_id: u.update,
    message: {
      message_id: u.message,
      from: { id: u.user, is_bot: false, first_name: "Dora" },
      chat: { id: -100123, type: "supergroup", title: "團購群" },
      date: Math.floor(Date.now() / 1000),
      text: u.text
    }
  })

export const facebookBody = (c: {
  readonly commentId: string
  readonly user: string
  readonly text: string
  readonly verb?: string
}): string =>
  JSON.stringify({
    object: "page",
    entry: [
      {
        id: "104000000000001",
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field: "feed",
            value: {
              from: { id: c.user, name: "王小明" },
              post: { id: "104000000000001_900000000000001", status_type: "added_photos", is_published: true },
              message: c.text,
              post_id: "104000000000001_900000000000001",
              comment_id: c.commentId,
              created_time: Math.floor(Date.now() / 1000),
              item: "comment",
              parent_id: "104000000000001_900000000000001",
              verb: c.verb ?? "add"
            }
          }
        ]
      }
    ]
  })

export const facebookHeaders = (body: string, secret = FB_SECRET) => ({
  "content-type": "application/json",
  [FacebookSignature.header]: FacebookSignature.sign(secret, body)
})

// ---------------------------------------------------------------------------------------------
// Gateway callbacks
// ---------------------------------------------------------------------------------------------

const newebpayKeys = { hashKey: Redacted.make(NEWEBPAY.hashKey), hashIV: Redacted.make(NEWEBPAY.hashIV) }
const ecpayKeys = { hashKey: Redacted.make(ECPAY.hashKey), hashIV: Redacted.make(ECPAY.hashIV) }

/** A NewebPay NotifyURL body (form) signed with the test keys. */
export const newebpayNotify = (p: {
  readonly merchantOrderNo: string
  readonly amount: number
  readonly tradeNo: string
  readonly paidAt?: number
  readonly pending?: boolean
}) =>
  Result.getOrThrow(
    NewebPayCallback.encode(
      {
        status: "SUCCESS",
        message: "授權成功",
        result: {
          MerchantID: NEWEBPAY.merchantId,
          Amt: p.amount,
          TradeNo: p.tradeNo,
          MerchantOrderNo: p.merchantOrderNo,
          ...(p.pending
            ? { PaymentType: "VACC", BankCode: "004", CodeNo: "1234567890123", ExpireDate: "2099-12-31" }
            : {
                PaymentType: "CREDIT",
                PayTime: TaipeiTime.formatTaipei(p.paidAt ?? Date.now(), "-"),
                RespondCode: "00",
                Auth: "123456",
                Card6No: "400022",
                Card4No: "1111"
              })
        }
      },
      { keys: newebpayKeys, merchantId: NEWEBPAY.merchantId }
    )
  )

/** An ECPay ReturnURL / PaymentInfoURL body (form) signed with the stage keys. */
export const ecpayNotify = (p: {
  readonly merchantOrderNo: string
  readonly amount: number
  readonly tradeNo: string
  readonly paidAt?: number
  readonly rtnCode?: "1" | "2"
  readonly simulated?: boolean
}) =>
  ECPayCallback.encode(
    {
      MerchantID: ECPAY.merchantId,
      MerchantTradeNo: p.merchantOrderNo,
      StoreID: "",
      RtnCode: p.rtnCode ?? "1",
      RtnMsg: p.rtnCode === "2" ? "Get VirtualAccount Succeeded" : "交易成功",
      TradeNo: p.tradeNo,
      TradeAmt: String(p.amount),
      PaymentDate: p.rtnCode === "2" ? "" : TaipeiTime.formatTaipei(p.paidAt ?? Date.now(), "/"),
      PaymentType: p.rtnCode === "2" ? "ATM_TAISHIN" : "Credit_CreditCard",
      PaymentTypeChargeFee: "2",
      TradeDate: TaipeiTime.formatTaipei(Date.now() - 60_000, "/"),
      SimulatePaid: p.simulated ? "1" : "0",
      CustomField1: "",
      CustomField2: "",
      CustomField3: "",
      CustomField4: "",
      ...(p.rtnCode === "2" ? { BankCode: "812", vAccount: "9103522175887271", ExpireDate: "2099/12/31" } : {})
    },
    ecpayKeys
  )

/** The env of a server with every channel and gateway configured, outbound APIs on loopback. */
export const fullEnv = (bases: { readonly line: string; readonly stub: string }): Record<string, string> => ({
  LINE_CHANNEL_SECRET: LINE_SECRET,
  LINE_CHANNEL_ACCESS_TOKEN: "test-access-token",
  LINE_API_BASE: bases.line,
  TELEGRAM_BOT_TOKEN: "123:test",
  TELEGRAM_SECRET_TOKEN: TG_SECRET,
  TELEGRAM_API_BASE: bases.stub,
  FB_APP_SECRET: FB_SECRET,
  FB_VERIFY_TOKEN: FB_VERIFY,
  FB_PAGE_ACCESS_TOKEN: "test-page-token",
  FB_GRAPH_BASE: bases.stub,
  NEWEBPAY_MERCHANT_ID: NEWEBPAY.merchantId,
  NEWEBPAY_HASH_KEY: NEWEBPAY.hashKey,
  NEWEBPAY_HASH_IV: NEWEBPAY.hashIV,
  ECPAY_MERCHANT_ID: ECPAY.merchantId,
  ECPAY_HASH_KEY: ECPAY.hashKey,
  ECPAY_HASH_IV: ECPAY.hashIV
})

/** A stand-in for the Telegram Bot API and the Graph API: answers every call with success. */
export const listenStub = async () => {
  const calls: Array<{ method: string; path: string }> = []
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      calls.push({ method: req.method ?? "", path: req.url ?? "" })
      const body = (req.url ?? "").includes("/bot")
        ? { ok: true, result: { message_id: calls.length, date: 0, chat: { id: -100123, type: "supergroup" } } }
        : req.method === "GET"
          ? { created_time: Math.floor(Date.now() / 1000) - 60 }
          : { message_id: `m_${calls.length}`, id: `c_${calls.length}`, recipient_id: "1" }
      res.writeHead(200, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      })
  }
}

/** Collects log lines. */
export const logSink = () => {
  const out = new PassThrough()
  let text = ""
  out.on("data", (d) => {
    text += d
  })
  return {
    log: Log.make(out),
    out,
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
  }
}

/**
 * Starts a server with every integration on a fresh SQLite file. Shutdown keeps idle keep-alive
 * connections open 50 ms (`drainMs`) rather than the keep-alive timeout, and reports show every
 * write at once (`reportMaxStaleMs: 0`), unless overridden; an `env` in the overrides is added to
 * the full env.
 */
export const startFull = async (roundId: string, overrides: Partial<Server.ServerOptions> = {}) => {
  const line = await LineTestServer.listen({})
  const stub = await listenStub()
  const logs = logSink()
  const db = path.join(tmpDir(), "serve.db")
  const server = await Server.start({
    port: 0,
    db,
    round: round(roundId),
    log: logs.log,
    drainMs: 50,
    // The tests read their writes at once; the staleness bound has tests of its own (serveReports).
    reportMaxStaleMs: 0,
    ...overrides,
    // The overrides' env adds to (or replaces some of) the full env.
    env: { ...fullEnv({ line: line.url, stub: stub.url }), ...overrides.env }
  })
  const token = server.firstToken ?? (await organiserToken(server))
  return {
    server,
    /** An organiser token for /api routes. */
    token,
    line,
    stub,
    logs,
    db,
    stop: async () => {
      await server.close()
      await line.close()
      await stub.close()
    }
  }
}

/** An organiser token made through a running server (on a database that had one already). */
export const organiserToken = async (server: Server.RunningServer): Promise<string> =>
  Redacted.value((await server.run(Tokens.Tokens.use((t) => t.create({ role: "organiser", label: "test" })))).token)

/** `GET /api/rounds/:id` with an organiser token. */
export const getReport = (
  f: { readonly server: Server.RunningServer; readonly token: string },
  roundId: string,
  headers: Record<string, string> = {}
) => fetch(`${f.server.url}/api/rounds/${roundId}`, { headers: { authorization: `Bearer ${f.token}`, ...headers } })

export const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body, headers })

/** Waits until `check` is true (polling), or fails after `ms`. */
export const eventually = async (check: () => boolean | Promise<boolean>, ms = 5_000) => {
  const until = Date.now() + ms
  for (;;) {
    if (await check()) return
    if (Date.now() > until) throw new Error("condition not met in time")
    await new Promise((r) => setTimeout(r, 20))
  }
}
