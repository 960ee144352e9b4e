import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { HttpClient } from "@kaituan/core"
import { Effect } from "effect"
import fc from "fast-check"
import { nodeTransport } from "../src/internal/NodeTransport.js"

/** Echoes the request: status from `x-status`, the method, path, body and two headers, plus a header of its own. */
const server = createServer((req, res) => {
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    const status = Number(req.headers["x-status"] ?? 200)
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-echo": String(req.headers["x-tag"]) })
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        contentType: req.headers["content-type"] ?? null,
        tag: req.headers["x-tag"] ?? null,
        body: Buffer.concat(chunks).toString("utf8")
      })
    )
  })
})
let base = ""
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()))
})

/** Everything the stack reads from an answer, minus the headers every server adds by itself (date, keep-alive…). */
const reading = (a: HttpClient.Answer) => ({
  status: a.status,
  text: a.text,
  body: a.body,
  contentType: a.headers["content-type"],
  echo: a.headers["x-echo"]
})

describe("internal/NodeTransport", () => {
  it.live("answers exactly as Effect's fetch transport: status, text, JSON, headers", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom("GET" as const, "POST" as const),
          fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/), { minLength: 1, maxLength: 3 }),
          fc.option(fc.json(), { nil: undefined }),
          fc.constantFrom(200, 201, 400, 404, 409, 429, 500, 503),
          fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
          async (method, segments, json, status, tag) => {
            const call: HttpClient.Call = {
              method,
              url: `${base}/${segments.join("/")}`,
              template: "/{path}",
              headers: { "x-status": String(status), "x-tag": tag },
              ...(method === "POST" && json !== undefined ? { json: JSON.parse(json) } : {}),
              retry: false,
              classify: () => HttpClient.Outcome.ok
            }
            const viaNode = await Effect.runPromise(
              HttpClient.make({ service: "echo", httpClient: nodeTransport }).execute(call)
            )
            const viaFetch = await Effect.runPromise(HttpClient.make({ service: "echo" }).execute(call))
            expect(reading(viaNode)).toEqual(reading(viaFetch))
          }
        ),
        { numRuns: 40 }
      )
    )
  )

  it.live("a closed port fails as transport, an unsupported protocol too", () =>
    Effect.gen(function* () {
      const closed = createServer()
      yield* Effect.promise(() => new Promise<void>((r) => closed.listen(0, "127.0.0.1", r)))
      const port = (closed.address() as AddressInfo).port
      yield* Effect.promise(() => new Promise<void>((r) => closed.close(() => r())))
      const client = HttpClient.make({ service: "echo", httpClient: nodeTransport, retry: { retries: 0 } })
      const refused = yield* Effect.flip(
        client.execute({ method: "GET", url: `http://127.0.0.1:${port}/`, template: "/" })
      )
      expect(refused.reason).toBe("transport")
      expect(refused.message).toContain("ECONNREFUSED")
      const ftp = yield* Effect.flip(client.execute({ method: "GET", url: "ftp://127.0.0.1/", template: "/" }))
      expect(ftp.reason).toBe("transport")
    })
  )
})
