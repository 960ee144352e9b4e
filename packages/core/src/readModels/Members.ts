/**
 * The member read models (catch-up), defined once for every store:
 *
 * - `members`: one document per member that has a stream (`member:<id>`): its identities,
 *   consent, notes, household facts, manual tags, blacklist entry and points ledger, folded with
 *   `Member.evolve` itself (so the document always agrees with the aggregate). Key `k1`: the
 *   status (`active`, `blocked`, `merged`).
 * - `member-purchases`: one document per buyer id (channel identity) with the orders confirmed at
 *   a round's cutoff (cancelled and refunded ones marked `ended`) and the member the identity
 *   belongs to (`MemberAssigned` on the identity index; none: the buyer is a member of its own).
 *   Key `k1`: the member id, so a member's purchases across its channels are one lookup.
 *
 * A read model's document is a function of the events of its id alone, and an order event names
 * a buyer, not a member: the two documents are joined per member by {@link join} (a merge or a
 * split moves the identity's purchases with it, with no rebuild). {@link Member} is the joined
 * record the rules (`MemberRules`) and segments (`Segment`) read.
 *
 * An order counts from its confirmation (the round's cutoff): an open round's lines are not a
 * purchase yet. No names are kept: buyer ids are channel identities.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import * as MemberAggregate from "../Member.js"
import type { Summary } from "../MemberRules.js"
import type { Definition } from "../ReadModels.js"
import type { StoredEvent } from "../Storage.js"

/** One member's profile, as the `members` model keeps it. */
export const Profile = Schema.Struct({
  memberId: Schema.String,
  status: Schema.Literals(["none", "active", "blocked", "merged"]),
  identities: Schema.Array(Schema.String),
  consent: Schema.Record(Schema.String, Schema.Literals(["granted", "opted-out"])),
  notes: Schema.Array(Schema.Struct({ noteId: Schema.String, text: Schema.String, at: Schema.String })),
  household: MemberAggregate.Household,
  tags: Schema.Array(Schema.String),
  blocked: Schema.optional(Schema.Struct({ reason: Schema.String, at: Schema.String })),
  mergedInto: Schema.optional(Schema.String),
  lots: Schema.Array(MemberAggregate.Lot),
  earned: Schema.Int,
  redeemed: Schema.Int,
  expired: Schema.Int,
  transferredIn: Schema.Int,
  transferredOut: Schema.Int,
  registeredAt: Schema.String,
  updatedAt: Schema.String
})
/** One member's profile. */
export type Profile = typeof Profile.Type

/** The `members` model's name. */
export const name = "members"

const field = (data: unknown, key: string): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const int = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)

const memberTypes = new Set<string>(MemberAggregate.eventTypes)

const toState = (doc: Profile): MemberAggregate.State => ({
  status: doc.status,
  memberId: doc.memberId,
  identities: doc.identities,
  linkCode: undefined,
  consent: doc.consent,
  notes: doc.notes,
  household: doc.household,
  tags: doc.tags,
  blocked: doc.blocked,
  mergedInto: doc.mergedInto,
  lots: doc.lots,
  earned: doc.earned,
  redeemed: doc.redeemed,
  expired: doc.expired,
  transferredIn: doc.transferredIn,
  transferredOut: doc.transferredOut
})

const evolveProfile = (doc: Profile | undefined, e: StoredEvent): Profile | undefined => {
  if (!e.stream.startsWith("member:") || !memberTypes.has(e.type)) return doc
  const before = doc === undefined ? MemberAggregate.initialState : toState(doc)
  const s = MemberAggregate.evolve(before, e.data as MemberAggregate.Event)
  return {
    memberId: s.memberId === "" ? e.stream.slice(7) : s.memberId,
    status: s.status,
    identities: s.identities,
    consent: s.consent,
    notes: s.notes,
    household: s.household,
    tags: s.tags,
    ...(s.blocked === undefined ? {} : { blocked: s.blocked }),
    ...(s.mergedInto === undefined ? {} : { mergedInto: s.mergedInto }),
    lots: s.lots,
    earned: s.earned,
    redeemed: s.redeemed,
    expired: s.expired,
    transferredIn: s.transferredIn,
    transferredOut: s.transferredOut,
    registeredAt: doc?.registeredAt ?? e.at,
    updatedAt: e.at
  }
}

/** The `members` model: register it (it is in `ReadModels.builtIn`) and query it with `ReadModels.get`/`list`. */
export const definition: Definition<Profile> = {
  name,
  version: 1,
  mode: "catch-up",
  document: Profile,
  eventTypes: MemberAggregate.eventTypes,
  documentIds: (e) => (e.stream.startsWith("member:") ? [e.stream.slice(7)] : []),
  evolve: evolveProfile,
  keys: (doc) => ({ k1: doc.status })
}

/** One confirmed order of an identity. */
export const PurchaseEntry = Schema.Struct({
  orderId: Schema.String,
  roundId: Schema.String,
  /** When the order was placed (its first comment). */
  at: Schema.String,
  lines: Schema.Array(Schema.Struct({ sku: Schema.String, qty: Schema.Int, unitPrice: Schema.Int })),
  total: Schema.Int,
  ended: Schema.optional(Schema.Literals(["cancelled", "refunded"]))
})
/** One confirmed order of an identity. */
export type PurchaseEntry = typeof PurchaseEntry.Type

