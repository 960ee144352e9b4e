/**
 * The GroupBuy use cases: open a round, take comments (parse → decide → persist → notify,
 * idempotently per comment id), close at the cutoff, apply payments, ship, and report.
 *
 * It composes the pure deciders with the ports: Storage, CommentParser, IdGenerator and Effect's
 * Clock. Every use case writes its events, the read-model changes they cause and the messages to
 * send in one Storage commit, so a retry or a crash never loses or doubles anything.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Effect, Layer, Ref, Result, Schema } from "effect"
import { type Author, buyerIdFor, channelOf } from "./Buyer.js"
import type { Catalogue } from "./Catalogue.js"
import { CommentParser, type CompiledParser } from "./CommentParser.js"
import { IdGenerator } from "./IdGenerator.js"
import type { OutboundMessage, Recipient } from "./Notification.js"
import * as Order from "./Order.js"
import * as Payment from "./Payment.js"
import type { NotOrderedItem, OrderStatus, OrderView, ReviewItem, StockView, ViewChange } from "./ReadModel.js"
import * as Round from "./Round.js"
import type { RoundSpec } from "./RoundSpec.js"
import * as Shipment from "./Shipment.js"
import {
  type Commit,
  type NewEvent,
  orderStream,
  paymentStream,
  roundStream,
  shipmentStream,
  Storage,
  StorageError
} from "./Storage.js"

// ---------------------------------------------------------------------------------------------
// Inputs and outputs
// ---------------------------------------------------------------------------------------------

/** A comment from any channel or import. */
export interface CommentInput {
  /** `line`, `facebook`, `telegram`, `import`… */
  readonly channel: string
  /**
   * The message's id, unique within the channel (or within the round: see `idScope`). A comment is
   * handled once: the same id again is a `duplicate`, or an `id-conflict` when another author or
   * text comes under it.
   */
  readonly commentId: string
  readonly author: Author
  readonly text: string
  /** ISO timestamp of the comment. */
  readonly at: string
  readonly threadId?: string | undefined
  readonly replyToken?: string | undefined
  /**
   * Where `commentId` is unique. `channel` (the default): it names one message of the channel for
   * good, and the message belongs to at most one round, ever (a redelivery while another round is
   * open is a `duplicate` there). `round`: only among this round's comments, as the ids an import
   * file numbers itself (JSON Lines `c1`, `c2`…), which another round's file may use again.
   */
  readonly idScope?: "channel" | "round" | undefined
}

/** What became of one comment. */
export interface CommentOutcome {
  readonly commentId: string
  readonly status:
    | "ordered"
    | "partly-ordered"
    | "amended"
    | "cancelled"
    | "review"
    | "not-ordered"
    | "payment-reported"
    | "ignored"
    | "duplicate"
    | "id-conflict"
  readonly orderId?: string | undefined
  readonly reason: string
  readonly events: ReadonlyArray<Round.Event>
}

/** The round's numbers, as `kaituan round replay --json` prints them (CLI.md). */
export interface RoundReport {
  readonly roundId: string
  readonly status: Round.Status
  readonly orders: ReadonlyArray<OrderView>
  readonly review: ReadonlyArray<ReviewItem>
  readonly notOrdered: ReadonlyArray<NotOrderedItem>
  readonly stock: ReadonlyArray<StockView>
}

/** A payment decided by the reconciler or a gateway, ready to apply. */
export interface PaymentInput {
  /** Statement row identity or gateway trade number: applying it twice changes nothing. */
  readonly transactionId: string
  readonly source: "statement" | "gateway" | "cash"
  readonly amount: number
  readonly at: string
  readonly bankCode?: string | undefined
  readonly last5?: string | undefined
  /** The orders it pays, all of one buyer; empty = received but unmatched (kept for review). */
  readonly orderIds: ReadonlyArray<string>
  readonly evidence: string
}

export interface PaymentOutcome {
  readonly paymentId: string
  readonly status: "matched" | "unmatched" | "duplicate"
}

/** A use case refused: the message says why in the organiser's words. */
export class GroupBuyError extends Data.TaggedError("GroupBuyError")<{
  readonly reason: "unknown-round" | "rejected" | "unknown-order" | "unknown-shipment" | "conflict"
  readonly message: string
  readonly cause?: unknown
}> {}

