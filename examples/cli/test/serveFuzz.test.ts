/**
 * Property test of every webhook and callback route of `kaituan serve` with hostile requests:
 * random bytes, JSON nested thousands deep, huge strings, lone surrogates, wrong content types,
 * missing and wrong signatures, and valid signatures over garbage (the test knows the secrets, so
 * it signs what it likes). Every answer is 200, 400, 401 or 413 (the checkout page: 200, 400, 404
 * or 409), never a 5xx, and after each one the server answers a good request correctly.
 */
import { request } from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { FacebookSignature } from "@kaituan/adapters-facebook"
import { LineSignature } from "@kaituan/adapters-line"
import { ECPayCallback } from "@kaituan/payments-ecpay"
import { NewebPayCrypto } from "@kaituan/payments-newebpay"
import { FormBody } from "@kaituan/core"
import { Redacted, Result } from "effect"
import fc from "fast-check"
import type { toJson } from "../src/Report.js"
import {
  ECPAY,
  FB_SECRET,
  FB_VERIFY,
  getReport,
  LINE_SECRET,
  lineBody,
  lineHeaders,
  NEWEBPAY,
  startFull,
  TG_SECRET
} from "./serveSupport.js"

type Full = Awaited<ReturnType<typeof startFull>>

const MAX_BODY = 16 * 1024
/** Runs per route; `FUZZ_RUNS` raises it for a longer search. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100)

interface Answer {
  readonly status: number
  readonly text: string
}

/** One request over a fresh connection, exactly as given (method, path, headers, bytes). */
const send = (
  base: string,
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array = new Uint8Array()
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const url = new URL(base)
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        agent: false,
        headers: { ...headers, connection: "close", ...(method === "GET" ? {} : { "content-length": body.length }) }
      },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
      }
    )
    // The server may answer (413) and close before the whole body is written: the answer counts.
    req.on("error", reject)
    req.end(method === "GET" ? undefined : body)
  })

const utf8 = (s: string) => new TextEncoder().encode(s)

// ---------------------------------------------------------------------------------------------
// Hostile material
// ---------------------------------------------------------------------------------------------

/** Any UTF-16 code unit: lone surrogates included. */
const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))
const anyText = fc.oneof(
  fc.string({ unit, maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", " ", "+1", "紅+1", "\u0000", "\ud800", "\udfff", "%", "%E0%A4%A", "../..", "\r\n", "🙂".repeat(9))
)
const depth = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 4_000, max: 12_000 }))
const nested = fc
  .tuple(depth, fc.constantFrom("[", '{"a":'), anyText)
  .map(([n, open, leaf]) => `${open.repeat(n)}${JSON.stringify(leaf)}${(open === "[" ? "]" : "}").repeat(n)}`)
/** A string that makes the body large: within the limit or past it. */
const huge = fc
  .tuple(fc.constantFrom("x", "好", "\ud83d\ude00", "+1 "), fc.integer({ min: 1_000, max: 12_000 }))
  .map(([s, n]) => s.repeat(n))
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  anyText,
  fc.double({ noNaN: true }),
  fc.constantFrom(null, true, [], {}, 8.64e15 + 1, -1, 2 ** 53, Number.MAX_VALUE)
)

const J = (v: unknown) => JSON.stringify(v)
/** A JSON number or value where a time goes: mostly now, else past any date, negative, fractional, of the wrong type. */
const timeText = (now: () => number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(null).map(() => String(now())) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "1e400",
        "-1e400",
        "1e300",
        "8640000000000001",
        "-1",
        "0.5",
        "1e13",
        '"1"',
        "null",
        "{}"
      )
    }
  )
/** Extra content, now and then nested thousands deep. */
const extraField = fc.option(fc.oneof(nested, fc.jsonValue().map(J)), { nil: undefined })
/** An id: mostly plausible, else anything (lone surrogates, NUL, dots, huge). */
const idText = fc.oneof(
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/) },
  { weight: 2, arbitrary: anyText }
)

