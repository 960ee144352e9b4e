/**
 * Segments: tag expressions over members (`高頻消費 AND NOT 沉睡`, `tier:VIP OR 偏好生鮮`,
 * `(channel:line OR channel:telegram) AND NOT blocked`). A term is a tag (any run of characters
 * without white space or parentheses: manual tags, automatic tags, `tier:<name>`,
 * `channel:<id>`); `AND`, `OR`, `NOT` (any case) combine terms, `NOT` binds tightest, then `AND`,
 * then `OR`; parentheses group. A malformed expression fails with a {@link SegmentError} that
 * says where (a 0-based character position) and why.
 *
 * @example
 * ```ts
 * import { Segment } from "@kaituan/core"
 * import { Result } from "effect"
 *
 * const parsed = Segment.parse("高頻消費 AND NOT 沉睡")
 * if (Result.isSuccess(parsed)) console.log(Segment.matches(parsed.success, new Set(["高頻消費"]))) // true
 * ```
 *
 * @since 0.4.0
 */
import { Result, Schema } from "effect"
import { match } from "ts-pattern"

/** A parsed segment expression. */
export type Expr =
  | { readonly _tag: "Tag"; readonly name: string }
  | { readonly _tag: "Not"; readonly expr: Expr }
  | { readonly _tag: "And"; readonly left: Expr; readonly right: Expr }
  | { readonly _tag: "Or"; readonly left: Expr; readonly right: Expr }

/** Why an expression does not read, and where (0-based character position). */
export class SegmentError extends Schema.TaggedError<SegmentError>()("SegmentError", {
  reason: Schema.Literals(["empty", "too-long", "unexpected-token", "unexpected-end", "unclosed-parenthesis"]),
  position: Schema.Int,
  message: Schema.String
}) {}

/** The longest expression read (characters). */
export const MAX_LENGTH = 1_000

type Token =
  | { readonly k: "(" | ")" | "AND" | "OR" | "NOT"; readonly pos: number }
  | { readonly k: "tag"; readonly name: string; readonly pos: number }

const keywords = new Set(["AND", "OR", "NOT"])

const tokenize = (input: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < input.length) {
    const ch = input[i]!
    if (/\s/u.test(ch)) {
      i++
      continue
    }
    if (ch === "(" || ch === ")") {
      out.push({ k: ch, pos: i })
      i++
      continue
    }
    const start = i
    while (i < input.length && !/[\s()]/u.test(input[i]!)) i++
    const word = input.slice(start, i)
    const upper = word.toUpperCase()
    if (keywords.has(upper)) out.push({ k: upper as "AND" | "OR" | "NOT", pos: start })
    else out.push({ k: "tag", name: word, pos: start })
  }
  return out
}

const describe = (t: Token) => (t.k === "tag" ? `tag ${JSON.stringify(t.name)}` : `"${t.k}"`)

