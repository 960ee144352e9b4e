/**
 * Member use cases, each one unit of work through `CommandHandler.handleMany`: the member's
 * stream and the indexes it moves (the identity index `member-of:<buyerId>`, the link-code index
 * `member-code:<code>`) in one commit, decided again on a conflict.
 *
 * - linking channels: {@link issueLinkCode} on the first channel, {@link redeemLinkCode} with
 *   the chat message the buyer sends on the second ({@link parseLinkCode} finds the code);
 *   {@link merge} and {@link split} by hand;
 * - what the organiser keeps: {@link update} (consent, notes, household facts, manual tags,
 *   blacklist);
 * - points: {@link earnPoints} for a payment (idempotent per payment), {@link redeemPoints} as a
 *   payment on an order's amount due (1 point = NT$1), {@link expirePoints};
 * - {@link load}: every member, joined from the read models, evaluated with the rules;
 *   {@link select}: those in a segment; {@link broadcast}: a marketing message to a segment
 *   through the outbox (opted-out and blacklisted members never get one, each member at most
 *   once per broadcast, within each channel's quota);
 * - replenishment: {@link replenishmentJobs} schedules a reminder per member and category a few
 *   days before the estimated run-out (`member.replenish`, run by {@link replenishReminder}).
 *
 * Errors are {@link MembersError} (with a `reason`), the decider's `MemberError`, or
 * `StorageError`. No personal data goes into errors or logs: member ids are channel identities,
 * which stay out of messages.
 *
 * @since 0.4.0
 */
import { Clock, Effect, Result, Schema } from "effect"
import * as CommandHandler from "../CommandHandler.js"
import * as IdGenerator from "../IdGenerator.js"
import * as Member from "../Member.js"
import * as MemberRules from "../MemberRules.js"
import type { OutboundMessage, Recipient } from "../Notification.js"
import * as Order from "../Order.js"
import * as ReadModels from "../ReadModels.js"
import * as MembersModel from "../readModels/Members.js"
import * as Segment from "../Segment.js"
import {
  type ClaimedJob,
  type Commit,
  type ScheduledJob,
  Storage,
  type StorageError,
  type StorageService
} from "../Storage.js"
import { replenishText } from "../MessageTemplates.js"
import { orderView } from "./Views.js"

/** Why a member use case was refused (beyond the decider's own `MemberError`). */
export class MembersError extends Schema.TaggedError<MembersError>()("MembersError", {
  reason: Schema.Literals(["unknown-code", "unknown-member", "unknown-order", "already-member", "invalid-input"]),
  message: Schema.String
}) {}

const members = CommandHandler.aggregate(Member.decider, Schema.decodeUnknownSync(Member.Event))
const orders = CommandHandler.aggregate(Order.decider, Schema.decodeUnknownSync(Order.Event))
const decodeAssigned = Schema.decodeUnknownSync(Member.MemberAssigned)
const decodeIndexed = Schema.decodeUnknownSync(Member.LinkCodeIndexed)

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** An index stream (identity or code): its version and latest event's data. */
const readIndex = (storage: StorageService, stream: string) =>
  Effect.map(storage.readStream(stream), ({ version, events }) => ({
    version,
    last: events.length === 0 ? undefined : events[events.length - 1]!.data
  }))

/** The member a buyer id belongs to (itself when never assigned), with the index's version. */
const memberOfIndexed = (storage: StorageService, buyerId: string) =>
  Effect.map(readIndex(storage, Member.identityStream(buyerId)), ({ version, last }) => ({
    version,
    memberId: last === undefined ? buyerId : decodeAssigned(last).memberId
  }))

/** The member a buyer id belongs to (the buyer id itself when it was never linked or merged). */
export const memberOf = (buyerId: string): Effect.Effect<string, StorageError, Storage> =>
  Effect.flatMap(Storage, (s) => Effect.map(memberOfIndexed(s, buyerId), (x) => x.memberId))

const assign = (buyerId: string, memberId: string, version: number, at: string) => ({
  stream: Member.identityStream(buyerId),
  expectedVersion: version,
  events: [{ type: "MemberAssigned", data: { _tag: "MemberAssigned", memberId, at }, at }]
})

