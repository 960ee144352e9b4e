/**
 * The Member aggregate: one person across channels and rounds. A buyer id is a channel identity
 * (`line:U…`, `telegram:123`); a member gathers one or more of them, with what the organiser
 * knows and may use: consent per channel, notes, household facts (家庭人數, 冷凍庫大小, 每週食用
 * 次數), manual tags, a blacklist entry and a points ledger.
 *
 * A member's id is its first identity's buyer id (so every buyer is a member of its own until
 * linked). A second identity joins by a one-time link code issued on the member's stream
 * ({@link IssueLinkCode}) and sent by the buyer from the other channel ({@link RedeemLinkCode});
 * the organiser can merge two members ({@link Absorb} / {@link MergeInto}) or split an identity
 * off ({@link Unlink}) by hand. The use cases (`Members`) keep the identity index
 * ({@link identityStream}) and the code index ({@link codeStream}) in the same commit.
 *
 * Points: earned per NT$ paid, each grant a lot with its own expiry; redeemed (earliest expiry
 * first) as a discount on a payment due; expired lots leave the balance. The ledger is never
 * negative and conserves points: earned + transferred in = balance + redeemed + expired +
 * transferred out (a property test).
 *
 * @since 0.4.0
 */
import { Data, Result, Schema } from "effect"
import { match } from "ts-pattern"
import * as Decider from "./Decider.js"

/** A points lot: a grant with what is left of it and when it expires. */
export const Lot = Schema.Struct({
  entryId: Schema.String,
  points: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  expiresAt: Schema.String
})
/** A points lot. */
export type Lot = typeof Lot.Type

/** Points taken from one lot (redeemed, expired or moved by a merge). */
export const Taken = Schema.Struct({
  entryId: Schema.String,
  points: Schema.Int.check(Schema.isGreaterThan(0))
})
/** Points taken from one lot. */
export type Taken = typeof Taken.Type

/**
 * Household facts from the short questionnaire (answered in chat or entered in the back office):
 * 家庭人數 `householdSize`, 冷凍庫大小 `freezerLitres`, 每週食用次數 per category
 * `weeklyServings` (e.g. `{ "生鮮": 5 }`).
 */
export const Household = Schema.Struct({
  householdSize: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 30 }))),
  freezerLitres: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 5000 }))),
  weeklyServings: Schema.optional(
    Schema.Record(Schema.String, Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })))
  )
})
/** Household facts. */
export type Household = typeof Household.Type

/** How an identity joined: its own first one, a redeemed link code, or the organiser's merge. */
export const LinkedBy = Schema.Literals(["first", "code", "organiser"])
/** How an identity joined. */
export type LinkedBy = typeof LinkedBy.Type

