/** A handler's answer, with what the request log may say about it. */
import type { Field } from "./Log.js"

export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Text, or bytes as they are (a report's JSON). */
  readonly body: string | Uint8Array
  /** For the log line: counts of events, outcomes… (never personal data). */
  readonly counts?: Readonly<Record<string, number>> | undefined
  /** For the log line: the error kind (`ChannelError:unauthorized`…). */
  readonly error?: string | undefined
  /** For the log line: a short fixed note. */
  readonly note?: string | undefined
  /** Extra safe log fields (decision status, reason…). */
  readonly fields?: Readonly<Record<string, Field>> | undefined
  /** The log line's level; default `error` for a 5xx status, else `info`. */
  readonly level?: "info" | "warn" | "error" | undefined
  /** The request changed something a buyer may hear about: run the outbox relay. */
  readonly accepted?: boolean | undefined
}

/** A plain-text reply. */
export const text = (status: number, body: string, headers: Readonly<Record<string, string>> = {}): Reply => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  body
})

/** A JSON reply. */
export const json = (status: number, value: unknown): Reply => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify(value)
})
