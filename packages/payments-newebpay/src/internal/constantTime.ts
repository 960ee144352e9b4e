/**
 * Constant-time comparison of signatures.
 *
 * @internal
 */
import { timingSafeEqual } from "node:crypto"

/** True when both strings are byte-for-byte equal; the time taken does not depend on where they differ. */
export const safeEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  if (left.length !== right.length) return false
  return timingSafeEqual(left, right)
}
