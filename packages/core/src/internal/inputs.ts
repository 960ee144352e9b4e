/**
 * The checks at the use cases' boundary: what an id, a time and a text must be for storage to
 * keep them as they are, the comment input's Schema, and a hand-written check of a comment that
 * gives the same answer as the Schema at a fraction of the cost (it runs for every comment; a
 * property test holds the two together).
 *
 * Messages name the rule, never the value: inputs carry personal data.
 *
 * @internal
 */
import { Schema, SchemaIssue } from "effect"
import { isoMillis } from "./isoMillis.js"

/** The longest channel id (`line`, `facebook`, `telegram`, `import`…). */
export const MAX_CHANNEL_LENGTH = 64
/** The longest author id (a channel's user id, or a display name for chat exports). */
export const MAX_AUTHOR_ID_LENGTH = 256
/** The longest comment id, thread id, reply token or other id a use case takes. */
export const MAX_ID_LENGTH = 512

/** A problem with an input: where (`comments[3].at`) and what rule it breaks. */
export interface Problem {
  readonly path: string
  readonly message: string
}

/**
 * Why `s` cannot be an id that storage keys on, or undefined when it can: 1 to `max` UTF-16
 * units, no control character (NUL, line breaks…), no lone surrogate (UTF-8 storage keeps one as
 * U+FFFD, PostgreSQL refuses NUL: such a key would never match itself again).
 */
export const idProblem = (s: string, max: number): string | undefined => {
  if (s.length === 0) return "expected a non-empty id"
  if (s.length > max) return `expected at most ${max} characters`
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    if (ch < 0x20 || ch === 0x7f) return "expected no control characters"
    if (ch >= 0xd800 && ch <= 0xdfff) {
      if (ch <= 0xdbff) {
        const next = s.charCodeAt(i + 1)
        if (next >= 0xdc00 && next <= 0xdfff) {
          i++
          continue
        }
      }
      return "expected no lone surrogates"
    }
  }
  return undefined
}

/** Why a free text cannot be stored as it is (a NUL character), or undefined. */
export const textProblem = (s: string): string | undefined =>
  s.indexOf("\u0000") === -1 ? undefined : "expected no NUL characters"

const digit = (s: string, i: number): boolean => {
  const c = s.charCodeAt(i)
  return c >= 48 && c <= 57
}

/** Whether `s` is an ISO 8601 date and time (`2024-05-10T22:00:00+08:00`, `…Z`) that `Date.parse` reads. */
export const isIsoTime = (s: string): boolean =>
  s.length >= 11 &&
  digit(s, 0) &&
  digit(s, 1) &&
  digit(s, 2) &&
  digit(s, 3) &&
  s.charCodeAt(4) === 45 &&
  digit(s, 5) &&
  digit(s, 6) &&
  s.charCodeAt(7) === 45 &&
  digit(s, 8) &&
  digit(s, 9) &&
  s.charCodeAt(10) === 84 &&
  !Number.isNaN(isoMillis(s))

/** The message of {@link isIsoTime}. */
export const ISO_TIME_MESSAGE = "expected an ISO 8601 date"

/** An id of at most `max` characters (see {@link idProblem}). */
export const IdString = (max: number) =>
  Schema.String.check(Schema.makeFilter((s: string) => idProblem(s, max), { expected: "an id" }))

/** A free text without NUL characters. */
export const Text = Schema.String.check(Schema.makeFilter(textProblem, { expected: "a text" }))

/** A non-empty free text of at most `max` characters, without NUL characters. */
export const ShortText = (max: number) =>
  Schema.String.check(
    Schema.makeFilter((s: string) =>
      s.trim().length === 0
        ? "expected a non-empty text"
        : s.length > max
          ? `expected at most ${max} characters`
          : textProblem(s)
    )
  )

/** An ISO 8601 date and time (see {@link isIsoTime}). */
export const IsoTime = Schema.String.check(Schema.makeFilter((s: string) => isIsoTime(s) || ISO_TIME_MESSAGE))

