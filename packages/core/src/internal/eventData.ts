/** Reading stored events' data defensively (read models see encoded JSON, maybe of older shapes). */
import type { StoredEvent } from "../Storage.js"

/** A field of an object, or undefined. */
export const field = (data: unknown, key: string): unknown =>
  typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined
/** A string, or undefined. */
export const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
/** A finite number, or 0. */
export const num = (u: unknown): number => (typeof u === "number" && Number.isFinite(u) ? u : 0)
/** An array, or none. */
export const arr = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
/** The id after a stream's `kind:` prefix, when the stream is of that kind. */
export const streamId = (e: StoredEvent, kind: string): string | undefined =>
  e.stream.startsWith(`${kind}:`) ? e.stream.slice(kind.length + 1) : undefined
