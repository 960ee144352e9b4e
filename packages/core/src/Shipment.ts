/**
 * The Shipment aggregate: packed → shipped → delivered, or picked up at a meet-up with a
 * one-time pickup code (the buyer's QR code) → returned. An order may have several shipments
 * (拆單出貨: the in-stock part now, the pre-order part later).
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"

export const Method = Schema.Literals(["home", "cvs", "pickup"])
export type Method = typeof Method.Type

export const ShipmentPacked = Schema.TaggedStruct("ShipmentPacked", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) })),
  method: Method,
  /** For meet-up pickup: the one-time code the buyer shows (as a QR code). */
  pickupCode: Schema.optional(Schema.String),
  at: Schema.String
})
export const ShipmentShipped = Schema.TaggedStruct("ShipmentShipped", {
  carrier: Schema.optional(Schema.String),
  trackingNo: Schema.optional(Schema.String),
  at: Schema.String
})
export const ShipmentDelivered = Schema.TaggedStruct("ShipmentDelivered", { at: Schema.String })
export const ShipmentPickedUp = Schema.TaggedStruct("ShipmentPickedUp", { at: Schema.String })
export const ShipmentReturned = Schema.TaggedStruct("ShipmentReturned", { reason: Schema.String, at: Schema.String })

export const Event = Schema.Union([
  ShipmentPacked,
  ShipmentShipped,
  ShipmentDelivered,
  ShipmentPickedUp,
  ShipmentReturned
])
export type Event = typeof Event.Type

export type Command =
  | {
      readonly _tag: "Pack"
      readonly shipmentId: string
      readonly orderId: string
      readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
      readonly method: Method
      readonly pickupCode?: string | undefined
      readonly at: string
    }
  | {
      readonly _tag: "Ship"
      readonly carrier?: string | undefined
      readonly trackingNo?: string | undefined
      readonly at: string
    }
  | { readonly _tag: "Deliver"; readonly at: string }
  | { readonly _tag: "PickUp"; readonly code: string; readonly at: string }
  | { readonly _tag: "Return"; readonly reason: string; readonly at: string }

export type Status = "none" | "packed" | "shipped" | "delivered" | "picked-up" | "returned"

export interface State {
  readonly status: Status
  readonly shipmentId: string
  readonly orderId: string
  readonly method: Method | undefined
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  readonly pickupCode: string | undefined
}

export const initialState: State = {
  status: "none",
  shipmentId: "",
  orderId: "",
  method: undefined,
  lines: [],
  pickupCode: undefined
}

export class ShipmentError extends Data.TaggedError("ShipmentError")<{
  readonly reason: "invalid-state" | "wrong-code" | "missing-code" | "empty" | "wrong-method"
  readonly message: string
}> {}

export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "ShipmentPacked", "packed"],
  ["packed", "ShipmentShipped", "shipped"],
  ["shipped", "ShipmentDelivered", "delivered"],
  ["shipped", "ShipmentPickedUp", "picked-up"],
  ["shipped", "ShipmentReturned", "returned"],
  ["delivered", "ShipmentReturned", "returned"],
  ["picked-up", "ShipmentReturned", "returned"]
]

export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "ShipmentPacked" }, (e) => ({
      status: "packed" as const,
      shipmentId: e.shipmentId,
      orderId: e.orderId,
      method: e.method,
      lines: e.lines,
      pickupCode: e.pickupCode
    }))
    .with({ _tag: "ShipmentShipped" }, () => ({ ...state, status: "shipped" as const }))
    .with({ _tag: "ShipmentDelivered" }, () => ({ ...state, status: "delivered" as const }))
    .with({ _tag: "ShipmentPickedUp" }, () => ({ ...state, status: "picked-up" as const }))
    .with({ _tag: "ShipmentReturned" }, () => ({ ...state, status: "returned" as const }))
    .exhaustive()

export const fold = (events: Iterable<Event>, state: State = initialState): State => {
  let s = state
  for (const e of events) s = evolve(s, e)
  return s
}

type Decision = Result.Result<ReadonlyArray<Event>, ShipmentError>
const fail = (reason: ShipmentError["reason"], message: string): Decision =>
  Result.fail(new ShipmentError({ reason, message }))

/** Constant-time-ish comparison of two short codes. */
const sameCode = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

export const decide = (command: Command, state: State): Decision =>
  match(command)
    .with({ _tag: "Pack" }, (c): Decision => {
      if (state.status !== "none") return fail("invalid-state", `shipment ${c.shipmentId} exists`)
      if (c.lines.length === 0 || c.lines.some((l) => l.qty <= 0))
        return fail("empty", "a shipment needs positive lines")
      if (c.method === "pickup" && !c.pickupCode) return fail("missing-code", "a meet-up pickup needs a pickup code")
      return Result.succeed([
        {
          _tag: "ShipmentPacked",
          shipmentId: c.shipmentId,
          orderId: c.orderId,
          lines: c.lines,
          method: c.method,
          at: c.at,
          ...(c.pickupCode ? { pickupCode: c.pickupCode } : {})
        }
      ])
    })
    .with(
      { _tag: "Ship" },
      (c): Decision =>
        state.status === "packed"
          ? Result.succeed([
              {
                _tag: "ShipmentShipped",
                at: c.at,
                ...(c.carrier ? { carrier: c.carrier } : {}),
                ...(c.trackingNo ? { trackingNo: c.trackingNo } : {})
              }
            ])
          : fail("invalid-state", `cannot ship a ${state.status} shipment`)
    )
    .with({ _tag: "Deliver" }, (c): Decision => {
      if (state.status !== "shipped") return fail("invalid-state", `cannot deliver a ${state.status} shipment`)
      if (state.method === "pickup") return fail("wrong-method", "a meet-up pickup is confirmed with the pickup code")
      return Result.succeed([{ _tag: "ShipmentDelivered", at: c.at }])
    })
    .with({ _tag: "PickUp" }, (c): Decision => {
      if (state.method !== "pickup") return fail("wrong-method", "this shipment is not a meet-up pickup")
      if (state.status !== "shipped")
        return fail("invalid-state", `the pickup code was used already or the parcel is ${state.status}`)
      if (!state.pickupCode || !sameCode(state.pickupCode, c.code))
        return fail("wrong-code", "the pickup code does not match")
      return Result.succeed([{ _tag: "ShipmentPickedUp", at: c.at }])
    })
    .with(
      { _tag: "Return" },
      (c): Decision =>
        state.status === "shipped" || state.status === "delivered" || state.status === "picked-up"
          ? Result.succeed([{ _tag: "ShipmentReturned", reason: c.reason, at: c.at }])
          : fail("invalid-state", `cannot return a ${state.status} shipment`)
    )
    .exhaustive()
