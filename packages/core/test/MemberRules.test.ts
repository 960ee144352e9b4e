import { describe, expect, it } from "@effect/vitest"
import { MemberRules } from "@kaituan/core"
import { Schema } from "effect"
import fc from "fast-check"

const DAY = 86_400_000
const now = Date.parse("2025-06-30T12:00:00.000Z")
const ago = (days: number) => new Date(now - days * DAY).toISOString()
const rules = MemberRules.defaults

const purchase = (daysAgo: number, roundId: string, lines: ReadonlyArray<readonly [string, number, number]>) => ({
  at: ago(daysAgo),
  roundId,
  lines: lines.map(([sku, qty, unitPrice]) => ({ sku, qty, unitPrice })),
  total: lines.reduce((n, [, q, p]) => n + q * p, 0)
})

const member = (purchases: ReadonlyArray<MemberRules.Purchase>, extra: Partial<MemberRules.Summary> = {}) => ({
  memberId: "line:U1",
  identities: ["line:U1", "telegram:9"],
  tags: [],
  purchases,
  ...extra
})

describe("MemberRules", () => {
  it("the default rules decode with their schema", () => {
    expect(Schema.decodeUnknownSync(MemberRules.Rules)(rules)).toEqual(rules)
  })

  it("tags a frequent fresh-food buyer, a new one and a dormant one", () => {
    const frequent = MemberRules.evaluate(
      rules,
      member(
        [
          purchase(50, "r1", [["FISH-1", 2, 300]]),
          purchase(30, "r2", [["FISH-1", 1, 300]]),
          purchase(20, "r3", [["SNACK-1", 1, 100]]),
          purchase(5, "r4", [["MEAT-2", 1, 500]])
        ],
        { tags: ["常加班"] }
      ),
      now
    )
    expect([...frequent.tags].sort()).toEqual(
      ["高頻消費", "偏好生鮮", "常加班", "tier:一般", "channel:line", "channel:telegram"].sort()
    )
    expect(frequent.stats).toMatchObject({
      orders: 4,
      rounds: 4,
      spend: 1500,
      categorySpend: { 生鮮: 1400, 零食: 100 }
    })

    const fresh = MemberRules.evaluate(rules, member([purchase(3, "r9", [["VEG-1", 1, 80]])]), now)
    expect(fresh.tags.has("新用戶")).toBe(true)
    expect(fresh.tags.has("偏好蔬果")).toBe(true)
    expect(fresh.tags.has("沉睡")).toBe(false)

    const dormant = MemberRules.evaluate(rules, member([purchase(200, "r0", [["X", 1, 80]])]), now)
    expect(dormant.tags.has("沉睡")).toBe(true)
    expect(dormant.tags.has("新用戶")).toBe(false)
    expect(MemberRules.evaluate(rules, member([]), now).tags.has("沉睡")).toBe(false)
  })

  it("tiers: the first rule reached within its window", () => {
    const vip = Array.from({ length: 10 }, (_, i) => purchase(10 + i, `r${i}`, [["FISH", 1, 2_000]]))
    expect(MemberRules.tierOf(rules, member(vip), now)).toBe("VIP")
    expect(MemberRules.tierOf(rules, member(vip.slice(0, 3)), now)).toBe("熟客")
    const old = Array.from({ length: 10 }, (_, i) => purchase(400 + i, `r${i}`, [["FISH", 1, 2_000]]))
    expect(MemberRules.tierOf(rules, member(old), now)).toBe("一般")
  })

  const arbPurchase = fc
    .record({
      daysAgo: fc.integer({ min: 0, max: 500 }),
      round: fc.integer({ min: 0, max: 30 }),
      sku: fc.constantFrom("FISH-1", "VEG-2", "SNACK-3", "OTHER"),
      qty: fc.integer({ min: 1, max: 5 }),
      price: fc.integer({ min: 10, max: 3_000 })
    })
    .map((p) => purchase(p.daysAgo, `r${p.round}`, [[p.sku, p.qty, p.price]]))

  it("one more purchase never lowers a member's tier", () => {
    const rank = (tier: string) => {
      const i = rules.tiers.findIndex((t) => t.name === tier)
      return i < 0 ? rules.tiers.length : i
    }
    fc.assert(
      fc.property(fc.array(arbPurchase, { maxLength: 30 }), arbPurchase, (ps, more) => {
        const before = MemberRules.tierOf(rules, member(ps), now)
        const after = MemberRules.tierOf(rules, member([...ps, more]), now)
        expect(rank(after)).toBeLessThanOrEqual(rank(before))
      })
    )
  })

  it("a member is never both new and dormant, and preference tags fit the share", () => {
    fc.assert(
      fc.property(fc.array(arbPurchase, { maxLength: 30 }), (ps) => {
        const e = MemberRules.evaluate(rules, member(ps), now)
        expect(e.tags.has("新用戶") && e.tags.has("沉睡")).toBe(false)
        const prefs = [...e.tags].filter((t) => t.startsWith("偏好"))
        expect(prefs.length).toBeLessThanOrEqual(Math.floor(1 / rules.preference!.minShare))
        for (const p of prefs) expect(e.stats.categorySpend[p.slice(2)]! / e.stats.spend).toBeGreaterThanOrEqual(0.4)
        expect(e.stats.spend).toBe(ps.reduce((n, p) => n + p.total, 0))
      })
    )
  })

  it("the one-pass evaluation agrees with stats, tierOf and automaticTags", () => {
    const categoryOf = MemberRules.categoryMatcher(rules.categories)
    fc.assert(
      fc.property(fc.array(arbPurchase, { maxLength: 30 }), fc.subarray(["常加班", "VIP客"]), (ps, manual) => {
        const m = member(ps, { tags: manual })
        const e = MemberRules.evaluate(rules, m, now, categoryOf)
        const s = MemberRules.stats(m, categoryOf)
        expect(e.stats).toEqual(s)
        expect(e.tier).toBe(MemberRules.tierOf(rules, m, now))
        const expected = new Set([
          ...MemberRules.automaticTags(rules, m, s, now),
          ...manual,
          `tier:${e.tier}`,
          "channel:line",
          "channel:telegram"
        ])
        expect([...e.tags].sort()).toEqual([...expected].sort())
      })
    )
  })

  it("replenishment: capacity × rate from household facts, else the member's rhythm", () => {
    const fromHousehold = MemberRules.replenishment(
      rules,
      member([purchase(2, "r1", [["FISH-1", 4, 300]])], { household: { weeklyServings: { 生鮮: 8 } } })
    )
    // 4 packs × 4 servings ÷ 8 a week = 2 weeks: 11 to 18 days, reminder 3 days before the 11th.
    expect(fromHousehold).toEqual([
      {
        category: "生鮮",
        lastPurchaseAt: ago(2),
        units: 4,
        days: [11, 18],
        runsOutAt: new Date(now - 2 * DAY + 11 * DAY).toISOString(),
        remindAt: new Date(now - 2 * DAY + 8 * DAY).toISOString(),
        basis: "household"
      }
    ])
    const freezerBound = MemberRules.replenishment(
      rules,
      member([purchase(2, "r1", [["FISH-1", 10, 300]])], {
        household: { weeklyServings: { 生鮮: 8 }, freezerLitres: 8 }
      })
    )
    // A freezer of 8 litres holds 4 packs of 2 litres: the rest is eaten the same week, so 2 weeks again.
    expect(freezerBound[0]?.days).toEqual([11, 18])
    const rhythm = MemberRules.replenishment(
      rules,
      member([
        purchase(40, "r1", [["VEG-1", 1, 80]]),
        purchase(20, "r2", [["VEG-1", 2, 80]]),
        purchase(0, "r3", [["VEG-1", 1, 80]])
      ])
    )
    expect(rhythm).toMatchObject([{ category: "蔬果", days: [15, 25], basis: "history" }])
    expect(MemberRules.replenishment(rules, member([purchase(1, "r1", [["VEG-1", 1, 80]])]))).toEqual([])
  })

  it("points per NT$ paid, rounded down", () => {
    expect(MemberRules.pointsFor(rules, 1_999)).toBe(19)
    expect(MemberRules.pointsFor(rules, 0)).toBe(0)
    expect(MemberRules.pointsFor({ ...rules, points: undefined }, 5_000)).toBe(0)
  })
})
