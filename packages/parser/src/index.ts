/**
 * `@kaituan/parser`: the trustworthy "+1" comment parser, the default implementation of
 * `@kaituan/core`'s `CommentParser` port (docs/parsing.md).
 *
 * @packageDocumentation
 */
export * as Normalize from "./Normalize.js"
export * as Parser from "./Parser.js"
