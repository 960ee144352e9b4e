/**
 * What an embedder's OpenTelemetry would see, recorded: a tracer that keeps every span (name,
 * attributes, events, links, and its end as an OTLP exporter reports it: `ok`, or the errors'
 * names, messages and stacks) and a logger that keeps every log line (message, level, annotations,
 * log spans, cause). Plus a complete group buy whose buyers have distinctive names, ids and texts,
 * run on any Storage, and a call of every Storage method. Used by the no-personal-data tests of
 * core (memory) and storage-sql (SQLite).
 */
import { inspect } from "node:util"
import {
  ChannelAdapter,
  ChannelRegistry,
  CommentParser,
  GroupBuy,
  IdGenerator,
  Ids,
  OutboxRelay,
  Scheduler,
  Storage
} from "@kaituan/core"
import { Cause, Effect, Exit, Layer, Logger, References, Tracer } from "effect"
import { traceGroupBuy } from "../../src/internal/tracedGroupBuy.js"
import { spec, testParser } from "./fixtures.js"

/** A tracer and a logger that keep everything, and the text of everything they kept. */
export const recorder = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  const lines: Array<string> = []
  const logger = Logger.make((o) => {
    lines.push(
      inspect(
        {
          level: o.logLevel,
          message: o.message,
          annotations: o.fiber.getRef(References.CurrentLogAnnotations),
          logSpans: o.fiber.getRef(References.CurrentLogSpans),
          cause: Cause.pretty(o.cause)
        },
        { depth: Number.POSITIVE_INFINITY, breakLength: Number.POSITIVE_INFINITY }
      )
    )
  })
  /** How a span ended, as an OTLP exporter reports it (errors with their messages and stacks). */
  const ending = (span: Tracer.NativeSpan): unknown => {
    const status = span.status
    if (status._tag === "Started") return "started"
    if (Exit.isSuccess(status.exit)) return "ok"
    return Cause.prettyErrors(status.exit.cause, { includeCauseInStack: true }).map((e) => ({
      name: e.name,
      message: e.message,
      stack: e.stack
    }))
  }
  const spanText = (span: Tracer.NativeSpan): string =>
    inspect(
      {
        name: span.name,
        attributes: [...span.attributes],
        events: span.events,
        links: span.links.map((l) => l.attributes),
        ending: ending(span)
      },
      { depth: Number.POSITIVE_INFINITY, breakLength: Number.POSITIVE_INFINITY }
    )
  return {
    spans,
    lines,
    /** Runs an effect with the recording tracer and logger (layers built inside are recorded too). */
    record: <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      self.pipe(Effect.provide(Logger.layer([logger])), Effect.withTracer(tracer)),
    /** Everything recorded, as text. */
    text: () => [...spans.map(spanText), ...lines].join("\n"),
    /** The recorded spans with this name. */
    named: (name: string) => spans.filter((s) => s.name === name),
    /** The name of a span's parent, if it is a recorded span. */
    parentName: (span: Tracer.NativeSpan) => parentOf(span)?.name,
    /** The names of a span's ancestors, nearest first. */
    ancestors: (span: Tracer.NativeSpan) => {
      const names: Array<string> = []
      for (let p = parentOf(span); p !== undefined; p = parentOf(p)) names.push(p.name)
      return names
    }
  }
}

const parentOf = (span: Tracer.Span): Tracer.Span | undefined => {
  const parent = span.parent._tag === "Some" ? span.parent.value : undefined
  return parent?._tag === "Span" ? parent : undefined
}

/** The recorded strings among `secrets` (none expected). */
export const leaked = (text: string, secrets: ReadonlyArray<string>): ReadonlyArray<string> =>
  secrets.filter((s) => text.includes(s))

// ---------------------------------------------------------------------------------------------
// A complete group buy with distinctive personal data

const OPEN = "2024-05-01T09:00:00+08:00"
const CUTOFF = "2024-05-10T22:00:00+08:00"

const XIAOMING = { id: "U-SECRET-1234", name: "王小明" }
const MEILI = { id: "U-SECRET-5678", name: "陳美麗" }

/** The personal data of the scenario's buyers: none may show in a span or a log line. */
export const secrets: ReadonlyArray<string> = [
  XIAOMING.id,
  XIAOMING.name,
  MEILI.id,
  MEILI.name,
  "0912345678",
  "我的電話",
  "信義路",
  "面交",
  "紫色",
  "86420",
  "說不要了",
  "ZZWRONG4321",
  "TRACK-77001234"
]

