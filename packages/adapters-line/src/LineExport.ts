/**
 * An importer for LINE's "export chat history" (傳送聊天記錄 / 匯出聊天記錄) `.txt` files: turns the
 * messages into kaituan `Comment` events, so rounds run in chats a bot cannot read (LINE notes
 * 記事本, OpenChat 社群, groups without the bot) can still be replayed and reconciled.
 *
 * Handles zh-TW, zh-CN, English and Japanese headers; mobile (iOS/Android) and desktop date lines
 * (`2024/5/1（週三）`, `2017/11/20（一）`, `Mon, 12/03/2017`, `2017.09.03 Sunday`,
 * `2025.02.15 星期六`, `2017/03/12(Sun)`, `2026/1/30周五`); 24-hour, `上午/下午`, `午前/午後` and
 * `AM/PM` times; a BOM; CRLF; quoted multi-line messages with doubled inner quotes; system lines
 * (empty sender: joins, unsends…), which are reported, not turned into events; placeholders such as
 * `[貼圖]` / `[Photo]`, which become `NonText` events.
 *
 * Exports carry only display names, so the author is `{ id: name, name }`. The comment id is a hash
 * of date, time, name, text and the occurrence of that same quadruple in the file, so importing the
 * same (or a longer, later) export again yields the same ids and the app de-duplicates them.
 *
 * @example
 * ```ts
 * import { LineExport } from "@kaituan/adapters-line"
 * import { Effect } from "effect"
 * import { readFileSync } from "node:fs"
 *
 * const report = Effect.runSync(LineExport.parse(readFileSync("chat.txt", "utf8")))
 * report.events   // Comment / NonText events, oldest first
 * report.problems // lines that could not be read, with line numbers
 * ```
 *
 * @since 0.1.0
 */
import { hash } from "node:crypto"
import type { ChannelAdapter } from "@kaituan/core"
import { Data, Effect } from "effect"

type InboundEvent = ChannelAdapter.InboundEvent

/** Options of {@link parse}. */
export interface Options {
  /** The channel id on events. Default `"line-export"` (buyer ids are names, not LINE user ids). */
  readonly channel?: string | undefined
  /** The UTC offset the export's local times are in. Default `"+08:00"` (Taiwan). */
  readonly utcOffset?: string | undefined
  /** Fail with `LineExportError("malformed")` when any line cannot be read. Default `false` (report them). */
  readonly strict?: boolean | undefined
}

/** The export's first line. */
export interface Header {
  /** A group (or multi-person chat) vs a 1:1 chat. */
  readonly kind: "group" | "direct"
  /** The group's name, or the other person's name for a 1:1 chat. */
  readonly name: string
  readonly language: "zh-TW" | "zh-CN" | "en" | "ja"
}

/** A line that could not be read. Line numbers start at 1. */
export interface Problem {
  readonly line: number
  readonly message: string
  readonly text: string
}

/** A system line (empty sender): someone joined, left, unsent a message… */
export interface SystemLine {
  readonly line: number
  readonly at: string
  readonly kind: "unsent" | "joined" | "left" | "other"
  readonly text: string
}

/** What an import found. */
export interface Report {
  readonly header: Header | undefined
  /** The "saved on" value as written. */
  readonly savedAt: string | undefined
  /** Comment and NonText events, in file order. */
  readonly events: ReadonlyArray<InboundEvent>
  readonly system: ReadonlyArray<SystemLine>
  readonly problems: ReadonlyArray<Problem>
}

/** The text is not a LINE export, or (strict mode) has lines that cannot be read. */
export class LineExportError extends Data.TaggedError("LineExportError")<{
  readonly reason: "not-an-export" | "malformed"
  readonly message: string
  readonly problems: ReadonlyArray<Problem>
}> {}

// ---------------------------------------------------------------------------------------------
// Recognising lines

const HEADERS: ReadonlyArray<readonly [RegExp, Header["kind"], Header["language"]]> = [
  [/^(?:\[LINE\]\s*)?與(.+)的聊天記錄$/, "direct", "zh-TW"],
  [/^(?:\[LINE\]\s*)?(.+)的聊天記錄$/, "group", "zh-TW"],
  [/^(?:\[LINE\]\s*)?与(.+)的聊天记录$/, "direct", "zh-CN"],
  [/^(?:\[LINE\]\s*)?(.+)的聊天记录$/, "group", "zh-CN"],
  [/^(?:\[LINE\]\s*)?Chat history with (.+)$/i, "direct", "en"],
  [/^(?:\[LINE\]\s*)?Chat history in (.+)$/i, "group", "en"],
  [/^(?:\[LINE\]\s*)?(.+)とのトーク履歴$/, "direct", "ja"],
  [/^(?:\[LINE\]\s*)?(.+)のトーク履歴$/, "group", "ja"]
]

