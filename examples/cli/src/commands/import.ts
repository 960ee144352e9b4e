/**
 * `kaituan round import FILE.xlsx [--out ROUND.json] [--db DB] [--json]`: a catalogue workbook
 * (docs/catalogue-sheet.md) to a round. Without --db it writes the round file (to --out, or to
 * standard output); with --db it opens the round in the database through the GroupBuy service
 * (and writes --out as well when given). Bad cells exit 2, each named by sheet and cell:
 * `FILE.xlsx: 商品!C7: 價格 "一百" is not a number`.
 */
import fs from "node:fs"
import path from "node:path"
import { Catalogue } from "@kaituan/documents"
import { GroupBuy, Storage } from "@kaituan/core"
import { Effect, Result } from "effect"
import { type Command, describeFsError, flags, readInputFile, UsageError } from "../Io.js"

export const usage = `kaituan round import FILE.xlsx [--out ROUND.json] [--db PATH|postgres://…]

Reads a catalogue workbook: a sheet named 商品 (or the first sheet with a header row naming 品名 and
價格), one row per sellable item — 品名, 規格 (顏色:紅/白), 價格, 庫存 or 預購 with 上限, 別名,
商品編號 (Chinese or English headers) — and the round's 團號, 團名, 截單 on a 開團 sheet or above
the header row (docs/catalogue-sheet.md). Without --db it writes the round file (docs/cli.md) to
--out, or to standard output; with --db it opens the round in that database. The round's id and
title default to the file's name. Problems exit 2, each named by sheet and cell (商品!C7).`

/** The arguments: one FILE and the options. */
const split = (argv: ReadonlyArray<string>): { file: string | undefined; rest: Array<string> } => {
  const rest: Array<string> = []
  const files: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--out" || a === "--db") {
      rest.push(a)
      if (i + 1 < argv.length) rest.push(argv[++i]!)
    } else if (a.startsWith("-") && a !== "-") rest.push(a)
    else files.push(a)
  }
  if (files.length > 1) throw new UsageError(`round import: expected one workbook, got ${files.length}`)
  return { file: files[0], rest }
}

export const run: Command = async (argv, io) => {
  const { file, rest } = split(argv)
  const { values } = flags(rest, {
    out: { type: "string" },
    db: { type: "string" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (file === undefined) throw new UsageError("round import: the workbook FILE.xlsx is required")
  const bytes = readInputFile(file, "the workbook", io.cwd)
  const base = path.basename(file).replace(/\.[^.]+$/, "")
  const read = await Effect.runPromise(
    Effect.result(
      Catalogue.read(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
        defaults: { id: base, title: base }
      })
    )
  )
  if (Result.isFailure(read)) {
    const e = read.failure
    if (e.problems.length === 0) throw new UsageError(`${file}: ${e.message}`)
    const shown = e.problems.slice(0, 50).map((p) => `${file}: ${Catalogue.describe(p)}`)
    if (e.problems.length > shown.length) shown.push(`${file}: … and ${e.problems.length - shown.length} more problems`)
    throw new UsageError(shown.join("\nkaituan: "))
  }
  const { spec, file: roundFile, warnings } = read.success
  for (const w of warnings) io.stderr.write(`kaituan: warning: ${file}: ${Catalogue.describe(w)}\n`)
  const json = `${JSON.stringify(roundFile, null, 2)}\n`
  const skus = spec.products.reduce((n, p) => n + Math.max(1, p.variants?.length ?? 0), 0)
  const summary = `${spec.title} (${spec.id}): ${spec.products.length} products, ${skus} SKUs${spec.cutoff === undefined ? "" : `, cutoff ${spec.cutoff}`}`
  if (values.out !== undefined) {
    try {
      fs.writeFileSync(path.resolve(io.cwd, values.out), json)
    } catch (e) {
      throw new UsageError(`round import: cannot write ${values.out}: ${describeFsError(e)}`)
    }
  }
  if (values.db === undefined) {
    if (values.out === undefined) io.stdout.write(json)
    else io.stdout.write(`wrote ${values.out}: ${summary}\n`)
    return 0
  }
  const { dbIn, runApp } = await import("../Engine.js")
  const opened = await runApp(
    dbIn(values.db, io.cwd),
    Effect.gen(function* () {
      const storage = yield* Storage.Storage
      if ((yield* storage.document("rounds", spec.id)) !== undefined) return false
      yield* (yield* GroupBuy.GroupBuy).openRound({ spec })
      return true
    })
  )
  io.stdout.write(
    opened
      ? `opened ${summary}\n`
      : `round ${spec.id} is already in the database: not changed (${summary} in the workbook)\n`
  )
  return 0
}
