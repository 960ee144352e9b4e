/**
 * The durable scheduler: runs the jobs kept in Storage (a round's cutoff, a webhook delivery, an
 * embedder's own reminders) when they are due, once across any number of workers.
 *
 * Time is data: a job is a row written in the same commit as the events that cause it
 * (`Commit.schedule`), so a crash never loses one, and `Storage.claimJobs` leases each due job to
 * one worker at a time. A handler is looked up by the job's `kind`; when it succeeds the job is
 * done, when it fails the job is retried with exponential back-off and, after `maxAttempts`
 * attempts (or at once for a {@link JobRejected}), it is `failed` for good: the organiser sees it,
 * with its last error, through `Storage.jobs`. A worker killed mid-job leaves a lease that runs
 * out; the next claimer runs the job again, so handlers must be idempotent (commit with an
 * idempotency key such as `job:<id>`, or use an idempotent use case like `closeRound`).
 *
 * Two ways to run it:
 * - {@link runDue}: one pass over the jobs due now (tests, CLI one-shots, a cron-driven host);
 * - {@link layer}: a scoped, long-running scheduler (a fiber in the layer's scope that finishes
 *   the jobs it is running and stops when the scope closes). No `setInterval` or `setTimeout` in
 *   the host: time comes from Effect's `Clock` (`TestClock` in tests).
 *
 * Built in: {@link roundCutoff} for kind `"round.cutoff"` (payload `{ roundId }`) and
 * {@link roundRemind} for `"round.remind"` (the reminder before the cutoff), and the payment
 * deadline's {@link roundPaymentReminder} and {@link roundPaymentDeadline}, in {@link builtIn}. An app adds its own kinds: `handlers: { ...Scheduler.builtIn, ...mine }`. One
 * scheduler per process should know every kind the app schedules: a job of a kind this worker has
 * no handler for counts as a failed attempt ("no handler").
 *
 * Privacy: spans carry the job's id, kind and attempt only; payloads are never logged. A
 * handler's error text is masked ({@link OutboxRelay.maskSecrets}) before it is stored as the
 * job's `lastError`.
 *
 * @since 0.2.0
 */
import { Cause, Clock, Data, Duration, Effect, Exit, Layer, Schema } from "effect"
import { GroupBuy, GroupBuyError } from "./GroupBuy.js"
import { describeCause } from "./internal/describeCause.js"
import { forkStoppable, type StopSignal } from "./internal/stoppable.js"
import { enforceDeadline, remindUnpaid } from "./groupBuy/PaymentDeadlines.js"
import { REPLENISH, replenishReminder } from "./groupBuy/Members.js"
import { remindRound } from "./groupBuy/Publish.js"
import { PAYMENT_DEADLINE, PAYMENT_REMINDER } from "./internal/paymentJobs.js"
import { REMIND } from "./internal/remindJob.js"
import { ISSUE_JOB, REFUND_JOB, REQUEST_JOB } from "./internal/invoiceJobs.js"
import * as Invoices from "./Invoices.js"
import { maskSecrets } from "./OutboxRelay.js"
import { IsoTimestamp } from "./RoundSpec.js"
import { type ClaimedJob, roundStream, type ScheduledJob, Storage, type StorageError } from "./Storage.js"

// ---------------------------------------------------------------------------------------------
// Handlers and policies
// ---------------------------------------------------------------------------------------------

/** Runs one claimed job. Fails (with anything) to have the job retried; see {@link JobRejected}. */
export type Handler<R = never> = (job: ClaimedJob) => Effect.Effect<void, unknown, R>

/** A handler with its own retry policy (merged over the scheduler's). */
export interface HandlerSpec<R = never> {
  readonly run: Handler<R>
  readonly retry?: RetryPolicy | undefined
}

/** Handlers by job kind. */
export type Handlers = Readonly<Record<string, Handler<any> | HandlerSpec<any>>>

/** The services the handlers of `H` need. */
export type HandlersContext<H extends Handlers> = {
  readonly [K in keyof H]: H[K] extends HandlerSpec<infer R> ? R : H[K] extends Handler<infer R> ? R : never
}[keyof H]

