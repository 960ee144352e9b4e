/**
 * Which round a comment goes to, now that rounds live in the database and several may be open.
 *
 * 1. An open round that says which conversations it listens to (`listens` in its round file:
 *    LINE group/room ids, Telegram chat ids, Facebook post ids) takes the comments of those.
 * 2. Otherwise the round this server was started with (`--round`), while it is open and lists no
 *    conversations: the operator named it.
 * 3. Otherwise the one open round that lists no conversations takes it.
 * 4. Otherwise (no open round, or several that list none) the comment is refused, and the request
 *    log says why (`no-open-round`, `several-open-rounds`): nothing is guessed.
 *
 * The open rounds come from the `rounds` read model (cached for a second, so a webhook costs one
 * small query a second at most); a round's `listens` from its `RoundCreated` event (read once).
 */
import { Storage } from "@kaituan/core"
import { Effect } from "effect"

/** A conversation a round listens to. */
export interface Listen {
  readonly channel: string
  readonly conversation: string
}

/** An open round, with the conversations it listens to (none: it takes what no other round listens to). */
export interface OpenRound {
  readonly roundId: string
  readonly listens: ReadonlyArray<Listen>
}

/** Where a comment goes. */
export type Routed =
  | { readonly _tag: "Round"; readonly roundId: string }
  | { readonly _tag: "Refused"; readonly reason: "no-open-round" | "several-open-rounds" }

/** The round for a comment on `channel` in `conversation`, among the open rounds (pure). */
export const choose = (
  open: ReadonlyArray<OpenRound>,
  channel: string,
  conversation: string | undefined,
  /** The round the server was started with, if any. */
  preferred?: string | undefined
): Routed => {
  if (conversation !== undefined) {
    const listening = open.filter((r) =>
      r.listens.some((l) => l.channel === channel && l.conversation === conversation)
    )
    if (listening.length === 1) return { _tag: "Round", roundId: listening[0]!.roundId }
    if (listening.length > 1) return { _tag: "Refused", reason: "several-open-rounds" }
  }
  const general = open.filter((r) => r.listens.length === 0)
  if (preferred !== undefined && general.some((r) => r.roundId === preferred))
    return { _tag: "Round", roundId: preferred }
  if (general.length === 1) return { _tag: "Round", roundId: general[0]!.roundId }
  return { _tag: "Refused", reason: general.length === 0 ? "no-open-round" : "several-open-rounds" }
}

/** The `listens` of a round file as stored in its `RoundCreated` event (none when it has none). */
export const listensOf = (spec: unknown): ReadonlyArray<Listen> => {
  const raw = typeof spec === "object" && spec !== null ? (spec as { listens?: unknown }).listens : undefined
  if (!Array.isArray(raw)) return []
  const out: Array<Listen> = []
  for (const l of raw) {
    const { channel, conversation } = (typeof l === "object" && l !== null ? l : {}) as Record<string, unknown>
    if (typeof channel === "string" && typeof conversation === "string") out.push({ channel, conversation })
  }
  return out
}

/** The router: {@link RoundRouter.route} per comment. */
export interface RoundRouter {
  readonly route: (
    channel: string,
    conversation: string | undefined
  ) => Effect.Effect<Routed, Storage.StorageError, Storage.Storage>
  /** Forget the cached open rounds (a round was opened or closed through this server). */
  readonly invalidate: () => void
}

/** Options of {@link make}. */
export interface Options {
  /** The round the server was started with (`--round`): it takes what no other round listens to while it is open. */
  readonly preferred?: string | undefined
  /** How long the open rounds are cached. Default 1,000 ms. */
  readonly maxAgeMs?: number | undefined
  readonly now?: (() => number) | undefined
}

/** A router reading the open rounds from Storage. */
export const make = (options: Options = {}): RoundRouter => {
  const maxAge = options.maxAgeMs ?? 1_000
  const now = options.now ?? Date.now
  let cached: { readonly at: number; readonly open: ReadonlyArray<OpenRound> } | undefined
  const listens = new Map<string, ReadonlyArray<Listen>>()

  const listensOfRound = (storage: Storage.StorageService, roundId: string) =>
    Effect.gen(function* () {
      const known = listens.get(roundId)
      if (known !== undefined) return known
      const { events } = yield* storage.readStream(Storage.roundStream(roundId))
      const created = events.find((e) => e.type === "RoundCreated")
      const found = listensOf((created?.data as { spec?: unknown } | undefined)?.spec)
      listens.set(roundId, found)
      return found
    })

  const openRounds = Effect.gen(function* () {
    if (cached !== undefined && now() - cached.at < maxAge) return cached.open
    const storage = yield* Storage.Storage
    const rows = yield* storage.documents({ model: "rounds", key: { k: "k1", value: "open" }, limit: 200 })
    const open: Array<OpenRound> = []
    for (const r of rows) open.push({ roundId: r.id, listens: yield* listensOfRound(storage, r.id) })
    cached = { at: now(), open }
    return open
  })

  return {
    route: (channel, conversation) =>
      Effect.map(openRounds, (open) => choose(open, channel, conversation, options.preferred)),
    invalidate: () => {
      cached = undefined
    }
  }
}
