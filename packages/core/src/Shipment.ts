/**
 * The Shipment aggregate: packed → shipped → delivered, or picked up at a meet-up with a
 * one-time pickup code (the buyer's QR code) → returned. An order may have several shipments
 * (拆單出貨: the in-stock part now, the pre-order part later).
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as Decider from "./Decider.js"

/** How a shipment travels: home delivery, a convenience store (cvs) or a meet-up pickup. */
export const Method = Schema.Literals(["home", "cvs", "pickup"])
/** How a shipment travels. */
export type Method = typeof Method.Type

/** The shipment was packed with these lines (a meet-up pickup with its one-time code). */
export const ShipmentPacked = Schema.TaggedStruct("ShipmentPacked", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) })),
  method: Method,
  /** For meet-up pickup: the one-time code the buyer shows (as a QR code). */
  pickupCode: Schema.optional(Schema.String),
  at: Schema.String
})
/** The shipment left (with its carrier and tracking number when known). */
export const ShipmentShipped = Schema.TaggedStruct("ShipmentShipped", {
  carrier: Schema.optional(Schema.String),
  trackingNo: Schema.optional(Schema.String),
  at: Schema.String
})
/** The carrier delivered it (home or store). */
export const ShipmentDelivered = Schema.TaggedStruct("ShipmentDelivered", { at: Schema.String })
/** The buyer picked it up at the meet-up with the right code. */
export const ShipmentPickedUp = Schema.TaggedStruct("ShipmentPickedUp", { at: Schema.String })
/** It came back (refused, not collected, damaged…): `lines`, the part that came back (absent: all of it). */
export const ShipmentReturned = Schema.TaggedStruct("ShipmentReturned", {
  reason: Schema.String,
  lines: Schema.optional(
    Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int.check(Schema.isGreaterThan(0)) }))
  ),
  at: Schema.String
})
/** A wrong pickup code was tried (`attempt`: the how-manieth wrong one since the last unlock). */
export const PickupCodeRejected = Schema.TaggedStruct("PickupCodeRejected", { attempt: Schema.Int, at: Schema.String })
/** {@link MAX_PICKUP_ATTEMPTS} wrong codes: the pickup is refused, even with the right code, until unlocked. */
export const PickupLocked = Schema.TaggedStruct("PickupLocked", { at: Schema.String })
/** The organiser unlocked the pickup: the wrong tries count from 0 again. */
export const PickupUnlocked = Schema.TaggedStruct("PickupUnlocked", { at: Schema.String })

/** Every shipment event. */
export const Event = Schema.Union([
  ShipmentPacked,
  ShipmentShipped,
  ShipmentDelivered,
  ShipmentPickedUp,
  ShipmentReturned,
  PickupCodeRejected,
  PickupLocked,
  PickupUnlocked
])
/** Every shipment event. */
export type Event = typeof Event.Type

/** Wrong pickup codes in a row (since the last unlock) that lock a meet-up pickup. */
export const MAX_PICKUP_ATTEMPTS = 5

const LOCKED_MESSAGE = `too many wrong pickup codes (${MAX_PICKUP_ATTEMPTS}): the pickup is locked until the organiser unlocks it`

/**
 * The event of the pickup-code index: one stream per code ({@link codeStream}), written with the
 * shipment, so the counter finds the shipment by the code alone (`GroupBuy.findPickup`). The
 * stream is created at version 0: two shipments never share a code.
 */
export const PickupCodeIssued = Schema.TaggedStruct("PickupCodeIssued", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  at: Schema.String
})
/** The event of the pickup-code index. */
export type PickupCodeIssued = typeof PickupCodeIssued.Type

/** A pickup code as typed or scanned, compared and stored in one form: upper case, no spaces or dashes. */
export const normalizeCode = (code: string): string => code.replace(/[\s-]+/g, "").toUpperCase()

