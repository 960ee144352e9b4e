/**
 * The `kaituan` command. Exit status: 0 success; 2 bad input or usage (the message names the
 * file, the line or row, and what is wrong); 1 anything else.
 */
import process from "node:process"
import { type Command, type Io, UsageError } from "./Io.js"
import { commands } from "./Commands.js"

const help = `kaituan — social group buying (社群團購) from the command line

Usage:
  kaituan demo                         run a whole group buy on a fresh SQLite file, step by step
  kaituan parse --round ROUND.json     parse comments (JSON Lines on stdin) into intents
  kaituan round replay --round ROUND.json --comments FILE [--format F] [--json]
  kaituan reconcile --orders ORDERS.json --statement FILE [--format F] [--json]
  kaituan serve [--port 8787] [--round ROUND.json]

Every command that keeps state takes --db PATH (SQLite, default ./kaituan.db) or --db postgres://…
Run "kaituan <command> --help" for a command's options. Docs: docs/cli.md`

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
  let command: Command | undefined
  let args: ReadonlyArray<string>
  if (first === "round") {
    command = second === undefined ? undefined : commands[`round ${second}`]
    args = rest
    if (!command) {
      io.stderr.write(`kaituan: unknown command "round ${second ?? ""}" (try "round replay")\n`)
      return 2
    }
  } else {
    command = commands[first]
    args = second === undefined ? rest : [second, ...rest]
  }
  if (!command) {
    io.stderr.write(`kaituan: unknown command "${first}"\n\n${help}\n`)
    return 2
  }
  try {
    return await command(args, io)
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`kaituan: ${e.message}\n`)
      return 2
    }
    io.stderr.write(`kaituan: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return 1
  }
}

const isEntry = process.argv[1] !== undefined && /(?:main|kaituan)(?:\.[cm]?js)?$/.test(process.argv[1])
if (isEntry) {
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