/** The member's first identity: the member exists. */
export const MemberRegistered = Schema.TaggedStruct("MemberRegistered", {
  memberId: Schema.String,
  buyerId: Schema.String,
  at: Schema.String
})
/** A one-time link code was issued (it replaces any earlier one). */
export const LinkCodeIssued = Schema.TaggedStruct("LinkCodeIssued", {
  code: Schema.String,
  expiresAt: Schema.String,
  at: Schema.String
})
/** An identity joined the member (`by` a code or the organiser). */
export const IdentityLinked = Schema.TaggedStruct("IdentityLinked", {
  buyerId: Schema.String,
  by: LinkedBy,
  at: Schema.String
})
/** The organiser split an identity off: it is a member of its own again. */
export const IdentityUnlinked = Schema.TaggedStruct("IdentityUnlinked", { buyerId: Schema.String, at: Schema.String })
/** Another member was merged into this one: its identities, tags and points lots came over. */
export const MemberAbsorbed = Schema.TaggedStruct("MemberAbsorbed", {
  from: Schema.String,
  identities: Schema.Array(Schema.String),
  tags: Schema.Array(Schema.String),
  lots: Schema.Array(Lot),
  at: Schema.String
})
/** This member was merged into another: it keeps its history but no identity or points. */
export const MemberMergedInto = Schema.TaggedStruct("MemberMergedInto", {
  into: Schema.String,
  lots: Schema.Array(Taken),
  at: Schema.String
})
/** A merged member stands on its own again (its identity was split off the member it joined). */
export const MemberReinstated = Schema.TaggedStruct("MemberReinstated", { buyerId: Schema.String, at: Schema.String })
/** Marketing consent on a channel: `granted` or `opted-out` (order messages are not affected). */
export const ConsentSet = Schema.TaggedStruct("ConsentSet", {
  channel: Schema.String,
  marketing: Schema.Literals(["granted", "opted-out"]),
  at: Schema.String
})
/** The organiser wrote a note. */
export const NoteAdded = Schema.TaggedStruct("NoteAdded", {
  noteId: Schema.String,
  text: Schema.String,
  at: Schema.String
})
/** Household facts were answered (the fields given replace the earlier ones). */
export const HouseholdSet = Schema.TaggedStruct("HouseholdSet", { household: Household, at: Schema.String })
/** A manual tag. */
export const TagAdded = Schema.TaggedStruct("TagAdded", { tag: Schema.String, at: Schema.String })
/** A manual tag removed. */
export const TagRemoved = Schema.TaggedStruct("TagRemoved", { tag: Schema.String, at: Schema.String })
/** Blacklisted: the member's comments go to review, never straight into orders. */
export const MemberBlocked = Schema.TaggedStruct("MemberBlocked", { reason: Schema.String, at: Schema.String })
/** Off the blacklist. */
export const MemberUnblocked = Schema.TaggedStruct("MemberUnblocked", { reason: Schema.String, at: Schema.String })
/** Points granted (a lot), e.g. for a payment. */
export const PointsEarned = Schema.TaggedStruct("PointsEarned", {
  entryId: Schema.String,
  points: Schema.Int.check(Schema.isGreaterThan(0)),
  expiresAt: Schema.String,
  source: Schema.String,
  at: Schema.String
})
/** Points redeemed as a discount on a payment due (taken from the lots that expire first). */
export const PointsRedeemed = Schema.TaggedStruct("PointsRedeemed", {
  entryId: Schema.String,
  points: Schema.Int.check(Schema.isGreaterThan(0)),
  orderId: Schema.String,
  from: Schema.Array(Taken),
  at: Schema.String
})
/** Lots past their expiry left the balance. */
export const PointsExpired = Schema.TaggedStruct("PointsExpired", { lots: Schema.Array(Taken), at: Schema.String })

/** Every member event. */
export const Event = Schema.Union([
  MemberRegistered,
  LinkCodeIssued,
  IdentityLinked,
  IdentityUnlinked,
  MemberAbsorbed,
  MemberMergedInto,
  MemberReinstated,
  ConsentSet,
  NoteAdded,
  HouseholdSet,
  TagAdded,
  TagRemoved,
  MemberBlocked,
  MemberUnblocked,
  PointsEarned,
  PointsRedeemed,
  PointsExpired
])
/** Every member event. */
export type Event = typeof Event.Type

/** Every member event type (the read model reads these). */
export const eventTypes: ReadonlyArray<Event["_tag"]> = [
  "MemberRegistered",
  "LinkCodeIssued",
  "IdentityLinked",
  "IdentityUnlinked",
  "MemberAbsorbed",
  "MemberMergedInto",
  "MemberReinstated",
  "ConsentSet",
  "NoteAdded",
  "HouseholdSet",
  "TagAdded",
  "TagRemoved",
  "MemberBlocked",
  "MemberUnblocked",
  "PointsEarned",
  "PointsRedeemed",
  "PointsExpired"
]

