import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Redacted, Schedule, Tracer } from "effect"
import * as EffectHttpClient from "effect/http/HttpClient"
import fc from "fast-check"
import { ChannelAdapter, HttpClient } from "../src/index.js"

const fast = { retries: 2, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 }

type Scripted = { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }

/** A transport answering from a list (the last answer repeats); `"throw"` is a network failure, `"hang"` never answers. */
const scripted = (answers: ReadonlyArray<Scripted | "throw" | "hang">) => {
  const seen: Array<{ readonly request: HttpClient.TransportRequest; aborted: () => boolean }> = []
  const transport = HttpClient.makeTransport((request, signal) => {
    const answer = answers[Math.min(seen.length, answers.length - 1)]!
    seen.push({ request, aborted: () => signal.aborted })
    if (answer === "throw") return Promise.reject(new Error("connection reset"))
    if (answer === "hang") return new Promise(() => {})
    return Promise.resolve({ status: answer.status, headers: answer.headers ?? {}, body: answer.body ?? "" })
  })
  return { transport, seen, calls: () => seen.length }
}

const call = (over: Partial<HttpClient.Call> = {}): HttpClient.Call => ({
  method: "POST",
  url: "https://api.example.com/v1/users/U123/messages",
  template: "/v1/users/{userId}/messages",
  json: { text: "hi" },
  ...over
})

const client = (transport: HttpClient.Transport, over: Partial<HttpClient.ClientOptions> = {}) =>
  HttpClient.make({ service: "Example API", httpClient: transport, retry: fast, timeoutMs: 1_000, ...over })

describe("HttpClient.make: answers", () => {
  it.live("sends the JSON body; a JSON answer is parsed, any other keeps its text", () =>
    Effect.gen(function* () {
      const s = scripted([
        { status: 200, body: '{"ok":true}' },
        { status: 200, body: "<html>" }
      ])
      const json = yield* client(s.transport).execute(call())
      expect(json).toMatchObject({ status: 200, body: { ok: true }, text: '{"ok":true}' })
      expect(new TextDecoder().decode(s.seen[0]!.request.body)).toBe('{"text":"hi"}')
      expect(s.seen[0]!.request.headers["content-type"]).toBe("application/json")
      expect(s.seen[0]!.request.url.href).toBe("https://api.example.com/v1/users/U123/messages")
      const html = yield* client(s.transport).execute(call({ method: "GET", json: undefined }))
      expect(html.body).toBeUndefined()
      expect(html.text).toBe("<html>")
    })
  )

  it.live("a form body is sent as given, with its content type", () =>
    Effect.gen(function* () {
      const s = scripted([{ status: 200, body: "ok" }])
      yield* client(s.transport).execute(
        call({ json: undefined, body: { text: "a=1&b=2", contentType: "application/x-www-form-urlencoded" } })
      )
      expect(new TextDecoder().decode(s.seen[0]!.request.body)).toBe("a=1&b=2")
      expect(s.seen[0]!.request.headers["content-type"]).toBe("application/x-www-form-urlencoded")
    })
  )
})

