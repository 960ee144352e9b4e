/**
 * The shared contract every {@link ChannelAdapterService} must keep, as data: a list of named
 * cases, each an Effect run against a {@link Harness} (the adapter under test wired to a fake
 * platform server). It depends on no test framework; with `@effect/vitest`:
 *
 * ```ts
 * import { ChannelContract } from "@kaituan/core"
 * for (const c of ChannelContract.casesFor(harness)) it.live(c.name, () => c.run(harness))
 * ```
 *
 * Use `it.live` (the real clock), not `it.effect`: adapters sleep between retries, and under
 * `it.effect`'s TestClock those sleeps never end.
 *
 * A case fails with a {@link ContractFailure} (or the adapter's own unexpected error).
 *
 * Conventions the cases rely on:
 * - an {@link OutboundMessage} of kind `"text"` renders `data.text` verbatim;
 * - `sent()` lists what the fake platform *accepted* (answered 2xx); requests answered with an
 *   injected error are not in it;
 * - the adapter's retry schedule is short in tests (the harness configures it), and bounded.
 *
 * @since 0.1.0
 */
import { Data, Effect, Result } from "effect"
import type { ChannelAdapterService, InboundEvent } from "./ChannelAdapter.js"
import type { InboundRequest } from "./Http.js"
import type { ChannelId } from "./Ids.js"
import type { OutboundMessage } from "./Notification.js"

/** The comment a harness renders as the platform's webhook body. All ids are digit strings, valid on every platform. */
export interface SampleComment {
  readonly eventId: string
  readonly commentId: string
  readonly userId: string
  readonly text: string
}

/** What a platform can and cannot promise; cases that need a capability run only when the harness has it. */
export interface Capabilities {
  /**
   * The signature covers the body (LINE, Facebook). `false` for platforms that authenticate the
   * sender with a shared token only (Telegram's `X-Telegram-Bot-Api-Secret-Token`). Default `true`.
   */
  readonly signsBody?: boolean
  /** Sending the same message id twice delivers one message (LINE's `X-Line-Retry-Key`). Default `false`. */
  readonly idempotentSend?: boolean
}

/** The adapter under test plus a fake platform server it talks to. */
export interface Harness {
  readonly adapter: ChannelAdapterService
  /** What this platform can promise. */
  readonly capabilities?: Capabilities | undefined
  /** A webhook request for `body`, signed the way the platform signs it. */
  readonly signedRequest: (body: string) => InboundRequest
  /** A webhook request for `body` without any signature / secret header. */
  readonly unsignedRequest: (body: string) => InboundRequest
  /** A webhook request for `body` with a wrong signature (e.g. signed with another secret). */
  readonly forgedRequest: (body: string) => InboundRequest
  /** The platform's webhook body carrying one text comment. */
  readonly sampleCommentBody: (input: SampleComment) => string
  /** A body the platform could never send (not JSON, or JSON of the wrong shape). */
  readonly malformedBody: string
  /**
   * The message the send cases use; defaults to kind `"text"` with `data.text = text` to
   * `{ channel: adapter.channel, userId: "300001" }`.
   */
  readonly message?: (input: { readonly id: string; readonly text: string }) => OutboundMessage
  /**
   * How the decoded ids relate to the sample's. Defaults: identity. (An adapter that must derive an
   * event id, e.g. from a comment id and a time, says how.)
   */
  readonly expect?: {
    readonly eventId?: (input: SampleComment) => string
    readonly commentId?: (input: SampleComment) => string
    readonly authorId?: (input: SampleComment) => string
  }
  /** What the fake platform server accepted (answered 2xx), in order. */
  readonly sent: () => ReadonlyArray<unknown>
  /**
   * Makes the fake platform answer the next `times` (default 1) requests with `status`, with a
   * `Retry-After` header when `retryAfterSeconds` is given. Replaces any pending failures.
   */
  readonly failNext: (status: number, retryAfterSeconds?: number, times?: number) => void
  /** Drops pending injected failures. */
  readonly clearFailures: () => void
}

