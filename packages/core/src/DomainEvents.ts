/**
 * Events out: a public, versioned, PII-minimal vocabulary of what happened in a group buy, derived
 * from the stored events, for embedders (a CRM sync, a dashboard, an accounting export) and for
 * signed outgoing webhooks (`Webhooks`).
 *
 * The stored events are the aggregates' private history and change with them; these do not: each
 * type has a `version` (all `1` now) that changes only when its `data` changes incompatibly, and
 * new types may be added at any time (receivers ignore types they do not know).
 *
 * | type                 | from (stored)                                   | data                                   |
 * | -------------------- | ----------------------------------------------- | -------------------------------------- |
 * | `round.opened`       | `RoundOpened`                                   | roundId                                |
 * | `round.closed`       | `RoundClosed`                                   | roundId, reason (`cutoff` / `manual`)  |
 * | `order.placed`       | `LinesOrdered` with `newOrder`                  | roundId, orderId, lines, total         |
 * | `order.changed`      | `LinesOrdered` (added lines), `LinesSet`        | roundId, orderId, changes (sku, delta) |
 * | `order.cancelled`    | `OrderWithdrawn` (before cutoff), `OrderCancelled` (after) | roundId, orderId, stage     |
 * | `order.refunded`     | `OrderRefunded`, `OrderPartlyRefunded`          | roundId, orderId, amount               |
 * | `payment.matched`    | `PaymentMatched`                                | paymentId, orderIds, amount            |
 * | `shipment.shipped`   | `ShipmentShipped`                               | shipmentId, orderId, method, carrier?  |
 * | `shipment.picked-up` | `ShipmentPickedUp`                              | shipmentId, orderId                    |
 * | `review.needed`      | `CommentForReview`                              | roundId, commentId                     |
 *
 * What is left out, on purpose: buyer ids, names and channel user ids, comment text, a
 * cancellation's or review's free-text reason, payment evidence, bank codes and last five
 * digits, tracking numbers and pickup codes. A receiver that needs them asks the organiser's API
 * with the ids an event carries (the API checks who asks; a webhook URL cannot). Amounts are whole
 * NT$.
 *
 * Every event has a stable `id` (`evt_<position>`) and the global `position` of the stored event
 * it came from: the cursor for {@link stream} and {@link read}, and the order to apply events in.
 *
 * @since 0.2.0
 */
import { Effect, Option, Schema, Stream } from "effect"
import { orderStream, shipmentStream, Storage, type StorageError, type StoredEvent } from "./Storage.js"

// ---------------------------------------------------------------------------------------------
// The vocabulary
// ---------------------------------------------------------------------------------------------

const Envelope = {
  /** Stable per event: `evt_<position>`. Receivers de-duplicate by it. */
  id: Schema.String,
  /** The version of this type's `data`. */
  version: Schema.Literal(1),
  /** The global position of the stored event it came from. */
  position: Schema.Int,
  /** When it happened (ISO 8601), as the stored event says. */
  occurredAt: Schema.String
}

const event = <T extends string, D extends Schema.Struct.Fields>(type: T, data: D) =>
  Schema.Struct({ ...Envelope, type: Schema.Literal(type), data: Schema.Struct(data) })

const Line = Schema.Struct({ sku: Schema.String, qty: Schema.Int, unitPrice: Schema.Int })

