/**
 * ECPay's `CheckMacValue`, exactly as the official SDK computes it
 * (`ECPay/SDK_PHP` `CheckMacValueService`, `UrlService`, `ArrayService`):
 *
 * 1. drop `CheckMacValue`, keep every other field **including empty ones**;
 * 2. sort the keys like PHP `strcasecmp` (ASCII case-insensitive);
 * 3. `"HashKey=" + key + "&k1=v1&k2=v2…&HashIV=" + iv` (values not encoded one by one);
 * 4. PHP `urlencode` (keep `A-Za-z0-9-_.`, space → `+`, other UTF-8 bytes → `%XX`);
 * 5. lower-case everything;
 * 6. restore what .NET's encoder leaves alone: `%2d - %5f _ %2e . %21 ! %2a * %28 ( %29 )`;
 * 7. SHA-256 (payments, `EncryptType=1`) or MD5 (logistics), upper-case hex.
 *
 * Because of step 5 the MAC does not tell upper from lower case: two field maps that differ only
 * in the case of ASCII letters have the same CheckMacValue. Any other change alters it.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { ConstantTime } from "@kaituan/core"
import { Redacted } from "effect"

/** The merchant's HashKey and HashIV, kept redacted. */
export interface Keys {
  readonly hashKey: Redacted.Redacted<string>
  readonly hashIV: Redacted.Redacted<string>
}

/** `sha256` for payments (AIO, `EncryptType=1`), `md5` for logistics. */
export type Algorithm = "sha256" | "md5"

/** The name of the field that carries the MAC. */
export const FIELD = "CheckMacValue"

const UNRESERVED = new Uint8Array(256)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") UNRESERVED[c.charCodeAt(0)] = 1
const HEX = "0123456789ABCDEF"

/**
 * PHP `urlencode`: keeps `A-Za-z0-9`, `-`, `_`, `.`; a space becomes `+`; every other UTF-8 byte
 * becomes `%XX` (upper-case hex). So `~` is `%7E` and `'` is `%27`, unlike `encodeURIComponent`.
 * Lone surrogates are encoded as U+FFFD, never thrown on.
 */
export const phpUrlEncode = (text: string): string => {
  const bytes = Buffer.from(text, "utf8")
  let out = ""
  for (const byte of bytes) {
    if (UNRESERVED[byte] === 1) out += String.fromCharCode(byte)
    else if (byte === 0x20) out += "+"
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`
  }
  return out
}

const DOT_NET_RESTORE: ReadonlyArray<readonly [string, string]> = [
  ["%2d", "-"],
  ["%5f", "_"],
  ["%2e", "."],
  ["%21", "!"],
  ["%2a", "*"],
  ["%28", "("],
  ["%29", ")"]
]

/** Step 6: puts back the characters .NET's `HttpUtility.UrlEncode` does not encode. */
export const dotNetRestore = (lowerEncoded: string): string =>
  DOT_NET_RESTORE.reduce((s, [from, to]) => s.replaceAll(from, to), lowerEncoded)

const asciiLower = (key: string): Buffer => {
  const bytes = Buffer.from(key, "utf8")
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b >= 0x41 && b <= 0x5a) bytes[i] = b + 0x20
  }
  return bytes
}

/** PHP `strcasecmp` order (bytes compared after ASCII lower-casing); exact ties fall back to byte order. */
export const compareKeys = (a: string, b: string): number =>
  Buffer.compare(asciiLower(a), asciiLower(b)) || Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"))

/** The fields that are signed: all but `CheckMacValue`, in `strcasecmp` order. */
export const signedEntries = (params: Readonly<Record<string, string>>): Array<readonly [string, string]> =>
  Object.entries(params)
    .filter(([key]) => key !== FIELD)
    .sort(([a], [b]) => compareKeys(a, b))

/** Step 3: the string before encoding. It contains the secrets; never log it. */
export const rawString = (params: Readonly<Record<string, string>>, keys: Keys): string =>
  [
    `HashKey=${Redacted.value(keys.hashKey)}`,
    ...signedEntries(params).map(([key, value]) => `${key}=${value}`),
    `HashIV=${Redacted.value(keys.hashIV)}`
  ].join("&")

/** Steps 3-6: the string that is hashed. It is derived from the secrets; never log it. */
export const encodedString = (params: Readonly<Record<string, string>>, keys: Keys): string =>
  dotNetRestore(phpUrlEncode(rawString(params, keys)).toLowerCase())

/** The CheckMacValue of a field map (any `CheckMacValue` field in it is ignored). */
export const compute = (
  params: Readonly<Record<string, string>>,
  keys: Keys,
  algorithm: Algorithm = "sha256"
): string => createHash(algorithm).update(encodedString(params, keys), "utf8").digest("hex").toUpperCase()

/** The field map with its `CheckMacValue` added (replacing any there was). */
export const sign = (
  params: Readonly<Record<string, string>>,
  keys: Keys,
  algorithm: Algorithm = "sha256"
): Record<string, string> => ({ ...params, [FIELD]: compute(params, keys, algorithm) })

/**
 * True when the field map carries a `CheckMacValue` equal to the one computed from the other
 * fields (constant-time; the received hex may be either case).
 */
export const verify = (
  params: Readonly<Record<string, string>>,
  keys: Keys,
  algorithm: Algorithm = "sha256"
): boolean => {
  const received = params[FIELD]
  if (received === undefined || received === "") return false
  return ConstantTime.equals(received.toUpperCase(), compute(params, keys, algorithm))
}
