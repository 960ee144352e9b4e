/**
 * Spans for every Storage call (`Storage.<method>`), with safe attributes only: counts (commits,
 * events, views, messages, keys, rows), stream *kinds* (`round`, `order`, `pickup-code`…; the id
 * after the `:` only for rounds, orders, payments and shipments, never for other streams, which
 * may be keyed by a secret or a buyer), round, order, message and job ids, read-model names,
 * result tags and error reasons. Never a buyer id, a name, a text, a key, a document id, an error
 * message or a pickup code. Public as `Storage.traced`.
 *
 * @internal
 */
import type { Commit, CommitResult, StorageService } from "../Storage.js"
import { type Attributes, count, countsBy, list, num, str, traceService } from "./traceService.js"

/** Streams whose id (after the `:`) is safe to show: generated ids, or the organiser's round id. */
const SAFE_ID_KINDS: ReadonlySet<string> = new Set(["round", "order", "payment", "shipment"])

/** A stream's kind, the part before `:` when it looks like one (`round`, `pickup-code`), else `other`. */
export const streamKind = (stream: string): string => {
  const i = stream.indexOf(":")
  const kind = i < 0 ? "" : stream.slice(0, i)
  return /^[a-z][a-z0-9_-]{0,31}$/.test(kind) ? kind : "other"
}

/** A stream's kind and, for {@link SAFE_ID_KINDS}, its id. */
const streamAttributes = (stream: unknown): Attributes => {
  if (typeof stream !== "string") return {}
  const kind = streamKind(stream)
  return {
    "kaituan.stream.kind": kind,
    "kaituan.stream.id": SAFE_ID_KINDS.has(kind) ? str(stream.slice(kind.length + 1)) : undefined
  }
}

const commitAttributes = (commits: ReadonlyArray<Commit>): Attributes => {
  let events = 0
  let views = 0
  let messages = 0
  let keys = 0
  let scheduled = 0
  let unscheduled = 0
  const kinds = new Set<string>()
  for (const c of commits) {
    if (c.idempotencyKey !== undefined) keys++
    for (const a of c.appends) {
      events += a.events.length
      kinds.add(streamKind(a.stream))
    }
    views += c.views.length
    messages += c.outbox.length
    scheduled += c.schedule?.length ?? 0
    unscheduled += c.unschedule?.length ?? 0
  }
  return {
    "kaituan.commits": commits.length,
    "kaituan.events": events,
    "kaituan.views": views,
    "kaituan.messages": messages,
    "kaituan.keys": keys,
    "kaituan.jobs.scheduled": scheduled,
    "kaituan.jobs.unscheduled": unscheduled,
    "kaituan.stream.kinds": [...kinds].sort().join(",")
  }
}

const commitResults = (results: ReadonlyArray<CommitResult>): Attributes => {
  let duplicates = 0
  for (const r of results) if (r._tag === "Duplicate") duplicates++
  return { "kaituan.committed": results.length - duplicates, "kaituan.duplicates": duplicates }
}

const rows = (r: ReadonlyArray<unknown>): Attributes => ({ "kaituan.rows": r.length })
const found = (r: unknown): Attributes => ({ "kaituan.found": r !== undefined })
const roundQuery = (q: { readonly roundId: string }): Attributes => ({ "kaituan.round.id": str(q.roundId) })
const claimHeld = (held: boolean): Attributes => ({ "kaituan.claim.held": held })

/**
 * The service with every method in a span `Storage.<method>` (see the module comment), when a
 * tracer that records spans is installed; otherwise the calls run as they are.
 */
