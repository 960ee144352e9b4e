/**
 * The Order aggregate: one buyer's order in one round, from the moment the round confirms it.
 *
 * Before the cutoff the order's lines live in the Round's order book (place, add, amend and
 * cancel are Round commands, because stock is the Round's invariant). At the cutoff each order
 * with lines is confirmed here and follows its own life: awaiting payment → paid → partly
 * shipped → shipped → completed; cancelled; refunded. Its lines never change after the cutoff.
 *
 * After-sales: a refund is full (`OrderRefunded`: every dollar received goes back, the order is
 * refunded) or partial (`OrderPartlyRefunded`: the order keeps its status); lines that come back
 * (`OrderLinesReturned`) make their value due for a refund; cancelling a paid order (before
 * anything shipped) cancels it with what it received due for a refund (`refundDue` on
 * `OrderCancelled`). Each carries a {@link RefundReason} code (the return-rate KPI) and never more
 * money goes back than was received.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import { Author } from "./Buyer.js"
import * as Decider from "./Decider.js"
import { OrderLine } from "./ReadModel.js"

const ShippedLine = Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) })

/**
 * Why money goes back or goods come back, as a closed set of codes (the return-rate KPI counts
 * them): `damaged` (broken in transit), `wrong-item` (not what was ordered), `not-collected` (never
 * picked up: the parcel came back), `buyer-cancelled`, `out-of-stock` (the organiser could not
 * supply it), `quality` (not as described), `other` (the free-text reason says).
 */
export const RefundReason = Schema.Literals([
  "damaged",
  "wrong-item",
  "not-collected",
  "buyer-cancelled",
  "out-of-stock",
  "quality",
  "other"
])
/** Why money goes back or goods come back. */
export type RefundReason = typeof RefundReason.Type

/**
 * How the money went back: `bank-transfer` (the organiser transferred it), `cash`, or `gateway`
 * (refunded in the payment gateway's back office: NewebPay's and ECPay's published APIs that
 * kaituan implements have no refund call, so the organiser does it there and records it here).
 */
export const RefundMethod = Schema.Literals(["bank-transfer", "cash", "gateway"])
/** How the money went back. */
export type RefundMethod = typeof RefundMethod.Type

/** The round confirmed the order at its cutoff: its lines and total are fixed from now on. */
export const OrderConfirmed = Schema.TaggedStruct("OrderConfirmed", {
  orderId: Schema.String,
  roundId: Schema.String,
  buyerId: Schema.String,
  buyer: Author,
  lines: Schema.Array(OrderLine),
  total: Schema.Int,
  /** When the buyer's first comment placed the order (before the cutoff); `at` is the confirmation. */
  placedAt: Schema.optional(Schema.String),
  /** Position of the order among the round's orders (lists keep this order). */
  seq: Schema.optional(Schema.Int),
  at: Schema.String
})
/** Money of a payment went to this order. */
export const PaymentApplied = Schema.TaggedStruct("PaymentApplied", {
  paymentId: Schema.String,
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  at: Schema.String
})
/** Some or all of its lines were shipped. */
export const ShipmentAdded = Schema.TaggedStruct("ShipmentAdded", {
  shipmentId: Schema.String,
  lines: Schema.Array(ShippedLine),
  at: Schema.String
})
/** Everything arrived: the order is done. */
export const OrderCompleted = Schema.TaggedStruct("OrderCompleted", { at: Schema.String })
/** The order was cancelled (nothing had been paid), with the reason. */
export const OrderCancelled = Schema.TaggedStruct("OrderCancelled", {
  reason: Schema.String,
  /**
   * The order's round, buyer and total, for read models that see this event alone (the rounds
   * list, a buyer's history). Absent on events recorded before they were carried.
   */
  roundId: Schema.optional(Schema.String),
  buyerId: Schema.optional(Schema.String),
  total: Schema.optional(Schema.Int),
  /**
   * A paid order cancelled (nothing shipped yet): what it had received, now due back to the buyer
   * (the `refunds-due` read model lists it until it is refunded). Absent: nothing was received.
   */
  refundDue: Schema.optional(Schema.Int),
  /** The reason code, when the organiser gave one. */
  reasonCode: Schema.optional(RefundReason),
  at: Schema.String
})
/** The money received for the order went back to the buyer (`reason`: the organiser's words, when given). */
export const OrderRefunded = Schema.TaggedStruct("OrderRefunded", {
  amount: Schema.Int,
  reason: Schema.optional(Schema.String),
  /** As on {@link OrderCancelled}: the order's round, buyer and total (absent on older events). */
  roundId: Schema.optional(Schema.String),
  buyerId: Schema.optional(Schema.String),
  total: Schema.optional(Schema.Int),
  /** The reason code (absent on older events). */
  reasonCode: Schema.optional(RefundReason),
  /** How the money went back (absent on older events). */
  method: Schema.optional(RefundMethod),
  at: Schema.String
})

