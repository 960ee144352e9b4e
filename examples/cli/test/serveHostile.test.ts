/**
 * `kaituan serve` against signed but hostile bodies: nothing answers 500, one bad event never
 * loses the good ones of its delivery, and credentials never reach stderr.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChannelAdapter, GroupBuy, Http, Inbound, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import type { toJson } from "../src/Report.js"
import * as Webhooks from "../src/server/Webhooks.js"
import {
  facebookBody,
  facebookHeaders,
  getReport,
  lineBody,
  lineHeaders,
  post,
  startFull,
  TG_SECRET,
  telegramBody
} from "./serveSupport.js"
import { runCli } from "./support.js"

type Full = Awaited<ReturnType<typeof startFull>>

const report = (f: Full, roundId: string) =>
  getReport(f, roundId).then((r) => r.json() as Promise<ReturnType<typeof toJson>>)

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`

const lineEvent = (id: string, user: string, text: string, over: Record<string, unknown> = {}) => ({
  type: "message",
  mode: "active",
  timestamp: Date.now(),
  source: { type: "group", groupId: "Cgroup", userId: user },
  webhookEventId: `01EV${id}`,
  deliveryContext: { isRedelivery: false },
  replyToken: `reply-${id}`,
  message: { id, type: "text", text },
  ...over
})

describe("kaituan serve: signed hostile bodies", () => {
  let f: Full
  beforeAll(async () => {
    f = await startFull("hostile")
  })
  afterAll(async () => {
    await f.stop()
  })

  const requestLines = () => f.logs.lines().filter((l) => l.event === "request")

  it("a delivery with hostile events keeps its good events, answers 200 and counts what it skipped", async () => {
    // a lone surrogate in a userId (no URL can carry it: LINE's profile lookup threw a URIError),
    // an unsend without its message id, timestamps no Date can hold (toISOString threw)
    const events = [
      JSON.stringify(lineEvent("h1", "U-good-1", "紅+1")),
      JSON.stringify(lineEvent("h2", "U\ud800-lone", "白+1")),
      `{"type":"unsend","timestamp":1,"source":{"type":"group","groupId":"Cgroup"},"unsend":{}}`,
      JSON.stringify(lineEvent("h4", "U-good-2", "白+1", { timestamp: 8.64e15 + 1 })),
      `{"type":"message","timestamp":1e400,"message":{"id":"h5","type":"text","text":"紅+1"}}`,
      JSON.stringify(lineEvent("h6", "U-good-3", "蛋黃酥+1"))
    ]
    const body = `{"destination":"Ubot","events":[${events.join(",")}]}`
    const headers = lineHeaders(body)
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await post(`${f.server.url}/webhooks/line`, body, headers)
      expect(r.status).toBe(200)
    }
    const j = await report(f, "hostile")
    // no database can key on a lone surrogate (it is stored as U+FFFD): that event is skipped too
    expect(j.orders.map((o) => o.buyer.id).sort()).toEqual(["U-good-1", "U-good-3"])
    expect(j.orders.every((o) => o.lines.every((l) => l.qty === 1))).toBe(true)
    const first = requestLines().find((l) => l.route === "/webhooks/line" && l.status === 200) as {
      counts: Record<string, number>
      skipped: Record<string, Array<string>>
    }
    expect(first.counts.skipped).toBe(4)
    expect(first.skipped).toEqual({ malformed: ["events[2]", "events[3]", "events[4]"], "invalid-id": ["event 1"] })
    expect(f.logs.text()).not.toContain("U-good")
  })

  it("JSON nested 10,000 deep is 400 on every webhook, signed or not, and the next good request is served", async () => {
    const nested = [
      deep(10_000),
      `{"events":[${deep(10_000)}]}`,
      `{"update_id":1,"message":{"message_id":1,"chat":{"id":1,"type":"group"},"date":1,"sticker":${deep(10_000)}}}`,
      `{"object":"page","entry":[{"id":"1","changes":[{"field":"feed","value":${deep(10_000)}}]}]}`
    ]
    for (const body of nested) {
      const line = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
      const tg = await post(`${f.server.url}/webhooks/telegram`, body, { "x-telegram-bot-api-secret-token": TG_SECRET })
      const fb = await post(`${f.server.url}/webhooks/facebook`, body, facebookHeaders(body))
      expect([line.status, tg.status, fb.status]).toEqual([400, 400, 400])
    }
    expect(requestLines().filter((l) => (l.status as number) >= 500)).toEqual([])
    const good = telegramBody({ update: 77_001, message: 5, user: 4242, text: "紅+1" })
    const r = await post(`${f.server.url}/webhooks/telegram`, good, { "x-telegram-bot-api-secret-token": TG_SECRET })
    expect(r.status).toBe(200)
    const fbGood = facebookBody({ commentId: "900_77", user: "7000000000000077", text: "白+1" })
    expect((await post(`${f.server.url}/webhooks/facebook`, fbGood, facebookHeaders(fbGood))).status).toBe(200)
    const j = await report(f, "hostile")
    expect(j.orders.some((o) => o.buyer.id === "4242")).toBe(true)
    expect(j.orders.some((o) => o.buyer.id === "7000000000000077")).toBe(true)
  })

  it("one event dated after the cutoff cannot close the round: it is dated when it arrived", async () => {
    // year 2286, after the round's cutoff (2099): taken at its word, it closed the round for everyone
    const future = lineBody([{ id: "far", user: "U-far", text: "蛋黃酥+1", at: 1e13 }])
    const r = await post(`${f.server.url}/webhooks/line`, future, lineHeaders(future))
    expect(r.status).toBe(200)
    const good = lineBody([{ id: "near", user: "U-near", text: "蛋黃酥+2" }])
    expect((await post(`${f.server.url}/webhooks/line`, good, lineHeaders(good))).status).toBe(200)
    const j = await report(f, "hostile")
    expect(j.notOrdered.filter((n) => n.reason === "after-cutoff")).toEqual([])
    expect(j.orders.find((o) => o.buyer.id === "U-near")?.lines).toEqual([{ sku: "EGG", qty: 2, unitPrice: 300 }])
    expect(j.orders.find((o) => o.buyer.id === "U-far")?.lines).toEqual([{ sku: "EGG", qty: 1, unitPrice: 300 }])
    const line = requestLines().find((l) => (l.counts as Record<string, number> | undefined)?.["future-dated"] === 1)
    expect(line).toBeDefined()
  })
})

describe("kaituan serve on PostgreSQL: characters no database keeps", () => {
  const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
  const roundId = `chars-${Date.now().toString(36)}`
  let f: Full
  beforeAll(async () => {
    f = await startFull(roundId, { db: pgUrl })
  })
  afterAll(async () => {
    await f.stop()
  })

  it("NUL and lone surrogates in a text or a name are stored as U+FFFD, not answered 500 forever", async () => {
    const tg = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET }
    // PostgreSQL keeps earlier runs' messages (a message belongs to one round, ever): this run's are new
    const id = Date.now() % 1_000_000_000
    const placed = telegramBody({ update: id, message: id, user: 778, text: "蛋黃酥+1\u0000" })
    expect((await post(`${f.server.url}/webhooks/telegram`, placed, tg)).status).toBe(200)
    const edited = JSON.stringify({
      update_id: id + 1,
      edited_message: {
        message_id: id,
        from: { id: 778, is_bot: false, first_name: "G\u0000us\ud800" },
        chat: { id: -100123, type: "supergroup" },
        date: Math.floor(Date.now() / 1000),
        edit_date: Math.floor(Date.now() / 1000),
        text: "蛋黃酥+4\u0000\udc00"
      }
    })
    for (let attempt = 0; attempt < 2; attempt++)
      expect((await post(`${f.server.url}/webhooks/telegram`, edited, tg)).status).toBe(200)
    const j = await report(f, roundId)
    expect(j.orders.find((o) => o.buyer.id === "778")?.lines).toEqual([{ sku: "EGG", qty: 1, unitPrice: 300 }])
    const review = j.review.find((r) => r.commentId === `-100123:${id}`)
    expect(review?.text).toBe("蛋黃酥+4\ufffd\ufffd")
    expect(f.logs.lines().filter((l) => (l.status as number) >= 500)).toEqual([])
  })
})

describe("kaituan serve: one event cannot fail its delivery", () => {
  const comment = (id: string, text: string): ChannelAdapter.InboundEvent => ({
    _tag: "Comment",
    channel: "line",
    eventId: `ev-${id}`,
    at: new Date().toISOString(),
    commentId: id,
    author: { id: `U-${id}` },
    text
  })
  const adapterOf = (decode: ChannelAdapter.ChannelAdapterService["decode"]): ChannelAdapter.ChannelAdapterService =>
    ({
      channel: "line",
      verify: () => Effect.void,
      decode,
      send: () => Effect.succeed({})
    }) as unknown as ChannelAdapter.ChannelAdapterService
  const submitted: Array<string> = []
  /** A GroupBuy whose round code fails (a defect) on any batch holding a comment "boom". */
  const groupBuy = Layer.succeed(GroupBuy.GroupBuy, {
    submitComments: ({ comments }: GroupBuy.SubmitCommentsInput) =>
      Effect.suspend(() => {
        if (comments.some((c) => c.text === "boom"))
          return Effect.die(new RangeError("Maximum call stack size exceeded"))
        for (const c of comments) submitted.push(c.commentId)
        return Effect.succeed(
          comments.map((c) => ({ commentId: c.commentId, status: "ordered", reason: "", events: [] }) as never)
        )
      })
  } as unknown as GroupBuy.GroupBuyService)
  /** A store where round "r" is open (its events alone: no GroupBuy here). */
  const storage = Layer.effect(
    Storage.Storage,
    Effect.gen(function* () {
      const s = Storage.makeMemory()
      const at = "2024-01-01T00:00:00.000Z"
      yield* s.commit([
        {
          appends: [
            {
              stream: Storage.roundStream("r"),
              expectedVersion: 0,
              events: [
                { type: "RoundCreated", data: { _tag: "RoundCreated", spec: { id: "r", title: "r" }, at }, at },
                { type: "RoundOpened", data: { _tag: "RoundOpened", at }, at }
              ]
            }
          ],
          views: [],
          outbox: []
        }
      ])
      return s
    })
  )
  const handle = (adapter: ChannelAdapter.ChannelAdapterService) =>
    Webhooks.handle(adapter, Http.request({ body: "[]" })).pipe(
      Effect.provide(Inbound.layer().pipe(Layer.provide(Layer.mergeAll(groupBuy, storage))))
    )

  it.effect("a comment the round's code fails on is skipped as refused; the others of the delivery are applied", () =>
    Effect.gen(function* () {
      submitted.length = 0
      const reply = yield* handle(
        adapterOf(() => Effect.succeed([comment("a", "紅+1"), comment("b", "boom"), comment("c", "白+1")]))
      )
      expect(reply.status).toBe(200)
      expect(submitted).toEqual(["a", "c"])
      expect(reply.counts).toMatchObject({ events: 3, comments: 3, ordered: 2, skipped: 1 })
      expect(reply.fields).toEqual({ skipped: { refused: ["event 1"] } })
    })
  )

  it.effect("a decoder that throws answers 400 (logged as an error), never 500", () =>
    Effect.gen(function* () {
      const reply = yield* handle(
        adapterOf(() =>
          Effect.sync(() => {
            throw new URIError("URI malformed")
          })
        )
      )
      expect(reply.status).toBe(400)
      expect(reply.error).toBe("DecodeDefect:URIError")
      expect(reply.level).toBe("error")
    })
  )
})

describe("kaituan serve: credentials", () => {
  it("a PostgreSQL URL's password is never printed when the database is down", async () => {
    const password = "hunter2-S3cret"
    const r = await runCli(["serve", "--port", "0", "--db", `postgres://kai:${password}@127.0.0.1:1/shop`])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("127.0.0.1:1")
    expect(r.stderr).not.toContain(password)
  })
})
