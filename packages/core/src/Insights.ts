/**
 * Insights (經營分析): the KPIs an organiser manages by, as pure functions over fact records.
 * docs/insights.md is the contract: every definition below has its formula there.
 *
 * The facts come from the insight read models (`InsightFacts`), the costs and leaders from the
 * organiser's settings (`InsightSettings`); {@link report} turns them into rows grouped by
 * product, category, round, channel, leader or region, and by day, week or month (Taipei time).
 *
 * ```ts
 * const r = Insights.report({ orders, comments, reviews, settings, from: "2026-01-01", to: "2026-12-31", by: "round" })
 * r.rows[0].profitPerOrder
 * ```
 *
 * Money is NT$; figures that are shares of an order's costs (a product's part of the shipping,
 * fees and fixed costs) are kept unrounded so that parts add up to their whole exactly.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { match } from "ts-pattern"

// ---------------------------------------------------------------------------------------------
// Facts

/** One line of an order, with the unit cost it is costed at (0 when the organiser set none). */
export const LineFact = Schema.Struct({
  sku: Schema.String,
  /** The product (the round file's product SKU) the line's SKU belongs to. */
  product: Schema.String,
  /** The organiser's category of the product (the product when none was set). */
  category: Schema.String,
  qty: Schema.Int,
  unitPrice: Schema.Int,
  unitCost: Schema.Number
})
/** One line of an order (see the Schema). */
export type LineFact = typeof LineFact.Type

/** Money received for an order: how it came (`statement`, `gateway`, `cash`) and the gateway when known. */
export const PaymentFact = Schema.Struct({
  source: Schema.String,
  gateway: Schema.optional(Schema.String),
  amount: Schema.Int
})
/** See {@link PaymentFact}. */
export type PaymentFact = typeof PaymentFact.Type

/** Units of a SKU that left on a delivery, and when. */
export const ShippedFact = Schema.Struct({ sku: Schema.String, qty: Schema.Int, at: Schema.String })
/** See {@link ShippedFact}. */
export type ShippedFact = typeof ShippedFact.Type

/** One delivery (a shipment), its method (`home`, `cvs`, `pickup`) for the shipping cost. */
export const DeliveryFact = Schema.Struct({ method: Schema.String, at: Schema.String })
/** See {@link DeliveryFact}. */
export type DeliveryFact = typeof DeliveryFact.Type

/** Units of a SKU that came back, their value (NT$ at the order's price) and why. */
export const ReturnedFact = Schema.Struct({
  sku: Schema.String,
  qty: Schema.Int,
  value: Schema.Number,
  reason: Schema.String,
  at: Schema.String
})
/** See {@link ReturnedFact}. */
export type ReturnedFact = typeof ReturnedFact.Type

/** One order as the insights see it. `status` `cancelled` orders are not valid orders. */
export const OrderFact = Schema.Struct({
  orderId: Schema.String,
  roundId: Schema.String,
  buyerId: Schema.String,
  /** The channel (`line`, `facebook`…), from the buyer id. */
  channel: Schema.String,
  /** The conversation (LINE group, Facebook post…) the order came from, when known. */
  conversation: Schema.optional(Schema.String),
  placedAt: Schema.String,
  status: Schema.Literals(["confirmed", "cancelled", "refunded"]),
  lines: Schema.Array(LineFact),
  payments: Schema.Array(PaymentFact),
  deliveries: Schema.Array(DeliveryFact),
  shipped: Schema.Array(ShippedFact),
  returned: Schema.Array(ReturnedFact),
  /** NT$ given back to the buyer. */
  refunded: Schema.Int
})
/** See {@link OrderFact}. */
export type OrderFact = typeof OrderFact.Type

/** A comment of a buyer in a round, for conversion. */
export const CommentFact = Schema.Struct({
  roundId: Schema.String,
  buyerId: Schema.String,
  channel: Schema.String,
  conversation: Schema.optional(Schema.String),
  at: Schema.String,
  /** It read as an order (ordered, not ordered for stock or time, or sent to review). */
  lookedLikeOrder: Schema.Boolean,
  /** It became (part of) an order. */
  becameOrder: Schema.Boolean
})
/** See {@link CommentFact}. */
export type CommentFact = typeof CommentFact.Type

