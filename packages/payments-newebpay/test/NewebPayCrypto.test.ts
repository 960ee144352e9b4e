import { describe, expect, it } from "@effect/vitest"
import { Redacted, Result } from "effect"
import fc from "fast-check"
import { NewebPayCrypto } from "../src/index.js"

// The official MPG manual test key (protocols.md §5.1).
const keys: NewebPayCrypto.Keys = {
  hashKey: Redacted.make("12345678901234567890123456789012"),
  hashIV: Redacted.make("1234567890123456")
}

const OFFICIAL_PLAINTEXT =
  "MerchantID=3430112&RespondType=JSON&TimeStamp=1485232229&Version=1.4&MerchantOrderNo=S_1485232229&Amt=40&ItemDesc=UnitTest"
const OFFICIAL_TRADE_INFO =
  "ff91c8aa01379e4de621a44e5f11f72e4d25bdb1a18242db6cef9ef07d80b0165e476fd1d9acaa53170272c82d122961e1a0700a7427cfa1cf90db7f6d6593bbc93102a4d4b9b66d9974c13c31a7ab4bba1d4e0790f0cbbbd7ad64c6d3c8012a601ceaa808bff70f94a8efa5a4f984b9d41304ffd879612177c622f75f4214fa"
const OFFICIAL_TRADE_SHA = "EA0A6CC37F40C1EA5692E7CBB8AE097653DF3E91365E6A9CD7E91312413C7BB8"

const VACC_PLAINTEXT =
  '{"Status":"SUCCESS","Message":"\\u4ed8\\u6b3e\\u6210\\u529f","Result":{"MerchantID":"MS12345678","Amt":1280,"TradeNo":"24050112000012345","MerchantOrderNo":"GB20240501A1","RespondType":"JSON","IP":"203.0.113.5","EscrowBank":"HNCB","PaymentType":"VACC","PayTime":"2024-05-01 12:34:56","PayBankCode":"812","PayerAccount5Code":"12345"}}'
const VACC_TRADE_INFO =
  "dbd10642b6db8f107ed6a138b288456dc88ac461c2eb207f0513178b418bbb85d71680649c1360cef65959fd1fde200a76cd437c0a769d055dc29e3ab38acebca4bcaf75ce4b8be74ae2149f857238eaa4b0b4f72132bdec213630d9f2a4e81b0a12f5e41d9f811993b0fb9bc82884167128228842215bae66e5a93dde7c0aa491f65736680614f57ffdff80445fabc28f44ffff3fcf7b567ad3086ba920080d49c5fac2dac4e18955c9ddba717a3c45b205e22167d37d5ce6e001ef840c8ff465168450d97985cb3959c0087761d8423ad8b218031d1bebff5438fda7419e4d958d80d6c072f67cc2274b0298e6a983db2c30e3665deec0d4780ad5b4116c1b5b26f2d5ca750c31530e859e1b90a00a02a16a4b72052be0575288a2f3f5b57e63a1d1de1a5716ac80103de619961206d58de6f2033bec6854ec1baf5bb6d4bafe64e6f4b6a5298000c8a4ebc5b18e6d"
const VACC_TRADE_SHA = "0B15511B18D8882688BF491246306CE1D973589E72A29329EE52141C037CBC1C"

