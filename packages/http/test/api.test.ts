/**
 * The API on a real port, over memory and over a SQLite file: authentication and roles, every
 * endpoint's happy path and a bad input naming the field.
 */
import { GroupBuy, Storage } from "@kaituan/core"
import { Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tokens } from "../src/index.js"
import { comments, kinds, roundFile, type Served, serve, soon } from "./support.js"

describe.each(kinds)("the API over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    expect((await s.call("POST", "/api/v1/rounds", { json: roundFile("socks") })).status).toBe(201)
    await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "socks", comments: comments(12) })))
  })
  afterAll(() => s.close())

  const orderIds = async (roundId: string) =>
    (await s.run(Storage.Storage.use((st) => st.orders({ roundId })))).map((o) => o.orderId)

  describe("authentication and roles", () => {
    it("answers 401 without a token, with an unknown one and with a revoked one", async () => {
      const none = await s.call("GET", "/api/v1/rounds", { token: null })
      expect(none.status).toBe(401)
      expect(none.body._tag).toBe("Unauthorized")
      expect((await s.call("GET", "/api/v1/rounds", { token: "kt_not-a-token" })).status).toBe(401)
      expect((await s.call("GET", "/api/v1/rounds", { token: "" })).status).toBe(401)
      const created = await s.run(Tokens.Tokens.use((t) => t.create({ role: "helper", label: "phone" })))
      const token = Redacted.value(created.token)
      expect((await s.call("GET", "/api/v1/rounds", { token })).status).toBe(200)
      await s.run(Tokens.Tokens.use((t) => t.revoke({ tokenId: created.info.tokenId })))
      const revoked = await s.call("GET", "/api/v1/rounds", { token })
      expect(revoked.status).toBe(401)
      expect(revoked.text).not.toContain(token)
    })

    it("refuses a helper what only the organiser does (403) and changes nothing", async () => {
      const [orderId] = await orderIds("socks")
      const before = await s.call("GET", `/api/v1/orders/${orderId}`)
      const tries: Array<[string, string, unknown]> = [
        ["POST", `/api/v1/orders/${orderId}/cash`, { amount: 120 }],
        ["POST", "/api/v1/rounds", roundFile("helper-round")],
        ["POST", "/api/v1/rounds/socks/close", undefined],
        ["POST", `/api/v1/orders/${orderId}/refund`, { reason: "x" }],
        ["POST", "/api/v1/decisions/d1/approve", {}],
        ["POST", "/api/v1/dead-letters/retry", { messageIds: ["m1"] }],
        ["GET", "/api/v1/buyers/line%3AU1", undefined],
        ["POST", "/api/v1/rounds/socks/statements", undefined]
      ]
      for (const [method, path, json] of tries) {
        const r = await s.call(method, path, { token: s.helper, ...(json === undefined ? {} : { json }) })
        expect([method, path, r.status]).toEqual([method, path, 403])
        expect(r.body).toMatchObject({ _tag: "Forbidden", role: "helper", needs: "organiser" })
      }
      // Refused before the body is decoded: a bad body is still a 403.
      expect(
        (await s.call("POST", `/api/v1/orders/${orderId}/cash`, { token: s.helper, json: { amount: "lots" } })).status
      ).toBe(403)
      expect(await s.call("GET", `/api/v1/orders/${orderId}`)).toMatchObject({ status: 200, body: before.body })
      expect((await s.call("GET", "/api/v1/rounds/helper-round")).status).toBe(404)
      expect((await s.call("GET", "/api/v1/rounds/socks")).body.status).toBe("open")
    })

    it("lets a helper read orders, and says who the token is", async () => {
      expect((await s.call("GET", "/api/v1/rounds/socks/orders", { token: s.helper })).status).toBe(200)
      const me = await s.call("GET", "/api/v1/me", { token: s.helper })
      expect(me.body).toMatchObject({ role: "helper", label: "test helper" })
      expect(me.body.can).toContain("orders.list")
      expect(me.body.can).not.toContain("payments.approve")
    })
  })

  describe("rounds", () => {
    it("creates a round from a round file, refuses it twice, and lists rounds in pages", async () => {
      const created = await s.call("POST", "/api/v1/rounds", { json: roundFile("cups", { title: "保溫杯" }) })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ roundId: "cups", title: "保溫杯", status: "open", orders: 0 })
      const again = await s.call("POST", "/api/v1/rounds", { json: roundFile("cups") })
      expect(again).toMatchObject({ status: 409, body: { _tag: "Conflict", reason: "exists" } })
      const first = await s.call("GET", "/api/v1/rounds?limit=1")
      expect(first.body.items).toHaveLength(1)
      expect(first.body.nextCursor).toBe("cups")
      const second = await s.call("GET", `/api/v1/rounds?limit=1&cursor=${first.body.nextCursor}`)
      expect(second.body.items.map((r: { roundId: string }) => r.roundId)).toEqual(["socks"])
      const open = await s.call("GET", "/api/v1/rounds?status=open")
      expect(open.body.items.length).toBeGreaterThanOrEqual(2)
      expect((await s.call("GET", "/api/v1/rounds?status=closed")).body.items).toEqual([])
    })

    it("names the field of a bad round file, without echoing values", async () => {
      const bad = await s.call("POST", "/api/v1/rounds", {
        json: { ...roundFile("bad"), products: [{ sku: "X", name: "X", price: "0912345678" }] }
      })
      expect(bad.status).toBe(400)
      expect(bad.body).toMatchObject({ _tag: "BadRequest", field: "body.products.0.price" })
      expect(bad.text).not.toContain("0912345678")
      const typo = await s.call("POST", "/api/v1/rounds", { json: { ...roundFile("bad"), cutof: "tomorrow" } })
      expect(typo.status).toBe(400)
      expect(typo.body.field).toBe("body.cutof")
      const json = await s.call("POST", "/api/v1/rounds", {
        body: "{not json",
        headers: { "content-type": "application/json" }
      })
      expect(json).toMatchObject({ status: 400, body: { field: "body" } })
      expect((await s.call("GET", "/api/v1/rounds?limit=0")).body.field).toBe("query.limit")
      expect((await s.call("GET", "/api/v1/rounds?status=gone")).body.field).toBe("query.status")
    })

    it("answers 404 for an unknown round, and for a change to one", async () => {
      expect((await s.call("GET", "/api/v1/rounds/nope")).body).toMatchObject({ _tag: "NotFound", what: "round" })
      for (const [method, path, json] of [
        ["POST", "/api/v1/rounds/nope/reopen", {}],
        ["PATCH", "/api/v1/rounds/nope", { title: "x" }],
        ["POST", "/api/v1/rounds/nope/restock", { lines: [{ sku: "SOCK-R", add: 5 }] }]
      ] as const) {
        const r = await s.call(method, path, { json })
        expect(r).toMatchObject({ status: 404, body: { _tag: "NotFound", what: "round" } })
      }
    })

    it("reports a round's numbers without personal data", async () => {
      const r = await s.call("GET", "/api/v1/rounds/socks/report", { token: s.helper })
      expect(r.status).toBe(200)
      expect(r.body.orders.count).toBe(12)
      expect(r.body.orders.byStatus.open).toBe(12)
      expect(r.body.orders.total).toBe(12 * 120 + 4 * 450)
      expect(r.text).not.toContain("買家")
    })
  })

  describe("orders", () => {
    it("lists a round's orders by status and buyer, with the field of a bad query", async () => {
      const all = await s.call("GET", "/api/v1/rounds/socks/orders")
      expect(all.body.items).toHaveLength(12)
      expect(all.body.nextCursor).toBeNull()
      const page = await s.call("GET", "/api/v1/rounds/socks/orders?limit=5")
      expect(page.body.items).toHaveLength(5)
      const next = await s.call("GET", `/api/v1/rounds/socks/orders?limit=5&cursor=${page.body.nextCursor}`)
      expect(next.body.items[0].seq).toBeGreaterThan(page.body.items[4].seq)
      const mine = await s.call("GET", "/api/v1/rounds/socks/orders?buyer=line%3AU3")
      expect(mine.body.items.map((o: { buyerId: string }) => o.buyerId)).toEqual(["line:U3"])
      expect((await s.call("GET", "/api/v1/rounds/socks/orders?status=paid")).body.items).toEqual([])
      expect((await s.call("GET", "/api/v1/rounds/socks/orders?status=lost")).body.field).toBe("query.status.0")
      expect((await s.call("GET", "/api/v1/rounds/socks/orders?limit=999")).body.field).toBe("query.limit")
      expect((await s.call("GET", "/api/v1/rounds/socks/orders?cursor=abc")).body.field).toBe("query.cursor")
      expect((await s.call("GET", "/api/v1/rounds/nope/orders")).status).toBe(404)
    })

    it("shows one order, 404 for an unknown one", async () => {
      const [orderId] = await orderIds("socks")
      const one = await s.call("GET", `/api/v1/orders/${orderId}`, { token: s.helper })
      expect(one.body).toMatchObject({ orderId, roundId: "socks" })
      expect((await s.call("GET", "/api/v1/orders/nope")).body).toMatchObject({ _tag: "NotFound", what: "order" })
    })
  })

  describe("a round from close to pickup", () => {
    let orderId: string
    let secondId: string
    beforeAll(async () => {
      await s.call("POST", "/api/v1/rounds", { json: roundFile("flow") })
      await s.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId: "flow", comments: comments(4, 100) })))
      const closed = await s.call("POST", "/api/v1/rounds/flow/close")
      expect(closed.status).toBe(200)
      expect(closed.body.confirmed).toBe(4)
      expect(closed.body.round.status).toBe("closed")
      ;[orderId, secondId] = (await orderIds("flow")) as [string, string]
    })

    it("records cash once per reference; a bad amount names the field", async () => {
      const bad = await s.call("POST", `/api/v1/orders/${orderId}/cash`, { json: { amount: -5 } })
      expect(bad).toMatchObject({ status: 400, body: { field: "body.amount" } })
      const order = (await s.call("GET", `/api/v1/orders/${orderId}`)).body
      const paid = await s.call("POST", `/api/v1/orders/${orderId}/cash`, {
        json: { amount: order.total, reference: "r-1", note: "面交" }
      })
      expect(paid).toMatchObject({ status: 200, body: { status: "matched" } })
      const again = await s.call("POST", `/api/v1/orders/${orderId}/cash`, {
        json: { amount: order.total, reference: "r-1" }
      })
      expect(again.body.status).toBe("duplicate")
      expect((await s.call("GET", `/api/v1/orders/${orderId}`)).body).toMatchObject({
        status: "paid",
        paid: order.total
      })
      expect((await s.call("POST", "/api/v1/orders/nope/cash", { json: { amount: 1 } })).status).toBe(404)
    })

    it("ships part of a paid order (a split shipment), refuses an unpaid one", async () => {
      const order = (await s.call("GET", `/api/v1/orders/${orderId}`)).body
      const bad = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
        token: s.helper,
        json: { lines: [{ sku: "SOCK-R", qty: 1 }], method: "drone" }
      })
      expect(bad).toMatchObject({ status: 400, body: { field: "body.method" } })
      const empty = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
        token: s.helper,
        json: { lines: [], method: "home" }
      })
      expect(empty.body.field).toBe("body.lines")
      const line = order.lines[0]
      const shipped = await s.call("POST", `/api/v1/orders/${orderId}/shipments`, {
        token: s.helper,
        json: { lines: [{ sku: line.sku, qty: line.qty }], method: "home", carrier: "黑貓", trackingNo: "123456789" }
      })
      expect(shipped.status).toBe(201)
      expect(shipped.body.orderId).toBe(orderId)
      expect(shipped.body.pickupCode).toBeUndefined()
      const unpaid = await s.call("POST", `/api/v1/orders/${secondId}/shipments`, {
        token: s.helper,
        json: { lines: [{ sku: "SOCK-R", qty: 1 }], method: "home" }
      })
      expect(unpaid.status).toBe(409)
    })

    it("finds a pickup by code, locks it after 5 wrong codes, unlocks and confirms", async () => {
      const order = (await s.call("GET", `/api/v1/orders/${secondId}`)).body
      await s.call("POST", `/api/v1/orders/${secondId}/cash`, { json: { amount: order.total, reference: "r-2" } })
      const shipped = await s.call("POST", `/api/v1/orders/${secondId}/shipments`, {
        json: {
          lines: order.lines.map((l: { sku: string; qty: number }) => ({ sku: l.sku, qty: l.qty })),
          method: "pickup"
        }
      })
      expect(shipped.status).toBe(201)
      const code = shipped.body.pickupCode as string
      expect(code).toBeTruthy()
      const found = await s.call("GET", `/api/v1/pickups?code=${encodeURIComponent(code)}`, { token: s.helper })
      expect(found.body).toMatchObject({ shipmentId: shipped.body.shipmentId, orderId: secondId, locked: false })
      expect((await s.call("GET", "/api/v1/pickups?code=ZZZZZZ", { token: s.helper })).status).toBe(404)
      expect((await s.call("GET", "/api/v1/pickups?code=%20", { token: s.helper })).body.field).toBe("query.code")
      const confirm = (c: string, token = s.helper) =>
        s.call("POST", `/api/v1/pickups/${shipped.body.shipmentId}/confirm`, { token, json: { code: c } })
      for (let i = 0; i < 4; i++) expect((await confirm("WRONG1")).status).toBe(409)
      // The fifth wrong code locks it: every code, the right one too, is refused until it is unlocked.
      expect((await confirm("WRONG1")).status).toBe(423)
      const locked = await confirm(code)
      expect(locked).toMatchObject({ status: 423, body: { _tag: "Locked" } })
      expect((await s.call("GET", `/api/v1/pickups?code=${encodeURIComponent(code)}`)).body.locked).toBe(true)
      expect(
        (await s.call("POST", `/api/v1/pickups/${shipped.body.shipmentId}/unlock`, { token: s.helper })).status
      ).toBe(403)
      expect((await s.call("POST", `/api/v1/pickups/${shipped.body.shipmentId}/unlock`)).status).toBe(200)
      expect(await confirm(code)).toMatchObject({ status: 200, body: { status: "picked-up" } })
    })

    it("cancels an unpaid order and refunds a paid one; the round's numbers leave them out", async () => {
      const [, , third] = await orderIds("flow")
      const round = (await s.call("GET", "/api/v1/rounds/flow")).body
      const totalOf = async (id: string) => (await s.call("GET", `/api/v1/orders/${id}`)).body.total as number
      const noReason = await s.call("POST", `/api/v1/orders/${third}/cancel`, { token: s.helper, json: { reason: "" } })
      expect(noReason.body.field).toBe("body.reason")
      const cancelled = await s.call("POST", `/api/v1/orders/${third}/cancel`, {
        token: s.helper,
        json: { reason: "買家取消" }
      })
      expect(cancelled).toMatchObject({ status: 200, body: { orderId: third, status: "cancelled" } })
      const refunded = await s.call("POST", `/api/v1/orders/${orderId}/refund`, { json: { reason: "缺貨" } })
      expect(refunded).toMatchObject({ status: 200, body: { orderId, status: "refunded" } })
      const ended = (await totalOf(third!)) + (await totalOf(orderId))
      expect((await s.call("GET", "/api/v1/rounds/flow")).body).toMatchObject({
        orders: round.orders - 2,
        total: round.total - ended
      })
    })

    it("shows a buyer to the organiser only", async () => {
      const buyer = await s.call("GET", "/api/v1/buyers/line%3AU100")
      expect(buyer.status).toBe(200)
      expect(buyer.body.buyer).toMatchObject({ id: "line:U100" })
      // U100's only order was refunded: it no longer counts in their history.
      expect(buyer.body.history).toMatchObject({ rounds: [], orders: 0, spend: 0 })
      const picked = await s.call("GET", "/api/v1/buyers/line%3AU101")
      expect(picked.body.history).toMatchObject({ rounds: ["flow"], orders: 1 })
      expect((await s.call("GET", "/api/v1/buyers/line%3Anobody")).status).toBe(404)
    })
  })

  describe("review and not ordered", () => {
    beforeAll(async () => {
      await s.call("POST", "/api/v1/rounds", {
        json: roundFile("rev", {
          products: [
            { sku: "EGG", name: "蛋黃酥", price: 300, stock: 1 },
            { sku: "CUP", name: "保溫杯", price: 450 }
          ]
        })
      })
      await s.run(
        GroupBuy.GroupBuy.use((g) =>
          g.submitComments({
            roundId: "rev",
            comments: [
              { channel: "line", commentId: "r1", author: { id: "U1", name: "王小明" }, text: "+1", at: soon(1) },
              { channel: "line", commentId: "r2", author: { id: "U2", name: "陳大華" }, text: "蛋黃酥+1", at: soon(2) },
              { channel: "line", commentId: "r3", author: { id: "U3", name: "林美玲" }, text: "蛋黃酥+1", at: soon(3) },
              { channel: "line", commentId: "r4", author: { id: "U4", name: "張志明" }, text: "+1", at: soon(4) }
            ]
          })
        )
      )
    })

    it("lists the review queue and resolves items as an order or dismissed", async () => {
      const queue = await s.call("GET", "/api/v1/rounds/rev/review", { token: s.helper })
      expect(queue.status).toBe(200)
      const ids = queue.body.map((i: { commentId: string }) => i.commentId)
      expect(ids).toEqual(["line:r1", "line:r4"])
      const path = (id: string) => `/api/v1/rounds/rev/review/${encodeURIComponent(id)}`
      const noLines = await s.call("POST", path("line:r1"), { token: s.helper, json: { action: "order" } })
      expect(noLines).toMatchObject({ status: 400, body: { field: "body.lines" } })
      const badAction = await s.call("POST", path("line:r1"), { token: s.helper, json: { action: "maybe" } })
      expect(badAction.body.field).toBe("body.action")
      const ordered = await s.call("POST", path("line:r1"), {
        token: s.helper,
        json: { action: "order", lines: [{ sku: "CUP", qty: 2 }] }
      })
      expect(ordered).toMatchObject({ status: 200, body: { commentId: "line:r1", action: "order" } })
      expect((await s.call("POST", path("line:r4"), { token: s.helper, json: { action: "dismiss" } })).status).toBe(200)
      expect((await s.call("POST", path("line:nope"), { token: s.helper, json: { action: "dismiss" } })).status).toBe(
        404
      )
      expect((await s.call("GET", "/api/v1/rounds/rev/review")).body).toEqual([])
      expect((await s.call("GET", "/api/v1/rounds/rev/review?resolved=true")).body).toHaveLength(2)
      const mine = await s.call("GET", "/api/v1/rounds/rev/orders?buyer=line%3AU1")
      expect(mine.body.items[0].lines).toEqual([{ sku: "CUP", qty: 2, unitPrice: 450 }])
    })

    it("lists what was not ordered, and why", async () => {
      const list = await s.call("GET", "/api/v1/rounds/rev/not-ordered", { token: s.helper })
      expect(list.status).toBe(200)
      expect(list.body).toMatchObject([{ commentId: "line:r3", reason: "sold-out", sku: "EGG" }])
      expect((await s.call("GET", "/api/v1/rounds/nope/not-ordered")).status).toBe(404)
    })
  })

  describe("operations", () => {
    it("lists dead letters and jobs; only the organiser sends dead letters again", async () => {
      const letters = await s.call("GET", "/api/v1/dead-letters", { token: s.helper })
      expect(letters).toMatchObject({ status: 200, body: [] })
      const retried = await s.call("POST", "/api/v1/dead-letters/retry", { json: { messageIds: ["nope"] } })
      expect(retried).toMatchObject({ status: 200, body: { retried: 0 } })
      expect((await s.call("POST", "/api/v1/dead-letters/retry", { json: { messageIds: [] } })).body.field).toBe(
        "body.messageIds"
      )
      const jobs = await s.call("GET", "/api/v1/jobs?status=pending", { token: s.helper })
      expect(jobs.status).toBe(200)
      expect(Array.isArray(jobs.body)).toBe(true)
      expect((await s.call("GET", "/api/v1/jobs?status=later")).body.field).toBe("query.status.0")
    })
  })

  it("names the field of a bad path parameter or body on every kind of route", async () => {
    const long = "x".repeat(300)
    const cases: Array<[string, string, unknown, string]> = [
      ["GET", `/api/v1/buyers/${long}`, undefined, "path.buyerId"],
      ["GET", `/api/v1/orders/${long}`, undefined, "path.orderId"],
      ["GET", `/api/v1/rounds/${long}/report`, undefined, "path.roundId"],
      ["POST", "/api/v1/pickups/s1/confirm", { code: "no spaces!" }, "body.code"],
      ["POST", "/api/v1/pickups/s1/confirm", {}, "body.code"],
      ["POST", "/api/v1/orders/o1/refund", { reason: 5 }, "body.reason"],
      ["POST", "/api/v1/orders/o1/cash", { amount: 100, at: "yesterday" }, "body.at"],
      ["POST", "/api/v1/orders/o1/shipments", { lines: [{ sku: "A", qty: 0 }], method: "home" }, "body.lines.0.qty"],
      ["POST", "/api/v1/decisions/d1/approve", { orderId: "" }, "body.orderId"],
      [
        "POST",
        "/api/v1/rounds/socks/review/x",
        { action: "order", lines: [{ sku: "A", qty: -1 }] },
        "body.lines.0.qty"
      ],
      ["GET", "/api/v1/jobs?limit=abc", undefined, "query.limit"],
      ["GET", "/api/v1/dead-letters?limit=1000", undefined, "query.limit"]
    ]
    for (const [method, path, json, field] of cases) {
      const r = await s.call(method, path, json === undefined ? {} : { json })
      expect([method, path, r.status, r.body?.field]).toEqual([method, path, 400, field])
      expect(r.body._tag).toBe("BadRequest")
    }
  })

  it("never answers with a stack or a database message; an unknown route is a JSON 404", async () => {
    const r = await s.call("GET", "/api/v1/orders/%E0%A4%A")
    expect(r.status).toBeLessThan(500)
    const unknown = await s.call("GET", "/api/v1/nothing/here")
    expect(unknown).toMatchObject({ status: 404, body: { _tag: "NotFound", what: "route" } })
    expect((await s.call("GET", "/api/v1/orders/o1")).body.what).toBe("order")
  })
})
