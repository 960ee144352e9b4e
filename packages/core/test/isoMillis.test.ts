import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { isoMillis } from "../src/internal/isoMillis.js"

/** Text in the shape of `toISOString`, with any two digits in each field (valid or not). */
const isoShaped = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 999 })
  )
  .map(([y, mo, d, h, mi, s, ms]) => {
    const p = (n: number, w: number) => String(n).padStart(w, "0")
    return `${p(y, 4)}-${p(mo, 2)}-${p(d, 2)}T${p(h, 2)}:${p(mi, 2)}:${p(s, 2)}.${p(ms, 3)}Z`
  })

describe("isoMillis", () => {
  it("is Date.parse for any moment written by toISOString", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1000-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }), (d) => {
        const iso = d.toISOString()
        expect(isoMillis(iso)).toBe(Date.parse(iso))
      }),
      { numRuns: 2000 }
    )
  })

  it("is Date.parse for text of that shape with out-of-range fields (NaN included)", () => {
    fc.assert(
      fc.property(isoShaped, (iso) => {
        expect(Object.is(isoMillis(iso), Date.parse(iso))).toBe(true)
      }),
      { numRuns: 3000 }
    )
  })

  it("is Date.parse for other forms and for junk", () => {
    for (const s of [
      "2029-12-01T08:00:00+08:00",
      "2029-12-01T00:00:00Z",
      "2029-12-01",
      "2029-02-31T00:00:00.000Z",
      "2029-12-01T24:00:00.000Z",
      "0099-12-01T00:00:00.000Z",
      "2029-1a-01T00:00:00.000Z",
      "2029-12-01T00:00:00.00aZ",
      "２０２９-12-01T00:00:00.000Z",
      ""
    ])
      expect(Object.is(isoMillis(s), Date.parse(s))).toBe(true)
    fc.assert(
      fc.property(fc.string({ minLength: 24, maxLength: 24 }), (s) => {
        expect(Object.is(isoMillis(s), Date.parse(s))).toBe(true)
      })
    )
  })
})
