/**
 * The Storage port: an event store with optimistic concurrency and idempotency keys, the read
 * models kept in the same commit, an outbox for notifications (with dead letters), scheduled jobs
 * claimed once across workers, and read models registered by name (`ReadModels`).
 *
 * Implementations: {@link layerMemory} here (tests, benchmarks, one-shot replays) and
 * `@kaituan/storage-sql` (SQLite and PostgreSQL). Every implementation runs the same contract
 * suite (`StorageContract`).
 *
 * @since 0.1.0
 */
import { Context, type Effect, Layer, Schema } from "effect"
import type { Buyer } from "./Buyer.js"
import type { OutboundMessage } from "./Notification.js"
import type { NotOrderedItem, OrderStatus, OrderView, ReviewItem, StockView, ViewChange } from "./ReadModel.js"
import type { Definition } from "./ReadModels.js"
import { type MemoryDatabase as MemoryDb, makeMemoryDatabase, makeMemoryStorage } from "./internal/memoryStorage.js"
import { traceStorage } from "./internal/tracedStorage.js"

/** An event about to be stored: its type tag, its JSON-encoded body, and when it happened. */
export interface NewEvent {
  readonly type: string
  readonly data: unknown
  readonly at: string
}

/** A stored event. `version` is its 1-based position in its stream; `position` its global order. */
export interface StoredEvent extends NewEvent {
  readonly stream: string
  readonly version: number
  readonly position: number
}

/** Events for one stream, written only if the stream is still at `expectedVersion` (0 = new). */
export interface StreamAppend {
  readonly stream: string
  readonly expectedVersion: number
  readonly events: ReadonlyArray<NewEvent>
}

/**
 * One atomic unit of work: the events of one or more streams, the read-model changes they cause,
 * and the messages to send. With an `idempotencyKey` (channel + message id for a comment,
 * statement row identity for a transfer, gateway trade number for a gateway payment), a second
 * commit with the same key changes nothing and reports `Duplicate`.
 */
export interface Commit {
  readonly idempotencyKey?: string | undefined
  /**
   * A short text kept with the idempotency key when this commit claims it (ignored without a key
   * or when the commit is a `Duplicate`: the first claim's data stays). {@link StorageService.readKeys}
   * reads it back, so a later writer can tell what claimed the key: for a comment, the round that
   * took it and a fingerprint of the comment. Never personal data.
   */
  readonly keyData?: string | undefined
  readonly appends: ReadonlyArray<StreamAppend>
  readonly views: ReadonlyArray<ViewChange>
  readonly outbox: ReadonlyArray<OutboundMessage>
  /** Jobs to schedule (or reschedule, by id), written in the same transaction as the events. */
  readonly schedule?: ReadonlyArray<ScheduledJob> | undefined
  /** Ids of pending jobs to cancel, in the same transaction (applied before `schedule`). */
  readonly unschedule?: ReadonlyArray<string> | undefined
}

/**
 * A job to run at `dueAt` (ISO 8601). `id` is the job's identity: scheduling the same id again
 * replaces a pending job's `dueAt` and `payload`, and leaves a done or cancelled job alone. A
 * running job scheduled again becomes pending at the new `dueAt` (its current claim is lost: that
 * attempt's `completeJob`/`failJob` return false); a failed one becomes pending with its attempts
 * reset. `payload` must be JSON-encodable.
 */
export interface ScheduledJob {
  readonly id: string
  readonly kind: string
  readonly dueAt: string
  readonly payload: unknown
}

/** A job leased to one claimer: `attempts` counts this one; `claim` is this lease's token. */
export interface ClaimedJob extends ScheduledJob {
  readonly attempts: number
  readonly claim: string
}

/** Where a job is: waiting, leased to a worker, finished, failed for good, or cancelled. */
export type JobStatus = "pending" | "running" | "done" | "failed" | "cancelled"

