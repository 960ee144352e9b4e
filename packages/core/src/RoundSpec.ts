/**
 * The round file (CLI.md): a round's title, cutoff, parser settings, sellers, catalogue and the
 * policies an organiser chooses. Policies are data on the round, not branches in code.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { ProductSpec } from "./Catalogue.js"
import { RoundId } from "./Ids.js"
import { parseIsoDuration } from "./internal/isoDuration.js"
import { ParseMode } from "./ParseResult.js"

/** A repeat "+1" from a buyer who already ordered: adds to the line (default) or replaces it. */
export const RepeatPolicy = Schema.Literals(["add", "replace"])
export type RepeatPolicy = typeof RepeatPolicy.Type

/** When a line asks for more than is left: fill what is left and report the rest (default), or reject the line. */
export const PartialFillPolicy = Schema.Literals(["fill-and-report", "reject"])
export type PartialFillPolicy = typeof PartialFillPolicy.Type

/** What an edited or unsent comment does to the order it made: send it to review (default) or ignore. */
export const EditPolicy = Schema.Literals(["review", "ignore"])
export type EditPolicy = typeof EditPolicy.Type

/** An ISO 8601 timestamp with an offset (`2024-05-10T22:00:00+08:00`). */
export const IsoTimestamp = Schema.String.check(
  Schema.makeFilter((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s), {
    message: "expected an ISO 8601 timestamp such as 2024-05-10T22:00:00+08:00"
  })
)

/** An ISO 8601 duration of fixed length (`PT10M`, `PT1H`, `P1D`): weeks, days, hours, minutes, seconds. */
export const IsoDuration = Schema.String.check(
  Schema.makeFilter((s) => parseIsoDuration(s) !== undefined, {
    message: "expected an ISO 8601 duration such as PT10M (weeks, days, hours, minutes, seconds)"
  })
)

/**
 * A conversation a round listens to: a channel id (`line`, `telegram`, `facebook`…) and the
 * platform's id of the conversation there (a LINE group or room id, a Telegram chat id, a
 * Facebook post id). The `Inbound` service routes the comments of that conversation to the round.
 */
export const Listen = Schema.Struct({
  channel: Schema.String.check(Schema.isMinLength(1)),
  conversation: Schema.String.check(Schema.isMinLength(1))
})
/** A conversation a round listens to (see the {@link Listen} Schema). */
export type Listen = typeof Listen.Type

/** The organiser's bank account, printed in payment-due messages (transfers, 匯款). */
export const BankAccount = Schema.Struct({
  /** The bank's 3-digit code (`822`). */
  code: Schema.String.check(Schema.isPattern(/^\d{3}$/)),
  account: Schema.String.check(Schema.isPattern(/^[\d-]{4,20}$/)),
  name: Schema.String.check(Schema.isMinLength(1))
})
/** See the {@link BankAccount} Schema. */
export type BankAccount = typeof BankAccount.Type

/** How buyers pay: the bank account for transfers and the gateways offered on the pay page. */
export const PaymentSettings = Schema.Struct({
  bank: Schema.optional(BankAccount),
  /** Gateway ids (`ecpay`, `newebpay`, `linepay`). */
  gateways: Schema.optional(Schema.Array(Schema.String.check(Schema.isMinLength(1))))
})
/** See the {@link PaymentSettings} Schema. */
export type PaymentSettings = typeof PaymentSettings.Type

/** When the payment deadline passes: `cancel` unpaid orders (their stock released) or `flag` them to the organiser. */
export const UnpaidPolicy = Schema.Literals(["cancel", "flag"])
export type UnpaidPolicy = typeof UnpaidPolicy.Type

/** When a round's e-invoices (電子發票) are issued: as soon as an order is paid in full, or only when asked (the counter, the API). */
export const InvoiceIssuePolicy = Schema.Literals(["on-paid", "on-demand"])
export type InvoiceIssuePolicy = typeof InvoiceIssuePolicy.Type