/**
 * How failed attempts are retried: the delay after the n-th failure is
 * `baseDelayMs · 2^(n-1)`, at most `maxDelayMs`; after `maxAttempts` attempts the job fails for
 * good.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 5. */
  readonly maxAttempts?: number | undefined
  /** Delay after the first failure. Default 30 s. */
  readonly baseDelayMs?: number | undefined
  /** The longest delay. Default 1 hour. */
  readonly maxDelayMs?: number | undefined
}

/**
 * A handler's way to say "this will never succeed": the job fails for good at once, without
 * further attempts (an unknown round, a payload that does not decode, a webhook subscription that
 * no longer exists). `message` becomes the job's `lastError`: no personal data.
 */
export class JobRejected extends Schema.TaggedError<JobRejected>()("JobRejected", {
  message: Schema.String
}) {}

/** A handler still running when its job's lease ran out (the attempt counts as failed). */
export class JobTimeout extends Data.TaggedError("JobTimeout")<{ readonly message: string }> {}

/** A job that {@link schedule} refused (an empty id or kind, a `dueAt` that is not ISO 8601). */
export class InvalidJob extends Schema.TaggedError<InvalidJob>()("InvalidJob", {
  message: Schema.String
}) {}

/** A job as {@link schedule} takes it: `dueAt` must be an ISO 8601 timestamp with an offset or `Z`. */
export const Job = Schema.Struct({
  id: Schema.NonEmptyString,
  kind: Schema.NonEmptyString,
  dueAt: IsoTimestamp,
  payload: Schema.Unknown
})

/**
 * The delay in milliseconds after the `attempt`-th failed attempt (1-based) under `policy`
 * (defaults filled in). Pure.
 */
export const retryDelayMs = (attempt: number, policy: RetryPolicy = {}): number =>
  Math.min(policy.maxDelayMs ?? 3_600_000, (policy.baseDelayMs ?? 30_000) * 2 ** Math.max(0, Math.min(attempt - 1, 52)))

// ---------------------------------------------------------------------------------------------
// Built-in handlers
// ---------------------------------------------------------------------------------------------

/** The kind of a round's cutoff job. */
export const CUTOFF = "round.cutoff"

/**
 * The payload of a {@link CUTOFF} job: the round, and (optionally) the cutoff itself, which the
 * round is closed at even when the job runs late or is retried (a retry moves the job's `dueAt`).
 */
export const CutoffPayload = Schema.Struct({ roundId: Schema.NonEmptyString, cutoff: Schema.optional(IsoTimestamp) })

/**
 * The cutoff job of a round: id `cutoff:<roundId>` (scheduling it again moves it), due at the
 * round's cutoff. `GroupBuy.openRound` commits it with the round's first events.
 */
export const cutoffJob = (roundId: string, cutoff: string): ScheduledJob => ({
  id: `cutoff:${roundId}`,
  kind: CUTOFF,
  dueAt: cutoff,
  payload: { roundId, cutoff }
})

const decodeCutoff = Schema.decodeUnknownEffect(CutoffPayload)

/**
 * The round's cutoff now, from its stream (the round file's, or the last `RoundCutoffChanged`'s;
 * undefined: none), as epoch ms; null when there is no such round.
 */
const currentCutoffMs = (roundId: string) =>
  Effect.flatMap(Storage, (storage) =>
    Effect.map(storage.readStream(roundStream(roundId)), ({ version, events }) => {
      if (version === 0) return null
      let cutoff: unknown
      for (const e of events) {
        const data = e.data as { readonly spec?: { readonly cutoff?: unknown }; readonly cutoff?: unknown }
        if (e.type === "RoundCreated") cutoff = data.spec?.cutoff
        else if (e.type === "RoundCutoffChanged") cutoff = data.cutoff
      }
      return typeof cutoff === "string" ? Date.parse(cutoff) : undefined
    })
  )