const comment = (
  id: string,
  author: { readonly id: string; readonly name: string },
  text: string,
  at = "2024-05-01T10:00:00+08:00"
): GroupBuy.CommentInput => ({ channel: "line", commentId: id, author, text, at })

/** The use cases over the context's Storage, traced as `GroupBuy.layer` will trace them. */
export const app = (storage: Layer.Layer<Storage.Storage, unknown>) =>
  Layer.effect(GroupBuy.GroupBuy, Effect.map(GroupBuy.make, traceGroupBuy)).pipe(
    Layer.provideMerge(Layer.mergeAll(storage, CommentParser.layer(testParser), IdGenerator.layerCounter))
  )

/** A channel whose every send fails with an error quoting the buyer (as a platform's error body may). */
const chattyLine: ChannelAdapter.ChannelAdapterService = {
  ...ChannelAdapter.makeMemory(Ids.unsafe.channelId("line")),
  send: () =>
    Effect.fail(
      new ChannelAdapter.ChannelError({
        reason: "rejected",
        message: `push to ${XIAOMING.name} (${XIAOMING.id}) refused: 我的電話0912345678`
      })
    )
}

/**
 * Opens a round, takes comments (orders, a question, a review, a duplicate, an edit, a bad
 * input), resolves the review, closes the round by its cutoff job, records a payment, ships for a
 * meet-up pickup, finds and confirms the pickup (a wrong code first), cancels the other order,
 * reports, reads a buyer, and relays the messages to a channel that refuses them. Returns the
 * scenario's secrets, the pickup code among them.
 */
export const completeGroupBuy = Effect.gen(function* () {
  const g = yield* GroupBuy.GroupBuy
  const storage = yield* Storage.Storage
  yield* g.openRound({ spec: spec(), at: OPEN })
  yield* g.submitComments({
    roundId: "socks",
    comments: [
      comment("c1", XIAOMING, "我的電話0912345678 紅色+2"),
      comment("c2", MEILI, "白+1 住信義路五段7號"),
      comment("c3", XIAOMING, "請問 王小明 可以面交嗎?"),
      comment("c4", MEILI, "紫色+3 陳美麗要"),
      comment("c1", XIAOMING, "我的電話0912345678 紅色+2")
    ]
  })
  yield* g.editComment({
    roundId: "socks",
    comment: comment("c2", MEILI, "白+1 住信義路五段7號 陳美麗", "2024-05-01T10:05:00+08:00")
  })
  // A bad input quoting a buyer: the error names the field, never the value.
  yield* Effect.flip(
    g.submitComments({ roundId: "socks", comments: [comment("c9", XIAOMING, "我的電話0912345678", "not a date")] })
  )
  yield* g.resolveReview({ roundId: "socks", commentId: "line:c4", action: "dismiss" })
  // The cutoff job closes the round; closing it again changes nothing.
  yield* Scheduler.runDue({ now: "2024-05-10T22:00:01+08:00" })
  yield* g.closeRound({ roundId: "socks", at: CUTOFF })
  const [xiaoming] = yield* g.orders({ roundId: "socks", buyerId: `line:${XIAOMING.id}` })
  const [meili] = yield* g.orders({ roundId: "socks", buyerId: `line:${MEILI.id}` })
  yield* g.recordPayment({
    transactionId: "tx-1",
    source: "statement",
    amount: xiaoming!.total,
    at: "2024-05-11T10:00:00+08:00",
    bankCode: "812",
    last5: "86420",
    orderIds: [xiaoming!.orderId],
    evidence: `${XIAOMING.name} 轉帳 後五碼86420`
  })
  const shipped = yield* g.ship({
    orderId: xiaoming!.orderId,
    lines: [{ sku: "SOCK-R", qty: 2 }],
    method: "pickup",
    carrier: "面交",
    trackingNo: "TRACK-77001234"
  })
  const code = shipped.pickupCode!
  yield* g.findPickup({ code })
  yield* Effect.flip(g.confirmPickup({ shipmentId: shipped.shipmentId, code: "ZZWRONG4321" }))
  yield* g.confirmPickup({ shipmentId: shipped.shipmentId, code })
  yield* g.cancelOrder({ orderId: meili!.orderId, reason: `${MEILI.name}說不要了` })
  yield* g.report("socks")
  yield* storage.buyer(`line:${XIAOMING.id}`)
  yield* storage.readStream(`pickup-code:${code}`)
  yield* OutboxRelay.drain({ retryAfterMs: 0 }).pipe(Effect.provide(ChannelRegistry.layer([chattyLine])))
  return [...secrets, code]
})

