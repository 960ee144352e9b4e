/**
 * `kaituan round replay --round ROUND.json --comments FILE [--format F] [--json] [--db DB]`
 */
import { GroupBuy } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Effect } from "effect"
import { byTime, type Format, formats, guessFormat, lineOf, parseJsonl, readText } from "../Comments.js"
import { dbIn, runApp } from "../Engine.js"
import { type Command, flags, UsageError } from "../Io.js"
import { toJson, toTables } from "../Report.js"
import { loadRound } from "../RoundFile.js"
import { importers } from "../Importers.js"

export const usage = `kaituan round replay --round ROUND.json --comments FILE [--format jsonl|line-export|telegram-export|facebook-comments] [--json] [--db PATH|postgres://…]

Runs a whole round over a comment source, in time order, through the real state machines and
storage: orders, amendments, cancellations, stock, the cutoff.`

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    round: { type: "string" },
    comments: { type: "string" },
    format: { type: "string" },
    json: { type: "boolean", default: false },
    db: { type: "string", default: Database.defaultUrl },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (!values.round) throw new UsageError("round replay: --round ROUND.json is required")
  if (!values.comments) throw new UsageError("round replay: --comments FILE is required")
  // Paths are the command's own: relative to its --cwd, and named as given in errors.
  const round = loadRound(values.round, io.cwd)
  const text = readText(values.comments, io.cwd)
  const format = (values.format ?? guessFormat(text)) as Format
  if (!formats.includes(format))
    throw new UsageError(`round replay: unknown --format "${values.format}" (one of ${formats.join(", ")})`)
  const imported =
    format === "jsonl"
      ? { comments: parseJsonl(values.comments, text), warnings: [] }
      : importers[format](values.comments, text, round.spec)
  for (const w of imported.warnings) io.stderr.write(`kaituan: warning: ${w}\n`)
  const comments = byTime(imported.comments)
  const progress = comments.length >= 5000
  // Comments whose id another comment of the round (another author or text) already has: not
  // taken, and each reported by id and line, never silently dropped. Same id, author and text
  // again is a duplicate and skipped.
  const conflicts: Array<string> = []
  const report = await runApp(
    dbIn(values.db, io.cwd),
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      yield* g.openRound({ spec: round.spec, at: comments[0]?.at })
      const step = 5000
      for (let i = 0; i < comments.length; i += step) {
        const slice = comments.slice(i, i + step)
        const outcomes = yield* g.submitComments({ roundId: round.spec.id, comments: slice })
        outcomes.forEach((o, k) => {
          if (o.status !== "id-conflict") return
          const line = lineOf(slice[k]!)
          conflicts.push(`${values.comments}${line === undefined ? "" : ` line ${line}`}: ${o.reason}`)
        })
        if (progress)
          io.stderr.write(
            `\r  replayed ${Math.min(i + step, comments.length).toLocaleString("en-US")} / ${comments.length.toLocaleString("en-US")} comments`
          )
      }
      if (progress) io.stderr.write("\n")
      const shown = 50
      for (const c of conflicts.slice(0, shown)) io.stderr.write(`kaituan: warning: ${c}\n`)
      if (conflicts.length > shown)
        io.stderr.write(
          `kaituan: warning: ${values.comments}: ${conflicts.length - shown} more comments reuse an id and were not taken\n`
        )
      return yield* g.report(round.spec.id)
    })
  )
  io.stdout.write(
    values.json
      ? `${JSON.stringify(toJson(report), null, 2)}\n`
      : `${round.spec.title} (${round.spec.id}): ${comments.length} comments\n\n${toTables(report, round.catalogue)}\n`
  )
  return 0
}
