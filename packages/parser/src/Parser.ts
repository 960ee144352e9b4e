/**
 * The default implementation of core's `CommentParser` port: comment text + the round's
 * catalogue → exactly one intent (`order`, `amend`, `cancel`, `payment`, `review`, `none`,
 * `carrier` for a buyer's e-invoice carrier 載具), the
 * lines, a short reason and the spans that decided (docs/parsing.md).
 *
 * Compile once per round ({@link compile}), then call `parse` for every comment. Parsing is pure
 * and total (never throws), linear in the length of the comment, and does not allocate more than
 * its result.
 *
 * @example
 * ```ts
 * import { Catalogue, ParseResult } from "@kaituan/core"
 * import { Parser } from "@kaituan/parser"
 * import { Schema } from "effect"
 *
 * const products = Schema.decodeUnknownSync(Schema.Array(Catalogue.ProductSpec))([
 *   { sku: "SOCK", name: "韓國毛襪", price: 120,
 *     options: { 顏色: { 紅: ["紅色"], 白: ["白色"] } },
 *     variants: [{ sku: "SOCK-R", options: { 顏色: "紅" } }, { sku: "SOCK-W", options: { 顏色: "白" } }] }
 * ])
 * const catalogue = Catalogue.unsafeCompile(products)
 * const parser = Parser.compile({ catalogue, settings: ParseResult.defaultSettings })
 * parser.parse("紅色+2 白+1").lines // [{ sku: "SOCK-R", qty: 2 }, { sku: "SOCK-W", qty: 1 }]
 * ```
 *
 * @since 0.1.0
 */
import { type Catalogue, CommentParser, ParseResult } from "@kaituan/core"
import type { Layer } from "effect"
import { carrierOf } from "./internal/Carrier.js"
import { interpret } from "./internal/Interpret.js"
import { lex } from "./internal/Lexer.js"
import { make, type Resolution } from "./internal/Lexicon.js"

/** A parser compiled for one round (the port's `CompiledParser`). */
export type CompiledParser = CommentParser.CompiledParser

const MAX_LENGTH = 20_000

/** The verdict on text that could not be read at all (defensive: the parser is total). */
const failed = (why: string): ParseResult.ParseResult => ({
  intent: "review",
  lines: [],
  reason: why,
  spans: [],
  likely: "order"
})

/**
 * Compiles the round's catalogue and settings once: one trie over the folded names, aliases,
 * option values, variant names and keywords. Settings missing fields fall back to
 * `ParseResult.defaultSettings`.
 */
export const compile = (input: {
  readonly catalogue: Catalogue.Catalogue
  readonly settings?: Partial<ParseResult.ParserSettings> | undefined
}): CompiledParser => {
  const settings: ParseResult.ParserSettings = { ...ParseResult.defaultSettings, ...input.settings }
  const lx = make(input.catalogue, settings)
  const cache = new Map<number | string, Resolution>()
  const parse = (text: string): ParseResult.ParseResult => {
    if (typeof text !== "string") return failed("not text")
    if (text.length > MAX_LENGTH) {
      // Very long texts are not comments someone typed: never an order without a look.
      const head = parse(text.slice(0, MAX_LENGTH))
      return head.intent === "none"
        ? head
        : { ...head, intent: "review", likely: likelyOf(head), reason: `very long comment; ${head.reason}` }
    }
    try {
      // 載具 (the e-invoice carrier) first: a carrier message is never an order
      const carrier = carrierOf(text)
      if (carrier !== undefined) return carrier
      lex(text, lx)
      return interpret(text, lx, cache)
    } catch (e) {
      // Not expected; kept so that one odd comment can never stop a round.
      return failed(`parser error: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  return { parse }
}

const likelyOf = (r: ParseResult.ParseResult): "order" | "amend" | "cancel" | "payment" =>
  r.intent === "order" || r.intent === "amend" || r.intent === "cancel" || r.intent === "payment"
    ? r.intent
    : (r.likely ?? "order")

/**
 * Parses one comment against a catalogue (compiles on every call: use {@link compile} for
 * more than a few comments).
 */
export const parse = (
  text: string,
  catalogue: Catalogue.Catalogue,
  settings?: Partial<ParseResult.ParserSettings>
): ParseResult.ParseResult => compile({ catalogue, settings }).parse(text)

/** The port's service: `compile({ catalogue, settings })`. */
export const service: CommentParser.CommentParserService = { compile: (input) => compile(input) }

/** The default `CommentParser` layer. */
export const layer: Layer.Layer<CommentParser.CommentParser> = CommentParser.layer(service)
