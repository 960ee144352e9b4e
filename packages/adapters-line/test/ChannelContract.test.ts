import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ChannelContract } from "@kaituan/core"
import { Effect } from "effect"
import type { LineChannel, LineTestServer } from "../src/index.js"
import { harness, start } from "./harness.js"

describe("LineChannel keeps the channel contract (against a fake LINE API)", () => {
  let server: LineTestServer.LineTestServer
  let h: ChannelContract.Harness
  beforeAll(async () => {
    const started = await Effect.runPromise(start())
    server = started.server
    h = harness(started.server, started.adapter as LineChannel.LineChannelService)
  })
  afterAll(() => server.close())

  const cases = ChannelContract.casesFor({ capabilities: { signsBody: true, idempotentSend: true } })

  it("runs every case, including the capability-gated ones", () => {
    expect(cases.length).toBe(ChannelContract.cases.length)
  })

  for (const c of cases) it.live(c.name, () => c.run(h))

  it.live("runAll reports every case as passing", () =>
    Effect.gen(function* () {
      const results = yield* ChannelContract.runAll(h)
      expect(results.filter((r) => !r.ok)).toEqual([])
    })
  )
})

describe("the contract catches a broken adapter", () => {
  let server: LineTestServer.LineTestServer
  let h: ChannelContract.Harness
  beforeAll(async () => {
    const started = await Effect.runPromise(start())
    server = started.server
    h = harness(started.server, started.adapter)
  })
  afterAll(() => server.close())

  it.live("an adapter that verifies nothing fails the unauthorized cases", () =>
    Effect.gen(function* () {
      const broken = { ...h, adapter: { ...h.adapter, verify: () => Effect.void } }
      const results = yield* ChannelContract.runAll(broken)
      expect(results.filter((r) => !r.ok).map((r) => r.name)).toEqual([
        "verify: an unsigned request is unauthorized",
        "verify: a forged signature is unauthorized",
        "verify: a body changed after signing is unauthorized"
      ])
    })
  )

  it.live("an adapter that loses event ids fails the decode cases", () =>
    Effect.gen(function* () {
      const broken = {
        ...h,
        adapter: {
          ...h.adapter,
          decode: (req: Parameters<typeof h.adapter.decode>[0]) =>
            h.adapter.decode(req).pipe(Effect.map((es) => es.map((e) => ({ ...e, eventId: String(Math.random()) }))))
        }
      }
      const failed = (yield* ChannelContract.runAll(broken)).filter((r) => !r.ok).map((r) => r.name)
      expect(failed).toContain("decode: the same delivery twice gives the same eventIds (for de-duplication)")
      expect(failed).toContain("decode: a comment becomes a Comment event with text, author, commentId and eventId")
    })
  )
})
