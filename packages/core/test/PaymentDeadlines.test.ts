import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, MessageTemplates, PaymentDeadlines, Storage } from "@kaituan/core"
import { Effect, Layer } from "effect"
import { spec, testParser } from "./support/fixtures.js"

const cutoff = "2024-05-10T22:00:00+08:00"
const opened = "2024-05-01T09:00:00+08:00"
const payment = { bank: { code: "822", account: "123456789012", name: "王小美" }, gateways: ["ecpay"] }

const services = (storage: Storage.StorageService, payPageUrl?: string) =>
  GroupBuy.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Layer.succeed(Storage.Storage, storage),
        CommentParser.layer(testParser),
        IdGenerator.layerCounter,
        Layer.succeed(PaymentDeadlines.PayPageUrl, payPageUrl)
      )
    )
  )

const comment = (id: string, author: string, text: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: id,
  author: { id: author, name: author },
  text,
  at: "2024-05-01T10:00:00+08:00"
})

const outbox = (storage: Storage.StorageService) =>
  Effect.map(storage.claimOutbox({ limit: 10_000, leaseMs: 0 }), (entries) => entries.map((e) => e.message))

const openWith = (overrides: Record<string, unknown>, comments: ReadonlyArray<GroupBuy.CommentInput>) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    yield* g.openRound({ spec: spec({ cutoff, ...overrides }), at: opened })
    yield* g.submitComments({ roundId: "socks", comments })
  })

describe("payment-due messages say how to pay", () => {
  it.effect("the round's bank account, the pay link and the deadline, in zh-TW and English", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* openWith({ payment, payWithin: "P3D" }, [comment("m1", "u1", "紅+2")])
      yield* Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks", at: cutoff }))
      const due = (yield* outbox(storage)).filter((m) => m.kind === "payment-due")
      expect(due.length).toBe(1)
      const orderId = String(due[0]!.data.orderId)
      expect(due[0]!.data).toMatchObject({
        bank: payment.bank,
        paymentUrl: `https://shop.example.com/pay/${orderId}`,
        dueAt: "2024-05-13T14:00:00.000Z"
      })
      expect(MessageTemplates.render("payment-due", due[0]!.data).split("\n")).toEqual([
        "請付款 NT$240 💰",
        "匯款至 王小美(822) 帳號 123456789012，付款後請回覆帳號後五碼",
        `線上付款：https://shop.example.com/pay/${orderId}`,
        "請於 2024/05/13（一）22:00 前完成付款"
      ])
      expect(MessageTemplates.render("payment-due", due[0]!.data, { locale: "en" }).split("\n")).toEqual([
        "please pay NT$240 💰",
        "Transfer to 王小美(822) account 123456789012 and reply with the last 5 digits of your account",
        `Pay online: https://shop.example.com/pay/${orderId}`,
        "Please pay by 2024/05/13 (Mon) 22:00"
      ])
    }).pipe(Effect.provide(services(storage, "https://shop.example.com/")))
  })

  it.effect("no pay link without the host's pay page URL or without gateways; no deadline without payWithin", () => {
    const noUrl = Storage.makeMemory()
    const noGateway = Storage.makeMemory()
    const close = Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks", at: cutoff }))
    return Effect.gen(function* () {
      yield* Effect.gen(function* () {
        yield* openWith({ payment }, [comment("m1", "u1", "紅+1")])
        yield* close
        const [due] = (yield* outbox(noUrl)).filter((m) => m.kind === "payment-due")
        expect(due!.data.paymentUrl).toBeUndefined()
        expect(due!.data.dueAt).toBeUndefined()
        expect(MessageTemplates.render("payment-due", due!.data)).toBe(
          "請付款 NT$120 💰\n匯款至 王小美(822) 帳號 123456789012，付款後請回覆帳號後五碼"
        )
        expect((yield* noUrl.jobs({})).filter((j) => j.kind.startsWith("round.payment"))).toEqual([])
      }).pipe(Effect.provide(services(noUrl)))
      yield* Effect.gen(function* () {
        yield* openWith({ payment: { bank: payment.bank } }, [comment("m1", "u1", "紅+1")])
        yield* close
        const [due] = (yield* outbox(noGateway)).filter((m) => m.kind === "payment-due")
        expect(due!.data.paymentUrl).toBeUndefined()
      }).pipe(Effect.provide(services(noGateway, "https://shop.example.com")))
    })
  })
})
