import { describe, expect, it } from "@effect/vitest"
import { extractAccount, isAccountOnly, normalise, parseAmount, parseDate, parseTime } from "../src/internal/cells.js"

const amount = (s: string) => {
  const r = parseAmount(s)
  return r._tag === "Value" ? r.value : r._tag
}

describe("parseAmount", () => {
  it.each([
    ["1300", 1300],
    ["1,300", 1300],
    ['="1,300"', 1300],
    ["NT$1,000", 1000],
    ["-NT$100", -100],
    ["NT$-100", -100],
    ["$ 2,500", 2500],
    ["１３００", 1300],
    ["１，３００", 1300],
    ["−650", -650],
    ["(1,000)", -1000],
    ["1000-", -1000],
    ["+650", 650],
    ["1300.00", 1300],
    ["1300元", 1300],
    ["TWD 999", 999],
    ["0", 0]
  ])("%s → %s", (input, expected) => {
    expect(amount(input)).toBe(expected)
  })

  it.each(["", " ", "-", "--"])("%j is blank", (input) => {
    expect(amount(input)).toBe("Blank")
  })

  it.each(["12.50", "abc", "1,3a0", "NT$"])("%j is refused", (input) => {
    expect(amount(input)).toBe("Bad")
  })
})

describe("parseDate", () => {
  const date = (s: string) => {
    const r = parseDate(s)
    return r._tag === "Value" ? r.value : r._tag
  }
  it.each([
    ["2024/04/02", { date: "2024-04-02" }],
    ["2024-4-2", { date: "2024-04-02" }],
    ["2024.04.02", { date: "2024-04-02" }],
    ["20240402", { date: "2024-04-02" }],
    ["113/04/02", { date: "2024-04-02" }],
    ["113/04/02 10:00:00", { date: "2024-04-02", time: "10:00:00" }],
    ['="113/04/02 10:20:30"', { date: "2024-04-02", time: "10:20:30" }],
    ["1130402", { date: "2024-04-02" }],
    ["*2022/10/10", { date: "2022-10-10" }],
    ["２０２４／０４／０２", { date: "2024-04-02" }],
    ["2024年4月2日", { date: "2024-04-02" }],
    ["2024/04/02 9:05", { date: "2024-04-02", time: "09:05:00" }],
    ["2024/04/02 下午 02:05:11", { date: "2024-04-02", time: "14:05:11" }],
    ["2024/02/29", { date: "2024-02-29" }]
  ])("%s", (input, expected) => {
    expect(date(input)).toEqual(expected)
  })

  it.each(["2023/02/29", "2024/13/01", "113/04/32", "共 4 筆", "2024/04/02 25:00", "abc"])("%s is refused", (input) => {
    expect(date(input)).toBe("Bad")
  })

  it("reads times alone", () => {
    expect(parseTime("18:05:16")).toEqual({ _tag: "Value", value: "18:05:16" })
    expect(parseTime("PM 1:00")).toEqual({ _tag: "Value", value: "13:00:00" })
    expect(parseTime("61:00")._tag).toBe("Bad")
  })
})

describe("extractAccount", () => {
  it.each([
    ["(822)0000000012345678", { bankCode: "822", last5: "45678" }],
    ["(700) 0000000000054321", { bankCode: "700", last5: "54321" }],
    ["822-*********45678", { bankCode: "822", last5: "45678" }],
    ["822-45678", { bankCode: "822", last5: "45678" }],
    ["轉入 013-*****89012 王小明", { bankCode: "013", last5: "89012" }],
    ["*******44444", { last5: "44444" }],
    ["（８２２）００００１２３４５", { bankCode: "822", last5: "12345" }]
  ])("%s", (input, expected) => {
    expect(extractAccount(input, false)).toEqual(expected)
  })

  it("reads a bare account number only in an account column", () => {
    expect(extractAccount("0000123456789012", true)).toEqual({ last5: "89012" })
    expect(extractAccount("0000123456789012", false)).toBeUndefined()
  })

  it("does not read dates, amounts or names as accounts", () => {
    for (const s of ["2024/04/01", "113/04/02 10:00:00", "王小明 芒果3箱", "1,300", "GB-20240501"])
      expect(extractAccount(s, false)).toBeUndefined()
  })

  it("knows a cell that is only an account", () => {
    expect(isAccountOnly("822-45678")).toBe(true)
    expect(isAccountOnly("(822)0000000012345678")).toBe(true)
    expect(isAccountOnly("王小明 822-45678")).toBe(false)
  })
})

describe("normalise", () => {
  it("unwraps Excel formula cells, full-width forms and minus signs", () => {
    expect(normalise('="822-45678"')).toBe("822-45678")
    expect(normalise("　ＡＴＭ轉入　")).toBe("ATM轉入")
    expect(normalise("\u2212100")).toBe("-100")
  })
})