/** Registers the member with its first identity. */
export interface Register {
  readonly _tag: "Register"
  readonly buyerId: string
  readonly at: string
}
/** Issues a one-time link code (drawn by the use case), valid until `expiresAt`. */
export interface IssueLinkCode {
  readonly _tag: "IssueLinkCode"
  readonly code: string
  readonly expiresAt: string
  readonly at: string
}
/** The buyer sent the code from another channel: that identity joins. */
export interface RedeemLinkCode {
  readonly _tag: "RedeemLinkCode"
  readonly code: string
  readonly buyerId: string
  readonly at: string
}
/** The organiser merges member `from` (its identities, tags and lots) into this one. */
export interface Absorb {
  readonly _tag: "Absorb"
  readonly from: string
  readonly identities: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly lots: ReadonlyArray<Lot>
  readonly at: string
}
/** This member is merged into `into` (its lots go with it). */
export interface MergeInto {
  readonly _tag: "MergeInto"
  readonly into: string
  readonly at: string
}
/** The organiser splits an identity off (not the member's own first one). */
export interface Unlink {
  readonly _tag: "Unlink"
  readonly buyerId: string
  readonly at: string
}
/** A merged member stands on its own again. */
export interface Reinstate {
  readonly _tag: "Reinstate"
  readonly at: string
}
/** Marketing consent on a channel. */
export interface SetConsent {
  readonly _tag: "SetConsent"
  readonly channel: string
  readonly marketing: "granted" | "opted-out"
  readonly at: string
}
/** A note. */
export interface AddNote {
  readonly _tag: "AddNote"
  readonly noteId: string
  readonly text: string
  readonly at: string
}
/** Household facts. */
export interface SetHousehold {
  readonly _tag: "SetHousehold"
  readonly household: Household
  readonly at: string
}
/** A manual tag. */
export interface AddTag {
  readonly _tag: "AddTag"
  readonly tag: string
  readonly at: string
}
/** Removes a manual tag. */
export interface RemoveTag {
  readonly _tag: "RemoveTag"
  readonly tag: string
  readonly at: string
}
/** Blacklists the member. */
export interface Block {
  readonly _tag: "Block"
  readonly reason: string
  readonly at: string
}
/** Takes the member off the blacklist. */
export interface Unblock {
  readonly _tag: "Unblock"
  readonly reason: string
  readonly at: string
}
/** Grants points (a lot expiring at `expiresAt`). */
export interface EarnPoints {
  readonly _tag: "EarnPoints"
  readonly entryId: string
  readonly points: number
  readonly expiresAt: string
  readonly source: string
  readonly at: string
}
/** Redeems points on an order's payment due. */
export interface RedeemPoints {
  readonly _tag: "RedeemPoints"
  readonly entryId: string
  readonly points: number
  readonly orderId: string
  readonly at: string
}
/** Expires the lots past their expiry at `at`. */
export interface ExpirePoints {
  readonly _tag: "ExpirePoints"
  readonly at: string
}

/** What can be asked of a member. */
export type Command =
  | Register
  | IssueLinkCode
  | RedeemLinkCode
  | Absorb
  | MergeInto
  | Unlink
  | Reinstate
  | SetConsent
  | AddNote
  | SetHousehold
  | AddTag
  | RemoveTag
  | Block
  | Unblock
  | EarnPoints
  | RedeemPoints
  | ExpirePoints

/** A member's status: not there yet, active, blacklisted, or merged into another member. */
export type Status = "none" | "active" | "blocked" | "merged"

/** A member's state, folded from its events. */
export interface State {
  readonly status: Status
  readonly memberId: string
  /** Its channel identities, the first one first. */
  readonly identities: ReadonlyArray<string>
  /** The outstanding link code (undefined: none, or used). */
  readonly linkCode: { readonly code: string; readonly expiresAt: string } | undefined
  readonly consent: Readonly<Record<string, "granted" | "opted-out">>
  readonly notes: ReadonlyArray<{ readonly noteId: string; readonly text: string; readonly at: string }>
  readonly household: Household
  readonly tags: ReadonlyArray<string>
  readonly blocked: { readonly reason: string; readonly at: string } | undefined
  readonly mergedInto: string | undefined
  /** Points lots with points left, earliest expiry first. */
  readonly lots: ReadonlyArray<Lot>
  readonly earned: number
  readonly redeemed: number
  readonly expired: number
  readonly transferredIn: number
  readonly transferredOut: number
}

