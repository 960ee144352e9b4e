/**
 * The browser tests' world: `kaituan serve` (the built CLI, examples/cli/dist/main.js) on a real
 * SQLite file seeded with `kaituan round replay` from the CLI's fixtures, tokens made with
 * `kaituan token create`, and Debian's Chromium driven by playwright-core.
 *
 * The back office is reached through `kaituan serve`'s own `/admin`. `KAITUAN_ADMIN_HARNESS=1`
 * puts a stand-in in front instead (it serves the build with `Admin.ts` and passes everything
 * else to serve), for a CLI whose Server.ts does not route `/admin` yet.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import fs from "node:fs"
import { createServer, request } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
export const cliMain = path.join(root, "examples/cli/dist/main.js")
export const distIndex = path.join(root, "examples/backoffice/dist/index.html")
export const fixtures = path.join(root, "examples/cli/fixtures")
export const screenshots = path.join(root, ".ci/out/screenshots")

/** Debian's Chromium (`.ci/run` installs it); `KAITUAN_CHROMIUM` points elsewhere. */
export const chromiumPath = process.env.KAITUAN_CHROMIUM ?? "/usr/bin/chromium"

/** Skip only on a developer's machine without Chromium: in CI a missing browser fails. */
export const skipBrowser = !fs.existsSync(chromiumPath) && !process.env.CI

export const PHONE = { width: 390, height: 844 } as const
export const DESKTOP = { width: 1366, height: 900 } as const

const run = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = process.env) =>
  new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
    execFile(process.execPath, [cliMain, ...args], { env, cwd: root, timeout: 60_000 }, (error, stdout, stderr) =>
      error === null
        ? resolve({ stdout, stderr })
        : reject(new Error(`kaituan ${args.join(" ")} failed: ${error.message}\n${stderr}`))
    )
  )

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })

export interface Kaituan {
  /** Where the browser goes: serve itself, or the harness in front of it. */
  readonly url: string
  /** serve's own address. */
  readonly serveUrl: string
  readonly db: string
  readonly organiser: string
  readonly helper: string
  readonly roundId: string
  /** A call to the API with a token (the organiser's unless given). */
  readonly api: (
    method: string,
    pathname: string,
    body?: unknown,
    token?: string
  ) => Promise<{ readonly status: number; readonly body: any }>
  readonly logs: () => string
  readonly stop: () => Promise<void>
}

/** A further round replayed into the database before serve starts: its file, its comments (JSON Lines) and `--at`. */
export interface ExtraRound {
  readonly round: string
  readonly comments: string
  readonly at?: string | undefined
}

/**
 * Starts `kaituan serve` over a fresh SQLite file holding the CLI's socks round and the mango
 * round, replayed, and any `extra` rounds after them.
 */
