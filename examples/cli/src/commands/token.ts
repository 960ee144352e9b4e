/**
 * `kaituan token create --role organiser|helper [--label L] [--db DB] [--json]`,
 * `kaituan token revoke ID [--db DB]`, `kaituan token list [--db DB] [--json]`: the API's access
 * tokens (docs/cli.md), kept hashed in the database (`@kaituan/http`'s Tokens). `create` prints the
 * token once, on standard output alone (so `TOKEN=$(kaituan token create …)` works); nothing
 * prints it again. `list` shows ids, roles, labels and dates, never a secret.
 */
import { Tokens } from "@kaituan/http"
import { Database } from "@kaituan/storage-sql"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import { dbIn, storageLayer } from "../Engine.js"
import { type Command, FlagError, flags, UsageError } from "../Io.js"
import { table } from "../Table.js"

export const createUsage = `kaituan token create --role organiser|helper [--label LABEL] [--db PATH|postgres://…] [--json]

Creates an access token for the back-office API (/api/v1) and prints it once on standard output:
keep it like a password; only its hash is kept. An organiser token may do everything; a helper
(小幫手) token may see and work on orders, the review queue, shipping and pickups, but not approve
or record payments, create or close rounds, send dead letters again or see a buyer's personal data.
With --json it prints {"tokenId", "role", "label", "createdAt", "token"}.`

export const revokeUsage = `kaituan token revoke ID [--db PATH|postgres://…]

Revokes the token with this id (from "kaituan token list"): a server sharing the database refuses
it from its next request on.`

export const listUsage = `kaituan token list [--db PATH|postgres://…] [--json]

Lists the access tokens: id, role, label, when created and revoked. Never a token itself.`

/** Runs a Tokens program against `--db`; storage failures become errors that name no secret. */
const withTokens = async <A>(db: string, program: Effect.Effect<A, unknown, Tokens.Tokens>): Promise<A> => {
  const layer = Tokens.layer.pipe(Layer.provide(storageLayer(db)))
  const exit = await Effect.runPromiseExit(Effect.scoped(Effect.provide(program, layer)))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.findErrorOption(exit.cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { _tag?: string; reason?: string; message?: string }
    if (e._tag === "TokenError") throw new UsageError(`token: ${e.message ?? String(e)}`)
    throw new Error(`cannot use the database ${Database.redact(db)}: ${Database.redact(e.message ?? String(e), db)}`)
  }
  throw new Error(Cause.pretty(exit.cause))
}

const dateOf = (iso: string | undefined): string => (iso === undefined ? "" : iso.replace("T", " ").slice(0, 19))

export const create: Command = async (argv, io) => {
  const { values } = flags(argv, {
    role: { type: "string" },
    label: { type: "string" },
    db: { type: "string", default: Database.defaultUrl },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${createUsage}\n`)
    return 0
  }
  if (values.role !== "organiser" && values.role !== "helper")
    throw new UsageError(
      values.role === undefined
        ? "token create: --role organiser|helper is required"
        : `token create: --role must be organiser or helper, not ${JSON.stringify(values.role)}`
    )
  const role = values.role
  const created = await withTokens(
    dbIn(values.db, io.cwd),
    Tokens.Tokens.use((t) => t.create({ role, label: values.label }))
  )
  const token = Redacted.value(created.token)
  if (values.json) io.stdout.write(`${JSON.stringify({ ...created.info, token })}\n`)
  else {
    io.stdout.write(`${token}\n`)
    io.stderr.write(
      `kaituan: token ${created.info.tokenId} (${created.info.role}, "${created.info.label}") created. It is shown this once: keep it safe.\n` +
        `Use it as "Authorization: Bearer <token>"; revoke it with "kaituan token revoke ${created.info.tokenId}".\n`
    )
  }
  return 0
}

/** The one positional argument (the token id) of `argv`, and the rest. */
const splitId = (argv: ReadonlyArray<string>): { id: string | undefined; rest: Array<string> } => {
  const rest: Array<string> = []
  const ids: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--db") {
      rest.push(a)
      if (i + 1 < argv.length) rest.push(argv[++i]!)
    } else if (a.startsWith("-")) rest.push(a)
    else ids.push(a)
  }
  if (ids.length > 1) throw new FlagError(`expected one token id, got ${ids.length}`)
  return { id: ids[0], rest }
}

export const revoke: Command = async (argv, io) => {
  const { id, rest } = splitId(argv)
  const { values } = flags(rest, {
    db: { type: "string", default: Database.defaultUrl },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${revokeUsage}\n`)
    return 0
  }
  if (id === undefined) throw new UsageError('token revoke: the token id is required (see "kaituan token list")')
  const info = await withTokens(
    dbIn(values.db, io.cwd),
    Tokens.Tokens.use((t) => t.revoke({ tokenId: id }))
  )
  io.stdout.write(`revoked ${info.tokenId} (${info.role}, "${info.label}") at ${dateOf(info.revokedAt)}\n`)
  return 0
}

export const list: Command = async (argv, io) => {
  const { values } = flags(argv, {
    db: { type: "string", default: Database.defaultUrl },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${listUsage}\n`)
    return 0
  }
  const tokens = await withTokens(
    dbIn(values.db, io.cwd),
    Tokens.Tokens.use((t) => t.list())
  )
  if (values.json) {
    io.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`)
    return 0
  }
  if (tokens.length === 0) {
    io.stdout.write('no tokens yet: create one with "kaituan token create --role organiser"\n')
    return 0
  }
  io.stdout.write(
    `${table(
      ["id", "role", "label", "created", "revoked"],
      tokens.map((t) => [t.tokenId, t.role, t.label, dateOf(t.createdAt), dateOf(t.revokedAt)])
    )}\n`
  )
  return 0
}
