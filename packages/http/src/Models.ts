/**
 * The API's request and response schemas. Read-model rows (orders, review items, not-ordered
 * comments, stock) are core's own `ReadModel` schemas; the rest are defined here. Every input is
 * decoded with these (a failure is a 400 naming the field), every output encoded with them.
 *
 * @since 0.2.0
 */
import {
  Buyer,
  Counter,
  Invoices,
  Invoicing,
  ReadModel,
  ReadModels,
  Round as RoundModule,
  RoundChanges,
  RoundSpec,
  Shipment
} from "@kaituan/core"
import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"
import { Actor, Role } from "./Tokens.js"
import { Order } from "@kaituan/core"

// ---------------------------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------------------------

/** An id in a path or body: 1 to 200 characters, no control characters. */
export const Id = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(200),
  Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "expected no control characters" })
)

/** A free text the organiser types (a reason, a note): at most 500 characters. */
export const Note = Schema.String.check(Schema.isMaxLength(500))

/** An ISO 8601 timestamp with an offset or `Z` (`2024-05-10T22:00:00+08:00`). */
export const Timestamp = Schema.String.check(
  Schema.makeFilter((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: "expected an ISO 8601 timestamp such as 2024-05-10T22:00:00+08:00"
  })
)

/** A page size in a query: an integer from 1 to 200. */
export const Limit = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 200 }))

/** A positive amount of NT$ (an integer). */
export const Amount = Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(100_000_000))

/** An order line to act on: a SKU and a quantity (at least 1). */
export const Line = Schema.Struct({
  sku: Id,
  qty: Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(100_000))
})
/** See {@link Line}. */
export type Line = typeof Line.Type

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

/** `GET /me`: who the token is. */
export const Me = Schema.Struct({
  tokenId: Schema.String,
  role: Role,
  label: Schema.String,
  /** What this role may do, as the API's groups (`rounds.create`, `payments.approve`…). */
  can: Schema.Array(Schema.String)
})
/** See {@link Me}. */
export type Me = typeof Me.Type

export { Actor }

// ---------------------------------------------------------------------------------------------
// Rounds
// ---------------------------------------------------------------------------------------------

/** A round's lifecycle status (the `rounds` read model's). */
export const RoundStatus = ReadModels.Rounds.Status
/** See {@link RoundStatus}. */
export type RoundStatus = typeof RoundStatus.Type

/** A round in a list: the `rounds` read model's document, as it is stored. */
export const Round = ReadModels.Rounds.Document
/** See {@link Round}. */
export type Round = typeof Round.Type

/** A page of rounds; `nextCursor` asks for the next one (null: this was the last). */
export const RoundsPage = Schema.Struct({ items: Schema.Array(Round), nextCursor: Schema.NullOr(Schema.String) })
/** See {@link RoundsPage}. */
export type RoundsPage = typeof RoundsPage.Type

/** `POST /rounds/:roundId/reopen`: the new cutoff (`null`: none; omitted: keep it) and a retry id. */
export const Reopen = Schema.Struct({
  cutoff: Schema.optional(Schema.NullOr(RoundSpec.IsoTimestamp)),
  requestId: Schema.optional(Id)
})
/** See {@link Reopen}. */
export type Reopen = typeof Reopen.Type

/** `POST /rounds/:roundId/restock`: units to add (`{ sku, add }`) or new totals (`{ sku, stock }`), and a retry id. */
export const Restock = Schema.Struct({
  lines: Schema.Array(Schema.Union([RoundChanges.AddStock, RoundChanges.SetStock])).check(Schema.isMinLength(1)),
  requestId: Schema.optional(Id)
})
/** See {@link Restock}. */
export type Restock = typeof Restock.Type

/** One entry of a round's history: a lifecycle event or an organiser's change, with its position and time. */
export const HistoryEntry = Schema.Struct({
  version: Schema.Int,
  at: Schema.String,
  event: RoundModule.Event
})
/** See {@link HistoryEntry}. */
export type HistoryEntry = typeof HistoryEntry.Type

/** `POST /rounds/:roundId/close`: the orders now awaiting payment. */
export const Closed = Schema.Struct({ round: Round, confirmed: Schema.Int })
/** See {@link Closed}. */
export type Closed = typeof Closed.Type

