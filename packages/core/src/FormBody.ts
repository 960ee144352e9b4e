/**
 * Reading `application/x-www-form-urlencoded` bodies (gateway callbacks) strictly: the body must
 * be UTF-8 and no field may appear twice, so an ambiguous body is never verified. Uses only the
 * `TextDecoder` and `URLSearchParams` globals every runtime has.
 *
 * @since 0.1.0
 */
import { Result } from "effect"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** A field map with no prototype, so keys such as `__proto__` are kept as data. */
export type Fields = Readonly<Record<string, string>>

/** Parses a raw form body; a failure carries the reason it is malformed. */
export const parseForm = (rawBody: Uint8Array): Result.Result<Fields, string> => {
  let text: string
  try {
    text = utf8.decode(rawBody)
  } catch {
    return Result.fail("the body is not valid UTF-8")
  }
  const fields: Record<string, string> = Object.create(null)
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, key)) return Result.fail(`the field ${key} appears more than once`)
    fields[key] = value
  }
  return Result.succeed(fields)
}

/** Encodes a field map as a form body (the way a browser or a gateway posts it). */
export const encodeForm = (fields: Fields): string => new URLSearchParams(Object.entries(fields)).toString()
