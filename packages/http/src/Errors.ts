/**
 * The API's errors: one tagged error per HTTP status it answers with, each a Schema so the
 * OpenAPI document lists it and the typed client decodes it. Bodies are JSON with a `_tag` and a
 * `message` in the organiser's words; they never carry personal data (no names, texts, phone
 * numbers or account digits: a field is named, its value is not echoed).
 *
 * @since 0.2.0
 */
import { Schema } from "effect"

/** 400: the request does not decode. `field` names what is wrong (`body.lines.0.qty`, `query.limit`). */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  {
    /** Where: `path.<param>`, `query.<name>`, `body.<path>` or `headers.<name>`. */
    field: Schema.String,
    message: Schema.String
  },
  { httpApiStatus: 400 }
) {}

/** 401: no bearer token, or one that is unknown or revoked. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  { httpApiStatus: 401 }
) {}

/** 403: the token's role may not do this (a helper approving a payment…). Nothing was changed. */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  {
    message: Schema.String,
    /** The caller's role. */
    role: Schema.String,
    /** The role this needs. */
    needs: Schema.String
  },
  { httpApiStatus: 403 }
) {}

/** 404: no such round, order, shipment, buyer or decision. */
export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  {
    /** What was looked for: `round`, `order`, `shipment`, `buyer`, `decision`, `pickup`. */
    what: Schema.String,
    message: Schema.String
  },
  { httpApiStatus: 404 }
) {}

/** 409: the domain refused (the order is not paid yet, the round is closed, it exists already…). */
export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  {
    /** A short machine-readable reason (`rejected`, `exists`, `conflict`). */
    reason: Schema.String,
    message: Schema.String
  },
  { httpApiStatus: 409 }
) {}

/** 413: an upload is larger than the server takes. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  {
    message: Schema.String,
    /** The limit, in bytes. */
    limit: Schema.Int
  },
  { httpApiStatus: 413 }
) {}

/** What the server made of a statement it could not read (sizes and kinds, never the content). */
export const Recognised = Schema.Struct({
  /** Bytes received. */
  bytes: Schema.Int,
  /** `xlsx` (a zip container), `text` (decodable text, CSV expected) or `binary`. */
  kind: Schema.Literals(["xlsx", "text", "binary"]),
  /** Non-empty lines of a text file (0 otherwise). */
  lines: Schema.Int,
  /** The most cells a line had when split at commas, tabs or semicolons (0 for xlsx and binary). */
  columns: Schema.Int
})
/** See {@link Recognised}. */
export type Recognised = typeof Recognised.Type

/** 422: a statement nobody recognises: the reconciler's reason, and what was recognised. */
export class UnrecognisedStatement extends Schema.TaggedError<UnrecognisedStatement>()(
  "UnrecognisedStatement",
  {
    /** `empty`, `no-header`, `bad-mapping` or `unreadable-file`. */
    reason: Schema.String,
    message: Schema.String,
    recognised: Recognised
  },
  { httpApiStatus: 422 }
) {}

/** 423: a pickup is locked after too many wrong codes; the organiser unlocks it. */
export class Locked extends Schema.TaggedError<Locked>()(
  "Locked",
  { message: Schema.String },
  { httpApiStatus: 423 }
) {}

/** 501: the domain does not do this yet; `issue` is where it is tracked. */
export class NotImplemented extends Schema.TaggedError<NotImplemented>()(
  "NotImplemented",
  {
    message: Schema.String,
    /** The issue number that will add it. */
    issue: Schema.Int
  },
  { httpApiStatus: 501 }
) {}

/** 503: the database could not be reached or the transaction failed; try again. */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { message: Schema.String },
  { httpApiStatus: 503 }
) {}
