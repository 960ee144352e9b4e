/**
 * Reading a statement file from disk (Node): the effectful edge around the pure
 * {@link Statement} importers.
 *
 * @since 0.1.0
 */
import { readFile } from "node:fs/promises"
import { Effect } from "effect"
import { type Options, parse, type Statement, StatementError } from "./Statement.js"

/** Reads the bytes of a file, failing with `StatementError` (`unreadable-file`) naming the path. */
export const readBytes = (path: string): Effect.Effect<Uint8Array, StatementError> =>
  Effect.tryPromise({
    try: () => readFile(path),
    catch: (e) =>
      new StatementError({
        reason: "unreadable-file",
        message: `${path}: ${e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e)}`
      })
  }).pipe(Effect.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))

/** Reads and imports a statement file: CSV in any supported encoding, or `.xlsx`. */
export const read = (path: string, options: Options = {}): Effect.Effect<Statement, StatementError> =>
  Effect.flatMap(readBytes(path), (bytes) => parse(bytes, options))
