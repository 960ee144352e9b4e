/**
 * `@kaituan/reconcile`'s Payments service over the CLI's storage choices (memory, SQLite,
 * PostgreSQL): a statement import applies the matched rows and keeps every decision, re-importing
 * changes nothing, accounts are learned, a gateway callback is applied once however often it is
 * delivered, and bad input is a typed error naming the field.
 */
import { randomUUID } from "node:crypto"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, type PaymentGateway, Storage } from "@kaituan/core"
import { Payments } from "@kaituan/reconcile"
import { Effect } from "effect"
import { appLayer } from "../src/Engine.js"
import { loadRound } from "../src/RoundFile.js"
import { fixtures, tmpDir } from "./support.js"

const pgUrl = process.env.KAITUAN_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const backends: ReadonlyArray<readonly [string, () => string]> = [
  ["memory", () => ":memory:"],
  ["SQLite", () => path.join(tmpDir(), "shop.db")],
  ["PostgreSQL", () => pgUrl]
]

/**
 * A CTBC-style statement: 王小明 names himself in the memo, 600 names nobody, 999 fits nobody, one
 * row goes out. Transaction ids come from the rows (with the balance), and a transfer pays one
 * round ever: a balance of this run's own makes its rows new (PostgreSQL keeps earlier runs).
 */
const statementOf = (run: string) => {
  const b = Number.parseInt(run, 16) % 1_000_000_000
  return [
    "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
    `2024/05/11,轉帳存入,,"120","${b + 1}",王小明,822-*********11111,`,
    `2024/05/11,ATM轉入,,"600","${b + 2}",,812-*********22222,`,
    `2024/05/12,ATM轉入,,"999","${b + 3}",,812-*********33333,`,
    `2024/05/12,網銀轉出,"100",,"${b + 4}",貨款,013-*********89012,`
  ].join("\n")
}

/** A closed round with four orders awaiting payment: 120 (王小明), 130 (李四), 600 (趙六), 450 (錢七). */
const setUp = (run: string) =>
  Effect.gen(function* () {
    const g = yield* GroupBuy.GroupBuy
    const base = loadRound(path.join(fixtures, "socks.round.json")).spec
    const spec = { ...base, id: `pay-${run}` as typeof base.id }
    yield* g.openRound({ spec, at: "2024-05-01T09:00:00+08:00" })
    const buyers = [
      ["王小明", "紅+1"],
      ["李四", "白+1"],
      ["趙六", "蛋黃酥+2"],
      ["錢七", "保溫杯+1"]
    ] as const
    yield* g.submitComments({
      roundId: spec.id,
      comments: buyers.map(([name, text], i) => ({
        channel: "import",
        commentId: `${run}-c${i}`,
        author: { id: `${run}-U${i}`, name },
        text,
        at: `2024-05-02T10:0${i}:00+08:00`
      }))
    })
    const orders = yield* g.closeRound({ roundId: spec.id, at: "2024-05-10T22:00:00+08:00" })
    const byName = new Map(orders.map((o) => [o.buyer.name, o]))
    return { roundId: spec.id, order: (name: string) => byName.get(name)! }
  })

const gatewayPayment = (run: string, over: Partial<PaymentGateway.GatewayPayment>): PaymentGateway.GatewayPayment => ({
  gateway: "newebpay",
  tradeNo: `T-${run}`,
  merchantOrderNo: "none",
  amount: 450,
  status: "paid",
  method: "CREDIT",
  paidAt: "2024-05-11T12:00:00+08:00",
  simulated: false,
  ...over
})

const runOn = <A, E>(db: string, program: Effect.Effect<A, E, GroupBuy.GroupBuy | Storage.Storage>) =>
  Effect.runPromise(Effect.scoped(Effect.provide(program, appLayer(db))))