const isBuyerId = (s: string) => /^[a-z][a-z0-9-]*:\S+$/.test(s)
const badInput = (message: string) => new MembersError({ reason: "invalid-input", message })

/** Registers the member (when it has no stream yet) inside a unit, and gives its state. */
const ensure = (unit: CommandHandler.Unit, memberId: string, at: string) =>
  Effect.map(
    unit.decide(members, Member.memberStream(memberId), { _tag: "Register", buyerId: memberId, at }),
    (d) => d.state
  )

/** A new link code for the member of `buyerId`: valid `ttlMinutes` (default 30), single use. */
export const issueLinkCode = (input: {
  readonly buyerId: string
  readonly ttlMinutes?: number | undefined
}): Effect.Effect<
  { readonly code: string; readonly expiresAt: string },
  Member.MemberError | MembersError | StorageError,
  Storage | IdGenerator.IdGenerator
> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.buyerId)) return yield* Effect.fail(badInput("a buyer id is channel:user"))
    const storage = yield* Storage
    const ids = yield* IdGenerator.IdGenerator
    const at = yield* nowIso
    const ttl = input.ttlMinutes ?? 30
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 60)
      return yield* Effect.fail(badInput("a link code lasts 1 minute to 7 days"))
    const expiresAt = new Date(Date.parse(at) + ttl * 60_000).toISOString()
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          // Drawn again on a conflict: a code taken before conflicts on its index stream.
          const code = Member.normalizeCode(ids.code())
          const { memberId } = yield* memberOfIndexed(storage, input.buyerId)
          yield* ensure(unit, memberId, at)
          yield* unit.decide(members, Member.memberStream(memberId), { _tag: "IssueLinkCode", code, expiresAt, at })
          unit.append({
            stream: Member.codeStream(code),
            expectedVersion: 0,
            events: [{ type: "LinkCodeIndexed", data: { _tag: "LinkCodeIndexed", memberId, at }, at }]
          })
          return code
        })
    })
    if (outcome._tag === "Duplicate") return yield* Effect.fail(badInput("unexpected duplicate"))
    return { code: outcome.value, expiresAt }
  })

/**
 * The link code in a chat message: `綁定 ABCD2345`, `link ABCD-2345`, or a message that is only
 * the code (8 letters and digits, at least one digit; dashes and spaces ignored). Undefined otherwise.
 */
export const parseLinkCode = (text: string): string | undefined => {
  const t = text.trim()
  const m = /^(?:綁定|绑定|link|bind)?\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9 -]{6,12}[A-Za-z0-9])$/iu.exec(t)
  if (m === null) return undefined
  const code = Member.normalizeCode(m[1]!)
  return /^[A-Z0-9]{8}$/.test(code) && /\d/.test(code) ? code : undefined
}

/**
 * The buyer sent a link code from another channel: that identity joins the member that issued
 * the code. When the identity was a member of its own with a stream (tags, points…), that
 * member is merged in. Refused when the code is unknown, used or expired, or when the identity
 * belongs to another member already.
 */
export const redeemLinkCode = (input: {
  readonly buyerId: string
  readonly code: string
}): Effect.Effect<{ readonly memberId: string }, Member.MemberError | MembersError | StorageError, Storage> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.buyerId)) return yield* Effect.fail(badInput("a buyer id is channel:user"))
    const storage = yield* Storage
    const at = yield* nowIso
    const code = Member.normalizeCode(input.code)
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          const indexed = yield* readIndex(storage, Member.codeStream(code))
          if (indexed.last === undefined)
            return yield* Effect.fail(new MembersError({ reason: "unknown-code", message: "no such link code" }))
          const target = decodeIndexed(indexed.last).memberId
          const own = yield* memberOfIndexed(storage, input.buyerId)
          if (own.memberId === target) return target
          if (own.memberId !== input.buyerId)
            return yield* Effect.fail(
              new MembersError({
                reason: "already-member",
                message: "this identity belongs to another member; split it first"
              })
            )
          yield* unit.decide(members, Member.memberStream(target), {
            _tag: "RedeemLinkCode",
            code,
            buyerId: input.buyerId,
            at
          })
          const mine = yield* unit.load(members, Member.memberStream(input.buyerId))
          if (mine.version > 0 && (mine.state.status === "active" || mine.state.status === "blocked")) {
            const merged = yield* unit.decide(members, Member.memberStream(input.buyerId), {
              _tag: "MergeInto",
              into: target,
              at
            })
            yield* unit.decide(members, Member.memberStream(target), {
              _tag: "Absorb",
              from: input.buyerId,
              identities: merged.before.identities.filter((x) => x !== input.buyerId),
              tags: merged.before.tags,
              lots: merged.before.lots,
              at
            })
            for (const other of merged.before.identities)
              if (other !== input.buyerId) {
                const idx = yield* memberOfIndexed(storage, other)
                unit.append(assign(other, target, idx.version, at))
              }
          }
          unit.append(assign(input.buyerId, target, own.version, at))
          return target
        })
    })
    return { memberId: outcome._tag === "Duplicate" ? "" : outcome.value }
  })

