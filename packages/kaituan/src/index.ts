/**
 * `kaituan`: social group buying (社群團購) for JavaScript and TypeScript, with plain Promises.
 * Open a round, take "+1" comments from any channel, close at the cutoff, apply a bank statement,
 * record payments, ship, confirm pickups, report, on memory, a SQLite file or PostgreSQL.
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
  Comment,
  CommentAuthor,
  EventsQuery,
  Line,
  OrderStatus,
  OrdersQuery,
  PaymentRecord,
  ReviewDecision,
  RoundFile,
  ShipRequest,
  StatementFormat,
  StatementImport
} from "./Inputs.js"
export {
  type CommentOutcome,
  createKaituan,
  type DomainEvent,
  type Kaituan,
  type KaituanEvent,
  type KaituanOptions,
  type NotOrderedItem,
  type OrdersPage,
  type OrderView,
  type PaymentOutcome,
  type ReviewItem,
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
