/**
 * `kaituan serve` with the back-office API: `kaituan token create|list|revoke`, the first
 * organiser token, `/healthz` saying nothing but that it is up, `/api/v1` behind tokens, payment
 * pages only from `KAITUAN_PUBLIC_URL` (a forged `Host` never reaches a checkout form), and
 * comments routed to the round that is open.
 */
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { GroupBuy, Inbound as RoundRouter } from "@kaituan/core"
import { request } from "node:http"
import { serve } from "../src/commands/serve.js"
import * as Server from "../src/server/Server.js"
import { lineBody, lineHeaders, logSink, post, roundJson, startFull, TG_SECRET, telegramBody } from "./serveSupport.js"
import { runCli, runIo, tmpDir } from "./support.js"

type Full = Awaited<ReturnType<typeof startFull>>

const PUBLIC = "https://shop.example.com"

/** A GET with a Host header of our choosing (fetch does not let one set it). */
const getWithHost = (url: string, host: string) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const u = new URL(url)
    const req = request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: "GET", headers: { host } },
      (res) => {
        let text = ""
        res.on("data", (d) => {
          text += d
        })
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }))
      }
    )
    req.on("error", reject)
    req.end()
  })

describe("kaituan token", () => {
  it("creates a token printed once, lists tokens without secrets, revokes by id", async () => {
    const db = path.join(tmpDir(), "tokens.db")
    const created = await runCli(["token", "create", "--role", "helper", "--label", "小美的手機", "--db", db])
    expect(created.code).toBe(0)
    const token = created.stdout.trim()
    expect(token).toMatch(/^kt_[A-Za-z0-9_-]{43}$/)
    expect(created.stderr).toContain("shown this once")
    expect(created.stderr).not.toContain(token)
    const json = await runCli(["token", "create", "--role", "organiser", "--db", db, "--json"])
    const info = JSON.parse(json.stdout) as { tokenId: string; role: string; token: string }
    expect(info.role).toBe("organiser")
    const listed = await runCli(["token", "list", "--db", db])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain("小美的手機")
    expect(listed.stdout).toContain(info.tokenId)
    expect(listed.stdout).not.toContain("kt_")
    const listedJson = JSON.parse((await runCli(["token", "list", "--db", db, "--json"])).stdout) as Array<{
      tokenId: string
      revokedAt?: string
    }>
    expect(listedJson).toHaveLength(2)
    expect(JSON.stringify(listedJson)).not.toMatch(/kt_|hash/)
    const revoked = await runCli(["token", "revoke", info.tokenId, "--db", db])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain(`revoked ${info.tokenId}`)
    const after = JSON.parse((await runCli(["token", "list", "--db", db, "--json"])).stdout) as typeof listedJson
    expect(after.find((t) => t.tokenId === info.tokenId)?.revokedAt).toBeDefined()
  })

  it("says what is wrong with bad input (exit 2)", async () => {
    const db = path.join(tmpDir(), "bad.db")
    const noRole = await runCli(["token", "create", "--db", db])
    expect(noRole.code).toBe(2)
    expect(noRole.stderr).toContain("--role organiser|helper is required")
    const badRole = await runCli(["token", "create", "--role", "admin", "--db", db])
    expect(badRole.code).toBe(2)
    expect(badRole.stderr).toContain("organiser or helper")
    const unknown = await runCli(["token", "revoke", "tok_nope", "--db", db])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("no token with id")
    expect((await runCli(["token", "revoke", "--db", db])).code).toBe(2)
    expect((await runCli(["token", "list", "--help"])).stdout).toContain("Never a token itself")
  })
})

describe("kaituan serve: the first start prints an organiser token once", () => {
  it("on a database with no token, and not again", async () => {
    const db = path.join(tmpDir(), "first.db")
    const start = () =>
      runIo(
        (argv, io) =>
          serve(argv, io, async (server) => {
            const token = server.firstToken
            if (token !== undefined) {
              const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
              expect(me.status).toBe(200)
            }
            return "test"
          }),
        ["--port", "0", "--db", db],
        { env: {} }
      )
    const first = await start()
    expect(first.code).toBe(0)
    const token = /\n {2}(kt_[A-Za-z0-9_-]{43})\n/.exec(first.stderr)?.[1]
    expect(token).toBeDefined()
    expect(first.stderr.split(token!)).toHaveLength(2)
    const second = await start()
    expect(second.code).toBe(0)
    expect(second.stderr).not.toMatch(/kt_/)
    const listed = await runCli(["token", "list", "--db", db, "--json"])
    expect(JSON.parse(listed.stdout)).toHaveLength(1)
  })
})

