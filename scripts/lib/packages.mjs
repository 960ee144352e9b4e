// Shared by scripts/check-packages.mjs and scripts/outsider.mjs: the published packages, their
// build, and `pnpm pack` into a folder (pnpm, not npm: only pnpm applies `publishConfig` and turns
// `workspace:^` into a version range, so only its tarball is what users get).
import { spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..")

/** Every `packages/*` package that is not private: what `changeset publish` publishes. */
export const publishedPackages = () =>
  fs
    .readdirSync(path.join(root, "packages"))
    .sort()
    .map((name) => path.join(root, "packages", name))
    .filter((dir) => fs.existsSync(path.join(dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ dir, name: manifest.name, version: manifest.version, manifest }))

// pnpm 12 records the `packageManager` pin in pnpm-lock.yaml; where the registry lacks that pnpm's
// per-platform binaries it cannot, and then refuses frozen installs (CI) and `pnpm pack` in other
// checkouts. The running pnpm is the pinned one in CI (.ci/run installs it), so nothing is lost.
export const pnpmEnv = { ...process.env, PNPM_CONFIG_PM_ON_FAIL: process.env.PNPM_CONFIG_PM_ON_FAIL ?? "ignore" }

/** Runs a command; returns { status, stdout, stderr, ms }. Output is captured unless `inherit`. */
export const run = (cmd, args, options = {}) => {
  const started = Date.now()
  const r = spawnSync(cmd, args, {
    cwd: options.cwd ?? root,
    env: options.env ?? pnpmEnv,
    encoding: "utf8",
    stdio: options.inherit ? "inherit" : "pipe",
    timeout: options.timeout,
    maxBuffer: 64 * 1024 * 1024,
    input: options.input
  })
  return {
    status: r.status ?? (r.signal ? 128 : 1),
    signal: r.signal,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    error: r.error,
    ms: Date.now() - started
  }
}

export const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`

/** Builds every published package (turbo: dependencies first, cached when nothing changed). */
export const buildPackages = () => {
  console.log("▶ build (turbo run build --filter=./packages/*)")
  const r = run(
    "pnpm",
    [
      "exec",
      "turbo",
      "run",
      "build",
      "--filter=./packages/*",
      "--output-logs=errors-only",
      "--continue=dependencies-successful"
    ],
    {
      inherit: true
    }
  )
  console.log(`  build ${r.status === 0 ? "ok" : "FAILED"} in ${seconds(r.ms)}`)
  return r.status === 0
}

/** A fresh temporary folder (kept when KAITUAN_KEEP_TMP is set, for debugging). */
export const tempDir = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`))

export const removeDir = (dir) => {
  if (process.env.KAITUAN_KEEP_TMP) console.log(`  (kept ${dir})`)
  else fs.rmSync(dir, { recursive: true, force: true })
}

/**
 * `pnpm pack`s every published package into `dest`. Returns [{ name, dir, tarball }] or throws
 * with pnpm's output. A package without `dist/` is refused: it was not built.
 */
export const packAll = (dest) => {
  const out = []
  for (const pkg of publishedPackages()) {
    if (!fs.existsSync(path.join(pkg.dir, "dist"))) throw new Error(`${pkg.name}: no dist/ (build it first)`)
    const r = run("pnpm", ["pack", "--pack-destination", dest, "--json"], { cwd: pkg.dir })
    if (r.status !== 0) throw new Error(`pnpm pack ${pkg.name} failed:\n${r.stdout}\n${r.stderr}`)
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")))
    out.push({ ...pkg, tarball: json.filename, files: json.files.map((f) => f.path) })
  }
  return out
}

/** The catalog of pnpm-workspace.yaml (flat `name: version` lines), for the toolchain versions. */
export const catalog = () => {
  const text = fs.readFileSync(path.join(root, "pnpm-workspace.yaml"), "utf8")
  const body = text.split(/^catalog:\s*$/m)[1] ?? ""
  const entries = {}
  for (const line of body.split("\n")) {
    if (/^\S/.test(line)) break
    const m = /^\s+("?)([^":\s]+)\1:\s*(\S+)\s*$/.exec(line)
    if (m) entries[m[2]] = m[3].replace(/^["']|["']$/g, "")
  }
  return entries
}
