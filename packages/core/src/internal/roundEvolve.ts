/**
 * The Round's `evolve`, tuned for V8, and its batch fast path (`foldOwned`): fenced here behind
 * the readable API of `Round.ts` (`evolve`, `fold`, `decide`, `decider`), which calls into it.
 *
 * Everything below folds one event into a new state without touching the old one, except where
 * the caller passes an owner (see {@link evolveOwned}): then the book and review tries and the
 * stock record that this owner made earlier in the same batch are edited in place. A property
 * test (`test/RoundFast.test.ts`, and `Round.foldOwned` in `test/Round.test.ts`) checks that an
 * owned fold gives the plain fold's states and events, and that no state handed out before a
 * batch changes.
 *
 * There is no module-level mutable state: the stock record an owned fold may edit is remembered
 * on its owner, so folds with different owners (interleaved or not) never see each other's.
 *
 * @internal
 */
import { Result } from "effect"
import { match } from "ts-pattern"
import * as Catalogue from "../Catalogue.js"
import type { OrderLine } from "../ReadModel.js"
import type { BookEntry, Event, ReviewEntry, SkuStock, State, WaitEntry } from "../Round.js"
import { isoMillis } from "./isoMillis.js"
import * as PMap from "./PersistentMap.js"

const stockOf = (catalogue: Catalogue.Catalogue): Record<string, SkuStock> => {
  const out: Record<string, SkuStock> = {}
  for (const s of catalogue.skus) {
    out[s.sku] = match(s.supply)
      .with({ _tag: "InStock" }, (x) => ({ left: x.qty, sold: 0 }))
      .with({ _tag: "Preorder" }, (x) => ({ left: x.cap ?? null, sold: 0 }))
      .with({ _tag: "Unlimited" }, () => ({ left: null, sold: 0 }))
      .exhaustive()
  }
  return out
}

/**
 * An owner as this module makes it: besides editing its own trie nodes, it remembers the stock
 * record its fold made last. The next event of that fold edits that record in place instead of
 * copying every SKU again (copying an 11-SKU record cost more than the rest of the event). One
 * slot per owner is enough: a fold's states form a chain. A record made before the fold, or by
 * another owner, never matches and is copied, so states handed out stay as they were. An owner
 * made elsewhere (`PersistentMap.owner()`) gets the slot on first use: still correct.
 */
interface StockOwner extends PMap.Owner {
  ownedStock: Record<string, SkuStock> | undefined
}

/** A fresh owner for one batch of {@link foldOwned} calls (with its empty stock slot). */
export const owner = (): PMap.Owner => {
  const by: StockOwner = { _owner: true, ownedStock: undefined }
  return by
}

/** A stock record `by` may edit: `stock` itself if `by` made it, else a copy that `by` owns. */
const editableStock = (
  stock: Readonly<Record<string, SkuStock>>,
  by: PMap.Owner | undefined
): Record<string, SkuStock> => {
  if (by === undefined) return { ...stock }
  const slot = by as StockOwner
  if (stock === slot.ownedStock) return slot.ownedStock
  const next = { ...stock }
  slot.ownedStock = next
  return next
}

/** Moves `delta` units of `sku` from left to sold (negative: back). */
const moveStock = (stock: Record<string, SkuStock>, sku: string, delta: number): void => {
  const s = stock[sku]
  if (!s || delta === 0) return
  stock[sku] = { left: s.left === null ? null : s.left - delta, sold: s.sold + delta }
}

/**
 * The stock after moving each line's `delta` (the same record when there are no lines). The
 * deltas are module-level functions below, so no list of deltas is made per event.
 */
const movedStock = <L extends { readonly sku: string }>(
  stock: Readonly<Record<string, SkuStock>>,
  lines: ReadonlyArray<L>,
  delta: (l: L) => number,
  by: PMap.Owner | undefined
): Readonly<Record<string, SkuStock>> => {
  if (lines.length === 0) return stock
  const next = editableStock(stock, by)
  for (const l of lines) moveStock(next, l.sku, delta(l))
  return next
}
const ordered = (l: { readonly qty: number }): number => l.qty
const setTo = (l: { readonly from: number; readonly to: number }): number => l.to - l.from
const givenBack = (l: { readonly qty: number }): number => -l.qty

/**
 * `s` with a new book, review, stock and counts, as one literal in `initialState`'s key order:
 * `{ ...s, commentCount }` (a spread, then keys) costs V8 about twenty times as much, and this
 * runs for every event.
 */
