/** The OpenAPI document, the documentation page, and the typed client against a real server. */
import { GroupBuy } from "@kaituan/core"
import { Effect } from "effect"
import { FetchHttpClient } from "effect/http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Client, WebHandler } from "../src/index.js"
import { comments, kinds, roundFile, type Served, serve } from "./support.js"

describe.each(kinds)("the OpenAPI document and the typed client over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
  })
  afterAll(() => s.close())

  it("serves the OpenAPI document as JSON, listing every route with its bearer security", async () => {
    const r = await s.call("GET", "/api/v1/openapi.json", { token: null })
    expect(r.status).toBe(200)
    expect(r.headers.get("content-type")).toContain("application/json")
    const doc = JSON.parse(r.text)
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.info.title).toBe("kaituan back office")
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)
    )
    const routes = WebHandler.allOperations.map((o) => `${o.method} ${o.path.replace(/:(\w+)/g, "{$1}")}`)
    // 33, GET /rounds/{roundId}/overdue, POST /rounds/{roundId}/arrived (預購到貨), the 5 of the logistics
    // group, the 3 of the documents group (slips GET and POST, the pick list), the 3 of the
    // after-sales group (refunds, a return, the refunds due), the 7 of the members group, the 3
    // of the insights group, GET /rounds/{roundId}/waitlist, the 3 e-invoice routes (GET/POST
    // /orders/{orderId}/invoice, GET /invoices/problems) and the 2 counter routes.
    expect(routes).toHaveLength(33 + 2 + 5 + 3 + 3 + 7 + 3 + 1 + 3 + 2)
    expect(new Set(listed)).toEqual(new Set(routes))
    for (const [, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>))
      for (const op of Object.values(ops)) {
        expect(op.security).toEqual([{ bearer: [] }])
        expect(op.description).toMatch(/Role: (organiser only|organiser or helper)/)
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["400", "401", "403"]))
      }
    expect(doc.components.securitySchemes.bearer.type).toBe("http")
    expect(doc.components.securitySchemes.bearer.scheme.toLowerCase()).toBe("bearer")
  })

  it("serves a documentation page that loads nothing from elsewhere", async () => {
    const r = await s.call("GET", "/api/docs", { token: null })
    expect(r.status).toBe(200)
    expect(r.headers.get("content-type")).toContain("text/html")
    expect(r.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/i)
    expect(r.text).toContain("kaituan back office")
  })

  it("calls the server through the typed client, errors decoded", async () => {
    await s.call("POST", "/api/v1/rounds", { json: roundFile("typed") })
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "typed", comments: comments(3) })))
    const program = Effect.gen(function* () {
      const client = yield* Client.ApiClient
      const me = yield* client.session.me()
      const page = yield* client.orders.list({ params: { roundId: "typed" }, query: { limit: 2 } })
      const next = yield* client.orders.list({
        params: { roundId: "typed" },
        query: { limit: 2, cursor: page.nextCursor ?? undefined }
      })
      const missing = yield* Effect.flip(client.rounds.get({ params: { roundId: "nope" } }))
      const report = yield* client.rounds.report({ params: { roundId: "typed" } })
      return { me, page, next, missing, report }
    })
    const out = await Effect.runPromise(
      program.pipe(Effect.provide(Client.layer({ baseUrl: s.url, token: s.organiser })))
    )
    expect(out.me.role).toBe("organiser")
    expect(out.page.items).toHaveLength(2)
    expect(out.next.items).toHaveLength(1)
    expect(out.missing._tag).toBe("NotFound")
    expect(out.report.orders.count).toBe(3)
    const refused = await Effect.runPromise(
      Effect.gen(function* () {
        const client = yield* Client.make({ baseUrl: s.url, token: s.helper })
        return yield* Effect.flip(client.payments.cash({ params: { orderId: "x" }, payload: { amount: 1 } }))
      }).pipe(Effect.provide(FetchHttpClient.layer))
    )
    expect(refused._tag).toBe("Forbidden")
  })
})
