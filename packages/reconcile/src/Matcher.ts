/**
 * The payment matcher: decides, for each transaction, whether it pays some open orders
 * (`matched`), needs a person (`review`), fits nothing (`unmatched`) or is not money for orders
 * (`ignored`). Pure, deterministic and explainable: every decision carries its evidence.
 *
 * The rules (RECONCILE.md):
 * - A **candidate** is one open order, or several open orders of one buyer whose open amounts add
 *   up to the transaction (one transfer for two rounds).
 * - **Identity evidence** for a buyer: the transaction's last five digits are the ones the buyer
 *   reported (on an order or in a comment), or an account learned from an earlier match (a
 *   learned bank code must agree too); the memo contains the buyer's name or an order id; a
 *   gateway's merchant order number names the order. Evidence counts only when the transaction is
 *   within the window of the order (not before it was placed, at most `windowDays` after).
 * - `matched`: exactly one candidate has both the exact amount and identity evidence, and no other
 *   buyer is named by the memo or the gateway. The money is applied and the account learned.
 * - `review`: any other case with a candidate (amount fits but nobody identified, identified but
 *   the amount differs, two buyers, two order sets of one buyer, or the order is already paid).
 * - `unmatched`: no candidate. `ignored`: money out, zero, a gateway payment that is pending,
 *   failed or simulated, or a transaction already applied.
 *
 * Transactions are processed in time order (ties broken by content, never by input position), so an
 * order paid by an earlier row is no longer open for a later one, and an account learned from a
 * row counts for rows with a later timestamp.
 *
 * The index by open amount, by last five digits, and an Aho–Corasick automaton over names and
 * order ids keep the work linear in rows + orders. That engine, tuned for V8, lives in
 * `internal/matchEngine.ts`, behind {@link match}.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import * as Engine from "./internal/matchEngine.js"
import type { PaymentReport } from "./PaymentReport.js"
import type { Transaction } from "./Transaction.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/** A payment already applied to an order before this run. */
export const PriorPayment = Schema.Struct({
  amount: Schema.Int,
  /** When it was applied (the transaction's `at`); absent = before everything in this run. */
  at: Schema.optional(Schema.String),
  /** The transaction that paid it, when it came from a statement or gateway. */
  transactionId: Schema.optional(Schema.String)
})
export type PriorPayment = typeof PriorPayment.Type

/** An order as the matcher sees it (the shape of one entry of the CLI's ORDERS.json, plus optional fields). */
export const Order = Schema.Struct({
  orderId: Schema.String.check(Schema.isMinLength(1)),
  buyer: Schema.Struct({ id: Schema.String.check(Schema.isMinLength(1)), name: Schema.optional(Schema.String) }),
  amountDue: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** When the order was placed (ISO 8601); the date window counts from here. */
  placedAt: Schema.optional(Schema.String),
  /** The last five digits the buyer reported for this order, if any. */
  last5: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{5}$/))),
  /** Amount already paid, from before (no time). */
  paid: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** Payments already applied, with their time (for exact re-runs; see {@link carryOver}). */
  payments: Schema.optional(Schema.Array(PriorPayment))
})
export type Order = typeof Order.Type

/** An account learned from an earlier match: evidence for the buyer from `since` on. */
export const LearnedAccount = Schema.Struct({
  buyerId: Schema.String,
  bankCode: Schema.optional(Schema.String),
  last5: Schema.String.check(Schema.isPattern(/^\d{5}$/)),
  /** The time of the transaction it was learned from; it is evidence for later transactions only. */
  since: Schema.optional(Schema.String),
  transactionId: Schema.optional(Schema.String)
})
export type LearnedAccount = typeof LearnedAccount.Type

