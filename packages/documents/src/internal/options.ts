/**
 * The 規格 (options) cell of a catalogue row:
 * - `紅` — one value of the option 規格;
 * - `顏色:紅` or `顏色：紅` — one value of the option 顏色;
 * - `顏色:紅/白` (also `、`, `,`, `，`, `|` between values) — one variant per value;
 * - `顏色:紅/白; 尺寸:S/M` (`;`, `；` or a new line between options) — one variant per combination;
 * - `紅(紅色,red)` — a value with its aliases in brackets (full-width brackets too).
 *
 * @internal
 */

/** One option value with its aliases. */
export interface OptionValue {
  readonly value: string
  readonly aliases: ReadonlyArray<string>
}

/** One option of a cell: its name and values. */
export interface OptionGroup {
  readonly name: string
  readonly values: ReadonlyArray<OptionValue>
}

/** The option name of a value written without one (`紅` alone). */
export const DEFAULT_OPTION = "規格"

/** Splits on any of `seps` outside brackets; pieces trimmed, empty ones dropped. */
const splitOutside = (s: string, seps: string): Array<string> => {
  const out: Array<string> = []
  let depth = 0
  let cur = ""
  for (const c of s) {
    if (c === "(" || c === "（") depth++
    else if ((c === ")" || c === "）") && depth > 0) depth--
    if (depth === 0 && seps.includes(c)) {
      out.push(cur)
      cur = ""
    } else cur += c
  }
  out.push(cur)
  return out.map((p) => p.trim()).filter((p) => p.length > 0)
}

const valueOf = (piece: string): OptionValue | string => {
  const m = /^([^(（]*)[(（]([^)）]*)[)）]\s*$/.exec(piece)
  if (m === null) {
    if (/[()（）]/.test(piece)) return `"${piece}" has an unclosed bracket`
    return { value: piece, aliases: [] }
  }
  const value = m[1]!.trim()
  if (value.length === 0) return `"${piece}" has aliases but no value before the bracket`
  return { value, aliases: splitOutside(m[2]!, ",，、/／;；") }
}

/** The option groups of a cell, or a message saying what is wrong. Empty text: no groups. */
export const parseOptions = (text: string): ReadonlyArray<OptionGroup> | string => {
  const groups: Array<OptionGroup> = []
  for (const part of splitOutside(text, ";；\n")) {
    const colon = part.search(/[:：=]/)
    const name = colon < 0 ? DEFAULT_OPTION : part.slice(0, colon).trim()
    if (name.length === 0) return `"${part}" has no option name before the colon`
    const values: Array<OptionValue> = []
    for (const piece of splitOutside(colon < 0 ? part : part.slice(colon + 1), "/／、,，|")) {
      const v = valueOf(piece)
      if (typeof v === "string") return v
      if (values.some((x) => x.value === v.value)) return `the value "${v.value}" of ${name} is given twice`
      values.push(v)
    }
    if (values.length === 0) return `the option ${name} has no values`
    if (groups.some((g) => g.name === name)) return `the option ${name} is given twice`
    groups.push({ name, values })
  }
  return groups
}

/** Every combination of one value per group (in the groups' order), as option name → value. */
export const combinations = (groups: ReadonlyArray<OptionGroup>): Array<ReadonlyArray<readonly [string, string]>> =>
  groups.reduce<Array<ReadonlyArray<readonly [string, string]>>>(
    (acc, g) => acc.flatMap((combo) => g.values.map((v) => [...combo, [g.name, v.value] as const])),
    [[]]
  )
