/**
 * Per-code-unit tables, decoded once per process (on first use) from `TablesData.ts`: the fold
 * (width, case, Traditional → Simplified) and the character classes the lexer switches on. How
 * they are made from Unicode's and OpenCC's data is in `TablesBuild.ts`; they are generated ahead
 * of time (`scripts/generate-tables.ts`) so that a process does not rebuild them on start-up and
 * the parser's verdicts do not depend on the Unicode version of the Node.js that runs it.
 *
 * The fold maps every UTF-16 code unit to exactly one code unit, so a folded comment has the same
 * length as the original and every offset in it is an offset into the original text.
 */
import { classRuns, foldPairs } from "./TablesData.js"

/** Character classes (see {@link classes}). */
export const C_OTHER = 0
export const C_SPACE = 1
export const C_NEWLINE = 2
export const C_SEP = 3
export const C_PUNCT = 4
export const C_DIGIT = 5
export const C_LETTER = 6
export const C_CJK = 7
export const C_SURROGATE = 8
export const C_SYMBOL = 9

let foldTable: Uint16Array | undefined
let classTable: Uint8Array | undefined

const build = (): void => {
  const fold = new Uint16Array(65536)
  for (let c = 0; c < 65536; c++) fold[c] = c
  for (let i = 0; i + 8 <= foldPairs.length; i += 8)
    fold[Number.parseInt(foldPairs.slice(i, i + 4), 16)] = Number.parseInt(foldPairs.slice(i + 4, i + 8), 16)
  const cls = new Uint8Array(65536)
  for (let i = 0; i + 5 <= classRuns.length; i += 5) {
    const end = i + 10 <= classRuns.length ? Number.parseInt(classRuns.slice(i + 5, i + 9), 16) : 65536
    cls.fill(classRuns.charCodeAt(i + 4) - 48, Number.parseInt(classRuns.slice(i, i + 4), 16), end)
  }
  foldTable = fold
  classTable = cls
}

/** The fold table: code unit → folded code unit (built on first use). */
export const folds = (): Uint16Array => {
  if (foldTable === undefined) build()
  return foldTable!
}

/** The class table: code unit → `C_*` class (built on first use). */
export const classes = (): Uint8Array => {
  if (classTable === undefined) build()
  return classTable!
}

/** Folds a whole string (same length as the input). */
export const foldString = (s: string): string => {
  const f = folds()
  let out = ""
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(f[s.charCodeAt(i)]!)
  return out
}