/** What a chat message did for linking: not a code, linked, or refused (why, in the member's words' reason). */
export type ChatLink =
  | { readonly _tag: "NotACode" }
  | { readonly _tag: "Linked"; readonly memberId: string }
  | { readonly _tag: "Refused"; readonly reason: string }

/**
 * A chat message from a buyer (`channel` and its user id, as an inbound `Comment` gives them):
 * when it is a link code ({@link parseLinkCode}), it is redeemed for that identity. A host calls
 * this for direct messages (or before submitting comments) and skips the comment when it was a
 * code. Refusals (unknown, used or expired codes…) come back as a reason, not a failure.
 */
export const linkFromChat = (input: {
  readonly channel: string
  readonly userId: string
  readonly text: string
}): Effect.Effect<ChatLink, StorageError, Storage> => {
  const code = parseLinkCode(input.text)
  if (code === undefined) return Effect.succeed({ _tag: "NotACode" })
  return redeemLinkCode({ buyerId: `${input.channel}:${input.userId}`, code }).pipe(
    Effect.map((r): ChatLink => ({ _tag: "Linked", memberId: r.memberId })),
    Effect.catchTags({
      MemberError: (e) => Effect.succeed<ChatLink>({ _tag: "Refused", reason: e.reason }),
      MembersError: (e) => Effect.succeed<ChatLink>({ _tag: "Refused", reason: e.reason })
    })
  )
}

/**
 * The organiser merges member `from` into member `into`: its identities, manual tags and points
 * lots move over; `from` is kept as merged (its notes stay readable).
 */
export const merge = (input: {
  readonly into: string
  readonly from: string
}): Effect.Effect<void, Member.MemberError | MembersError | StorageError, Storage> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.into) || !isBuyerId(input.from))
      return yield* Effect.fail(badInput("member ids are channel:user"))
    if (input.into === input.from) return yield* Effect.fail(badInput("a member cannot be merged into itself"))
    const storage = yield* Storage
    const at = yield* nowIso
    yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          yield* ensure(unit, input.into, at)
          yield* ensure(unit, input.from, at)
          const merged = yield* unit.decide(members, Member.memberStream(input.from), {
            _tag: "MergeInto",
            into: input.into,
            at
          })
          yield* unit.decide(members, Member.memberStream(input.into), {
            _tag: "Absorb",
            from: input.from,
            identities: merged.before.identities,
            tags: merged.before.tags,
            lots: merged.before.lots,
            at
          })
          for (const id of merged.before.identities) {
            const idx = yield* memberOfIndexed(storage, id)
            unit.append(assign(id, input.into, idx.version, at))
          }
        })
    })
  })