export const startKaituan = async (extra: ReadonlyArray<ExtraRound> = []): Promise<Kaituan> => {
  for (const [file, hint] of [
    [cliMain, "pnpm --filter @kaituan/cli build"],
    [distIndex, "pnpm --filter @kaituan/backoffice build"]
  ] as const)
    if (!fs.existsSync(file)) throw new Error(`${path.relative(root, file)} is missing: run ${hint} (pnpm test does)`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-backoffice-"))
  const db = path.join(dir, "kaituan.db")
  await run([
    "round",
    "replay",
    "--round",
    path.join(fixtures, "socks.round.json"),
    "--comments",
    path.join(fixtures, "socks.comments.jsonl"),
    "--db",
    db
  ])
  // A second round, open until 2099, whose comments wait in the review queue.
  fs.writeFileSync(path.join(dir, "mango.round.json"), mangoRoundJson())
  fs.writeFileSync(path.join(dir, "mango.comments.jsonl"), mangoComments())
  await run([
    "round",
    "replay",
    "--round",
    path.join(dir, "mango.round.json"),
    "--comments",
    path.join(dir, "mango.comments.jsonl"),
    "--db",
    db
  ])
  for (const [i, x] of extra.entries()) {
    fs.writeFileSync(path.join(dir, `extra${i}.round.json`), x.round)
    fs.writeFileSync(path.join(dir, `extra${i}.comments.jsonl`), x.comments)
    await run([
      "round",
      "replay",
      "--round",
      path.join(dir, `extra${i}.round.json`),
      "--comments",
      path.join(dir, `extra${i}.comments.jsonl`),
      ...(x.at === undefined ? [] : ["--at", x.at]),
      "--db",
      db
    ])
  }
  const organiser = (await run(["token", "create", "--role", "organiser", "--label", "小美", "--db", db])).stdout.trim()
  const helper = (await run(["token", "create", "--role", "helper", "--label", "阿花", "--db", db])).stdout.trim()
  const port = await freePort()
  const serveUrl = `http://127.0.0.1:${port}`
  let output = ""
  const child: ChildProcess = spawn(process.execPath, [cliMain, "serve", "--db", db, "--port", String(port)], {
    cwd: root,
    env: { ...process.env, KAITUAN_PUBLIC_URL: serveUrl },
    stdio: ["ignore", "pipe", "pipe"]
  })
  child.stdout?.on("data", (b: Buffer) => {
    output += b.toString()
  })
  child.stderr?.on("data", (b: Buffer) => {
    output += b.toString()
  })
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kaituan serve exited (${child.exitCode}):\n${output}`)
    const up = await fetch(`${serveUrl}/healthz`).then(
      (r) => r.ok,
      () => false
    )
    if (up) break
    if (Date.now() > deadline) throw new Error(`kaituan serve did not start in 30 s:\n${output}`)
    await new Promise((r) => setTimeout(r, 150))
  }
  const harness = process.env.KAITUAN_ADMIN_HARNESS === "1" ? await startHarness(serveUrl) : undefined
  const api: Kaituan["api"] = async (method, pathname, body, token = organiser) => {
    const res = await fetch(`${serveUrl}/api/v1${pathname}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    const text = await res.text()
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) }
  }
  return {
    url: harness?.url ?? serveUrl,
    serveUrl,
    db,
    organiser,
    helper,
    roundId: "socks-2024-05",
    api,
    logs: () => output,
    stop: async () => {
      await harness?.close()
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r))
        child.kill("SIGTERM")
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
        if (child.exitCode === null) child.kill("SIGKILL")
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** The stand-in for a serve without `/admin`: Admin.ts for `/admin`, a proxy to serve for the rest. */
const startHarness = async (target: string) => {
  const { adminRoute } = await import("../../cli/src/server/Admin.js")
  const t = new URL(target)
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname
    if (adminRoute(req, res, pathname)) return
    const upstream = request(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers)
        r.pipe(res)
      }
    )
    upstream.on("error", () => {
      res.writeHead(502)
      res.end()
    })
    req.pipe(upstream)
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r()))
  }
}

/** Chromium, headless, with no network beyond this machine and a fresh profile (playwright's temporary user-data-dir). */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage"
    ]
  })

export type Device = "desktop" | "phone"

export const newContext = (browser: Browser, device: Device): Promise<BrowserContext> =>
  browser.newContext(
    device === "phone"
      ? {
          viewport: PHONE,
          deviceScaleFactor: 2,
          isMobile: true,
          hasTouch: true,
          locale: "zh-TW",
          timezoneId: "Asia/Taipei"
        }
      : { viewport: DESKTOP, deviceScaleFactor: 1, locale: "zh-TW", timezoneId: "Asia/Taipei" }
  )

/** Signs in on the login form with a token. */
export const signIn = async (page: Page, url: string, token: string): Promise<void> => {
  await page.goto(`${url}/admin/`)
  await page.locator('input[name="token"]').fill(token)
  await page.getByRole("button", { name: /登入|Sign in/ }).click()
  await page.locator(".topbar").waitFor()
}