/** `round.opened` v1: a round opened for orders. */
export const RoundOpened = event("round.opened", { roundId: Schema.String })
/** `round.closed` v1: a round stopped taking orders, at its cutoff or by hand. */
export const RoundClosed = event("round.closed", {
  roundId: Schema.String,
  reason: Schema.Literals(["cutoff", "manual"])
})
/** `order.placed` v1: a buyer's first lines in a round made an order. */
export const OrderPlaced = event("order.placed", {
  roundId: Schema.String,
  orderId: Schema.String,
  lines: Schema.Array(Line),
  total: Schema.Int
})
/** `order.changed` v1: an order's quantities changed before the cutoff (`delta` per SKU, +/-). */
export const OrderChanged = event("order.changed", {
  roundId: Schema.String,
  orderId: Schema.String,
  changes: Schema.Array(Schema.Struct({ sku: Schema.String, delta: Schema.Int }))
})
/** `order.cancelled` v1: withdrawn by the buyer before the cutoff, or cancelled after it. */
export const OrderCancelled = event("order.cancelled", {
  roundId: Schema.String,
  orderId: Schema.String,
  stage: Schema.Literals(["before-cutoff", "after-cutoff"])
})
/** `order.refunded` v1: money went back to the buyer for an order. */
export const OrderRefunded = event("order.refunded", {
  roundId: Schema.String,
  orderId: Schema.String,
  amount: Schema.Int
})
/** `payment.matched` v1: a received payment was applied to orders. */
export const PaymentMatched = event("payment.matched", {
  paymentId: Schema.String,
  orderIds: Schema.Array(Schema.String),
  amount: Schema.Int
})
/** `shipment.shipped` v1: (part of) an order left (home delivery, convenience store, or ready for pickup). */
export const ShipmentShipped = event("shipment.shipped", {
  shipmentId: Schema.String,
  orderId: Schema.String,
  method: Schema.Literals(["home", "cvs", "pickup"]),
  carrier: Schema.optional(Schema.String)
})
/** `shipment.picked-up` v1: the buyer collected a meet-up shipment. */
export const ShipmentPickedUp = event("shipment.picked-up", {
  shipmentId: Schema.String,
  orderId: Schema.String
})
/** `review.needed` v1: a comment waits for the organiser's decision. */
export const ReviewNeeded = event("review.needed", { roundId: Schema.String, commentId: Schema.String })

/** Every public domain event (decode a webhook body with it). */
export const DomainEvent = Schema.Union([
  RoundOpened,
  RoundClosed,
  OrderPlaced,
  OrderChanged,
  OrderCancelled,
  OrderRefunded,
  PaymentMatched,
  ShipmentShipped,
  ShipmentPickedUp,
  ReviewNeeded
])
/** A public domain event. */
export type DomainEvent = typeof DomainEvent.Type

/** The event types, e.g. `"order.placed"`. */
export const types = [
  "round.opened",
  "round.closed",
  "order.placed",
  "order.changed",
  "order.cancelled",
  "order.refunded",
  "payment.matched",
  "shipment.shipped",
  "shipment.picked-up",
  "review.needed"
] as const satisfies ReadonlyArray<DomainEvent["type"]>
/** An event type. */
export type EventType = DomainEvent["type"]
/** An event type as a Schema (for subscriptions and filters). */
export const EventType = Schema.Literals(types)

// ---------------------------------------------------------------------------------------------
// Deriving
// ---------------------------------------------------------------------------------------------

/** What {@link derive} needs besides the event: ids found in other streams. */
export interface Lookups {
  /** The round of an order (orders' later events do not repeat it). */
  readonly roundOfOrder: (orderId: string) => Effect.Effect<string | undefined, StorageError>
  /** The order and method of a shipment. */
  readonly shipment: (
    shipmentId: string
  ) => Effect.Effect<{ readonly orderId: string; readonly method: "home" | "cvs" | "pickup" } | undefined, StorageError>
}

const streamId = (stream: string, prefix: string): string | undefined =>
  stream.startsWith(prefix) ? stream.slice(prefix.length) : undefined

type Data = Record<string, unknown>

/**
 * The public event a stored event stands for, or `undefined` (most stored events have none:
 * comments that were ignored or not ordered, a payment reported in a comment, …). Reads the
 * lookups only for order and shipment events.
 */
