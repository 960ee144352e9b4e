import { describe, expect, it } from "@effect/vitest"
import { Segment } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"

const parsed = (s: string) => {
  const r = Segment.parse(s)
  if (Result.isFailure(r)) throw new Error(`${r.failure.reason} at ${r.failure.position}`)
  return r.success
}
const error = (s: string) => {
  const r = Segment.parse(s)
  if (Result.isSuccess(r)) throw new Error(`parsed: ${Segment.print(r.success)}`)
  return [r.failure.reason, r.failure.position]
}

const arbTag = fc.constantFrom("高頻消費", "沉睡", "新用戶", "偏好生鮮", "tier:VIP", "channel:line", "常加班")
const arbExpr: fc.Arbitrary<Segment.Expr> = fc.letrec<{ e: Segment.Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbTag.map((name): Segment.Expr => ({ _tag: "Tag", name })),
    tie("e").map((expr): Segment.Expr => ({ _tag: "Not", expr })),
    fc.record({ left: tie("e"), right: tie("e") }).map((x): Segment.Expr => ({ _tag: "And", ...x })),
    fc.record({ left: tie("e"), right: tie("e") }).map((x): Segment.Expr => ({ _tag: "Or", ...x }))
  )
})).e

/** A reference evaluation written as plainly as possible. */
const reference = (e: Segment.Expr, tags: ReadonlySet<string>): boolean => {
  switch (e._tag) {
    case "Tag":
      return tags.has(e.name)
    case "Not":
      return !reference(e.expr, tags)
    case "And":
      return reference(e.left, tags) ? reference(e.right, tags) : false
    case "Or":
      return reference(e.left, tags) ? true : reference(e.right, tags)
  }
}

describe("Segment", () => {
  it("reads the issue's examples with NOT over AND over OR", () => {
    expect(parsed("高頻消費 AND NOT 沉睡")).toEqual({
      _tag: "And",
      left: { _tag: "Tag", name: "高頻消費" },
      right: { _tag: "Not", expr: { _tag: "Tag", name: "沉睡" } }
    })
    expect(Segment.print(parsed("tier:VIP or 偏好生鮮 and not 沉睡"))).toBe("tier:VIP OR 偏好生鮮 AND NOT 沉睡")
    expect(Segment.print(parsed("(tier:VIP OR 偏好生鮮) AND NOT 沉睡"))).toBe("(tier:VIP OR 偏好生鮮) AND NOT 沉睡")
    const vipFresh = parsed("tier:VIP OR 偏好生鮮")
    expect(Segment.matches(vipFresh, new Set(["偏好生鮮"]))).toBe(true)
    expect(Segment.matches(vipFresh, new Set(["tier:熟客"]))).toBe(false)
  })

  it("says why and where an expression does not read", () => {
    expect(error("")).toEqual(["empty", 0])
    expect(error("   ")).toEqual(["empty", 0])
    expect(error("高頻消費 AND")).toEqual(["unexpected-end", 8])
    expect(error("AND 沉睡")).toEqual(["unexpected-token", 0])
    expect(error("(tier:VIP OR 沉睡")).toEqual(["unclosed-parenthesis", 0])
    expect(error("tier:VIP 沉睡")).toEqual(["unexpected-token", 9])
    expect(error("tier:VIP )")).toEqual(["unexpected-token", 9])
    expect(error("x".repeat(Segment.MAX_LENGTH + 1))[0]).toBe("too-long")
  })

  it("printing and parsing again gives the same expression", () => {
    fc.assert(
      fc.property(arbExpr, (e) => {
        expect(parsed(Segment.print(e))).toEqual(e)
      })
    )
  })

  it("matches agrees with a plain reference evaluation", () => {
    fc.assert(
      fc.property(
        arbExpr,
        fc.subarray(["高頻消費", "沉睡", "新用戶", "偏好生鮮", "tier:VIP", "channel:line"]),
        (e, tags) => {
          expect(Segment.matches(e, new Set(tags))).toBe(reference(e, new Set(tags)))
        }
      )
    )
  })

  it("never throws on any input: a parse or a positioned error inside the input", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60, unit: fc.constantFrom("a", " ", "(", ")", "AND", "OR", "NOT", "生") }),
        (s) => {
          const r = Segment.parse(s)
          if (Result.isFailure(r)) {
            expect(r.failure.position).toBeGreaterThanOrEqual(0)
            expect(r.failure.position).toBeLessThanOrEqual(s.length)
          }
        }
      )
    )
  })

  it("lists the tags an expression names", () => {
    expect(Segment.tagsOf(parsed("a AND (b OR NOT a)"))).toEqual(["a", "b"])
  })
})
