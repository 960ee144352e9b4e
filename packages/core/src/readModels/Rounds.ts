/**
 * The `rounds` read model (inline): one document per round, for round lists (`listRounds`) without
 * a scan of the event log: its title, lifecycle status and times, cutoff, and the orders the round
 * confirmed at its cutoff with their total.
 *
 * It reads the round lifecycle events (`RoundCreated`, `RoundOpened`, `RoundClosed`,
 * `RoundSettled`), the organiser's changes that show in a list (`RoundTitleChanged`,
 * `RoundCutoffChanged`, `RoundPaused`, `RoundResumed`, `RoundReopened`) and the orders'
 * `OrderConfirmed`, `OrderCancelled` and `OrderRefunded`, never the per-comment events: a
 * comment's commit costs it nothing. So `orders` and `total` are 0 while the round is open (its
 * live order book is `Storage.orders`) and count the orders confirmed at the cutoff afterwards,
 * less those cancelled or refunded since (`OrderCancelled` and `OrderRefunded` name their round
 * and total; such events recorded before they did are not counted, inline and in a rebuild alike).
 *
 * Lookup key `k1`: the status (`ReadModels.list(Rounds.definition, { key: { k: "k1", value: "open" } })`).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** A round's lifecycle status, as the document gives it (`paused`: open, but paused by the organiser). */
export const Status = Schema.Literals(["draft", "open", "paused", "closed", "settled"])
export type Status = typeof Status.Type

/** One round. Times are ISO 8601, as the events recorded them. */
export const Document = Schema.Struct({
  roundId: Schema.String,
  title: Schema.String,
  status: Status,
  createdAt: Schema.String,
  openedAt: Schema.optional(Schema.String),
  /** The last close (absent again once the round reopens). */
  closedAt: Schema.optional(Schema.String),
  /** The last reopening of a closed round. */
  reopenedAt: Schema.optional(Schema.String),
  settledAt: Schema.optional(Schema.String),
  cutoff: Schema.optional(Schema.String),
  /** Orders confirmed at the cutoff and not cancelled or refunded since (0 while the round is open; a reopened round keeps counting). */
  orders: Schema.Int,
  /** Their total, NT$. */
  total: Schema.Int
})
export type Document = typeof Document.Type

/** The model's name. */
export const name = "rounds"

const roundEvents = new Set([
  "RoundCreated",
  "RoundOpened",
  "RoundClosed",
  "RoundSettled",
  "RoundTitleChanged",
  "RoundCutoffChanged",
  "RoundPaused",
  "RoundResumed",
  "RoundReopened"
])

const field = (data: unknown, key: string): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined

const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const int = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)

/** The order events it reads: each names its round (`roundId`). */
const orderEvents = new Set(["OrderConfirmed", "OrderCancelled", "OrderRefunded"])

/** The round an event is about: its stream's id for round events, `roundId` for order events. */
const roundOf = (e: StoredEvent): string | undefined => {
  if (roundEvents.has(e.type)) return e.stream.startsWith("round:") ? e.stream.slice(6) : undefined
  if (orderEvents.has(e.type) && e.stream.startsWith("order:")) return str(field(e.data, "roundId"))
  return undefined
}

const evolve = (doc: Document | undefined, e: StoredEvent): Document | undefined => {
  const roundId = roundOf(e)
  if (roundId === undefined) return doc
  switch (e.type) {
    case "RoundCreated": {
      const spec = field(e.data, "spec")
      const cutoff = str(field(spec, "cutoff"))
      return {
        roundId,
        title: str(field(spec, "title")) ?? roundId,
        status: "draft",
        createdAt: e.at,
        ...(cutoff === undefined ? {} : { cutoff }),
        orders: 0,
        total: 0
      }
    }
    case "RoundOpened":
      return doc && { ...doc, status: "open", openedAt: e.at }
    case "RoundClosed":
      return doc && { ...doc, status: "closed", closedAt: e.at }
    case "RoundSettled":
      return doc && { ...doc, status: "settled", settledAt: e.at }
    case "RoundTitleChanged": {
      const title = str(field(e.data, "title"))
      return doc && title !== undefined ? { ...doc, title } : doc
    }
    case "RoundCutoffChanged": {
      if (!doc) return doc
      const { cutoff: _, ...rest } = doc
      const cutoff = str(field(e.data, "cutoff"))
      return cutoff === undefined ? rest : { ...rest, cutoff }
    }
    case "RoundPaused":
      return doc && doc.status === "open" ? { ...doc, status: "paused" } : doc
    case "RoundResumed":
      return doc && doc.status === "paused" ? { ...doc, status: "open" } : doc
    case "RoundReopened": {
      if (!doc) return doc
      const { closedAt: _, ...rest } = doc
      return { ...rest, status: "open", reopenedAt: e.at }
    }
    case "OrderConfirmed":
      return doc && { ...doc, orders: doc.orders + 1, total: doc.total + int(field(e.data, "total")) }
    // An order is cancelled or refunded at most once (the Order decider refuses a second time).
    case "OrderCancelled":
    case "OrderRefunded":
      return doc && { ...doc, orders: doc.orders - 1, total: doc.total - int(field(e.data, "total")) }
    default:
      return doc
  }
}

/** The definition: register it (it is in `ReadModels.builtIn`) and query it with `ReadModels.get`/`list`. */
export const definition: Definition<Document> = {
  name,
  // 2: the organiser's changes (title, cutoff, paused, reopened); a store rebuilds it from the events.
  version: 2,
  mode: "inline",
  document: Document,
  eventTypes: [...roundEvents, ...orderEvents],
  documentIds: (e) => {
    const id = roundOf(e)
    return id === undefined ? [] : [id]
  },
  evolve,
  keys: (doc) => ({ k1: doc.status })
}
