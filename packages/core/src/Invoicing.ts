/**
 * The Invoicing port: Taiwan B2C electronic invoices (電子發票) for paid orders. Issue one with the
 * carrier the buyer gave (a 手機條碼 mobile barcode, a 自然人憑證 certificate, the vendor's member
 * carrier), a 捐贈碼 donation code, or on paper; void it (作廢) or make an allowance (折讓) when
 * money goes back; query it; check a mobile barcode or a love code with the tax authority.
 *
 * Implemented by `@kaituan/invoice-ecpay`. {@link InvoicingContract} holds the cases every
 * implementation must pass.
 *
 * **Idempotent by order.** An invoice's merchant number (ECPay `RelateNumber`) is derived from the
 * order id ({@link relateNumberOf}), so a retry of `issue` for the same order asks for the same
 * number and the implementation answers the invoice already issued: a retry never issues twice.
 * A deliberate re-issue after a void takes the next `sequence`.
 *
 * Amounts are tax-included whole TWD (B2C). The rules of the Ministry of Finance that can be
 * checked without the vendor are checked by {@link validateIssue} before any call.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Result, Schema } from "effect"
import { match } from "ts-pattern"

// ---------------------------------------------------------------------------------------------
// Carriers and codes
// ---------------------------------------------------------------------------------------------

/** 手機條碼: `/` and 7 of `0-9 A-Z . + -` (the Ministry of Finance's rule). */
export const MOBILE_BARCODE = /^\/[0-9A-Z.+-]{7}$/
/** 捐贈碼 (love code): 3 to 7 digits. */
export const LOVE_CODE = /^[0-9]{3,7}$/
/** 自然人憑證 carrier: 2 capital letters and 14 digits. */
export const CITIZEN_CERTIFICATE = /^[A-Z]{2}[0-9]{14}$/
/** 統一編號 (a company buyer's tax id): 8 digits. */
export const TAX_ID = /^[0-9]{8}$/

/**
 * A mobile barcode as buyers type it: trimmed and upper-cased (`/abc+123` → `/ABC+123`); the
 * result still has to match {@link MOBILE_BARCODE}.
 */
export const normaliseBarcode = (input: string): string => input.trim().toUpperCase()

/** Where the invoice goes. */
export const Carrier = Schema.Union([
  /** 手機條碼: the buyer's mobile barcode. */
  Schema.TaggedStruct("Mobile", { barcode: Schema.String.check(Schema.isPattern(MOBILE_BARCODE)) }),
  /** 自然人憑證: the buyer's citizen digital certificate. */
  Schema.TaggedStruct("Certificate", { number: Schema.String.check(Schema.isPattern(CITIZEN_CERTIFICATE)) }),
  /** The vendor's member carrier, kept under the buyer's e-mail (ECPay 綠界電子發票載具). */
  Schema.TaggedStruct("Member", {}),
  /** 捐贈: donated to the charity with this love code (never printed, never to a company). */
  Schema.TaggedStruct("Donation", { loveCode: Schema.String.check(Schema.isPattern(LOVE_CODE)) }),
  /** A printed invoice (the buyer's name and address are needed). */
  Schema.TaggedStruct("Printed", {})
])
/** A {@link Carrier}. */
export type Carrier = typeof Carrier.Type

/** The buyer as the invoice needs them. Personal data: never logged. */
export const InvoiceBuyer = Schema.Struct({
  name: Schema.optional(Schema.String),
  email: Schema.optional(Schema.String),
  /** Digits only. */
  phone: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  /** 統一編號 of a company buyer. */
  taxId: Schema.optional(Schema.String.check(Schema.isPattern(TAX_ID)))
})
/** An {@link InvoiceBuyer}. */
export type InvoiceBuyer = typeof InvoiceBuyer.Type

/** One line of the invoice (tax-included prices). */
export const InvoiceItem = Schema.Struct({
  name: Schema.String.check(Schema.isNonEmpty()),
  quantity: Schema.Number.check(Schema.isGreaterThan(0)),
  /** 單位, e.g. 個, 箱 (default 個). */
  unit: Schema.optional(Schema.String),
  /** Tax-included unit price. */
  unitPrice: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  /** `quantity × unitPrice`, rounded to whole TWD. */
  amount: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
})
/** An {@link InvoiceItem}. */
export type InvoiceItem = typeof InvoiceItem.Type

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/** What to invoice. */
export const IssueInput = Schema.Struct({
  orderId: Schema.String.check(Schema.isNonEmpty()),
  /** 0 for the order's first invoice; the next number for a re-issue after a void. */
  sequence: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  buyer: InvoiceBuyer,
  carrier: Carrier,
  items: Schema.Array(InvoiceItem).check(Schema.isMinLength(1)),
  /** Tax-included total: the sum of the items' amounts. */
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  remark: Schema.optional(Schema.String)
})
/** An {@link IssueInput}. */
export type IssueInput = typeof IssueInput.Type

