/** Money and times as Taiwanese organisers read them: NT$ with thousands separators, Taipei time. */
import type { Lang } from "./i18n.js"

export const money = (lang: Lang, amount: number): string =>
  `NT$ ${new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-TW").format(amount)}`

export const number = (lang: Lang, n: number): string =>
  new Intl.NumberFormat(lang === "en" ? "en-US" : "zh-TW").format(n)

const formats = new Map<string, Intl.DateTimeFormat>()
const formatOf = (lang: Lang, withYear: boolean) => {
  const key = `${lang}:${withYear}`
  let f = formats.get(key)
  if (f === undefined) {
    f = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-TW", {
      timeZone: "Asia/Taipei",
      ...(withYear ? { year: "numeric" } : {}),
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false
    })
    formats.set(key, f)
  }
  return f
}

/** A timestamp in Taipei time (`05/10 22:00`, with the year when it is not this year). */
export const dateTime = (lang: Lang, iso: string | undefined): string => {
  if (iso === undefined) return ""
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return formatOf(lang, d.getFullYear() !== new Date().getFullYear()).format(d)
}

const TAIPEI_OFFSET_MS = 8 * 60 * 60 * 1000

/** A timestamp as a `datetime-local` value in Taipei time (`2099-05-10T22:00`; Taiwan keeps no summer time). */
export const toTaipeiInput = (iso: string | undefined): string => {
  if (iso === undefined) return ""
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? "" : new Date(ms + TAIPEI_OFFSET_MS).toISOString().slice(0, 16)
}

/** A `datetime-local` value read as Taipei time, as ISO 8601 with its offset (`2099-05-10T22:00:00+08:00`). */
export const fromTaipeiInput = (value: string): string => `${value.length === 16 ? `${value}:00` : value}+08:00`
