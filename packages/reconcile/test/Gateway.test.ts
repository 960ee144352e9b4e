import type { PaymentGateway } from "@kaituan/core"
import { describe, expect, it } from "@effect/vitest"
import { Option, Result } from "effect"
import { Gateway, Matcher, PaymentReport } from "../src/index.js"
import { decisionOf, order } from "./helpers.js"

// The NewebPay VACC notify of research/protocols.md §5.2, normalised.
const newebpay: PaymentGateway.GatewayPayment = {
  gateway: "newebpay",
  tradeNo: "24050112000012345",
  merchantOrderNo: "GB20240501A1",
  amount: 1280,
  status: "paid",
  method: "VACC",
  paidAt: "2024-05-01 12:34:56",
  payerBankCode: "812",
  payerLast5: "12345",
  simulated: false
}

const toTx = (p: PaymentGateway.GatewayPayment, options?: Gateway.Options) =>
  Result.getOrThrowWith(Gateway.fromGatewayPayment(p, options), (e) => new Error(e.message))

describe("fromGatewayPayment", () => {
  it("turns a NewebPay ATM payment into a transaction", () => {
    expect(toTx(newebpay)).toEqual({
      id: "gw:newebpay:24050112000012345",
      source: "gateway",
      date: "2024-05-01",
      time: "12:34:56",
      at: "2024-05-01T12:34:56+08:00",
      amount: 1280,
      memo: "",
      description: "newebpay VACC",
      orderRef: "GB20240501A1",
      bankCode: "812",
      last5: "12345",
      gateway: { gateway: "newebpay", tradeNo: "24050112000012345", status: "paid", simulated: false, method: "VACC" }
    })
  })

  it("reads ECPay's slash dates and ISO times", () => {
    expect(toTx({ ...newebpay, gateway: "ecpay", paidAt: "2024/05/01 12:34:56" }).at).toBe("2024-05-01T12:34:56+08:00")
    expect(toTx({ ...newebpay, paidAt: "2024-05-01T04:34:56Z" }).at).toBe("2024-05-01T12:34:56+08:00")
  })

  it("refuses a paid payment without a time, or with an unreadable one", () => {
    const { paidAt: _p, ...noTime } = newebpay
    const a = Gateway.fromGatewayPayment(noTime)
    expect(Result.isFailure(a) && a.failure.reason).toBe("no-time")
    expect(toTx(noTime, { receivedAt: "2024-05-01T12:00:00+08:00" }).at).toBe("2024-05-01T12:00:00+08:00")
    const b = Gateway.fromGatewayPayment({ ...newebpay, paidAt: "yesterday" })
    expect(Result.isFailure(b) && b.failure.reason).toBe("bad-time")
  })

  it("maps merchant order numbers back to orders when asked", () => {
    expect(toTx(newebpay, { orderIdOf: (no) => (no === "GB20240501A1" ? "socks/王小明" : undefined) }).orderRef).toBe(
      "socks/王小明"
    )
  })
})

