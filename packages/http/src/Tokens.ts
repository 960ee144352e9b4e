/**
 * Access tokens for the organiser's API: created, listed, revoked and checked, kept as events on
 * the stream {@link stream} (`access:tokens`) of the app's `Storage`, so memory, SQLite and
 * PostgreSQL all keep them with no table of their own.
 *
 * - A token is 32 random bytes (`kt_` + base64url). Only its SHA-256 is stored
 *   ({@link TokenCreated}); the plain token is returned once, by {@link TokensService.create}.
 * - {@link TokensService.authenticate} hashes what a request presents and compares it with every
 *   active token's hash in constant time. Before each check it reads the events added to the
 *   stream since the last check (`readStream(stream, fromVersion)`), so a token revoked by another
 *   process (`kaituan token revoke`) is refused on the next request.
 * - Two roles ({@link Role}): `organiser` (everything) and `helper` (小幫手: orders, review,
 *   shipping and pickup).
 *
 * Hashing and randomness use WebCrypto (`globalThis.crypto`), so this runs wherever the API does
 * (Node, Bun, Deno, edge runtimes).
 *
 * @since 0.2.0
 */
import { ConstantTime, Storage } from "@kaituan/core"
import { Clock, Context, Effect, Layer, Redacted, Result, Schema } from "effect"

/** The stream the token events live on. */
export const stream = "access:tokens"

/** Who a token acts as: the organiser (everything) or a helper (小幫手). */
export const Role = Schema.Literals(["organiser", "helper"])
/** See {@link Role}. */
export type Role = typeof Role.Type

/** A token's label: what the organiser calls it (`小美的手機`), 1 to 100 characters, no control characters. */
export const Label = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(100),
  Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "expected no control characters" })
)

/** A token was created: its id, role, label and the SHA-256 (hex) of the token. */
export const TokenCreated = Schema.TaggedStruct("TokenCreated", {
  tokenId: Schema.String,
  role: Role,
  label: Schema.String,
  hash: Schema.String,
  at: Schema.String
})
/** A token was revoked: it is refused from the next request on. */
export const TokenRevoked = Schema.TaggedStruct("TokenRevoked", { tokenId: Schema.String, at: Schema.String })
/** The events of {@link stream}. */
export const Event = Schema.Union([TokenCreated, TokenRevoked])
/** See {@link Event}. */
export type Event = typeof Event.Type

/** A token as it is listed: never its secret or hash. */
export const TokenInfo = Schema.Struct({
  tokenId: Schema.String,
  role: Role,
  label: Schema.String,
  createdAt: Schema.String,
  revokedAt: Schema.optional(Schema.String)
})
/** See {@link TokenInfo}. */
export type TokenInfo = typeof TokenInfo.Type

/** Who is calling: the token that authenticated the request. */
export const Actor = Schema.Struct({ tokenId: Schema.String, role: Role, label: Schema.String })
/** See {@link Actor}. */
export type Actor = typeof Actor.Type

/** A token was created: the plain token (shown once, never stored) and its listing. */
export interface Created {
  readonly token: Redacted.Redacted<string>
  readonly info: TokenInfo
}

/** Why a token operation was refused: `unknown-token` (no such id) or `invalid-input` (`field` says which). */
export class TokenError extends Schema.TaggedError<TokenError>()("TokenError", {
  reason: Schema.Literals(["unknown-token", "invalid-input"]),
  message: Schema.String,
  field: Schema.optional(Schema.String)
}) {}

/** The tokens service. */
export interface TokensService {
  /** Creates a token; the result holds the plain token, which is not kept anywhere. */
  readonly create: (input: {
    readonly role: Role
    readonly label?: string | undefined
  }) => Effect.Effect<Created, TokenError | Storage.StorageError>
  /** Revokes a token by id (revoking it again changes nothing). */
  readonly revoke: (input: { readonly tokenId: string }) => Effect.Effect<TokenInfo, TokenError | Storage.StorageError>
  /** Every token ever created, oldest first, revoked ones with `revokedAt`. */
  readonly list: () => Effect.Effect<ReadonlyArray<TokenInfo>, Storage.StorageError>
  /** The actor of an active token, or undefined for an unknown or revoked one (or none). */
  readonly authenticate: (
    token: string | Redacted.Redacted<string> | undefined
  ) => Effect.Effect<Actor | undefined, Storage.StorageError>
  /**
   * Creates an organiser token if no token was ever created on this storage (the stream is
   * empty), atomically across processes; undefined when there are tokens already.
   */
  readonly bootstrap: (input?: {
    readonly label?: string | undefined
  }) => Effect.Effect<Created | undefined, Storage.StorageError>
}

/** The tokens service's tag. */
export class Tokens extends Context.Service<Tokens, TokensService>()("@kaituan/http/Tokens") {}

// ---------------------------------------------------------------------------------------------

const PREFIX = "kt_"

const base64url = (bytes: Uint8Array): string => {
  let s = ""
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")
}

const randomBytes = (n: number): Uint8Array => globalThis.crypto.getRandomValues(new Uint8Array(n))

const hex = (bytes: ArrayBuffer): string => {
  let s = ""
  for (const b of new Uint8Array(bytes)) s += b.toString(16).padStart(2, "0")
  return s
}

/** The SHA-256 of a token, hex: what is stored. */
export const hashToken = (token: string): Effect.Effect<string> =>
  Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))).pipe(
    Effect.map(hex)
  )

/** Compares two strings in time that depends only on their lengths. */
export const constantTimeEqual = (a: string, b: string): boolean => ConstantTime.equals(a, b)

interface Held {
  readonly info: TokenInfo
  readonly hash: string
}

