/**
 * Taiwan time (UTC+8, no daylight saving): Taiwanese payment gateways write local timestamps
 * without a zone. Formats instants as a Taipei wall clock and reads such timestamps back as ISO 8601.
 *
 * @since 0.1.0
 */

const OFFSET_MS = 8 * 60 * 60 * 1000
const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/** The parts of an instant as read on a clock in Taipei. */
export const taipeiParts = (
  epochMillis: number
): {
  readonly year: number
  readonly month: number
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
} => {
  const d = new Date(epochMillis + OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds()
  }
}

/** `yyyy/MM/dd HH:mm:ss` in Taipei time (ECPay's MerchantTradeDate); `dateSeparator` replaces `/`. */
export const formatTaipei = (epochMillis: number, dateSeparator = "/"): string => {
  const p = taipeiParts(epochMillis)
  return (
    `${pad(p.year, 4)}${dateSeparator}${pad(p.month)}${dateSeparator}${pad(p.day)} ` +
    `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`
  )
}

const LOCAL = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T]?(\d{2}):(\d{2}):(\d{2})$/

/**
 * Reads a gateway's local timestamp (`2024-05-01 12:34:56`, `2024/05/01 12:34:56`, or NewebPay's
 * occasional `2024-05-0112:34:56`) as ISO 8601 with the `+08:00` offset; `undefined` when it is
 * not a real date and time.
 */
export const taipeiToIso = (text: string): string | undefined => {
  const m = LOCAL.exec(text.trim())
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second))
  const valid =
    utc.getUTCFullYear() === year &&
    utc.getUTCMonth() === month - 1 &&
    utc.getUTCDate() === day &&
    utc.getUTCHours() === hour &&
    utc.getUTCMinutes() === minute &&
    utc.getUTCSeconds() === second
  if (!valid || year < 1970) return undefined
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}+08:00`
}
