import { spawnSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { PassThrough } from "node:stream"
import type { Command } from "../src/Io.js"
import { main } from "../src/main.js"

export const fixtures = path.resolve(__dirname, "../fixtures")
export const repoRoot = path.resolve(__dirname, "../../..")
export const bin = path.resolve(__dirname, "../dist/main.js")

export const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-cli-"))

/** Runs a command (by default the whole CLI) in-process and collects its output. */
export const runIo = async (
  command: Command,
  argv: ReadonlyArray<string>,
  options: { readonly stdin?: string; readonly cwd?: string; readonly env?: Record<string, string | undefined> } = {}
) => {
  const out = new PassThrough()
  const err = new PassThrough()
  const input = new PassThrough()
  let stdout = ""
  let stderr = ""
  out.on("data", (d) => {
    stdout += d
  })
  err.on("data", (d) => {
    stderr += d
  })
  input.end(options.stdin ?? "")
  const code = await command(argv, {
    stdin: input,
    stdout: out,
    stderr: err,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env
  })
  return { code, stdout, stderr }
}

/** Runs the CLI in-process and collects its output. */
export const runCli = (argv: ReadonlyArray<string>, stdin = "") => runIo(main, argv, { stdin })

/** Runs the built `kaituan` binary as a user would. */
export const runBin = (argv: ReadonlyArray<string>, options: { input?: string; cwd?: string } = {}) => {
  const r = spawnSync(process.execPath, [bin, ...argv], {
    input: options.input ?? "",
    cwd: options.cwd ?? repoRoot,
    encoding: "utf8",
    timeout: 120_000
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
