import { describe, expect, it } from "@effect/vitest"
import { Matcher } from "../src/index.js"
import { decisionOf, order, orderOf, tx } from "./helpers.js"

const kinds = (d: Matcher.Decision) => d.evidence.map((e) => e.kind)

describe("matched: exact amount and identity evidence", () => {
  it("by the last five digits the buyer reported on the order", () => {
    const t = tx(1300, { bankCode: "822", last5: "45678" })
    const r = Matcher.match({ orders: [order("o1", "王小明", 1300, { last5: "45678" })], transactions: [t] })
    const d = decisionOf(r, t.id)
    expect(d.status).toBe("matched")
    expect(d.reason).toBe("exact-amount-and-identity")
    expect(d.orderIds).toEqual(["o1"])
    expect(d.buyerId).toBe("王小明")
    expect(d.allocations).toEqual([{ orderId: "o1", amount: 1300 }])
    expect(kinds(d)).toEqual(["amount", "reported-last5"])
    expect(d.explanation).toContain("45678")
    expect(orderOf(r, "o1")).toEqual({
      orderId: "o1",
      buyerId: "王小明",
      due: 1300,
      paid: 1300,
      status: "paid",
      transactionIds: [t.id]
    })
    expect(r.applications).toEqual([
      {
        transactionId: t.id,
        source: "statement",
        buyerId: "王小明",
        amount: 1300,
        at: t.at,
        bankCode: "822",
        last5: "45678",
        orderIds: ["o1"],
        allocations: [{ orderId: "o1", amount: 1300 }],
        evidence: d.explanation
      }
    ])
    expect(r.learned).toEqual([
      { buyerId: "王小明", bankCode: "822", last5: "45678", since: t.at, transactionId: t.id }
    ])
  })

  it("by the buyer's name in the memo", () => {
    const t = tx(1950, { memo: "王小明 芒果3箱", last5: "54321" })
    const r = Matcher.match({ orders: [order("o1", "王小明", 1950), order("o2", "陳大華", 1950)], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "matched", orderIds: ["o1"], buyerId: "王小明" })
    expect(kinds(decisionOf(r, t.id))).toContain("memo-name")
  })

  it("by an order id in the memo, as a whole word only", () => {
    const orders = [order("o1", "A", 500), order("o12", "B", 500)]
    const a = tx(500, { memo: "付款 O12 謝謝" })
    const r = Matcher.match({ orders, transactions: [a] })
    expect(decisionOf(r, a.id)).toMatchObject({ status: "matched", orderIds: ["o12"] })
  })

  it("pays one buyer's two orders with one transfer (a combined payment)", () => {
    const t = tx(1300, { last5: "11111" })
    const r = Matcher.match({
      orders: [order("r1", "小美", 800, { last5: "11111" }), order("r2", "小美", 500), order("x", "別人", 1300)],
      transactions: [t]
    })
    const d = decisionOf(r, t.id)
    expect(d.status).toBe("matched")
    expect(d.orderIds).toEqual(["r1", "r2"])
    expect(d.allocations).toEqual([
      { orderId: "r1", amount: 800 },
      { orderId: "r2", amount: 500 }
    ])
    expect(orderOf(r, "r1").status).toBe("paid")
    expect(orderOf(r, "r2").status).toBe("paid")
    expect(orderOf(r, "x").status).toBe("unpaid")
  })

  it("by an account learned from an earlier match, for later rows only", () => {
    const first = tx(500, { memo: "陳大華", bankCode: "812", last5: "12345", at: "2024-04-02T09:00:00+08:00" })
    const sameTime = tx(800, { bankCode: "812", last5: "12345", at: "2024-04-02T09:00:00+08:00" })
    const later = tx(650, { bankCode: "812", last5: "12345", at: "2024-04-03T09:00:00+08:00" })
    const r = Matcher.match({
      orders: [order("a", "陳大華", 500), order("b", "陳大華", 650), order("c", "陳大華", 800)],
      transactions: [later, sameTime, first]
    })
    expect(decisionOf(r, first.id)).toMatchObject({ status: "matched", orderIds: ["a"] })
    expect(decisionOf(r, later.id)).toMatchObject({ status: "matched", orderIds: ["b"] })
    expect(kinds(decisionOf(r, later.id))).toContain("learned-account")
    // Learned at 09:00 counts only after 09:00: the row with the same time is not identified.
    expect(decisionOf(r, sameTime.id)).toMatchObject({ status: "review", reason: "amount-fits-no-identity" })
  })

  it("by an account learned before the run, when the bank code agrees", () => {
    const ok = tx(650, { bankCode: "812", last5: "12345" })
    const otherBank = tx(650, { bankCode: "700", last5: "12345", at: "2024-04-02T11:00:00+08:00" })
    const r = Matcher.match({
      orders: [order("b", "陳大華", 650), order("c", "陳大華", 650, { placedAt: "2024-04-01T11:00:00+08:00" })],
      transactions: [ok, otherBank],
      learned: [{ buyerId: "陳大華", bankCode: "812", last5: "12345" }]
    })
    expect(decisionOf(r, ok.id)).toMatchObject({ status: "review", reason: "ambiguous-orders" })
    const single = Matcher.match({
      orders: [order("b", "陳大華", 650)],
      transactions: [otherBank],
      learned: [{ buyerId: "陳大華", bankCode: "812", last5: "12345" }]
    })
    expect(decisionOf(single, otherBank.id)).toMatchObject({ status: "review", reason: "amount-fits-no-identity" })
  })

  it("by the last five digits the buyer reported in a comment", () => {
    const t = tx(980, { last5: "24680" })
    const r = Matcher.match({
      orders: [order("o1", "U1", 980), order("o2", "U2", 980)],
      transactions: [t],
      reports: [{ buyerId: "U2", last5: "24680", amount: 980 }]
    })
    const d = decisionOf(r, t.id)
    expect(d).toMatchObject({ status: "matched", orderIds: ["o2"] })
    expect(d.evidence).toContainEqual({ kind: "reported-last5", buyerId: "U2", last5: "24680", via: "comment" })
    expect(d.evidence).toContainEqual({ kind: "reported-amount", buyerId: "U2", amount: 980 })
  })

  it("applies the rest of a partly paid order", () => {
    const t = tx(800, { last5: "45678" })
    const r = Matcher.match({ orders: [order("o1", "U1", 1300, { last5: "45678", paid: 500 })], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "matched", allocations: [{ orderId: "o1", amount: 800 }] })
    expect(orderOf(r, "o1")).toMatchObject({ paid: 1300, status: "paid" })
  })

  it("uses the memo's order id to choose between a buyer's equal orders", () => {
    const t = tx(1300, { last5: "45678", memo: "o2" })
    const r = Matcher.match({
      orders: [order("o1", "U1", 1300, { last5: "45678" }), order("o2", "U1", 1300)],
      transactions: [t]
    })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "matched", orderIds: ["o2"] })
  })
})

