import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import {
  ChannelAdapter,
  ChannelRegistry,
  DomainEvents,
  Ids,
  OutboxRelay,
  OutgoingWebhooks,
  Scheduler,
  Storage
} from "@kaituan/core"
import { Context, Effect, Exit, Layer, Redacted, Schema, Tracer } from "effect"
import { TestClock } from "effect/testing"

const SECRET = "whsec_test_0123456789abcdef"

const signAt = (body: string, t: number, secret = SECRET) => OutgoingWebhooks.sign(secret, body, t)

/** verify at a fixed "now" (unix seconds), through the TestClock. */
const verifyAt = (nowSec: number, header: string | undefined, body: string, toleranceSec?: number) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(nowSec * 1000)
    return yield* OutgoingWebhooks.verify(Redacted.make(SECRET), header, body, { toleranceSec })
  })

describe("OutgoingWebhooks signatures", () => {
  it.effect("signs like Stripe: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>", () =>
    Effect.gen(function* () {
      const header = yield* signAt('{"a":1}', 1_700_000_000)
      expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/)
      // Known answer, computed independently: HMAC-SHA256(SECRET, '1700000000.{"a":1}').
      const { createHmac } = yield* Effect.promise(() => import("node:crypto"))
      const expected = createHmac("sha256", SECRET).update('1700000000.{"a":1}').digest("hex")
      expect(header).toBe(`t=1700000000,v1=${expected}`)
    })
  )

  it.effect.prop(
    "a signature verifies; any change to the body or the timestamp does not",
    [
      Schema.String,
      Schema.Int.check(Schema.isBetween({ minimum: 1_000_000_000, maximum: 4_000_000_000 })),
      Schema.String.check(Schema.isMinLength(1)),
      Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 }))
    ],
    ([body, t, extra, shift]) =>
      Effect.gen(function* () {
        const header = yield* signAt(body, t)
        expect((yield* verifyAt(t, header, body)).timestamp).toBe(t)
        // The same bytes as a Uint8Array verify too.
        yield* OutgoingWebhooks.verify(SECRET, header, new TextEncoder().encode(body))
        const tampered = yield* Effect.flip(verifyAt(t, header, body + extra))
        expect(tampered.reason).toBe("mismatch")
        // Another timestamp in the header (within the tolerance) does not match the signature.
        const moved = header.replace(`t=${t}`, `t=${t + (shift % 300) + 1}`)
        expect((yield* Effect.flip(verifyAt(t, moved, body))).reason).toBe("mismatch")
        // Another secret does not match.
        const other = yield* signAt(body, t, `${SECRET}-other`)
        expect((yield* Effect.flip(verifyAt(t, other, body))).reason).toBe("mismatch")
      }),
    { arbitrary: { runs: 50 } }
  )

  it.effect("refuses an old or a future timestamp, a missing or malformed header", () =>
    Effect.gen(function* () {
      const t = 1_700_000_000
      const header = yield* signAt("{}", t)
      expect((yield* Effect.flip(verifyAt(t + 301, header, "{}"))).reason).toBe("expired")
      expect((yield* Effect.flip(verifyAt(t - 301, header, "{}"))).reason).toBe("expired")
      expect((yield* verifyAt(t + 3_600, header, "{}", 7_200)).timestamp).toBe(t)
      expect((yield* Effect.flip(verifyAt(t, undefined, "{}"))).reason).toBe("missing")
      expect((yield* Effect.flip(verifyAt(t, "v1=abc", "{}"))).reason).toBe("malformed")
      expect((yield* Effect.flip(verifyAt(t, `t=${t}`, "{}"))).reason).toBe("malformed")
      // One of several signatures (a secret being rotated) is enough.
      const rotated = `${header.replace("v1=", "v1=00".padEnd(67, "0") + ",v1=")}`
      expect((yield* verifyAt(t, rotated, "{}")).timestamp).toBe(t)
    })
  )
})

