/**
 * The Logistics port: send a shipment through a carrier and follow it. A buyer picks a
 * convenience store on the carrier's store map (電子地圖, opened from a link in chat); the
 * organiser creates the carrier order for a packed shipment and gets its tracking number and a
 * label (print) page; the carrier reports the parcel's progress to a callback URL. Every callback
 * is verified before anything in it is read, and decoded into a normalised {@link StatusUpdate}
 * or {@link StoreChoice}.
 *
 * Implemented by `@kaituan/logistics-ecpay` (ECPay 綠界物流: C2C pickup at 7-ELEVEN, FamilyMart,
 * Hi-Life and OK, home delivery by TCAT 黑貓). {@link LogisticsContract} is the contract every
 * implementation runs in its tests.
 *
 * @since 0.3.0
 */
import { Context, type Effect, Schema } from "effect"
import type { InboundRequest, PlainResponse } from "./Http.js"

/** Convenience-store chains a buyer can pick a store of (C2C, 店到店). */
export const StoreCarrier = Schema.Literals(["7-eleven", "familymart", "hi-life", "ok"])
/** A convenience-store chain. */
export type StoreCarrier = typeof StoreCarrier.Type

/** Home-delivery carriers. */
export const HomeCarrier = Schema.Literals(["tcat"])
/** A home-delivery carrier. */
export type HomeCarrier = typeof HomeCarrier.Type

/** Every carrier: a store chain (pickup at the store) or a home-delivery carrier. */
export const Carrier = Schema.Literals([...StoreCarrier.literals, ...HomeCarrier.literals])
/** A carrier. */
export type Carrier = typeof Carrier.Type

/** Whether a carrier delivers to a convenience store (else to the buyer's address). */
export const isStoreCarrier = (carrier: Carrier): carrier is StoreCarrier => carrier !== "tcat"

/** The carriers' names as buyers know them (for messages). */
export const carrierNames: Readonly<Record<Carrier, string>> = {
  "7-eleven": "7-ELEVEN",
  familymart: "全家",
  "hi-life": "萊爾富",
  ok: "OK超商",
  tcat: "黑貓宅急便"
}

/**
 * The merchant's reference of a carrier order (ECPay `MerchantTradeNo`): 1–20 letters or digits,
 * unique per merchant. Callbacks name the shipment by it.
 */
export const Reference = Schema.String.check(Schema.isPattern(/^[A-Za-z0-9]{1,20}$/))

const Text = (max: number) => Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max))

/** A convenience store, as the carrier's store map returns it. A store's details are no one's personal data. */
export const Store = Schema.Struct({
  carrier: StoreCarrier,
  /** The chain's store number (ECPay `CVSStoreID`). */
  storeId: Text(32),
  storeName: Schema.String.check(Schema.isMaxLength(100)),
  address: Schema.String.check(Schema.isMaxLength(200)),
  telephone: Schema.optional(Schema.String.check(Schema.isMaxLength(40))),
  /** An outlying-island store (ECPay `CVSOutSide=1`). */
  outlying: Schema.optional(Schema.Boolean)
})
/** A convenience store. */
export type Store = typeof Store.Type

/** A form the buyer's (or organiser's) browser posts to the carrier: render it with `CheckoutPage`. */
export interface Form {
  readonly _tag: "Form"
  readonly action: string
  readonly method: "POST"
  readonly fields: Readonly<Record<string, string>>
}

/** What opens the store map: the carrier, the reference the choice comes back with, and where. */
export const StoreMapRequest = Schema.Struct({
  reference: Reference,
  carrier: StoreCarrier,
  /** `mobile` shows the phone layout (ECPay `Device=1`). Default `mobile`: buyers come from chat. */
  device: Schema.optional(Schema.Literals(["pc", "mobile"])),
  /** Where the carrier posts the choice (else the implementation's default). */
  replyUrl: Schema.optional(Schema.String),
  /** Cash on delivery: the buyer pays at the store (ECPay `IsCollection=Y`). */
  collect: Schema.optional(Schema.Boolean)
})
/** What opens the store map. */
export type StoreMapRequest = typeof StoreMapRequest.Type

/** The buyer's store choice, verified and decoded from the store map's reply. */
export const StoreChoice = Schema.Struct({
  reference: Reference,
  store: Store,
  /** What the map request carried back (ECPay `ExtraData`), when anything. */
  extraData: Schema.optional(Schema.String)
})
/** The buyer's store choice. */
export type StoreChoice = typeof StoreChoice.Type

/**
 * Who receives the parcel. Personal data: passed to the carrier, never stored in events, logged,
 * or put in errors.
 */
export const Receiver = Schema.Struct({
  name: Text(40),
  /** A mobile number (`09xxxxxxxx`); the store texts the buyer when the parcel arrives. */
  cellPhone: Schema.String.check(Schema.isPattern(/^09\d{8}$/)),
  email: Schema.optional(Schema.String.check(Schema.isMaxLength(100))),
  /** For home delivery. */
  zipCode: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{3,6}$/))),
  address: Schema.optional(Schema.String.check(Schema.isMaxLength(200)))
})
/** Who receives the parcel. */
export type Receiver = typeof Receiver.Type

