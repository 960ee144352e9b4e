/**
 * Branded identifiers. Every id is a non-empty string with a brand, so a `Sku` can never be
 * passed where an `OrderId` is expected.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** A non-empty string without leading or trailing whitespace, the base of every id. */
const NonEmptyTrimmed = Schema.Trimmed.check(Schema.isNonEmpty())

/** A round (開團) id, e.g. `socks-2024-05`. */
export const RoundId = NonEmptyTrimmed.pipe(Schema.brand("RoundId"))
export type RoundId = typeof RoundId.Type
/** An order id: one buyer's order in one round. */
export const OrderId = NonEmptyTrimmed.pipe(Schema.brand("OrderId"))
export type OrderId = typeof OrderId.Type
/** A buyer id: the channel user id, or the display name for chat exports. */
export const BuyerId = NonEmptyTrimmed.pipe(Schema.brand("BuyerId"))
export type BuyerId = typeof BuyerId.Type
/** A sellable stock-keeping unit (a product without variants, or one variant). */
export const Sku = NonEmptyTrimmed.pipe(Schema.brand("Sku"))
export type Sku = typeof Sku.Type
/** A comment id, unique within its channel. */
export const CommentId = NonEmptyTrimmed.pipe(Schema.brand("CommentId"))
export type CommentId = typeof CommentId.Type
/** A payment id. */
export const PaymentId = NonEmptyTrimmed.pipe(Schema.brand("PaymentId"))
export type PaymentId = typeof PaymentId.Type
/** A shipment id. */
export const ShipmentId = NonEmptyTrimmed.pipe(Schema.brand("ShipmentId"))
export type ShipmentId = typeof ShipmentId.Type
/** A channel id such as `line`, `facebook`, `telegram`, `import`. */
export const ChannelId = NonEmptyTrimmed.pipe(Schema.brand("ChannelId"))
export type ChannelId = typeof ChannelId.Type

/** Brand a plain string without validation (for trusted, already-validated input). */
export const unsafe = {
  roundId: (s: string) => s as RoundId,
  orderId: (s: string) => s as OrderId,
  buyerId: (s: string) => s as BuyerId,
  sku: (s: string) => s as Sku,
  commentId: (s: string) => s as CommentId,
  paymentId: (s: string) => s as PaymentId,
  shipmentId: (s: string) => s as ShipmentId,
  channelId: (s: string) => s as ChannelId
} as const