/**
 * Closes the round at its cutoff: `GroupBuy.closeRound({ roundId, at })` with `at` the payload's
 * `cutoff`, else the job's `dueAt`. `closeRound` is idempotent (a round closed by hand, or by an
 * earlier attempt that died before `completeJob`, only has its remaining orders confirmed). An
 * unknown round or a malformed payload is a {@link JobRejected}; a storage failure is retried.
 *
 * A job whose payload's `cutoff` is no longer the round's (the organiser moved or removed it
 * while this job ran; `RoundChanges` moves the job itself in the same commit as the change) does
 * nothing: the old cutoff never closes the round.
 */
export const roundCutoff: Handler<GroupBuy | Storage> = (job) =>
  Effect.gen(function* () {
    const { roundId, cutoff } = yield* decodeCutoff(job.payload).pipe(
      Effect.mapError(() => new JobRejected({ message: "round.cutoff payload must be { roundId, cutoff? }" }))
    )
    if (cutoff !== undefined) {
      const current = yield* currentCutoffMs(roundId)
      if (current !== null && current !== Date.parse(cutoff)) {
        yield* Effect.annotateCurrentSpan("kaituan.job.stale", true)
        return
      }
    }
    const groupBuy = yield* GroupBuy
    yield* groupBuy
      .closeRound({ roundId, at: cutoff ?? job.dueAt, reason: "cutoff" })
      .pipe(
        Effect.mapError((e) =>
          e instanceof GroupBuyError && e.reason !== "conflict" ? new JobRejected({ message: e.message }) : e
        )
      )
  })

/** The kind of a round's cutoff-reminder job (`Publish.remindJob`; payload `{ roundId, cutoff }`). */
export const REMIND_BEFORE_CUTOFF = REMIND

const decodeRemind = Schema.decodeUnknownEffect(CutoffPayload)

/**
 * Reminds the round's conversations that the cutoff is near: `Publish.remindRound` with the
 * payload's cutoff (a reminder for a cutoff that has moved, passed, or a round no longer open
 * sends nothing). Once per cutoff across retries, restarts and workers: the messages' ids and the
 * commit's idempotency key name the round and the cutoff. An unknown round or a malformed payload
 * is a {@link JobRejected}; a storage failure is retried.
 */
export const roundRemind: Handler<Storage> = (job) =>
  Effect.gen(function* () {
    const { roundId, cutoff } = yield* decodeRemind(job.payload).pipe(
      Effect.mapError(() => new JobRejected({ message: "round.remind payload must be { roundId, cutoff? }" }))
    )
    yield* remindRound({ roundId, ...(cutoff === undefined ? {} : { cutoff }) }).pipe(
      Effect.mapError((e) =>
        e instanceof GroupBuyError && e.reason !== "conflict" ? new JobRejected({ message: e.message }) : e
      )
    )
  })

const PaymentPayload = Schema.Struct({ roundId: Schema.NonEmptyString, deadline: IsoTimestamp })
const decodePaymentPayload = Schema.decodeUnknownEffect(PaymentPayload)

/** A payment job's payload, or a {@link JobRejected}. */
const paymentPayload = (job: ClaimedJob) =>
  decodePaymentPayload(job.payload).pipe(
    Effect.mapError(() => new JobRejected({ message: `${job.kind} payload must be { roundId, deadline }` }))
  )

const rejectUnlessRetryable = (e: GroupBuyError | StorageError) =>
  e instanceof GroupBuyError && e.reason !== "conflict" ? new JobRejected({ message: e.message }) : e

/**
 * Reminds the buyers of a round's unpaid orders that the payment deadline is near
 * (`PaymentDeadlines.remindUnpaid`, at the job's `dueAt`); once across retries, restarts and
 * workers. Payload `{ roundId, deadline }`, scheduled by the close (`PaymentDeadlines.paymentJobs`).
 */
export const roundPaymentReminder: Handler<Storage> = (job) =>
  Effect.gen(function* () {
    const { roundId, deadline } = yield* paymentPayload(job)
    yield* remindUnpaid({ roundId, deadline, at: job.dueAt }).pipe(Effect.mapError(rejectUnlessRetryable))
  })

