/**
 * The inputs of the `kaituan` methods: plain TypeScript types for callers, and the Schemas that
 * decode them at the boundary (a bad one becomes a `KaituanError` naming the field).
 *
 * @since 0.1.0
 */
import {
  GroupBuy,
  ReadModel,
  RoundChanges as RoundChangesModule,
  type RoundSpec,
  RoundSpec as RoundSpecModule,
  Shipment
} from "@kaituan/core"
import { Result, Schema, SchemaIssue } from "effect"
import { KaituanError } from "./KaituanError.js"

/**
 * A round file (docs/cli.md): id, title, cutoff, parser settings, sellers, products and policies.
 * Optional fields take the documented defaults.
 *
 * @example
 * ```ts
 * const round: RoundFile = { id: "cups-2026-05", title: "保溫杯", products: [{ sku: "CUP", name: "保溫杯", price: 450 }] }
 * ```
 */
export type RoundFile = RoundSpec.RoundSpecInput

/** Who wrote a comment, as the channel tells it. */
export interface CommentAuthor {
  /** The channel's user id (for chat exports carrying names only, the display name). */
  readonly id: string
  /** The display name. */
  readonly name?: string | undefined
  /** The channel did not say who wrote it: such comments go to review, never into someone's order. */
  readonly unknown?: boolean | undefined
}

/** A buyer's comment from any channel (`line`, `facebook`, `telegram`, `import`…). */
export interface Comment {
  /** The channel: `line`, `facebook`, `telegram`, `import`… */
  readonly channel: string
  /** The message's id, unique within the channel (or within the round, see `idScope`). Handled once. */
  readonly commentId: string
  /** Who wrote it. */
  readonly author: CommentAuthor
  /** What they wrote (`紅色+2`). */
  readonly text: string
  /** When, as ISO 8601 with an offset (`2026-05-10T21:03:00+08:00`). */
  readonly at: string
  /** The post or conversation it answers. */
  readonly threadId?: string | undefined
  /** The channel's reply token, when it gives one. */
  readonly replyToken?: string | undefined
  /** Where `commentId` is unique: the whole `channel` (default) or only this `round` (import files). */
  readonly idScope?: "channel" | "round" | undefined
}

/** Which orders {@link Kaituan.orders} lists, and how many at a time. */
export interface OrdersQuery {
  /** Only orders with this status (or any of these). */
  readonly status?: OrderStatus | ReadonlyArray<OrderStatus> | undefined
  /** Only this buyer's orders (`line:U123…`, as in `OrderView.buyerId`). */
  readonly buyerId?: string | undefined
  /** At most this many (1 to 1000); without it, all. */
  readonly limit?: number | undefined
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined
}

/** Order statuses (待收款 awaiting payment, 待出貨 paid…). */
export type OrderStatus = ReadModel.OrderStatus

/** Bank statement layouts `importStatement` reads (`auto` detects; `generic` infers the columns). */
export type StatementFormat = "auto" | "cathay" | "ctbc" | "post" | "generic"

/** A bank statement to apply to a round's orders. */
export interface StatementImport {
  /** The file: its bytes (CSV in any common encoding, or `.xlsx`) or its text (CSV). */
  readonly file: Uint8Array | string
  /** The layout; `auto` (default) detects it. */
  readonly format?: StatementFormat | undefined
  /** The text encoding of CSV bytes; `auto` (default) detects UTF-8, UTF-16 and Big5. */
  readonly encoding?: "auto" | "utf-8" | "big5" | undefined
}

/** A payment seen outside a statement import: cash at pickup, a transfer seen in the bank app… */
export interface PaymentRecord {
  /** The order it pays. */
  readonly orderId: string
  /** Integer TWD, more than 0. */
  readonly amount: number
  /** `cash`, a `statement` transfer, or a `gateway` payment. */
  readonly source: "cash" | "statement" | "gateway"
  /** The payer account's last five digits, when known (they are learned for later matches). */
  readonly last5?: string | undefined
  /** The payer's bank code (3 digits), when known. */
  readonly bankCode?: string | undefined
  /**
   * The idempotency key: the same id again changes nothing (pass your receipt number to make
   * retries safe). Without it, a new id is made, so a retried call records the payment twice.
   */
  readonly transactionId?: string | undefined
  /** When it was paid (ISO 8601); now by default. */
  readonly at?: string | undefined
  /** A note kept with the payment (no personal data, please). */
  readonly note?: string | undefined
}

/** A line of an order: SKU and quantity. */
export interface Line {
  /** The variant's SKU (`SOCK-R`). */
  readonly sku: string
  /** How many, at least 1. */
  readonly qty: number
}

