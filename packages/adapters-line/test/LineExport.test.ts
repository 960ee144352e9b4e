import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { LineExport } from "../src/index.js"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), "utf8")
const parse = (text: string, options?: LineExport.Options) => Effect.runSync(LineExport.parse(text, options))
const parseError = (text: string, options?: LineExport.Options) =>
  Effect.runSync(Effect.flip(LineExport.parse(text, options)))

/** The events without their hash ids, for readable expectations. */
const brief = (r: LineExport.Report) =>
  r.events.map((e) => [
    e._tag,
    e.at,
    "author" in e ? e.author?.id : undefined,
    e._tag === "Comment" ? e.text : e._tag === "NonText" ? e.kind : ""
  ])

describe("LineExport on the verbatim samples of protocols.md §2.2", () => {
  it("chonyy sample.txt (zh-TW 1:1, both date styles, 12 h and 24 h times)", () => {
    const r = parse(fixture("chonyy-zh-TW"))
    expect(r.header).toEqual({ kind: "direct", name: "User1", language: "zh-TW" })
    expect(r.savedAt).toBe("2020/02/12 02:42")
    expect(r.problems).toEqual([])
    expect(brief(r)).toEqual([
      ["Comment", "2017-11-20T16:46:00+08:00", "User1", "testing"],
      ["Comment", "2017-11-20T16:46:00+08:00", "User2", "testing"],
      ["NonText", "2017-11-20T13:09:00+08:00", "User2", "call"],
      ["NonText", "2017-12-04T16:46:00+08:00", "User1", "image"],
      ["NonText", "2017-12-04T16:46:00+08:00", "User1", "sticker"],
      ["NonText", "2016-05-08T22:00:00+08:00", "User1", "sticker"],
      ["NonText", "2016-05-08T22:00:00+08:00", "User1", "image"],
      ["Comment", "2016-05-08T22:04:00+08:00", "User1", "testing"]
    ])
    expect(r.events[0]).toMatchObject({
      channel: "line-export",
      threadId: "User1",
      author: { id: "User1", name: "User1" }
    })
  })

  it("chonyy sampleEN.txt (English mobile, AM/PM)", () => {
    const r = parse(fixture("chonyy-en"))
    expect(r.header).toEqual({ kind: "direct", name: "User10", language: "en" })
    expect(r.savedAt).toBe("2020/02/12 02:42")
    expect(brief(r)).toEqual([
      ["Comment", "2017-12-03T16:46:00+08:00", "User10", "testing2"],
      ["NonText", "2017-12-03T13:09:00+08:00", "User20", "call"],
      ["NonText", "2017-12-04T16:46:00+08:00", "User10", "image"],
      ["NonText", "2017-12-04T16:46:00+08:00", "User10", "sticker"]
    ])
  })

  it("ChatLab EN group export (desktop date, quoted multi-line, pm times, a system line)", () => {
    const r = parse(fixture("chatlab-en-group"))
    expect(r.header).toEqual({ kind: "group", name: "Project Team", language: "en" })
    expect(brief(r)).toEqual([
      ["Comment", "2024-01-02T03:04:00+08:00", "Alice", "first line\nsecond line"],
      ["NonText", "2024-01-02T15:05:00+08:00", "Bob", "image"]
    ])
    expect(r.system).toEqual([
      { line: 8, at: "2024-01-02T15:06:00+08:00", kind: "joined", text: "Alice joined the group" }
    ])
  })

  it("the group-buy acceptance fixture", () => {
    const r = parse(fixture("groupbuy-zh-TW"))
    expect(r.header).toEqual({ kind: "group", name: "週末水果團購", language: "zh-TW" })
    expect(r.savedAt).toBe("2024/05/02 09:15")
    expect(brief(r)).toEqual([
      ["Comment", "2024-05-01T10:02:00+08:00", "團主小美", "【芒果團】愛文 1箱 650\n5/10 截單，+1 請留言"],
      ["Comment", "2024-05-01T10:05:00+08:00", "王小明", "+1 芒果 2箱"],
      ["NonText", "2024-05-01T10:06:00+08:00", "陳大華", "sticker"],
      ["Comment", "2024-05-01T10:08:00+08:00", "陳大華", "+1 芒果1箱 自取"],
      ["NonText", "2024-05-01T10:30:00+08:00", "團主小美", "image"]
    ])
    expect(r.system).toEqual([{ line: 9, at: "2024-05-01T10:07:00+08:00", kind: "unsent", text: "陳大華已收回訊息" }])
    expect(r.events.every((e) => e.threadId === "週末水果團購")).toBe(true)
  })

  it("BOM and CRLF give the same events", () => {
    for (const name of ["chonyy-zh-TW", "chonyy-en", "chatlab-en-group", "groupbuy-zh-TW"]) {
      const lf = parse(fixture(name))
      expect(parse(`\uFEFF${fixture(name).replaceAll("\n", "\r\n")}`)).toEqual(lf)
    }
  })
})