/** The state before the first event. */
export const initialState: State = {
  status: "none",
  memberId: "",
  identities: [],
  linkCode: undefined,
  consent: {},
  notes: [],
  household: {},
  tags: [],
  blocked: undefined,
  mergedInto: undefined,
  lots: [],
  earned: 0,
  redeemed: 0,
  expired: 0,
  transferredIn: 0,
  transferredOut: 0
}

/** Why a member command is refused. */
export class MemberError extends Data.TaggedError("MemberError")<{
  readonly reason:
    | "invalid-state"
    | "wrong-code"
    | "expired-code"
    | "already-linked"
    | "not-linked"
    | "first-identity"
    | "insufficient-points"
    | "invalid-points"
    | "invalid-input"
  readonly message: string
}> {}

/** Every allowed (status, event) → status move. A property test checks nothing else happens. */
export const transitions: ReadonlyArray<readonly [Status, Event["_tag"], Status]> = [
  ["none", "MemberRegistered", "active"],
  ...(["active", "blocked"] as const).flatMap((s) =>
    (
      [
        "LinkCodeIssued",
        "IdentityLinked",
        "IdentityUnlinked",
        "MemberAbsorbed",
        "ConsentSet",
        "NoteAdded",
        "HouseholdSet",
        "TagAdded",
        "TagRemoved",
        "PointsEarned",
        "PointsRedeemed",
        "PointsExpired"
      ] as const
    ).map((e) => [s, e, s] as const)
  ),
  ["active", "MemberBlocked", "blocked"],
  ["blocked", "MemberBlocked", "blocked"],
  ["blocked", "MemberUnblocked", "active"],
  ["active", "MemberMergedInto", "merged"],
  ["blocked", "MemberMergedInto", "merged"],
  ["merged", "MemberReinstated", "active"],
  ["merged", "NoteAdded", "merged"]
]

/** The member's points balance (lots not yet expired or used; expiry is applied by `ExpirePoints`). */
export const balance = (state: State): number => state.lots.reduce((n, l) => n + l.points, 0)

/** The points a member can redeem at `at`: lots that have not expired by then. */
export const spendable = (state: State, at: string): number => {
  const t = Date.parse(at)
  return state.lots.reduce((n, l) => (Date.parse(l.expiresAt) > t ? n + l.points : n), 0)
}

const byExpiry = (a: Lot, b: Lot) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt)

const takeFrom = (lots: ReadonlyArray<Lot>, taken: ReadonlyArray<Taken>): ReadonlyArray<Lot> => {
  const by = new Map<string, number>()
  for (const t of taken) by.set(t.entryId, (by.get(t.entryId) ?? 0) + t.points)
  const out: Array<Lot> = []
  for (const l of lots) {
    const take = Math.min(l.points, by.get(l.entryId) ?? 0)
    if (take > 0) by.set(l.entryId, (by.get(l.entryId) ?? 0) - take)
    const left = l.points - take
    if (left > 0) out.push(left === l.points ? l : { ...l, points: left })
  }
  return out
}

const sum = (taken: ReadonlyArray<Taken>) => taken.reduce((n, t) => n + t.points, 0)
const without = <A>(xs: ReadonlyArray<A>, x: A) => xs.filter((y) => y !== x)
const withOne = <A>(xs: ReadonlyArray<A>, x: A) => (xs.includes(x) ? xs : [...xs, x])