export interface GroupBuyService {
  /** Creates and opens a round. Opening a round that exists with the same id is a no-op. */
  readonly openRound: (input: {
    readonly spec: RoundSpec
    readonly at?: string | undefined
  }) => Effect.Effect<void, GroupBuyError | StorageError>
  /** Takes comments in order; each is handled once, however often it is submitted. */
  readonly submitComments: (input: {
    readonly roundId: string
    readonly comments: ReadonlyArray<CommentInput>
  }) => Effect.Effect<ReadonlyArray<CommentOutcome>, GroupBuyError | StorageError>
  /** An edited comment: per the round's `onEdit` policy, its order goes to review. */
  readonly editComment: (input: {
    readonly roundId: string
    readonly comment: CommentInput
  }) => Effect.Effect<void, GroupBuyError | StorageError>
  /** An unsent / removed comment. */
  readonly removeComment: (input: {
    readonly roundId: string
    readonly channel: string
    readonly commentId: string
    readonly at: string
  }) => Effect.Effect<void, GroupBuyError | StorageError>
  /** The organiser decides a review item: approve these lines, or none to dismiss. */
  readonly resolveReview: (input: {
    readonly roundId: string
    readonly commentId: string
    readonly approve: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
  }) => Effect.Effect<void, GroupBuyError | StorageError>
  /** Closes the round (if still open) and confirms every order: they now await payment. Idempotent. */
  readonly closeRound: (input: {
    readonly roundId: string
    readonly at?: string | undefined
  }) => Effect.Effect<ReadonlyArray<OrderView>, GroupBuyError | StorageError>
  /** Applies a received payment to orders (or records it unmatched). Idempotent per transaction. */
  readonly recordPayment: (input: PaymentInput) => Effect.Effect<PaymentOutcome, GroupBuyError | StorageError>
  /** Packs and ships part or all of a paid order; a meet-up pickup gets a one-time code. */
  readonly ship: (input: {
    readonly orderId: string
    readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number }>
    readonly method: Shipment.Method
    readonly carrier?: string | undefined
    readonly trackingNo?: string | undefined
  }) => Effect.Effect<
    { readonly shipmentId: string; readonly pickupCode?: string | undefined },
    GroupBuyError | StorageError
  >
  /** Confirms a meet-up pickup by its code (scanned from the buyer's QR code). */
  readonly confirmPickup: (input: {
    readonly shipmentId: string
    readonly code: string
  }) => Effect.Effect<void, GroupBuyError | StorageError>
  /** The round's orders, review queue, not-ordered list and stock. */
  readonly report: (roundId: string) => Effect.Effect<RoundReport, GroupBuyError | StorageError>
  /** The round's orders with these statuses. */
  readonly orders: (input: {
    readonly roundId: string
    readonly status?: ReadonlyArray<OrderStatus> | undefined
  }) => Effect.Effect<ReadonlyArray<OrderView>, StorageError>
}

export class GroupBuy extends Context.Service<GroupBuy, GroupBuyService>()("@kaituan/core/GroupBuy") {}

// ---------------------------------------------------------------------------------------------
// Views and messages derived from events (pure)
// ---------------------------------------------------------------------------------------------

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

/** Read-model changes caused by round events, given the state after them. */
export const roundViews = (
  roundId: string,
  after: Round.State,
  events: ReadonlyArray<Round.Event>
): Array<ViewChange> => new ViewBatch(roundId).add(after, events).changes(after)

const recipientOf = (c: CommentInput): Recipient => {
  // Plain assignments, not conditional spreads: this runs for every comment.
  const to: { -readonly [K in keyof Recipient]: Recipient[K] } = {
    channel: c.channel as Recipient["channel"],
    userId: c.author.id,
    replyToCommentId: c.commentId
  }
  if (c.threadId !== undefined) to.threadId = c.threadId
  if (c.replyToken !== undefined) to.replyToken = c.replyToken
  return to
}

/** A confirmed order's buyer as a message recipient (no comment to answer any more). */
const buyerRecipient = (buyerId: string, userId: string): Recipient => ({
  channel: channelOf(buyerId) as Recipient["channel"],
  userId
})

interface LabelledLine {
  readonly sku: string
  readonly qty: number
  readonly unitPrice?: number
  readonly label: string
}

const labelLine = (
  catalogue: Catalogue | undefined,
  l: { readonly sku: string; readonly qty: number; readonly unitPrice?: number }
): LabelledLine => {
  const label = catalogue?.bySku.get(l.sku)?.label ?? l.sku
  // A literal, not `{ ...l, label }`: a spread followed by a new key is slow in V8 (hot path).
  return l.unitPrice === undefined
    ? { sku: l.sku, qty: l.qty, label }
    : { sku: l.sku, qty: l.qty, unitPrice: l.unitPrice, label }
}

/**
 * Shared labelled lines, per catalogue: SKU → quantity → line. Order messages label the same few
 * values over and over (a catalogue's SKUs at small quantities), and each message keeps its lines
 * until it is sent, so a replay kept one object per line per message. One frozen object per
 * (SKU, quantity, price) serves them all; quantities from SHARED_QTY up are labelled afresh.
 */
const sharedLabels = new WeakMap<Catalogue, Map<string, Array<LabelledLine | undefined>>>()
const SHARED_QTY = 100

const labelLines = (
  catalogue: Catalogue | undefined,
  lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly unitPrice?: number }>
): Array<LabelledLine> => {
  if (catalogue === undefined) return lines.map((l) => labelLine(catalogue, l))
  let bySku = sharedLabels.get(catalogue)
  if (bySku === undefined) {
    bySku = new Map()
    sharedLabels.set(catalogue, bySku)
  }
  const out = new Array<LabelledLine>(lines.length)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (!(Number.isInteger(l.qty) && l.qty >= 0 && l.qty < SHARED_QTY)) {
      out[i] = labelLine(catalogue, l)
      continue
    }
    let byQty = bySku.get(l.sku)
    if (byQty === undefined) {
      byQty = []
      bySku.set(l.sku, byQty)
    }
    let shared = byQty[l.qty]
    if (shared === undefined || shared.unitPrice !== l.unitPrice) {
      shared = Object.freeze(labelLine(catalogue, l))
      byQty[l.qty] = shared
    }
    out[i] = shared
  }
  return out
}

const notOrderedData = (catalogue: Catalogue | undefined, e: Extract<Round.Event, { _tag: "CommentNotOrdered" }>) => {
  const data: Record<string, unknown> = { reason: e.reason, text: e.text }
  if (e.sku) {
    data.sku = e.sku
    data.label = catalogue?.bySku.get(e.sku)?.label ?? e.sku
  }
  if (e.qty) data.qty = e.qty
  return data
}

