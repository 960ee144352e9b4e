/**
 * The parts of `@kaituan/http` the back office uses: its models and errors, types only (nothing
 * of it reaches the bundle). tsconfig.json maps `@kaituan/http` here because the package's index
 * also exports its Node web handler, whose `ReadableStream.from` the DOM typings lack.
 */
export type * as Models from "../../../../packages/http/src/Models.js"
export type * as Errors from "../../../../packages/http/src/Errors.js"
export type * as Api from "../../../../packages/http/src/Api.js"