const right = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected Success, got ${String(result.failure)}`)
  return result.success
}

describe("official MPG vector (manual MPG 1.1.1 p65-66)", () => {
  it("URLSearchParams in insertion order reproduces the plaintext", () => {
    const plaintext = new URLSearchParams({
      MerchantID: "3430112",
      RespondType: "JSON",
      TimeStamp: "1485232229",
      Version: "1.4",
      MerchantOrderNo: "S_1485232229",
      Amt: "40",
      ItemDesc: "UnitTest"
    }).toString()
    expect(plaintext).toBe(OFFICIAL_PLAINTEXT)
    expect(Buffer.byteLength(plaintext)).toBe(122)
  })

  it("encrypts to the published TradeInfo with both paddings (122 % 32 >= 16)", () => {
    expect(right(NewebPayCrypto.encrypt(OFFICIAL_PLAINTEXT, keys, "pad32"))).toBe(OFFICIAL_TRADE_INFO)
    expect(right(NewebPayCrypto.encrypt(OFFICIAL_PLAINTEXT, keys, "pkcs7"))).toBe(OFFICIAL_TRADE_INFO)
    expect(right(NewebPayCrypto.encrypt(OFFICIAL_PLAINTEXT, keys))).toBe(OFFICIAL_TRADE_INFO)
  })

  it("has the published TradeSha", () => {
    expect(NewebPayCrypto.tradeSha(OFFICIAL_TRADE_INFO, keys)).toBe(OFFICIAL_TRADE_SHA)
    expect(NewebPayCrypto.verifyTradeSha(OFFICIAL_TRADE_INFO, OFFICIAL_TRADE_SHA, keys)).toBe(true)
    expect(NewebPayCrypto.verifyTradeSha(OFFICIAL_TRADE_INFO, OFFICIAL_TRADE_SHA.toLowerCase(), keys)).toBe(true)
  })

  it("decrypts back to the plaintext", () => {
    expect(right(NewebPayCrypto.decrypt(OFFICIAL_TRADE_INFO, keys))).toBe(OFFICIAL_PLAINTEXT)
    expect(right(NewebPayCrypto.decrypt(OFFICIAL_TRADE_INFO.toUpperCase(), keys))).toBe(OFFICIAL_PLAINTEXT)
  })
})

describe("computed VACC notify vector", () => {
  it("plaintext is 329 bytes and Message decodes to 付款成功", () => {
    expect(Buffer.byteLength(VACC_PLAINTEXT)).toBe(329)
    expect(JSON.parse(VACC_PLAINTEXT).Message).toBe("付款成功")
  })

  it("encrypts (PKCS#7-16) to the TradeInfo and has the TradeSha", () => {
    expect(right(NewebPayCrypto.encrypt(VACC_PLAINTEXT, keys, "pkcs7"))).toBe(VACC_TRADE_INFO)
    expect(NewebPayCrypto.tradeSha(VACC_TRADE_INFO, keys)).toBe(VACC_TRADE_SHA)
  })

  it("differs with 32-byte padding (329 % 32 < 16) yet both decrypt to the same plaintext", () => {
    const pad32 = right(NewebPayCrypto.encrypt(VACC_PLAINTEXT, keys, "pad32"))
    expect(pad32).not.toBe(VACC_TRADE_INFO)
    expect(pad32.slice(0, 640)).toBe(VACC_TRADE_INFO.slice(0, 640))
    expect(pad32.length).toBe(704)
    expect(right(NewebPayCrypto.decrypt(pad32, keys))).toBe(VACC_PLAINTEXT)
  })

  it("decrypts the TradeInfo to the plaintext", () => {
    expect(right(NewebPayCrypto.decrypt(VACC_TRADE_INFO, keys))).toBe(VACC_PLAINTEXT)
  })
})

describe("padding variants (decrypter must accept both)", () => {
  const PKCS7 = "e6b85f5dac18f86bc20ecc55266dc60a"
  const PAD32 = "f43885dd6c33a57bf5ed7424fe266c43d9a5d00852df8213706a546406d31e56"

  it("encrypts 'Amt=40&Item' to the published ciphertexts", () => {
    expect(right(NewebPayCrypto.encrypt("Amt=40&Item", keys, "pkcs7"))).toBe(PKCS7)
    expect(right(NewebPayCrypto.encrypt("Amt=40&Item", keys, "pad32"))).toBe(PAD32)
  })

  it("decrypts both to the same plaintext", () => {
    expect(right(NewebPayCrypto.decrypt(PKCS7, keys))).toBe("Amt=40&Item")
    expect(right(NewebPayCrypto.decrypt(PAD32, keys))).toBe("Amt=40&Item")
  })

  it("round trips any text with either padding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.boolean(), (text, pad32) => {
        const cipher = right(NewebPayCrypto.encrypt(text, keys, pad32 ? "pad32" : "pkcs7"))
        expect(cipher.length % 32).toBe(0)
        expect(right(NewebPayCrypto.decrypt(cipher, keys))).toBe(text)
      })
    )
  })
})

describe("other NewebPay hash formulas (spgateway Go test suite)", () => {
  it("CheckCode", () => {
    expect(
      NewebPayCrypto.checkCode(
        { Amt: 100, MerchantID: "1422967", MerchantOrderNo: "840f022", TradeNo: "14061313541640927" },
        { hashKey: Redacted.make("abcdefg"), hashIV: Redacted.make("1234567") }
      )
    ).toBe("62C687AF6409E46E79769FAF54F54FE7E75AAE50BAF0767752A5C337670B8EDB")
  })

  it("legacy MPG 1.1 CheckValue", () => {
    expect(
      NewebPayCrypto.legacyCheckValue(
        { Amt: 200, MerchantID: "123456", MerchantOrderNo: "20140901001", TimeStamp: 1403243286, Version: "1.1" },
        { hashKey: Redacted.make("1A3S21DAS3D1AS65D1"), hashIV: Redacted.make("1AS56D1AS24D") }
      )
    ).toBe("841F57D750FB4B04B62DDC3ECDC26F1F4028410927DD28BD5B2E34791CC434D2")
  })

  it("QueryTradeInfo CheckValue (IV=…&Amt&MerchantID&MerchantOrderNo&Key=…; computed with openssl)", () => {
    expect(
      NewebPayCrypto.queryCheckValue({ Amt: 1280, MerchantID: "MS12345678", MerchantOrderNo: "GB20240501A1" }, keys)
    ).toBe("3E48973828FABA727DD6528852C779E47B81996F7D4A2D192C8ACB5EDCB74D29")
  })

  it("CheckCode with the MPG test key (computed with openssl)", () => {
    expect(
      NewebPayCrypto.checkCode(
        { Amt: "1280", MerchantID: "MS12345678", MerchantOrderNo: "GB20240501A1", TradeNo: "24050112000012345" },
        keys
      )
    ).toBe("9FD3BB9AAE03604FD626EBA80E77BFBD151105082B715460F958DA972ED452A5")
  })
})

describe("malformed input never throws", () => {
  it("rejects keys of the wrong size", () => {
    const short = { hashKey: Redacted.make("short"), hashIV: Redacted.make("1234567890123456") }
    expect(Result.isFailure(NewebPayCrypto.encrypt("x", short))).toBe(true)
    expect(Result.isFailure(NewebPayCrypto.decrypt(OFFICIAL_TRADE_INFO, short))).toBe(true)
    const shortIv = { hashKey: keys.hashKey, hashIV: Redacted.make("123") }
    expect(Result.isFailure(NewebPayCrypto.encrypt("x", shortIv))).toBe(true)
  })

  it("rejects non-hex, partial blocks and empty input", () => {
    expect(Result.isFailure(NewebPayCrypto.decrypt("zz", keys))).toBe(true)
    expect(Result.isFailure(NewebPayCrypto.decrypt("", keys))).toBe(true)
    expect(Result.isFailure(NewebPayCrypto.decrypt(OFFICIAL_TRADE_INFO.slice(0, 40), keys))).toBe(true)
  })

  it("rejects a ciphertext whose padding is wrong (decrypted with another key)", () => {
    const other = { hashKey: Redacted.make("abcdefghijklmnopqrstuvwxyz123456"), hashIV: keys.hashIV }
    const result = NewebPayCrypto.decrypt(OFFICIAL_TRADE_INFO, other)
    expect(Result.isFailure(result)).toBe(true)
  })

  it("decrypt of arbitrary hex blocks returns Failure or Success, never throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 96 }), (bytes) => {
        const hex = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 16))).toString("hex")
        const result = NewebPayCrypto.decrypt(hex, keys)
        expect(Result.isFailure(result) || typeof result.success === "string").toBe(true)
      })
    )
  })
})
