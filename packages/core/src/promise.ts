/**
 * `@kaituan/core/promise`: a plain Promise facade over the same use cases, for embedders who do
 * not use Effect.
 *
 * ```ts
 * import { createKaituan } from "@kaituan/core/promise"
 * import { Parser } from "@kaituan/parser"
 *
 * const kaituan = createKaituan({ parser: Parser.service })
 * await kaituan.openRound(roundFileJson)
 * await kaituan.submitComment("socks-2024-05", { channel: "line", commentId: "c1", author: { id: "U1", name: "小明" }, text: "紅+1", at: new Date().toISOString() })
 * const report = await kaituan.report("socks-2024-05")
 * ```
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Result } from "effect"
import * as CommentParser from "./CommentParser.js"
import * as GroupBuy from "./GroupBuy.js"
import * as IdGenerator from "./IdGenerator.js"
import type { OrderStatus, OrderView } from "./ReadModel.js"
import * as RoundSpec from "./RoundSpec.js"
import * as Storage from "./Storage.js"

export type { CommentInput, CommentOutcome, PaymentInput, PaymentOutcome, RoundReport } from "./GroupBuy.js"

/** Options of {@link createKaituan}. */
export interface KaituanOptions {
  /** The comment parser (e.g. `Parser.service` from `@kaituan/parser`). */
  readonly parser: CommentParser.CommentParserService
  /** Where to keep state; in memory by default. `@kaituan/storage-sql` gives SQLite and PostgreSQL. */
  readonly storage?: Storage.StorageService | undefined
  /** Predictable ids (`o_1`, `o_2`…) instead of random ones. */
  readonly predictableIds?: boolean | undefined
}

/** An error from the facade: `code` is the tagged error's tag, `reason` its reason. */
export class KaituanError extends Error {
  override readonly name = "KaituanError"
  constructor(
    message: string,
    readonly code: string,
    readonly reason: string | undefined,
    override readonly cause?: unknown
  ) {
    super(message)
  }
}

const toError = (cause: Cause.Cause<unknown>): KaituanError => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value as { _tag?: string; reason?: string; message?: string }
    return new KaituanError(e.message ?? String(e), e._tag ?? "Error", e.reason, e)
  }
  return new KaituanError(Cause.pretty(cause), "Defect", undefined, cause)
}

/** The facade. Every method returns a Promise and rejects with a {@link KaituanError}. */
export interface Kaituan {
  /**
   * Validates a round file (JSON value), creates and opens the round, now or `at` (an ISO time:
   * comments sent before the round opened go to review, so an import of older comments opens it
   * at the first one's time).
   */
  readonly openRound: (roundFile: unknown, at?: string) => Promise<void>
  readonly submitComment: (roundId: string, comment: GroupBuy.CommentInput) => Promise<GroupBuy.CommentOutcome>
  readonly submitComments: (
    roundId: string,
    comments: ReadonlyArray<GroupBuy.CommentInput>
  ) => Promise<ReadonlyArray<GroupBuy.CommentOutcome>>
  readonly closeRound: (roundId: string, at?: string) => Promise<ReadonlyArray<OrderView>>
  readonly orders: (roundId: string, status?: ReadonlyArray<OrderStatus>) => Promise<ReadonlyArray<OrderView>>
  readonly report: (roundId: string) => Promise<GroupBuy.RoundReport>
  readonly recordPayment: (input: GroupBuy.PaymentInput) => Promise<GroupBuy.PaymentOutcome>
  /** Releases resources. */
  readonly dispose: () => Promise<void>
}

/** Creates a facade over in-memory (or the given) storage. */
export const createKaituan = (options: KaituanOptions): Kaituan => {
  const storage = options.storage ?? Storage.makeMemory()
  const layer = GroupBuy.layer.pipe(
    Layer.provide(
      Layer.mergeAll(
        Layer.succeed(Storage.Storage, storage),
        CommentParser.layer(options.parser),
        options.predictableIds ? IdGenerator.layerCounter : IdGenerator.layerNanoid
      )
    )
  )
  const runtime = ManagedRuntime.make(layer)
  const run = async <A>(f: (g: GroupBuy.GroupBuyService) => Effect.Effect<A, unknown>): Promise<A> => {
    const exit = await runtime.runPromiseExit(Effect.flatMap(GroupBuy.GroupBuy, f))
    if (Exit.isSuccess(exit)) return exit.value
    throw toError(exit.cause)
  }
  return {
    openRound: async (roundFile, at) => {
      const spec = RoundSpec.decode(roundFile)
      if (Result.isFailure(spec))
        throw new KaituanError(`invalid round file: ${spec.failure.message}`, "ParseError", "invalid-round")
      return run((g) => g.openRound({ spec: spec.success, at }))
    },
    submitComment: async (roundId, comment) =>
      (await run((g) => g.submitComments({ roundId, comments: [comment] })))[0]!,
    submitComments: (roundId, comments) => run((g) => g.submitComments({ roundId, comments })),
    closeRound: (roundId, at) => run((g) => g.closeRound({ roundId, at })),
    orders: (roundId, status) => run((g) => g.orders({ roundId, status })),
    report: (roundId) => run((g) => g.report(roundId)),
    recordPayment: (input) => run((g) => g.recordPayment(input)),
    dispose: () => runtime.dispose()
  }
}
