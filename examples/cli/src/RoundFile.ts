/**
 * Reads a round file (docs/cli.md) and compiles its catalogue, turning every problem into a
 * UsageError that names the file, where in it, and what is wrong.
 *
 * The CLI reads round files strictly: a key the round file does not define (`"stok"`,
 * `"cutof"`) is an error naming the key, where it is and the key that was probably meant, so a
 * typo never silently drops a stock limit or a cutoff. (`RoundSpec.decode` in `@kaituan/core`
 * ignores excess properties by design, for library users who keep their own fields beside a spec.)
 * Every field of core's `RoundSpec` is a key here, `listens` included (the conversations whose
 * comments go to the round, see `Inbound` in `@kaituan/core`).
 */
import { Catalogue, RoundSpec } from "@kaituan/core"
import { Result, Schema, SchemaAST, SchemaIssue } from "effect"
import { didYouMean, readJsonFile as readJson, UsageError } from "./Io.js"

export interface LoadedRound {
  readonly path: string
  readonly spec: RoundSpec.RoundSpec
  readonly catalogue: Catalogue.Catalogue
}

/** One problem in a round file: where (`products[0].variants[1].stock`) and what. */
export interface RoundProblem {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const decodeStrict = Schema.decodeUnknownResult(RoundSpec.RoundSpec, { errors: "all", onExcessProperty: "error" })
const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/** A path as a JavaScript-like accessor: `products[0].options.顏色`, `["a b"]`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let s = ""
  for (const k of path) {
    if (typeof k === "number") s += `[${k}]`
    else if (typeof k === "string" && /^[\p{L}_$][\p{L}\p{N}_$-]*$/u.test(k)) s += s === "" ? k : `.${k}`
    else s += `[${JSON.stringify(String(k))}]`
  }
  return s === "" ? "(the top level)" : s
}

const valueAt = (
  json: unknown,
  path: ReadonlyArray<PropertyKey>
): { readonly found: boolean; readonly value: unknown } => {
  let v: unknown = json
  for (const k of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, k)) return { found: false, value: undefined }
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return { found: true, value: v }
}

/** What a value is, for a message: numbers, booleans and null as written; other values by kind (they may hold names). */
const describeValue = (v: unknown): string =>
  typeof v === "number" || typeof v === "boolean" || v === null
    ? JSON.stringify(v)
    : typeof v === "string"
      ? "a string"
      : Array.isArray(v)
        ? "a list"
        : typeof v

const knownKeys = (ast: SchemaAST.AST): Array<string> =>
  SchemaAST.isObjects(ast) ? ast.propertySignatures.map((p) => String(p.name)) : []

const unknownKey = (key: PropertyKey, ast: SchemaAST.AST): string => {
  const keys = knownKeys(ast)
  const guess = didYouMean(String(key), keys)
  return `unknown key ${JSON.stringify(String(key))} (${guess !== undefined ? `did you mean "${guess}"?` : `the keys here are ${keys.join(", ")}`})`
}

/** Every problem of a failed decoding, one message each (an optional field's union reports once). */
const problemsOf = (issue: SchemaIssue.Issue, json: unknown): Array<RoundProblem> => {
  const out: Array<RoundProblem> = []
  const leaf = (i: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>) => {
    for (const f of formatter(i).issues) {
      const at = [...path, ...(f.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p))]
      const v = valueAt(json, at)
      out.push({ path: at, message: v.found ? `${f.message} (it is ${describeValue(v.value)})` : f.message })
    }
  }
  const walk = (i: SchemaIssue.Issue, path: ReadonlyArray<PropertyKey>): void => {
    switch (i._tag) {
      case "Pointer":
        walk(i.issue, [...path, ...i.path])
        break
      case "Composite":
        for (const c of i.issues) walk(c, path)
        break
      case "AnyOf":
        // An optional field is a union with `undefined`: report its one failing member once.
        if (i.issues.length === 1) walk(i.issues[0]!, path)
        else leaf(i, path)
        break
      case "MissingKey":
        out.push({ path, message: "missing (it is required)" })
        break
      case "UnexpectedKey":
        out.push({ path, message: unknownKey(path[path.length - 1] ?? "", i.ast) })
        break
      default:
        leaf(i, path)
    }
  }
  walk(issue, [])
  return out
}

/** Decodes a round file's JSON value strictly, or throws a UsageError naming `path` and every problem. */
export const decodeRound = (path: string, json: unknown): LoadedRound => {
  const decoded = decodeStrict(json)
  if (Result.isFailure(decoded)) {
    const problems = problemsOf(decoded.failure.issue, json)
    const shown = problems.slice(0, 8).map((p) => `${formatPath(p.path)}: ${p.message}`)
    if (problems.length > shown.length) shown.push(`… and ${problems.length - shown.length} more`)
    throw new UsageError(`${path}: invalid round file:\n  ${shown.join("\n  ")}`)
  }
  const catalogue = Catalogue.compile(decoded.success.products)
  if (Result.isFailure(catalogue)) throw new UsageError(`${path}: invalid catalogue: ${catalogue.failure.message}`)
  return { path, spec: decoded.success, catalogue: catalogue.success }
}

/** Reads JSON from `path` (relative to `cwd` when given); errors name `path` as the user wrote it. */
export const readJsonFile = (path: string, what: string, cwd?: string): unknown => readJson(path, `the ${what}`, cwd)

/** Reads, decodes and compiles a round file (relative to `cwd` when given). */
export const loadRound = (path: string, cwd?: string): LoadedRound =>
  decodeRound(path, readJsonFile(path, "round file", cwd))