/** The organiser splits an identity off its member: it is a member of its own again. */
export const split = (input: {
  readonly memberId: string
  readonly buyerId: string
}): Effect.Effect<void, Member.MemberError | MembersError | StorageError, Storage> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.memberId) || !isBuyerId(input.buyerId))
      return yield* Effect.fail(badInput("ids are channel:user"))
    const storage = yield* Storage
    const at = yield* nowIso
    yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          yield* unit.decide(
            members,
            Member.memberStream(input.memberId),
            { _tag: "Unlink", buyerId: input.buyerId, at },
            { missing: () => new MembersError({ reason: "unknown-member", message: "no such member" }) }
          )
          const own = yield* unit.load(members, Member.memberStream(input.buyerId))
          if (own.state.status === "merged")
            yield* unit.decide(members, Member.memberStream(input.buyerId), { _tag: "Reinstate", at })
          else yield* ensure(unit, input.buyerId, at)
          const idx = yield* memberOfIndexed(storage, input.buyerId)
          unit.append(assign(input.buyerId, input.buyerId, idx.version, at))
        })
    })
  })

/** What the organiser (or the buyer, in chat) can change on a member. */
export type Change =
  | { readonly _tag: "SetConsent"; readonly channel: string; readonly marketing: "granted" | "opted-out" }
  | { readonly _tag: "AddNote"; readonly text: string }
  | { readonly _tag: "SetHousehold"; readonly household: Member.Household }
  | { readonly _tag: "AddTag"; readonly tag: string }
  | { readonly _tag: "RemoveTag"; readonly tag: string }
  | { readonly _tag: "Block"; readonly reason: string }
  | { readonly _tag: "Unblock"; readonly reason: string }

/** The changes as a schema, to decode what an API or a form sends. */
export const ChangeSchema = Schema.Union([
  Schema.TaggedStruct("SetConsent", { channel: Schema.String, marketing: Schema.Literals(["granted", "opted-out"]) }),
  Schema.TaggedStruct("AddNote", { text: Schema.String }),
  Schema.TaggedStruct("SetHousehold", { household: Member.Household }),
  Schema.TaggedStruct("AddTag", { tag: Schema.String }),
  Schema.TaggedStruct("RemoveTag", { tag: Schema.String }),
  Schema.TaggedStruct("Block", { reason: Schema.String }),
  Schema.TaggedStruct("Unblock", { reason: Schema.String })
])

/**
 * Applies changes to the member of `buyerId` (a member id or any of its identities), in one
 * commit; registers the member first when it has no stream yet. Gives the member's id.
 */
export const update = (input: {
  readonly buyerId: string
  readonly changes: ReadonlyArray<Change>
}): Effect.Effect<
  { readonly memberId: string },
  Member.MemberError | MembersError | StorageError,
  Storage | IdGenerator.IdGenerator
> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.buyerId)) return yield* Effect.fail(badInput("a buyer id is channel:user"))
    const storage = yield* Storage
    const ids = yield* IdGenerator.IdGenerator
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          const { memberId } = yield* memberOfIndexed(storage, input.buyerId)
          yield* ensure(unit, memberId, at)
          const stream = Member.memberStream(memberId)
          for (const c of input.changes) {
            const command: Member.Command =
              c._tag === "AddNote" ? { _tag: "AddNote", noteId: ids.next("note"), text: c.text, at } : { ...c, at }
            yield* unit.decide(members, stream, command)
          }
          return memberId
        })
    })
    return { memberId: outcome._tag === "Duplicate" ? "" : outcome.value }
  })

/**
 * Points for a payment: `MemberRules.pointsFor(rules, amount)` points to the member of `buyerId`,
 * expiring after the rules' `validDays`. Once per payment (its id is the idempotency key).
 */
export const earnPoints = (input: {
  readonly buyerId: string
  readonly paymentId: string
  readonly amount: number
  readonly rules: MemberRules.Rules
}): Effect.Effect<{ readonly points: number }, Member.MemberError | MembersError | StorageError, Storage> =>
  Effect.gen(function* () {
    if (!isBuyerId(input.buyerId)) return yield* Effect.fail(badInput("a buyer id is channel:user"))
    const points = MemberRules.pointsFor(input.rules, input.amount)
    if (points === 0 || input.rules.points === undefined) return { points: 0 }
    const validDays = input.rules.points.validDays
    const storage = yield* Storage
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      idempotencyKey: `member-points:earn:${input.paymentId}`,
      process: (unit) =>
        Effect.gen(function* () {
          const { memberId } = yield* memberOfIndexed(storage, input.buyerId)
          yield* ensure(unit, memberId, at)
          yield* unit.decide(members, Member.memberStream(memberId), {
            _tag: "EarnPoints",
            entryId: `pay:${input.paymentId}`,
            points,
            expiresAt: new Date(Date.parse(at) + validDays * 86_400_000).toISOString(),
            source: `payment:${input.paymentId}`,
            at
          })
        })
    })
    return { points: outcome._tag === "Duplicate" ? 0 : points }
  })

