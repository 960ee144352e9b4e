/**
 * The cryptography of NewebPay (藍新金流) MPG, as pure functions over `node:crypto`:
 *
 * - `TradeInfo`: AES-256-CBC of a query string, key = HashKey (32 bytes), IV = HashIV
 *   (16 bytes), lower-case hex.
 * - `TradeSha`: `UPPER(SHA256("HashKey=" + key + "&" + TradeInfo + "&HashIV=" + iv))`.
 * - `CheckCode` (answers of the query API) and `CheckValue` (requests to it).
 *
 * The official PHP sample pads the plaintext PKCS#7-style to a multiple of **32** bytes, Node's
 * default pads to 16; NewebPay accepts both, and {@link decrypt} accepts both.
 *
 * @since 0.1.0
 */
import { createCipheriv, createDecipheriv, createHash } from "node:crypto"
import { ConstantTime } from "@kaituan/core"
import { Data, Redacted, Result } from "effect"

/** The merchant's HashKey and HashIV, kept redacted. */
export interface Keys {
  readonly hashKey: Redacted.Redacted<string>
  readonly hashIV: Redacted.Redacted<string>
}

/**
 * Plaintext padding before encryption: `pad32` is the official PHP sample's `addpadding()`
 * (PKCS#7 bytes up to a multiple of 32), `pkcs7` is standard PKCS#7 on 16-byte blocks.
 */
export type Padding = "pad32" | "pkcs7"

/** Why a TradeInfo could not be encrypted or decrypted (bad key size, not hex, bad padding…). */
export class CryptoError extends Data.TaggedError("NewebPayCryptoError")<{ readonly message: string }> {}

const ALGORITHM = "aes-256-cbc"

const keyBytes = (keys: Keys): Result.Result<{ key: Buffer; iv: Buffer }, CryptoError> => {
  const key = Buffer.from(Redacted.value(keys.hashKey), "utf8")
  const iv = Buffer.from(Redacted.value(keys.hashIV), "utf8")
  if (key.length !== 32) return Result.fail(new CryptoError({ message: `HashKey must be 32 bytes, got ${key.length}` }))
  if (iv.length !== 16) return Result.fail(new CryptoError({ message: `HashIV must be 16 bytes, got ${iv.length}` }))
  return Result.succeed({ key, iv })
}

const pad = (data: Buffer, blockSize: number): Buffer => {
  const n = blockSize - (data.length % blockSize)
  return Buffer.concat([data, Buffer.alloc(n, n)])
}

/**
 * Removes PKCS#7-style padding of 1 to 32 bytes (so both 16- and 32-byte padding are accepted):
 * the last byte `n` must be in 1..32 and the last `n` bytes must all equal `n`.
 */
const unpad = (data: Buffer): Result.Result<Buffer, CryptoError> => {
  const n = data[data.length - 1]
  if (n === undefined || n < 1 || n > 32 || n > data.length) {
    return Result.fail(new CryptoError({ message: "TradeInfo has invalid padding" }))
  }
  for (let i = data.length - n; i < data.length; i++) {
    if (data[i] !== n) return Result.fail(new CryptoError({ message: "TradeInfo has invalid padding" }))
  }
  return Result.succeed(data.subarray(0, data.length - n))
}

/**
 * Encrypts a plaintext (usually a query string) into a TradeInfo: lower-case hex of
 * AES-256-CBC. `padding` defaults to the official sample's `pad32`.
 */
export const encrypt = (
  plaintext: string,
  keys: Keys,
  padding: Padding = "pad32"
): Result.Result<string, CryptoError> =>
  Result.flatMap(keyBytes(keys), ({ key, iv }) => {
    const cipher = createCipheriv(ALGORITHM, key, iv)
    cipher.setAutoPadding(false)
    const padded = pad(Buffer.from(plaintext, "utf8"), padding === "pad32" ? 32 : 16)
    return Result.succeed(Buffer.concat([cipher.update(padded), cipher.final()]).toString("hex"))
  })

const HEX = /^(?:[0-9a-fA-F]{32})+$/

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * Decrypts a TradeInfo (hex, either case) into its UTF-8 plaintext. Accepts 16- and 32-byte
 * padding. Verify the TradeSha with {@link verifyTradeSha} **before** calling this.
 */
