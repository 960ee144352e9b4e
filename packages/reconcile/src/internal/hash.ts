/**
 * A fast, stable 64-bit string hash (two 32-bit lanes, cyrb53-style mixing), as 16 hex digits.
 * Not cryptographic: it names statement rows, it does not protect anything.
 *
 * @internal
 */

const HEX = "0123456789abcdef"
const hexCode = (n: number): number => HEX.charCodeAt(n & 15)

/**
 * The hash as 16 hex digits after `prefix` (ASCII). The string is built in one piece: joining
 * pieces of 13 characters or more gives a string made of parts, slower to compare and to hash.
 */
export const hash64 = (s: string, prefix = ""): string => {
  let h1 = 0xdeadbeef ^ s.length
  let h2 = 0x41c6ce57 ^ s.length
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  const codes: Array<number> = []
  for (let i = 0; i < prefix.length; i++) codes.push(prefix.charCodeAt(i))
  for (let shift = 28; shift >= 0; shift -= 4) codes.push(hexCode(h1 >>> shift))
  for (let shift = 28; shift >= 0; shift -= 4) codes.push(hexCode(h2 >>> shift))
  return String.fromCharCode(...codes)
}