/** The round's numbers (no personal data): orders by status, money, stock, queues. */
export const Report = Schema.Struct({
  roundId: Schema.String,
  title: Schema.String,
  status: RoundStatus,
  /**
   * What time the numbers are as of (ISO 8601): reports are shared by their readers for up to a
   * second, so they may be that much older than the request. Absent from servers before 0.5.
   */
  asOf: Schema.optional(Schema.String),
  orders: Schema.Struct({
    /** Orders that are not cancelled or refunded. */
    count: Schema.Int,
    byStatus: Schema.Record(Schema.String, Schema.Int),
    /** NT$ ordered (not cancelled or refunded). */
    total: Schema.Int,
    /** NT$ received on them. */
    paid: Schema.Int,
    /** NT$ still to receive on orders awaiting payment. */
    outstanding: Schema.Int,
    units: Schema.Int
  }),
  review: Schema.Int,
  notOrdered: Schema.Int,
  stock: Schema.Array(ReadModel.StockView)
})
/** See {@link Report}. */
export type Report = typeof Report.Type

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

/** A page of orders in comment order; pass `nextCursor` as `cursor` for the next (null: the last). */
export const OrdersPage = Schema.Struct({
  items: Schema.Array(ReadModel.OrderView),
  nextCursor: Schema.NullOr(Schema.String)
})
/** See {@link OrdersPage}. */
export type OrdersPage = typeof OrdersPage.Type

/** A cursor of the orders list: opaque to clients (digits today). */
export const Cursor = Schema.String.check(
  Schema.isPattern(/^\d{1,15}$/, { message: "expected a cursor returned as nextCursor" })
)

/** The orders list's query. */
export const OrdersQuery = {
  /** Only these statuses (repeat the parameter for several: `?status=paid&status=partly-shipped`). */
  status: Schema.optional(Schema.Array(ReadModel.OrderStatus)),
  /** Only this buyer (their buyer id, `line:U123…`). */
  buyer: Schema.optional(Id),
  /** Page size, 1 to 200 (default 50). */
  limit: Schema.optional(Limit),
  /** The `nextCursor` of the previous page. */
  cursor: Schema.optional(Cursor)
}

/** Why an order is cancelled or refunded. */
export const OrderAction = Schema.Struct({ reason: Note.check(Schema.isMinLength(1)) })
/** See {@link OrderAction}. */
export type OrderAction = typeof OrderAction.Type

// ---------------------------------------------------------------------------------------------
// Review and not ordered
// ---------------------------------------------------------------------------------------------

/** How a review item is resolved. */
export const ResolveAction = Schema.Literals(["order", "amend", "cancel", "dismiss"])
/** See {@link ResolveAction}. */
export type ResolveAction = typeof ResolveAction.Type

/**
 * `order` (the lines are added to the buyer's order), `amend` (the buyer's quantities of those
 * SKUs are set to them; 0 removes a line), `cancel` (the buyer's order is cancelled) or `dismiss`
 * (nothing changes). `lines` is needed for `order` and `amend`, and refused for the others.
 */
export const Resolve = Schema.Struct({
  action: ResolveAction,
  lines: Schema.optional(
    Schema.Array(
      Schema.Struct({
        sku: Id,
        qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(100_000))
      })
    ).check(Schema.isMaxLength(100))
  )
})
/** See {@link Resolve}. */
export type Resolve = typeof Resolve.Type

/** A resolved review item. */
export const Resolved = Schema.Struct({ commentId: Schema.String, action: ResolveAction })
/** See {@link Resolved}. */
export type Resolved = typeof Resolved.Type

// ---------------------------------------------------------------------------------------------
// Payments
// ---------------------------------------------------------------------------------------------

/** A statement's layout (`auto` detects it). */
export const StatementFormat = Schema.Literals(["auto", "cathay", "ctbc", "post", "generic"])
/** A CSV statement's encoding (`auto` detects UTF-8, UTF-16 and Big5). */
export const StatementEncoding = Schema.Literals(["auto", "utf-8", "big5"])

