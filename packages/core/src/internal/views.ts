import type { Buyer } from "../Buyer.js"
import type { NotOrderedItem, OrderView, ReviewItem, StockView, ViewChange } from "../ReadModel.js"

/** Read-model tables as plain maps. */
export interface ViewTables {
  readonly orders: Map<string, OrderView>
  readonly review: Map<string, ReviewItem>
  readonly notOrdered: Array<NotOrderedItem>
  readonly stock: Map<string, StockView>
  readonly buyers: Map<string, Buyer>
}

export const emptyViews = (): ViewTables => ({
  orders: new Map(),
  review: new Map(),
  notOrdered: [],
  stock: new Map(),
  buyers: new Map()
})

const reviewKey = (roundId: string, commentId: string) => `${roundId}\u0000${commentId}`
const stockKey = (roundId: string, sku: string) => `${roundId}\u0000${sku}`

const touchBuyer = (t: ViewTables, buyerId: string, name: string): Buyer => {
  const existing = t.buyers.get(buyerId)
  if (existing) return existing
  const b: Buyer = { id: buyerId as Buyer["id"], name, identities: [], accounts: [] }
  t.buyers.set(buyerId, b)
  return b
}

/** Applies one change to the tables (mutating them). Idempotent for identities and accounts. */
export const applyViewChange = (t: ViewTables, change: ViewChange): void => {
  switch (change._tag) {
    case "UpsertOrder":
      t.orders.set(change.order.orderId, change.order)
      return
    case "UpsertReview":
      t.review.set(reviewKey(change.item.roundId, change.item.commentId), change.item)
      return
    case "AddNotOrdered":
      t.notOrdered.push(change.item)
      return
    case "SetStock":
      t.stock.set(stockKey(change.stock.roundId, change.stock.sku), change.stock)
      return
    case "AddBuyerIdentity": {
      const identity = {
        channel: change.channel as Buyer["identities"][number]["channel"],
        userId: change.userId,
        name: change.name
      }
      const b = t.buyers.get(change.buyerId)
      if (b === undefined) {
        // A new buyer (the usual case in a round): one object, one map write.
        const fresh: Buyer = {
          id: change.buyerId as Buyer["id"],
          name: change.name,
          identities: [identity],
          accounts: []
        }
        t.buyers.set(change.buyerId, fresh)
        return
      }
      for (const i of b.identities) if (i.channel === change.channel && i.userId === change.userId) return
      // concat, not a spread: the copy is allocated at its length (a spread keeps spare slots).
      t.buyers.set(change.buyerId, { ...b, identities: b.identities.concat([identity]) })
      return
    }
    case "LearnAccount": {
      const b = touchBuyer(t, change.buyerId, change.buyerId)
      const a = change.account
      if (b.accounts.some((x) => x.last5 === a.last5 && x.bankCode === a.bankCode)) return
      t.buyers.set(change.buyerId, { ...b, accounts: b.accounts.concat([a]) })
      return
    }
  }
}
