/**
 * What a command gets from the outside world, so tests can run commands in-process.
 */
import type { Readable, Writable } from "node:stream"
import { parseArgs, type ParseArgsConfig } from "node:util"

export interface Io {
  readonly stdin: Readable
  readonly stdout: Writable
  readonly stderr: Writable
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
}

/**
 * Bad input or usage: the command exits with status 2 and prints the message, which names the
 * file, the line or row, and what is wrong.
 */
export class UsageError extends Error {
  override readonly name = "UsageError"
  readonly exitCode = 2
}

/** A command: its argv after the command words, the world, and its exit status. */
export type Command = (argv: ReadonlyArray<string>, io: Io) => Promise<number>

/** Parses flags with node:util, turning unknown or malformed flags into a UsageError. */
export const flags = <T extends NonNullable<ParseArgsConfig["options"]>>(argv: ReadonlyArray<string>, options: T) => {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}

/** Writes a line. */
export const println = (out: Writable, line = ""): void => {
  out.write(`${line}\n`)
}