/** A round's e-invoice settings (an `Invoicing` service must be configured to issue them). */
export const InvoiceSettings = Schema.Struct({
  /** `on-paid`: every order paid in full gets its invoice requested in the payment's commit; `on-demand`: only when asked. */
  issue: InvoiceIssuePolicy,
  /**
   * Where the invoice notice goes when the buyer gave neither an e-mail nor a phone (an invoice
   * needs one): the organiser's own address. Never the buyer's carrier.
   */
  noticeEmail: Schema.optional(Schema.String.check(Schema.isPattern(/^[^@\s]+@[^@\s]+$/)))
})
/** See the {@link InvoiceSettings} Schema. */
export type InvoiceSettings = typeof InvoiceSettings.Type

/** An optional field with a default: a missing key (or `undefined`) decodes to `value`. */
const orDefault = <S extends Schema.Top>(schema: S, value: () => S["Type"]) =>
  schema.pipe(Schema.withDecodingDefaultType(Effect.sync(value)))

/** The round file. Optional fields have the defaults CLI.md gives. */
export const RoundSpec = Schema.Struct({
  id: RoundId,
  title: Schema.String,
  timezone: orDefault(Schema.String, () => "Asia/Taipei"),
  cutoff: Schema.optional(IsoTimestamp),
  mode: orDefault(ParseMode, () => "marker" as const),
  maxQtyPerLine: orDefault(Schema.Int.check(Schema.isGreaterThan(0)), () => 50),
  extraMarkers: orDefault(Schema.Array(Schema.String), () => []),
  extraFillers: orDefault(Schema.Array(Schema.String), () => []),
  sellers: orDefault(Schema.Array(Schema.String), () => []),
  repeatOrder: orDefault(RepeatPolicy, () => "add" as const),
  partialFill: orDefault(PartialFillPolicy, () => "fill-and-report" as const),
  onEdit: orDefault(EditPolicy, () => "review" as const),
  /**
   * The conversations whose comments go to this round (see {@link Listen}). A round without it
   * takes the comments no open round listens to, when it is the only such round.
   */
  listens: Schema.optional(Schema.Array(Listen)),
  // The round settings of CLI.md (all optional). Accepted and kept with the round; the services
  // that act on them (payment deadlines, reminders, the waiting list) come with their issues.
  /** How buyers pay (printed in payment-due messages). */
  payment: Schema.optional(PaymentSettings),
  /** The payment deadline, a duration from the close (`P3D`). */
  payWithin: Schema.optional(IsoDuration),
  /** What happens to orders unpaid at the deadline. */
  unpaid: Schema.optional(UnpaidPolicy),
  /** A reminder to the round's conversations this long before the cutoff (`PT10M`). */
  remindBeforeCutoff: Schema.optional(IsoDuration),
  /**
   * Comments on sold-out items join a waiting list (候補), the buyer told their place; stock freed
   * by a cancel, an amendment, a restock or an order cancelled after the close goes down the list
   * in order, each buyer told.
   */
  waitlist: Schema.optional(Schema.Boolean),
  /**
   * The round's own minimum to proceed (成團), in orders: at the close, a round with fewer orders
   * (after its products' own `minimum`s) is 流團 as a whole: every line is cancelled, buyers told.
   */
  minimumOrders: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0))),
  /**
   * 預購到貨: `true` holds pre-order lines until the organiser marks their SKUs arrived (shipping
   * them before is refused, reason `not-arrived`; the in-stock lines of the same order ship).
   * Marking arrival tells the buyers either way.
   */
  preorderArrival: Schema.optional(Schema.Boolean),
  /** E-invoices (電子發票): when they are issued (see {@link InvoiceSettings}). No setting: none are issued unless asked. */
  invoice: Schema.optional(InvoiceSettings),
  products: Schema.NonEmptyArray(ProductSpec)
})
/** A decoded round file, defaults applied. */
export type RoundSpec = typeof RoundSpec.Type
/** A round file as written (defaults optional). */
export type RoundSpecInput = typeof RoundSpec.Encoded

/** Decodes a round file's JSON value: the spec, or a `Schema.SchemaError` naming every problem. */
export const decode = Schema.decodeUnknownResult(RoundSpec, { errors: "all", onExcessProperty: "ignore" })