describe("review: a candidate, but not certain", () => {
  it("amount fits, nobody identified (an ATM transfer without memo)", () => {
    const t = tx(650, { bankCode: "812", last5: "12345" })
    const r = Matcher.match({ orders: [order("o1", "U1", 650)], transactions: [t] })
    const d = decisionOf(r, t.id)
    expect(d).toMatchObject({
      status: "review",
      reason: "amount-fits-no-identity",
      orderIds: ["o1"],
      candidateCount: 1
    })
    expect(d.candidates[0]).toMatchObject({ buyerId: "U1", orderIds: ["o1"], fit: "exact", identified: false })
    expect(r.applications).toEqual([])
    expect(orderOf(r, "o1").status).toBe("unpaid")
  })

  it("amount fits, no account on the row at all", () => {
    const t = tx(650)
    const r = Matcher.match({ orders: [order("o1", "U1", 650)], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "review", reason: "amount-fits-no-identity" })
    expect(decisionOf(r, t.id).explanation).toContain("no account")
  })

  it("amount fits the sum of one buyer's open orders, nobody identified", () => {
    const t = tx(1300)
    const r = Matcher.match({ orders: [order("o1", "U1", 800), order("o2", "U1", 500)], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({
      status: "review",
      reason: "amount-fits-no-identity",
      orderIds: ["o1", "o2"]
    })
  })

  it("two buyers with the same amount and no identity", () => {
    const t = tx(1300)
    const r = Matcher.match({ orders: [order("o1", "U1", 1300), order("o2", "U2", 1300)], transactions: [t] })
    const d = decisionOf(r, t.id)
    expect(d).toMatchObject({ status: "review", reason: "amount-fits-no-identity", candidateCount: 2 })
    expect(d.candidates.map((c) => c.buyerId).sort()).toEqual(["U1", "U2"])
  })

  it("two buyers reported the same last five digits and owe the same amount", () => {
    const t = tx(1300, { last5: "12345" })
    const r = Matcher.match({
      orders: [order("o1", "U1", 1300, { last5: "12345" }), order("o2", "U2", 1300, { last5: "12345" })],
      transactions: [t]
    })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "review", reason: "ambiguous-buyers", orderIds: ["o1", "o2"] })
  })

  it("the memo names another buyer than the account does", () => {
    const t = tx(1300, { last5: "12345", memo: "陳大華" })
    const r = Matcher.match({
      orders: [order("o1", "王小明", 1300, { last5: "12345" }), order("o2", "陳大華", 500)],
      transactions: [t]
    })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "review", reason: "ambiguous-buyers" })
  })

  it("identified, but a partial payment", () => {
    const t = tx(1000, { last5: "45678" })
    const r = Matcher.match({ orders: [order("o1", "U1", 1300, { last5: "45678" })], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({
      status: "review",
      reason: "identity-amount-differs",
      detail: "partial",
      orderIds: ["o1"]
    })
    expect(decisionOf(r, t.id).candidates[0]).toMatchObject({ fit: "short", open: 1300 })
    expect(orderOf(r, "o1").paid).toBe(0)
  })

  it("identified, but an overpayment (fees included)", () => {
    const t = tx(1315, { memo: "王小明" })
    const r = Matcher.match({ orders: [order("o1", "王小明", 1300)], transactions: [t] })
    expect(decisionOf(r, t.id)).toMatchObject({
      status: "review",
      reason: "identity-amount-differs",
      detail: "overpaid"
    })
  })

  it("a duplicate transfer: the second one finds the order already paid", () => {
    const a = tx(1300, { last5: "45678", at: "2024-04-02T10:00:00+08:00" })
    const b = tx(1300, { last5: "45678", at: "2024-04-02T10:05:00+08:00" })
    const r = Matcher.match({ orders: [order("o1", "U1", 1300, { last5: "45678" })], transactions: [b, a] })
    expect(decisionOf(r, a.id).status).toBe("matched")
    const d = decisionOf(r, b.id)
    expect(d).toMatchObject({ status: "review", reason: "already-paid", orderIds: ["o1"] })
    expect(d.evidence).toContainEqual({ kind: "already-paid", orderId: "o1", transactionIds: [a.id] })
    expect(orderOf(r, "o1")).toMatchObject({ paid: 1300, status: "paid" })
    expect(r.summary).toMatchObject({ matched: 1, review: 1, applied: 1300 })
  })

  it("one buyer's two order sets fit", () => {
    const t = tx(1300, { last5: "45678" })
    const r = Matcher.match({
      orders: [order("a", "U1", 1300, { last5: "45678" }), order("b", "U1", 800), order("c", "U1", 500)],
      transactions: [t]
    })
    const d = decisionOf(r, t.id)
    expect(d).toMatchObject({ status: "review", reason: "ambiguous-orders" })
    expect(d.candidates.map((c) => c.orderIds)).toEqual([["a"], ["b", "c"]])
  })
})