/** A comment that needed the organiser (a review item), and when they acted on it. */
export const ReviewFact = Schema.Struct({
  roundId: Schema.String,
  channel: Schema.String,
  conversation: Schema.optional(Schema.String),
  at: Schema.String,
  resolvedAt: Schema.optional(Schema.String)
})
/** See {@link ReviewFact}. */
export type ReviewFact = typeof ReviewFact.Type

// ---------------------------------------------------------------------------------------------
// Settings: costs and leaders (data the organiser sets)

/** A neighbourhood leader (團長): pickup point, region, commission and the conversations they own. */
export const Leader = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1)),
  name: Schema.String,
  pickupPoint: Schema.optional(Schema.String),
  region: Schema.String,
  /** Share of the leader's net revenue paid as commission, 0–1 (0.05 = 5%). */
  commissionRate: Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  /** The channel conversations that are theirs: their orders are attributed to them. */
  conversations: Schema.Array(Schema.Struct({ channel: Schema.String, conversation: Schema.String }))
})
/** See {@link Leader}. */
export type Leader = typeof Leader.Type

/** A fixed or marketing cost of a round (`scope` a round id) or of a month (`scope` `YYYY-MM`). */
export const PeriodCost = Schema.Struct({
  id: Schema.String.check(Schema.isMinLength(1)),
  kind: Schema.Literals(["fixed", "marketing"]),
  scope: Schema.Union([
    Schema.TaggedStruct("Round", { roundId: Schema.String }),
    Schema.TaggedStruct("Month", { month: Schema.String.check(Schema.isPattern(/^\d{4}-\d{2}$/)) })
  ]),
  amount: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  label: Schema.optional(Schema.String)
})
/** See {@link PeriodCost}. */
export type PeriodCost = typeof PeriodCost.Type

/** Everything the organiser sets for the insights. */
export const Settings = Schema.Struct({
  /** Unit cost per SKU (overrides the round file's `cost`). */
  unitCosts: Schema.Record(Schema.String, Schema.Number),
  /** Shipping cost per delivery, per method (`home`, `cvs`, `pickup`). */
  shippingCosts: Schema.Record(Schema.String, Schema.Number),
  /** Fee rate per gateway id (`ecpay`) or payment source (`gateway`, `statement`, `cash`), 0–1. */
  feeRates: Schema.Record(Schema.String, Schema.Number),
  /** Category per product SKU. */
  categories: Schema.Record(Schema.String, Schema.String),
  costs: Schema.Array(PeriodCost),
  leaders: Schema.Array(Leader)
})
/** See {@link Settings}. */
export type Settings = typeof Settings.Type

/** No costs, no leaders. */
export const emptySettings: Settings = {
  unitCosts: {},
  shippingCosts: {},
  feeRates: {},
  categories: {},
  costs: [],
  leaders: []
}

// ---------------------------------------------------------------------------------------------
// Time: Taipei calendar

const OFFSET_MS = 8 * 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

/** The Taipei calendar date (`YYYY-MM-DD`) of an instant. */
export const taipeiDate = (iso: string): string => new Date(Date.parse(iso) + OFFSET_MS).toISOString().slice(0, 10)

/** The Taipei month (`YYYY-MM`) of an instant. */
export const taipeiMonth = (iso: string): string => taipeiDate(iso).slice(0, 7)

/** The Monday (`YYYY-MM-DD`) of the Taipei week of an instant. */
export const taipeiWeek = (iso: string): string => {
  const d = new Date(`${taipeiDate(iso)}T00:00:00Z`)
  const back = (d.getUTCDay() + 6) % 7
  return new Date(d.getTime() - back * DAY_MS).toISOString().slice(0, 10)
}

/** How rows are split in time. */
export const Period = Schema.Literals(["all", "day", "week", "month"])
/** See {@link Period}. */
export type Period = typeof Period.Type

const periodOf = (period: Period, iso: string): string =>
  match(period)
    .with("all", () => "all")
    .with("day", () => taipeiDate(iso))
    .with("week", () => taipeiWeek(iso))
    .with("month", () => taipeiMonth(iso))
    .exhaustive()

// ---------------------------------------------------------------------------------------------
// Statistics

/** The arithmetic mean; null when there is nothing. */
export const mean = (xs: ReadonlyArray<number>): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length

/**
 * The p-th quantile (0–1) by the nearest-rank method: the smallest value with at least p of the
 * values at or below it; null when there is nothing. The median is `quantile(xs, 0.5)`.
 */
