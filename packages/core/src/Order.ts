/**
 * The Order aggregate: one buyer's order in one round, from the moment the round confirms it.
 *
 * Before the cutoff the order's lines live in the Round's order book (place, add, amend and
 * cancel are Round commands, because stock is the Round's invariant). At the cutoff each order
 * with lines is confirmed here and follows its own life: awaiting payment → paid → partly
 * shipped → shipped → completed; cancelled; refunded. Its lines never change after the cutoff.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import { Author } from "./Buyer.js"
import * as Decider from "./Decider.js"
import { OrderLine } from "./ReadModel.js"

const ShippedLine = Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) })

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
  at: Schema.String
})

/** Every order event. */
export const Event = Schema.Union([
  OrderConfirmed,
  PaymentApplied,
  ShipmentAdded,
  OrderCompleted,
  OrderCancelled,
  OrderRefunded
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
  | { readonly _tag: "Cancel"; readonly reason: string; readonly at: string }
  | { readonly _tag: "Refund"; readonly reason?: string | undefined; readonly at: string }
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
  ["completed", "OrderRefunded", "refunded"]
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
    .with({ _tag: "OrderCancelled" }, () => ({ ...state, status: "cancelled" as const }))
    .with({ _tag: "OrderRefunded" }, (e) => ({
      ...state,
      status: "refunded" as const,
      refunded: state.refunded + e.amount
    }))
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
    .with(
      { _tag: "Cancel" },
      (c): Decision =>
        state.status === "awaiting-payment" && state.paid === 0
          ? Result.succeed([{ _tag: "OrderCancelled", reason: c.reason, ...whose(state), at: c.at }])
          : fail("closed", `order is ${state.status}${state.paid > 0 ? " with money received; refund instead" : ""}`)
    )
    .with(
      { _tag: "Refund" },
      (c): Decision =>
        ["paid", "partly-shipped", "shipped", "completed"].includes(state.status)
          ? Result.succeed([
              {
                _tag: "OrderRefunded",
                amount: state.paid - state.refunded,
                ...(c.reason === undefined ? {} : { reason: c.reason }),
                ...whose(state),
                at: c.at
              }
            ])
          : fail("not-paid", `order is ${state.status}`)
    )
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
