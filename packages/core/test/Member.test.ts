import { describe, expect, it } from "@effect/vitest"
import { Decider, Member } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"

const base = Date.parse("2025-03-01T00:00:00.000Z")
const iso = (day: number) => new Date(base + day * 86_400_000).toISOString()

const arbDay = fc.integer({ min: 0, max: 400 })

const arbCommand: fc.Arbitrary<Member.Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Register" as const),
    buyerId: fc.constantFrom("line:U1", "bad"),
    at: arbDay.map(iso)
  }),
  fc
    .record({ code: fc.constantFrom("ABCDEFGH", "ZZZZ2345"), day: arbDay, ttl: fc.integer({ min: -1, max: 3 }) })
    .map(
      ({ code, day, ttl }): Member.Command => ({ _tag: "IssueLinkCode", code, expiresAt: iso(day + ttl), at: iso(day) })
    ),
  fc.record({
    _tag: fc.constant("RedeemLinkCode" as const),
    code: fc.constantFrom("ABCDEFGH", "ZZZZ2345"),
    buyerId: fc.constantFrom("telegram:9", "facebook:P1", "line:U1"),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("Absorb" as const),
    from: fc.constantFrom("line:U2", "line:U1"),
    identities: fc.constant(["line:U2"]),
    tags: fc.constant(["常加班"]),
    lots: fc.constant([{ entryId: "x", points: 7, expiresAt: iso(500) }]),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("MergeInto" as const),
    into: fc.constantFrom("line:U9", "line:U1"),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("Unlink" as const),
    buyerId: fc.constantFrom("telegram:9", "line:U1"),
    at: arbDay.map(iso)
  }),
  fc.record({ _tag: fc.constant("Reinstate" as const), at: arbDay.map(iso) }),
  fc.record({
    _tag: fc.constant("SetConsent" as const),
    channel: fc.constantFrom("line", "telegram"),
    marketing: fc.constantFrom("granted" as const, "opted-out" as const),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("AddNote" as const),
    noteId: fc.constantFrom("n1", "n2"),
    text: fc.constantFrom("家有長輩控鹽", " "),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("SetHousehold" as const),
    household: fc.constant({ householdSize: 4, freezerLitres: 60 }),
    at: arbDay.map(iso)
  }),
  fc.record({
    _tag: fc.constant("AddTag" as const),
    tag: fc.constantFrom("常加班", "a b", "VIP"),
    at: arbDay.map(iso)
  }),
  fc.record({ _tag: fc.constant("RemoveTag" as const), tag: fc.constantFrom("常加班"), at: arbDay.map(iso) }),
  fc.record({ _tag: fc.constant("Block" as const), reason: fc.constantFrom("棄單三次", ""), at: arbDay.map(iso) }),
  fc.record({ _tag: fc.constant("Unblock" as const), reason: fc.constant("已付款"), at: arbDay.map(iso) }),
  fc
    .record({
      entryId: fc.constantFrom("e1", "e2", "e3", "e4"),
      points: fc.integer({ min: -5, max: 300 }),
      day: arbDay,
      valid: fc.integer({ min: 0, max: 120 })
    })
    .map(
      ({ entryId, points, day, valid }): Member.Command => ({
        _tag: "EarnPoints",
        entryId,
        points,
        expiresAt: iso(day + valid),
        source: "payment:p",
        at: iso(day)
      })
    ),
  fc.record({
    _tag: fc.constant("RedeemPoints" as const),
    entryId: fc.constantFrom("r1", "r2"),
    points: fc.integer({ min: -5, max: 400 }),
    orderId: fc.constant("o1"),
    at: arbDay.map(iso)
  }),
  fc.record({ _tag: fc.constant("ExpirePoints" as const), at: arbDay.map(iso) })
)

const registered = Decider.fold(Member.decider, [
  { _tag: "MemberRegistered", memberId: "line:U1", buyerId: "line:U1", at: iso(0) }
] as const)

