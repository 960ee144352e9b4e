/**
 * The read-model changes derived from events (pure): a book entry's and a confirmed order's
 * {@link OrderView}, stock rows, and the merged changes of a run of round events
 * ({@link ViewBatch}). Re-exported by `GroupBuy` (`GroupBuy.bookView`, `GroupBuy.roundViews`…).
 *
 * @since 0.2.0
 */
import { channelOf } from "../Buyer.js"
import type * as Order from "../Order.js"
import type { NotOrderedItem, OrderStatus, OrderView, StockView, ViewChange } from "../ReadModel.js"
import * as Round from "../Round.js"

const bookStatus = (e: Round.BookEntry): OrderStatus => (e.withdrawn || e.lines.length === 0 ? "cancelled" : "open")

/** The order view of a book entry before the cutoff. */
export const bookView = (roundId: string, e: Round.BookEntry): OrderView => ({
  roundId,
  orderId: e.orderId,
  buyerId: e.buyerId,
  buyer: e.buyer,
  status: bookStatus(e),
  lines: e.lines,
  total: Round.total(e.lines),
  paid: 0,
  seq: e.seq,
  placedAt: e.placedAt,
  updatedAt: e.updatedAt
})

/** The order view of a confirmed order. */
export const orderView = (s: Order.State, updatedAt: string): OrderView => ({
  roundId: s.roundId,
  orderId: s.orderId,
  buyerId: s.buyerId,
  buyer: s.buyer ?? { id: s.buyerId },
  status: s.status === "none" ? "open" : s.status,
  lines: s.lines,
  total: s.total,
  paid: s.paid - s.refunded,
  seq: s.seq,
  placedAt: s.placedAt,
  updatedAt
})

/** The stock rows of every SKU of a round. */
export const stockViews = (roundId: string, state: Round.State): Array<ViewChange> =>
  Object.keys(state.stock).map((sku) => ({ _tag: "SetStock", stock: stockView(roundId, state, sku) }))

const stockView = (roundId: string, state: Round.State, sku: string): StockView => {
  const s = state.stock[sku] ?? { left: null, sold: 0 }
  return { roundId, sku, left: s.left, sold: s.sold }
}

/**
 * A line that joined the waiting list (候補) is not ordered with reason `waitlisted` and the
 * buyer's place: rewrites the latest not-ordered row of the same comment and SKU in `changes`
 * (the `CommentNotOrdered` before the `WaitlistJoined`). `after`: the round's state after the join.
 * Used inline ({@link ViewBatch}) and by the Projector, so both give the same rows.
 */
export const markWaitlisted = (
  changes: Array<ViewChange>,
  e: Extract<Round.Event, { readonly _tag: "WaitlistJoined" }>,
  after: Round.State
): void => {
  for (let i = changes.length - 1; i >= 0; i--) {
    const c = changes[i]!
    if (c._tag !== "AddNotOrdered" || c.item.commentId !== e.commentId || c.item.sku !== e.sku) continue
    const place = (after.waiting[e.sku] ?? []).findIndex((w) => w.buyerId === e.buyerId)
    changes[i] = {
      _tag: "AddNotOrdered",
      item: { ...c.item, reason: "waitlisted", ...(place < 0 ? {} : { place: place + 1 }) }
    }
    return
  }
}

/**
 * Read-model changes of a run of round events, merged: each order, review item and SKU comes
 * once, in its latest state; not-ordered items and buyer identities come in event order.
 * Applying the merged changes gives the same rows as applying each event's changes in turn, with
 * far fewer rows to write (a batch of 500 comments touches each order and SKU once).
 */
export class ViewBatch {
  private readonly appended: Array<ViewChange> = []
  /** The latest book entry of every order touched, by order id (a withdrawn order keeps its row). */
  private readonly touched = new Map<string, Round.BookEntry>()
  private readonly reviews = new Set<string>()
  private readonly skus = new Set<string>()
  private allSkus = false

  constructor(readonly roundId: string) {}