/** A LINE webhook body: events of every type, nearly well-formed, one field hostile here and there. */
const lineJson = fc
  .array(
    fc.record({
      type: fc.constantFrom("message", "message", "unsend", "join", "leave", "follow", "memberJoined", "postback"),
      ts: timeText(() => Date.now()),
      eventId: fc.option(idText, { nil: undefined }),
      sourceType: fc.constantFrom("user", "group", "room"),
      userId: idText,
      threadId: fc.oneof(fc.constant("Cfuzz"), idText),
      msgId: idText,
      text: fc.oneof(anyText, huge),
      extra: extraField
    }),
    { maxLength: 4 }
  )
  .map(
    (events) =>
      `{"destination":"Ubot","events":[${events
        .map(
          (e) =>
            `{"type":${J(e.type)},"timestamp":${e.ts},${e.eventId === undefined ? "" : `"webhookEventId":${J(e.eventId)},`}` +
            `"source":{"type":"${e.sourceType}","userId":${J(e.userId)},"groupId":${J(e.threadId)},"roomId":${J(e.threadId)}},` +
            `"message":{"id":${J(e.msgId)},"type":"text","text":${J(e.text)}},"unsend":{"messageId":${J(e.msgId)}},` +
            `"joined":{"members":[{"userId":${J(e.userId)}}]}${e.extra === undefined ? "" : `,"x":${e.extra}`}}`
        )
        .join(",")}]}`
  )

/** A Telegram Update: a message or an edit, nearly well-formed, one field hostile here and there. */
const telegramJson = fc
  .record({
    kind: fc.constantFrom("message", "edited_message", "channel_post"),
    updateId: fc.oneof(fc.integer().map(String), fc.constantFrom("1e400", "-0", "0.5", '"7"')),
    userId: fc.oneof(fc.integer().map(String), fc.constantFrom("1e400", "1e300", "-1")),
    name: anyText,
    date: timeText(() => Math.floor(Date.now() / 1000)),
    editDate: timeText(() => Math.floor(Date.now() / 1000)),
    text: fc.oneof(anyText, huge),
    extra: extraField
  })
  .map(
    (u) =>
      `{"update_id":${u.updateId},"${u.kind}":{"message_id":5,"from":{"id":${u.userId},"first_name":${J(u.name)}},` +
      `"chat":{"id":-100123,"type":"supergroup"},"date":${u.date},"edit_date":${u.editDate},"text":${J(u.text)}` +
      `${u.extra === undefined ? "" : `,"sticker":${u.extra}`}}}`
  )

/** A Page webhook: comment changes, nearly well-formed, one field hostile here and there. */
const facebookJson = fc
  .array(
    fc.record({
      verb: fc.oneof(fc.constantFrom("add", "add", "edited", "remove"), anyText),
      commentId: idText,
      userId: idText,
      name: anyText,
      text: fc.oneof(anyText, huge, fc.constant(12).map(String)),
      created: timeText(() => Math.floor(Date.now() / 1000)),
      extra: extraField
    }),
    { maxLength: 3 }
  )
  .chain((changes) =>
    timeText(() => Math.floor(Date.now() / 1000)).map(
      (time) =>
        `{"object":"page","entry":[{"id":"104","time":${time},"changes":[${changes
          .map(
            (c) =>
              `{"field":"feed","value":{"item":"comment","verb":${J(c.verb)},"comment_id":${J(c.commentId)},` +
              `"post_id":"104_900","from":{"id":${J(c.userId)},"name":${J(c.name)}},"message":${
                c.text === "12" ? "12" : J(c.text)
              },"created_time":${c.created}${c.extra === undefined ? "" : `,"photo":${c.extra}`}}}`
          )
          .join(",")}]}]}`
    )
  )

/** Bodies for a JSON webhook: garbage of every kind, and (mostly) garbage shaped like the platform's own. */
const jsonBody = (shaped: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_048 }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          nested,
          huge,
          anyText,
          fc.jsonValue().map((v) => JSON.stringify(v))
        )
        .map(utf8)
    },
    { weight: 4, arbitrary: shaped.map(utf8) }
  )

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-16",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  ""
)

/** No signature, a wrong one, or (mostly) the right one over the garbage. */
const signing: fc.Arbitrary<"none" | "wrong" | "valid"> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("none" as const, "wrong" as const) },
  { weight: 3, arbitrary: fc.constant("valid" as const) }
)
/** A header value Node will send (printable ASCII). */
const headerGarbage = fc.string({ unit: "grapheme-ascii", maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""))

const WEBHOOK_OK = [200, 400, 401, 413]

// ---------------------------------------------------------------------------------------------

/** The PostgreSQL test server (CI starts it). */
const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

