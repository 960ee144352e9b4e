/**
 * The payment matcher's engine: the indexes, the per-transaction step and the bookkeeping behind
 * `Matcher.match`, tuned for V8 (one closure over mutable per-run state, lists grown only when
 * needed, an Aho–Corasick automaton over names and order ids). Fenced here behind the readable API
 * and documentation of `Matcher.ts` (the rules are there and in RECONCILE.md), which calls
 * {@link run}. Nothing here is kept between runs: every call builds its own state.
 *
 * @internal
 */

import type {
  Allocation,
  Application,
  Candidate,
  Decision,
  Evidence,
  Fit,
  Input,
  LearnedAccount,
  Order,
  OrderOutcome,
  OrderStatus,
  PriorPayment,
  Reason,
  Result,
  Status
} from "../Matcher.js"
import { type Transaction, taipeiOffsetMinutes } from "../Transaction.js"
import { build as buildAutomaton } from "./aho.js"
import { nfkc } from "./cells.js"

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

interface OrderState {
  readonly input: Order
  readonly orderId: string
  readonly buyer: BuyerState
  readonly due: number
  paid: number
  readonly placedMs: number | undefined
  readonly placedDay: number | undefined
  paidBy: Array<string>
  /** Transactions applied in this run. */
  appliedNow: Array<string>
  /** The amount bucket the order is in (its open amount), if open. */
  bucket: number | undefined
}

interface BuyerState {
  readonly id: string
  names: Array<string>
  orders: Array<OrderState>
  /** Reported last five digits (buyers have one or two: arrays are cheaper than maps here). */
  reported: Array<{ readonly last5: string; readonly via: "order" | "comment" }>
  reportedAmounts: Array<number>
  /** Learned accounts: bank code ("" = unknown) + last five, and from when (ms; -Infinity = always). */
  learned: Array<{
    readonly bankCode: string
    readonly last5: string
    readonly sinceMs: number
    readonly since?: string | undefined
  }>
  openTotal: number
  openCount: number
  totalBucket: number | undefined
}

const DAY_MS = 86_400_000

/**
 * Adds to a list held in a field. Most lists here get one element: `[x]` holds just that, where a
 * push on `[]` reserves 17 slots, and with tens of thousands of buyers and orders that is memory
 * the garbage collector keeps copying.
 */
const append = <A>(xs: Array<A>, x: A): Array<A> => {
  if (xs.length === 0) return [x]
  xs.push(x)
  return xs
}

/** The empty list buyers' and orders' lists start as: shared, so frozen (lists grow by {@link append}). */
const NONE: Array<never> = Object.freeze([]) as unknown as Array<never>

/**
 * An account or a name that is evidence for more buyers than this is "crowded": it only counts
 * for buyers who owe exactly the amount (so a shared account cannot make the matcher quadratic).
 */
const CROWD = 32
/** At most this many owing buyers are checked against a crowded account or name. */
const CROWD_POOL = 1000

// Text that `toLowerCase` could change: anything but ASCII other than A–Z, and CJK ideographs.
const HAS_CASE = /[^\x00-\x40\x5b-\x7f\u3400-\u4dbf\u4e00-\u9fff]/
// Whitespace that the normalisation changes: a run, one that is not a space, or at either end.
const ODD_SPACE = /\s\s|[^\S ]|^\s|\s$/

/** NFKC, lower case, whitespace runs as one space, trimmed (each step only where it changes something). */
const normaliseText = (s: string): string => {
  const n = nfkc(s)
  const t = HAS_CASE.test(n) ? n.toLowerCase() : n
  return ODD_SPACE.test(t) ? t.replace(/\s+/g, " ").trim() : t
}

/** True when `s` has two code points or more (`[...s].length >= 2`, without the array). */
const twoCodePoints = (s: string): boolean => {
  if (s.length !== 2) return s.length > 2
  const hi = s.charCodeAt(0)
  const lo = s.charCodeAt(1)
  return !(hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff)
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[a-z0-9_]/.test(c)

/** Order ids short or purely numeric enough to appear by chance are not searched in memos. */
const searchableOrderId = (id: string): boolean =>
  id.length >= 4 || (id.length >= 2 && /[a-z]/.test(id) && /\d/.test(id))

const dayNumber = (date: string): number => {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7))
  const d = Number(date.slice(8, 10))
  return Date.UTC(y, m - 1, d) / DAY_MS
}

const formatTwd = (n: number): string =>
  n > -1000 && n < 1000 ? `NT$${n}` : `NT$${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`

const orderStatus = (due: number, paid: number): OrderStatus =>
  paid <= 0 ? (due === 0 ? "paid" : "unpaid") : paid < due ? "partial" : paid === due ? "paid" : "overpaid"

const sortStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The parts of a transaction's tie-break key `bankCode|last5|memo|id`. */
const tiePart = (tx: Transaction, k: number): string =>
  k === 0 ? (tx.bankCode ?? "") : k === 1 ? (tx.last5 ?? "") : k === 2 ? tx.memo : tx.id

/**
 * Compares the tie-break keys `bankCode|last5|memo|id` of two transactions as `<` compares
 * strings (code unit by code unit, a prefix first), without building the keys.
 */
