/**
 * `GET /api/rounds/:id` must not stall the webhooks: a round's report is computed at most once
 * per `reportMaxStaleMs` under writes and shared by every reader (each snapshot has its ETag),
 * and a webhook that arrives while 32 readers ask for a large report in a loop is answered before
 * more than two report computations go by. Ordering, not milliseconds: the test counts the
 * snapshots (ETags) the readers got while the webhook was waiting. A read that starts
 * `reportMaxStaleMs` after a write shows it.
 */
import { describe, expect, it } from "@effect/vitest"
import { GroupBuy } from "@kaituan/core"
import type { toJson } from "../src/Report.js"
import { getReport, lineBody, lineHeaders, post, startFull } from "./serveSupport.js"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Full = Awaited<ReturnType<typeof startFull>>

const report = (f: Full, roundId: string) =>
  getReport(f, roundId).then((r) => r.json() as Promise<ReturnType<typeof toJson>>)

/** `n` orders, placed straight through the server's runtime in batches. */
const seed = async (f: Full, roundId: string, n: number) => {
  for (let b = 0; b * 500 < n; b++) {
    const comments = Array.from({ length: Math.min(500, n - b * 500) }, (_, i) => ({
      channel: "line",
      commentId: `seed-${b}-${i}`,
      author: { id: `U-seed-${b}-${i}`, name: `買家${b}-${i}` },
      text: "蛋黃酥+1",
      at: new Date().toISOString()
    }))
    await f.server.run(GroupBuy.GroupBuy.use((g) => g.submitComments({ roundId, comments })))
  }
}

describe("kaituan serve: reports do not stall webhooks", () => {
  it("with 32 readers of a large report in a loop, a webhook waits for at most two report computations", async () => {
    // writes from other processes are not in play here: only writes through the server end a version
    const f = await startFull("reports", { reportMaxAgeMs: 600_000, reportMaxStaleMs: 300 })
    try {
      await seed(f, "reports", 10_000)
      const url = `${f.server.url}/api/rounds/reports`
      let stop = false
      let finished = 0
      const done: Array<{ readonly etag: string | null; readonly seq: number }> = []
      let warm: () => void = () => {}
      const warmedUp = new Promise<void>((resolve) => {
        warm = resolve
      })
      const readers = Array.from({ length: 32 }, async () => {
        while (!stop) {
          const r = await fetch(url, { headers: { authorization: `Bearer ${f.token}` } })
          await r.arrayBuffer()
          expect(r.status).toBe(200)
          done.push({ etag: r.headers.get("etag"), seq: finished++ })
          if (finished >= 32) warm()
        }
      })
      await warmedUp
      const before = finished
      const body = lineBody([{ id: "late", user: "U-late", text: "白+2" }])
      const answered = await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
      const after = finished
      stop = true
      await Promise.all(readers)
      expect(answered.status).toBe(200)
      const during = done.filter((d) => d.seq >= before && d.seq < after)
      const snapshots = new Set(during.map((d) => d.etag ?? `no-etag-${d.seq}`))
      expect(snapshots.size).toBeLessThanOrEqual(2)
      // and the reports asked for the staleness bound after the webhook was answered have its order
      await sleep(350)
      const j = await report(f, "reports")
      expect(j.orders.find((o) => o.buyer.id === "U-late")?.lines).toEqual([{ sku: "SOCK-W", qty: 2, unitPrice: 130 }])
      expect(j.orders.length).toBe(10_001)
    } finally {
      await f.stop()
    }
  }, 120_000) // ordering, not time: a loaded machine only makes it slower (the first 10,000-order report takes 16 s at load 40)

  it("a report unchanged since the client's copy is 304; a write through the server gives a new ETag", async () => {
    const f = await startFull("etag", { reportMaxStaleMs: 200 })
    try {
      const first = await getReport(f, "etag")
      const etag = first.headers.get("etag")
      expect(first.status).toBe(200)
      expect(etag).toMatch(/^"[^"]+"$/)
      const asOf = Date.parse(first.headers.get("x-report-as-of") ?? "")
      expect(Math.abs(Date.now() - asOf)).toBeLessThan(10_000)
      await first.arrayBuffer()
      const same = await getReport(f, "etag", { "if-none-match": etag! })
      expect(same.status).toBe(304)
      const body = lineBody([{ id: "e1", user: "U-e1", text: "紅+1" }])
      expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
      await sleep(250)
      const changed = await getReport(f, "etag", { "if-none-match": etag! })
      expect(changed.status).toBe(200)
      expect(changed.headers.get("etag")).not.toBe(etag)
      const j = (await changed.json()) as ReturnType<typeof toJson>
      expect(j.orders.map((o) => o.buyer.id)).toEqual(["U-e1"])
      expect((await getReport(f, "nope")).status).toBe(404)
    } finally {
      await f.stop()
    }
  })

  it("gzips the report for clients that take it, with an ETag of its own; the same JSON either way", async () => {
    const f = await startFull("gzip")
    try {
      const body = lineBody([{ id: "g1", user: "U-g1", text: "紅+1" }])
      expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
      const zipped = await getReport(f, "gzip", { "accept-encoding": "gzip" })
      const plain = await getReport(f, "gzip", { "accept-encoding": "identity" })
      expect(zipped.headers.get("content-encoding")).toBe("gzip")
      expect(plain.headers.get("content-encoding")).toBeNull()
      expect(zipped.headers.get("vary")).toBe("Accept-Encoding")
      expect(zipped.headers.get("etag")).not.toBe(plain.headers.get("etag"))
      expect(await zipped.json()).toEqual(await plain.json())
      // either ETag names the client's copy
      for (const etag of [zipped.headers.get("etag")!, plain.headers.get("etag")!])
        expect((await getReport(f, "gzip", { "if-none-match": etag })).status).toBe(304)
      const refused = await getReport(f, "gzip", { "accept-encoding": "gzip;q=0, identity" })
      expect(refused.headers.get("content-encoding")).toBeNull()
      await refused.arrayBuffer()
    } finally {
      await f.stop()
    }
  })
})
