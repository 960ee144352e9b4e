/**
 * Structured logs: one JSON object a line on stderr. Callers pass only what is safe to keep in a
 * log file: routes (patterns, not paths), statuses, durations, channel names, counts and error
 * kinds. Never buyers' names, comment texts, user ids or account digits (DOMAIN.md rule 6).
 */
import type { Writable } from "node:stream"

/** A log field value: numbers, strings, booleans, and objects or arrays of them. */
export type Field =
  | string
  | number
  | boolean
  | null
  | undefined
  | ReadonlyArray<Field>
  | { readonly [k: string]: Field }

export interface Logger {
  readonly info: (event: string, fields?: Readonly<Record<string, Field>>) => void
  readonly warn: (event: string, fields?: Readonly<Record<string, Field>>) => void
  readonly error: (event: string, fields?: Readonly<Record<string, Field>>) => void
  /** Writes out what is buffered now (the server calls it last when it closes). */
  readonly flush?: (() => void) | undefined
}

/** Buffered lines are written at this size without waiting for the turn to end. */
const FLUSH_AT = 64 * 1024

/**
 * A logger writing JSON Lines to `out`. The first line of an event-loop turn is written at once;
 * the lines after it in the same turn are written together at the end of the turn
 * (`setImmediate`), past 64 KiB, or on {@link Logger.flush}: under load, one write per batch of
 * requests instead of one per request.
 */
export const make = (out: Writable, now: () => Date = () => new Date()): Logger => {
  let buffered = ""
  let holding = false
  const flush = () => {
    holding = false
    if (buffered === "") return
    const text = buffered
    buffered = ""
    out.write(text)
  }
  const write =
    (level: "info" | "warn" | "error") =>
    (event: string, fields: Readonly<Record<string, Field>> = {}) => {
      const line = `${JSON.stringify({ time: now().toISOString(), level, event, ...fields })}\n`
      if (!holding) {
        out.write(line)
        holding = true
        setImmediate(flush)
        return
      }
      buffered += line
      if (buffered.length >= FLUSH_AT) {
        const text = buffered
        buffered = ""
        out.write(text)
      }
    }
  return { info: write("info"), warn: write("warn"), error: write("error"), flush }
}

/** A logger that drops everything. */
export const silent: Logger = { info: () => {}, warn: () => {}, error: () => {} }

/** The kind of an error, safe to log: its tag and reason, never its message (which may quote a body). */
export const errorKind = (e: unknown): string => {
  if (typeof e === "object" && e !== null) {
    const { _tag, reason, name } = e as { _tag?: unknown; reason?: unknown; name?: unknown }
    const tag = typeof _tag === "string" ? _tag : typeof name === "string" ? name : "Error"
    return typeof reason === "string" ? `${tag}:${reason}` : tag
  }
  return typeof e
}
