/**
 * ISO 8601 durations of fixed length (`PT10M`, `PT1H30M`, `P1D`, `P1W`): weeks, days, hours,
 * minutes and seconds. Years and months have no fixed length and are refused.
 */

const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,3})?)S)?)?$/

/** The duration in milliseconds, or `undefined` when `text` is not such a duration (or is empty: `P`, `PT`). */
export const parseIsoDuration = (text: string): number | undefined => {
  const m = DURATION.exec(text)
  if (m === null || text === "P" || text.endsWith("T")) return undefined
  const [, w, d, h, min, s] = m
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v.replace(",", ".")))
  const ms = ((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(min)) * 60 + n(s)) * 1000
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}
