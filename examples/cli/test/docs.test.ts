/**
 * Every command in a `sh` block of examples/cli/README.md and docs/cli.md runs as written, from
 * the repository root, with the built CLI.
 *
 * - `pnpm kaituan …` / `pnpm -s kaituan …` lines run in bash (with `set -o pipefail`) in a scratch
 *   directory laid out like the repository root (`examples/` and `packages/` link to the real
 *   ones, so the documented paths resolve and the files the commands write stay out of the
 *   repository). There `pnpm` is a stand-in for the root `kaituan` script, which is checked to be
 *   `node examples/cli/dist/main.js`; one test runs the real `pnpm kaituan` from the real root and
 *   checks its standard output is the command's alone.
 * - `export` lines set the environment of the lines after them; `pnpm install` is the
 *   precondition of every test (the CLI is built).
 * - A `kaituan serve` line runs in the background until the block ends (the documented port is
 *   swapped for a free one); it must answer `/healthz`, and stop with exit status 0 on SIGTERM.
 * - A bare `kaituan …` line is a synopsis: each option it names must be in the command's `--help`.
 */
import { spawn, spawnSync } from "node:child_process"
import fs from "node:fs"
import net from "node:net"
import path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { bin, fixtures, repoRoot, tmpDir } from "./support.js"

const docs = ["examples/cli/README.md", "docs/cli.md"]

/** The `sh` blocks of a Markdown file, each as its lines. */
const shBlocks = (file: string): Array<Array<string>> =>
  [...fs.readFileSync(path.join(repoRoot, file), "utf8").matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) =>
    m[1]!.split("\n").filter((l) => l.trim() !== "")
  )

/** A line without its trailing `# comment`. */
const command = (line: string) => line.replace(/\s+#\s.*$/, "").trim()

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** A scratch repository root: `examples/` and `packages/` link to the real ones; `pnpm` runs the root script. */
const scratchRoot = () => {
  const root = tmpDir()
  for (const d of ["examples", "packages"]) fs.symlinkSync(path.join(repoRoot, d), path.join(root, d))
  const shims = path.join(root, ".shims")
  fs.mkdirSync(shims)
  const script = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).scripts.kaituan as string
  fs.writeFileSync(
    path.join(shims, "pnpm"),
    `#!/bin/sh
# The root package.json's "kaituan" script, run as pnpm runs it (in the repository root).
[ "$1" = "-s" ] && shift
[ "$1" = "kaituan" ] || { echo "docs test: only 'pnpm kaituan …' runs here, not 'pnpm $*'" >&2; exit 97; }
shift
exec ${script} "$@"
`,
    { mode: 0o755 }
  )
  return { root, env: { ...process.env, PATH: `${shims}${path.delimiter}${process.env.PATH}` } }
}

const synopsisOptions = (line: string) => {
  const words = line.split(/\s+/).slice(1)
  const name = words[0] === "round" || words[0] === "token" ? words.slice(0, 2) : words.slice(0, 1)
  return { name, options: [...line.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]) }
}