/** A buyer the reconciler considered for a transaction. */
export const Candidate = Schema.Struct({
  buyerId: Schema.String,
  buyerName: Schema.optional(Schema.String),
  orderIds: Schema.Array(Schema.String),
  /** NT$ still open on those orders. */
  open: Schema.Int,
  /** How the open amount compares with the transaction: `exact`, `short`, `over` or `paid`. */
  fit: Schema.String,
  /** Whether the buyer was identified (reported digits, a learned account, a name in the memo). */
  identified: Schema.Boolean
})

/** Where a decision is: the reconciler's, or the organiser's once settled. */
export const DecisionStatus = Schema.Literals(["matched", "review", "unmatched", "ignored", "approved", "rejected"])
/** See {@link DecisionStatus}. */
export type DecisionStatus = typeof DecisionStatus.Type

/** What the reconciler decided for one statement row, and what the organiser did about it. */
export const Decision = Schema.Struct({
  /** Approve or reject a `review` / `unmatched` decision by this id. */
  decisionId: Schema.String,
  transactionId: Schema.String,
  /** Line (CSV) or row (xlsx) in the file. */
  row: Schema.optional(Schema.Int),
  /** When the money moved. */
  at: Schema.String,
  /** NT$ (negative: money going out). */
  amount: Schema.Int,
  bankCode: Schema.optional(Schema.String),
  last5: Schema.optional(Schema.String),
  status: DecisionStatus,
  /** What the reconciler decided (before the organiser settled it). */
  decided: Schema.optional(Schema.String),
  /** The reconciler's reason (`exact-amount-and-identity`, `ambiguous-buyers`…). */
  reason: Schema.String,
  /** For an amount that differs: paid too little (`partial`) or too much (`overpaid`). */
  detail: Schema.optional(Schema.String),
  /** `matched` / `approved`: the orders paid; `review`: the candidates' orders. */
  orderIds: Schema.Array(Schema.String),
  buyerId: Schema.optional(Schema.String),
  candidates: Schema.Array(Candidate),
  /** The decision in one sentence. */
  explanation: Schema.String,
  /** When the organiser approved or rejected it. */
  settledAt: Schema.optional(Schema.String),
  /** The payment recorded for it (`matched`, `approved`). */
  paymentId: Schema.optional(Schema.String)
})
/** See {@link Decision}. */
export type Decision = typeof Decision.Type

/** A statement line that could not be read (the rest still imported). */
export const UnreadableRow = Schema.Struct({ line: Schema.Int, message: Schema.String })

/** What an upload did. */
export const StatementImported = Schema.Struct({
  roundId: Schema.String,
  layout: Schema.String,
  encoding: Schema.String,
  /** Payments applied to orders by this upload (0 when the statement was uploaded before). */
  applied: Schema.Int,
  /** NT$ applied. */
  appliedAmount: Schema.Int,
  decisions: Schema.Array(Decision),
  unreadable: Schema.Array(UnreadableRow)
})
/** See {@link StatementImported}. */
export type StatementImported = typeof StatementImported.Type

/** The upload's query: the layout and the encoding, both detected by default. */
export const StatementQuery = {
  format: Schema.optional(StatementFormat),
  encoding: Schema.optional(StatementEncoding)
}

/** Approving a decision: which order it pays, when the reconciler listed several. */
export const Approve = Schema.Struct({ orderId: Schema.optional(Id) })
/** See {@link Approve}. */
export type Approve = typeof Approve.Type

/** Cash received for an order. `reference` (a receipt number) makes a retried request a no-op. */
export const Cash = Schema.Struct({
  amount: Amount,
  at: Schema.optional(Timestamp),
  reference: Schema.optional(Id),
  note: Schema.optional(Note)
})
/** See {@link Cash}. */
export type Cash = typeof Cash.Type

/** A payment recorded (or found recorded before: `duplicate`). */
export const PaymentRecorded = Schema.Struct({
  paymentId: Schema.String,
  status: Schema.Literals(["matched", "unmatched", "duplicate"])
})
/** See {@link PaymentRecorded}. */
export type PaymentRecorded = typeof PaymentRecorded.Type

// ---------------------------------------------------------------------------------------------
// Shipping and pickup
// ---------------------------------------------------------------------------------------------

