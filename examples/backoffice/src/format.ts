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