/** A job as the organiser sees it. `lastError` is the latest failed attempt's message. */
export interface JobView extends ScheduledJob {
  readonly status: JobStatus
  readonly attempts: number
  readonly lastError?: string | undefined
}

/** A registered read model and how far it has read the events (its checkpoint). */
export interface ReadModelStatus {
  readonly name: string
  readonly version: number
  readonly mode: "inline" | "catch-up"
  readonly position: number
}

/** What became of one commit. */
export type CommitResult =
  | { readonly _tag: "Committed"; readonly versions: Readonly<Record<string, number>> }
  | { readonly _tag: "Duplicate"; readonly idempotencyKey: string }

/** A message in the outbox, with its delivery bookkeeping. */
export interface OutboxEntry {
  readonly message: OutboundMessage
  readonly attempts: number
}

/** A dead-lettered outbox message with the error it was set aside for. */
export type DeadLetter = OutboxEntry & { readonly error: string }

/**
 * Why storage failed. `conflict`: a stream moved on since it was read (reload and decide again);
 * `unavailable`: the database could not be reached or the transaction failed.
 */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  reason: Schema.Literals(["conflict", "unavailable", "corrupt"]),
  message: Schema.String,
  stream: Schema.optional(Schema.String)
}) {}

/** The port. All methods are safe to call concurrently. */
export interface StorageService {
  /**
   * Writes commits in order, all in one transaction: either every non-duplicate commit is
   * written or none is. A commit whose key was seen before is skipped and reported `Duplicate`;
   * any version mismatch fails the whole call with `StorageError({ reason: "conflict" })`.
   */
  readonly commit: (commits: ReadonlyArray<Commit>) => Effect.Effect<ReadonlyArray<CommitResult>, StorageError>
  /** Events of one stream after `fromVersion` (default 0: all), and the stream's current version. */
  readonly readStream: (
    stream: string,
    fromVersion?: number
  ) => Effect.Effect<{ readonly version: number; readonly events: ReadonlyArray<StoredEvent> }, StorageError>
  /** All events in global order after `fromPosition`, at most `limit` (for projections and rebuilds). */
  readonly readAll: (fromPosition: number, limit: number) => Effect.Effect<ReadonlyArray<StoredEvent>, StorageError>
  /** Which of these idempotency keys were already committed. */
  readonly seenKeys: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>, StorageError>
  /**
   * The committed ones among these idempotency keys, each with the `keyData` its commit gave
   * (`""` when it gave none, or for keys committed before a store kept key data).
   */
  readonly readKeys: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, string>, StorageError>

  /**
   * A round's orders, in order of their first comment (`seq`); optionally only these statuses or
   * this buyer (exact buyer id). Keyset pagination: `afterSeq` keeps orders with `seq > afterSeq`,
   * `limit` at most that many (default: all); pass the last order's `seq` for the next page.
   */
  readonly orders: (query: {
    readonly roundId: string
    readonly status?: ReadonlyArray<OrderStatus> | undefined
    readonly buyerId?: string | undefined
    readonly afterSeq?: number | undefined
    readonly limit?: number | undefined
  }) => Effect.Effect<ReadonlyArray<OrderView>, StorageError>
  /** One order by id. */
  readonly order: (orderId: string) => Effect.Effect<OrderView | undefined, StorageError>
  /** A round's review queue, in comment order (unresolved only unless `includeResolved`). */
  readonly reviewQueue: (query: {
    readonly roundId: string
    readonly includeResolved?: boolean | undefined
  }) => Effect.Effect<ReadonlyArray<ReviewItem>, StorageError>
  /** A round's not-ordered list, in comment order. */
  readonly notOrdered: (query: {
    readonly roundId: string
  }) => Effect.Effect<ReadonlyArray<NotOrderedItem>, StorageError>
  /** Stock left per SKU of a round. */
  readonly stock: (query: { readonly roundId: string }) => Effect.Effect<ReadonlyArray<StockView>, StorageError>
  /** A buyer with channel identities and learned accounts. */
  readonly buyer: (buyerId: string) => Effect.Effect<Buyer | undefined, StorageError>

