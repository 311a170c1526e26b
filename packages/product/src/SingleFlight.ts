import { Deferred, Effect, Scope } from "effect"

/**
 * Runs at most one load per key at a time in this process: callers that ask for a key while its load runs wait for
 * that load's result. The load runs in the owner's scope, not in the first caller's fiber, so an interrupted caller
 * (a cancelled request) neither cancels the load for the others nor leaves them waiting.
 */
export const makeSingleFlight = Effect.gen(function*() {
  const scope = yield* Scope.Scope
  const inflight = new Map<string, Deferred.Deferred<unknown, unknown>>()
  return <A, E, R>(key: string, load: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const running = inflight.get(key) as Deferred.Deferred<A, E> | undefined
      if (running !== undefined) return Deferred.await(running)
      const deferred = Deferred.makeUnsafe<A, E>()
      inflight.set(key, deferred as Deferred.Deferred<unknown, unknown>)
      const settle = load.pipe(
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            inflight.delete(key)
            return Deferred.done(deferred, exit)
          })
        )
      )
      return Effect.andThen(Effect.forkIn(settle, scope), Deferred.await(deferred))
    })
})
