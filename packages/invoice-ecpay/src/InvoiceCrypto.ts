/**
 * ECPay's e-invoice envelope: `Data = base64(AES-128-CBC(key = HashKey, iv = HashIV, PKCS7,
 * urlencode(JSON)))`, the answer decrypted the other way (`urldecode` turns `+` into a space).
 *
 * The encoder is **PHP's `urlencode`** (ECPay's SDK: `json_encode` → `urlencode` →
 * `openssl_encrypt`): `[A-Za-z0-9_.-]` as they are, a space as `+`, every other UTF-8 byte as
 * upper-case `%XX` (`~` → `%7E`, `!` → `%21`, `*` → `%2A`, `'` → `%27`, `(` `)` → `%28` `%29`).
 * It is **not** the CheckMacValue encoder of ECPay's payments (lower-case, .NET's restored
 * characters): that one only feeds a hash. JavaScript's `encodeURIComponent` leaves `!'()*~`
 * as they are and would not reproduce ECPay's vectors.
 *
 * ```ts
 * import { InvoiceCrypto } from "@kaituan/invoice-ecpay"
 * import { Redacted } from "effect"
 *
 * const keys = { hashKey: Redacted.make("ejCk326UnaZWKisg"), hashIV: Redacted.make("q9jcZX8Ib9LM8wYk") }
 * InvoiceCrypto.encrypt(`{"Name":"Test","ID":"A123456789"}`, keys)
 * // "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
 * ```
 *
 * @since 0.1.0
 */
import { createCipheriv, createDecipheriv } from "node:crypto"
import { Redacted, Result } from "effect"

/** The merchant's HashKey and HashIV (16 ASCII characters each). */
export interface Keys {
  readonly hashKey: Redacted.Redacted<string>
  readonly hashIV: Redacted.Redacted<string>
}

/** PHP's `urlencode` of a string's UTF-8 bytes. */
export const urlencode = (text: string): string =>
  encodeURIComponent(text)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+")

/** PHP's `urldecode`: `+` is a space, `%XX` a byte; fails on a malformed escape or invalid UTF-8. */
export const urldecode = (text: string): Result.Result<string, string> =>
  Result.try({
    try: () => decodeURIComponent(text.replace(/\+/g, " ")),
    catch: () => "malformed percent-encoding"
  })

const keyBytes = (keys: Keys) => ({
  key: Buffer.from(Redacted.value(keys.hashKey), "utf8"),
  iv: Buffer.from(Redacted.value(keys.hashIV), "utf8")
})

/** `Data` for a JSON text: base64 of the AES-128-CBC (PKCS7) of its PHP urlencoding. */
export const encrypt = (json: string, keys: Keys): string => {
  const { key, iv } = keyBytes(keys)
  const cipher = createCipheriv("aes-128-cbc", key, iv)
  return Buffer.concat([cipher.update(urlencode(json), "utf8"), cipher.final()]).toString("base64")
}

/** The JSON text inside a `Data`: base64 → AES-128-CBC (PKCS7) → urldecode. */
export const decrypt = (data: string, keys: Keys): Result.Result<string, string> =>
  Result.flatMap(
    Result.try({
      try: () => {
        const { key, iv } = keyBytes(keys)
        const decipher = createDecipheriv("aes-128-cbc", key, iv)
        return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8")
      },
      catch: () => "Data does not decrypt with these keys"
    }),
    urldecode
  )