/** An issued invoice. */
export const Invoice = Schema.Struct({
  orderId: Schema.String,
  /** The merchant's number of the invoice (derived from the order id). */
  relateNumber: Schema.String,
  /** 發票號碼: two letters (字軌) and eight digits. */
  invoiceNo: Schema.String.check(Schema.isPattern(/^[A-Z]{2}[0-9]{8}$/)),
  /** `yyyy-MM-dd HH:mm:ss`, Taipei time. */
  invoiceDate: Schema.String,
  /** 隨機碼: four digits. */
  randomNumber: Schema.String,
  amount: Schema.Int
})
/** An {@link Invoice}. */
export type Invoice = typeof Invoice.Type

/** Voiding (作廢) an invoice. */
export const VoidInput = Schema.Struct({
  invoiceNo: Schema.String.check(Schema.isPattern(/^[A-Z]{2}[0-9]{8}$/)),
  /** The invoice's date (`yyyy-MM-dd`, or the full `yyyy-MM-dd HH:mm:ss`). */
  invoiceDate: Schema.String,
  /** Why, at most 20 characters. */
  reason: Schema.String.check(Schema.isNonEmpty(), Schema.isMaxLength(20))
})
/** A {@link VoidInput}. */
export type VoidInput = typeof VoidInput.Type

/** A voided invoice. */
export const Voided = Schema.Struct({ invoiceNo: Schema.String })
/** A {@link Voided}. */
export type Voided = typeof Voided.Type

/** An allowance (折讓): part of an invoice's amount given back. */
export const AllowanceInput = Schema.Struct({
  invoiceNo: Schema.String.check(Schema.isPattern(/^[A-Z]{2}[0-9]{8}$/)),
  invoiceDate: Schema.String,
  /** Tax-included amount given back: the sum of the items'. */
  amount: Schema.Int.check(Schema.isGreaterThan(0)),
  items: Schema.Array(InvoiceItem).check(Schema.isMinLength(1)),
  /** How the buyer is told: e-mail, SMS, both or not at all. */
  notify: Schema.Literals(["email", "sms", "both", "none"]),
  buyer: InvoiceBuyer
})
/** An {@link AllowanceInput}. */
export type AllowanceInput = typeof AllowanceInput.Type

/** A made allowance. */
export const Allowance = Schema.Struct({
  invoiceNo: Schema.String,
  /** The allowance's number (16 digits at ECPay). */
  allowanceNo: Schema.String,
  date: Schema.String,
  /** What can still be allowed on the invoice. */
  remaining: Schema.Int
})
/** An {@link Allowance}. */
export type Allowance = typeof Allowance.Type

/** Which invoice to look up: the order's (by its number), or an invoice number and date. */
export const QueryInput = Schema.Union([
  Schema.Struct({
    orderId: Schema.String.check(Schema.isNonEmpty()),
    sequence: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)))
  }),
  Schema.Struct({ invoiceNo: Schema.String, invoiceDate: Schema.String })
])
/** A {@link QueryInput}. */
export type QueryInput = typeof QueryInput.Type

/** An invoice as the vendor knows it. */
export const QueriedInvoice = Schema.Struct({
  invoiceNo: Schema.String,
  invoiceDate: Schema.String,
  relateNumber: Schema.String,
  randomNumber: Schema.String,
  amount: Schema.Int,
  voided: Schema.Boolean
})
/** A {@link QueriedInvoice}. */
export type QueriedInvoice = typeof QueriedInvoice.Type

// ---------------------------------------------------------------------------------------------
// Errors and the port
// ---------------------------------------------------------------------------------------------

/** Why an invoicing operation failed. */
export const InvoicingErrorReason = Schema.Literals([
  /** The input breaks a rule (a malformed carrier, donation to a company, totals that do not add up…): never sent. */
  "invalid-input",
  /** The vendor has no such invoice. */
  "not-found",
  /** The vendor refused (its code and message say why: a void past the filing deadline, an allowance above what remains…). */
  "rejected",
  /** The vendor refused our credentials or envelope. */
  "unauthorized",
  /** The vendor could not be reached, timed out, or asked us to slow down (after the retries). */
  "unavailable",
  /** The vendor answered something that is not its documented shape. */
  "invalid-response"
])
/** An {@link InvoicingErrorReason}. */
export type InvoicingErrorReason = typeof InvoicingErrorReason.Type

