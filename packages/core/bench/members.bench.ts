/**
 * Member tags and tiers at scale: 100,000 members with 2,000,000 orders (generated in bulk as the
 * `members` and `member-purchases` read models hold them), joined, then evaluated with the default
 * rules (automatic tags, tier, channels), then segment queries over the evaluated members.
 *
 * Targets (issue #18): tags and tiers for all members under 5 s; a segment query under 200 ms.
 *
 * Writes `bench/results/members.json`.
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { MemberRules, Members, ReadModels } from "@kaituan/core"
import { Result } from "effect"

const MEMBERS = Number(process.env.MEMBERS ?? 100_000)
const ORDERS = Number(process.env.ORDERS ?? 2_000_000)
const DAY = 86_400_000
const now = Date.parse("2026-12-01T00:00:00.000Z")

/** A small deterministic generator (mulberry32). */
const rng = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const rand = rng(18)
const skus = ["FISH-1", "FISH-2", "MEAT-1", "SEA-3", "VEG-1", "FRUIT-2", "SNACK-1", "SNACK-2", "CUP-1", "SOCK-1"]

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6
/** CPU milliseconds (user + system) since `c0`: on a shared machine, what the work itself cost. */
const cpuMs = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0)
  return (d.user + d.system) / 1000
}

const profiles: Array<ReadModels.Members.Profile> = []
const purchases: Array<ReadModels.Members.Purchases> = []
let t0 = process.hrtime.bigint()
let orderNo = 0
for (let i = 0; i < MEMBERS; i++) {
  const memberId = `line:U${i}`
  // Orders per member: skewed (a few heavy buyers, many light ones), 2,000,000 in all.
  const share = i === MEMBERS - 1 ? ORDERS - orderNo : Math.min(ORDERS - orderNo, Math.floor(rand() * rand() * 80) + 1)
  const recent = rand() * 400
  const entries: Array<ReadModels.Members.PurchaseEntry> = []
  for (let k = 0; k < share; k++) {
    const n = 1 + Math.floor(rand() * 3)
    const lines = []
    let total = 0
    for (let l = 0; l < n; l++) {
      const unitPrice = 50 + Math.floor(rand() * 600)
      const qty = 1 + Math.floor(rand() * 3)
      lines.push({ sku: skus[Math.floor(rand() * skus.length)]!, qty, unitPrice })
      total += qty * unitPrice
    }
    entries.push({
      orderId: `o${orderNo++}`,
      roundId: `r${Math.floor(rand() * 300)}`,
      at: new Date(now - (recent + rand() * 365) * DAY).toISOString(),
      lines,
      total
    })
  }
  // A tenth of the members have a second channel (their purchases on two identities).
  if (i % 10 === 0 && entries.length > 1) {
    const half = entries.splice(0, Math.floor(entries.length / 2))
    purchases.push({ buyerId: `telegram:${i}`, memberId, entries: half })
    profiles.push({
      ...ReadModels.Members.defaultProfile(memberId),
      identities: [memberId, `telegram:${i}`],
      tags: i % 20 === 0 ? ["常加班"] : [],
      registeredAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString()
    })
  }
  purchases.push({ buyerId: memberId, memberId, entries })
}
const generateMs = ms(t0)
console.log(`generated ${MEMBERS} members, ${orderNo} orders in ${(generateMs / 1000).toFixed(1)} s`)

globalThis.gc?.()
t0 = process.hrtime.bigint()
let c0 = process.cpuUsage()
const joined = ReadModels.Members.join(profiles, purchases)
const joinMs = ms(t0)
const joinCpuMs = cpuMs(c0)

globalThis.gc?.()
t0 = process.hrtime.bigint()
c0 = process.cpuUsage()
const evaluated = Members.evaluateAll(joined, MemberRules.defaults, now)
const evaluateMs = ms(t0)
const evaluateCpuMs = cpuMs(c0)
const tiers: Record<string, number> = {}
for (const m of evaluated) tiers[m.evaluated.tier] = (tiers[m.evaluated.tier] ?? 0) + 1
console.log(
  `join ${joinMs.toFixed(0)} ms (cpu ${joinCpuMs.toFixed(0)}); tags and tiers ${evaluateMs.toFixed(0)} ms (cpu ${evaluateCpuMs.toFixed(0)})`,
  tiers
)

const segments = ["高頻消費 AND NOT 沉睡", "tier:VIP OR 偏好生鮮", "(channel:telegram OR 常加班) AND NOT tier:一般"]
const query: Record<string, { medianMs: number; p99Ms: number; medianCpuMs: number; members: number }> = {}
for (const s of segments) {
  const times: Array<number> = []
  const cpu: Array<number> = []
  let count = 0
  for (let r = 0; r < 30; r++) {
    const q0 = process.hrtime.bigint()
    const qc = process.cpuUsage()
    const got = Members.select(evaluated, s)
    times.push(ms(q0))
    cpu.push(cpuMs(qc))
    if (Result.isSuccess(got)) count = got.success.length
  }
  times.sort((a, b) => a - b)
  cpu.sort((a, b) => a - b)
  query[s] = {
    medianCpuMs: Number(cpu[Math.floor(cpu.length / 2)]!.toFixed(2)),
    medianMs: Number(times[Math.floor(times.length / 2)]!.toFixed(2)),
    p99Ms: Number(times[times.length - 1]!.toFixed(2)),
    members: count
  }
}
console.log(query)

const result = {
  name: "members",
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
  members: MEMBERS,
  orders: orderNo,
  joinMs: Number(joinMs.toFixed(0)),
  joinCpuMs: Number(joinCpuMs.toFixed(0)),
  tagsAndTiersMs: Number(evaluateMs.toFixed(0)),
  tagsAndTiersCpuMs: Number(evaluateCpuMs.toFixed(0)),
  tagsAndTiersTargetMs: 5_000,
  tiers,
  segmentQuery: query,
  segmentQueryTargetMs: 200
}
const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../bench/results/members.json")
fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`)
console.log("wrote bench/results/members.json")