/** The comment input's Schema (the checks {@link commentProblem} makes by hand). */
export const CommentInputSchema = Schema.Struct({
  /** `line`, `facebook`, `telegram`, `import`… */
  channel: IdString(MAX_CHANNEL_LENGTH),
  /** The message's id, unique within the channel (or within the round: see `idScope`). */
  commentId: IdString(MAX_ID_LENGTH),
  /** Who wrote it. */
  author: Schema.Struct({
    id: IdString(MAX_AUTHOR_ID_LENGTH),
    name: Schema.optional(Text),
    unknown: Schema.optional(Schema.Boolean)
  }),
  /** What they wrote. */
  text: Text,
  /** When (ISO 8601). */
  at: IsoTime,
  /** The post or conversation it answers. */
  threadId: Schema.optional(IdString(MAX_ID_LENGTH)),
  /** The channel's reply token. */
  replyToken: Schema.optional(IdString(MAX_ID_LENGTH)),
  /** Where `commentId` is unique. */
  idScope: Schema.optional(Schema.Literals(["channel", "round"]))
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const MISSING = "is missing"
const expectedType = (what: string) => `expected ${what}`

/** A required id field of `o`: its problem, or undefined. */
const idField = (o: Record<string, unknown>, key: string, max: number): string | undefined => {
  const v = o[key]
  if (typeof v !== "string") return v === undefined ? MISSING : expectedType("string")
  return idProblem(v, max)
}

/** An optional id field of `o`. */
const optionalIdField = (o: Record<string, unknown>, key: string, max: number): string | undefined => {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== "string") return expectedType("string")
  return idProblem(v, max)
}

/**
 * The first problem of a comment input (the path relative to the comment: `at`, `author.id`), or
 * undefined when {@link CommentInputSchema} takes it. By hand, for speed: a batch of 100,000
 * comments is checked in a few milliseconds. Fields are checked in the Schema's order.
 */
export const commentProblem = (c: unknown): Problem | undefined => {
  if (!isRecord(c)) return { path: "", message: expectedType("object") }
  let m = idField(c, "channel", MAX_CHANNEL_LENGTH)
  if (m !== undefined) return { path: "channel", message: m }
  m = idField(c, "commentId", MAX_ID_LENGTH)
  if (m !== undefined) return { path: "commentId", message: m }
  const author = c.author
  if (!isRecord(author)) return { path: "author", message: author === undefined ? MISSING : expectedType("object") }
  m = idField(author, "id", MAX_AUTHOR_ID_LENGTH)
  if (m !== undefined) return { path: "author.id", message: m }
  const name = author.name
  if (name !== undefined) {
    if (typeof name !== "string") return { path: "author.name", message: expectedType("string") }
    m = textProblem(name)
    if (m !== undefined) return { path: "author.name", message: m }
  }
  if (author.unknown !== undefined && typeof author.unknown !== "boolean")
    return { path: "author.unknown", message: expectedType("boolean") }
  const text = c.text
  if (typeof text !== "string") return { path: "text", message: text === undefined ? MISSING : expectedType("string") }
  m = textProblem(text)
  if (m !== undefined) return { path: "text", message: m }
  const at = c.at
  if (typeof at !== "string") return { path: "at", message: at === undefined ? MISSING : expectedType("string") }
  if (!isIsoTime(at)) return { path: "at", message: ISO_TIME_MESSAGE }
  m = optionalIdField(c, "threadId", MAX_ID_LENGTH)
  if (m !== undefined) return { path: "threadId", message: m }
  m = optionalIdField(c, "replyToken", MAX_ID_LENGTH)
  if (m !== undefined) return { path: "replyToken", message: m }
  const scope = c.idScope
  if (scope !== undefined && scope !== "channel" && scope !== "round")
    return { path: "idScope", message: 'expected "channel" or "round"' }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Schema issues as problems
// ---------------------------------------------------------------------------------------------

const lowerFirst = (s: string): string => (s.length === 0 ? s : s[0]!.toLowerCase() + s.slice(1))

/** A leaf issue's message that never quotes the input. */
const leafHook = (issue: SchemaIssue.Leaf): string => {
  switch (issue._tag) {
    case "InvalidType":
      return lowerFirst(SchemaIssue.defaultLeafHook(new SchemaIssue.InvalidType(issue.ast)))
    case "InvalidValue": {
      const message = issue.annotations?.message
      return typeof message === "string"
        ? message
        : lowerFirst(SchemaIssue.defaultLeafHook(new SchemaIssue.InvalidValue(issue.annotations)))
    }
    case "MissingKey":
      return MISSING
    case "UnexpectedKey":
      return "is not expected"
    case "Forbidden":
      return "is not allowed"
    case "OneOf":
      return "matches more than one shape"
  }
}

const checkHook = (issue: SchemaIssue.Filter): string => {
  const annotated = SchemaIssue.defaultCheckHook(issue)
  if (annotated !== undefined) return lowerFirst(annotated)
  const expected = issue.filter.annotations?.expected
  return typeof expected === "string" ? `expected ${expected}` : "expected a valid value"
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1({ leafHook, checkHook })

/** `a.b[2].c` for a path under `root` (`""`: no root). */
export const pathOf = (root: string, path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>): string => {
  let out = root
  for (const segment of path) {
    const key = typeof segment === "object" && segment !== null ? segment.key : segment
    out += typeof key === "number" ? `[${key}]` : out === "" ? String(key) : `.${String(key)}`
  }
  return out
}

/** The problems of a Schema issue, with paths under `root`. */
export const problemsOf = (root: string, issue: SchemaIssue.Issue): ReadonlyArray<Problem> =>
  formatter(issue).issues.map((i) => ({ path: pathOf(root, i.path ?? []), message: i.message }))

/** `path: message` (or the message alone at the root), for an error message. */
export const describe = (p: Problem): string => (p.path === "" ? p.message : `${p.path}: ${p.message}`)
