/**
 * A round as the documents read it from the `Storage` port: its catalogue (from the spec it was
 * opened with and the products added since), and its orders a page at a time, each with its
 * payments and shipments read from their streams. Shared by `Export`, `Slips` and `PickList`.
 *
 * @internal
 */
import { Catalogue, Order, Payment, type ReadModel, Round, RoundSpec, Shipment, Storage } from "@kaituan/core"
import { Effect, Option, Result, Schema, Stream } from "effect"

/** A payment as its stream tells it. */
export interface PaymentInfo {
  readonly source?: "statement" | "gateway" | "cash" | undefined
  readonly transactionId?: string | undefined
  readonly amount?: number | undefined
  readonly bankCode?: string | undefined
  readonly last5?: string | undefined
  readonly at?: string | undefined
  readonly evidence?: string | undefined
  readonly refunded: number
}

/** A shipment as its stream tells it. */
export interface ShipmentInfo {
  readonly shipmentId: string
  readonly state: Shipment.State
  readonly carrier?: string | undefined
  readonly trackingNo?: string | undefined
  readonly packedAt?: string | undefined
  readonly shippedAt?: string | undefined
  readonly doneAt?: string | undefined
}

/** One order with what its streams say. */
export interface Enriched {
  readonly order: ReadModel.OrderView
  readonly applied: ReadonlyArray<{ readonly paymentId: string; readonly amount: number; readonly at: string }>
  readonly payments: ReadonlyMap<string, PaymentInfo>
  readonly shipments: ReadonlyArray<ShipmentInfo>
}

const decodeOrderEvent = Schema.decodeUnknownOption(Order.Event)
const decodePaymentEvent = Schema.decodeUnknownOption(Payment.Event)
const decodeShipmentEvent = Schema.decodeUnknownOption(Shipment.Event)
const decodeProductAdded = Schema.decodeUnknownOption(Round.ProductAdded)

const eventsOf = <A>(events: ReadonlyArray<Storage.StoredEvent>, decode: (u: unknown) => Option.Option<A>): Array<A> =>
  events.flatMap((e) => Option.toArray(decode(e.data)))

const readPayment = (storage: Storage.StorageService, paymentId: string) =>
  Effect.map(storage.readStream(Storage.paymentStream(paymentId)), ({ events }): PaymentInfo => {
    let info: { -readonly [K in keyof PaymentInfo]: PaymentInfo[K] } = { refunded: 0 }
    for (const e of eventsOf(events, decodePaymentEvent)) {
      if (e._tag === "PaymentReceived")
        info = {
          ...info,
          source: e.source,
          transactionId: e.transactionId,
          amount: e.amount,
          bankCode: e.bankCode,
          last5: e.last5,
          at: e.at
        }
      else if (e._tag === "PaymentMatched") info = { ...info, evidence: e.evidence }
      else if (e._tag === "PaymentRefunded") info = { ...info, refunded: info.refunded + e.amount }
    }
    return info
  })

const readShipment = (storage: Storage.StorageService, shipmentId: string) =>
  Effect.map(storage.readStream(Storage.shipmentStream(shipmentId)), ({ events }): ShipmentInfo => {
    const decoded = eventsOf(events, decodeShipmentEvent)
    let info: { -readonly [K in keyof ShipmentInfo]: ShipmentInfo[K] } = {
      shipmentId,
      state: Shipment.fold(decoded)
    }
    for (const e of decoded) {
      if (e._tag === "ShipmentPacked") info = { ...info, packedAt: e.at }
      else if (e._tag === "ShipmentShipped")
        info = { ...info, shippedAt: e.at, carrier: e.carrier, trackingNo: e.trackingNo }
      else if (e._tag === "ShipmentDelivered" || e._tag === "ShipmentPickedUp" || e._tag === "ShipmentReturned")
        info = { ...info, doneAt: e.at }
    }
    return info
  })

/** An order with its payments and shipments. */
export const enrich = (storage: Storage.StorageService, order: ReadModel.OrderView) =>
  Effect.gen(function* () {
    const { events } = yield* storage.readStream(Storage.orderStream(order.orderId))
    const decoded = eventsOf(events, decodeOrderEvent)
    const applied = decoded.flatMap((e) =>
      e._tag === "PaymentApplied" ? [{ paymentId: e.paymentId, amount: e.amount, at: e.at }] : []
    )
    const shipmentIds = decoded.flatMap((e) => (e._tag === "ShipmentAdded" ? [e.shipmentId] : []))
    const paymentIds = [...new Set(applied.map((a) => a.paymentId))]
    const payments = yield* Effect.forEach(paymentIds, (id) => readPayment(storage, id), { concurrency: 4 })
    const shipments = yield* Effect.forEach(shipmentIds, (id) => readShipment(storage, id), { concurrency: 4 })
    return {
      order,
      applied,
      payments: new Map(paymentIds.map((id, i) => [id, payments[i]!])),
      shipments
    } satisfies Enriched
  })

/** What the documents need of a round: its spec and its SKUs (product, variant, label). */
export interface RoundInfo {
  readonly spec: RoundSpec.RoundSpec | undefined
  readonly skus: ReadonlyMap<string, Catalogue.SellableSku>
  /** The SKU labels (`韓國毛襪 紅`). */
  readonly labels: ReadonlyMap<string, string>
}

/**
 * The round's spec and SKUs: the spec it was opened with and the products added since (a SKU
 * the catalogue no longer knows is shown by its code). `undefined` when there is no such round.
 */
export const roundInfo = (storage: Storage.StorageService, roundId: string) =>
  Effect.gen(function* () {
    const { version, events } = yield* storage.readStream(Storage.roundStream(roundId))
    if (version === 0) return undefined
    const created = events.find((e) => e.type === "RoundCreated")
    const decoded = RoundSpec.decode((created?.data as { readonly spec?: unknown } | undefined)?.spec)
    const spec = Result.isSuccess(decoded) ? decoded.success : undefined
    const skus = new Map<string, Catalogue.SellableSku>()
    const labels = new Map<string, string>()
    if (spec !== undefined) {
      const added = events
        .filter((e) => e.type === "ProductAdded")
        .flatMap((e) => Option.toArray(decodeProductAdded(e.data)))
      const catalogue = Catalogue.compile([...spec.products, ...added.map((a) => a.product)])
      const compiled = Result.isSuccess(catalogue) ? catalogue : Catalogue.compile(spec.products)
      if (Result.isSuccess(compiled))
        for (const s of compiled.success.skus) {
          skus.set(s.sku, s)
          labels.set(s.sku, s.label)
        }
    }
    return { spec, skus, labels } satisfies RoundInfo as RoundInfo
  })

/** The round's orders (with `status` when given), a page at a time, each with its payments and shipments. */
export const pages = (
  storage: Storage.StorageService,
  roundId: string,
  pageSize: number,
  status?: ReadonlyArray<ReadModel.OrderStatus> | undefined
) =>
  Stream.paginate(undefined as number | undefined, (afterSeq) =>
    storage.orders({ roundId, afterSeq, limit: pageSize, ...(status === undefined ? {} : { status }) }).pipe(
      Effect.flatMap((orders) => Effect.forEach(orders, (o) => enrich(storage, o), { concurrency: 8 })),
      Effect.map((page) => {
        const next: Option.Option<number | undefined> =
          page.length < pageSize ? Option.none() : Option.some(page[page.length - 1]!.order.seq)
        return [[page], next] as const
      })
    )
  )