/** An invoicing operation failed. Messages carry no buyer data. */
export class InvoicingError extends Schema.TaggedError<InvoicingError>()("InvoicingError", {
  reason: InvoicingErrorReason,
  /** The vendor's own code (ECPay `RtnCode`), when it answered one. */
  code: Schema.optional(Schema.String),
  message: Schema.String
}) {}

/** The port. */
export interface InvoicingService {
  /** The vendor's id, e.g. `ecpay`. */
  readonly id: string
  /** Issues the order's invoice; a retry for the same order (and sequence) answers the invoice already issued. */
  readonly issue: (input: IssueInput) => Effect.Effect<Invoice, InvoicingError>
  /** Voids (作廢) an invoice: before the period is filed (the 13th of the next odd month), with no allowance left. */
  readonly void: (input: VoidInput) => Effect.Effect<Voided, InvoicingError>
  /** Makes an allowance (折讓) on an invoice. */
  readonly allowance: (input: AllowanceInput) => Effect.Effect<Allowance, InvoicingError>
  /** Looks an invoice up; `undefined` when the vendor has none. */
  readonly query: (input: QueryInput) => Effect.Effect<QueriedInvoice | undefined, InvoicingError>
  /** Whether a mobile barcode exists (a malformed one is `false` without asking). Advisory: never gate issuing on it. */
  readonly checkMobileBarcode: (barcode: string) => Effect.Effect<boolean, InvoicingError>
  /** Whether a love code exists (a malformed one is `false` without asking). Advisory, as above. */
  readonly checkLoveCode: (loveCode: string) => Effect.Effect<boolean, InvoicingError>
}

/** The Invoicing tag. */
export class Invoicing extends Context.Service<Invoicing, InvoicingService>()("@kaituan/core/Invoicing") {}

// ---------------------------------------------------------------------------------------------
// Pure rules
// ---------------------------------------------------------------------------------------------

/** FNV-1a, 64 bits, over the UTF-8 bytes of `text`, from `seed` (pure JavaScript: core has no Node built-ins). */
const fnv1a64 = (text: string, seed: bigint): bigint => {
  let h = seed
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte)
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h
}

/**
 * The invoice's merchant number for an order: `KT` + 25 base-36 characters of a 128-bit hash of
 * the order id (two FNV-1a-64 with different seeds), + `R` and the sequence for a re-issue.
 * Letters and digits only, at most 30 characters (ECPay's `RelateNumber`). The same order (and
 * sequence) always gives the same number.
 */
export const relateNumberOf = (orderId: string, sequence = 0): string => {
  const hi = fnv1a64(orderId, 0xcbf29ce484222325n)
  const lo = fnv1a64(`kaituan:${orderId}`, 0x84222325cbf29ce4n)
  const body = ((hi << 64n) | lo).toString(36).toUpperCase().padStart(25, "0")
  return `KT${body}${sequence === 0 ? "" : `R${sequence}`}`
}

const invalid = (message: string) => new InvoicingError({ reason: "invalid-input", message })

/**
 * Checks an issue input against the rules that need no vendor: the carrier/donation/print/統編
 * matrix (a donation is never printed nor to a company; a printed invoice needs the buyer's name
 * and address; the member carrier needs an e-mail), at least an e-mail or a phone, each item's
 * amount = round(quantity × unit price), and the total = the sum of the items.
 */
export const validateIssue = (input: IssueInput): Result.Result<IssueInput, InvoicingError> => {
  const { buyer, carrier } = input
  const company = buyer.taxId !== undefined
  const problem = match(carrier)
    .with({ _tag: "Donation" }, () => (company ? "a donated invoice cannot carry a company tax id" : undefined))
    .with({ _tag: "Printed" }, () =>
      (buyer.name ?? "").trim() === "" || (buyer.address ?? "").trim() === ""
        ? "a printed invoice needs the buyer's name and address"
        : undefined
    )
    .with({ _tag: "Member" }, () =>
      (buyer.email ?? "") === "" ? "the member carrier needs the buyer's e-mail" : undefined
    )
    .with({ _tag: "Mobile" }, { _tag: "Certificate" }, () => undefined)
    .exhaustive()
  if (problem !== undefined) return Result.fail(invalid(problem))
  if ((buyer.email ?? "") === "" && (buyer.phone ?? "") === "")
    return Result.fail(invalid("the buyer's e-mail or phone is needed (the invoice notice)"))
  if (buyer.phone !== undefined && buyer.phone !== "" && !/^[0-9]{1,20}$/.test(buyer.phone))
    return Result.fail(invalid("the phone must be digits only"))
  for (const [i, item] of input.items.entries())
    if (item.amount !== Math.round(item.quantity * item.unitPrice))
      return Result.fail(invalid(`item ${i + 1}: amount must be round(quantity × unit price)`))
  const total = input.items.reduce((s, item) => s + item.amount, 0)
  if (total !== input.amount)
    return Result.fail(invalid(`the total ${input.amount} is not the sum of the items (${total})`))
  return Result.succeed(input)
}

