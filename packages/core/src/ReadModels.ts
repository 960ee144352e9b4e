/**
 * Read models registered by name. A read model is defined once, as a value (its document schema,
 * the events it reads, how each event changes its documents, up to three indexed lookup keys), and
 * every Storage runs it: memory, SQLite and PostgreSQL alike. An `inline` model is changed in the
 * transaction of the commit whose events it reads (never out of step); a `catch-up` model follows
 * the events from a stored checkpoint when `Storage.catchUp` is called. Both can be rebuilt from
 * the events, and a new `version` rebuilds a model when its storage starts.
 *
 * ```ts
 * const storage = Storage.makeMemory({ readModels: [...ReadModels.builtIn, myModel] })
 * const round = yield* ReadModels.get(Rounds.definition, "socks") // decoded with its schema
 * ```
 *
 * A new built-in read model is one file in `readModels/` and one line in {@link builtIn}.
 *
 * The lower half of this module (`compile`, `Runner`, `fold`, `toRow`) is the engine the Storage
 * implementations share, so every store derives the same documents from the same definition.
 *
 * @since 0.2.0
 */
import { Effect, Layer, Result, Schema } from "effect"
import * as BuyerHistory from "./readModels/BuyerHistory.js"
import * as Members from "./readModels/Members.js"
import * as RefundsDue from "./readModels/RefundsDue.js"
import * as Rounds from "./readModels/Rounds.js"
import { Storage, StorageError, type StorageService, type StoredEvent } from "./Storage.js"
import { describeCause } from "./internal/describeCause.js"

/** Options of {@link layerCatchUp}. */
export interface CatchUpOptions {
  /** How long to wait between two `Storage.catchUp()` passes. Default 5 s. */
  readonly everyMs?: number | undefined
}

/**
 * A scoped, long-running catch-up: a fiber in the layer's scope runs `Storage.catchUp()` (every
 * `catch-up` read model, from its checkpoint), waits `everyMs`, and again, until the scope closes
 * (then the fiber is interrupted; the checkpoint keeps what was applied). A failed pass is logged
 * with the error's tag only (no personal data) and tried again after `everyMs`. Time comes from
 * Effect's `Clock`: no timers in the host.
 *
 * @example
 * ```ts
 * const app = Layer.mergeAll(Scheduler.layer({ handlers: Scheduler.builtIn }), ReadModels.layerCatchUp({ everyMs: 2_000 }))
 *   .pipe(Layer.provideMerge(appLayer))
 * ```
 *
 * @since 0.3.0
 */
export const layerCatchUp = (options: CatchUpOptions = {}): Layer.Layer<never, never, Storage> => {
  const everyMs = options.everyMs ?? 5_000
  const pass = Effect.flatMap(Storage, (s: StorageService) => s.catchUp()).pipe(
    Effect.catchCause((cause) =>
      Effect.logWarning("ReadModels: catch-up failed; trying again", { error: describeCause(cause) })
    )
  )
  const loop = Effect.gen(function* () {
    for (;;) {
      yield* pass
      yield* Effect.sleep(everyMs)
    }
  })
  return Layer.effectDiscard(Effect.forkScoped(loop))
}

/** The indexed lookup keys of a document (at most three, each a string). */
export interface Keys {
  readonly k1?: string | undefined
  readonly k2?: string | undefined
  readonly k3?: string | undefined
}

/** A read model, as a value. See the module documentation. */
export interface Definition<Doc> {
  /** Its registered name: `/^[a-z][a-z0-9-]{0,39}$/`, unique among a store's read models. */
  readonly name: string
  /** A new version rebuilds it from the events when its storage starts. */
  readonly version: number
  /** `inline`: in the commit's transaction; `catch-up`: from a checkpoint, by `Storage.catchUp`. */
  readonly mode: "inline" | "catch-up"
  /** The document's schema; its encoded form must be JSON (it is what storage keeps). */
  readonly document: Schema.Codec<Doc, any>
  /** Only events of these types are offered to it (the fast filter: a commit without them costs nothing). */
  readonly eventTypes: ReadonlyArray<string>
  /** The ids of the documents an event changes (none: it does not concern this model). */
  readonly documentIds: (event: StoredEvent) => ReadonlyArray<string>
  /** The document after the event (`doc` undefined: not there yet); undefined deletes it. */
  readonly evolve: (doc: Doc | undefined, event: StoredEvent) => Doc | undefined
  /** Up to three indexed lookup keys (see `Storage.documents`'s `key`). */
  readonly keys?: ((doc: Doc) => Keys) | undefined
}