const SkuQty = Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) })

/**
 * Part of the money received went back; the order keeps its status (a damaged item of three, a
 * line out of stock). `lines`: what the money is for, when the organiser said.
 */
export const OrderPartlyRefunded = Schema.TaggedStruct("OrderPartlyRefunded", {
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  lines: Schema.optional(Schema.Array(SkuQty)),
  reasonCode: RefundReason,
  reason: Schema.optional(Schema.String),
  method: RefundMethod,
  roundId: Schema.String,
  buyerId: Schema.String,
  total: Schema.Int,
  at: Schema.String
})

/**
 * Shipped lines came back (a returned parcel, or some of its items): `amount`, their value (at
 * most what was received and not yet refunded or due), is now due back to the buyer.
 */
export const OrderLinesReturned = Schema.TaggedStruct("OrderLinesReturned", {
  shipmentId: Schema.String,
  lines: Schema.Array(SkuQty),
  amount: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  reasonCode: RefundReason,
  reason: Schema.optional(Schema.String),
  roundId: Schema.String,
  buyerId: Schema.String,
  total: Schema.Int,
  at: Schema.String
})

/** Every order event. */
export const Event = Schema.Union([
  OrderConfirmed,
  PaymentApplied,
  ShipmentAdded,
  OrderCompleted,
  OrderCancelled,
  OrderRefunded,
  OrderPartlyRefunded,
  OrderLinesReturned
])
/** Every order event. */
export type Event = typeof Event.Type

/** What can be asked of an order. */
export type Command =
  | {
      readonly _tag: "Confirm"
      readonly orderId: string
      readonly roundId: string
      readonly buyerId: string
      readonly buyer: Author
      readonly lines: ReadonlyArray<OrderLine>
      readonly placedAt?: string | undefined
      readonly seq?: number | undefined
      readonly at: string
    }
  | { readonly _tag: "ApplyPayment"; readonly paymentId: string; readonly amount: number; readonly at: string }
  | {
      readonly _tag: "AddShipment"
      readonly shipmentId: string
      readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
      readonly at: string
    }
  | { readonly _tag: "Complete"; readonly at: string }
  | {
      readonly _tag: "Cancel"
      readonly reason: string
      readonly reasonCode?: RefundReason | undefined
      readonly at: string
    }
  /**
   * Money goes back: `amount` (default: all that is left of what was received); all of it is a
   * full refund (`OrderRefunded`), less a partial one (`OrderPartlyRefunded`, which needs a
   * `reasonCode`; `method` defaults to `bank-transfer`).
   */
  | {
      readonly _tag: "Refund"
      readonly reason?: string | undefined
      readonly amount?: number | undefined
      readonly lines?: ReadonlyArray<{ readonly sku: string; readonly qty: number }> | undefined
      readonly reasonCode?: RefundReason | undefined
      readonly method?: RefundMethod | undefined
      readonly at: string
    }
  /** Shipped lines of a shipment came back: their value becomes due for a refund. */
  | {
      readonly _tag: "ReturnLines"
      readonly shipmentId: string
      readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
      readonly reasonCode: RefundReason
      readonly reason?: string | undefined
      readonly at: string
    }
  | { readonly _tag: "ChangeLines"; readonly at: string }

/** An order's lifecycle status (`none`: not confirmed yet). */
export type Status =
  | "none"
  | "awaiting-payment"
  | "paid"
  | "partly-shipped"
  | "shipped"
  | "completed"
  | "cancelled"
  | "refunded"

/** An order's state, folded from its events. */
export interface State {
  readonly status: Status
  readonly orderId: string
  readonly roundId: string
  readonly buyerId: string
  readonly buyer: Author | undefined
  readonly lines: ReadonlyArray<OrderLine>
  readonly total: number
  readonly paid: number
  readonly refunded: number
  readonly shipped: Readonly<Record<string, number>>
  /** Units returned per SKU (never more than shipped). */
  readonly returned: Readonly<Record<string, number>>
  /** Money owed back to the buyer and not refunded yet (returns, a paid order cancelled). */
  readonly refundDue: number
  readonly payments: ReadonlyArray<string>
  readonly placedAt: string
  readonly seq: number
}

