/**
 * The one error every `kaituan` method rejects with: a `code` to branch on, a message fit to show
 * an organiser (it names the field at fault, never the personal data in it).
 *
 * @since 0.1.0
 */

/**
 * What went wrong, as a string-literal union (switch on it; new codes come as new use cases do):
 *
 * - `InvalidInput`: an argument does not have the documented shape; `field` names it (`comment.at`).
 * - `NotFound`: the round, order or shipment does not exist.
 * - `Conflict`: the same thing changed under this call too often (retry it), or an idempotency
 *   key was used for something else.
 * - `Rejected`: the use case refused in the organiser's words (a closed round, a pickup code that
 *   does not match, more shipped than ordered, a payment decision settled already…).
 * - `Locked`: too many wrong pickup codes (5): the pickup is refused, even with the right code,
 *   until `unlockPickup`.
 * - `Unsupported`: the library cannot do this yet (the message says what, and names the issue).
 * - `Storage`: the database failed or cannot be reached (the URL's password is masked).
 * - `Closed`: the instance was closed with `close()`.
 * - `Internal`: a bug in kaituan (please report it, with the message).
 */
export type KaituanErrorCode =
  | "InvalidInput"
  | "NotFound"
  | "Conflict"
  | "Rejected"
  | "Locked"
  | "Unsupported"
  | "Storage"
  | "Closed"
  | "Internal"

/** Every `KaituanErrorCode`, for exhaustive handling and tests. */
export const kaituanErrorCodes: ReadonlyArray<KaituanErrorCode> = [
  "InvalidInput",
  "NotFound",
  "Conflict",
  "Rejected",
  "Locked",
  "Unsupported",
  "Storage",
  "Closed",
  "Internal"
]

/** Options of a {@link KaituanError}. */
export interface KaituanErrorOptions {
  /** The input field at fault, as a path (`comments[2].author.id`), for `InvalidInput`. */
  readonly field?: string | undefined
  /** The library's own, finer reason (`unknown-round`, `rejected`, `unavailable`…), when it has one. */
  readonly reason?: string | undefined
  /** The underlying error, for logs. */
  readonly cause?: unknown
}

/**
 * The error of every `kaituan` method.
 *
 * @example
 * ```ts
 * try {
 *   await k.submitComment("no-such-round", comment)
 * } catch (e) {
 *   if (e instanceof KaituanError && e.code === "NotFound") console.log("open the round first")
 * }
 * ```
 */
export class KaituanError extends Error {
  /** Always `"KaituanError"`. */
  override readonly name = "KaituanError"
  /** What went wrong: see {@link KaituanErrorCode}. */
  readonly code: KaituanErrorCode
  /** The input field at fault, for `InvalidInput`. */
  readonly field: string | undefined
  /** The library's finer reason, when it has one. */
  readonly reason: string | undefined

  constructor(code: KaituanErrorCode, message: string, options: KaituanErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.field = options.field
    this.reason = options.reason
  }
}

/** Whether a value is a {@link KaituanError} (also across two copies of this package). */
export const isKaituanError = (u: unknown): u is KaituanError =>
  u instanceof KaituanError ||
  (u instanceof Error && u.name === "KaituanError" && typeof (u as { code?: unknown }).code === "string")