/** How {@link Kaituan.ship} ships an order. */
export interface ShipRequest {
  /** What to ship; all of the order's lines by default (several calls split an order: 拆單出貨). */
  readonly lines?: ReadonlyArray<Line> | undefined
  /** `home` delivery, convenience store (`cvs`) or meet-up `pickup` (gets a one-time code). */
  readonly method: "home" | "cvs" | "pickup"
  /** The tracking number. */
  readonly tracking?: string | undefined
  /** The carrier (`7-ELEVEN`, `黑貓`…). */
  readonly carrier?: string | undefined
}

/** A line of an amendment: the quantity the buyer's order should have (0 removes the line). */
export interface AmendLine {
  /** The variant's SKU (`SOCK-R`). */
  readonly sku: string
  /** The new quantity, 0 or more. */
  readonly qty: number
}

/** The organiser's decision on a review item; the buyer is told the outcome. */
export type ReviewDecision =
  | {
      /** Turn the comment into an order with these lines, added to the buyer's order (the round must still be open). */
      readonly action: "order"
      readonly lines: ReadonlyArray<Line>
    }
  | {
      /**
       * The comment changed the buyer's earlier order: these quantities replace what the order
       * holds for those SKUs (the round must still be open).
       */
      readonly action: "amend"
      readonly lines: ReadonlyArray<AmendLine>
    }
  | {
      /**
       * The comment was a cancellation: the buyer's order in the round is withdrawn (before the
       * cutoff its stock goes back; after it the confirmed order is cancelled, if nothing is paid).
       */
      readonly action: "cancel"
    }
  | {
      /** Not an order: clear it from the queue. */
      readonly action: "dismiss"
    }

/**
 * A change to an open (or paused) round for {@link Kaituan.updateRound}: every field optional, at
 * least one; applied together or not at all. Lines already ordered keep their price, and stock
 * never goes below what is sold.
 *
 * - `title`; `cutoff`: a later ISO 8601 time, or `null` for none (a time that has passed is
 *   refused, reason `cutoff-passed`: close the round instead);
 * - `prices`: `[{ sku, price }]` for lines ordered from now on (a product's sku or a variant's);
 * - `restock`: `[{ sku, add }]` (units added) or `[{ sku, stock }]` (the new total: sold + left);
 * - `addProducts`: products as in the round file; `addVariants`: `[{ productSku, variant, optionValues? }]`;
 * - `paused`: `true` pauses the round (comments are not ordered, reason `paused`), `false` resumes it;
 * - `requestId`: the same id again changes nothing (for a retry of `restock` with `add`).
 *
 * @example
 * ```ts
 * await k.updateRound("socks-2024-05", { restock: [{ sku: "SOCK-R", add: 10 }], requestId: "restock-2" })
 * ```
 */
export type RoundChange = typeof RoundChangesModule.RoundChange.Encoded

/** How {@link Kaituan.reopenRound} reopens a closed round. */
export interface ReopenRequest {
  /** The new cutoff (ISO 8601, later than now); `null`: none; omitted: keep the current one (it must not have passed). */
  readonly cutoff?: string | null | undefined
  /** The same id again changes nothing. */
  readonly requestId?: string | undefined
}

/** Which decisions {@link Kaituan.paymentDecisions} lists. */
export interface PaymentDecisionsQuery {
  /** Only decisions with this status (or any of these): `review` and `unmatched` wait for the organiser. */
  readonly status?: PaymentDecisionStatus | ReadonlyArray<PaymentDecisionStatus> | undefined
}

/** Where a payment decision is: the matcher's, or the organiser's once settled. */
export type PaymentDecisionStatus = "matched" | "review" | "unmatched" | "ignored" | "approved" | "rejected"

/** How {@link Kaituan.approvePayment} settles a decision. */
export interface ApprovePaymentOptions {
  /** The order the money pays (any confirmed order of the round); by default the decision's only candidate. */
  readonly orderId?: string | undefined
}

/** Why an order is cancelled ({@link Kaituan.cancelOrder}): the buyer is told. */
export interface CancelOrderRequest {
  /** In the organiser's words (at most 500 characters; no personal data, please). */
  readonly reason: string
}

/** Why money or goods came back: a closed set of codes, counted by the return-rate KPI. */
export type RefundReasonCode =
  | "damaged"
  | "wrong-item"
  | "not-collected"
  | "buyer-cancelled"
  | "out-of-stock"
  | "quality"
  | "other"

/** How money went back: `gateway` means refunded in the gateway's own back office. */
export type RefundMethod = "bank-transfer" | "cash" | "gateway"