/**
 * Redeems points on an order awaiting payment: at most the amount due, as a payment of
 * `points:<entryId>` on the order (1 point = NT$1), in the same commit as the ledger entry.
 * Refused when the member has fewer spendable points.
 */
export const redeemPoints = (input: {
  readonly orderId: string
  readonly points: number
}): Effect.Effect<
  { readonly points: number; readonly due: number },
  Member.MemberError | Order.OrderError | MembersError | StorageError,
  Storage | IdGenerator.IdGenerator
> =>
  Effect.gen(function* () {
    if (!Number.isSafeInteger(input.points) || input.points <= 0)
      return yield* Effect.fail(badInput("points are a positive whole number"))
    const storage = yield* Storage
    const ids = yield* IdGenerator.IdGenerator
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handleMany(storage, {
      at,
      process: (unit) =>
        Effect.gen(function* () {
          const entryId = ids.next("redeem")
          const order = yield* unit.load(orders, `order:${input.orderId}`)
          if (order.version === 0)
            return yield* Effect.fail(new MembersError({ reason: "unknown-order", message: "no confirmed order" }))
          const due = order.state.total - order.state.paid
          const points = Math.min(input.points, due)
          if (points <= 0) return { points: 0, due }
          const { memberId } = yield* memberOfIndexed(storage, order.state.buyerId)
          yield* unit.decide(
            members,
            Member.memberStream(memberId),
            {
              _tag: "RedeemPoints",
              entryId,
              points,
              orderId: input.orderId,
              at
            },
            {
              missing: () =>
                new Member.MemberError({ reason: "insufficient-points", message: "the member has no points" })
            }
          )
          const { state } = yield* unit.decide(orders, `order:${input.orderId}`, {
            _tag: "ApplyPayment",
            paymentId: `points:${entryId}`,
            amount: points,
            at
          })
          unit.view({ _tag: "UpsertOrder", order: orderView(state, at) })
          return { points, due: state.total - state.paid }
        })
    })
    return outcome._tag === "Duplicate" ? { points: 0, due: 0 } : outcome.value
  })

/** Expires the member's lots past their expiry now. Gives the points expired. */
export const expirePoints = (memberId: string): Effect.Effect<number, Member.MemberError | StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const at = yield* nowIso
    const outcome = yield* CommandHandler.handle(storage, members, {
      stream: Member.memberStream(memberId),
      command: { _tag: "ExpirePoints", at },
      at
    })
    if (outcome._tag !== "Committed") return 0
    return outcome.events.reduce(
      (n, e) => (e._tag === "PointsExpired" ? n + e.lots.reduce((m, l) => m + l.points, 0) : n),
      0
    )
  })

// ---------------------------------------------------------------------------------------------
// Querying members

/** A member evaluated at a time: the joined record, its numbers, tier, tags and points. */
export interface Evaluated {
  readonly member: MembersModel.Member
  readonly evaluated: MemberRules.Evaluated
  readonly points: number
  readonly blocked: boolean
}

const PAGE = 1_000

const listAll = <Doc>(definition: ReadModels.Definition<Doc>) =>
  Effect.gen(function* () {
    const out: Array<Doc> = []
    let after: string | undefined
    for (;;) {
      const page = yield* ReadModels.list(definition, { after, limit: PAGE })
      for (const r of page) out.push(r.doc)
      if (page.length < PAGE) return out
      after = page[page.length - 1]!.id
    }
  })

/**
 * Evaluates joined members with the rules at `now` (ms): pure, for many members at once (one
 * category matcher for all).
 */
