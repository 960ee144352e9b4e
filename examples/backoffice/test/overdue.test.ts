/**
 * 逾期未付款 on a round's overview: a round whose payment deadline passed with `unpaid: flag`
 * (replayed with `--at` after the deadline) lists the orders that still owe money, with the
 * total owed, at desktop and phone sizes; a round without a deadline shows no such panel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  horizontalOverflow,
  type Kaituan,
  launchBrowser,
  newContext,
  shoot,
  signIn,
  skipBrowser,
  smallTargets,
  startKaituan
} from "./support.js"

const overdueRound = JSON.stringify({
  id: "tea-2026",
  title: "阿里山高山茶",
  cutoff: "2026-05-03T22:00:00+08:00",
  payWithin: "P3D",
  unpaid: "flag",
  payment: { bank: { code: "822", account: "123-456-789", name: "王小美" } },
  products: [{ sku: "TEA", name: "高山茶 150g", aliases: ["茶"], price: 600, stock: 50 }]
})
const overdueComments = [
  { id: "t1", author: { id: "U301", name: "林阿嬤" }, text: "茶+2", at: "2026-05-01T09:00:00+08:00" },
  { id: "t2", author: { id: "U302", name: "周先生" }, text: "茶+1", at: "2026-05-01T10:00:00+08:00" }
]
  .map((c) => JSON.stringify(c))
  .join("\n")

describe.skipIf(skipBrowser)("overdue orders in the back office", () => {
  let k: Kaituan
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  beforeAll(async () => {
    // Four days after the close: the deadline (close + 3 days) has passed.
    k = await startKaituan([{ round: overdueRound, comments: overdueComments, at: "2026-05-07T23:00:00+08:00" }])
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  it("lists the orders past their payment deadline with what each owes, in Chinese, on desktop and phone", async () => {
    const overdue = await k.api("GET", "/rounds/tea-2026/overdue")
    expect(overdue.status).toBe(200)
    expect(overdue.body.items.map((i: { owed: number }) => i.owed)).toEqual([1200, 600])

    for (const device of ["desktop", "phone"] as const) {
      const context = await newContext(browser, device)
      const page = await context.newPage()
      await signIn(page, k.url, k.organiser)
      await page.goto(`${k.url}/admin/rounds/tea-2026`)
      const panel = page.locator("section.overdue")
      await panel.waitFor()
      expect(await panel.locator("h2").textContent()).toBe("逾期未付款（2 筆）")
      expect(await panel.textContent()).toContain("還欠 NT$ 1,800")
      const rows = panel.locator("tbody tr")
      expect(await rows.count()).toBe(2)
      expect(await rows.nth(0).textContent()).toContain("林阿嬤")
      expect(await rows.nth(0).locator("td.num").last().textContent()).toBe("NT$ 1,200")
      await shoot(page, "13-overdue", device)
      if (device === "phone") {
        expect(await horizontalOverflow(page), "overview scrolls sideways").toBeLessThanOrEqual(0)
        expect(await smallTargets(page), "overview has tap targets under 44 px").toEqual([])
      }
      // A round without a payment deadline: no panel.
      await page.goto(`${k.url}/admin/rounds/mango-2099`)
      await page.locator(".stats").waitFor()
      expect(await page.locator("section.overdue").count()).toBe(0)
      await context.close()
    }
  })
})