describe("kaituan serve: the back-office API", () => {
  let f: Full
  beforeAll(async () => {
    f = await startFull("office", { env: { KAITUAN_PUBLIC_URL: PUBLIC } })
    const body = lineBody([{ id: "o1", user: "U-olive", text: "紅+2" }])
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
  })
  afterAll(async () => {
    await f.stop()
  })

  it("answers /healthz with { ok: true } only", async () => {
    const r = await fetch(`${f.server.url}/healthz`)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('{"ok":true}')
  })

  it("mounts /api/v1 behind tokens, with the OpenAPI document and the docs page", async () => {
    expect((await fetch(`${f.server.url}/api/v1/rounds/office/orders`)).status).toBe(401)
    const r = await fetch(`${f.server.url}/api/v1/rounds/office/orders?status=open&status=awaiting-payment`, {
      headers: { authorization: `Bearer ${f.token}` }
    })
    expect(r.status).toBe(200)
    const page = (await r.json()) as { items: Array<{ buyer: { id: string } }> }
    expect(page.items.map((o) => o.buyer.id)).toEqual(["U-olive"])
    const openapi = await fetch(`${f.server.url}/api/v1/openapi.json`)
    expect(openapi.status).toBe(200)
    expect(Object.keys(((await openapi.json()) as { paths: object }).paths).length).toBeGreaterThan(10)
    expect((await fetch(`${f.server.url}/api/docs`)).status).toBe(200)
    // The back office's web app is served beside it.
    const admin = await fetch(`${f.server.url}/admin`, { redirect: "manual" })
    expect(admin.status).toBe(308)
    expect(admin.headers.get("location")).toBe("/admin/")
    const line = f.logs.lines().find((l) => l.route === "/api/v1/rounds/:roundId/orders" && l.status === 200)
    expect(line?.operation).toBe("orders.list")
    expect(f.logs.text()).not.toContain("U-olive")
  })

  it("sends comments to the --round round while it is open, then to the one round still open", async () => {
    const opened = await fetch(`${f.server.url}/api/v1/rounds`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" },
      body: JSON.stringify(roundJson("second"))
    })
    expect(opened.status).toBe(201)
    const body = lineBody([{ id: "o2", user: "U-pat", text: "紅+1" }])
    expect((await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))).status).toBe(200)
    const office = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "office" })))
    expect(office.map((o) => o.buyer.id).sort()).toEqual(["U-olive", "U-pat"])
    const closed = await fetch(`${f.server.url}/api/v1/rounds/office/close`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.token}` }
    })
    expect(closed.status).toBe(200)
    const next = lineBody([{ id: "o3", user: "U-quinn", text: "紅+1" }])
    expect((await post(`${f.server.url}/webhooks/line`, next, lineHeaders(next))).status).toBe(200)
    const second = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "second" })))
    expect(second.map((o) => o.buyer.id)).toEqual(["U-quinn"])
  })

  it("renders a checkout page whose notify URL is KAITUAN_PUBLIC_URL's, whatever the Host header says", async () => {
    const [order] = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "office" })))
    expect(order?.status).toBe("awaiting-payment")
    const page = await getWithHost(`${f.server.url}/pay/${order!.orderId}?gateway=ecpay`, "evil.example")
    expect(page.status).toBe(200)
    expect(page.text).toContain(`name="ReturnURL" value="${PUBLIC}/payments/ecpay/notify"`)
    expect(page.text).not.toContain("evil.example")
  })
})

describe("kaituan serve: without KAITUAN_PUBLIC_URL", () => {
  let f: Full
  beforeAll(async () => {
    f = await startFull("nopublic")
    const body = lineBody([{ id: "n1", user: "U-nina", text: "紅+1" }])
    await post(`${f.server.url}/webhooks/line`, body, lineHeaders(body))
    await f.server.run(GroupBuy.GroupBuy.use((g) => g.closeRound({ roundId: "nopublic" })))
  })
  afterAll(async () => {
    await f.stop()
  })

  it("refuses to render a checkout form and says why; a forged Host changes nothing", async () => {
    const [order] = await f.server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "nopublic" })))
    for (const host of [undefined, "evil.example"]) {
      const r =
        host === undefined
          ? await fetch(`${f.server.url}/pay/${order!.orderId}`).then(async (x) => ({
              status: x.status,
              text: await x.text()
            }))
          : await getWithHost(`${f.server.url}/pay/${order!.orderId}`, host)
      expect(r.status).toBe(503)
      expect(r.text).toContain("KAITUAN_PUBLIC_URL")
      expect(r.text).not.toContain("<form")
      expect(r.text).not.toContain("evil.example")
    }
  })

  it("refuses a KAITUAN_PUBLIC_URL that is not an http(s) URL", async () => {
    await expect(
      Server.start({ port: 0, db: ":memory:", env: { KAITUAN_PUBLIC_URL: "shop.example.com" }, log: logSink().log })
    ).rejects.toThrow(/KAITUAN_PUBLIC_URL/)
  })
})

describe("kaituan serve without --round: rounds opened through the API", () => {
  it("refuses comments while several rounds are open (logged with the reason), takes them when one is", async () => {
    const logs = logSink()
    const server = await Server.start({
      port: 0,
      db: path.join(tmpDir(), "rounds.db"),
      env: { TELEGRAM_BOT_TOKEN: "1:x", TELEGRAM_SECRET_TOKEN: TG_SECRET, TELEGRAM_API_BASE: "http://127.0.0.1:9" },
      log: logs.log,
      drainMs: 50
    })
    const auth = { authorization: `Bearer ${server.firstToken}` }
    const tg = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TG_SECRET }
    try {
      for (const id of ["north", "south"]) {
        const r = await fetch(`${server.url}/api/v1/rounds`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify(roundJson(id))
        })
        expect(r.status).toBe(201)
      }
      const first = telegramBody({ update: 1, message: 1, user: 9, text: "紅+1" })
      expect((await post(`${server.url}/webhooks/telegram`, first, tg)).status).toBe(200)
      const refused = logs
        .lines()
        .filter((l) => l.route === "/webhooks/telegram")
        .at(-1) as {
        counts?: Record<string, number>
        note?: string
        refused?: Array<string>
      }
      expect(refused.counts?.rejected).toBe(1)
      expect(refused.note).toContain("several rounds are open")
      expect(refused.refused).toEqual(["several-open-rounds"])
      expect((await fetch(`${server.url}/api/v1/rounds/north/close`, { method: "POST", headers: auth })).status).toBe(
        200
      )
      const second = telegramBody({ update: 2, message: 2, user: 9, text: "紅+1" })
      expect((await post(`${server.url}/webhooks/telegram`, second, tg)).status).toBe(200)
      const south = await server.run(GroupBuy.GroupBuy.use((g) => g.orders({ roundId: "south" })))
      expect(south).toHaveLength(1)
    } finally {
      await server.close()
    }
  })
})

describe("kaituan serve: cutoffs of rounds opened through the API", () => {
  it("closes a round at its cutoff from the scheduler (no --round, no timer of the server's own)", async () => {
    const server = await Server.start({
      port: 0,
      db: path.join(tmpDir(), "cutoff.db"),
      env: {},
      log: logSink().log,
      drainMs: 50,
      schedulerPollMs: 100
    })
    try {
      const cutoff = new Date(Date.now() + 1_000).toISOString()
      const r = await fetch(`${server.url}/api/v1/rounds`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.firstToken}`, "content-type": "application/json" },
        body: JSON.stringify(roundJson("timed", cutoff))
      })
      expect(r.status).toBe(201)
      const statusOf = async () =>
        (
          (await (
            await fetch(`${server.url}/api/v1/rounds/timed`, {
              headers: { authorization: `Bearer ${server.firstToken}` }
            })
          ).json()) as { status: string }
        ).status
      expect(await statusOf()).toBe("open")
      const until = Date.now() + 8_000
      while ((await statusOf()) !== "closed" && Date.now() < until) await new Promise((x) => setTimeout(x, 100))
      expect(await statusOf()).toBe("closed")
    } finally {
      await server.close()
    }
  })
})

