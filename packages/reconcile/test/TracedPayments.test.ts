/**
 * The Payments spans (`tracePayments`): one per use case, with the round, amounts, literals and
 * counts, never a payer's account digits, virtual account, name or a statement's memo, with a
 * recording tracer. (The complete group buy with personal data is core's NoPersonalData test.)
 */
import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect, Layer, Tracer } from "effect"
import { Payments } from "../src/index.js"
import { tracePayments } from "../src/internal/tracedPayments.js"

const Deps = Layer.mergeAll(Storage.layerMemory, Layer.succeed(GroupBuy.GroupBuy, {} as GroupBuy.GroupBuyService))

const secrets = ["王小明", "86420", "VA-0912345678", "0912345678", "我的電話"]

const payment = {
  gateway: "newebpay",
  tradeNo: "T1",
  merchantOrderNo: "o1",
  amount: 450,
  status: "paid",
  method: "VACC",
  payerBankCode: "812",
  payerLast5: "86420",
  virtualAccount: "VA-0912345678",
  message: "王小明 我的電話0912345678",
  simulated: true
} as const

describe("tracePayments", () => {
  it.effect("a span per use case with safe attributes; no payer's data in any span", () => {
    const spans: Array<Tracer.NativeSpan> = []
    const tracer = Tracer.make({
      span: (options) => {
        const s = new Tracer.NativeSpan(options)
        spans.push(s)
        return s
      }
    })
    return Effect.gen(function* () {
      const p = tracePayments(yield* Payments.make())
      expect(tracePayments(p)).toBe(p)
      const ignored = yield* p.applyGatewayPayment({ roundId: "r1", payment })
      expect(ignored.decision).toBe("ignored")
      yield* Effect.flip(p.importStatement({ roundId: "r1", text: "2024/05/11,王小明,86420,450\n" }))
      yield* Effect.flip(p.decisions({ roundId: "" }))
      yield* Effect.flip(p.approveDecision({ decisionId: "" }))
      yield* Effect.flip(p.rejectDecision({ decisionId: "" }))
      const own = spans.filter((s) => s.name.startsWith("Payments."))
      // The storage calls are child spans.
      expect(spans.find((s) => s.name === "Storage.readStream")?.parent).toMatchObject({
        value: { name: "Payments.importStatement" }
      })
      expect(own.map((s) => s.name)).toEqual([
        "Payments.applyGatewayPayment",
        "Payments.importStatement",
        "Payments.decisions",
        "Payments.approveDecision",
        "Payments.rejectDecision"
      ])
      expect(Object.fromEntries(own[0]!.attributes)).toMatchObject({
        "kaituan.round.id": "r1",
        "kaituan.gateway": "newebpay",
        "kaituan.gateway.status": "paid",
        "kaituan.gateway.simulated": true,
        "kaituan.amount": 450,
        "kaituan.decision": "ignored",
        "kaituan.accepted": false
      })
      expect(Object.fromEntries(own[1]!.attributes)).toMatchObject({
        "kaituan.round.id": "r1",
        "kaituan.error.tag": "GroupBuyError",
        "kaituan.error.reason": "unknown-round"
      })
      expect(own[2]!.attributes.get("kaituan.error.field")).toBe("query.roundId")
      const text = inspect(
        spans.map((s) => [s.name, [...s.attributes], s.events, s.status]),
        { depth: Number.POSITIVE_INFINITY }
      )
      expect(secrets.filter((s) => text.includes(s))).toEqual([])
    }).pipe(Effect.provide(Deps), Effect.withTracer(tracer))
  })
})
