/**
 * The shared contract every {@link InvoicingService} must keep, as data: named cases run against
 * a {@link Harness} (the implementation wired to a stand-in of the vendor). With `@effect/vitest`:
 *
 * ```ts
 * import { InvoicingContract } from "@kaituan/core"
 * for (const c of InvoicingContract.cases) it.live(c.name, () => c.run(harness))
 * ```
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { type IssueInput, type InvoicingService, relateNumberOf } from "./Invoicing.js"

/** The implementation under test plus a stand-in of the vendor. */
export interface Harness {
  readonly invoicing: InvoicingService
  /** A fresh order id. */
  readonly orderId: () => string
  /** How many invoices the stand-in issued under this merchant number. */
  readonly issuedCount: (relateNumber: string) => number
  /** How many calls the stand-in received so far. */
  readonly calls: () => number
  /** A mobile barcode the stand-in knows, and a well-formed one it does not. */
  readonly barcodes: { readonly known: string; readonly unknown: string }
  /** A love code the stand-in knows, and a well-formed one it does not. */
  readonly loveCodes: { readonly known: string; readonly unknown: string }
}

/** A contract case did not hold. */
export class ContractFailure extends Data.TaggedError("ContractFailure")<{
  readonly case: string
  readonly message: string
}> {}

/** One contract case. */
export interface Case {
  readonly name: string
  readonly run: (h: Harness) => Effect.Effect<void, unknown>
}

const check = (name: string, ok: boolean, message: string): Effect.Effect<void, ContractFailure> =>
  ok ? Effect.void : Effect.fail(new ContractFailure({ case: name, message }))

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u)
  } catch {
    return String(u)
  }
}

/** Runs `eff`, expecting an InvoicingError with one of `reasons`. */
const expectError = <A>(name: string, eff: Effect.Effect<A, unknown>, reasons: ReadonlyArray<string>) =>
  eff.pipe(
    Effect.matchEffect({
      onSuccess: (a) =>
        Effect.fail(
          new ContractFailure({ case: name, message: `expected InvoicingError(${reasons.join("|")}), got ${show(a)}` })
        ),
      onFailure: (e) => {
        const err = e as { readonly _tag?: unknown; readonly reason?: unknown }
        return err._tag === "InvoicingError" && typeof err.reason === "string" && reasons.includes(err.reason)
          ? Effect.void
          : Effect.fail(
              new ContractFailure({
                case: name,
                message: `expected InvoicingError(${reasons.join("|")}), got ${show(e)}`
              })
            )
      }
    })
  )

/** A paid order's invoice: two boxes of mangoes to a mobile barcode. */
export const sampleIssue = (orderId: string, barcode: string): IssueInput => ({
  orderId,
  buyer: { email: "buyer@example.com" },
  carrier: { _tag: "Mobile", barcode },
  items: [{ name: "芒果(愛文)", quantity: 2, unit: "箱", unitPrice: 590, amount: 1180 }],
  amount: 1180
})