export const evaluateAll = (
  joined: ReadonlyArray<MembersModel.Member>,
  rules: MemberRules.Rules,
  now: number
): Array<Evaluated> => {
  const categoryOf = MemberRules.categoryMatcher(rules.categories)
  return joined.map((member) => {
    const evaluated = MemberRules.evaluate(rules, member, now, categoryOf)
    const blocked = member.profile.status === "blocked"
    if (blocked) (evaluated.tags as Set<string>).add("blocked")
    return { member, evaluated, points: MembersModel.pointsOf(member.profile), blocked }
  })
}

/**
 * Every member, from the `members` and `member-purchases` read models (caught up first), joined
 * and evaluated with the rules at the current time.
 */
export const load = (rules: MemberRules.Rules): Effect.Effect<Array<Evaluated>, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    yield* storage.catchUp(MembersModel.name)
    yield* storage.catchUp(MembersModel.purchasesName)
    const profiles = yield* listAll(MembersModel.definition)
    const purchases = yield* listAll(MembersModel.purchasesDefinition)
    const now = yield* Clock.currentTimeMillis
    return evaluateAll(MembersModel.join(profiles, purchases), rules, now)
  })

/** The members in a segment (an expression of `Segment`), or the expression's error. */
export const select = (
  all: ReadonlyArray<Evaluated>,
  segment: string
): Result.Result<Array<Evaluated>, Segment.SegmentError> =>
  Result.map(Segment.parse(segment), (expr) => {
    const test = Segment.compile(expr)
    return all.filter((m) => test(m.evaluated.tags))
  })

// ---------------------------------------------------------------------------------------------
// Broadcasts

/** Why a member in the segment gets no broadcast. */
export type Skip = "opted-out" | "blocked" | "over-quota"

/** Who a broadcast reaches, decided before anything is written (pure). */
export interface Plan {
  readonly recipients: ReadonlyArray<{ readonly memberId: string; readonly buyerId: string; readonly channel: string }>
  readonly skipped: ReadonlyArray<{ readonly memberId: string; readonly reason: Skip }>
}

/**
 * Plans a marketing broadcast to these members: one message per member, on the first of its
 * identities whose channel it has not opted out of (with `consentRequired`, only channels with
 * consent granted) and whose channel's quota (messages left this period, `quotas[channel]`; no
 * entry: unlimited) is not used up. Blacklisted members get none.
 */
export const plan = (
  targets: ReadonlyArray<Evaluated>,
  options: {
    readonly quotas?: Readonly<Record<string, number>> | undefined
    readonly consentRequired?: boolean | undefined
  } = {}
): Plan => {
  const left = new Map(Object.entries(options.quotas ?? {}))
  const recipients: Array<Plan["recipients"][number]> = []
  const skipped: Array<Plan["skipped"][number]> = []
  for (const t of targets) {
    const p = t.member.profile
    if (t.blocked) {
      skipped.push({ memberId: p.memberId, reason: "blocked" })
      continue
    }
    let reason: Skip = "opted-out"
    let chosen: { buyerId: string; channel: string } | undefined
    for (const buyerId of p.identities) {
      const channel = buyerId.slice(0, buyerId.indexOf(":"))
      const consent = p.consent[channel]
      if (consent === "opted-out" || (options.consentRequired === true && consent !== "granted")) continue
      const quota = left.get(channel)
      if (quota !== undefined && quota <= 0) {
        reason = "over-quota"
        continue
      }
      chosen = { buyerId, channel }
      if (quota !== undefined) left.set(channel, quota - 1)
      break
    }
    if (chosen === undefined) skipped.push({ memberId: p.memberId, reason })
    else recipients.push({ memberId: p.memberId, ...chosen })
  }
  return { recipients, skipped }
}

/** What a broadcast did. */
export interface BroadcastReport {
  readonly broadcastId: string
  /** Messages queued now. */
  readonly queued: number
  /** Members who had this broadcast already (a re-run). */
  readonly duplicates: number
  readonly skipped: Readonly<Record<Skip, number>>
  readonly batches: number
}