/** The use cases the scenario calls: each must have its span. */
export const useCaseSpans = [
  "GroupBuy.openRound",
  "GroupBuy.submitComments",
  "GroupBuy.editComment",
  "GroupBuy.resolveReview",
  "GroupBuy.closeRound",
  "GroupBuy.orders",
  "GroupBuy.recordPayment",
  "GroupBuy.ship",
  "GroupBuy.findPickup",
  "GroupBuy.confirmPickup",
  "GroupBuy.cancelOrder",
  "GroupBuy.report"
]

// ---------------------------------------------------------------------------------------------
// Every Storage method once

/** Calls every StorageService method once, with a buyer's id and name wherever one fits. */
export const everyStorageMethod = (storage: Storage.StorageService) =>
  Effect.gen(function* () {
    const buyerKey = `message:line:${XIAOMING.id}`
    yield* storage.commit([
      {
        idempotencyKey: buyerKey,
        keyData: XIAOMING.name,
        appends: [
          {
            stream: `buyer-${XIAOMING.id}:1`,
            expectedVersion: 0,
            events: [{ type: "Noted", data: XIAOMING, at: OPEN }]
          }
        ],
        views: [
          {
            _tag: "AddBuyerIdentity",
            buyerId: `line:${XIAOMING.id}`,
            channel: "line",
            userId: XIAOMING.id,
            name: XIAOMING.name
          }
        ],
        outbox: [
          {
            id: "m1",
            kind: "order-confirmed",
            to: { channel: Ids.unsafe.channelId("line"), userId: XIAOMING.id },
            data: { name: XIAOMING.name },
            createdAt: OPEN
          }
        ],
        schedule: [{ id: "job-1", kind: "test.kind", dueAt: OPEN, payload: XIAOMING }]
      }
    ])
    yield* storage.readStream(`buyer-${XIAOMING.id}:1`)
    yield* storage.readAll(0, 10)
    yield* storage.seenKeys([buyerKey])
    yield* storage.readKeys([buyerKey])
    yield* storage.orders({ roundId: "socks", buyerId: `line:${XIAOMING.id}`, status: ["open"], limit: 5 })
    yield* storage.order("o_1")
    yield* storage.reviewQueue({ roundId: "socks" })
    yield* storage.notOrdered({ roundId: "socks" })
    yield* storage.stock({ roundId: "socks" })
    yield* storage.buyer(`line:${XIAOMING.id}`)
    const claimed = yield* storage.claimOutbox({ limit: 10, leaseMs: 1000 })
    yield* storage.failOutbox("m1", `push to ${XIAOMING.name} failed`, 0)
    yield* storage.deadLetterOutbox("m1", `push to ${XIAOMING.name} failed for good`)
    yield* storage.deadLetters({})
    yield* storage.retryDeadLetters(["m1"])
    yield* storage.ackOutbox(claimed.map((e) => e.message.id))
    const [job] = yield* storage.claimJobs({ now: CUTOFF, limit: 10, leaseMs: 1000 })
    yield* storage.failJob(job!.id, job!.claim, `${XIAOMING.name} 0912345678`, CUTOFF)
    const [again] = yield* storage.claimJobs({ now: "2024-05-11T00:00:00+08:00", limit: 10, leaseMs: 1000 })
    yield* storage.completeJob(again!.id, again!.claim)
    yield* storage.jobs({ kind: "test.kind" })
    yield* storage.replaceViews([])
    const models = yield* storage.readModels()
    const model = models[0]?.name ?? "none"
    yield* storage.document(model, `line:${XIAOMING.id}`)
    yield* storage.documents({ model, key: { k: "k1", value: `line:${XIAOMING.id}` }, after: XIAOMING.name, limit: 5 })
    yield* storage.catchUp()
    yield* storage.rebuild(model)
  })

/** The span names of every StorageService method (what {@link everyStorageMethod} must produce). */
export const storageSpanNames = (storage: Storage.StorageService): ReadonlyArray<string> =>
  Object.keys(storage)
    .filter((k) => typeof (storage as unknown as Record<string, unknown>)[k] === "function")
    .map((k) => `Storage.${k}`)
    .sort()
