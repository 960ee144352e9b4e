/**
 * Member tags, tiers and replenishment as data and pure functions. The organiser's rules are a
 * value ({@link Rules}, decoded with its schema); evaluating them over a member's summary
 * ({@link Summary}, what the `members` read models give) at a given time gives the member's tags
 * (automatic and manual, plus `tier:<name>` and `channel:<id>`), which segments
 * (`Segment`) select from.
 *
 * Automatic tags (each rule can be left out):
 * - 新用戶 (`newMember`): the first order was within the last N days;
 * - 高頻消費 (`frequent`): ordered in ≥ N rounds within the last M days;
 * - 偏好<category> (`preference`): the category's share of spend ≥ a share (categories are SKU
 *   prefixes per category, {@link Rules.categories});
 * - 沉睡 (`dormant`): no order for N days (a member who never ordered is not dormant, but new).
 *
 * Tiers: the first rule (highest first) whose spend and order count, within its window, the
 * member reaches; else the default tier.
 *
 * Replenishment: per category, how long the last purchase lasts: from household facts (units
 * bought × servings per unit ÷ servings per week) or else from the member's own rhythm (the mean
 * gap between purchases of the category), with a reminder some days before it runs out.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"

const DAY = 86_400_000

const PositiveInt = Schema.Int.check(Schema.isGreaterThan(0))
const Share = Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }))

/** One tier rule: reached with at least this spend (NT$) and these orders, within `withinDays` (all time when absent). */
export const TierRule = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[^\s():]{1,20}$/u)),
  minSpend: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  minOrders: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  withinDays: Schema.optional(PositiveInt)
})
/** One tier rule. */
export type TierRule = typeof TierRule.Type

/** Replenishment settings of one category. */
export const Replenish = Schema.Struct({
  /** Servings one unit (a pack, a box) gives. */
  servingsPerUnit: PositiveInt,
  /** Litres one unit takes in the freezer (frozen goods: a full freezer caps what one purchase can hold). */
  litresPerUnit: Schema.optional(Schema.Number.check(Schema.isGreaterThan(0)))
})
/** Replenishment settings of one category. */
export type Replenish = typeof Replenish.Type

/** The organiser's member rules. */
export const Rules = Schema.Struct({
  /** Categories: name → SKU prefixes (`{ "生鮮": ["FISH-", "MEAT-"] }`). */
  categories: Schema.Record(Schema.String, Schema.Array(Schema.String)),
  newMember: Schema.optional(Schema.Struct({ tag: Schema.String, withinDays: PositiveInt })),
  frequent: Schema.optional(Schema.Struct({ tag: Schema.String, rounds: PositiveInt, withinDays: PositiveInt })),
  preference: Schema.optional(Schema.Struct({ prefix: Schema.String, minShare: Share })),
  dormant: Schema.optional(Schema.Struct({ tag: Schema.String, afterDays: PositiveInt })),
  /** Highest first. */
  tiers: Schema.Array(TierRule),
  defaultTier: Schema.String,
  /** Points per NT$ paid (0.01: one point per NT$100), and how long they last. */
  points: Schema.optional(
    Schema.Struct({ perTwd: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)), validDays: PositiveInt })
  ),
  replenish: Schema.optional(Schema.Record(Schema.String, Replenish)),
  /** How many days before the estimated run-out the reminder goes. */
  remindDaysBefore: Schema.optional(PositiveInt)
})
/** The organiser's member rules. */
export type Rules = typeof Rules.Type

/** Rules a new organiser starts with (Chinese tag names as the seeds use them). */
export const defaults: Rules = {
  categories: { 生鮮: ["FISH", "MEAT", "SEA"], 蔬果: ["VEG", "FRUIT"], 零食: ["SNACK"] },
  newMember: { tag: "新用戶", withinDays: 30 },
  frequent: { tag: "高頻消費", rounds: 4, withinDays: 60 },
  preference: { prefix: "偏好", minShare: 0.4 },
  dormant: { tag: "沉睡", afterDays: 90 },
  tiers: [
    { name: "VIP", minSpend: 20_000, minOrders: 10, withinDays: 365 },
    { name: "熟客", minSpend: 5_000, minOrders: 3, withinDays: 365 }
  ],
  defaultTier: "一般",
  points: { perTwd: 0.01, validDays: 365 },
  replenish: { 生鮮: { servingsPerUnit: 4, litresPerUnit: 2 } },
  remindDaysBefore: 3
}