const nextState = (
  s: State,
  stock: Readonly<Record<string, SkuStock>>,
  book: PMap.PersistentMap<BookEntry>,
  review: PMap.PersistentMap<ReviewEntry>,
  orderCount: number,
  commentCount: number
): State => ({
  status: s.status,
  spec: s.spec,
  catalogue: s.catalogue,
  cutoffMs: s.cutoffMs,
  openedMs: s.openedMs,
  stock,
  book,
  review,
  orderCount,
  commentCount,
  paused: s.paused,
  sealed: s.sealed,
  waiting: s.waiting,
  arrived: s.arrived
})

/** A book entry with new lines (and the withdrawn flag), as one literal. */
const entryWith = (
  e: BookEntry,
  lines: ReadonlyArray<OrderLine>,
  updatedAt: string,
  withdrawn: boolean
): BookEntry => ({
  orderId: e.orderId,
  buyerId: e.buyerId,
  buyer: e.buyer,
  lines,
  seq: e.seq,
  placedAt: e.placedAt,
  updatedAt,
  withdrawn
})

/**
 * Lines with `add` merged in, lines of qty 0 dropped. Loops, not callbacks: this runs for every
 * order comment. The result is an array of exactly its length (see {@link exact}): the book keeps it.
 */
const mergeLines = (lines: ReadonlyArray<OrderLine>, add: ReadonlyArray<OrderLine>): ReadonlyArray<OrderLine> => {
  // A new order's lines are usually the event's own (distinct SKUs, all positive): share them.
  if (lines.length === 0 && distinctPositive(add)) return add
  const out = lines.slice()
  let grew = false
  for (const l of add) {
    let i = 0
    while (i < out.length && out[i]!.sku !== l.sku) i++
    if (i < out.length) out[i] = { sku: l.sku, qty: out[i]!.qty + l.qty, unitPrice: out[i]!.unitPrice }
    else {
      out.push(l)
      grew = true
    }
  }
  for (const l of out) if (!(l.qty > 0)) return exact(out.filter((x) => x.qty > 0))
  return grew ? exact(out) : out
}

const distinctPositive = (lines: ReadonlyArray<OrderLine>): boolean => {
  for (let i = 0; i < lines.length; i++) {
    if (!(lines[i]!.qty > 0)) return false
    for (let j = 0; j < i; j++) if (lines[j]!.sku === lines[i]!.sku) return false
  }
  return true
}

/**
 * A copy of `xs` allocated at its length (`slice` does that; `push`, `filter` and spreads do not).
 * An array that grew by `push` keeps room for 17 or more elements; kept for the life of a round
 * (events, order lines), those spare slots were about a sixth of an in-memory replay's heap.
 */
export const exact = <A>(xs: Array<A>): Array<A> => xs.slice()

const bumpComment = (state: State): State =>
  nextState(state, state.stock, state.book, state.review, state.orderCount, state.commentCount + 1)

/** The whole second `at` falls in, in epoch ms (undefined when `at` is not a time: no comment is then "before"). */
const openedSecond = (at: string): number | undefined => {
  const ms = isoMillis(at)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) * 1000
}

/**
 * `Round.evolve` (which is this without an owner) for a caller that alone holds `state` and the states it folds from it (a batch
 * of comments): the book and review maps are edited in place where `by` created their nodes.
 * States made before the batch, without `by`, are never changed; `by` must not outlive the batch.
 */
