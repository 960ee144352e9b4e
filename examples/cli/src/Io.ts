/**
 * What a command gets from the outside world, so tests can run commands in-process; and the
 * shared mechanisms every command uses to talk to it: flags, input files, JSON, buffered output.
 */
import fs from "node:fs"
import nodePath from "node:path"
import type { Readable, Writable } from "node:stream"
import { type ParseArgsConfig, parseArgs } from "node:util"

/** The command's world: its standard streams, working directory and environment. */
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
  override readonly name: string = "UsageError"
  readonly exitCode = 2
}

/**
 * A bad flag or argument (unknown option, missing value, stray argument): a {@link UsageError}
 * that `main` prefixes with the command's name and follows with a pointer to its `--help`.
 */
export class FlagError extends UsageError {
  override readonly name = "FlagError"
}

/** A command: its argv after the command words, the world, and its exit status. */
export type Command = (argv: ReadonlyArray<string>, io: Io) => Promise<number>

// ---------------------------------------------------------------------------------------------
// "Did you mean …?"
// ---------------------------------------------------------------------------------------------

/** The optimal-string-alignment edit distance: insertions, deletions, substitutions and swaps of neighbours. */
export const editDistance = (a: string, b: string): number => {
  let before = new Array<number>(b.length + 1).fill(0)
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  let cur = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1)
      cur[j] = d
    }
    ;[before, prev, cur] = [prev, cur, before]
  }
  return prev[b.length]!
}

/**
 * The candidate `word` was most likely meant to be: the closest by {@link editDistance} (ignoring
 * case) when it is at most a third of the word's length away (at least 1), else the only
 * candidate the word begins, else nothing.
 */
export const didYouMean = (word: string, candidates: Iterable<string>): string | undefined => {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  const prefixed: Array<string> = []
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
    if (w.length >= 3 && c.toLowerCase().startsWith(w)) prefixed.push(c)
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best
  return prefixed.length === 1 ? prefixed[0] : undefined
}

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/** Hides the password of a URL (`postgres://user:secret@host` → `postgres://user:***@host`) in text we echo. */
export const redactUrls = (text: string): string => text.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/g, "$1***@")

type Options = NonNullable<ParseArgsConfig["options"]>

const optionNames = (options: Options): Array<string> =>
  Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short !== undefined ? [`-${o.short}`] : [])])

/**
 * Parses flags with node:util. Every problem is a {@link FlagError} that says what is wrong in
 * plain words: an unknown option (with "did you mean --x?"), a missing value, a value given to a
 * switch, or an argument no command takes.
 */
export const flags = <T extends Options>(argv: ReadonlyArray<string>, options: T) => {
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true })
  const known = optionNames(options)
  for (const t of tokens) {
    if (t.kind === "option-terminator") continue
    if (t.kind === "positional")
      throw new FlagError(
        `unexpected argument ${JSON.stringify(redactUrls(t.value))} (this command takes only options: ${known.join(", ")})`
      )
    const spec = (options as Options)[t.name]
    if (spec === undefined) {
      // A one-letter option is one letter away from every other: no guess for those.
      const guess = t.rawName.startsWith("--") ? didYouMean(t.rawName, known) : undefined
      throw new FlagError(
        `unknown option ${t.rawName} (${guess !== undefined ? `did you mean ${guess}?` : `the options are ${known.join(", ")}`})`
      )
    }
    if (spec.type === "string") {
      if (t.value === undefined) throw new FlagError(`${t.rawName} needs a value`)
      if (!t.inlineValue && t.value.length > 1 && t.value.startsWith("-"))
        throw new FlagError(
          `${t.rawName} needs a value, not the option ${redactUrls(t.value)} (a value that starts with "-" is written ${t.rawName}=${redactUrls(t.value)})`
        )
    } else if (t.value !== undefined) throw new FlagError(`${t.rawName} takes no value`)
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  } catch (e) {
    throw new FlagError(e instanceof Error ? e.message : String(e))
  }
}

// ---------------------------------------------------------------------------------------------
// Input files
// ---------------------------------------------------------------------------------------------

const fsReasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  EIO: "input/output error",
  ERR_FS_FILE_TOO_LARGE: "the file is too large"
}

/** Why a file could not be read, in words (`no such file`, `permission denied`…). */
export const describeFsError = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  if (code !== undefined) return fsReasons[code] ?? code
  return e instanceof Error ? e.message : String(e)
}

/**
 * Reads a file the user named (relative to `cwd` when given). A problem is a UsageError
 * `cannot read <what> <path>: no such file` that names the path as the user wrote it.
 */
