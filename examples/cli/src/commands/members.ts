/**
 * `kaituan members --db DB [--segment EXPR] [--rules FILE] [--json]`: every member (one person
 * across channels and rounds) with their orders, rounds, spend, tier, tags and points, optionally
 * only those in a segment (`高頻消費 AND NOT 沉睡`, `tier:VIP OR 偏好生鮮`). A segment that does
 * not read exits 2, pointing at the place.
 */
import fs from "node:fs"
import path from "node:path"
import { MemberRules, Members, Segment } from "@kaituan/core"
import { Database } from "@kaituan/storage-sql"
import { Result, Schema } from "effect"
import { type Command, describeFsError, flags, UsageError } from "../Io.js"

export const usage = `kaituan members --db PATH|postgres://… [--segment EXPR] [--rules RULES.json] [--json]

Lists the members: one person across channels (a LINE and a Telegram identity linked with a
one-time code) and rounds, with orders, rounds, spend (NT$), first and last order, tier, tags and
points. --segment keeps those whose tags match a tag expression: tags (新用戶, 高頻消費, 偏好生鮮,
沉睡, manual tags, tier:VIP, channel:line, blocked) combined with AND, OR, NOT and parentheses,
e.g. "高頻消費 AND NOT 沉睡". --rules: the organiser's tag and tier rules (JSON; default: the
built-in ones, see docs/members.md). --json prints one JSON array.`

/** One member as printed. */
const row = (m: Members.Evaluated) => ({
  memberId: m.member.memberId,
  identities: m.member.identities,
  orders: m.evaluated.stats.orders,
  rounds: m.evaluated.stats.rounds,
  spend: m.evaluated.stats.spend,
  firstOrderAt: m.evaluated.stats.firstOrderAt ?? null,
  lastOrderAt: m.evaluated.stats.lastOrderAt ?? null,
  tier: m.evaluated.tier,
  tags: [...m.evaluated.tags].filter((t) => !t.startsWith("tier:") && !t.startsWith("channel:")),
  points: m.points,
  blocked: m.blocked,
  consent: m.member.profile.consent
})

const taipeiDate = (iso: string | null) =>
  iso === null ? "-" : new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10)

/** A segment's error with the expression and a caret under the place. */
export const describeSegmentError = (expr: string, e: Segment.SegmentError): string => {
  const before = expr.slice(0, e.position)
  // CJK characters take two columns in a terminal.
  const width = [...before].reduce((n, ch) => n + (/[\u1100-\uFFEF]/u.test(ch) ? 2 : 1), 0)
  return `members: --segment does not read (${e.reason}, character ${e.position + 1}): ${e.message}\n  ${expr}\n  ${" ".repeat(width)}^`
}

export const run: Command = async (argv, io) => {
  const { values } = flags(argv, {
    db: { type: "string", default: Database.defaultUrl },
    segment: { type: "string" },
    rules: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" }
  })
  if (values.help) {
    io.stdout.write(`${usage}\n`)
    return 0
  }
  let rules = MemberRules.defaults
  if (values.rules !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(path.resolve(io.cwd, values.rules), "utf8")
    } catch (e) {
      throw new UsageError(`members: cannot read ${values.rules}: ${describeFsError(e)}`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      throw new UsageError(`members: ${values.rules} is not JSON: ${e instanceof Error ? e.message : String(e)}`)
    }
    const decoded = Schema.decodeUnknownResult(MemberRules.Rules)(json)
    if (Result.isFailure(decoded)) throw new UsageError(`members: ${values.rules}: ${decoded.failure.message}`)
    rules = decoded.success
  }
  const segment = values.segment
  if (segment !== undefined) {
    const parsed = Segment.parse(segment)
    if (Result.isFailure(parsed)) throw new UsageError(describeSegmentError(segment, parsed.failure))
  }
  const { dbIn, runApp } = await import("../Engine.js")
  const all = await runApp(dbIn(values.db, io.cwd), Members.load(rules))
  const chosen = segment === undefined ? all : Result.getOrThrow(Members.select(all, segment))
  const rows = chosen.map(row)
  if (values.json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
    return 0
  }
  if (rows.length === 0) {
    io.stdout.write(segment === undefined ? "沒有會員。\n" : `沒有符合「${segment}」的會員。\n`)
    return 0
  }
  const lines = [["會員", "渠道", "訂單", "團數", "消費 NT$", "最後下單", "等級", "點數", "標籤"].join("\t")]
  for (const r of rows)
    lines.push(
      [
        r.memberId,
        r.identities.map((i) => i.slice(0, i.indexOf(":"))).join("+"),
        r.orders,
        r.rounds,
        r.spend.toLocaleString("en-US"),
        taipeiDate(r.lastOrderAt),
        r.tier,
        r.points,
        r.tags.join(" ")
      ].join("\t")
    )
  io.stdout.write(`${lines.join("\n")}\n${rows.length} 位會員${segment === undefined ? "" : `（${segment}）`}\n`)
  return 0
}
