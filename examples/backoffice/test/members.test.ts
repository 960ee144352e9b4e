/**
 * 會員 in a real browser (Chromium, headless) against `kaituan serve` on a SQLite file: the
 * members of the replayed rounds with tier, tags and spend; a segment built from the chips and
 * applied; a malformed one explained with the place marked; one member's page (tags, notes,
 * household facts, consent, blacklist, a link code); a helper shown none of it. Photographed at
 * desktop and phone sizes in Chinese into .ci/out/screenshots/ (10-members-*, 11-member-*).
 */
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Device,
  horizontalOverflow,
  type Kaituan,
  launchBrowser,
  newContext,
  shoot,
  signIn,
  skipBrowser,
  startKaituan
} from "./support.js"

describe.skipIf(skipBrowser)("會員 in Chromium", () => {
  let k: Kaituan
  let browser: Browser
  let contexts: Record<Device, BrowserContext>
  let pages: Record<Device, Page>
  const errors: Array<string> = []
  let someone = ""

  beforeAll(async () => {
    k = await startKaituan()
    browser = await launchBrowser()
    contexts = { desktop: await newContext(browser, "desktop"), phone: await newContext(browser, "phone") }
    pages = { desktop: await contexts.desktop.newPage(), phone: await contexts.phone.newPage() }
    for (const p of Object.values(pages)) {
      p.on("pageerror", (e) => errors.push(e.message))
      p.on("console", (m) => {
        // The malformed segment's 400 is logged by Chromium as a failed resource: that one is expected.
        if (m.type() === "error" && !m.text().includes("400")) errors.push(m.text())
      })
    }
    const list = await k.api("GET", "/members")
    expect(list.status).toBe(200)
    someone = list.body.members[0].memberId
    const changes = await k.api("POST", `/members/${encodeURIComponent(someone)}/changes`, {
      changes: [
        { _tag: "AddTag", tag: "常加班" },
        { _tag: "AddNote", text: "家有長輩控鹽，晚上十點後回覆" },
        { _tag: "SetHousehold", household: { householdSize: 4, freezerLitres: 60, weeklyServings: { 生鮮: 3 } } }
      ]
    })
    expect(changes.status).toBe(200)
  })

  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  for (const device of ["desktop", "phone"] as const) {
    it(`lists members with tier, tags and spend, and filters by a segment built from the chips (${device})`, async () => {
      const page = pages[device]
      await signIn(page, k.url, k.organiser)
      await page.getByRole("link", { name: "會員" }).click()
      await page.locator(".member-card").first().waitFor()
      const total = (await k.api("GET", "/members")).body.total as number
      expect(await page.locator(".member-card").count()).toBe(total)
      expect(await page.locator("main").textContent()).toContain(`共 ${total} 位會員`)
      expect(await page.locator(".member-card", { hasText: someone }).textContent()).toContain("常加班")
      expect(await horizontalOverflow(page)).toBe(0)
      await shoot(page, "10-members", device)

      await page
        .getByRole("group", { name: "目前的標籤" })
        .getByRole("button", { name: /^常加班/ })
        .click()
      await page.getByRole("group", { name: "條件運算" }).getByRole("button", { name: "且 AND" }).click()
      await page.getByRole("group", { name: "條件運算" }).getByRole("button", { name: "非 NOT" }).click()
      await page
        .getByRole("group", { name: "目前的標籤" })
        .getByRole("button", { name: /^tier:VIP|^tier:熟客|^tier:一般/ })
        .first()
        .click()
      expect(await page.locator('input[name="segment"]').inputValue()).toMatch(/^常加班 AND NOT tier:/)
      await page.locator('input[name="segment"]').fill("常加班 AND NOT 沉睡X")
      await page.getByRole("button", { name: "篩選" }).click()
      await expect.poll(() => page.locator(".member-card").count()).toBe(1)
      expect(await page.locator("main").textContent()).toContain("符合「常加班 AND NOT 沉睡X」的會員：1 位")
      expect(await page.getByRole("heading", { name: "推播給這群會員" }).count()).toBe(1)
      await shoot(page, "10-members-segment", device)

      await page.locator('input[name="segment"]').fill("常加班 AND (沉睡")
      await page.getByRole("button", { name: "篩選" }).click()
      await expect.poll(() => page.getByRole("alert").textContent()).toContain("條件看不懂：標示的括號沒有關上")
      expect(await page.locator(".segment-caret mark").textContent()).toBe("(沉睡")
      await shoot(page, "10-members-error", device)
    })

    it(`shows one member with history, tags, notes, household facts and consent (${device})`, async () => {
      const page = pages[device]
      await page.goto(`${k.url}/admin/members/${encodeURIComponent(someone)}`)
      await page.getByRole("heading", { name: "購買紀錄" }).first().waitFor()
      const text = await page.locator("main").textContent()
      expect(text).toContain("家有長輩控鹽，晚上十點後回覆")
      expect(text).toContain("常加班")
      expect(await page.locator('input[name="householdSize"]').inputValue()).toBe("4")
      expect(await horizontalOverflow(page)).toBe(0)
      if (device === "desktop") {
        await page.getByRole("button", { name: "產生綁定碼" }).click()
        await expect.poll(() => page.locator(".notice.ok").textContent()).toMatch(/綁定碼 [A-Z0-9]{8}/)
        await page.locator('input[name="tag"]').fill("愛吃芒果")
        await page.getByRole("button", { name: "加上標籤" }).click()
        await expect.poll(() => page.getByRole("button", { name: "移除標籤 愛吃芒果" }).count()).toBe(1)
        await page.getByRole("button", { name: "設為拒收" }).first().click()
        await expect.poll(() => page.getByRole("button", { name: "恢復發送" }).count()).toBe(1)
        const m = (await k.api("GET", `/members/${encodeURIComponent(someone)}`)).body.member
        expect(m.manualTags).toEqual(["常加班", "愛吃芒果"])
        expect(Object.values(m.consent)).toEqual(["opted-out"])
      }
      await shoot(page, "11-member", device)
    })
  }

  it("shows a helper neither the menu entry nor the page, and answers 403", async () => {
    const context = await newContext(browser, "desktop")
    const page = await context.newPage()
    await signIn(page, k.url, k.helper)
    expect(await page.getByRole("link", { name: "會員" }).count()).toBe(0)
    await page.goto(`${k.url}/admin/members`)
    await page.getByText("這頁只有團主能看。").waitFor()
    expect((await k.api("GET", "/members", undefined, k.helper)).status).toBe(403)
    await context.close()
    expect(errors).toEqual([])
  })
})