export const evolveOwned = (state: State, event: Event, by: PMap.Owner | undefined): State => {
  switch (event._tag) {
    case "RoundCreated": {
      const catalogue = Result.getOrUndefined(Catalogue.compile(event.spec.products))
      return {
        ...state,
        status: "draft",
        spec: event.spec,
        catalogue,
        cutoffMs: event.spec.cutoff ? Date.parse(event.spec.cutoff) : undefined,
        stock: catalogue ? stockOf(catalogue) : {}
      }
    }
    case "RoundOpened":
      return { ...state, status: "open", openedMs: openedSecond(event.at) }
    case "LinesOrdered": {
      const existing = PMap.get(state.book, event.buyerId)
      const entry: BookEntry =
        existing && !event.newOrder
          ? entryWith(existing, mergeLines(existing.lines, event.lines), event.at, existing.withdrawn)
          : {
              orderId: event.orderId,
              buyerId: event.buyerId,
              buyer: event.buyer,
              lines: mergeLines([], event.lines),
              seq: state.orderCount + 1,
              placedAt: event.at,
              updatedAt: event.at,
              withdrawn: false
            }
      const next = nextState(
        state,
        movedStock(state.stock, event.lines, ordered, by),
        PMap.set(state.book, event.buyerId, entry, by),
        state.review,
        Math.max(entry.seq, state.orderCount),
        state.commentCount + 1
      )
      // A new order of a buyer whose order in the book is confirmed (a waiting-list promotion after
      // the close): the confirmed one moves to `sealed`, as it was.
      return existing !== undefined && event.newOrder && !existing.withdrawn && existing.lines.length > 0
        ? { ...next, sealed: [...state.sealed, existing] }
        : next
    }
    case "LinesSet": {
      const existing = PMap.get(state.book, event.buyerId)
      if (!existing) return bumpComment(state)
      let lines: ReadonlyArray<OrderLine> = existing.lines
      for (const l of event.lines) {
        const i = lines.findIndex((x) => x.sku === l.sku)
        lines =
          i >= 0
            ? lines.map((x, j) => (j === i ? { ...x, qty: l.to } : x))
            : lines.concat([{ sku: l.sku, qty: l.to, unitPrice: l.unitPrice }])
      }
      return nextState(
        state,
        movedStock(state.stock, event.lines, setTo, by),
        PMap.set(
          state.book,
          event.buyerId,
          entryWith(existing, exact(lines.filter((l) => l.qty > 0)), event.at, existing.withdrawn),
          by
        ),
        state.review,
        state.orderCount,
        state.commentCount + 1
      )
    }
    case "OrderWithdrawn": {
      const existing = PMap.get(state.book, event.buyerId)
      if (!existing) return bumpComment(state)
      return nextState(
        state,
        movedStock(state.stock, existing.lines, givenBack, by),
        PMap.set(state.book, event.buyerId, entryWith(existing, [], event.at, true), by),
        state.review,
        state.orderCount,
        state.commentCount + 1
      )
    }
    case "CommentNotOrdered":
    case "PaymentReported":
    case "CommentIgnored":
      return bumpComment(state)
    case "CommentForReview":
      return nextState(
        state,
        state.stock,
        state.book,
        PMap.set(
          state.review,
          event.commentId,
          {
            commentId: event.commentId,
            buyerId: event.buyerId,
            buyer: event.buyer,
            text: event.text,
            reason: event.reason,
            lines: event.lines,
            seq: event.seq,
            at: event.at,
            resolved: false
          },
          by
        ),
        state.orderCount,
        state.commentCount + 1
      )
    case "ReviewResolved": {
      const r = PMap.get(state.review, event.commentId)
      return r ? { ...state, review: PMap.set(state.review, event.commentId, { ...r, resolved: true }, by) } : state
    }
    case "RoundClosed":
      return { ...state, status: "closed", paused: false }
    case "ProductBelowMinimum":
    case "RoundBelowMinimum": {
      // 流團: the product's (or the round's) lines leave the book (a rare event, at a close).
      let book = state.book
      const stock = editableStock(state.stock, by)
      for (const l of event.lines) {
        const e = PMap.get(book, l.buyerId)
        if (!e || e.orderId !== l.orderId || e.withdrawn) continue
        const had = e.lines.find((x) => x.sku === l.sku)
        if (!had) continue
        book = PMap.set(
          book,
          l.buyerId,
          entryWith(e, exact(e.lines.filter((x) => x.sku !== l.sku)), event.at, false),
          by
        )
        moveStock(stock, l.sku, -had.qty)
      }
      return { ...state, book, stock }
    }
    case "RoundSettled":
      return { ...state, status: "settled" }
    // The waiting list (候補) and the stock policies: rare events, plain spreads.
    case "WaitlistJoined": {
      const queue = state.waiting[event.sku] ?? []
      const i = queue.findIndex((w) => w.buyerId === event.buyerId)
      return withQueue(
        state,
        event.sku,
        i >= 0
          ? queue.map((w, j) => (j === i ? { ...w, qty: event.qty } : w))
          : [
              ...queue,
              {
                buyerId: event.buyerId,
                buyer: event.buyer,
                qty: event.qty,
                commentId: event.commentId,
                seq: event.seq,
                at: event.at
              }
            ]
      )
    }
    case "WaitlistPromoted": {
      const queue = state.waiting[event.sku] ?? []
      return withQueue(
        state,
        event.sku,
        event.remaining > 0
          ? queue.map((w) => (w.buyerId === event.buyerId ? { ...w, qty: event.remaining } : w))
          : queue.filter((w) => w.buyerId !== event.buyerId)
      )
    }
    case "WaitlistLeft":
      return withQueue(
        state,
        event.sku,
        (state.waiting[event.sku] ?? []).filter((w) => w.buyerId !== event.buyerId)
      )
    case "OrderReleased": {
      // A confirmed order cancelled: its units go back; the round's copy of it leaves.
      const stock = editableStock(state.stock, by)
      for (const l of event.lines) moveStock(stock, l.sku, -l.qty)
      const e = PMap.get(state.book, event.buyerId)
      if (e !== undefined && e.orderId === event.orderId && !e.withdrawn)
        return { ...state, stock, book: PMap.set(state.book, event.buyerId, entryWith(e, [], event.at, true), by) }
      return { ...state, stock, sealed: state.sealed.filter((x) => x.orderId !== event.orderId) }
    }
    case "PreorderArrived": {
      const arrived = state.arrived.slice()
      for (const sku of event.skus) if (!arrived.includes(sku)) arrived.push(sku)
      return { ...state, arrived }
    }
    // The organiser's changes: rare events, so plain spreads. None of them touches the book.
    case "RoundTitleChanged":
      return state.spec ? { ...state, spec: { ...state.spec, title: event.title } } : state
    case "RoundCutoffChanged": {
      if (!state.spec) return state
      const { cutoff: _, ...rest } = state.spec
      return event.cutoff === null
        ? { ...state, spec: rest, cutoffMs: undefined }
        : { ...state, spec: { ...rest, cutoff: event.cutoff }, cutoffMs: Date.parse(event.cutoff) }
    }
    case "PriceChanged":
      return state.spec
        ? withProducts(state, Catalogue.withPrice(state.spec.products, event.sku, event.price), by)
        : state
    case "Restocked": {
      const sellable = state.catalogue?.bySku.get(event.sku)
      const current = state.stock[event.sku]
      if (!state.spec || !sellable || !current) return state
      const next = withProducts(state, Catalogue.withStock(state.spec.products, sellable, event.stock), by)
      const stock = editableStock(next.stock, by)
      stock[event.sku] = { left: event.stock - current.sold, sold: current.sold }
      return { ...next, stock }
    }
    case "ProductAdded":
      return state.spec ? withProducts(state, [...state.spec.products, event.product], by) : state
    case "VariantAdded":
      return state.spec
        ? withProducts(
            state,
            state.spec.products.map((p) =>
              p.sku === event.productSku ? Catalogue.withVariant(p, event.variant, event.optionValues) : p
            ),
            by
          )
        : state
    case "RoundPaused":
      return { ...state, paused: true }
    case "RoundResumed":
      return { ...state, paused: false }
    case "RoundReopened": {
      // The orders of the close are confirmed: they leave the book as they are, for good.
      const sealed = state.sealed.slice()
      const live: Array<BookEntry> = []
      for (const e of PMap.values(state.book)) if (!e.withdrawn && e.lines.length > 0) live.push(e)
      live.sort((a, b) => a.seq - b.seq)
      for (const e of live) sealed.push(e)
      return {
        ...state,
        status: "open",
        paused: false,
        openedMs: openedSecond(event.at),
        book: PMap.empty(),
        sealed
      }
    }
  }
}

