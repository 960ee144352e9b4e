/**
 * The back office at `/admin`: the built files of `examples/backoffice` (Vite's `dist`), served
 * by `kaituan serve` beside the API it calls.
 *
 * - `/admin` redirects to `/admin/`; a file of the build is served with its content type;
 *   anything else under `/admin/` that is not a file (`/admin/rounds/socks/orders`) is the app's
 *   index.html, so its pages can be reloaded and shared. A missing asset (`/admin/assets/x.js`,
 *   any path whose last segment has an extension) is a 404, never the index.
 * - Hashed assets (`/admin/assets/…`) are cached for a year (`immutable`); index.html is
 *   revalidated every time (`no-cache`, with an ETag).
 * - Every answer carries a Content-Security-Policy that allows no inline script and nothing from
 *   another origin, `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff` and
 *   `Referrer-Policy: no-referrer`.
 * - No path leaves the build directory: `..`, encoded slashes and backslashes, NUL and paths
 *   that resolve outside it are refused (400), and so are symbolic links out of it.
 * - GET and HEAD only (405 otherwise).
 *
 * The build is looked for where `KAITUAN_ADMIN_DIR` says, else beside the CLI in the monorepo
 * (`examples/backoffice/dist`, from the CLI's `dist/` or from its sources). When there is none, the
 * answer is a 404 saying how to build it. Files are read synchronously and kept in memory while
 * their size and modification time stay the same (the build is a few small files): the
 * response is complete when {@link adminRoute} returns.
 */
import fs from "node:fs"
import type { IncomingMessage, ServerResponse } from "node:http"
import path from "node:path"
import { fileURLToPath } from "node:url"

/** The path the back office is served under. */
export const ADMIN_PREFIX = "/admin"

/** What to run when the build is missing. */
export const BUILD_HINT =
  "the back office is not built: run `pnpm --filter @kaituan/backoffice build` (or `pnpm build`) in the kaituan repository"

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  // The carrier's label page (列印標籤) is a form the organiser's browser posts to ECPay logistics.
  "form-action 'self' https://logistics.ecpay.com.tw https://logistics-stage.ecpay.com.tw",
  "frame-ancestors 'none'"
].join("; ")

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "permissions-policy": "camera=(self), microphone=(), geolocation=()",
  "cross-origin-opener-policy": "same-origin"
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8"
}

/** Where the build may be: `KAITUAN_ADMIN_DIR` alone when set, else beside the CLI's `dist/` or its `src/server/`. */
export const candidateDirs = (env: Readonly<Record<string, string | undefined>> = process.env): Array<string> => {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const out: Array<string> = []
  if (env.KAITUAN_ADMIN_DIR) return [path.resolve(env.KAITUAN_ADMIN_DIR)]
  // examples/cli/dist/<chunk>.js → examples/backoffice/dist
  out.push(path.resolve(here, "../../backoffice/dist"))
  // examples/cli/src/server/Admin.ts (tests and tsx) → examples/backoffice/dist
  out.push(path.resolve(here, "../../../backoffice/dist"))
  return out
}

/** The build directory (its real path), or undefined when no candidate has an index.html. */
export const findDist = (env?: Readonly<Record<string, string | undefined>>): string | undefined => {
  for (const dir of candidateDirs(env)) {
    try {
      if (fs.statSync(path.join(dir, "index.html")).isFile()) return fs.realpathSync(dir)
    } catch {
      // not there
    }
  }
  return undefined
}

interface Cached {
  readonly size: number
  readonly mtimeMs: number
  readonly body: Buffer
  readonly etag: string
}

const cache = new Map<string, Cached>()
let distDir: string | undefined

/** The build directory: found once, looked for again while it is missing or once it disappears. */
const dist = (): string | undefined => {
  if (distDir !== undefined && fs.existsSync(path.join(distDir, "index.html"))) return distDir
  distDir = findDist()
  return distDir
}

