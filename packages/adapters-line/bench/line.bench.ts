/**
 * LINE adapter benchmark.
 *
 * - export: importing a generated 100,000-message chat export (zh-TW layout, 1 in 10 messages
 *   multi-line and quoted) with `LineExport.parse`. Baseline: a bare split + regex loop that only
 *   cuts TIME/NAME/TEXT (no quoted blocks, no dates, no ids). Target: ≥ 20,000 messages/s, i.e.
 *   a year of a busy group (~100,000 messages) imports in under 5 s.
 * - webhook: `verify` + `decode` of a 20-event body (names off). Baseline: HMAC + `JSON.parse`
 *   alone. Target: ≥ 500 bodies/s (10,000 events/s), far above what one LINE channel delivers.
 *
 * Times are CPU time of this process (best of 5), not wall-clock time.
 *
 * Run: `node --import tsx --expose-gc packages/adapters-line/bench/line.bench.ts` (from the repo
 * root). Writes `bench/results/line.json`.
 */
import { createHmac } from "node:crypto"
import { Http } from "@kaituan/core"
import { Effect } from "effect"
import { writeResult } from "../../../scripts/benchSupport.js"
import { LineChannel, LineExport, LineSignature } from "../src/index.js"

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000)
const BODIES = Number(process.env.BENCH_BODIES ?? 5_000)
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** CPU time (user + system) of `f`: the machine is shared, so wall-clock time would measure the neighbours. */
const time = <A>(f: () => A): { ms: number; result: A } => {
  gc()
  const t0 = process.cpuUsage()
  const result = f()
  const d = process.cpuUsage(t0)
  return { ms: (d.user + d.system) / 1000, result }
}
const best = <A>(runs: number, f: () => A) => {
  let min = Number.POSITIVE_INFINITY
  let result: A | undefined
  for (let i = 0; i < runs; i++) {
    const r = time(f)
    if (r.ms < min) min = r.ms
    result = r.result
  }
  return { ms: min, result: result as A }
}

// --- export ------------------------------------------------------------------------------------
const names = ["王小明", "陳大華", "團主小美", "Alice", "林 小姐"]
const messages = Array.from({ length: MESSAGES }, (_, i) => {
  const day = Math.floor(i / 2_000)
  const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString().slice(0, 10)
  const minute = Math.floor((i % 2_000) * 0.7)
  const time = `${String(Math.floor(minute / 60) % 24).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`
  const text = i % 10 === 0 ? `【芒果團】愛文 1箱 650\n5/10 截單，"+1" 請留言 #${i}` : `+${(i % 5) + 1} 芒果 ${i % 3}箱`
  return { date, time, name: names[i % names.length]!, text }
})
const file = LineExport.render({ title: "週末水果團購", style: "zh-TW", messages })

const baseline = (text: string) => {
  const out: Array<[string, string, string]> = []
  for (const line of text.split("\n")) {
    const m = /^(上午|下午)?(\d{1,2}:\d{2})\t([^\t]*)\t(.*)$/.exec(line)
    if (m) out.push([m[2]!, m[3]!, m[4]!])
  }
  return out.length
}

const exportBase = best(5, () => baseline(file))
const exportRun = best(5, () => Effect.runSync(LineExport.parse(file)).events.length)
if (exportRun.result !== MESSAGES) throw new Error(`imported ${exportRun.result} of ${MESSAGES} messages`)

// --- webhook -----------------------------------------------------------------------------------
const secret = "8c832c018d09a8be1738b32a3be1ee0a"
const body = JSON.stringify({
  destination: "U0123456789abcdef0123456789abcdef",
  events: Array.from({ length: 20 }, (_, i) => ({
    type: "message",
    mode: "active",
    timestamp: 1714540800000 + i,
    webhookEventId: `01HW${String(i).padStart(22, "0")}`,
    deliveryContext: { isRedelivery: false },
    source: { type: "group", groupId: "Ca56f94637cc4347f90a25382909b24b9", userId: `U${String(i).padStart(32, "0")}` },
    replyToken: `rt${i}`,
    message: { id: String(468789577898262530n + BigInt(i)), type: "text", quoteToken: "q", text: `+${i} 芒果 2箱` }
  }))
})
const req = Http.request({ headers: { "x-line-signature": LineSignature.sign(secret, body) }, body })
const line = Effect.runSync(LineChannel.make({ channelSecret: secret, channelAccessToken: "t", resolveNames: false }))

const webhookBase = best(5, () => {
  let n = 0
  for (let i = 0; i < BODIES; i++) {
    createHmac("sha256", secret).update(req.rawBody).digest("base64")
    n += (JSON.parse(new TextDecoder().decode(req.rawBody)) as { events: Array<unknown> }).events.length
  }
  return n
})
const webhookRun = best(5, () => {
  let n = 0
  for (let i = 0; i < BODIES; i++) {
    n += Effect.runSync(Effect.andThen(line.verify(req), line.decode(req))).length
  }
  return n
})
if (webhookRun.result !== BODIES * 20) throw new Error("webhook decode lost events")

const perSec = (count: number, ms: number) => Math.round((count / ms) * 1000)
const results = {
  export: {
    messages: MESSAGES,
    bytes: Buffer.byteLength(file),
    ms: Math.round(exportRun.ms),
    messagesPerSec: perSec(MESSAGES, exportRun.ms),
    baselineMs: Math.round(exportBase.ms),
    baselineMessagesPerSec: perSec(MESSAGES, exportBase.ms),
    slowdownVsBaseline: Number((exportRun.ms / exportBase.ms).toFixed(2)),
    target: 20_000
  },
  webhook: {
    bodies: BODIES,
    eventsPerBody: 20,
    ms: Math.round(webhookRun.ms),
    bodiesPerSec: perSec(BODIES, webhookRun.ms),
    baselineBodiesPerSec: perSec(BODIES, webhookBase.ms),
    slowdownVsBaseline: Number((webhookRun.ms / webhookBase.ms).toFixed(2)),
    target: 500
  }
}
console.log(
  `export: ${results.export.messagesPerSec.toLocaleString()} messages/s (baseline ${results.export.baselineMessagesPerSec.toLocaleString()}/s, ×${results.export.slowdownVsBaseline}), target ≥ 20,000/s ${results.export.messagesPerSec >= 20_000 ? "✔" : "✘"}`
)
console.log(
  `webhook: ${results.webhook.bodiesPerSec.toLocaleString()} bodies/s of 20 events (baseline ${results.webhook.baselineBodiesPerSec.toLocaleString()}/s, ×${results.webhook.slowdownVsBaseline}), target ≥ 500/s ${results.webhook.bodiesPerSec >= 500 ? "✔" : "✘"}`
)
writeResult("line", results)
