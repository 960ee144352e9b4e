/**
 * The counter through the SDK, in memory and on SQLite: look an order up by number and buyer,
 * take part in cash and the rest by card (once per reference, never over what is due), and ask for
 * its e-invoice with the buyer's carrier (stored for the issuing host); a malformed carrier is
 * `InvalidInput`; a 載具 comment is recorded as the buyer's carrier and is never an order.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { createKaituan, KaituanError } from "kaituan"
import { comment, roundFile, uniqueRoundId } from "./support.js"

const databases: ReadonlyArray<readonly [string, () => string | undefined]> = [
  ["memory", () => undefined],
  ["SQLite", () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-counter-")), "k.db")]
]

describe.each(databases)("the counter through the SDK (%s)", (_name, database) => {
  it("looks up, takes cash and card once per reference, asks for the invoice", async () => {
    const db = database()
    let now = new Date("2026-05-10T12:00:00Z")
    const k = await createKaituan({
      ...(db === undefined ? {} : { database: db }),
      clock: () => now,
      background: false
    })
    try {
      const id = uniqueRoundId("pos")
      await k.openRound(roundFile(id))
      now = new Date("2026-05-10T13:00:00Z")
      await k.submitComments(id, [
        comment(id, 1, "U1", "王小明", "+2"),
        comment(id, 2, "U1", "王小明", "載具 /ABC+123")
      ])
      await k.closeRound(id)
      const [order] = (await k.orders(id)).orders
      expect(order!.lines).toHaveLength(1)
      const found = await k.counterLookup(order!.orderId)
      expect(found).toMatchObject({ matchedBy: "order", orders: [{ due: order!.total }] })
      expect((await k.counterLookup(order!.buyerId, [id])).matchedBy).toBe("buyer")

      await expect(
        k.counterPay(order!.orderId, { method: "cash", amount: order!.total + 1, reference: "t1" })
      ).rejects.toSatisfy((e) => e instanceof KaituanError && e.code === "Rejected" && e.reason === "over-due")
      expect((await k.counterPay(order!.orderId, { method: "cash", amount: 100, reference: "t1" })).counter.due).toBe(
        order!.total - 100
      )
      expect((await k.counterPay(order!.orderId, { method: "cash", amount: 100, reference: "t1" })).status).toBe(
        "duplicate"
      )
      const paid = await k.counterPay(order!.orderId, { method: "card", reference: "AUTH-1" })
      expect(paid.counter).toMatchObject({ due: 0, order: { status: "paid" } })

      await expect(
        k.requestInvoice(order!.orderId, { carrier: { _tag: "Mobile", barcode: "ABC" } } as never)
      ).rejects.toSatisfy((e) => e instanceof KaituanError && e.code === "InvalidInput")
      // the buyer gave /ABC+123 in chat; the notice goes to the e-mail given at the counter
      const invoice = await k.requestInvoice(order!.orderId, {
        carrier: { _tag: "Mobile", barcode: "/ABC+123" },
        email: "wang@example.com"
      })
      expect(invoice).toMatchObject({ status: "requested", carrier: { _tag: "Mobile", barcode: "/ABC+123" } })
      expect((await k.invoice(order!.orderId)).status).toBe("requested")
    } finally {
      await k.close()
    }
  })
})