/** Folds one event into the state. */
export const evolve = (state: State, event: Event): State =>
  match(event)
    .with({ _tag: "MemberRegistered" }, (e) => ({
      ...state,
      status: "active" as const,
      memberId: e.memberId,
      identities: [e.buyerId]
    }))
    .with({ _tag: "LinkCodeIssued" }, (e) => ({ ...state, linkCode: { code: e.code, expiresAt: e.expiresAt } }))
    .with({ _tag: "IdentityLinked" }, (e) => ({
      ...state,
      identities: withOne(state.identities, e.buyerId),
      linkCode: e.by === "code" ? undefined : state.linkCode
    }))
    .with({ _tag: "IdentityUnlinked" }, (e) => ({ ...state, identities: without(state.identities, e.buyerId) }))
    .with({ _tag: "MemberAbsorbed" }, (e) => {
      const moved = e.lots.reduce((n, l) => n + l.points, 0)
      return {
        ...state,
        identities: e.identities.reduce(withOne, state.identities),
        tags: e.tags.reduce(withOne, state.tags),
        lots: [...state.lots, ...e.lots.filter((l) => l.points > 0)].sort(byExpiry),
        transferredIn: state.transferredIn + moved
      }
    })
    .with({ _tag: "MemberMergedInto" }, (e) => ({
      ...state,
      status: "merged" as const,
      mergedInto: e.into,
      identities: [],
      linkCode: undefined,
      lots: takeFrom(state.lots, e.lots),
      transferredOut: state.transferredOut + sum(e.lots)
    }))
    .with({ _tag: "MemberReinstated" }, (e) => ({
      ...state,
      status: state.blocked === undefined ? ("active" as const) : ("blocked" as const),
      mergedInto: undefined,
      identities: [e.buyerId]
    }))
    .with({ _tag: "ConsentSet" }, (e) => ({ ...state, consent: { ...state.consent, [e.channel]: e.marketing } }))
    .with({ _tag: "NoteAdded" }, (e) => ({
      ...state,
      notes: [...state.notes, { noteId: e.noteId, text: e.text, at: e.at }]
    }))
    .with({ _tag: "HouseholdSet" }, (e) => ({ ...state, household: { ...state.household, ...e.household } }))
    .with({ _tag: "TagAdded" }, (e) => ({ ...state, tags: withOne(state.tags, e.tag) }))
    .with({ _tag: "TagRemoved" }, (e) => ({ ...state, tags: without(state.tags, e.tag) }))
    .with({ _tag: "MemberBlocked" }, (e) => ({
      ...state,
      status: state.status === "merged" ? state.status : ("blocked" as const),
      blocked: { reason: e.reason, at: e.at }
    }))
    .with({ _tag: "MemberUnblocked" }, () => ({
      ...state,
      status: state.status === "merged" ? state.status : ("active" as const),
      blocked: undefined
    }))
    .with({ _tag: "PointsEarned" }, (e) => ({
      ...state,
      lots: [...state.lots, { entryId: e.entryId, points: e.points, expiresAt: e.expiresAt }].sort(byExpiry),
      earned: state.earned + e.points
    }))
    .with({ _tag: "PointsRedeemed" }, (e) => ({
      ...state,
      lots: takeFrom(state.lots, e.from),
      redeemed: state.redeemed + sum(e.from)
    }))
    .with({ _tag: "PointsExpired" }, (e) => ({
      ...state,
      lots: takeFrom(state.lots, e.lots),
      expired: state.expired + sum(e.lots)
    }))
    .exhaustive()

/** Folds many events. */
export const fold = (events: Iterable<Event>, state: State = initialState): State => {
  let s = state
  for (const e of events) s = evolve(s, e)
  return s
}

type Decision = Result.Result<ReadonlyArray<Event>, MemberError>
const fail = (reason: MemberError["reason"], message: string): Decision =>
  Result.fail(new MemberError({ reason, message }))
const ok = (...events: ReadonlyArray<Event>): Decision => Result.succeed(events)
const live = (state: State) => state.status === "active" || state.status === "blocked"
const notLive = (state: State) => fail("invalid-state", `the member is ${state.status}`)
const isTime = (s: string) => !Number.isNaN(Date.parse(s))

