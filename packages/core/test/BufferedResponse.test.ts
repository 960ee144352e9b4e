import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import fc from "fast-check"
import * as Buffered from "../src/internal/bufferedResponse.js"

const request = HttpClientRequest.get("https://api.example.com/x")
const url = new URL("https://api.example.com/x")

const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/).filter((n) => n.toLowerCase() !== "set-cookie")
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,20}[!-~])?$/)
const body = fc.oneof(
  fc.json(),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.constant(""),
  fc.uint8Array({ maxLength: 40 }).map((b) => new TextDecoder().decode(b))
)

/** What a response reads as, through every accessor the stack and apps use. */
const reading = (make: () => HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function* () {
    const res = make()
    const text = yield* res.text
    const json = yield* Effect.result(res.json)
    const bytes = new Uint8Array(yield* res.arrayBuffer)
    // A Web body is read once: the stream is read from a fresh response.
    const streamed = yield* Stream.runCollect(make().stream)
    return {
      status: res.status,
      headers: { ...res.headers },
      text,
      json: json._tag === "Success" ? { ok: json.success } : "not JSON",
      bytes: [...bytes],
      streamed: streamed.flatMap((c) => [...c])
    }
  })

describe("internal/bufferedResponse", () => {
  it.effect("reads exactly as Effect's response over a Web Response with the same status, headers and body", () =>
    Effect.gen(function* () {
      const samples = fc.sample(
        fc.record({
          // (204, 205 and 304 cannot carry a body in a Web Response, so they are no reference)
          status: fc.integer({ min: 200, max: 599 }).filter((x) => x !== 204 && x !== 205 && x !== 304),
          // names that differ only in case would be one header: kept apart here
          headers: fc
            .dictionary(headerName, headerValue, { maxKeys: 5 })
            .filter((h) => new Set(Object.keys(h).map((k) => k.toLowerCase())).size === Object.keys(h).length),
          body,
          asBytes: fc.boolean()
        }),
        { numRuns: 300, seed: 20241207 }
      )
      for (const s of samples) {
        const raw: Buffered.Buffered = {
          status: s.status,
          headers: s.headers,
          body: s.asBytes ? new TextEncoder().encode(s.body) : s.body
        }
        const ours = yield* reading(() => Buffered.make(request, url, raw))
        const reference = yield* reading(() =>
          HttpClientResponse.fromWeb(
            request,
            // bytes, not a string: a string body would add a default content-type
            new Response(new TextEncoder().encode(s.body), { status: s.status, headers: s.headers })
          )
        )
        expect(ours).toEqual(reference)
      }
    })
  )

  it.effect("repeated headers are joined; set-cookie becomes cookies, not a header", () =>
    Effect.gen(function* () {
      const res = Buffered.make(request, url, {
        status: 200,
        headers: { Vary: ["a", "b"], "set-cookie": ["sid=1; Path=/"], "X-Empty": undefined },
        body: ""
      })
      expect({ ...res.headers }).toEqual({ vary: "a, b" })
      expect(res.cookies.cookies["sid"]?.value).toBe("1")
      expect(yield* res.text).toBe("")
    })
  )
})
