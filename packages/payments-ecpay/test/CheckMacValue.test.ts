import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import fc from "fast-check"
import { CheckMacValue } from "../src/index.js"
import { realCallback } from "./vectors.js"

// ECPay's public AIO stage key (official SDK_PHP examples).
const keys: CheckMacValue.Keys = {
  hashKey: Redacted.make("pwFHCqoQZGmho4w6"),
  hashIV: Redacted.make("EkRm7iFT261dpevs")
}
// Logistics B2C stage key (MD5).
const logisticsKeys: CheckMacValue.Keys = {
  hashKey: Redacted.make("5294y06JbISpM5x9"),
  hashIV: Redacted.make("v77hoKGq4kWxNNIS")
}

describe("vendor vectors (protocols.md §6.1)", () => {
  it("1) official doc example: raw string, encoded string and CheckMacValue", () => {
    const params = {
      ChoosePayment: "ALL",
      EncryptType: "1",
      ItemName: "Apple iphone 15",
      MerchantID: "3002607",
      MerchantTradeDate: "2023/03/12 15:30:23",
      MerchantTradeNo: "ecpay20230312153023",
      PaymentType: "aio",
      ReturnURL: "https://www.ecpay.com.tw/receive.php",
      TotalAmount: "30000",
      TradeDesc: "促銷方案"
    }
    expect(CheckMacValue.rawString(params, keys)).toBe(
      "HashKey=pwFHCqoQZGmho4w6&ChoosePayment=ALL&EncryptType=1&ItemName=Apple iphone 15&MerchantID=3002607&MerchantTradeDate=2023/03/12 15:30:23&MerchantTradeNo=ecpay20230312153023&PaymentType=aio&ReturnURL=https://www.ecpay.com.tw/receive.php&TotalAmount=30000&TradeDesc=促銷方案&HashIV=EkRm7iFT261dpevs"
    )
    expect(CheckMacValue.encodedString(params, keys)).toBe(
      "hashkey%3dpwfhcqoqzgmho4w6%26choosepayment%3dall%26encrypttype%3d1%26itemname%3dapple+iphone+15%26merchantid%3d3002607%26merchanttradedate%3d2023%2f03%2f12+15%3a30%3a23%26merchanttradeno%3decpay20230312153023%26paymenttype%3daio%26returnurl%3dhttps%3a%2f%2fwww.ecpay.com.tw%2freceive.php%26totalamount%3d30000%26tradedesc%3d%e4%bf%83%e9%8a%b7%e6%96%b9%e6%a1%88%26hashiv%3dekrm7ift261dpevs"
    )
    expect(CheckMacValue.compute(params, keys)).toBe("6C51C9E6888DE861FD62FB1DD17029FC742634498FD813DC43D4243B5685B840")
  })

  it("1) the naive encodeURIComponent port gives a different (wrong) MAC", () => {
    const params = { ItemName: "Apple iphone 15" }
    const naive = encodeURIComponent(CheckMacValue.rawString(params, keys)).toLowerCase()
    expect(naive).not.toBe(CheckMacValue.encodedString(params, keys))
  })

  it("2) official SDK_PHP GetCheckoutResponse example", () => {
    const params = {
      MerchantID: "3002607",
      MerchantTradeNo: "WPLL4E341E122DB44D62",
      PaymentDate: "2019/05/09 00:01:21",
      PaymentType: "Credit_CreditCard",
      PaymentTypeChargeFee: "1",
      RtnCode: "1",
      RtnMsg: "交易成功",
      SimulatePaid: "0",
      TradeAmt: "500",
      TradeDate: "2019/05/09 00:00:18",
      TradeNo: "1905090000188278"
    }
    expect(CheckMacValue.compute(params, keys)).toBe("6E7F053EF215FC851A050A2FF01D72CBE440EA138DC3E905647985DDF236FD25")
  })

  it("3) a real stage ReturnURL callback: the empty fields are part of the MAC", () => {
    const { CheckMacValue: mac, ...params } = realCallback
    expect(CheckMacValue.compute(params, keys)).toBe(mac)
    expect(CheckMacValue.verify({ ...params, CheckMacValue: mac }, keys)).toBe(true)
    const { StoreID: _dropped, ...withoutEmpty } = params
    expect(CheckMacValue.compute(withoutEmpty, keys)).not.toBe(mac)
  })

  it("4) special characters (space ( ) * ! ~ ' # ? & in values)", () => {
    const params = {
      ChoosePayment: "ATM",
      EncryptType: "1",
      ExpireDate: "3",
      ItemName: "芒果(愛文) x2#蘋果*1!~'",
      MerchantID: "3002607",
      MerchantTradeDate: "2024/05/01 12:00:00",
      MerchantTradeNo: "GB20240501120000A1",
      PaymentType: "aio",
      ReturnURL: "https://example.com/ecpay/return?a=1&b=2",
      TotalAmount: "1280",
      TradeDesc: "團購 第3團"
    }
    expect(CheckMacValue.encodedString(params, keys)).toBe(
      "hashkey%3dpwfhcqoqzgmho4w6%26choosepayment%3datm%26encrypttype%3d1%26expiredate%3d3%26itemname%3d%e8%8a%92%e6%9e%9c(%e6%84%9b%e6%96%87)+x2%23%e8%98%8b%e6%9e%9c*1!%7e%27%26merchantid%3d3002607%26merchanttradedate%3d2024%2f05%2f01+12%3a00%3a00%26merchanttradeno%3dgb20240501120000a1%26paymenttype%3daio%26returnurl%3dhttps%3a%2f%2fexample.com%2fecpay%2freturn%3fa%3d1%26b%3d2%26totalamount%3d1280%26tradedesc%3d%e5%9c%98%e8%b3%bc+%e7%ac%ac3%e5%9c%98%26hashiv%3dekrm7ift261dpevs"
    )
    expect(CheckMacValue.compute(params, keys)).toBe("E59A554701CAA3F7263247745E60BD9DD6675765876BF2F5BCE960D71BD097ED")
  })

  it("5) mixed-case keys are ordered case-insensitively (strcasecmp)", () => {
    const params = {
      MerchantID: "3002607",
      RtnCode: "1",
      amount: "31",
      auth_code: "269443",
      ATMAccBank: "",
      card4no: "3300",
      TradeAmt: "31",
      MerchantTradeNo: "X1"
    }
    expect(CheckMacValue.rawString(params, keys)).toBe(
      "HashKey=pwFHCqoQZGmho4w6&amount=31&ATMAccBank=&auth_code=269443&card4no=3300&MerchantID=3002607&MerchantTradeNo=X1&RtnCode=1&TradeAmt=31&HashIV=EkRm7iFT261dpevs"
    )
    expect(CheckMacValue.compute(params, keys)).toBe("FFA75D09FF04BC143332E1A130E58B3A906B1CDA9CD023C28F0137839CE1B74D")
    // JavaScript's default (case-sensitive) sort would sign another string
    const jsSorted = Object.keys(params).sort()
    expect(jsSorted).not.toEqual(CheckMacValue.signedEntries(params).map(([k]) => k))
  })

  it("6) logistics CVS map form, MD5, B2C test key", () => {
    const params = {
      MerchantID: "2000132",
      MerchantTradeNo: "Test1714540800",
      LogisticsType: "CVS",
      LogisticsSubType: "FAMI",
      IsCollection: "N",
      ServerReplyURL: "https://www.ecpay.com.tw/example/server-reply"
    }
    expect(CheckMacValue.compute(params, logisticsKeys, "md5")).toBe("DCF1129F909B5C8526CC6B52E1CA6F21")
    expect(
      CheckMacValue.verify({ ...params, CheckMacValue: "DCF1129F909B5C8526CC6B52E1CA6F21" }, logisticsKeys, "md5")
    ).toBe(true)
  })
})

