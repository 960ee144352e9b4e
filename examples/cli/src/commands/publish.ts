/**
 * `kaituan round publish --db DB --round ID [--json]`: queues the round's announcement (title;
 * items with prices and what is left; how to order, with examples in the round's own syntax; the
 * cutoff in Taipei time) to every conversation the round listens to (`listens` in the round
 * file), through the database's outbox: `kaituan serve` over the same database sends it (LINE
 * push to the group, Telegram sendMessage to the chat, a Facebook comment on the post or a Page
 * post). Publishing again without a change queues nothing new. docs/cli.md.
 */
import { Database } from "@kaituan/storage-sql"
import { GroupBuy, MessageTemplates, Publish } from "@kaituan/core"
import { Effect } from "effect"
import { dbIn, runApp } from "../Engine.js"
import { type Command, flags, UsageError } from "../Io.js"
import { table } from "../Table.js"

export const usage = `kaituan round publish --round ID [--db PATH|postgres://…] [--json]

Queues the round's announcement (title, items with prices and what is left, how to order with
examples in the round's own syntax, the cutoff in Taipei time) to every conversation the round
listens to ("listens" in the round file): "kaituan serve" over the same database sends it. Run
again without a change, it queues nothing new ("duplicate"). Prints the announcement and where it
goes; with --json, {"roundId", "status", "messages": [{"messageId", "channel", "conversation"}],
"examples", "text"}. Exit 2 for an unknown round or one that is not open.`

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    round: { type: "string" },
    db: { type: "string", default: Database.defaultUrl },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  const roundId = values.round
  if (roundId === undefined || roundId === "") throw new UsageError("round publish: --round ID is required")
  const outcome = await runApp(
    dbIn(values.db, io.cwd),
    Publish.publishRound({ roundId }).pipe(
      Effect.catchIf(
        (e) => e instanceof GroupBuy.GroupBuyError && (e.reason === "unknown-round" || e.reason === "invalid-input"),
        (e) => Effect.fail(new UsageError(`round publish: ${e.message}`))
      )
    )
  )
  const text = MessageTemplates.render("round-announcement", outcome.data)
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify({
        roundId: outcome.roundId,
        status: outcome.status,
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
        messages: outcome.messages,
        examples: outcome.data.examples,
        text
      })}\n`
    )
    return 0
  }
  io.stdout.write(`${text}\n\n`)
  if (outcome.status === "skipped") io.stdout.write(`Not queued: ${outcome.reason ?? "nothing to send"}.\n`)
  else {
    io.stdout.write(
      `${table(
        ["channel", "conversation", "message"],
        outcome.messages.map((m) => [m.channel, m.conversation, m.messageId])
      )}\n`
    )
    io.stdout.write(
      outcome.status === "queued"
        ? `Queued for ${outcome.messages.length} conversation(s); "kaituan serve" sends it.\n`
        : "Already queued with the same content: nothing new.\n"
    )
  }
  return 0
}