export const derive = (stored: StoredEvent, lookups: Lookups): Effect.Effect<DomainEvent | undefined, StorageError> =>
  Effect.gen(function* () {
    const d = stored.data as Data
    const envelope = {
      id: `evt_${stored.position}`,
      version: 1 as const,
      position: stored.position,
      occurredAt: stored.at
    }
    const roundId = streamId(stored.stream, "round:")
    if (roundId !== undefined) {
      switch (stored.type) {
        case "RoundOpened":
          return { ...envelope, type: "round.opened", data: { roundId } }
        case "RoundClosed":
          return {
            ...envelope,
            type: "round.closed",
            data: { roundId, reason: d.reason === "cutoff" ? "cutoff" : "manual" }
          }
        case "LinesOrdered": {
          const lines = (d.lines as ReadonlyArray<{ sku: string; qty: number; unitPrice: number }>).map((l) => ({
            sku: l.sku,
            qty: l.qty,
            unitPrice: l.unitPrice
          }))
          const orderId = String(d.orderId)
          return d.newOrder === true
            ? {
                ...envelope,
                type: "order.placed",
                data: { roundId, orderId, lines, total: lines.reduce((t, l) => t + l.qty * l.unitPrice, 0) }
              }
            : {
                ...envelope,
                type: "order.changed",
                data: { roundId, orderId, changes: lines.map((l) => ({ sku: l.sku, delta: l.qty })) }
              }
        }
        case "LinesSet": {
          const lines = d.lines as ReadonlyArray<{ sku: string; from: number; to: number }>
          return {
            ...envelope,
            type: "order.changed",
            data: {
              roundId,
              orderId: String(d.orderId),
              changes: lines.map((l) => ({ sku: l.sku, delta: l.to - l.from }))
            }
          }
        }
        case "OrderWithdrawn":
          return {
            ...envelope,
            type: "order.cancelled",
            data: { roundId, orderId: String(d.orderId), stage: "before-cutoff" }
          }
        case "CommentForReview":
          return { ...envelope, type: "review.needed", data: { roundId, commentId: String(d.commentId) } }
        default:
          return undefined
      }
    }
    const orderId = streamId(stored.stream, "order:")
    if (orderId !== undefined) {
      if (stored.type !== "OrderCancelled" && stored.type !== "OrderRefunded" && stored.type !== "OrderPartlyRefunded")
        return undefined
      const round = yield* lookups.roundOfOrder(orderId)
      if (round === undefined) return undefined
      return stored.type === "OrderCancelled"
        ? { ...envelope, type: "order.cancelled", data: { roundId: round, orderId, stage: "after-cutoff" } }
        : { ...envelope, type: "order.refunded", data: { roundId: round, orderId, amount: Number(d.amount) } }
    }
    const paymentId = streamId(stored.stream, "payment:")
    if (paymentId !== undefined) {
      if (stored.type !== "PaymentMatched") return undefined
      return {
        ...envelope,
        type: "payment.matched",
        data: { paymentId, orderIds: [...(d.orderIds as ReadonlyArray<string>)], amount: Number(d.amount) }
      }
    }
    const shipmentId = streamId(stored.stream, "shipment:")
    if (shipmentId !== undefined) {
      if (stored.type !== "ShipmentShipped" && stored.type !== "ShipmentPickedUp") return undefined
      const shipment = yield* lookups.shipment(shipmentId)
      if (shipment === undefined) return undefined
      if (stored.type === "ShipmentPickedUp")
        return { ...envelope, type: "shipment.picked-up", data: { shipmentId, orderId: shipment.orderId } }
      return {
        ...envelope,
        type: "shipment.shipped",
        data: {
          shipmentId,
          orderId: shipment.orderId,
          method: shipment.method,
          ...(typeof d.carrier === "string" ? { carrier: d.carrier } : {})
        }
      }
    }
    return undefined
  }) as Effect.Effect<DomainEvent | undefined, StorageError>

/** How many looked-up ids {@link storageLookups} keeps (then it starts over). */
const LOOKUP_CACHE = 10_000

/**
 * {@link Lookups} over Storage, caching what it found: an order's round from the order read model
 * (or, when the read model lacks it, the order's `OrderConfirmed`); a shipment's order and method
 * from its `ShipmentPacked`.
 */
export const storageLookups = Effect.gen(function* () {
  const storage = yield* Storage
  const rounds = new Map<string, string>()
  const shipments = new Map<string, { readonly orderId: string; readonly method: "home" | "cvs" | "pickup" }>()
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= LOOKUP_CACHE) map.clear()
    map.set(key, value)
  }
  const lookups: Lookups = {
    roundOfOrder: (orderId) =>
      Effect.gen(function* () {
        const cached = rounds.get(orderId)
        if (cached !== undefined) return cached
        const view = yield* storage.order(orderId)
        let roundId = view?.roundId
        if (roundId === undefined) {
          const { events } = yield* storage.readStream(orderStream(orderId))
          const first = events[0]?.data as Data | undefined
          roundId = typeof first?.roundId === "string" ? first.roundId : undefined
        }
        if (roundId !== undefined) remember(rounds, orderId, roundId)
        return roundId
      }),
    shipment: (shipmentId) =>
      Effect.gen(function* () {
        const cached = shipments.get(shipmentId)
        if (cached !== undefined) return cached
        const { events } = yield* storage.readStream(shipmentStream(shipmentId))
        const packed = events.find((e) => e.type === "ShipmentPacked")?.data as Data | undefined
        if (packed === undefined || typeof packed.orderId !== "string") return undefined
        const method = packed.method === "cvs" || packed.method === "pickup" ? packed.method : "home"
        const found = { orderId: packed.orderId, method } as const
        remember(shipments, shipmentId, found)
        return found
      })
  }
  return lookups
})

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** A page of public events and where to go on from. */
export interface Page {
  readonly events: ReadonlyArray<DomainEvent>
  /**
   * The position of the last stored event read (whether or not it made a public event): pass it as
   * `after` for the next page. Equal to `after` when nothing new was stored.
   */
  readonly next: number
}