/** Decodes and validates an issue input (for callers with unknown data). */
export const decodeIssue = (input: unknown): Result.Result<IssueInput, InvoicingError> =>
  Result.flatMap(
    Result.mapError(Schema.decodeUnknownResult(IssueInput)(input), (e) => invalid(e.message)),
    validateIssue
  )

/**
 * Checks an allowance input: the total is the sum of the items, and the notice can be sent
 * (`email`/`both` need an e-mail, `sms`/`both` a phone).
 */
export const validateAllowance = (input: AllowanceInput): Result.Result<AllowanceInput, InvoicingError> => {
  const total = input.items.reduce((s, item) => s + item.amount, 0)
  if (total !== input.amount)
    return Result.fail(invalid(`the allowance ${input.amount} is not the sum of the items (${total})`))
  const needsEmail = input.notify === "email" || input.notify === "both"
  const needsPhone = input.notify === "sms" || input.notify === "both"
  if (needsEmail && (input.buyer.email ?? "") === "") return Result.fail(invalid("an e-mail notice needs an e-mail"))
  if (needsPhone && (input.buyer.phone ?? "") === "") return Result.fail(invalid("an SMS notice needs a phone"))
  return Result.succeed(input)
}

/** Decodes and validates an allowance input. */
export const decodeAllowance = (input: unknown): Result.Result<AllowanceInput, InvoicingError> =>
  Result.flatMap(
    Result.mapError(Schema.decodeUnknownResult(AllowanceInput)(input), (e) => invalid(e.message)),
    validateAllowance
  )

/**
 * What to do with an invoice when money goes back: `void` for a full refund while the invoice's
 * period is not filed yet, `allowance` otherwise (a partial refund, or after the filing deadline).
 * The deadline: the 13th of the odd month after the invoice's two-month period, 23:59:59 Taipei.
 * `invoiceDate` and `now` are Taipei `yyyy-MM-dd…` strings.
 */
export const refundAction = (input: {
  readonly invoiceAmount: number
  readonly refundAmount: number
  readonly invoiceDate: string
  readonly now: string
  /** Allowances already made on the invoice (a void then needs them voided first: an allowance is used instead). */
  readonly allowances?: number | undefined
}): "void" | "allowance" => {
  const full = input.refundAmount >= input.invoiceAmount && (input.allowances ?? 0) === 0
  return full && input.now.slice(0, 10) <= voidDeadline(input.invoiceDate) ? "void" : "allowance"
}

/** The last day (`yyyy-MM-dd`, Taipei) an invoice dated `invoiceDate` can be voided: the 13th of the next odd month after its period. */
export const voidDeadline = (invoiceDate: string): string => {
  const year = Number(invoiceDate.slice(0, 4))
  const month = Number(invoiceDate.slice(5, 7))
  // periods: Jan–Feb, Mar–Apr, …, Nov–Dec; filed on the 13th of the month after the period ends
  const periodEnd = month % 2 === 0 ? month : month + 1
  const fileMonth = periodEnd + 1
  const y = fileMonth > 12 ? year + 1 : year
  const m = fileMonth > 12 ? fileMonth - 12 : fileMonth
  return `${y}-${String(m).padStart(2, "0")}-13`
}

/**
 * A layer providing the implementation `make` builds under its own tag **and** under the port's
 * {@link Invoicing} tag, as one instance.
 */
export const layerAs = <I, S extends InvoicingService, E, R>(
  tag: Context.Key<I, S>,
  make: Effect.Effect<S, E, R>
): Layer.Layer<I | Invoicing, E, R> =>
  Layer.effectContext(Effect.map(make, (service) => Context.make(tag, service).pipe(Context.add(Invoicing, service))))
