/// <reference path="./opencc-dicts.d.ts" />
/**
 * How the per-code-unit tables of {@link ./Tables.ts} are made: the fold (width, case,
 * Traditional → Simplified) and the character classes. Not loaded by the parser, which reads the
 * tables generated from this module (`TablesData.ts`, written by `scripts/generate-tables.ts`; a
 * test checks the two agree).
 *
 * The fold maps every UTF-16 code unit to exactly one code unit, so a folded comment has the same
 * length as the original and every offset in it is an offset into the original text.
 */
import HKVariantsRev from "opencc-js/dict/HKVariantsRev"
import HKVariantsRevPhrases from "opencc-js/dict/HKVariantsRevPhrases"
import TSCharacters from "opencc-js/dict/TSCharacters"
import TSPhrases from "opencc-js/dict/TSPhrases"
import TWVariantsRev from "opencc-js/dict/TWVariantsRev"
import TWVariantsRevPhrases from "opencc-js/dict/TWVariantsRevPhrases"
import { C_CJK, C_DIGIT, C_LETTER, C_NEWLINE, C_PUNCT, C_SEP, C_SPACE, C_SURROGATE, C_SYMBOL } from "./Tables.js"

const pairsOf = (dict: unknown, out: Array<[string, string]>): void => {
  if (typeof dict === "string") {
    for (const entry of dict.split("|")) {
      const sp = entry.indexOf(" ")
      if (sp > 0) out.push([entry.slice(0, sp), entry.slice(sp + 1).split(" ")[0] ?? ""])
    }
  } else if (Array.isArray(dict)) {
    for (const d of dict) {
      if (
        Array.isArray(d) &&
        d.length === 2 &&
        typeof d[0] === "string" &&
        typeof d[1] === "string" &&
        !d[0].includes(" ") &&
        !d[0].includes("|")
      )
        out.push([d[0], d[1]])
      else pairsOf(d, out)
    }
  }
}

const isCjk = (c: number): boolean =>
  (c >= 0x3400 && c <= 0x4dbf) ||
  (c >= 0x4e00 && c <= 0x9fff) ||
  (c >= 0xf900 && c <= 0xfaff) ||
  (c >= 0x3040 && c <= 0x30ff) ||
  (c >= 0xac00 && c <= 0xd7af) ||
  (c >= 0x3005 && c <= 0x3007)

/** Where NFKC maps single code units (Latin-1 to enclosed alphanumerics, CJK radicals and symbols, compatibility forms). */
const inRanges = (c: number): boolean =>
  (c >= 0xa0 && c < 0x2500) ||
  (c >= 0x2c7c && c < 0x2c7e) ||
  (c >= 0x2d6f && c < 0x2d70) ||
  (c >= 0x2e9f && c < 0x2fe0) ||
  (c >= 0x3000 && c < 0x3400) ||
  (c >= 0xa69c && c < 0xa6a0) ||
  (c >= 0xa770 && c < 0xa771) ||
  (c >= 0xa7f0 && c < 0xa800) ||
  (c >= 0xab5c && c < 0xab70) ||
  (c >= 0xf900 && c <= 0xffff)

/** Where lower-casing can change a code unit. */
const hasCase = (c: number): boolean =>
  c < 0x0590 ||
  (c >= 0x10a0 && c < 0x1100) ||
  (c >= 0x13a0 && c < 0x1400) ||
  (c >= 0x1c80 && c < 0x1cc0) ||
  (c >= 0x1e00 && c < 0x2200) ||
  (c >= 0x2c00 && c < 0x2d30) ||
  (c >= 0xa640 && c < 0xa800) ||
  (c >= 0xab70 && c < 0xabc0) ||
  (c >= 0xff21 && c < 0xff3b)

/**
 * Builds the tables from their sources: Node's Unicode data (NFKC, lower case, general
 * categories) and OpenCC's dictionaries. Slow (tens of milliseconds); run by
 * `scripts/generate-tables.ts`, whose output ({@link encodeTables}) is what the parser loads.
 */
