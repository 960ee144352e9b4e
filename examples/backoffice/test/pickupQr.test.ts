/**
 * QR pickup in a real browser: Chromium's fake camera plays a video of the buyer's QR code
 * (`--use-file-for-fake-video-capture`, a Y4M drawn here from the pickup code with `qrcode`); the
 * pickup page decodes the frames (jsQR: Chromium on Linux has no BarcodeDetector) and finds the
 * parcel; five wrong codes lock it: the page says so, a helper is told to ask the organiser, the
 * organiser unlocks it and confirms. Screenshots at desktop and phone sizes, in Chinese, into
 * .ci/out/screenshots/ (09-pickup-*).
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { type Browser, chromium } from "playwright-core"
import QRCode from "qrcode"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  chromiumPath,
  horizontalOverflow,
  type Kaituan,
  launchBrowser,
  newContext,
  shoot,
  signIn,
  skipBrowser,
  startKaituan
} from "./support.js"

/** A few seconds of 640×480 video (YUV 4:2:0, Y4M) showing `text` as a QR code, for Chromium's fake camera. */
const qrVideo = (text: string, file: string) => {
  const W = 640
  const H = 480
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" })
  const n = qr.modules.size
  const scale = Math.floor(360 / (n + 8))
  const side = (n + 8) * scale
  const x0 = Math.floor((W - side) / 2)
  const y0 = Math.floor((H - side) / 2)
  const y = Buffer.alloc(W * H, 235)
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.modules.get(r, c))
        for (let dy = 0; dy < scale; dy++)
          y.fill(
            16,
            (y0 + (r + 4) * scale + dy) * W + x0 + (c + 4) * scale,
            (y0 + (r + 4) * scale + dy) * W + x0 + (c + 5) * scale
          )
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128)
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma, chroma])
  const frames = Array.from({ length: 30 }, () => frame)
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F15:1 Ip A1:1 C420jpeg\n`), ...frames]))
}

describe.skipIf(skipBrowser)("QR pickup in Chromium", () => {
  let k: Kaituan
  let browser: Browser
  let camera: Browser
  let shipmentId = ""
  let pickupCode = ""
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-qr-"))

  beforeAll(async () => {
    k = await startKaituan()
    // An order awaiting payment, paid in cash, shipped for a meet-up pickup.
    const orders = (await k.api("GET", `/rounds/${k.roundId}/orders?status=awaiting-payment`)).body.items
    const order = orders[0]
    expect(order).toBeDefined()
    expect(
      (await k.api("POST", `/orders/${order.orderId}/cash`, { amount: order.total - order.paid, reference: "qr-1" }))
        .status
    ).toBe(200)
    const shipped = await k.api("POST", `/orders/${order.orderId}/shipments`, {
      lines: order.lines.map((l: { sku: string; qty: number }) => ({ sku: l.sku, qty: l.qty })),
      method: "pickup"
    })
    expect(shipped.status).toBe(201)
    shipmentId = shipped.body.shipmentId
    pickupCode = shipped.body.pickupCode
    const video = path.join(dir, "qr.y4m")
    qrVideo(pickupCode, video)
    browser = await launchBrowser()
    camera = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-video-capture=${video}`
      ]
    })
  })

  afterAll(async () => {
    await camera?.close()
    await browser?.close()
    await k?.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("scans the buyer's QR code with the camera and finds the parcel", async () => {
    const context = await newContext(camera, "desktop")
    await context.grantPermissions(["camera"], { origin: k.url })
    const page = await context.newPage()
    await signIn(page, k.url, k.helper)
    await page.goto(`${k.url}/admin/pickup`)
    // Chromium on Linux has no BarcodeDetector: the frames go through jsQR.
    expect(await page.evaluate("typeof BarcodeDetector")).toBe("undefined")
    await page.getByRole("button", { name: "用相機掃描" }).click()
    await page.locator(`.pickup[data-shipment-id="${shipmentId}"]`).waitFor({ timeout: 20_000 })
    expect(await page.locator('input[name="code"]').inputValue()).toBe(pickupCode)
    await shoot(page, "09-pickup-scanned", "desktop")
    await context.close()
  })

  it("shows the lock after 5 wrong codes: a helper is told to ask, the organiser unlocks and confirms", async () => {
    for (let i = 1; i <= 5; i++) {
      const r = await k.api("POST", `/pickups/${shipmentId}/confirm`, { code: "WRONG000" }, k.helper)
      expect(r.status).toBe(i < 5 ? 409 : 423)
    }
    // The helper, on a phone: the lock and whom to ask; no unlock button.
    const phone = await newContext(browser, "phone")
    const hp = await phone.newPage()
    await signIn(hp, k.url, k.helper)
    await hp.goto(`${k.url}/admin/pickup?code=${encodeURIComponent(pickupCode)}`)
    await hp.locator(".pickup [data-locked]").waitFor()
    expect(await hp.locator(".pickup [data-locked]").textContent()).toContain("已鎖定（錯誤 5 次）")
    expect(await hp.locator(".pickup [data-locked]").textContent()).toContain("請團主解除鎖定")
    expect(await hp.getByRole("button", { name: "解除鎖定" }).count()).toBe(0)
    expect(await hp.getByRole("button", { name: "確認已取貨" }).isDisabled()).toBe(true)
    expect(await horizontalOverflow(hp)).toBeLessThanOrEqual(0)
    await shoot(hp, "09-pickup-locked-helper", "phone")
    await phone.close()

    // The organiser, at a desk: unlock, then the right code picks it up.
    const desk = await newContext(browser, "desktop")
    const page = await desk.newPage()
    await signIn(page, k.url, k.organiser)
    await page.goto(`${k.url}/admin/pickup?code=${encodeURIComponent(pickupCode)}`)
    await page.locator(".pickup [data-locked]").waitFor()
    await shoot(page, "09-pickup-locked", "desktop")
    await page.getByRole("button", { name: "解除鎖定" }).click()
    await page.locator(".pickup [data-locked]").waitFor({ state: "detached" })
    await page.getByRole("button", { name: "確認已取貨" }).click()
    await expect.poll(() => page.locator(".pickup .badge").textContent()).toBe("已取貨")
    await shoot(page, "09-pickup-done", "desktop")
    expect((await k.api("GET", `/pickups?code=${encodeURIComponent(pickupCode)}`)).body).toMatchObject({
      status: "picked-up",
      locked: false
    })
    await desk.close()
  })
})
