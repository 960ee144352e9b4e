import { Effect } from "effect"
import type { OrderStatus } from "../ReadModel.js"
import type { OutboundMessage } from "../Notification.js"
import type { Commit, CommitResult, OutboxEntry, StorageService, StoredEvent } from "../Storage.js"
import { StorageError } from "../Storage.js"
import { StringSet } from "./StringSet.js"
import { applyViewChange, emptyViews, type ViewTables } from "./views.js"

/**
 * The in-memory store. Every call runs synchronously inside one Effect, so a commit is atomic
 * with respect to other fibers: validation happens before the first write.
 */
export const makeMemoryStorage = (): StorageService => {
  // Events are kept field by field in parallel arrays (data, type, time, stream, version): no
  // object per event besides its data, which the caller made anyway (a replay keeps 100,000s of
  // them). StoredEvents are made when read.
  const dataOf: Array<unknown> = []
  const typeOf: Array<string> = []
  const atOf: Array<string> = []
  const streamOf: Array<string> = []
  const versionOf: Array<number> = []
  /** The 0-based global indexes of each stream's events, in version order. */
  const streams = new Map<string, Array<number>>()
  const stored = (i: number): StoredEvent => ({
    stream: streamOf[i]!,
    version: versionOf[i]!,
    position: i + 1,
    type: typeOf[i]!,
    data: dataOf[i],
    at: atOf[i]!
  })
  const keys = new StringSet()
  let views: ViewTables = emptyViews()
  // The outbox: messages in the order they were queued, their delivery state in parallel arrays
  // (no object per message). Rows before `unsentFrom` are all sent.
  const queued: Array<OutboundMessage> = []
  const attempts: Array<number> = []
  const availableAt: Array<number> = []
  const sent: Array<boolean> = []
  let unsentFrom = 0
  // Which row holds each message id. A commit only appends rows; the index is brought up to date
  // when the outbox is next read (claim, ack, fail), so the write path never hashes message ids.
  // A row whose id an earlier row holds is the same message: it is marked sent and never claimed.
  const rowOf = new Map<string, number>()
  let indexedTo = 0
  const indexOutbox = () => {
    for (; indexedTo < queued.length; indexedTo++) {
      const id = queued[indexedTo]!.id
      if (rowOf.has(id)) sent[indexedTo] = true
      else rowOf.set(id, indexedTo)
    }
  }

  const commit = (commits: ReadonlyArray<Commit>) =>
    Effect.suspend(() => {
      // Validate the whole batch against the current state plus earlier commits of the batch.
      // A key is claimed as it is checked (one hash operation, not two) and released again if
      // the batch fails, so a failed commit leaves no trace.
      const pending = new Map<string, number>()
      const claimed: Array<string> = []
      const results: Array<CommitResult> = []
      for (const c of commits) {
        const key = c.idempotencyKey
        if (key !== undefined) {
          if (!keys.add(key, c.keyData)) {
            results.push({ _tag: "Duplicate", idempotencyKey: key })
            continue
          }
          claimed.push(key)
        }
        const versions: Record<string, number> = {}
        for (const a of c.appends) {
          const current = pending.get(a.stream) ?? streams.get(a.stream)?.length ?? 0
          if (current !== a.expectedVersion) {
            for (const k of claimed) keys.delete(k)
            return Effect.fail(
              new StorageError({
                reason: "conflict",
                stream: a.stream,
                message: `stream ${a.stream} is at version ${current}, expected ${a.expectedVersion}`
              })
            )
          }
          pending.set(a.stream, current + a.events.length)
          versions[a.stream] = current + a.events.length
        }
        results.push({ _tag: "Committed", versions })
      }
      // Apply.
      let ri = 0
      for (const c of commits) {
        const r = results[ri++]!
        if (r._tag === "Duplicate") continue
        for (const a of c.appends) {
          let s = streams.get(a.stream)
          if (!s) {
            s = []
            streams.set(a.stream, s)
          }
          for (const e of a.events) {
            s.push(dataOf.length)
            dataOf.push(e.data)
            typeOf.push(e.type)
            atOf.push(e.at)
            streamOf.push(a.stream)
            versionOf.push(s.length)
          }
        }
        for (const v of c.views) applyViewChange(views, v)
        for (const m of c.outbox) {
          queued.push(m)
          attempts.push(0)
          availableAt.push(0)
          sent.push(false)
        }
      }
      return Effect.succeed(results)
    })

  const byStatus = (status: ReadonlyArray<OrderStatus> | undefined) => {
    const set = status ? new Set(status) : undefined
    return (s: OrderStatus) => set === undefined || set.has(s)
  }

  const service: StorageService = {
    commit,
    readStream: (stream, fromVersion = 0) =>
      Effect.sync(() => {
        const s = streams.get(stream) ?? []
        return { version: s.length, events: s.slice(fromVersion).map(stored) }
      }),
    readAll: (fromPosition, limit) =>
      Effect.sync(() => {
        const out: Array<StoredEvent> = []
        for (let i = Math.max(0, fromPosition); i < dataOf.length && out.length < limit; i++) out.push(stored(i))
        return out
      }),
    seenKeys: (ks) =>
      Effect.sync(() => {
        const seen = new Set<string>()
        for (const k of ks) if (keys.has(k)) seen.add(k)
        return seen
      }),
    readKeys: (ks) =>
      Effect.sync(() => {
        const found = new Map<string, string>()
        for (const k of ks) {
          const data = keys.get(k)
          if (data !== undefined) found.set(k, data)
        }
        return found
      }),
    orders: ({ roundId, status }) =>
      Effect.sync(() => {
        const keep = byStatus(status)
        return [...views.orders.values()]
          .filter((o) => o.roundId === roundId && keep(o.status))
          .sort((a, b) => a.seq - b.seq)
      }),
    order: (orderId) => Effect.sync(() => views.orders.get(orderId)),
    reviewQueue: ({ roundId, includeResolved }) =>
      Effect.sync(() =>
        [...views.review.values()]
          .filter((r) => r.roundId === roundId && (includeResolved || !r.resolved))
          .sort((a, b) => a.seq - b.seq)
      ),
    notOrdered: ({ roundId }) =>
      Effect.sync(() => views.notOrdered.filter((n) => n.roundId === roundId).sort((a, b) => a.seq - b.seq)),
    stock: ({ roundId }) =>
      Effect.sync(() =>
        [...views.stock.values()].filter((s) => s.roundId === roundId).sort((a, b) => (a.sku < b.sku ? -1 : 1))
      ),
    buyer: (buyerId) => Effect.sync(() => views.buyers.get(buyerId)),
    replaceViews: (changes) =>
      Effect.sync(() => {
        const fresh = emptyViews()
        for (const c of changes) applyViewChange(fresh, c)
        views = fresh
      }),
    claimOutbox: ({ limit, leaseMs }) =>
      Effect.sync(() => {
        indexOutbox()
        const now = Date.now()
        const out: Array<OutboxEntry> = []
        // Skip the sent prefix once, not on every claim (a relay claims thousands of times).
        while (unsentFrom < queued.length && sent[unsentFrom]) unsentFrom++
        for (let i = unsentFrom; i < queued.length && out.length < limit; i++) {
          if (sent[i] || availableAt[i]! > now) continue
          availableAt[i] = now + leaseMs
          attempts[i]!++
          out.push({ message: queued[i]!, attempts: attempts[i]! })
        }
        return out
      }),
    ackOutbox: (ids) =>
      Effect.sync(() => {
        indexOutbox()
        for (const id of ids) {
          const i = rowOf.get(id)
          if (i !== undefined) sent[i] = true
        }
      }),
    // The error text is not kept: nothing reads it back through the port (a SQL store keeps it
    // for people looking at the table).
    failOutbox: (id, _error, retryAfterMs) =>
      Effect.sync(() => {
        indexOutbox()
        const i = rowOf.get(id)
        if (i !== undefined && !sent[i]) availableAt[i] = Date.now() + retryAfterMs
      })
  }
  return service
}
