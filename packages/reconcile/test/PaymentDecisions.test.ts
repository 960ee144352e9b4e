/**
 * Payment decisions kept and settled, on the memory storage (the SQL storage runs the same
 * contract): every decision of a statement import is kept under a stable id, a re-import changes
 * nothing, and the organiser approves (the money applied to an order) or rejects the ones left
 * for review, each idempotently.
 */
import { describe, expect, it } from "@effect/vitest"
import { CommentParser, GroupBuy, IdGenerator, type ParseResult, RoundSpec, Storage } from "@kaituan/core"
import { Effect, Layer, Result } from "effect"
import { Payments } from "../src/index.js"

/** "+N": N cups; "後五碼NNNNN": a payment report. */
const parser: CommentParser.CommentParserService = {
  compile: () => ({
    parse: (text): ParseResult.ParseResult => {
      const paid = /後五碼(\d{5})/.exec(text)
      if (paid) return { intent: "payment", lines: [], reason: "payment", last5: paid[1]!, spans: [] }
      const plus = /\+(\d+)/.exec(text)
      if (plus) return { intent: "order", lines: [{ sku: "CUP", qty: Number(plus[1]) }], reason: "marker", spans: [] }
      return { intent: "none", lines: [], reason: "chatter", spans: [] }
    }
  })
}

const spec = Result.getOrThrow(
  RoundSpec.decode({ id: "cups", title: "保溫杯", products: [{ sku: "CUP", name: "保溫杯", price: 450, stock: 10 }] })
)

const app = () => {
  const core = GroupBuy.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(Storage.layerMemory, CommentParser.layer(parser), IdGenerator.layerCounter))
  )
  return Payments.layer.pipe(Layer.provideMerge(core))
}

const comment = (n: number, user: string, name: string, text: string, at: string): GroupBuy.CommentInput => ({
  channel: "line",
  commentId: `m${n}`,
  author: { id: user, name },
  text,
  at
})

/** A CTBC-style statement: transfers of these amounts (payer accounts …12340, …12341…) and one payment out. */
const statement = (amounts: ReadonlyArray<number>) =>
  [
    "\uFEFF帳號：123-456789012,新臺幣活期存款",
    "查詢期間：2026/05/01~2026/05/31",
    "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
    ...amounts.map(
      (amount, i) =>
        `2026/05/11,跨行轉入,,"${amount.toLocaleString("en-US")}","${(20_000 + i).toLocaleString("en-US")}",,822-*********1234${i},`
    ),
    `2026/05/12,網銀轉出,"1,000",,"21,000",房租,700-*********11111,`
  ].join("\n")

/** 王小明 (2 cups, NT$900, reported 後五碼12340) and Amy (1 cup, NT$450), closed: both await payment. */
const setUp = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  yield* g.openRound({ spec, at: "2026-05-10T10:00:00Z" })
  yield* g.submitComments({
    roundId: "cups",
    comments: [
      comment(1, "U1", "王小明", "+2", "2026-05-10T11:00:00Z"),
      comment(2, "U2", "Amy", "+1", "2026-05-10T11:05:00Z")
    ]
  })
  const [wang, amy] = yield* g.closeRound({ roundId: "cups", at: "2026-05-10T12:00:00Z" })
  yield* g.submitComments({
    roundId: "cups",
    comments: [comment(3, "U1", "王小明", "已轉帳 後五碼12340", "2026-05-11T01:00:00Z")]
  })
  return { g, wang: wang!, amy: amy! }
})

/** [amount, status] of decisions, largest amount first (the matcher decides in time order). */
const byAmount = (ds: ReadonlyArray<{ readonly amount: number; readonly status: string }>) =>
  ds.map((d) => [d.amount, d.status]).sort((a, b) => Number(b[0]) - Number(a[0]))

const one = <D extends { readonly amount: number }>(ds: ReadonlyArray<D>, amount: number): D =>
  ds.find((d) => d.amount === amount)!

const decisionsVersion = Effect.flatMap(Storage.Storage, (s) =>
  Effect.map(s.readStream(Payments.decisionStream("cups")), (r) => r.version)
)

