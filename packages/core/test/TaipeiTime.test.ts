import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { TaipeiTime } from "../src/index.js"

describe("TaipeiTime", () => {
  it("formats an instant as a Taipei wall clock (UTC+8), across the date line", () => {
    expect(TaipeiTime.formatTaipei(Date.UTC(2024, 4, 1, 4, 34, 56))).toBe("2024/05/01 12:34:56")
    expect(TaipeiTime.formatTaipei(Date.UTC(2023, 11, 31, 16, 0, 0), "-")).toBe("2024-01-01 00:00:00")
    expect(TaipeiTime.taipeiParts(Date.UTC(2024, 1, 29, 15, 59, 59))).toEqual({
      year: 2024,
      month: 2,
      day: 29,
      hour: 23,
      minute: 59,
      second: 59
    })
  })

  it("reads gateway timestamps as ISO 8601 with +08:00; rejects impossible dates", () => {
    expect(TaipeiTime.taipeiToIso("2024/05/01 12:34:56")).toBe("2024-05-01T12:34:56+08:00")
    expect(TaipeiTime.taipeiToIso(" 2024-05-01 12:34:56 ")).toBe("2024-05-01T12:34:56+08:00")
    expect(TaipeiTime.taipeiToIso("2024-05-0112:34:56")).toBe("2024-05-01T12:34:56+08:00")
    expect(TaipeiTime.taipeiToIso("2023-02-29 00:00:00")).toBeUndefined()
    expect(TaipeiTime.taipeiToIso("2024-05-01 24:00:00")).toBeUndefined()
    expect(TaipeiTime.taipeiToIso("1969-12-31 23:59:59")).toBeUndefined()
    expect(TaipeiTime.taipeiToIso("yesterday")).toBeUndefined()
  })

  it("a formatted instant reads back as the same instant", () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 0, max: 4_102_444_800 }).map((s) => s * 1000)), ([epochMillis]) => {
        const iso = TaipeiTime.taipeiToIso(TaipeiTime.formatTaipei(epochMillis))
        expect(iso).toBeDefined()
        expect(Date.parse(iso!)).toBe(epochMillis)
      })
    )
  })
})