/** The outbox message of a broadcast to one member (kind `text`, `data.marketing: true`). */
export const broadcastMessage = (
  broadcastId: string,
  recipient: { readonly memberId: string; readonly buyerId: string; readonly channel: string },
  text: string,
  at: string
): OutboundMessage => ({
  id: `broadcast:${broadcastId}:${recipient.memberId}`,
  kind: "text",
  to: { channel: recipient.channel, userId: recipient.buyerId.slice(recipient.channel.length + 1) } as Recipient,
  data: { text, marketing: true, broadcastId },
  createdAt: at
})

/**
 * Sends a marketing message to a segment through the outbox: {@link plan}ned, then queued in
 * batches of `batchSize` (default 500) members, each batch one transaction in which every member's
 * message claims its own idempotency key (`broadcast:<id>:<memberId>`), so running the same
 * broadcast again never sends a member a second message.
 */
export const broadcast = (input: {
  readonly broadcastId: string
  readonly segment: string
  readonly text: string
  readonly rules: MemberRules.Rules
  readonly quotas?: Readonly<Record<string, number>> | undefined
  readonly consentRequired?: boolean | undefined
  readonly batchSize?: number | undefined
}): Effect.Effect<BroadcastReport, Segment.SegmentError | MembersError | StorageError, Storage> =>
  Effect.gen(function* () {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.broadcastId))
      return yield* Effect.fail(badInput("a broadcast id is 1 to 64 letters, digits, _ or -"))
    const text = input.text.trim()
    if (text.length === 0 || text.length > 2_000)
      return yield* Effect.fail(badInput("a broadcast has 1 to 2,000 characters"))
    const expr = yield* Effect.fromResult(Segment.parse(input.segment))
    const storage = yield* Storage
    const all = yield* load(input.rules)
    const test = Segment.compile(expr)
    const targets = all.filter((m) => test(m.evaluated.tags))
    // Quotas count only messages not sent before: members who had it already are left out first.
    const keyOf = (memberId: string) => `broadcast:${input.broadcastId}:${memberId}`
    const seen = yield* storage.seenKeys(targets.map((t) => keyOf(t.member.memberId)))
    const fresh = targets.filter((t) => !seen.has(keyOf(t.member.memberId)))
    const planned = plan(fresh, { quotas: input.quotas, consentRequired: input.consentRequired })
    const at = yield* nowIso
    const size = Math.max(1, Math.min(input.batchSize ?? 500, 5_000))
    let queued = 0
    let duplicates = seen.size
    let batches = 0
    for (let i = 0; i < planned.recipients.length; i += size) {
      const commits: Array<Commit> = planned.recipients.slice(i, i + size).map((r) => ({
        idempotencyKey: keyOf(r.memberId),
        appends: [],
        views: [],
        outbox: [broadcastMessage(input.broadcastId, r, text, at)]
      }))
      const results = yield* storage.commit(commits)
      batches++
      for (const r of results)
        if (r._tag === "Duplicate") duplicates++
        else queued++
    }
    const skipped: Record<Skip, number> = { "opted-out": 0, blocked: 0, "over-quota": 0 }
    for (const s of planned.skipped) skipped[s.reason]++
    return { broadcastId: input.broadcastId, queued, duplicates, skipped, batches }
  })

// ---------------------------------------------------------------------------------------------
// Replenishment

/** The kind of a replenishment reminder job. */
export const REPLENISH = "member.replenish"

/** A replenishment job's payload. */
export const ReplenishPayload = Schema.Struct({
  memberId: Schema.String,
  category: Schema.String,
  runsOutAt: Schema.String,
  /** SKU prefixes of the category, to find matching products in open rounds. */
  prefixes: Schema.Array(Schema.String)
})
/** A replenishment job's payload. */
export type ReplenishPayload = typeof ReplenishPayload.Type

/**
 * The reminder jobs for one member: one per category with an estimate whose reminder is still
 * ahead of `now` (ms), id `replenish:<memberId>:<category>` (scheduling again moves it).
 */
export const replenishmentJobs = (
  rules: MemberRules.Rules,
  member: MembersModel.Member,
  now: number
): Array<ScheduledJob> =>
  MemberRules.replenishment(rules, member)
    .filter((e) => Date.parse(e.remindAt) > now)
    .map((e) => ({
      id: `replenish:${member.memberId}:${e.category}`,
      kind: REPLENISH,
      dueAt: e.remindAt,
      payload: {
        memberId: member.memberId,
        category: e.category,
        runsOutAt: e.runsOutAt,
        prefixes: rules.categories[e.category] ?? []
      } satisfies ReplenishPayload
    }))