/** The state with the waiting list of `sku` set (no key when nobody waits). */
const withQueue = (state: State, sku: string, queue: ReadonlyArray<WaitEntry>): State => {
  const waiting = { ...state.waiting }
  if (queue.length === 0) delete waiting[sku]
  else waiting[sku] = queue
  return { ...state, waiting }
}

/**
 * The state with a new catalogue compiled from `products` (the spec follows): SKUs that are new
 * get their stock; the stock of the others is kept as sold and left. A catalogue that does not
 * compile leaves the state as it is (evolve is total; `decide` never emits such an event).
 */
const withProducts = (
  state: State,
  products: ReadonlyArray<Catalogue.ProductSpec>,
  by: PMap.Owner | undefined
): State => {
  const spec = state.spec!
  const compiled = Catalogue.compile(products)
  if (Result.isFailure(compiled)) return state
  const catalogue = compiled.success
  let stock = state.stock
  const fresh = stockOf(catalogue)
  for (const sku of Object.keys(fresh))
    if (stock[sku] === undefined) {
      if (stock === state.stock) stock = editableStock(state.stock, by)
      ;(stock as Record<string, SkuStock>)[sku] = fresh[sku]!
    }
  return {
    ...state,
    spec: { ...spec, products: products as typeof spec.products },
    catalogue,
    stock
  }
}

/** Folds many events with an owner: see {@link evolveOwned}. */
export const foldOwned = (events: Iterable<Event>, state: State, by: PMap.Owner): State => {
  let s = state
  for (const e of events) s = evolveOwned(s, e, by)
  return s
}