const SAVED = /^(?:儲存日期|保存日期|保存日時|Saved on)\s*[：:]\s*(.*)$/i

const YMD =
  /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})\s*(?:[（(][^）)]{1,9}[）)]|(?:週|周|星期|礼拜|禮拜)[一二三四五六日天]|[A-Za-z]+)?$/
const EN_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?\s+(\d{1,2})\/(\d{1,2})\/(\d{4})$/

/** `TIME<TAB>` at the start of a message line. */
const TIME = /^(上午|下午|午前|午後)?\s?(\d{1,2}):(\d{2})(?:[ \u202f\u00a0]?([AaPp])\.?[Mm]\.?)?\t/

const PLACEHOLDERS: Readonly<Record<string, string>> = {
  "[貼圖]": "sticker",
  "[Sticker]": "sticker",
  "[贴图]": "sticker",
  "[スタンプ]": "sticker",
  "[照片]": "image",
  "[Photo]": "image",
  "[图片]": "image",
  "[照片/图片]": "image",
  "[写真]": "image",
  "[影片]": "video",
  "[Video]": "video",
  "[视频]": "video",
  "[動画]": "video",
  "[檔案]": "file",
  "[File]": "file",
  "[文件]": "file",
  "[ファイル]": "file",
  "[語音訊息]": "audio",
  "[Voice message]": "audio",
  "[语音信息]": "audio",
  "[ボイスメッセージ]": "audio",
  "[位置]": "location",
  "[Location]": "location",
  "[位置情報]": "location",
  "[記事本]": "note",
  "[Notes]": "note",
  "[Note]": "note",
  "[记事本]": "note",
  "[ノート]": "note",
  "[相簿]": "album",
  "[Album]": "album",
  "[禮物]": "gift",
  "[Gift]": "gift",
  "[聯絡資訊]": "contact",
  "[Contact]": "contact"
}

const CALL = /^☎/

const systemKind = (text: string): SystemLine["kind"] =>
  /收回訊息|收回了訊息|撤回了一条消息|unsent a message|Message unsent|送信を取り消しました/i.test(text)
    ? "unsent"
    : /加入|joined|参加しました/i.test(text)
      ? "joined"
      : /離開|离开|退出|left the group|left the chat|退出しました/i.test(text)
        ? "left"
        : "other"

const pad = (n: number): string => String(n).padStart(2, "0")

const validDate = (y: number, m: number, d: number): boolean => {
  if (m < 1 || m > 12 || d < 1) return false
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= days
}

/** `YYYY-MM-DD` of a date line, or undefined. */
export const parseDateLine = (line: string): string | undefined => {
  const s = line.trim()
  const ymd = YMD.exec(s)
  const parts = ymd
    ? [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])]
    : (() => {
        const en = EN_DATE.exec(s)
        return en ? [Number(en[3]), Number(en[1]), Number(en[2])] : undefined
      })()
  if (parts === undefined) return undefined
  const [y, m, d] = parts as [number, number, number]
  return validDate(y, m, d) ? `${y}-${pad(m)}-${pad(d)}` : undefined
}

/** `HH:MM` (24 h) and the rest of the line after the time's TAB, or an error message. */
const parseTime = (
  line: string
): { readonly time: string; readonly rest: string } | { readonly error: string } | undefined => {
  const m = TIME.exec(line)
  if (!m) return undefined
  const prefix = m[1]
  const suffix = m[4]?.toLowerCase()
  let h = Number(m[2])
  const min = Number(m[3])
  if (min > 59) return { error: `invalid time ${m[0].trim()}` }
  const pm = prefix === "下午" || prefix === "午後" || suffix === "p"
  const am = prefix === "上午" || prefix === "午前" || suffix === "a"
  if (pm || am) {
    if (h < 1 || h > 12) return { error: `invalid 12-hour time ${m[0].trim()}` }
    h = (h % 12) + (pm ? 12 : 0)
  } else if (h === 24) {
    h = 0 // old Android wrote the midnight hour as 24:xx
  } else if (h > 23) {
    return { error: `invalid time ${m[0].trim()}` }
  }
  return { time: `${pad(h)}:${pad(min)}`, rest: line.slice(m[0].length) }
}

/**
 * Scans one line of a quoted field. `closed` when it ends the field (an odd run of quotes at the
 * end); `invalid` when a lone quote sits inside (then it was not a quoted field at all).
 */