/** The contract cases. */
export const cases: ReadonlyArray<Case> = [
  {
    name: "issue: an order's invoice has a number, a date, a random number, the amount and the order's merchant number",
    run: (h) =>
      Effect.gen(function* () {
        const name = "issue"
        const orderId = h.orderId()
        const invoice = yield* h.invoicing.issue(sampleIssue(orderId, h.barcodes.known))
        yield* check(
          name,
          /^[A-Z]{2}[0-9]{8}$/.test(invoice.invoiceNo) &&
            /^[0-9]{4}$/.test(invoice.randomNumber) &&
            /^\d{4}-\d{2}-\d{2}/.test(invoice.invoiceDate) &&
            invoice.amount === 1180 &&
            invoice.orderId === orderId &&
            invoice.relateNumber === relateNumberOf(orderId),
          `unexpected invoice ${show(invoice)}`
        )
        yield* check(name, h.issuedCount(invoice.relateNumber) === 1, "the vendor did not issue exactly one invoice")
      })
  },
  {
    name: "issue: a retry for the same order answers the same invoice and never issues twice",
    run: (h) =>
      Effect.gen(function* () {
        const name = "issue: retry"
        const input = sampleIssue(h.orderId(), h.barcodes.known)
        const first = yield* h.invoicing.issue(input)
        const second = yield* h.invoicing.issue(input)
        yield* check(name, first.invoiceNo === second.invoiceNo, `two numbers: ${first.invoiceNo}, ${second.invoiceNo}`)
        yield* check(name, h.issuedCount(first.relateNumber) === 1, "the vendor issued twice")
        const other = yield* h.invoicing.issue(sampleIssue(h.orderId(), h.barcodes.known))
        yield* check(name, other.invoiceNo !== first.invoiceNo, "two orders got the same invoice")
      })
  },
  {
    name: "issue: an input breaking a rule is invalid-input and never reaches the vendor",
    run: (h) =>
      Effect.gen(function* () {
        const name = "issue: invalid"
        const base = sampleIssue(h.orderId(), h.barcodes.known)
        const before = h.calls()
        const bad: ReadonlyArray<IssueInput> = [
          {
            ...base,
            buyer: { email: "b@example.com", taxId: "12345678" },
            carrier: { _tag: "Donation", loveCode: "168001" }
          },
          { ...base, carrier: { _tag: "Printed" } },
          { ...base, amount: 1000 },
          { ...base, items: [{ name: "芒果", quantity: 2, unitPrice: 590, amount: 1000 }], amount: 1000 },
          { ...base, buyer: {} },
          { ...base, carrier: { _tag: "Mobile", barcode: "ABC+123" } }
        ]
        for (const input of bad) yield* expectError(name, h.invoicing.issue(input), ["invalid-input"])
        yield* check(name, h.calls() === before, `${h.calls() - before} call(s) reached the vendor`)
      })
  },
  {
    name: "issue: a donation and a printed invoice are issued",
    run: (h) =>
      Effect.gen(function* () {
        const base = sampleIssue(h.orderId(), h.barcodes.known)
        yield* h.invoicing.issue({ ...base, carrier: { _tag: "Donation", loveCode: h.loveCodes.known } })
        yield* h.invoicing.issue({
          ...base,
          orderId: h.orderId(),
          buyer: {
            name: "王小美",
            address: "台北市中正區重慶南路一段 122 號",
            email: "b@example.com",
            taxId: "97025978"
          },
          carrier: { _tag: "Printed" }
        })
      })
  },
  {
    name: "query: by order, the invoice; voided after a void; an order without an invoice is undefined",
    run: (h) =>
      Effect.gen(function* () {
        const name = "query"
        const orderId = h.orderId()
        const invoice = yield* h.invoicing.issue(sampleIssue(orderId, h.barcodes.known))
        const found = yield* h.invoicing.query({ orderId })
        yield* check(
          name,
          found !== undefined && found.invoiceNo === invoice.invoiceNo && found.amount === 1180 && !found.voided,
          `query by order answered ${show(found)}`
        )
        const voided = yield* h.invoicing.void({
          invoiceNo: invoice.invoiceNo,
          invoiceDate: invoice.invoiceDate,
          reason: "團購取消"
        })
        yield* check(name, voided.invoiceNo === invoice.invoiceNo, `void answered ${show(voided)}`)
        const after = yield* h.invoicing.query({ invoiceNo: invoice.invoiceNo, invoiceDate: invoice.invoiceDate })
        yield* check(name, after?.voided === true, `after the void, query answered ${show(after)}`)
        const none = yield* h.invoicing.query({ orderId: h.orderId() })
        yield* check(name, none === undefined, `an order without an invoice answered ${show(none)}`)
      })
  },
  {
    name: "allowance: a partial allowance leaves the rest; more than the rest is rejected",
    run: (h) =>
      Effect.gen(function* () {
        const name = "allowance"
        const invoice = yield* h.invoicing.issue(sampleIssue(h.orderId(), h.barcodes.known))
        const input = {
          invoiceNo: invoice.invoiceNo,
          invoiceDate: invoice.invoiceDate,
          amount: 590,
          items: [{ name: "芒果(愛文)", quantity: 1, unit: "箱", unitPrice: 590, amount: 590 }],
          notify: "email" as const,
          buyer: { email: "buyer@example.com" }
        }
        const allowance = yield* h.invoicing.allowance(input)
        yield* check(
          name,
          allowance.remaining === 590 && allowance.invoiceNo === invoice.invoiceNo && allowance.allowanceNo !== "",
          `allowance answered ${show(allowance)}`
        )
        yield* expectError(
          name,
          h.invoicing.allowance({
            ...input,
            amount: 1180,
            items: [{ name: "芒果(愛文)", quantity: 2, unit: "箱", unitPrice: 590, amount: 1180 }]
          }),
          ["rejected"]
        )
      })
  },
  {
    name: "checks: known codes exist, unknown ones do not, malformed ones are false without asking",
    run: (h) =>
      Effect.gen(function* () {
        const name = "checks"
        yield* check(name, yield* h.invoicing.checkMobileBarcode(h.barcodes.known), "the known barcode")
        yield* check(name, !(yield* h.invoicing.checkMobileBarcode(h.barcodes.unknown)), "the unknown barcode")
        yield* check(name, yield* h.invoicing.checkLoveCode(h.loveCodes.known), "the known love code")
        yield* check(name, !(yield* h.invoicing.checkLoveCode(h.loveCodes.unknown)), "the unknown love code")
        const before = h.calls()
        yield* check(name, !(yield* h.invoicing.checkMobileBarcode("1234567")), "a barcode without /")
        yield* check(name, !(yield* h.invoicing.checkLoveCode("12")), "a two-digit love code")
        yield* check(name, h.calls() === before, "a malformed code reached the vendor")
      })
  }
]