  /** Replaces every read-model row with these changes applied to empty tables (a rebuild). */
  readonly replaceViews: (views: ReadonlyArray<ViewChange>) => Effect.Effect<void, StorageError>

  /** Up to `limit` unsent messages, oldest first, not leased by another relay (lease for `leaseMs`). */
  readonly claimOutbox: (query: {
    readonly limit: number
    readonly leaseMs: number
  }) => Effect.Effect<ReadonlyArray<OutboxEntry>, StorageError>
  /** Marks messages as sent: they are never claimed again. */
  readonly ackOutbox: (messageIds: ReadonlyArray<string>) => Effect.Effect<void, StorageError>
  /** Records a failed attempt; the message becomes claimable again after `retryAfterMs`. */
  readonly failOutbox: (messageId: string, error: string, retryAfterMs: number) => Effect.Effect<void, StorageError>
  /**
   * Moves a message out of the claimable outbox for good (after N failures); the organiser sees
   * it in {@link StorageService.deadLetters}. A sent or unknown message is left alone, and a
   * dead letter is not changed by `failOutbox`.
   */
  readonly deadLetterOutbox: (messageId: string, error: string) => Effect.Effect<void, StorageError>
  /** Dead-lettered messages, oldest (first queued) first, at most `limit` (default: all). */
  readonly deadLetters: (query: {
    readonly limit?: number | undefined
  }) => Effect.Effect<ReadonlyArray<DeadLetter>, StorageError>
  /** Makes dead letters claimable again with their attempts reset; returns how many. */
  readonly retryDeadLetters: (messageIds: ReadonlyArray<string>) => Effect.Effect<number, StorageError>

  /**
   * Pending jobs due at or before `now` (ISO 8601), plus running jobs whose lease ran out (a dead
   * worker's), oldest due first, at most `limit`; each is leased until `now + leaseMs` to this
   * caller under a fresh `claim` token, its attempts counted. Across processes a job is held by
   * one claimer at a time (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write transaction).
   */
  readonly claimJobs: (query: {
    readonly now: string
    readonly limit: number
    readonly leaseMs: number
  }) => Effect.Effect<ReadonlyArray<ClaimedJob>, StorageError>
  /** Marks a claimed job done; false when the claim was lost (the lease ran out and another took it). */
  readonly completeJob: (id: string, claim: string) => Effect.Effect<boolean, StorageError>
  /**
   * A failed attempt: pending again at `retryAt`, or `failed` for good when `retryAt` is
   * undefined; `error` is kept as the job's `lastError`. False when the claim was lost.
   */
  readonly failJob: (
    id: string,
    claim: string,
    error: string,
    retryAt: string | undefined
  ) => Effect.Effect<boolean, StorageError>
  /** Jobs, newest due first, optionally only these statuses or this kind, at most `limit` (default: all). */
  readonly jobs: (query: {
    readonly status?: ReadonlyArray<JobStatus> | undefined
    readonly kind?: string | undefined
    readonly limit?: number | undefined
  }) => Effect.Effect<ReadonlyArray<JobView>, StorageError>

