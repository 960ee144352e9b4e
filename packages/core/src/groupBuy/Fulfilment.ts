/**
 * Fulfilment through a carrier (`Logistics`): pack a paid order's lines for a convenience store
 * or home delivery, let the buyer choose the store on the carrier's map, create the carrier
 * order (once per shipment, however often it is asked), and apply the carrier's verified status
 * callbacks (once each, however often they arrive). The buyer is told through the outbox, in the
 * same commit as the events: choose a store, shipped (with the tracking number), arrived at the
 * store (pick up by the date), picked up. A parcel the buyer did not collect comes back with
 * reason `unclaimed` and is flagged to the organiser ({@link FulfilmentService.unclaimedReturns});
 * the refund it may call for is after-sales' business, not this module's.
 *
 * Every step runs through `CommandHandler.handleMany`: the shipment's events, the order's, the
 * reference index and the flags are written in one commit.
 *
 * Idempotency:
 * - the carrier order's reference (ECPay `MerchantTradeNo`) is drawn once, when the shipment is
 *   packed, and kept in its `CarrierAssigned` event; the carrier holds at most one order per
 *   reference, so a second attempt can never make a second carrier order;
 * - {@link FulfilmentService.createCarrierOrder} on a shipment that shipped answers what was
 *   recorded, without calling the carrier; calls for one shipment in one process run one at a
 *   time, and the recording commit claims the key `carrier-order:<shipmentId>`. Should the
 *   process stop between the carrier's answer and that commit, the next attempt is refused by
 *   the carrier as a duplicate reference: it fails `rejected`, naming the reference to look up,
 *   and never makes a second order;
 * - a status callback is keyed by its reference, code and time: the same callback again is a
 *   `duplicate`; another that says nothing new decides no event (`unchanged`).
 *
 * @since 0.3.0
 */
import { Clock, Context, Effect, Layer, Result, Schema, Semaphore } from "effect"
import { match, P } from "ts-pattern"
import * as CommandHandler from "../CommandHandler.js"
import * as Decider from "../Decider.js"
import { GroupBuyError } from "../GroupBuy.js"
import { IdGenerator } from "../IdGenerator.js"
import * as inputs from "../internal/inputs.js"
import { traceService } from "../internal/traceService.js"
import * as Logistics from "../Logistics.js"
import type { OutboundMessage } from "../Notification.js"
import * as Order from "../Order.js"
import * as Shipment from "../Shipment.js"
import { Storage, type StorageError, orderStream, shipmentStream } from "../Storage.js"
import { taipeiParts } from "../TaipeiTime.js"
import { buyerRecipient } from "./Messages.js"
import { orderView } from "./Views.js"

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const Id = inputs.IdString(inputs.MAX_ID_LENGTH)

/** The input of {@link FulfilmentService.pack}. */
export const PackInput = Schema.Struct({
  orderId: Id,
  lines: Schema.Array(Schema.Struct({ sku: Id, qty: Schema.Int.check(Schema.isGreaterThan(0)) })),
  carrier: Logistics.Carrier
})
/** The input of {@link FulfilmentService.pack}. */
export type PackInput = typeof PackInput.Type

/** The input of {@link FulfilmentService.createCarrierOrder}. */
export const CarrierOrderInput = Schema.Struct({
  shipmentId: Id,
  /** Who receives it (personal data: sent to the carrier only, never stored or logged). */
  receiver: Logistics.Receiver,
  /** The declared value (default: the order's total, when it is 1–20,000). */
  goodsAmount: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 20_000 }))),
  /** What is in it (default {@link DEFAULT_GOODS_NAME}). */
  goodsName: Schema.optional(inputs.ShortText(60)),
  /** Cash on delivery of the goods amount. */
  collect: Schema.optional(Schema.Boolean)
})
/** The input of {@link FulfilmentService.createCarrierOrder}. */
export type CarrierOrderInput = typeof CarrierOrderInput.Type

/** A shipment id. */
export const ShipmentInput = Schema.Struct({ shipmentId: Id })
/** A shipment id. */
export type ShipmentInput = typeof ShipmentInput.Type

/** The goods name sent to the carrier when none is given. */
export const DEFAULT_GOODS_NAME = "團購商品"

