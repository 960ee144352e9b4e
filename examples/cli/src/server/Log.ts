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
}

/** A logger writing JSON Lines to `out`. */
export const make = (out: Writable, now: () => Date = () => new Date()): Logger => {
  const write =
    (level: "info" | "warn" | "error") =>
    (event: string, fields: Readonly<Record<string, Field>> = {}) => {
      out.write(`${JSON.stringify({ time: now().toISOString(), level, event, ...fields })}\n`)
    }
  return { info: write("info"), warn: write("warn"), error: write("error") }
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