/** One purchase as a summary keeps it: when, in which round, its lines (NT$). */
export interface Purchase {
  readonly at: string
  readonly roundId: string
  readonly lines: ReadonlyArray<{ readonly sku: string; readonly qty: number; readonly unitPrice: number }>
  readonly total: number
}

/** What the rules read of a member. */
export interface Summary {
  readonly memberId: string
  readonly identities: ReadonlyArray<string>
  /** Manual tags. */
  readonly tags: ReadonlyArray<string>
  /** Purchases (orders confirmed and not cancelled or refunded), any order. */
  readonly purchases: ReadonlyArray<Purchase>
  readonly household?:
    | {
        readonly householdSize?: number | undefined
        readonly freezerLitres?: number | undefined
        readonly weeklyServings?: Readonly<Record<string, number>> | undefined
      }
    | undefined
}

/** The numbers the tags and tiers are computed from. */
export interface Stats {
  readonly orders: number
  readonly rounds: number
  readonly spend: number
  readonly firstOrderAt: string | undefined
  readonly lastOrderAt: string | undefined
  /** NT$ per category (SKUs of no category are not counted). */
  readonly categorySpend: Readonly<Record<string, number>>
}

/** A compiled category matcher: the category of a SKU (undefined: none). */
export type CategoryOf = (sku: string) => string | undefined

/** The category of a SKU by the longest matching prefix (memoised per SKU). */
export const categoryMatcher = (categories: Rules["categories"]): CategoryOf => {
  const prefixes: Array<readonly [string, string]> = []
  for (const [cat, ps] of Object.entries(categories)) for (const p of ps) prefixes.push([p.toUpperCase(), cat])
  prefixes.sort((a, b) => b[0].length - a[0].length)
  const memo = new Map<string, string | undefined>()
  return (sku) => {
    if (memo.has(sku)) return memo.get(sku)
    const up = sku.toUpperCase()
    const hit = prefixes.find(([p]) => up.startsWith(p))?.[1]
    memo.set(sku, hit)
    return hit
  }
}

/** A member's numbers over all their purchases. */
export const stats = (summary: Summary, categoryOf: CategoryOf): Stats => {
  let spend = 0
  let first: number | undefined
  let last: number | undefined
  let firstAt: string | undefined
  let lastAt: string | undefined
  const rounds = new Set<string>()
  const categorySpend: Record<string, number> = {}
  for (const p of summary.purchases) {
    spend += p.total
    rounds.add(p.roundId)
    const t = Date.parse(p.at)
    if (first === undefined || t < first) {
      first = t
      firstAt = p.at
    }
    if (last === undefined || t > last) {
      last = t
      lastAt = p.at
    }
    for (const l of p.lines) {
      const c = categoryOf(l.sku)
      if (c !== undefined) categorySpend[c] = (categorySpend[c] ?? 0) + l.qty * l.unitPrice
    }
  }
  return {
    orders: summary.purchases.length,
    rounds: rounds.size,
    spend,
    firstOrderAt: firstAt,
    lastOrderAt: lastAt,
    categorySpend
  }
}

/** The rounds a member ordered in since `sinceMs`. */
const roundsSince = (purchases: ReadonlyArray<Purchase>, sinceMs: number): number => {
  const rounds = new Set<string>()
  for (const p of purchases) if (Date.parse(p.at) >= sinceMs) rounds.add(p.roundId)
  return rounds.size
}

/** The member's tier at `now`: the first tier rule reached, else the default tier. */
export const tierOf = (rules: Rules, summary: Summary, now: number): string => {
  for (const r of rules.tiers) {
    const since = r.withinDays === undefined ? Number.NEGATIVE_INFINITY : now - r.withinDays * DAY
    let spend = 0
    let orders = 0
    for (const p of summary.purchases) {
      const t = Date.parse(p.at)
      if (t < since || t > now) continue
      spend += p.total
      orders++
    }
    if (spend >= r.minSpend && orders >= r.minOrders) return r.name
  }
  return rules.defaultTier
}

