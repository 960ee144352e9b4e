/**
 * `kaituan serve [--port 8787] [--host 127.0.0.1] [--round ROUND.json] [--db DB] [--max-body 1mb]
 * [--max-upload 10mb]`: the webhook, payment and back-office server (CLI.md). Runs until SIGINT or SIGTERM, then shuts down
 * gracefully and exits 0.
 */
import process from "node:process"
import { Database } from "@kaituan/storage-sql"
import { parseSize } from "../server/Body.js"
import * as Log from "../server/Log.js"
import * as Server from "../server/Server.js"
import { type Command, type Io, flags, UsageError } from "../Io.js"
import { loadRound } from "../RoundFile.js"
import { dbIn } from "../Engine.js"

export const usage = `kaituan serve [--port 8787] [--host 127.0.0.1] [--round ROUND.json] [--db PATH|postgres://…] [--max-body 1mb] [--max-upload 10mb]

The webhook, payment and back-office server: LINE, Telegram and Facebook webhooks, NewebPay and
ECPay callbacks, the checkout page GET /pay/:orderId, the back-office API under /api/v1 (its
OpenAPI document at /api/v1/openapi.json, a documentation page at /api/docs), GET /api/rounds/:id
and GET /healthz.

Every /api route needs "Authorization: Bearer <token>" (kaituan token create); on a database with
no token yet, serve makes an organiser token and prints it once on stderr. Rounds live in the
database: --round seeds one (opened if new), the API opens more, and each comment goes to the
round that listens to its conversation, else to the one open round (else it is refused and
logged). Payment pages and notify URLs come from KAITUAN_PUBLIC_URL only: without it /pay/...
answers 503 and says why. Secrets come from the environment (docs/cli.md); a channel or gateway
without its secrets is not mounted. Logs are JSON Lines on stderr. SIGINT or SIGTERM stops it
gracefully.`

const portOf = (value: string): number => {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > 65535)
    throw new UsageError(`serve: --port must be a number from 0 to 65535, not "${value}"`)
  return n
}

/**
 * Starts the server and runs until `stop` resolves, then closes it gracefully. The command
 * passes a promise of SIGINT/SIGTERM; tests pass their own.
 */
export const serve = async (
  argv: ReadonlyArray<string>,
  io: Io,
  stop: (server: Server.RunningServer) => Promise<string>
): Promise<number> => {
  const { values } = flags(argv, {
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    round: { type: "string" },
    db: { type: "string", default: Database.defaultUrl },
    "max-body": { type: "string", default: "1mb" },
    "max-upload": { type: "string", default: "10mb" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  const port = portOf(values.port)
  const maxBodyBytes = parseSize(values["max-body"])
  if (maxBodyBytes === undefined)
    throw new UsageError(`serve: --max-body must be a size such as 1mb, 256kb or 65536, not "${values["max-body"]}"`)
  const maxUploadBytes = parseSize(values["max-upload"])
  if (maxUploadBytes === undefined)
    throw new UsageError(
      `serve: --max-upload must be a size such as 10mb, 512kb or 65536, not "${values["max-upload"]}"`
    )
  const round = values.round === undefined ? undefined : loadRound(values.round, io.cwd)
  const log = Log.make(io.stderr)
  const server = await Server.start({
    port,
    host: values.host,
    db: dbIn(values.db, io.cwd),
    round,
    maxBodyBytes,
    maxUploadBytes,
    env: io.env,
    log
  })
  if (server.firstToken !== undefined)
    io.stderr.write(
      "\nkaituan: this database had no access token, so here is the first organiser token.\n" +
        "It is shown this once (only its hash is kept): keep it like a password.\n\n" +
        `  ${server.firstToken}\n\n` +
        `Use it as "Authorization: Bearer <token>" for ${server.url}/api/v1 (docs: ${server.url}/api/docs).\n` +
        'More tokens: "kaituan token create --role organiser|helper"; list or revoke them with "kaituan token list|revoke".\n\n'
    )
  log.info("listening", {
    url: server.url,
    round: server.roundId ?? null,
    channels: server.channels,
    gateways: server.gateways,
    disabled: server.disabled.map((d) => `${d.name} (missing ${d.missing.join(", ")})`),
    maxBodyBytes
  })
  if (server.roundId === undefined)
    log.info("no-round", {
      note: "started without --round: comments go to the open round in the database (POST /api/v1/rounds opens one)"
    })
  if (server.gateways.length > 0 && !io.env.KAITUAN_PUBLIC_URL)
    log.warn("no-public-url", {
      note: "KAITUAN_PUBLIC_URL is not set: /pay/... refuses to render checkout pages until it is"
    })
  const why = await stop(server)
  log.info("stopping", { signal: why })
  await server.close()
  log.info("stopped", {})
  return 0
}

const signals = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => () => {
      process.off("SIGINT", onInt)
      process.off("SIGTERM", onTerm)
      resolve(signal)
    }
    const onInt = on("SIGINT")
    const onTerm = on("SIGTERM")
    process.once("SIGINT", onInt)
    process.once("SIGTERM", onTerm)
  })

export const run: Command = (argv, io) => serve(argv, io, () => signals())