/** A part of a message id: `:` and `%` escaped, so ids built from different parts never meet. */
const idPart = (s: string): string =>
  s.includes(":") || s.includes("%") ? s.replaceAll("%", "%25").replaceAll(":", "%3A") : s

/**
 * Messages caused by round events for the comment's author. A message's id names the round, the
 * channel, the comment and the kind (and the SKU of a not-ordered line): a retry of the same
 * comment makes the same ids (the outbox keeps one message per id), and no two comments, rounds or
 * lines share one.
 */
export const roundMessages = (
  after: Round.State,
  c: CommentInput,
  events: ReadonlyArray<Round.Event>,
  /** The book entry of the comment's buyer in `after`, if the caller has looked it up. */
  known?: Round.BookEntry
): Array<OutboundMessage> => {
  // Runs for every comment: nothing is allocated for a comment that sends no message.
  let out: Array<OutboundMessage> | undefined
  let to: Recipient | undefined
  let entry: Round.BookEntry | undefined = known
  let changed: OutboundMessage["kind"] | undefined
  for (const e of events) {
    if (e._tag === "LinesOrdered") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed ??= e.newOrder ? "order-confirmed" : "order-updated"
    } else if (e._tag === "LinesSet") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed ??= entry && entry.lines.length > 0 ? "order-updated" : "order-cancelled"
    } else if (e._tag === "OrderWithdrawn") {
      entry ??= Round.lookup(after.book, e.buyerId)
      changed = "order-cancelled"
    } else if (e._tag === "CommentNotOrdered") {
      to ??= recipientOf(c)
      out ??= []
      let id = messageId(after, c, "not-ordered", e.sku ?? "", undefined)
      // Two lines of one comment for one SKU that did not fit: one message each.
      for (let n = 2; hasId(out, id); n++) id = messageId(after, c, "not-ordered", e.sku ?? "", n)
      out.push({
        id,
        kind: "not-ordered",
        to,
        data: notOrderedData(after.catalogue, e),
        createdAt: e.at
      })
    }
  }
  if (changed === undefined) return out ?? []
  to ??= recipientOf(c)
  const data = entry
    ? { orderId: entry.orderId, lines: labelLines(after.catalogue, entry.lines), total: Round.total(entry.lines) }
    : {}
  const message: OutboundMessage = {
    id: messageId(after, c, changed, undefined, undefined),
    kind: changed,
    to,
    data,
    createdAt: c.at
  }
  if (out === undefined) return [message]
  out.unshift(message)
  return out
}

const hasId = (messages: ReadonlyArray<OutboundMessage>, id: string): boolean => {
  for (const m of messages) if (m.id === id) return true
  return false
}

/**
 * A message's id: `<round>:<channel>:<comment>:<kind>`, and for a not-ordered line `:<sku>` (and
 * `:<n>` from the second line of that SKU on), each part escaped. One join, not a template: a
 * template leaves a chain of rope strings that the outbox keeps (~200 B a message).
 */
const messageId = (
  after: Round.State,
  c: CommentInput,
  kind: OutboundMessage["kind"],
  sku: string | undefined,
  n: number | undefined
): string => {
  const round = idPart(after.spec?.id ?? "")
  const channel = idPart(c.channel)
  const comment = idPart(c.commentId)
  if (sku === undefined) return [round, channel, comment, kind].join(":")
  return n === undefined
    ? [round, channel, comment, kind, idPart(sku)].join(":")
    : [round, channel, comment, kind, idPart(sku), n].join(":")
}