export const quantile = (xs: ReadonlyArray<number>, p: number): number | null => {
  if (xs.length === 0) return null
  const sorted = [...xs].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil(p * sorted.length))
  return sorted[rank - 1]!
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b)

// ---------------------------------------------------------------------------------------------
// Costs of an order

const orderValue = (o: OrderFact) => o.lines.reduce((t, l) => t + l.qty * l.unitPrice, 0)

/** The fee of one payment: its gateway's rate, else its source's, else 0. */
export const feeOf = (settings: Settings, p: PaymentFact): number =>
  p.amount * (settings.feeRates[p.gateway ?? ""] ?? settings.feeRates[p.source] ?? 0)

/** The leader who owns the order's (or comment's) conversation, when any. */
export const leaderOf = (settings: Settings, channel: string, conversation: string | undefined): Leader | undefined =>
  conversation === undefined
    ? undefined
    : settings.leaders.find((l) =>
        l.conversations.some((c) => c.channel === channel && c.conversation === conversation)
      )

/** Whether an order counts (a valid order): confirmed, not cancelled. Refunded orders count, with their refund as a cost. */
export const isValid = (o: OrderFact): boolean => o.status !== "cancelled"

/** What the organiser names a leader-less or region-less row. */
export const UNATTRIBUTED = "(none)"

/** The allocation of the fixed and marketing costs to orders, by revenue share within each cost's scope. */
export interface Allocation {
  /** Order id → NT$ of fixed costs it carries. */
  readonly fixed: ReadonlyMap<string, number>
  /** Order id → NT$ of marketing costs it carries. */
  readonly marketing: ReadonlyMap<string, number>
  /** Costs whose scope had no revenue (nothing to carry them): kept in the totals only. */
  readonly unallocated: number
}

/**
 * Allocates each cost to the valid orders of its scope (a round's orders; a month's orders by
 * Taipei placement month) in proportion to their revenue. Every cost is either allocated in full
 * or, when its scope has no revenue, `unallocated`: the allocations plus `unallocated` sum to the
 * costs' total.
 */
export const allocate = (orders: ReadonlyArray<OrderFact>, costs: ReadonlyArray<PeriodCost>): Allocation => {
  const fixed = new Map<string, number>()
  const marketing = new Map<string, number>()
  let unallocated = 0
  const byRound = new Map<string, Array<OrderFact>>()
  const byMonth = new Map<string, Array<OrderFact>>()
  for (const o of orders) {
    if (!isValid(o)) continue
    const r = byRound.get(o.roundId) ?? []
    r.push(o)
    byRound.set(o.roundId, r)
    const m = taipeiMonth(o.placedAt)
    const ms = byMonth.get(m) ?? []
    ms.push(o)
    byMonth.set(m, ms)
  }
  for (const c of costs) {
    const scope = c.scope._tag === "Round" ? (byRound.get(c.scope.roundId) ?? []) : (byMonth.get(c.scope.month) ?? [])
    const revenue = scope.reduce((t, o) => t + orderValue(o), 0)
    if (revenue <= 0) {
      unallocated += c.amount
      continue
    }
    const into = c.kind === "fixed" ? fixed : marketing
    for (const o of scope) into.set(o.orderId, (into.get(o.orderId) ?? 0) + (c.amount * orderValue(o)) / revenue)
  }
  return { fixed, marketing, unallocated }
}

// ---------------------------------------------------------------------------------------------
// The report

/** What rows are grouped by (besides the period). */
export const Dimension = Schema.Literals(["total", "product", "category", "round", "channel", "leader", "region"])
/** See {@link Dimension}. */
export type Dimension = typeof Dimension.Type

/** What {@link report} needs. */
export interface ReportInput {
  readonly orders: ReadonlyArray<OrderFact>
  readonly comments: ReadonlyArray<CommentFact>
  readonly reviews: ReadonlyArray<ReviewFact>
  readonly settings: Settings
  /** First Taipei date in the report (inclusive), `YYYY-MM-DD`; none: from the beginning. */
  readonly from?: string | undefined
  /** Last Taipei date in the report (inclusive); none: to the end. */
  readonly to?: string | undefined
  readonly by?: Dimension | undefined
  readonly period?: Period | undefined
}