describe("LineExport comment ids", () => {
  it("are stable across imports, unique within a file, and survive a longer later export", () => {
    const text = fixture("groupbuy-zh-TW")
    const a = parse(text).events.map((e) => e.eventId)
    expect(parse(text).events.map((e) => e.eventId)).toEqual(a)
    expect(new Set(a).size).toBe(a.length)
    const later = parse(`${text}10:31\t林小姐\t+1 芒果 1箱\n`).events.map((e) => e.eventId)
    expect(later.slice(0, a.length)).toEqual(a)
    expect(later).toHaveLength(a.length + 1)
    expect(parse(text).events.every((e) => e._tag !== "Comment" || e.commentId === e.eventId)).toBe(true)
  })

  it("the same text by the same person in the same minute twice is two comments", () => {
    const r = parse("[LINE] 團的聊天記錄\n\n2024/5/1（週三）\n10:05\t王小明\t+1\n10:05\t王小明\t+1\n")
    expect(r.events).toHaveLength(2)
    expect(r.events[0]!.eventId).not.toBe(r.events[1]!.eventId)
  })

  it("the same message in iOS, Android and desktop layouts has the same id", () => {
    const ids = (["zh-TW", "zh-TW-24h", "en", "desktop-en", "desktop-zh-TW"] as const).map(
      (style) =>
        parse(
          LineExport.render({
            title: "團",
            style,
            messages: [{ date: "2024-05-01", time: "22:05", name: "王小明", text: "+1 芒果" }]
          })
        ).events[0]!.eventId
    )
    expect(new Set(ids).size).toBe(1)
  })
})