/** The state before the first event. */
export const initialState: State = {
  status: "none",
  orderId: "",
  roundId: "",
  buyerId: "",
  buyer: undefined,
  lines: [],
  total: 0,
  paid: 0,
  refunded: 0,
  shipped: {},
  returned: {},
  refundDue: 0,
  payments: [],
  placedAt: "",
  seq: 0
}

/** A command the order's state does not allow. */
export class OrderError extends Data.TaggedError("OrderError")<{
  readonly reason:
    | "not-confirmed"
    | "already-confirmed"
    | "locked"
    | "already-paid"
    | "duplicate-payment"
    | "not-paid"
    | "over-shipment"
    | "not-shipped"
    | "closed"
    | "empty"
    | "over-refund"
    | "over-return"
  readonly message: string
}> {}

/** Every allowed (status, event) → status move. */
export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "OrderConfirmed", "awaiting-payment"],
  ["awaiting-payment", "PaymentApplied", "awaiting-payment"],
  ["awaiting-payment", "PaymentApplied", "paid"],
  ["awaiting-payment", "OrderCancelled", "cancelled"],
  ["paid", "ShipmentAdded", "partly-shipped"],
  ["paid", "ShipmentAdded", "shipped"],
  ["paid", "OrderRefunded", "refunded"],
  ["partly-shipped", "ShipmentAdded", "partly-shipped"],
  ["partly-shipped", "ShipmentAdded", "shipped"],
  ["partly-shipped", "OrderRefunded", "refunded"],
  ["shipped", "OrderCompleted", "completed"],
  ["shipped", "OrderRefunded", "refunded"],
  ["completed", "OrderRefunded", "refunded"],
  // After-sales.
  ["awaiting-payment", "OrderRefunded", "refunded"],
  ["paid", "OrderCancelled", "cancelled"],
  ["cancelled", "OrderRefunded", "refunded"],
  ["awaiting-payment", "OrderPartlyRefunded", "awaiting-payment"],
  ["paid", "OrderPartlyRefunded", "paid"],
  ["partly-shipped", "OrderPartlyRefunded", "partly-shipped"],
  ["shipped", "OrderPartlyRefunded", "shipped"],
  ["completed", "OrderPartlyRefunded", "completed"],
  ["cancelled", "OrderPartlyRefunded", "cancelled"],
  ["partly-shipped", "OrderLinesReturned", "partly-shipped"],
  ["shipped", "OrderLinesReturned", "shipped"],
  ["completed", "OrderLinesReturned", "completed"]
]

const totalOf = (lines: ReadonlyArray<OrderLine>) => lines.reduce((t, l) => t + l.qty * l.unitPrice, 0)
const fullyShipped = (lines: ReadonlyArray<OrderLine>, shipped: Readonly<Record<string, number>>) =>
  lines.every((l) => (shipped[l.sku] ?? 0) >= l.qty)

/** Folds one event into the state. */
export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "OrderConfirmed" }, (e) => ({
      ...state,
      status: "awaiting-payment" as const,
      orderId: e.orderId,
      roundId: e.roundId,
      buyerId: e.buyerId,
      buyer: e.buyer,
      lines: e.lines,
      total: e.total,
      placedAt: e.placedAt ?? e.at,
      seq: e.seq ?? 0
    }))
    .with({ _tag: "PaymentApplied" }, (e) => {
      const paid = state.paid + e.amount
      return {
        ...state,
        paid,
        payments: [...state.payments, e.paymentId],
        status: paid >= state.total ? ("paid" as const) : state.status
      }
    })
    .with({ _tag: "ShipmentAdded" }, (e) => {
      const shipped = { ...state.shipped }
      for (const l of e.lines) shipped[l.sku] = (shipped[l.sku] ?? 0) + l.qty
      return {
        ...state,
        shipped,
        status: fullyShipped(state.lines, shipped) ? ("shipped" as const) : ("partly-shipped" as const)
      }
    })
    .with({ _tag: "OrderCompleted" }, () => ({ ...state, status: "completed" as const }))
    .with({ _tag: "OrderCancelled" }, (e) => ({
      ...state,
      status: "cancelled" as const,
      refundDue: state.refundDue + (e.refundDue ?? 0)
    }))
    .with({ _tag: "OrderRefunded" }, (e) => ({
      ...state,
      status: "refunded" as const,
      refunded: state.refunded + e.amount,
      refundDue: 0
    }))
    .with({ _tag: "OrderPartlyRefunded" }, (e) => ({
      ...state,
      refunded: state.refunded + e.amount,
      refundDue: Math.max(0, state.refundDue - e.amount)
    }))
    .with({ _tag: "OrderLinesReturned" }, (e) => {
      const returned = { ...state.returned }
      for (const l of e.lines) returned[l.sku] = (returned[l.sku] ?? 0) + l.qty
      return { ...state, returned, refundDue: state.refundDue + e.amount }
    })
    .exhaustive()