  /** One document of a registered read model, in its encoded (JSON) form; undefined when absent. */
  readonly document: (model: string, id: string) => Effect.Effect<unknown | undefined, StorageError>
  /**
   * Documents of a read model in id order (encoded form), optionally only those whose indexed key
   * `k1`, `k2` or `k3` equals `value`; `after` an id (keyset pagination), at most `limit`.
   * An unknown model fails with `StorageError({ reason: "unavailable" })`.
   */
  readonly documents: (query: {
    readonly model: string
    readonly key?: { readonly k: "k1" | "k2" | "k3"; readonly value: string } | undefined
    readonly after?: string | undefined
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<{ readonly id: string; readonly doc: unknown }>, StorageError>
  /**
   * Brings catch-up read models (this one, or all) up to the latest event, each atomically with
   * its checkpoint; returns the number of events applied. Inline models are always up to date.
   */
  readonly catchUp: (model?: string | undefined) => Effect.Effect<number, StorageError>
  /** Clears a read model's documents and replays every event into it (inline and catch-up alike). */
  readonly rebuild: (model: string) => Effect.Effect<void, StorageError>
  /** The registered read models with their checkpoints (inline: the latest position). */
  readonly readModels: () => Effect.Effect<ReadonlyArray<ReadModelStatus>, StorageError>
}

/** The Storage service tag. */
export class Storage extends Context.Service<Storage, StorageService>()("@kaituan/core/Storage") {}

/**
 * The data of an in-memory store, kept apart from the service so that a test can "restart" a
 * store: `makeMemory({ database })` twice over one database sees the same events, jobs, outbox and
 * read-model documents (and a changed read-model `version` rebuilds, as a SQL store does on start).
 */
export type MemoryDatabase = MemoryDb

/** A fresh, empty in-memory database for {@link makeMemory}'s `database` option. */
export const memoryDatabase = (): MemoryDatabase => makeMemoryDatabase()

/** Options of the in-memory Storage. */
export interface MemoryOptions {
  /**
   * The read models to run (default `ReadModels.builtIn`). Add your own with
   * `[...ReadModels.builtIn, mine]`. Names must be unique.
   */
  readonly readModels?: ReadonlyArray<Definition<any>> | undefined
  /** The data to open (default: a fresh one); see {@link MemoryDatabase}. */
  readonly database?: MemoryDatabase | undefined
}

/**
 * The storage with every call in a span `Storage.<method>` carrying safe attributes only (counts,
 * stream kinds, round / order / message / job ids, read-model names, result tags, error reasons;
 * never a buyer id, a name, a text or a pickup code). The spans are made only when a tracer that
 * records them is installed (an OpenTelemetry or OTLP layer); with Effect's default tracer the
 * calls run as they are. Every storage of this library is traced already ({@link layerMemory},
 * `@kaituan/storage-sql`); use it for a Storage of your own. Tracing a traced storage returns it.
 *
 * @example
 * ```ts
 * const StorageLive = Layer.effect(Storage.Storage, Effect.map(makeMyStorage, Storage.traced))
 * ```
 */
export const traced: (service: StorageService) => StorageService = traceStorage

/** An in-memory Storage: complete and transactional, kept in the process. */
export const layerMemory: Layer.Layer<Storage> = Layer.sync(Storage, () => traceStorage(makeMemoryStorage({})))

/** An in-memory Storage with options (read models, a database to reopen). */
export const layerMemoryWith = (options: MemoryOptions): Layer.Layer<Storage> =>
  Layer.sync(Storage, () => traceStorage(makeMemoryStorage(options)))

/**
 * Creates a fresh in-memory Storage (outside of Layers).
 *
 * @example
 * ```ts
 * const storage = Storage.makeMemory({ readModels: [...ReadModels.builtIn, myModel] })
 * ```
 */
export const makeMemory = (options: MemoryOptions = {}): StorageService => traceStorage(makeMemoryStorage(options))

/** The stream name of a round. */
export const roundStream = (roundId: string): string => `round:${roundId}`
/** The stream name of an order. */
export const orderStream = (orderId: string): string => `order:${orderId}`
/** The stream name of a payment. */
export const paymentStream = (paymentId: string): string => `payment:${paymentId}`
/** The stream name of a shipment. */
export const shipmentStream = (shipmentId: string): string => `shipment:${shipmentId}`

/** Applies read-model changes to plain maps (shared by in-memory implementations and rebuild tests). */
export { applyViewChange, emptyViews, type ViewTables } from "./internal/views.js"