/** The automatic tags at `now` (without manual tags, tier and channels). */
export const automaticTags = (rules: Rules, summary: Summary, s: Stats, now: number): Array<string> => {
  const out: Array<string> = []
  const first = s.firstOrderAt === undefined ? undefined : Date.parse(s.firstOrderAt)
  const last = s.lastOrderAt === undefined ? undefined : Date.parse(s.lastOrderAt)
  if (rules.newMember !== undefined && first !== undefined && now - first <= rules.newMember.withinDays * DAY)
    out.push(rules.newMember.tag)
  if (
    rules.frequent !== undefined &&
    roundsSince(summary.purchases, now - rules.frequent.withinDays * DAY) >= rules.frequent.rounds
  )
    out.push(rules.frequent.tag)
  if (rules.preference !== undefined && s.spend > 0)
    for (const [cat, n] of Object.entries(s.categorySpend))
      if (n > 0 && n / s.spend >= rules.preference.minShare) out.push(`${rules.preference.prefix}${cat}`)
  if (rules.dormant !== undefined && last !== undefined && now - last >= rules.dormant.afterDays * DAY)
    out.push(rules.dormant.tag)
  return out
}

/** A member evaluated: numbers, tier and every tag a segment can select. */
export interface Evaluated {
  readonly stats: Stats
  readonly tier: string
  /** Automatic and manual tags, `tier:<tier>` and `channel:<channel>` of each identity. */
  readonly tags: ReadonlySet<string>
}

/**
 * Evaluates the rules for one member at `now` (ms). Pass a {@link categoryMatcher} made once for
 * many members. One pass over the purchases (each time read once): the same answer as
 * {@link stats}, {@link tierOf} and {@link automaticTags} (a property test checks it).
 */
export const evaluate = (rules: Rules, summary: Summary, now: number, categoryOf?: CategoryOf): Evaluated => {
  const of = categoryOf ?? categoryMatcher(rules.categories)
  const tiers = rules.tiers
  const tierSince = tiers.map((r) => (r.withinDays === undefined ? Number.NEGATIVE_INFINITY : now - r.withinDays * DAY))
  const tierSpend = tiers.map(() => 0)
  const tierOrders = tiers.map(() => 0)
  const frequentSince = rules.frequent === undefined ? Number.POSITIVE_INFINITY : now - rules.frequent.withinDays * DAY
  const rounds = new Set<string>()
  const frequentRounds = new Set<string>()
  const categorySpend: Record<string, number> = {}
  let spend = 0
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  let firstAt: string | undefined
  let lastAt: string | undefined
  for (const p of summary.purchases) {
    const t = Date.parse(p.at)
    spend += p.total
    rounds.add(p.roundId)
    if (t < first) {
      first = t
      firstAt = p.at
    }
    if (t > last) {
      last = t
      lastAt = p.at
    }
    if (t >= frequentSince) frequentRounds.add(p.roundId)
    if (t <= now)
      for (let i = 0; i < tiers.length; i++)
        if (t >= tierSince[i]!) {
          tierSpend[i]! += p.total
          tierOrders[i]!++
        }
    for (const l of p.lines) {
      const c = of(l.sku)
      if (c !== undefined) categorySpend[c] = (categorySpend[c] ?? 0) + l.qty * l.unitPrice
    }
  }
  let tier = rules.defaultTier
  for (let i = 0; i < tiers.length; i++)
    if (tierSpend[i]! >= tiers[i]!.minSpend && tierOrders[i]! >= tiers[i]!.minOrders) {
      tier = tiers[i]!.name
      break
    }
  const tags = new Set<string>()
  if (rules.newMember !== undefined && firstAt !== undefined && now - first <= rules.newMember.withinDays * DAY)
    tags.add(rules.newMember.tag)
  if (rules.frequent !== undefined && frequentRounds.size >= rules.frequent.rounds) tags.add(rules.frequent.tag)
  if (rules.preference !== undefined && spend > 0)
    for (const cat in categorySpend) {
      const n = categorySpend[cat]!
      if (n > 0 && n / spend >= rules.preference.minShare) tags.add(`${rules.preference.prefix}${cat}`)
    }
  if (rules.dormant !== undefined && lastAt !== undefined && now - last >= rules.dormant.afterDays * DAY)
    tags.add(rules.dormant.tag)
  for (const t of summary.tags) tags.add(t)
  tags.add(`tier:${tier}`)
  for (const id of summary.identities) {
    const cut = id.indexOf(":")
    if (cut > 0) tags.add(`channel:${id.slice(0, cut)}`)
  }
  return {
    stats: {
      orders: summary.purchases.length,
      rounds: rounds.size,
      spend,
      firstOrderAt: firstAt,
      lastOrderAt: lastAt,
      categorySpend
    },
    tier,
    tags
  }
}