const decodeEvent = Schema.decodeUnknownResult(Event)
const decodeRole = Schema.decodeUnknownResult(Role)
const decodeLabel = Schema.decodeUnknownResult(Label)

/** Builds the service over the context's Storage. */
export const make: Effect.Effect<TokensService, never, Storage.Storage> = Effect.gen(function* () {
  const storage = yield* Storage.Storage
  /** What this process has read of the stream so far. */
  const state = { version: 0, tokens: new Map<string, Held>() }

  const apply = (e: Event) => {
    if (e._tag === "TokenCreated") {
      if (!state.tokens.has(e.tokenId))
        state.tokens.set(e.tokenId, {
          info: { tokenId: e.tokenId, role: e.role, label: e.label, createdAt: e.at },
          hash: e.hash
        })
    } else {
      const held = state.tokens.get(e.tokenId)
      if (held && held.info.revokedAt === undefined)
        state.tokens.set(e.tokenId, { ...held, info: { ...held.info, revokedAt: e.at } })
    }
  }

  /** Reads the events added since the last read (another process may have added some). */
  const refresh = Effect.gen(function* () {
    const { events } = yield* storage.readStream(stream, state.version)
    for (const stored of events) {
      if (stored.version <= state.version) continue
      const decoded = decodeEvent(stored.data)
      if (Result.isSuccess(decoded)) apply(decoded.success)
      state.version = stored.version
    }
  })

  const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  /** Appends one event at the version read; a concurrent writer makes it read again and retry. */
  const append = (event: (at: string) => Event, expected?: number) =>
    Effect.gen(function* () {
      yield* refresh
      const at = yield* nowIso
      const e = event(at)
      yield* storage.commit([
        {
          appends: [{ stream, expectedVersion: expected ?? state.version, events: [{ type: e._tag, data: e, at }] }],
          views: [],
          outbox: []
        }
      ])
      yield* refresh
      return e
    })

  const retryOnConflict = <A, E>(effect: Effect.Effect<A, E | Storage.StorageError>) =>
    Effect.retry(effect, {
      times: 10,
      while: (e) => e instanceof Storage.StorageError && e.reason === "conflict"
    })

  const fresh = (role: Role, label: string, expected?: number) =>
    Effect.gen(function* () {
      const token = `${PREFIX}${base64url(randomBytes(32))}`
      const tokenId = `tok_${base64url(randomBytes(9))}`
      const hash = yield* hashToken(token)
      const created = yield* append((at): Event => ({ _tag: "TokenCreated", tokenId, role, label, hash, at }), expected)
      return { token: Redacted.make(token), info: state.tokens.get(tokenId)?.info ?? infoOf(created) }
    })

  const infoOf = (e: Event): TokenInfo =>
    e._tag === "TokenCreated"
      ? { tokenId: e.tokenId, role: e.role, label: e.label, createdAt: e.at }
      : { tokenId: e.tokenId, role: "helper", label: "", createdAt: e.at }

  const create: TokensService["create"] = (input) =>
    Effect.gen(function* () {
      const role = decodeRole(input.role)
      if (Result.isFailure(role))
        return yield* new TokenError({
          reason: "invalid-input",
          field: "role",
          message: 'the role must be "organiser" or "helper"'
        })
      const label = input.label ?? role.success
      if (Result.isFailure(decodeLabel(label)))
        return yield* new TokenError({
          reason: "invalid-input",
          field: "label",
          message: "the label must be 1 to 100 characters, without control characters"
        })
      return yield* retryOnConflict(fresh(role.success, label))
    })

  const revoke: TokensService["revoke"] = ({ tokenId }) =>
    retryOnConflict(
      Effect.gen(function* () {
        yield* refresh
        const held = state.tokens.get(tokenId)
        if (held === undefined)
          return yield* new TokenError({
            reason: "unknown-token",
            message: `no token with id ${JSON.stringify(tokenId)}`
          })
        if (held.info.revokedAt !== undefined) return held.info
        yield* append((at) => ({ _tag: "TokenRevoked", tokenId, at }))
        return state.tokens.get(tokenId)?.info ?? held.info
      })
    )

  const list: TokensService["list"] = () => Effect.map(refresh, () => [...state.tokens.values()].map((h) => h.info))

  const authenticate: TokensService["authenticate"] = (presented) =>
    Effect.gen(function* () {
      const token =
        presented === undefined ? "" : Redacted.isRedacted(presented) ? Redacted.value(presented) : presented
      yield* refresh
      if (!token.startsWith(PREFIX) || token.length > 200) return undefined
      const hash = yield* hashToken(token)
      // Every active token is compared, in constant time each: the time taken does not say which matched.
      let found: Held | undefined
      for (const held of state.tokens.values())
        if (constantTimeEqual(held.hash, hash) && held.info.revokedAt === undefined) found = held
      return found && { tokenId: found.info.tokenId, role: found.info.role, label: found.info.label }
    })

  const bootstrap: TokensService["bootstrap"] = (input) =>
    Effect.gen(function* () {
      yield* refresh
      if (state.version > 0) return undefined
      return yield* fresh("organiser", input?.label ?? "first organiser token", 0).pipe(
        Effect.catchIf(
          (e): e is Storage.StorageError => e instanceof Storage.StorageError && e.reason === "conflict",
          () => Effect.succeed(undefined)
        )
      )
    })

  return Tokens.of({ create, revoke, list, authenticate, bootstrap })
})

/** The tokens service over the app's Storage. */
export const layer: Layer.Layer<Tokens, never, Storage.Storage> = Layer.effect(Tokens, make)