describe("OutgoingWebhooks options", () => {
  it.effect("are decoded: bad URLs, short secrets, unknown types and duplicate ids are refused", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const good = { id: "crm", url: "https://crm.example/hook", secret: Redacted.make(SECRET), events: ["*"] as const }
      const bad = [
        { ...good, url: "ftp://crm.example" },
        { ...good, secret: Redacted.make("short") },
        { ...good, events: ["order.exploded"] },
        { ...good, id: "has space" }
      ]
      for (const sub of bad) {
        const exit = yield* Effect.exit(
          OutgoingWebhooks.make({ subscriptions: [sub as never] }).pipe(Effect.provideService(Storage.Storage, storage))
        )
        expect(Exit.isFailure(exit)).toBe(true)
      }
      const dup = yield* Effect.exit(
        OutgoingWebhooks.make({ subscriptions: [good, good] }).pipe(Effect.provideService(Storage.Storage, storage))
      )
      expect(Exit.isFailure(dup)).toBe(true)
    })
  )
})

// ---------------------------------------------------------------------------------------------
// End to end, with a real HTTP receiver
// ---------------------------------------------------------------------------------------------

interface Received {
  readonly delivery: string
  readonly event: string
  readonly signature: string
  readonly body: string
  readonly verified: boolean | string
}

/** A receiver that verifies each request as an embedder would, and answers `statuses` in turn (then 200). */
const receiver = (statuses: Array<number>) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ server: Server; url: string; received: Array<Received> }>((resolve) => {
          const received: Array<Received> = []
          const server = createServer((req: IncomingMessage, res) => {
            const chunks: Array<Buffer> = []
            req.on("data", (c: Buffer) => chunks.push(c))
            req.on("end", () => {
              const raw = Buffer.concat(chunks)
              const signature = String(req.headers["kaituan-signature"] ?? "")
              Effect.runPromise(
                OutgoingWebhooks.verify(SECRET, signature, new Uint8Array(raw), { toleranceSec: 300 }).pipe(
                  Effect.as(true as boolean | string),
                  Effect.catch((e) => Effect.succeed(e.reason))
                )
              ).then((verified) => {
                received.push({
                  delivery: String(req.headers["kaituan-delivery"]),
                  event: String(req.headers["kaituan-event"]),
                  signature,
                  body: raw.toString("utf8"),
                  verified
                })
                res.statusCode = statuses.shift() ?? 200
                res.end("ok")
              })
            })
          })
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo
            resolve({ server, url: `http://127.0.0.1:${port}/hooks/kaituan?token=receiver-token-123`, received })
          })
        })
    ),
    ({ server }) => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
  )

const opened = (roundId: string) => ({
  appends: [
    {
      stream: `round:${roundId}`,
      expectedVersion: 0,
      events: [
        {
          type: "RoundOpened",
          data: { _tag: "RoundOpened", at: "2024-05-01T01:00:00.000Z" },
          at: "2024-05-01T01:00:00.000Z"
        }
      ]
    }
  ],
  views: [],
  outbox: []
})

