/**
 * Spans for every Payments use case (`Payments.<method>`), with safe attributes only: the round,
 * decision and order ids, the statement's size, layout and encoding, counts (transactions,
 * decisions by status, unreadable rows, orders), amounts, the gateway's name, status and method,
 * decisions and reasons (literals), error tags, reasons and fields. Never a statement's rows or
 * memos, an account's bank code or digits, a virtual account, a payer's name, a gateway's
 * message, a trade number or an explanation (explanations quote the evidence). The GroupBuy and
 * Storage calls a use case makes are its child spans.
 *
 * Like core's `Storage.traced`, spans are made only when a tracer that records them is installed
 * (not Effect's default in-memory tracer, and `References.TracerEnabled` on); otherwise the calls
 * run as they are.
 *
 * @internal
 */
import { Effect, References, Tracer } from "effect"
import type { PaymentsService } from "../Payments.js"

type Attributes = Readonly<Record<string, string | number | boolean | undefined>>

const str = (v: unknown): string | undefined => (typeof v === "string" ? v.slice(0, 128) : undefined)
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined)
const field = (v: unknown, key: string): unknown =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined
const literal = (v: unknown): string | undefined =>
  typeof v === "string" && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(v) ? v : undefined
const sizeOf = (v: unknown): number | undefined =>
  v instanceof Uint8Array ? v.byteLength : typeof v === "string" ? v.length : undefined

const countsBy = <T>(items: ReadonlyArray<T>, key: (item: T) => string, prefix: string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const item of items) {
    const k = `${prefix}.${literal(key(item)) ?? "other"}`
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

const errorAttributes = (e: unknown): Attributes => ({
  "kaituan.error.tag": literal(field(e, "_tag")) ?? "unknown",
  "kaituan.error.reason": literal(field(e, "reason")),
  "kaituan.error.field": literal(field(e, "field"))
})

const set = (span: Tracer.Span, attributes: Attributes | undefined): void => {
  if (attributes === undefined) return
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) span.attribute(key, value)
  }
}

const safely = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

const span = <A, E, R>(
  name: string,
  self: Effect.Effect<A, E, R>,
  input: () => Attributes,
  output: (a: A) => Attributes
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (!fiber.getRef(References.TracerEnabled) || fiber.getRef(Tracer.Tracer) === Tracer.nativeTracer) return self
    const attributes = safely(input)
    return Effect.useSpan(name, { kind: "internal" }, (s) => {
      set(s, attributes)
      const observed = self.pipe(
        Effect.map((a) => {
          set(
            s,
            safely(() => output(a))
          )
          return a
        }),
        Effect.mapError((e) => {
          set(s, errorAttributes(e))
          return e
        })
      )
      return Effect.withParentSpan(observed, s, { captureStackTrace: false })
    })
  })

const traced = new WeakSet<PaymentsService>()

/**
 * The payments service with every call in a span `Payments.<method>` (see the module comment).
 * Tracing a traced service again returns it.
 */
export const tracePayments = (service: PaymentsService): PaymentsService => {
  if (traced.has(service)) return service
  const out: PaymentsService = {
    ...service,
    importStatement: (input) =>
      span(
        "Payments.importStatement",
        service.importStatement(input),
        () => ({
          "kaituan.round.id": str(field(input, "roundId")),
          "kaituan.statement.bytes": sizeOf(field(input, "file") ?? field(input, "text")),
          "kaituan.statement.format": literal(field(input, "format")),
          "kaituan.statement.encoding": literal(field(input, "encoding"))
        }),
        (r) => ({
          "kaituan.statement.layout": literal(r.layout),
          "kaituan.statement.read_as": literal(r.encoding),
          "kaituan.transactions": r.transactions.length,
          "kaituan.unreadable": r.unreadable.length,
          "kaituan.decisions": r.decisions.length,
          ...countsBy(r.decisions, (d) => d.status, "kaituan.decided"),
          "kaituan.applied": r.applied,
          "kaituan.applied_amount": r.appliedAmount
        })
      ),
    applyGatewayPayment: (input) =>
      span(
        "Payments.applyGatewayPayment",
        service.applyGatewayPayment(input),
        () => {
          const payment = field(input, "payment")
          return {
            "kaituan.round.id": str(field(input, "roundId")),
            "kaituan.gateway": literal(field(payment, "gateway")),
            "kaituan.gateway.status": literal(field(payment, "status")),
            "kaituan.gateway.method": literal(field(payment, "method")),
            "kaituan.gateway.simulated": field(payment, "simulated") === true,
            "kaituan.amount": num(field(payment, "amount"))
          }
        },
        (r) => ({
          "kaituan.decision": r.decision,
          "kaituan.decision.reason": literal(r.reason),
          "kaituan.accepted": r.accepted,
          "kaituan.orders": r.orderIds.length,
          "kaituan.order.id": r.orderIds.length === 1 ? str(r.orderIds[0]) : undefined
        })
      ),
    decisions: (query) =>
      span(
        "Payments.decisions",
        service.decisions(query),
        () => {
          const status = field(query, "status")
          return {
            "kaituan.round.id": str(field(query, "roundId")),
            "kaituan.statuses": Array.isArray(status) ? status.map(literal).filter(Boolean).sort().join(",") : undefined
          }
        },
        (list) => ({ "kaituan.rows": list.length })
      ),
    approveDecision: (input) =>
      span(
        "Payments.approveDecision",
        service.approveDecision(input),
        () => ({
          "kaituan.decision.id": str(field(input, "decisionId")),
          "kaituan.order.id": str(field(input, "orderId"))
        }),
        (d) => ({
          "kaituan.decision.status": d.status,
          "kaituan.amount": d.amount,
          "kaituan.orders": d.orderIds.length
        })
      ),
    rejectDecision: (input) =>
      span(
        "Payments.rejectDecision",
        service.rejectDecision(input),
        () => ({ "kaituan.decision.id": str(field(input, "decisionId")) }),
        (d) => ({ "kaituan.decision.status": d.status })
      )
  }
  traced.add(out)
  return out
}