export const readInputFile = (path: string, what: string, cwd?: string): Buffer => {
  try {
    return fs.readFileSync(cwd === undefined ? path : nodePath.resolve(cwd, path))
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${describeFsError(e)}`)
  }
}

/** {@link readInputFile} as UTF-8 text. */
export const readTextFile = (path: string, what: string, cwd?: string): string =>
  readInputFile(path, what, cwd).toString("utf8")

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

// A JSON scanner over UTF-16 code units: validates exactly what JSON.parse accepts (the tests hold
// it to that), without building values. Positions are returned as `-1 - offset` for an error at
// `offset`, so that every non-negative answer is a position.

const isDigit = (c: number) => c >= 48 && c <= 57
const isHex = (c: number) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)

/** Past the JSON whitespace at `i`. */
const skipWs = (s: string, i: number): number => {
  for (let c = s.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = s.charCodeAt(++i));
  return i
}

/** At a `"`: past the string, or `-1 - offset` of the bad character. */
const scanString = (s: string, i: number): number => {
  const n = s.length
  for (i++; i < n; ) {
    const c = s.charCodeAt(i)
    if (c === 34) return i + 1
    if (c === 92) {
      const e = s.charCodeAt(i + 1)
      if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) i += 2
      else if (
        e === 117 &&
        isHex(s.charCodeAt(i + 2)) &&
        isHex(s.charCodeAt(i + 3)) &&
        isHex(s.charCodeAt(i + 4)) &&
        isHex(s.charCodeAt(i + 5))
      )
        i += 6
      else return -1 - Math.min(i + 1, n)
    } else if (c < 0x20) return -1 - i
    else i++
  }
  return -1 - n
}

/** At a number's first character: past the number, or `-1 - offset` of the bad character. */
const scanNumber = (s: string, i: number): number => {
  let c = s.charCodeAt(i)
  if (c === 45) c = s.charCodeAt(++i)
  if (c === 48) c = s.charCodeAt(++i)
  else if (c >= 49 && c <= 57) while (isDigit(c)) c = s.charCodeAt(++i)
  else return -1 - i
  if (c === 46) {
    c = s.charCodeAt(++i)
    if (!isDigit(c)) return -1 - i
    while (isDigit(c)) c = s.charCodeAt(++i)
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i)
    if (c === 43 || c === 45) c = s.charCodeAt(++i)
    if (!isDigit(c)) return -1 - i
    while (isDigit(c)) c = s.charCodeAt(++i)
  }
  return i
}

/** At a value's first character (not whitespace): past a scalar, or `-1 - offset`; containers go to {@link scanValue}. */
const scanScalar = (s: string, i: number): number => {
  const c = s.charCodeAt(i)
  if (c === 34) return scanString(s, i)
  if (c === 116) return s.startsWith("true", i) ? i + 4 : -1 - i
  if (c === 102) return s.startsWith("false", i) ? i + 5 : -1 - i
  if (c === 110) return s.startsWith("null", i) ? i + 4 : -1 - i
  return scanNumber(s, i)
}

/**
 * At a value's first character (not whitespace): past the value, or `-1 - offset` of the first bad
 * character. Iterative, so deeply nested input cannot overflow the stack.
 */
const scanValue = (s: string, i: number): number => {
  const c0 = s.charCodeAt(i)
  if (c0 !== 123 && c0 !== 91) return scanScalar(s, i)
  const closers: Array<number> = [] // 125 "}" or 93 "]" for each open container
  let state: 0 | 1 | 2 = 0 // 0 a value, 1 a key, 2 after a value
  for (;;) {
    i = skipWs(s, i)
    if (state === 0) {
      const c = s.charCodeAt(i)
      if (c === 123 || c === 91) {
        const close = c === 123 ? 125 : 93
        i = skipWs(s, i + 1)
        if (s.charCodeAt(i) === close) {
          i++
          state = 2
        } else {
          closers.push(close)
          state = c === 123 ? 1 : 0
        }
        continue
      }
      i = scanScalar(s, i)
      if (i < 0) return i
      state = 2
    } else if (state === 1) {
      if (s.charCodeAt(i) !== 34) return -1 - i
      i = scanString(s, i)
      if (i < 0) return i
      i = skipWs(s, i)
      if (s.charCodeAt(i) !== 58) return -1 - i
      i++
      state = 0
    } else {
      const top = closers[closers.length - 1]
      if (top === undefined) return i
      const c = s.charCodeAt(i)
      if (c === 44) {
        i++
        state = top === 125 ? 1 : 0
      } else if (c === top) {
        i++
        closers.pop()
      } else return -1 - i
    }
  }
}

/**
 * The offset of the first character that makes `text` invalid JSON (`text.length` for a text
 * that ends too early), or -1 for valid JSON.
 */
export const jsonErrorOffset = (text: string): number => {
  const end = scanValue(text, skipWs(text, 0))
  if (end < 0) return -1 - end
  const j = skipWs(text, end)
  return j < text.length ? j : -1
}

/** `line L, column C` (1-based) of an offset in a text. */
export const lineAndColumn = (text: string, offset: number): string => {
  let line = 1
  let start = 0
  for (let nl = text.indexOf("\n"); nl >= 0 && nl < offset; nl = text.indexOf("\n", nl + 1)) {
    line++
    start = nl + 1
  }
  return `line ${line}, column ${offset - start + 1}`
}

/** Where a JSON text stops being valid, as `line L, column C`. */
export const jsonErrorAt = (text: string): string => {
  const at = jsonErrorOffset(text)
  return lineAndColumn(text, at < 0 ? text.length : at)
}