const compareTies = (a: Transaction, b: Transaction): number => {
  let ka = 0
  let kb = 0
  let sa = tiePart(a, 0)
  let sb = tiePart(b, 0)
  let ia = 0
  let ib = 0
  for (;;) {
    // The next code unit of each key: the part's own, then "|" between parts, -1 at the end.
    const ca = ia < sa.length ? sa.charCodeAt(ia) : ka < 3 ? 124 : -1
    const cb = ib < sb.length ? sb.charCodeAt(ib) : kb < 3 ? 124 : -1
    if (ca !== cb) return ca < cb ? -1 : 1
    if (ca === -1) return 0
    if (ia < sa.length) ia++
    else {
      sa = tiePart(a, ++ka)
      ia = 0
    }
    if (ib < sb.length) ib++
    else {
      sb = tiePart(b, ++kb)
      ib = 0
    }
  }
}

const isUntimed = (p: PriorPayment): boolean => p.at === undefined || Number.isNaN(Date.parse(p.at))

/** Payments with no time (or an unreadable one) that name no transaction of this run count from the start. */
const untimedPaid = (o: Order, txIds: { readonly has: (id: string) => boolean }): number => {
  let sum = 0
  for (const p of o.payments ?? [])
    if (isUntimed(p) && !(p.transactionId !== undefined && txIds.has(p.transactionId))) sum += p.amount
  return sum
}

