/**
 * The counter (門市櫃台, POS): what a shop assistant does when a buyer walks in, as one use case
 * module the HTTP API and the SDK share.
 *
 * - {@link lookup}: a pickup code (typed, or scanned: a scanner types the code and Enter), an order
 *   number or a buyer id → the orders it names, each with what is due (total − paid), its pickups
 *   waiting at the counter and its e-invoice.
 * - {@link pay}: money taken at the counter, cash or a card on the shop's terminal (recorded as paid
 *   with the terminal's reference): idempotent by reference, never more than is due.
 * - {@link confirmPickup}: the buyer takes the goods (`GroupBuy.confirmPickup`, the code checked).
 * - {@link issueInvoice}: the invoice now, with the carrier the buyer gives at the counter.
 *
 * @since 0.3.0
 */
import { Clock, Effect, Option, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import { GroupBuy, GroupBuyError } from "../GroupBuy.js"
import * as Invoices from "../Invoices.js"
import * as Invoicing from "../Invoicing.js"
import type { OrderView } from "../ReadModel.js"
import * as Shipment from "../Shipment.js"
import { orderStream, shipmentStream, Storage, type StorageError } from "../Storage.js"

const shipments = CommandHandler.aggregate(Shipment.decider, Schema.decodeUnknownSync(Shipment.Event))

/** A pickup of the order waiting at the counter (or picked up already). */
export interface CounterPickup {
  readonly shipmentId: string
  readonly status: Shipment.Status
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  /** Too many wrong codes: the organiser unlocks it. */
  readonly locked: boolean
}

/** An order as the counter shows it. */
export interface CounterOrder {
  readonly order: OrderView
  /** NT$ still to pay (total − paid, never below 0). */
  readonly due: number
  /** Its meet-up pickups (拆單出貨: one per shipment). */
  readonly pickups: ReadonlyArray<CounterPickup>
  readonly invoice: Invoices.Summary
  /** The lookup was a pickup code: the pickup it names. */
  readonly matchedShipmentId?: string | undefined
}

/** What a lookup matched: a pickup code, an order number, a buyer id, or nothing. */
export interface LookupResult {
  readonly matchedBy: "pickup-code" | "order" | "buyer" | "none"
  readonly orders: ReadonlyArray<CounterOrder>
}

/** The counter refused: `not-due` (nothing or less is due), `invalid-input`. */
export class CounterError extends Schema.TaggedError<CounterError>()("CounterError", {
  reason: Schema.Literals(["not-due", "over-due", "invalid-input"]),
  message: Schema.String
}) {}

const pickupsOf = (orderId: string) =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const { events } = yield* storage.readStream(orderStream(orderId))
    const ids = events.flatMap((stored) => {
      const e = stored.data as { readonly _tag?: unknown; readonly shipmentId?: unknown }
      return e._tag === "ShipmentAdded" && typeof e.shipmentId === "string" ? [e.shipmentId] : []
    })
    const out: Array<CounterPickup> = []
    for (const id of ids) {
      const { state } = yield* CommandHandler.load(storage, shipments, shipmentStream(id))
      if (state.method !== "pickup") continue
      out.push({ shipmentId: id, status: state.status, lines: state.lines, locked: state.pickupLocked })
    }
    return out
  })

const counterOrder = (order: OrderView, matchedShipmentId?: string) =>
  Effect.gen(function* () {
    return {
      order,
      due: Math.max(0, order.total - order.paid),
      pickups: yield* pickupsOf(order.orderId),
      invoice: yield* Invoices.summary(order.orderId),
      ...(matchedShipmentId === undefined ? {} : { matchedShipmentId })
    } satisfies CounterOrder
  })

const MAX_QUERY = 200

/**
 * The orders a query names: a pickup code first (the scanner's case), then an order number, then a
 * buyer id (their orders of `roundIds`, newest round first, cancelled ones left out).
 */
export const lookup = (input: {
  readonly query: string
  /** The rounds a buyer id is looked up in (the counter's open and recent rounds). */
  readonly roundIds?: ReadonlyArray<string> | undefined
}): Effect.Effect<LookupResult, GroupBuyError | StorageError, GroupBuy | Storage> =>
  Effect.gen(function* () {
    const query = input.query.trim()
    if (query === "" || query.length > MAX_QUERY) return { matchedBy: "none", orders: [] }
    const storage = yield* Storage
    const g = yield* GroupBuy
    const code = Shipment.normalizeCode(query)
    if (/^[0-9A-Z]{4,64}$/.test(code)) {
      const pickup = yield* g.findPickup({ code })
      if (pickup !== undefined) {
        const order = pickup.order ?? (yield* storage.order(pickup.orderId))
        if (order !== undefined)
          return { matchedBy: "pickup-code", orders: [yield* counterOrder(order, pickup.shipmentId)] }
      }
    }
    const byId = yield* storage.order(query)
    if (byId !== undefined) return { matchedBy: "order", orders: [yield* counterOrder(byId)] }
    const found: Array<CounterOrder> = []
    for (const roundId of input.roundIds ?? []) {
      const orders = yield* storage.orders({ roundId, buyerId: query })
      for (const o of orders) if (o.status !== "cancelled") found.push(yield* counterOrder(o))
    }
    return found.length > 0 ? { matchedBy: "buyer", orders: found } : { matchedBy: "none", orders: [] }
  })