describe("Member decider", () => {
  it("every transition the commands walk through is in the table", () => {
    const allowed = new Set(Member.transitions.map((x) => x.join("|")))
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 60 }), fc.boolean(), (commands, fromNothing) => {
        for (const move of Decider.transitions(
          Member.decider,
          (s) => s.status,
          commands,
          fromNothing ? undefined : registered
        ))
          expect(allowed.has(move.join("|")), move.join("|")).toBe(true)
      })
    )
  })

  it("the points ledger is never negative and conserves points", () => {
    fc.assert(
      fc.property(fc.array(arbCommand, { maxLength: 80 }), (commands) => {
        let s = registered
        for (const c of commands) {
          const r = Decider.run(Member.decider, c, s)
          if (Result.isFailure(r)) continue
          s = r.success.state
          expect(s.lots.every((l) => l.points > 0)).toBe(true)
          const balance = Member.balance(s)
          expect(balance).toBeGreaterThanOrEqual(0)
          expect(s.earned + s.transferredIn).toBe(balance + s.redeemed + s.expired + s.transferredOut)
          // Every event folded again from nothing gives the same state (decide only uses its command and state).
        }
      })
    )
  })

  it("redeeming never takes more than the spendable points, and takes the lots that expire first", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ points: fc.integer({ min: 1, max: 100 }), valid: fc.integer({ min: 1, max: 60 }) }), {
          minLength: 1,
          maxLength: 6
        }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 0, max: 70 }),
        (grants, want, day) => {
          const s = Decider.runAll(
            Member.decider,
            grants.map(
              (g, i): Member.Command => ({
                _tag: "EarnPoints",
                entryId: `e${i}`,
                points: g.points,
                expiresAt: iso(g.valid),
                source: "t",
                at: iso(0)
              })
            ),
            registered
          )
          if (Result.isFailure(s)) throw new Error("grants refused")
          const state = s.success.state
          const have = Member.spendable(state, iso(day))
          const r = Member.decide(
            { _tag: "RedeemPoints", entryId: "r", points: want, orderId: "o", at: iso(day) },
            state
          )
          if (want > have) {
            expect(Result.isFailure(r) && r.failure.reason).toBe("insufficient-points")
            return
          }
          if (Result.isFailure(r)) throw r.failure
          const [e] = r.success
          if (e?._tag !== "PointsRedeemed") throw new Error("expected PointsRedeemed")
          expect(e.from.reduce((n, x) => n + x.points, 0)).toBe(want)
          const expiryOf = new Map(state.lots.map((l) => [l.entryId, Date.parse(l.expiresAt)]))
          for (const x of e.from) expect(expiryOf.get(x.entryId)!).toBeGreaterThan(Date.parse(iso(day)))
          // Only the last lot taken is taken in part, and no later-expiring lot is used before an earlier one is empty.
          const times = e.from.map((x) => expiryOf.get(x.entryId)!)
          expect([...times].sort((a, b) => a - b)).toEqual(times)
        }
      )
    )
  })

  it("a link code works once, before it expires, for an identity not linked yet", () => {
    const issued = Decider.run(
      Member.decider,
      { _tag: "IssueLinkCode", code: "ABCDEFGH", expiresAt: iso(1), at: iso(0) },
      registered
    )
    if (Result.isFailure(issued)) throw issued.failure
    const s = issued.success.state
    const redeem = (code: string, buyerId: string, day: number, state = s) =>
      Member.decide({ _tag: "RedeemLinkCode", code, buyerId, at: iso(day) }, state)
    const late = redeem("ABCDEFGH", "telegram:9", 1)
    expect(Result.isFailure(late) && late.failure.reason).toBe("expired-code")
    const wrong = redeem("ABCDEFGX", "telegram:9", 0)
    expect(Result.isFailure(wrong) && wrong.failure.reason).toBe("wrong-code")
    const self = redeem("ABCDEFGH", "line:U1", 0)
    expect(Result.isFailure(self) && self.failure.reason).toBe("already-linked")
    const ok = Decider.run(
      Member.decider,
      { _tag: "RedeemLinkCode", code: "ABCDEFGH", buyerId: "telegram:9", at: iso(0) },
      s
    )
    if (Result.isFailure(ok)) throw ok.failure
    expect(ok.success.state.identities).toEqual(["line:U1", "telegram:9"])
    const again = redeem("ABCDEFGH", "facebook:P1", 0, ok.success.state)
    expect(Result.isFailure(again) && again.failure.reason).toBe("wrong-code")
  })

  it("the first identity cannot be split off; blocking needs a reason; tags are words", () => {
    const unlink = Member.decide({ _tag: "Unlink", buyerId: "line:U1", at: iso(1) }, registered)
    expect(Result.isFailure(unlink) && unlink.failure.reason).toBe("first-identity")
    const block = Member.decide({ _tag: "Block", reason: "  ", at: iso(1) }, registered)
    expect(Result.isFailure(block) && block.failure.reason).toBe("invalid-input")
    for (const bad of ["a b", "x(y", "tier:VIP", "AND", ""]) expect(Member.validTag(bad)).toBe(false)
    for (const good of ["常加班", "家有長輩控鹽", "VIP客"]) expect(Member.validTag(good)).toBe(true)
  })

  it("a merge moves the lots: the merged member keeps none, the absorbing one gets them all", () => {
    const withPoints = Decider.runAll(
      Member.decider,
      [{ _tag: "EarnPoints", entryId: "e1", points: 40, expiresAt: iso(30), source: "t", at: iso(0) }],
      registered
    )
    if (Result.isFailure(withPoints)) throw withPoints.failure
    const merged = Decider.run(
      Member.decider,
      { _tag: "MergeInto", into: "line:U9", at: iso(1) },
      withPoints.success.state
    )
    if (Result.isFailure(merged)) throw merged.failure
    expect(merged.success.state.status).toBe("merged")
    expect(Member.balance(merged.success.state)).toBe(0)
    expect(merged.success.state.transferredOut).toBe(40)
  })
})
