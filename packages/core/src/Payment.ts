/**
 * The Payment aggregate: expected → reported (the buyer's 後五碼) → received (a bank statement row
 * or a gateway callback) → matched (applied to orders) → refunded.
 *
 * Money is conserved: a payment is matched for exactly the amount received, and never refunded
 * for more than was received.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as Decider from "./Decider.js"

export const PaymentExpected = Schema.TaggedStruct("PaymentExpected", {
  paymentId: Schema.String,
  orderIds: Schema.Array(Schema.String),
  buyerId: Schema.String,
  amount: Schema.Int,
  at: Schema.String
})
export const PaymentReported = Schema.TaggedStruct("PaymentReported", {
  amount: Schema.optional(Schema.Int),
  last5: Schema.optional(Schema.String),
  at: Schema.String
})
export const PaymentReceived = Schema.TaggedStruct("PaymentReceived", {
  paymentId: Schema.String,
  source: Schema.Literals(["statement", "gateway", "cash"]),
  /** Statement row identity or gateway trade number. */
  transactionId: Schema.String,
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  bankCode: Schema.optional(Schema.String),
  last5: Schema.optional(Schema.String),
  at: Schema.String
})
export const PaymentMatched = Schema.TaggedStruct("PaymentMatched", {
  orderIds: Schema.Array(Schema.String),
  amount: Schema.Int,
  /** Why this match is certain, in words (RECONCILE.md: every match is explained). */
  evidence: Schema.String,
  at: Schema.String
})
/**
 * Money of the payment went back to the payer (a refund of an order it paid, recorded by the
 * organiser): `orderId`, the order refunded, and `method`, how (absent on older events).
 */
export const PaymentRefunded = Schema.TaggedStruct("PaymentRefunded", {
  amount: Schema.Int,
  orderId: Schema.optional(Schema.String),
  method: Schema.optional(Schema.Literals(["bank-transfer", "cash", "gateway"])),
  at: Schema.String
})

export const Event = Schema.Union([PaymentExpected, PaymentReported, PaymentReceived, PaymentMatched, PaymentRefunded])
export type Event = typeof Event.Type

export type Command =
  | {
      readonly _tag: "Expect"
      readonly paymentId: string
      readonly orderIds: ReadonlyArray<string>
      readonly buyerId: string
      readonly amount: number
      readonly at: string
    }
  | {
      readonly _tag: "Report"
      readonly amount?: number | undefined
      readonly last5?: string | undefined
      readonly at: string
    }
  | {
      readonly _tag: "Receive"
      readonly paymentId: string
      readonly source: "statement" | "gateway" | "cash"
      readonly transactionId: string
      readonly amount: number
      readonly bankCode?: string | undefined
      readonly last5?: string | undefined
      readonly at: string
    }
  | { readonly _tag: "Match"; readonly orderIds: ReadonlyArray<string>; readonly evidence: string; readonly at: string }
  | {
      readonly _tag: "Refund"
      readonly amount: number
      readonly orderId?: string | undefined
      readonly method?: "bank-transfer" | "cash" | "gateway" | undefined
      readonly at: string
    }

export type Status = "none" | "expected" | "reported" | "received" | "matched" | "refunded"

export interface State {
  readonly status: Status
  readonly paymentId: string
  readonly expectedAmount: number | undefined
  readonly orderIds: ReadonlyArray<string>
  readonly reportedLast5: string | undefined
  readonly received: number
  readonly matched: number
  readonly refunded: number
  readonly transactionId: string | undefined
}

export const initialState: State = {
  status: "none",
  paymentId: "",
  expectedAmount: undefined,
  orderIds: [],
  reportedLast5: undefined,
  received: 0,
  matched: 0,
  refunded: 0,
  transactionId: undefined
}

export class PaymentError extends Data.TaggedError("PaymentError")<{
  readonly reason: "invalid-state" | "duplicate" | "invalid-amount" | "no-orders"
  readonly message: string
}> {}

export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "PaymentExpected", "expected"],
  ["expected", "PaymentReported", "reported"],
  ["reported", "PaymentReported", "reported"],
  ["none", "PaymentReceived", "received"],
  ["expected", "PaymentReceived", "received"],
  ["reported", "PaymentReceived", "received"],
  ["received", "PaymentMatched", "matched"],
  ["received", "PaymentRefunded", "refunded"],
  ["matched", "PaymentRefunded", "refunded"],
  // A partial refund leaves money to refund again.
  ["refunded", "PaymentRefunded", "refunded"]
]

