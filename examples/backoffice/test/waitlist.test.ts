/**
 * 團務設定 with the stock policies of issue 16: a round with a waiting list (候補) shows who waits
 * for a sold-out item, in order; the not-ordered list says "候補第 N 位"; a pre-order item is
 * marked arrived (預購到貨) with one confirmed click, and the history says so. Desktop and phone,
 * in Chinese.
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

const round = JSON.stringify({
  id: "cups-2099",
  title: "保溫杯與蛋黃酥",
  cutoff: "2099-08-31T22:00:00+08:00",
  waitlist: true,
  products: [
    { sku: "CUP", name: "保溫杯", aliases: ["杯"], price: 450, stock: 1 },
    { sku: "EGG", name: "蛋黃酥", price: 300, preorder: true, cap: 50 }
  ]
})
const comments = [
  { id: "w1", author: { id: "U501", name: "陳太太" }, text: "杯+1", at: "2026-07-01T09:00:00+08:00" },
  { id: "w2", author: { id: "U502", name: "林先生" }, text: "杯+1", at: "2026-07-01T09:05:00+08:00" },
  { id: "w3", author: { id: "U503", name: "王小姐" }, text: "杯+2", at: "2026-07-01T09:10:00+08:00" },
  { id: "w4", author: { id: "U504", name: "張媽媽" }, text: "蛋黃酥+2", at: "2026-07-01T09:20:00+08:00" }
]
  .map((c) => JSON.stringify(c))
  .join("\n")

describe.skipIf(skipBrowser)("waiting lists and pre-order arrival in the back office", () => {
  let k: Kaituan
  let browser: Awaited<ReturnType<typeof launchBrowser>>
  beforeAll(async () => {
    k = await startKaituan([{ round, comments }])
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  it("shows the waiting list in order, and marks a pre-order arrived", async () => {
    const api = await k.api("GET", "/rounds/cups-2099/waitlist")
    expect(api.status).toBe(200)
    expect(
      api.body.items.map((x: { buyer: { name: string }; position: number; qty: number }) => [
        x.buyer.name,
        x.position,
        x.qty
      ])
    ).toEqual([
      ["林先生", 1, 1],
      ["王小姐", 2, 2]
    ])

    const desktop = await newContext(browser, "desktop")
    const page = await desktop.newPage()
    await signIn(page, k.url, k.organiser)
    // The not-ordered list says they wait, and where.
    await page.goto(`${k.url}/admin/rounds/cups-2099/review`)
    const notOrdered = page.locator(".not-ordered-item")
    await expect.poll(() => notOrdered.count()).toBe(2)
    expect(await notOrdered.nth(0).textContent()).toContain("候補第 1 位")
    expect(await notOrdered.nth(1).textContent()).toContain("候補第 2 位")

    await page.goto(`${k.url}/admin/rounds/cups-2099/settings`)
    const list = page.locator('.waitlist[data-sku="CUP"]')
    await list.waitFor()
    expect(await list.locator("h3").textContent()).toBe("保溫杯")
    const entries = await list.locator(".waitlist-entry").allTextContents()
    expect(entries[0]).toContain("第 1 位")
    expect(entries[0]).toContain("林先生")
    expect(entries[1]).toContain("王小姐")
    expect(entries[1]).toContain("2 件")

    const egg = page.locator('.stock-item[data-sku="EGG"]')
    await expect.poll(() => egg.textContent()).toContain("預購")
    await egg.getByRole("button", { name: "標記到貨" }).click()
    await page.locator("dialog[open]").getByRole("button", { name: "確定" }).click()
    await expect.poll(() => egg.getByRole("status").textContent()).toContain("已標記到貨")
    await expect.poll(() => egg.locator(".badge").textContent()).toBe("已到貨")
    expect(await egg.getByRole("button", { name: "標記到貨" }).count()).toBe(0)
    await expect.poll(() => page.locator(".history-entry").first().textContent()).toContain("預購到貨：蛋黃酥")
    await shoot(page, "17-waitlist", "desktop")
    await desktop.close()

    const phone = await newContext(browser, "phone")
    const p = await phone.newPage()
    await signIn(p, k.url, k.organiser)
    await p.goto(`${k.url}/admin/rounds/cups-2099/settings`)
    await p.locator('.waitlist[data-sku="CUP"]').waitFor()
    await shoot(p, "17-waitlist", "phone")
    expect(await horizontalOverflow(p), "settings scrolls sideways").toBeLessThanOrEqual(0)
    expect(await smallTargets(p), "settings has tap targets under 44 px").toEqual([])
    await phone.close()
  })
})
