import { Effect } from "effect"

/**
 * A gate that lets an effect run at most once per `intervalMs`; the calls in between do nothing. For gauges whose
 * query is not free (a count, a max over a table) that a busy loop would otherwise run every round.
 */
export const atMostEvery = (intervalMs: number) => {
  let ranAt = Number.NEGATIVE_INFINITY
  return <E, R>(effect: Effect.Effect<void, E, R>): Effect.Effect<void, E, R> =>
    Effect.suspend(() => {
      const now = Date.now()
      if (now - ranAt < intervalMs) return Effect.void
      ranAt = now
      return effect
    })
}
