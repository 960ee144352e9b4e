/**
 * The `members` endpoints on a real port, over memory and a SQLite file: a round closed with
 * orders from two channels, then the list (with a segment), one member, changes, a link code
 * redeemed from the other channel, split, and a broadcast that honours opt-outs.
 */
import { GroupBuy, Members } from "@kaituan/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kinds, roundFile, type Served, serve, soon } from "./support.js"

describe.each(kinds)("members over %s", (kind) => {
  let s: Served
  beforeAll(async () => {
    s = await serve(kind)
    expect((await s.call("POST", "/api/v1/rounds", { json: roundFile("socks") })).status).toBe(201)
    const at = (i: number) => soon(10 + i)
    await s.run(
      GroupBuy.GroupBuy.use((g) =>
        g.submitComments({
          roundId: "socks",
          comments: [
            { channel: "line", commentId: "c1", author: { id: "U1", name: "小美" }, text: "紅+2", at: at(1) },
            { channel: "telegram", commentId: "c2", author: { id: "77", name: "小美" }, text: "白+1", at: at(2) },
            { channel: "line", commentId: "c3", author: { id: "U3", name: "阿明" }, text: "保溫杯+1", at: at(3) }
          ]
        })
      )
    )
    expect((await s.call("POST", "/api/v1/rounds/socks/close")).status).toBe(200)
  })
  afterAll(() => s.close())

  it("lists members with their numbers and tags, by segment; a helper may not", async () => {
    const all = await s.call("GET", "/api/v1/members")
    expect(all.status).toBe(200)
    expect(all.body.total).toBe(3)
    const u1 = all.body.members.find((m: { memberId: string }) => m.memberId === "line:U1")
    expect(u1).toMatchObject({ orders: 1, spend: 240, tier: "一般", blocked: false })
    expect(u1.tags).toEqual(expect.arrayContaining(["新用戶", "channel:line", "tier:一般"]))
    expect(all.body.tags.find((t: { tag: string }) => t.tag === "新用戶")).toEqual({ tag: "新用戶", members: 3 })
    const tg = await s.call("GET", `/api/v1/members?segment=${encodeURIComponent("channel:telegram AND NOT 沉睡")}`)
    expect(tg.body.members.map((m: { memberId: string }) => m.memberId)).toEqual(["telegram:77"])
    const bad = await s.call("GET", `/api/v1/members?segment=${encodeURIComponent("新用戶 OR")}`)
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ _tag: "BadRequest", field: "query.segment@6" })
    expect((await s.call("GET", "/api/v1/members", { token: s.helper })).status).toBe(403)
  })

  it("links the telegram identity with a one-time code, shows one member, and splits it again", async () => {
    const link = await s.call("POST", `/api/v1/members/${encodeURIComponent("line:U1")}/link-code`)
    expect(link.status).toBe(200)
    const { memberId } = await s.run(Members.redeemLinkCode({ buyerId: "telegram:77", code: link.body.code }))
    expect(memberId).toBe("line:U1")
    const one = await s.call("GET", `/api/v1/members/${encodeURIComponent("telegram:77")}`)
    expect(one.status).toBe(200)
    expect(one.body.member).toMatchObject({ memberId: "line:U1", identities: ["line:U1", "telegram:77"], spend: 370 })
    expect(one.body.purchases.length).toBe(2)
    const split = await s.call("POST", `/api/v1/members/${encodeURIComponent("line:U1")}/split`, {
      json: { buyerId: "telegram:77" }
    })
    expect(split.status).toBe(200)
    expect((await s.call("GET", "/api/v1/members")).body.total).toBe(3)
    const self = await s.call("POST", `/api/v1/members/${encodeURIComponent("line:U1")}/split`, {
      json: { buyerId: "line:U1" }
    })
    expect(self.status).toBe(409)
    expect(self.body.reason).toBe("first-identity")
  })

  it("changes a member (tags, notes, household, consent, blacklist) and broadcasts to a segment", async () => {
    const path = `/api/v1/members/${encodeURIComponent("line:U3")}/changes`
    const changed = await s.call("POST", path, {
      json: {
        changes: [
          { _tag: "AddTag", tag: "家有長輩控鹽" },
          { _tag: "AddNote", text: "常加班，晚上十點後回覆" },
          { _tag: "SetHousehold", household: { householdSize: 4, freezerLitres: 60 } },
          { _tag: "SetConsent", channel: "line", marketing: "opted-out" }
        ]
      }
    })
    expect(changed.status).toBe(200)
    const u3 = await s.call("GET", `/api/v1/members/${encodeURIComponent("line:U3")}`)
    expect(u3.body.member.manualTags).toEqual(["家有長輩控鹽"])
    expect(u3.body.notes.map((n: { text: string }) => n.text)).toEqual(["常加班，晚上十點後回覆"])
    expect(u3.body.household).toEqual({ householdSize: 4, freezerLitres: 60 })
    const badTag = await s.call("POST", path, { json: { changes: [{ _tag: "AddTag", tag: "a b" }] } })
    expect(badTag.status).toBe(400)
    const b = await s.call("POST", "/api/v1/broadcasts", {
      json: { broadcastId: "week-50", segment: "新用戶", text: "下週開團：韓國毛襪" }
    })
    expect(b.status).toBe(200)
    expect(b.body).toMatchObject({ queued: 2, skipped: { "opted-out": 1, blocked: 0, "over-quota": 0 } })
    const again = await s.call("POST", "/api/v1/broadcasts", {
      json: { broadcastId: "week-50", segment: "新用戶", text: "下週開團：韓國毛襪" }
    })
    expect(again.body).toMatchObject({ queued: 0, duplicates: 2 })
  })
})
