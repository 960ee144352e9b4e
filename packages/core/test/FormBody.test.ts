import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { FormBody } from "../src/index.js"

const bytes = (s: string) => new TextEncoder().encode(s)

describe("FormBody", () => {
  it("parses a urlencoded body, decoding + and percent escapes as UTF-8", () => {
    expect(FormBody.parseForm(bytes("RtnCode=1&ItemName=%E8%8A%92%E6%9E%9C+x2&Empty="))).toEqual(
      Result.succeed({ RtnCode: "1", ItemName: "芒果 x2", Empty: "" })
    )
  })

  it("rejects a field given twice and a body that is not UTF-8", () => {
    expect(FormBody.parseForm(bytes("a=1&b=2&a=3"))).toEqual(Result.fail("the field a appears more than once"))
    expect(FormBody.parseForm(new Uint8Array([0x61, 0x3d, 0xff, 0xfe]))).toEqual(
      Result.fail("the body is not valid UTF-8")
    )
  })

  it("keeps __proto__ and constructor as plain data", () => {
    const parsed = Result.getOrThrow(FormBody.parseForm(bytes("__proto__=x&constructor=y")))
    expect(Object.entries(parsed)).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"]
    ])
    expect(Object.getPrototypeOf(parsed)).toBeNull()
  })

  it("encodeForm then parseForm gives back the fields", () => {
    fc.assert(
      fc.property(fc.tuple(fc.dictionary(fc.string(), fc.string())), ([fields]) => {
        const body = FormBody.encodeForm(fields)
        expect(FormBody.parseForm(bytes(body))).toEqual(Result.succeed({ ...fields }))
      })
    )
  })
})
