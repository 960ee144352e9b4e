/**
 * Observability without personal data: a complete group buy, run with a recording tracer and a
 * capturing logger, leaves spans for every use case and storage call, and none of the buyers'
 * names, user ids, comment texts, phone number, account digits, pickup code or tracking number in
 * a span's name, attributes, events or ending, nor in a log line. The SQLite twin is in
 * packages/storage-sql/test/NoPersonalData.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { ChannelRegistry, OutboxRelay, Scheduler, Storage } from "@kaituan/core"
import { Effect, Layer, References } from "effect"
import { traceGroupBuy } from "../src/internal/tracedGroupBuy.js"
import {
  app,
  completeGroupBuy,
  everyStorageMethod,
  leaked,
  recorder,
  secrets,
  storageSpanNames,
  useCaseSpans
} from "./support/observability.js"

describe("spans and logs carry no personal data (memory storage)", () => {
  it.effect("a complete group buy: a span per use case and storage call, no buyer's data anywhere", () => {
    const r = recorder()
    return Effect.gen(function* () {
      const forbidden = yield* r.record(completeGroupBuy.pipe(Effect.provide(app(Storage.layerMemory))))
      const names = new Set(r.spans.map((s) => s.name))
      for (const name of useCaseSpans) expect(names, name).toContain(name)
      for (const name of [
        "Storage.commit",
        "Storage.readStream",
        "Storage.readKeys",
        "Storage.orders",
        "Storage.order",
        "Storage.reviewQueue",
        "Storage.stock",
        "Storage.buyer",
        "Storage.claimJobs",
        "Storage.completeJob",
        "Storage.claimOutbox",
        "Storage.failOutbox",
        "Scheduler.runDue",
        "OutboxRelay.send"
      ])
        expect(names, name).toContain(name)

      // Storage calls are children of the use case that made them.
      const submit = r.named("GroupBuy.submitComments")[0]!
      expect(r.spans.some((s) => s.name === "Storage.commit" && r.parentName(s) === "GroupBuy.submitComments")).toBe(
        true
      )
      expect(Object.fromEntries(submit.attributes)).toMatchObject({
        "kaituan.round.id": "socks",
        "kaituan.comments": 5,
        "kaituan.outcomes": 5,
        "kaituan.outcome.ordered": 2,
        "kaituan.outcome.duplicate": 1
      })
      // The cutoff job closed the round through the use case.
      expect(r.spans.some((s) => s.name === "GroupBuy.closeRound" && r.parentName(s) === "Scheduler.job")).toBe(true)
      // A refused input: the error's tag, reason and field, not its value.
      const refused = r.named("GroupBuy.submitComments")[1]!
      expect(Object.fromEntries(refused.attributes)).toMatchObject({
        "kaituan.error.tag": "GroupBuyError",
        "kaituan.error.reason": "invalid-input",
        "kaituan.error.field": "comments[0].at"
      })
      expect(refused.status._tag === "Ended" && refused.status.exit._tag === "Failure").toBe(true)
      // A commit: counts and stream kinds.
      const commit = r.spans.find((s) => s.name === "Storage.commit" && r.parentName(s) === "GroupBuy.ship")!
      expect(Object.fromEntries(commit.attributes)).toMatchObject({
        "kaituan.commits": 1,
        "kaituan.stream.kinds": "order,pickup-code,shipment",
        "kaituan.committed": 1,
        "kaituan.duplicates": 0
      })
      // A stream keyed by a secret shows its kind only; a round's shows its id.
      const reads = r.named("Storage.readStream").map((s) => Object.fromEntries(s.attributes))
      expect(reads).toContainEqual(expect.objectContaining({ "kaituan.stream.kind": "pickup-code" }))
      expect(reads.filter((a) => a["kaituan.stream.kind"] === "pickup-code" && "kaituan.stream.id" in a)).toEqual([])
      expect(reads).toContainEqual(
        expect.objectContaining({ "kaituan.stream.kind": "round", "kaituan.stream.id": "socks" })
      )
      // One buyer's orders: the span says so, without the buyer.
      expect(r.named("GroupBuy.orders").map((s) => s.attributes.get("kaituan.by_buyer"))).toContain(true)

      expect(leaked(r.text(), forbidden)).toEqual([])
    })
  })

  it.effect("every Storage method has its span, and none shows the ids, names or texts it was given", () => {
    const r = recorder()
    const storage = Storage.makeMemory()
    return Effect.gen(function* () {
      yield* r.record(everyStorageMethod(storage))
      expect([...new Set(r.spans.map((s) => s.name))].sort()).toEqual(storageSpanNames(storage))
      expect(storageSpanNames(storage)).toHaveLength(27)
      expect(leaked(r.text(), secrets)).toEqual([])
      // A buyer's document: the model's name, never its id.
      const doc = Object.fromEntries(r.named("Storage.document")[0]!.attributes)
      expect(Object.keys(doc)).toEqual(["kaituan.read_model", "kaituan.found"])
    })
  })

  it.live("the relay's and the scheduler's warnings name the error, and carry no buyer's data", () => {
    const r = recorder()
    const down = new Storage.StorageError({ reason: "unavailable", message: "database is locked" })
    const memory = Storage.makeMemory()
    const failing = Storage.traced({
      ...memory,
      claimOutbox: () => Effect.fail(down),
      claimJobs: () => Effect.fail(down)
    })
    const running = Layer.mergeAll(OutboxRelay.layer({ pollMs: 5 }), Scheduler.layer({ handlers: {}, pollMs: 5 })).pipe(
      Layer.provide(Layer.mergeAll(Layer.succeed(Storage.Storage, failing), ChannelRegistry.layer([])))
    )
    return Effect.gen(function* () {
      yield* r.record(Effect.scoped(Effect.andThen(Layer.build(running), Effect.sleep(60))))
      const text = r.lines.join("\n")
      expect(text).toContain("OutboxRelay: drain failed")
      expect(text).toContain("Scheduler: pass failed")
      expect(r.named("Storage.claimJobs")[0]?.attributes.get("kaituan.error.reason")).toBe("unavailable")
      expect(leaked(r.text(), secrets)).toEqual([])
    })
  })
})

describe("the tracing wrappers", () => {
  it.effect("without a recording tracer (the default) or with tracing off, no span is made", () => {
    const r = recorder()
    return Effect.gen(function* () {
      const storage = Storage.makeMemory()
      const untraced = yield* storage.readAll(0, 10)
      expect(untraced).toEqual([])
      yield* r.record(storage.readAll(0, 10).pipe(Effect.provideService(References.TracerEnabled, false)))
      expect(r.spans.map((s) => s.name)).toEqual([])
      yield* r.record(storage.readAll(0, 10))
      expect(r.spans.map((s) => s.name)).toEqual(["Storage.readAll"])
    })
  })

  it("tracing a traced service again returns it; every method of a service is wrapped", () => {
    const storage = Storage.makeMemory()
    expect(Storage.traced(storage)).toBe(storage)
    const service = { a: () => Effect.succeed(1), b: () => Effect.succeed(2) }
    const traced = traceGroupBuy(service as never) as unknown as typeof service
    expect(traced).not.toBe(service)
    expect(traceGroupBuy(traced as never)).toBe(traced)
  })

  it.effect("every GroupBuy method, including one added later, gets a span GroupBuy.<method>", () => {
    const r = recorder()
    return Effect.gen(function* () {
      const service = { later: (_: unknown) => Effect.succeed("x"), sync: () => 1 }
      const traced = traceGroupBuy(service as never) as unknown as typeof service
      expect(traced.sync()).toBe(1)
      expect(yield* r.record(traced.later({ author: "王小明" }))).toBe("x")
      expect(r.spans.map((s) => [s.name, [...s.attributes]])).toEqual([["GroupBuy.later", []]])
    })
  })
})