describe("the date window", () => {
  const orders = [order("o1", "U1", 1300, { last5: "45678", placedAt: "2024-04-10T12:00:00+08:00" })]

  it("identity before the order was placed is not evidence", () => {
    const t = tx(1300, { last5: "45678", at: "2024-04-10T11:59:00+08:00" })
    const d = decisionOf(Matcher.match({ orders, transactions: [t] }), t.id)
    expect(d).toMatchObject({ status: "review", reason: "amount-fits-no-identity" })
    expect(kinds(d)).toContain("outside-window")
  })

  it("more than 30 days after is not evidence; the window is configurable", () => {
    const t = tx(1300, { last5: "45678", at: "2024-05-10T12:00:01+08:00" })
    expect(decisionOf(Matcher.match({ orders, transactions: [t] }), t.id).status).toBe("review")
    const inside = tx(1300, { last5: "45678", at: "2024-05-10T12:00:00+08:00" })
    expect(decisionOf(Matcher.match({ orders, transactions: [inside] }), inside.id).status).toBe("matched")
    expect(decisionOf(Matcher.match({ orders, transactions: [t], options: { windowDays: 45 } }), t.id).status).toBe(
      "matched"
    )
  })

  it("a date-only row counts from the day the order was placed", () => {
    const sameDay = tx(1300, { last5: "45678", date: "2024-04-10", dateOnly: true })
    const dayBefore = tx(1300, { last5: "45678", date: "2024-04-09", dateOnly: true })
    expect(sameDay.at).toBe("2024-04-10T00:00:00+08:00")
    expect(decisionOf(Matcher.match({ orders, transactions: [sameDay] }), sameDay.id).status).toBe("matched")
    expect(decisionOf(Matcher.match({ orders, transactions: [dayBefore] }), dayBefore.id).status).toBe("review")
  })
})