/** Parses a segment expression. */
export const parse = (input: string): Result.Result<Expr, SegmentError> => {
  if (input.length > MAX_LENGTH)
    return Result.fail(
      new SegmentError({ reason: "too-long", position: MAX_LENGTH, message: `at most ${MAX_LENGTH} characters` })
    )
  const tokens = tokenize(input)
  if (tokens.length === 0)
    return Result.fail(new SegmentError({ reason: "empty", position: 0, message: "the expression is empty" }))
  let i = 0
  let failure: SegmentError | undefined
  const stop = (e: SegmentError): undefined => {
    failure ??= e
    return undefined
  }
  const end = (what: string) =>
    stop(new SegmentError({ reason: "unexpected-end", position: input.length, message: `expected ${what}` }))
  const primary = (): Expr | undefined => {
    const t = tokens[i]
    if (t === undefined) return end("a tag, NOT or (")
    if (t.k === "tag") {
      i++
      return { _tag: "Tag", name: t.name }
    }
    if (t.k === "NOT") {
      i++
      const inner = primary()
      return inner === undefined ? undefined : { _tag: "Not", expr: inner }
    }
    if (t.k === "(") {
      i++
      const inner = or()
      if (inner === undefined) return undefined
      const close = tokens[i]
      if (close === undefined || close.k !== ")")
        return stop(
          new SegmentError({
            reason: "unclosed-parenthesis",
            position: t.pos,
            message: "this ( is not closed"
          })
        )
      i++
      return inner
    }
    return stop(
      new SegmentError({
        reason: "unexpected-token",
        position: t.pos,
        message: `expected a tag, NOT or (, found ${describe(t)}`
      })
    )
  }
  const and = (): Expr | undefined => {
    let left = primary()
    while (left !== undefined && tokens[i]?.k === "AND") {
      i++
      const right = primary()
      left = right === undefined ? undefined : { _tag: "And", left, right }
    }
    return left
  }
  const or = (): Expr | undefined => {
    let left = and()
    while (left !== undefined && tokens[i]?.k === "OR") {
      i++
      const right = and()
      left = right === undefined ? undefined : { _tag: "Or", left, right }
    }
    return left
  }
  const expr = or()
  if (expr === undefined) return Result.fail(failure!)
  const rest = tokens[i]
  if (rest !== undefined)
    return Result.fail(
      new SegmentError({
        reason: "unexpected-token",
        position: rest.pos,
        message: `expected AND, OR or the end, found ${describe(rest)}`
      })
    )
  return Result.succeed(expr)
}

/**
 * The expression as a predicate over a member's tags, compiled once (a plain closure per node:
 * fast enough to run over every member for each query).
 */
export const compile = (expr: Expr): ((tags: ReadonlySet<string>) => boolean) => {
  switch (expr._tag) {
    case "Tag": {
      const name = expr.name
      return (tags) => tags.has(name)
    }
    case "Not": {
      const inner = compile(expr.expr)
      return (tags) => !inner(tags)
    }
    case "And": {
      const left = compile(expr.left)
      const right = compile(expr.right)
      return (tags) => left(tags) && right(tags)
    }
    case "Or": {
      const left = compile(expr.left)
      const right = compile(expr.right)
      return (tags) => left(tags) || right(tags)
    }
    default:
      return absurd(expr)
  }
}

const absurd = (x: never): never => x

/** Whether a member with these tags is in the segment (for many members, {@link compile} once). */
export const matches = (expr: Expr, tags: ReadonlySet<string>): boolean => compile(expr)(tags)

const precedence = (e: Expr): number =>
  match(e)
    .with({ _tag: "Or" }, () => 1)
    .with({ _tag: "And" }, () => 2)
    .with({ _tag: "Not" }, { _tag: "Tag" }, () => 3)
    .exhaustive()

/** The expression as text, with only the parentheses it needs (`parse(print(e))` gives `e` back). */
export const print = (expr: Expr): string => {
  const wrap = (e: Expr, min: number) => (precedence(e) < min ? `(${print(e)})` : print(e))
  return match(expr)
    .with({ _tag: "Tag" }, (e) => e.name)
    .with({ _tag: "Not" }, (e) => `NOT ${wrap(e.expr, 3)}`)
    .with({ _tag: "And" }, (e) => `${wrap(e.left, 2)} AND ${wrap(e.right, 3)}`)
    .with({ _tag: "Or" }, (e) => `${wrap(e.left, 1)} OR ${wrap(e.right, 2)}`)
    .exhaustive()
}

/** The tags an expression names (for a segment builder to show, or to check against known tags). */
export const tagsOf = (expr: Expr): Array<string> => {
  const out = new Set<string>()
  const walk = (e: Expr): void =>
    match(e)
      .with({ _tag: "Tag" }, (t) => void out.add(t.name))
      .with({ _tag: "Not" }, (n) => walk(n.expr))
      .with({ _tag: "And" }, { _tag: "Or" }, (b) => {
        walk(b.left)
        walk(b.right)
      })
      .exhaustive()
  walk(expr)
  return [...out]
}
