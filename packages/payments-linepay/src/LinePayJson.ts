/**
 * Reading LINE Pay's JSON without losing digits. Its `transactionId` and `refundTransactionId`
 * are 19-digit numbers in the JSON (`"transactionId":2024050100000000001`), beyond JavaScript's
 * `Number.MAX_SAFE_INTEGER` (16 digits): `JSON.parse` would round them. {@link parse} first
 * quotes every integer literal of more than 15 digits that stands outside a string (a small
 * scanner, not a regular expression, so a digit run inside a string value is never touched), then
 * parses: those numbers arrive as strings with every digit, and every other value as usual.
 *
 * @since 0.1.0
 */
import { Result } from "effect"

/** Integer literals longer than this many digits are read as strings (15 digits always fit a double). */
export const SAFE_DIGITS = 15

/**
 * Quotes every integer literal longer than {@link SAFE_DIGITS} digits outside a string. Numbers
 * with a fraction or an exponent are left alone (LINE Pay's long numbers are ids: integers).
 */
export const quoteLongIntegers = (text: string): string => {
  let out = ""
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text[i]!
    if (c === '"') {
      // copy the whole string literal, escapes included
      let j = i + 1
      while (j < n && text[j] !== '"') j += text[j] === "\\" ? 2 : 1
      out += text.slice(i, j + 1)
      i = j + 1
      continue
    }
    if (c === "-" || (c >= "0" && c <= "9")) {
      let j = i + (c === "-" ? 1 : 0)
      while (j < n && text[j]! >= "0" && text[j]! <= "9") j++
      let k = j
      const fractional = k < n && (text[k] === "." || text[k] === "e" || text[k] === "E")
      if (fractional) {
        k++
        while (k < n && /[0-9eE+\-.]/.test(text[k]!)) k++
      }
      const literal = text.slice(i, k)
      const digits = j - i - (c === "-" ? 1 : 0)
      out += !fractional && digits > SAFE_DIGITS ? `"${literal}"` : literal
      i = k
      continue
    }
    out += c
    i++
  }
  return out
}

/** Parses JSON text, long integers as strings (see the module). Fails with the parser's message. */
export const parse = (text: string): Result.Result<unknown, string> =>
  Result.try({ try: () => JSON.parse(quoteLongIntegers(text)) as unknown, catch: (e) => String(e) })

/** An id field as a string: a long integer (already quoted by {@link parse}), a safe integer, or a string. */
export const idString = (value: unknown): string | undefined =>
  typeof value === "string" && /^\d+$/.test(value)
    ? value
    : typeof value === "number" && Number.isSafeInteger(value) && value >= 0
      ? String(value)
      : undefined
