/**
 * The member read models' contract: the same events and member use cases give the same members
 * (identities, numbers, tags, tier, points) on every Storage, and a rebuild gives the same
 * documents. Run like `StorageContract.cases`, each case against a fresh, empty store:
 *
 * ```ts
 * for (const c of MembersContract.cases) it.live(c.name, () => c.run.pipe(Effect.provide(Storage.layerMemory)))
 * ```
 *
 * @since 0.4.0
 */
import { Effect, Layer } from "effect"
import * as Members from "./groupBuy/Members.js"
import * as IdGenerator from "./IdGenerator.js"
import * as MemberRules from "./MemberRules.js"
import * as MembersModel from "./readModels/Members.js"
import { Storage, type StorageService } from "./Storage.js"
import { ContractFailure, type Case } from "./StorageContract.js"

const DAY = 86_400_000

const expectEqual = (what: string, actual: unknown, expected: unknown) =>
  JSON.stringify(actual) === JSON.stringify(expected)
    ? Effect.void
    : Effect.fail(
        new ContractFailure({ message: `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}` })
      )

const rules: MemberRules.Rules = {
  ...MemberRules.defaults,
  categories: { 生鮮: ["FISH"], 零食: ["SNACK"] },
  frequent: { tag: "高頻消費", rounds: 3, withinDays: 60 }
}

/** An order confirmed at a round's cutoff, `daysAgo` days before now, as the Order aggregate records it. */
const confirmed = (
  orderId: string,
  roundId: string,
  buyerId: string,
  lines: ReadonlyArray<readonly [string, number, number]>,
  at: string
) => ({
  stream: `order:${orderId}`,
  expectedVersion: 0,
  events: [
    {
      type: "OrderConfirmed",
      at,
      data: {
        _tag: "OrderConfirmed",
        orderId,
        roundId,
        buyerId,
        buyer: { id: buyerId.slice(buyerId.indexOf(":") + 1) },
        lines: lines.map(([sku, qty, unitPrice]) => ({ sku, qty, unitPrice })),
        total: lines.reduce((n, [, q, p]) => n + q * p, 0),
        placedAt: at,
        at
      }
    }
  ]
})

const summary = (m: Members.Evaluated) => ({
  id: m.member.memberId,
  identities: m.member.identities,
  orders: m.evaluated.stats.orders,
  rounds: m.evaluated.stats.rounds,
  spend: m.evaluated.stats.spend,
  tier: m.evaluated.tier,
  tags: [...m.evaluated.tags].sort(),
  points: m.points,
  blocked: m.blocked
})

const allDocs = (s: StorageService, model: string) => s.documents({ model, limit: 10_000 })

const acrossChannels: Case = {
  name: "members: one member across channels and rounds, the same numbers, tags and points on every store",
  run: Effect.gen(function* () {
    const s = yield* Storage
    const now = Date.now()
    const ago = (d: number) => new Date(now - d * DAY).toISOString()
    yield* s.commit([
      {
        appends: [
          confirmed("o1", "r1", "line:U1", [["FISH-1", 2, 300]], ago(50)),
          confirmed("o2", "r2", "telegram:9", [["FISH-2", 1, 400]], ago(30)),
          confirmed("o3", "r3", "line:U1", [["SNACK-1", 1, 100]], ago(10)),
          confirmed("o4", "r3", "line:U2", [["SNACK-1", 3, 100]], ago(200)),
          confirmed("o5", "r4", "line:U2", [["FISH-1", 1, 300]], ago(150))
        ],
        views: [],
        outbox: []
      }
    ])
    yield* s.commit([
      {
        appends: [
          {
            stream: "order:o5",
            expectedVersion: 1,
            events: [
              {
                type: "OrderCancelled",
                at: ago(149),
                data: {
                  _tag: "OrderCancelled",
                  reason: "unpaid",
                  roundId: "r4",
                  buyerId: "line:U2",
                  total: 300,
                  at: ago(149)
                }
              }
            ]
          }
        ],
        views: [],
        outbox: []
      }
    ])
    const { code } = yield* Members.issueLinkCode({ buyerId: "line:U1" })
    yield* Members.redeemLinkCode({ buyerId: "telegram:9", code })
    yield* Members.update({
      buyerId: "telegram:9",
      changes: [
        { _tag: "AddTag", tag: "家有長輩控鹽" },
        { _tag: "SetConsent", channel: "line", marketing: "opted-out" }
      ]
    })
    yield* Members.update({ buyerId: "line:U2", changes: [{ _tag: "Block", reason: "棄單" }] })
    yield* Members.earnPoints({ buyerId: "telegram:9", paymentId: "p1", amount: 1_500, rules })
    const loaded = (yield* Members.load(rules)).map(summary)
    yield* expectEqual("members", loaded, [
      {
        id: "line:U1",
        identities: ["line:U1", "telegram:9"],
        orders: 3,
        rounds: 3,
        spend: 1_100,
        tier: "一般",
        tags: ["channel:line", "channel:telegram", "tier:一般", "偏好生鮮", "家有長輩控鹽", "高頻消費"],
        points: 15,
        blocked: false
      },
      {
        id: "line:U2",
        identities: ["line:U2"],
        orders: 1,
        rounds: 1,
        spend: 300,
        tier: "一般",
        tags: ["blocked", "channel:line", "tier:一般", "偏好零食", "沉睡"],
        points: 0,
        blocked: true
      }
    ])
    const before = {
      members: yield* allDocs(s, MembersModel.name),
      purchases: yield* allDocs(s, MembersModel.purchasesName)
    }
    yield* expectEqual(
      "a member's purchases by its id (k1)",
      (yield* s.documents({ model: MembersModel.purchasesName, key: { k: "k1", value: "line:U1" }, limit: 10 })).map(
        (d) => d.id
      ),
      ["line:U1", "telegram:9"]
    )
    yield* s.rebuild(MembersModel.name)
    yield* s.rebuild(MembersModel.purchasesName)
    yield* expectEqual("rebuilt members", yield* allDocs(s, MembersModel.name), before.members)
    yield* expectEqual("rebuilt member-purchases", yield* allDocs(s, MembersModel.purchasesName), before.purchases)
    yield* Members.split({ memberId: "line:U1", buyerId: "telegram:9" })
    const split = (yield* Members.load(rules)).map((m) => [m.member.memberId, m.evaluated.stats.spend])
    yield* expectEqual("split", split, [
      ["line:U1", 700],
      ["line:U2", 300],
      ["telegram:9", 400]
    ])
  }).pipe(Effect.provide(Layer.fresh(IdGenerator.layerCounter)))
}

/** Every case. Each expects a fresh, empty store and the live clock. */
export const cases: ReadonlyArray<Case> = [acrossChannels]
