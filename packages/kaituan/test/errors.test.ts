import { describe, expect, it } from "@effect/vitest"
import { createKaituan, type Comment, type Kaituan, KaituanError, type RoundFile } from "kaituan"
import { comment, roundFile, uniqueRoundId } from "./support.js"

/** Calls `f` and returns what it rejected with (fails the test when it resolves). */
const rejection = async (f: () => Promise<unknown>): Promise<KaituanError> => {
  try {
    await f()
  } catch (e) {
    expect(e).toBeInstanceOf(KaituanError)
    return e as KaituanError
  }
  throw new Error("expected a rejection")
}

const withKaituan = async (f: (k: Kaituan, roundId: string) => Promise<void>) => {
  const k = await createKaituan({ clock: () => new Date("2026-05-10T12:00:00Z") })
  const id = uniqueRoundId("err")
  await k.openRound(roundFile(id))
  try {
    await f(k, id)
  } finally {
    await k.close()
  }
}

describe("bad input rejects with InvalidInput naming the field, never quoting personal data", () => {
  it("a comment", () =>
    withKaituan(async (k, id) => {
      const good = comment(id, 1, "U1", "王小明", "+1")
      const notADate = await rejection(() => k.submitComment(id, { ...good, at: "0912345678" }))
      expect(notADate).toMatchObject({ code: "InvalidInput", field: "comment.at" })
      expect(notADate.message).toContain("comment.at")
      expect(notADate.message).not.toContain("0912345678")

      const { author: _, ...noAuthor } = good
      const missing = await rejection(() => k.submitComment(id, noAuthor as unknown as Comment))
      expect(missing).toMatchObject({ code: "InvalidInput", field: "comment.author" })

      const badName = await rejection(() =>
        k.submitComments(id, [good, { ...good, author: { id: "U2", name: 912345678 } } as unknown as Comment])
      )
      expect(badName).toMatchObject({ code: "InvalidInput", field: "comments[1].author.name" })
      expect(badName.message).not.toContain("912345678")
      // Nothing of a rejected batch was taken.
      expect((await k.report(id)).orders).toEqual([])
    }))

  it("a round file, ids, queries, payments, shipments, statements", () =>
    withKaituan(async (k, id) => {
      const noId = await rejection(() => k.openRound({ title: "x", products: [] } as unknown as RoundFile))
      expect(noId).toMatchObject({ code: "InvalidInput", field: "round.id" })
      expect(await rejection(() => k.report(""))).toMatchObject({ code: "InvalidInput", field: "roundId" })
      expect(await rejection(() => k.orders(id, { limit: 0 }))).toMatchObject({ field: "query.limit" })
      expect(await rejection(() => k.orders(id, { cursor: "nope" }))).toMatchObject({ field: "query.cursor" })
      expect(await rejection(() => k.recordPayment({ orderId: "o_1", amount: -5, source: "cash" }))).toMatchObject({
        code: "InvalidInput",
        field: "payment.amount"
      })
      expect(
        await rejection(() => k.recordPayment({ orderId: "o_1", amount: 5, source: "cash", last5: "12" }))
      ).toMatchObject({ code: "InvalidInput", field: "payment.last5" })
      expect(await rejection(() => k.ship("o_1", { method: "drone" } as unknown as { method: "home" }))).toMatchObject({
        code: "InvalidInput",
        field: "request.method"
      })
      expect(await rejection(() => k.importStatement(id, { file: "" }))).toMatchObject({
        code: "InvalidInput",
        field: "statement.file"
      })
      const events = k.events({ after: -1 })
      expect(await rejection(() => events.next())).toMatchObject({ code: "InvalidInput", field: "query.after" })
    }))

  it("options of createKaituan", async () => {
    expect(await rejection(() => createKaituan({ database: "" }))).toMatchObject({
      code: "InvalidInput",
      field: "options.database"
    })
  })
})

describe("other failures have their codes", () => {
  it("NotFound, Rejected", () =>
    withKaituan(async (k, id) => {
      expect(await rejection(() => k.report("no-such-round"))).toMatchObject({ code: "NotFound" })
      expect(await rejection(() => k.submitComment("no-such-round", comment(id, 1, "U", "A", "+1")))).toMatchObject({
        code: "NotFound"
      })
      expect(await rejection(() => k.orders("no-such-round"))).toMatchObject({ code: "NotFound", field: "roundId" })
      expect(await rejection(() => k.order("o_none"))).toMatchObject({ code: "NotFound", field: "orderId" })
      expect(await rejection(() => k.ship("o_none", { method: "home" }))).toMatchObject({ code: "NotFound" })
      expect(await rejection(() => k.confirmPickup("o_none", "ABCD2345"))).toMatchObject({ code: "NotFound" })
      expect(await rejection(() => k.recordPayment({ orderId: "o_none", amount: 1, source: "cash" }))).toMatchObject({
        code: "NotFound"
      })
      await k.closeRound(id)
      const late = await rejection(() =>
        k.resolveReview(id, "line:nothing", { action: "order", lines: [{ sku: "CUP", qty: 1 }] })
      )
      expect(late.code).toBe("Rejected")
    }))

  it("Storage: a database that cannot be opened rejects createKaituan, with the password masked", async () => {
    const e = await rejection(() => createKaituan({ database: "postgres://kai:s3cretpw@127.0.0.1:1/none" }))
    expect(e.code).toBe("Storage")
    expect(e.message).not.toContain("s3cretpw")
  })

  it("Closed: every call after close() rejects clearly; close() twice is fine", async () => {
    const k = await createKaituan()
    const id = uniqueRoundId("closed")
    await k.openRound(roundFile(id))
    await k.close()
    await k.close()
    const e = await rejection(() => k.report(id))
    expect(e).toMatchObject({ code: "Closed", message: "this kaituan instance is closed" })
    expect(await rejection(() => k.openRound(roundFile(id)))).toMatchObject({ code: "Closed" })
    expect(await rejection(() => k.events().next())).toMatchObject({ code: "Closed" })
  })
})