/** The built-in `buyer-history` read model (catch-up): one document per buyer across rounds. */
export * as BuyerHistory from "./readModels/BuyerHistory.js"
/** The built-in `rounds` read model (inline): one document per round. */
export * as Rounds from "./readModels/Rounds.js"
/** The built-in `refunds-due` read model (inline): one document per order owing its buyer money back. */
export * as RefundsDue from "./readModels/RefundsDue.js"

/** The built-in `members` and `member-purchases` read models (catch-up): members across channels and rounds. */
export * as Members from "./readModels/Members.js"

/**
 * The read models every storage runs by default: `rounds` and `refunds-due` (inline),
 * `buyer-history`, `members` and `member-purchases` (catch-up).
 */
export const builtIn: ReadonlyArray<Definition<any>> = [
  Rounds.definition,
  BuyerHistory.definition,
  RefundsDue.definition,
  Members.definition,
  Members.purchasesDefinition
]

/** A read model's name: lower-case letters, digits and `-`, starting with a letter, at most 40. */
export const namePattern = /^[a-z][a-z0-9-]{0,39}$/

const corrupt = (model: string, what: string) =>
  new StorageError({ reason: "corrupt", message: `read model ${model}: ${what}` })

/**
 * One document of a read model, decoded with its schema; undefined when there is none.
 *
 * @example
 * ```ts
 * const round = yield* ReadModels.get(Rounds.definition, "socks")
 * ```
 */
export const get = <Doc>(
  definition: Definition<Doc>,
  id: string
): Effect.Effect<Doc | undefined, StorageError, Storage> =>
  Effect.flatMap(Storage, (s: StorageService) =>
    Effect.flatMap(s.document(definition.name, id), (encoded) =>
      encoded === undefined ? Effect.succeed(undefined) : decodeDocument(definition, encoded)
    )
  )

/**
 * Documents of a read model in id order, decoded with its schema: optionally only those whose
 * key (`k1`, `k2`, `k3`) equals `value`; `after` an id for the next page; at most `limit` (100
 * by default).
 *
 * @example
 * ```ts
 * const open = yield* ReadModels.list(Rounds.definition, { key: { k: "k1", value: "open" } })
 * ```
 */
export const list = <Doc>(
  definition: Definition<Doc>,
  query: {
    readonly key?: { readonly k: "k1" | "k2" | "k3"; readonly value: string } | undefined
    readonly after?: string | undefined
    readonly limit?: number | undefined
  } = {}
): Effect.Effect<ReadonlyArray<{ readonly id: string; readonly doc: Doc }>, StorageError, Storage> =>
  Effect.flatMap(Storage, (s: StorageService) =>
    Effect.flatMap(
      s.documents({ model: definition.name, key: query.key, after: query.after, limit: query.limit ?? 100 }),
      (rows) => Effect.forEach(rows, (r) => Effect.map(decodeDocument(definition, r.doc), (doc) => ({ id: r.id, doc })))
    )
  )

/** Decodes a stored (encoded) document with its definition's schema; `corrupt` when it does not fit. */
export const decodeDocument = <Doc>(
  definition: Definition<Doc>,
  encoded: unknown
): Effect.Effect<Doc, StorageError> => {
  const r = Schema.decodeUnknownResult(definition.document)(encoded)
  return Result.isSuccess(r)
    ? Effect.succeed(r.success)
    : Effect.fail(corrupt(definition.name, `a stored document does not decode: ${r.failure.message}`))
}

// ---------------------------------------------------------------------------------------------
// The engine Storage implementations share

/** A read model compiled for a store: its definition, its event filter and its codec. */
export interface Runner {
  readonly definition: Definition<unknown>
  readonly name: string
  readonly inline: boolean
  /** Whether events of this type are offered to the model. */
  readonly offers: (type: string) => boolean
  /** A stored (encoded) document, decoded. */
  readonly decode: (encoded: unknown) => Result.Result<unknown, StorageError>
  /** A document as it is stored: encoded, with its keys. */
  readonly toRow: (id: string, doc: unknown) => Result.Result<DocumentRow, StorageError>
}

/** A document as storage keeps it: its id, its encoded form and its lookup keys. */
export interface DocumentRow {
  readonly id: string
  readonly doc: unknown
  readonly k1: string | undefined
  readonly k2: string | undefined
  readonly k3: string | undefined
}