/** A full-page screenshot into .ci/out/screenshots/NAME-DEVICE.png. */
export const shoot = async (page: Page, name: string, device: Device): Promise<string> => {
  fs.mkdirSync(screenshots, { recursive: true })
  const file = path.join(screenshots, `${name}-${device}.png`)
  await page.evaluate("document.fonts.ready")
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** Whether the page scrolls sideways (it must not on a phone). */
export const horizontalOverflow = (page: Page): Promise<number> =>
  page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as Promise<number>

/**
 * Visible controls smaller than 44 px on a side (a checkbox or radio counts by the label around
 * it), described for the failure message.
 */
export const smallTargets = (page: Page): Promise<ReadonlyArray<string>> =>
  page.evaluate(`(() => {
    const out = []
    const els = document.querySelectorAll('button, a[href], input:not([type=hidden]), select, textarea, summary')
    for (const el of els) {
      const target = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') ?? el) : el
      const r = target.getBoundingClientRect()
      if (r.width === 0 || r.height === 0) continue
      const style = getComputedStyle(el)
      if (style.visibility === 'hidden' || el.closest('.sr-only')) continue
      if (el.classList.contains('skip')) continue
      // A link inside running text is not a tap target of its own.
      if (el.tagName === 'A' && getComputedStyle(el).display === 'inline') continue
      if (r.height < 44 || r.width < 44) out.push(el.tagName.toLowerCase() + ' "' + (el.textContent || el.name || '').trim().slice(0, 30) + '" ' + Math.round(r.width) + 'x' + Math.round(r.height))
    }
    return out
  })()`) as Promise<ReadonlyArray<string>>

/** A bank statement in CTBC's layout (UTF-8 with a BOM) paying the socks round's orders. */
export const statementCsv = (): string =>
  [
    "\ufeff帳號：123-456789012,新臺幣活期存款",
    "查詢區間：2024/05/11~2024/05/20",
    "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
    '2024/05/12,跨行轉入,,"120","10,120",,822-*********45678,',
    '2024/05/12,轉帳存入,,"1,350","11,470",趙六,700-*********54321,',
    '2024/05/13,ATM轉入,,"600","12,070",,812-*********12345,',
    ""
  ].join("\n")

/** The open round: mangoes, until 2099. */
export const mangoRoundJson = (): string =>
  JSON.stringify({
    id: "mango-2099",
    title: "台南芒果禮盒",
    cutoff: "2099-06-30T22:00:00+08:00",
    products: [
      { sku: "MANGO-5", name: "愛文芒果 5 斤", aliases: ["芒果"], price: 680, stock: 200 },
      { sku: "MANGO-10", name: "愛文芒果 10 斤", price: 1250, stock: 20 }
    ]
  })

/** How many orders the mango round has from its comments: more than a page (50) of them. */
export const MANGO_ORDERS = 1 + 55

/** Its comments: an order, three the parser sends to review, then 55 more orders over three days. */
export const mangoComments = (): string => {
  const start = Date.parse("2026-06-01T10:00:00+08:00")
  const more = Array.from({ length: MANGO_ORDERS - 1 }, (_, i) => ({
    id: `b${i}`,
    author: { id: `U2${String(i).padStart(2, "0")}`, name: `團員${i + 1}` },
    text: i % 4 === 0 ? "芒果+2" : "芒果+1",
    at: new Date(start + Math.round((i * i) / 55) * 3_600_000 + i * 60_000).toISOString()
  }))
  return [
    { id: "m1", author: { id: "U101", name: "黃阿姨" }, text: "芒果+2", at: "2026-06-01T09:00:00+08:00" },
    { id: "m2", author: { id: "U102", name: "蔡先生" }, text: "芒果+1 可以面交嗎?", at: "2026-06-01T09:05:00+08:00" },
    { id: "m3", author: { id: "U103", name: "許小姐" }, text: "+1", at: "2026-06-01T09:10:00+08:00" },
    { id: "m4", author: { id: "U104", name: "鄭大哥" }, text: "10斤的+1", at: "2026-06-01T09:20:00+08:00" },
    ...more
  ]
    .map((c) => JSON.stringify(c))
    .join("\n")
}

/** A round file (JSON) for a new round, open until 2099, as an organiser pastes it. */
export const newRoundJson = (id: string): string =>
  JSON.stringify(
    {
      id,
      title: "麻豆文旦",
      cutoff: "2099-09-15T22:00:00+08:00",
      products: [{ sku: "POMELO", name: "麻豆文旦 10 台斤", aliases: ["文旦"], price: 880, stock: 30 }]
    },
    null,
    2
  )
