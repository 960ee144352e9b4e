/** Chat-export importers for `round replay`, from the channel adapters. */
import { FacebookExport } from "@kaituan/adapters-facebook"
import { LineExport } from "@kaituan/adapters-line"
import { TelegramExport } from "@kaituan/adapters-telegram"
import type { GroupBuy, RoundSpec } from "@kaituan/core"
import { Effect, Result } from "effect"
import { commentsOf, type Format } from "./Comments.js"
import { parseJsonText, UsageError } from "./Io.js"

export interface Imported {
  readonly comments: Array<GroupBuy.CommentInput>
  /** Lines the importer skipped, with their line numbers: reported, not fatal. */
  readonly warnings: ReadonlyArray<string>
}

type Importer = (path: string, text: string, spec: RoundSpec.RoundSpec) => Imported

/** The UTC offset (`+08:00`) of an IANA time zone at a moment. */
export const utcOffset = (timeZone: string, at = new Date()): string => {
  try {
    const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value
    const m = /GMT([+-]\d{2}):?(\d{2})?/.exec(name ?? "")
    return m ? `${m[1]}:${m[2] ?? "00"}` : "+00:00"
  } catch {
    throw new UsageError(`unknown time zone "${timeZone}" in the round file`)
  }
}

const run = <A, E extends { readonly message: string }>(path: string, effect: Effect.Effect<A, E>): A => {
  const result = Effect.runSync(Effect.result(effect))
  if (Result.isFailure(result)) throw new UsageError(`${path}: ${result.failure.message}`)
  return result.success
}

const jsonOf = (path: string, text: string): string => {
  // Validates with the CLI's JSON reader (line and column, never quoting the file's content).
  parseJsonText(path, "a chat export", text)
  return text.replace(/^\uFEFF/, "")
}

export const importers: Record<Exclude<Format, "jsonl">, Importer> = {
  "line-export": (path, text, spec) => {
    const report = run(path, LineExport.parse(text, { utcOffset: utcOffset(spec.timezone) }))
    return {
      comments: commentsOf(report.events),
      warnings: report.problems.map((p) => `${path} line ${p.line}: ${p.message}`)
    }
  },
  // Old Telegram exports give only a local `date`: read it in the round's time zone, as LINE's.
  "telegram-export": (path, text, spec) => ({
    comments: commentsOf(run(path, TelegramExport.parse(jsonOf(path, text), { utcOffset: utcOffset(spec.timezone) }))),
    warnings: []
  }),
  "facebook-comments": (path, text) => ({
    comments: commentsOf(run(path, FacebookExport.parse(jsonOf(path, text)))),
    warnings: []
  })
}