/** How the buyer paid at the counter. */
export const PayMethod = Schema.Literals(["cash", "card"])
/** A {@link PayMethod}. */
export type PayMethod = typeof PayMethod.Type

/** The input of {@link pay}. */
export const PayInput = Schema.Struct({
  orderId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
  method: PayMethod,
  /** NT$, at most what is due; the whole due amount when left out. */
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /**
   * The till's or the card terminal's reference (the card slip's 授權碼 or trace number): the same
   * reference twice records one payment. The back office makes one per tap for cash.
   */
  reference: Schema.String.check(Schema.isPattern(/^[0-9A-Za-z._:-]{1,64}$/)),
  at: Schema.optional(Schema.String)
})
/** A {@link PayInput}. */
export type PayInput = typeof PayInput.Type

/**
 * Takes a payment at the counter: cash (`source: "cash"`) or a card on the shop's terminal,
 * recorded as a paid gateway payment with the terminal's reference. Idempotent by method and
 * reference (a repeated tap, a retried request: one payment). Never more than is due (`over-due`);
 * nothing due is `not-due`. In a round with `invoice.issue: "on-paid"` the invoice follows.
 */
export const pay = (
  raw: unknown
): Effect.Effect<
  { readonly status: "matched" | "duplicate" | "unmatched"; readonly counter: CounterOrder },
  CounterError | GroupBuyError | StorageError,
  GroupBuy | Storage
> =>
  Effect.gen(function* () {
    const input = yield* Effect.mapError(
      Schema.decodeUnknownEffect(PayInput)(raw),
      (e) => new CounterError({ reason: "invalid-input", message: e.message })
    )
    const storage = yield* Storage
    const g = yield* GroupBuy
    const order = yield* storage.order(input.orderId)
    if (order === undefined)
      return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: `no order "${input.orderId}"` }))
    const transactionId = `counter-${input.method}:${input.reference}`
    const source = input.method === "cash" ? "cash" : "gateway"
    // a repeated reference answers what it did before, whatever is due now
    const repeated = (yield* storage.readKeys([`payment:${source}:${transactionId}`])).size > 0
    const due = Math.max(0, order.total - order.paid)
    if (!repeated) {
      if (due === 0)
        return yield* Effect.fail(new CounterError({ reason: "not-due", message: "nothing is due on this order" }))
      if (input.amount !== undefined && input.amount > due)
        return yield* Effect.fail(
          new CounterError({ reason: "over-due", message: `only NT$${due} is due on this order` })
        )
    }
    const at = input.at ?? new Date(yield* Clock.currentTimeMillis).toISOString()
    const outcome = yield* g.recordPayment({
      transactionId,
      source,
      amount: input.amount ?? (due === 0 ? 1 : due),
      at,
      orderIds: [order.orderId],
      evidence: input.method === "cash" ? "門市現金" : `門市刷卡 ${input.reference}`
    })
    const after = (yield* storage.order(order.orderId)) ?? order
    return { status: outcome.status, counter: yield* counterOrder(after) }
  })

/** Confirms a pickup at the counter with the buyer's code (`GroupBuy.confirmPickup`); the order as it is now. */
export const confirmPickup = (input: {
  readonly shipmentId: string
  readonly code: string
}): Effect.Effect<CounterOrder, GroupBuyError | StorageError, GroupBuy | Storage> =>
  Effect.gen(function* () {
    const g = yield* GroupBuy
    const storage = yield* Storage
    yield* g.confirmPickup({ shipmentId: input.shipmentId, code: input.code })
    const { state } = yield* CommandHandler.load(storage, shipments, shipmentStream(input.shipmentId))
    const order = yield* storage.order(state.orderId)
    if (order === undefined)
      return yield* Effect.fail(new GroupBuyError({ reason: "unknown-order", message: "no order for this pickup" }))
    return yield* counterOrder(order, input.shipmentId)
  })

/**
 * Issues the order's invoice now, with the carrier the buyer gives at the counter (recorded as
 * theirs) or the one they gave before; issued at once when an `Invoicing` service is there (a
 * failure is recorded and the scheduler retries), else left to the scheduler.
 */
export const issueInvoice = (input: {
  readonly orderId: string
  readonly details?: unknown
}): Effect.Effect<Invoices.Summary, Invoices.InvoiceError | Invoicing.InvoicingError | StorageError, Storage> =>
  Effect.gen(function* () {
    yield* Invoices.requestForBuyer(input)
    const invoicing = yield* Effect.serviceOption(Invoicing.Invoicing)
    if (Option.isSome(invoicing))
      yield* Invoices.issue(input.orderId).pipe(
        Effect.provideService(Invoicing.Invoicing, invoicing.value),
        Effect.catchTags({ InvoicingError: () => Effect.void, InvoiceError: () => Effect.void })
      )
    return yield* Invoices.summary(input.orderId)
  })
