/**
 * A long-running loop that stops gracefully when its scope closes: the scope's finalizer tells
 * the loop to stop, waits for it to end (it finishes what it is doing and starts nothing new) at
 * most `stopTimeoutMs`, and only then interrupts it. Used by `OutboxRelay.layer` and
 * `Scheduler.layer`, so closing an app's scope does not cut a send or a job off halfway.
 */
import { Deferred, Duration, Effect, Fiber, type Scope } from "effect"

/** What the loop is given: wait for the stop signal, or ask whether it came. */
export interface StopSignal {
  /** Completes when the scope starts closing (race a pause against it). */
  readonly stopped: Effect.Effect<void>
  /** Whether the scope started closing (check it before starting new work). */
  readonly isStopped: Effect.Effect<boolean>
}

/**
 * Forks `loop` outside the scope's own interruption and registers the graceful stop as the
 * scope's finalizer. `loop` should return soon after `stopped` completes.
 */
export const forkStoppable = <E, R>(
  loop: (signal: StopSignal) => Effect.Effect<void, E, R>,
  stopTimeoutMs: number
): Effect.Effect<void, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const stop = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkDetach(loop({ stopped: Deferred.await(stop), isStopped: Deferred.isDone(stop) }))
    yield* Effect.addFinalizer(() =>
      Deferred.succeed(stop, undefined).pipe(
        // No time to stop: interrupt at once (without waiting on a clock that may be a test's).
        Effect.andThen(
          stopTimeoutMs <= 0
            ? Effect.void
            : Effect.ignore(Effect.timeout(Fiber.await(fiber), Duration.millis(stopTimeoutMs)))
        ),
        Effect.andThen(Fiber.interrupt(fiber))
      )
    )
  })
