/**
 * `/admin` as `kaituan serve` answers it (examples/cli/src/server/Admin.ts), over a build made
 * here: content types, caching, index.html for the app's pages, 404 for missing assets, the
 * security headers, no way out of the build directory, and the hint when there is no build.
 * No browser needed.
 */
import fs from "node:fs"
import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminRoute, BUILD_HINT } from "../../cli/src/server/Admin.js"

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

describe("/admin", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-admin-"))
  const dist = path.join(dir, "dist")
  let server: Server
  let port = 0
  const saved = process.env.KAITUAN_ADMIN_DIR

  /** A request with its path sent as written (no URL normalisation). */
  const get = (rawPath: string, options: { method?: string; headers?: Record<string, string> } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path: rawPath, method: options.method ?? "GET", headers: options.headers },
        (res) => {
          let body = ""
          res.setEncoding("utf8")
          res.on("data", (c: string) => {
            body += c
          })
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        }
      )
      req.on("error", reject)
      req.end()
    })

  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, "secret.txt"), "outside the build")
    process.env.KAITUAN_ADMIN_DIR = dist
    server = createServer((req, res) => {
      const pathname = (req.url ?? "/").split("?")[0]!
      if (!adminRoute(req, res, pathname)) {
        res.writeHead(418)
        res.end("not admin")
      }
    })
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    port = (server.address() as AddressInfo).port
  })

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    if (saved === undefined) delete process.env.KAITUAN_ADMIN_DIR
    else process.env.KAITUAN_ADMIN_DIR = saved
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it("says how to build the back office when there is no build", async () => {
    const r = await get("/admin/")
    expect(r.status).toBe(404)
    expect(r.body.trim()).toBe(BUILD_HINT)
    expect(r.body.trim().split("\n")).toHaveLength(1)
  })

  it("serves the build: index.html for pages, assets with their types and a year's caching", async () => {
    fs.mkdirSync(path.join(dist, "assets"), { recursive: true })
    fs.writeFileSync(
      path.join(dist, "index.html"),
      '<!doctype html><script type="module" src="/admin/assets/a-1.js"></script>'
    )
    fs.writeFileSync(path.join(dist, "assets", "a-1.js"), "export {}")
    fs.writeFileSync(path.join(dist, "assets", "a-1.css"), "body{}")
    fs.symlinkSync(path.join(dir, "secret.txt"), path.join(dist, "assets", "link.txt"))

    const index = await get("/admin/")
    expect(index.status).toBe(200)
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8")
    expect(index.headers["cache-control"]).toBe("no-cache")
    expect(index.headers["content-security-policy"]).toContain("script-src 'self'")
    expect(index.headers["content-security-policy"]).toContain("frame-ancestors 'none'")
    expect(index.headers["content-security-policy"]).not.toContain("unsafe")
    expect(index.headers["x-frame-options"]).toBe("DENY")
    expect(index.headers["x-content-type-options"]).toBe("nosniff")

    const page = await get("/admin/rounds/socks/orders?folder=toship")
    expect(page.status).toBe(200)
    expect(page.body).toBe(index.body)

    const js = await get("/admin/assets/a-1.js")
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8")
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable")
    expect((await get("/admin/assets/a-1.css")).headers["content-type"]).toBe("text/css; charset=utf-8")

    const again = await get("/admin/", { headers: { "if-none-match": String(index.headers.etag) } })
    expect(again.status).toBe(304)
    const head = await get("/admin/assets/a-1.js", { method: "HEAD" })
    expect(head.status).toBe(200)
    expect(head.body).toBe("")
    expect(head.headers["content-length"]).toBe("9")
  })

  it("answers 404 for a missing asset, never the index", async () => {
    expect((await get("/admin/assets/gone-2.js")).status).toBe(404)
    expect((await get("/admin/favicon.ico")).status).toBe(404)
  })

  it("redirects /admin to /admin/ and leaves other paths to the server", async () => {
    const r = await get("/admin")
    expect(r.status).toBe(308)
    expect(r.headers.location).toBe("/admin/")
    expect((await get("/administrator")).status).toBe(418)
    expect((await get("/api/v1/me")).status).toBe(418)
  })

  it("never serves a file from outside the build", async () => {
    for (const p of [
      "/admin/../secret.txt",
      "/admin/..%2fsecret.txt",
      "/admin/%2e%2e/secret.txt",
      "/admin/assets/..%2f..%2fsecret.txt",
      "/admin/..%5csecret.txt",
      "/admin/%00index.html",
      "/admin/%E0%A4%A"
    ]) {
      const r = await get(p)
      expect(r.status, p).toBe(400)
      expect(r.body, p).not.toContain("outside the build")
    }
    const link = await get("/admin/assets/link.txt")
    expect(link.status).toBe(404)
    expect(link.body).not.toContain("outside the build")
  })

  it("takes GET and HEAD only", async () => {
    const r = await get("/admin/", { method: "POST" })
    expect(r.status).toBe(405)
    expect(r.headers.allow).toBe("GET, HEAD")
  })
})