/** Folds many events. */
export const fold = (events: Iterable<Event>, state: State = initialState): State => {
  let s = state
  for (const e of events) s = evolve(s, e)
  return s
}

type Decision = Result.Result<ReadonlyArray<Event>, OrderError>

/** The round, buyer and total a cancellation or refund carries (see {@link OrderCancelled}). */
const whose = (state: State) => ({ roundId: state.roundId, buyerId: state.buyerId, total: state.total })
const fail = (reason: OrderError["reason"], message: string): Decision =>
  Result.fail(new OrderError({ reason, message }))

/** Decides what a command does in the current state. */
export const decide = (command: Command, state: State): Decision =>
  match(command)
    .with({ _tag: "Confirm" }, (c): Decision => {
      if (state.status !== "none") return fail("already-confirmed", `order ${c.orderId} is confirmed already`)
      const lines = c.lines.filter((l) => l.qty > 0)
      if (lines.length === 0) return fail("empty", `order ${c.orderId} has no lines`)
      return Result.succeed([
        {
          _tag: "OrderConfirmed",
          orderId: c.orderId,
          roundId: c.roundId,
          buyerId: c.buyerId,
          buyer: c.buyer,
          lines,
          total: totalOf(lines),
          ...(c.placedAt !== undefined ? { placedAt: c.placedAt } : {}),
          ...(c.seq !== undefined ? { seq: c.seq } : {}),
          at: c.at
        }
      ])
    })
    .with({ _tag: "ChangeLines" }, () =>
      fail("locked", "an order's lines cannot change after the cutoff; cancel and refund instead")
    )
    .with({ _tag: "ApplyPayment" }, (c): Decision => {
      if (state.status === "none") return fail("not-confirmed", "no such order")
      if (state.payments.includes(c.paymentId))
        return fail("duplicate-payment", `payment ${c.paymentId} was applied already`)
      if (state.status !== "awaiting-payment") return fail("already-paid", `order ${state.orderId} is ${state.status}`)
      if (c.amount <= 0) return fail("empty", "a payment must be positive")
      return Result.succeed([{ _tag: "PaymentApplied", paymentId: c.paymentId, amount: c.amount, at: c.at }])
    })
    .with({ _tag: "AddShipment" }, (c): Decision => {
      if (state.status !== "paid" && state.status !== "partly-shipped")
        return fail("not-paid", `order ${state.orderId} is ${state.status}; only paid orders ship`)
      const lines = c.lines.filter((l) => l.qty > 0)
      if (lines.length === 0) return fail("empty", "a shipment needs lines")
      // Two lines of one SKU in a shipment add up: each is checked with the lines before it.
      const inThisShipment: Record<string, number> = {}
      for (const l of lines) {
        const ordered = state.lines.find((x) => x.sku === l.sku)?.qty ?? 0
        const before = (state.shipped[l.sku] ?? 0) + (inThisShipment[l.sku] ?? 0)
        if (before + l.qty > ordered)
          return fail(
            "over-shipment",
            before === 0
              ? `shipping ${l.qty} of ${l.sku} exceeds the ${ordered} ordered`
              : `shipping ${l.qty} more of ${l.sku} after ${before} exceeds the ${ordered} ordered`
          )
        inThisShipment[l.sku] = (inThisShipment[l.sku] ?? 0) + l.qty
      }
      return Result.succeed([{ _tag: "ShipmentAdded", shipmentId: c.shipmentId, lines, at: c.at }])
    })
    .with(
      { _tag: "Complete" },
      (c): Decision =>
        state.status === "shipped"
          ? Result.succeed([{ _tag: "OrderCompleted", at: c.at }])
          : fail("not-shipped", `order is ${state.status}`)
    )
    .with({ _tag: "Cancel" }, (c): Decision => {
      const code = c.reasonCode === undefined ? {} : { reasonCode: c.reasonCode }
      if (state.status === "awaiting-payment" && state.paid === 0)
        return Result.succeed([{ _tag: "OrderCancelled", reason: c.reason, ...code, ...whose(state), at: c.at }])
      // Money received and nothing shipped: cancelled, and what it received is due back.
      if ((state.status === "awaiting-payment" || state.status === "paid") && Object.keys(state.shipped).length === 0)
        return Result.succeed([
          {
            _tag: "OrderCancelled",
            reason: c.reason,
            ...code,
            ...whose(state),
            refundDue: state.paid - state.refunded,
            at: c.at
          }
        ])
      return fail(
        "closed",
        `order is ${state.status}${state.status === "partly-shipped" || state.status === "shipped" || state.status === "completed" ? "; record a return instead" : ""}`
      )
    })
    .with({ _tag: "Refund" }, (c): Decision => {
      const left = state.paid - state.refunded
      const refundable =
        ["paid", "partly-shipped", "shipped", "completed"].includes(state.status) ||
        ((state.status === "awaiting-payment" || state.status === "cancelled") && left > 0)
      if (!refundable) return fail("not-paid", `order is ${state.status}`)
      const amount = c.amount ?? left
      if (!Number.isInteger(amount) || amount <= 0) return fail("empty", "a refund must be a positive whole amount")
      if (amount > left)
        return fail("over-refund", `a refund of ${amount} exceeds the ${left} received and not refunded yet`)
      const lines = c.lines?.filter((l) => l.qty > 0)
      for (const l of lines ?? [])
        if (!state.lines.some((x) => x.sku === l.sku))
          return fail("over-return", `${l.sku} is not in order ${state.orderId}`)
      if (amount === left)
        return Result.succeed([
          {
            _tag: "OrderRefunded",
            amount,
            ...(c.reason === undefined ? {} : { reason: c.reason }),
            ...whose(state),
            ...(c.reasonCode === undefined ? {} : { reasonCode: c.reasonCode }),
            ...(c.method === undefined ? {} : { method: c.method }),
            at: c.at
          }
        ])
      return Result.succeed([
        {
          _tag: "OrderPartlyRefunded",
          amount,
          ...(lines === undefined || lines.length === 0 ? {} : { lines }),
          reasonCode: c.reasonCode ?? "other",
          ...(c.reason === undefined ? {} : { reason: c.reason }),
          method: c.method ?? "bank-transfer",
          ...whose(state),
          at: c.at
        }
      ])
    })
    .with({ _tag: "ReturnLines" }, (c): Decision => {
      if (state.status !== "partly-shipped" && state.status !== "shipped" && state.status !== "completed")
        return fail("not-shipped", `order is ${state.status}; only shipped lines come back`)
      const lines = c.lines.filter((l) => l.qty > 0)
      if (lines.length === 0) return fail("empty", "a return needs lines")
      const inThisReturn: Record<string, number> = {}
      let value = 0
      for (const l of lines) {
        const shipped = state.shipped[l.sku] ?? 0
        const before = (state.returned[l.sku] ?? 0) + (inThisReturn[l.sku] ?? 0)
        if (before + l.qty > shipped)
          return fail("over-return", `returning ${l.qty} of ${l.sku} after ${before} exceeds the ${shipped} shipped`)
        inThisReturn[l.sku] = (inThisReturn[l.sku] ?? 0) + l.qty
        value += l.qty * (state.lines.find((x) => x.sku === l.sku)?.unitPrice ?? 0)
      }
      // Never more due back than was received and is neither refunded nor due already.
      const amount = Math.max(0, Math.min(value, state.paid - state.refunded - state.refundDue))
      return Result.succeed([
        {
          _tag: "OrderLinesReturned",
          shipmentId: c.shipmentId,
          lines,
          amount,
          reasonCode: c.reasonCode,
          ...(c.reason === undefined ? {} : { reason: c.reason }),
          ...whose(state),
          at: c.at
        }
      ])
    })
    .exhaustive()

/**
 * The Order aggregate as a value: {@link initialState}, {@link decide} and {@link evolve}, for
 * `Decider` helpers and the `CommandHandler`.
 */
export const decider: Decider.Decider<Command, State, Event, OrderError> = Decider.make({
  initialState,
  decide,
  evolve
})