export const decrypt = (tradeInfo: string, keys: Keys): Result.Result<string, CryptoError> =>
  Result.flatMap(keyBytes(keys), ({ key, iv }) => {
    if (!HEX.test(tradeInfo)) {
      return Result.fail(new CryptoError({ message: "TradeInfo is not hex made of whole AES blocks" }))
    }
    const decipher = createDecipheriv(ALGORITHM, key, iv)
    decipher.setAutoPadding(false)
    const padded = Buffer.concat([decipher.update(Buffer.from(tradeInfo, "hex")), decipher.final()])
    return Result.flatMap(unpad(padded), (plain) =>
      Result.try({
        try: () => utf8.decode(plain),
        catch: () => new CryptoError({ message: "TradeInfo does not decrypt to UTF-8 text" })
      })
    )
  })

const sha256Upper = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex").toUpperCase()

/** `TradeSha = UPPER(SHA256("HashKey=…&" + TradeInfo + "&HashIV=…"))`, over the hex exactly as sent. */
export const tradeSha = (tradeInfo: string, keys: Keys): string =>
  sha256Upper(`HashKey=${Redacted.value(keys.hashKey)}&${tradeInfo}&HashIV=${Redacted.value(keys.hashIV)}`)

/**
 * `CheckCode` of the query and credit-card APIs' answers:
 * `UPPER(SHA256("HashIV=…&Amt=…&MerchantID=…&MerchantOrderNo=…&TradeNo=…&HashKey=…"))`.
 */
export const checkCode = (
  fields: {
    readonly Amt: string | number
    readonly MerchantID: string
    readonly MerchantOrderNo: string
    readonly TradeNo: string
  },
  keys: Keys
): string =>
  sha256Upper(
    `HashIV=${Redacted.value(keys.hashIV)}&Amt=${fields.Amt}&MerchantID=${fields.MerchantID}` +
      `&MerchantOrderNo=${fields.MerchantOrderNo}&TradeNo=${fields.TradeNo}&HashKey=${Redacted.value(keys.hashKey)}`
  )

/**
 * `CheckValue` of a QueryTradeInfo request:
 * `UPPER(SHA256("IV=…&Amt=…&MerchantID=…&MerchantOrderNo=…&Key=…"))`.
 */
export const queryCheckValue = (
  fields: { readonly Amt: string | number; readonly MerchantID: string; readonly MerchantOrderNo: string },
  keys: Keys
): string =>
  sha256Upper(
    `IV=${Redacted.value(keys.hashIV)}&Amt=${fields.Amt}&MerchantID=${fields.MerchantID}` +
      `&MerchantOrderNo=${fields.MerchantOrderNo}&Key=${Redacted.value(keys.hashKey)}`
  )

/**
 * The legacy MPG 1.1 `CheckValue`:
 * `UPPER(SHA256("HashKey=…&Amt=…&MerchantID=…&MerchantOrderNo=…&TimeStamp=…&Version=…&HashIV=…"))`.
 * Kept for merchants still on MPG 1.1; the current MPG uses {@link tradeSha}.
 */
export const legacyCheckValue = (
  fields: {
    readonly Amt: string | number
    readonly MerchantID: string
    readonly MerchantOrderNo: string
    readonly TimeStamp: string | number
    readonly Version: string
  },
  keys: Keys
): string =>
  sha256Upper(
    `HashKey=${Redacted.value(keys.hashKey)}&Amt=${fields.Amt}&MerchantID=${fields.MerchantID}` +
      `&MerchantOrderNo=${fields.MerchantOrderNo}&TimeStamp=${fields.TimeStamp}&Version=${fields.Version}` +
      `&HashIV=${Redacted.value(keys.hashIV)}`
  )

/** Constant-time check of a received TradeSha (case-insensitive hex) against the TradeInfo as received. */
export const verifyTradeSha = (tradeInfo: string, received: string, keys: Keys): boolean =>
  ConstantTime.equals(received.toUpperCase(), tradeSha(tradeInfo, keys))
