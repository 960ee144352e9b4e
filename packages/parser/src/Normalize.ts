/**
 * The fold the parser matches under: NFKC width folding (Ａ１＋ → A1+), lower case, and
 * Traditional ↔ Simplified Chinese as one (紅 = 红), built from OpenCC's dictionaries
 * (opencc-js). It maps every UTF-16 code unit to one code unit, so offsets in the folded text are
 * offsets in the original.
 *
 * @example
 * ```ts
 * import { Normalize } from "@kaituan/parser"
 * Normalize.fold("紅色＋１") === Normalize.fold("红色+1") // true
 * ```
 *
 * @since 0.1.0
 */
import { foldString } from "./internal/Tables.js"

/** Folds text for comparison: same length as the input, offsets preserved. */
export const fold = (text: string): string => foldString(text)

/** True when two texts are the same under the fold. */
export const equivalent = (a: string, b: string): boolean => a.length === b.length && fold(a) === fold(b)
