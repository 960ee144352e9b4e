/** Schema decoding failures as `path: message` items, for the usage errors that name what is wrong. */
import { type Schema, SchemaIssue } from "effect"

/** One problem found by a schema: where (property names and indexes) and what. */
export interface Issue {
  readonly path: ReadonlyArray<string>
  readonly message: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** The problems of a failed decoding, in order (the v3 `ArrayFormatter`'s shape). */
export const issuesOf = (error: Schema.SchemaError): Array<Issue> =>
  formatter(error.issue).issues.map((i) => ({
    path: (i.path ?? []).map((p) => String(typeof p === "object" && p !== null ? p.key : p)),
    message: i.message
  }))
