/**
 * Organiser actions in a `round replay` JSON Lines file: a line with `"action"` instead of a
 * comment is something the organiser did at its `at` (change the round, close it, reopen it,
 * record a payment, cancel an order, refund one). Each is decoded with a Schema; a bad line is a UsageError
 * naming the file, the line and the field (never the line's content, which may hold names).
 */
import { Order, RoundChanges, RoundSpec } from "@kaituan/core"
import { Result, Schema, SchemaIssue } from "effect"
import { formatPath } from "./RoundFile.js"
import { UsageError } from "./Io.js"

const At = RoundSpec.IsoTimestamp
const BuyerId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200))

/** `{"action": "change", "at", "change": {…RoundChange…}}`: `RoundChanges.updateRound`. */
export const ChangeAction = Schema.Struct({
  action: Schema.Literal("change"),
  at: At,
  change: RoundChanges.RoundChange
})
/** `{"action": "close", "at"}`: `GroupBuy.closeRound` (by hand, before or without the cutoff). */
export const CloseAction = Schema.Struct({ action: Schema.Literal("close"), at: At })
/** `{"action": "reopen", "at", "cutoff"?}`: `RoundChanges.reopenRound` (`cutoff: null`: none). */
export const ReopenAction = Schema.Struct({
  action: Schema.Literal("reopen"),
  at: At,
  cutoff: Schema.optional(Schema.NullOr(At))
})
/** `{"action": "payment", "at", "buyer", "amount", "source"?}`: pays that buyer's order. */
export const PaymentAction = Schema.Struct({
  action: Schema.Literal("payment"),
  at: At,
  /** The buyer's author id, as in the comments. */
  buyer: BuyerId,
  /** Integer TWD, more than 0. */
  amount: Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(100_000_000)),
  /** `transfer` (a bank transfer, the default) or `cash`. */
  source: Schema.optional(Schema.Literals(["cash", "transfer"]))
})
/** `{"action": "cancel", "at", "buyer", "reason"}`: cancels that buyer's order (its stock released). */
export const CancelAction = Schema.Struct({
  action: Schema.Literal("cancel"),
  at: At,
  buyer: BuyerId,
  reason: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500))
})

/** `{"action": "arrived", "at", "skus"}`: `RoundChanges.markArrived` (預購到貨: pre-order SKUs or products). */
export const ArrivedAction = Schema.Struct({
  action: Schema.Literal("arrived"),
  at: At,
  skus: RoundChanges.MarkArrivedInput.fields.skus
})

/**
 * `{"action": "refund", "at", "buyer", "amount"?, "method"?, "reasonCode"?, "reason"?}`: money given
 * back for that buyer's paid order (`AfterSales.refund`): all it received by default (a full
 * refund), less for a partial one; `method` `bank-transfer` (default), `cash` or `gateway`;
 * `reasonCode` one of `Order.RefundReason` (default `other`).
 */
export const RefundAction = Schema.Struct({
  action: Schema.Literal("refund"),
  at: At,
  buyer: BuyerId,
  amount: Schema.optional(Schema.Int.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(100_000_000))),
  method: Schema.optional(Order.RefundMethod),
  reasonCode: Schema.optional(Order.RefundReason),
  reason: Schema.optional(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500)))
})

const schemas = {
  change: ChangeAction,
  close: CloseAction,
  reopen: ReopenAction,
  payment: PaymentAction,
  cancel: CancelAction,
  arrived: ArrivedAction,
  refund: RefundAction
} as const

/** The action names a line may carry. */
export const actionNames = Object.keys(schemas) as ReadonlyArray<keyof typeof schemas>

/** One organiser action. */
export type Action =
  | typeof ChangeAction.Type
  | typeof CloseAction.Type
  | typeof ReopenAction.Type
  | typeof PaymentAction.Type
  | typeof CancelAction.Type
  | typeof ArrivedAction.Type
  | typeof RefundAction.Type

/** An action with the 1-based line it came from. */
export interface ActionLine {
  readonly line: number
  readonly action: Action
  /** The line as written (trimmed): with the round id, it makes a payment's transaction id. */
  readonly raw: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const firstProblem = (issue: SchemaIssue.Issue): string => {
  const f = formatter(issue).issues[0]
  if (f === undefined) return "not a valid action"
  const path = (f.path ?? []).map((p) => (typeof p === "object" && p !== null ? p.key : p))
  return `"${formatPath(path)}": ${f.message}`
}

/**
 * Takes the action lines out of a JSON Lines text: the actions (decoded, with their lines) and
 * the text with those lines blanked (so the comment reader's line numbers stay right). A line is
 * an action when it is a JSON object with an `"action"` key; any other line is left to the
 * comment reader.
 */
export const splitActions = (
  path: string,
  text: string
): { readonly actions: Array<ActionLine>; readonly rest: string } => {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/)
  const actions: Array<ActionLine> = []
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim()
    if (!raw.startsWith("{") || !raw.includes('"action"')) continue
    let v: unknown
    try {
      v = JSON.parse(raw)
    } catch {
      continue // the comment reader reports it, with the column
    }
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, "action")) continue
    const where = `${path} line ${i + 1}`
    const name = (v as { action: unknown }).action
    const schema =
      typeof name === "string" && Object.hasOwn(schemas, name) ? schemas[name as keyof typeof schemas] : undefined
    if (schema === undefined) throw new UsageError(`${where}: "action" must be one of ${actionNames.join(", ")}`)
    const decoded = Schema.decodeUnknownResult(schema as Schema.Codec<Action, unknown>, { onExcessProperty: "error" })(
      v
    )
    if (Result.isFailure(decoded))
      throw new UsageError(`${where}: ${name} action: ${firstProblem(decoded.failure.issue)}`)
    actions.push({ line: i + 1, action: decoded.success, raw })
    lines[i] = ""
  }
  return { actions, rest: lines.join("\n") }
}