export const buildTables = (): { readonly fold: Uint16Array; readonly cls: Uint8Array } => {
  const fold = new Uint16Array(65536)
  for (let c = 0; c < 65536; c++) fold[c] = c
  // 1. NFKC where it maps one code unit to one code unit (full-width → half-width, compatibility
  //    ideographs, small forms…), then case folding.
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c < 0xe000) continue
    let v = c
    if (inRanges(c)) {
      const n = String.fromCharCode(c).normalize("NFKC")
      if (n.length === 1) v = n.charCodeAt(0)
    }
    if (hasCase(v)) {
      const l = String.fromCharCode(v).toLowerCase()
      if (l.length === 1) v = l.charCodeAt(0)
    }
    fold[c] = v
  }
  // A few signs people use for "+" and "-".
  fold[0x2795] = 0x2b // ➕
  fold[0x2796] = 0x2d // ➖
  fold[0x2212] = 0x2d // − minus sign
  fold[0x2013] = 0x2d // – en dash
  fold[0x02d7] = 0x2d
  fold[0x3000] = 0x20
  // 2. Traditional ↔ Simplified as an equivalence: union every single-character pair of OpenCC's
  //    Taiwan/Hong Kong variant tables and Traditional→Simplified tables (characters and the
  //    character-aligned pairs of its phrase tables). The class representative is the Simplified side.
  const pairs: Array<[string, string]> = []
  // The dictionaries of OpenCC's tw2s and hk2s conversion chains (opencc-js).
  pairsOf([TWVariantsRevPhrases, TWVariantsRev, HKVariantsRevPhrases, HKVariantsRev, TSPhrases, TSCharacters], pairs)
  const parent = new Int32Array(65536)
  for (let c = 0; c < 65536; c++) parent[c] = c
  const find = (x: number): number => {
    let r = x
    while (parent[r] !== r) r = parent[r]!
    while (parent[x] !== r) {
      const n = parent[x]!
      parent[x] = r
      x = n
    }
    return r
  }
  for (const [t, s] of pairs) {
    if (t.length !== s.length) continue
    for (let k = 0; k < t.length; k++) {
      const a = t.charCodeAt(k)
      const b = s.charCodeAt(k)
      if (a === b || (a >= 0xd800 && a < 0xe000) || (b >= 0xd800 && b < 0xe000)) continue
      const ra = find(fold[a]!)
      const rb = find(fold[b]!)
      if (ra !== rb) parent[ra] = rb
    }
  }
  for (let c = 0; c < 65536; c++) fold[c] = find(fold[c]!)
  // 3. Make the table idempotent.
  for (let round = 0; round < 4; round++) {
    let changed = false
    for (let c = 0; c < 65536; c++) {
      const f = fold[fold[c]!]!
      if (f !== fold[c]) {
        fold[c] = f
        changed = true
      }
    }
    if (!changed) break
  }
  const cls = new Uint8Array(65536)
  const letter = /\p{L}/u
  const number = /\p{N}/u
  const space = /\s/
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c < 0xe000) {
      cls[c] = C_SURROGATE
      continue
    }
    if (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029 || c === 0x85) cls[c] = C_NEWLINE
    else if (c < 0x20 || c === 0x7f || (c >= 0x200b && c <= 0x200f) || c === 0xfeff || c === 0x2060 || c === 0x20)
      cls[c] = C_SPACE
    else if (c >= 0x30 && c <= 0x39) cls[c] = C_DIGIT
    else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) cls[c] = C_LETTER
    else if (isCjk(c)) cls[c] = C_CJK
    else if (c < 0x80) cls[c] = C_PUNCT
    else {
      const s = String.fromCharCode(c)
      if (c < 0x3001 && space.test(s)) cls[c] = C_SPACE
      else if (letter.test(s)) cls[c] = C_LETTER
      else if (number.test(s)) cls[c] = C_SYMBOL
      else if ((c >= 0x3000 && c < 0x3040) || (c >= 0xff00 && c < 0xff70) || (c >= 0xfe30 && c < 0xfe70))
        cls[c] = C_PUNCT
      else cls[c] = C_SYMBOL
    }
  }
  for (const ch of ",;/\\|、，；") cls[ch.charCodeAt(0)] = C_SEP
  return { fold, cls }
}

const hex4 = (n: number): string => n.toString(16).padStart(4, "0")

/**
 * The tables as two ASCII strings: `fold`, every code unit the fold changes and what it becomes
 * (8 hex digits each, in code unit order); `classes`, the runs of the class table (4 hex digits
 * where a run starts, then its class as one digit).
 */
export const encodeTables = (t: {
  readonly fold: Uint16Array
  readonly cls: Uint8Array
}): {
  readonly fold: string
  readonly classes: string
} => {
  let fold = ""
  for (let c = 0; c < 65536; c++) if (t.fold[c] !== c) fold += hex4(c) + hex4(t.fold[c]!)
  let classes = ""
  for (let c = 0; c < 65536; c++) if (c === 0 || t.cls[c] !== t.cls[c - 1]) classes += hex4(c) + String(t.cls[c])
  return { fold, classes }
}

/** The source of `TablesData.ts` for the tables built here, with this Node.js's Unicode version. */
export const renderTablesData = (): string => {
  const { fold, classes } = encodeTables(buildTables())
  return `/**
 * The parser's per-code-unit tables (see \`Tables.ts\`), generated by \`scripts/generate-tables.ts\`
 * from \`TablesBuild.ts\` with Unicode ${process.versions.unicode}: do not edit.
 */

/** The Unicode version the tables were generated with. */
export const unicodeVersion = ${JSON.stringify(process.versions.unicode)}

/** The code units the fold changes and what they become: 4 + 4 hex digits each. */
export const foldPairs =
  ${JSON.stringify(fold)}

/** Where each run of the class table starts (4 hex digits) and its class (1 digit). */
export const classRuns =
  ${JSON.stringify(classes)}
`
}