/** Runs one block; returns what each line printed, for the checks. */
const runBlock = async (lines: ReadonlyArray<string>) => {
  const { root, env } = scratchRoot()
  const port = String(await freePort())
  const exports: Array<string> = []
  let server: ReturnType<typeof spawn> | undefined
  let serverExit: Promise<number | null> | undefined
  const ran: Array<{ line: string; code: number | null; stdout: string; stderr: string }> = []
  try {
    for (const raw of lines) {
      const line = command(raw).replaceAll("8787", port)
      if (line === "pnpm install") continue
      if (line.startsWith("export ")) {
        exports.push(line)
        continue
      }
      if (line.startsWith("kaituan ")) {
        const { name, options } = synopsisOptions(line)
        const help = spawnSync(process.execPath, [bin, ...name, "--help"], { encoding: "utf8" })
        expect(help.status, `${line}: --help`).toBe(0)
        for (const o of options) expect(help.stdout, `${line}: ${o} in --help`).toContain(o)
        continue
      }
      const script = `set -o pipefail\n${exports.join("\n")}\n`
      if (/\bkaituan serve\b/.test(line)) {
        server = spawn("bash", ["-c", `${script}exec ${line}`], { cwd: root, env, stdio: "ignore" })
        serverExit = new Promise((resolve) => server!.once("exit", (code) => resolve(code)))
        const deadline = Date.now() + 30_000
        for (;;) {
          const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.ok,
            () => false
          )
          if (ok) break
          if (Date.now() > deadline || server.exitCode !== null) throw new Error(`${line}: the server did not start`)
          await new Promise((r) => setTimeout(r, 100))
        }
        continue
      }
      expect(line, "a documented command is `pnpm kaituan …`, `kaituan …` (a synopsis) or curl").toMatch(
        /^(?:pnpm (?:-s )?kaituan |curl )/
      )
      const r = spawnSync("bash", ["-c", script + line], { cwd: root, env, encoding: "utf8", timeout: 120_000 })
      ran.push({ line, code: r.status, stdout: r.stdout, stderr: r.stderr })
      expect(r.status, `${line}\n${r.stderr}`).toBe(0)
    }
  } finally {
    if (server !== undefined && server.exitCode === null) server.kill("SIGTERM")
  }
  if (serverExit !== undefined) expect(await serverExit, "the server stops with status 0 on SIGTERM").toBe(0)
  return ran
}

describe("the documented commands run as written", () => {
  it("the root kaituan script runs the built CLI", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"))
    expect(pkg.scripts.kaituan).toBe("node examples/cli/dist/main.js")
    expect(path.resolve(repoRoot, "examples/cli/dist/main.js")).toBe(bin)
  })

  for (const doc of docs) {
    const blocks = shBlocks(doc)
    it(`${doc} has commands to run`, () => {
      expect(blocks.flat().some((l) => /^pnpm (?:-s )?kaituan /.test(command(l)))).toBe(true)
    })
    blocks.forEach((lines, i) => {
      it(`${doc}, block ${i + 1}: ${command(lines[0]!).slice(0, 60)}`, async () => {
        const ran = await runBlock(lines)
        for (const r of ran) {
          // What a script reads from standard output is the command's output alone.
          if (/\s>\s/.test(r.line)) continue
          if (/--json\b/.test(r.line)) expect(() => JSON.parse(r.stdout), r.line).not.toThrow()
          if (/kaituan parse\b/.test(r.line))
            for (const l of r.stdout.trim().split("\n")) expect(() => JSON.parse(l), r.line).not.toThrow()
        }
      }, 180_000)
    })
  }

  it("`pnpm kaituan …` from the repository root writes only the command's output on stdout", () => {
    const pnpm = process.env.npm_execpath?.includes("pnpm")
      ? process.env.npm_execpath
      : (process.env.PATH ?? "")
          .split(path.delimiter)
          .map((d) => path.join(d, "pnpm"))
          .find((p) => fs.existsSync(p))
    expect(pnpm, "pnpm on the PATH").toBeDefined()
    const input = fs.readFileSync(path.join(fixtures, "socks.comments.jsonl"))
    const args = ["parse", "--round", "examples/cli/fixtures/socks.round.json"]
    const direct = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, input, encoding: "utf8" })
    const [file, pre] = /\.[cm]?js$/.test(pnpm!) ? [process.execPath, [pnpm!]] : [pnpm!, []]
    const viaPnpm = spawnSync(file, [...pre, "kaituan", ...args], {
      cwd: repoRoot,
      input,
      encoding: "utf8",
      timeout: 60_000
    })
    expect(direct.status).toBe(0)
    expect(viaPnpm.status, viaPnpm.stderr).toBe(0)
    expect(viaPnpm.stdout).toBe(direct.stdout)
  }, 90_000)
})
