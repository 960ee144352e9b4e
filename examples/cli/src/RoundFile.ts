/**
 * Reads a round file (CLI.md) and compiles its catalogue, turning every problem into a
 * UsageError that names the file and what is wrong.
 */
import fs from "node:fs"
import nodePath from "node:path"
import { Catalogue, RoundSpec } from "@kaituan/core"
import { Result } from "effect"
import { UsageError } from "./Io.js"
import { issuesOf } from "./Issues.js"

export interface LoadedRound {
  readonly path: string
  readonly spec: RoundSpec.RoundSpec
  readonly catalogue: Catalogue.Catalogue
}

/** Reads JSON from `path` (relative to `cwd` when given); errors name `path` as the user wrote it. */
export const readJsonFile = (path: string, what: string, cwd?: string): unknown => {
  let text: string
  try {
    text = fs.readFileSync(cwd === undefined ? path : nodePath.resolve(cwd, path), "utf8")
  } catch (e) {
    throw new UsageError(`${path}: cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ""))
  } catch (e) {
    throw new UsageError(`${path}: the ${what} is not valid JSON: ${(e as Error).message}`)
  }
}

/** Decodes a round file's JSON value, or throws a UsageError naming `path`. */
export const decodeRound = (path: string, json: unknown): LoadedRound => {
  const decoded = RoundSpec.decode(json)
  if (Result.isFailure(decoded)) {
    const issues = issuesOf(decoded.failure)
      .slice(0, 5)
      .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`)
    throw new UsageError(`${path}: invalid round file:\n  ${issues.join("\n  ")}`)
  }
  const catalogue = Catalogue.compile(decoded.success.products)
  if (Result.isFailure(catalogue)) throw new UsageError(`${path}: invalid catalogue: ${catalogue.failure.message}`)
  return { path, spec: decoded.success, catalogue: catalogue.success }
}

export const loadRound = (path: string, cwd?: string): LoadedRound =>
  decodeRound(path, readJsonFile(path, "round file", cwd))
