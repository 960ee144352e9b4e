/**
 * `kaituan round replay --round ROUND.json --comments FILE [--format F] [--at TIME] [--json] [--db DB]`: comments and organiser actions (Actions.ts) in time order, the scheduler's jobs as time passes.
 */
import { createHash } from "node:crypto"
import { AfterSales, GroupBuy, IdGenerator, type ReadModel, RoundChanges, RoundSpec, Scheduler } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Effect, Layer, Schema } from "effect"
import { type Action, type ActionLine, splitActions } from "../Actions.js"
import { byTime, type Format, formats, guessFormat, lineOf, parseJsonl, readText } from "../Comments.js"
import { dbIn, runApp } from "../Engine.js"
import { type Command, flags, UsageError } from "../Io.js"
import { toJson, toTables } from "../Report.js"
import { loadRound } from "../RoundFile.js"
import { importers } from "../Importers.js"

export const usage = `kaituan round replay --round ROUND.json --comments FILE [--format jsonl|line-export|telegram-export|facebook-comments] [--at TIME] [--json] [--db PATH|postgres://…]

Runs a whole round over a comment source, in time order, through the real state machines and
storage: orders, amendments, cancellations, stock, the cutoff. JSON Lines input may also carry
organiser actions ({"action": "change"|"close"|"reopen"|"payment"|"cancel"|"arrived", "at": …}); with
actions or --at, every scheduled job (cutoff, reminders, payment deadline) due by a line's time
runs before it, and --at TIME runs every job due by TIME after the input.`

const isDue = Schema.is(RoundSpec.IsoTimestamp)
const sha = (s: string) => createHash("sha256").update(s).digest("base64url")
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

/**
 * Ids that depend only on the replay's input (the round, the file, --at): the same replay gives
 * the same ids, and another input other ids, so replays into one database do not collide.
 */
export const seededIds = (seed: string): Layer.Layer<IdGenerator.IdGenerator> =>
  Layer.sync(IdGenerator.IdGenerator, () => {
    // The input is digested once: hashing the whole input for every id made a 5,000-comment
    // replay take 22 s instead of 0.7 s.
    const digest = sha(seed)
    const counters = new Map<string, number>()
    let codes = 0
    return {
      next: (prefix) => {
        const n = (counters.get(prefix) ?? 0) + 1
        counters.set(prefix, n)
        return `${prefix}_${sha(`${digest}\u0000${prefix}\u0000${n}`).slice(0, 21)}`
      },
      code: () => {
        codes += 1
        const bytes = createHash("sha256").update(`${digest}\u0000code\u0000${codes}`).digest()
        return Array.from(bytes.subarray(0, 8), (b) => codeAlphabet[b & 31]).join("")
      }
    }
  })

/** An order the actions or deadlines cancelled or refunded (the `cancelled` list of `--json`). */
const cancelledJson = (o: ReadModel.OrderView) => ({
  orderId: o.orderId,
  status: o.status,
  buyer: { id: o.buyer.id, name: o.buyer.name ?? o.buyer.id },
  lines: o.lines.map((l) => ({ sku: l.sku, qty: l.qty, unitPrice: l.unitPrice })),
  total: o.total,
  paid: o.paid
})