describe("gateway payments through the matcher", () => {
  const orders = [
    order("GB20240501A1", "王小明", 1280, { placedAt: "2024-05-01T10:00:00+08:00" }),
    order("other", "陳大華", 1280, { placedAt: "2024-05-01T10:00:00+08:00" })
  ]

  it("a merchant order number naming the order is identity evidence", () => {
    const t = toTx(newebpay)
    const d = decisionOf(Matcher.match({ orders, transactions: [t] }), t.id)
    expect(d).toMatchObject({ status: "matched", orderIds: ["GB20240501A1"], buyerId: "王小明" })
    expect(d.evidence).toContainEqual({
      kind: "gateway-order",
      buyerId: "王小明",
      orderId: "GB20240501A1",
      merchantOrderNo: "GB20240501A1"
    })
  })

  it("finds the order from its gateway-safe number", () => {
    const t = toTx({ ...newebpay, merchantOrderNo: "GB2024_05A1" })
    const r = Matcher.match({
      orders: [order("GB-2024_05/A1", "王小明", 1280, { placedAt: "2024-05-01T10:00:00+08:00" })],
      transactions: [t]
    })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "matched", orderIds: ["GB-2024_05/A1"] })
  })

  it("an ATM payment without an order reference is decided by the last five digits like a bank row", () => {
    const t = toTx({ ...newebpay, merchantOrderNo: "unknown-no" })
    const reported = Matcher.match({
      orders: [orders[0]!, order("o2", "陳大華", 1280, { last5: "12345", placedAt: "2024-05-01T10:00:00+08:00" })],
      transactions: [t]
    })
    expect(decisionOf(reported, t.id)).toMatchObject({ status: "matched", orderIds: ["o2"] })
    const nobody = Matcher.match({ orders, transactions: [t] })
    expect(decisionOf(nobody, t.id)).toMatchObject({ status: "review", reason: "amount-fits-no-identity" })
  })

  it("pending, failed and simulated payments are never money", () => {
    const pending = toTx({ ...newebpay, tradeNo: "p", status: "pending" })
    const failed = toTx({ ...newebpay, tradeNo: "f", status: "failed" })
    const simulated = toTx({ ...newebpay, tradeNo: "s", simulated: true })
    const r = Matcher.match({ orders, transactions: [pending, failed, simulated] })
    expect(r.decisions.map((d) => [d.transactionId, d.status, d.reason])).toEqual(
      expect.arrayContaining([
        ["gw:newebpay:p", "ignored", "gateway-pending"],
        ["gw:newebpay:f", "ignored", "gateway-failed"],
        ["gw:newebpay:s", "ignored", "simulated"]
      ])
    )
    expect(r.summary.applied).toBe(0)
  })

  it("a redelivered notification is the same transaction and is applied once", () => {
    const t = toTx(newebpay)
    const again = toTx(newebpay)
    const r = Matcher.match({ orders, transactions: [t, again] })
    expect(r.summary).toMatchObject({ matched: 1, applied: 1280 })
  })
})

describe("PaymentReport.fromComment", () => {
  const parsed = { intent: "payment" as const, lines: [], reason: "已匯款", spans: [] }

  it("turns a payment comment into the buyer's reported digits and amount", () => {
    expect(
      PaymentReport.fromComment(
        { ...parsed, amount: 1300, last5: "12345" },
        { id: "U1" },
        { id: "c9", at: "2024-04-02T11:00:00+08:00" }
      )
    ).toEqual(
      Option.some({ buyerId: "U1", last5: "12345", amount: 1300, at: "2024-04-02T11:00:00+08:00", commentId: "c9" })
    )
    expect(PaymentReport.fromComment({ ...parsed, last5: "12345" }, { id: "U1" })).toEqual(
      Option.some({ buyerId: "U1", last5: "12345" })
    )
  })

  it("ignores other intents and payment comments without numbers", () => {
    expect(PaymentReport.fromComment({ ...parsed, intent: "order" }, { id: "U1" })).toEqual(Option.none())
    expect(PaymentReport.fromComment(parsed, { id: "U1" })).toEqual(Option.none())
  })

  it("the reported digits identify the buyer for the matcher", () => {
    const report = Option.getOrThrow(
      PaymentReport.fromComment({ ...parsed, amount: 650, last5: "54321" }, { id: "U2" })
    )
    const t = {
      id: "t",
      source: "statement" as const,
      date: "2024-04-02",
      time: "10:00:00",
      at: "2024-04-02T10:00:00+08:00",
      amount: 650,
      memo: "",
      last5: "54321"
    }
    const r = Matcher.match({
      orders: [order("o1", "U1", 650), order("o2", "U2", 650)],
      transactions: [t],
      reports: [report]
    })
    expect(decisionOf(r, "t")).toMatchObject({ status: "matched", orderIds: ["o2"] })
  })
})
