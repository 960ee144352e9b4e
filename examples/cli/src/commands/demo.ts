/**
 * `kaituan demo`: a complete group buy from start to finish on a fresh SQLite file, explaining
 * each step: open a round, take comments from two channels (signed LINE and Telegram webhooks),
 * close at the cutoff, reconcile a bank statement, ship (one split shipment), and print the
 * round's numbers. Messages to buyers go out through the real LINE adapter to a local stand-in
 * of LINE's API on 127.0.0.1 (the real platform is out of reach here).
 */
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { LineChannel, LineSignature, LineTestServer } from "@kaituan/adapters-line"
import { TelegramChannel } from "@kaituan/adapters-telegram"
import { ChannelAdapter, ChannelRegistry, GroupBuy, Http, OutboxRelay } from "@kaituan/core"
import { Payments } from "@kaituan/reconcile"
import { Database } from "@kaituan/storage-sql"
import { Effect, Layer, Redacted, Result } from "effect"
import { commentsOf } from "../Comments.js"
import { dbIn, runApp } from "../Engine.js"
import { type Command, flags, println, UsageError } from "../Io.js"
import { decodeRound } from "../RoundFile.js"
import { table } from "../Table.js"

const roundFile = {
  id: "demo-socks",
  title: "韓國毛襪 + 蛋黃酥 團購",
  cutoff: "2024-05-10T22:00:00+08:00",
  sellers: ["U-seller"],
  products: [
    {
      sku: "SOCK",
      name: "韓國毛襪",
      aliases: ["毛襪"],
      price: 120,
      options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
      variants: [
        { sku: "SOCK-R", options: { 顏色: "紅" }, stock: 4 },
        { sku: "SOCK-W", options: { 顏色: "白" }, stock: 3, price: 130 }
      ]
    },
    { sku: "EGG", name: "蛋黃酥", aliases: ["蛋黄酥"], price: 300, preorder: true, cap: 6 }
  ]
}

const LINE_SECRET = "demo-line-channel-secret"
const TG_SECRET = "demo-telegram-secret"

const lineBody = (events: ReadonlyArray<{ id: string; user: string; text: string; at: string }>) =>
  JSON.stringify({
    destination: "Udemo",
    events: events.map((e) => ({
      type: "message",
      mode: "active",
      timestamp: Date.parse(e.at),
      source: { type: "group", groupId: "Cdemo-group", userId: e.user },
      webhookEventId: `01DEMO${e.id}`,
      deliveryContext: { isRedelivery: false },
      replyToken: `reply-${e.id}`,
      message: { id: e.id, type: "text", quoteToken: `q${e.id}`, text: e.text }
    }))
  })

const telegramUpdate = (u: { id: number; user: number; first: string; text: string; at: string }) =>
  JSON.stringify({
    update_id: 9000 + u.id,
    message: {
      message_id: u.id,
      from: { id: u.user, is_bot: false, first_name: u.first },
      chat: { id: -100123, type: "supergroup", title: "團購群" },
      date: Math.floor(Date.parse(u.at) / 1000),
      text: u.text
    }
  })

export const usage = `kaituan demo [--db FILE [--fresh]]

Runs a whole group buy on a fresh SQLite file, step by step (by default a new file in a temporary
directory). An existing --db FILE is never replaced unless --fresh (or --force) says so: the demo
deletes it and starts again.`

/** SQLite keeps these files next to the database while it is open (write-ahead log, shared memory). */
const SIDECARS = ["-wal", "-shm"]

/**
 * The database file the demo may use: `file` (a SQLite path, resolved against the command's cwd)
 * when it is absent, or when `fresh` allows replacing it (the file and its sidecars are deleted).
 * Anything else is a UsageError: the demo never deletes data it was not told to.
 */
