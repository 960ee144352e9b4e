/**
 * The `logistics` group without a carrier: every route answers 503 saying what to configure; the
 * role rules hold (the unclaimed list is the organiser's). The routes with a carrier run in
 * `examples/cli/test/serveLogistics.test.ts` (ECPay logistics against a stand-in).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type Served, serve } from "./support.js"

let s: Served
beforeAll(async () => {
  s = await serve("memory")
})
afterAll(() => s.close())

describe("the logistics group without a carrier", () => {
  it("answers 503 naming what to configure", async () => {
    const packed = await s.call("POST", "/api/v1/orders/o1/carrier-shipments", {
      json: { lines: [{ sku: "A", qty: 1 }], carrier: "familymart" }
    })
    expect(packed.status).toBe(503)
    expect(packed.body.message).toContain("no carrier is configured")
    expect((await s.call("GET", "/api/v1/logistics/unclaimed")).status).toBe(503)
  })

  it("checks the payload before anything else, and the organiser's list is not a helper's", async () => {
    const bad = await s.call("POST", "/api/v1/orders/o1/carrier-shipments", {
      json: { lines: [{ sku: "A", qty: 1 }], carrier: "dhl" }
    })
    expect(bad.status).toBe(400)
    const phone = await s.call("POST", "/api/v1/shipments/s1/carrier-order", {
      json: { receiver: { name: "王小明", cellPhone: "12345" } }
    })
    expect(phone.status).toBe(400)
    expect(phone.text).not.toContain("王小明")
    expect((await s.call("GET", "/api/v1/logistics/unclaimed", { token: s.helper })).status).toBe(403)
  })
})
