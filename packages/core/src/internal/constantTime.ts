/**
 * Constant-time equality of secrets, in plain JavaScript (no `node:crypto`, so core stays free
 * of Node built-ins and runs in any runtime). The loop always walks the whole expected value and
 * folds every difference into one accumulator, so the time taken depends on the expected value's
 * length only: neither where the given value differs, nor its length.
 *
 * @internal
 */

const encoder = new TextEncoder()

/** Code units of a string or bytes of an array, read the same way. */
type Units = string | Uint8Array

const unit = (u: Units, i: number): number => (typeof u === "string" ? u.charCodeAt(i) : u[i]!)

/**
 * Whether `given` equals `expected`. Two strings are compared by UTF-16 code units (so two
 * different strings are never equal, lone surrogates included); a string against bytes is
 * compared by its UTF-8 encoding. Time depends on `expected.length` only.
 */
export const equals = (given: Units, expected: Units): boolean => {
  let a = given
  let b = expected
  if (typeof a !== typeof b) {
    if (typeof a === "string") a = encoder.encode(a)
    if (typeof b === "string") b = encoder.encode(b)
  }
  const n = b.length
  const m = a.length
  // A length difference is a difference; every unit of `expected` is still read.
  let diff = n ^ m
  for (let i = 0; i < n; i++) diff |= unit(b, i) ^ (i < m ? unit(a, i) : 0)
  return diff === 0
}
