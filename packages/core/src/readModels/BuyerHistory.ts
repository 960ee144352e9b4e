/**
 * The `buyer-history` read model (catch-up): one document per buyer across rounds: the rounds
 * they ordered in, their orders, units and spend (NT$), and when they first and last ordered.
 *
 * An open round's orders live on its round stream (`LinesOrdered`, `LinesSet`, `OrderWithdrawn`);
 * at the cutoff each order with lines is confirmed on its own stream (`OrderConfirmed`), which
 * then stands for it (its lines are final). The document keeps one entry per order to join the
 * two (an order counts while it has units; a withdrawn one is dropped). An order cancelled or
 * refunded after the cutoff (`OrderCancelled`, `OrderRefunded`, which name the buyer) stays as
 * an entry marked `ended` and no longer counts in the totals; such events recorded before they
 * named the buyer are not counted, when caught up and in a rebuild alike.
 *
 * Personal data (names) is not kept; the buyer id is the channel identity (`line:U…`). Lookup key
 * `k1`: the channel (`line`, `facebook`…).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One order of the buyer, as far as the history goes. */
export const Entry = Schema.Struct({
  orderId: Schema.String,
  roundId: Schema.String,
  units: Schema.Int,
  spend: Schema.Int,
  /** Whether the cutoff confirmed it (its numbers are then final). */
  confirmed: Schema.Boolean,
  /** Cancelled or refunded after the cutoff: kept, but no longer counted. */
  ended: Schema.optional(Schema.Literals(["cancelled", "refunded"]))
})
export type Entry = typeof Entry.Type

/** One buyer's history. */
export const Document = Schema.Struct({
  buyerId: Schema.String,
  /** The rounds with an order of theirs, in the order they first ordered. */
  rounds: Schema.Array(Schema.String),
  orders: Schema.Int,
  units: Schema.Int,
  /** NT$. */
  spend: Schema.Int,
  firstOrderAt: Schema.String,
  lastOrderAt: Schema.String,
  /** Their orders, one entry each (the numbers above are derived from these). */
  entries: Schema.Array(Entry)
})
export type Document = typeof Document.Type

/** The model's name. */
export const name = "buyer-history"

const field = (data: unknown, key: string): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const int = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)
const linesOf = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

const roundTypes = new Set(["LinesOrdered", "LinesSet", "OrderWithdrawn"])
/** The order events it reads: each names the buyer (`buyerId`). */
const orderTypes = new Set(["OrderConfirmed", "OrderCancelled", "OrderRefunded"])

/** The buyer an event is about (round events name it; the order events too). */
const buyerOf = (e: StoredEvent): string | undefined => {
  if (roundTypes.has(e.type)) return e.stream.startsWith("round:") ? str(field(e.data, "buyerId")) : undefined
  if (orderTypes.has(e.type) && e.stream.startsWith("order:")) return str(field(e.data, "buyerId"))
  return undefined
}

/** The order an event is about: its `orderId`, else its order stream's id. */
const orderOf = (e: StoredEvent): string | undefined =>
  str(field(e.data, "orderId")) ?? (e.stream.startsWith("order:") ? e.stream.slice(6) : undefined)

const later = (a: string, b: string) => (Date.parse(b) > Date.parse(a) ? b : a)
const earlier = (a: string, b: string) => (Date.parse(b) < Date.parse(a) ? b : a)

/** The document with these entries: the totals derived again. */
const withEntries = (
  buyerId: string,
  entries: ReadonlyArray<Entry>,
  firstOrderAt: string,
  lastOrderAt: string
): Document | undefined => {
  if (entries.length === 0) return undefined
  const rounds: Array<string> = []
  let orders = 0
  let units = 0
  let spend = 0
  for (const x of entries) {
    if (x.units <= 0 || x.ended !== undefined) continue
    orders++
    units += x.units
    spend += x.spend
    if (!rounds.includes(x.roundId)) rounds.push(x.roundId)
  }
  return { buyerId, rounds, orders, units, spend, firstOrderAt, lastOrderAt, entries }
}

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const buyerId = buyerOf(e)
  if (buyerId === undefined) return doc
  const orderId = orderOf(e)
  if (orderId === undefined) return doc
  const entries = doc?.entries ?? []
  const i = entries.findIndex((x) => x.orderId === orderId)
  const replaced = (x: Entry | undefined): Array<Entry> =>
    x === undefined
      ? entries.filter((_, j) => j !== i)
      : i >= 0
        ? entries.map((y, j) => (j === i ? x : y))
        : entries.concat([x])
  const first = doc?.firstOrderAt ?? e.at
  const last = doc?.lastOrderAt ?? e.at
  switch (e.type) {
    case "LinesOrdered": {
      const roundId = e.stream.slice(6)
      let units = 0
      let spend = 0
      for (const l of linesOf(field(e.data, "lines"))) {
        units += int(field(l, "qty"))
        spend += int(field(l, "qty")) * int(field(l, "unitPrice"))
      }
      const prior = i >= 0 && field(e.data, "newOrder") !== true ? entries[i] : undefined
      const next: Entry = {
        orderId,
        roundId,
        units: (prior?.units ?? 0) + units,
        spend: (prior?.spend ?? 0) + spend,
        confirmed: false
      }
      return withEntries(buyerId, replaced(next), earlier(first, e.at), later(last, e.at))
    }
    case "LinesSet": {
      if (i < 0) return doc
      const prior = entries[i]!
      if (prior.confirmed) return doc
      let units = prior.units
      let spend = prior.spend
      for (const l of linesOf(field(e.data, "lines"))) {
        const delta = int(field(l, "to")) - int(field(l, "from"))
        units += delta
        spend += delta * int(field(l, "unitPrice"))
      }
      return withEntries(buyerId, replaced({ ...prior, units, spend }), first, last)
    }
    case "OrderWithdrawn":
      if (i < 0 || entries[i]!.confirmed) return doc
      return withEntries(buyerId, replaced(undefined), first, last)
    case "OrderConfirmed": {
      const roundId = str(field(e.data, "roundId")) ?? entries[i]?.roundId ?? ""
      let units = 0
      for (const l of linesOf(field(e.data, "lines"))) units += int(field(l, "qty"))
      const placedAt = str(field(e.data, "placedAt")) ?? e.at
      const next: Entry = { orderId, roundId, units, spend: int(field(e.data, "total")), confirmed: true }
      return withEntries(
        buyerId,
        replaced(next),
        doc === undefined ? placedAt : earlier(first, placedAt),
        doc === undefined ? placedAt : later(last, placedAt)
      )
    }
    case "OrderCancelled":
    case "OrderRefunded": {
      if (i < 0) return doc
      const ended = e.type === "OrderCancelled" ? "cancelled" : "refunded"
      return withEntries(buyerId, replaced({ ...entries[i]!, ended }), first, last)
    }
    default:
      return doc
  }
}

/** The channel of a buyer id (`line:U123` → `line`). */
const channelOf = (buyerId: string) => {
  const cut = buyerId.indexOf(":")
  return cut < 0 ? "" : buyerId.slice(0, cut)
}

/** The definition: register it (it is in `ReadModels.builtIn`) and query it with `ReadModels.get`/`list`. */
export const definition: Definition<Document> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Document,
  eventTypes: [...roundTypes, ...orderTypes],
  documentIds: (e) => {
    const id = buyerOf(e)
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: channelOf(doc.buyerId) })
}
