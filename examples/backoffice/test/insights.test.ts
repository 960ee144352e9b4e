/**
 * 經營分析 in a real browser (Chromium, headless) against `kaituan serve` on the CLI's socks round:
 * the organiser sets costs, opens the page, picks a range, sees the KPIs the API computes, the
 * charts drawn (ECharts) and downloaded as PNG and SVG; the page fits a phone; a helper is not
 * offered it. Photographed at desktop and phone sizes into .ci/out/screenshots/.
 */
import fs from "node:fs"
import type { Browser, Page } from "playwright-core"
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

const RANGE = { from: "2024-04-01", to: "2024-06-30" }

describe.skipIf(skipBrowser)("經營分析 in Chromium", () => {
  let k: Kaituan
  let browser: Browser

  beforeAll(async () => {
    k = await startKaituan()
    browser = await launchBrowser()
    const set = await k.api("PUT", "/insights/settings", {
      unitCosts: { "SOCK-R": 60, "SOCK-W": 65 },
      shippingCosts: { home: 100, cvs: 60, pickup: 0 },
      feeRates: { gateway: 0.028 }
    })
    expect(set.status).toBe(200)
  })

  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  /** Opens the page on the range, by month, ranking by `by`; waits for both charts. */
  const open = async (page: Page, by = "round") => {
    await page.getByRole("link", { name: "經營分析" }).click()
    await page.locator('input[name="from"]').fill(RANGE.from)
    await page.locator('input[name="to"]').fill(RANGE.to)
    await page.locator('select[name="period"]').selectOption("month")
    await page.locator('select[name="by"]').selectOption(by)
    await expect.poll(() => page.locator('.chart-box[data-ready="yes"]').count(), { timeout: 20_000 }).toBe(2)
    await expect
      .poll(() => page.locator("h2#insights-ranking").textContent())
      .toBe(by === "round" ? "依團排行" : "依商品排行")
  }

  it("shows the API's KPIs, charts them, and downloads the charts as PNG and SVG", async () => {
    const expected = await k.api("GET", `/insights?from=${RANGE.from}&to=${RANGE.to}&by=round`)
    expect(expected.status).toBe(200)
    expect(expected.body.total.orders).toBeGreaterThan(0)
    const desktop = await newContext(browser, "desktop")
    const page = await desktop.newPage()
    const errors: Array<string> = []
    page.on("pageerror", (e) => errors.push(e.message))
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()))
    await signIn(page, k.url, k.organiser)
    await open(page)
    const stats = await page.locator(".insights-stats").textContent()
    expect(stats).toContain(`有效訂單${expected.body.total.orders}`)
    expect(stats).toContain(`營收NT$ ${new Intl.NumberFormat("zh-TW").format(Math.round(expected.body.total.revenue))}`)
    expect(await page.locator(".insights-table tbody tr").count()).toBe(expected.body.rows.length)
    expect(await page.locator(".insights-table tbody").textContent()).toContain(k.roundId)
    // The canvas has been drawn on (not blank).
    const inked = await page.evaluate(`(() => {
      const c = document.querySelector('.chart-box canvas')
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let n = 0
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++
      return n
    })()`)
    expect(inked).toBeGreaterThan(1000)
    await shoot(page, "30-insights", "desktop")

    const [png] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "下載 PNG" }).first().click()
    ])
    expect(png.suggestedFilename()).toMatch(/^trend-2024-04-01-2024-06-30\.png$/)
    const pngBytes = fs.readFileSync((await png.path())!)
    expect([...pngBytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const [svg] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "下載 SVG" }).nth(1).click()
    ])
    expect(svg.suggestedFilename()).toMatch(/^round-2024-04-01-2024-06-30\.svg$/)
    const svgText = fs.readFileSync((await svg.path())!, "utf8")
    expect(svgText).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    expect(svgText).toContain(k.roundId)
    expect(svgText).toContain("營收")
    expect(errors).toEqual([])
    await desktop.close()
  })

  it("fits a phone (no sideways scroll, tap targets ≥ 44 px)", async () => {
    const phone = await newContext(browser, "phone")
    const p = await phone.newPage()
    await signIn(p, k.url, k.organiser)
    await open(p, "product")
    // Ranked by product: the socks round's products, not the round.
    expect(await p.locator(".insights-table tbody").textContent()).toContain("SOCK")
    expect(await p.locator(".insights-table tbody").textContent()).not.toContain("socks-2024-05")
    expect(await horizontalOverflow(p)).toBeLessThanOrEqual(0)
    expect(await smallTargets(p)).toEqual([])
    await shoot(p, "30-insights", "phone")
    await phone.close()
  })

  it("is not offered to a helper, and the API refuses one", async () => {
    const ctx = await newContext(browser, "desktop")
    const p = await ctx.newPage()
    await signIn(p, k.url, k.helper)
    expect(await p.locator(".mainnav").textContent()).not.toContain("經營分析")
    await p.goto(`${k.url}/admin/insights`)
    await p.locator(".notice").waitFor()
    expect(await p.locator(".notice").textContent()).toContain("這頁只有團主能看")
    expect((await k.api("GET", "/insights", undefined, k.helper)).status).toBe(403)
    await ctx.close()
  })
})
