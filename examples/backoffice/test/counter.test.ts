/**
 * 門市櫃台 (the counter) in the back office, signed in as a helper (the shop assistant), in Chinese,
 * at tablet, desktop and phone sizes: a scanner types a pickup code and Enter, the paid order shows
 * nothing due, the pickup is confirmed with the scanned code, the e-invoice is asked for with the
 * carrier typed at the counter; another order found by its number is paid by card on the terminal.
 * No receipt button: this server offers no receipt route.
 */
import fs from "node:fs"
import path from "node:path"
import type { Browser, BrowserContext } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  horizontalOverflow,
  type Kaituan,
  launchBrowser,
  newContext,
  screenshots,
  signIn,
  skipBrowser,
  smallTargets,
  startKaituan
} from "./support.js"

const posRound = JSON.stringify({
  id: "pos-2026",
  title: "門市取貨團",
  cutoff: "2026-05-03T22:00:00+08:00",
  invoice: { issue: "on-demand", noticeEmail: "shop@example.com" },
  products: [{ sku: "TEA", name: "高山茶 150g", aliases: ["茶"], price: 600, stock: 50 }]
})
const posComments = [
  { id: "p1", author: { id: "U401", name: "林阿嬤" }, text: "茶+2", at: "2026-05-01T09:00:00+08:00" },
  { id: "p2", author: { id: "U402", name: "周先生" }, text: "茶+1", at: "2026-05-01T10:00:00+08:00" }
]
  .map((c) => JSON.stringify(c))
  .join("\n")

const TABLET = { width: 1024, height: 768 } as const
type Size = "tablet" | "desktop" | "phone"

const contextFor = (browser: Browser, size: Size): Promise<BrowserContext> =>
  size === "tablet"
    ? browser.newContext({
        viewport: TABLET,
        deviceScaleFactor: 1,
        isMobile: true,
        hasTouch: true,
        locale: "zh-TW",
        timezoneId: "Asia/Taipei"
      })
    : newContext(browser, size)

describe.skipIf(skipBrowser)("the counter (門市櫃台) in the back office", () => {
  let k: Kaituan
  let browser: Browser
  let first: { orderId: string; total: number }
  let second: { orderId: string; total: number }
  let code: string
  beforeAll(async () => {
    k = await startKaituan([{ round: posRound, comments: posComments, at: "2026-05-04T09:00:00+08:00" }])
    browser = await launchBrowser()
    const orders = (await k.api("GET", "/rounds/pos-2026/orders")).body.items as Array<{
      orderId: string
      total: number
    }>
    ;[first, second] = orders as [typeof first, typeof second]
    expect(
      (await k.api("POST", `/orders/${first.orderId}/cash`, { amount: first.total, reference: "r1" })).status
    ).toBe(200)
    const shipped = await k.api("POST", `/orders/${first.orderId}/shipments`, {
      lines: [{ sku: "TEA", qty: 2 }],
      method: "pickup"
    })
    code = shipped.body.pickupCode
  })
  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  it("scan, confirm the pickup, ask for the invoice; pay another order by card (tablet, desktop, phone)", async () => {
    const sizes: ReadonlyArray<Size> = ["tablet", "desktop", "phone"]
    for (const [i, size] of sizes.entries()) {
      const context = await contextFor(browser, size)
      const page = await context.newPage()
      await signIn(page, k.url, k.helper)
      await page.getByRole("link", { name: "門市櫃台" }).click()
      const box = page.locator('input[name="q"]')
      await box.waitFor()
      expect(await page.evaluate("document.activeElement?.getAttribute('name')"), "the lookup box has the focus").toBe(
        "q"
      )
      if (i === 0) {
        // the scanner types the code and Enter
        await page.keyboard.type(code.toLowerCase())
        await page.keyboard.press("Enter")
        const card = page.locator(`section.counter-card[data-order-id="${first.orderId}"]`)
        await card.waitFor()
        expect(await card.locator("h2").textContent()).toBe("林阿嬤")
        expect(await card.locator(".counter-amount strong").textContent()).toBe("NT$ 0")
        expect(await card.locator('input[name="code"]').inputValue()).toBe(code.toLowerCase())
        await card.getByRole("button", { name: "確認已取貨" }).click()
        await card.locator(".counter-pickup", { hasText: "已取貨" }).waitFor()
        await card.locator('input[name="carrier"]').fill("/abc+123")
        await card.getByRole("button", { name: "開立發票" }).click()
        await card.getByText("發票已送出，稍後完成開立").waitFor()
        const invoice = await k.api("GET", `/orders/${first.orderId}/invoice`, undefined, k.helper)
        expect(invoice.body).toMatchObject({ status: "requested", carrier: { _tag: "Mobile", barcode: "/ABC+123" } })
        expect(await card.getByRole("button", { name: "列印收據" }).count()).toBe(0)
        await shootAs(page, "14-counter-pickup", size)
      }
      // another order by its number: NT$ 600 due, paid by card on the terminal
      await box.fill(second.orderId)
      await box.press("Enter")
      const card = page.locator(`section.counter-card[data-order-id="${second.orderId}"]`)
      await card.waitFor()
      if (i === 0) {
        expect(await card.locator(".counter-amount strong").textContent()).toBe("NT$ 600")
        await shootAs(page, "15-counter-due", size)
        await card.locator('input[name="cardRef"]').fill("AUTH-778899")
        await card.getByRole("button", { name: "刷卡完成" }).click()
        await card.getByText("已記錄刷卡 NT$ 600").waitFor()
        expect(await card.locator(".counter-amount strong").textContent()).toBe("NT$ 0")
      }
      await shootAs(page, "16-counter", size)
      if (size !== "desktop") {
        expect(await horizontalOverflow(page), "the counter scrolls sideways").toBeLessThanOrEqual(0)
        expect(await smallTargets(page), "the counter has tap targets under 44 px").toEqual([])
      }
      await context.close()
    }
    const paid = await k.api("GET", `/orders/${second.orderId}`)
    expect(paid.body).toMatchObject({ status: "paid", paid: second.total })
  })
})

const shootAs = async (page: import("playwright-core").Page, name: string, size: Size) => {
  fs.mkdirSync(screenshots, { recursive: true })
  await page.evaluate("document.fonts.ready")
  await page.screenshot({ path: path.join(screenshots, `${name}-${size}.png`), fullPage: true })
}