/** The read models of a store, compiled once: all of them by name, and the inline ones. */
export interface Registry {
  readonly all: ReadonlyArray<Runner>
  readonly byName: ReadonlyMap<string, Runner>
  readonly inline: ReadonlyArray<Runner>
  readonly catchUp: ReadonlyArray<Runner>
  /** Every event type an inline model reads (a commit with none of them skips the inline step). */
  readonly inlineTypes: ReadonlySet<string>
}

const runnerOf = (definition: Definition<unknown>): Runner => {
  const types = new Set(definition.eventTypes)
  const decode = Schema.decodeUnknownResult(definition.document)
  const encode = Schema.encodeUnknownResult(definition.document)
  const name = definition.name
  const keys = definition.keys
  return {
    definition,
    name,
    inline: definition.mode === "inline",
    offers: (type) => types.has(type),
    decode: (encoded) => {
      const r = decode(encoded)
      return Result.isSuccess(r)
        ? Result.succeed(r.success)
        : Result.fail(corrupt(name, `a stored document does not decode: ${r.failure.message}`))
    },
    toRow: (id, doc) => {
      const r = encode(doc)
      if (Result.isFailure(r)) return Result.fail(corrupt(name, `a document does not encode: ${r.failure.message}`))
      const k = keys === undefined ? undefined : keys(doc)
      return Result.succeed({ id, doc: r.success, k1: k?.k1, k2: k?.k2, k3: k?.k3 })
    }
  }
}

/**
 * Checks and compiles a store's read models: names must match {@link namePattern} and be unique,
 * versions must be integers, and the mode inline or catch-up.
 */
export const compile = (definitions: ReadonlyArray<Definition<any>>): Result.Result<Registry, StorageError> => {
  const byName = new Map<string, Runner>()
  for (const d of definitions) {
    const bad = (why: string) =>
      Result.fail(new StorageError({ reason: "unavailable", message: `invalid read model ${show(d?.name)}: ${why}` }))
    if (typeof d?.name !== "string" || !namePattern.test(d.name))
      return bad("the name must match /^[a-z][a-z0-9-]{0,39}$/")
    if (byName.has(d.name)) return bad("registered twice")
    if (!Number.isSafeInteger(d.version)) return bad("the version must be an integer")
    if (d.mode !== "inline" && d.mode !== "catch-up") return bad('the mode must be "inline" or "catch-up"')
    byName.set(d.name, runnerOf(d))
  }
  const all = [...byName.values()]
  const inline = all.filter((r) => r.inline)
  return Result.succeed({
    all,
    byName,
    inline,
    catchUp: all.filter((r) => !r.inline),
    inlineTypes: new Set(inline.flatMap((r) => r.definition.eventTypes))
  })
}

const show = (u: unknown) => (typeof u === "string" ? JSON.stringify(u.slice(0, 60)) : typeof u)

/**
 * The ids of the documents these events change, per model (only models offered some of them;
 * events in the order given, which must be their global order).
 */
export const touched = (
  runners: ReadonlyArray<Runner>,
  events: ReadonlyArray<StoredEvent>
): Map<Runner, { readonly ids: Set<string>; readonly events: Array<StoredEvent> }> => {
  const out = new Map<Runner, { ids: Set<string>; events: Array<StoredEvent> }>()
  for (const e of events) {
    for (const r of runners) {
      if (!r.offers(e.type)) continue
      const ids = r.definition.documentIds(e)
      if (ids.length === 0) continue
      let t = out.get(r)
      if (t === undefined) {
        t = { ids: new Set(), events: [] }
        out.set(r, t)
      }
      for (const id of ids) t.ids.add(id)
      t.events.push(e)
    }
  }
  return out
}

/**
 * Folds events (in global order) into `docs` (id → decoded document; a missing id or undefined:
 * none), in place, and returns the ids it changed. An `evolve` that throws fails the fold as
 * `corrupt` (a read-model bug must not pass silently).
 */
export const fold = (
  runner: Runner,
  events: Iterable<StoredEvent>,
  docs: Map<string, unknown>
): Result.Result<Set<string>, StorageError> => {
  const changed = new Set<string>()
  const d = runner.definition
  try {
    for (const e of events) {
      if (!runner.offers(e.type)) continue
      for (const id of d.documentIds(e)) {
        const next = d.evolve(docs.get(id), e)
        docs.set(id, next)
        changed.add(id)
      }
    }
  } catch (cause) {
    return Result.fail(corrupt(runner.name, `evolve failed: ${cause instanceof Error ? cause.message : String(cause)}`))
  }
  return Result.succeed(changed)
}