// ---------------------------------------------------------------------------------------------
// The reference index and the organiser's flags
// ---------------------------------------------------------------------------------------------

/** The stream of the carrier-reference index: one per reference, created with the shipment's `CarrierAssigned`. */
export const referenceStream = (reference: string): string => `carrier-ref:${reference}`

/** The event of the reference index: which shipment a carrier reference belongs to. */
export const ReferenceIssued = Schema.TaggedStruct("ReferenceIssued", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  at: Schema.String
})
/** The event of the reference index. */
export type ReferenceIssued = typeof ReferenceIssued.Type

/** The stream of the organiser's flags (unclaimed returns to deal with). */
export const FLAGS_STREAM = "fulfilment:flags"

/** A parcel came back unclaimed: the organiser should contact the buyer (and maybe refund). */
export const UnclaimedFlagged = Schema.TaggedStruct("UnclaimedFlagged", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  carrier: Schema.optional(Logistics.Carrier),
  trackingNo: Schema.optional(Schema.String),
  carrierCode: Schema.optional(Schema.String),
  at: Schema.String
})
/** The organiser dealt with an unclaimed return. */
export const UnclaimedResolved = Schema.TaggedStruct("UnclaimedResolved", {
  shipmentId: Schema.String,
  at: Schema.String
})
/** The events of the flags stream. */
export const FlagEvent = Schema.Union([UnclaimedFlagged, UnclaimedResolved])
/** The events of the flags stream. */
export type FlagEvent = typeof FlagEvent.Type

/** An unclaimed return waiting for the organiser. */
export interface UnclaimedReturn {
  readonly shipmentId: string
  readonly orderId: string
  readonly carrier?: Logistics.Carrier | undefined
  readonly trackingNo?: string | undefined
  readonly carrierCode?: string | undefined
  /** When the carrier reported it. */
  readonly at: string
}

type FlagCommand =
  | { readonly _tag: "Flag"; readonly flag: UnclaimedReturn }
  | { readonly _tag: "Resolve"; readonly shipmentId: string; readonly at: string }

/** The flags as a decider: one open flag per shipment; flagging twice or resolving twice decides nothing. */
const flagsDecider = Decider.make<FlagCommand, ReadonlyMap<string, UnclaimedReturn>, FlagEvent, never>({
  initialState: new Map(),
  evolve: (state, event) => {
    const next = new Map(state)
    if (event._tag === "UnclaimedFlagged") {
      const { _tag, ...flag } = event
      next.set(event.shipmentId, flag)
    } else next.delete(event.shipmentId)
    return next
  },
  decide: (command, state) =>
    Result.succeed(
      match(command)
        .with(
          { _tag: "Flag" },
          ({ flag }): ReadonlyArray<FlagEvent> =>
            state.has(flag.shipmentId) ? [] : [{ _tag: "UnclaimedFlagged", ...flag }]
        )
        .with(
          { _tag: "Resolve" },
          (c): ReadonlyArray<FlagEvent> =>
            state.has(c.shipmentId) ? [{ _tag: "UnclaimedResolved", shipmentId: c.shipmentId, at: c.at }] : []
        )
        .exhaustive()
    )
})

const decodeShipmentEvent = Schema.decodeUnknownSync(Shipment.Event)
const shipments = CommandHandler.aggregate(Shipment.decider, decodeShipmentEvent)
const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const flags = CommandHandler.aggregate(flagsDecider, Schema.decodeUnknownSync(FlagEvent))
const decodeReference = Schema.decodeUnknownSync(ReferenceIssued)

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

/** What became of a status callback. */
export interface StatusOutcome {
  readonly shipmentId: string
  /** `applied`: it moved the shipment; `unchanged`: it said nothing new; `duplicate`: this very callback was applied before. */
  readonly outcome: "applied" | "unchanged" | "duplicate"
}

/** The carrier order of a shipment. */
export interface CarrierOrderOutcome {
  readonly shipmentId: string
  readonly carrier: Logistics.Carrier
  readonly carrierOrderId: string
  readonly trackingNo: string
  readonly validationNo?: string | undefined
  /** False when it was created before (nothing was asked of the carrier this time). */
  readonly created: boolean
}

