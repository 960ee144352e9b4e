import { describe, expect, it } from "@effect/vitest"
import { RoundSpec } from "@kaituan/core"
import { Result } from "effect"
import fc from "fast-check"
import { parseIsoDuration } from "../src/internal/isoDuration.js"

describe("ISO 8601 durations (remindBeforeCutoff)", () => {
  it("reads weeks, days, hours, minutes and seconds", () => {
    expect(parseIsoDuration("PT10M")).toBe(600_000)
    expect(parseIsoDuration("PT1H30M")).toBe(5_400_000)
    expect(parseIsoDuration("P1D")).toBe(86_400_000)
    expect(parseIsoDuration("P1W")).toBe(604_800_000)
    expect(parseIsoDuration("PT1.5S")).toBe(1_500)
    expect(parseIsoDuration("P1DT2H")).toBe(93_600_000)
  })

  it("refuses what is not a fixed-length duration", () => {
    for (const bad of ["", "P", "PT", "P1Y", "P1M", "10m", "PT10", "pt10m", "PT-1M", "P1DT"])
      expect(parseIsoDuration(bad), bad).toBeUndefined()
  })

  it("round-trips any h/m/s", () =>
    fc.assert(
      fc.property(fc.nat(48), fc.nat(59), fc.nat(59), (h, m, s) => {
        expect(parseIsoDuration(`PT${h}H${m}M${s}S`)).toBe(((h * 60 + m) * 60 + s) * 1000)
      })
    ))

  it("a round file names a bad remindBeforeCutoff", () => {
    const base = { id: "r", title: "t", products: [{ sku: "A", name: "A", price: 1 }] }
    expect(Result.isSuccess(RoundSpec.decode({ ...base, remindBeforeCutoff: "PT10M" }))).toBe(true)
    const bad = RoundSpec.decode({ ...base, remindBeforeCutoff: "10 minutes" })
    expect(Result.isFailure(bad) && bad.failure.message).toContain("remindBeforeCutoff")
  })
})