/** Lines to ship (part of an order: 拆單出貨), how, and the carrier's tracking number. */
export const Ship = Schema.Struct({
  lines: Schema.Array(Line).check(Schema.isMinLength(1), Schema.isMaxLength(100)),
  method: Shipment.Method,
  carrier: Schema.optional(Id),
  trackingNo: Schema.optional(Id)
})
/** See {@link Ship}. */
export type Ship = typeof Ship.Type

/** A shipment made. `pickupCode` (meet-up pickup) is shown to the organiser only: buyers get it by message. */
export const Shipped = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  pickupCode: Schema.optional(Schema.String)
})
/** See {@link Shipped}. */
export type Shipped = typeof Shipped.Type

/** A pickup code, as the buyer shows it (or its QR code holds it). */
export const PickupCode = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(64),
  Schema.isPattern(/^[A-Za-z0-9-]+$/, { message: "expected letters, digits and -" })
)

/** A meet-up pickup found by its code, with its order (who it is for). */
export const Pickup = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  /** `shipped` while it waits; `picked-up` once confirmed. */
  status: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int })),
  /** Too many wrong codes: the organiser unlocks it. */
  locked: Schema.Boolean,
  failedAttempts: Schema.Int,
  order: Schema.optional(ReadModel.OrderView)
})
/** See {@link Pickup}. */
export type Pickup = typeof Pickup.Type

/** Confirming a pickup: the code the buyer shows. */
export const ConfirmPickup = Schema.Struct({ code: PickupCode })
/** See {@link ConfirmPickup}. */
export type ConfirmPickup = typeof ConfirmPickup.Type

/** A pickup confirmed or unlocked. */
export const PickupDone = Schema.Struct({ shipmentId: Schema.String, status: Schema.String })
/** See {@link PickupDone}. */
export type PickupDone = typeof PickupDone.Type

// ---------------------------------------------------------------------------------------------
// Buyers
// ---------------------------------------------------------------------------------------------

/** One buyer's history across rounds (the `buyer-history` read model). */
export const BuyerHistory = Schema.Struct({
  rounds: Schema.Array(Schema.String),
  orders: Schema.Int,
  units: Schema.Int,
  spend: Schema.Int,
  firstOrderAt: Schema.String,
  lastOrderAt: Schema.String
})

/** A buyer: identities, learned accounts and history (personal data: organiser only). */
export const BuyerDetail = Schema.Struct({
  buyer: Buyer.Buyer,
  history: Schema.NullOr(BuyerHistory)
})
/** See {@link BuyerDetail}. */
export type BuyerDetail = typeof BuyerDetail.Type

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/** A message that could not be sent after its retries (no recipient or content: see the order). */
export const DeadLetter = Schema.Struct({
  messageId: Schema.String,
  kind: Schema.String,
  channel: Schema.String,
  attempts: Schema.Int,
  error: Schema.String,
  createdAt: Schema.String,
  orderId: Schema.optional(Schema.String)
})
/** See {@link DeadLetter}. */
export type DeadLetter = typeof DeadLetter.Type

/** Dead letters to send again. */
export const RetryDeadLetters = Schema.Struct({
  messageIds: Schema.Array(Id).check(Schema.isMinLength(1), Schema.isMaxLength(500))
})
/** See {@link RetryDeadLetters}. */
export type RetryDeadLetters = typeof RetryDeadLetters.Type

/** How many dead letters were queued again. */
export const Retried = Schema.Struct({ retried: Schema.Int })

/** A job's status. */
export const JobStatus = Schema.Literals(["pending", "running", "done", "failed", "cancelled"])

/** A scheduled job (cutoffs, reminders, deadlines), without its payload. */
export const Job = Schema.Struct({
  id: Schema.String,
  kind: Schema.String,
  dueAt: Schema.String,
  status: JobStatus,
  attempts: Schema.Int,
  lastError: Schema.optional(Schema.String)
})
/** See {@link Job}. */
export type Job = typeof Job.Type

/** The jobs list's query. */
export const JobsQuery = {
  status: Schema.optional(Schema.Array(JobStatus)),
  kind: Schema.optional(Id),
  limit: Schema.optional(Limit)
}

// ---------------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------------