/** The use cases. Inputs are decoded at the boundary (`invalid-input` names the field). */
export interface FulfilmentService {
  /**
   * Packs lines of a paid order for a carrier: the order's `AddShipment`, the shipment's
   * `ShipmentPacked` and `CarrierAssigned` (with a fresh carrier reference) and the reference's
   * index, in one commit. For a store carrier the buyer is asked to choose a store (a
   * `choose-store` message with the store map link, when {@link Options.storeMapUrl} is set).
   */
  readonly pack: (
    input: PackInput
  ) => Effect.Effect<{ readonly shipmentId: string; readonly reference: string }, GroupBuyError | StorageError>
  /** The form that opens the carrier's store map for a packed store shipment (behind the link in chat). */
  readonly storeMap: (
    input: ShipmentInput
  ) => Effect.Effect<Logistics.Form, GroupBuyError | Logistics.LogisticsError | StorageError>
  /** Records the buyer's store from a verified store-map reply. The same store again changes nothing. */
  readonly chooseStore: (
    choice: Logistics.StoreChoice
  ) => Effect.Effect<{ readonly shipmentId: string; readonly changed: boolean }, GroupBuyError | StorageError>
  /**
   * Creates the carrier order of a packed shipment and records it as shipped (carrier, tracking
   * number, carrier order id); the buyer gets `shipped` with the tracking number. Asked again
   * (a retry, a double click), it answers the recorded order and asks the carrier nothing.
   */
  readonly createCarrierOrder: (
    input: CarrierOrderInput
  ) => Effect.Effect<CarrierOrderOutcome, GroupBuyError | Logistics.LogisticsError | StorageError>
  /** The label (print) page of a shipped carrier order. */
  readonly printPage: (
    input: ShipmentInput
  ) => Effect.Effect<Logistics.Form, GroupBuyError | Logistics.LogisticsError | StorageError>
  /**
   * Applies a verified status callback: arrived at the store (the buyer is told to pick it up by
   * the date), picked up (the buyer is thanked), delivered, or unclaimed (recorded as returned
   * and flagged to the organiser). An unknown reference is `unknown-shipment`.
   */
  readonly applyStatus: (update: Logistics.StatusUpdate) => Effect.Effect<StatusOutcome, GroupBuyError | StorageError>
  /** The unclaimed returns the organiser has not dealt with, oldest first. */
  readonly unclaimedReturns: () => Effect.Effect<ReadonlyArray<UnclaimedReturn>, StorageError>
  /** Marks an unclaimed return dealt with (nothing to do when it is not flagged). */
  readonly resolveUnclaimed: (input: ShipmentInput) => Effect.Effect<void, GroupBuyError | StorageError>
}

/** The Fulfilment tag. */
export class Fulfilment extends Context.Service<Fulfilment, FulfilmentService>()("@kaituan/core/Fulfilment") {}

/** Options of {@link make}. */
export interface Options {
  /** The link a buyer opens to choose a store (the host serves the store map form there), e.g. `https://shop.example/logistics/map/<shipmentId>`. */
  readonly storeMapUrl?: ((shipmentId: string) => string) | undefined
}

const invalid = (e: unknown, root: string): GroupBuyError => {
  const issue = (e as { readonly issue?: unknown }).issue
  const problems = issue === undefined ? [] : inputs.problemsOf(root, issue as Parameters<typeof inputs.problemsOf>[1])
  const first = problems[0] ?? { path: "", message: "invalid input" }
  return new GroupBuyError({
    reason: "invalid-input",
    message: problems.slice(0, 3).map(inputs.describe).join("; ") || "invalid input",
    field: first.path
  })
}

const decoder = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, root = "") => {
  const run = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], S["Encoded"], never, never>, {
    errors: "all",
    onExcessProperty: "ignore"
  })
  return (input: unknown): Effect.Effect<S["Type"], GroupBuyError> => {
    const result = run(input)
    return Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(invalid(result.failure, root))
  }
}

const decodePack = decoder(PackInput)
const decodeCarrierOrder = decoder(CarrierOrderInput)
const decodeShipment = decoder(ShipmentInput)
const decodeStoreChoice = decoder(Logistics.StoreChoice)
const decodeStatus = decoder(Logistics.StatusUpdate)