/** Schedules every member's replenishment reminders (through the durable scheduler, in batches). */
export const scheduleReplenishment = (rules: MemberRules.Rules): Effect.Effect<number, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const all = yield* load(rules)
    const now = yield* Clock.currentTimeMillis
    const jobs = all.flatMap((m) => (m.blocked ? [] : replenishmentJobs(rules, m.member, now)))
    for (let i = 0; i < jobs.length; i += 1_000)
      yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: jobs.slice(i, i + 1_000) }])
    return jobs.length
  })

/** The products of open rounds whose SKU starts with one of `prefixes` (from each open round's stream). */
const openProducts = (storage: StorageService, prefixes: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const open = yield* ReadModels.list(ReadModels.Rounds.definition, { key: { k: "k1", value: "open" }, limit: 20 })
    const out: Array<{ roundId: string; title: string; names: Array<string> }> = []
    for (const r of open) {
      const { events } = yield* storage.readStream(`round:${r.id}`)
      const names = new Set<string>()
      for (const e of events) {
        const spec = (e.data as { spec?: { products?: ReadonlyArray<{ sku?: unknown; name?: unknown }> } }).spec
        for (const p of spec?.products ?? []) {
          const sku = typeof p.sku === "string" ? p.sku.toUpperCase() : undefined
          if (sku !== undefined && prefixes.some((x) => sku.startsWith(x.toUpperCase())))
            names.add(typeof p.name === "string" ? p.name : sku)
        }
      }
      if (names.size > 0) out.push({ roundId: r.id, title: r.doc.title, names: [...names] })
    }
    return out
  })

/**
 * Runs a `member.replenish` job: when an open round has products of the category, queues a
 * marketing message to the member (not when blacklisted or opted out on every channel), naming
 * the round and the products; otherwise nothing. Once per job (the job id is the message id).
 */
export const replenishReminder = (job: ClaimedJob): Effect.Effect<void, StorageError, Storage> =>
  Effect.gen(function* () {
    const decoded = Schema.decodeUnknownResult(ReplenishPayload)(job.payload)
    if (Result.isFailure(decoded)) return
    const payload = decoded.success
    const storage = yield* Storage
    yield* storage.catchUp(MembersModel.name)
    const profile =
      (yield* ReadModels.get(MembersModel.definition, payload.memberId)) ??
      MembersModel.defaultProfile(payload.memberId)
    if (profile.status !== "active") return
    const products = yield* openProducts(storage, payload.prefixes)
    if (products.length === 0) return
    const evaluated: Evaluated = {
      member: {
        memberId: profile.memberId,
        identities: profile.identities,
        tags: profile.tags,
        profile,
        purchases: []
      },
      evaluated: {
        stats: MemberRules.stats({ ...profile, purchases: [] }, () => undefined),
        tier: "",
        tags: new Set()
      },
      points: 0,
      blocked: false
    }
    const [to] = plan([evaluated]).recipients
    if (to === undefined) return
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    const first = products[0]!
    yield* storage.commit([
      {
        idempotencyKey: `replenish:${job.id}:${job.dueAt}`,
        appends: [],
        views: [],
        outbox: [
          {
            id: `replenish:${job.id}:${job.dueAt}`,
            kind: "text",
            to: { channel: to.channel, userId: to.buyerId.slice(to.channel.length + 1) } as Recipient,
            data: {
              text: replenishText({
                category: payload.category,
                runsOutAt: payload.runsOutAt,
                roundTitle: first.title,
                products: first.names
              }),
              marketing: true,
              category: payload.category,
              roundId: first.roundId
            },
            createdAt: at
          }
        ]
      }
    ])
  })

/** The member job handlers, to add to `Scheduler.builtIn`'s: `{ ...Scheduler.builtIn, ...Members.handlers }`. */
export const handlers = { [REPLENISH]: replenishReminder } as const