/** One row of the report: the KPIs of one group (and period). Nulls: undefined (nothing to divide by). */
export const Row = Schema.Struct({
  period: Schema.String,
  key: Schema.String,
  /** Valid orders (for a product or category: valid orders with a line of it). */
  orders: Schema.Int,
  buyers: Schema.Int,
  units: Schema.Int,
  revenue: Schema.Number,
  costOfGoods: Schema.Number,
  shippingCost: Schema.Number,
  paymentFees: Schema.Number,
  refunds: Schema.Number,
  commission: Schema.Number,
  fixedCosts: Schema.Number,
  marketingCosts: Schema.Number,
  profit: Schema.Number,
  profitPerOrder: Schema.NullOr(Schema.Number),
  /** (revenue − cost of goods) ÷ revenue. */
  grossMargin: Schema.NullOr(Schema.Number),
  /** revenue ÷ marketing costs (return on marketing spend). */
  marketingReturn: Schema.NullOr(Schema.Number),
  averageOrderValue: Schema.NullOr(Schema.Number),
  shippedLines: Schema.Int,
  daysToShipMean: Schema.NullOr(Schema.Number),
  daysToShipMedian: Schema.NullOr(Schema.Number),
  shippedUnits: Schema.Int,
  returnedUnits: Schema.Int,
  shippedValue: Schema.Number,
  returnedValue: Schema.Number,
  returnRateUnits: Schema.NullOr(Schema.Number),
  returnRateValue: Schema.NullOr(Schema.Number),
  reviewItems: Schema.Int,
  openReviewItems: Schema.Int,
  responseHoursMedian: Schema.NullOr(Schema.Number),
  responseHoursP90: Schema.NullOr(Schema.Number),
  commenters: Schema.Int,
  commentersWhoOrdered: Schema.Int,
  buyerConversion: Schema.NullOr(Schema.Number),
  orderLikeComments: Schema.Int,
  commentsThatOrdered: Schema.Int,
  commentConversion: Schema.NullOr(Schema.Number),
  repeatBuyers: Schema.Int,
  repurchaseRate: Schema.NullOr(Schema.Number),
  lifetimeValue: Schema.NullOr(Schema.Number)
})
/** See {@link Row}. */
export type Row = typeof Row.Type

/** The report: its rows (by period, then by profit, highest first) and the whole's row. */
export const Report = Schema.Struct({
  from: Schema.NullOr(Schema.String),
  to: Schema.NullOr(Schema.String),
  by: Dimension,
  period: Period,
  rows: Schema.Array(Row),
  total: Row,
  /** Fixed and marketing costs whose round or month had no revenue to carry them. */
  unallocatedCosts: Schema.Number
})
/** See {@link Report}. */
export type Report = typeof Report.Type

interface Acc {
  orders: Set<string>
  buyers: Set<string>
  roundsOfBuyer: Map<string, Set<string>>
  units: number
  revenue: number
  costOfGoods: number
  shippingCost: number
  paymentFees: number
  refunds: number
  commission: number
  fixedCosts: number
  marketingCosts: number
  shipDays: Array<number>
  shippedUnits: number
  returnedUnits: number
  shippedValue: number
  returnedValue: number
  response: Array<number>
  reviewItems: number
  openReviewItems: number
  commenters: Set<string>
  orderers: Set<string>
  orderLike: number
  ordered: number
}

const newAcc = (): Acc => ({
  orders: new Set(),
  buyers: new Set(),
  roundsOfBuyer: new Map(),
  units: 0,
  revenue: 0,
  costOfGoods: 0,
  shippingCost: 0,
  paymentFees: 0,
  refunds: 0,
  commission: 0,
  fixedCosts: 0,
  marketingCosts: 0,
  shipDays: [],
  shippedUnits: 0,
  returnedUnits: 0,
  shippedValue: 0,
  returnedValue: 0,
  response: [],
  reviewItems: 0,
  openReviewItems: 0,
  commenters: new Set(),
  orderers: new Set(),
  orderLike: 0,
  ordered: 0
})

const inRange = (iso: string, from: string | undefined, to: string | undefined): boolean => {
  const d = taipeiDate(iso)
  return (from === undefined || d >= from) && (to === undefined || d <= to)
}

const HOUR_MS = 60 * 60 * 1000

/**
 * The KPIs of these facts (docs/insights.md): orders placed in [`from`, `to`] (Taipei dates),
 * grouped by `by` (default `total`) and `period` (default `all`). Pure: the same facts and
 * settings always give the same report.
 */