/** A refund ({@link Kaituan.refund}): the buyer is told the amount and why. */
export interface RefundRequest {
  /**
   * Integer TWD: all that is left of what the order received is a full refund (the order is
   * refunded); less is a partial refund (the order keeps its status). Never more than is left.
   */
  readonly amount: number
  /** In the organiser's words (at most 500 characters; no personal data, please). */
  readonly reason: string
  /** How the money went back (default `bank-transfer`). */
  readonly method?: RefundMethod | undefined
  /** Why (default `other`). */
  readonly reasonCode?: RefundReasonCode | undefined
  /** What the money is for (a partial refund of some items). */
  readonly lines?: ReadonlyArray<{ readonly sku: string; readonly qty: number }> | undefined
  /** Your id of this refund: calling again with it records one refund. */
  readonly refundId?: string | undefined
}

/** A return ({@link Kaituan.returnShipment}): the shipment, or `lines` of it, came back. */
export interface ReturnRequest {
  readonly reasonCode: RefundReasonCode
  /** The lines that came back (default: the whole shipment). */
  readonly lines?: ReadonlyArray<{ readonly sku: string; readonly qty: number }> | undefined
  /** In the organiser's words, told to the buyer (at most 500 characters). */
  readonly reason?: string | undefined
}

/** Where {@link Kaituan.events} starts. */
export interface EventsQuery {
  /** Only events after this global position (0, the default, = from the first). */
  readonly after?: number | undefined
  /** How many events are read from the database at a time (1 to 10000, default 500). */
  readonly batchSize?: number | undefined
}

// ---------------------------------------------------------------------------------------------
// Schemas (internal to the package; exported for the tests)
// ---------------------------------------------------------------------------------------------

const NonEmpty = Schema.String.check(Schema.isMinLength(1))
const Iso = RoundSpecModule.IsoTimestamp
const Qty = Schema.Int.check(Schema.isGreaterThan(0))

/** @internal */
export const IdSchema = NonEmpty

/** @internal Core's comment rules: ids storage can key on, no NUL, `at` an ISO 8601 date. */
export const CommentSchema = GroupBuy.CommentInput

const OrderStatusSchema = ReadModel.OrderStatus

/** @internal */
export const OrdersQuerySchema = Schema.Struct({
  status: Schema.optional(Schema.Union([OrderStatusSchema, Schema.Array(OrderStatusSchema)])),
  buyerId: Schema.optional(NonEmpty),
  limit: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
  cursor: Schema.optional(
    Schema.String.check(Schema.isPattern(/^c\d{1,15}$/, { message: "expected a nextCursor returned by orders()" }))
  )
})

/** @internal */
export const StatementImportSchema = Schema.Struct({
  file: Schema.Union([Schema.Uint8Array, Schema.String]),
  format: Schema.optional(Schema.Literals(["auto", "cathay", "ctbc", "post", "generic"])),
  encoding: Schema.optional(Schema.Literals(["auto", "utf-8", "big5"]))
})

/** @internal */
export const PaymentRecordSchema = Schema.Struct({
  orderId: NonEmpty,
  amount: Qty,
  source: Schema.Literals(["cash", "statement", "gateway"]),
  last5: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{5}$/, { message: "expected five digits" }))),
  bankCode: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{3}$/, { message: "expected three digits" }))),
  transactionId: Schema.optional(NonEmpty),
  at: Schema.optional(Iso),
  note: Schema.optional(Schema.String.check(Schema.isMaxLength(500)))
})

const LineSchema = Schema.Struct({ sku: NonEmpty, qty: Qty })

/** @internal */
export const ShipRequestSchema = Schema.Struct({
  lines: Schema.optional(Schema.Array(LineSchema).check(Schema.isMinLength(1))),
  method: Shipment.Method,
  tracking: Schema.optional(Schema.String),
  carrier: Schema.optional(Schema.String)
})

const AmendLineSchema = Schema.Struct({ sku: NonEmpty, qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)) })

/** @internal */
export const ReviewDecisionSchema = Schema.Union([
  Schema.Struct({ action: Schema.Literal("order"), lines: Schema.Array(LineSchema).check(Schema.isMinLength(1)) }),
  Schema.Struct({ action: Schema.Literal("amend"), lines: Schema.Array(AmendLineSchema).check(Schema.isMinLength(1)) }),
  Schema.Struct({ action: Schema.Literal("cancel") }),
  Schema.Struct({ action: Schema.Literal("dismiss") })
])

/** @internal */
export const RoundChangeSchema = RoundChangesModule.RoundChange