type Entry =
  | { readonly _tag: "comment"; readonly comment: GroupBuy.CommentInput; readonly t: number; readonly line: number }
  | { readonly _tag: "action"; readonly action: ActionLine; readonly t: number; readonly line: number }

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    round: { type: "string" },
    comments: { type: "string" },
    format: { type: "string" },
    at: { type: "string" },
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
  if (values.at !== undefined && !isDue(values.at))
    throw new UsageError(`round replay: --at must be an ISO timestamp such as 2024-05-12T22:00:00+08:00`)
  const split = format === "jsonl" ? splitActions(values.comments, text) : { actions: [], rest: text }
  const imported =
    format === "jsonl"
      ? { comments: parseJsonl(values.comments, split.rest), warnings: [] }
      : importers[format](values.comments, text, round.spec)
  for (const w of imported.warnings) io.stderr.write(`kaituan: warning: ${w}\n`)
  const comments = byTime(imported.comments)
  const actions = split.actions
  // With actions or --at, time passes: the scheduler's jobs run as the lines go by.
  const timed = actions.length > 0 || values.at !== undefined
  const entries: Array<Entry> = [
    ...comments.map((comment, i) => ({
      _tag: "comment" as const,
      comment,
      t: Date.parse(comment.at),
      line: lineOf(comment) ?? i
    })),
    ...actions.map((action) => ({
      _tag: "action" as const,
      action,
      t: Date.parse(action.action.at),
      line: action.line
    }))
  ].sort((a, b) => a.t - b.t || a.line - b.line)
  const firstAt =
    entries[0] === undefined
      ? undefined
      : entries[0]._tag === "comment"
        ? entries[0].comment.at
        : entries[0].action.action.at
  const roundId = round.spec.id
  const progress = comments.length >= 5000
  // Comments whose id another comment of the round (another author or text) already has: not
  // taken, and each reported by id and line, never silently dropped. Same id, author and text
  // again is a duplicate and skipped.
  const conflicts: Array<string> = []
  const conflictsOf = (slice: ReadonlyArray<GroupBuy.CommentInput>, outcomes: ReadonlyArray<GroupBuy.CommentOutcome>) =>
    outcomes.forEach((o, k) => {
      if (o.status !== "id-conflict") return
      const line = lineOf(slice[k]!)
      conflicts.push(`${values.comments}${line === undefined ? "" : ` line ${line}`}: ${o.reason}`)
    })
  const warnings: Array<string> = []
  const where = (a: ActionLine) => `${values.comments} line ${a.line}`
  const { report, gone } = await runApp(
    dbIn(values.db, io.cwd),
    Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      const changes = yield* RoundChanges.RoundChanges
      yield* g.openRound({ spec: round.spec, at: firstAt })
      const step = 5000
      if (!timed) {
        for (let i = 0; i < comments.length; i += step) {
          const slice = comments.slice(i, i + step)
          conflictsOf(slice, yield* g.submitComments({ roundId, comments: slice }))
          if (progress)
            io.stderr.write(
              `\r  replayed ${Math.min(i + step, comments.length).toLocaleString("en-US")} / ${comments.length.toLocaleString("en-US")} comments`
            )
        }
      } else {
        // Every job due by `now`, one at a time in the order they fall due (deterministic).
        let ranTo = Number.NEGATIVE_INFINITY
        const runJobs = (now: string) =>
          Effect.gen(function* () {
            for (;;) {
              const pass = yield* Scheduler.runDue({ now, batch: 1, concurrency: 1 })
              for (const j of pass.jobs)
                if (j.outcome === "failed" || j.outcome === "retry")
                  warnings.push(
                    `job ${j.kind} at ${now} ${j.outcome === "failed" ? "failed" : "will be retried"}: ${j.error ?? ""}`
                  )
              if (pass.claimed === 0) break
            }
            ranTo = Math.max(ranTo, Date.parse(now))
          })
        let pending: Array<GroupBuy.CommentInput> = []
        const flush = Effect.gen(function* () {
          if (pending.length === 0) return
          const slice = pending
          pending = []
          conflictsOf(slice, yield* g.submitComments({ roundId, comments: slice }))
        })
        const orderOf = (a: ActionLine, buyer: string) =>
          Effect.gen(function* () {
            const orders = yield* g.orders({ roundId })
            const mine = orders.filter(
              (o) =>
                (o.buyer.id === buyer || o.buyerId === buyer) && o.status !== "cancelled" && o.status !== "refunded"
            )
            const order = mine.find((o) => o.total > o.paid) ?? mine[0]
            if (order === undefined) warnings.push(`${where(a)}: ${a.action.action}: that buyer has no order; skipped`)
            return order
          })
        const apply = (a: ActionLine, act: Action) =>
          Effect.gen(function* () {
            switch (act.action) {
              case "change":
                yield* changes.updateRound({ roundId, change: act.change, at: act.at })
                return
              case "close":
                yield* g.closeRound({ roundId, at: act.at })
                return
              case "reopen":
                yield* changes.reopenRound({
                  roundId,
                  at: act.at,
                  ...(act.cutoff === undefined ? {} : { cutoff: act.cutoff })
                })
                return
              case "payment": {
                const order = yield* orderOf(a, act.buyer)
                if (order === undefined) return
                yield* g.recordPayment({
                  transactionId: `replay_${sha(`${roundId}\u0000${a.raw}`).slice(0, 24)}`,
                  source: act.source === "cash" ? "cash" : "statement",
                  amount: act.amount,
                  at: act.at,
                  orderIds: [order.orderId],
                  evidence: `round replay, line ${a.line}`
                })
                return
              }
              case "cancel": {
                const order = yield* orderOf(a, act.buyer)
                if (order === undefined) return
                yield* g.cancelOrder({ orderId: order.orderId, reason: act.reason, at: act.at })
                return
              }
              case "arrived":
                yield* changes.markArrived({ roundId, skus: act.skus, at: act.at })
                return
              case "refund": {
                // The buyer's order with money received and not all given back yet.
                const paid = (yield* g.orders({ roundId })).find(
                  (o) => (o.buyer.id === act.buyer || o.buyerId === act.buyer) && o.paid > 0 && o.status !== "refunded"
                )
                if (paid === undefined) {
                  warnings.push(`${where(a)}: refund: that buyer has no order with money received; skipped`)
                  return
                }
                yield* AfterSales.refund({
                  orderId: paid.orderId,
                  amount: act.amount,
                  method: act.method ?? "bank-transfer",
                  reasonCode: act.reasonCode ?? "other",
                  reason: act.reason,
                  at: act.at
                })
                return
              }
            }
          }).pipe(
            Effect.mapError((e) =>
              e instanceof GroupBuy.GroupBuyError
                ? new UsageError(`${where(a)}: ${act.action} refused: ${e.message}`)
                : e
            )
          )
        let done = 0
        for (const e of entries) {
          const at = e._tag === "comment" ? e.comment.at : e.action.action.at
          if (e._tag === "action" || e.t > ranTo) {
            yield* flush
            yield* runJobs(at)
          }
          if (e._tag === "comment") {
            pending.push(e.comment)
            if (pending.length >= step) yield* flush
          } else {
            yield* apply(e.action, e.action.action)
            ranTo = Number.NEGATIVE_INFINITY // an action may have scheduled a job
          }
          done += 1
          if (progress && done % step === 0)
            io.stderr.write(
              `\r  replayed ${done.toLocaleString("en-US")} / ${entries.length.toLocaleString("en-US")} lines`
            )
        }
        yield* flush
        if (values.at !== undefined) yield* runJobs(values.at)
      }
      if (progress) io.stderr.write("\n")
      const shown = 50
      for (const c of conflicts.slice(0, shown)) io.stderr.write(`kaituan: warning: ${c}\n`)
      if (conflicts.length > shown)
        io.stderr.write(
          `kaituan: warning: ${values.comments}: ${conflicts.length - shown} more comments reuse an id and were not taken\n`
        )
      for (const w of warnings) io.stderr.write(`kaituan: warning: ${w}\n`)
      const r = yield* g.report(roundId)
      // With actions or --at, orders leave the report as they are cancelled or refunded: listed apart.
      const gone = timed ? yield* g.orders({ roundId, status: ["cancelled", "refunded"] }) : []
      return { report: r, gone }
    }).pipe(Effect.provide(RoundChanges.layer)),
    // In memory, ids from the input: the same replay prints the same ids. A database keeps its
    // orders across runs (a rerun after a crash must not reuse an id): random ids there.
    values.db === ":memory:" ? seededIds(`${roundId}\u0000${text}\u0000${values.at ?? ""}`) : undefined
  )
  io.stdout.write(
    values.json
      ? `${JSON.stringify(timed ? { ...toJson(report), cancelled: gone.map(cancelledJson) } : toJson(report), null, 2)}\n`
      : `${round.spec.title} (${round.spec.id}): ${comments.length} comments${actions.length > 0 ? `, ${actions.length} actions` : ""}\n\n${toTables(report, round.catalogue)}\n`
  )
  return 0
}