describe.each([
  { backend: "SQLite", db: undefined },
  { backend: "PostgreSQL", db: pgUrl }
])("kaituan serve on $backend: every route against hostile requests (property)", ({ db }) => {
  let f: Full
  let good = 0
  const goodUsers: Array<string> = []
  // PostgreSQL keeps what earlier runs stored: this run's round and comments are its own.
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const roundId = `fuzz-${run}`

  beforeAll(async () => {
    f = await startFull(roundId, {
      maxBodyBytes: MAX_BODY,
      env: { KAITUAN_PUBLIC_URL: "https://shop.example.com" },
      ...(db === undefined ? {} : { db })
    })
  })
  afterAll(async () => {
    await f.stop()
  })

  /** A good signed LINE webhook right after a hostile request: answered 200, with its comment counted. */
  const goodRequestWorks = async () => {
    good += 1
    const user = `U-good-${run}-${good}`
    goodUsers.push(user)
    const body = lineBody([{ id: `good-${run}-${good}`, user, text: "蛋黃酥+1" }])
    const r = await send(f.server.url, "POST", "/webhooks/line", lineHeaders(body), utf8(body))
    expect(r.status).toBe(200)
  }

  const check = (route: string, r: Answer, allowed: ReadonlyArray<number>) => {
    if (!allowed.includes(r.status)) throw new Error(`${route} answered ${r.status}: ${r.text.slice(0, 200)}`)
  }

  it("LINE webhooks", async () => {
    await fc.assert(
      fc.asyncProperty(jsonBody(lineJson), contentType, signing, headerGarbage, async (body, type, sig, junk) => {
        const headers: Record<string, string> = type === "" ? {} : { "content-type": type }
        if (sig === "valid") headers["x-line-signature"] = LineSignature.sign(LINE_SECRET, body)
        if (sig === "wrong") headers["x-line-signature"] = junk
        check("LINE", await send(f.server.url, "POST", "/webhooks/line", headers, body), WEBHOOK_OK)
        await goodRequestWorks()
      }),
      { numRuns: RUNS }
    )
  })

  it("Telegram webhooks", async () => {
    await fc.assert(
      fc.asyncProperty(jsonBody(telegramJson), contentType, signing, headerGarbage, async (body, type, sig, junk) => {
        const headers: Record<string, string> = type === "" ? {} : { "content-type": type }
        if (sig === "valid") headers["x-telegram-bot-api-secret-token"] = TG_SECRET
        if (sig === "wrong") headers["x-telegram-bot-api-secret-token"] = junk
        check("Telegram", await send(f.server.url, "POST", "/webhooks/telegram", headers, body), WEBHOOK_OK)
        await goodRequestWorks()
      }),
      { numRuns: RUNS }
    )
  })

  it("Facebook webhooks and verification requests", async () => {
    await fc.assert(
      fc.asyncProperty(jsonBody(facebookJson), contentType, signing, headerGarbage, async (body, type, sig, junk) => {
        const headers: Record<string, string> = type === "" ? {} : { "content-type": type }
        if (sig === "valid") headers[FacebookSignature.header] = FacebookSignature.sign(FB_SECRET, body)
        if (sig === "wrong") headers[FacebookSignature.header] = junk
        check("Facebook", await send(f.server.url, "POST", "/webhooks/facebook", headers, body), WEBHOOK_OK)
        await goodRequestWorks()
      }),
      { numRuns: RUNS }
    )
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom("hub.mode", "hub.verify_token", "hub.challenge", "x"), anyText),
        fc.boolean(),
        async (query, rightToken) => {
          const q = new URLSearchParams({ ...query, ...(rightToken ? { "hub.verify_token": FB_VERIFY } : {}) })
          const r = await send(f.server.url, "GET", `/webhooks/facebook?${q.toString()}`, {})
          check("Facebook handshake", r, [200, 403])
        }
      ),
      { numRuns: RUNS }
    )
  })

  const newebpayKeys = { hashKey: Redacted.make(NEWEBPAY.hashKey), hashIV: Redacted.make(NEWEBPAY.hashIV) }
  /** A NewebPay TradeInfo: random hex, or garbage (JSON, query strings, deep JSON) encrypted with the real keys. */
  const tradeInfo = fc.oneof(
    fc.uint8Array({ maxLength: 96 }).map((b) => Buffer.from(b).toString("hex")),
    fc
      .oneof(
        nested,
        anyText,
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc
          .record(
            {
              Status: fc.oneof(fc.constant("SUCCESS"), anyText),
              Message: anyText,
              Result: fc.oneof(
                jsonValue,
                fc.record(
                  {
                    MerchantID: fc.oneof(fc.constant(NEWEBPAY.merchantId), anyText),
                    Amt: fc.oneof(fc.nat().map(String), anyText),
                    TradeNo: fc.oneof(anyText, huge),
                    MerchantOrderNo: anyText,
                    PayTime: fc.oneof(anyText, fc.constant("2024-05-01 12:00:00")),
                    PaymentType: anyText,
                    CodeNo: anyText
                  },
                  { requiredKeys: [] }
                ),
                fc.jsonValue().map((v) => JSON.stringify(v))
              )
            },
            { requiredKeys: [] }
          )
          .map((v) => JSON.stringify(v)),
        fc.dictionary(anyText, anyText).map((d) => new URLSearchParams(d).toString())
      )
      .map((plain) => Result.getOrThrow(NewebPayCrypto.encrypt(plain, newebpayKeys)))
  )

  it("NewebPay callbacks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 1_024 }),
          fc.oneof(nested, huge, anyText).map(utf8),
          fc
            .record(
              {
                info: tradeInfo,
                sig: signing,
                junk: headerGarbage,
                extra: fc.dictionary(fc.constantFrom("Status", "MerchantID", "Version", "EncryptType", "x"), anyText)
              },
              { requiredKeys: ["info", "sig"] }
            )
            .map(({ info, sig, junk, extra }) =>
              utf8(
                FormBody.encodeForm({
                  ...extra,
                  TradeInfo: info,
                  ...(sig === "none"
                    ? {}
                    : { TradeSha: sig === "valid" ? NewebPayCrypto.tradeSha(info, newebpayKeys) : (junk ?? "") })
                })
              )
            )
        ),
        contentType,
        async (body, type) => {
          const headers: Record<string, string> = type === "" ? {} : { "content-type": type }
          check("NewebPay", await send(f.server.url, "POST", "/payments/newebpay/notify", headers, body), WEBHOOK_OK)
          await goodRequestWorks()
        }
      ),
      { numRuns: RUNS }
    )
  })

  const ecpayKeys = { hashKey: Redacted.make(ECPAY.hashKey), hashIV: Redacted.make(ECPAY.hashIV) }
  const ecpayFields = fc.record(
    {
      MerchantID: fc.oneof(fc.constant(ECPAY.merchantId), anyText),
      MerchantTradeNo: fc.oneof(anyText, huge),
      RtnCode: fc.oneof(fc.constantFrom("1", "2", "10100073"), anyText),
      RtnMsg: anyText,
      TradeNo: fc.oneof(anyText, huge),
      TradeAmt: fc.oneof(fc.nat().map(String), anyText),
      PaymentDate: fc.oneof(anyText, fc.constant("2024/05/01 12:00:00")),
      PaymentType: anyText,
      SimulatePaid: fc.constantFrom("0", "1", ""),
      ATMAccNo: anyText,
      x: anyText
    },
    { requiredKeys: [] }
  )

  it("ECPay callbacks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 1_024 }),
          fc.oneof(nested, huge, anyText).map(utf8),
          fc
            .tuple(ecpayFields, signing, headerGarbage)
            .map(([fields, sig, junk]) =>
              utf8(
                sig === "valid"
                  ? ECPayCallback.encode(fields as Record<string, string>, ecpayKeys)
                  : FormBody.encodeForm({ ...fields, ...(sig === "wrong" ? { CheckMacValue: junk } : {}) })
              )
            )
        ),
        contentType,
        async (body, type) => {
          const headers: Record<string, string> = type === "" ? {} : { "content-type": type }
          check("ECPay", await send(f.server.url, "POST", "/payments/ecpay/notify", headers, body), WEBHOOK_OK)
          await goodRequestWorks()
        }
      ),
      { numRuns: RUNS }
    )
  })

  it("the checkout page GET /pay/:orderId", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anyText.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "?"))),
          fc.constantFrom("%", "%zz", "%E0%A4%A", "%ED%A0%80", "..", "%2e%2e", "o_%00", "a%2Fb"),
          fc
            .string({ unit: "grapheme-ascii", maxLength: 30 })
            .map((s) => s.replace(/[^A-Za-z0-9%._~-]/g, ""))
            .filter((s) => s !== "")
        ),
        fc.option(fc.oneof(fc.constantFrom("newebpay", "ecpay", "paypal", ""), anyText), { nil: undefined }),
        async (id, gateway) => {
          const q = gateway === undefined ? "" : `?${new URLSearchParams({ gateway }).toString()}`
          check("checkout page", await send(f.server.url, "GET", `/pay/${id}${q}`, {}), [200, 400, 404, 409])
        }
      ),
      { numRuns: RUNS }
    )
    await goodRequestWorks()
  })

  it("nothing answered 5xx, and every good request in between was applied", async () => {
    const lines = f.logs.lines().filter((l) => l.event === "request")
    expect(lines.filter((l) => (l.status as number) >= 500)).toEqual([])
    const report = (await (await getReport(f, roundId)).json()) as ReturnType<typeof toJson>
    const ordered = new Set(report.orders.map((o) => o.buyer.id))
    expect(goodUsers.filter((u) => !ordered.has(u))).toEqual([])
  })
})
