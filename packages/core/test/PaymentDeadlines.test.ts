import { describe, expect, it } from "@effect/vitest"
import {
  CommentParser,
  GroupBuy,
  IdGenerator,
  MessageTemplates,
  PaymentDeadlines,
  type ReadModel,
  Scheduler,
  Storage
} from "@kaituan/core"
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

const close = Effect.flatMap(GroupBuy.GroupBuy, (g) => g.closeRound({ roundId: "socks", at: cutoff }))
const byBuyer = (orders: ReadonlyArray<ReadModel.OrderView>, userId: string) =>
  orders.find((o) => o.buyer.id === userId)!
const pay = (orderId: string, amount: number, id: string, at = "2024-05-12T10:00:00+08:00") =>
  Effect.flatMap(GroupBuy.GroupBuy, (g) =>
    g.recordPayment({ transactionId: id, source: "statement", amount, at, orderIds: [orderId], evidence: "test" })
  )
const run = (storage: Storage.StorageService, now: string) =>
  Scheduler.runDue({ now }).pipe(Effect.provideService(Storage.Storage, storage))
// Closed 2024-05-10T14:00Z with P3D: reminder 2024-05-12T14:00Z, deadline 2024-05-13T14:00Z.
const REMINDER = "2024-05-12T14:00:00.000Z"
const DEADLINE = "2024-05-13T14:00:00.000Z"

describe("the payment deadline's jobs", () => {
  it("a day before the deadline, or half-way through a window of two days or less", () => {
    const closed = "2024-05-10T14:00:00.000Z"
    expect(PaymentDeadlines.paymentJobs("socks", closed, { payWithin: "P3D" }).map((j) => [j.kind, j.dueAt])).toEqual([
      ["round.payment-reminder", REMINDER],
      ["round.payment-deadline", DEADLINE]
    ])
    expect(PaymentDeadlines.paymentJobs("socks", closed, { payWithin: "PT12H" }).map((j) => j.dueAt)).toEqual([
      "2024-05-10T20:00:00.000Z",
      "2024-05-11T02:00:00.000Z"
    ])
    expect(PaymentDeadlines.paymentJobs("socks", closed, { payWithin: "P2D" })[0]!.dueAt).toBe(
      "2024-05-11T14:00:00.000Z"
    )
    expect(PaymentDeadlines.paymentJobs("socks", closed, {})).toEqual([])
    expect(PaymentDeadlines.paymentJobs("socks", closed, undefined)).toEqual([])
  })

  it.effect("the close schedules both in its own commit, also when a comment after the cutoff closed the round", () => {
    const byClose = Storage.makeMemory()
    const byComment = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* Effect.gen(function* () {
        yield* openWith({ payWithin: "P3D", unpaid: "cancel" }, [comment("m1", "u1", "紅+1")])
        yield* close
        const jobs = (yield* byClose.jobs({}))
          .filter((j) => j.kind.startsWith("round.payment"))
          .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
        expect(jobs.map((j) => [j.kind, j.dueAt, j.status])).toEqual([
          ["round.payment-reminder", REMINDER, "pending"],
          ["round.payment-deadline", DEADLINE, "pending"]
        ])
        // Closing again schedules nothing new.
        yield* close
        expect((yield* byClose.jobs({})).filter((j) => j.kind.startsWith("round.payment")).length).toBe(2)
      }).pipe(Effect.provide(services(byClose)))
      yield* Effect.gen(function* () {
        const g = yield* GroupBuy.GroupBuy
        yield* openWith({ payWithin: "P3D" }, [comment("m1", "u1", "紅+1")])
        yield* g.submitComments({
          roundId: "socks",
          comments: [{ ...comment("m2", "u2", "白+1"), at: "2024-05-10T23:00:00+08:00" }]
        })
        yield* g.closeRound({ roundId: "socks", at: "2024-05-11T09:00:00+08:00" })
        const jobs = (yield* byComment.jobs({}))
          .filter((j) => j.kind.startsWith("round.payment"))
          .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
        // The deadline counts from the close at the cutoff, not from the later call.
        expect(jobs.map((j) => j.dueAt)).toEqual([REMINDER, DEADLINE])
      }).pipe(Effect.provide(services(byComment)))
    })
  })
})