/** A contract case did not hold. */
export class ContractFailure extends Data.TaggedError("ContractFailure")<{
  readonly case: string
  readonly message: string
}> {}

/** One contract case. */
export interface Case {
  readonly name: string
  /** Whether the case applies to a harness with these capabilities; absent means always. */
  readonly applies?: (h: { readonly capabilities?: Capabilities | undefined }) => boolean
  readonly run: (h: Harness) => Effect.Effect<void, unknown>
}

let counter = 0
const uniqueId = (prefix: string): string => {
  counter += 1
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

const defaultMessage =
  (channel: ChannelId) =>
  (input: { readonly id: string; readonly text: string }): OutboundMessage => ({
    id: input.id,
    kind: "text",
    to: { channel, userId: "300001" },
    data: { text: input.text },
    createdAt: new Date().toISOString()
  })

const messageFor = (h: Harness, marker: string): OutboundMessage =>
  (h.message ?? defaultMessage(h.adapter.channel))({ id: uniqueId("contract-msg"), text: marker })

const check = (name: string, ok: boolean, message: string): Effect.Effect<void, ContractFailure> =>
  ok ? Effect.void : Effect.fail(new ContractFailure({ case: name, message }))

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u)
  } catch {
    return String(u)
  }
}

/** Runs `eff`, expecting a ChannelError with one of `reasons`; returns it. */
const expectChannelError = <A>(
  name: string,
  eff: Effect.Effect<A, unknown>,
  reasons: ReadonlyArray<string>
): Effect.Effect<{ readonly reason: string; readonly retryAfterMs?: number | undefined }, ContractFailure> =>
  eff.pipe(
    Effect.matchEffect({
      onSuccess: (a) =>
        Effect.fail(
          new ContractFailure({
            case: name,
            message: `expected ChannelError(${reasons.join("|")}), got success ${show(a)}`
          })
        ),
      onFailure: (e) => {
        const err = e as { readonly _tag?: unknown; readonly reason?: unknown; readonly retryAfterMs?: unknown }
        return err._tag === "ChannelError" && typeof err.reason === "string" && reasons.includes(err.reason)
          ? Effect.succeed({
              reason: err.reason,
              retryAfterMs: typeof err.retryAfterMs === "number" ? err.retryAfterMs : undefined
            })
          : Effect.fail(
              new ContractFailure({
                case: name,
                message: `expected ChannelError(${reasons.join("|")}), got ${show(e)}`
              })
            )
      }
    })
  )

const sample = (): SampleComment => {
  const n = 100000 + (counter++ % 800000)
  return { eventId: `${n}1`, commentId: `${n}2`, userId: `${n}3`, text: "+1 芒果 2箱" }
}

const comments = (events: ReadonlyArray<InboundEvent>) =>
  events.filter((e): e is Extract<InboundEvent, { _tag: "Comment" }> => e._tag === "Comment")

const newSince = (h: Harness, before: number): ReadonlyArray<unknown> => h.sent().slice(before)

const reachedServer = (name: string, h: Harness, before: number, marker: string) => {
  const fresh = newSince(h, before)
  return check(
    name,
    fresh.length >= 1 && show(fresh).includes(marker),
    `expected the fake platform to accept a message containing "${marker}", it accepted ${show(fresh)}`
  )
}

const named = (
  name: string,
  run: (name: string, h: Harness) => Effect.Effect<void, unknown>,
  applies?: Case["applies"]
): Case => (applies === undefined ? { name, run: (h) => run(name, h) } : { name, applies, run: (h) => run(name, h) })

