/**
 * `kaituan export --db DB --round ID --format xlsx|csv [--out FILE] [--table T]`: a round's
 * orders, lines, payments and shipments (docs/export.md). `xlsx` is one workbook with a sheet each;
 * `csv` is one table (`--table`, default `lines`: a row per order line, as helpers keep them),
 * UTF-8 with a BOM, written a page of orders at a time.
 */
import fs from "node:fs"
import path from "node:path"
import type { Writable } from "node:stream"
import { Export } from "@kaituan/documents"
import { Database } from "@kaituan/storage-sql"
import { Effect, Stream } from "effect"
import { type Command, describeFsError, drained, flags, UsageError } from "../Io.js"

export const usage = `kaituan export --db PATH|postgres://… --round ID --format xlsx|csv [--out FILE] [--table lines|orders|payments|shipments]

Writes a round's orders, lines (one row per item ordered), payments and shipments: as an xlsx
workbook with a sheet each (訂單, 明細, 付款, 出貨), or one of them as CSV (--table, default lines;
UTF-8 with a BOM, so Excel shows the Chinese). Chinese headers, Taipei times, NT$ as numbers.
Without --out it writes to standard output (a workbook only when that is not a terminal).
--format defaults to the --out file's extension.`

const formats = ["xlsx", "csv"] as const

/** Writes a chunk, waiting when the stream asks to. */
const write = (out: Writable, chunk: Uint8Array): Promise<void> =>
  out.write(chunk) || out.destroyed ? Promise.resolve() : drained(out)

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    db: { type: "string", default: Database.defaultUrl },
    round: { type: "string" },
    format: { type: "string" },
    out: { type: "string" },
    table: { type: "string", default: "lines" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  if (!values.round) throw new UsageError("export: --round ID is required")
  const format = values.format ?? values.out?.match(/\.(xlsx|csv)$/i)?.[1]?.toLowerCase()
  if (format === undefined) throw new UsageError("export: --format xlsx|csv is required")
  if (!(formats as ReadonlyArray<string>).includes(format))
    throw new UsageError(`export: unknown --format "${format}" (one of ${formats.join(", ")})`)
  const table = values.table as Export.Table
  if (!Export.tables.includes(table))
    throw new UsageError(`export: unknown --table "${values.table}" (one of ${Export.tables.join(", ")})`)
  if (format === "xlsx" && values.out === undefined && (io.stdout as { isTTY?: boolean }).isTTY)
    throw new UsageError("export: a workbook is binary: give --out FILE.xlsx or redirect standard output")

  const target = values.out === undefined ? undefined : path.resolve(io.cwd, values.out)
  const partial = target === undefined ? undefined : `${target}.partial`
  let out: Writable = io.stdout
  if (partial !== undefined) {
    try {
      out = fs.createWriteStream(partial)
      await new Promise<void>((resolve, reject) => out.once("open", () => resolve()).once("error", reject))
    } catch (e) {
      throw new UsageError(`export: cannot write ${values.out}: ${describeFsError(e)}`)
    }
  }
  const { dbIn, runApp } = await import("../Engine.js")
  const counted = { bytes: 0 }
  const program =
    format === "xlsx"
      ? Effect.flatMap(Export.xlsx({ roundId: values.round }), (bytes) =>
          Effect.promise(() => {
            counted.bytes += bytes.length
            return write(out, bytes)
          })
        )
      : Export.csv({ roundId: values.round, table }).pipe(
          Stream.runForEach((chunk) =>
            Effect.promise(() => {
              counted.bytes += chunk.length
              return write(out, chunk)
            })
          )
        )
  try {
    await runApp(
      dbIn(values.db, io.cwd),
      program.pipe(
        Effect.catchTag("ExportError", (e) =>
          Effect.fail(
            e.reason === "unknown-round"
              ? new UsageError(`export: round "${values.round}" is not in the database ${Database.redact(values.db)}`)
              : e
          )
        )
      )
    )
  } catch (e) {
    if (partial !== undefined) {
      out.destroy()
      fs.rmSync(partial, { force: true })
    }
    throw e
  }
  if (partial !== undefined && target !== undefined) {
    await new Promise<void>((resolve, reject) => out.end(() => resolve()).once("error", reject))
    fs.renameSync(partial, target)
    io.stderr.write(
      `kaituan: wrote ${values.out} (${format === "xlsx" ? "sheets 訂單, 明細, 付款, 出貨" : `table ${table}`}, ${counted.bytes.toLocaleString("en-US")} bytes)\n`
    )
  }
  return 0
}