const rejected = (message: string, cause?: unknown) => new GroupBuyError({ reason: "rejected", message, cause })
const unknownShipment = (what: string) =>
  new GroupBuyError({ reason: "unknown-shipment", message: `no shipment ${what}` })

/** A shipment refusal as `rejected` (storage errors and GroupBuy's own errors pass through). */
const refusal = <E>(e: E): Exclude<E, Shipment.ShipmentError | Order.OrderError> | GroupBuyError =>
  e instanceof Shipment.ShipmentError || e instanceof Order.OrderError
    ? rejected(e.message, e)
    : (e as Exclude<E, Shipment.ShipmentError | Order.OrderError>)

const pad2 = (n: number): string => String(n).padStart(2, "0")
const weekdays = ["日", "一", "二", "三", "四", "五", "六"]

/** A pick-up-by instant as the buyer reads it: the Taipei date with its weekday, `2024/05/17（五）`. */
export const pickUpByText = (iso: string | undefined): string | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso)
  if (Number.isNaN(ms)) return undefined
  const p = taipeiParts(ms)
  const weekday = weekdays[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()]
  return `${p.year}/${pad2(p.month)}/${pad2(p.day)}（${weekday}）`
}

/** The store as a buyer reads it: `7-ELEVEN 鑫新門市（台北市…）`. */
const placeOf = (store: Logistics.Store | undefined): string | undefined =>
  store === undefined
    ? undefined
    : `${Logistics.carrierNames[store.carrier]} ${store.storeName}${store.address ? `（${store.address}）` : ""}`