/** Points a payment of `amount` NT$ earns under the rules (whole points, rounded down). */
export const pointsFor = (rules: Rules, amount: number): number =>
  rules.points === undefined || amount <= 0 ? 0 : Math.floor(amount * rules.points.perTwd + 1e-9)

/** When the replenishment estimate came from: household facts or the member's own rhythm. */
export type Basis = "household" | "history"

/** One category's replenishment estimate. */
export interface Estimate {
  readonly category: string
  readonly lastPurchaseAt: string
  /** Units of the category in the last purchase. */
  readonly units: number
  /** How many days the last purchase lasts (low and high end). */
  readonly days: readonly [number, number]
  /** The earliest estimated run-out. */
  readonly runsOutAt: string
  /** When to remind: {@link Rules.remindDaysBefore} days before the run-out (never before the purchase). */
  readonly remindAt: string
  readonly basis: Basis
}

/**
 * Replenishment estimates per category for one member: capacity (units bought last time × servings
 * per unit, capped by the freezer when the category takes freezer room) ÷ rate (servings per week
 * from the household facts) gives the cycle; without household facts for a category, the mean
 * gap between the member's purchases of it (at least two). The range is ±25 % of the cycle.
 */
export const replenishment = (rules: Rules, summary: Summary, categoryOf?: CategoryOf): Array<Estimate> => {
  const of = categoryOf ?? categoryMatcher(rules.categories)
  const byCat = new Map<string, Array<{ t: number; at: string; units: number }>>()
  for (const p of summary.purchases) {
    const units = new Map<string, number>()
    for (const l of p.lines) {
      const c = of(l.sku)
      if (c !== undefined && l.qty > 0) units.set(c, (units.get(c) ?? 0) + l.qty)
    }
    for (const [c, n] of units) {
      let xs = byCat.get(c)
      if (xs === undefined) {
        xs = []
        byCat.set(c, xs)
      }
      xs.push({ t: Date.parse(p.at), at: p.at, units: n })
    }
  }
  const out: Array<Estimate> = []
  const remindDays = rules.remindDaysBefore ?? 3
  for (const [category, xs] of [...byCat].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    xs.sort((a, b) => a.t - b.t)
    const last = xs[xs.length - 1]!
    const settings = rules.replenish?.[category]
    const perWeek = summary.household?.weeklyServings?.[category]
    let cycle: number | undefined
    let basis: Basis = "household"
    if (settings !== undefined && perWeek !== undefined && perWeek > 0) {
      let units = last.units
      const freezer = summary.household?.freezerLitres
      if (settings.litresPerUnit !== undefined && freezer !== undefined)
        units = Math.min(units, Math.max(1, Math.floor(freezer / settings.litresPerUnit)))
      cycle = ((units * settings.servingsPerUnit) / perWeek) * 7
    } else if (xs.length >= 2) {
      basis = "history"
      cycle = (last.t - xs[0]!.t) / DAY / (xs.length - 1)
    }
    if (cycle === undefined || !(cycle > 0)) continue
    const low = Math.max(1, Math.round(cycle * 0.75))
    const high = Math.max(low, Math.round(cycle * 1.25))
    const runsOut = last.t + low * DAY
    const remind = Math.max(last.t, runsOut - remindDays * DAY)
    out.push({
      category,
      lastPurchaseAt: last.at,
      units: last.units,
      days: [low, high],
      runsOutAt: new Date(runsOut).toISOString(),
      remindAt: new Date(remind).toISOString(),
      basis
    })
  }
  return out
}
