import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { LineSignature } from "../src/index.js"
import { chineseBody, chineseBodyEscaped, vectors } from "./vectors.js"

describe("LineSignature", () => {
  for (const v of vectors) {
    it(`signs and verifies: ${v.source}`, () => {
      expect(LineSignature.sign(v.secret, v.body)).toBe(v.signature)
      expect(LineSignature.verify(v.secret, v.body, v.signature)).toBe(true)
      expect(LineSignature.verify(v.secret, new TextEncoder().encode(v.body), v.signature)).toBe(true)
    })
    if (v.negative !== undefined) {
      const negative = v.negative
      it(`rejects the negative signature: ${v.source}`, () => {
        expect(LineSignature.verify(v.secret, v.body, negative)).toBe(false)
      })
    }
  }

  it("a re-serialised body (\\u escapes) does not verify under the raw body's signature", () => {
    expect(chineseBodyEscaped).not.toBe(chineseBody)
    expect(JSON.parse(chineseBodyEscaped)).toEqual(JSON.parse(chineseBody))
    expect(LineSignature.verify("8c832c018d09a8be1738b32a3be1ee0a", chineseBodyEscaped, vectors[4]!.signature)).toBe(
      false
    )
  })

  it("rejects a missing, empty, truncated or non-base64 header", () => {
    const v = vectors[0]!
    expect(LineSignature.verify(v.secret, v.body, undefined)).toBe(false)
    expect(LineSignature.verify(v.secret, v.body, "")).toBe(false)
    expect(LineSignature.verify(v.secret, v.body, v.signature.slice(0, 20))).toBe(false)
    expect(LineSignature.verify(v.secret, v.body, `${v.signature}!!`)).toBe(false)
    expect(LineSignature.verify("other_secret", v.body, v.signature)).toBe(false)
  })

  it("any body verifies under its own signature and not after a one-byte change", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.string({ minLength: 1 }), (body, secret) => {
        const sig = LineSignature.sign(secret, body)
        expect(LineSignature.verify(secret, body, sig)).toBe(true)
        const changed = Uint8Array.from(body)
        changed[0] = (changed[0]! + 1) % 256
        expect(LineSignature.verify(secret, changed, sig)).toBe(false)
      })
    )
  })
})