export const traceStorage = (service: StorageService): StorageService =>
  traceService<StorageService>("Storage", service, {
    commit: { input: commitAttributes, output: commitResults },
    readStream: {
      input: (stream, fromVersion) => ({
        ...streamAttributes(stream),
        "kaituan.stream.from_version": num(fromVersion)
      }),
      output: (r) => ({ "kaituan.stream.version": r.version, "kaituan.events": r.events.length })
    },
    readAll: {
      input: (fromPosition, limit) => ({ "kaituan.position.from": num(fromPosition), "kaituan.limit": num(limit) }),
      output: (events) => ({ "kaituan.events": events.length })
    },
    seenKeys: {
      input: (keys) => ({ "kaituan.keys": count(keys) }),
      output: (seen) => ({ "kaituan.found": seen.size })
    },
    readKeys: { input: (keys) => ({ "kaituan.keys": count(keys) }), output: (got) => ({ "kaituan.found": got.size }) },
    orders: {
      input: (q) => ({
        ...roundQuery(q),
        "kaituan.statuses": list(q.status),
        // Whether the query is one buyer's orders; never the buyer id.
        "kaituan.by_buyer": q.buyerId !== undefined,
        "kaituan.after_seq": num(q.afterSeq),
        "kaituan.limit": num(q.limit)
      }),
      output: rows
    },
    order: { input: (orderId) => ({ "kaituan.order.id": str(orderId) }), output: found },
    reviewQueue: {
      input: (q) => ({ ...roundQuery(q), "kaituan.include_resolved": q.includeResolved === true }),
      output: rows
    },
    notOrdered: { input: roundQuery, output: rows },
    stock: { input: roundQuery, output: rows },
    // A buyer is looked up by id: the span says only whether one was found.
    buyer: { output: found },
    replaceViews: { input: (views) => ({ "kaituan.views": count(views) }) },
    claimOutbox: {
      input: (q) => ({ "kaituan.limit": num(q.limit), "kaituan.lease_ms": num(q.leaseMs) }),
      output: rows
    },
    ackOutbox: { input: (ids) => ({ "kaituan.messages": count(ids) }) },
    // The error text is an adapter's: it is kept in storage for the organiser, never in the span.
    failOutbox: {
      input: (id, _error, retryAfterMs) => ({
        "kaituan.message.id": str(id),
        "kaituan.retry_after_ms": num(retryAfterMs)
      })
    },
    deadLetterOutbox: { input: (id) => ({ "kaituan.message.id": str(id) }) },
    deadLetters: { input: (q) => ({ "kaituan.limit": num(q.limit) }), output: rows },
    retryDeadLetters: {
      input: (ids) => ({ "kaituan.messages": count(ids) }),
      output: (n) => ({ "kaituan.retried": n })
    },
    claimJobs: {
      input: (q) => ({ "kaituan.limit": num(q.limit), "kaituan.lease_ms": num(q.leaseMs) }),
      output: (jobs) => ({ ...rows(jobs), ...countsBy(jobs, (j) => j.kind, "kaituan.jobs.kind") })
    },
    completeJob: { input: (id) => ({ "kaituan.job.id": str(id) }), output: claimHeld },
    failJob: {
      input: (id, _claim, _error, retryAt) => ({
        "kaituan.job.id": str(id),
        "kaituan.job.retry": retryAt !== undefined
      }),
      output: claimHeld
    },
    jobs: {
      input: (q) => ({
        "kaituan.statuses": list(q.status),
        "kaituan.job.kind": str(q.kind),
        "kaituan.limit": num(q.limit)
      }),
      output: rows
    },
    // A document's id may be a buyer's (a buyer-history model): only the model's name is shown.
    document: { input: (model) => ({ "kaituan.read_model": str(model) }), output: found },
    documents: {
      input: (q) => ({
        "kaituan.read_model": str(q.model),
        "kaituan.key": q.key === undefined ? undefined : str(q.key.k),
        "kaituan.paged": q.after !== undefined,
        "kaituan.limit": num(q.limit)
      }),
      output: rows
    },
    catchUp: {
      input: (model) => ({ "kaituan.read_model": model === undefined ? "*" : str(model) }),
      output: (applied) => ({ "kaituan.events": applied })
    },
    rebuild: { input: (model) => ({ "kaituan.read_model": str(model) }) },
    readModels: { output: rows }
  })
