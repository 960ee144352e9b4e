/**
 * Buyers (團員) and their identities on each channel.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { BuyerId, ChannelId } from "./Ids.js"

/** Who wrote a comment, as the channel tells it. */
export const Author = Schema.Struct({
  /** The channel's user id; for chat exports, which carry only names, the display name. */
  id: Schema.String,
  name: Schema.optional(Schema.String),
  /**
   * The channel did not say who wrote this (a LINE group member whose id LINE withholds, say).
   * Such comments go to the organiser's review queue: they never join another buyer's order.
   */
  unknown: Schema.optional(Schema.Boolean)
})
export type Author = typeof Author.Type

/** A buyer's identity on one channel. */
export const ChannelIdentity = Schema.Struct({
  channel: ChannelId,
  userId: Schema.String,
  name: Schema.optional(Schema.String)
})
export type ChannelIdentity = typeof ChannelIdentity.Type

/** A bank account learned from an earlier matched payment: bank code (when known) and last five digits. */
export const LearnedAccount = Schema.Struct({
  bankCode: Schema.optional(Schema.String),
  last5: Schema.String.check(Schema.isPattern(/^\d{5}$/))
})
export type LearnedAccount = typeof LearnedAccount.Type

/** The buyer as the organiser knows them. */
export const Buyer = Schema.Struct({
  id: BuyerId,
  name: Schema.String,
  identities: Schema.Array(ChannelIdentity),
  accounts: Schema.Array(LearnedAccount)
})
export type Buyer = typeof Buyer.Type

/** The buyer id kaituan uses for an author on a channel: `channel:userId`. */
export const buyerIdFor = (channel: string, author: Author): BuyerId => `${channel}:${author.id}` as BuyerId

/** The channel of a buyer id made by {@link buyerIdFor} (`import` when it has none). */
export const channelOf = (buyerId: string): string => {
  const cut = buyerId.indexOf(":")
  return cut > 0 ? buyerId.slice(0, cut) : "import"
}