export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "PaymentExpected" }, (e) => ({
      ...state,
      status: "expected" as const,
      paymentId: e.paymentId,
      expectedAmount: e.amount,
      orderIds: e.orderIds
    }))
    .with({ _tag: "PaymentReported" }, (e) => ({
      ...state,
      status: "reported" as const,
      reportedLast5: e.last5 ?? state.reportedLast5
    }))
    .with({ _tag: "PaymentReceived" }, (e) => ({
      ...state,
      status: "received" as const,
      paymentId: e.paymentId,
      received: e.amount,
      transactionId: e.transactionId
    }))
    .with({ _tag: "PaymentMatched" }, (e) => ({
      ...state,
      status: "matched" as const,
      matched: e.amount,
      orderIds: e.orderIds
    }))
    .with({ _tag: "PaymentRefunded" }, (e) => ({
      ...state,
      status: "refunded" as const,
      refunded: state.refunded + e.amount
    }))
    .exhaustive()

export const fold = (events: Iterable<Event>, state: State = initialState): State => {
  let s = state
  for (const e of events) s = evolve(s, e)
  return s
}

type Decision = Result.Result<ReadonlyArray<Event>, PaymentError>
const fail = (reason: PaymentError["reason"], message: string): Decision =>
  Result.fail(new PaymentError({ reason, message }))

export const decide = (command: Command, state: State): Decision =>
  match(command)
    .with({ _tag: "Expect" }, (c): Decision => {
      if (state.status !== "none") return fail("invalid-state", `payment is ${state.status}`)
      if (c.orderIds.length === 0) return fail("no-orders", "a payment is expected for at least one order")
      if (c.amount <= 0) return fail("invalid-amount", "the expected amount must be positive")
      return Result.succeed([
        {
          _tag: "PaymentExpected",
          paymentId: c.paymentId,
          orderIds: c.orderIds,
          buyerId: c.buyerId,
          amount: c.amount,
          at: c.at
        }
      ])
    })
    .with(
      { _tag: "Report" },
      (c): Decision =>
        state.status === "expected" || state.status === "reported"
          ? Result.succeed([
              {
                _tag: "PaymentReported",
                at: c.at,
                ...(c.amount !== undefined ? { amount: c.amount } : {}),
                ...(c.last5 !== undefined ? { last5: c.last5 } : {})
              }
            ])
          : fail("invalid-state", `cannot report a ${state.status} payment`)
    )
    .with({ _tag: "Receive" }, (c): Decision => {
      if (state.transactionId === c.transactionId)
        return fail("duplicate", `transaction ${c.transactionId} was received already`)
      if (!(state.status === "none" || state.status === "expected" || state.status === "reported"))
        return fail("invalid-state", `payment is ${state.status}`)
      if (!Number.isInteger(c.amount) || c.amount <= 0)
        return fail("invalid-amount", "a received amount must be a positive integer")
      return Result.succeed([
        {
          _tag: "PaymentReceived",
          paymentId: c.paymentId,
          source: c.source,
          transactionId: c.transactionId,
          amount: c.amount,
          at: c.at,
          ...(c.bankCode !== undefined ? { bankCode: c.bankCode } : {}),
          ...(c.last5 !== undefined ? { last5: c.last5 } : {})
        }
      ])
    })
    .with({ _tag: "Match" }, (c): Decision => {
      if (state.status !== "received") return fail("invalid-state", `cannot match a ${state.status} payment`)
      if (c.orderIds.length === 0) return fail("no-orders", "a match names at least one order")
      return Result.succeed([
        { _tag: "PaymentMatched", orderIds: c.orderIds, amount: state.received, evidence: c.evidence, at: c.at }
      ])
    })
    .with({ _tag: "Refund" }, (c): Decision => {
      if (state.status !== "received" && state.status !== "matched" && state.status !== "refunded")
        return fail("invalid-state", `cannot refund a ${state.status} payment`)
      if (!Number.isInteger(c.amount) || c.amount <= 0 || c.amount > state.received - state.refunded)
        return fail("invalid-amount", `refund of ${c.amount} exceeds the ${state.received - state.refunded} received`)
      return Result.succeed([
        {
          _tag: "PaymentRefunded",
          amount: c.amount,
          ...(c.orderId === undefined ? {} : { orderId: c.orderId }),
          ...(c.method === undefined ? {} : { method: c.method }),
          at: c.at
        }
      ])
    })
    .exhaustive()

/**
 * The Payment aggregate as a value: {@link initialState}, {@link decide} and {@link evolve}, for
 * `Decider` helpers and the `CommandHandler`.
 */
export const decider: Decider.Decider<Command, State, Event, PaymentError> = Decider.make({
  initialState,
  decide,
  evolve
})
