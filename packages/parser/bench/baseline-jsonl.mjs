#!/usr/bin/env node
// The end-to-end baseline for `kaituan parse`: a plain Node script that reads comments as JSON
// Lines on stdin, runs one regex per comment and writes one JSON line per comment.
import { StringDecoder } from "node:string_decoder"

const re = /[+＋]\s*\d+/
const decoder = new StringDecoder("utf8")
let rest = ""
let out = ""
const handle = (line) => {
  if (line.length === 0) return
  const c = JSON.parse(line)
  out += `${JSON.stringify({ id: c.id, intent: re.test(c.text) ? "order" : "none", lines: [], reason: "regex" })}\n`
}
const flush = () =>
  new Promise((resolve) => {
    if (out.length === 0) return resolve()
    const ok = process.stdout.write(out)
    out = ""
    if (ok) resolve()
    else process.stdout.once("drain", resolve)
  })
for await (const chunk of process.stdin) {
  const data = rest + decoder.write(chunk)
  let start = 0
  for (let nl = data.indexOf("\n"); nl >= 0; nl = data.indexOf("\n", start)) {
    handle(data.slice(start, nl))
    start = nl + 1
  }
  rest = data.slice(start)
  if (out.length > 65536) await flush()
}
handle(rest + decoder.end())
await flush()
