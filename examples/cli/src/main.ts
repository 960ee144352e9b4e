/**
 * The `kaituan` command. Exit status: 0 success; 2 bad input or usage (the message names the
 * file, the line or row, and what is wrong); 1 anything else.
 *
 * This module stays small: a command's module (and what it needs: the server, the SQL drivers,
 * the spreadsheet reader…) is loaded only when that command runs (see `Commands.ts`).
 */
import fs from "node:fs"
import nodeModule from "node:module"
import os from "node:os"
import path from "node:path"
import process from "node:process"
import type { Writable } from "node:stream"
import { commandNames, commands } from "./Commands.js"
import { didYouMean, FlagError, type Io, redactUrls, UsageError } from "./Io.js"

const help = `kaituan — social group buying (社群團購) from the command line

Usage:
  kaituan demo                         run a whole group buy on a fresh SQLite file, step by step
  kaituan parse --round ROUND.json     parse comments (JSON Lines on stdin) into intents
  kaituan round replay --round ROUND.json --comments FILE [--format F] [--json]
  kaituan round import FILE.xlsx [--out ROUND.json] [--db DB]   a catalogue workbook to a round
  kaituan export --db DB --round ID --format xlsx|csv [--out FILE]   orders, lines, payments, shipments
  kaituan round publish --round ID [--db DB] [--json]   post the round's announcement to its conversations
  kaituan reconcile --orders ORDERS.json --statement FILE [--format F] [--json]
  kaituan serve [--port 8787] [--round ROUND.json]   webhooks, payments and the back-office API (/api/v1)
  kaituan token create --role organiser|helper [--label L]   an API token, printed once
  kaituan token list | kaituan token revoke ID
  kaituan slips --db DB --round ID [--status paid] [--orders ID,ID] --out slips.pdf [--format a4|thermal]
  kaituan picklist --db DB --round ID --out picklist.pdf [--by sku|pickup]   分貨單 per SKU or delivery method
  kaituan members --db DB [--segment EXPR] [--json]   members across channels and rounds: tags, tier, points
  kaituan report --db DB [--from DATE] [--to DATE] [--by product|round|channel|leader|region] [--json]   KPIs (經營分析)

Every command that keeps state takes --db PATH (SQLite, default ./kaituan.db) or --db postgres://…
Run "kaituan <command> --help" for a command's options. Docs: docs/cli.md`

/** Runs the command line `argv` (without `node` and the script) in the world `io`; returns the exit status. */
export const main = async (argv: ReadonlyArray<string>, io: Io): Promise<number> => {
  const [first, second, ...rest] = argv
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    io.stdout.write(`${help}\n`)
    return first === undefined ? 2 : 0
  }
  if (first === "--version") {
    io.stdout.write("kaituan 0.1.0\n")
    return 0
  }
  if (first === "token" && (second === undefined || second === "--help" || second === "-h")) {
    const { createUsage, listUsage, revokeUsage } = await import("./commands/token.js")
    io.stdout.write(`${createUsage}\n\n${listUsage}\n\n${revokeUsage}\n`)
    return second === undefined ? 2 : 0
  }
  const twoWords = first === "round" || first === "token"
  const name = twoWords ? `${first} ${second ?? ""}`.trimEnd() : first
  const args = twoWords ? rest : argv.slice(1)
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (load === undefined) {
    const guess = didYouMean(name, commandNames)
    io.stderr.write(
      `kaituan: unknown command ${JSON.stringify(redactUrls(name))}${guess !== undefined ? ` (did you mean "kaituan ${guess}"?)` : ""}\n\n${help}\n`
    )
    return 2
  }
  try {
    const command = await load()
    return await command(args, io)
  } catch (e) {
    if (e instanceof FlagError) {
      io.stderr.write(`kaituan: ${name}: ${e.message}\nRun "kaituan ${name} --help" for its options.\n`)
      return 2
    }
    if (e instanceof UsageError) {
      io.stderr.write(`kaituan: ${e.message}\n`)
      return 2
    }
    io.stderr.write(`kaituan: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return 1
  }
}

/**
 * When the reader of standard output goes away (`kaituan demo | head`), the command stops
 * quietly with status 0, as a command killed by SIGPIPE would stop, without a stack trace. A
 * reader of standard error going away is ignored (there is nowhere left to report it).
 */
const quietOnBrokenPipe = (stream: Writable, exit: boolean): void => {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e
    if (exit) process.exit(0)
  })
}

/**
 * Where V8 keeps the compiled code of the CLI's modules between runs, or `undefined` to keep none:
 * `kaituan-compile-cache-<uid>` in the system's temporary directory, never in the working
 * directory. Node's own `NODE_COMPILE_CACHE` (a directory of the user's choosing) and
 * `NODE_DISABLE_COMPILE_CACHE` take precedence. On a shared machine the directory must be ours
 * and closed to others (mode 0700, not a symbolic link): compiled code read from a directory
 * someone else can write would be code they chose, so any other directory is not used.
 */
export const compileCacheDir = (env: NodeJS.ProcessEnv, tmpdir = os.tmpdir()): string | undefined => {
  if (env.NODE_DISABLE_COMPILE_CACHE !== undefined || env.NODE_COMPILE_CACHE !== undefined) return undefined
  const uid = process.getuid?.()
  const dir = path.join(tmpdir, `kaituan-compile-cache-${uid ?? "user"}`)
  try {
    fs.mkdirSync(dir, { mode: 0o700 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") return undefined
  }
  try {
    const st = fs.lstatSync(dir)
    if (!st.isDirectory()) return undefined
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)) return undefined
    return dir
  } catch {
    return undefined
  }
}

/**
 * Turns on V8's compile cache (Node ≥ 22.1) in {@link compileCacheDir}: a command's modules are
 * then loaded from compiled code instead of compiled again on every run. Entries are keyed by
 * the source's content and the Node version, so a stale entry is never used. Any failure leaves
 * the cache off: it only saves start-up time.
 */
const enableCompileCache = (env: NodeJS.ProcessEnv): void => {
  if (typeof nodeModule.enableCompileCache !== "function") return
  const dir = compileCacheDir(env)
  if (dir === undefined) return
  try {
    nodeModule.enableCompileCache(dir)
  } catch {
    // start-up is slower, nothing else
  }
}

const isEntry = process.argv[1] !== undefined && /(?:main|kaituan)(?:\.[cm]?js)?$/.test(process.argv[1])
if (isEntry) {
  enableCompileCache(process.env)
  quietOnBrokenPipe(process.stdout, true)
  quietOnBrokenPipe(process.stderr, false)
  main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env
  }).then(
    (code) => {
      process.exitCode = code
    },
    (e) => {
      process.stderr.write(`kaituan: ${String(e)}\n`)
      process.exitCode = 1
    }
  )
}
