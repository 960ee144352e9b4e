/**
 * The back office in a real browser (Chromium, headless) against `kaituan serve` on a SQLite
 * file: sign in, orders by status, the review queue, a bank statement and a decision approved,
 * shipping (bulk and a meet-up pickup), a pickup confirmed, and a helper refused a payment
 * approval, and the organiser's orders CSV downloaded (not offered to a helper); a round managed
 * (restock, title and cutoff, pause and resume, publish, close and reopen, its history), a refused
 * change explained, and a helper shown none of it. Every page is photographed at desktop and phone sizes into .ci/out/screenshots/.
 */
import fs from "node:fs"
import { request } from "node:http"
import path from "node:path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  type Device,
  horizontalOverflow,
  type Kaituan,
  launchBrowser,
  MANGO_ORDERS,
  newContext,
  newRoundJson,
  shoot,
  signIn,
  skipBrowser,
  smallTargets,
  startKaituan,
  statementCsv
} from "./support.js"

/** The status of a GET whose path is sent as written (fetch would normalise `..`). */
const rawStatus = (base: string, rawPath: string) =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(base)
    const req = request({ host: u.hostname, port: u.port, path: rawPath, method: "GET" }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
    req.end()
  })

describe.skipIf(skipBrowser)("the back office in Chromium", () => {
  let k: Kaituan
  let browser: Browser
  let desktop: BrowserContext
  let page: Page
  let pickupCode = ""
  const round = () => `/admin/rounds/${encodeURIComponent(k.roundId)}`
  const orderOf = async (buyerId: string) => {
    const r = await k.api("GET", `/rounds/${k.roundId}/orders?buyer=${encodeURIComponent(buyerId)}`)
    return r.body.items[0]
  }

  beforeAll(async () => {
    k = await startKaituan()
    browser = await launchBrowser()
    desktop = await newContext(browser, "desktop")
    page = await desktop.newPage()
  })

  afterAll(async () => {
    await browser?.close()
    await k?.stop()
  })

  it("serves the app at /admin with a strict Content-Security-Policy", async () => {
    const res = await fetch(`${k.url}/admin/rounds/x/orders`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/html")
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'")
    expect(res.headers.get("content-security-policy")).not.toContain("unsafe-inline")
    expect(res.headers.get("x-frame-options")).toBe("DENY")
    const html = await res.text()
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    const asset = html.match(/\/admin\/assets\/[^"]+\.js/)?.[0]
    expect(asset).toBeDefined()
    const js = await fetch(`${k.url}${asset}`)
    expect(js.headers.get("cache-control")).toContain("immutable")
    expect(js.headers.get("content-type")).toContain("javascript")
    expect((await fetch(`${k.url}/admin/assets/nope.js`)).status).toBe(404)
    expect(await rawStatus(`${k.url}`, "/admin/..%2f..%2f..%2fpackage.json")).toBe(400)
    // Plain dots are resolved by the URL parser before routing: never served from outside the build.
    expect([400, 404]).toContain(await rawStatus(`${k.url}`, "/admin/../../package.json"))
    expect((await fetch(`${k.url}/admin`, { redirect: "manual" })).headers.get("location")).toBe("/admin/")
  })

  it("signs in with a token, lists rounds and creates one from a pasted round file", async () => {
    const errors: Array<string> = []
    page.on("pageerror", (e) => errors.push(e.message))
    page.on("console", (m) => {
      // The refused token's 401 is logged by Chromium as a failed resource: that one is expected.
      if (m.type() === "error" && !m.text().includes("401")) errors.push(m.text())
    })
    await page.goto(`${k.url}/admin/`)
    await page.locator('input[name="token"]').waitFor()
    await shoot(page, "01-login", "desktop")
    await page.locator('input[name="token"]').fill("kt_not-a-token")
    await page.getByRole("button", { name: "登入" }).click()
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("權杖無效")

    await signIn(page, k.url, k.organiser)
    await expect.poll(() => page.locator(".round-card").count()).toBe(2)
    expect(await page.locator(".who").textContent()).toContain("小美（團主）")
    expect(await page.locator(".rounds").textContent()).toContain("韓國毛襪")
    expect(await page.locator(".round-card", { hasText: "台南芒果禮盒" }).textContent()).toContain("收單中")

    await page.locator('textarea[name="roundJson"]').fill(newRoundJson("pomelo-2099"))
    await page.getByRole("button", { name: "建立並開團" }).click()
    await expect.poll(() => page.locator(".round-card").count()).toBe(3)
    expect(await page.getByRole("status").first().textContent()).toContain("已建立「麻豆文旦」")
    await shoot(page, "02-rounds", "desktop")
    expect(errors).toEqual([])
  })

  it("shows a round's numbers and a chart of orders over time", async () => {
    await page.locator(".round-card", { hasText: "韓國毛襪" }).getByRole("link", { name: "韓國毛襪" }).click()
    await page.locator(".stats").waitFor()
    const stats = await page.locator(".stats").textContent()
    expect(stats).toContain("有效訂單5")
    expect(stats).toContain("NT$ 2,310")
    await page.locator(".chart svg path.line").waitFor()
    expect(await page.locator(".table tbody tr").count()).toBe(4)
    await shoot(page, "03-dashboard", "desktop")
    // The open round: 56 orders over three days.
    await page.goto(`${k.url}/admin/rounds/mango-2099`)
    await page.locator(".chart svg path.line").waitFor()
    expect(await page.locator(".stats").textContent()).toContain(`有效訂單${MANGO_ORDERS}`)
    await shoot(page, "03-dashboard-open-round", "desktop")
  })

  it("shows orders by status, searches by buyer and pages with more", async () => {
    await page.goto(`${k.url}${round()}/orders?folder=awaiting`)
    await expect.poll(() => page.locator(".order").count()).toBe(5)
    expect(await page.getByRole("tab", { name: /待付款/ }).getAttribute("aria-selected")).toBe("true")
    expect(await page.getByRole("tab", { name: /待付款/ }).textContent()).toContain("5")
    await page.getByRole("tab", { name: /已取消/ }).click()
    await expect.poll(() => page.locator(".order").count()).toBe(1)
    expect(await page.locator(".order").textContent()).toContain("林美玲")
    await page.getByRole("tab", { name: /待付款/ }).click()
    await page.locator('input[name="q"]').fill("王")
    await page.getByRole("button", { name: "搜尋" }).click()
    await expect.poll(() => page.locator(".order").count()).toBe(1)
    expect(await page.locator(".order").textContent()).toContain("王小明")
    await page.getByRole("button", { name: "清除" }).click()
    await expect.poll(() => page.locator(".order").count()).toBe(5)
    await shoot(page, "04-orders", "desktop")
    // The organiser exports the round's orders: a CSV downloaded through fetch with the token.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "匯出 CSV" }).click()
    ])
    expect(download.suggestedFilename()).toBe(`${k.roundId}-orders.csv`)
    const csv = fs.readFileSync(await download.path())
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const text = csv.toString("utf8").slice(1)
    expect(text.split("\r\n")[0]).toBe(
      "訂單編號,狀態,狀態代碼,買家,買家編號,下單時間,商品編號,數量,單價,小計,訂單金額,已付"
    )
    expect(text).toContain("王小明")
    expect(text).toContain("待付款")
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain(`${k.roundId}-orders.csv`)
    // Keyset pages: the open round's orders, 50 at a time.
    await page.goto(`${k.url}/admin/rounds/mango-2099/orders`)
    expect(await page.getByRole("tab", { name: /收單中/ }).getAttribute("aria-selected")).toBe("true")
    await expect.poll(() => page.locator(".order").count()).toBe(50)
    await page.getByRole("button", { name: "載入更多" }).click()
    await expect.poll(() => page.locator(".order").count()).toBe(MANGO_ORDERS)
    expect(await page.getByRole("button", { name: "載入更多" }).count()).toBe(0)
    const names = await page.locator(".order .buyer-name").allTextContents()
    expect(new Set(names).size).toBe(MANGO_ORDERS)
  })

  it("takes a bank statement and shows each decision with its explanation", async () => {
    await page.goto(`${k.url}${round()}/payments`)
    await page.locator('input[name="statement"]').setInputFiles({
      name: "ctbc-2024-05.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(statementCsv(), "utf8")
    })
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("自動入帳 1 筆")
    const card = page.locator(".decision-card", { hasText: "NT$ 120" })
    await card.waitFor()
    expect(await card.textContent()).toContain("金額符合 3 位買家")
    expect(await card.locator('input[type="radio"]').count()).toBe(3)
    await shoot(page, "05-payments", "desktop")
  })

  it("fits every page on a phone, in Chinese and in English", async () => {
    const phone = await newContext(browser, "phone")
    const p = await phone.newPage()
    const check = async (name: string, device: Device = "phone") => {
      await p.locator("main").waitFor()
      await p.waitForLoadState("networkidle")
      await shoot(p, name, device)
      expect(await horizontalOverflow(p), `${name} scrolls sideways`).toBeLessThanOrEqual(0)
      expect(await smallTargets(p), `${name} has tap targets under 44 px`).toEqual([])
    }
    await p.goto(`${k.url}/admin/`)
    await check("01-login")
    await signIn(p, k.url, k.organiser)
    await check("02-rounds")
    await p.goto(`${k.url}${round()}`)
    await p.locator(".chart svg").waitFor()
    await check("03-dashboard")
    await p.goto(`${k.url}${round()}/orders?folder=awaiting`)
    await p.locator(".order").first().waitFor()
    await p.locator(".order .details").first().click()
    await check("04-orders")
    await p.goto(`${k.url}/admin/rounds/mango-2099/review`)
    await p.locator(".review-card").first().waitFor()
    await check("06-review")
    await p.goto(`${k.url}${round()}/payments`)
    await p.locator(".decision-card").first().waitFor()
    await check("05-payments")
    await p.goto(`${k.url}/admin/pickup`)
    await check("08-pickup")
    await p.goto(`${k.url}/admin/buyers/${encodeURIComponent("jsonl:U006")}?round=${k.roundId}`)
    await p.locator(".facts").first().waitFor()
    await check("09-buyer")
    // English
    await p.goto(`${k.url}${round()}`)
    await p.getByRole("button", { name: "切換語言為英文" }).click()
    await p.locator(".stats").waitFor()
    expect(await p.locator(".stats").textContent()).toContain("Orders")
    await check("03-dashboard-en")
    await p.getByRole("button", { name: "Switch language to Chinese" }).click()
    await phone.close()
  })

  it("resolves review items: edits the lines then accepts, and dismisses", async () => {
    await page.goto(`${k.url}/admin/rounds/mango-2099/review`)
    await expect.poll(() => page.locator(".review-card").count()).toBe(3)
    const card = page.locator(".review-card", { hasText: "鄭大哥" })
    expect(await card.locator(".comment").textContent()).toBe("10斤的+1")
    expect(await card.locator(".reason").textContent()).toContain("10斤")
    await shoot(page, "06-review", "desktop")
    // No suggested lines: accepting as is is not offered; edit them.
    expect(await card.getByRole("button", { name: "接受成單" }).count()).toBe(0)
    await card.getByRole("button", { name: "修改後接受" }).click()
    await card.locator('select[name="sku-0"]').selectOption("MANGO-10")
    await card.locator('input[name="qty-0"]').fill("1")
    await card.getByRole("button", { name: "接受成單" }).click()
    await expect.poll(() => page.locator(".review-card").count()).toBe(2)
    expect(await page.getByRole("status").first().textContent()).toContain("已成單")
    await page.locator(".review-card", { hasText: "許小姐" }).getByRole("button", { name: "略過" }).click()
    await expect.poll(() => page.locator(".review-card").count()).toBe(1)
    const queue = await k.api("GET", "/rounds/mango-2099/review")
    expect(queue.body.map((i: { commentId: string }) => i.commentId)).toEqual(["jsonl:m2"])
    const orders = await k.api("GET", `/rounds/mango-2099/orders?buyer=${encodeURIComponent("jsonl:U104")}`)
    expect(orders.body.items[0].lines).toEqual([{ sku: "MANGO-10", qty: 1, unitPrice: 1250 }])
  })

  it("approves a payment decision for the buyer the organiser picks", async () => {
    await page.goto(`${k.url}${round()}/payments`)
    const card = page.locator(".decision-card", { hasText: "NT$ 120" })
    await card.waitFor()
    await card.locator("label.radio", { hasText: "王小明" }).click()
    await card.getByRole("button", { name: "核准入帳" }).click()
    await expect.poll(() => card.getAttribute("data-status")).toBe("approved")
    const paid = await orderOf("jsonl:U001")
    expect(paid).toMatchObject({ status: "paid", paid: 120 })
    expect((await orderOf("jsonl:U004")).status).toBe("awaiting-payment")
  })

  it("ships orders: several at once, and one for a meet-up pickup", async () => {
    await page.goto(`${k.url}${round()}/orders?folder=toship`)
    await expect.poll(() => page.locator(".order").count()).toBe(2)
    await page.locator(".order", { hasText: "趙六" }).locator('input[name="select"]').check()
    await page.locator(".bulkbar").waitFor()
    await shoot(page, "07-shipping", "desktop")
    await page.locator(".bulkbar").getByRole("button", { name: "標記已出貨" }).click()
    await expect.poll(() => page.locator(".order").count()).toBe(1)
    expect((await orderOf("jsonl:U006")).status).toBe("shipped")

    const row = page.locator(".order", { hasText: "王小明" })
    await row.getByRole("button", { name: "詳細" }).click()
    await row.locator('select[name="method"]').selectOption("pickup")
    await row.getByRole("button", { name: "出貨", exact: true }).click()
    await row.locator("[data-pickup-code]").waitFor()
    pickupCode = (await row.locator("[data-pickup-code]").getAttribute("data-pickup-code")) ?? ""
    expect(pickupCode).not.toBe("")
  })

  it("confirms a pickup by its code", async () => {
    await page.goto(`${k.url}/admin/pickup`)
    await page.locator('input[name="code"]').waitFor()
    // A camera can be asked for (BarcodeDetector, or jsQR where there is none): scanning is offered.
    await expect.poll(() => page.getByRole("button", { name: "用相機掃描" }).count()).toBe(1)
    await page.locator('input[name="code"]').fill(pickupCode)
    await page.getByRole("button", { name: "查詢" }).click()
    await page.locator(".pickup").waitFor()
    expect(await page.locator(".pickup").textContent()).toContain("王小明")
    await shoot(page, "08-pickup", "desktop")
    await page.getByRole("button", { name: "確認已取貨" }).click()
    await expect.poll(() => page.locator(".pickup .badge").textContent()).toBe("已取貨")
    const found = await k.api("GET", `/pickups?code=${encodeURIComponent(pickupCode)}`)
    expect(found.body.status).toBe("picked-up")
  })

  it("shows a buyer's page to the organiser", async () => {
    await page.goto(`${k.url}${round()}/orders?folder=shipped`)
    await page.locator(".order", { hasText: "趙六" }).getByRole("link", { name: "趙六" }).click()
    await page.locator("h1", { hasText: "趙六" }).waitFor()
    await page.locator(".buyer-order").first().waitFor()
    await shoot(page, "09-buyer", "desktop")
  })

  it("refuses a helper a payment approval: no control, and the API's 403 when forced", async () => {
    const helperContext = await newContext(browser, "desktop")
    const h = await helperContext.newPage()
    await signIn(h, k.url, k.helper)
    expect(await h.locator(".who").textContent()).toContain("阿花（小幫手）")
    await h.locator(".round-card").first().waitFor()
    // No closing rounds, no new rounds, no buyers for a helper.
    expect(await h.getByRole("button", { name: "截單", exact: true }).count()).toBe(0)
    expect(await h.locator('textarea[name="roundJson"]').count()).toBe(0)
    expect(await h.getByRole("link", { name: "買家" }).count()).toBe(0)
    await h.goto(`${k.url}${round()}`)
    await h.locator(".stats").waitFor()
    expect(await h.getByRole("link", { name: "對帳收款" }).count()).toBe(0)
    // Forced: the payments page by its address.
    await h.goto(`${k.url}${round()}/payments`)
    await expect.poll(() => h.getByRole("alert").first().textContent()).toContain("權限不足")
    expect(await h.getByRole("button", { name: "核准入帳" }).count()).toBe(0)
    expect(await h.locator('input[name="statement"]').count()).toBe(0)
    await shoot(h, "10-helper-payments", "desktop")
    // Forced harder: the approval itself, from the helper's session.
    const decisions = await k.api("GET", `/rounds/${k.roundId}/decisions`)
    const open = decisions.body.find((d: { status: string }) => d.status === "review")
    const forced = open ?? decisions.body[0]
    const status = await h.evaluate(
      `fetch("/api/v1/decisions/${encodeURIComponent(forced.decisionId)}/approve", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer " + sessionStorage.getItem("kaituan.token") },
        body: "{}"
      }).then((r) => r.status)`
    )
    expect(status).toBe(403)
    const after = await k.api("GET", `/rounds/${k.roundId}/decisions`)
    expect(after.body.find((d: { decisionId: string }) => d.decisionId === forced.decisionId).status).toBe(
      forced.status
    )
    // The helper still ships and confirms pickups: the orders page works.
    await h.goto(`${k.url}${round()}/orders?folder=shipped`)
    await expect.poll(() => h.locator(".order").count()).toBeGreaterThan(0)
    // No export for a helper: it is personal data (the API answers 403 too).
    expect(await h.getByRole("button", { name: "匯出 CSV" }).count()).toBe(0)
    const exportStatus = await h.evaluate(
      `fetch("/api/v1/rounds/${encodeURIComponent(k.roundId)}/export.csv", {
        headers: { authorization: "Bearer " + sessionStorage.getItem("kaituan.token") }
      }).then((r) => r.status)`
    )
    expect(exportStatus).toBe(403)
    await helperContext.close()
  })

  it("manages a round: restock, title and cutoff, pause and resume, publish, close and reopen, the history", async () => {
    const pomelo = `${k.url}/admin/rounds/pomelo-2099`
    await page.goto(pomelo)
    await page.locator(".round-header").waitFor()
    await page.getByRole("link", { name: "團務設定" }).click()
    const item = page.locator('.stock-item[data-sku="POMELO"]')
    await item.waitFor()
    await expect.poll(() => item.locator("[data-left]").getAttribute("data-left")).toBe("30")
    expect(await item.textContent()).toContain("麻豆文旦 10 台斤")
    expect(await item.textContent()).toContain("NT$ 880")

    // Restock: add 5 units, then set the total to 40.
    await item.locator('input[name="qty"]').fill("5")
    await item.getByRole("button", { name: "補貨" }).click()
    await expect.poll(() => item.locator("[data-left]").getAttribute("data-left")).toBe("35")
    expect(await item.getByRole("status").textContent()).toContain("剩餘 35")
    await item.locator('select[name="mode"]').selectOption("stock")
    await item.locator('input[name="qty"]').fill("40")
    await item.getByRole("button", { name: "補貨" }).click()
    await expect.poll(() => item.locator("[data-left]").getAttribute("data-left")).toBe("40")
    await expect
      .poll(async () => (await k.api("GET", "/rounds/pomelo-2099/report")).body.stock[0].left, { timeout: 5000 })
      .toBe(40)
    // The page reads the report again after it settles: still 40.
    await page.waitForTimeout(1300)
    expect(await item.locator("[data-left]").getAttribute("data-left")).toBe("40")
    // A price for new orders.
    await item.locator('input[name="price"]').fill("920")
    await item.getByRole("button", { name: "改價" }).click()
    await expect.poll(() => item.textContent()).toContain("NT$ 920")

    // A new product for the open round: a SKU the round has is refused before it is sent.
    const adding = page.locator("#add-product").locator("..")
    await adding.locator('input[name="productSku"]').fill("POMELO")
    await expect.poll(() => adding.textContent()).toContain("這一團已經有這個商品編號")
    expect(await adding.getByRole("button", { name: "新增商品" }).isDisabled()).toBe(true)
    await adding.locator('input[name="productName"]').fill("老欉文旦 5 台斤")
    await adding.locator('input[name="productSku"]').fill("POMELO-OLD")
    await adding.locator('input[name="productPrice"]').fill("650")
    await adding.locator('input[name="supplyQty"]').fill("12")
    await adding.locator('input[name="aliases"]').fill("老欉、老欉文旦")
    await adding.locator('input[name="limitPerBuyer"]').fill("2")
    await adding.getByRole("button", { name: "新增商品" }).click()
    await expect.poll(() => adding.getByRole("status").textContent()).toContain("已新增「老欉文旦 5 台斤」")
    const added = page.locator('.stock-item[data-sku="POMELO-OLD"]')
    await added.waitFor({ timeout: 5000 })
    await expect.poll(() => added.locator("[data-left]").getAttribute("data-left")).toBe("12")
    await expect.poll(() => added.textContent()).toContain("老欉文旦 5 台斤")
    expect(await added.textContent()).toContain("NT$ 650")
    expect(await adding.locator('input[name="productSku"]').inputValue()).toBe("")
    const stockAfter = (await k.api("GET", "/rounds/pomelo-2099/report")).body.stock as ReadonlyArray<{
      sku: string
      left: number | null
    }>
    expect(stockAfter.find((x) => x.sku === "POMELO-OLD")?.left).toBe(12)
    await added.scrollIntoViewIfNeeded()
    await shoot(page, "11-round-settings-product-added", "desktop")

    // The title and the cutoff (typed in Taipei time).
    await page.locator('input[name="title"]').fill("麻豆文旦（加開）")
    await page.locator('input[name="cutoff"]').fill("2099-10-01T20:00")
    await page.locator("#round-details").locator("..").getByRole("button", { name: "儲存" }).click()
    await expect.poll(() => page.locator(".round-title h1").textContent()).toBe("麻豆文旦（加開）")
    expect(await page.locator("#round-details").locator("..").getByRole("status").textContent()).toBe("已儲存")
    expect(await page.locator('input[name="title"]').inputValue()).toBe("麻豆文旦（加開）")
    const edited = (await k.api("GET", "/rounds/pomelo-2099")).body
    expect(edited.title).toBe("麻豆文旦（加開）")
    expect(Date.parse(edited.cutoff)).toBe(Date.parse("2099-10-01T20:00:00+08:00"))

    // Pause, then resume: the status shows everywhere as 暫停收單.
    await page.getByRole("button", { name: "暫停收單" }).click()
    await expect.poll(() => page.locator(".round-title .badge").textContent()).toBe("暫停收單")
    expect((await k.api("GET", "/rounds/pomelo-2099")).body.status).toBe("paused")
    await shoot(page, "11-round-settings-paused", "desktop")
    await page.getByRole("link", { name: "開團", exact: true }).click()
    await expect
      .poll(() => page.locator(".round-card", { hasText: "麻豆文旦（加開）" }).locator(".badge").textContent())
      .toBe("暫停收單")
    await page.goto(`${pomelo}/settings`)
    await page.getByRole("button", { name: "恢復收單" }).click()
    await expect.poll(() => page.locator(".round-title .badge").textContent()).toBe("收單中")
    expect((await k.api("GET", "/rounds/pomelo-2099")).body.status).toBe("open")

    // Publish: the announcement's status and text.
    await page.getByRole("button", { name: "發布開團公告" }).click()
    const published = page.locator(".published")
    await published.waitFor()
    expect(["queued", "duplicate", "skipped"]).toContain(await published.getAttribute("data-status"))
    expect(await published.locator(".announcement").textContent()).toContain("麻豆文旦（加開）")
    expect(await published.locator(".badge").textContent()).toMatch(/已排入發送|沒有重複發送|未發送/)

    // The history, newest first, in Chinese.
    const history = page.locator(".history-entry")
    await expect.poll(() => history.first().textContent()).toContain("恢復收單")
    const texts = await history.allTextContents()
    const at = (s: string) => texts.findIndex((x) => x.includes(s))
    expect(at("恢復收單")).toBeLessThan(at("暫停收單"))
    expect(at("暫停收單")).toBeLessThan(at("團名改為「麻豆文旦（加開）」"))
    expect(at("新訂單售價改為 NT$ 920")).toBeGreaterThan(at("團名改為"))
    expect(at("補貨 5 件，總量 40")).toBeGreaterThanOrEqual(0)
    expect(at("補貨 5 件，總量 35")).toBeGreaterThan(at("補貨 5 件，總量 40"))
    expect(texts.some((x) => x.includes("截單時間改為"))).toBe(true)
    expect(at("新增商品「老欉文旦 5 台斤」")).toBeGreaterThan(at("團名改為"))
    expect(texts[texts.length - 1]).toContain("建立團購「麻豆文旦」")
    await shoot(page, "11-round-settings", "desktop")

    // Close, then reopen with a new cutoff.
    await page.locator("#round-state").locator("..").getByRole("button", { name: "截單", exact: true }).click()
    await page.locator("dialog[open]").getByRole("button", { name: "確定" }).click()
    await expect.poll(() => page.locator(".round-title .badge").textContent()).toBe("已截單")
    await page.locator('input[name="reopenCutoff"]').fill("2099-12-24T21:30")
    await page.getByRole("button", { name: "重新開團" }).click()
    await page.locator("dialog[open]").getByRole("button", { name: "確定" }).click()
    await expect.poll(() => page.locator(".round-title .badge").textContent()).toBe("收單中")
    const reopened = (await k.api("GET", "/rounds/pomelo-2099")).body
    expect(reopened.reopenedAt).toBeDefined()
    expect(Date.parse(reopened.cutoff)).toBe(Date.parse("2099-12-24T21:30:00+08:00"))
    await expect.poll(() => history.first().textContent()).toMatch(/截單時間改為|重新開團/)
  })

  it("explains a refused change in Chinese: stock below what is sold", async () => {
    await page.goto(`${k.url}/admin/rounds/mango-2099/settings`)
    const item = page.locator('.stock-item[data-sku="MANGO-5"]')
    await item.waitFor()
    const before = (await k.api("GET", "/rounds/mango-2099/report")).body.stock.find(
      (s: { sku: string }) => s.sku === "MANGO-5"
    )
    expect(before.sold).toBeGreaterThan(1)
    await item.locator('select[name="mode"]').selectOption("stock")
    await item.locator('input[name="qty"]').fill("1")
    await item.getByRole("button", { name: "補貨" }).click()
    await expect.poll(() => item.getByRole("alert").textContent()).toContain("庫存不能少於已賣出的數量")
    await item.scrollIntoViewIfNeeded()
    await shoot(page, "11-round-settings-refused", "desktop")
    const after = (await k.api("GET", "/rounds/mango-2099/report")).body.stock.find(
      (s: { sku: string }) => s.sku === "MANGO-5"
    )
    expect(after.left).toBe(before.left)
  })

  it("fits the round settings on a phone, in Chinese and in English", async () => {
    const phone = await newContext(browser, "phone")
    const p = await phone.newPage()
    await signIn(p, k.url, k.organiser)
    await p.goto(`${k.url}/admin/rounds/pomelo-2099/settings`)
    await p.locator(".stock-item").first().waitFor()
    await p.locator(".history-entry").first().waitFor()
    await p.getByRole("button", { name: "發布開團公告" }).click()
    await p.locator(".published").waitFor()
    await p.waitForLoadState("networkidle")
    await shoot(p, "11-round-settings", "phone")
    expect(await horizontalOverflow(p), "settings scrolls sideways").toBeLessThanOrEqual(0)
    expect(await smallTargets(p), "settings has tap targets under 44 px").toEqual([])
    await p.getByRole("button", { name: "切換語言為英文" }).click()
    await expect.poll(() => p.locator("#round-history").textContent()).toBe("History")
    expect(await p.locator("#round-history").textContent()).toBe("History")
    expect(await p.locator(".history").textContent()).toContain("Title changed to")
    await p.waitForLoadState("networkidle")
    await shoot(p, "11-round-settings-en", "phone")
    expect(await horizontalOverflow(p), "settings (en) scrolls sideways").toBeLessThanOrEqual(0)
    expect(await smallTargets(p), "settings (en) has tap targets under 44 px").toEqual([])
    await p.getByRole("button", { name: "Switch language to Chinese" }).click()
    await phone.close()
  })

  it("shows a helper no round controls, and the API refuses them", async () => {
    const helperContext = await newContext(browser, "desktop")
    const h = await helperContext.newPage()
    await signIn(h, k.url, k.helper)
    await h.goto(`${k.url}/admin/rounds/pomelo-2099`)
    await h.locator(".stats").waitFor()
    expect(await h.getByRole("link", { name: "團務設定" }).count()).toBe(0)
    await h.goto(`${k.url}/admin/rounds`)
    await h.locator(".round-card").first().waitFor()
    expect(await h.getByRole("button", { name: "團務設定" }).count()).toBe(0)
    // Forced: the settings page by its address.
    await h.goto(`${k.url}/admin/rounds/pomelo-2099/settings`)
    await expect.poll(() => h.getByRole("alert").first().textContent()).toContain("團務設定只有團主能操作")
    for (const name of ["補貨", "改價", "暫停收單", "恢復收單", "截單", "發布開團公告", "重新開團", "儲存"])
      expect(await h.getByRole("button", { name, exact: true }).count(), name).toBe(0)
    await shoot(h, "12-helper-settings", "desktop")
    const statuses = await h.evaluate(`Promise.all([
      ["PATCH", "/api/v1/rounds/pomelo-2099", { paused: true }],
      ["POST", "/api/v1/rounds/pomelo-2099/restock", { lines: [{ sku: "POMELO", add: 1 }] }],
      ["POST", "/api/v1/rounds/pomelo-2099/publish", undefined],
      ["GET", "/api/v1/rounds/pomelo-2099/history", undefined]
    ].map(([method, url, body]) => fetch(url, {
      method,
      headers: { "content-type": "application/json", authorization: "Bearer " + sessionStorage.getItem("kaituan.token") },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then((r) => r.status)))`)
    expect(statuses).toEqual([403, 403, 403, 403])
    expect((await k.api("GET", "/rounds/pomelo-2099")).body.status).toBe("open")
    await helperContext.close()
  })

  it("writes screenshots of every page at both sizes", () => {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), "../../../.ci/out/screenshots")
    const files = fs.readdirSync(dir)
    for (const name of [
      "01-login",
      "02-rounds",
      "03-dashboard",
      "04-orders",
      "05-payments",
      "06-review",
      "08-pickup",
      "09-buyer"
    ])
      for (const device of ["desktop", "phone"])
        expect(files, `${name}-${device}.png`).toContain(`${name}-${device}.png`)
    expect(files).toContain("03-dashboard-en-phone.png")
    for (const name of [
      "11-round-settings-desktop.png",
      "11-round-settings-product-added-desktop.png",
      "11-round-settings-phone.png",
      "11-round-settings-en-phone.png"
    ])
      expect(files).toContain(name)
  })
})