/** The columns of a round's orders CSV, in order: the header as written and what it holds. */
export const ordersCsvColumns: ReadonlyArray<{ readonly header: string; readonly meaning: string }> = [
  { header: "訂單編號", meaning: "order id" },
  { header: "狀態", meaning: "the back office folder: 收單中, 待付款, 待出貨, 已出貨, 已完成, 已取消" },
  { header: "狀態代碼", meaning: "the status code: open, awaiting-payment, paid…" },
  { header: "買家", meaning: "buyer name" },
  { header: "買家編號", meaning: "buyer id" },
  { header: "下單時間", meaning: "placed at, Asia/Taipei, YYYY-MM-DD HH:mm" },
  { header: "商品編號", meaning: "SKU" },
  { header: "數量", meaning: "quantity" },
  { header: "單價", meaning: "unit price, NT$" },
  { header: "小計", meaning: "line total, NT$" },
  { header: "訂單金額", meaning: "order total, NT$" },
  { header: "已付", meaning: "paid, NT$" }
]

/** `GET /rounds/:roundId/export.csv`: the CSV text (`text/csv; charset=utf-8`, with a BOM). */
export const OrdersCsv = Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/csv; charset=utf-8" }))

// ---------------------------------------------------------------------------------------------
// Payment deadlines
// ---------------------------------------------------------------------------------------------

/** An unpaid order flagged for the organiser at a payment deadline (the round's `unpaid: flag`, or a partly paid order under `cancel`). */
export const OverdueOrder = Schema.Struct({
  order: ReadModel.OrderView,
  /** The deadline it missed (ISO 8601). */
  deadline: Schema.String,
  /** When it was flagged (ISO 8601). */
  flaggedAt: Schema.String,
  /** NT$ still owed. */
  owed: Schema.Int
})
/** See {@link OverdueOrder}. */
export type OverdueOrder = typeof OverdueOrder.Type

/** The round's overdue orders, in the order they were flagged; an order paid or cancelled since drops off. */
export const OverdueOrders = Schema.Struct({ items: Schema.Array(OverdueOrder) })
/** See {@link OverdueOrders}. */
export type OverdueOrders = typeof OverdueOrders.Type

// ---------------------------------------------------------------------------------------------
// E-invoices (電子發票)
// ---------------------------------------------------------------------------------------------

/**
 * A buyer's invoice details: the carrier (`{ "_tag": "Mobile", "barcode": "/ABC+123" }`,
 * `{ "_tag": "Donation", "loveCode": "168001" }`, `Member`, `Certificate`, `Printed`), a company's
 * 統編 (`taxId`), an e-mail or phone for the notice.
 */
export const InvoiceDetails = Invoices.BuyerInvoiceDetails

/** `POST /orders/:orderId/invoice`: the details given now (recorded as the buyer's), or none (the buyer's recorded ones). */
export const RequestInvoice = Schema.Struct({ details: Schema.optional(InvoiceDetails) })
/** See {@link RequestInvoice}. */
export type RequestInvoice = typeof RequestInvoice.Type

/** An order's e-invoice: its number once issued, the last failure while it is not. */
export const OrderInvoice = Schema.Struct({
  orderId: Schema.String,
  /** `none` (never asked for), `requested` (being issued), `issued`, `voided`. */
  status: Schema.Literals(["none", "requested", "issued", "voided"]),
  invoiceNo: Schema.optional(Schema.String),
  /** ECPay's `yyyy-MM-dd HH:mm:ss` (Taipei). */
  invoiceDate: Schema.optional(Schema.String),
  randomNumber: Schema.optional(Schema.String),
  amount: Schema.optional(Schema.Int),
  /** NT$ of the allowances (折讓) made. */
  allowed: Schema.Int,
  carrier: Schema.optional(Invoicing.Carrier),
  failures: Schema.Int,
  lastFailure: Schema.optional(
    Schema.Struct({
      reason: Schema.String,
      code: Schema.optional(Schema.String),
      message: Schema.String,
      at: Schema.String
    })
  )
})
/** See {@link OrderInvoice}. */
export type OrderInvoice = typeof OrderInvoice.Type

