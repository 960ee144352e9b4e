/**
 * A buyer's e-invoice details (載具, 捐贈碼, 統編), as they gave them in chat, on the pay page or at
 * the counter: an `invoice-carrier:<buyerId>` stream, the last given wins. Apart from `Invoices`
 * so the comment path (GroupBuy) records them in the comment's own commit.
 *
 * @since 0.3.0
 */
import { Result, Schema } from "effect"
import * as CommandHandler from "./CommandHandler.js"
import * as Decider from "./Decider.js"
import * as Invoicing from "./Invoicing.js"
import type { InvoiceCarrier } from "./ParseResult.js"

/** The stream of a buyer's invoice details. */
export const carrierStream = (buyerId: string): string => `invoice-carrier:${buyerId}`

/** What a buyer asked their invoices to carry: the carrier (or donation), a company's 統編, a contact for the notice. */
export const BuyerInvoiceDetails = Schema.Struct({
  carrier: Invoicing.Carrier,
  taxId: Schema.optional(Schema.String.check(Schema.isPattern(Invoicing.TAX_ID))),
  email: Schema.optional(Schema.String),
  phone: Schema.optional(Schema.String)
})
/** See the {@link BuyerInvoiceDetails} Schema. */
export type BuyerInvoiceDetails = typeof BuyerInvoiceDetails.Type

/** The buyer gave (or changed) their invoice details. Personal data: kept in the stream, never logged. */
export const CarrierGiven = Schema.TaggedStruct("CarrierGiven", {
  buyerId: Schema.String,
  details: BuyerInvoiceDetails,
  at: Schema.String
})
/** A {@link CarrierGiven} event. */
export type CarrierGiven = typeof CarrierGiven.Type

const sameDetails = (a: BuyerInvoiceDetails, b: BuyerInvoiceDetails): boolean =>
  JSON.stringify(a.carrier) === JSON.stringify(b.carrier) &&
  a.taxId === b.taxId &&
  a.email === b.email &&
  a.phone === b.phone

/** A buyer's invoice details as a decider: the last given wins; giving the same again records nothing. */
export const carrierDecider: Decider.Decider<
  { readonly buyerId: string; readonly details: BuyerInvoiceDetails; readonly at: string },
  BuyerInvoiceDetails | undefined,
  CarrierGiven,
  never
> = Decider.make({
  initialState: undefined as BuyerInvoiceDetails | undefined,
  decide: (command, state) =>
    Result.succeed(
      state !== undefined && sameDetails(state, command.details)
        ? []
        : [CarrierGiven.make({ buyerId: command.buyerId, details: command.details, at: command.at })]
    ),
  evolve: (_state, event) => event.details
})

const decodeCarrierGiven = Schema.decodeUnknownSync(CarrierGiven)
/** The carrier aggregate for `CommandHandler`. */
export const carrierAggregate = CommandHandler.aggregate(carrierDecider, (data) => decodeCarrierGiven(data))

/**
 * The details a `carrier` comment gives, over what the buyer gave before: a mobile barcode or a
 * love code replaces the carrier; a 統編 alone keeps the carrier (the vendor's member carrier when
 * there was none). Undefined when the comment gave nothing usable.
 */
export const detailsFromParsed = (
  parsed: InvoiceCarrier,
  before: BuyerInvoiceDetails | undefined
): BuyerInvoiceDetails | undefined => {
  const carrier: Invoicing.Carrier | undefined =
    parsed.mobileBarcode !== undefined
      ? { _tag: "Mobile", barcode: parsed.mobileBarcode }
      : parsed.loveCode !== undefined
        ? { _tag: "Donation", loveCode: parsed.loveCode }
        : before?.carrier
  if (carrier === undefined && parsed.taxId === undefined) return undefined
  const taxId = carrier?._tag === "Donation" ? undefined : (parsed.taxId ?? before?.taxId)
  return {
    carrier: carrier ?? { _tag: "Member" },
    ...(taxId === undefined ? {} : { taxId }),
    ...(before?.email === undefined ? {} : { email: before.email }),
    ...(before?.phone === undefined ? {} : { phone: before.phone })
  }
}
