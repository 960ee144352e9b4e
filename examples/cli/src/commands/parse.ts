/**
 * `kaituan parse --round ROUND.json [--mode marker|lenient]` (CLI.md): comments as JSON Lines on
 * standard input → one parse result per comment, in order, as JSON Lines on standard output.
 *
 * Input is streamed line by line and output is written in large chunks, so the command keeps up
 * with the parser (hundreds of thousands of comments a second) and runs in constant memory.
 */
import path from "node:path"
import { StringDecoder } from "node:string_decoder"
import type { Writable } from "node:stream"
import type { ParseResult } from "@kaituan/core"
import { Parser } from "@kaituan/parser"
import { type Command, flags, UsageError } from "../Io.js"
import { loadRound } from "../RoundFile.js"

const CHUNK = 1 << 16

/** Buffered writer honouring back-pressure. */
const writer = (out: Writable) => {
  let pending = ""
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return
    const ok = out.write(pending)
    pending = ""
    if (!ok) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
  }
  return {
    push: (s: string): void => {
      pending += s
    },
    full: (): boolean => pending.length >= CHUNK,
    flush
  }
}

const describeValue = (v: unknown): string => (v === undefined ? "missing" : v === null ? "null" : typeof v)

/** One output line (CLI.md): id, intent, lines, reason; amount/last5 for payments; likely for review. */
const render = (id: string | number, r: ParseResult.ParseResult): string => {
  let s = `{"id":${JSON.stringify(id)},"intent":"${r.intent}","lines":[`
  for (let i = 0; i < r.lines.length; i++) {
    const l = r.lines[i]!
    s += `${i > 0 ? "," : ""}{"sku":${l.sku === null ? "null" : JSON.stringify(l.sku)},"qty":${l.qty}}`
  }
  s += `],"reason":${JSON.stringify(r.reason)}`
  if (r.amount !== undefined) s += `,"amount":${r.amount}`
  if (r.last5 !== undefined) s += `,"last5":"${r.last5}"`
  if (r.likely !== undefined) s += `,"likely":"${r.likely}"`
  return `${s}}\n`
}

/** `kaituan parse`. */
export const run: Command = async (argv, io) => {
  const { values } = flags(argv, { round: { type: "string" }, mode: { type: "string" } })
  if (values.round === undefined) throw new UsageError("parse: --round ROUND.json is required")
  if (values.mode !== undefined && values.mode !== "marker" && values.mode !== "lenient")
    throw new UsageError(`parse: --mode must be marker or lenient, not "${values.mode}"`)
  const file = path.resolve(io.cwd, values.round)
  const round = loadRound(file)
  const settings: ParseResult.ParserSettings = {
    mode: values.mode ?? round.spec.mode,
    maxQtyPerLine: round.spec.maxQtyPerLine,
    extraMarkers: round.spec.extraMarkers,
    extraFillers: round.spec.extraFillers
  }
  const parser = Parser.compile({ catalogue: round.catalogue, settings })
  const out = writer(io.stdout)
  const decoder = new StringDecoder("utf8")
  let lineNo = 0
  let rest = ""
  const handle = (raw: string): void => {
    lineNo++
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    if (line.trim().length === 0) return
    let comment: unknown
    try {
      comment = JSON.parse(lineNo === 1 && line.charCodeAt(0) === 0xfeff ? line.slice(1) : line)
    } catch (e) {
      throw new UsageError(`<stdin> line ${lineNo}: not JSON (${e instanceof Error ? e.message : String(e)})`)
    }
    if (typeof comment !== "object" || comment === null || Array.isArray(comment))
      throw new UsageError(`<stdin> line ${lineNo}: expected a JSON object with "id" and "text"`)
    const { id, text } = comment as { id?: unknown; text?: unknown }
    if (typeof id !== "string" && typeof id !== "number")
      throw new UsageError(`<stdin> line ${lineNo}: "id" must be a string (it is ${describeValue(id)})`)
    if (typeof text !== "string")
      throw new UsageError(`<stdin> line ${lineNo}: "text" must be a string (it is ${describeValue(text)})`)
    out.push(render(id, parser.parse(text)))
  }
  for await (const chunk of io.stdin) {
    const data = rest + (typeof chunk === "string" ? chunk : decoder.write(chunk as Buffer))
    let start = 0
    for (let nl = data.indexOf("\n", start); nl >= 0; nl = data.indexOf("\n", start)) {
      handle(data.slice(start, nl))
      start = nl + 1
    }
    if (out.full()) await out.flush()
    rest = data.slice(start)
  }
  rest += decoder.end()
  if (rest.length > 0) handle(rest)
  await out.flush()
  return 0
}