describe("round routing", () => {
  const a = { roundId: "a", listens: [{ channel: "line", conversation: "Cgroup-a" }] }
  const b = { roundId: "b", listens: [] }
  const c = { roundId: "c", listens: [] }
  it("takes the round listening to the conversation, else the one open round, else refuses", () => {
    expect(RoundRouter.choose([a, b], "line", "Cgroup-a")).toEqual({ _tag: "Round", roundId: "a" })
    expect(RoundRouter.choose([a, b], "line", "Cother")).toEqual({ _tag: "Round", roundId: "b" })
    expect(RoundRouter.choose([a, b], "telegram", "Cgroup-a")).toEqual({ _tag: "Round", roundId: "b" })
    expect(RoundRouter.choose([a], "line", "Cother")).toEqual({ _tag: "Refused", reason: "no-open-round" })
    expect(RoundRouter.choose([], "line", undefined)).toEqual({ _tag: "Refused", reason: "no-open-round" })
    expect(RoundRouter.choose([b, c], "line", "Cx")).toEqual({ _tag: "Refused", reason: "several-open-rounds" })
    // The round the server was started with takes what no other round listens to, while it is open.
    expect(RoundRouter.choose([b, c], "line", "Cx", "c")).toEqual({ _tag: "Round", roundId: "c" })
    expect(RoundRouter.choose([a, b], "line", "Cgroup-a", "b")).toEqual({ _tag: "Round", roundId: "a" })
    expect(RoundRouter.choose([b, c], "line", "Cx", "gone")).toEqual({
      _tag: "Refused",
      reason: "several-open-rounds"
    })
    expect(RoundRouter.choose([a, { ...a, roundId: "a2" }], "line", "Cgroup-a")).toEqual({
      _tag: "Refused",
      reason: "several-open-rounds"
    })
  })
  it("reads listens from a stored round file, ignoring what is not a conversation", () => {
    expect(RoundRouter.listensOf({ listens: [{ channel: "line", conversation: "C1" }, { channel: 3 }, "x"] })).toEqual([
      { channel: "line", conversation: "C1" }
    ])
    expect(RoundRouter.listensOf({ title: "x" })).toEqual([])
    expect(RoundRouter.listensOf(undefined)).toEqual([])
  })
})