/** What the carrier order is for. */
export const CreateShipmentRequest = Schema.Struct({
  reference: Reference,
  carrier: Carrier,
  /** The store (required for a store carrier). */
  store: Schema.optional(Store),
  receiver: Receiver,
  /** The declared value in whole TWD (ECPay `GoodsAmount`, 1–20,000). */
  goodsAmount: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 20_000 })),
  goodsName: Text(60),
  /** Cash on delivery of `goodsAmount` (ECPay `IsCollection=Y`). */
  collect: Schema.optional(Schema.Boolean)
})
/** What the carrier order is for. */
export type CreateShipmentRequest = typeof CreateShipmentRequest.Type

/** A carrier order as created. */
export const CarrierOrder = Schema.Struct({
  reference: Reference,
  carrier: Carrier,
  /** The carrier's id of the order (ECPay `AllPayLogisticsID`). */
  carrierOrderId: Schema.String,
  /** What the buyer tracks the parcel by (ECPay `CVSPaymentNo`, or `BookingNote` for home delivery). */
  trackingNo: Schema.String,
  /** The second half of a 7-ELEVEN C2C code (ECPay `CVSValidationNo`). */
  validationNo: Schema.optional(Schema.String),
  /** The carrier's status code and text when created. */
  code: Schema.String,
  message: Schema.optional(Schema.String)
})
/** A carrier order as created. */
export type CarrierOrder = typeof CarrierOrder.Type

/**
 * A parcel's progress, normalised: `in-transit` (accepted, at a logistics centre, on its way),
 * `arrived-at-store` (waiting for the buyer at the store), `picked-up` (the buyer collected it),
 * `delivered` (home delivery done), `unclaimed` (not collected in time: it goes back to the
 * sender), `other` (a code this version does not know: kept, never acted on).
 */
export const StatusKind = Schema.Literals([
  "in-transit",
  "arrived-at-store",
  "picked-up",
  "delivered",
  "unclaimed",
  "other"
])
/** A parcel's progress, normalised. */
export type StatusKind = typeof StatusKind.Type

/** A verified status callback. */
export const StatusUpdate = Schema.Struct({
  reference: Reference,
  carrierOrderId: Schema.String,
  kind: StatusKind,
  /** The carrier's own status code (ECPay `RtnCode`) and text (`RtnMsg`). */
  code: Schema.String,
  message: Schema.optional(Schema.String),
  /** When the carrier recorded it (ISO 8601), when it says. */
  at: Schema.optional(Schema.String),
  /** For `arrived-at-store`: the last day to pick it up (ISO 8601), when known. */
  pickUpBy: Schema.optional(Schema.String)
})
/** A verified status callback. */
export type StatusUpdate = typeof StatusUpdate.Type

/**
 * Why a logistics operation failed. `unauthorized`: a callback's MAC is missing or wrong, or it
 * is another merchant's; `invalid-payload`: a request or callback the carrier cannot take or
 * could not have sent; `transport`: the carrier could not be reached; `rejected`: the carrier
 * refused (its message says why); `duplicate`: the carrier holds an order under this reference
 * already; `unsupported`: this carrier does not offer it.
 */
export class LogisticsError extends Schema.TaggedError<LogisticsError>()("LogisticsError", {
  reason: Schema.Literals(["unauthorized", "invalid-payload", "transport", "rejected", "duplicate", "unsupported"]),
  message: Schema.String
}) {}

/** What a label (print) page needs of a carrier order. */
export interface PrintRequest {
  readonly carrier: Carrier
  readonly carrierOrderId: string
  readonly trackingNo: string
  readonly validationNo?: string | undefined
}

/** The port. */
export interface LogisticsService {
  readonly id: string
  /** The form that opens the carrier's store map for a buyer. */
  readonly storeMap: (request: StoreMapRequest) => Effect.Effect<Form, LogisticsError>
  /** Creates the carrier order. The carrier refuses a second order under the same reference (`duplicate`). */
  readonly createShipment: (request: CreateShipmentRequest) => Effect.Effect<CarrierOrder, LogisticsError>
  /** The form that opens the label (shipping slip / 小白單) page of a carrier order. */
  readonly printPage: (request: PrintRequest) => Effect.Effect<Form, LogisticsError>
  /** Verifies (before reading anything else) and decodes a status callback. */
  readonly statusCallback: (request: InboundRequest) => Effect.Effect<StatusUpdate, LogisticsError>
  /** Verifies and decodes the store map's reply. */
  readonly storeCallback: (request: InboundRequest) => Effect.Effect<StoreChoice, LogisticsError>
  /** The exact answer the carrier expects for an accepted (or refused) callback, e.g. ECPay's `1|OK`. */
  readonly acknowledge: (accepted: boolean) => PlainResponse
}

/** The Logistics tag. */
export class Logistics extends Context.Service<Logistics, LogisticsService>()("@kaituan/core/Logistics") {}

const decodeChoice = Schema.decodeUnknownResult(StoreChoice)

/** Decodes a store choice (an adapter's last check of what it read). */
export const decodeStoreChoice = (input: unknown) => decodeChoice(input)
