/**
 * The insight read models and the facts they give: register {@link readModels} with a store
 * (next to `ReadModels.builtIn`), and {@link load} / {@link report} read them — caught up first —
 * into `Insights` fact records and KPIs. Every store (memory, SQLite, PostgreSQL) runs the same
 * definitions, so the same events give the same report everywhere.
 *
 * ```ts
 * const storage = Storage.makeMemory({ readModels: [...ReadModels.builtIn, ...InsightFacts.readModels] })
 * const kpis = yield* InsightFacts.report({ from: "2026-01-01", to: "2026-03-31", by: "round" })
 * ```
 *
 * An order's conversation (for its leader and region) is the conversation its round listens to
 * on the buyer's channel, when the round listens to exactly one there; otherwise it is not
 * attributed (docs/insights.md).
 *
 * @since 0.4.0
 */
import { Effect } from "effect"
import { channelOf } from "./Buyer.js"
import * as InsightSettings from "./InsightSettings.js"
import * as Insights from "./Insights.js"
import * as ReadModels from "./ReadModels.js"
import * as InsightOrders from "./readModels/InsightOrders.js"
import * as InsightPayments from "./readModels/InsightPayments.js"
import * as InsightRounds from "./readModels/InsightRounds.js"
import * as InsightShipments from "./readModels/InsightShipments.js"
import { Storage, type StorageError } from "./Storage.js"

/** The `insight-orders` read model. */
export * as InsightOrders from "./readModels/InsightOrders.js"
/** The `insight-shipments` read model. */
export * as InsightShipments from "./readModels/InsightShipments.js"
/** The `insight-payments` read model. */
export * as InsightPayments from "./readModels/InsightPayments.js"
/** The `insight-rounds` read model. */
export * as InsightRounds from "./readModels/InsightRounds.js"

/** The insight read models (all catch-up): register them with a store to run reports on it. */
export const readModels: ReadonlyArray<ReadModels.Definition<any>> = [
  InsightOrders.definition,
  InsightShipments.definition,
  InsightPayments.definition,
  InsightRounds.definition
]

const PAGE = 1_000

/** Every document of a model (optionally with a key), page by page. */
const all = <Doc>(
  definition: ReadModels.Definition<Doc>,
  key?: { readonly k: "k1" | "k2" | "k3"; readonly value: string }
): Effect.Effect<Array<Doc>, StorageError, Storage> =>
  Effect.gen(function* () {
    const out: Array<Doc> = []
    let after: string | undefined
    for (;;) {
      const page = yield* ReadModels.list(definition, { key, after, limit: PAGE })
      for (const r of page) out.push(r.doc)
      if (page.length < PAGE) return out
      after = page[page.length - 1]!.id
    }
  })

/** What {@link load} gives: the fact records and the settings they were costed with. */
export interface Facts {
  readonly orders: ReadonlyArray<Insights.OrderFact>
  readonly comments: ReadonlyArray<Insights.CommentFact>
  readonly reviews: ReadonlyArray<Insights.ReviewFact>
  readonly settings: Insights.Settings
}

/**
 * Joins the read models' documents into fact records (pure): each order's lines get their product,
 * category and unit cost (the settings' cost for the SKU, else the round file's, else 0), its
 * payments their source, its returned shipments' units and value, and its conversation.
 */
