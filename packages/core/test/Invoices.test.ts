import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { Decider, Invoices, InvoicingContract, Invoicing } from "../src/index.js"

const request = InvoicingContract.sampleIssue("o_1", "/ABC+123")
const invoice = (n: number): Invoicing.Invoice => ({
  orderId: "o_1",
  relateNumber: Invoicing.relateNumberOf("o_1"),
  invoiceNo: `UV${String(11100000 + n).padStart(8, "0")}`,
  invoiceDate: "2024-05-01 12:00:00",
  randomNumber: "1234",
  amount: 1180
})
const at = "2024-05-01T04:00:00.000Z"

const command: fc.Arbitrary<Invoices.Command> = fc.oneof(
  fc.constant<Invoices.Command>({ _tag: "Request", request, at }),
  fc.integer({ min: 0, max: 2 }).map((n): Invoices.Command => ({ _tag: "RecordIssued", invoice: invoice(n), at })),
  fc.constant<Invoices.Command>({
    _tag: "RecordFailed",
    error: new Invoicing.InvoicingError({ reason: "unavailable", message: "down" }),
    at
  }),
  fc.constantFrom("r1", "r2", "r3").map((refundId): Invoices.Command => ({ _tag: "RecordVoided", refundId, at })),
  fc.tuple(fc.constantFrom("r1", "r2", "r3"), fc.integer({ min: 1, max: 1200 })).map(
    ([refundId, amount]): Invoices.Command => ({
      _tag: "RecordAllowance",
      refundId,
      amount,
      allowance: { invoiceNo: "x", allowanceNo: `A${refundId}`, date: at, remaining: 0 },
      at
    })
  )
)

/** Runs the commands, skipping refused ones: every event the aggregate would store. */
const history = (commands: ReadonlyArray<Invoices.Command>) => {
  let state = Invoices.decider.initialState
  const events: Array<Invoices.InvoiceEvent> = []
  for (const c of commands) {
    const r = Decider.run(Invoices.decider, c, state)
    if (Result.isSuccess(r)) {
      events.push(...r.success.events)
      state = r.success.state
    }
  }
  return { events, state }
}

describe("the Invoice decider", () => {
  it("property: one issued invoice per request; each refund voids or makes an allowance, never both, never twice", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (commands) => {
        const { events, state } = history(commands)
        const requests = events.filter((e) => e._tag === "InvoiceRequested").length
        const issued = events.filter((e) => e._tag === "InvoiceIssued")
        expect(issued.length).toBeLessThanOrEqual(requests)
        for (const seq of new Set(issued.map((e) => e.sequence)))
          expect(issued.filter((e) => e.sequence === seq)).toHaveLength(1)
        const byRefund = new Map<string, number>()
        for (const e of events)
          if (e._tag === "InvoiceVoided" || e._tag === "InvoiceAllowanceMade")
            byRefund.set(e.refundId, (byRefund.get(e.refundId) ?? 0) + 1)
        for (const n of byRefund.values()) expect(n).toBe(1)
        // no allowance on a voided invoice, no void once an allowance exists (within one invoice)
        let voided = false
        let allowed = 0
        for (const e of events) {
          if (e._tag === "InvoiceIssued") {
            voided = false
            allowed = 0
          }
          if (e._tag === "InvoiceVoided") {
            expect(allowed).toBe(0)
            voided = true
          }
          if (e._tag === "InvoiceAllowanceMade") {
            expect(voided).toBe(false)
            allowed += e.amount
            expect(allowed).toBeLessThanOrEqual(1180)
          }
        }
        // the state is the fold of the events
        expect(Decider.fold(Invoices.decider, events)).toEqual(state)
      })
    )
  })

  it("a request after a void takes the next sequence; a second request while one is pending changes nothing", () => {
    const { events, state } = history([
      { _tag: "Request", request, at },
      { _tag: "Request", request, at },
      { _tag: "RecordIssued", invoice: invoice(0), at },
      { _tag: "RecordVoided", refundId: "r1", at },
      { _tag: "Request", request, at }
    ])
    expect(events.map((e) => e._tag)).toEqual([
      "InvoiceRequested",
      "InvoiceIssued",
      "InvoiceVoided",
      "InvoiceRequested"
    ])
    expect(state.sequence).toBe(1)
    expect(state.request?.sequence).toBe(1)
  })

  it("a different invoice number for an issued order is refused", () => {
    const { state } = history([
      { _tag: "Request", request, at },
      { _tag: "RecordIssued", invoice: invoice(0), at }
    ])
    const r = Invoices.decider.decide({ _tag: "RecordIssued", invoice: invoice(1), at }, state)
    expect(Result.isFailure(r) && r.failure.reason).toBe("already-issued")
    expect(Invoices.invoiceStream("o_1")).toBe("invoice:o_1")
  })
})