describe("OutgoingWebhooks delivery", () => {
  it.live("delivers signed events through durable jobs; a receiver failing twice gets it on the third try", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const storage = Storage.makeMemory()
        const rx = yield* receiver([500, 503])
        yield* storage.commit([opened("before")])
        const ctx = yield* Layer.build(
          OutgoingWebhooks.layer(
            {
              subscriptions: [
                { id: "crm", url: rx.url, secret: Redacted.make(SECRET), events: ["round.opened"] },
                { id: "audit", url: rx.url, secret: Redacted.make(SECRET), events: ["order.placed"] }
              ]
            },
            { dispatch: false }
          ).pipe(Layer.provide(Layer.succeed(Storage.Storage, storage)))
        )
        const webhooks = Context.get(ctx, OutgoingWebhooks.OutgoingWebhooks)
        const run = <A, E>(e: Effect.Effect<A, E, Storage.Storage | OutgoingWebhooks.OutgoingWebhooks>) =>
          e.pipe(Effect.provideService(Storage.Storage, storage), Effect.provide(ctx))
        // Starts at the end: the round opened before the first pass is not delivered.
        expect(yield* run(webhooks.dispatch)).toBe(0)
        yield* storage.commit([opened("r1")])
        expect(yield* run(webhooks.dispatch)).toBe(1)
        // Dispatching again, or a restarted dispatcher, schedules nothing twice.
        expect(yield* run(webhooks.dispatch)).toBe(0)
        const restarted = yield* run(
          OutgoingWebhooks.make({
            subscriptions: [{ id: "crm", url: rx.url, secret: Redacted.make(SECRET), events: ["*"] }]
          })
        )
        expect(yield* run(restarted.dispatch)).toBe(0)

        const handlers = OutgoingWebhooks.handlers({ maxAttempts: 5, baseDelayMs: 60_000 })
        const t0 = Date.now()
        const pass = (ms: number) => run(Scheduler.runDue({ now: new Date(t0 + ms).toISOString(), handlers }))
        const first = yield* pass(0)
        expect(first.jobs.map((j) => j.outcome)).toEqual(["retry"])
        expect(first.jobs[0]?.error).toContain("500")
        expect((yield* pass(30_000)).claimed).toBe(0)
        expect((yield* pass(60_000)).jobs.map((j) => j.outcome)).toEqual(["retry"])
        expect((yield* pass(60_000 + 120_000)).jobs.map((j) => j.outcome)).toEqual(["done"])
        expect((yield* pass(3_600_000)).claimed).toBe(0)

        // Three tries of one delivery: the same id each time, each signed afresh and verified.
        expect(rx.received).toHaveLength(3)
        const ids = new Set(rx.received.map((r) => r.delivery))
        expect([...ids]).toEqual([OutgoingWebhooks.deliveryId("crm", "evt_2")])
        expect(rx.received.map((r) => r.verified)).toEqual([true, true, true])
        expect(rx.received.map((r) => r.event)).toEqual(["round.opened", "round.opened", "round.opened"])
        const event = Schema.decodeUnknownSync(Schema.fromJsonString(DomainEvents.DomainEvent))(rx.received[0]!.body)
        expect(event).toMatchObject({ id: "evt_2", type: "round.opened", position: 2, data: { roundId: "r1" } })
        const [job] = yield* storage.jobs({ kind: OutgoingWebhooks.DELIVER })
        expect(job).toMatchObject({ status: "done", attempts: 3 })
        // The receiver's URL token never reaches the job's error or the payload.
        expect(JSON.stringify(yield* storage.jobs({}))).not.toContain("receiver-token-123")

        // On the receiving side, a tampered body and an old timestamp are refused.
        const { signature, body } = rx.received[2]!
        const tampered = yield* Effect.flip(OutgoingWebhooks.verify(SECRET, signature, body.replace('"r1"', '"r2"')))
        expect(tampered.reason).toBe("mismatch")
        const old = yield* signAt(body, Math.floor(Date.now() / 1000) - 3_600)
        expect((yield* Effect.flip(OutgoingWebhooks.verify(SECRET, old, body))).reason).toBe("expired")
      })
    )
  )

  it.live("a delivery whose subscription is gone fails for good; an unreachable receiver is retried", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const layer = OutgoingWebhooks.layer(
        {
          subscriptions: [
            { id: "down", url: "http://127.0.0.1:9/?secret=abc", secret: Redacted.make(SECRET), events: ["*"] }
          ],
          startAt: "beginning",
          timeoutMs: 2_000
        },
        { dispatch: false }
      )
      yield* Effect.gen(function* () {
        const webhooks = yield* OutgoingWebhooks.OutgoingWebhooks
        yield* storage.commit([opened("r1")])
        expect(yield* webhooks.dispatch).toBe(1)
        yield* Scheduler.schedule({
          id: "webhook:gone:evt_1",
          kind: OutgoingWebhooks.DELIVER,
          dueAt: new Date().toISOString(),
          payload: {
            subscriptionId: "gone",
            event: {
              id: "evt_1",
              version: 1,
              position: 1,
              occurredAt: "x",
              type: "round.opened",
              data: { roundId: "r1" }
            }
          }
        })
        const r = yield* Scheduler.runDue({
          handlers: OutgoingWebhooks.handlers(),
          now: new Date(Date.now() + 1000).toISOString()
        })
        const byId = Object.fromEntries(r.jobs.map((j) => [j.id, j]))
        expect(byId["webhook:gone:evt_1"]).toMatchObject({ outcome: "failed" })
        expect(byId["webhook:down:evt_1"]).toMatchObject({ outcome: "retry" })
        expect(byId["webhook:down:evt_1"]?.error).not.toContain("abc")
      }).pipe(Effect.provide(layer), Effect.provideService(Storage.Storage, storage))
    })
  )

  it.effect("the layer's dispatcher schedules deliveries as events come, until its scope closes", () =>
    Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const deps = Layer.succeed(Storage.Storage, storage)
      const deliveries = storage.jobs({ kind: OutgoingWebhooks.DELIVER })
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* Layer.build(
            OutgoingWebhooks.layer({
              subscriptions: [
                { id: "crm", url: "https://crm.example/hook", secret: Redacted.make(SECRET), events: ["*"] }
              ],
              pollMs: 1_000
            }).pipe(Layer.provide(deps))
          )
          yield* TestClock.adjust(10)
          yield* storage.commit([opened("r1")])
          yield* TestClock.adjust(1_000)
          expect((yield* deliveries).map((j) => j.id)).toEqual(["webhook:crm:evt_1"])
        })
      )
      yield* storage.commit([opened("r2")])
      yield* TestClock.adjust(5_000)
      expect(yield* deliveries).toHaveLength(1)
    })
  )
})