export const join = (input: {
  readonly orders: ReadonlyArray<InsightOrders.Document>
  readonly rounds: ReadonlyArray<InsightRounds.Document>
  readonly payments: ReadonlyArray<InsightPayments.Document>
  readonly returned: ReadonlyArray<InsightShipments.Document>
  readonly settings: Insights.Settings
}): Facts => {
  const { settings } = input
  const rounds = new Map(input.rounds.map((r) => [r.roundId, r]))
  const payments = new Map(input.payments.map((p) => [p.paymentId, p]))
  const returnsOf = new Map<string, Array<InsightShipments.Document>>()
  for (const s of input.returned) {
    if (s.returned === undefined) continue
    const list = returnsOf.get(s.orderId) ?? []
    list.push(s)
    returnsOf.set(s.orderId, list)
  }
  const conversationOf = (roundId: string, channel: string): string | undefined => {
    const listens = rounds.get(roundId)?.listens.filter((l) => l.channel === channel) ?? []
    return listens.length === 1 ? listens[0]!.conversation : undefined
  }
  const withConversation = <A>(a: A, conversation: string | undefined): A =>
    conversation === undefined ? a : { ...a, conversation }
  const orders = input.orders.map((o): Insights.OrderFact => {
    const round = rounds.get(o.roundId)
    const skuInfo = new Map(round?.skus.map((s) => [s.sku, s]) ?? [])
    const channel = channelOf(o.buyerId)
    const priceOf = new Map(o.lines.map((l) => [l.sku, l.unitPrice]))
    const returned = (returnsOf.get(o.orderId) ?? []).flatMap((s) =>
      s.lines.map((l) => ({
        sku: l.sku,
        qty: l.qty,
        value: l.qty * (priceOf.get(l.sku) ?? 0),
        reason: s.returned?.reason ?? "",
        at: s.returned?.at ?? s.packedAt
      }))
    )
    return withConversation(
      {
        orderId: o.orderId,
        roundId: o.roundId,
        buyerId: o.buyerId,
        channel,
        placedAt: o.placedAt,
        status: o.status,
        lines: o.lines.map((l) => {
          const info = skuInfo.get(l.sku)
          const product = info?.product ?? l.sku
          return {
            sku: l.sku,
            product,
            category: settings.categories[product] ?? product,
            qty: l.qty,
            unitPrice: l.unitPrice,
            unitCost: settings.unitCosts[l.sku] ?? info?.cost ?? 0
          }
        }),
        payments: o.payments.map((p) => {
          const doc = payments.get(p.paymentId)
          return doc?.gateway === undefined
            ? { source: doc?.source ?? "statement", amount: p.amount }
            : { source: doc.source, gateway: doc.gateway, amount: p.amount }
        }),
        deliveries: o.deliveries.map((d) => ({ method: d.method, at: d.at })),
        shipped: o.shipped,
        returned,
        refunded: o.refunded
      },
      conversationOf(o.roundId, channel)
    )
  })
  const comments: Array<Insights.CommentFact> = []
  const reviews: Array<Insights.ReviewFact> = []
  for (const r of input.rounds) {
    const buyerOf = new Map<string, string>()
    for (const c of r.comments) {
      buyerOf.set(c.commentId, c.buyerId)
      const channel = channelOf(c.buyerId)
      comments.push(
        withConversation(
          {
            roundId: r.roundId,
            buyerId: c.buyerId,
            channel,
            at: c.at,
            lookedLikeOrder: c.looked,
            becameOrder: c.became
          },
          conversationOf(r.roundId, channel)
        )
      )
    }
    for (const v of r.reviews) {
      const channel = channelOf(buyerOf.get(v.commentId) ?? "")
      const base = { roundId: r.roundId, channel, at: v.at }
      reviews.push(
        withConversation(
          v.resolvedAt === undefined ? base : { ...base, resolvedAt: v.resolvedAt },
          conversationOf(r.roundId, channel)
        )
      )
    }
  }
  return { orders, comments, reviews, settings }
}

/** Which facts to load: orders placed from `from` to `to` (Taipei dates, inclusive; none: all). */
export interface Range {
  readonly from?: string | undefined
  readonly to?: string | undefined
}

/**
 * Catches the insight read models up and loads the facts: every order (costs are allocated over
 * their whole round or month, and lifetime value reads a buyer's whole history; the report keeps
 * the range), the rounds, the payments and only the returned shipments (by their `returned` key).
 */
export const load: Effect.Effect<Facts, StorageError, Storage> = Effect.gen(function* () {
  const storage = yield* Storage
  for (const d of readModels) yield* storage.catchUp(d.name)
  // Every order: a month's or a round's costs are shared by all of its orders, inside the range or not.
  const orders = yield* all(InsightOrders.definition)
  const [rounds, payments, returned, settings] = yield* Effect.all([
    all(InsightRounds.definition),
    all(InsightPayments.definition),
    all(InsightShipments.definition, { k: "k2", value: "returned" }),
    InsightSettings.load
  ])
  return join({ orders, rounds, payments, returned, settings })
})

/** What {@link report} is asked. */
export interface ReportQuery extends Range {
  readonly by?: Insights.Dimension | undefined
  readonly period?: Insights.Period | undefined
}

/** The KPIs from the store's read models and settings (see `Insights.report`). */
export const report = (query: ReportQuery = {}): Effect.Effect<Insights.Report, StorageError, Storage> =>
  Effect.map(load, (facts) => Insights.report({ ...facts, ...query }))