/**
 * Applies the round's `unpaid` policy at the payment deadline (`PaymentDeadlines.enforceDeadline`,
 * at the job's `dueAt`): unpaid orders cancelled or flagged for the organiser, each buyer told;
 * once across retries, restarts and workers.
 */
export const roundPaymentDeadline: Handler<Storage> = (job) =>
  Effect.gen(function* () {
    const { roundId, deadline } = yield* paymentPayload(job)
    yield* enforceDeadline({ roundId, deadline, at: job.dueAt }).pipe(Effect.mapError(rejectUnlessRetryable))
  })

/**
 * The handlers core brings: `"round.cutoff"` → {@link roundCutoff}, `"round.remind"` →
 * {@link roundRemind}, `"round.payment-reminder"` → {@link roundPaymentReminder},
 * `"round.payment-deadline"` → {@link roundPaymentDeadline}, `"member.replenish"` → `Members.replenishReminder`,
 * and the e-invoice jobs `"invoice.request"`, `"invoice.issue"`, `"invoice.refund"` (`Invoices.handlers`:
 * they use the `Invoicing` service when the host provides one, and wait for it otherwise).
 */
export const builtIn = {
  [CUTOFF]: roundCutoff,
  [REMIND]: roundRemind,
  [PAYMENT_REMINDER]: roundPaymentReminder,
  [PAYMENT_DEADLINE]: roundPaymentDeadline,
  [REPLENISH]: replenishReminder,
  // looked up when a job runs: Invoices imports this module (JobRejected)
  [REQUEST_JOB]: (job: ClaimedJob) => Invoices.handlers[REQUEST_JOB](job),
  [ISSUE_JOB]: (job: ClaimedJob) => Invoices.handlers[ISSUE_JOB](job),
  [REFUND_JOB]: (job: ClaimedJob) => Invoices.handlers[REFUND_JOB](job)
} as const satisfies Handlers

// ---------------------------------------------------------------------------------------------
// One pass
// ---------------------------------------------------------------------------------------------

/** Options of {@link runDue}. */
export interface RunOptions<H extends Handlers> {
  /** Handlers by kind. Default {@link builtIn}. */
  readonly handlers?: H | undefined
  /** The time to run at (ISO 8601; not a time is a defect). Default: now, from the `Clock`. */
  readonly now?: string | undefined
  /** Jobs claimed per pass. Default 20. */
  readonly batch?: number | undefined
  /**
   * How long a claimed job is leased; a handler still running then is interrupted (and the job
   * retried), since another worker may take it over. Default 60 s.
   */
  readonly leaseMs?: number | undefined
  /** Retry policy for every kind (a {@link HandlerSpec}'s own policy wins). */
  readonly retry?: RetryPolicy | undefined
  /** Jobs run at once. Default 4. */
  readonly concurrency?: number | undefined
}

/** What became of one job in a pass. */
export interface JobOutcome {
  readonly id: string
  readonly kind: string
  readonly attempt: number
  /** `lost`: the lease ran out and another worker took the job before this one finished. */
  readonly outcome: "done" | "retry" | "failed" | "lost"
  /** The masked error of a failed attempt. */
  readonly error?: string | undefined
  /** When a `retry` runs again (ISO 8601). */
  readonly retryAt?: string | undefined
}

/** What one {@link runDue} did. */
export interface RunReport {
  readonly claimed: number
  readonly done: number
  readonly retried: number
  readonly failed: number
  readonly lost: number
  readonly jobs: ReadonlyArray<JobOutcome>
}

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

/** An error as a short masked text: a tagged error's tag and message, an Error's message. */
export const errorText = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tag = "_tag" in error ? String(error._tag) : undefined
    const message = "message" in error && typeof error.message === "string" ? error.message : undefined
    if (tag !== undefined) return maskSecrets(message ? `${tag}: ${message}` : tag)
    if (message !== undefined) return maskSecrets(message)
  }
  return maskSecrets(String(error))
}

const causeText = (cause: Cause.Cause<unknown>): string =>
  Cause.hasInterruptsOnly(cause) ? "interrupted" : errorText(Cause.squash(cause))

