/** `POST /api/v1/rounds/:roundId/publish`: the organiser publishes; a helper may not; twice is once. */
import { Storage } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve } from "./support.js"

const listens = [
  { channel: "line", conversation: "C0123456789abcdef0123456789abcdef" },
  { channel: "telegram", conversation: "-1001234567890" }
]

describe.each(kinds)("publishing a round over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    const cutoff = new Date(Date.now() + 86_400_000).toISOString()
    const file = roundFile("pub", { listens, cutoff, remindBeforeCutoff: "PT10M" })
    expect((await s.call("POST", "/api/v1/rounds", { json: file })).status).toBe(201)
    expect((await s.call("POST", "/api/v1/rounds", { json: roundFile("quiet") })).status).toBe(201)
  })
  afterAll(() => s.close())

  const queued = async () =>
    (await s.run(Storage.Storage.use((st) => st.claimOutbox({ limit: 1000, leaseMs: 0 })))).filter(
      (e) => e.message.kind === "round-announcement"
    )

  it("refuses a helper (403) and queues nothing", async () => {
    const r = await s.call("POST", "/api/v1/rounds/pub/publish", { token: s.helper })
    expect(r.status).toBe(403)
    expect(await queued()).toHaveLength(0)
  })

  it("queues one announcement per conversation, with examples in the round's syntax; again is a duplicate", async () => {
    const r = await s.call("POST", "/api/v1/rounds/pub/publish")
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ roundId: "pub", status: "queued", examples: ["紅+1", "保溫杯+2"] })
    expect(r.body.messages.map((m: { conversation: string }) => m.conversation)).toEqual(
      listens.map((l) => l.conversation)
    )
    expect(r.body.text).toContain("📣 開團：韓國毛襪")
    expect(r.body.text).toContain("・韓國毛襪 紅　NT$120　現貨剩 500")
    const again = await s.call("POST", "/api/v1/rounds/pub/publish")
    expect(again.body.status).toBe("duplicate")
    expect((await queued()).map((e) => e.message.to.threadId)).toEqual(listens.map((l) => l.conversation))
  })

  it("schedules the reminder with the round", async () => {
    const jobs = await s.call("GET", "/api/v1/jobs")
    expect(jobs.body.map((j: { id: string }) => j.id)).toContain("remind:pub")
  })

  it("skips a round without conversations, 404s an unknown one, 409s a closed one", async () => {
    expect((await s.call("POST", "/api/v1/rounds/quiet/publish")).body).toMatchObject({
      status: "skipped",
      messages: []
    })
    expect((await s.call("POST", "/api/v1/rounds/nope/publish")).status).toBe(404)
    expect((await s.call("POST", "/api/v1/rounds/quiet/close")).status).toBe(200)
    const closed = await s.call("POST", "/api/v1/rounds/quiet/publish")
    expect(closed.status).toBe(409)
  })
})
