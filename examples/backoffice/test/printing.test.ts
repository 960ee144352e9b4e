/**
 * Printing from the back office in a real browser (Chromium, headless) against `kaituan serve` on
 * a SQLite file: the organiser selects orders with their checkboxes and prints their packing slips
 * (列印出貨單), prints a whole folder on 80 mm paper, and opens the round's pick list (分貨單);
 * each PDF is fetched with the token, opened in a new tab, and read back with pdftotext. A helper
 * may print too. Photographed at desktop and phone sizes into .ci/out/screenshots/.
 */
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
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
  startKaituan
} from "./support.js"

/** Remembers every blob URL the page opens in a new tab (`window.open`), with its blob. */
const recordOpened = (page: Page) =>
  page.evaluate(`(() => {
    window.__opened = []
    window.__blobs = new Map()
    const create = URL.createObjectURL
    URL.createObjectURL = (blob) => { const url = create(blob); window.__blobs.set(url, blob); return url }
    const open = window.open
    window.open = (url, ...rest) => { window.__opened.push(String(url)); return open.call(window, url, ...rest) }
  })()`)

/** The text of the last PDF the page opened (its blob read in the page), page by page. */
const lastPdf = async (page: Page): Promise<Array<string>> => {
  // The first PDF a server makes loads pdfkit and the fonts: give it time.
  await expect.poll(() => page.evaluate("window.__opened.length"), { timeout: 20_000 }).toBeGreaterThan(0)
  const base64 = (await page.evaluate(`(async () => {
    const url = window.__opened[window.__opened.length - 1]
    window.__opened = []
    const bytes = new Uint8Array(await window.__blobs.get(url).arrayBuffer())
    let s = ""
    for (const b of bytes) s += String.fromCharCode(b)
    return btoa(s)
  })()`)) as string
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-backoffice-pdf-"))
  try {
    const file = path.join(dir, "f.pdf")
    fs.writeFileSync(file, Buffer.from(base64, "base64"))
    return execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" }).split("\f").slice(0, -1)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

describe.skipIf(skipBrowser)("printing from the back office", () => {
  let k: Kaituan
  let browser: Browser
  const orders = () => `/admin/rounds/${encodeURIComponent(k.roundId)}/orders`

  beforeAll(async () => {
    k = await startKaituan()
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  it("prints the selected orders' slips, a folder on 80 mm paper, and the pick list", async () => {
    const context = await newContext(browser, "desktop")
    const page = await context.newPage()
    const errors: Array<string> = []
    page.on("pageerror", (e) => errors.push(e.message))
    await signIn(page, k.url, k.organiser)
    await page.goto(`${k.url}${orders()}?folder=awaiting`)
    await expect.poll(() => page.locator(".order").count()).toBe(5)
    await recordOpened(page)

    // Two orders chosen with their checkboxes: one PDF with their slips and no others.
    const names = (await page.locator(".order .buyer-name").allTextContents()).slice(0, 2)
    for (const name of names) await page.locator(".order", { hasText: name }).locator('input[name="select"]').check()
    await page.locator(".bulkbar").waitFor()
    expect(await page.locator(".bulkbar").getByRole("button", { name: "標記已出貨" }).count()).toBe(0)
    await shoot(page, "08-print-slips", "desktop")
    await page.locator(".bulkbar").getByRole("button", { name: "列印出貨單" }).click()
    const slips = await lastPdf(page)
    expect(slips).toHaveLength(1)
    for (const name of names) expect(slips[0]).toContain(name)
    expect(slips[0]).toContain("出貨單")
    expect(slips[0]).toContain("尚未出貨")
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain(`${k.roundId}-slips.pdf`)

    // The whole folder on an 80 mm roll: one slip a page, every order awaiting payment.
    await page.locator('select[name="paper"]').selectOption("thermal")
    await page.getByRole("button", { name: "列印本分類出貨單" }).click()
    const thermal = await lastPdf(page)
    expect(thermal).toHaveLength(5)
    expect(thermal.every((p) => p.includes("未付"))).toBe(true)

    // The round's pick list.
    await page.getByRole("button", { name: "分貨單" }).click()
    const pick = (await lastPdf(page)).join("")
    expect(pick).toContain("分貨單 — 韓國毛襪")
    expect(pick).toContain("合計")
    expect(errors).toEqual([])
    await context.close()
  })

  it("lets a helper print, and fits the print controls on a phone", async () => {
    const context = await newContext(browser, "phone")
    const page = await context.newPage()
    await signIn(page, k.url, k.helper)
    await page.goto(`${k.url}${orders()}?folder=awaiting`)
    await expect.poll(() => page.locator(".order").count()).toBe(5)
    await recordOpened(page)
    await page.locator(".order").first().locator('input[name="select"]').check()
    await page.locator(".bulkbar").waitFor()
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    await shoot(page, "08-print-slips", "phone")
    await page.locator(".bulkbar").getByRole("button", { name: "列印出貨單" }).click()
    expect((await lastPdf(page)).join("")).toContain("出貨單")
    await context.close()
  })
})