/** Builds the use cases over the app's Storage, Logistics and IdGenerator. */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const logistics = yield* Logistics.Logistics
    const ids = yield* IdGenerator
    const nowIso = Clock.currentTimeMillis.pipe(Effect.map((ms) => new Date(ms).toISOString()))
    /** One carrier-order attempt at a time per shipment (in this process). */
    const locks = new Map<string, { readonly semaphore: Semaphore.Semaphore; users: number }>()
    const serialised = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        let lock = locks.get(key)
        if (lock === undefined) {
          lock = { semaphore: Semaphore.makeUnsafe(1), users: 0 }
          locks.set(key, lock)
        }
        const held = lock
        held.users++
        return held.semaphore
          .withPermits(1)(effect)
          .pipe(
            Effect.ensuring(
              Effect.sync(() => {
                held.users--
                if (held.users === 0) locks.delete(key)
              })
            )
          )
      })

    const loadShipment = (shipmentId: string) =>
      Effect.flatMap(CommandHandler.load(storage, shipments, shipmentStream(shipmentId)), (loaded) =>
        loaded.version === 0 ? Effect.fail(unknownShipment(JSON.stringify(shipmentId))) : Effect.succeed(loaded.state)
      )

    const shipmentOf = (reference: string) =>
      Effect.flatMap(storage.readStream(referenceStream(reference)), ({ events }) => {
        const first = events[0]
        return first === undefined
          ? Effect.fail(unknownShipment(`for carrier reference ${JSON.stringify(reference)}`))
          : Effect.succeed(decodeReference(first.data))
      })

    const buyerOf = (order: Order.State) => buyerRecipient(order.buyerId, order.buyer?.id ?? order.buyerId)

    const pack: FulfilmentService["pack"] = (raw) =>
      Effect.gen(function* () {
        const input = yield* decodePack(raw)
        const at = yield* nowIso
        const method: Shipment.Method = Logistics.isStoreCarrier(input.carrier) ? "cvs" : "home"
        const outcome = yield* CommandHandler.handleMany(storage, {
          at,
          process: (unit) =>
            Effect.gen(function* () {
              // Drawn again on a conflict: a reference taken already conflicts on its index.
              const shipmentId = ids.next("s")
              const reference = `K${ids.code()}${ids.code()}`.replace(/[^A-Za-z0-9]/g, "").slice(0, 20)
              const { state: order } = yield* unit.decide(
                orders,
                orderStream(input.orderId),
                { _tag: "AddShipment", shipmentId, lines: input.lines, at },
                {
                  missing: () =>
                    new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${input.orderId}"` })
                }
              )
              const stream = shipmentStream(shipmentId)
              yield* unit.decide(shipments, stream, {
                _tag: "Pack",
                shipmentId,
                orderId: input.orderId,
                lines: input.lines,
                method,
                at
              })
              yield* unit.decide(shipments, stream, { _tag: "AssignCarrier", carrier: input.carrier, reference, at })
              const issued: ReferenceIssued = { _tag: "ReferenceIssued", shipmentId, orderId: input.orderId, at }
              unit.append({
                stream: referenceStream(reference),
                expectedVersion: 0,
                events: [CommandHandler.encodeEvent(issued, at)]
              })
              unit.view({ _tag: "UpsertOrder", order: orderView(order, at) })
              const mapUrl = options.storeMapUrl
              if (method === "cvs" && mapUrl !== undefined)
                unit.send({
                  id: `shipment:${shipmentId}:choose-store`,
                  kind: "choose-store",
                  to: buyerOf(order),
                  data: {
                    orderId: input.orderId,
                    shipmentId,
                    lines: input.lines,
                    carrier: Logistics.carrierNames[input.carrier],
                    storeMapUrl: mapUrl(shipmentId)
                  },
                  createdAt: at
                })
              return { shipmentId, reference }
            })
        }).pipe(Effect.mapError(refusal))
        if (outcome._tag === "Duplicate")
          return yield* Effect.fail(new GroupBuyError({ reason: "conflict", message: "the shipment was not recorded" }))
        return outcome.value
      })

    const storeMap: FulfilmentService["storeMap"] = (raw) =>
      Effect.gen(function* () {
        const { shipmentId } = yield* decodeShipment(raw)
        const state = yield* loadShipment(shipmentId)
        if (state.status !== "packed" || state.carrier === undefined || state.reference === undefined)
          return yield* Effect.fail(rejected(`shipment ${shipmentId} is not waiting for a store (${state.status})`))
        const carrier = state.carrier
        if (!Logistics.isStoreCarrier(carrier))
          return yield* Effect.fail(rejected(`shipment ${shipmentId} goes to the buyer's home, not a store`))
        // Buyers open it from a link in chat: the phone layout.
        return yield* logistics.storeMap({ reference: state.reference, carrier, device: "mobile" })
      })

    const chooseStore: FulfilmentService["chooseStore"] = (raw) =>
      Effect.gen(function* () {
        const choice = yield* decodeStoreChoice(raw)
        const { shipmentId } = yield* shipmentOf(choice.reference)
        const at = yield* nowIso
        const outcome = yield* CommandHandler.handleMany(storage, {
          at,
          process: (unit) =>
            Effect.map(
              unit.decide(shipments, shipmentStream(shipmentId), { _tag: "ChooseStore", store: choice.store, at }),
              (d) => d.events.length > 0
            )
        }).pipe(Effect.mapError(refusal))
        return { shipmentId, changed: outcome._tag === "Committed" }
      })

    const recorded = (shipmentId: string, state: Shipment.State): CarrierOrderOutcome | undefined =>
      state.carrier !== undefined && state.carrierOrderId !== undefined && state.status !== "packed"
        ? {
            shipmentId,
            carrier: state.carrier,
            carrierOrderId: state.carrierOrderId,
            trackingNo: state.trackingNo ?? state.carrierOrderId,
            ...(state.validationNo === undefined ? {} : { validationNo: state.validationNo }),
            created: false
          }
        : undefined

    const createCarrierOrder: FulfilmentService["createCarrierOrder"] = (raw) =>
      Effect.flatMap(decodeCarrierOrder(raw), (input) =>
        serialised(
          input.shipmentId,
          Effect.gen(function* () {
            const { shipmentId } = input
            const state = yield* loadShipment(shipmentId)
            const before = recorded(shipmentId, state)
            if (before !== undefined) return before
            if (state.status !== "packed")
              return yield* Effect.fail(rejected(`shipment ${shipmentId} is ${state.status}, not packed for a carrier`))
            const { carrier, reference } = state
            if (carrier === undefined || reference === undefined)
              return yield* Effect.fail(rejected(`shipment ${shipmentId} is not sent through a carrier`))
            if (Logistics.isStoreCarrier(carrier) && state.store === undefined)
              return yield* Effect.fail(rejected(`the buyer has not chosen a store for shipment ${shipmentId} yet`))
            if (!Logistics.isStoreCarrier(carrier) && input.receiver.address === undefined)
              return yield* Effect.fail(
                new GroupBuyError({
                  reason: "invalid-input",
                  message: "home delivery needs the receiver's address",
                  field: "receiver.address"
                })
              )
            const order = (yield* CommandHandler.load(storage, orders, orderStream(state.orderId))).state
            const goodsAmount =
              input.goodsAmount ?? (order.total >= 1 && order.total <= 20_000 ? order.total : undefined)
            if (goodsAmount === undefined)
              return yield* Effect.fail(
                new GroupBuyError({
                  reason: "invalid-input",
                  message: "the order's total is not a goods amount the carrier takes (1–20,000): give goodsAmount",
                  field: "goodsAmount"
                })
              )
            const created = yield* logistics
              .createShipment({
                reference,
                carrier,
                ...(state.store === undefined ? {} : { store: state.store }),
                receiver: input.receiver,
                goodsAmount,
                goodsName: input.goodsName ?? DEFAULT_GOODS_NAME,
                ...(input.collect === undefined ? {} : { collect: input.collect })
              })
              .pipe(
                Effect.catchIf(
                  (e) => e.reason === "duplicate",
                  (e) =>
                    Effect.fail(
                      rejected(
                        `the carrier holds an order under reference ${reference} already: an earlier attempt went through but was not recorded. Look it up in the carrier's back office by this reference (ECPay: MerchantTradeNo)`,
                        e
                      )
                    )
                )
              )
            const at = yield* nowIso
            const outcome = yield* CommandHandler.handleMany(storage, {
              at,
              idempotencyKey: `carrier-order:${shipmentId}`,
              process: (unit) =>
                Effect.gen(function* () {
                  const { state: after } = yield* unit.decide(shipments, shipmentStream(shipmentId), {
                    _tag: "Ship",
                    carrier: Logistics.carrierNames[carrier],
                    trackingNo: created.trackingNo,
                    carrierOrderId: created.carrierOrderId,
                    validationNo: created.validationNo,
                    at
                  })
                  const { state: owner } = yield* unit.load(orders, orderStream(after.orderId))
                  unit.send({
                    id: `shipment:${shipmentId}:shipped`,
                    kind: "shipped",
                    to: buyerOf(owner),
                    data: {
                      orderId: after.orderId,
                      shipmentId,
                      lines: after.lines,
                      carrier: Logistics.carrierNames[carrier],
                      trackingNo: created.trackingNo,
                      ...(after.store === undefined ? {} : { place: placeOf(after.store) })
                    },
                    createdAt: at
                  })
                })
            }).pipe(Effect.mapError(refusal))
            if (outcome._tag === "Duplicate") {
              const again = recorded(shipmentId, yield* loadShipment(shipmentId))
              if (again !== undefined) return again
            }
            return {
              shipmentId,
              carrier,
              carrierOrderId: created.carrierOrderId,
              trackingNo: created.trackingNo,
              ...(created.validationNo === undefined ? {} : { validationNo: created.validationNo }),
              created: true
            }
          })
        )
      )

    const printPage: FulfilmentService["printPage"] = (raw) =>
      Effect.gen(function* () {
        const { shipmentId } = yield* decodeShipment(raw)
        const order = recorded(shipmentId, yield* loadShipment(shipmentId))
        if (order === undefined) return yield* Effect.fail(rejected(`shipment ${shipmentId} has no carrier order yet`))
        return yield* logistics.printPage(order)
      })

    const applyStatus: FulfilmentService["applyStatus"] = (raw) =>
      Effect.gen(function* () {
        const update = yield* decodeStatus(raw)
        const { shipmentId } = yield* shipmentOf(update.reference)
        const at = yield* nowIso
        const when = update.at ?? at
        const outcome = yield* CommandHandler.handleMany(storage, {
          at,
          idempotencyKey: `carrier-status:${update.reference}:${update.code}:${update.at ?? ""}`,
          process: (unit) =>
            Effect.gen(function* () {
              const stream = shipmentStream(shipmentId)
              const toFlag: Array<UnclaimedReturn> = []
              const { state: current } = yield* unit.load(shipments, stream)
              if (current.carrierOrderId !== undefined && current.carrierOrderId !== update.carrierOrderId)
                return yield* Effect.fail(
                  rejected(`the callback names another carrier order than shipment ${shipmentId}'s`)
                )
              const decision = yield* unit.decide(shipments, stream, {
                _tag: "CarrierReport",
                kind: update.kind,
                code: update.code,
                pickUpBy: update.pickUpBy,
                at: when
              })
              if (decision.events.length === 0) return
              const after = decision.state
              const { state: order } = yield* unit.load(orders, orderStream(after.orderId))
              const base = { orderId: after.orderId, shipmentId, lines: after.lines }
              const tracking = {
                ...(after.carrier === undefined ? {} : { carrier: Logistics.carrierNames[after.carrier] }),
                ...(after.trackingNo === undefined ? {} : { trackingNo: after.trackingNo })
              }
              for (const event of decision.events) {
                const message = match(event)
                  .with({ _tag: "ShipmentArrivedAtStore" }, (e): OutboundMessage | undefined => {
                    const until = pickUpByText(e.pickUpBy)
                    return {
                      id: `shipment:${shipmentId}:arrived-at-store`,
                      kind: "arrived-at-store",
                      to: buyerOf(order),
                      data: {
                        ...base,
                        ...tracking,
                        ...(after.store === undefined ? {} : { place: placeOf(after.store) }),
                        ...(until === undefined ? {} : { until })
                      },
                      createdAt: at
                    }
                  })
                  .with(
                    { _tag: "ShipmentPickedUp" },
                    (): OutboundMessage => ({
                      id: `shipment:${shipmentId}:picked-up`,
                      kind: "picked-up",
                      to: buyerOf(order),
                      data: { ...base, ...tracking },
                      createdAt: at
                    })
                  )
                  .with({ _tag: "ShipmentReturned" }, (e): undefined => {
                    const flag: UnclaimedReturn = {
                      shipmentId,
                      orderId: after.orderId,
                      ...(after.carrier === undefined ? {} : { carrier: after.carrier }),
                      ...(after.trackingNo === undefined ? {} : { trackingNo: after.trackingNo }),
                      ...(e.carrierCode === undefined ? {} : { carrierCode: e.carrierCode }),
                      at: e.at
                    }
                    toFlag.push(flag)
                    return undefined
                  })
                  .with(
                    {
                      _tag: P.union(
                        "ShipmentPacked",
                        "ShipmentShipped",
                        // A home delivery done: the carrier told the buyer at the door.
                        "ShipmentDelivered",
                        "PickupCodeRejected",
                        "PickupLocked",
                        "PickupUnlocked",
                        "CarrierAssigned",
                        "StoreChosen"
                      )
                    },
                    (): undefined => undefined
                  )
                  .exhaustive()
                if (message !== undefined) unit.send(message)
              }
              for (const flag of toFlag) yield* unit.decide(flags, FLAGS_STREAM, { _tag: "Flag", flag })
            })
        }).pipe(Effect.mapError(refusal))
        return {
          shipmentId,
          outcome: outcome._tag === "Duplicate" ? "duplicate" : outcome._tag === "Committed" ? "applied" : "unchanged"
        } satisfies StatusOutcome
      })

    const unclaimedReturns: FulfilmentService["unclaimedReturns"] = () =>
      Effect.map(CommandHandler.load(storage, flags, FLAGS_STREAM), ({ state }) =>
        [...state.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
      )

    const resolveUnclaimed: FulfilmentService["resolveUnclaimed"] = (raw) =>
      Effect.gen(function* () {
        const { shipmentId } = yield* decodeShipment(raw)
        const at = yield* nowIso
        yield* CommandHandler.handleMany(storage, {
          at,
          process: (unit) => Effect.asVoid(unit.decide(flags, FLAGS_STREAM, { _tag: "Resolve", shipmentId, at }))
        })
      })

    return traceService<FulfilmentService>(
      "Fulfilment",
      {
        pack,
        storeMap,
        chooseStore,
        createCarrierOrder,
        printPage,
        applyStatus,
        unclaimedReturns,
        resolveUnclaimed
      },
      {}
    )
  })

/** The use cases over the app's Storage, Logistics and IdGenerator. */
export const layer = (
  options: Options = {}
): Layer.Layer<Fulfilment, never, Storage | Logistics.Logistics | IdGenerator> =>
  Layer.effect(Fulfilment, make(options))