describe("LineExport layouts", () => {
  const at = (dateLine: string, timeField: string) =>
    parse(`${dateLine}\n${timeField}\tA\thi\n`, {}).events.map((e) => e.at)[0]

  it("reads every observed date-line form", () => {
    expect(at("2017/11/20（一）", "10:00")).toBe("2017-11-20T10:00:00+08:00")
    expect(at("2024/5/1（週三）", "10:00")).toBe("2024-05-01T10:00:00+08:00")
    expect(at("Mon, 12/03/2017", "10:00")).toBe("2017-12-03T10:00:00+08:00")
    expect(at("Fri, 1/30/2026", "10:00")).toBe("2026-01-30T10:00:00+08:00")
    expect(at("2017.09.03 Sunday", "10:00")).toBe("2017-09-03T10:00:00+08:00")
    expect(at("2025.02.15 星期六", "10:00")).toBe("2025-02-15T10:00:00+08:00")
    expect(at("2017/03/12(Sun)", "10:00")).toBe("2017-03-12T10:00:00+08:00")
    expect(at("2024/1/23(火)", "10:00")).toBe("2024-01-23T10:00:00+08:00")
    expect(at("2026/1/30周五", "10:00")).toBe("2026-01-30T10:00:00+08:00")
  })

  it("reads 上午/下午, 午前/午後, AM/PM (with narrow spaces) and 24 h times, midnight and noon", () => {
    const d = "2024/5/1（週三）"
    expect(at(d, "上午12:05")).toBe("2024-05-01T00:05:00+08:00")
    expect(at(d, "下午12:30")).toBe("2024-05-01T12:30:00+08:00")
    expect(at(d, "下午04:46")).toBe("2024-05-01T16:46:00+08:00")
    expect(at(d, "上午09:15")).toBe("2024-05-01T09:15:00+08:00")
    expect(at(d, "午後3:05")).toBe("2024-05-01T15:05:00+08:00")
    expect(at(d, "12:05 AM")).toBe("2024-05-01T00:05:00+08:00")
    expect(at(d, "12:05 PM")).toBe("2024-05-01T12:05:00+08:00")
    expect(at(d, "03:05pm")).toBe("2024-05-01T15:05:00+08:00")
    expect(at(d, "3:05\u202fPM")).toBe("2024-05-01T15:05:00+08:00")
    expect(at(d, "4:46\u00a0a.m.")).toBe("2024-05-01T04:46:00+08:00")
    expect(at(d, "24:10")).toBe("2024-05-01T00:10:00+08:00")
  })

  it("reads zh-CN and Japanese headers, and the old header without [LINE]", () => {
    expect(parse("[LINE] 与小红的聊天记录\n").header).toEqual({ kind: "direct", name: "小红", language: "zh-CN" })
    expect(parse("[LINE] 团购群的聊天记录\n").header).toEqual({ kind: "group", name: "团购群", language: "zh-CN" })
    expect(parse("[LINE] 山田とのトーク履歴\n").header).toEqual({ kind: "direct", name: "山田", language: "ja" })
    expect(parse("[LINE] 家族のトーク履歴\n").header).toEqual({ kind: "group", name: "家族", language: "ja" })
    expect(parse("Chat history with Bob\n").header).toEqual({ kind: "direct", name: "Bob", language: "en" })
  })

  it("keeps quoted blocks whole (inner quotes doubled, date- and message-like lines inside)", () => {
    const text = [
      "[LINE] 團的聊天記錄",
      "",
      "2024/5/1（週三）",
      '10:00\t團主\t"第一行 ""精選"" 芒果',
      "2024/05/10（五）",
      "10:05\t假的\t+1",
      '截單"',
      '10:06\tA\t"a ""b"" c"',
      "10:07\tB\t+2"
    ].join("\n")
    const r = parse(text)
    expect(brief(r)).toEqual([
      ["Comment", "2024-05-01T10:00:00+08:00", "團主", '第一行 "精選" 芒果\n2024/05/10（五）\n10:05\t假的\t+1\n截單'],
      ["Comment", "2024-05-01T10:06:00+08:00", "A", 'a "b" c'],
      ["Comment", "2024-05-01T10:07:00+08:00", "B", "+2"]
    ])
  })

  it("a quote that is not a quoted field stays in the text, and unquoted continuation lines are appended", () => {
    const text = [
      "2024/5/1（週三）",
      '10:00\tA\t"紅色" +1',
      "10:01\tB\t第一行",
      "第二行",
      '10:02\tC\t"never closed',
      "10:03\tD\t+3"
    ].join("\n")
    expect(brief(parse(text))).toEqual([
      ["Comment", "2024-05-01T10:00:00+08:00", "A", '"紅色" +1'],
      ["Comment", "2024-05-01T10:01:00+08:00", "B", "第一行\n第二行"],
      ["Comment", "2024-05-01T10:02:00+08:00", "C", '"never closed'],
      ["Comment", "2024-05-01T10:03:00+08:00", "D", "+3"]
    ])
  })

  it("marks system lines (unsend, join, leave) and does not turn them into events", () => {
    const text = [
      "2024/5/1（週三）",
      "上午08:36\t\t社群副管理員已收回訊息",
      "下午07:04\t\tXXX已加入群組",
      "03:06pm\t\tAlice left the group",
      "09:00\t\t王小明已設定公告",
      "09:01\tBob unsent a message"
    ].join("\n")
    const r = parse(text)
    expect(r.events).toEqual([])
    expect(r.system.map((s) => [s.line, s.kind, s.text])).toEqual([
      [2, "unsent", "社群副管理員已收回訊息"],
      [3, "joined", "XXX已加入群組"],
      [4, "left", "Alice left the group"],
      [5, "other", "王小明已設定公告"],
      [6, "unsent", "Bob unsent a message"]
    ])
  })

  it("maps placeholders to NonText kinds", () => {
    const kinds = [
      "[影片]",
      "[Video]",
      "[檔案]",
      "[語音訊息]",
      "[Voice message]",
      "[位置]",
      "[記事本]",
      "[Notes]",
      "☎ 未接來電"
    ].map((t) => parse(`2024/5/1（週三）\n10:00\tA\t${t}\n`).events[0])
    expect(kinds.map((e) => (e?._tag === "NonText" ? e.kind : e?._tag))).toEqual([
      "video",
      "video",
      "file",
      "audio",
      "audio",
      "location",
      "note",
      "note",
      "call"
    ])
  })

  it("options: channel and UTC offset", () => {
    const r = parse("2024/5/1（週三）\n10:00\tA\thi\n", { channel: "import", utcOffset: "+09:00" })
    expect(r.events[0]).toMatchObject({ channel: "import", at: "2024-05-01T10:00:00+09:00" })
    expect(r.events[0]).not.toHaveProperty("threadId")
  })
})