/** `Matcher.match`: see there. Pure: the same input gives the same result. */
export const run = (input: Input): Result => {
  const windowDays = input.options?.windowDays ?? 30
  const offsetMin = input.options?.utcOffsetMinutes ?? taipeiOffsetMinutes
  const maxListed = input.options?.maxListed ?? 10
  const maxSubset = input.options?.maxSubsetOrders ?? 12
  const windowMs = windowDays * DAY_MS

  // The ids of this run's transactions, built only when some order carries earlier payments.
  let txIdSet: Set<string> | undefined
  const txIds = {
    has: (id: string): boolean => {
      if (txIdSet === undefined) txIdSet = new Set(input.transactions.map((t) => t.id))
      return txIdSet.has(id)
    }
  }

  // --- buyers and orders -----------------------------------------------------------------------
  const buyers = new Map<string, BuyerState>()
  const orders: Array<OrderState> = []
  const ordersById = new Map<string, OrderState>()
  let duplicateIds = false
  for (const o of input.orders) {
    let b = buyers.get(o.buyer.id)
    if (!b) {
      b = {
        id: o.buyer.id,
        names: NONE,
        orders: NONE,
        reported: NONE,
        reportedAmounts: NONE,
        learned: NONE,
        openTotal: 0,
        openCount: 0,
        totalBucket: undefined
      }
      buyers.set(o.buyer.id, b)
    }
    const name = o.buyer.name?.trim()
    if (name && !b.names.includes(name)) b.names = append(b.names, name)
    const l5 = o.last5
    if (l5 !== undefined && !b.reported.some((r) => r.last5 === l5))
      b.reported = append(b.reported, { last5: l5, via: "order" })
    const placedMs = o.placedAt === undefined ? undefined : Date.parse(o.placedAt)
    const valid = placedMs !== undefined && !Number.isNaN(placedMs)
    const s: OrderState = {
      input: o,
      orderId: o.orderId,
      buyer: b,
      due: o.amountDue,
      paid: (o.paid ?? 0) + (o.payments === undefined ? 0 : untimedPaid(o, txIds)),
      placedMs: valid ? placedMs : undefined,
      placedDay: valid ? Math.floor((placedMs + offsetMin * 60_000) / DAY_MS) : undefined,
      paidBy: NONE,
      appliedNow: NONE,
      bucket: undefined
    }
    if (!ordersById.has(o.orderId)) ordersById.set(o.orderId, s)
    else duplicateIds = true
    orders.push(s)
    b.orders = append(b.orders, s)
  }
  for (const r of input.reports ?? []) {
    const b = buyers.get(r.buyerId)
    if (!b) continue
    const l5 = r.last5
    if (l5 !== undefined && !b.reported.some((x) => x.last5 === l5))
      b.reported = append(b.reported, { last5: l5, via: "comment" })
    if (r.amount !== undefined && !b.reportedAmounts.includes(r.amount))
      b.reportedAmounts = append(b.reportedAmounts, r.amount)
  }
  const orderKey = (a: OrderState, b: OrderState): number =>
    (a.placedMs ?? Number.NEGATIVE_INFINITY) - (b.placedMs ?? Number.NEGATIVE_INFINITY) ||
    sortStrings(a.orderId, b.orderId)
  for (const b of buyers.values()) {
    if (b.orders.length > 1) b.orders.sort(orderKey)
    if (b.names.length > 1) b.names.sort(sortStrings)
  }
  const buyersById = [...buyers.values()].sort((x, y) => sortStrings(x.id, y.id))

  // --- indexes ---------------------------------------------------------------------------------
  const byOpen = new Map<number, Set<OrderState>>()
  const byTotal = new Map<number, Set<BuyerState>>()
  const open = (o: OrderState): number => Math.max(0, o.due - o.paid)
  const removeFrom = <K, V>(m: Map<K, Set<V>>, k: K | undefined, v: V): void => {
    if (k === undefined) return
    const s = m.get(k)
    if (!s) return
    s.delete(v)
    if (s.size === 0) m.delete(k)
  }
  const addTo = <K, V>(m: Map<K, Set<V>>, k: K, v: V): void => {
    const s = m.get(k)
    if (s) s.add(v)
    else m.set(k, new Set([v]))
  }
  const reindexBuyer = (b: BuyerState): void => {
    removeFrom(byTotal, b.totalBucket, b)
    b.totalBucket = undefined
    if (b.openCount >= 2) {
      b.totalBucket = b.openTotal
      addTo(byTotal, b.openTotal, b)
    }
  }
  const setPaid = (o: OrderState, paid: number): void => {
    const before = open(o)
    o.paid = paid
    const after = open(o)
    if (before === after) return
    removeFrom(byOpen, o.bucket, o)
    o.bucket = undefined
    if (after > 0) {
      o.bucket = after
      addTo(byOpen, after, o)
    }
    o.buyer.openTotal += after - before
    o.buyer.openCount += (after > 0 ? 1 : 0) - (before > 0 ? 1 : 0)
    reindexBuyer(o.buyer)
  }
  // Each bucket holds its orders in a canonical order, so that iteration never depends on input
  // order (sorting each bucket gives the same order as inserting from one sorted list).
  const buckets = new Map<number, Array<OrderState>>()
  for (const o of orders) {
    const op = open(o)
    if (op > 0) {
      o.bucket = op
      const g = buckets.get(op)
      if (g) g.push(o)
      else buckets.set(op, [o])
      o.buyer.openTotal += op
      o.buyer.openCount += 1
    }
  }
  for (const [op, g] of buckets) byOpen.set(op, new Set(g.length > 1 ? g.sort(orderKey) : g))
  for (const b of buyersById) reindexBuyer(b)

  // last five digits → buyers (arrays: most keys have one buyer; a Set is made only for crowded keys)
  const reportedIndex = new Map<string, Array<BuyerState>>()
  const learnedIndex = new Map<string, Array<BuyerState>>()
  const push = <K, V>(m: Map<K, Array<V>>, k: K, v: V): void => {
    const a = m.get(k)
    if (a === undefined) m.set(k, [v])
    else if (!a.includes(v)) a.push(v)
  }
  const crowdSets = new Map<Array<BuyerState>, { readonly size: number; readonly set: Set<BuyerState> }>()
  const setOf = (a: Array<BuyerState>): Set<BuyerState> => {
    const c = crowdSets.get(a)
    if (c !== undefined && c.size === a.length) return c.set
    const set = new Set(a)
    crowdSets.set(a, { size: a.length, set })
    return set
  }
  for (const b of buyersById) for (const r of b.reported) push(reportedIndex, r.last5, b)
  const learn = (
    b: BuyerState,
    bankCode: string,
    last5: string,
    sinceMs: number,
    since: string | undefined
  ): boolean => {
    const existing = b.learned.find((l) => l.last5 === last5 && l.bankCode === bankCode)
    if (existing && existing.sinceMs <= sinceMs) return false
    b.learned = append(b.learned, { bankCode, last5, sinceMs, since })
    push(learnedIndex, last5, b)
    return true
  }

  // Names and order ids for memo search.
  const patterns: Array<string> = []
  const patternTargets: Array<
    | { readonly kind: "name"; readonly buyers: Array<BuyerState>; readonly name: string; set?: Set<BuyerState> }
    | { readonly kind: "order"; readonly order: OrderState }
  > = []
  const namePattern = new Map<string, number>()
  for (const b of buyersById)
    for (const n of b.names) {
      const key = normaliseText(n)
      if (!twoCodePoints(key)) continue
      const existing = namePattern.get(key)
      if (existing !== undefined) {
        const t = patternTargets[existing]!
        if (t.kind === "name" && !t.buyers.includes(b)) t.buyers.push(b)
        continue
      }
      namePattern.set(key, patterns.length)
      patterns.push(key)
      patternTargets.push({ kind: "name", buyers: [b], name: n })
    }
  for (const o of [...ordersById.values()].sort((x, y) => sortStrings(x.orderId, y.orderId))) {
    const key = normaliseText(o.orderId)
    if (!searchableOrderId(key)) continue
    patterns.push(key)
    patternTargets.push({ kind: "order", order: o })
  }
  const automaton = buildAutomaton(patterns)

  // Gateway merchant order numbers: the order id itself, or its gateway-safe form.
  const safe = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "")
  // Built on the first gateway transaction that names an order (statements never do).
  let bySafeId: Map<string, OrderState | null> | undefined
  const safeIndex = (): Map<string, OrderState | null> => {
    const m = new Map<string, OrderState | null>()
    for (const o of ordersById.values()) {
      const k = safe(o.orderId)
      m.set(k, m.has(k) ? null : o)
    }
    return m
  }
  const orderForRef = (ref: string): OrderState | undefined => {
    const o = ordersById.get(ref)
    if (o !== undefined) return o
    if (bySafeId === undefined) bySafeId = safeIndex()
    return bySafeId.get(safe(ref)) ?? undefined
  }

  // --- timeline --------------------------------------------------------------------------------
  // Processing order (see Transaction.compare). Rows of one statement day share their `at`.
  let lastAt = ""
  let lastMs = Number.NaN
  const txs = input.transactions.map((tx) => {
    if (tx.at !== lastAt) {
      lastAt = tx.at
      lastMs = Date.parse(tx.at)
    }
    return { tx, ms: lastMs }
  })
  txs.sort((a, b) => a.ms - b.ms || a.tx.amount - b.tx.amount || compareTies(a.tx, b.tx))

  const applied = new Set<string>(input.applied ?? [])
  const linkedPayments = new Map<string, Array<{ readonly order: OrderState; readonly amount: number }>>()
  const timedPayments: Array<{
    readonly order: OrderState
    readonly amount: number
    readonly ms: number
    readonly txId?: string | undefined
  }> = []
  for (const o of orders) {
    for (const p of o.input.payments ?? []) {
      if (p.transactionId !== undefined) applied.add(p.transactionId)
      if (p.transactionId !== undefined && txIds.has(p.transactionId)) {
        const l = linkedPayments.get(p.transactionId)
        if (l) l.push({ order: o, amount: p.amount })
        else linkedPayments.set(p.transactionId, [{ order: o, amount: p.amount }])
      } else if (!isUntimed(p))
        timedPayments.push({ order: o, amount: p.amount, ms: Date.parse(p.at!), txId: p.transactionId })
      else if (p.transactionId !== undefined) o.paidBy = append(o.paidBy, p.transactionId)
    }
  }
  for (const l of linkedPayments.values()) l.sort((a, b) => sortStrings(a.order.orderId, b.order.orderId))
  timedPayments.sort((a, b) => a.ms - b.ms || sortStrings(a.order.orderId, b.order.orderId))
  const applyPrior = (order: OrderState, amount: number, txId: string | undefined): void => {
    setPaid(order, order.paid + amount)
    if (txId !== undefined) order.paidBy = append(order.paidBy, txId)
  }
  const timedLearned: Array<{ readonly b: BuyerState; readonly l: LearnedAccount; readonly ms: number }> = []
  const learnedInput = [...(input.learned ?? [])].sort(
    (x, y) =>
      sortStrings(x.buyerId, y.buyerId) ||
      sortStrings(x.last5, y.last5) ||
      sortStrings(x.bankCode ?? "", y.bankCode ?? "")
  )
  for (const l of learnedInput) {
    const b = buyers.get(l.buyerId)
    if (!b) continue
    const ms = l.since === undefined ? Number.NaN : Date.parse(l.since)
    if (Number.isNaN(ms)) learn(b, l.bankCode ?? "", l.last5, Number.NEGATIVE_INFINITY, undefined)
    else timedLearned.push({ b, l, ms })
  }
  timedLearned.sort((a, b) => a.ms - b.ms)
  let nextPayment = 0
  let nextLearned = 0

  // --- deciding --------------------------------------------------------------------------------
  const decisions: Array<Decision> = []
  const applications: Array<Application> = []
  const learnedNow: Array<LearnedAccount> = []
  const seen = new Set<string>()

  // The calendar day of the transaction being decided (for date-only rows), set once per step.
  let txDay = 0
  const inWindow = (o: OrderState, tx: Transaction, ms: number): boolean => {
    if (o.placedMs === undefined) return true
    if (tx.time === undefined) {
      const d = txDay
      return d >= o.placedDay! && d <= o.placedDay! + windowDays
    }
    return ms >= o.placedMs && ms <= o.placedMs + windowMs
  }

  // Objects are built whole, with every key (some undefined): conditional spreads are slow in V8.
  const decision = (
    tx: Transaction,
    status: Status,
    reason: Reason,
    explanation: string,
    rest: {
      readonly orderIds?: ReadonlyArray<string>
      readonly buyerId?: string
      readonly allocations?: ReadonlyArray<Allocation>
      readonly candidates?: ReadonlyArray<Candidate>
      readonly candidateCount?: number
      readonly evidence?: ReadonlyArray<Evidence>
      readonly detail?: "partial" | "overpaid" | undefined
    } = {}
  ): Decision => ({
    transactionId: tx.id,
    row: tx.row,
    at: tx.at,
    amount: tx.amount,
    bankCode: tx.bankCode,
    last5: tx.last5,
    status,
    reason,
    detail: rest.detail,
    orderIds: rest.orderIds ?? [],
    buyerId: rest.buyerId,
    allocations: rest.allocations ?? [],
    candidates: rest.candidates ?? [],
    candidateCount: rest.candidateCount ?? 0,
    evidence: rest.evidence ?? [],
    explanation
  })
  const simple = (
    tx: Transaction,
    status: Status,
    reason: Reason,
    explanation: string,
    evidence: ReadonlyArray<Evidence> = []
  ): Decision => decision(tx, status, reason, explanation, { evidence })

  /** Buyers with an open order, or all open orders together, of exactly `amount` (in index order). */
  const buyersOwing = (amount: number): ReadonlyArray<BuyerState> => {
    const out: Array<BuyerState> = []
    const seenB = new Set<BuyerState>()
    const singles = byOpen.get(amount)
    if (singles)
      for (const o of singles) {
        if (seenB.size >= CROWD_POOL) break
        if (!seenB.has(o.buyer)) {
          seenB.add(o.buyer)
          out.push(o.buyer)
        }
      }
    const totals = byTotal.get(amount)
    if (totals)
      for (const b of totals) {
        if (seenB.size >= CROWD_POOL) break
        if (!seenB.has(b)) {
          seenB.add(b)
          out.push(b)
        }
      }
    return out
  }

  // Reused for every transaction (cleared, not reallocated).
  const identity = new Map<BuyerState, Array<Evidence>>()
  /** The keys of `identity`, in insertion order. */
  const identified: Array<BuyerState> = []
  const namedOrders = new Map<BuyerState, Set<OrderState>>()
  const explicit = new Set<BuyerState>()
  const addEvidence = (b: BuyerState, e: Evidence): void => {
    const a = identity.get(b)
    if (a) a.push(e)
    else {
      identity.set(b, [e])
      identified.push(b)
    }
  }

  /** The memo or the gateway names order `o`: evidence for its buyer, who is named explicitly. */
  const nameOrder = (o: OrderState, e: Evidence): void => {
    addEvidence(o.buyer, e)
    explicit.add(o.buyer)
    const s = namedOrders.get(o.buyer)
    if (s) s.add(o)
    else namedOrders.set(o.buyer, new Set([o]))
  }

  /** Decides one transaction (a function of its own, so the engine optimises it well). */
  const step = (tx: Transaction, ms: number): void => {
    while (nextPayment < timedPayments.length && timedPayments[nextPayment]!.ms <= ms) {
      const p = timedPayments[nextPayment++]!
      applyPrior(p.order, p.amount, p.txId)
    }
    while (nextLearned < timedLearned.length && timedLearned[nextLearned]!.ms < ms) {
      const { b, l, ms: lms } = timedLearned[nextLearned++]!
      learn(b, l.bankCode ?? "", l.last5, lms, l.since)
    }

    if (seen.has(tx.id)) {
      decisions.push(
        simple(tx, "ignored", "duplicate-row", `the same transaction (${tx.id}) appears twice; counted once`)
      )
      return
    }
    seen.add(tx.id)
    if (applied.has(tx.id)) {
      for (const p of linkedPayments.get(tx.id) ?? []) applyPrior(p.order, p.amount, tx.id)
      decisions.push(
        simple(tx, "ignored", "already-applied", `${formatTwd(tx.amount)} was applied before; nothing changes`)
      )
      return
    }
    if (tx.gateway !== undefined) {
      if (tx.gateway.simulated) {
        decisions.push(
          simple(tx, "ignored", "simulated", `a simulated ${tx.gateway.gateway} payment is never real money`)
        )
        return
      }
      if (tx.gateway.status !== "paid") {
        decisions.push(
          simple(
            tx,
            "ignored",
            tx.gateway.status === "pending" ? "gateway-pending" : "gateway-failed",
            `the ${tx.gateway.gateway} payment is ${tx.gateway.status}, not money received`
          )
        )
        return
      }
    }
    if (tx.amount < 0) {
      decisions.push(simple(tx, "ignored", "money-out", `${formatTwd(-tx.amount)} going out`))
      return
    }
    if (tx.amount === 0) {
      decisions.push(simple(tx, "ignored", "zero-amount", "no money moved"))
      return
    }
    const amount = tx.amount
    if (tx.time === undefined) txDay = dayNumber(tx.date)

    // Identity evidence, per buyer.
    // (`clear` allocates a new table, so only when there is something to clear.)
    if (identity.size > 0) {
      identity.clear()
      identified.length = 0
    }
    if (namedOrders.size > 0) namedOrders.clear()
    if (explicit.size > 0) explicit.clear()
    if (tx.last5 !== undefined) {
      const l5 = tx.last5
      const reported = (b: BuyerState): void => {
        addEvidence(b, {
          kind: "reported-last5",
          buyerId: b.id,
          last5: l5,
          via: b.reported.find((r) => r.last5 === l5)!.via
        })
      }
      const learned = (b: BuyerState): void => {
        // The account the evidence cites does not depend on the order accounts were learned in
        // (a carried-over input lists them sorted): the earliest learned, then one naming its
        // bank before one that does not, then by bank code.
        let l: (typeof b.learned)[number] | undefined
        for (const x of b.learned) {
          if (
            x.last5 !== l5 ||
            x.sinceMs >= ms ||
            !(x.bankCode === "" || tx.bankCode === undefined || x.bankCode === tx.bankCode)
          )
            continue
          if (
            l === undefined ||
            x.sinceMs < l.sinceMs ||
            (x.sinceMs === l.sinceMs &&
              (l.bankCode === "" ? x.bankCode !== "" : x.bankCode !== "" && x.bankCode < l.bankCode))
          )
            l = x
        }
        if (l)
          addEvidence(b, {
            kind: "learned-account",
            buyerId: b.id,
            last5: l.last5,
            bankCode: l.bankCode !== "" ? l.bankCode : undefined,
            since: l.since
          })
      }
      const rep = reportedIndex.get(l5)
      const lea = learnedIndex.get(l5)
      if ((rep?.length ?? 0) + (lea?.length ?? 0) <= CROWD) {
        if (rep) for (const b of rep) reported(b)
        if (lea) for (const b of lea) learned(b)
      } else {
        // A crowded account (evidence for many buyers) only counts for buyers it could pay exactly.
        const repSet = rep && setOf(rep)
        const leaSet = lea && setOf(lea)
        for (const b of buyersOwing(amount)) {
          if (repSet?.has(b)) reported(b)
          if (leaSet?.has(b)) learned(b)
        }
      }
    }
    if (tx.memo !== "" && patterns.length > 0) {
      const memo = normaliseText(tx.memo)
      const seenPattern: Array<number> = []
      for (const hit of automaton.search(memo)) {
        if (seenPattern.includes(hit.pattern)) continue
        const target = patternTargets[hit.pattern]!
        if (target.kind === "name") {
          seenPattern.push(hit.pattern)
          let pool: Iterable<BuyerState> = target.buyers
          if (target.buyers.length > CROWD) {
            // A name many buyers share only counts for those it could pay exactly.
            const set = target.set ?? new Set(target.buyers)
            target.set = set
            pool = buyersOwing(amount).filter((b) => set.has(b))
          }
          for (const b of pool) {
            addEvidence(b, { kind: "memo-name", buyerId: b.id, name: target.name })
            explicit.add(b)
          }
        } else {
          const len = patterns[hit.pattern]!.length
          if (isWordChar(memo[hit.end - len - 1]) || isWordChar(memo[hit.end])) continue
          seenPattern.push(hit.pattern)
          const o = target.order
          nameOrder(o, { kind: "memo-order", buyerId: o.buyer.id, orderId: o.orderId })
        }
      }
    }
    if (tx.orderRef !== undefined) {
      const o = orderForRef(tx.orderRef)
      if (o)
        nameOrder(o, { kind: "gateway-order", buyerId: o.buyer.id, orderId: o.orderId, merchantOrderNo: tx.orderRef })
    }

    // Candidates of identified buyers.
    const exact: Array<{
      readonly candidate: Candidate
      readonly orders: ReadonlyArray<OrderState>
      readonly b: BuyerState
    }> = []
    const paidCands: Array<Candidate> = []
    const differs: Array<Candidate> = []
    const refused: Array<Evidence> = []
    const identifiedBuyers: Array<BuyerState> =
      identified.length === 0
        ? []
        : identified.length === 1
          ? [identified[0]!]
          : [...identified].sort((x, y) => sortStrings(x.id, y.id))
    for (const b of identifiedBuyers) {
      const ev = identity.get(b)!
      const supporting: Array<Evidence> = b.reportedAmounts.includes(amount)
        ? [{ kind: "reported-amount", buyerId: b.id, amount }]
        : []
      const openOrders: Array<OrderState> = []
      for (const o of b.orders) {
        const inW = inWindow(o, tx, ms)
        if (open(o) > 0) {
          if (inW) openOrders.push(o)
          else
            refused.push({
              kind: "outside-window",
              buyerId: b.id,
              orderId: o.orderId,
              placedAt: o.input.placedAt ?? ""
            })
        }
      }
      const name = b.names[0]
      const cand = (
        os: ReadonlyArray<OrderState>,
        openAmount: number,
        fit: Fit,
        extra: ReadonlyArray<Evidence> = []
      ): Candidate => ({
        buyerId: b.id,
        buyerName: name,
        orderIds: os.map((o) => o.orderId),
        open: openAmount,
        fit,
        identified: true,
        evidence: extra.concat(ev, supporting)
      })
      // Exact subsets of the buyer's open orders within the window.
      const found: Array<ReadonlyArray<OrderState>> = []
      const k = openOrders.length
      if (k > 0) {
        if (k === 1) {
          if (open(openOrders[0]!) === amount) found.push(openOrders)
        } else if (k <= maxSubset) {
          const sums = new Array<number>(1 << k).fill(0)
          for (let mask = 1; mask < 1 << k; mask++) {
            const low = mask & -mask
            const bit = 31 - Math.clz32(low)
            sums[mask] = sums[mask ^ low]! + open(openOrders[bit]!)
            if (sums[mask] === amount) found.push(openOrders.filter((_, i) => (mask >> i) & 1))
          }
        } else {
          for (const o of openOrders) if (open(o) === amount) found.push([o])
          const all = openOrders.reduce((s, o) => s + open(o), 0)
          if (all === amount && k > 1) found.push(openOrders)
        }
      }
      let chosen = found
      const named = namedOrders.get(b)
      if (named && found.length > 1) {
        const withNamed = found.filter((os) => [...named].every((o) => os.includes(o) || open(o) === 0))
        if (withNamed.length > 0) chosen = withNamed
      }
      if (chosen.length > 0) {
        for (const os of chosen)
          exact.push({
            candidate: cand(os, amount, "exact", [{ kind: "amount", orderIds: os.map((o) => o.orderId), amount }]),
            orders: os,
            b
          })
        continue
      }
      // Already paid orders of exactly this amount (a likely duplicate transfer).
      const paidSame = b.orders.filter((o) => o.due > 0 && open(o) === 0 && o.due === amount && inWindow(o, tx, ms))
      if (paidSame.length > 0) {
        for (const o of paidSame)
          paidCands.push(
            cand([o], o.due, "paid", [{ kind: "already-paid", orderId: o.orderId, transactionIds: [...o.paidBy] }])
          )
        continue
      }
      if (k > 0) {
        const total = openOrders.reduce((s, o) => s + open(o), 0)
        differs.push(cand(openOrders, total, amount < total ? "short" : "over"))
        continue
      }
      const paidAny = b.orders.filter((o) => o.due > 0 && open(o) === 0 && inWindow(o, tx, ms))
      if (paidAny.length > 0) {
        paidCands.push(
          cand(
            paidAny,
            paidAny.reduce((s, o) => s + o.due, 0),
            "paid",
            paidAny.map((o): Evidence => ({ kind: "already-paid", orderId: o.orderId, transactionIds: [...o.paidBy] }))
          )
        )
      }
    }

    // `concat` makes arrays of the exact size (spreads and pushes reserve more, and decisions are kept).
    const evidenceOf = (cs: ReadonlyArray<Candidate>): ReadonlyArray<Evidence> =>
      ([] as Array<Evidence>).concat(...cs.map((c) => c.evidence), refused)
    const review = (
      reason: Reason,
      cs: ReadonlyArray<Candidate>,
      explanation: string,
      count = cs.length,
      detail?: "partial" | "overpaid"
    ): Decision => {
      const listed = cs.slice(0, maxListed)
      const ids: Array<string> = []
      for (const c of listed) for (const id of c.orderIds) if (!ids.includes(id)) ids.push(id)
      return decision(tx, "review", reason, explanation, {
        orderIds: ids.slice(),
        candidates: listed,
        candidateCount: count,
        evidence: evidenceOf(listed),
        detail
      })
    }
    const who = (c: Candidate): string => `${c.buyerName ?? c.buyerId} (${c.orderIds.join(" + ")})`
    const from =
      tx.last5 !== undefined ? ` from ${tx.bankCode !== undefined ? `(${tx.bankCode})` : ""}…${tx.last5}` : ""

    if (exact.length === 1) {
      const { candidate: c, orders: cOrders, b: cBuyer } = exact[0]!
      const contradicted = [...explicit].some((b) => b !== cBuyer) && !explicit.has(cBuyer)
      if (!contradicted) {
        const allocations = cOrders.map((o) => ({ orderId: o.orderId, amount: open(o) }))
        const explanation = `${formatTwd(amount)}${from} pays ${who(c)} exactly; ${describe(c.evidence)}`
        for (let i = 0; i < allocations.length; i++) {
          const a = allocations[i]!
          // (the order itself, unless ids repeat: then, as always, the first order with that id)
          const o = duplicateIds ? ordersById.get(a.orderId)! : cOrders[i]!
          setPaid(o, o.paid + a.amount)
          o.paidBy = append(o.paidBy, tx.id)
          o.appliedNow = append(o.appliedNow, tx.id)
        }
        if (tx.last5 !== undefined && learn(cBuyer, tx.bankCode ?? "", tx.last5, ms, tx.at))
          learnedNow.push({
            buyerId: cBuyer.id,
            last5: tx.last5,
            bankCode: tx.bankCode,
            since: tx.at,
            transactionId: tx.id
          })
        decisions.push(
          decision(tx, "matched", "exact-amount-and-identity", explanation, {
            orderIds: c.orderIds,
            buyerId: c.buyerId,
            allocations,
            candidates: [c],
            candidateCount: 1,
            evidence: c.evidence
          })
        )
        applications.push({
          transactionId: tx.id,
          source: tx.source,
          buyerId: c.buyerId,
          amount,
          at: tx.at,
          bankCode: tx.bankCode,
          last5: tx.last5,
          orderIds: c.orderIds,
          allocations,
          evidence: explanation
        })
        return
      }
      const others = identifiedBuyers
        .filter((b) => b !== cBuyer && explicit.has(b))
        .flatMap((b) => [...differs, ...paidCands].filter((d) => d.buyerId === b.id))
      decisions.push(
        review(
          "ambiguous-buyers",
          [c, ...others],
          `${formatTwd(amount)}${from} fits ${who(c)}, but the memo names another buyer`
        )
      )
      return
    }
    if (exact.length > 1) {
      const cs = exact.map((e) => e.candidate)
      const oneBuyer = exact.every((c) => c.b === exact[0]!.b)
      decisions.push(
        oneBuyer
          ? review(
              "ambiguous-orders",
              cs,
              `${formatTwd(amount)}${from} fits several order sets of ${cs[0]!.buyerName ?? cs[0]!.buyerId}: ${cs.map((c) => c.orderIds.join(" + ")).join(" or ")}`
            )
          : review(
              "ambiguous-buyers",
              cs,
              `${formatTwd(amount)}${from} fits ${cs.length} candidates of different buyers: ${cs.map(who).join(", ")}`
            )
      )
      return
    }
    if (paidCands.length > 0) {
      decisions.push(
        review(
          "already-paid",
          [...paidCands, ...differs],
          `${formatTwd(amount)}${from} comes from ${paidCands[0]!.buyerName ?? paidCands[0]!.buyerId}, whose order ${paidCands[0]!.orderIds.join(" + ")} is already paid: a likely duplicate transfer`
        )
      )
      return
    }
    if (differs.length > 0) {
      const buyersDiffer = new Set(differs.map((d) => d.buyerId))
      if (buyersDiffer.size > 1) {
        decisions.push(
          review(
            "ambiguous-buyers",
            differs,
            `${formatTwd(amount)}${from} points at ${buyersDiffer.size} buyers and fits none exactly: ${differs.map(who).join(", ")}`
          )
        )
        return
      }
      const d = differs[0]!
      const detail = d.fit === "short" ? "partial" : "overpaid"
      decisions.push(
        review(
          "identity-amount-differs",
          differs,
          `${formatTwd(amount)}${from} comes from ${d.buyerName ?? d.buyerId}, who owes ${formatTwd(d.open)} (${d.orderIds.join(" + ")}): ${detail === "partial" ? "a partial payment" : "an overpayment"}`,
          differs.length,
          detail
        )
      )
      return
    }
    // Amount fits, nobody identified: single open orders, and buyers whose open orders add up.
    const singles = byOpen.get(amount)
    const totals = byTotal.get(amount)
    const count = (singles?.size ?? 0) + (totals?.size ?? 0)
    if (count > 0) {
      const cs: Array<Candidate> = []
      if (singles)
        for (const o of singles) {
          if (cs.length >= maxListed) break
          cs.push({
            buyerId: o.buyer.id,
            buyerName: o.buyer.names[0],
            orderIds: [o.orderId],
            open: amount,
            fit: "exact",
            identified: false,
            evidence: [{ kind: "amount", orderIds: [o.orderId], amount }]
          })
        }
      if (totals)
        for (const b of totals) {
          if (cs.length >= maxListed) break
          const os = b.orders.filter((o) => open(o) > 0).map((o) => o.orderId)
          cs.push({
            buyerId: b.id,
            buyerName: b.names[0],
            orderIds: os,
            open: amount,
            fit: "exact",
            identified: false,
            evidence: [{ kind: "amount", orderIds: os, amount }]
          })
        }
      const why =
        refused.length > 0
          ? "the identity evidence is outside the date window"
          : identifiedBuyers.length > 0
            ? "the buyer it identifies has no order in the date window"
            : tx.last5 !== undefined
              ? `nobody reported …${tx.last5} and the memo names nobody`
              : "the row shows no account and the memo names nobody"
      decisions.push(
        review(
          "amount-fits-no-identity",
          cs,
          `${formatTwd(amount)}${from} fits ${count === 1 ? who(cs[0]!) : `${count} candidates`}, but ${why}`,
          count
        )
      )
      return
    }
    decisions.push(
      simple(
        tx,
        "unmatched",
        "no-candidate",
        `no open order of ${formatTwd(amount)} and no buyer identified${from ? ` (${from.trim()})` : ""}`,
        refused
      )
    )
  }
  for (const { tx, ms } of txs) step(tx, ms)

  const outcomes: Array<OrderOutcome> = orders.map((o) => ({
    orderId: o.orderId,
    buyerId: o.buyer.id,
    due: o.due,
    paid: o.paid,
    status: orderStatus(o.due, o.paid),
    transactionIds: [...o.appliedNow]
  }))
  let matched = 0
  let reviewN = 0
  let unmatched = 0
  let ignored = 0
  let money = 0
  for (const d of decisions) {
    if (d.status === "matched") {
      matched++
      money += d.amount
    } else if (d.status === "review") reviewN++
    else if (d.status === "unmatched") unmatched++
    else ignored++
  }
  return {
    decisions,
    orders: outcomes,
    applications,
    learned: learnedNow,
    summary: { matched, review: reviewN, unmatched, ignored, applied: money }
  }
}

/** `Matcher.describe`: see there. */
export const describe = (evidence: ReadonlyArray<Evidence>): string => {
  const parts: Array<string> = []
  for (const e of evidence) {
    switch (e.kind) {
      case "reported-last5":
        parts.push(`…${e.last5} is the account the buyer reported${e.via === "comment" ? " in a comment" : ""}`)
        break
      case "learned-account":
        parts.push(`${e.bankCode !== undefined ? `(${e.bankCode})` : ""}…${e.last5} paid this buyer's earlier order`)
        break
      case "memo-name":
        parts.push(`the memo names ${e.name}`)
        break
      case "memo-order":
        parts.push(`the memo names order ${e.orderId}`)
        break
      case "gateway-order":
        parts.push(`the gateway order number ${e.merchantOrderNo} names order ${e.orderId}`)
        break
      case "reported-amount":
        parts.push(`the buyer reported sending ${formatTwd(e.amount)}`)
        break
      case "amount":
      case "outside-window":
      case "already-paid":
        break
    }
  }
  return parts.length > 0 ? parts.join("; ") : "no identity evidence"
}