describe("HttpClient.make: the retry policy", () => {
  it.live("network errors and 5xx are retried until an answer, at most `retries` times", () =>
    Effect.gen(function* () {
      const ok = scripted(["throw", { status: 503 }, { status: 200, body: "{}" }])
      expect((yield* client(ok.transport).execute(call())).status).toBe(200)
      expect(ok.calls()).toBe(3)

      const down = scripted(["throw"])
      const error = yield* Effect.flip(client(down.transport).execute(call()))
      expect(error).toMatchObject({ _tag: "HttpError", reason: "transport", attempts: 3 })
      expect(error.message).toBe("Example API unreachable: connection reset")
      expect(down.calls()).toBe(3)

      const failing = scripted([{ status: 502, body: '{"message":"bad gateway"}' }])
      const e5 = yield* Effect.flip(client(failing.transport).execute(call()))
      expect(e5).toMatchObject({ reason: "unavailable", status: 502, attempts: 3 })
      expect(e5.message).toBe("Example API POST /v1/users/{userId}/messages answered 502: bad gateway")
    })
  )

  it.live("a 429 is waited for when its Retry-After is within maxRetryAfterMs, else fails at once", () =>
    Effect.gen(function* () {
      const short = scripted([{ status: 429, headers: { "retry-after": "0.03" } }, { status: 200 }])
      const started = Date.now()
      yield* client(short.transport).execute(call())
      expect(Date.now() - started).toBeGreaterThanOrEqual(25)
      expect(short.calls()).toBe(2)

      const long = scripted([{ status: 429, headers: { "Retry-After": "60" } }, { status: 200 }])
      const error = yield* Effect.flip(client(long.transport).execute(call()))
      expect(error).toMatchObject({ reason: "rate-limited", status: 429, retryAfterMs: 60_000, attempts: 1 })
      expect(long.calls()).toBe(1)
    })
  )

  it.live("a refusal (4xx) is never retried; `retry: false` makes one attempt whatever happens", () =>
    Effect.gen(function* () {
      const refused = scripted([{ status: 400 }, { status: 200 }])
      expect(yield* Effect.flip(client(refused.transport).execute(call()))).toMatchObject({
        reason: "refused",
        status: 400
      })
      expect(refused.calls()).toBe(1)
      const once = scripted([{ status: 503 }, { status: 200 }])
      expect((yield* Effect.flip(client(once.transport).execute(call({ retry: false })))).reason).toBe("unavailable")
      expect(once.calls()).toBe(1)
    })
  )

  it.live("`classify` lets a platform call a 200 a rate limit, and a 400 a temporary failure", () =>
    Effect.gen(function* () {
      const s = scripted([{ status: 200, body: '{"ok":false}' }, { status: 400, body: '{"code":2}' }, { status: 200 }])
      const res = yield* client(s.transport).execute(
        call({
          classify: (r) =>
            (r.body as { ok?: boolean } | undefined)?.ok === false
              ? HttpClient.Outcome.rateLimited(1)
              : (r.body as { code?: number } | undefined)?.code === 2
                ? HttpClient.Outcome.unavailable
                : HttpClient.classify(r)
        })
      )
      expect(res.status).toBe(200)
      expect(s.calls()).toBe(3)
    })
  )

  it.live("a call with no answer within timeoutMs is a timeout, and the request is aborted", () =>
    Effect.gen(function* () {
      const s = scripted(["hang"])
      const error = yield* Effect.flip(client(s.transport, { timeoutMs: 20, retry: { retries: 0 } }).execute(call()))
      expect(error).toMatchObject({ reason: "timeout", message: "Example API did not answer within 20 ms" })
      expect(s.seen[0]!.aborted()).toBe(true)
      expect(error.transient).toBe(true)
    })
  )

  it.live("a foreign transport (any Effect HttpClient) gets the timeout from the stack", () =>
    Effect.gen(function* () {
      const never = EffectHttpClient.make(() => Effect.never)
      const error = yield* Effect.flip(
        client(never, { timeoutMs: 20, retry: { retries: 1, baseDelayMs: 1 } }).execute(call())
      )
      expect(error).toMatchObject({ reason: "timeout", attempts: 2 })
    })
  )

  it.live("an URL that cannot be parsed is invalid-request, not retried", () =>
    Effect.gen(function* () {
      const s = scripted([{ status: 200 }])
      const error = yield* Effect.flip(client(s.transport).execute(call({ url: "http://bad host:x/bot1:AAsecret/x" })))
      expect(error.reason).toBe("invalid-request")
      expect(error.message).toMatch(/^Example API unreachable: /)
      expect(s.calls()).toBe(0)
    })
  )

  it("the schedule: jittered exponential back-off capped at maxDelayMs, at least Retry-After, `retries` times, only while retryable", () => {
    fc.assert(
      fc.property(
        fc.record({
          retries: fc.integer({ min: 0, max: 5 }),
          baseDelayMs: fc.integer({ min: 0, max: 1_000 }),
          maxDelayMs: fc.integer({ min: 0, max: 10_000 }),
          maxRetryAfterMs: fc.integer({ min: 0, max: 5_000 })
        }),
        fc.array(
          fc.record({
            retryable: fc.boolean(),
            retryAfterMs: fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: undefined })
          }),
          { minLength: 1, maxLength: 8 }
        ),
        (policy, failures) => {
          type F = (typeof failures)[number]
          const schedule = HttpClient.retryScheduleWith<F>(policy, (f) =>
            f.retryable ? { retryAfterMs: f.retryAfterMs } : undefined
          )
          const step = Effect.runSync(Schedule.toStep(schedule))
          for (const [k, f] of failures.entries()) {
            const exit = Effect.runSyncExit(step(k * 10, f))
            const shouldRetry = k < policy.retries && f.retryable && (f.retryAfterMs ?? 0) <= policy.maxRetryAfterMs
            expect(Exit.isSuccess(exit)).toBe(shouldRetry)
            if (!Exit.isSuccess(exit)) return
            const delay = Duration.toMillis(exit.value[1])
            const backoff = policy.baseDelayMs * 2 ** k
            const low = Math.max(Math.min(0.8 * backoff, policy.maxDelayMs), f.retryAfterMs ?? 0)
            const high = Math.max(Math.min(1.2 * backoff, policy.maxDelayMs), f.retryAfterMs ?? 0)
            expect(delay).toBeGreaterThanOrEqual(low - 1e-6)
            expect(delay).toBeLessThanOrEqual(high + 1e-6)
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("HttpClient.make: spans and secrets", () => {
  it.live(
    "one client span per attempt: method, host, path template, status, attempt; never the path, query or token",
    () =>
      Effect.gen(function* () {
        const spans: Array<Tracer.NativeSpan> = []
        const recording = Tracer.make({
          span(options) {
            const span = new Tracer.NativeSpan(options)
            spans.push(span)
            return span
          }
        })
        const s = scripted([{ status: 503 }, { status: 200, body: "{}" }])
        yield* client(s.transport)
          .execute(
            call({
              url: "https://api.telegram.org/bot123456:AAsecretTOKEN/sendMessage?access_token=EAAsecret&user=U999",
              template: "/bot{token}/sendMessage"
            })
          )
          .pipe(Effect.withTracer(recording))
        const http = spans.filter((x) => x.name === "POST /bot{token}/sendMessage")
        expect(http).toHaveLength(2)
        expect(http.map((x) => x.kind)).toEqual(["client", "client"])
        expect(Object.fromEntries(http[0]!.attributes)).toEqual({
          "http.request.method": "POST",
          "server.address": "api.telegram.org",
          "url.scheme": "https",
          "url.template": "/bot{token}/sendMessage",
          "peer.service": "Example API",
          "http.request.resend_count": 0,
          "kaituan.http.attempt": 1,
          "http.response.status_code": 503,
          "error.type": "unavailable"
        })
        expect(Object.fromEntries(http[1]!.attributes)).toMatchObject({
          "kaituan.http.attempt": 2,
          "http.request.resend_count": 1,
          "http.response.status_code": 200
        })
        const everything = JSON.stringify(spans.map((x) => [x.name, [...x.attributes]]))
        for (const secret of ["AAsecretTOKEN", "EAAsecret", "U999", "123456"]) expect(everything).not.toContain(secret)
      })
  )

  it.live(
    "error texts never carry a secret: given values, bot tokens in paths, token parameters, bearer credentials",
    () =>
      Effect.gen(function* () {
        const leaky = HttpClient.makeTransport((request) =>
          Promise.reject(
            new Error(`connect failed for ${request.url.href} with ${request.headers.authorization} (key s3cr3t-value)`)
          )
        )
        const e = yield* Effect.flip(
          HttpClient.make({
            service: "X",
            httpClient: leaky,
            retry: { retries: 0 },
            secrets: [Redacted.make("s3cr3t-value")]
          }).execute(
            call({
              url: "https://api.telegram.org/bot123456:AAsecretTOKEN/sendMessage?access_token=EAAsecret",
              headers: { authorization: "Bearer lineTOKEN123" }
            })
          )
        )
        expect(e.reason).toBe("transport")
        for (const secret of ["AAsecretTOKEN", "EAAsecret", "lineTOKEN123", "s3cr3t-value"])
          expect(e.message).not.toContain(secret)
        expect(e.message).toContain("/bot***/sendMessage")
        expect(e.message).toContain("access_token=***")
        expect(e.message).toContain("Bearer ***")
      })
  )

  it("mask: a secret anywhere in a text, as is or URL-encoded, is gone", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 30 }).filter((s) => s.trim().length >= 4 && !s.includes("*")),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.boolean(),
        (secret, before, after, encoded) => {
          const text = `${before}${encoded ? encodeURIComponent(secret) : secret}${after}`
          const masked = HttpClient.mask(text, [Redacted.make(secret)])
          expect(masked.includes(encoded ? encodeURIComponent(secret) : secret)).toBe(false)
        }
      )
    )
  })

  it("an HttpError does not print the answer it came from", () => {
    const e = HttpClient.HttpError.make(
      { reason: "refused", message: "m", method: "GET", template: "/x", attempts: 1, status: 400 },
      { status: 400, headers: {}, text: "private buyer name", body: undefined }
    )
    expect(e.response?.text).toBe("private buyer name")
    expect(JSON.stringify(e)).not.toContain("private buyer name")
  })
})

describe("HttpClient transports", () => {
  it.live("the fetch transport calls the given fetch with the URL as a string, the method, headers and body", () =>
    Effect.gen(function* () {
      const got: Array<{ url: string; method?: string | undefined; body: string }> = []
      const fetch: HttpClient.Fetch = async (url, init) => {
        got.push({ url, method: init?.method, body: await new Response(init?.body).text() })
        return new Response('{"id":1}', { status: 200, headers: { "content-type": "application/json" } })
      }
      const res = yield* HttpClient.make({ service: "F", fetch }).execute(call())
      expect(res.body).toEqual({ id: 1 })
      expect(got).toEqual([
        { url: "https://api.example.com/v1/users/U123/messages", method: "POST", body: '{"text":"hi"}' }
      ])
    })
  )
})

describe("to the ports' errors", () => {
  const err = (reason: HttpClient.Reason, status?: number, retryAfterMs?: number) =>
    HttpClient.HttpError.make({
      reason,
      message: "m",
      method: "POST",
      template: "/x",
      attempts: 1,
      ...(status === undefined ? {} : { status }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs })
    })

  it("ChannelAdapter: transport / rate-limited (1 s when unknown) / unauthorized / rejected", () => {
    const reasons = (["transport", "timeout", "unavailable", "invalid-request"] as const).map(
      (r) => HttpClient.toChannelError(err(r)).reason
    )
    expect(reasons).toEqual(["transport", "transport", "transport", "transport"])
    expect(HttpClient.toChannelError(err("rate-limited", 429))).toMatchObject({
      reason: "rate-limited",
      retryAfterMs: 1000
    })
    expect(HttpClient.toChannelError(err("rate-limited", 429, 5))).toMatchObject({ retryAfterMs: 5 })
    expect(HttpClient.toChannelError(err("refused", 401)).reason).toBe("unauthorized")
    expect(HttpClient.toChannelError(err("refused", 403)).reason).toBe("rejected")
    expect(HttpClient.toChannelError(err("refused", 400))).toBeInstanceOf(ChannelAdapter.ChannelError)
  })

  it("PaymentGateway: transport / unauthorized (401, 403) / rejected", () => {
    expect(HttpClient.toGatewayError(err("rate-limited", 429)).reason).toBe("transport")
    expect(HttpClient.toGatewayError(err("unavailable", 503)).reason).toBe("transport")
    expect(HttpClient.toGatewayError(err("refused", 403)).reason).toBe("unauthorized")
    expect(HttpClient.toGatewayError(err("refused", 404)).reason).toBe("rejected")
  })
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

describe("deprecated: call and withRetry", () => {
  it.live("still work, on the stack", () =>
    Effect.gen(function* () {
      let calls = 0
      const fetch: HttpClient.Fetch = async () => {
        calls++
        return calls < 2 ? new Response("", { status: 503 }) : new Response('{"ok":true}', { status: 200 })
      }
      const once = HttpClient.call(fetch, "https://api.example.com/x", { method: "POST", body: "{}" }, 1_000, "send")
      const failing = Effect.flatMap(once, (r) =>
        r.status >= 500
          ? Effect.fail(new ChannelAdapter.ChannelError({ reason: "transport", message: `HTTP ${r.status}` }))
          : Effect.succeed(r)
      )
      const res = yield* HttpClient.withRetry(failing, { maxRetries: 2, baseDelayMs: 1 })
      expect(res.body).toEqual({ ok: true })
      expect(calls).toBe(2)
    })
  )
})