/**
 * Where and why a text is not JSON, without quoting it (it may hold personal data; `JSON.parse`'s
 * own message quotes the input): the offset and `unexpected "}"`, `it ends too early`….
 */
export const jsonProblem = (text: string): { readonly at: number; readonly what: string } => {
  const found = jsonErrorOffset(text)
  const at = found < 0 ? text.length : found
  const c = text.codePointAt(at)
  const what =
    c === undefined
      ? "it ends too early"
      : c < 0x20
        ? `unexpected control character U+${c.toString(16).toUpperCase().padStart(4, "0")}`
        : `unexpected ${JSON.stringify(String.fromCodePoint(c))}`
  return { at, what }
}

/** `line L, column C: not valid JSON (unexpected "}")` for a text that is not JSON. */
export const describeJsonError = (text: string): string => {
  const { at, what } = jsonProblem(text)
  return `${lineAndColumn(text, at)}: not valid JSON (${what})`
}

/**
 * Parses the JSON text of a file the user named (a byte-order mark is allowed). Invalid JSON is a
 * UsageError `<path>: line L, column C: not valid JSON (…)`; an empty file says so.
 */
export const parseJsonText = (path: string, what: string, text: string): unknown => {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  if (body.trim() === "") throw new UsageError(`${path}: the file is empty (expected ${what} as JSON)`)
  try {
    return JSON.parse(body)
  } catch {
    throw new UsageError(`${path}: ${describeJsonError(body)}`)
  }
}

/** Reads and parses a JSON file the user named: {@link readTextFile} then {@link parseJsonText}. */
export const readJsonFile = (path: string, what: string, cwd?: string): unknown =>
  parseJsonText(path, what, readTextFile(path, what, cwd))

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const needsEscape = /["\\\u0000-\u001f\ud800-\udfff]/

/** `JSON.stringify(s)` for a string, byte for byte, skipping the encoder when nothing needs escaping. */
export const jsonString = (s: string): string => (needsEscape.test(s) ? JSON.stringify(s) : `"${s}"`)

/** `JSON.stringify(n)` for a number. */
export const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : "null")

/**
 * `JSON.stringify(v, null, 2)` (with `indent` in front of every line but the first), byte for
 * byte, for plain data: objects, arrays, strings, finite numbers, booleans, null; `undefined`
 * and functions are left out of objects and `null` in arrays; `toJSON` is honoured. `undefined`
 * when the value itself has no JSON (as `JSON.stringify` returns).
 */
export const prettyJson = (v: unknown, indent = ""): string | undefined => {
  switch (typeof v) {
    case "string":
      return jsonString(v)
    case "number":
      return jsonNumber(v)
    case "boolean":
      return v ? "true" : "false"
    case "undefined":
    case "function":
    case "symbol":
      return undefined
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt")
  }
  if (v === null) return "null"
  const toJson = (v as { toJSON?: unknown }).toJSON
  if (typeof toJson === "function") return prettyJson(toJson.call(v), indent)
  const inner = `${indent}  `
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]"
    let s = "[\n"
    for (let i = 0; i < v.length; i++) s += `${i > 0 ? ",\n" : ""}${inner}${prettyJson(v[i], inner) ?? "null"}`
    return `${s}\n${indent}]`
  }
  let s = ""
  for (const k of Object.keys(v as object)) {
    const e = prettyJson((v as Record<string, unknown>)[k], inner)
    if (e === undefined) continue
    s += `${s === "" ? "" : ",\n"}${inner}${jsonString(k)}: ${e}`
  }
  return s === "" ? "{}" : `{\n${s}\n${indent}}`
}

/**
 * Collects output text and writes it in large chunks, waiting when the stream asks to (so a slow
 * reader never makes the command hold all its output in memory).
 */
export interface ChunkedWriter {
  /** Adds text. */
  readonly push: (s: string) => void
  /** Whether a chunk's worth is collected (then {@link ChunkedWriter.flush} it). */
  readonly full: () => boolean
  /** Writes everything collected, waiting for the stream to drain if it asks to. */
  readonly flush: () => Promise<void>
}

/** Resolves when `out` drains (after a `write` asked to wait) or closes (its reader went away). */
export const drained = (out: Writable): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = () => {
      out.off("drain", done)
      out.off("close", done)
      resolve()
    }
    out.on("drain", done)
    out.on("close", done)
  })

/** A {@link ChunkedWriter} over `out`, writing chunks of about `chunk` UTF-16 code units. */
export const chunkedWriter = (out: Writable, chunk = 1 << 17): ChunkedWriter => {
  let pending = ""
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return
    const ok = out.write(pending)
    pending = ""
    if (!ok && !out.destroyed) await drained(out)
  }
  return {
    push: (s) => {
      pending += s
    },
    full: () => pending.length >= chunk,
    flush
  }
}

/** Writes a line. */
export const println = (out: Writable, line = ""): void => {
  out.write(`${line}\n`)
}