/** @internal */
export const MarkArrivedSchema = Schema.Struct({
  skus: Schema.Array(IdSchema).check(Schema.isMinLength(1)),
  requestId: Schema.optional(IdSchema)
})

/** @internal */
export const ReopenRequestSchema = Schema.Struct({
  cutoff: Schema.optional(Schema.NullOr(Iso)),
  requestId: Schema.optional(IdSchema)
})

const DecisionStatusSchema = Schema.Literals(["matched", "review", "unmatched", "ignored", "approved", "rejected"])

/** @internal */
export const PaymentDecisionsQuerySchema = Schema.Struct({
  status: Schema.optional(Schema.Union([DecisionStatusSchema, Schema.Array(DecisionStatusSchema)]))
})

/** @internal */
export const ApprovePaymentSchema = Schema.Struct({ orderId: Schema.optional(NonEmpty) })

const Reason = Schema.String.check(
  Schema.makeFilter((s: string) =>
    s.trim() === ""
      ? "expected a non-empty reason"
      : s.length > 500
        ? "expected at most 500 characters"
        : s.includes("\u0000")
          ? "expected no NUL characters"
          : undefined
  )
)

/** @internal */
export const CancelOrderSchema = Schema.Struct({ reason: Reason })

const RefundReasonSchema = Schema.Literals([
  "damaged",
  "wrong-item",
  "not-collected",
  "buyer-cancelled",
  "out-of-stock",
  "quality",
  "other"
])
const SkuQty = Schema.Struct({ sku: NonEmpty, qty: Qty })

/** @internal */
export const RefundSchema = Schema.Struct({
  amount: Qty,
  reason: Reason,
  method: Schema.optional(Schema.Literals(["bank-transfer", "cash", "gateway"])),
  reasonCode: Schema.optional(RefundReasonSchema),
  lines: Schema.optional(Schema.Array(SkuQty)),
  refundId: Schema.optional(NonEmpty)
})

/** @internal */
export const ReturnSchema = Schema.Struct({
  reasonCode: RefundReasonSchema,
  lines: Schema.optional(Schema.Array(SkuQty).check(Schema.isMinLength(1))),
  reason: Schema.optional(Reason)
})

/** @internal */
export const EventsQuerySchema = Schema.Struct({
  after: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  batchSize: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 })))
})

/** @internal */
export const OptionalAtSchema = Schema.optional(Iso)

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** A message for a leaf issue that never quotes the input (it may be personal data). */
const leafHook = (issue: SchemaIssue.Leaf): string => {
  switch (issue._tag) {
    case "InvalidType":
      return SchemaIssue.defaultLeafHook(new SchemaIssue.InvalidType(issue.ast))
    case "InvalidValue":
      return SchemaIssue.defaultLeafHook(new SchemaIssue.InvalidValue(issue.annotations))
    case "MissingKey":
      return "is required"
    case "UnexpectedKey":
      return "is not expected"
    case "Forbidden":
      return "is not allowed"
    case "OneOf":
      return "matches more than one shape"
  }
}

const checkHook = (issue: SchemaIssue.Filter): string => {
  const annotated = SchemaIssue.defaultCheckHook(issue)
  if (annotated !== undefined) return annotated
  const expected = issue.filter.annotations?.expected
  return typeof expected === "string" ? `Expected ${expected}` : "Expected a valid value"
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook, checkHook })

/** `a.b[2].c` for a path under `root`. */
const pathOf = (root: string, path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = root
  for (const segment of path) {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

/** The `InvalidInput` error for a Schema issue under the argument `root`. */
export const invalidInput = (root: string, issue: SchemaIssue.Issue): KaituanError => {
  const issues = formatter(issue).issues
  const first = issues[0]
  const field = first === undefined ? root : pathOf(root, first.path ?? [])
  const parts = issues.slice(0, 5).map((i) => `${pathOf(root, i.path ?? [])}: ${i.message}`)
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""
  return new KaituanError("InvalidInput", `invalid input: ${parts.join("; ")}${more}`, { field })
}

/** Decodes `input` (the argument named `root`) with `schema`, or throws `InvalidInput`. */
export const decodeOrThrow = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  root: string,
  input: unknown,
  /** `error`: a key the schema does not know is refused, naming it (a misspelt `"stok"` never does nothing). */
  onExcessProperty: "ignore" | "error" = "ignore"
): S["Type"] => {
  const result = Schema.decodeUnknownResult(schema as unknown as Schema.Codec<S["Type"], S["Encoded"], never, never>, {
    errors: "all",
    onExcessProperty
  })(input)
  if (Result.isFailure(result)) throw invalidInput(root, result.failure.issue)
  return result.success
}
