/**
 * The `members` group: members across channels and rounds (organiser only: personal data). The
 * list is evaluated with `MemberRules.defaults` at the request's time; a segment that does not
 * read is a 400 whose `field` names the place (`query.segment@7`).
 */
import { IdGenerator, MemberPolicy, MemberRules, Members, ReadModels, Segment, Storage } from "@kaituan/core"
import { Clock, Effect, Option, Result } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api, type MemberRow } from "../Api.js"
import { BadRequest, Conflict, NotFound } from "../Errors.js"
import { domainError, storageError } from "../internal/failures.js"

const rules = MemberRules.defaults

const rowOf = (m: Members.Evaluated): MemberRow => {
  const s = m.evaluated.stats
  return {
    memberId: m.member.memberId,
    identities: m.member.identities,
    orders: s.orders,
    rounds: s.rounds,
    spend: s.spend,
    firstOrderAt: s.firstOrderAt ?? null,
    lastOrderAt: s.lastOrderAt ?? null,
    tier: m.evaluated.tier,
    tags: [...m.evaluated.tags],
    manualTags: m.member.profile.tags,
    points: m.points,
    blocked: m.blocked,
    consent: m.member.profile.consent,
    categorySpend: s.categorySpend
  }
}

/** Member failures as the API's errors: refusals 409, unknown ids 404, bad input 400. */
const memberError = (e: unknown) => {
  if (typeof e === "object" && e !== null && "_tag" in e) {
    const t = e as { _tag: string; reason?: string; message?: string; position?: number }
    const message = t.message ?? t._tag
    if (t._tag === "MemberError")
      return t.reason === "invalid-input" || t.reason === "invalid-points"
        ? Effect.fail(new BadRequest({ field: "body", message }))
        : Effect.fail(new Conflict({ reason: t.reason ?? "rejected", message }))
    if (t._tag === "MembersError")
      return t.reason === "unknown-member" || t.reason === "unknown-order" || t.reason === "unknown-code"
        ? Effect.fail(new NotFound({ what: t.reason.slice(8), message }))
        : t.reason === "invalid-input"
          ? Effect.fail(new BadRequest({ field: "body", message }))
          : Effect.fail(new Conflict({ reason: t.reason ?? "rejected", message }))
    if (t._tag === "SegmentError") return Effect.fail(new BadRequest({ field: `segment@${t.position ?? 0}`, message }))
  }
  return domainError(e)
}

const withIds = <A, E>(self: Effect.Effect<A, E, Storage.Storage | IdGenerator.IdGenerator>) =>
  Effect.provideService(self, IdGenerator.IdGenerator, IdGenerator.makeNanoid())

/** The handlers of the `members` group. */
export const layer = HttpApiBuilder.group(Api, "members", (handlers) =>
  Effect.gen(function* () {
    const storage = yield* Storage.Storage
    // The host's member policy, when it runs one: a block or unblock takes effect at once.
    const policy = yield* Effect.serviceOption(MemberPolicy.MemberPolicy)
    const provide = <A, E>(self: Effect.Effect<A, E, Storage.Storage>) =>
      Effect.provideService(self, Storage.Storage, storage)
    const find = (memberId: string) =>
      Effect.gen(function* () {
        const all = yield* provide(Members.load(rules)).pipe(Effect.mapError(storageError))
        const target = yield* provide(Members.memberOf(memberId)).pipe(Effect.mapError(storageError))
        const m = all.find((x) => x.member.memberId === target)
        if (m === undefined) return yield* new NotFound({ what: "member", message: "no such member" })
        return m
      })
    return handlers
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const all = yield* provide(Members.load(rules)).pipe(Effect.mapError(storageError))
          const counts = new Map<string, number>()
          for (const m of all) for (const t of m.evaluated.tags) counts.set(t, (counts.get(t) ?? 0) + 1)
          const tags = [...counts]
            .map(([tag, members]) => ({ tag, members }))
            .sort((a, b) => b.members - a.members || (a.tag < b.tag ? -1 : 1))
          let chosen: ReadonlyArray<Members.Evaluated> = all
          if (query.segment !== undefined && query.segment.trim() !== "") {
            const selected = Members.select(all, query.segment)
            if (Result.isFailure(selected))
              return yield* new BadRequest({
                field: `query.segment@${selected.failure.position}`,
                message: `${selected.failure.reason}: ${selected.failure.message}`
              })
            chosen = selected.success
          }
          return { total: chosen.length, members: chosen.map(rowOf), tags }
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const m = yield* find(params.memberId)
          const now = yield* Clock.currentTimeMillis
          const profile = m.member.profile
          return {
            member: rowOf(m),
            notes: profile.notes,
            household: profile.household,
            blockedReason: profile.blocked?.reason ?? null,
            purchases: [...m.member.purchases]
              .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
              .map((p) => ({ orderId: p.orderId, roundId: p.roundId, at: p.at, total: p.total })),
            replenishment: MemberRules.replenishment(rules, m.member).filter(
              (e) => Date.parse(e.runsOutAt) > now - 30 * 86_400_000
            )
          }
        })
      )
      .handle("change", ({ params, payload }) =>
        provide(withIds(Members.update({ buyerId: params.memberId, changes: payload.changes }))).pipe(
          Effect.catch(memberError),
          Effect.tap(() =>
            Option.isSome(policy) && payload.changes.some((c) => c._tag === "Block" || c._tag === "Unblock")
              ? policy.value.refresh.pipe(Effect.mapError(storageError))
              : Effect.void
          )
        )
      )
      .handle("linkCode", ({ params }) =>
        provide(withIds(Members.issueLinkCode({ buyerId: params.memberId }))).pipe(Effect.catch(memberError))
      )
      .handle("merge", ({ params, payload }) =>
        provide(Members.merge({ into: params.memberId, from: payload.from })).pipe(
          Effect.as({ memberId: params.memberId }),
          Effect.catch(memberError)
        )
      )
      .handle("split", ({ params, payload }) =>
        provide(Members.split({ memberId: params.memberId, buyerId: payload.buyerId })).pipe(
          Effect.as({ memberId: payload.buyerId }),
          Effect.catch(memberError)
        )
      )
      .handle("broadcast", ({ payload }) =>
        provide(
          Members.broadcast({
            broadcastId: payload.broadcastId,
            segment: payload.segment,
            text: payload.text,
            rules,
            quotas: payload.quotas,
            consentRequired: payload.consentRequired
          })
        ).pipe(Effect.catch(memberError))
      )
  })
)

/** The segment parser, re-exported for clients that check an expression before sending it. */
export const parseSegment = Segment.parse

/** The read model the list reads (for hosts that register read models by hand). */
export const readModels = [ReadModels.Members.definition, ReadModels.Members.purchasesDefinition]