/** One identity's purchases and the member it belongs to. */
export const Purchases = Schema.Struct({
  buyerId: Schema.String,
  memberId: Schema.String,
  entries: Schema.Array(PurchaseEntry)
})
/** One identity's purchases. */
export type Purchases = typeof Purchases.Type

/** The `member-purchases` model's name. */
export const purchasesName = "member-purchases"

const orderTypes = new Set(["OrderConfirmed", "OrderCancelled", "OrderRefunded"])

const buyerOf = (e: StoredEvent): string | undefined => {
  if (e.type === "MemberAssigned") return e.stream.startsWith("member-of:") ? e.stream.slice(10) : undefined
  if (orderTypes.has(e.type) && e.stream.startsWith("order:")) return str(field(e.data, "buyerId"))
  return undefined
}

const evolvePurchases = (doc: Purchases | undefined, e: StoredEvent): Purchases | undefined => {
  const buyerId = buyerOf(e)
  if (buyerId === undefined) return doc
  const base: Purchases = doc ?? { buyerId, memberId: buyerId, entries: [] }
  switch (e.type) {
    case "MemberAssigned": {
      const memberId = str(field(e.data, "memberId"))
      return memberId === undefined ? doc : { ...base, memberId }
    }
    case "OrderConfirmed": {
      const orderId = str(field(e.data, "orderId")) ?? e.stream.slice(6)
      const raw = field(e.data, "lines")
      const lines = (Array.isArray(raw) ? raw : []).map((l) => ({
        sku: str(field(l, "sku")) ?? "",
        qty: int(field(l, "qty")),
        unitPrice: int(field(l, "unitPrice"))
      }))
      const entry: PurchaseEntry = {
        orderId,
        roundId: str(field(e.data, "roundId")) ?? "",
        at: str(field(e.data, "placedAt")) ?? e.at,
        lines,
        total: int(field(e.data, "total"))
      }
      return { ...base, entries: [...base.entries.filter((x) => x.orderId !== orderId), entry] }
    }
    default: {
      const orderId = e.stream.slice(6)
      const ended = e.type === "OrderCancelled" ? ("cancelled" as const) : ("refunded" as const)
      if (doc === undefined || !doc.entries.some((x) => x.orderId === orderId)) return doc
      return { ...doc, entries: doc.entries.map((x) => (x.orderId === orderId ? { ...x, ended } : x)) }
    }
  }
}

/** The `member-purchases` model (in `ReadModels.builtIn`). */
export const purchasesDefinition: Definition<Purchases> = {
  name: purchasesName,
  version: 1,
  mode: "catch-up",
  document: Purchases,
  eventTypes: [...orderTypes, "MemberAssigned"],
  documentIds: (e) => {
    const id = buyerOf(e)
    return id === undefined ? [] : [id]
  },
  evolve: evolvePurchases,
  keys: (doc) => ({ k1: doc.memberId })
}

/** A member as the tools see it: the profile (a default one for a buyer without a stream) and every identity's purchases. */
export interface Member extends Summary {
  readonly profile: Profile
  /** Every identity's purchases (orders not ended), as the `member-purchases` documents hold them. */
  readonly purchases: ReadonlyArray<PurchaseEntry>
}

/** The profile of a buyer who has no member stream yet: a member of its own, nothing known. */
export const defaultProfile = (memberId: string): Profile => ({
  memberId,
  status: "active",
  identities: [memberId],
  consent: {},
  notes: [],
  household: {},
  tags: [],
  lots: [],
  earned: 0,
  redeemed: 0,
  expired: 0,
  transferredIn: 0,
  transferredOut: 0,
  registeredAt: "",
  updatedAt: ""
})

/**
 * Joins profiles and purchases into members: each identity's purchases go to the member the
 * identity belongs to; merged members are left out (their identities belong to another); a buyer
 * with purchases and no profile is a member of its own. Ended orders are not purchases.
 */
export const join = (profiles: Iterable<Profile>, purchases: Iterable<Purchases>): Array<Member> => {
  const byId = new Map<string, { profile: Profile; purchases: Array<Member["purchases"][number]> }>()
  for (const p of profiles)
    if (p.status !== "merged" && p.status !== "none") byId.set(p.memberId, { profile: p, purchases: [] })
  for (const doc of purchases) {
    let m = byId.get(doc.memberId)
    if (m === undefined) {
      m = { profile: defaultProfile(doc.memberId), purchases: [] }
      byId.set(doc.memberId, m)
    }
    for (const x of doc.entries) if (x.ended === undefined) m.purchases.push(x)
  }
  const out: Array<Member> = []
  for (const { profile, purchases } of byId.values())
    out.push({
      memberId: profile.memberId,
      identities: profile.identities,
      tags: profile.tags,
      household: profile.household,
      profile,
      purchases
    })
  out.sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))
  return out
}

/** The points a profile holds. */
export const pointsOf = (profile: Profile): number => profile.lots.reduce((n, l) => n + l.points, 0)