describe("spans", () => {
  it.live("scheduler runs, relay sends and webhook deliveries carry ids, kinds and attempts only", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const spans: Array<Tracer.Span> = []
        const recording = Tracer.make({
          span(options) {
            const span = Tracer.nativeTracer.span(options)
            spans.push(span)
            return span
          }
        })
        const storage = Storage.makeMemory()
        const rx = yield* receiver([])
        const line = ChannelAdapter.makeMemory(Ids.unsafe.channelId("line"))
        const services = Layer.mergeAll(
          Layer.succeed(Storage.Storage, storage),
          ChannelRegistry.layer([line]),
          OutgoingWebhooks.layer(
            {
              subscriptions: [{ id: "crm", url: rx.url, secret: Redacted.make(SECRET), events: ["*"] }],
              startAt: "beginning"
            },
            { dispatch: false }
          ).pipe(Layer.provide(Layer.succeed(Storage.Storage, storage)))
        )
        yield* Effect.gen(function* () {
          yield* storage.commit([
            {
              ...opened("r1"),
              outbox: [
                {
                  id: "m1",
                  kind: "order-confirmed",
                  to: { channel: Ids.unsafe.channelId("line"), userId: "U-private-user" },
                  data: { buyer: "Private Buyer Name" },
                  createdAt: "2024-05-01T10:00:00+08:00"
                }
              ]
            }
          ])
          yield* OutboxRelay.drain()
          yield* (yield* OutgoingWebhooks.OutgoingWebhooks).dispatch
          const r = yield* Scheduler.runDue({
            handlers: OutgoingWebhooks.handlers(),
            now: new Date(Date.now() + 1_000).toISOString()
          })
          expect(r.done).toBe(1)
        }).pipe(Effect.provide(services), Effect.provideService(Tracer.Tracer, recording))
        const names = new Set(spans.map((s) => s.name))
        for (const n of [
          "OutboxRelay.send",
          "Scheduler.runDue",
          "Scheduler.job",
          "OutgoingWebhooks.deliver",
          "OutgoingWebhooks.dispatch"
        ])
          expect(names).toContain(n)
        const job = spans.find((s) => s.name === "Scheduler.job")!
        expect(Object.fromEntries(job.attributes)).toMatchObject({
          "kaituan.job.id": "webhook:crm:evt_1",
          "kaituan.job.kind": "webhook.deliver",
          "kaituan.job.attempt": 1,
          "kaituan.job.outcome": "done"
        })
        const send = spans.find((s) => s.name === "OutboxRelay.send")!
        expect(Object.fromEntries(send.attributes)).toEqual({
          "kaituan.message.id": "m1",
          "kaituan.message.kind": "order-confirmed",
          "kaituan.channel": "line",
          "kaituan.attempt": 1
        })
        const all = JSON.stringify(spans.map((s) => [s.name, [...s.attributes]]))
        for (const secret of ["U-private-user", "Private Buyer", "receiver-token-123", "127.0.0.1", SECRET])
          expect(all).not.toContain(secret)
      })
    )
  )
})
