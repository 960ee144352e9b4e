/**
 * `kaituan parse --round ROUND.json [--mode marker|lenient]` (docs/cli.md): comments as JSON Lines
 * on standard input → one parse result per comment, in order, as JSON Lines on standard output.
 *
 * Input is streamed chunk by chunk (lines are cut from each chunk, never from the whole input)
 * and output is written in large chunks honouring back-pressure, so the command keeps up with
 * the parser (hundreds of thousands of comments a second) and runs in constant memory.
 */
import type { Writable } from "node:stream"
import { StringDecoder } from "node:string_decoder"
import type { ParseResult } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { type Command, drained, flags, jsonNumber, jsonProblem, jsonString, UsageError } from "../Io.js"
import { loadRound } from "../RoundFile.js"

export const usage = `kaituan parse --round ROUND.json [--mode marker|lenient]

Reads comments as JSON Lines on standard input ({"id": "c1", "text": "紅+1", …}; only "id" and
"text" are needed) and writes one result per comment, in order, as JSON Lines:
{"id":"c1","intent":"order","lines":[{"sku":"SOCK-R","qty":1}],"reason":"…"}.`

const describeValue = (v: unknown): string => (v === undefined ? "missing" : v === null ? "null" : typeof v)

/** The JSON of each SKU, computed once (a catalogue has few). */
const skuJson = new Map<string, string>()
const encodeSku = (sku: string): string => {
  let s = skuJson.get(sku)
  if (s === undefined) {
    s = jsonString(sku)
    skuJson.set(sku, s)
  }
  return s
}

/**
 * One output line (docs/cli.md): id, intent, lines, reason; amount/last5 for payments; likely for
 * review. Byte for byte what `JSON.stringify` writes for the same object.
 */
const render = (id: string | number, r: ParseResult.ParseResult): string => {
  let s = `{"id":${typeof id === "string" ? jsonString(id) : jsonNumber(id)},"intent":"${r.intent}","lines":[`
  for (let i = 0; i < r.lines.length; i++) {
    const l = r.lines[i]!
    s += `${i > 0 ? "," : ""}{"sku":${l.sku === null ? "null" : encodeSku(l.sku)},"qty":${jsonNumber(l.qty)}}`
  }
  s += `],"reason":${JSON.stringify(r.reason)}` // reasons quote the comment: they nearly always need escaping
  if (r.amount !== undefined) s += `,"amount":${jsonNumber(r.amount)}`
  if (r.last5 !== undefined) s += `,"last5":${jsonString(r.last5)}`
  if (r.likely !== undefined) s += `,"likely":${jsonString(r.likely)}`
  return `${s}}\n`
}

const CHUNK = 1 << 18

/**
 * Output as UTF-8 bytes: each line is encoded into a buffer as soon as it is rendered, and a
 * full buffer is handed to the stream. Encoding small lines one by one costs a fraction of
 * encoding one large concatenated string (which must first be flattened). {@link flush} waits
 * when the stream asks to, so a slow reader never makes the command hold more than about one
 * input chunk's output.
 */
const byteWriter = (out: Writable) => {
  let buf = Buffer.allocUnsafe(CHUNK)
  let used = 0
  let wait = false
  const write = (): void => {
    if (used === 0) return
    if (!out.write(buf.subarray(0, used))) wait = true
    buf = Buffer.allocUnsafe(CHUNK) // the stream may hold on to the bytes it was given
    used = 0
  }
  return {
    /** Adds one line. */
    push: (s: string): void => {
      // At most 3 UTF-8 bytes per UTF-16 code unit.
      if (used + s.length * 3 > buf.length) {
        write()
        if (s.length * 3 > buf.length) buf = Buffer.allocUnsafe(s.length * 3)
      }
      used += buf.write(s, used)
    },
    /** Whether about half a buffer is collected, or the stream asked to wait: time to {@link flush}. */
    full: (): boolean => wait || used >= CHUNK >> 1,
    /** Writes what is collected, then waits for the stream to drain if it asked to. */
    flush: async (): Promise<void> => {
      write()
      if (!wait || out.destroyed) return
      wait = false
      await drained(out)
    }
  }
}

/** `kaituan parse`. */
export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    round: { type: "string" },
    mode: { type: "string" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (values.round === undefined) throw new UsageError("parse: --round ROUND.json is required")
  if (values.mode !== undefined && values.mode !== "marker" && values.mode !== "lenient")
    throw new UsageError(`parse: --mode must be marker or lenient, not ${JSON.stringify(values.mode)}`)
  const round = loadRound(values.round, io.cwd)
  const settings: ParseResult.ParserSettings = {
    mode: values.mode ?? round.spec.mode,
    maxQtyPerLine: round.spec.maxQtyPerLine,
    extraMarkers: round.spec.extraMarkers,
    extraFillers: round.spec.extraFillers
  }
  const parser = Parser.compile({ catalogue: round.catalogue, settings })
  const out = byteWriter(io.stdout)
  const decoder = new StringDecoder("utf8")
  let lineNo = 0
  let rest = ""
  const handle = (raw: string): void => {
    lineNo++
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    const text = lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line
    let comment: unknown
    try {
      comment = JSON.parse(text)
    } catch {
      if (text.trim().length === 0) return
      // Where and why, without JSON.parse's message: it quotes the comment.
      const { at, what } = jsonProblem(text)
      throw new UsageError(`<stdin> line ${lineNo}, column ${at + 1}: not JSON (${what})`)
    }
    if (typeof comment !== "object" || comment === null || Array.isArray(comment))
      throw new UsageError(`<stdin> line ${lineNo}: expected a JSON object with "id" and "text"`)
    const { id, text: body } = comment as { id?: unknown; text?: unknown }
    if (typeof id !== "string" && typeof id !== "number")
      throw new UsageError(`<stdin> line ${lineNo}: "id" must be a string (it is ${describeValue(id)})`)
    if (typeof body !== "string")
      throw new UsageError(`<stdin> line ${lineNo}: "text" must be a string (it is ${describeValue(body)})`)
    out.push(render(id, parser.parse(body)))
  }
  for await (const chunk of io.stdin) {
    const data = rest + (typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer))
    let start = 0
    for (let nl = data.indexOf("\n"); nl >= 0; nl = data.indexOf("\n", start)) {
      handle(data.slice(start, nl))
      start = nl + 1
    }
    rest = data.slice(start)
    if (out.full()) await out.flush()
  }
  rest += decoder.end()
  if (rest.length > 0) handle(rest)
  await out.flush()
  return 0
}