describe("unmatched and ignored", () => {
  it("no open order of that amount and nobody identified", () => {
    const t = tx(777, { last5: "99999" })
    const d = decisionOf(Matcher.match({ orders: [order("o1", "U1", 1300)], transactions: [t] }), t.id)
    expect(d).toMatchObject({ status: "unmatched", reason: "no-candidate", orderIds: [], candidates: [] })
  })

  it("money going out and zero amounts are ignored", () => {
    const out = tx(-1000, { last5: "45678" })
    const zero = tx(0)
    const r = Matcher.match({ orders: [order("o1", "U1", 1000, { last5: "45678" })], transactions: [out, zero] })
    expect(decisionOf(r, out.id)).toMatchObject({ status: "ignored", reason: "money-out" })
    expect(decisionOf(r, zero.id)).toMatchObject({ status: "ignored", reason: "zero-amount" })
    expect(orderOf(r, "o1").paid).toBe(0)
  })

  it("an already-applied transaction changes nothing", () => {
    const t = tx(1300, { last5: "45678" })
    const r = Matcher.match({
      orders: [order("o1", "U1", 1300, { last5: "45678" })],
      transactions: [t],
      applied: [t.id]
    })
    expect(decisionOf(r, t.id)).toMatchObject({ status: "ignored", reason: "already-applied" })
    expect(r.applications).toEqual([])
  })

  it("the same row twice in one input counts once", () => {
    const t = tx(1300, { last5: "45678" })
    const r = Matcher.match({ orders: [order("o1", "U1", 1300, { last5: "45678" })], transactions: [t, t] })
    expect(r.decisions.map((d) => d.reason).sort()).toEqual(["duplicate-row", "exact-amount-and-identity"])
    expect(r.summary.applied).toBe(1300)
  })
})

describe("orders' payment status", () => {
  it("is unpaid, partial, paid or overpaid", () => {
    const r = Matcher.match({
      orders: [
        order("u", "A", 100),
        order("p", "B", 100, { paid: 40 }),
        order("f", "C", 100, { payments: [{ amount: 100 }] }),
        order("o", "D", 100, { paid: 150 })
      ],
      transactions: []
    })
    expect(r.orders.map((o) => [o.orderId, o.status, o.paid])).toEqual([
      ["u", "unpaid", 0],
      ["p", "partial", 40],
      ["f", "paid", 100],
      ["o", "overpaid", 150]
    ])
  })
})

describe("carryOver", () => {
  it("makes a second run over the same rows change nothing", () => {
    const a = tx(500, { memo: "陳大華", last5: "12345", at: "2024-04-02T09:00:00+08:00" })
    const b = tx(650, { last5: "12345", at: "2024-04-03T09:00:00+08:00" })
    const c = tx(300, { at: "2024-04-03T10:00:00+08:00" })
    const input: Matcher.Input = {
      orders: [order("x", "陳大華", 500), order("y", "陳大華", 650), order("z", "U9", 300)],
      transactions: [a, b, c]
    }
    const first = Matcher.match(input)
    expect(first.summary.matched).toBe(2)
    const second = Matcher.match(Matcher.carryOver(input, first))
    expect(second.summary.matched).toBe(0)
    expect(second.orders).toEqual(first.orders.map((o) => ({ ...o, transactionIds: [] })))
    expect(decisionOf(second, a.id).reason).toBe("already-applied")
    expect(decisionOf(second, c.id)).toEqual(decisionOf(first, c.id))
  })
})