/** A file of the build, read once while its size and modification time stay the same. */
const read = (file: string): Cached | undefined => {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    return undefined
  }
  if (!stat.isFile()) return undefined
  const hit = cache.get(file)
  if (hit !== undefined && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs) return hit
  const body = fs.readFileSync(file)
  const entry = {
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    body,
    etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`
  }
  cache.set(file, entry)
  return entry
}

const answer = (
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer
): void => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, "content-length": String(bytes.length) })
  res.end(req.method === "HEAD" ? undefined : bytes)
}

const plain = (
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  extra: Record<string, string> = {}
) =>
  answer(
    req,
    res,
    status,
    { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra },
    `${message}\n`
  )

/** The path below `/admin/`, decoded and checked: undefined when it is not a safe relative path. */
export const safeRelative = (rest: string): string | undefined => {
  let decoded: string
  try {
    decoded = decodeURIComponent(rest)
  } catch {
    return undefined
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined
  const segments = decoded.split("/").filter((s) => s !== "")
  if (segments.some((s) => s === ".." || s === ".")) return undefined
  return segments.join("/")
}

/**
 * Answers a request for the back office: true when `pathname` is `/admin` or under `/admin/`
 * (the response is then complete), false for anything else (the caller routes it).
 *
 * In `kaituan serve`: `if (adminRoute(req, res, pathname)) return` before its own routes.
 */
export const adminRoute = (req: IncomingMessage, res: ServerResponse, pathname: string): boolean => {
  if (pathname !== ADMIN_PREFIX && !pathname.startsWith(`${ADMIN_PREFIX}/`)) return false
  const method = req.method ?? "GET"
  if (method !== "GET" && method !== "HEAD") {
    plain(req, res, 405, "GET, HEAD only", { allow: "GET, HEAD" })
    return true
  }
  if (pathname === ADMIN_PREFIX) {
    answer(
      req,
      res,
      308,
      { location: `${ADMIN_PREFIX}/`, "cache-control": "no-store", "content-type": "text/plain; charset=utf-8" },
      `${ADMIN_PREFIX}/\n`
    )
    return true
  }
  const root = dist()
  if (root === undefined) {
    plain(req, res, 404, BUILD_HINT)
    return true
  }
  const rel = safeRelative(pathname.slice(ADMIN_PREFIX.length + 1))
  if (rel === undefined) {
    plain(req, res, 400, "bad path")
    return true
  }
  const wanted = rel === "" ? "index.html" : rel
  const file = path.resolve(root, wanted)
  if (file !== root && !file.startsWith(root + path.sep)) {
    plain(req, res, 400, "bad path")
    return true
  }
  let found = read(file)
  let served = file
  if (found !== undefined) {
    // A symbolic link inside the build must not lead out of it.
    try {
      const real = fs.realpathSync(file)
      if (!real.startsWith(root + path.sep)) found = undefined
    } catch {
      found = undefined
    }
  }
  if (found === undefined) {
    const last = wanted.slice(wanted.lastIndexOf("/") + 1)
    if (wanted.startsWith("assets/") || last.includes(".")) {
      plain(req, res, 404, "not found")
      return true
    }
    // A page of the app (`/admin/rounds/socks`): its index.html.
    served = path.join(root, "index.html")
    found = read(served)
    if (found === undefined) {
      plain(req, res, 404, BUILD_HINT)
      return true
    }
  }
  const immutable = served.startsWith(path.join(root, "assets") + path.sep)
  const headers: Record<string, string> = {
    "content-type": CONTENT_TYPES[path.extname(served).toLowerCase()] ?? "application/octet-stream",
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    etag: found.etag
  }
  if (req.headers["if-none-match"] === found.etag) {
    res.writeHead(304, { ...SECURITY_HEADERS, "cache-control": headers["cache-control"]!, etag: found.etag })
    res.end()
    return true
  }
  answer(req, res, 200, headers, found.body)
  return true
}