  /**
   * Adds the events of one command, with the state right after them. `entry`, when given, is the
   * book entry of the buyer the events are about, looked up already (one comment's events are
   * all about its author).
   */
  add(after: Round.State, events: ReadonlyArray<Round.Event>, entry?: Round.BookEntry): this {
    for (const e of events) {
      switch (e._tag) {
        case "LinesOrdered": {
          this.touch(after, e.buyerId, entry)
          for (const l of e.lines) this.skus.add(l.sku)
          if (e.newOrder)
            // The buyers read model: who this is on which channel (idempotent per identity).
            this.appended.push({
              _tag: "AddBuyerIdentity",
              buyerId: e.buyerId,
              name: e.buyer.name ?? e.buyer.id,
              channel: channelOf(e.buyerId),
              userId: e.buyer.id
            })
          break
        }
        case "LinesSet":
          this.touch(after, e.buyerId, entry)
          for (const l of e.lines) this.skus.add(l.sku)
          break
        case "OrderWithdrawn":
          this.touch(after, e.buyerId, entry)
          this.allSkus = true
          break
        case "CommentNotOrdered": {
          const item: { -readonly [K in keyof NotOrderedItem]: NotOrderedItem[K] } = {
            roundId: this.roundId,
            commentId: e.commentId,
            buyerId: e.buyerId,
            buyer: e.buyer,
            text: e.text,
            reason: e.reason,
            seq: e.seq,
            at: e.at
          }
          if (e.sku !== undefined) item.sku = e.sku
          if (e.qty !== undefined) item.qty = e.qty
          this.appended.push({ _tag: "AddNotOrdered", item })
          break
        }
        case "WaitlistJoined":
          markWaitlisted(this.appended, e, after)
          break
        case "OrderReleased":
          // A confirmed order cancelled: its stock back (its view is the Order aggregate's).
          for (const l of e.lines) this.skus.add(l.sku)
          break
        case "ProductBelowMinimum":
        case "RoundBelowMinimum":
          // 流團: each order that lost lines, the stock given back, a not-ordered row per line.
          for (const l of e.lines) {
            this.touch(after, l.buyerId, undefined)
            this.skus.add(l.sku)
            this.appended.push({
              _tag: "AddNotOrdered",
              item: {
                roundId: this.roundId,
                commentId: belowMinimumRef(l.orderId, l.sku),
                buyerId: l.buyerId,
                buyer: l.buyer,
                text: "",
                reason: "below-minimum",
                sku: l.sku,
                qty: l.qty,
                seq: l.seq,
                at: e.at
              }
            })
          }
          break
        case "CommentForReview":
        case "ReviewResolved":
          this.reviews.add(e.commentId)
          break
        default:
          break
      }
    }
    return this
  }

  private touch(after: Round.State, buyerId: string, known: Round.BookEntry | undefined) {
    const entry = known ?? Round.lookup(after.book, buyerId)
    if (entry) this.touched.set(entry.orderId, entry)
  }

  /** The merged changes; `final` is the state after the last events added. */
  changes(final: Round.State): Array<ViewChange> {
    const roundId = this.roundId
    const out = this.appended.slice()
    for (const id of this.reviews) {
      const r = Round.lookup(final.review, id)
      // A literal in ReviewItem's key order, not `{ roundId, ...r }` (a spread then keys: slow in V8).
      if (r)
        out.push({
          _tag: "UpsertReview",
          item: {
            roundId,
            commentId: r.commentId,
            buyerId: r.buyerId,
            buyer: r.buyer,
            text: r.text,
            reason: r.reason,
            lines: r.lines,
            seq: r.seq,
            at: r.at,
            resolved: r.resolved
          }
        })
    }
    for (const entry of this.touched.values()) out.push({ _tag: "UpsertOrder", order: bookView(roundId, entry) })
    for (const sku of this.allSkus ? Object.keys(final.stock) : this.skus)
      out.push({ _tag: "SetStock", stock: stockView(roundId, final, sku) })
    return out
  }
}

/** The reference a 流團 line's not-ordered row and message carry: `<order id>#below-minimum:<sku>`. */
export const belowMinimumRef = (orderId: string, sku: string): string => `${orderId}#below-minimum:${sku}`

/** Read-model changes caused by round events, given the state after them. */
export const roundViews = (
  roundId: string,
  after: Round.State,
  events: ReadonlyArray<Round.Event>
): Array<ViewChange> => new ViewBatch(roundId).add(after, events).changes(after)