/** The stream of the pickup-code index for a (normalised) code. */
export const codeStream = (code: string): string => `pickup-code:${code}`

/** What can be asked of a shipment. */
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
  /** Records a wrong pickup code (the use case issues it when `PickUp` is refused for the code). */
  | { readonly _tag: "RejectCode"; readonly at: string }
  /** Lifts a lock after too many wrong codes (nothing to do when the pickup is not locked). */
  | { readonly _tag: "Unlock"; readonly at: string }
  | {
      readonly _tag: "Return"
      readonly reason: string
      /** The lines that came back (absent: the whole shipment); each within the shipment's own. */
      readonly lines?: ReadonlyArray<{ readonly sku: string; readonly qty: number }> | undefined
      readonly at: string
    }

/** A shipment's lifecycle status. */
export type Status = "none" | "packed" | "shipped" | "delivered" | "picked-up" | "returned"

/** A shipment's state, folded from its events. */
export interface State {
  readonly status: Status
  readonly shipmentId: string
  readonly orderId: string
  readonly method: Method | undefined
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  readonly pickupCode: string | undefined
  /** Wrong pickup codes tried since the last unlock. */
  readonly failedPickups: number
  /** Too many wrong codes: no pickup until the organiser unlocks it. */
  readonly pickupLocked: boolean
}

/** The state before the first event. */
export const initialState: State = {
  status: "none",
  shipmentId: "",
  orderId: "",
  method: undefined,
  lines: [],
  pickupCode: undefined,
  failedPickups: 0,
  pickupLocked: false
}

/** A command the shipment's state does not allow. */
export class ShipmentError extends Data.TaggedError("ShipmentError")<{
  readonly reason: "invalid-state" | "wrong-code" | "missing-code" | "empty" | "wrong-method" | "locked"
  readonly message: string
}> {}

/** Every allowed (status, event) → status move. A property test checks nothing else happens. */
export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "ShipmentPacked", "packed"],
  ["packed", "ShipmentShipped", "shipped"],
  ["shipped", "ShipmentDelivered", "delivered"],
  ["shipped", "ShipmentPickedUp", "picked-up"],
  ["shipped", "ShipmentReturned", "returned"],
  ["shipped", "PickupCodeRejected", "shipped"],
  ["shipped", "PickupLocked", "shipped"],
  ["shipped", "PickupUnlocked", "shipped"],
  ["delivered", "ShipmentReturned", "returned"],
  ["picked-up", "ShipmentReturned", "returned"]
]

/** Folds one event into the state. */
export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "ShipmentPacked" }, (e) => ({
      status: "packed" as const,
      shipmentId: e.shipmentId,
      orderId: e.orderId,
      method: e.method,
      lines: e.lines,
      pickupCode: e.pickupCode,
      failedPickups: 0,
      pickupLocked: false
    }))
    .with({ _tag: "ShipmentShipped" }, () => ({ ...state, status: "shipped" as const }))
    .with({ _tag: "ShipmentDelivered" }, () => ({ ...state, status: "delivered" as const }))
    .with({ _tag: "ShipmentPickedUp" }, () => ({ ...state, status: "picked-up" as const }))
    .with({ _tag: "ShipmentReturned" }, () => ({ ...state, status: "returned" as const }))
    .with({ _tag: "PickupCodeRejected" }, () => ({ ...state, failedPickups: state.failedPickups + 1 }))
    .with({ _tag: "PickupLocked" }, () => ({ ...state, pickupLocked: true }))
    .with({ _tag: "PickupUnlocked" }, () => ({ ...state, pickupLocked: false, failedPickups: 0 }))
    .exhaustive()

/** Folds many events. */
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