/** Decides what a command does in the current state. */
export const decide = (command: Command, state: State): Decision =>
  match(command)
    .with({ _tag: "Register" }, (c): Decision => {
      if (state.status !== "none") return ok()
      if (c.buyerId.indexOf(":") <= 0) return fail("invalid-input", "a buyer id is channel:user")
      return ok({ _tag: "MemberRegistered", memberId: c.buyerId, buyerId: c.buyerId, at: c.at })
    })
    .with({ _tag: "IssueLinkCode" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (c.code.length < 6) return fail("invalid-input", "a link code has at least 6 characters")
      if (!isTime(c.expiresAt) || Date.parse(c.expiresAt) <= Date.parse(c.at))
        return fail("invalid-input", "a link code must expire after it is issued")
      return ok({ _tag: "LinkCodeIssued", code: c.code, expiresAt: c.expiresAt, at: c.at })
    })
    .with({ _tag: "RedeemLinkCode" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      const code = state.linkCode
      if (code === undefined || code.code !== c.code) return fail("wrong-code", "no such link code (or it was used)")
      if (Date.parse(c.at) >= Date.parse(code.expiresAt)) return fail("expired-code", "the link code has expired")
      if (state.identities.includes(c.buyerId)) return fail("already-linked", "this identity is linked already")
      return ok({ _tag: "IdentityLinked", buyerId: c.buyerId, by: "code", at: c.at })
    })
    .with({ _tag: "Absorb" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (c.from === state.memberId) return fail("invalid-input", "a member cannot absorb itself")
      return ok({
        _tag: "MemberAbsorbed",
        from: c.from,
        identities: c.identities,
        tags: c.tags,
        lots: c.lots.filter((l) => l.points > 0),
        at: c.at
      })
    })
    .with({ _tag: "MergeInto" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (c.into === state.memberId) return fail("invalid-input", "a member cannot merge into itself")
      return ok({
        _tag: "MemberMergedInto",
        into: c.into,
        lots: state.lots.map((l) => ({ entryId: l.entryId, points: l.points })),
        at: c.at
      })
    })
    .with({ _tag: "Unlink" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (c.buyerId === state.memberId) return fail("first-identity", "the member's own identity cannot be split off")
      if (!state.identities.includes(c.buyerId)) return fail("not-linked", "this identity is not the member's")
      return ok({ _tag: "IdentityUnlinked", buyerId: c.buyerId, at: c.at })
    })
    .with(
      { _tag: "Reinstate" },
      (c): Decision =>
        state.status === "merged"
          ? ok({ _tag: "MemberReinstated", buyerId: state.memberId, at: c.at })
          : fail("invalid-state", `the member is ${state.status}`)
    )
    .with({ _tag: "SetConsent" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (state.consent[c.channel] === c.marketing) return ok()
      return ok({ _tag: "ConsentSet", channel: c.channel, marketing: c.marketing, at: c.at })
    })
    .with({ _tag: "AddNote" }, (c): Decision => {
      if (state.status === "none") return notLive(state)
      const text = c.text.trim()
      if (text.length === 0 || text.length > 2000) return fail("invalid-input", "a note has 1 to 2,000 characters")
      if (state.notes.some((n) => n.noteId === c.noteId)) return ok()
      return ok({ _tag: "NoteAdded", noteId: c.noteId, text, at: c.at })
    })
    .with({ _tag: "SetHousehold" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      return ok({ _tag: "HouseholdSet", household: c.household, at: c.at })
    })
    .with({ _tag: "AddTag" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      const tag = c.tag.trim()
      if (!validTag(tag)) return fail("invalid-input", "a tag has 1 to 30 characters, no spaces, parentheses or colon")
      return state.tags.includes(tag) ? ok() : ok({ _tag: "TagAdded", tag, at: c.at })
    })
    .with({ _tag: "RemoveTag" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      return state.tags.includes(c.tag) ? ok({ _tag: "TagRemoved", tag: c.tag, at: c.at }) : ok()
    })
    .with({ _tag: "Block" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      const reason = c.reason.trim()
      if (reason.length === 0) return fail("invalid-input", "blocking needs a reason")
      return ok({ _tag: "MemberBlocked", reason, at: c.at })
    })
    .with({ _tag: "Unblock" }, (c): Decision => {
      if (state.status !== "blocked") return ok()
      return ok({ _tag: "MemberUnblocked", reason: c.reason.trim(), at: c.at })
    })
    .with({ _tag: "EarnPoints" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (!Number.isSafeInteger(c.points) || c.points <= 0)
        return fail("invalid-points", "points earned are a positive whole number")
      if (!isTime(c.expiresAt) || Date.parse(c.expiresAt) <= Date.parse(c.at))
        return fail("invalid-input", "points must expire after they are earned")
      if (state.lots.some((l) => l.entryId === c.entryId)) return ok()
      return ok({
        _tag: "PointsEarned",
        entryId: c.entryId,
        points: c.points,
        expiresAt: c.expiresAt,
        source: c.source,
        at: c.at
      })
    })
    .with({ _tag: "RedeemPoints" }, (c): Decision => {
      if (!live(state)) return notLive(state)
      if (!Number.isSafeInteger(c.points) || c.points <= 0)
        return fail("invalid-points", "points redeemed are a positive whole number")
      const t = Date.parse(c.at)
      const usable = state.lots.filter((l) => Date.parse(l.expiresAt) > t)
      const have = usable.reduce((n, l) => n + l.points, 0)
      if (c.points > have)
        return fail("insufficient-points", `only ${have} points can be redeemed, ${c.points} were asked`)
      const from: Array<Taken> = []
      let need = c.points
      for (const l of usable) {
        if (need === 0) break
        const take = Math.min(need, l.points)
        from.push({ entryId: l.entryId, points: take })
        need -= take
      }
      return ok({ _tag: "PointsRedeemed", entryId: c.entryId, points: c.points, orderId: c.orderId, from, at: c.at })
    })
    .with({ _tag: "ExpirePoints" }, (c): Decision => {
      if (!live(state)) return ok()
      const t = Date.parse(c.at)
      const lots = state.lots
        .filter((l) => Date.parse(l.expiresAt) <= t)
        .map((l) => ({ entryId: l.entryId, points: l.points }))
      return lots.length === 0 ? ok() : ok({ _tag: "PointsExpired", lots, at: c.at })
    })
    .exhaustive()