export const report = (input: ReportInput): Report => {
  const { settings, from, to } = input
  const by = input.by ?? "total"
  const period = input.period ?? "all"
  const allocation = allocate(input.orders, settings.costs)
  const groups = new Map<string, { period: string; key: string; acc: Acc }>()
  const total = newAcc()
  const accOf = (p: string, key: string): Acc => {
    const id = `${p}\u0000${key}`
    let g = groups.get(id)
    if (g === undefined) {
      g = { period: p, key, acc: newAcc() }
      groups.set(id, g)
    }
    return g.acc
  }
  const leaderKey = (channel: string, conversation: string | undefined) =>
    leaderOf(settings, channel, conversation)?.id ?? UNATTRIBUTED
  const regionKey = (channel: string, conversation: string | undefined) =>
    leaderOf(settings, channel, conversation)?.region ?? UNATTRIBUTED

  // Lifetime revenue per buyer: every valid order placed up to `to`.
  const lifetime = new Map<string, number>()
  for (const o of input.orders) {
    if (!isValid(o) || (to !== undefined && taipeiDate(o.placedAt) > to)) continue
    lifetime.set(o.buyerId, (lifetime.get(o.buyerId) ?? 0) + orderValue(o) - o.refunded)
  }

  for (const o of input.orders) {
    if (!isValid(o) || !inRange(o.placedAt, from, to)) continue
    const p = periodOf(period, o.placedAt)
    const value = orderValue(o)
    const leader = leaderOf(settings, o.channel, o.conversation)
    // Order-level costs, shared by its lines by revenue share (by units when it has no revenue).
    const units = o.lines.reduce((t, l) => t + l.qty, 0)
    const shipping = o.deliveries.reduce((t, d) => t + (settings.shippingCosts[d.method] ?? 0), 0)
    const fees = o.payments.reduce((t, pay) => t + feeOf(settings, pay), 0)
    const fixed = allocation.fixed.get(o.orderId) ?? 0
    const marketing = allocation.marketing.get(o.orderId) ?? 0
    const commission = (value - o.refunded) * (leader?.commissionRate ?? 0)
    const placed = Date.parse(o.placedAt)
    const share = (l: LineFact) => (value > 0 ? (l.qty * l.unitPrice) / value : units > 0 ? l.qty / units : 0)
    const priceOf = new Map(o.lines.map((l) => [l.sku, l.unitPrice]))
    const targets = (l: LineFact): ReadonlyArray<Acc> => {
      const key = match(by)
        .with("total", () => "total")
        .with("product", () => l.product)
        .with("category", () => l.category)
        .with("round", () => o.roundId)
        .with("channel", () => o.channel)
        .with("leader", () => leaderKey(o.channel, o.conversation))
        .with("region", () => regionKey(o.channel, o.conversation))
        .exhaustive()
      return [accOf(p, key), total]
    }
    const lineOf = new Map<string, LineFact>()
    for (const l of o.lines) {
      lineOf.set(l.sku, l)
      const s = share(l)
      const returnedQty = o.returned.filter((r) => r.sku === l.sku).reduce((t, r) => t + r.qty, 0)
      for (const a of targets(l)) {
        a.orders.add(o.orderId)
        a.buyers.add(o.buyerId)
        const rounds = a.roundsOfBuyer.get(o.buyerId) ?? new Set()
        rounds.add(o.roundId)
        a.roundsOfBuyer.set(o.buyerId, rounds)
        a.units += l.qty
        a.revenue += l.qty * l.unitPrice
        a.costOfGoods += Math.max(0, l.qty - returnedQty) * l.unitCost
        a.shippingCost += shipping * s
        a.paymentFees += fees * s
        a.refunds += o.refunded * s
        a.commission += commission * s
        a.fixedCosts += fixed * s
        a.marketingCosts += marketing * s
      }
    }
    for (const sh of o.shipped) {
      const l = lineOf.get(sh.sku)
      if (l === undefined) continue
      for (const a of targets(l)) {
        a.shipDays.push((Date.parse(sh.at) - placed) / DAY_MS)
        a.shippedUnits += sh.qty
        a.shippedValue += sh.qty * (priceOf.get(sh.sku) ?? 0)
      }
    }
    for (const r of o.returned) {
      const l = lineOf.get(r.sku)
      if (l === undefined) continue
      for (const a of targets(l)) {
        a.returnedUnits += r.qty
        a.returnedValue += r.value
      }
    }
  }

  // Comments and review items carry no product: by product or category they go to no row (the total keeps them).
  const commentKey = (roundId: string, channel: string, conversation: string | undefined): string | undefined =>
    match(by)
      .with("total", () => "total")
      .with("product", "category", () => undefined)
      .with("round", () => roundId)
      .with("channel", () => channel)
      .with("leader", () => leaderKey(channel, conversation))
      .with("region", () => regionKey(channel, conversation))
      .exhaustive()
  for (const c of input.comments) {
    if (!inRange(c.at, from, to)) continue
    const key = commentKey(c.roundId, c.channel, c.conversation)
    const accs = key === undefined ? [total] : [accOf(periodOf(period, c.at), key), total]
    for (const a of accs) {
      // Buyer × round: the same buyer in two rounds is two commenters of the whole.
      const who = `${c.roundId}\u0000${c.buyerId}`
      a.commenters.add(who)
      if (c.becameOrder) a.orderers.add(who)
      if (c.lookedLikeOrder) a.orderLike++
      if (c.lookedLikeOrder && c.becameOrder) a.ordered++
    }
  }
  for (const r of input.reviews) {
    if (!inRange(r.at, from, to)) continue
    const key = commentKey(r.roundId, r.channel, r.conversation)
    const accs = key === undefined ? [total] : [accOf(periodOf(period, r.at), key), total]
    for (const a of accs) {
      a.reviewItems++
      if (r.resolvedAt === undefined) a.openReviewItems++
      else a.response.push((Date.parse(r.resolvedAt) - Date.parse(r.at)) / HOUR_MS)
    }
  }

  const rowOf = (p: string, key: string, a: Acc): Row => {
    const orders = a.orders.size
    const profit =
      a.revenue -
      a.costOfGoods -
      a.shippingCost -
      a.paymentFees -
      a.refunds -
      a.commission -
      a.fixedCosts -
      a.marketingCosts
    let repeat = 0
    let ltv = 0
    for (const [buyer, rounds] of a.roundsOfBuyer) {
      if (rounds.size >= 2) repeat++
      ltv += lifetime.get(buyer) ?? 0
    }
    return {
      period: p,
      key,
      orders,
      buyers: a.buyers.size,
      units: a.units,
      revenue: a.revenue,
      costOfGoods: a.costOfGoods,
      shippingCost: a.shippingCost,
      paymentFees: a.paymentFees,
      refunds: a.refunds,
      commission: a.commission,
      fixedCosts: a.fixedCosts,
      marketingCosts: a.marketingCosts,
      profit,
      profitPerOrder: ratio(profit, orders),
      grossMargin: ratio(a.revenue - a.costOfGoods, a.revenue),
      marketingReturn: ratio(a.revenue, a.marketingCosts),
      averageOrderValue: ratio(a.revenue, orders),
      shippedLines: a.shipDays.length,
      daysToShipMean: mean(a.shipDays),
      daysToShipMedian: quantile(a.shipDays, 0.5),
      shippedUnits: a.shippedUnits,
      returnedUnits: a.returnedUnits,
      shippedValue: a.shippedValue,
      returnedValue: a.returnedValue,
      returnRateUnits: ratio(a.returnedUnits, a.shippedUnits),
      returnRateValue: ratio(a.returnedValue, a.shippedValue),
      reviewItems: a.reviewItems,
      openReviewItems: a.openReviewItems,
      responseHoursMedian: quantile(a.response, 0.5),
      responseHoursP90: quantile(a.response, 0.9),
      commenters: a.commenters.size,
      commentersWhoOrdered: a.orderers.size,
      buyerConversion: ratio(a.orderers.size, a.commenters.size),
      orderLikeComments: a.orderLike,
      commentsThatOrdered: a.ordered,
      commentConversion: ratio(a.ordered, a.orderLike),
      repeatBuyers: repeat,
      repurchaseRate: ratio(repeat, a.roundsOfBuyer.size),
      lifetimeValue: ratio(ltv, a.roundsOfBuyer.size)
    }
  }
  const rows = [...groups.values()]
    .map((g) => rowOf(g.period, g.key, g.acc))
    .sort((a, b) =>
      a.period !== b.period ? (a.period < b.period ? -1 : 1) : b.profit - a.profit || (a.key < b.key ? -1 : 1)
    )
  return {
    from: from ?? null,
    to: to ?? null,
    by,
    period,
    rows,
    total: rowOf(period === "all" ? "all" : "total", "total", total),
    unallocatedCosts: allocation.unallocated
  }
}