describe("payment decisions", () => {
  it.effect("an import keeps every decision under a stable id; importing it again changes nothing", () =>
    Effect.gen(function* () {
      const { wang, amy } = yield* setUp
      const p = yield* Payments.Payments
      const s = yield* Storage.Storage
      const first = yield* p.importStatement({ roundId: "cups", text: statement([900, 450, 999]) })
      expect(byAmount(first.decisions)).toEqual([
        [999, "unmatched"],
        [900, "matched"],
        [450, "review"],
        [-1000, "ignored"]
      ])
      for (const d of first.decisions) expect(d.decisionId).toBe(`${d.transactionId}@cups`)
      const kept = yield* p.decisions({ roundId: "cups" })
      expect(kept.map((d) => [d.decisionId, d.status, d.amount])).toEqual(
        first.decisions.map((d) => [d.decisionId, d.status, d.amount])
      )
      const review = kept.find((d) => d.status === "review")!
      expect(review).toMatchObject({
        decided: "review",
        candidates: [{ orderIds: [amy.orderId], buyerName: "Amy" }],
        candidateCount: 1
      })
      expect(review.explanation.length).toBeGreaterThan(0)
      expect(kept.find((d) => d.status === "matched")).toMatchObject({
        orderIds: [wang.orderId],
        paymentId: `p_statement_${one(kept, 900).transactionId}`
      })
      expect(byAmount(yield* p.decisions({ roundId: "cups", status: ["review", "unmatched"] }))).toEqual([
        [999, "unmatched"],
        [450, "review"]
      ])

      const version = yield* decisionsVersion
      const events = (yield* s.readAll(0, 10_000)).length
      const again = yield* p.importStatement({
        roundId: "cups",
        file: new TextEncoder().encode(statement([900, 450, 999]))
      })
      expect(again.applied).toBe(0)
      expect(byAmount(again.decisions)).toEqual([
        [999, "unmatched"],
        [900, "ignored"],
        [450, "review"],
        [-1000, "ignored"]
      ])
      for (const amount of [999, 900, 450, -1000])
        expect(one(again.decisions, amount).decisionId).toBe(one(first.decisions, amount).decisionId)
      expect(yield* decisionsVersion).toBe(version)
      expect((yield* s.readAll(0, 10_000)).length).toBe(events)
      expect(yield* p.decisions({ roundId: "cups" })).toEqual(kept)
    }).pipe(Effect.provide(app()))
  )

  it.effect("approve applies a review decision's money to its only candidate (the buyer is told); idempotent", () =>
    Effect.gen(function* () {
      const { amy } = yield* setUp
      const p = yield* Payments.Payments
      const s = yield* Storage.Storage
      const imported = yield* p.importStatement({ roundId: "cups", text: statement([900, 450, 999]) })
      const review = imported.decisions.find((d) => d.status === "review")!
      yield* s.claimOutbox({ limit: 100, leaseMs: 60_000 })
      const approved = yield* p.approveDecision({ decisionId: review.decisionId })
      expect(approved).toMatchObject({
        status: "approved",
        decided: "review",
        orderIds: [amy.orderId],
        paymentId: `p_statement_${review.transactionId}`
      })
      expect(yield* s.order(amy.orderId)).toMatchObject({ status: "paid", paid: 450 })
      const told = (yield* s.claimOutbox({ limit: 100, leaseMs: 60_000 })).map((m) => m.message)
      expect(told.map((m) => [m.kind, m.to.userId])).toEqual([["payment-received", "U2"]])
      const version = yield* decisionsVersion
      expect(yield* p.approveDecision({ decisionId: review.decisionId })).toEqual(approved)
      expect(yield* p.approveDecision({ decisionId: review.decisionId, orderId: amy.orderId })).toEqual(approved)
      expect(yield* decisionsVersion).toBe(version)
      expect(yield* s.order(amy.orderId)).toMatchObject({ paid: 450 })
      expect(yield* Effect.flip(p.rejectDecision({ decisionId: review.decisionId }))).toMatchObject({
        _tag: "PaymentDecisionError",
        reason: "settled"
      })
      // A re-import finds it applied: nothing changes.
      yield* p.importStatement({ roundId: "cups", text: statement([900, 450, 999]) })
      expect(yield* decisionsVersion).toBe(version)
      expect((yield* p.decisions({ roundId: "cups", status: ["approved"] })).map((d) => d.decisionId)).toEqual([
        review.decisionId
      ])
    }).pipe(Effect.provide(app()))
  )

  it.effect("an unmatched decision needs the order named; reject marks it for good and a re-import leaves it", () =>
    Effect.gen(function* () {
      const { wang, amy } = yield* setUp
      const p = yield* Payments.Payments
      const imported = yield* p.importStatement({ roundId: "cups", text: statement([900, 450, 999, 1200]) })
      const matched = one(imported.decisions, 900)
      const unmatched = one(imported.decisions, 999)
      const other = one(imported.decisions, 1200)
      expect([matched.status, unmatched.status, other.status]).toEqual(["matched", "unmatched", "unmatched"])
      expect(yield* Effect.flip(p.approveDecision({ decisionId: unmatched.decisionId }))).toMatchObject({
        reason: "needs-order"
      })
      expect(yield* Effect.flip(p.approveDecision({ decisionId: matched.decisionId }))).toMatchObject({
        reason: "not-open"
      })
      expect(yield* Effect.flip(p.approveDecision({ decisionId: "tx_nope@cups" }))).toMatchObject({
        reason: "unknown-decision"
      })
      expect(yield* Effect.flip(p.approveDecision({ decisionId: "no-at-sign" }))).toMatchObject({
        reason: "unknown-decision"
      })
      expect(
        yield* Effect.flip(p.approveDecision({ decisionId: unmatched.decisionId, orderId: "o_404" }))
      ).toMatchObject({ _tag: "GroupBuyError", reason: "unknown-order" })
      // The organiser knows: the NT$1,200 transfer is Amy's (she paid for a friend too).
      const approved = yield* p.approveDecision({ decisionId: other.decisionId, orderId: amy.orderId })
      expect(approved).toMatchObject({ status: "approved", orderIds: [amy.orderId] })
      const rejected = yield* p.rejectDecision({ decisionId: unmatched.decisionId })
      expect(rejected).toMatchObject({ status: "rejected", decided: "unmatched" })
      expect(yield* p.rejectDecision({ decisionId: unmatched.decisionId })).toEqual(rejected)
      expect(yield* Effect.flip(p.approveDecision({ decisionId: unmatched.decisionId }))).toMatchObject({
        reason: "settled"
      })
      const version = yield* decisionsVersion
      const again = yield* p.importStatement({ roundId: "cups", text: statement([900, 450, 999, 1200]) })
      expect(again.decisions.map((d) => d.decisionId)).not.toContain(unmatched.decisionId)
      // Only the open 450 row is decided again (Amy's order is paid now); the settled ones keep their events.
      const since = yield* Storage.Storage.use((st) => st.readStream(Payments.decisionStream("cups"), version))
      expect(since.events.map((e) => (e.data as { decisionId: string }).decisionId)).toEqual([
        one(imported.decisions, 450).decisionId
      ])
      expect(byAmount(yield* p.decisions({ roundId: "cups" }))).toEqual([
        [1200, "approved"],
        [999, "rejected"],
        [900, "matched"],
        [450, "unmatched"],
        [-1000, "ignored"]
      ])
      expect(yield* Storage.Storage.use((s) => s.order(amy.orderId))).toMatchObject({ paid: 1200 })
      expect((yield* Storage.Storage.use((s) => s.order(wang.orderId)))?.status).toBe("paid")
    }).pipe(Effect.provide(app()))
  )

  it.effect("a changed decision of an open row is kept when new evidence comes (a later import)", () =>
    Effect.gen(function* () {
      const { g, amy } = yield* setUp
      const p = yield* Payments.Payments
      const first = yield* p.importStatement({ roundId: "cups", text: statement([900, 450]) })
      expect(one(first.decisions, 450)).toMatchObject({ status: "review" })
      // Amy reports the account she paid from: the next import matches the row and applies it.
      yield* g.submitComments({
        roundId: "cups",
        comments: [comment(4, "U2", "Amy", "後五碼12341", "2026-05-11T02:00:00Z")]
      })
      const second = yield* p.importStatement({ roundId: "cups", text: statement([900, 450]) })
      expect(one(second.decisions, 450)).toMatchObject({ status: "matched", orderIds: [amy.orderId] })
      expect(second.applied).toBe(1)
      const kept = yield* p.decisions({ roundId: "cups" })
      expect(one(kept, 450)).toMatchObject({ status: "matched", decisionId: one(first.decisions, 450).decisionId })
    }).pipe(Effect.provide(app()))
  )

  it.effect("bad input names the field; an unknown round is core's unknown-round", () =>
    Effect.gen(function* () {
      const p = yield* Payments.Payments
      expect(yield* Effect.flip(p.decisions({ roundId: "" }))).toMatchObject({
        _tag: "PaymentsInputError",
        field: "query.roundId"
      })
      expect(yield* Effect.flip(p.decisions({ roundId: "r", status: ["lost" as never] }))).toMatchObject({
        field: "query.status.0"
      })
      expect(yield* Effect.flip(p.approveDecision({ decisionId: "" }))).toMatchObject({ field: "input.decisionId" })
      expect(yield* Effect.flip(p.rejectDecision({} as never))).toMatchObject({ field: "input.decisionId" })
      expect(yield* Effect.flip(p.decisions({ roundId: "nope" }))).toMatchObject({
        _tag: "GroupBuyError",
        reason: "unknown-round"
      })
    }).pipe(Effect.provide(app()))
  )
})
