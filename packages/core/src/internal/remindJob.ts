/**
 * The reminder job of a round (`round.remind`): built here, where `GroupBuy.openRound` (which
 * schedules it with the round's first events), `Publish` and `Scheduler` (which runs it) all
 * reach it without importing one another.
 */
import type { ScheduledJob } from "../Storage.js"
import { parseIsoDuration } from "./isoDuration.js"

/** The kind of a round's cutoff-reminder job. */
export const REMIND = "round.remind"

/**
 * The id of a round's reminder job: one per round (scheduling it again moves it), and a new one
 * after each reopening (`remind:<roundId>:reopened-N`: a done job is never scheduled again).
 */
export const remindJobId = (roundId: string, reopens = 0): string =>
  reopens === 0 ? `remind:${roundId}` : `remind:${roundId}:reopened-${reopens}`

/**
 * The reminder job of a round, due `remindBeforeCutoff` (ISO 8601 duration) before `cutoff`;
 * `undefined` without a cutoff or a reminder setting, or when either does not read.
 */
export const remindJob = (
  roundId: string,
  cutoff: string | undefined,
  remindBeforeCutoff: string | undefined,
  reopens = 0
): ScheduledJob | undefined => {
  if (cutoff === undefined || remindBeforeCutoff === undefined) return undefined
  const before = parseIsoDuration(remindBeforeCutoff)
  const cutoffMs = Date.parse(cutoff)
  if (before === undefined || Number.isNaN(cutoffMs)) return undefined
  return {
    id: remindJobId(roundId, reopens),
    kind: REMIND,
    dueAt: new Date(cutoffMs - before).toISOString(),
    payload: { roundId, cutoff }
  }
}

/** {@link remindJob} of a round file as a list (empty when there is none), to spread into `Commit.schedule`. */
export const remindJobs = (spec: {
  readonly id: string
  readonly cutoff?: string | undefined
  readonly remindBeforeCutoff?: string | undefined
}): Array<ScheduledJob> => {
  const job = remindJob(spec.id, spec.cutoff, spec.remindBeforeCutoff)
  return job === undefined ? [] : [job]
}
