import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { ConstantTime } from "../src/index.js"

const utf8 = (s: string) => new TextEncoder().encode(s)
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/** Pairs that are often equal or nearly so (one unit changed, one added or removed), not just random. */
const nearPairs = <A>(gen: fc.Arbitrary<A>, tweak: (a: A, n: number) => A) =>
  fc.oneof(
    gen.map((a) => [a, a] as const),
    fc.tuple(gen, fc.nat()).map(([a, n]) => [a, tweak(a, n)] as const),
    fc.tuple(gen, gen)
  )

const tweakString = (s: string, n: number): string => {
  if (s.length === 0) return "x"
  const i = n % s.length
  const kind = n % 3
  if (kind === 0) return s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) + 1) & 0xffff) + s.slice(i + 1)
  if (kind === 1) return s.slice(0, i) + s.slice(i + 1)
  return `${s}${s[i]}`
}
const tweakBytes = (b: Uint8Array, n: number): Uint8Array => {
  if (b.length === 0) return new Uint8Array([n & 0xff])
  const c = Uint8Array.from(b)
  if (n % 2 === 0) c[n % c.length] = (c[n % c.length]! + 1) & 0xff
  else return c.slice(0, c.length - 1)
  return c
}

describe("ConstantTime.equals", () => {
  it("two strings: the same answer as ===, lone surrogates and all", () => {
    fc.assert(
      fc.property(nearPairs(fc.string({ unit: "binary", maxLength: 40 }), tweakString), ([a, b]) => {
        expect(ConstantTime.equals(a, b)).toBe(a === b)
      }),
      { numRuns: 2000 }
    )
  })

  it("two byte arrays: the same answer as comparing every byte", () => {
    fc.assert(
      fc.property(nearPairs(fc.uint8Array({ maxLength: 40 }), tweakBytes), ([a, b]) => {
        expect(ConstantTime.equals(a, b)).toBe(sameBytes(a, b))
      }),
      { numRuns: 2000 }
    )
  })

  it("a string against bytes: compares the string's UTF-8 encoding", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 20 }),
        fc.string({ unit: "grapheme", maxLength: 20 }),
        (a, b) => {
          expect(ConstantTime.equals(a, utf8(b))).toBe(sameBytes(utf8(a), utf8(b)))
          expect(ConstantTime.equals(utf8(a), b)).toBe(sameBytes(utf8(a), utf8(b)))
          expect(ConstantTime.equals(a, utf8(a))).toBe(true)
        }
      )
    )
  })

  it("empty values and prefixes are not equal to longer ones", () => {
    expect(ConstantTime.equals("", "")).toBe(true)
    expect(ConstantTime.equals("", "a")).toBe(false)
    expect(ConstantTime.equals("abc", "ab")).toBe(false)
    expect(ConstantTime.equals("ab", "abc")).toBe(false)
    expect(ConstantTime.equals("\u0000", "")).toBe(false)
  })
})
