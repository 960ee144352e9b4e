import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ChannelAdapter, HttpClient } from "../src/index.js"

const fast = { maxRetries: 2, baseDelayMs: 1, maxRetryAfterMs: 50 }

/** A fetch that answers from a list, counting calls; `"throw"` is a network failure. */
const scripted = (answers: ReadonlyArray<{ status: number; body: string } | "throw">) => {
  let calls = 0
  const fetch: HttpClient.Fetch = async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!
    if (answer === "throw") throw new Error("connection reset")
    return new Response(answer.body, { status: answer.status })
  }
  return { fetch, calls: () => calls }
}

/** Maps an answer the way an adapter would: 5xx → transport, 429 → rate-limited. */
const send = (fetch: HttpClient.Fetch, retryAfterMs = 10) =>
  HttpClient.call(fetch, "https://api.example/send", { method: "POST", body: "{}" }, 1_000, "send").pipe(
    Effect.flatMap((res) =>
      res.status >= 500
        ? Effect.fail(new ChannelAdapter.ChannelError({ reason: "transport", message: `HTTP ${res.status}` }))
        : res.status === 429
          ? Effect.fail(new ChannelAdapter.ChannelError({ reason: "rate-limited", message: "429", retryAfterMs }))
          : Effect.succeed(res)
    )
  )

describe("HttpClient", () => {
  it.effect("decodes a JSON answer; a non-JSON body keeps its text", () =>
    Effect.gen(function* () {
      const json = yield* HttpClient.call(
        scripted([{ status: 200, body: '{"ok":true}' }]).fetch,
        "u",
        { method: "GET" },
        1_000,
        "x"
      )
      expect(json).toMatchObject({ status: 200, body: { ok: true }, text: '{"ok":true}' })
      const html = yield* HttpClient.call(
        scripted([{ status: 502, body: "<html>" }]).fetch,
        "u",
        { method: "GET" },
        1_000,
        "x"
      )
      expect(html.body).toBeUndefined()
      expect(html.text).toBe("<html>")
    })
  )

  it.live("network failures and 5xx are retried until an answer, at most maxRetries times", () =>
    Effect.gen(function* () {
      const ok = scripted(["throw", { status: 503, body: "" }, { status: 200, body: "{}" }])
      expect((yield* HttpClient.withRetry(send(ok.fetch), fast)).status).toBe(200)
      expect(ok.calls()).toBe(3)

      const down = scripted(["throw"])
      const error = yield* Effect.flip(HttpClient.withRetry(send(down.fetch), fast))
      expect(error.reason).toBe("transport")
      expect(error.message).toBe("send: connection reset")
      expect(down.calls()).toBe(3)
    })
  )

  it.live("a rate limit is waited for only when its delay is short enough", () =>
    Effect.gen(function* () {
      const short = scripted([
        { status: 429, body: "" },
        { status: 200, body: "{}" }
      ])
      expect((yield* HttpClient.withRetry(send(short.fetch, 10), fast)).status).toBe(200)
      expect(short.calls()).toBe(2)

      const long = scripted([
        { status: 429, body: "" },
        { status: 200, body: "{}" }
      ])
      const error = yield* Effect.flip(HttpClient.withRetry(send(long.fetch, 60_000), fast))
      expect(error.reason).toBe("rate-limited")
      expect(long.calls()).toBe(1)
    })
  )

  it.live("a call with no answer in time is a transport error", () =>
    Effect.gen(function* () {
      const hang: HttpClient.Fetch = (_url, init) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))))
      const error = yield* Effect.flip(HttpClient.call(hang, "u", { method: "GET" }, 20, "slow"))
      expect(error.reason).toBe("transport")
      expect(error.message).toBe("slow: no answer within 20 ms")
    })
  )
})

describe("HttpClient.retryAfterMs", () => {
  it("reads delay-seconds and HTTP dates, and nothing else", () => {
    const now = Date.parse("2024-05-01T00:00:00Z")
    expect(HttpClient.retryAfterMs("3", now)).toBe(3000)
    expect(HttpClient.retryAfterMs(" 1.5 ", now)).toBe(1500)
    expect(HttpClient.retryAfterMs("Wed, 01 May 2024 00:00:07 GMT", now)).toBe(7000)
    expect(HttpClient.retryAfterMs("Tue, 30 Apr 2024 23:00:00 GMT", now)).toBe(0)
    expect(HttpClient.retryAfterMs("-5", now)).toBe(0)
    expect(HttpClient.retryAfterMs("", now)).toBeUndefined()
    expect(HttpClient.retryAfterMs(null, now)).toBeUndefined()
    expect(HttpClient.retryAfterMs("soon", now)).toBeUndefined()
  })
})
