/**
 * The Storage port: an event store with optimistic concurrency and idempotency keys, the read
 * models kept in the same commit, and an outbox for notifications.
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
import { makeMemoryStorage } from "./internal/memoryStorage.js"

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

  /** A round's orders, in order of their first comment; optionally only these statuses. */
  readonly orders: (query: {
    readonly roundId: string
    readonly status?: ReadonlyArray<OrderStatus> | undefined
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
}

/** The Storage service tag. */
export class Storage extends Context.Service<Storage, StorageService>()("@kaituan/core/Storage") {}

/** An in-memory Storage: complete and transactional, kept in the process. */
export const layerMemory: Layer.Layer<Storage> = Layer.sync(Storage, makeMemoryStorage)

/** Creates a fresh in-memory Storage (outside of Layers). */
export const makeMemory = (): StorageService => makeMemoryStorage()

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