/** An invoice job the organiser should look at (failed for good, or retrying). */
export const InvoiceProblem = Schema.Struct({
  jobId: Schema.String,
  /** `invoice.request`, `invoice.issue` or `invoice.refund`. */
  kind: Schema.String,
  orderId: Schema.String,
  status: Schema.Literals(["failed", "retrying"]),
  attempts: Schema.Int,
  lastError: Schema.optional(Schema.String),
  lastFailure: Schema.optional(
    Schema.Struct({ reason: Schema.String, code: Schema.optional(Schema.String), message: Schema.String })
  )
})
/** The invoices that need the organiser. */
export const InvoiceProblems = Schema.Struct({ items: Schema.Array(InvoiceProblem) })
/** See {@link InvoiceProblems}. */
export type InvoiceProblems = typeof InvoiceProblems.Type

// ---------------------------------------------------------------------------------------------
// The counter (門市櫃台)
// ---------------------------------------------------------------------------------------------

/** `GET /counter/lookup?q=`: a pickup code (typed or scanned), an order number or a buyer id. */
export const CounterQuery = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** A meet-up pickup of an order, as the counter shows it. */
export const CounterPickup = Schema.Struct({
  shipmentId: Schema.String,
  /** `shipped` while it waits at the counter, `picked-up` once confirmed. */
  status: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int })),
  locked: Schema.Boolean
})

/** An order at the counter: what is due, its pickups, its e-invoice. */
export const CounterOrder = Schema.Struct({
  order: ReadModel.OrderView,
  /** NT$ still to pay. */
  due: Schema.Int,
  pickups: Schema.Array(CounterPickup),
  invoice: OrderInvoice,
  /** The pickup the code named. */
  matchedShipmentId: Schema.optional(Schema.String)
})
/** See {@link CounterOrder}. */
export type CounterOrder = typeof CounterOrder.Type

/** What a counter lookup matched. */
export const CounterLookup = Schema.Struct({
  matchedBy: Schema.Literals(["pickup-code", "order", "buyer", "none"]),
  orders: Schema.Array(CounterOrder)
})
/** See {@link CounterLookup}. */
export type CounterLookup = typeof CounterLookup.Type

/** `POST /counter/orders/:orderId/pay`: cash, or a card on the shop's terminal with its reference. */
export const CounterPay = Schema.Struct({
  method: Counter.PayMethod,
  /** NT$, at most what is due; the whole due amount when left out. */
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /** The till's or the terminal's reference: the same one twice records one payment. */
  reference: Counter.PayInput.fields.reference
})
/** See {@link CounterPay}. */
export type CounterPay = typeof CounterPay.Type

/** What a counter payment did, and the order after it. */
export const CounterPaid = Schema.Struct({
  status: Schema.Literals(["matched", "duplicate", "unmatched"]),
  counter: CounterOrder
})
/** See {@link CounterPaid}. */
export type CounterPaid = typeof CounterPaid.Type

// ---------------------------------------------------------------------------------------------
// Documents (PDF)
// ---------------------------------------------------------------------------------------------

/** The packing slips' query (`GET /rounds/:roundId/slips.pdf`). */
export const SlipsQuery = {
  /** Only orders with these statuses (repeat for several); default every order but cancelled and refunded ones. */
  status: Schema.optional(Schema.Array(ReadModel.OrderStatus)),
  /** Only these orders (repeat for several: `?order=o_1&order=o_2`), at most 1,000. */
  order: Schema.optional(Schema.Array(Id).check(Schema.isMaxLength(1000))),
  /** `a4` (default) or `thermal` (80 mm). */
  format: Schema.optional(Schema.Literals(["a4", "thermal"])),
  /** Slips per A4 page: 4 (default) or 2. */
  perPage: Schema.optional(Schema.Literals(["2", "4"]))
}

/** The pick list's query (`GET /rounds/:roundId/picklist.pdf`). */
export const PickListQuery = {
  /** Only orders with these statuses (repeat for several); default every order but cancelled and refunded ones. */
  status: Schema.optional(Schema.Array(ReadModel.OrderStatus)),
  /** `sku` (default): one list; `pickup`: a list per delivery method. */
  by: Schema.optional(Schema.Literals(["sku", "pickup"]))
}

