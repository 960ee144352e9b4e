/**
 * `kaituan`: social group buying (社群團購) for JavaScript and TypeScript, with plain Promises.
 * Open a round, take "+1" comments from any channel, close at the cutoff, apply a bank statement,
 * record payments (and settle the ones left for review), ship, confirm pickups, cancel and refund,
 * report, on memory, a SQLite file or PostgreSQL.
 *
 * @example
 * ```ts
 * import { createKaituan } from "kaituan"
 *
 * const k = await createKaituan({ database: "kaituan.db" })
 * ```
 *
 * @packageDocumentation
 */
export type {
  AmendLine,
  ApprovePaymentOptions,
  CancelOrderRequest,
  Comment,
  CommentAuthor,
  EventsQuery,
  Line,
  OrderStatus,
  OrdersQuery,
  PaymentDecisionStatus,
  PaymentDecisionsQuery,
  PaymentRecord,
  RefundMethod,
  RefundReasonCode,
  RefundRequest,
  ReturnRequest,
  ReviewDecision,
  ReopenRequest,
  RoundChange,
  RoundFile,
  ShipRequest,
  StatementFormat,
  StatementImport
} from "./Inputs.js"
export {
  type BackgroundOptions,
  type CommentOutcome,
  createKaituan,
  type DomainEvent,
  type Kaituan,
  type KaituanEvent,
  type KaituanOptions,
  type NotOrderedItem,
  type OrdersPage,
  type OrderView,
  type OverdueOrder,
  type PaymentDecision,
  type PaymentOutcome,
  type PickupView,
  type PublishResult,
  type RefundDue,
  type ReturnResult,
  type ReviewItem,
  type RoundHistoryEntry,
  type RoundReport,
  type RoundStatus,
  type RoundSummary,
  type ShipResult,
  type StatementDecision,
  type StatementResult,
  type StockView,
  type UnreadableRow
} from "./Kaituan.js"
export {
  isKaituanError,
  KaituanError,
  type KaituanErrorCode,
  type KaituanErrorOptions,
  kaituanErrorCodes
} from "./KaituanError.js"