describe("PHP urlencode semantics", () => {
  it("keeps A-Za-z0-9 - _ . and encodes everything else, space as +", () => {
    expect(CheckMacValue.phpUrlEncode("Az09-_.")).toBe("Az09-_.")
    expect(CheckMacValue.phpUrlEncode(" ")).toBe("+")
    expect(CheckMacValue.phpUrlEncode("~'!*()")).toBe("%7E%27%21%2A%28%29")
    expect(CheckMacValue.phpUrlEncode("+%&=")).toBe("%2B%25%26%3D")
    expect(CheckMacValue.phpUrlEncode("團")).toBe("%E5%9C%98")
    expect(CheckMacValue.phpUrlEncode("\ud800")).toBe("%EF%BF%BD")
  })

  it(".NET restore only touches - _ . ! * ( )", () => {
    expect(CheckMacValue.dotNetRestore("%2d%5f%2e%21%2a%28%29%7e%27")).toBe("-_.!*()%7e%27")
  })

  it("a literal percent sequence in a value is not restored", () => {
    expect(CheckMacValue.compute({ a: "%21" }, keys)).not.toBe(CheckMacValue.compute({ a: "!" }, keys))
  })

  it("a CheckMacValue field is ignored when computing, and verify rejects missing or wrong MACs", () => {
    const params = { MerchantID: "3002607", TradeAmt: "100" }
    const signed = CheckMacValue.sign(params, keys)
    expect(CheckMacValue.compute(signed, keys)).toBe(CheckMacValue.compute(params, keys))
    expect(CheckMacValue.verify(signed, keys)).toBe(true)
    expect(CheckMacValue.verify({ ...signed, CheckMacValue: signed.CheckMacValue!.toLowerCase() }, keys)).toBe(true)
    expect(CheckMacValue.verify(params, keys)).toBe(false)
    expect(CheckMacValue.verify({ ...params, CheckMacValue: "" }, keys)).toBe(false)
    expect(CheckMacValue.verify({ ...params, CheckMacValue: "ABC" }, keys)).toBe(false)
    expect(CheckMacValue.verify(signed, keys, "md5")).toBe(false)
    expect(CheckMacValue.verify(signed, logisticsKeys)).toBe(false)
  })
})