const isRejected = (cause: Cause.Cause<unknown>): boolean =>
  cause.reasons.some((r) => Cause.isFailReason(r) && r.error instanceof JobRejected)

/**
 * Claims the jobs due at `now` (at most `batch`), runs each with the handler for its kind, and
 * completes, retries or fails them. Handlers default to {@link builtIn}.
 *
 * @example
 * ```ts
 * // A CLI one-shot: close every round whose cutoff has passed.
 * const report = yield* Scheduler.runDue({ now: new Date().toISOString() })
 * ```
 */
export const runDue = <H extends Handlers = typeof builtIn>(
  options: RunOptions<H> = {}
): Effect.Effect<RunReport, StorageError, Storage | HandlersContext<H>> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    const handlers: Handlers = options.handlers ?? builtIn
    const leaseMs = options.leaseMs ?? 60_000
    const now = options.now ?? (yield* nowIso)
    const nowMs = Date.parse(now)
    if (Number.isNaN(nowMs)) return yield* Effect.die(new InvalidJob({ message: `runDue's now is not a time: ${now}` }))
    const claimed = yield* storage.claimJobs({ now, limit: options.batch ?? 20, leaseMs })
    const outcomes = yield* Effect.forEach(
      claimed,
      (job): Effect.Effect<JobOutcome, StorageError, any> =>
        Effect.gen(function* () {
          const spec = handlers[job.kind]
          const run = typeof spec === "function" ? spec : spec?.run
          const policy: RetryPolicy = { ...options.retry, ...(typeof spec === "object" ? spec.retry : undefined) }
          const base = { id: job.id, kind: job.kind, attempt: job.attempts }
          const exit =
            run === undefined
              ? Exit.fail(new JobRejected({ message: `no handler for job kind "${job.kind}"` }))
              : yield* Effect.exit(
                  Effect.suspend(() => run(job)).pipe(
                    Effect.timeoutOrElse({
                      duration: Duration.millis(leaseMs),
                      orElse: () =>
                        Effect.fail(new JobTimeout({ message: `still running after the ${leaseMs} ms lease` }))
                    })
                  )
                )
          if (Exit.isSuccess(exit)) {
            const ok = yield* storage.completeJob(job.id, job.claim)
            return { ...base, outcome: ok ? "done" : "lost" } satisfies JobOutcome
          }
          const error = causeText(exit.cause)
          // No handler: maybe another worker of a newer version has one, so it is retried.
          const forGood = (run !== undefined && isRejected(exit.cause)) || job.attempts >= (policy.maxAttempts ?? 5)
          const retryAt = forGood ? undefined : new Date(nowMs + retryDelayMs(job.attempts, policy)).toISOString()
          const ok = yield* storage.failJob(job.id, job.claim, error, retryAt)
          if (!ok) return { ...base, outcome: "lost", error } satisfies JobOutcome
          return forGood
            ? ({ ...base, outcome: "failed", error } satisfies JobOutcome)
            : ({ ...base, outcome: "retry", error, retryAt } satisfies JobOutcome)
        }).pipe(
          Effect.tap((o) => Effect.annotateCurrentSpan("kaituan.job.outcome", o.outcome)),
          Effect.withSpan(
            "Scheduler.job",
            {
              attributes: {
                "kaituan.job.id": job.id,
                "kaituan.job.kind": job.kind,
                "kaituan.job.attempt": job.attempts
              }
            },
            { captureStackTrace: false }
          )
        ),
      { concurrency: options.concurrency ?? 4 }
    )
    const count = (o: JobOutcome["outcome"]) => outcomes.filter((x) => x.outcome === o).length
    yield* Effect.annotateCurrentSpan("kaituan.jobs.claimed", claimed.length)
    return {
      claimed: claimed.length,
      done: count("done"),
      retried: count("retry"),
      failed: count("failed"),
      lost: count("lost"),
      jobs: outcomes
    } satisfies RunReport
  }).pipe(Effect.withSpan("Scheduler.runDue", undefined, { captureStackTrace: false })) as Effect.Effect<
    RunReport,
    StorageError,
    Storage | HandlersContext<H>
  >