/** Tuning. */
export interface Options {
  /** Identity evidence counts from the order's placement up to this many days after (default 30). */
  readonly windowDays?: number | undefined
  /** UTC offset used for calendar days of date-only statements (default +480, Taiwan). */
  readonly utcOffsetMinutes?: number | undefined
  /** At most this many candidates are listed on a review decision (default 10); `candidateCount` has them all. */
  readonly maxListed?: number | undefined
  /** Combined payments are searched over all subsets of a buyer's open orders up to this many orders (default 12). */
  readonly maxSubsetOrders?: number | undefined
}

/** Everything the matcher decides on. */
export interface Input {
  readonly orders: ReadonlyArray<Order>
  readonly transactions: ReadonlyArray<Transaction>
  /** Accounts learned from earlier matches. */
  readonly learned?: ReadonlyArray<LearnedAccount> | undefined
  /** Buyers' own payment reports (last five digits, amount) from comments. */
  readonly reports?: ReadonlyArray<PaymentReport> | undefined
  /**
   * Transactions already applied: their decision is `ignored` with reason `already-applied` and
   * nothing is applied again. The transaction ids in orders' `payments` count too.
   */
  readonly applied?: Iterable<string> | undefined
  readonly options?: Options | undefined
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

/** One piece of evidence, for people and for the audit log. */
export type Evidence =
  | { readonly kind: "amount"; readonly orderIds: ReadonlyArray<string>; readonly amount: number }
  | {
      readonly kind: "reported-last5"
      readonly buyerId: string
      readonly last5: string
      readonly via: "order" | "comment"
    }
  | {
      readonly kind: "learned-account"
      readonly buyerId: string
      readonly last5: string
      readonly bankCode?: string | undefined
      readonly since?: string | undefined
    }
  | { readonly kind: "memo-name"; readonly buyerId: string; readonly name: string }
  | { readonly kind: "memo-order"; readonly buyerId: string; readonly orderId: string }
  | {
      readonly kind: "gateway-order"
      readonly buyerId: string
      readonly orderId: string
      readonly merchantOrderNo: string
    }
  | { readonly kind: "reported-amount"; readonly buyerId: string; readonly amount: number }
  | { readonly kind: "outside-window"; readonly buyerId: string; readonly orderId: string; readonly placedAt: string }
  | { readonly kind: "already-paid"; readonly orderId: string; readonly transactionIds: ReadonlyArray<string> }

/** How a candidate's open amount compares with the transaction. */
export type Fit = "exact" | "short" | "over" | "paid"

/** One candidate: one buyer's order(s) that the transaction may pay. */
export interface Candidate {
  readonly buyerId: string
  readonly buyerName?: string | undefined
  readonly orderIds: ReadonlyArray<string>
  /** What is still open on those orders (for `paid`: what they were due). */
  readonly open: number
  readonly fit: Fit
  /** True when the buyer has identity evidence within the window. */
  readonly identified: boolean
  readonly evidence: ReadonlyArray<Evidence>
}

/** A transaction's status (CLI.md). */
export type Status = "matched" | "review" | "unmatched" | "ignored"

/** Why. */
export type Reason =
  | "exact-amount-and-identity"
  | "amount-fits-no-identity"
  | "identity-amount-differs"
  | "ambiguous-buyers"
  | "ambiguous-orders"
  | "already-paid"
  | "no-candidate"
  | "money-out"
  | "zero-amount"
  | "already-applied"
  | "duplicate-row"
  | "gateway-pending"
  | "gateway-failed"
  | "simulated"

/** Money applied to one order. */
export interface Allocation {
  readonly orderId: string
  readonly amount: number
}

/** The decision on one transaction. */
export interface Decision {
  readonly transactionId: string
  readonly row?: number | undefined
  readonly at: string
  readonly amount: number
  readonly bankCode?: string | undefined
  readonly last5?: string | undefined
  readonly status: Status
  readonly reason: Reason
  /** For `identity-amount-differs`: paid too little (`partial`) or too much (`overpaid`). */
  readonly detail?: "partial" | "overpaid" | undefined
  /** `matched`: the orders paid. `review`: the listed candidates' orders. Otherwise empty. */
  readonly orderIds: ReadonlyArray<string>
  /** `matched`: the buyer. */
  readonly buyerId?: string | undefined
  /** `matched`: how the money is split over the orders (it adds up to `amount`). */
  readonly allocations: ReadonlyArray<Allocation>
  /** `review`: candidates (at most `maxListed`), best first. */
  readonly candidates: ReadonlyArray<Candidate>
  readonly candidateCount: number
  /** Everything that counted (or was refused, like `outside-window`) for this decision. */
  readonly evidence: ReadonlyArray<Evidence>
  /** The decision in one sentence. */
  readonly explanation: string
}

/** An order's payment status after the run (CLI.md). */
export type OrderStatus = "unpaid" | "partial" | "paid" | "overpaid"

/** An order after the run. */
export interface OrderOutcome {
  readonly orderId: string
  readonly buyerId: string
  readonly due: number
  readonly paid: number
  readonly status: OrderStatus
  /** Transactions applied to this order in this run. */
  readonly transactionIds: ReadonlyArray<string>
}

/**
 * What the application layer does for a `matched` decision: receive the transaction as a payment
 * (core `Payment` `Receive` with `transactionId`, `amount`, `bankCode`, `last5`, `at`), match it to
 * `orderIds` with `evidence`, and apply each allocation to its order (core `Order` `ApplyPayment`).
 */
export interface Application {
  readonly transactionId: string
  readonly source: Transaction["source"]
  readonly buyerId: string
  readonly amount: number
  readonly at: string
  readonly bankCode?: string | undefined
  readonly last5?: string | undefined
  readonly orderIds: ReadonlyArray<string>
  readonly allocations: ReadonlyArray<Allocation>
  /** The explanation, for `PaymentMatched.evidence`. */
  readonly evidence: string
}

/** The result of a run. */
export interface Result {
  /** One decision per transaction, in processing (time) order. */
  readonly decisions: ReadonlyArray<Decision>
  /** Every order, in input order. */
  readonly orders: ReadonlyArray<OrderOutcome>
  /** The `matched` decisions as applications, in processing order. */
  readonly applications: ReadonlyArray<Application>
  /** Accounts learned in this run (one per buyer and account). */
  readonly learned: ReadonlyArray<LearnedAccount>
  readonly summary: {
    readonly matched: number
    readonly review: number
    readonly unmatched: number
    readonly ignored: number
    /** Money applied to orders: the sum of the `matched` transactions. */
    readonly applied: number
  }
}

// ---------------------------------------------------------------------------------------------
// The matcher
// ---------------------------------------------------------------------------------------------

/** Runs the matcher. Pure: the same input gives the same result. */
export const match = (input: Input): Result => Engine.run(input)

/** Says what the identity evidence is, in words. */
export const describe = (evidence: ReadonlyArray<Evidence>): string => Engine.describe(evidence)

/**
 * The input for the next run after applying `result`: orders carry the payments applied (with
 * their time and transaction), learned accounts are added with their `since`, and applied
 * transaction ids are remembered. Running the same transactions again on this input changes
 * nothing: every matched transaction comes back `ignored` / `already-applied`, and every other
 * decision is the same as before.
 */
export const carryOver = (input: Input, result: Result): Input => {
  const byOrder = new Map<string, Array<PriorPayment>>()
  for (const a of result.applications)
    for (const al of a.allocations) {
      const p: PriorPayment = { amount: al.amount, at: a.at, transactionId: a.transactionId }
      const l = byOrder.get(al.orderId)
      if (l) l.push(p)
      else byOrder.set(al.orderId, [p])
    }
  return {
    ...input,
    orders: input.orders.map((o) => {
      const extra = byOrder.get(o.orderId)
      if (!extra) return o
      byOrder.delete(o.orderId)
      return { ...o, payments: [...(o.payments ?? []), ...extra] }
    }),
    learned: [...(input.learned ?? []), ...result.learned],
    applied: [...(input.applied ?? []), ...result.applications.map((a) => a.transactionId)]
  }
}
