/**
 * What the comment path asks of members: whether a buyer is blacklisted. A blacklisted member's
 * order, amendment or cancellation is never applied silently: the comment goes to the review
 * queue with the reason {@link BLOCKED_REASON} (its lines kept, so the organiser can still approve
 * it). Optional: `GroupBuy` consults it when the app provides it, and does nothing otherwise.
 *
 * {@link layerFromStorage} keeps the blacklist in memory (every identity of every blocked member,
 * from the `members` read model) and refreshes it every `everyMs`; {@link MemberPolicyService.refresh}
 * reads it again at once (after blocking someone).
 *
 * @since 0.4.0
 */
import { Context, Effect, Layer, Ref } from "effect"
import type { ParseResult } from "./ParseResult.js"
import * as ReadModels from "./ReadModels.js"
import * as MembersModel from "./readModels/Members.js"
import { Storage, type StorageError } from "./Storage.js"

/** The review reason of a blacklisted member's comment. */
export const BLOCKED_REASON = "blocked-member"

/** The member policy the comment path consults. */
export interface MemberPolicyService {
  /** Whether comments from this buyer id (any identity of a blacklisted member) go to review. */
  readonly isBlocked: (buyerId: string) => boolean
  /** Reads the blacklist again now. */
  readonly refresh: Effect.Effect<void, StorageError>
}

/** The member policy service (optional: `GroupBuy` works without it). */
export class MemberPolicy extends Context.Service<MemberPolicy, MemberPolicyService>()("@kaituan/core/MemberPolicy") {}

/**
 * A parsed comment as the policy lets it through: a blacklisted buyer's order, amendment or
 * cancellation becomes a comment for review (reason {@link BLOCKED_REASON}, lines kept);
 * anything else, or no policy, is unchanged.
 */
export const screen = (policy: MemberPolicyService | undefined, buyerId: string, parsed: ParseResult): ParseResult =>
  policy !== undefined &&
  (parsed.intent === "order" || parsed.intent === "amend" || parsed.intent === "cancel") &&
  policy.isBlocked(buyerId)
    ? { ...parsed, intent: "review", reason: BLOCKED_REASON }
    : parsed

/** A fixed policy: these buyer ids are blacklisted (tests, or an app that keeps its own list). */
export const fromBlocked = (buyerIds: Iterable<string>): MemberPolicyService => {
  const blocked = new Set(buyerIds)
  return { isBlocked: (id) => blocked.has(id), refresh: Effect.void }
}

/**
 * Every identity of every blacklisted member, from the `members` read model: caught up first
 * unless `catchUp` is false (a host whose `ReadModels.layerCatchUp` keeps it up to date).
 */
export const blockedIdentities = (
  options: { readonly catchUp?: boolean | undefined } = {}
): Effect.Effect<Set<string>, StorageError, Storage> =>
  Effect.gen(function* () {
    const storage = yield* Storage
    if (options.catchUp !== false) yield* storage.catchUp(MembersModel.name)
    const out = new Set<string>()
    let after: string | undefined
    for (;;) {
      const page = yield* ReadModels.list(MembersModel.definition, {
        key: { k: "k1", value: "blocked" },
        after,
        limit: 500
      })
      for (const r of page) for (const id of r.doc.identities) out.add(id)
      if (page.length < 500) return out
      after = page[page.length - 1]!.id
    }
  })

/**
 * The policy over the app's storage: the blacklist read when the layer starts, then again every
 * `everyMs` (default 2 s) in the layer's scope. A failed refresh keeps the list it had.
 * `catchUpEach: false` (a host that runs `ReadModels.layerCatchUp`): the periodic reads do not
 * catch the `members` model up themselves, so the catch-up is not done twice on the event loop;
 * {@link MemberPolicyService.refresh} (after a block through the API) always does.
 */
export const layerFromStorage = (
  options: { readonly everyMs?: number | undefined; readonly catchUpEach?: boolean | undefined } = {}
): Layer.Layer<MemberPolicy, StorageError, Storage> =>
  Layer.effect(
    MemberPolicy,
    Effect.gen(function* () {
      const storage = yield* Storage
      const current = yield* Ref.make(yield* blockedIdentities())
      let snapshot = yield* Ref.get(current)
      const refresh = Effect.flatMap(Effect.provideService(blockedIdentities(), Storage, storage), (ids) =>
        Effect.sync(() => {
          snapshot = ids
        })
      )
      const every = options.everyMs ?? 2_000
      const periodic = Effect.flatMap(
        Effect.provideService(blockedIdentities({ catchUp: options.catchUpEach }), Storage, storage),
        (ids) =>
          Effect.sync(() => {
            snapshot = ids
          })
      )
      yield* Effect.forkScoped(
        Effect.forever(Effect.andThen(Effect.sleep(every), Effect.ignore(periodic)), { disableYield: false })
      )
      return { isBlocked: (id: string) => snapshot.has(id), refresh }
    })
  )
