/**
 * Reading the values organisers type into a sheet: whole numbers written as `120`, `NT$1,200`,
 * `120元` or with full-width digits; yes/no as `是`/`否`, `Y`/`N`, `V`, `✓`, `true`; times as
 * spreadsheet dates or text in the round's time zone.
 *
 * @internal
 */
import type { Plain } from "./excel.js"

/** A header or key as compared: lower case, no spaces, `-` or `_`, no trailing bracket note (`價格(元)`). */
export const normaliseHeader = (s: string): string =>
  toHalfWidth(s)
    .replace(/[(][^)]*[)]\s*$/u, "")
    .toLowerCase()
    .replace(/[\s_\-*:]/g, "")

/** Full-width digits, letters and punctuation (`１２０`, `（`) as their ASCII forms. */
export const toHalfWidth = (s: string): string =>
  s.replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ")

/** A whole number ≥ 0, `undefined` for an empty cell, or a message (`is not a number`). */
export const wholeNumber = (v: Plain): number | undefined | { readonly problem: string } => {
  if (v === undefined) return undefined
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return { problem: "is not a number" }
    if (!Number.isInteger(v)) return { problem: "is not a whole number" }
    if (v < 0) return { problem: "must not be negative" }
    if (!Number.isSafeInteger(v)) return { problem: "is too large" }
    return v
  }
  if (typeof v === "boolean" || v instanceof Date) return { problem: "is not a number" }
  const s = toHalfWidth(v)
    .trim()
    .replace(/^(nt\$|nt|\$|ntd)\s*/i, "")
    .replace(/\s*(元|塊|ntd|twd)$/i, "")
    .replace(/,/g, "")
  if (s === "") return undefined
  if (/^-\d+$/.test(s)) return { problem: "must not be negative" }
  if (/^\d+\.\d+$/.test(s))
    return Number(s) === Math.trunc(Number(s)) ? Number(s) : { problem: "is not a whole number" }
  if (!/^\d+$/.test(s)) return { problem: "is not a number" }
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : { problem: "is too large" }
}

const yes = new Set(["是", "y", "yes", "true", "1", "v", "o", "✓", "✔", "預購", "要", "對", "t"])
const no = new Set(["否", "n", "no", "false", "0", "x", "✗", "✘", "現貨", "不", "不要", "f"])

/** Yes or no, `undefined` for an empty cell, or a message. */
export const yesNo = (v: Plain): boolean | undefined | { readonly problem: string } => {
  if (v === undefined) return undefined
  if (typeof v === "boolean") return v
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : { problem: "is not yes or no (是/否)" }
  if (v instanceof Date) return { problem: "is not yes or no (是/否)" }
  const s = toHalfWidth(v).trim().toLowerCase()
  if (s === "") return undefined
  if (yes.has(s)) return true
  if (no.has(s)) return false
  return { problem: "is not yes or no (是/否)" }
}

/** A list typed in one cell: `毛襪, 襪子`, `毛襪、襪子`, one a line… (empty pieces dropped, duplicates once). */
export const list = (s: string): Array<string> => [
  ...new Set(
    s
      .split(/[,，、;；\n]/)
      .map((x) => x.trim())
      .filter((x) => x.length > 0)
  )
]

const pad = (n: number, w = 2): string => String(n).padStart(w, "0")

/** The offset of a time zone at an instant, in minutes east of UTC (`Asia/Taipei`: 480). */
export const zoneOffsetMinutes = (epochMillis: number, timeZone: string): number | undefined => {
  try {
    const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(new Date(epochMillis))
      .find((p) => p.type === "timeZoneName")?.value
    if (name === undefined || name === "GMT") return 0
    const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name)
    return m === null ? undefined : (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]))
  } catch {
    return undefined
  }
}

/** A wall-clock time in `timeZone` as ISO 8601 with that zone's offset then. */
const wallClockIso = (
  p: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  timeZone: string
): string | undefined => {
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  const check = new Date(asUtc)
  if (
    check.getUTCFullYear() !== p.year ||
    check.getUTCMonth() !== p.month - 1 ||
    check.getUTCDate() !== p.day ||
    check.getUTCHours() !== p.hour ||
    check.getUTCMinutes() !== p.minute
  )
    return undefined
  const first = zoneOffsetMinutes(asUtc, timeZone)
  if (first === undefined) return undefined
  const offset = zoneOffsetMinutes(asUtc - first * 60_000, timeZone) ?? first
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.abs(offset)
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

const LOCAL = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?$/

/**
 * A time typed or dated in a cell, as ISO 8601 with an offset: an ISO text with its own offset as
 * it is; a spreadsheet date or a text such as `2024-05-10 22:00` or `2024/5/10 22:00` as the wall
 * clock in `timeZone` (a date alone is the end of that day, 23:59:59). A message when unreadable.
 */
export const timeIn = (v: Plain, timeZone: string): string | undefined | { readonly problem: string } => {
  if (v === undefined) return undefined
  const bad = { problem: "is not a date and time (such as 2024-05-10 22:00)" }
  if (v instanceof Date) {
    const iso = wallClockIso(
      {
        year: v.getUTCFullYear(),
        month: v.getUTCMonth() + 1,
        day: v.getUTCDate(),
        hour: v.getUTCHours(),
        minute: v.getUTCMinutes(),
        second: v.getUTCSeconds()
      },
      timeZone
    )
    return iso ?? bad
  }
  if (typeof v !== "string") return bad
  const s = toHalfWidth(v).trim()
  if (s === "") return undefined
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(s)) return Number.isNaN(Date.parse(s)) ? bad : s
  const m = LOCAL.exec(s)
  if (m === null) return bad
  const dateOnly = m[4] === undefined
  const iso = wallClockIso(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: dateOnly ? 23 : Number(m[4]),
      minute: dateOnly ? 59 : Number(m[5]),
      second: dateOnly ? 59 : Number(m[6] ?? 0)
    },
    timeZone
  )
  return iso ?? bad
}