/** A manual tag: 1 to 30 characters, no white space, parentheses or colon (segments read them). */
export const validTag = (tag: string): boolean => /^[^\s():]{1,30}$/u.test(tag) && !/^(AND|OR|NOT)$/i.test(tag)

/** The Member aggregate as a value, for `Decider` helpers and the `CommandHandler`. */
export const decider: Decider.Decider<Command, State, Event, MemberError> = Decider.make({
  initialState,
  decide,
  evolve
})

/** A member's stream. */
export const memberStream = (memberId: string): string => `member:${memberId}`

/**
 * The identity index: one stream per buyer id, whose latest {@link MemberAssigned} names the
 * member it belongs to (none: the buyer is a member of its own). Written in the same commit as
 * the member events that move the identity, at the version read, so two links of one identity
 * never both win.
 */
export const identityStream = (buyerId: string): string => `member-of:${buyerId}`

/** The event of the identity index. */
export const MemberAssigned = Schema.TaggedStruct("MemberAssigned", { memberId: Schema.String, at: Schema.String })
/** The event of the identity index. */
export type MemberAssigned = typeof MemberAssigned.Type

/** The link-code index: one stream per code, naming the member that issued it (a code is never issued twice). */
export const codeStream = (code: string): string => `member-code:${code}`

/** The event of the link-code index. */
export const LinkCodeIndexed = Schema.TaggedStruct("LinkCodeIndexed", { memberId: Schema.String, at: Schema.String })
/** The event of the link-code index. */
export type LinkCodeIndexed = typeof LinkCodeIndexed.Type

/** A link code as typed: upper case, no spaces or dashes. */
export const normalizeCode = (code: string): string => code.replace(/[\s-]+/g, "").toUpperCase()