/** Options of {@link read} and {@link stream}. */
export interface ReadOptions {
  /** Start after this global position (0: from the beginning). */
  readonly after?: number | undefined
  /** Stored events read per round trip. Default 500. */
  readonly batch?: number | undefined
  /** Only these types (default: all). */
  readonly types?: ReadonlyArray<EventType> | undefined
}

/**
 * A page reader that keeps its lookups' cache between pages (for a long-running follower): call
 * the function it gives with the position to read after. `full` tells whether the page read a
 * whole `batch` of stored events (more may be waiting).
 */
export const makeReader = (
  options: Omit<ReadOptions, "after"> = {}
): Effect.Effect<(after: number) => Effect.Effect<Page & { readonly full: boolean }, StorageError>, never, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const lookups = yield* storageLookups
    const batch = options.batch ?? 500
    const wanted = options.types === undefined ? undefined : new Set<string>(options.types)
    return (after: number): Effect.Effect<Page & { readonly full: boolean }, StorageError> =>
      Effect.gen(function* () {
        const stored = yield* storage.readAll(after, batch)
        const events: Array<DomainEvent> = []
        for (const s of stored) {
          const e = yield* derive(s, lookups)
          if (e !== undefined && (wanted === undefined || wanted.has(e.type))) events.push(e)
        }
        return {
          events,
          next: stored.length === 0 ? after : stored[stored.length - 1]!.position,
          full: stored.length >= batch
        }
      })
  })

/** One page of public events after `after` (one read of at most `batch` stored events). */
export const read = (options: ReadOptions = {}): Effect.Effect<Page, StorageError, Storage> =>
  Effect.flatMap(makeReader(options), (page) => page(options.after ?? 0)).pipe(
    Effect.map(({ events, next }): Page => ({ events, next })),
    Effect.withSpan(
      "DomainEvents.read",
      { attributes: { "kaituan.after": options.after ?? 0 } },
      { captureStackTrace: false }
    )
  )

/** Options of {@link stream}. */
export interface StreamOptions extends ReadOptions {
  /** How long to wait when there is nothing new. Default 1 s. */
  readonly pollMs?: number | undefined
}

/**
 * The public events after `after`, in order, then each new one as it is stored: reads
 * `storage.readAll` page by page and, at the end, polls every `pollMs` (Effect's `Clock`: a
 * `TestClock` drives it in tests). Never ends by itself; interrupt it, or `Stream.take` what you
 * need. Checkpoint with each event's `position` and pass it as `after` to resume.
 *
 * @example
 * ```ts
 * yield* DomainEvents.stream({ after: checkpoint }).pipe(
 *   Stream.runForEach((e) => crm.apply(e).pipe(Effect.andThen(saveCheckpoint(e.position))))
 * )
 * ```
 */
export const stream = (options: StreamOptions = {}): Stream.Stream<DomainEvent, StorageError, Storage> =>
  Stream.unwrap(
    Effect.map(makeReader(options), (page) => {
      const pollMs = options.pollMs ?? 1_000
      return Stream.paginate(options.after ?? 0, (after: number) =>
        Effect.gen(function* () {
          const { events, next, full } = yield* page(after)
          // A short page with nothing to emit is the end of the log for now: wait, then ask again.
          if (!full && events.length === 0) yield* Effect.sleep(pollMs)
          return [events, Option.some(next)] as const
        })
      )
    })
  )
