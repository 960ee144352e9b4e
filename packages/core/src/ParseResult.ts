/**
 * What the comment parser says about one comment (PARSING.md): exactly one intent, the lines it
 * found, a human-readable reason and the text spans that made it decide.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * The six intents of PARSING.md, and `carrier`: the buyer tells us where their e-invoice goes
 * (載具 / 手機條碼 `/ABC+123`, 捐贈碼 `168001`, 統編 `12345678`). A carrier message is never an order.
 */
export const Intent = Schema.Literals(["order", "amend", "cancel", "payment", "review", "none", "carrier"])
export type Intent = typeof Intent.Type

/**
 * One line: a sellable SKU and a quantity. `sku: null` on `amend`/`cancel` means "the line this
 * buyer has, if there is only one".
 */
export const ParsedLine = Schema.Struct({
  sku: Schema.NullOr(Schema.String),
  qty: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})
export type ParsedLine = typeof ParsedLine.Type

/** Why a part of the text mattered. */
export const SpanKind = Schema.Literals([
  "marker",
  "quantity",
  "name",
  "option",
  "product-number",
  "question",
  "condition",
  "cancel",
  "amend",
  "payment",
  "amount",
  "last5",
  "money",
  "unknown",
  "filler",
  "carrier"
])
export type SpanKind = typeof SpanKind.Type

/** A matched text span, as UTF-16 offsets into the original comment (`text.slice(start, end)`). */
export const Span = Schema.Struct({
  start: Schema.Int,
  end: Schema.Int,
  kind: SpanKind
})
export type Span = typeof Span.Type

/** What a `carrier` comment gave: a mobile barcode (手機條碼), a love code (捐贈碼), a company's 統編; one or two of them. */
export const InvoiceCarrier = Schema.Struct({
  /** `/` and 7 of `0-9 A-Z . + -`. */
  mobileBarcode: Schema.optional(Schema.String.check(Schema.isPattern(/^\/[0-9A-Z.+-]{7}$/))),
  /** 3 to 7 digits. */
  loveCode: Schema.optional(Schema.String.check(Schema.isPattern(/^[0-9]{3,7}$/))),
  /** 8 digits. */
  taxId: Schema.optional(Schema.String.check(Schema.isPattern(/^[0-9]{8}$/)))
})
export type InvoiceCarrier = typeof InvoiceCarrier.Type

/** The parser's verdict on one comment. */
export const ParseResult = Schema.Struct({
  intent: Intent,
  lines: Schema.Array(ParsedLine),
  reason: Schema.String,
  spans: Schema.Array(Span),
  /** For `review`: what the comment would have been had it been certain. */
  likely: Schema.optional(Schema.Literals(["order", "amend", "cancel", "payment"])),
  /** For `payment`: the amount reported, in TWD. */
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  /** For `payment`: the last five digits of the paying account. */
  last5: Schema.optional(Schema.String.check(Schema.isPattern(/^\d{5}$/))),
  /**
   * For `carrier`: what the buyer gave, in the format the tax authority uses (手機條碼 upper-cased);
   * absent when a carrier word came with a code of the wrong format (the buyer is told the format).
   */
  carrier: Schema.optional(InvoiceCarrier)
})
export type ParseResult = typeof ParseResult.Type

/** Parser mode: `marker` needs an explicit marker (+N); `lenient` also accepts xN, N個, 各N after a name. */
export const ParseMode = Schema.Literals(["marker", "lenient"])
export type ParseMode = typeof ParseMode.Type

/** Per-round parser settings. */
export const ParserSettings = Schema.Struct({
  mode: ParseMode,
  maxQtyPerLine: Schema.Int.check(Schema.isGreaterThan(0)),
  /** Extra marker words that count like "+" (e.g. "喊"). */
  extraMarkers: Schema.Array(Schema.String),
  /** Extra filler words that are never names (e.g. "姐姐"). */
  extraFillers: Schema.Array(Schema.String)
})
export type ParserSettings = typeof ParserSettings.Type

/** The defaults: marker mode, 50 per line, no extra words. */
export const defaultSettings: ParserSettings = { mode: "marker", maxQtyPerLine: 50, extraMarkers: [], extraFillers: [] }
