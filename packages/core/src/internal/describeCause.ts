import { Cause } from "effect"

/**
 * A failure for a log line, without personal data: the error's tag and reason (`StorageError(unavailable)`),
 * an Error's class name, `interrupted` or `defect`. Never the message: a driver's or a platform's
 * message can quote a value (a buyer's name in a type error, a token in a URL).
 */
export const describeCause = (cause: Cause.Cause<unknown>): string => {
  if (Cause.hasInterruptsOnly(cause)) return "interrupted"
  const e = Cause.squash(cause)
  if (typeof e === "object" && e !== null && "_tag" in e)
    return `${String(e._tag)}${"reason" in e ? `(${String(e.reason)})` : ""}`
  return e instanceof Error ? e.name : "defect"
}
