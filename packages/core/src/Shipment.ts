/**
 * The Shipment aggregate: packed → shipped → delivered, or picked up at a meet-up with a
 * one-time pickup code (the buyer's QR code) → returned. An order may have several shipments
 * (拆單出貨: the in-stock part now, the pre-order part later).
 *
 * A shipment sent through a carrier (`Logistics`) is assigned the carrier and the reference its
 * carrier order goes by (`CarrierAssigned`); a convenience-store shipment gets the buyer's store
 * (`StoreChosen`) before it ships; `ShipmentShipped` records the carrier order's tracking number;
 * the carrier's reports then move it on: `ShipmentArrivedAtStore` (with the pick-up-by date),
 * `ShipmentPickedUp`, `ShipmentDelivered`, or `ShipmentReturned` with reason `unclaimed`. A
 * report that does not move the shipment (the same report again, a late one) decides nothing.
 *
 * @since 0.1.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as Decider from "./Decider.js"
import * as Logistics from "./Logistics.js"

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
  /** The carrier's id of its order (ECPay `AllPayLogisticsID`), for a carrier order. */
  carrierOrderId: Schema.optional(Schema.String),
  /** The second half of a 7-ELEVEN C2C code (ECPay `CVSValidationNo`). */
  validationNo: Schema.optional(Schema.String),
  at: Schema.String
})
/** The carrier delivered it (home or store). */
export const ShipmentDelivered = Schema.TaggedStruct("ShipmentDelivered", { at: Schema.String })
/** The buyer picked it up at the meet-up with the right code. */
export const ShipmentPickedUp = Schema.TaggedStruct("ShipmentPickedUp", { at: Schema.String })
/** It came back (refused, not collected, damaged…): `lines`, the part that came back (absent: all of it). */
export const ShipmentReturned = Schema.TaggedStruct("ShipmentReturned", {
  /** Why: `unclaimed` (the buyer did not collect it at the store in time), or the organiser's reason code. */
  reason: Schema.String,
  /** The carrier's status code that reported it, when a carrier did. */
  carrierCode: Schema.optional(Schema.String),
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

/** The shipment goes through this carrier, its carrier order under this reference (ECPay `MerchantTradeNo`). */
export const CarrierAssigned = Schema.TaggedStruct("CarrierAssigned", {
  carrier: Logistics.Carrier,
  reference: Logistics.Reference,
  at: Schema.String
})
/** The buyer chose the convenience store to pick the parcel up at (from the carrier's store map). */
export const StoreChosen = Schema.TaggedStruct("StoreChosen", { store: Logistics.Store, at: Schema.String })
/** The carrier reports the parcel waiting at the buyer's store, to be picked up by `pickUpBy` (ISO 8601) when known. */
export const ShipmentArrivedAtStore = Schema.TaggedStruct("ShipmentArrivedAtStore", {
  pickUpBy: Schema.optional(Schema.String),
  carrierCode: Schema.optional(Schema.String),
  at: Schema.String
})

/** Every shipment event. */
export const Event = Schema.Union([
  ShipmentPacked,
  ShipmentShipped,
  ShipmentDelivered,
  ShipmentPickedUp,
  ShipmentReturned,
  PickupCodeRejected,
  PickupLocked,
  PickupUnlocked,
  CarrierAssigned,
  StoreChosen,
  ShipmentArrivedAtStore
])
/** Every shipment event. */
export type Event = typeof Event.Type

/** The return reason of a parcel the buyer did not collect at the store in time. */
export const UNCLAIMED = "unclaimed"

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
      readonly carrierOrderId?: string | undefined
      readonly validationNo?: string | undefined
      readonly at: string
    }
  /** Sends a packed shipment through a carrier, its carrier order under `reference` (nothing to do when so already). */
  | {
      readonly _tag: "AssignCarrier"
      readonly carrier: Logistics.Carrier
      readonly reference: string
      readonly at: string
    }
  /** The buyer's store for a packed convenience-store shipment (nothing to do when it is that store already). */
  | { readonly _tag: "ChooseStore"; readonly store: Logistics.Store; readonly at: string }
  /**
   * A carrier's report on a shipped parcel: it moves the shipment when it says something new
   * (arrived, picked up, delivered, unclaimed), and decides nothing otherwise (in transit, the same
   * report again, a report older than what is known).
   */
  | {
      readonly _tag: "CarrierReport"
      readonly kind: Logistics.StatusKind
      readonly code: string
      readonly pickUpBy?: string | undefined
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
  /** The carrier and carrier-order reference, for a shipment sent through a carrier. */
  readonly carrier: Logistics.Carrier | undefined
  readonly reference: string | undefined
  /** The buyer's convenience store. */
  readonly store: Logistics.Store | undefined
  /** As recorded when it shipped. */
  readonly trackingNo: string | undefined
  readonly carrierOrderId: string | undefined
  readonly validationNo: string | undefined
  /** The carrier reported it waiting at the store (until `pickUpBy`, when known). */
  readonly atStore: boolean
  readonly pickUpBy: string | undefined
  /** Why it came back. */
  readonly returnReason: string | undefined
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
  pickupLocked: false,
  carrier: undefined,
  reference: undefined,
  store: undefined,
  trackingNo: undefined,
  carrierOrderId: undefined,
  validationNo: undefined,
  atStore: false,
  pickUpBy: undefined,
  returnReason: undefined
}

/** A command the shipment's state does not allow. */
export class ShipmentError extends Data.TaggedError("ShipmentError")<{
  readonly reason:
    | "invalid-state"
    | "wrong-code"
    | "missing-code"
    | "empty"
    | "wrong-method"
    | "locked"
    | "missing-store"
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
  ["picked-up", "ShipmentReturned", "returned"],
  ["packed", "CarrierAssigned", "packed"],
  ["packed", "StoreChosen", "packed"],
  ["shipped", "ShipmentArrivedAtStore", "shipped"]
]

/** Folds one event into the state. */
export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "ShipmentPacked" }, (e) => ({
      ...initialState,
      status: "packed" as const,
      shipmentId: e.shipmentId,
      orderId: e.orderId,
      method: e.method,
      lines: e.lines,
      pickupCode: e.pickupCode
    }))
    .with({ _tag: "ShipmentShipped" }, (e) => ({
      ...state,
      status: "shipped" as const,
      trackingNo: e.trackingNo,
      carrierOrderId: e.carrierOrderId,
      validationNo: e.validationNo
    }))
    .with({ _tag: "ShipmentDelivered" }, () => ({ ...state, status: "delivered" as const, atStore: false }))
    .with({ _tag: "ShipmentPickedUp" }, () => ({ ...state, status: "picked-up" as const, atStore: false }))
    .with({ _tag: "ShipmentReturned" }, (e) => ({
      ...state,
      status: "returned" as const,
      atStore: false,
      returnReason: e.reason
    }))
    .with({ _tag: "CarrierAssigned" }, (e) => ({
      ...state,
      carrier: e.carrier,
      reference: e.reference,
      // Another chain's store does not take this chain's parcels.
      store: state.store !== undefined && state.store.carrier === e.carrier ? state.store : undefined
    }))
    .with({ _tag: "StoreChosen" }, (e) => ({ ...state, store: e.store }))
    .with({ _tag: "ShipmentArrivedAtStore" }, (e) => ({ ...state, atStore: true, pickUpBy: e.pickUpBy }))
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
    .with({ _tag: "Ship" }, (c): Decision => {
      if (state.status !== "packed") return fail("invalid-state", `cannot ship a ${state.status} shipment`)
      if (state.carrier !== undefined && Logistics.isStoreCarrier(state.carrier) && state.store === undefined)
        return fail("missing-store", "the buyer has not chosen a store yet")
      return Result.succeed([
        {
          _tag: "ShipmentShipped",
          at: c.at,
          ...(c.carrier ? { carrier: c.carrier } : {}),
          ...(c.trackingNo ? { trackingNo: c.trackingNo } : {}),
          ...(c.carrierOrderId ? { carrierOrderId: c.carrierOrderId } : {}),
          ...(c.validationNo ? { validationNo: c.validationNo } : {})
        }
      ])
    })
    .with({ _tag: "AssignCarrier" }, (c): Decision => {
      if (state.status !== "packed")
        return fail("invalid-state", `cannot change the carrier of a ${state.status} shipment`)
      const wanted = Logistics.isStoreCarrier(c.carrier) ? "cvs" : "home"
      if (state.method !== wanted)
        return fail("wrong-method", `a ${state.method} shipment cannot go by ${Logistics.carrierNames[c.carrier]}`)
      if (state.carrier === c.carrier && state.reference === c.reference) return Result.succeed([])
      return Result.succeed([{ _tag: "CarrierAssigned", carrier: c.carrier, reference: c.reference, at: c.at }])
    })
    .with({ _tag: "ChooseStore" }, (c): Decision => {
      if (state.status !== "packed")
        return fail("invalid-state", `cannot change the store of a ${state.status} shipment`)
      if (state.method !== "cvs" || state.carrier === undefined || state.carrier !== c.store.carrier)
        return fail("wrong-method", "the store is not of the shipment's convenience-store chain")
      if (state.store?.storeId === c.store.storeId) return Result.succeed([])
      return Result.succeed([{ _tag: "StoreChosen", store: c.store, at: c.at }])
    })
    .with({ _tag: "CarrierReport" }, (c): Decision => {
      if (state.carrier === undefined) return fail("wrong-method", "this shipment is not sent through a carrier")
      if (state.status === "none" || state.status === "packed")
        return fail("invalid-state", `a carrier report on a ${state.status} shipment`)
      // Delivered, picked up or returned: a later report adds nothing (ECPay sends each one until answered).
      if (state.status !== "shipped") return Result.succeed([])
      const carrierCode = c.code === "" ? {} : { carrierCode: c.code }
      return match(c.kind)
        .with(
          "arrived-at-store",
          (): Decision =>
            state.atStore || state.store === undefined
              ? Result.succeed([])
              : Result.succeed([
                  {
                    _tag: "ShipmentArrivedAtStore",
                    at: c.at,
                    ...carrierCode,
                    ...(c.pickUpBy ? { pickUpBy: c.pickUpBy } : {})
                  }
                ])
        )
        .with(
          "picked-up",
          (): Decision =>
            state.method === "cvs" ? Result.succeed([{ _tag: "ShipmentPickedUp", at: c.at }]) : Result.succeed([])
        )
        .with(
          "delivered",
          (): Decision =>
            state.method === "home" ? Result.succeed([{ _tag: "ShipmentDelivered", at: c.at }]) : Result.succeed([])
        )
        .with(
          "unclaimed",
          (): Decision => Result.succeed([{ _tag: "ShipmentReturned", reason: UNCLAIMED, at: c.at, ...carrierCode }])
        )
        .with("in-transit", "other", (): Decision => Result.succeed([]))
        .exhaustive()
    })
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