describe("round.payment-reminder", () => {
  it.effect("reminds each unpaid buyer once, across two workers and a restart; a paid order is not reminded", () => {
    const database = Storage.memoryDatabase()
    const workerA = Storage.makeMemory({ database })
    const workerB = Storage.makeMemory({ database })
    return Effect.gen(function* () {
      yield* openWith({ payment, payWithin: "P3D", unpaid: "cancel" }, [
        comment("m1", "u1", "紅+2"),
        comment("m2", "u2", "白+1"),
        comment("m3", "u3", "杯+1")
      ])
      const orders = yield* close
      yield* pay(byBuyer(orders, "u2").orderId, 130, "row-1")
      yield* pay(byBuyer(orders, "u3").orderId, 100, "row-2")
      expect((yield* run(workerA, "2024-05-12T13:59:59.000Z")).claimed).toBe(0)
      const [a, b] = yield* Effect.all([run(workerA, REMINDER), run(workerB, REMINDER)], { concurrency: "unbounded" })
      expect(a.done + b.done).toBe(1)
      const restarted = Storage.makeMemory({ database })
      const job = (yield* restarted.jobs({})).find((j) => j.kind === "round.payment-reminder")!
      expect(job.status).toBe("done")
      // A worker that died before completing runs it again: nothing new.
      yield* Scheduler.roundPaymentReminder({ ...job, attempts: 2, claim: "x" }).pipe(
        Effect.provideService(Storage.Storage, restarted)
      )
      const reminders = (yield* outbox(restarted)).filter((m) => m.id.endsWith(":payment-reminder"))
      expect(reminders.map((m) => m.data.orderId).sort()).toEqual(
        [byBuyer(orders, "u1").orderId, byBuyer(orders, "u3").orderId].sort()
      )
      const partly = reminders.find((m) => m.data.orderId === byBuyer(orders, "u3").orderId)!
      expect(MessageTemplates.render("payment-due", partly.data).split("\n")).toEqual([
        "⏰ 付款提醒：請付款 NT$350 💰",
        "匯款至 王小美(822) 帳號 123456789012，付款後請回覆帳號後五碼",
        "請於 2024/05/13（一）22:00 前完成付款"
      ])
      expect(MessageTemplates.render("payment-due", partly.data, { locale: "en" }).split("\n")[0]).toBe(
        "⏰ Payment reminder: please pay NT$350 💰"
      )
    }).pipe(Effect.provide(services(workerA)))
  })
})

