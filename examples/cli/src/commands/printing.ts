/**
 * What `kaituan slips` and `kaituan picklist` share: their common flags, and writing a PDF
 * stream to `--out` through `FILE.partial` (renamed when complete, removed on failure), with the
 * documents' errors turned into usage errors that name the round or the orders.
 */
import fs from "node:fs"
import path from "node:path"
import type { Writable } from "node:stream"
import { ReadModel } from "@kaituan/core"
import type { Print } from "@kaituan/documents"
import { Database } from "@kaituan/storage-sql"
import type { Storage } from "@kaituan/core"
import { Effect, Stream } from "effect"
import { type Command, describeFsError, drained, flags, UsageError } from "../Io.js"

export type { Command }

/** A comma-separated list, trimmed, empty items dropped. */
export const list = (s: string): Array<string> =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x.length > 0)

/** `--status a,b` as the documents' `status`, each checked. */
export const statusesOf = (
  name: string,
  raw: string | undefined
): { readonly status?: ReadonlyArray<ReadModel.OrderStatus> } => {
  if (raw === undefined) return {}
  const known: ReadonlyArray<string> = ReadModel.OrderStatus.literals
  const status = list(raw)
  for (const s of status)
    if (!known.includes(s)) throw new UsageError(`${name}: unknown --status "${s}" (one of ${known.join(", ")})`)
  return { status: status as Array<ReadModel.OrderStatus> }
}

type Values = Record<string, string | boolean | undefined>

/** Runs a printing command: parses the flags, opens the document, writes it to `--out`. */
export const writePdf = async (
  argv: ReadonlyArray<string>,
  io: Parameters<Command>[1],
  command: {
    readonly name: string
    readonly usage: string
    readonly extra: Record<string, { readonly type: "string"; readonly default?: string }>
    readonly open: (
      values: Values
    ) => Effect.Effect<Stream.Stream<Uint8Array, Print.PrintError>, Print.PrintError, Storage.Storage>
    readonly describe: (values: Values) => string
  }
): Promise<number> => {
  const { values } = flags(argv, {
    db: { type: "string", default: Database.defaultUrl },
    round: { type: "string" },
    status: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
    ...command.extra
  })
  const v = values as Values
  if (v.help) {
    io.stdout.write(`${command.usage}\n`)
    return 0
  }
  if (!v.round) throw new UsageError(`${command.name}: --round ID is required`)
  if (!v.out) throw new UsageError(`${command.name}: --out FILE.pdf is required`)
  const opened = command.open(v)
  const target = path.resolve(io.cwd, v.out as string)
  const partial = `${target}.partial`
  let out: Writable
  try {
    out = fs.createWriteStream(partial)
    await new Promise<void>((resolve, reject) => out.once("open", () => resolve()).once("error", reject))
  } catch (e) {
    throw new UsageError(`${command.name}: cannot write ${v.out}: ${describeFsError(e)}`)
  }
  const { dbIn, runApp } = await import("../Engine.js")
  const counted = { bytes: 0 }
  const program = opened.pipe(
    Effect.flatMap((bytes) =>
      Stream.runForEach(bytes, (chunk) =>
        Effect.promise(() => {
          counted.bytes += chunk.length
          return out.write(chunk) || out.destroyed ? Promise.resolve() : drained(out)
        })
      )
    ),
    Effect.catchTag("PrintError", (e) =>
      Effect.fail(
        e.reason === "unknown-round"
          ? new UsageError(
              `${command.name}: round "${v.round}" is not in the database ${Database.redact(v.db as string)}`
            )
          : e.reason === "unknown-order" || e.reason === "invalid-input"
            ? new UsageError(`${command.name}: ${e.message}`)
            : e
      )
    )
  )
  try {
    await runApp(dbIn(v.db as string, io.cwd), program)
  } catch (e) {
    out.destroy()
    fs.rmSync(partial, { force: true })
    throw e
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once("error", reject))
  fs.renameSync(partial, target)
  io.stderr.write(`kaituan: wrote ${v.out} (${command.describe(v)}, ${counted.bytes.toLocaleString("en-US")} bytes)\n`)
  return 0
}