// --- properties -------------------------------------------------------------------------------

const SPECIALS = [..." -_.!*()~'#?&=%+/:;,@$[]{}|\\\"<>^`\t\n"]
const valueChar = fc.oneof(
  fc.constantFrom(..."abcXYZ0189"),
  fc.constantFrom(...SPECIALS),
  fc.constantFrom("團", "購", "é", "É", "😀"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })
)
const value = fc.array(valueChar, { maxLength: 12 }).map((cs) => cs.join(""))
const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,11}$/).filter((k) => k !== CheckMacValue.FIELD)
const fieldMap = fc
  .uniqueArray(fc.tuple(key, value), { selector: ([k]) => k.toLowerCase(), minLength: 1, maxLength: 12 })
  .map((entries) => Object.fromEntries(entries) as Record<string, string>)

/** Equal, or the same ASCII letter in another case: the only change the MAC cannot see. */
const sameIgnoringAsciiCase = (a: string, b: string) =>
  a === b || (/^[A-Za-z]$/.test(a) && /^[A-Za-z]$/.test(b) && a.toLowerCase() === b.toLowerCase())

const replaceAt = (s: string, i: number, c: string) => {
  const chars = [...s]
  if (chars.length === 0) return c
  const at = i % chars.length
  return [...chars.slice(0, at), c, ...chars.slice(at + 1)].join("")
}

describe("properties", () => {
  it("any field map's CheckMacValue verifies", () => {
    fc.assert(
      fc.property(fieldMap, (params) => {
        const signed = CheckMacValue.sign(params, keys)
        expect(signed.CheckMacValue).toMatch(/^[0-9A-F]{64}$/)
        expect(CheckMacValue.verify(signed, keys)).toBe(true)
      })
    )
  })

  it("the MAC does not depend on the order fields arrive in", () => {
    fc.assert(
      fc.property(fieldMap, (params) => {
        const reversed = Object.fromEntries(Object.entries(params).reverse())
        expect(CheckMacValue.compute(reversed, keys)).toBe(CheckMacValue.compute(params, keys))
      })
    )
  })

  it("any single-character change in a value fails verification", () => {
    fc.assert(
      fc.property(fieldMap, fc.nat(), fc.nat(), valueChar, (params, which, position, replacement) => {
        const entries = Object.entries(params)
        const [k, v] = entries[which % entries.length]!
        const chars = [...v]
        const original = chars.length === 0 ? "" : chars[position % chars.length]!
        fc.pre(!sameIgnoringAsciiCase(original, replacement))
        const signed = CheckMacValue.sign(params, keys)
        const tampered = { ...signed, [k]: replaceAt(v, position, replacement) }
        expect(CheckMacValue.verify(tampered, keys)).toBe(false)
      })
    )
  })

  it("any single-character change in a field name fails verification", () => {
    fc.assert(
      fc.property(
        fieldMap,
        fc.nat(),
        fc.nat(),
        fc.constantFrom(..."abcXYZ019_"),
        (params, which, position, replacement) => {
          const entries = Object.entries(params)
          const index = which % entries.length
          const [k] = entries[index]!
          const renamed = replaceAt(k, position, replacement)
          fc.pre(renamed.toLowerCase() !== k.toLowerCase())
          fc.pre(entries.every(([other]) => other.toLowerCase() !== renamed.toLowerCase()))
          const signed = CheckMacValue.sign(params, keys)
          const tampered = Object.fromEntries(
            Object.entries(signed).map(([name, v]) => [name === k ? renamed : name, v] as const)
          )
          expect(CheckMacValue.verify(tampered, keys)).toBe(false)
        }
      )
    )
  })

  it("any single-character change in the CheckMacValue fails verification", () => {
    fc.assert(
      fc.property(fieldMap, fc.nat(), fc.constantFrom(..."0123456789ABCDEF"), (params, position, replacement) => {
        const signed = CheckMacValue.sign(params, keys)
        const mac = signed.CheckMacValue!
        fc.pre(mac[position % mac.length] !== replacement)
        expect(CheckMacValue.verify({ ...signed, CheckMacValue: replaceAt(mac, position, replacement) }, keys)).toBe(
          false
        )
      })
    )
  })

  it("a dropped field fails verification (even an empty one)", () => {
    fc.assert(
      fc.property(fieldMap, fc.nat(), (params, which) => {
        const entries = Object.entries(params)
        const [k] = entries[which % entries.length]!
        const signed = CheckMacValue.sign(params, keys)
        const { [k]: _dropped, ...rest } = signed
        expect(CheckMacValue.verify(rest, keys)).toBe(false)
      })
    )
  })

  it("vendor semantics: changing only the case of ASCII letters keeps the MAC", () => {
    fc.assert(
      fc.property(fieldMap, (params) => {
        const flipped = Object.fromEntries(
          Object.entries(params).map(([k, v]) => [
            k,
            v.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
          ])
        )
        expect(CheckMacValue.compute(flipped, keys)).toBe(CheckMacValue.compute(params, keys))
      })
    )
  })
})
