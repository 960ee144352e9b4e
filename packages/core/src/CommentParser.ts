/**
 * The CommentParser port: comment text + catalogue → one intent (PARSING.md).
 *
 * A parser is compiled once per round (catalogue and settings), then called for every comment.
 * The default implementation is `@kaituan/parser`; an embedder may wrap it (for example to add
 * a model's suggestions to review items).
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type { Catalogue } from "./Catalogue.js"
import type { ParseResult, ParserSettings } from "./ParseResult.js"

/** A parser compiled for one round. Pure and total: never throws. */
export interface CompiledParser {
  readonly parse: (text: string) => ParseResult
}

/** The port. */
export interface CommentParserService {
  /** Compile the round's catalogue and settings once (a trie over names, etc.). */
  readonly compile: (input: { readonly catalogue: Catalogue; readonly settings: ParserSettings }) => CompiledParser
}

/** The CommentParser service tag. */
export class CommentParser extends Context.Service<CommentParser, CommentParserService>()(
  "@kaituan/core/CommentParser"
) {}

/** A layer from any implementation. */
export const layer = (service: CommentParserService): Layer.Layer<CommentParser> =>
  Layer.succeed(CommentParser, service)