describe("LineExport errors", () => {
  const broken = [
    "[LINE] 團的聊天記錄",
    "儲存日期：2024/05/02 09:15",
    "some junk before any message",
    "10:00\tA\tbefore any date",
    "2024/5/1（週三）",
    "下午13:00\tB\tbad hour",
    "10:61\tB\tbad minute",
    "10:05\tC\t+1"
  ].join("\n")

  it("reports unreadable lines with their numbers and keeps the good ones", () => {
    const r = parse(broken)
    expect(r.problems.map((p) => [p.line, p.message])).toEqual([
      [3, "not a header, date, message or continuation line"],
      [4, "message before any date line"],
      [6, "invalid 12-hour time 下午13:00"],
      [7, "invalid time 10:61"]
    ])
    expect(brief(r)).toEqual([["Comment", "2024-05-01T10:05:00+08:00", "C", "+1"]])
  })

  it("strict mode fails with the problems", () => {
    const e = parseError(broken, { strict: true })
    expect(e).toMatchObject({ _tag: "LineExportError", reason: "malformed" })
    expect(e.problems.map((p) => p.line)).toEqual([3, 4, 6, 7])
    expect(e.message).toContain("line 3")
  })

  it("text that is not an export at all is not-an-export", () => {
    expect(parseError("").reason).toBe("not-an-export")
    expect(parseError("hello\nworld\n").reason).toBe("not-an-export")
    expect(parseError('{"events":[]}').reason).toBe("not-an-export")
  })

  it("decode returns just the events", () => {
    const events = Effect.runSync(LineExport.decode(fixture("groupbuy-zh-TW")))
    expect(events).toEqual(parse(fixture("groupbuy-zh-TW")).events)
  })
})

describe("LineExport round trip (generated chats)", () => {
  const char = fc.constantFrom(..."ab Z9+-×，。芒果紅色號箱團購🍋\"'xy".split(""), "🍋", "\u3000")
  const name = fc
    .array(fc.constantFrom(...'王小明陳大華Alice Bob_·😀"'.split("")), { minLength: 1, maxLength: 8 })
    .map((cs) => cs.join(""))
    .filter((s) => s.trim() !== "")
  const line = fc.array(char, { minLength: 0, maxLength: 12 }).map((cs) => cs.join(""))
  const text = fc
    .array(line, { minLength: 1, maxLength: 4 })
    .map((ls) => ls.join("\n"))
    .filter((t) => t.length > 0)
  const day = fc.integer({ min: 0, max: 365 * 30 }).map((d) => new Date(Date.UTC(2000, 0, 1) + d * 86_400_000))
  const message = fc.record({
    day,
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    name,
    text
  })
  const title = fc
    .array(fc.constantFrom(..."週末水果團購 Team家族".split("")), { minLength: 1, maxLength: 10 })
    .map((cs) => cs.join("").trim())
    .filter((t) => t !== "")

  it("rendering messages in any export layout and importing gives them back", () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 25 }),
        title,
        fc.constantFrom("zh-TW", "zh-TW-24h", "en", "desktop-en", "desktop-zh-TW" as const),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom("group" as const, "direct" as const),
        (raw, title, style, crlf, bom, kind) => {
          const messages = raw
            .map((m) => ({
              date: m.day.toISOString().slice(0, 10),
              time: `${String(m.hour).padStart(2, "0")}:${String(m.minute).padStart(2, "0")}`,
              name: m.name,
              text: m.text
            }))
            .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
          const file = LineExport.render({ title, kind, style: style as LineExport.Style, messages, crlf, bom })
          const r = parse(file)
          expect(r.problems).toEqual([])
          expect(r.header).toMatchObject({ kind, name: title })
          expect(
            r.events.map((e) => [
              e._tag,
              e.at,
              "author" in e ? e.author?.id : undefined,
              e._tag === "Comment" ? e.text : ""
            ])
          ).toEqual(messages.map((m) => ["Comment", `${m.date}T${m.time}:00+08:00`, m.name, m.text]))
          expect(new Set(r.events.map((e) => e.eventId)).size).toBe(messages.length)
        }
      ),
      { numRuns: 200 }
    )
  })
})