describe("round.payment-deadline", () => {
  it.effect(
    "unpaid: cancel — cancels once (two workers, a restart); never a paid order; a partly paid one is flagged",
    () => {
      const database = Storage.memoryDatabase()
      const workerA = Storage.makeMemory({ database })
      const workerB = Storage.makeMemory({ database })
      return Effect.gen(function* () {
        yield* openWith({ payment, payWithin: "P3D", unpaid: "cancel" }, [
          comment("m1", "u1", "紅+2"),
          comment("m2", "u2", "白+1"),
          comment("m3", "u3", "杯+1"),
          comment("m4", "u4", "紅+1")
        ])
        const orders = yield* close
        const [o1, o2, o3, o4] = ["u1", "u2", "u3", "u4"].map((u) => byBuyer(orders, u).orderId)
        yield* pay(o2!, 130, "row-1")
        yield* pay(o3!, 100, "row-2")
        yield* run(workerA, REMINDER)
        // A payment that arrives before the deadline (after the reminder) prevents the cancel.
        yield* pay(o4!, 120, "row-3", "2024-05-13T21:00:00+08:00")
        const [a, b] = yield* Effect.all([run(workerA, DEADLINE), run(workerB, DEADLINE)], { concurrency: "unbounded" })
        expect(a.done + b.done).toBe(1)
        const restarted = Storage.makeMemory({ database })
        const job = (yield* restarted.jobs({})).find((j) => j.kind === "round.payment-deadline")!
        yield* Scheduler.roundPaymentDeadline({ ...job, attempts: 2, claim: "x" }).pipe(
          Effect.provideService(Storage.Storage, restarted)
        )
        const status = new Map((yield* restarted.orders({ roundId: "socks" })).map((o) => [o.orderId, o.status]))
        expect([o1, o2, o3, o4].map((id) => status.get(id!))).toEqual(["cancelled", "paid", "awaiting-payment", "paid"])
        const messages = yield* outbox(restarted)
        const cancels = messages.filter((m) => m.kind === "order-cancelled")
        expect(cancels.map((m) => m.id)).toEqual([`order:${o1}:cancelled`])
        expect(MessageTemplates.render("order-cancelled", cancels[0]!.data)).toBe(
          "訂單已取消\n原因：未於付款期限內完成付款"
        )
        expect(MessageTemplates.render("order-cancelled", cancels[0]!.data, { locale: "en" })).toBe(
          "your order was cancelled\nReason: it was not paid by the deadline"
        )
        expect(messages.filter((m) => m.id.endsWith(":payment-overdue")).map((m) => m.data.orderId)).toEqual([o3])
        const flagged = yield* PaymentDeadlines.flaggedOrders("socks").pipe(
          Effect.provideService(Storage.Storage, restarted)
        )
        expect(flagged.map((f) => [f.order.orderId, f.deadline])).toEqual([[o3, DEADLINE]])
      }).pipe(Effect.provide(services(workerA)))
    }
  )

  it.effect("unpaid: flag (the default) — flags every unpaid order once, tells each buyer; paid ones drop off", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* openWith({ payment, payWithin: "P3D" }, [comment("m1", "u1", "紅+2"), comment("m2", "u2", "白+1")])
      const orders = yield* close
      const [o1, o2] = ["u1", "u2"].map((u) => byBuyer(orders, u).orderId)
      const first = yield* PaymentDeadlines.enforceDeadline({ roundId: "socks", deadline: DEADLINE, at: DEADLINE })
      expect(first).toMatchObject({ status: "done", cancelled: [] })
      expect([...first.flagged].sort()).toEqual([o1, o2].sort())
      const again = yield* PaymentDeadlines.enforceDeadline({ roundId: "socks", deadline: DEADLINE, at: DEADLINE })
      expect(again.status).toBe("duplicate")
      const overdue = (yield* outbox(storage)).filter((m) => m.id.endsWith(":payment-overdue"))
      expect(overdue.length).toBe(2)
      expect(MessageTemplates.render("payment-due", overdue[0]!.data).split("\n")).toEqual([
        "⚠️ 付款期限已過：請付款 NT$240 💰",
        "匯款至 王小美(822) 帳號 123456789012，付款後請回覆帳號後五碼",
        "付款期限：2024/05/13（一）22:00，請盡快付款或與團主聯繫"
      ])
      const statuses = (yield* storage.orders({ roundId: "socks" })).map((o) => o.status)
      expect(statuses).toEqual(["awaiting-payment", "awaiting-payment"])
      yield* pay(o1!, 240, "late-1", "2024-05-14T10:00:00+08:00")
      expect((yield* PaymentDeadlines.flaggedOrders("socks")).map((f) => f.order.orderId)).toEqual([o2])
      // Before the deadline it does nothing.
      const early = yield* PaymentDeadlines.enforceDeadline({
        roundId: "socks",
        deadline: DEADLINE,
        at: "2024-05-13T13:00:00.000Z"
      })
      expect(early).toMatchObject({ status: "skipped", reason: "not due yet" })
    }).pipe(Effect.provide(services(storage)))
  })
})

describe("a buyer's 後五碼 report", () => {
  it.effect("is acknowledged once (a retry of the comment queues nothing new), in zh-TW and English", () => {
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* openWith({ payment, payWithin: "P3D" }, [comment("m1", "u1", "紅+2")])
      yield* close
      const report = { ...comment("m2", "u1", "已匯款 240 後五碼12345"), at: "2024-05-11T10:00:00+08:00" }
      const [outcome] = yield* g.submitComments({ roundId: "socks", comments: [report] })
      expect(outcome!.status).toBe("payment-reported")
      yield* g.submitComments({ roundId: "socks", comments: [report] })
      const acks = (yield* outbox(storage)).filter((m) => m.kind === "payment-reported")
      expect(acks.map((m) => [m.id, m.to.userId, m.data])).toEqual([
        ["socks:line:m2:payment-reported", "u1", { last5: "12345", amount: 240 }]
      ])
      expect(MessageTemplates.render("payment-reported", acks[0]!.data)).toBe(
        "收到您的後五碼 12345（NT$240），核對後通知您 🙏"
      )
      expect(MessageTemplates.render("payment-reported", acks[0]!.data, { locale: "en" })).toBe(
        "we got your last five digits 12345 (NT$240); we will let you know once we have checked it 🙏"
      )
      expect(MessageTemplates.render("payment-reported", {})).toBe("收到您的付款通知，核對後通知您 🙏")
    }).pipe(Effect.provide(services(storage)))
  })
})