const scanQuoted = (s: string): "open" | "closed" | "invalid" => {
  let i = 0
  while (i < s.length) {
    if (s[i] !== '"') {
      i++
      continue
    }
    let run = 0
    while (s[i + run] === '"') run++
    if (i + run === s.length) return run % 2 === 1 ? "closed" : "open"
    if (run % 2 === 1) return "invalid"
    i += run
  }
  return "open"
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface Message {
  readonly line: number
  readonly date: string
  readonly time: string
  readonly name: string
  text: string
}

const hashId = (parts: ReadonlyArray<string | number>): string =>
  `lx-${hash("sha256", JSON.stringify(parts), "hex").slice(0, 24)}`

/** The stable comment id of a message (see the module docs). */
export const commentIdFor = (input: {
  readonly date: string
  readonly time: string
  readonly name: string
  readonly text: string
  readonly occurrence: number
}): string => hashId([input.date, input.time, input.name, input.text, input.occurrence])

/**
 * Reads an export. Fails with `not-an-export` when nothing in the text looks like a LINE export,
 * and (with `strict`) with `malformed` when some lines cannot be read.
 */
export const parse = (input: string, options: Options = {}): Effect.Effect<Report, LineExportError> =>
  Effect.suspend(() => {
    const offset = options.utcOffset ?? "+08:00"
    const channel = options.channel ?? "line-export"
    const lines = input.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/)
    const problems: Array<Problem> = []
    const system: Array<SystemLine> = []
    const messages: Array<Message> = []
    let header: Header | undefined
    let savedAt: string | undefined
    let date: string | undefined
    let sawDate = false
    let last: Message | undefined

    const iso = (d: string, t: string) => `${d}T${t}:00${offset}`

    let i = 0
    while (i < lines.length) {
      const lineNo = i + 1
      const raw = lines[i]!
      const trimmed = raw.trim()
      i++
      if (trimmed === "") {
        continue
      }
      if (!sawDate && header === undefined && messages.length === 0) {
        const h = HEADERS.map(([re, kind, language]) => {
          const m = re.exec(trimmed)
          return m ? { kind, language, name: m[1]!.trim() } : undefined
        }).find((x) => x !== undefined)
        if (h !== undefined) {
          header = h
          continue
        }
      }
      if (!sawDate && savedAt === undefined) {
        const s = SAVED.exec(trimmed)
        if (s) {
          savedAt = s[1]!.trim()
          continue
        }
      }
      const day = parseDateLine(trimmed)
      if (day !== undefined) {
        date = day
        sawDate = true
        last = undefined
        continue
      }
      const t = parseTime(raw)
      if (t === undefined) {
        // An unquoted continuation of the previous message (older exports), or junk.
        if (last !== undefined) {
          last.text = `${last.text}\n${raw}`
        } else {
          problems.push({ line: lineNo, message: "not a header, date, message or continuation line", text: raw })
        }
        continue
      }
      if ("error" in t) {
        problems.push({ line: lineNo, message: t.error, text: raw })
        last = undefined
        continue
      }
      if (date === undefined) {
        problems.push({ line: lineNo, message: "message before any date line", text: raw })
        last = undefined
        continue
      }
      const tab = t.rest.indexOf("\t")
      const name = tab === -1 ? "" : t.rest.slice(0, tab)
      let text = tab === -1 ? t.rest : t.rest.slice(tab + 1)
      if (name.trim() === "") {
        system.push({ line: lineNo, at: iso(date, t.time), kind: systemKind(text.trim()), text: text.trim() })
        last = undefined
        continue
      }
      if (text.startsWith('"')) {
        // A quoted field: possibly spanning lines, inner quotes doubled.
        const parts = [text.slice(1)]
        let state = scanQuoted(parts[0]!)
        let j = i
        while (state === "open" && j < lines.length) {
          parts.push(lines[j]!)
          state = scanQuoted(lines[j]!)
          j++
        }
        if (state === "closed") {
          const joined = parts.join("\n")
          text = joined.slice(0, -1).replaceAll('""', '"')
          i = j
        }
        // "invalid" or never closed: the quote is part of the text; read on from the next line.
      }
      const message: Message = { line: lineNo, date, time: t.time, name, text }
      messages.push(message)
      last = message
    }

    if (header === undefined && !sawDate && messages.length === 0) {
      return Effect.fail(
        new LineExportError({
          reason: "not-an-export",
          message: "no LINE export header, date line or message found",
          problems
        })
      )
    }
    if (options.strict === true && problems.length > 0) {
      return Effect.fail(
        new LineExportError({
          reason: "malformed",
          message: `${problems.length} line(s) could not be read, first at line ${problems[0]!.line}: ${problems[0]!.message}`,
          problems
        })
      )
    }

    const seen = new Map<string, number>()
    const events: Array<InboundEvent> = messages.map((m) => {
      const key = JSON.stringify([m.date, m.time, m.name, m.text])
      const occurrence = seen.get(key) ?? 0
      seen.set(key, occurrence + 1)
      const commentId = commentIdFor({ ...m, occurrence })
      const author = { id: m.name, name: m.name }
      const common = {
        channel,
        eventId: commentId,
        at: iso(m.date, m.time),
        commentId,
        author,
        ...(header === undefined ? {} : { threadId: header.name })
      }
      const placeholder = PLACEHOLDERS[m.text.trim()]
      if (placeholder !== undefined) return { _tag: "NonText" as const, ...common, kind: placeholder }
      if (CALL.test(m.text)) return { _tag: "NonText" as const, ...common, kind: "call" }
      return { _tag: "Comment" as const, ...common, text: m.text }
    })

    return Effect.succeed({ header, savedAt, events, system, problems })
  })