/** Decides what a command does in the current state. */
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
      if (state.pickupLocked) return fail("locked", LOCKED_MESSAGE)
      if (!state.pickupCode || !sameCode(state.pickupCode, c.code))
        return fail("wrong-code", "the pickup code does not match")
      return Result.succeed([{ _tag: "ShipmentPickedUp", at: c.at }])
    })
    .with({ _tag: "RejectCode" }, (c): Decision => {
      if (state.method !== "pickup" || state.status !== "shipped")
        return fail("invalid-state", `no pickup waits on a ${state.status} shipment`)
      if (state.pickupLocked) return fail("locked", LOCKED_MESSAGE)
      const attempt = state.failedPickups + 1
      return Result.succeed(
        attempt >= MAX_PICKUP_ATTEMPTS
          ? [
              { _tag: "PickupCodeRejected", attempt, at: c.at },
              { _tag: "PickupLocked", at: c.at }
            ]
          : [{ _tag: "PickupCodeRejected", attempt, at: c.at }]
      )
    })
    .with({ _tag: "Unlock" }, (c): Decision => {
      if (state.method !== "pickup") return fail("wrong-method", "this shipment is not a meet-up pickup")
      return Result.succeed(state.pickupLocked ? [{ _tag: "PickupUnlocked", at: c.at }] : [])
    })
    .with({ _tag: "Return" }, (c): Decision => {
      if (!(state.status === "shipped" || state.status === "delivered" || state.status === "picked-up"))
        return fail("invalid-state", `cannot return a ${state.status} shipment`)
      if (c.lines === undefined) return Result.succeed([{ _tag: "ShipmentReturned", reason: c.reason, at: c.at }])
      const lines = c.lines.filter((l) => l.qty > 0)
      if (lines.length === 0) return fail("empty", "a return needs lines")
      const asked: Record<string, number> = {}
      for (const l of lines) asked[l.sku] = (asked[l.sku] ?? 0) + l.qty
      for (const [sku, qty] of Object.entries(asked)) {
        const packed = state.lines.reduce((n, l) => (l.sku === sku ? n + l.qty : n), 0)
        if (qty > packed)
          return fail("invalid-state", `returning ${qty} of ${sku} exceeds the ${packed} in this shipment`)
      }
      return Result.succeed([{ _tag: "ShipmentReturned", reason: c.reason, lines, at: c.at }])
    })
    .exhaustive()

/**
 * A pickup attempt at the counter: the events to store and, when the pickup is refused, why. A
 * right code picks the parcel up; a wrong one is recorded (`PickupCodeRejected`), and the
 * {@link MAX_PICKUP_ATTEMPTS}th wrong one in a row locks the pickup (`PickupLocked`): from then
 * on every code, the right one too, is refused with reason `locked` until `Unlock`.
 */
export const attemptPickup = (
  state: State,
  code: string,
  at: string
): { readonly events: ReadonlyArray<Event>; readonly refused?: ShipmentError | undefined } => {
  const picked = decide({ _tag: "PickUp", code, at }, state)
  if (Result.isSuccess(picked)) return { events: picked.success }
  if (picked.failure.reason !== "wrong-code") return { events: [], refused: picked.failure }
  const recorded = decide({ _tag: "RejectCode", at }, state)
  if (Result.isFailure(recorded)) return { events: [], refused: recorded.failure }
  const after = fold(recorded.success, state)
  const left = MAX_PICKUP_ATTEMPTS - after.failedPickups
  return {
    events: recorded.success,
    refused: after.pickupLocked
      ? new ShipmentError({ reason: "locked", message: `the pickup code does not match; ${LOCKED_MESSAGE}` })
      : new ShipmentError({
          reason: "wrong-code",
          message: `the pickup code does not match (${left} ${left === 1 ? "try" : "tries"} left before the pickup locks)`
        })
  }
}

/**
 * The Shipment aggregate as a value: {@link initialState}, {@link decide} and {@link evolve}, for
 * `Decider` helpers and the `CommandHandler`.
 */
export const decider: Decider.Decider<Command, State, Event, ShipmentError> = Decider.make({
  initialState,
  decide,
  evolve
})
