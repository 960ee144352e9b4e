/** Readable tables for people, aware of the width of Chinese characters. */
import stringWidth from "string-width"

/**
 * Whether a UTF-16 code unit is a character that forms a grapheme cluster on its own whatever
 * surrounds it (grapheme break property "Other"), in the blocks tables are made of: printable
 * ASCII and Latin-1, general punctuation (… ‧), box drawing, CJK symbols and punctuation, kana,
 * bopomofo, CJK ideographs, Hangul syllables and full-width forms. Marks, joiners, variation
 * selectors, controls, surrogates and Hangul jamo are not.
 */
const isLoneGrapheme = (c: number): boolean =>
  (c >= 0x20 && c <= 0x7e) ||
  (c >= 0xa0 && c <= 0xff && c !== 0xad) ||
  (c >= 0x2010 && c <= 0x2027) ||
  (c >= 0x2030 && c <= 0x205e) ||
  (c >= 0x2500 && c <= 0x257f) ||
  (c >= 0x3000 && c <= 0x3029) ||
  (c >= 0x3030 && c <= 0x303f) ||
  (c >= 0x3041 && c <= 0x3096) ||
  (c >= 0x30a0 && c <= 0x30ff) ||
  (c >= 0x3105 && c <= 0x312f) ||
  (c >= 0x3400 && c <= 0x4dbf) ||
  (c >= 0x4e00 && c <= 0x9fff) ||
  (c >= 0xac00 && c <= 0xd7a3) ||
  (c >= 0xf900 && c <= 0xfaff) ||
  (c >= 0xff01 && c <= 0xff9d)

const UNKNOWN = 255
const NOT_ALONE = 254

/**
 * Per UTF-16 code unit: its width as string-width measures it alone when it is a lone grapheme
 * (0, 1 or 2), {@link NOT_ALONE} when it is not, {@link UNKNOWN} until first seen.
 */
const charWidths = new Uint8Array(0x10000).fill(UNKNOWN)

/**
 * The width of `s` in a terminal: exactly `string-width`'s answer. A string made only of
 * characters that are grapheme clusters on their own (nearly every table cell: ASCII, Chinese,
 * punctuation) is the sum of its characters' widths, each measured once; anything else (emoji,
 * combining marks, ANSI codes…) goes to string-width, which segments it into graphemes.
 */
export const displayWidth = (s: string): number => {
  let width = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let w = charWidths[c]!
    if (w === UNKNOWN) {
      w = isLoneGrapheme(c) ? stringWidth(String.fromCharCode(c)) : NOT_ALONE
      charWidths[c] = w
    }
    if (w === NOT_ALONE) return stringWidth(s)
    width += w
  }
  return width
}

const padTo = (s: string, sWidth: number, width: number, right: boolean) => {
  const gap = width > sWidth ? " ".repeat(width - sWidth) : ""
  return right ? gap + s : s + gap
}

/** Renders rows under headers, one line at a time (no trailing newline); numeric columns are right-aligned. */
export const tableLines = function* (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string | number>>
): Generator<string> {
  const cells = rows.map((r) => r.map((c) => String(c)))
  const cellWidths = cells.map((r) => r.map(displayWidth))
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number"))
  const widths = headers.map((h, i) => {
    let w = displayWidth(h)
    for (const r of cellWidths) if ((r[i] ?? 0) > w) w = r[i] ?? 0
    return w
  })
  const line = (r: ReadonlyArray<string>, rw: ReadonlyArray<number>) => {
    let s = ""
    for (let i = 0; i < r.length; i++) {
      if (i > 0) s += "  "
      s += padTo(r[i]!, rw[i]!, widths[i] ?? 0, numeric[i] === true)
    }
    return s.trimEnd()
  }
  yield line(headers, headers.map(displayWidth))
  yield widths.map((w) => "─".repeat(w)).join("  ")
  for (let k = 0; k < cells.length; k++) yield line(cells[k]!, cellWidths[k]!)
}

/** Renders rows under headers; numeric columns are right-aligned. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>): string =>
  [...tableLines(headers, rows)].join("\n")