/** Just the events of {@link parse}. */
export const decode = (
  input: string,
  options: Options = {}
): Effect.Effect<ReadonlyArray<InboundEvent>, LineExportError> => Effect.map(parse(input, options), (r) => r.events)

// ---------------------------------------------------------------------------------------------
// Rendering (fixtures, tests, tools)

/** One message to render. */
export interface RenderMessage {
  /** `YYYY-MM-DD`. */
  readonly date: string
  /** `HH:MM`, 24 h. */
  readonly time: string
  readonly name: string
  readonly text: string
}

/** The export layouts {@link render} can write. */
export type Style = "zh-TW" | "zh-TW-24h" | "en" | "desktop-en" | "desktop-zh-TW"

const ZH_WEEK = ["日", "一", "二", "三", "四", "五", "六"] as const
const EN_WEEK = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const

const dateLine = (date: string, style: Style): string => {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number]
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  switch (style) {
    case "zh-TW":
    case "zh-TW-24h":
      return `${y}/${m}/${d}（週${ZH_WEEK[wd]}）`
    case "en":
      return `${EN_WEEK[wd]!.slice(0, 3)}, ${pad(m)}/${pad(d)}/${y}`
    case "desktop-en":
      return `${y}.${pad(m)}.${pad(d)} ${EN_WEEK[wd]}`
    case "desktop-zh-TW":
      return `${y}.${pad(m)}.${pad(d)} 星期${ZH_WEEK[wd]}`
  }
}

const timeField = (time: string, style: Style): string => {
  const [h, m] = time.split(":").map(Number) as [number, number]
  const h12 = pad(h % 12 === 0 ? 12 : h % 12)
  switch (style) {
    case "zh-TW":
      return `${h < 12 ? "上午" : "下午"}${h12}:${pad(m)}`
    case "en":
      return `${h12}:${pad(m)} ${h < 12 ? "AM" : "PM"}`
    default:
      return `${pad(h)}:${pad(m)}`
  }
}

const quoteIfNeeded = (text: string): string =>
  text.includes("\n") || text.startsWith('"') ? `"${text.replaceAll('"', '""')}"` : text

/** Writes messages in LINE's export layout (what {@link parse} reads back). */
export const render = (input: {
  readonly title: string
  readonly kind?: Header["kind"]
  readonly style?: Style
  readonly savedAt?: string
  readonly messages: ReadonlyArray<RenderMessage>
  readonly crlf?: boolean
  readonly bom?: boolean
}): string => {
  const style = input.style ?? "zh-TW"
  const en = style === "en" || style === "desktop-en"
  const kind = input.kind ?? "group"
  const out: Array<string> = [
    en
      ? `[LINE] Chat history ${kind === "group" ? "in" : "with"} ${input.title}`
      : `[LINE] ${kind === "group" ? "" : "與"}${input.title}的聊天記錄`,
    en ? `Saved on: ${input.savedAt ?? "2024/05/02 09:15"}` : `儲存日期：${input.savedAt ?? "2024/05/02 09:15"}`,
    ""
  ]
  let current: string | undefined
  for (const m of input.messages) {
    if (m.date !== current) {
      if (current !== undefined) out.push("")
      out.push(dateLine(m.date, style))
      current = m.date
    }
    out.push(`${timeField(m.time, style)}\t${m.name}\t${quoteIfNeeded(m.text)}`)
  }
  const text = out.join(input.crlf === true ? "\r\n" : "\n")
  return input.bom === true ? `\uFEFF${text}` : text
}