export const demoDatabase = (file: string, cwd: string, fresh: boolean): string => {
  if (file === ":memory:") return file
  if (Database.kindOf(file) === "postgres")
    throw new UsageError("demo: --db must be a SQLite file path (the demo starts from an empty database it creates)")
  const target = dbIn(file, cwd)
  let stat: fs.Stats | undefined
  try {
    stat = fs.statSync(target)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT")
      throw new UsageError(`demo: cannot use --db ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  if (stat?.isDirectory()) throw new UsageError(`demo: --db ${file} is a directory, not a database file`)
  if (stat !== undefined && !fresh)
    throw new UsageError(
      `demo: ${file} exists; the demo starts from a fresh database and will not replace it. Pass --fresh to delete it and start again, or choose another --db path`
    )
  // Absent (sidecars left by a deleted database are stale) or to be replaced.
  for (const suffix of stat === undefined ? SIDECARS : ["", ...SIDECARS])
    fs.rmSync(`${target}${suffix}`, { force: true })
  return target
}

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    db: { type: "string" },
    fresh: { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    println(io.stdout, usage)
    return 0
  }
  const say = (s = "") => println(io.stdout, s)
  const step = (n: number, title: string) => say(`\n━━ ${n}. ${title}`)
  const dbPath =
    values.db === undefined
      ? path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kaituan-demo-")), "kaituan.db")
      : demoDatabase(values.db, io.cwd, values.fresh || values.force)
  const round = decodeRound("(demo round)", roundFile)
  const label = (sku: string) => round.catalogue.bySku.get(sku)?.label ?? sku
  const line = await LineTestServer.listen({})

  try {
    const program = Effect.gen(function* () {
      const g = yield* GroupBuy.GroupBuy
      // The stand-in knows the group's members and issues reply tokens, as LINE does.
      for (const [id, name] of [
        ["U-seller", "團主小美"],
        ["U-amy", "王小明"],
        ["U-ben", "林美玲"],
        ["U-cat", "陳大文"]
      ] as const)
        line.setProfile(id, name, { groupId: "Cdemo-group" })
      for (const id of ["m1", "m2", "m3", "m4", "m5"]) line.issueReplyToken(`reply-${id}`, 60_000)
      const lineAdapter = yield* LineChannel.make({
        channelSecret: LINE_SECRET,
        channelAccessToken: line.accessToken,
        apiBase: line.url
      })
      const telegram = yield* TelegramChannel.make({
        botToken: Redacted.make("123:demo"),
        secretToken: Redacted.make(TG_SECRET)
      })
      const telegramOut = ChannelAdapter.makeMemory(telegram.channel)
      const registry = ChannelRegistry.make([lineAdapter, { ...telegram, send: telegramOut.send }])

      say("kaituan demo: a whole group buy (開團) from the first +1 to the last parcel.")
      say(`Database: ${dbPath} (SQLite, created fresh; nothing to start)`)

      step(1, "Open the round")
      yield* g.openRound({ spec: round.spec, at: "2024-05-01T09:00:00+08:00" })
      say(`「${round.spec.title}」 cutoff ${round.spec.cutoff}. Catalogue:`)
      say(
        table(
          ["sku", "item", "price", "supply"],
          round.catalogue.skus.map((s) => [
            s.sku,
            s.label,
            s.price,
            s.supply._tag === "InStock"
              ? `現貨 ${s.supply.qty}`
              : s.supply._tag === "Preorder"
                ? `預購 cap ${s.supply.cap ?? "∞"}`
                : "unlimited"
          ])
        )
      )

      step(2, "Comments arrive from LINE and Telegram (signed webhooks, verified, decoded)")
      const lineEvents = [
        { id: "m1", user: "U-seller", text: "開團囉！喊單範例：紅色+1", at: "2024-05-01T09:01:00+08:00" },
        { id: "m2", user: "U-amy", text: "紅色+2", at: "2024-05-01T10:00:00+08:00" },
        { id: "m3", user: "U-ben", text: "白+1 蛋黃酥+2", at: "2024-05-01T10:02:00+08:00" },
        { id: "m4", user: "U-cat", text: "紅+1 還有嗎?", at: "2024-05-01T10:03:00+08:00" },
        { id: "m5", user: "U-amy", text: "改成3", at: "2024-05-01T12:00:00+08:00" }
      ]
      const body = lineBody(lineEvents)
      const forged = Http.request({
        path: "/webhooks/line",
        headers: { "x-line-signature": LineSignature.sign("not-the-secret", body) },
        body
      })
      const rejected = yield* Effect.result(lineAdapter.verify(forged))
      say(`  a forged LINE webhook is rejected: ${Result.isFailure(rejected) ? rejected.failure.reason : "accepted?!"}`)
      const signed = Http.request({
        path: "/webhooks/line",
        headers: { "x-line-signature": LineSignature.sign(LINE_SECRET, body) },
        body
      })
      yield* lineAdapter.verify(signed)
      const fromLine = commentsOf(yield* lineAdapter.decode(signed))
      const tgUpdates = [
        { id: 11, user: 501, first: "Dora", text: "蛋黄酥+3", at: "2024-05-02T20:00:00+08:00" },
        { id: 12, user: 502, first: "Eve", text: "紅+2", at: "2024-05-03T21:00:00+08:00" },
        { id: 13, user: 501, first: "Dora", text: "白色+1", at: "2024-05-03T21:05:00+08:00" },
        { id: 14, user: 503, first: "Finn", text: "蛋黃酥+2", at: "2024-05-09T23:00:00+08:00" },
        { id: 15, user: 504, first: "Gus", text: "白+1", at: "2024-05-10T22:15:00+08:00" }
      ]
      const fromTelegram: Array<GroupBuy.CommentInput> = []
      for (const u of tgUpdates) {
        const req = Http.request({
          path: "/webhooks/telegram",
          headers: { "x-telegram-bot-api-secret-token": TG_SECRET },
          body: telegramUpdate(u)
        })
        yield* telegram.verify(req)
        fromTelegram.push(...commentsOf(yield* telegram.decode(req)))
      }
      const all = [...fromLine, ...fromTelegram].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      const outcomes = yield* g.submitComments({ roundId: round.spec.id, comments: all })
      say(
        table(
          ["channel", "buyer", "comment", "outcome", "why"],
          all.map((c, i) => [
            c.channel,
            c.author.name ?? c.author.id,
            c.text,
            outcomes[i]!.status,
            outcomes[i]!.reason.slice(0, 44)
          ])
        )
      )
      const redelivered = yield* g.submitComments({ roundId: round.spec.id, comments: fromLine.slice(1, 3) })
      say(`  LINE redelivers two events: ${redelivered.map((o) => o.status).join(", ")}: no order is doubled.`)

      step(3, "The cutoff passes: the round closes and every order now awaits payment")
      const confirmed = yield* g.closeRound({ roundId: round.spec.id, at: "2024-05-10T22:00:00+08:00" })
      const report = yield* g.report(round.spec.id)
      say(
        table(
          ["order", "buyer", "items", "total", "status"],
          confirmed
            .filter((o) => o.status !== "cancelled")
            .map((o) => [
              o.orderId.slice(0, 10),
              o.buyer.name ?? o.buyer.id,
              o.lines.map((l) => `${label(l.sku)}×${l.qty}`).join(", "),
              o.total,
              o.status
            ])
        )
      )
      say(`  review queue: ${report.review.map((r) => `「${r.text}」 (${r.reason})`).join("; ") || "empty"}`)
      say(
        `  not ordered: ${report.notOrdered.map((n) => `${n.buyer.name ?? n.buyer.id} 「${n.text}」 ${n.reason}`).join("; ") || "none"}`
      )

      // Buyers report their transfers in the chat; the parser reads amount and 後五碼.
      yield* g.submitComments({
        roundId: round.spec.id,
        comments: [
          {
            channel: "line",
            commentId: "m20",
            author: { id: "U-amy" },
            text: "已匯款 360 後五碼 12345",
            at: "2024-05-11T09:00:00+08:00"
          },
          {
            channel: "telegram",
            commentId: "-100123:20",
            author: { id: "501", name: "Dora" },
            text: "已轉帳 後五碼54321",
            at: "2024-05-11T09:30:00+08:00"
          }
        ]
      })

      step(4, "Reconcile the bank statement (CTBC-style CSV, last-five-digit matching)")
      const open = yield* g.orders({ roundId: round.spec.id, status: ["awaiting-payment"] })
      const byBuyer = new Map(open.map((o) => [o.buyerId, o]))
      const amy = byBuyer.get("line:U-amy")
      const dora = byBuyer.get("telegram:501")
      const ben = byBuyer.get("line:U-ben")
      const csv = [
        "\uFEFF帳號：123-456789012,新臺幣活期存款",
        "查詢期間：2024/05/01~2024/05/31",
        "日期,摘要,支出,存入,餘額,備註,轉出入帳號,註記",
        `2024/05/11,跨行轉入,,"${(amy?.total ?? 0).toLocaleString("en-US")}","21,300",,822-*********12345,`,
        `2024/05/11,ATM轉入,,"${(dora?.total ?? 0).toLocaleString("en-US")}","22,500",,812-*********54321,`,
        `2024/05/12,ATM轉入,,"${(ben?.total ?? 0).toLocaleString("en-US")}","23,230",,013-*********77777,`,
        `2024/05/12,網銀轉出,"1,000",,"22,230",房租,700-*********11111,`
      ].join("\n")
      // The library's Payments service: read the statement, match it against the round's orders
      // awaiting payment (buyers' reported 後五碼 and learned accounts are evidence), apply the matches.
      const payments = yield* Payments.make()
      const result = yield* payments.importStatement({ roundId: round.spec.id, text: csv })
      say(
        table(
          ["row", "amount", "account", "decision", "why"],
          result.decisions.map((d) => [
            d.row ?? "",
            d.amount,
            d.last5 ? `${d.bankCode ?? "?"}-…${d.last5}` : "",
            d.status,
            d.explanation.slice(0, 60)
          ])
        )
      )
      say(
        `  applied NT$${result.appliedAmount.toLocaleString("en-US")} to ${result.applied} orders; ${result.decisions.filter((d) => d.status === "review").length} transfer(s) wait for the organiser (an ATM transfer nobody reported).`
      )

      step(5, "Ship: one order is split (拆單出貨), the in-stock socks now and the pre-order later at a meet-up")
      const paid = yield* g.orders({ roundId: round.spec.id, status: ["paid"] })
      for (const o of paid) {
        const inStock = o.lines.filter((l) => round.catalogue.bySku.get(l.sku)?.supply._tag === "InStock")
        const later = o.lines.filter((l) => round.catalogue.bySku.get(l.sku)?.supply._tag !== "InStock")
        if (inStock.length > 0) {
          const s = yield* g.ship({
            orderId: o.orderId,
            lines: inStock.map((l) => ({ sku: l.sku, qty: l.qty })),
            method: "cvs",
            carrier: "7-ELEVEN",
            trackingNo: `T${o.seq}`
          })
          say(
            `  ${o.buyer.name ?? o.buyer.id}: shipped ${inStock.map((l) => `${label(l.sku)}×${l.qty}`).join(", ")} to a convenience store (${s.shipmentId.slice(0, 10)})`
          )
        }
        if (later.length > 0) {
          const s = yield* g.ship({
            orderId: o.orderId,
            lines: later.map((l) => ({ sku: l.sku, qty: l.qty })),
            method: "pickup"
          })
          say(
            `  ${o.buyer.name ?? o.buyer.id}: ${later.map((l) => `${label(l.sku)}×${l.qty}`).join(", ")} ready for meet-up pickup, one-time code ${s.pickupCode}`
          )
          yield* g.confirmPickup({ shipmentId: s.shipmentId, code: s.pickupCode! })
          const again = yield* Effect.result(g.confirmPickup({ shipmentId: s.shipmentId, code: s.pickupCode! }))
          say(
            `    scanned at pickup: confirmed; scanning the same code again: ${Result.isFailure(again) ? "refused" : "accepted?!"}`
          )
        }
      }

      step(6, "Tell the buyers (outbox → channel adapters)")
      const relayed = yield* OutboxRelay.drain().pipe(
        Effect.provide(Layer.succeed(ChannelRegistry.ChannelRegistry, registry))
      )
      say(
        `  sent ${relayed.sent} messages (${Object.entries(relayed.byKind)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}); failed ${relayed.failed}`
      )
      const first = line.accepted()[0]
      if (first) {
        const text = (first.messages[0] as { readonly text?: string } | undefined)?.text ?? ""
        say(`  e.g. on LINE (${first.endpoint}): ${text.replace(/\n/g, " ⏎ ").slice(0, 120)}`)
      }
      say(
        `  (LINE messages went to a local stand-in of LINE's API at ${line.url}; Telegram ones were recorded: ${telegramOut.sent.length})`
      )

      step(7, "The round's numbers")
      const final = yield* g.orders({ roundId: round.spec.id })
      const live = final.filter((o) => o.status !== "cancelled")
      const revenue = live.reduce((t, o) => t + o.total, 0)
      const received = live.reduce((t, o) => t + o.paid, 0)
      const byStatus = new Map<string, number>()
      for (const o of live) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1)
      const r = yield* g.report(round.spec.id)
      say(
        table(
          ["measure", "value"],
          [
            ["comments handled", all.length + 2],
            ["orders", live.length],
            ["orders by status", [...byStatus].map(([s, n]) => `${s} ${n}`).join(", ")],
            ["ordered (NT$)", revenue.toLocaleString("en-US")],
            ["received (NT$)", received.toLocaleString("en-US")],
            ["outstanding (NT$)", (revenue - received).toLocaleString("en-US")],
            ["review queue", r.review.length],
            ["not ordered (buyers told)", r.notOrdered.length],
            [
              "stock left",
              r.stock
                .filter((s) => s.left !== null)
                .map((s) => `${s.sku} ${s.left}`)
                .join(", ")
            ]
          ]
        )
      )
      say(
        `\nEverything is in ${dbPath}. Replay your own round: pnpm kaituan round replay --round ROUND.json --comments FILE`
      )
    })
    await runApp(dbPath, program)
  } finally {
    await line.close()
  }
  return 0
}