// ---------------------------------------------------------------------------------------------
// The long-running scheduler
// ---------------------------------------------------------------------------------------------

/** Options of {@link layer}. */
export interface LayerOptions<H extends Handlers> extends Omit<RunOptions<H>, "now" | "handlers"> {
  /** Handlers by kind, e.g. `{ ...Scheduler.builtIn, ...Webhooks.handlers }`. */
  readonly handlers: H
  /** How long to wait after a pass that claimed less than a full batch. Default 1 s. */
  readonly pollMs?: number | undefined
  /**
   * When the layer's scope closes, how long the scheduler may take to finish the jobs it is
   * running (they complete and are marked done, retried or failed; no new pass is claimed) before
   * it is interrupted. Default 10 s; 0 interrupts at once.
   */
  readonly stopTimeoutMs?: number | undefined
}

/**
 * A scoped, long-running scheduler: a fiber in the layer's scope runs {@link runDue} at the
 * `Clock`'s time, again at once after a full batch, else after `pollMs`, until the scope closes.
 * Closing stops it gracefully: the jobs it is running finish and are completed (so a job whose
 * work was done is not run again by the next worker), no new pass is claimed, and closing waits
 * for that at most `stopTimeoutMs`; a job still running then is interrupted and keeps its lease,
 * which runs out, and the job runs again on this or another worker. A failed pass (storage
 * unreachable) is logged without personal data and tried again after `pollMs`.
 *
 * @example
 * ```ts
 * const scheduler = Scheduler.layer({ handlers: Scheduler.builtIn, pollMs: 1_000 }).pipe(
 *   Layer.provide(GroupBuy.layer),
 *   Layer.provide(storageLayer)
 * )
 * ```
 */
export const layer = <H extends Handlers>(
  options: LayerOptions<H>
): Layer.Layer<never, never, Storage | HandlersContext<H>> => {
  const batch = options.batch ?? 20
  const pollMs = options.pollMs ?? 1_000
  const pass = runDue<H>({ ...options, batch }).pipe(
    Effect.catchCause((cause) =>
      Effect.as(Effect.logWarning("Scheduler: pass failed; trying again", { error: describeCause(cause) }), undefined)
    )
  )
  const loop = ({ stopped, isStopped }: StopSignal) =>
    Effect.gen(function* () {
      while (!(yield* isStopped)) {
        const report = yield* pass
        if (report === undefined || report.claimed < batch) yield* Effect.raceFirst(Effect.sleep(pollMs), stopped)
      }
    })
  return Layer.effectDiscard(forkStoppable(loop, options.stopTimeoutMs ?? 10_000))
}

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

const decodeJob = Schema.decodeUnknownEffect(Job)

/**
 * Schedules (or moves, by id) one job in a commit of its own. Use `Commit.schedule` instead when
 * the job belongs with events (a round's cutoff with the round). A done or cancelled job with the
 * same id is left alone.
 */
export const schedule = (job: ScheduledJob): Effect.Effect<void, InvalidJob | StorageError, Storage> =>
  Effect.gen(function* () {
    const valid = yield* decodeJob(job).pipe(Effect.mapError((e) => new InvalidJob({ message: e.message })))
    const storage = yield* Storage
    yield* storage.commit([{ appends: [], views: [], outbox: [], schedule: [valid] }])
  }).pipe(
    Effect.withSpan(
      "Scheduler.schedule",
      { attributes: { "kaituan.job.id": job.id, "kaituan.job.kind": job.kind } },
      { captureStackTrace: false }
    )
  )

/** Cancels pending jobs by id, in a commit of its own (unknown, running or finished ids are left alone). */
export const cancel = (ids: ReadonlyArray<string>): Effect.Effect<void, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    yield* storage.commit([{ appends: [], views: [], outbox: [], unschedule: ids }])
  }).pipe(
    Effect.withSpan("Scheduler.cancel", { attributes: { "kaituan.jobs": ids.length } }, { captureStackTrace: false })
  )
