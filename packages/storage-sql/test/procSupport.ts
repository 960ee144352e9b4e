/**
 * The test scripts of `test/procs`, run as real processes (`node --import tsx`), with their
 * stdout lines collected as they come.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"

const pkgDir = path.resolve(import.meta.dirname, "..")
const procs = path.join(import.meta.dirname, "procs")

/** A running script. */
export interface Proc {
  readonly child: ChildProcessWithoutNullStreams
  readonly lines: Array<string>
  readonly stderr: () => string
  /** Resolves when a stdout line satisfies `pred`. */
  readonly waitFor: (pred: (lines: ReadonlyArray<string>) => boolean) => Promise<void>
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `test/procs/<script>` with `args`. */
export const run = (script: string, args: ReadonlyArray<string>): Proc => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(procs, script), ...args], {
    cwd: pkgDir,
    stdio: ["pipe", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  let err = ""
  let partial = ""
  const waiters: Array<() => void> = []
  child.stdout.setEncoding("utf8")
  child.stdout.on("data", (chunk: string) => {
    partial += chunk
    const parts = partial.split("\n")
    partial = parts.pop() ?? ""
    lines.push(...parts)
    for (const w of [...waiters]) w()
  })
  child.stderr.setEncoding("utf8")
  child.stderr.on("data", (chunk: string) => {
    err += chunk
  })
  // "close", not "exit": it comes after the last stdout data, so `lines` is complete.
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      for (const w of [...waiters]) w()
      resolve({ code, signal })
    })
  )
  const waitFor = (pred: (lines: ReadonlyArray<string>) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pred(lines)) {
          waiters.splice(waiters.indexOf(check), 1)
          resolve()
        } else if (child.exitCode !== null || child.signalCode !== null) {
          waiters.splice(waiters.indexOf(check), 1)
          reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) first; stderr:\n${err}`))
        }
      }
      waiters.push(check)
      check()
    })
  return { child, lines, stderr: () => err, waitFor, exit }
}

/** Waits for the script to exit; throws with its stderr unless it exited 0. */
export const succeed = async (p: Proc, name: string) => {
  const { code, signal } = await p.exit
  if (code !== 0) throw new Error(`${name} failed (${code ?? signal}):\n${p.stderr()}`)
}