/** The contract cases, in a sensible order. */
export const cases: ReadonlyArray<Case> = [
  named("verify: a signed request is accepted", (_name, h) =>
    h.adapter.verify(h.signedRequest(h.sampleCommentBody(sample())))
  ),

  named("verify: an unsigned request is unauthorized", (name, h) =>
    expectChannelError(name, h.adapter.verify(h.unsignedRequest(h.sampleCommentBody(sample()))), ["unauthorized"])
  ),

  named("verify: a forged signature is unauthorized", (name, h) =>
    expectChannelError(name, h.adapter.verify(h.forgedRequest(h.sampleCommentBody(sample()))), ["unauthorized"])
  ),

  named(
    "verify: a body changed after signing is unauthorized",
    (name, h) =>
      Effect.gen(function* () {
        const original = h.sampleCommentBody(sample())
        const signed = h.signedRequest(original)
        const tampered = h.sampleCommentBody({ ...sample(), text: "+99 芒果 99箱" })
        yield* check(name, tampered !== original, "the harness produced the same body for two different comments")
        yield* expectChannelError(name, h.adapter.verify({ ...signed, rawBody: new TextEncoder().encode(tampered) }), [
          "unauthorized"
        ])
      }),
    (h) => h.capabilities?.signsBody ?? true
  ),

  named("decode: a malformed body is invalid-payload", (name, h) =>
    Effect.gen(function* () {
      const req = h.signedRequest(h.malformedBody)
      yield* h.adapter.verify(req)
      yield* expectChannelError(name, h.adapter.decode(req), ["invalid-payload"])
    })
  ),

  named("decode: a comment becomes a Comment event with text, author, commentId and eventId", (name, h) =>
    Effect.gen(function* () {
      const input = sample()
      const req = h.signedRequest(h.sampleCommentBody(input))
      yield* h.adapter.verify(req)
      const events = yield* h.adapter.decode(req)
      const found = comments(events)
      yield* check(name, found.length === 1, `expected exactly one Comment event, got ${show(events)}`)
      const c = found[0]!
      const want = {
        text: input.text,
        authorId: h.expect?.authorId?.(input) ?? input.userId,
        commentId: h.expect?.commentId?.(input) ?? input.commentId,
        eventId: h.expect?.eventId?.(input) ?? input.eventId
      }
      const got = { text: c.text, authorId: c.author.id, commentId: c.commentId, eventId: c.eventId }
      yield* check(name, show(got) === show(want), `expected ${show(want)}, got ${show(got)}`)
      yield* check(name, c.channel === h.adapter.channel, `expected channel ${h.adapter.channel}, got ${c.channel}`)
      yield* check(name, !Number.isNaN(Date.parse(c.at)), `expected an ISO timestamp in "at", got ${c.at}`)
    })
  ),

  named("decode: the same delivery twice gives the same eventIds (for de-duplication)", (name, h) =>
    Effect.gen(function* () {
      const body = h.sampleCommentBody(sample())
      const first = yield* h.adapter.decode(h.signedRequest(body))
      const second = yield* h.adapter.decode(h.signedRequest(body))
      const ids = (es: ReadonlyArray<InboundEvent>) => es.map((e) => e.eventId)
      yield* check(name, first.length >= 1, `expected events, got ${show(first)}`)
      yield* check(
        name,
        ids(first).every((id) => id.length > 0),
        `expected non-empty eventIds, got ${show(ids(first))}`
      )
      yield* check(
        name,
        show(ids(first)) === show(ids(second)),
        `eventIds differ: ${show(ids(first))} vs ${show(ids(second))}`
      )
    })
  ),

  named("decode: two different deliveries give different eventIds", (name, h) =>
    Effect.gen(function* () {
      const a = comments(yield* h.adapter.decode(h.signedRequest(h.sampleCommentBody(sample()))))
      const b = comments(yield* h.adapter.decode(h.signedRequest(h.sampleCommentBody(sample()))))
      yield* check(
        name,
        a.length === 1 && b.length === 1 && a[0]!.eventId !== b[0]!.eventId,
        `expected two distinct eventIds, got ${show(a.map((e) => e.eventId))} and ${show(b.map((e) => e.eventId))}`
      )
    })
  ),

  named("send: a message reaches the platform", (name, h) =>
    Effect.gen(function* () {
      h.clearFailures()
      const before = h.sent().length
      const marker = uniqueId("kaituan-contract")
      yield* h.adapter.send(messageFor(h, marker))
      yield* reachedServer(name, h, before, marker)
    })
  ),

  named(
    "send: the same message id twice is delivered once",
    (name, h) =>
      Effect.gen(function* () {
        h.clearFailures()
        const before = h.sent().length
        const marker = uniqueId("kaituan-contract")
        const msg = messageFor(h, marker)
        yield* h.adapter.send(msg)
        yield* h.adapter.send(msg)
        const fresh = newSince(h, before)
        yield* check(name, fresh.length === 1, `expected one accepted message, got ${show(fresh)}`)
      }),
    (h) => h.capabilities?.idempotentSend ?? false
  ),

  named("send: a 429 is retried, or surfaces as rate-limited with retryAfterMs", (name, h) =>
    Effect.gen(function* () {
      h.clearFailures()
      const before = h.sent().length
      const marker = uniqueId("kaituan-contract")
      h.failNext(429, 1)
      const result = yield* Effect.result(h.adapter.send(messageFor(h, marker)))
      h.clearFailures()
      if (Result.isSuccess(result)) {
        yield* reachedServer(name, h, before, marker)
      } else {
        const err = yield* expectChannelError(name, Effect.fail(result.failure), ["rate-limited"])
        yield* check(
          name,
          err.retryAfterMs !== undefined && err.retryAfterMs >= 1000,
          `expected retryAfterMs >= 1000 from Retry-After: 1, got ${show(err.retryAfterMs)}`
        )
      }
    })
  ),

  named("send: a transient 5xx is retried", (name, h) =>
    Effect.gen(function* () {
      h.clearFailures()
      const before = h.sent().length
      const marker = uniqueId("kaituan-contract")
      h.failNext(503)
      yield* h.adapter.send(messageFor(h, marker))
      yield* reachedServer(name, h, before, marker)
    })
  ),

  named("send: a persistent 5xx ends in transport after bounded retries", (name, h) =>
    Effect.gen(function* () {
      h.failNext(500, undefined, 1000)
      const before = h.sent().length
      const outcome = yield* Effect.result(
        expectChannelError(name, h.adapter.send(messageFor(h, uniqueId("kaituan-contract"))), ["transport"])
      )
      h.clearFailures()
      yield* check(name, h.sent().length === before, "the fake platform accepted a message while failing every request")
      if (Result.isFailure(outcome)) return yield* Effect.fail(outcome.failure)
    })
  ),

  named("send: a 4xx is rejected without retrying into success", (name, h) =>
    Effect.gen(function* () {
      h.failNext(400)
      const before = h.sent().length
      const outcome = yield* Effect.result(
        expectChannelError(name, h.adapter.send(messageFor(h, uniqueId("kaituan-contract"))), ["rejected"])
      )
      h.clearFailures()
      yield* check(name, h.sent().length === before, "a 400 was retried until the platform accepted it")
      if (Result.isFailure(outcome)) return yield* Effect.fail(outcome.failure)
    })
  )
]

/**
 * The cases that apply to a harness (by its {@link Capabilities}). Takes only the capabilities,
 * so tests can list cases before their harness (server, adapter) exists.
 */
export const casesFor = (h: { readonly capabilities?: Capabilities | undefined }): ReadonlyArray<Case> =>
  cases.filter((c) => c.applies?.(h) ?? true)

/** Runs every applicable case, collecting each outcome (for runners without a test framework). */
export const runAll = (
  h: Harness
): Effect.Effect<ReadonlyArray<{ readonly name: string; readonly ok: boolean; readonly error?: unknown }>> =>
  Effect.forEach(casesFor(h), (c) =>
    c.run(h).pipe(
      Effect.match({
        onSuccess: () => ({ name: c.name, ok: true }),
        onFailure: (error) => ({ name: c.name, ok: false, error })
      })
    )
  )