const outcomeOf = (commentId: string, events: ReadonlyArray<Round.Event>, parsedReason: string): CommentOutcome => {
  // One pass and no callbacks: this runs for every comment (and dev runners wrap each closure).
  let orderId: string | undefined
  let ordered = false
  let withdrawn = false
  let paid = false
  let set: Extract<Round.Event, { _tag: "LinesSet" }> | undefined
  let notOrdered: Extract<Round.Event, { _tag: "CommentNotOrdered" }> | undefined
  let review: Extract<Round.Event, { _tag: "CommentForReview" }> | undefined
  let ignored: Extract<Round.Event, { _tag: "CommentIgnored" }> | undefined
  for (const e of events) {
    if (orderId === undefined && "orderId" in e) orderId = e.orderId
    switch (e._tag) {
      case "LinesOrdered":
        ordered = true
        break
      case "OrderWithdrawn":
        withdrawn = true
        break
      case "LinesSet":
        set ??= e
        break
      case "CommentNotOrdered":
        notOrdered ??= e
        break
      case "CommentForReview":
        review ??= e
        break
      case "CommentIgnored":
        ignored ??= e
        break
      case "PaymentReported":
        paid = true
        break
      default:
        break
    }
  }
  let status: CommentOutcome["status"]
  let reason = parsedReason
  if (ordered) {
    status = notOrdered ? "partly-ordered" : "ordered"
    if (notOrdered) reason = `partly filled: ${notOrdered.reason}`
  } else if (withdrawn) status = "cancelled"
  else if (set) {
    let down = true
    for (const l of set.lines) if (!(l.to < l.from)) down = false
    status = down ? "cancelled" : notOrdered ? "partly-ordered" : "amended"
  } else {
    orderId = undefined
    if (notOrdered) {
      status = "not-ordered"
      reason = notOrdered.reason
    } else if (review) {
      status = "review"
      reason = review.reason
    } else if (paid) status = "payment-reported"
    else {
      status = "ignored"
      reason = ignored?.reason ?? parsedReason
    }
  }
  return orderId === undefined ? { commentId, status, reason, events } : { commentId, status, orderId, reason, events }
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

interface LoadedRound {
  readonly state: Round.State
  readonly version: number
  readonly parser: CompiledParser | undefined
}

const encode = (e: { readonly _tag: string; readonly at?: string }, at: string): NewEvent => ({
  type: e._tag,
  data: e,
  at: e.at ?? at
})

const decodeRound = Schema.decodeUnknownSync(Round.Event)
const decodeOrder = Schema.decodeUnknownSync(Order.Event)
const decodeShipment = Schema.decodeUnknownSync(Shipment.Event)

/** Whether any of these events changes an order in the book. */
const changesOrder = (events: ReadonlyArray<Round.Event>): boolean => {
  for (const e of events)
    if (e._tag === "LinesOrdered" || e._tag === "LinesSet" || e._tag === "OrderWithdrawn") return true
  return false
}

/** A comment's own commit carries no view changes (its batch's merged ones ride on one more commit). */
const NO_VIEWS: ReadonlyArray<ViewChange> = []

// ---------------------------------------------------------------------------------------------
// Comment claims: which round took a message, and what the message was
// ---------------------------------------------------------------------------------------------

/**
 * A comment's idempotency key. A channel's message is claimed once for every round
 * (`message:<channel>:<id>`); an id an import numbered itself only within its round
 * (`comment:<round>:<channel>:<id>`, the key every comment had before messages were claimed for
 * good). `join` builds a flat string; a template builds a rope that V8 flattens again on the first hash.
 */
const commentKey = (roundId: string, c: CommentInput): string =>
  c.idScope === "round"
    ? ["comment", roundId, c.channel, c.commentId].join(":")
    : ["message", c.channel, c.commentId].join(":")

/** Fed to {@link commentFingerprint} between the author and the text: no UTF-16 code unit has this value. */
const SEPARATOR = 0x10000

/**
 * A fingerprint of who wrote a comment and what (its author's id and its text): the same message
 * delivered again has the same one, another comment under the same id almost surely not. A 53-bit
 * hash (cyrb53) in base 36; nothing of the comment can be read back from it.
 */
export const commentFingerprint = (c: Pick<CommentInput, "author" | "text">): string => {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  const id = c.author.id
  for (let i = 0; i < id.length; i++) {
    const ch = id.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ SEPARATOR, 2654435761)
  h2 = Math.imul(h2 ^ SEPARATOR, 1597334677)
  const text = c.text
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/**
 * The data kept with a comment's key (`Commit.keyData`): `<fingerprint>:<round id>`. Keys claimed
 * before fingerprints were kept have `:<round id>` (storage-sql's migration 3) or nothing.
 */
const claimData = (fingerprint: string, roundId: string): string => [fingerprint, roundId].join(":")

/**
 * What becomes of a comment whose key was claimed already (`data`: the claim's key data): the
 * same comment again is a duplicate, here or in the round that took it; another author or text
 * under the same id is an `id-conflict`, reported by id only (no name, no text), never taken.
 */
const claimedOutcome = (roundId: string, c: CommentInput, fingerprint: string, data: string): CommentOutcome => {
  const i = data.indexOf(":")
  const claimedPrint = i < 0 ? "" : data.slice(0, i)
  const owner = i < 0 ? "" : data.slice(i + 1)
  const elsewhere = owner !== "" && owner !== roundId
  if (claimedPrint !== "" && claimedPrint !== fingerprint) return idConflict(c, elsewhere ? owner : undefined)
  return {
    commentId: c.commentId,
    status: "duplicate",
    reason: elsewhere ? `already taken by round ${JSON.stringify(owner)}` : "already handled",
    events: []
  }
}

const idConflict = (c: CommentInput, owner: string | undefined): CommentOutcome => ({
  commentId: c.commentId,
  status: "id-conflict",
  reason: `comment id ${JSON.stringify(c.commentId)} (${c.channel}) was already used by a different comment (another author or text)${
    owner === undefined ? "" : ` in round ${JSON.stringify(owner)}`
  }: this one was not taken; every comment needs its own id`,
  events: []
})
const BATCH = 500
const MAX_RETRIES = 20

export const make = Effect.gen(function* () {
  const storage = yield* Storage
  const parserPort = yield* CommentParser
  const ids = yield* IdGenerator
  const cache = yield* Ref.make(new Map<string, LoadedRound>())

  const nowIso = Clock.currentTimeMillis.pipe(Effect.map((ms) => new Date(ms).toISOString()))

  const compileParser = (state: Round.State): CompiledParser | undefined =>
    state.spec && state.catalogue
      ? parserPort.compile({
          catalogue: state.catalogue,
          settings: {
            mode: state.spec.mode,
            maxQtyPerLine: state.spec.maxQtyPerLine,
            extraMarkers: state.spec.extraMarkers,
            extraFillers: state.spec.extraFillers
          }
        })
      : undefined

  /** The round's state: cached, caught up with the stream. */
  const load = (roundId: string, fresh = false) =>
    Effect.gen(function* () {
      const cached = fresh ? undefined : (yield* Ref.get(cache)).get(roundId)
      const from = cached?.version ?? 0
      const { version, events } = yield* storage.readStream(roundStream(roundId), from)
      if (cached && version === cached.version) return cached
      let state = cached?.state ?? Round.initialState
      for (const e of events) state = Round.evolve(state, decodeRound(e.data))
      const loaded: LoadedRound = {
        state,
        version,
        parser: cached?.parser && cached.state.spec ? cached.parser : compileParser(state)
      }
      yield* Ref.update(cache, (m) => new Map(m).set(roundId, loaded))
      return loaded
    })

  const remember = (roundId: string, loaded: LoadedRound) => Ref.update(cache, (m) => new Map(m).set(roundId, loaded))
  const forget = (roundId: string) =>
    Ref.update(cache, (m) => {
      const n = new Map(m)
      n.delete(roundId)
      return n
    })

  const requireRound = (roundId: string) =>
    Effect.flatMap(load(roundId), (l) =>
      l.state.status === "none"
        ? Effect.fail(new GroupBuyError({ reason: "unknown-round", message: `no round "${roundId}"` }))
        : Effect.succeed(l)
    )

  /** Runs `attempt` again after a concurrency conflict, with the round reloaded. */
  const retrying = <A, E>(roundId: string, attempt: Effect.Effect<A, E | StorageError>) =>
    attempt.pipe(
      Effect.tapError((e) => (e instanceof StorageError && e.reason === "conflict" ? forget(roundId) : Effect.void)),
      Effect.retry({ times: MAX_RETRIES, while: (e) => e instanceof StorageError && e.reason === "conflict" })
    )

  const rejected = (e: { readonly message: string }) =>
    new GroupBuyError({ reason: "rejected", message: e.message, cause: e })

  /** Decides a round command against the loaded state and commits it with views and messages. */
  const commitRound = (
    roundId: string,
    loaded: LoadedRound,
    command: Round.Command,
    extra: { readonly key?: string; readonly comment?: CommentInput } = {}
  ) =>
    Effect.gen(function* () {
      const decided = Round.decide(command, loaded.state)
      if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
      const events = decided.success
      if (events.length === 0) return events
      const after = Round.fold(events, loaded.state)
      const at = yield* nowIso
      const commit: Commit = {
        idempotencyKey: extra.key,
        appends: [
          { stream: roundStream(roundId), expectedVersion: loaded.version, events: events.map((e) => encode(e, at)) }
        ],
        views: roundViews(roundId, after, events),
        outbox: extra.comment ? roundMessages(after, extra.comment, events) : []
      }
      const [result] = yield* storage.commit([commit])
      if (result?._tag === "Committed")
        yield* remember(roundId, {
          state: after,
          version: loaded.version + events.length,
          parser: loaded.parser ?? compileParser(after)
        })
      return events
    })

  const openRound: GroupBuyService["openRound"] = ({ spec, at }) =>
    retrying(
      spec.id,
      Effect.gen(function* () {
        const when = at ?? (yield* nowIso)
        const loaded = yield* load(spec.id)
        if (loaded.state.status !== "none") return
        const created = Round.decide({ _tag: "Create", spec, at: when }, loaded.state)
        if (Result.isFailure(created)) return yield* Effect.fail(rejected(created.failure))
        const opened = Round.decide({ _tag: "Open", at: when }, Round.fold(created.success, loaded.state))
        if (Result.isFailure(opened)) return yield* Effect.fail(rejected(opened.failure))
        const events = [...created.success, ...opened.success]
        const after = Round.fold(events, loaded.state)
        const views = stockViews(spec.id, after)
        yield* storage.commit([
          {
            idempotencyKey: `round:${spec.id}:open`,
            appends: [{ stream: roundStream(spec.id), expectedVersion: 0, events: events.map((e) => encode(e, when)) }],
            views,
            outbox: []
          }
        ])
        yield* forget(spec.id)
      })
    )

  const toIncoming = (c: CommentInput, parser: CompiledParser | undefined): Round.IncomingComment => ({
    commentId: `${c.channel}:${c.commentId}`,
    buyerId: buyerIdFor(c.channel, c.author),
    buyer: c.author,
    text: c.text,
    at: c.at,
    parsed: parser ? parser.parse(c.text) : { intent: "none", lines: [], reason: "no parser", spans: [] }
  })

  /**
   * One batch of at most BATCH comments: decide all against a running state, commit once. Goes on
   * from `from` (the previous batch of the same call) when given, else from the cached round.
   */
  const submitBatch = (
    roundId: string,
    comments: ReadonlyArray<CommentInput>,
    from: LoadedRound | undefined,
    by: Round.Owner
  ) =>
    Effect.gen(function* () {
      const loaded = from ?? (yield* requireRound(roundId))
      const keys = new Array<string>(comments.length)
      const prints = new Array<string>(comments.length)
      for (let i = 0; i < comments.length; i++) {
        keys[i] = commentKey(roundId, comments[i]!)
        prints[i] = commentFingerprint(comments[i]!)
      }
      // The keys claimed already (by this round or, for a channel's message, by any round).
      const claimed = yield* storage.readKeys(keys)
      /** The first comment of the batch with each key. */
      const firstWith = new Map<string, number>()
      /** What became of the comments not handled here (claimed already, or twice in the batch). */
      const skipped = new Array<CommentOutcome | undefined>(comments.length)
      let state = loaded.state
      let version = loaded.version
      const commits: Array<Commit> = []
      const outcomes: Array<CommentOutcome> = []
      const views = new ViewBatch(roundId)
      const at = yield* nowIso
      const stream = roundStream(roundId)
      // Parse the whole batch first, then decide it: the parser's tables stay in the CPU caches
      // for 500 comments in a row instead of being pushed out by the round state after each one
      // (parsing in between cost about twice as much as parsing alone). Undefined: skipped.
      const incomings = new Array<Round.IncomingComment | undefined>(comments.length)
      for (let i = 0; i < comments.length; i++) {
        const key = keys[i]!
        const data = claimed.get(key)
        if (data !== undefined) {
          skipped[i] = claimedOutcome(roundId, comments[i]!, prints[i]!, data)
          continue
        }
        const first = firstWith.get(key)
        if (first !== undefined) {
          skipped[i] =
            prints[first] === prints[i]
              ? { commentId: comments[i]!.commentId, status: "duplicate", reason: "already handled", events: [] }
              : idConflict(comments[i]!, undefined)
          continue
        }
        firstWith.set(key, i)
        incomings[i] = toIncoming(comments[i]!, loaded.parser)
      }
      for (let i = 0; i < comments.length; i++) {
        const c = comments[i]!
        const key = keys[i]!
        const incoming = incomings[i]
        if (incoming === undefined) {
          outcomes.push(skipped[i]!)
          continue
        }
        const decided = Round.decide({ _tag: "HandleComment", comment: incoming, newOrderId: ids.next("o") }, state)
        if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
        const events = decided.success
        const after = Round.foldOwned(events, state, by)
        // The author's order after the comment, looked up once for the views and the messages.
        const entry = changesOrder(events) ? Round.lookup(after.book, incoming.buyerId) : undefined
        views.add(after, events, entry)
        commits.push({
          idempotencyKey: key,
          keyData: claimData(prints[i]!, roundId),
          appends: [{ stream, expectedVersion: version, events: events.map((e) => encode(e, at)) }],
          views: NO_VIEWS,
          outbox: roundMessages(after, c, events, entry)
        })
        outcomes.push(outcomeOf(c.commentId, events, incoming.parsed.reason))
        state = after
        version += events.length
      }
      if (commits.length > 0) {
        // The batch's read-model changes, merged, ride on one more commit of the same transaction.
        // It asserts the round's version after the whole batch: if a comment's commit is skipped
        // as a duplicate (another writer, for this round or another, took its key after
        // `readKeys`), the transaction fails as a conflict and the batch is decided again (the key
        // is then found claimed), instead of writing views with that comment in.
        commits.push({
          appends: [{ stream, expectedVersion: version, events: [] }],
          views: views.changes(state),
          outbox: []
        })
        yield* storage.commit(commits)
      }
      const next: LoadedRound = { state, version, parser: loaded.parser }
      return { outcomes, next }
    })

  const submitComments: GroupBuyService["submitComments"] = ({ roundId, comments }) =>
    Effect.gen(function* () {
      const out: Array<CommentOutcome> = []
      // One owner for the whole call: each batch goes on from the last one's state and edits in
      // place the trie nodes this call made (see Round.evolveOwned). Those states never leave the
      // call: a failed batch drops them (the next attempt reloads), and the cache gets the last
      // one only at the end, when nothing will edit it any more.
      const by = Round.owner()
      let current: LoadedRound | undefined
      const attempt = (batch: ReadonlyArray<CommentInput>) =>
        Effect.suspend(() => submitBatch(roundId, batch, current, by)).pipe(
          Effect.tapError(() =>
            Effect.sync(() => {
              current = undefined
            })
          )
        )
      for (let i = 0; i < comments.length; i += BATCH) {
        const { outcomes, next } = yield* retrying(roundId, attempt(comments.slice(i, i + BATCH)))
        for (const o of outcomes) out.push(o)
        current = next
      }
      if (current !== undefined) yield* remember(roundId, current)
      return out
    })

  /**
   * Which order each comment changed, per round, built from the round's events on the first edit
   * or unsend and then extended with only the events since (a LINE group unsends often; reading
   * the whole stream each time was one full read per unsend). Nothing is kept until then.
   */
  const touchedOrders = new Map<string, { version: number; readonly byComment: Map<string, string> }>()

  /** The order a comment changed, if any. */
  const orderTouchedBy = (roundId: string, commentId: string) =>
    Effect.gen(function* () {
      let index = touchedOrders.get(roundId)
      if (index === undefined) {
        index = { version: 0, byComment: new Map() }
        touchedOrders.set(roundId, index)
      }
      const { version, events } = yield* storage.readStream(roundStream(roundId), index.version)
      if (version > index.version) {
        for (const stored of events) {
          const e = stored.data as Round.Event
          if (
            (e._tag === "LinesOrdered" || e._tag === "LinesSet" || e._tag === "OrderWithdrawn") &&
            !index.byComment.has(e.commentId)
          )
            index.byComment.set(e.commentId, e.orderId)
        }
        index.version = version
      }
      return index.byComment.get(commentId)
    })

  const editComment: GroupBuyService["editComment"] = ({ roundId, comment }) =>
    retrying(
      roundId,
      Effect.gen(function* () {
        const loaded = yield* requireRound(roundId)
        const incoming = toIncoming(comment, loaded.parser)
        const orderId = yield* orderTouchedBy(roundId, incoming.commentId)
        yield* commitRound(
          roundId,
          loaded,
          { _tag: "EditComment", comment: incoming, orderId },
          { key: `edit:${comment.channel}:${comment.commentId}:${comment.at}:${comment.text}` }
        )
      })
    )

  const removeComment: GroupBuyService["removeComment"] = ({ roundId, channel, commentId, at }) =>
    retrying(
      roundId,
      Effect.gen(function* () {
        const loaded = yield* requireRound(roundId)
        const orderId = yield* orderTouchedBy(roundId, `${channel}:${commentId}`)
        yield* commitRound(
          roundId,
          loaded,
          { _tag: "RemoveComment", commentId: `${channel}:${commentId}`, at, orderId },
          { key: `unsend:${channel}:${commentId}` }
        )
      })
    )

  const resolveReview: GroupBuyService["resolveReview"] = ({ roundId, commentId, approve }) =>
    retrying(
      roundId,
      Effect.gen(function* () {
        const loaded = yield* requireRound(roundId)
        const at = yield* nowIso
        yield* commitRound(roundId, loaded, {
          _tag: "ResolveReview",
          commentId,
          approve,
          newOrderId: ids.next("o"),
          at
        })
      })
    )

  /** Loads an order stream. */
  const loadOrder = (orderId: string) =>
    Effect.map(storage.readStream(orderStream(orderId)), ({ version, events }) => ({
      version,
      state: Order.fold(events.map((e) => decodeOrder(e.data)))
    }))

  const closeRound: GroupBuyService["closeRound"] = ({ roundId, at }) =>
    retrying(
      roundId,
      Effect.gen(function* () {
        let loaded = yield* requireRound(roundId)
        const when = at ?? (yield* nowIso)
        if (loaded.state.status === "open") {
          yield* commitRound(roundId, loaded, { _tag: "Close", at: when, reason: "manual" })
          loaded = yield* load(roundId)
        }
        // Confirm every order of the book that is not confirmed yet (a crash halfway leaves some).
        const commits: Array<Commit> = []
        for (const entry of Round.orders(loaded.state)) {
          const current = yield* loadOrder(entry.orderId)
          if (current.state.status !== "none") continue
          const decided = Order.decide(
            {
              _tag: "Confirm",
              orderId: entry.orderId,
              roundId,
              buyerId: entry.buyerId,
              buyer: entry.buyer,
              lines: entry.lines,
              placedAt: entry.placedAt,
              seq: entry.seq,
              at: when
            },
            current.state
          )
          if (Result.isFailure(decided)) continue
          const after = Order.fold(decided.success, current.state)
          commits.push({
            idempotencyKey: `order:${entry.orderId}:confirmed`,
            appends: [
              {
                stream: orderStream(entry.orderId),
                expectedVersion: 0,
                events: decided.success.map((e) => encode(e, when))
              }
            ],
            views: [{ _tag: "UpsertOrder", order: orderView(after, when) }],
            outbox: [
              {
                id: `order:${entry.orderId}:payment-due`,
                kind: "payment-due",
                to: buyerRecipient(entry.buyerId, entry.buyer.id),
                data: {
                  orderId: entry.orderId,
                  lines: labelLines(loaded.state.catalogue, entry.lines),
                  total: after.total
                },
                createdAt: when
              }
            ]
          })
        }
        for (let i = 0; i < commits.length; i += BATCH) yield* storage.commit(commits.slice(i, i + BATCH))
        return yield* storage.orders({ roundId })
      })
    )

  const recordPayment: GroupBuyService["recordPayment"] = (input) =>
    Effect.gen(function* () {
      const key = `payment:${input.source}:${input.transactionId}`
      const paymentId = `p_${input.source}_${input.transactionId}`
      const existing = yield* storage.readStream(paymentStream(paymentId))
      if (existing.version > 0) return { paymentId, status: "duplicate" as const }
      const received = Payment.decide(
        {
          _tag: "Receive",
          paymentId,
          source: input.source,
          transactionId: input.transactionId,
          amount: input.amount,
          at: input.at,
          bankCode: input.bankCode,
          last5: input.last5
        },
        Payment.initialState
      )
      if (Result.isFailure(received)) return yield* Effect.fail(rejected(received.failure))
      let paymentEvents: ReadonlyArray<Payment.Event> = received.success
      const appends: Array<Commit["appends"][number]> = []
      const views: Array<ViewChange> = []
      const outbox: Array<OutboundMessage> = []
      if (input.orderIds.length > 0) {
        const matched = Payment.decide(
          { _tag: "Match", orderIds: input.orderIds, evidence: input.evidence, at: input.at },
          Payment.fold(paymentEvents)
        )
        if (Result.isFailure(matched)) return yield* Effect.fail(rejected(matched.failure))
        paymentEvents = [...paymentEvents, ...matched.success]
        // Spread the money over the orders in the order given: each gets what it is due, the last the rest.
        let left = input.amount
        for (const [i, orderId] of input.orderIds.entries()) {
          const current = yield* loadOrder(orderId)
          if (current.state.status === "none")
            return yield* Effect.fail(
              new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${orderId}"` })
            )
          const due = current.state.total - current.state.paid
          const amount = i === input.orderIds.length - 1 ? left : Math.min(left, due)
          left -= amount
          if (amount <= 0) continue
          const applied = Order.decide({ _tag: "ApplyPayment", paymentId, amount, at: input.at }, current.state)
          if (Result.isFailure(applied)) return yield* Effect.fail(rejected(applied.failure))
          const after = Order.fold(applied.success, current.state)
          appends.push({
            stream: orderStream(orderId),
            expectedVersion: current.version,
            events: applied.success.map((e) => encode(e, input.at))
          })
          views.push({ _tag: "UpsertOrder", order: orderView(after, input.at) })
          if (input.last5)
            views.push({
              _tag: "LearnAccount",
              buyerId: after.buyerId,
              account: { last5: input.last5, ...(input.bankCode ? { bankCode: input.bankCode } : {}) }
            })
          outbox.push({
            id: `payment:${paymentId}:${orderId}:received`,
            kind: "payment-received",
            to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
            data: { orderId, amount, paid: after.paid, total: after.total },
            createdAt: input.at
          })
        }
      }
      const results = yield* storage.commit([
        {
          idempotencyKey: key,
          appends: [
            {
              stream: paymentStream(paymentId),
              expectedVersion: 0,
              events: paymentEvents.map((e) => encode(e, input.at))
            },
            ...appends
          ],
          views,
          outbox
        }
      ])
      if (results[0]?._tag === "Duplicate") return { paymentId, status: "duplicate" as const }
      return { paymentId, status: input.orderIds.length > 0 ? ("matched" as const) : ("unmatched" as const) }
    }).pipe(Effect.retry({ times: MAX_RETRIES, while: (e) => e instanceof StorageError && e.reason === "conflict" }))

  const ship: GroupBuyService["ship"] = (input) =>
    Effect.gen(function* () {
      const at = yield* nowIso
      const current = yield* loadOrder(input.orderId)
      if (current.state.status === "none")
        return yield* Effect.fail(
          new GroupBuyError({ reason: "unknown-order", message: `no confirmed order "${input.orderId}"` })
        )
      const shipmentId = ids.next("s")
      const pickupCode = input.method === "pickup" ? ids.code() : undefined
      const added = Order.decide({ _tag: "AddShipment", shipmentId, lines: input.lines, at }, current.state)
      if (Result.isFailure(added)) return yield* Effect.fail(rejected(added.failure))
      const packed = Shipment.decide(
        { _tag: "Pack", shipmentId, orderId: input.orderId, lines: input.lines, method: input.method, pickupCode, at },
        Shipment.initialState
      )
      if (Result.isFailure(packed)) return yield* Effect.fail(rejected(packed.failure))
      const shipped = Shipment.decide(
        { _tag: "Ship", carrier: input.carrier, trackingNo: input.trackingNo, at },
        Shipment.fold(packed.success)
      )
      if (Result.isFailure(shipped)) return yield* Effect.fail(rejected(shipped.failure))
      const after = Order.fold(added.success, current.state)
      yield* storage.commit([
        {
          appends: [
            {
              stream: orderStream(input.orderId),
              expectedVersion: current.version,
              events: added.success.map((e) => encode(e, at))
            },
            {
              stream: shipmentStream(shipmentId),
              expectedVersion: 0,
              events: [...packed.success, ...shipped.success].map((e) => encode(e, at))
            }
          ],
          views: [{ _tag: "UpsertOrder", order: orderView(after, at) }],
          outbox: [
            {
              id: `shipment:${shipmentId}:${input.method === "pickup" ? "pickup-ready" : "shipped"}`,
              kind: input.method === "pickup" ? "pickup-ready" : "shipped",
              to: buyerRecipient(after.buyerId, after.buyer?.id ?? after.buyerId),
              data: {
                orderId: input.orderId,
                shipmentId,
                lines: input.lines,
                ...(pickupCode ? { pickupCode } : {}),
                ...(input.trackingNo ? { trackingNo: input.trackingNo } : {})
              },
              createdAt: at
            }
          ]
        }
      ])
      return pickupCode ? { shipmentId, pickupCode } : { shipmentId }
    })

  const confirmPickup: GroupBuyService["confirmPickup"] = ({ shipmentId, code }) =>
    Effect.gen(function* () {
      const at = yield* nowIso
      const { version, events } = yield* storage.readStream(shipmentStream(shipmentId))
      if (version === 0)
        return yield* Effect.fail(
          new GroupBuyError({ reason: "unknown-shipment", message: `no shipment "${shipmentId}"` })
        )
      const state = Shipment.fold(events.map((e) => decodeShipment(e.data)))
      const decided = Shipment.decide({ _tag: "PickUp", code, at }, state)
      if (Result.isFailure(decided)) return yield* Effect.fail(rejected(decided.failure))
      yield* storage.commit([
        {
          appends: [
            {
              stream: shipmentStream(shipmentId),
              expectedVersion: version,
              events: decided.success.map((e) => encode(e, at))
            }
          ],
          views: [],
          outbox: []
        }
      ])
    })

  const report: GroupBuyService["report"] = (roundId) =>
    Effect.gen(function* () {
      const loaded = yield* requireRound(roundId)
      const [orders, review, notOrdered, stock] = yield* Effect.all([
        storage.orders({ roundId }),
        storage.reviewQueue({ roundId }),
        storage.notOrdered({ roundId }),
        storage.stock({ roundId })
      ])
      return {
        roundId,
        status: loaded.state.status,
        orders: orders.filter((o) => o.status !== "cancelled"),
        review,
        notOrdered,
        stock
      }
    })

  return {
    openRound,
    submitComments,
    editComment,
    removeComment,
    resolveReview,
    closeRound,
    recordPayment,
    ship,
    confirmPickup,
    report,
    orders: (q) => storage.orders(q)
  } satisfies GroupBuyService
})

/** The use cases over whatever Storage, CommentParser and IdGenerator the app provides. */
export const layer: Layer.Layer<GroupBuy, never, Storage | CommentParser | IdGenerator> = Layer.effect(GroupBuy, make)