/** The packing slips of chosen orders (`POST /rounds/:roundId/slips.pdf`): too many ids for a URL. */
export const SlipsRequest = Schema.Struct({
  /** The orders, in the order to print them (at most 5,000). */
  orderIds: Schema.Array(Id).check(Schema.isMinLength(1), Schema.isMaxLength(5000)),
  format: Schema.optional(Schema.Literals(["a4", "thermal"])),
  perPage: Schema.optional(Schema.Literals([2, 4]))
})
/** See {@link SlipsRequest}. */
export type SlipsRequest = typeof SlipsRequest.Type

// ---------------------------------------------------------------------------------------------
// After-sales: refunds, returns, refunds due
// ---------------------------------------------------------------------------------------------

/**
 * `POST /orders/:orderId/refunds`: money the organiser gave back. `amount` (default: all that is
 * left of what the order received, a full refund; less is a partial refund and the order keeps its
 * status), `method` (`bank-transfer`, `cash`, or `gateway`: refunded in the gateway's own back
 * office), `reasonCode` (the return-rate KPI counts them), `reason` (told to the buyer), `lines`
 * (what the money is for), `refundId` (a retried request with the same id records one refund).
 */
export const Refund = Schema.Struct({
  amount: Schema.optional(Amount),
  lines: Schema.optional(Schema.Array(Line).check(Schema.isMaxLength(100))),
  method: Order.RefundMethod,
  reasonCode: Order.RefundReason,
  reason: Schema.optional(Note),
  refundId: Schema.optional(Id)
})
/** See {@link Refund}. */
export type Refund = typeof Refund.Type

/** What a refund did: `refunded` (all of it), `partly-refunded`, or `duplicate` (this `refundId` was recorded before). */
export const RefundDone = Schema.Struct({
  orderId: Schema.String,
  status: Schema.Literals(["refunded", "partly-refunded", "duplicate"]),
  amount: Schema.Int,
  order: ReadModel.OrderView
})
/** See {@link RefundDone}. */
export type RefundDone = typeof RefundDone.Type

/** `POST /shipments/:shipmentId/return`: the shipment (or these `lines` of it) came back. */
export const Return = Schema.Struct({
  lines: Schema.optional(Schema.Array(Line).check(Schema.isMinLength(1), Schema.isMaxLength(100))),
  reasonCode: Order.RefundReason,
  reason: Schema.optional(Note)
})
/** See {@link Return}. */
export type Return = typeof Return.Type

/** What a return did: the lines back and the NT$ now due to the buyer. */
export const Returned = Schema.Struct({
  shipmentId: Schema.String,
  orderId: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int })),
  refundDue: Schema.Int,
  order: ReadModel.OrderView
})
/** See {@link Returned}. */
export type Returned = typeof Returned.Type

/** `GET /refunds-due`: one round's (`round`) or every round's orders owing money back, paged by order id. */
export const RefundsDueQuery = Schema.Struct({
  round: Schema.optional(Id),
  after: Schema.optional(Id),
  limit: Schema.optional(Limit)
})

/** Orders owing their buyer money back: why (reason codes), how much, since when. */
export const RefundsDuePage = Schema.Struct({
  items: Schema.Array(ReadModels.RefundsDue.Document),
  /** The `after` of the next page, or null. */
  nextCursor: Schema.NullOr(Schema.String)
})
/** See {@link RefundsDuePage}. */
export type RefundsDuePage = typeof RefundsDuePage.Type

// ---------------------------------------------------------------------------------------------
// The waiting list (候補)
// ---------------------------------------------------------------------------------------------

/** A buyer waiting for a sold-out SKU: their place (1: next), what they wait for and since when. */
export const WaitlistEntry = Schema.Struct({
  sku: Schema.String,
  position: Schema.Int,
  buyerId: Schema.String,
  buyer: Buyer.Author,
  qty: Schema.Int,
  since: Schema.String
})
/** See {@link WaitlistEntry}. */
export type WaitlistEntry = typeof WaitlistEntry.Type

/** `GET /rounds/:roundId/waitlist`: every SKU's waiting list, in order. */
export const Waitlist = Schema.Struct({ items: Schema.Array(WaitlistEntry) })
/** See {@link Waitlist}. */
export type Waitlist = typeof Waitlist.Type