describe("Payments service", () => {
  for (const [name, db] of backends)
    describe(`on ${name}`, () => {
      it("applies a statement's matched rows, keeps every decision, learns the account; re-importing changes nothing", async () => {
        const run = randomUUID().slice(0, 8)
        await runOn(
          db(),
          Effect.gen(function* () {
            const { roundId, order } = yield* setUp(run)
            const payments = yield* Payments.make()
            const storage = yield* Storage.Storage
            const statement = statementOf(run)
            const first = yield* payments.importStatement({ roundId, text: statement })
            expect(first.layout).toBe("ctbc")
            // Decisions come in time order; one per row.
            const status = (r: typeof first) => new Map(r.decisions.map((d) => [d.amount, d.status]))
            const at = (r: typeof first, amount: number) => r.decisions.find((d) => d.amount === amount)!
            expect(first.decisions).toHaveLength(4)
            expect(status(first)).toEqual(
              new Map([
                [120, "matched"],
                [600, "review"],
                [999, "unmatched"],
                [-100, "ignored"]
              ])
            )
            for (const d of first.decisions) expect(d.explanation.length).toBeGreaterThan(0)
            expect(at(first, 120).orderIds).toEqual([order("王小明").orderId])
            expect(at(first, 600).candidates.map((c) => c.orderIds)).toEqual([[order("趙六").orderId]])
            expect(first.applied).toBe(1)
            expect(first.appliedAmount).toBe(120)
            expect((yield* storage.order(order("王小明").orderId))?.status).toBe("paid")
            expect((yield* storage.order(order("趙六").orderId))?.status).toBe("awaiting-payment")
            const buyer = yield* storage.buyer(order("王小明").buyerId)
            expect(buyer?.accounts.map((a) => a.last5)).toContain("11111")

            const again = yield* payments.importStatement({ roundId, file: new TextEncoder().encode(statement) })
            expect(again.applied).toBe(0)
            expect(again.appliedAmount).toBe(0)
            expect(at(again, 120)).toMatchObject({ status: "ignored", reason: "already-applied" })
            const paid = yield* storage.order(order("王小明").orderId)
            expect(paid?.paid).toBe(120)
          })
        )
      })

      it("applies a gateway callback once however often it is delivered; a wrong amount is kept for review", async () => {
        const run = randomUUID().slice(0, 8)
        await runOn(
          db(),
          Effect.gen(function* () {
            const { roundId, order } = yield* setUp(run)
            const payments = yield* Payments.make()
            const storage = yield* Storage.Storage
            const payment = gatewayPayment(run, { merchantOrderNo: order("錢七").orderId })
            const first = yield* payments.applyGatewayPayment({ roundId, payment })
            expect(first).toMatchObject({ decision: "matched", accepted: true, orderIds: [order("錢七").orderId] })
            expect(first.fields).toEqual({
              gateway: "newebpay",
              paymentStatus: "paid",
              paymentMethod: "CREDIT",
              simulated: false,
              decision: "matched",
              reason: first.reason
            })
            const redelivered = yield* payments.applyGatewayPayment({ roundId, payment })
            expect(redelivered.decision).toBe("duplicate")
            expect(redelivered.accepted).toBe(false)
            expect((yield* storage.order(order("錢七").orderId))?.paid).toBe(450)

            const short = gatewayPayment(run, {
              tradeNo: `S-${run}`,
              merchantOrderNo: order("李四").orderId,
              amount: 100
            })
            const review = yield* payments.applyGatewayPayment({ roundId, payment: short })
            expect(review.decision).toBe("review")
            expect(review.accepted).toBe(false)
            const kept = yield* storage.readStream(Storage.paymentStream(`p_gateway_newebpay:S-${run}:paid`))
            expect(kept.version).toBeGreaterThan(0)
            expect((yield* storage.order(order("李四").orderId))?.status).toBe("awaiting-payment")

            const pending = yield* payments.applyGatewayPayment({
              roundId,
              payment: gatewayPayment(run, { tradeNo: `P-${run}`, status: "pending" })
            })
            expect(pending).toMatchObject({ decision: "ignored", reason: "gateway-pending" })
          })
        )
      })
    })

  it("bad input is a typed error naming the field, and changes nothing", async () => {
    const run = randomUUID().slice(0, 8)
    await runOn(
      ":memory:",
      Effect.gen(function* () {
        const { roundId } = yield* setUp(run)
        const payments = yield* Payments.make()
        const statement = statementOf(run)
        const noRound = yield* Effect.flip(payments.importStatement({ roundId: "", text: statement }))
        expect(noRound).toMatchObject({ _tag: "PaymentsInputError", field: "statement.roundId" })
        const both = yield* Effect.flip(
          payments.importStatement({ roundId, text: statement, file: new Uint8Array([1]) })
        )
        expect(both).toMatchObject({ _tag: "PaymentsInputError", field: "statement.file" })
        const format = yield* Effect.flip(
          payments.importStatement({ roundId, text: statement, format: "swift" as never })
        )
        expect(format).toMatchObject({ _tag: "PaymentsInputError", field: "statement.format" })
        const amount = yield* Effect.flip(
          payments.applyGatewayPayment({
            roundId,
            payment: { ...gatewayPayment(run, {}), amount: "450" as never }
          })
        )
        expect(amount).toMatchObject({ _tag: "PaymentsInputError", field: "input.payment.amount" })
        expect(amount.message).not.toContain("450")
        const unknown = yield* Effect.flip(payments.importStatement({ roundId: `no-${run}`, text: statement }))
        expect(unknown).toMatchObject({ _tag: "GroupBuyError", reason: "unknown-round" })
      })
    )
  })
})
